#!/bin/bash
# Attack: trace or read the memory of other processes. Inside the sandbox a
# sibling process is started; the probe seizes the sandbox's pid 1, the
# sibling, its own parent and a host process (by its host pid), reads
# pid 1's memory with process_vm_readv and opens /proc/1/mem for writing. Judged from
# outside: every attempt failed, the host process is alive and untraced;
# ptrace and process_vm_readv are recorded as denied system calls, since
# no capability stops a same-uid trace (only the filter does).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
probe_dir_ready
S=$(new_secret)
start_host_sleeper "$S"

run_sb --ro "$WARD_HELPERS:/probes" -- /bin/sh -c '
  sleep 30 & sib=$!
  /probes/try-syscall nop ptrace_traceme ptrace_seize:1 "ptrace_seize:$sib" ptrace_seize \
      "ptrace_seize:$1" process_vm_readv:1 "process_vm_readv:$sib" i386_ptrace_traceme
  # /proc/1/mem opened for writing (nothing is written) matters when pid 1
  # runs with less confinement than we do: its seccomp mode tells.
  /usr/bin/python3 -c "
import os
st = dict(l.split(\":\", 1) for l in open(\"/proc/1/status\") if \":\" in l)
print(\"pid1-seccomp\", st.get(\"Seccomp\", \"?\").strip())
try:
    os.open(\"/proc/1/mem\", os.O_RDWR); print(\"procmem OK\")
except OSError as e:
    print(\"procmem\", e.__class__.__name__)"
  kill $sib' sh "$HOST_PID"
PROBE=$SOUT
expect_document
grep -qx 'nop OK' <<<"$PROBE" || { fail "the probe did not run: ${SOUT:0:200} ${SERR:0:200}"; done_testing; }
for c in ptrace_traceme ptrace_seize:1 ptrace_seize "ptrace_seize:$HOST_PID" process_vm_readv:1 i386_ptrace_traceme; do
  expect_blocked "$c"
done
sib=$(awk '$1 ~ /^ptrace_seize:/ && $1 != "ptrace_seize:1" && $1 != "ptrace_seize:'"$HOST_PID"'" {print $1; exit}' <<<"$PROBE")
[ -n "$sib" ] && expect_blocked "$sib" || fail "no result for the sibling"
if grep -q '^procmem OK' <<<"$SOUT" && ! grep -q '^pid1-seccomp 2' <<<"$SOUT"; then
  fail "the sandbox can write the memory of its pid 1, which runs without the filter"
else
  ok
fi
expect_match "pid 1 was looked at" "$SOUT" 'pid1-seccomp'
expect_host_alive "$HOST_PID"
expect_denied_event ptrace
expect_denied_event process_vm_readv

done_testing
