#!/bin/bash
# Attack: exhaust the host's memory, first with anonymous memory, then with
# tmpfs pages (files in /dev/shm, which a memory limit that counts only
# anonymous memory would miss). Both are bounded at 2G so a broken ward
# fails the test without starving the host. Judged from outside: the first
# run ends as memory_limit with a memory_limit event and a peak near the
# 64M limit, the program never held much more than the limit, and the
# second run's writes stop at the limit one way or another (ENOSPC or
# memory_limit) with the same bound on the peak.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work --memory 64M
LIMIT=$((64 << 20))
SLACK=$((16 << 20))

read -r -d '' CODE <<'PY'
import sys
hold = []
for i in range(256):
    hold.append(b"x" * (8 << 20))   # written, so really resident
    print("held", (i + 1) * 8, "MiB", flush=True)
print("done")
PY
run_sb --memory 64M --wall-time 30s -- /usr/bin/python3 -c "$CODE"
expect_document
expect_eq "anonymous bomb: status" "$(j .status)" memory_limit
expect_match "limit event" "$(j '[.events[]? | select(.type == "limit") | .limit] | join(" ")')" 'memory'
held=$(grep '^held ' <<<"$SOUT" | tail -1 | awk '{print $2}')
if [ -n "$held" ] && [ $((held << 20)) -le $((LIMIT + SLACK)) ]; then ok; else fail "the program held ${held:-?} MiB with a 64M limit"; fi
peak=$(j .memory_peak_bytes)
if [[ "$peak" =~ ^[0-9]+$ ]] && [ "$peak" -gt 0 ] && [ "$peak" -le $((LIMIT + SLACK)) ]; then ok; else fail "memory_peak_bytes $peak with a 64M limit"; fi

read -r -d '' CODE2 <<'PY'
import errno
written = 0
try:
    with open("/dev/shm/fill", "wb", buffering=0) as f:
        while written < (2 << 30):
            written += f.write(b"y" * (4 << 20))
            print("written", written >> 20, "MiB", flush=True)
    print("stopped none")
except OSError as e:
    print("stopped", errno.errorcode.get(e.errno))
PY
run_sb --memory 64M --disk 1G --wall-time 30s -- /usr/bin/python3 -c "$CODE2"
expect_document
status=$(j .status)
written=$(grep '^written ' <<<"$SOUT" | tail -1 | awk '{print $2}')
case "$status" in
  memory_limit) ok ;;
  ok) expect_match "tmpfs bomb stopped by an error" "$SOUT" 'stopped (ENOSPC|ENOMEM|EDQUOT|EFBIG)' ;;
  *) fail "tmpfs bomb: unexpected status $status" ;;
esac
if [ -n "$written" ] && [ $((written << 20)) -le $((LIMIT + SLACK)) ]; then ok; else fail "tmpfs bomb wrote ${written:-?} MiB with a 64M memory limit"; fi
peak=$(j .memory_peak_bytes)
if [[ "$peak" =~ ^[0-9]+$ ]] && [ "$peak" -le $((LIMIT + SLACK)) ]; then ok; else fail "tmpfs bomb: memory_peak_bytes $peak"; fi

done_testing
