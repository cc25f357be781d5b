#!/bin/bash
# ward serve's one-shot runs over HTTP (POST /v1/runs), driven through the
# real binary: python, node, bash, sh and argv give the document `ward run
# --json` gives, field for field (keys, status, exit_code, signal, output,
# protections, cgroup, events); exit codes, a signal and a wall-time limit;
# stdin; files (utf-8 and base64) the code sees; ndjson streaming (output as
# it comes, the result last); /healthz, /metrics (Prometheus text, counters
# that count), /v1/openapi.json. Everything runs twice: with a warm pool
# (--pool 1, runs taken by sandboxes already waiting) and without one
# (--pool 0): both paths must answer alike. Nothing may be left behind.
source "$(dirname "$0")/../helpers/lib.sh"
need node
source "$(dirname "$0")/../helpers/serve-lib.sh"

# The server's environment must not reach a sandbox.
export WARD_SERVE_TEST_SECRET=leak-$$-$RANDOM
CLI=$T_TMP/cli
mkdir -p "$CLI"

# wait_warm: until the pool holds N warm sandboxes (ward_pool_warm), at
# most 15 s; with --pool 0 it returns at once.
wait_warm() {
  [ "$POOL" -eq 0 ] && return 0
  for _ in $(seq 150); do
    # the gauge counts sandboxes still starting: a moment more for them
    [ "$(metric ward_pool_warm)" = 3 ] && sleep 1 && return 0
    sleep 0.1
  done
  fail "[$MODE] the warm pool did not refill to 3 within 15 s"
}

# The fields compared between `ward run --json` and the API, and between
# the warm and cold paths. wall_ms, cpu_ms and memory_peak_bytes vary.
PROJ='{keys: (keys | join(",")), status, exit_code, signal, stdout, stdout_encoding, stdout_truncated,
  stderr, stderr_encoding, stderr_truncated, protections, cgroup, events}'

# case NAME WARM BODY -- WARD-RUN-ARGS...: POST /v1/runs BODY (on the warm
# path when WARM is 1 and the pool is on); the document is kept as
# api.MODE.NAME. With the pool on, `ward run --json ARGS` (stdin: the
# body's "stdin") gives the document it must equal; with the pool off, the
# warm answer is what it must equal.
case_run() {
  local name=$1 warm=$2 body=$3 hits0 hits1
  shift 4
  # A warm case is tried again (at most twice) when no warm sandbox was
  # ready yet: on a busy host one may take a while to start.
  for _ in 1 2 3; do
    [ "$warm" = 1 ] && wait_warm
    hits0=$(metric ward_pool_hits_total)
    post /v1/runs "$body"
    hits1=$(metric ward_pool_hits_total)
    [ "$POOL" -gt 0 ] && [ "$warm" = 1 ] && [ "$((hits1 - hits0))" = 0 ] || break
    sleep 2
  done
  expect_eq "[$MODE] $name: HTTP status" "$CODE" 200
  expect_eq "[$MODE] $name: Content-Type" "$(header Content-Type)" application/json
  printf '%s' "$OUT" >"$T_TMP/api.$MODE.$name"
  if [ "$POOL" -gt 0 ] && [ "$warm" = 1 ]; then
    expect_eq "[$MODE] $name: served by a warm sandbox (ward_pool_hits_total)" "$((hits1 - hits0))" 1
  else
    expect_eq "[$MODE] $name: no warm sandbox used" "$((hits1 - hits0))" 0
  fi
  local want
  if [ "$MODE" = warm ]; then
    printf '%s' "$body" | jq -j '.stdin // ""' >"$T_TMP/stdin"
    "$WARD" run --json "$@" <"$T_TMP/stdin" >"$CLI/$name" 2>"$T_TMP/cli.err"
    want=$CLI/$name
  else
    want=$T_TMP/api.warm.$name
  fi
  local a b
  a=$(jq -S "$PROJ" "$T_TMP/api.$MODE.$name" 2>&1)
  b=$(jq -S "$PROJ" "$want" 2>&1)
  if [ "$a" == "$b" ]; then
    ok
  else
    fail "[$MODE] $name: the API's document differs from $([ "$MODE" = warm ] && echo "ward run --json's" || echo "the warm path's"): $(diff <(echo "$b") <(echo "$a") | grep '^[<>]' | head -8 | tr '\n' ' ')"
  fi
  OUT=$(cat "$T_TMP/api.$MODE.$name")
}

PY_OK='import sys
print("py", 6 * 7)
print("warn", file=sys.stderr)'
NODE_OK='console.log("node", 6 * 7); console.error("warn")'
SH_OK='echo sh $((6 * 7)); echo warn >&2'
BIN='import sys; sys.stdout.buffer.write(bytes(range(256)))'
FILES='[{"path": "data/a.txt", "content": "héllo\n"}, {"path": "b.bin", "content": "AAEC/w==", "encoding": "base64"}]'

for MODE in warm cold; do
  if [ "$MODE" = warm ]; then POOL=1; else POOL=0; fi
  serve_start --pool "$POOL"

  # ---- each language, and argv ----
  case_run py 1 "$(jq -cn --arg c "$PY_OK" '{language: "python", code: $c}')" -- --lang python -c "$PY_OK"
  expect_eq "[$MODE] python: status" "$(j .status)" ok
  expect_eq "[$MODE] python: stdout" "$(j .stdout)" "py 42"
  expect_eq "[$MODE] python: stderr" "$(j .stderr)" "warn"
  expect_eq "[$MODE] python: exit_code" "$(j .exit_code)" 0
  expect_eq "[$MODE] python: 15 protections" "$(j '.protections | length')" 15
  expect_eq "[$MODE] python: cgroup" "$(j .cgroup)" v1
  case_run node 1 "$(jq -cn --arg c "$NODE_OK" '{language: "node", code: $c}')" -- --lang node -c "$NODE_OK"
  expect_eq "[$MODE] node: stdout" "$(j .stdout)" "node 42"
  expect_eq "[$MODE] node: stderr" "$(j .stderr)" "warn"
  case_run bash 1 "$(jq -cn --arg c "$SH_OK" '{language: "bash", code: $c}')" -- --lang bash -c "$SH_OK"
  expect_eq "[$MODE] bash: stdout" "$(j .stdout)" "sh 42"
  case_run sh 0 "$(jq -cn --arg c "$SH_OK" '{language: "sh", code: $c}')" -- --lang sh -c "$SH_OK"
  expect_eq "[$MODE] sh: stdout" "$(j .stdout)" "sh 42"
  expect_eq "[$MODE] sh: status" "$(j .status)" ok
  case_run argv 0 '{"argv": ["sh", "-c", "echo argv \"$1\"; exit 7", "x", "arg one"]}' -- sh -c 'echo argv "$1"; exit 7' x "arg one"
  expect_eq "[$MODE] argv: stdout" "$(j .stdout)" "argv arg one"
  expect_eq "[$MODE] argv: status" "$(j .status)" exit
  expect_eq "[$MODE] argv: exit_code" "$(j .exit_code)" 7

  # ---- exit codes, a signal ----
  case_run py_exit 1 '{"language": "python", "code": "import sys; sys.exit(3)"}' -- --lang python -c 'import sys; sys.exit(3)'
  expect_eq "[$MODE] python sys.exit(3): status, exit_code" "$(j '"\(.status) \(.exit_code)"')" "exit 3"
  case_run node_exit 1 '{"language": "node", "code": "process.exitCode = 4"}' -- --lang node -c 'process.exitCode = 4'
  expect_eq "[$MODE] node exitCode 4: status, exit_code" "$(j '"\(.status) \(.exit_code)"')" "exit 4"
  # A script's own exit listeners run, print and set the status before
  # the answer is made (as an atexit handler does in Python).
  EXITL='process.on("exit", (c) => { console.log("bye", c); process.exitCode = 9 }); process.exitCode = 4'
  case_run node_exit_listener 1 "$(jq -cn --arg c "$EXITL" '{language: "node", code: $c}')" -- --lang node -c "$EXITL"
  expect_eq "[$MODE] node exit listener: stdout, status, exit_code" "$(j '"\(.stdout)\(.status) \(.exit_code)"')" "bye 4
exit 9"
  EXITL='import atexit; atexit.register(lambda: print("bye"))'
  case_run py_atexit 1 "$(jq -cn --arg c "$EXITL" '{language: "python", code: $c}')" -- --lang python -c "$EXITL"
  expect_eq "[$MODE] python atexit: stdout" "$(j .stdout)" "bye"
  case_run bash_exit 1 '{"language": "bash", "code": "exit 5"}' -- --lang bash -c 'exit 5'
  expect_eq "[$MODE] bash exit 5: status, exit_code" "$(j '"\(.status) \(.exit_code)"')" "exit 5"
  case_run sh_exit 0 '{"language": "sh", "code": "exit 6"}' -- --lang sh -c 'exit 6'
  expect_eq "[$MODE] sh exit 6: status, exit_code" "$(j '"\(.status) \(.exit_code)"')" "exit 6"
  case_run py_signal 1 '{"language": "python", "code": "import os; os.kill(os.getpid(), 9)"}' -- --lang python -c 'import os; os.kill(os.getpid(), 9)'
  expect_eq "[$MODE] SIGKILL: status, exit_code, signal" "$(j '"\(.status) \(.exit_code) \(.signal)"')" "signal null 9"

  # ---- a wall-time limit ----
  case_run py_timeout 1 '{"language": "python", "code": "while True: pass", "limits": {"wall_time": "1s"}}' -- --wall-time 1s --lang python -c 'while True: pass'
  expect_eq "[$MODE] python past its wall time: status" "$(j .status)" timeout
  expect_eq "[$MODE] python past its wall time: limit event" "$(j '[.events[] | select(.type == "limit") | .limit] | join(",")')" wall_time
  expect_eq "[$MODE] python past its wall time: wall_ms near 1000" "$(j '.wall_ms >= 900 and .wall_ms < 5000')" true
  case_run argv_timeout 0 '{"argv": ["sleep", "30"], "limits": {"wall_time": "1s"}}' -- --wall-time 1s sleep 30
  expect_eq "[$MODE] sleep past its wall time: status" "$(j .status)" timeout

  # ---- stdin ----
  case_run py_stdin 0 '{"language": "python", "code": "import sys; print(sys.stdin.read().upper())", "stdin": "hello\n"}' -- --lang python -c 'import sys; print(sys.stdin.read().upper())'
  expect_eq "[$MODE] python stdin: stdout" "$(j .stdout)" "HELLO"
  case_run argv_stdin 0 '{"argv": ["cat"], "stdin": "abc\n\u00e9"}' -- cat
  expect_eq "[$MODE] cat stdin: stdout" "$(j .stdout)" "$(printf 'abc\n\303\251')"
  # stdin as text: a NUL in a JSON string is refused, with the reason
  # (openapi.json RunRequest.stdin); binary input comes base64-encoded.
  post /v1/runs "{\"argv\": [\"od\", \"-An\", \"-tx1\"], \"stdin\": \"$(printf 'a\000b\377' | base64)\", \"stdin_encoding\": \"base64\"}"
  expect_eq "[$MODE] binary stdin, base64: HTTP status" "$CODE" 200
  expect_eq "[$MODE] binary stdin, base64: the bytes the program read" "$(j .stdout | tr -s ' ' | sed 's/^ //')" "61 00 62 ff"
  post /v1/runs '{"argv": ["cat"], "stdin": "not base64!", "stdin_encoding": "base64"}'
  expect_error "[$MODE] stdin that is not base64" 400 stdin
  post /v1/runs '{"argv": ["cat"], "stdin": "x", "stdin_encoding": "utf-16"}'
  expect_error "[$MODE] an unknown stdin_encoding" 400 stdin_encoding
  post /v1/runs '{"argv": ["cat"], "stdin_encoding": "base64"}'
  expect_error "[$MODE] stdin_encoding without stdin" 400 stdin_encoding
  post /v1/runs '{"argv": ["od", "-An", "-tx1"], "stdin": "a\u0000b"}'
  expect_eq "[$MODE] stdin with a NUL byte: HTTP status" "$CODE" 400
  expect_eq "[$MODE] stdin with a NUL byte: error code" "$(j .error.code)" invalid_json

  # ---- binary output ----
  case_run py_binary 1 "$(jq -cn --arg c "$BIN" '{language: "python", code: $c}')" -- --lang python -c "$BIN"
  expect_eq "[$MODE] binary stdout: encoding" "$(j .stdout_encoding)" base64
  expect_eq "[$MODE] binary stdout: bytes" "$(j .stdout | base64 -d | sha256sum | cut -c1-64)" "$(python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' | sha256sum | cut -c1-64)"

  # ---- files, utf-8 and base64, for each language with a driver ----
  for lang in python node bash; do
    case $lang in
      python) code='print(open("data/a.txt").read().strip(), open("b.bin", "rb").read().hex())' ;;
      node) code='const fs = require("fs"); console.log(fs.readFileSync("data/a.txt", "utf8").trim(), fs.readFileSync("b.bin").toString("hex"))' ;;
      bash) code='echo "$(cat data/a.txt)" "$(od -An -tx1 b.bin | tr -d " \n")"' ;;
    esac
    wait_warm
    post /v1/runs "$(jq -cn --arg l $lang --arg c "$code" --argjson f "$FILES" '{language: $l, code: $c, files: $f}')"
    expect_eq "[$MODE] $lang files: HTTP status" "$CODE" 200
    expect_eq "[$MODE] $lang files: the code reads them" "$(j .stdout)" "héllo 000102ff"
  done

  # ---- the environment: the server's is not passed; env is ----
  wait_warm
  post /v1/runs '{"language": "python", "code": "import os; print(os.environ.get(\"WARD_SERVE_TEST_SECRET\"))"}'
  expect_eq "[$MODE] the server's environment is not in the sandbox" "$(j .stdout)" None
  post /v1/runs '{"argv": ["sh", "-c", "echo ${WARD_SERVE_TEST_SECRET:-none} $FOO"], "env": {"FOO": "bar"}}'
  expect_eq "[$MODE] env given, the server's not" "$(j .stdout)" "none bar"

  # ---- a sandbox serves one run only: nothing of one run in the next ----
  wait_warm
  post /v1/runs '{"language": "python", "code": "open(\"/tmp/mark\", \"w\").write(\"1\"); open(\"mark\", \"w\").write(\"1\")"}'
  wait_warm
  post /v1/runs '{"language": "python", "code": "import os; print(os.path.exists(\"/tmp/mark\"), os.path.exists(\"mark\"))"}'
  expect_eq "[$MODE] the next run sees nothing of the last" "$(j .stdout)" "False False"

  # ---- ndjson: the output as it comes, then the result as the last line ----
  wait_warm
  client stream "$U/v1/runs" '{"language": "python", "code": "import time\nprint(\"one\", flush=True)\ntime.sleep(0.8)\nprint(\"two\")"}' \
    >"$T_TMP/ndjson" 2>"$T_TMP/ndjson.err"
  expect_eq "[$MODE] ndjson: status" "$(sed -n 's/^status //p' "$T_TMP/ndjson.err")" 200
  expect_eq "[$MODE] ndjson: Content-Type" "$(sed -n 's/^content-type //p' "$T_TMP/ndjson.err")" application/x-ndjson
  cut -f2- "$T_TMP/ndjson" >"$T_TMP/lines"
  expect_eq "[$MODE] ndjson: every line is a JSON object" "$(jq -s 'map(type == "object") | all' "$T_TMP/lines" 2>/dev/null)" true
  n=$(wc -l <"$T_TMP/lines")
  expect_eq "[$MODE] ndjson: stdout chunks before the last line" "$(head -n $((n - 1)) "$T_TMP/lines" | jq -s 'length > 0 and (map(.type == "stdout") | all)')" true
  expect_eq "[$MODE] ndjson: the chunks make the output" "$(head -n $((n - 1)) "$T_TMP/lines" | jq -sj 'map(.text // .data) | join("")')" "$(printf 'one\ntwo\n')"
  tail -1 "$T_TMP/lines" >"$T_TMP/last"
  expect_eq "[$MODE] ndjson: the last line is the result" "$(jf "$T_TMP/last" '"\(.status) \(.exit_code) \(.stdout | @json) \(.protections | length)"')" 'ok 0 "one\ntwo\n" 15'
  t_first=$(head -1 "$T_TMP/ndjson" | cut -f1)
  t_last=$(tail -1 "$T_TMP/ndjson" | cut -f1)
  expect_eq "[$MODE] ndjson: the first chunk came while the code ran (${t_first} ms, result at ${t_last} ms)" "$((t_last - t_first >= 500))" 1
  # Each chunk is a StreamEvent as openapi.json has it: its keys, its types.
  expect_eq "[$MODE] ndjson: chunks are StreamEvents (openapi.json)" \
    "$(head -n $((n - 1)) "$T_TMP/lines" | jq -sr --slurpfile s "$T_TMP/openapi.json" '$s[0].components.schemas.StreamEvent.properties as $p |
      [.[] | keys[] | select($p[.] == null)] + [.[] | .type | select(($p.type.enum // [.]) | index(.) | not)] | unique | join(",")')" ""
  client stream "$U/v1/runs" '{"argv": ["sh", "-c", "echo a; sleep 0.8; echo b >&2"]}' >"$T_TMP/ndjson" 2>/dev/null
  cut -f2- "$T_TMP/ndjson" >"$T_TMP/lines"
  expect_eq "[$MODE] ndjson argv: chunk types" "$(jq -sc 'map(.type // "result")' "$T_TMP/lines")" '["stdout","stderr","result"]'
  expect_eq "[$MODE] ndjson argv: result" "$(tail -1 "$T_TMP/lines" | jq -c '[.status, .stdout, .stderr]')" '["ok","a\n","b\n"]'
  # Bytes that are not UTF-8, and a character cut between two chunks.
  client stream "$U/v1/runs" '{"argv": ["sh", "-c", "printf \"a\\377b\\303\"; sleep 0.5; printf \"\\251\\n\""]}' >"$T_TMP/ndjson" 2>/dev/null
  cut -f2- "$T_TMP/ndjson" >"$T_TMP/lines"
  n=$(wc -l <"$T_TMP/lines")
  head -n $((n - 1)) "$T_TMP/lines" | while read -r l; do
    if [ "$(jq -r '.encoding // "utf-8"' <<<"$l")" = base64 ]; then jq -j .data <<<"$l" | base64 -d; else jq -j .data <<<"$l"; fi
  done >"$T_TMP/chunks.bin"
  expect_eq "[$MODE] ndjson binary: the chunks, decoded, are the bytes" "$(od -An -tx1 "$T_TMP/chunks.bin" | tr -d ' \n')" 61ff62c3a90a
  expect_eq "[$MODE] ndjson binary: the result's stdout" "$(tail -1 "$T_TMP/lines" | jq -r .stdout | base64 -d | od -An -tx1 | tr -d ' \n')" 61ff62c3a90a
  expect_eq "[$MODE] ndjson binary: chunks are StreamEvents (openapi.json documents every key)" \
    "$(head -n $((n - 1)) "$T_TMP/lines" | jq -sr --slurpfile s "$T_TMP/openapi.json" '$s[0].components.schemas.StreamEvent.properties as $p | [.[] | keys[] | select($p[.] == null)] | unique | join(",")')" ""
  post /v1/runs '{"argv": ["echo", "x"]}'
  expect_eq "[$MODE] without Accept: ndjson, one document" "$(j .stdout)" x

  # ---- /healthz, /metrics, /v1/openapi.json ----
  req GET /healthz
  expect_eq "[$MODE] /healthz" "$CODE $(printf '%s' "$OUT" | jq -c .)" '200 {"status":"ok"}'
  expect_eq "[$MODE] /healthz: Content-Type" "$(header Content-Type)" application/json
  req HEAD /healthz -I
  expect_eq "[$MODE] HEAD /healthz" "$CODE" 200
  req GET /metrics
  expect_eq "[$MODE] /metrics: status" "$CODE" 200
  expect_eq "[$MODE] /metrics: Content-Type" "$(header Content-Type)" "text/plain; version=0.0.4"
  printf '%s\n' "$OUT" >"$T_TMP/metrics"
  bad=$(grep -vE '^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+]?([0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf)( [0-9]+)?)$' "$T_TMP/metrics" | head -3)
  expect_eq "[$MODE] /metrics: every line is Prometheus text" "$bad" ""
  for m in $(grep -vE '^#' "$T_TMP/metrics" | sed 's/[{ ].*//' | sort -u); do
    grep -q "^# TYPE $m \(counter\|gauge\|histogram\|summary\|untyped\)$" "$T_TMP/metrics" || fail "[$MODE] /metrics: $m has no # TYPE"
    grep -q "^# HELP $m " "$T_TMP/metrics" || fail "[$MODE] /metrics: $m has no # HELP"
  done
  ok
  for m in ward_runs_total ward_sessions ward_pool_hits_total ward_requests_total; do
    expect_match "[$MODE] /metrics: $m" "$(metric $m)" '^[0-9]+$'
  done
  before=$(metric ward_runs_total)
  for _ in 1 2 3; do post /v1/runs '{"argv": ["true"]}'; done
  expect_eq "[$MODE] ward_runs_total counts runs" "$(($(metric ward_runs_total) - before))" 3
  if [ "$POOL" -eq 0 ]; then
    expect_eq "[$MODE] --pool 0: ward_pool_hits_total" "$(metric ward_pool_hits_total)" 0
    expect_eq "[$MODE] --pool 0: ward_pool_warm" "$(metric ward_pool_warm)" 0
  fi
  req GET /v1/openapi.json
  expect_eq "[$MODE] openapi: status" "$CODE" 200
  expect_eq "[$MODE] openapi: valid JSON" "$(printf '%s' "$OUT" | jq -e type 2>/dev/null)" '"object"'
  expect_match "[$MODE] openapi: version" "$(j .openapi)" '^3\.1\.'
  expect_eq "[$MODE] openapi: paths" "$(j '.paths | has("/v1/runs") and has("/v1/sessions/{id}/cells")')" true
  printf '%s' "$OUT" >"$T_TMP/openapi.json"
  expect_eq "[$MODE] a run's document has every field RunResult requires" \
    "$(jq -r --slurpfile s "$T_TMP/openapi.json" '[$s[0].components.schemas.RunResult.required[] as $k | select(has($k) | not) | $k] | join(",")' "$T_TMP/api.$MODE.py")" ""
  expect_eq "[$MODE] protections are those the spec lists" \
    "$(jq -r --slurpfile s "$T_TMP/openapi.json" '[.protections[] as $p | select($s[0].components.schemas.RunResult.properties.protections.items.enum | index($p) | not) | $p] | join(",")' "$T_TMP/api.$MODE.py")" ""

  # ---- what openapi.json promises a run request may carry ----
  # RunRequest.network: "Absent or empty: loopback only."
  post /v1/runs '{"language": "python", "code": "print(1)", "network": {"allow": []}}'
  expect_eq "[$MODE] RunRequest.network (documented) is taken: HTTP status" "$CODE" 200
  # Files need a language with a driver (openapi.json RunRequest.files).
  post /v1/runs '{"argv": ["cat", "a.txt"], "files": [{"path": "a.txt", "content": "x"}]}'
  expect_eq "[$MODE] files with argv: HTTP status" "$CODE" 400
  expect_eq "[$MODE] files with argv: the field named" "$(j .error.field)" files
  post /v1/runs '{"language": "bash", "code": "cat a.txt", "files": [{"path": "a.txt", "content": "x"}]}'
  expect_eq "[$MODE] files with bash: HTTP status" "$CODE" 200
  expect_eq "[$MODE] files with bash: the code reads them" "$(j .stdout)" x
  post /v1/runs '{"language": "python", "code": "print(1)", "network": {"allow": ["example.com:443"]}}'
  expect_eq "[$MODE] network beyond the tier: HTTP status" "$CODE" 403
  expect_eq "[$MODE] network beyond the tier: the field named" "$(j .error.field)" "network.allow[0]"

  expect_healthy "[$MODE] after all that"
  serve_stop
  expect_eq "[$MODE] exit status after SIGTERM" "$SERVE_RC" 0
  expect_eq "[$MODE] stderr after SIGTERM: no error" "$(grep -ciE 'error|broke|fail' "$SERR")" 0
  expect_no_leftovers "by the --pool $POOL server"
done

done_testing
