#!/bin/bash
# --net allow=...: ward's allowlist. An HTTP server and a TCP echo server on
# the host's 127.0.0.1 are reached through hosts names. What must hold,
# judged from the result: an allowed destination works from curl, Python
# and Node with no proxy settings; another port of the same host, a name
# not on the list, the host's loopback by address, the cloud metadata
# address, an outside DNS server (UDP and TCP) and other UDP all fail at
# once; byte and connection limits end the run as network_limit; every
# attempt is an event, and the result lists the connections.
source "$(dirname "$0")/../helpers/lib.sh"
need curl
need node

# The servers: HTTP (a 1 KiB page and a 4 MiB file) and TCP echo.
mkdir -p "$T_TMP/www"
head -c 1024 /dev/zero | tr '\0' 'w' >"$T_TMP/www/page"
head -c 4M /dev/urandom >"$T_TMP/www/big"
/usr/bin/python3 - "$T_TMP/www" "$T_TMP/ports" <<'PY' &
import http.server, socket, socketserver, sys, threading, os, functools
os.chdir(sys.argv[1])
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Quiet)
echo = socket.socket(); echo.bind(("127.0.0.1", 0)); echo.listen(16)
def echo_one(c):
    try:
        for d in iter(lambda: c.recv(65536), b""):
            c.sendall(d)
    except OSError:
        pass  # a run ended by a limit resets its connections
    c.close()
def serve_echo():
    while True:
        c, _ = echo.accept()
        threading.Thread(target=echo_one, args=(c,), daemon=True).start()
threading.Thread(target=serve_echo, daemon=True).start()
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d %d\n" % (httpd.server_address[1], echo.getsockname()[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
httpd.serve_forever()
PY
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$T_TMP"' EXIT
for _ in $(seq 50); do [ -s "$T_TMP/ports" ] && break; sleep 0.1; done
read -r HTTP ECHO <"$T_TMP/ports" || { fail "the test servers did not start"; done_testing; }

NET=(--net "allow=api.test:$HTTP,echo.test:$ECHO" --add-host api.test:127.0.0.1 --add-host echo.test:127.0.0.1)
URL="http://api.test:$HTTP/page"

# curl, with no proxy variables anywhere.
run_json "${NET[@]}" -- curl -sS --max-time 10 "$URL"
expect_status ok
expect_eq "curl fetched the page" "$(j '.stdout | length')" 1024
expect_eq "protections name the mode" "$(j '.protections | index("net-allowlist") != null')" true
expect_eq "the connection is listed" "$(j '.network.connections[0] | [.name, .address, .port, .verdict] | join(" ")')" \
  "api.test 127.0.0.1 $HTTP allowed"
expect_eq "bytes in are counted" "$(j '.network.bytes_in > 1024')" true
expect_eq "the DNS query is an event" "$(j '[.events[] | select(.type == "dns" and .detail == "api.test")] | length')" 1

# Python's urllib and socket.create_connection; the echo server.
run_json "${NET[@]}" --lang python -c "
import socket, urllib.request
print(len(urllib.request.urlopen('$URL', timeout=10).read()))
c = socket.create_connection(('echo.test', $ECHO), timeout=10)
c.sendall(b'ping'); print(c.recv(10).decode())
"
expect_status ok
expect_eq "python: urllib and the echo server" "$(j .stdout)" "1024
ping"

# Node's net.connect and fetch.
run_json "${NET[@]}" --lang node -c "
const net = require('net');
fetch('$URL').then(r => r.text()).then(t => {
  console.log(t.length);
  const s = net.connect($ECHO, 'echo.test', () => s.write('pong'));
  s.on('data', d => { console.log(d.toString()); s.end(); });
}).catch(e => { console.log('ERR', e.cause || e); });
"
expect_status ok
expect_eq "node: fetch and net.connect" "$(j .stdout)" "1024
pong"

# IPv6: a destination the policy maps to the host's ::1, reached from an
# IPv4 socket and from an IPv6 one (as ::ffff:a.b.c.d).
if /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
  /usr/bin/python3 - "$T_TMP/port6" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_INET6); s.bind(("::1", 0)); s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
for _ in range(2):
    c, _ = s.accept(); c.sendall(b"six"); c.close()
PY
  for _ in $(seq 50); do [ -s "$T_TMP/port6" ] && break; sleep 0.1; done
  P6=$(cat "$T_TMP/port6")
  run_json --net "allow=six.test:$P6" --add-host six.test:::1 --lang python -c "
import socket
print(socket.create_connection(('six.test', $P6), timeout=5).recv(10).decode())
s = socket.socket(socket.AF_INET6)
s.settimeout(5)
s.connect(('::ffff:' + socket.gethostbyname('six.test'), $P6))
print(s.recv(10).decode())"
  expect_eq "an IPv6 destination, from IPv4 and IPv6 sockets" "$(j .stdout)" "six
six"
  expect_eq "its address is listed" "$(j '[.network.connections[] | select(.address == "::1")] | length')" 2
else
  echo "note [$T_NAME]: no IPv6 loopback on this host; the IPv6 check did not run" >&2
fi

# The program finds ward's relay listener (in /proc/net/tcp) and fills its
# queue with connections of its own: they are dropped with an event, and an
# allowed connection still goes through at once.
run_json "${NET[@]}" --lang python -c "
import socket, urllib.request
ports = [int(l.split()[1].split(':')[1], 16) for l in open('/proc/net/tcp').readlines()[1:] if l.split()[3] == '0A']
held = []
for p in ports:
    for _ in range(300):
        s = socket.socket(); s.setblocking(False)
        try: s.connect(('127.0.0.1', p))
        except BlockingIOError: pass
        held.append(s)
print(len(ports), len(urllib.request.urlopen('$URL', timeout=10).read()))"
expect_eq "an allowed connection after a flood of the relay" "$(j .stdout)" "1 1024"
expect_eq "the flood is an event" "$(j '[.events[] | select(.detail == "a connection to ward\u0027s relay from inside")] | length')" 1

# A 4 MiB transfer arrives intact.
run_json "${NET[@]}" -- sh -c "curl -sS --max-time 20 http://api.test:$HTTP/big | sha256sum | cut -d' ' -f1"
expect_eq "a 4 MiB download through the relay" "$(j .stdout)" "$(sha256sum "$T_TMP/www/big" | cut -d' ' -f1)"

# What must fail, and fail at once.
read -r -d '' PROBE <<PY
import socket, time
def t(what, f):
    start = time.monotonic()
    try:
        f(); r = "connected"
    except socket.gaierror: r = "unresolved"
    except ConnectionRefusedError: r = "refused"
    except PermissionError: r = "denied"
    except OSError as e: r = "error %d" % e.errno
    print(what, r, "slow" if time.monotonic() - start > 2 else "fast")
t("other-port", lambda: socket.create_connection(("api.test", $ECHO), timeout=5))
t("unlisted", lambda: socket.create_connection(("evil.test", 80), timeout=5))
t("host-loopback", lambda: socket.create_connection(("127.0.0.1", $HTTP), timeout=5))
t("metadata", lambda: socket.create_connection(("169.254.169.254", 80), timeout=5))
t("dns-tcp", lambda: socket.create_connection(("8.8.8.8", 53), timeout=5))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t("dns-udp", lambda: u.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01", ("8.8.8.8", 53)))
t("udp-connect", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(("1.1.1.1", 443)))
t("udp-sendmsg", lambda: u.sendmsg([b"x"], [], 0, ("9.9.9.9", 53)))
PY
run_json "${NET[@]}" --lang python -c "$PROBE"
expect_status ok
expect_eq "refusals" "$(j .stdout)" "other-port refused fast
unlisted unresolved fast
host-loopback refused fast
metadata refused fast
dns-tcp refused fast
dns-udp denied fast
udp-connect denied fast
udp-sendmsg denied fast"
ev() { j "[.events[] | select(.type == \"$1\" and (.detail | test(\"$2\")))] | length"; }
expect_eq "event: other port" "$(ev network_refused "api.test .*:$ECHO not_allowed")" 1
expect_eq "event: unlisted name" "$(ev dns_refused 'evil.test not_allowed')" 1
expect_eq "event: metadata" "$(ev network_refused '169.254.169.254:80')" 1
expect_eq "event: outside DNS over TCP" "$(ev network_refused 'tcp 8.8.8.8:53')" 1
expect_eq "event: outside DNS over UDP" "$(ev network_refused 'udp 8.8.8.8:53')" 1
expect_eq "event: UDP by sendmsg" "$(ev network_refused 'udp 9.9.9.9:53')" 1
expect_eq "the refused attempts are listed (not the sandbox's own loopback)" \
  "$(j '[.network.connections[] | select(.verdict != "allowed")] | length')" 6

# A name allowed by a rule that the host resolves to an internal address
# is refused unless the policy names the address: this host's own name,
# where the host resolves it to a private or loopback address.
H=$(hostname)
HADDR=$(getent ahostsv4 "$H" 2>/dev/null | awk 'NR == 1 { print $1 }')
if [[ "$HADDR" =~ ^(10\.|127\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.) ]] && [ "$H" != ward ]; then
  run_json --net "allow=$H" --lang python -c "
import socket
try: socket.create_connection(('$H', $HTTP), timeout=5); print('connected')
except OSError as e: print('refused', e.errno)"
  expect_eq "a name the host resolves to $HADDR" "$(j .stdout)" "refused 111"
  expect_eq "its event says internal" "$(ev network_refused "$H .*internal")" 1
else
  echo "note [$T_NAME]: '$H' does not resolve to an internal IPv4 address here; the internal-name check did not run" >&2
fi

# An allowed name the host cannot resolve: the lookup runs beside ward's
# loop, and the connection fails with EHOSTUNREACH and an event.
run_json --net allow=nothing.invalid --lang python -c "
import socket
try: socket.create_connection(('nothing.invalid', 80), timeout=5); print('connected')
except OSError as e: print('failed', e.errno)"
expect_eq "an allowed name the host cannot resolve" "$(j .stdout)" "failed 113"
expect_eq "its event" "$(ev network_refused 'nothing.invalid:80 unresolved')" 1

# A raw address that a CIDR rule names is reachable: one of this host's
# own non-loopback addresses, with a server bound to it.
RAW=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.' | head -1)
if [ -n "$RAW" ]; then
  /usr/bin/python3 - "$RAW" "$T_TMP/portraw" <<'PY' &
import socket, sys, os
s = socket.socket(); s.bind((sys.argv[1], 0)); s.listen(4); s.settimeout(30)
open(sys.argv[2] + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(sys.argv[2] + ".tmp", sys.argv[2])
c, _ = s.accept(); c.sendall(b"raw"); c.close()
PY
  RAWSERVER=$!
  for _ in $(seq 50); do [ -s "$T_TMP/portraw" ] && break; sleep 0.1; done
  PR=$(cat "$T_TMP/portraw")
  run_json --net "allow=$RAW/32:$PR" --lang python -c "
import socket
print(socket.create_connection(('$RAW', $PR), timeout=5).recv(10).decode())"
  expect_eq "a raw address allowed by a CIDR rule" "$(j .stdout)" raw
  expect_eq "the deciding rule is listed" "$(j '.network.connections[0].rule')" "$RAW/32:$PR"
  kill $RAWSERVER 2>/dev/null
else
  echo "note [$T_NAME]: no non-loopback IPv4 address on this host; the raw-address check did not run" >&2
fi

# Limits end the run as network_limit.
cat >"$T_TMP/limits.json" <<JSON
{"network": {"mode": "allowlist", "allow": ["api.test:$HTTP"], "hosts": {"api.test": "127.0.0.1"},
             "max_bytes_in": "1M"}}
JSON
run_json --policy "$T_TMP/limits.json" -- curl -sS -o /dev/null --max-time 20 "http://api.test:$HTTP/big"
expect_status network_limit
expect_eq "the limit is named" "$(j '[.events[] | select(.type == "limit")][0].limit')" network_bytes_in
cat >"$T_TMP/out.json" <<JSON
{"network": {"mode": "allowlist", "allow": ["echo.test:$ECHO"], "hosts": {"echo.test": "127.0.0.1"},
             "max_bytes_out": "64K"}}
JSON
run_json --policy "$T_TMP/out.json" --lang python -c "
import socket
c = socket.create_connection(('echo.test', $ECHO), timeout=5)
for _ in range(64):
    c.sendall(b'x' * 4096)
    c.recv(65536)
print('sent all')"
expect_status network_limit
expect_eq "the bytes-out limit is named" "$(j '[.events[] | select(.type == "limit")][0].limit')" network_bytes_out
cat >"$T_TMP/conns.json" <<JSON
{"network": {"mode": "allowlist", "allow": ["api.test:$HTTP"], "hosts": {"api.test": "127.0.0.1"},
             "max_connections": 2}}
JSON
run_json --policy "$T_TMP/conns.json" -- sh -c "for i in 1 2 3 4; do curl -sS -o /dev/null --max-time 5 $URL; done; sleep 5"
expect_status network_limit
expect_eq "the connection limit is named" "$(j '[.events[] | select(.type == "limit")][0].limit')" network_connections

# Without --net, the same program reaches nothing and the mode says none.
run_json -- curl -sS --max-time 5 "$URL"
expect_eq "default: no network" "$(j '.protections | index("net-none") != null')" true
expect_ne "default: curl fails" "$(j .exit_code)" 0

expect_no_cgroups
done_testing
