#!/bin/bash
# --net none (the default): loopback works inside, nothing else does, and the
# host's own loopback is a different network.
source "$(dirname "$0")/../helpers/lib.sh"

INSIDE='
import socket, threading, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]
def serve():
    c, _ = srv.accept()
    c.sendall(c.recv(100).upper())
    c.close()
threading.Thread(target=serve, daemon=True).start()
c = socket.create_connection(("127.0.0.1", port), timeout=3)
c.sendall(b"ping")
print("loopback", c.recv(100).decode())
def try_connect(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return "connected"
    except OSError as e:
        return "refused" if e.errno == 111 else "failed"
print("external", try_connect("1.1.1.1", 53))
print("external6", try_connect("2606:4700:4700::1111", 53))
print("hostport", try_connect("127.0.0.1", int(sys.argv[1])))
try:
    socket.getaddrinfo("example.com", 80)
    print("dns resolved")
except OSError:
    print("dns failed")
print("ifaces", " ".join(sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:])))
'

# A server on the host's loopback, which the sandbox must not reach.
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
print(s.getsockname()[1], flush=True)
s.settimeout(20)
try:
    while True:
        c, _ = s.accept(); c.close()
except OSError:
    pass' >"$T_TMP/port" &
srv=$!
for _ in $(seq 50); do [ -s "$T_TMP/port" ] && break; sleep 0.1; done
port=$(cat "$T_TMP/port")
[ -n "$port" ] || { kill $srv; skip "could not start a host server"; }
if ! /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=2).close()"; then
  kill $srv; skip "host loopback not usable"
fi

for args in "--net none" ""; do
  run_ward run $args --wall-time 20s -- python3 -c "$INSIDE" "$port"
  what="${args:-default}"
  expect_rc 0
  expect_match "$what: loopback server inside" "$OUT" "loopback PING"
  expect_match "$what: external address" "$OUT" "external failed"
  expect_match "$what: external IPv6" "$OUT" "external6 failed"
  expect_match "$what: host's loopback is not ours" "$OUT" "hostport refused"
  expect_match "$what: no DNS" "$OUT" "dns failed"
  expect_match "$what: only lo" "$OUT" "ifaces lo$"
done
kill $srv 2>/dev/null
wait $srv 2>/dev/null

# Abstract unix sockets of the host are in its network namespace: not ours.
/usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_UNIX); s.bind("\0ward-test-abstract-'$$'"); s.listen(1)
time.sleep(15)' &
abs=$!
sleep 0.5
run_ward run --wall-time 10s -- python3 -c '
import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("\0ward-test-abstract-'$$'"); print("connected")
except OSError:
    print("refused")'
expect_eq "host abstract unix socket unreachable" "$OUT" refused
kill $abs 2>/dev/null
wait $abs 2>/dev/null

expect_no_cgroups
done_testing
