#!/bin/bash
# Attack: reach host services over unix sockets. Abstract-namespace sockets
# (@name) have no file to hide behind a mount namespace: only the network
# namespace separates them, and many desktop and container daemons listen
# on them. The host listens on an abstract socket and on a socket file in
# its scratch directory; the sandbox connects to both. Judged from outside:
# neither listener saw a connection and the secret it would send never
# appears.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

[ -x "$HOST_PY" ] || skip "needs python3 on the host"
sandbox_must_work

S=$(new_secret)
NAME="ward-escape-${S#wardsecret-}"
read -r -d '' SERVER <<'PY'
import os, socket, sys, threading
secret, name, path, log, ready = sys.argv[1:6]
def serve(sock, tag):
    while True:
        c, _ = sock.accept()
        with open(log, "a") as f:
            f.write(tag + "\n")
        try:
            c.sendall(secret.encode() + b"\n")
        except OSError:
            pass
        c.close()
a = socket.socket(socket.AF_UNIX); a.bind("\0" + name); a.listen(4)
p = socket.socket(socket.AF_UNIX); p.bind(path); p.listen(4); os.chmod(path, 0o777)
threading.Thread(target=serve, args=(a, "abstract"), daemon=True).start()
open(ready, "w").close()
serve(p, "path")
PY
: >"$T_TMP/log"
"$HOST_PY" -c "$SERVER" "$S" "$NAME" "$T_TMP/sock" "$T_TMP/log" "$T_TMP/ready" </dev/null >/dev/null 2>&1 &
srv=$!
disown "$srv" 2>/dev/null
at_exit "kill $srv"
for _ in $(seq 50); do [ -e "$T_TMP/ready" ] && break; sleep 0.1; done
[ -e "$T_TMP/ready" ] || { fail "host listener did not start"; done_testing; }
"$HOST_PY" -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('\0$NAME'); print(s.recv(100))" | grep -q "$S" \
  || { fail "host listener does not answer"; done_testing; }
: >"$T_TMP/log"

read -r -d '' CODE <<'PY'
import socket, sys
for tag, addr in (("abstract", "\0" + sys.argv[1]), ("path", sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(3)
    try:
        s.connect(addr)
        print(tag, "connected", s.recv(100))
    except OSError as e:
        print(tag, e.__class__.__name__, e.errno)
print("done")
PY
run_sb -- /usr/bin/python3 -c "$CODE" "$NAME" "$T_TMP/sock"
expect_document
sleep 0.2
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_no_match "connected" "$SOUT" 'connected'
expect_no_secret "host listener's answer" "$S"
expect_eq "connections the host saw" "$(cat "$T_TMP/log")" ""

done_testing
