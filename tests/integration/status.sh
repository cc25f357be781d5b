#!/bin/bash
# Each way a run can end, seen both as ward's exit status (without --json)
# and as the JSON document's status/exit_code/signal (with --json, where
# ward itself exits 0): ok, exit, signal, timeout, cpu_limit, 126, 127.
source "$(dirname "$0")/../helpers/lib.sh"

# ok: exit 0.
run_ward run -- true
expect_rc 0
run_json -- true
expect_rc 0
expect_status ok
expect_eq "ok: exit_code" "$(j .exit_code)" 0
expect_eq "ok: signal" "$(j .signal)" null

# exit: the program's code is ward's.
run_ward run -- sh -c 'exit 3'
expect_rc 3
run_json -- sh -c 'exit 3'
expect_rc 0
expect_status exit
expect_eq "exit: exit_code" "$(j .exit_code)" 3
expect_eq "exit: signal" "$(j .signal)" null
run_ward run -- sh -c 'exit 255'
expect_rc 255

# signal: 128+N. A process that signals itself, whatever its pid inside.
run_ward run --wall-time 5s -- sh -c 'kill -SEGV $$'
expect_eq "kill -SEGV self: exit code" "$RC" 139
run_json --wall-time 5s -- sh -c 'kill -SEGV $$'
expect_status signal
expect_eq "kill -SEGV self: signal" "$(j .signal)" 11
expect_eq "kill -SEGV self: exit_code" "$(j .exit_code)" null
run_ward run --wall-time 5s -- sh -c 'kill -TERM $$'
expect_eq "kill -TERM self: exit code" "$RC" 143
# A real fault, and a signal to a child that is not the first process.
run_json --wall-time 5s -- python3 -c 'import ctypes; ctypes.string_at(0)'
expect_status signal
expect_eq "NULL dereference: signal" "$(j .signal)" 11
run_ward run --wall-time 5s -- sh -c 'sh -c "kill -KILL \$\$"; exit $?'
expect_eq "child killed: shell reports 137" "$RC" 137

# timeout: wall time, 124.
run_ward run --wall-time 1s -- sleep 1000
expect_rc 124
run_json --wall-time 1s -- sleep 1000
expect_rc 0
expect_status timeout
expect_match "timeout: wall_ms about 1s" "$(j .wall_ms)" '^(9[0-9][0-9]|[1-4][0-9]{3})$'
expect_eq "timeout: limit event" \
  "$(j '[.events[] | select(.type == "limit") | .limit] | index("wall_time") != null')" true

# cpu_limit: CPU time, 124, well before the wall time.
run_ward run --cpu-time 1s --wall-time 20s -- python3 -c 'while True: pass'
expect_rc 124
run_json --cpu-time 1s --wall-time 20s -- python3 -c 'while True: pass'
expect_status cpu_limit
expect_match "cpu_limit: cpu_ms about 1s" "$(j .cpu_ms)" '^(9[0-9][0-9]|[1-4][0-9]{3})$'
expect_match "cpu_limit: ended before the wall time" "$(j .wall_ms)" '^[0-9]{1,4}$'
expect_eq "cpu_limit: limit event" \
  "$(j '[.events[] | select(.type == "limit") | .limit] | index("cpu_time") != null')" true
# Two processes spinning on two CPUs: the limit is the sandbox's total, and
# it holds closely (the usage is read when the rest of the budget could be
# spent on every CPU at once, and at least every 20 ms near the end).
run_json --cpu-time 1s --wall-time 20s -- sh -c 'yes >/dev/null & yes >/dev/null & wait'
expect_status cpu_limit
ms=$(j .cpu_ms)
if [[ $ms =~ ^[0-9]+$ ]] && [ "$ms" -ge 950 ] && [ "$ms" -le 1300 ]; then ok; else fail "two spinners, --cpu-time 1s: cpu_ms $ms"; fi
# Sleeping uses no CPU: the CPU limit does not end it.
run_ward run --cpu-time 1s --wall-time 10s -- sleep 2
expect_rc 0

# 126: found but not executable.
run_ward run -- /dev/null
expect_rc 126
run_ward run -- /etc
expect_rc 126
# 127: not found.
run_ward run -- nonexistent-cmd
expect_rc 127
expect_match "127: stderr names the command" "$ERR" "nonexistent-cmd"
run_ward run -- /nonexistent/path/prog
expect_rc 127
# The same codes from a shell inside are the program's own.
run_ward run -- sh -c 'nonexistent-cmd'
expect_rc 127

# --json: ward exits 0 whatever the program did.
run_json -- nonexistent-cmd
expect_rc 0
expect_match "127 with --json: status" "$(j .status)" '^(exit|error)$'

expect_no_cgroups
done_testing
