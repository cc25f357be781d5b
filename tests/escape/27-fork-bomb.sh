#!/bin/bash
# Attack: a fork bomb. Every process forks two children and then waits
# forever, to a depth of 10 (2046 processes: far beyond --pids 32, yet
# bounded, so a broken ward fails this test without taking the host down).
# Judged from outside: the bomb started no more than 32 processes, the run
# ended as pids_limit or by its wall time, the host could fork while it ran,
# no process of the bomb outlives ward, and the host forks freely after.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work --pids 32
S=$(new_secret)
MARK="bomb-${S#wardsecret-}"

read -r -d '' CODE <<'PY'
import os, sys, time
r, w = os.pipe()
failed = 0
def grow(depth):
    global failed
    for _ in range(2):
        if depth == 0:
            return
        try:
            pid = os.fork()
        except OSError:
            failed += 1
            continue
        if pid == 0:
            os.close(r)
            os.write(w, b"+")
            grow(depth - 1)
            time.sleep(3600)
            os._exit(0)
grow(10)
os.close(w)
time.sleep(3)
os.set_blocking(r, False)
try:
    n = len(os.read(r, 1 << 16))
except BlockingIOError:
    n = 0
print("started", n, "failed-at-top", failed, flush=True)
time.sleep(3600)
PY

# The host keeps forking while the bomb runs.
(
  ok_forks=0
  end=$((SECONDS + 6))
  while [ $SECONDS -lt $end ]; do /bin/true && ok_forks=$((ok_forks + 1)); sleep 0.05; done
  echo "$ok_forks" >"$T_TMP/hostforks"
) &
watcher=$!
start=$(date +%s%N)
run_sb --pids 32 --wall-time 8s -- /usr/bin/python3 -c "$CODE" "$MARK"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
wait "$watcher"
expect_document
status=$(j .status)
expect_match "status" "$status" '^(pids_limit|timeout)$'
started=$(sed -n 's/^started \([0-9]*\).*/\1/p' <<<"$SOUT")
if [ -z "$started" ]; then
  fail "the bomb reported nothing (status $status, stdout '${SOUT:0:200}')"
elif [ "$started" -le 32 ]; then ok; else fail "the bomb started $started processes with --pids 32"; fi
if [ "$elapsed" -le 20000 ]; then ok; else fail "ward took ${elapsed} ms to end a run with an 8s wall time"; fi
hf=$(cat "$T_TMP/hostforks" 2>/dev/null)
if [ "${hf:-0}" -ge 20 ]; then ok; else fail "the host forked only ${hf:-0} times in 6 s during the bomb"; fi
sleep 0.5
expect_no_process "$MARK"
t0=$(date +%s%N)
for _ in $(seq 200); do /bin/true || { fail "the host cannot fork after the bomb"; break; }; done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$ms" -le 5000 ]; then ok; else fail "200 forks on the host took $ms ms after the bomb"; fi

done_testing
