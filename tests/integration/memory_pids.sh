#!/bin/bash
# Memory and pids cgroup limits: the run ends with the right status and a
# limit event, the memory peak is reported, and the host stays usable.
source "$(dirname "$0")/../helpers/lib.sh"

limit_event() { j "[.events[]? | select(.type == \"limit\") | .limit] | index(\"$1\") != null"; }

# 1 GiB of touched memory under a 64M cap.
run_json --memory 64M --wall-time 20s -- python3 -c 'x = b"\x01" * (1 << 30); print(len(x))'
expect_rc 0
expect_status memory_limit
expect_eq "memory: limit event" "$(limit_event memory)" true
expect_eq "memory: nothing printed" "$(j .stdout)" ""
peak=$(j .memory_peak_bytes)
expect_match "memory: peak is a number" "$peak" '^[0-9]+$'
if [[ "$peak" =~ ^[0-9]+$ ]]; then
  # The peak is near the cap, not above it by much and not tiny.
  if [ "$peak" -ge $((32 << 20)) ] && [ "$peak" -le $((80 << 20)) ]; then ok; else
    fail "memory: peak $peak not near the 64M cap"
  fi
fi
run_ward run --memory 64M --wall-time 20s -- python3 -c 'x = b"\x01" * (1 << 30)'
expect_ne "memory without --json: exit code" "$RC" 0
expect_ne "memory without --json: not 125" "$RC" 125

# Under the cap it runs: 32M in a 128M sandbox.
run_json --memory 128M -- python3 -c 'x = b"\x01" * (32 << 20); print(len(x))'
expect_status ok
expect_eq "memory under the cap: stdout" "$(j .stdout)" "$((32 << 20))"
peak=$(j .memory_peak_bytes)
if [[ "$peak" =~ ^[0-9]+$ ]] && [ "$peak" -ge $((32 << 20)) ]; then ok; else
  fail "memory: peak '$peak' below the 32M the program touched"
fi

# pids: a fork bomb with a short wall time.
MARK="ward-forkbomb-$$-$RANDOM"
run_json --pids 16 --wall-time 3s -- bash -c "b() { b | b & }; b; sleep 10; : $MARK"
case "$(j .status)" in
  pids_limit) ok ;;
  timeout) expect_eq "fork bomb: pids limit event" "$(limit_event pids)" true ;;
  *) fail "fork bomb: status $(j .status), want pids_limit or timeout with a pids event" ;;
esac
sleep 1
expect_no_process "$MARK"
# The host can still start processes.
if /bin/true; then ok; else fail "host cannot fork after the fork bomb"; fi

# pids: at most 16 processes; a program that counts its forks.
run_json --pids 16 --wall-time 10s -- python3 -c '
import os, time
n = 0
kids = []
try:
    while n < 100:
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        kids.append(pid)
        n += 1
except OSError as e:
    print(n, e.errno)
for k in kids:
    os.kill(k, 9)
    os.waitpid(k, 0)
'
out=$(j .stdout)
expect_match "pids: fork fails with EAGAIN" "$out" '^[0-9]+ 11$'
n=${out%% *}
if [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -lt 16 ]; then ok; else
  fail "pids: $n forks succeeded under --pids 16"
fi
expect_eq "pids: limit event" "$(limit_event pids)" true

expect_no_cgroups
done_testing
