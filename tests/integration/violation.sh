#!/bin/bash
# Denied syscalls: EPERM for the program, an event counted by name, and past
# --max-violations the run ends as `violation`.
source "$(dirname "$0")/../helpers/lib.sh"

# ptrace(PTRACE_CONT, 0) N times, harmless if it were allowed (ESRCH); prints
# the return value and errno of each distinct outcome.
ptrace_n() {
  cat <<PY
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
seen = set()
for _ in range($1):
    r = libc.syscall(101, 7, 0, 0, 0)
    seen.add((r, ctypes.get_errno()))
print(sorted(seen))
PY
}

# Two denied calls: the program sees EPERM and the run is otherwise normal.
run_json -- python3 -c "$(ptrace_n 2)"
expect_status ok
expect_eq "ptrace x2: EPERM" "$(j .stdout)" "[(-1, 1)]"
expect_eq "ptrace x2: event counted by name" \
  "$(j '[.events[]? | select(.type == "syscall_denied" and .syscall == "ptrace") | .count] | add')" 2

# Many past --max-violations: status violation, ward reports it.
run_json --max-violations 5 --wall-time 10s -- python3 -c "$(ptrace_n 200)"
expect_status violation
count=$(j '[.events[]? | select(.type == "syscall_denied" and .syscall == "ptrace") | .count] | add')
if [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -gt 5 ] && [ "$count" -le 200 ]; then ok; else
  fail "violation: ptrace count '$count', want more than 5"
fi
run_ward run --max-violations 5 --wall-time 10s -- python3 -c "$(ptrace_n 200)"
expect_ne "violation without --json: exit code" "$RC" 0
expect_ne "violation without --json: not 125" "$RC" 125

# At the limit it is still a normal run.
run_json --max-violations 5 -- python3 -c "$(ptrace_n 5)"
expect_status ok

# Other calls that must be denied inside, each seen as EPERM. The arguments
# would fail harmlessly with another errno were the call allowed.
run_json -- python3 -c '
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
out = []
for name, nr, args in [("mount", 165, (b"none", b"/nonexistent-ward-mnt", b"tmpfs", 0, None)),
                       ("unshare", 272, (0x10000000,)),
                       ("keyctl", 250, (0, 0, 0, 0, 0)),
                       ("bpf", 321, (0, 0, 0))]:
    r = libc.syscall(nr, *args)
    out.append("%s=%d/%d" % (name, r, ctypes.get_errno()))
print(" ".join(out))'
expect_eq "mount/unshare/keyctl/bpf denied" "$(j .stdout)" 'mount=-1/1 unshare=-1/1 keyctl=-1/1 bpf=-1/1'

expect_no_cgroups
done_testing
