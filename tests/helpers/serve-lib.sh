# ward serve for the tests/integration/serve_*.sh tests: start, stop,
# requests, leftovers. Sourced after lib.sh.
need curl
need python3
CLIENT=$(cd "$(dirname "$0")/../helpers" && pwd)/serve-client.py
[ -f "$CLIENT" ] || skip "$CLIENT is missing"
client() { python3 "$CLIENT" "$@"; }
SPID='' TPID='' SERVE_N=0 ERR='' OUT=''
# What the host holds before: the leftover checks compare against it.
client snapshot "$T_TMP/before.json" || skip "serve-client.py snapshot failed"
serve_cleanup() {
  if [ -n "$SPID" ] && alive "$SPID"; then
    kill -TERM "$SPID" 2>/dev/null
    for _ in $(seq 300); do alive "$SPID" || break; sleep 0.1; done
    kill -KILL "$SPID" 2>/dev/null
  fi
  if [ -n "$TPID" ]; then
    kill "$TPID" 2>/dev/null
    wait "$TPID" 2>/dev/null
  fi
  rm -rf "$T_TMP"
}
trap serve_cleanup EXIT
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# serve_start ARGS...: `ward serve --listen 127.0.0.1:PORT ARGS...` in the
# background, on a free port, until /healthz answers (at most 15 s). Sets
# SPID, PORT, U and SERR (the file of its stderr); every process below it
# is recorded (serve-client.py track) for the leftover check.
serve_start() {
  SERVE_N=$((SERVE_N + 1))
  PORT=$(client port)
  U=http://127.0.0.1:$PORT
  SERR=$T_TMP/serve.$SERVE_N.err
  "$WARD" serve --listen "127.0.0.1:$PORT" "$@" </dev/null >"$T_TMP/serve.$SERVE_N.out" 2>"$SERR" &
  SPID=$!
  client track "$SPID" "$T_TMP/tracked" &
  TPID=$!
  for _ in $(seq 150); do
    if curl -s -o /dev/null -m 2 "$U/healthz"; then
      # the API as this server documents it (the checks read it)
      [ -s "$T_TMP/openapi.json" ] || curl -s -m 10 -o "$T_TMP/openapi.json" "$U/v1/openapi.json"
      return 0
    fi
    alive "$SPID" || break
    sleep 0.1
  done
  fail "ward serve $* did not answer /healthz: $(cat "$SERR")"
  done_testing
}

# serve_stop [SIGNAL]: sends SIGNAL (TERM) to the server and waits for it
# (serve_wait).
# shellcheck disable=SC2120 # not every test sends another signal
serve_stop() {
  local t0
  t0=$(date +%s%N)
  kill -"${1:-TERM}" "$SPID" 2>/dev/null
  serve_wait "$t0" "SIG${1:-TERM}"
}
# serve_wait T0 WHAT: waits for the server to exit, at most 30 s. Sets
# SERVE_RC (its exit status) and STOP_MS (since T0, in date +%s%N).
serve_wait() {
  for _ in $(seq 300); do alive "$SPID" || break; sleep 0.1; done
  if alive "$SPID"; then
    fail "ward serve did not stop within 30 s of $2"
    kill -KILL "$SPID" 2>/dev/null
  fi
  wait "$SPID"
  SERVE_RC=$?
  # shellcheck disable=SC2034 # not every test looks at it
  STOP_MS=$((($(date +%s%N) - $1) / 1000000))
  wait "$TPID" 2>/dev/null
  SPID='' TPID=''
}

# expect_no_leftovers WHEN: no process the server started (or any ward-*
# process no live ward owns), no new ward-* cgroup, mount or file. What is
# found is reported, then killed or removed.
expect_no_leftovers() {
  local left=
  for _ in $(seq 30); do
    left=$(client leftovers "$T_TMP/before.json" "$T_TMP/tracked") && break
    sleep 0.1
  done
  [ -n "$left" ] && left=$(client leftovers "$T_TMP/before.json" "$T_TMP/tracked" --clean)
  if [ -z "$left" ]; then ok; else fail "left behind $1: $(printf '%s; ' "$left" | tr '\n' ';')"; fi
}

# req METHOD PATH [CURL ARGS...]: CODE, OUT (the body), HDRS (the headers).
req() {
  local m=$1 p=$2
  shift 2
  CODE=$(curl -s -m 60 -o "$T_TMP/body" -D "$T_TMP/hdrs" -w '%{http_code}' -X "$m" "$@" "$U$p")
  OUT=$(cat "$T_TMP/body")
  HDRS=$(tr -d '\r' <"$T_TMP/hdrs")
  ERR="HTTP $CODE ${OUT:0:300}"
}
# post PATH JSON [CURL ARGS...]
post() {
  local p=$1 b=$2
  shift 2
  req POST "$p" -H 'Content-Type: application/json' --data-binary "$b" "$@"
}
# slow_run [CURL ARGS...]: a run of `sleep 2` in the background, given
# 0.7 s to start; its curl's pid in SLOW, its answer in $T_TMP/slow.json.
slow_run() {
  curl -s -m 30 -o "$T_TMP/slow.json" "$@" -H 'Content-Type: application/json' --data-binary '{"argv": ["sleep", "2"]}' "$U/v1/runs" &
  SLOW=$!
  sleep 0.7
}
header() { printf '%s\n' "$HDRS" | sed -n "s/^$1: //Ip" | tail -1; }
jf() { jq -r "$2" "$1" 2>/dev/null; } # jf FILE FILTER
metric() { curl -s -m 10 "$U/metrics" ${TOKEN:+-H "Authorization: Bearer $TOKEN"} | awk -v m="$1" '$1 == m {print $2}'; }

# expect_error WHAT STATUS FIELD: the last answer is an error document,
# {"error": {"code", "message", "field"}} and nothing else, with that status
# and field ("null": none; "limits.memory" also matches the documented
# "body.limits.memory"). Its code is kept for expect_documented_codes.
expect_error() {
  local what=$1 st=$2 field=$3 got
  expect_eq "$what: HTTP status" "$CODE" "$st"
  expect_eq "$what: error document" "$(j '[(keys | join(",")), (.error | keys | join(","))] | join(";")')" "error;code,field,message"
  got=$(j .error.field)
  if [ "$field" = null ]; then
    expect_eq "$what: error.field" "$got" null
  elif [ "$got" = "$field" ] || [ "$got" = "body.$field" ]; then
    ok
  else
    fail "$what: error.field is '$got', want '$field' ($ERR)"
  fi
  expect_match "$what: error.message is one line" "$(j .error.message)" '^[^[:cntrl:]]+$'
  expect_eq "$what: Content-Type" "$(header Content-Type)" application/json
  printf '%s %s %s\n' "$CODE" "$(j .error.code)" "$what" >>"$T_TMP/codes"
}
# spec FILTER: jq on the OpenAPI document the server serves.
spec() { jq -r "$1" "$T_TMP/openapi.json" 2>/dev/null; }
# Every error answer's code must be one openapi.json's Error.code names.
expect_documented_codes() {
  local known bad
  known=$(spec '.components.schemas.Error.properties.error.properties.code.description' | grep -o '`[a-z_]*`' | tr -d '`' | sort -u | paste -sd'|' -)
  bad=$(grep -vE "^[0-9]+ ($known) " "$T_TMP/codes" 2>/dev/null | awk '{print $1 ":" $2}' | sort -u | paste -sd' ' -)
  expect_eq "error codes that openapi.json's Error.code does not list" "$bad" ""
}
expect_healthy() {
  local code
  code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$U/healthz")
  expect_eq "$1: /healthz" "$code" 200
}
