#!/bin/bash
# Attack: flood ward's output pipes (stdout and stderr at once) to exhaust
# the supervisor's memory. Judged from outside: with --output 64K the run
# ends as output_limit within seconds, each captured stream holds at most
# 64K, and ward's own peak resident memory stays small.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

[ -x "$HOST_PY" ] || skip "needs python3 on the host"
sandbox_must_work --output 64K

read -r -d '' MEASURE <<'PY'
import resource, subprocess, sys, time
t = time.time()
with open(sys.argv[1], "wb") as out, open(sys.argv[2], "wb") as err:
    rc = subprocess.call(sys.argv[3:], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
print(rc, int((time.time() - t) * 1000), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
read -r RC ms rss < <("$HOST_PY" -c "$MEASURE" "$T_TMP/out" "$T_TMP/err" "$WARD" run --json --output 64K --wall-time 20s -- \
  /bin/sh -c 'yes AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA >&2 & yes BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB')
OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err")
SOUT=$(j_stdout); SERR=$(j_stderr)
expect_document
expect_eq "status" "$(j .status)" output_limit
# Whichever stream reaches the cap first ends the run.
expect_match "a stream is marked truncated" "$(j '[.stdout_truncated, .stderr_truncated] | any')" '^true$'
if [ "${#SOUT}" -le 65536 ]; then ok; else fail "stdout holds ${#SOUT} bytes with a 64K cap"; fi
if [ "${#SERR}" -le 65536 ]; then ok; else fail "stderr holds ${#SERR} bytes with a 64K cap"; fi
if [ "$ms" -le 10000 ]; then ok; else fail "the flood took $ms ms to stop"; fi
if [ "$rss" -le 65536 ]; then ok; else fail "ward's peak RSS was $rss KiB"; fi

done_testing
