#!/bin/bash
# Attack: change the host's clock (which breaks TLS, logs and schedulers
# for everything on the machine). The probe sets the realtime clock with
# clock_settime, settimeofday, adjtimex and clock_adjtime (each to the value
# it already has, so a broken ward changes nothing), and makes a time
# namespace; the sandbox also writes its timens offsets. Judged: every call
# fails.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
calls=(clock_settime settimeofday adjtimex clock_adjtime unshare_time)
run_probe -- "${calls[@]}"
for c in "${calls[@]}"; do expect_blocked "$c"; done

run_sb -- /bin/sh -c 'echo "monotonic 0 1" > /proc/self/timens_offsets 2>&1; echo "timens-rc $?"'
expect_document
expect_match "timens offsets" "$SOUT" 'timens-rc [1-9]'

done_testing
