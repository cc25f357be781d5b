#!/bin/bash
# --audit FILE: one JSON line per run, appended, with a run id, a time, the
# policy digest and the SHA-256 of the code (for --lang) or of the argv.
#
# The record's keys are pinned exactly, so that adding or dropping one
# fails here (and is a decision, made with the readers of the log):
# - ward run: the result document of `ward run --json` (status, exit_code,
#   signal, wall_ms, cpu_ms, memory_peak_bytes, stdout, stdout_encoding,
#   stdout_truncated, stderr, stderr_encoding, stderr_truncated,
#   protections, cgroup, events; network with a network allowlist), then
#   run_id, time, policy_sha256 and code_sha256 (--lang) or argv_sha256.
#   Each event is {type, limit|syscall|detail, count}; network is {mode,
#   connections, connections_dropped, bytes_out, bytes_in}.
# - ward serve --audit: a run's record as ward run's, plus kind ("run") and
#   tenant; a cell's is the cell's answer (status, wall_ms, cpu_ms, the
#   outputs, events, results and displays named by their MIME types only,
#   error, execution_count, files_changed, session_restarted) plus kind
#   ("cell"), tenant and session, run_id, time, policy_sha256, code_sha256.
source "$(dirname "$0")/../helpers/lib.sh"

# expect_keys WHAT JSON FILTER KEY...: the object FILTER selects in JSON
# has exactly these keys, no more, no fewer.
expect_keys() {
  local what=$1 json=$2 filter=$3 got want
  shift 3
  got=$(printf '%s' "$json" | jq -r "$filter | keys | join(\" \")" 2>/dev/null)
  want=$(printf '%s\n' "$@" | LC_ALL=C sort | tr '\n' ' ')
  expect_eq "$what: keys" "$got" "${want% }"
}
RESULT_KEYS="status exit_code signal wall_ms cpu_ms memory_peak_bytes stdout stdout_encoding stdout_truncated
  stderr stderr_encoding stderr_truncated protections cgroup events"
AUDIT_KEYS="run_id time policy_sha256"

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

# The keys, exactly (see the top of this file).
# shellcheck disable=SC2086 # the key lists are split on purpose
expect_keys "--lang record" "$line" . $RESULT_KEYS $AUDIT_KEYS code_sha256
# shellcheck disable=SC2086
expect_keys "argv record" "$line2" . $RESULT_KEYS $AUDIT_KEYS argv_sha256
line6=$(sed -n 6p "$log")
# shellcheck disable=SC2086
expect_keys "timeout record" "$line6" . $RESULT_KEYS $AUDIT_KEYS argv_sha256
expect_keys "a limit event" "$line6" '.events[0]' type limit count
expect_eq "the event is the wall-time limit" "$(val "$line6" '.events[0].type + " " + .events[0].limit')" "limit wall_time"
log3="$T_TMP/audit3.jsonl"
run_ward run --audit "$log3" --net allow=example.com -- true
expect_rc 0
line7=$(sed -n 1p "$log3")
# shellcheck disable=SC2086
expect_keys "network allowlist record" "$line7" . $RESULT_KEYS network $AUDIT_KEYS argv_sha256
expect_keys "network in the record" "$line7" .network mode connections connections_dropped bytes_out bytes_in
expect_eq "network mode recorded" "$(val "$line7" .network.mode)" allowlist

# An invalid request is refused before anything is written... or logged as
# such; either way the file stays valid JSON lines.
run_ward run --audit "$log" --memory 12Q -- true
expect_rc 125
expect_eq "still valid JSON lines" "$(jq -c . <"$log" 2>/dev/null | wc -l)" "$(wc -l <"$log" 2>/dev/null)"

# An audit file that cannot be written is a ward error, not a silent run.
run_ward run --audit /nonexistent-dir/audit.jsonl -- true
expect_rc 125

# ward serve --audit: one line per run and per cell, with who asked.
if command -v curl >/dev/null && command -v python3 >/dev/null; then
  source "$(dirname "$0")/../helpers/serve-lib.sh"
  slog="$T_TMP/serve-audit.jsonl"
  serve_start --audit "$slog"
  post /v1/runs "{\"language\": \"python\", \"code\": $(jq -n --arg c "$code" '$c')}"
  expect_eq "serve run: HTTP status" "$CODE" 200
  post /v1/runs '{"argv": ["sh", "-c", "exit 3"]}'
  expect_eq "serve argv run: HTTP status" "$CODE" 200
  post /v1/sessions '{"language": "python"}'
  expect_eq "session: HTTP status" "$CODE" 201
  sid=$(j .id)
  post "/v1/sessions/$sid/cells" '{"code": "1 + 1"}'
  expect_eq "cell: HTTP status" "$CODE" 200
  serve_stop
  expect_eq "serve: three lines" "$(wc -l <"$slog" 2>/dev/null)" 3
  s1=$(sed -n 1p "$slog") s2=$(sed -n 2p "$slog") s3=$(sed -n 3p "$slog")
  # shellcheck disable=SC2086
  expect_keys "serve run record" "$s1" . $RESULT_KEYS kind tenant $AUDIT_KEYS code_sha256
  expect_eq "serve run: kind, tenant" "$(val "$s1" '.kind + " " + .tenant')" "run local"
  expect_eq "serve run: the code's sha256" "$(val "$s1" .code_sha256)" "$code_sha"
  # shellcheck disable=SC2086
  expect_keys "serve argv record" "$s2" . $RESULT_KEYS kind tenant $AUDIT_KEYS argv_sha256
  expect_eq "serve argv run: status" "$(val "$s2" '.status + " " + (.exit_code | tostring)')" "exit 3"
  # shellcheck disable=SC2086
  expect_keys "serve cell record" "$s3" . status wall_ms cpu_ms cpu_since_last_ms stdout stdout_encoding stdout_truncated stderr \
    stderr_encoding stderr_truncated events results displays error execution_count files_changed \
    session_restarted kind tenant session $AUDIT_KEYS code_sha256
  expect_eq "serve cell: kind, tenant, session" "$(val "$s3" '.kind + " " + .tenant + " " + .session')" \
    "cell local $sid"
  expect_eq "serve cell: results named by MIME type only" "$(val "$s3" '.results | tojson')" '[["text/plain"]]'
  expect_eq "serve cell: the code's sha256" "$(val "$s3" .code_sha256)" \
    "$(printf '%s' '1 + 1' | sha256sum | cut -d' ' -f1)"
  expect_no_leftovers "after ward serve --audit"
else
  echo "audit: no curl or python3: ward serve --audit not checked" >&2
fi

expect_no_cgroups
done_testing
