#!/bin/bash
# Attack: see host processes through /proc. A host process with a marker in
# its command line runs during the test; the sandbox lists every pid it can
# see with its command line, and reads /proc/1/cmdline and the marked pid.
# Judged from outside: the marker never appears, the sandbox's pid 1 is not
# the host's init, and the sandbox sees only a handful of pids.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work

S=$(new_secret)
start_host_sleeper "$S"
host_init=$(tr '\0' ' ' </proc/1/cmdline)
host_count=$(ls -d /proc/[0-9]* | wc -l)

read -r -d '' CODE <<'PY'
import os, sys
host_pid = sys.argv[1]
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("count", len(pids))
for p in pids:
    try:
        with open(f"/proc/{p}/cmdline", "rb") as f:
            print("pid", p, f.read().replace(b"\0", b" ").decode(errors="replace"))
    except OSError as e:
        print("pid", p, e.__class__.__name__)
try:
    with open("/proc/1/cmdline", "rb") as f:
        print("init", f.read().replace(b"\0", b" ").decode(errors="replace"))
except OSError as e:
    print("init", e.__class__.__name__)
try:
    with open(f"/proc/{host_pid}/cmdline", "rb") as f:
        print("hostpid", f.read().replace(b"\0", b" ").decode(errors="replace"))
except OSError as e:
    print("hostpid", e.__class__.__name__)
print("self", os.getpid(), "ppid", os.getppid())
PY

run_sb -- /usr/bin/python3 -c "$CODE" "$HOST_PID"
expect_document
expect_match "the listing ran" "$SOUT" $'\n''self [0-9]+'
expect_no_secret "host process marker" "$S"
sb_init=$(sed -n 's/^init //p' <<<"$SOUT")
expect_ne "sandbox /proc/1/cmdline" "$sb_init" "$host_init"
expect_no_match "host init visible" "$SOUT" 'process_api|systemd|/sbin/init'
count=$(sed -n 's/^count //p' <<<"$SOUT")
if [ "${count:-999}" -le 8 ]; then ok; else fail "the sandbox sees $count pids (the host has $host_count)"; fi
expect_host_alive "$HOST_PID"

done_testing
