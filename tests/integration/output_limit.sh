#!/bin/bash
# --output caps each stream. stop (the default): the run ends as
# output_limit. truncate: the rest is dropped, the program finishes, and
# *_truncated says so.
source "$(dirname "$0")/../helpers/lib.sh"

limit_event() { j "[.events[]? | select(.type == \"limit\") | .limit] | index(\"$1\") != null"; }
len() { j "$1 | length"; }

# stop: `yes` never ends on its own.
run_json --output 1K --wall-time 10s -- yes
expect_status output_limit
expect_eq "stop: stdout_truncated" "$(j .stdout_truncated)" true
expect_eq "stop: stderr_truncated" "$(j .stderr_truncated)" false
expect_eq "stop: limit event" "$(limit_event output)" true
n=$(len .stdout)
if [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -le 1024 ] && [ "$n" -ge 512 ]; then ok; else
  fail "stop: $n bytes of stdout under --output 1K"
fi
expect_match "stop: stdout is what yes wrote" "$(j .stdout)" '^(y
)+y?$'
expect_match "stop: ended early" "$(j .wall_ms)" '^[0-9]{1,4}$'

# The same on stderr.
run_json --output 1K --wall-time 10s -- sh -c 'yes >&2'
expect_status output_limit
expect_eq "stop on stderr: stderr_truncated" "$(j .stderr_truncated)" true
expect_eq "stop on stderr: stdout_truncated" "$(j .stdout_truncated)" false

# Without --json: at most 1K reaches ward's stdout, and the exit is not 0.
"$WARD" run --output 1K --wall-time 10s -- yes </dev/null >"$T_TMP/yes.out" 2>"$T_TMP/yes.err"
RC=$?
expect_ne "stop without --json: exit code" "$RC" 0
expect_ne "stop without --json: not a ward error" "$RC" 125
n=$(stat -c %s "$T_TMP/yes.out")
if [ "$n" -le 1024 ]; then ok; else fail "stop without --json: $n bytes on stdout"; fi

# truncate: the program runs to its end.
run_json --output 1K --output-mode truncate -- python3 -c '
import sys
sys.stdout.write("a" * 100000)
sys.stdout.flush()
sys.stderr.write("done")'
expect_status ok
expect_eq "truncate: stdout_truncated" "$(j .stdout_truncated)" true
expect_eq "truncate: stdout length" "$(len .stdout)" 1024
expect_eq "truncate: stderr kept" "$(j .stderr)" "done"
expect_eq "truncate: stderr_truncated" "$(j .stderr_truncated)" false

run_json --output 1K --output-mode truncate -- sh -c 'head -c 5000 /dev/zero | tr "\0" b; exit 3'
expect_status exit
expect_eq "truncate with exit 3: exit_code" "$(j .exit_code)" 3
expect_eq "truncate with exit 3: stdout_truncated" "$(j .stdout_truncated)" true

"$WARD" run --output 1K --output-mode truncate -- sh -c 'head -c 5000 /dev/zero | tr "\0" b; exit 3' \
  </dev/null >"$T_TMP/t.out" 2>"$T_TMP/t.err"
RC=$?
expect_rc 3
expect_eq "truncate without --json: bytes on stdout" "$(stat -c %s "$T_TMP/t.out")" 1024

# Under the cap nothing is truncated.
run_json --output 1K -- sh -c 'head -c 1000 /dev/zero | tr "\0" c'
expect_status ok
expect_eq "under the cap: stdout_truncated" "$(j .stdout_truncated)" false
expect_eq "under the cap: length" "$(len .stdout)" 1000

expect_no_cgroups
done_testing
