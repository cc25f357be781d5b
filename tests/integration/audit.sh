#!/bin/bash
# --audit FILE: one JSON line per run, appended, with a run id, a time, the
# policy digest and the SHA-256 of the code (for --lang) or of the argv.
source "$(dirname "$0")/../helpers/lib.sh"

log="$T_TMP/audit.jsonl"
code='print("audited")'

run_ward run --audit "$log" --lang python -c "$code"
expect_rc 0
expect_eq "program output unchanged" "$OUT" audited
expect_eq "one line after one run" "$(wc -l <"$log" 2>/dev/null)" 1
line=$(sed -n 1p "$log" 2>/dev/null)
expect_eq "line is a JSON object" "$(printf '%s' "$line" | jq -r type 2>/dev/null)" object

# keys FILTER: dotted paths of every scalar; strings: every string value.
keys() { printf '%s' "$1" | jq -r '[paths(scalars) | map(tostring) | join(".")] | .[]' 2>/dev/null; }
strings() { printf '%s' "$1" | jq -r '.. | strings' 2>/dev/null; }
val() { printf '%s' "$1" | jq -r "$2" 2>/dev/null; }

k=$(keys "$line")
idkey=$(printf '%s\n' "$k" | grep -E '(^|\.)(run_?id|id)$' | head -1)
expect_ne "a run id key" "$idkey" ""
id1=$(val "$line" ".${idkey//./.}")
expect_match "run id is not empty" "$id1" '^[^ ]{4,}$'
timekey=$(printf '%s\n' "$k" | grep -E '(^|\.)(time|timestamp|ts|started_at|start|started)$' | head -1)
expect_ne "a time key" "$timekey" ""
t=$(val "$line" ".${timekey}")
now=$(date +%s)
if [[ "$t" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
  t=${t%%.*}
  [ ${#t} -ge 13 ] && t=$((t / 1000)) # milliseconds
  if [ $((now - t)) -ge -5 ] && [ $((now - t)) -le 60 ]; then ok; else fail "audit time $t is not now ($now)"; fi
else
  ts=$(date -d "$t" +%s 2>/dev/null)
  if [ -n "$ts" ] && [ $((now - ts)) -ge -5 ] && [ $((now - ts)) -le 60 ]; then ok; else fail "audit time '$t' is not now"; fi
fi
pdkey=$(printf '%s\n' "$k" | grep -E 'policy' | grep -Ei 'digest|sha|hash' | head -1)
[ -n "$pdkey" ] || pdkey=$(printf '%s\n' "$k" | grep -E '(^|\.)policy$' | head -1)
expect_match "policy digest" "$(val "$line" ".$pdkey")" '^(sha256:)?[0-9a-f]{64}$'
code_sha=$(printf '%s' "$code" | sha256sum | cut -d' ' -f1)
expect_match "sha256 of the code recorded" "$(strings "$line")" "(^|:|
)$code_sha(
|$)"
expect_match "status recorded" "$line" '"ok"'

# A second run appends, with another id and (same policy) the same digest.
export FOO_SECRET=leak-$$
run_ward run --audit "$log" -- sh -c 'exit 3'
expect_rc 3
expect_eq "two lines after two runs" "$(wc -l <"$log" 2>/dev/null)" 2
line2=$(sed -n 2p "$log")
expect_eq "second line is JSON" "$(printf '%s' "$line2" | jq -r type 2>/dev/null)" object
id2=$(val "$line2" ".${idkey}")
expect_ne "run ids differ" "$id2" "$id1"
expect_eq "same policy, same digest" "$(val "$line2" ".$pdkey")" "$(val "$line" ".$pdkey")"
expect_match "argv digest is a sha256" "$(strings "$line2")" '(^|:|
)[0-9a-f]{64}(
|$)'
expect_no_match "caller environment not in the audit" "$line2" "leak-$$"
expect_match "exit recorded" "$line2" '"exit"'

# The argv digest follows the argv: the same command hashes the same, another
# one differently (values other than the policy digest and the run id).
argv_digests() { strings "$1" | grep -xE '(sha256:)?[0-9a-f]{64}' | grep -vxF "$(val "$1" ".$pdkey")" | sort | tr '\n' ' '; }
log2="$T_TMP/audit2.jsonl"
run_ward run --audit "$log2" -- echo a b
run_ward run --audit "$log2" -- echo a b
run_ward run --audit "$log2" -- echo "a b"
d1=$(argv_digests "$(sed -n 1p "$log2")")
d2=$(argv_digests "$(sed -n 2p "$log2")")
d3=$(argv_digests "$(sed -n 3p "$log2")")
expect_ne "argv digest present" "$d1" ""
expect_eq "same argv, same digest" "$d2" "$d1"
expect_ne "'a b' as one argument hashes differently" "$d3" "$d1"

# A different policy gives a different digest.
run_ward run --audit "$log" --memory 128M -- true
line3=$(sed -n 3p "$log")
expect_ne "other policy, other digest" "$(val "$line3" ".$pdkey")" "$(val "$line" ".$pdkey")"

# The same code from a file and from stdin hashes the same.
printf '%s' "$code" >"$T_TMP/prog.py"
run_ward run --audit "$log" --lang python "$T_TMP/prog.py"
expect_match "code from FILE: same sha256" "$(strings "$(sed -n 4p "$log")")" "$code_sha"
T_STDIN="$T_TMP/prog.py" run_ward run --audit "$log" --lang python -
expect_match "code from stdin: same sha256" "$(strings "$(sed -n 5p "$log")")" "$code_sha"

# Timeout and limits are audited too, and every line stays one line.
run_ward run --audit "$log" --wall-time 500ms -- sleep 5
expect_rc 124
expect_match "timeout recorded" "$(sed -n 6p "$log")" '"timeout"'
expect_eq "all lines JSON" "$(jq -c . <"$log" 2>/dev/null | wc -l)" 6

# An invalid request is refused before anything is written... or logged as
# such; either way the file stays valid JSON lines.
run_ward run --audit "$log" --memory 12Q -- true
expect_rc 125
expect_eq "still valid JSON lines" "$(jq -c . <"$log" 2>/dev/null | wc -l)" "$(wc -l <"$log" 2>/dev/null)"

# An audit file that cannot be written is a ward error, not a silent run.
run_ward run --audit /nonexistent-dir/audit.jsonl -- true
expect_rc 125

expect_no_cgroups
done_testing
