#!/bin/bash
# Attack: send data out of a sandbox whose network is `none`. The test runs
# a TCP server (serving a secret) and a UDP sink on the host's 127.0.0.1;
# the sandbox connects to the server, sends a datagram to the sink, and asks
# for a route to public addresses, the cloud metadata address, private
# ranges and the host's own address. Routes are asked with connect() on a
# UDP socket, which sends no packet: the test never puts traffic on any
# network but this machine's loopback. Judged from outside: the server saw
# no connection and the sink no datagram, the secret never appears, no
# route exists, and the only interface inside is lo.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

[ -x "$HOST_PY" ] || skip "needs python3 on the host"
sandbox_must_work

S=$(new_secret)
read -r -d '' SERVER <<'PY'
import socket, sys, threading, os
secret, portfile, log = sys.argv[1], sys.argv[2], sys.argv[3]
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 0)); t.listen(16)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
def note(line):
    with open(log, "a") as f:
        f.write(line + "\n")
def udp():
    while True:
        data, peer = u.recvfrom(4096)
        note(f"udp {peer} {data[:50]!r}")
threading.Thread(target=udp, daemon=True).start()
with open(portfile + ".tmp", "w") as f:
    f.write(f"{t.getsockname()[1]} {u.getsockname()[1]}\n")
os.rename(portfile + ".tmp", portfile)
while True:
    c, peer = t.accept()
    note(f"tcp {peer}")
    try:
        c.settimeout(2); c.recv(1024)
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + secret.encode() + b"\n")
    except OSError:
        pass
    c.close()
PY
: >"$T_TMP/log"
"$HOST_PY" -c "$SERVER" "$S" "$T_TMP/ports" "$T_TMP/log" </dev/null >/dev/null 2>&1 &
srv=$!
disown "$srv" 2>/dev/null
at_exit "kill $srv"
for _ in $(seq 50); do [ -s "$T_TMP/ports" ] && break; sleep 0.1; done
read -r tcp udp <"$T_TMP/ports" || { fail "host server did not start"; done_testing; }
# The server answers on the host: the attack would have something to find.
"$HOST_PY" -c "import socket,sys; c=socket.create_connection(('127.0.0.1',$tcp),2); c.sendall(b'GET /'); print(c.recv(100))" | grep -q "$S" \
  || { fail "host server does not answer"; done_testing; }
: >"$T_TMP/log"
hostip=$(ip -4 -o addr show scope global 2>/dev/null | awk '{sub("/.*", "", $4); print $4; exit}')

read -r -d '' CODE <<'PY'
import socket, sys
tcp, udp, hostip = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
try:
    c = socket.create_connection(("127.0.0.1", tcp), timeout=3)
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    print("tcp-data", c.recv(4096))
except OSError as e:
    print("tcp", e.__class__.__name__, e.errno)
try:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"ward-escape-udp", ("127.0.0.1", udp))
    print("udp sent")
except OSError as e:
    print("udp", e.errno)
targets = ["1.1.1.1", "8.8.8.8", "169.254.169.254", "10.0.0.1", "172.16.0.1", "192.168.0.1"]
if hostip:
    targets.append(hostip)
for addr in targets:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((addr, 53))   # route lookup only: no packet leaves
        print("route", addr, "OK", s.getsockname()[0])
    except OSError as e:
        print("route", addr, e.errno)
for addr in ("2606:4700:4700::1111", "fd00::1"):
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.connect((addr, 53))
        print("route", addr, "OK", s.getsockname()[0])
    except OSError as e:
        print("route", addr, e.errno)
print("ifaces", " ".join(sorted(n for _, n in socket.if_nameindex())))
with open("/proc/net/route") as f:
    print("routes", len(f.readlines()) - 1)
print("done")
PY

run_sb -- /usr/bin/python3 -c "$CODE" "$tcp" "$udp" "$hostip"
expect_document
sleep 0.3
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_no_match "TCP to the host's loopback" "$SOUT" 'tcp-data'
expect_no_secret "host server's answer" "$S"
expect_eq "connections and datagrams the host saw" "$(cat "$T_TMP/log")" ""
expect_no_match "a route out" "$SOUT" 'route [^ ]+ OK'
expect_match "route to 169.254.169.254 was asked" "$SOUT" 'route 169\.254\.169\.254 '
expect_eq "interfaces inside" "$(sed -n 's/^ifaces //p' <<<"$SOUT")" "lo"
expect_eq "IPv4 routes inside" "$(sed -n 's/^routes //p' <<<"$SOUT")" "0"

done_testing
