#!/bin/bash
# Without --json, a run that ward ended (a limit, too many denied calls)
# says why in one line on stderr, in the service's words
# (src/service/status.c), and exits with the documented code. Each status
# that is cheap to provoke, with the exact line: the network limits against
# a TCP server on the host's 127.0.0.1, reached through a hosts name.
source "$(dirname "$0")/../helpers/lib.sh"

# The `ward:` line of the last run (the program's own stderr is ignored).
ward_line() { printf '%s\n' "$ERR" | grep '^ward: ' | tail -n 1; }
expect_line() { # WHAT RC LINE
  expect_eq "$1: exit code" "$RC" "$2"
  expect_eq "$1: the ward: line" "$(ward_line)" "$3"
}

run_ward run --wall-time 1s -- sleep 1000
expect_line timeout 124 "ward: timeout: the wall-time limit (1000ms) ended the run"

run_ward run --cpu-time 1s --wall-time 20s -- python3 -c 'while True: pass'
expect_line cpu_limit 124 "ward: cpu_limit: the CPU-time limit (1000ms) ended the run"

run_ward run --memory 64M --wall-time 20s -- python3 -c 'x = b"\x01" * (1 << 30)'
expect_line memory_limit 137 "ward: memory_limit: the sandbox ran out of its 64M of memory"

# Forks until the pids limit says no, then fails: pids_limit.
run_ward run --pids 16 --wall-time 20s -- python3 -c '
import os, sys, time
kids = []
try:
    while len(kids) < 100:
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        kids.append(pid)
except OSError:
    pass
for k in kids:
    os.kill(k, 9)
    os.waitpid(k, 0)
sys.exit(3)'
expect_line pids_limit 3 "ward: pids_limit: the sandbox hit its limit of 16 processes"

run_ward run --output 1K --wall-time 10s -- yes
expect_line output_limit 137 "ward: output_limit: the program wrote more than 1K"

run_ward run --file-size 1M -- dd if=/dev/zero of=/tmp/f bs=64K count=32
expect_line file_size_limit 153 "ward: file_size_limit: the program wrote a file larger than 1M"

run_ward run --disk 8M -- sh -c 'head -c 20M /dev/zero > /tmp/f'
expect_line disk_limit 1 "ward: disk_limit: the sandbox filled its 8M of writable space"

run_ward run --max-violations 5 --wall-time 10s -- python3 -c '
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
for _ in range(200):
    libc.syscall(101, 7, 0, 0, 0)'
expect_line violation 137 "ward: violation: more than 5 denied system calls"

# A run that ends by itself has no ward: line.
run_ward run -- sh -c 'echo out; echo err >&2; exit 3'
expect_line "exit 3" 3 ""

# network_limit: a server that sends 4 MiB to each connection and reads
# whatever comes.
/usr/bin/python3 - "$T_TMP/port" <<'PY' &
import socket, sys, threading, os
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(16)
def drain(c):
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
def one(c):
    threading.Thread(target=drain, args=(c,), daemon=True).start()
    try:
        c.sendall(b"x" * (4 << 20))
    except OSError:
        pass  # a run ended by a limit resets its connections
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    threading.Thread(target=one, args=(c,), daemon=True).start()
PY
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$T_TMP"' EXIT
for _ in $(seq 50); do [ -s "$T_TMP/port" ] && break; sleep 0.1; done
read -r PORT <"$T_TMP/port" || { fail "the test server did not start"; done_testing; }

net_policy() { # KEY VALUE
  cat >"$T_TMP/net.json" <<JSON
{"network": {"mode": "allowlist", "allow": ["sink.test:$PORT"], "hosts": {"sink.test": "127.0.0.1"}, "$1": $2}}
JSON
}

net_policy max_bytes_in '"1M"'
run_ward run --policy "$T_TMP/net.json" --wall-time 20s -- python3 -c "
import socket
c = socket.create_connection(('sink.test', $PORT), timeout=10)
while c.recv(65536):
    pass"
expect_line network_bytes_in 137 "ward: network_limit: the program received more than 1M over the network"

net_policy max_bytes_out '"64K"'
run_ward run --policy "$T_TMP/net.json" --wall-time 20s -- python3 -c "
import socket
c = socket.create_connection(('sink.test', $PORT), timeout=10)
# Until ward ends it: a program that sent all it meant to and exited
# before the relay passed the limit would end by itself (exit 0).
while True:
    c.sendall(b'y' * 4096)"
expect_line network_bytes_out 137 "ward: network_limit: the program sent more than 64K over the network"

net_policy max_connections 2
run_ward run --policy "$T_TMP/net.json" --wall-time 20s -- python3 -c "
import socket, time
for _ in range(4):
    try:
        socket.create_connection(('sink.test', $PORT), timeout=5).close()
    except OSError:
        pass
time.sleep(5)"
expect_line network_connections 137 "ward: network_limit: the program tried more than 2 network connections"

expect_no_cgroups
done_testing
