#!/bin/bash
# Tenants of ward serve, through the real binary: a config with tenants
# (tokens stored as their SHA-256) and a tier; one tenant can neither see,
# use nor end another's sessions (404, as for a session that does not
# exist); the tier caps every request and every sandbox, warm or cold; the
# sessions, runs-at-once and runs-per-minute quotas answer 429 with a
# Retry-After a client can follow; SIGHUP reloads the config (a new token
# works, a lower tier applies to what runs next, a broken config keeps the
# old one and the server up). The config ward-serve(1) shows must load.
source "$(dirname "$0")/../helpers/lib.sh"
source "$(dirname "$0")/../helpers/serve-lib.sh"

SRC=${WARD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
sha() { printf %s "$1" | sha256sum | cut -c1-64; }
TA=tok-a-$$-$RANDOM TB=tok-b-$$-$RANDOM TC=tok-c-$$-$RANDOM TD=tok-d-$$-$RANDOM
A=(-H "Authorization: Bearer $TA")
B=(-H "Authorization: Bearer $TB")
C=(-H "Authorization: Bearer $TC")
D=(-H "Authorization: Bearer $TD")
TOKEN=$TA

# ---- the config as ward-serve(1) shows it ----
if [ -f "$SRC/docs/man/ward-serve.1" ]; then
  sed -n '/^{"tier"/,/^\.EE/p' "$SRC/docs/man/ward-serve.1" | grep -v '^\.' |
    sed "s/<sha256 of the token, lowercase hex>/$(sha "$TA")/" >"$T_TMP/man.json"
  P=$(client port)
  timeout -k 1 10 "$WARD" serve --listen 127.0.0.1:$P --config "$T_TMP/man.json" --pool 0 </dev/null >/dev/null 2>"$T_TMP/man.err" &
  man=$!
  code=000
  for _ in $(seq 50); do
    code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/v1/sessions" "${A[@]}") && [ "$code" = 200 ] && break
    alive "$man" || break
    sleep 0.1
  done
  expect_eq "the config in ward-serve(1) loads and serves ($(head -c 200 "$T_TMP/man.err"))" "$code" 200
  kill -TERM "$man" 2>/dev/null
  wait "$man" 2>/dev/null
fi

write_config() { # TIER-MEMORY TENANTS-JSON
  cat >"$T_TMP/config.json.new" <<JSON
{"tier": {"version": 1, "name": "standard", "limits": {"memory": "$1", "wall_time": "20s", "cpu_time": "10s", "pids": 32}},
 "tenants": $2}
JSON
  mv "$T_TMP/config.json.new" "$T_TMP/config.json"
}
write_config 256M "[{\"name\": \"a\", \"token_sha256\": \"$(sha "$TA")\", \"admin\": true, \"quotas\": {\"sessions\": 3}},
  {\"name\": \"b\", \"token_sha256\": \"$(sha "$TB")\", \"quotas\": {\"sessions\": 1, \"runs\": 1}},
  {\"name\": \"c\", \"token_sha256\": \"$(sha "$TC")\", \"quotas\": {\"runs_per_minute\": 3}}]"
serve_start --pool 1 --config "$T_TMP/config.json"

# wait_pool: the warm sandboxes are there (the gauge counts those still
# starting: a moment more for them).
wait_pool() {
  for _ in $(seq 150); do
    [ "$(metric ward_pool_warm)" = 3 ] && sleep 1 && return 0
    sleep 0.1
  done
}

# ---- tenants do not see each other ----
req GET /v1/sessions "${A[@]}"
expect_eq "tenant a: no sessions yet" "$CODE $(j '.sessions | length')" "200 0"
post /v1/sessions '{"language": "python"}' "${A[@]}"
expect_eq "tenant a: a session" "$CODE" 201
SA=$(j .id)
req PUT "/v1/sessions/$SA/files/secret.txt" --data-binary 'a-secret' "${A[@]}"
expect_eq "tenant a: a file" "$CODE" 201
req GET /v1/sessions "${B[@]}"
expect_eq "tenant b does not list a's session" "$CODE $(j '.sessions | length')" "200 0"
for what in "GET session" "cell" "list files" "GET file" "PUT file" "DELETE file" "DELETE session"; do
  case $what in
    "GET session") req GET "/v1/sessions/$SA" "${B[@]}" ;;
    cell) post "/v1/sessions/$SA/cells" '{"code": "open(\"secret.txt\", \"w\").write(\"b was here\")"}' "${B[@]}" ;;
    "list files") req GET "/v1/sessions/$SA/files" "${B[@]}" ;;
    "GET file") req GET "/v1/sessions/$SA/files/secret.txt" "${B[@]}" ;;
    "PUT file") req PUT "/v1/sessions/$SA/files/secret.txt" --data-binary 'b was here' "${B[@]}" ;;
    "DELETE file") req DELETE "/v1/sessions/$SA/files/secret.txt" "${B[@]}" ;;
    "DELETE session") req DELETE "/v1/sessions/$SA" "${B[@]}" ;;
  esac
  expect_error "tenant b: $what on a's session" 404 session
  expect_no_match "tenant b: $what: nothing of a's" "$OUT" 'a-secret'
done
req GET "/v1/sessions/$SA/files/secret.txt" "${A[@]}"
expect_eq "a's file is as a left it" "$CODE $OUT" "200 a-secret"
post "/v1/sessions/$SA/cells" '{"code": "6 * 7"}' "${A[@]}"
expect_eq "a's session still works" "$(j '.results[0]["text/plain"]')" 42
req GET /v1/sessions "${A[@]}"
expect_eq "tenant a lists its session" "$(j "[.sessions[].id] == [\"$SA\"]")" true

# ---- the tier by its name ----
req GET "/v1/sessions/$SA" "${A[@]}"
expect_eq "a session's tier is the config's tier, by name" "$(j .tier)" standard
post /v1/sessions '{"language": "bash", "tier": "standard"}' "${A[@]}"
expect_eq "a session asking for the tier by name" "$CODE $(j .tier)" "201 standard"
req DELETE "/v1/sessions/$(j .id)" "${A[@]}"
post /v1/sessions '{"language": "bash", "tier": "gold"}' "${A[@]}"
expect_error "a session asking for another tier" 403 tier

# ---- the tier caps requests, and every sandbox, warm or cold ----
post /v1/runs '{"argv": ["true"], "limits": {"memory": "512M"}}' "${A[@]}"
expect_error "a run above the tier's memory" 403 limits.memory
post /v1/sessions '{"language": "python", "limits": {"pids": 64}}' "${A[@]}"
expect_error "a session above the tier's pids" 403 limits.pids
ALLOC='x = bytearray(200 << 20); print(len(x))'
post /v1/runs "$(jq -cn --arg c "$ALLOC" '{argv: ["python3", "-c", $c]}')" "${A[@]}"
expect_eq "tier 256M: a cold run may use 200M" "$(j .status)" ok
ALLOC='x = bytearray(300 << 20); print(len(x))'
post /v1/runs "$(jq -cn --arg c "$ALLOC" '{argv: ["python3", "-c", $c]}')" "${A[@]}"
expect_eq "tier 256M: a cold run may not use 300M" "$(j .status)" memory_limit
wait_pool
hits=$(metric ward_pool_hits_total)
post /v1/runs "$(jq -cn --arg c "$ALLOC" '{language: "python", code: $c}')" "${A[@]}"
expect_eq "tier 256M: a warm run may not use 300M" "$(j .status)" memory_limit
expect_eq "tier 256M: that run was warm" "$(($(metric ward_pool_hits_total) - hits))" 1

# ---- quotas ----
# sessions: b may hold 1
post /v1/sessions '{"language": "bash"}' "${B[@]}"
expect_eq "tenant b: its one session" "$CODE" 201
SB=$(j .id)
post /v1/sessions '{"language": "bash"}' "${B[@]}"
expect_error "tenant b: a second session" 429 null
expect_match "tenant b: a second session: Retry-After" "$(header Retry-After)" '^[1-9][0-9]*$'
req DELETE "/v1/sessions/$SB" "${B[@]}"
for _ in $(seq 50); do
  post /v1/sessions '{"language": "bash"}' "${B[@]}"
  [ "$CODE" = 429 ] || break
  sleep 0.1
done
expect_eq "tenant b: a session again once the first is ended" "$CODE" 201
SB=$(j .id)
# runs at once: b may run 1
slow_run "${B[@]}"
post /v1/runs '{"argv": ["true"]}' "${B[@]}"
expect_error "tenant b: a second run at once" 429 null
expect_match "tenant b: a second run at once: Retry-After" "$(header Retry-After)" '^[1-9][0-9]*$'
post /v1/runs '{"argv": ["true"]}' "${A[@]}"
expect_eq "tenant a runs meanwhile" "$CODE $(j .status)" "200 ok"
wait "$SLOW"
expect_eq "tenant b: the first run ended well" "$(jf "$T_TMP/slow.json" .status)" ok
post /v1/runs '{"argv": ["true"]}' "${B[@]}"
expect_eq "tenant b: a run once the first is done" "$CODE" 200
# runs per minute: c may start 3. Requests refused for their input are
# not runs and use none of them.
for _ in 1 2 3 4; do
  post /v1/runs '{"language": "cobol", "code": "x"}' "${C[@]}"
  expect_eq "tenant c: a refused run" "$CODE" 400
done
for i in 1 2 3; do
  post /v1/runs '{"argv": ["true"]}' "${C[@]}"
  expect_eq "tenant c: run $i of 3 per minute" "$CODE" 200
done
post /v1/runs '{"argv": ["true"]}' "${C[@]}"
expect_error "tenant c: a 4th run in the minute" 429 null
ra=$(header Retry-After)
expect_match "tenant c: Retry-After" "$ra" '^[1-9][0-9]*$'
# A client that waits as long as it was told is served (or was told to
# wait for the rest of the minute).
if [[ "$ra" =~ ^[0-9]+$ ]] && [ "$ra" -le 10 ]; then
  sleep "$ra"
  post /v1/runs '{"argv": ["true"]}' "${C[@]}"
  expect_eq "tenant c: after waiting Retry-After ($ra s) the run is served" "$CODE" 200
else
  ok
fi
expect_documented_codes

# ---- SIGHUP: a new config ----
write_config 128M "[{\"name\": \"a\", \"token_sha256\": \"$(sha "$TA")\", \"admin\": true, \"quotas\": {\"sessions\": 3}},
  {\"name\": \"d\", \"token_sha256\": \"$(sha "$TD")\"}]"
req GET /v1/sessions "${D[@]}"
expect_eq "tenant d before the reload" "$CODE" 401
kill -HUP "$SPID"
for _ in $(seq 50); do grep -q 'reloaded' "$SERR" && break; sleep 0.1; done
expect_match "SIGHUP: reported" "$(cat "$SERR")" 'config reloaded'
req GET /v1/sessions "${D[@]}"
expect_eq "tenant d after the reload" "$CODE $(j '.sessions | length')" "200 0"
req GET /v1/sessions "${B[@]}"
expect_error "tenant b, gone from the config" 401 null
req GET "/v1/sessions/$SA/files/secret.txt" "${A[@]}"
expect_eq "a's session lives through the reload" "$CODE $OUT" "200 a-secret"
# The tier is now 128M: for what runs next, warm or cold.
ALLOC='x = bytearray(200 << 20); print(len(x))'
post /v1/runs "$(jq -cn --arg c "$ALLOC" '{argv: ["python3", "-c", $c]}')" "${A[@]}"
expect_eq "tier lowered to 128M: a cold run may not use 200M" "$(j .status)" memory_limit
post /v1/runs '{"argv": ["true"], "limits": {"memory": "256M"}}' "${A[@]}"
expect_error "tier lowered to 128M: 256M is refused" 403 limits.memory
wait_pool
post /v1/runs "$(jq -cn --arg c "$ALLOC" '{language: "python", code: $c}')" "${A[@]}"
expect_eq "tier lowered to 128M: a warm run may not use 200M" "$(j .status)" memory_limit
post /v1/sessions '{"language": "python"}' "${A[@]}"
SN=$(j .id)
post "/v1/sessions/$SN/cells" "$(jq -cn --arg c "$ALLOC" '{code: $c}')" "${A[@]}"
expect_eq "tier lowered to 128M: a new session may not use 200M" "$(j .status)" memory_limit
wait_pool
hits=$(metric ward_pool_hits_total)
for i in 1 2; do
  post /v1/runs "$(jq -cn --arg c "$ALLOC" '{language: "python", code: $c}')" "${A[@]}"
  expect_eq "tier lowered to 128M: warm run $i (pool refilled since the reload) may not use 200M" "$(j .status)" memory_limit
  wait_pool
done
expect_eq "tier lowered to 128M: those runs were warm" "$(($(metric ward_pool_hits_total) - hits))" 2

# ---- SIGHUP with a broken config: the old one stays ----
echo '{"tenants": [' >"$T_TMP/config.json"
kill -HUP "$SPID"
for _ in $(seq 50); do grep -q 'old config stays\|reload:' "$SERR" && break; sleep 0.1; done
expect_match "SIGHUP with a broken config: reported" "$(cat "$SERR")" 'reload.*config\.json'
expect_healthy "after a broken reload"
req GET /v1/sessions "${D[@]}"
expect_eq "after a broken reload: d's token still works" "$CODE" 200
req GET /v1/sessions "${B[@]}"
expect_eq "after a broken reload: b's still does not" "$CODE" 401
post "/v1/sessions/$SA/cells" '{"code": "1 + 1"}' "${A[@]}"
expect_eq "after a broken reload: a's session works" "$(j '.results[0]["text/plain"]')" 2
expect_eq "the server is still the same process" "$(alive "$SPID" && echo yes)" yes

serve_stop
expect_eq "exit status after SIGTERM" "$SERVE_RC" 0
expect_no_leftovers "by the server"

# ---- the server's own capacity: 503 with Retry-After ----
# (two tenants whose quotas are the server's: the server is full before
# the second tenant's quota is reached)
write_config 256M "[{\"name\": \"a\", \"token_sha256\": \"$(sha "$TA")\", \"quotas\": {\"sessions\": 1, \"runs\": 1}},
  {\"name\": \"b\", \"token_sha256\": \"$(sha "$TB")\", \"quotas\": {\"sessions\": 1, \"runs\": 1}}]"
serve_start --pool 0 --max-sessions 1 --max-runs 1 --config "$T_TMP/config.json"
post /v1/sessions '{"language": "bash"}' "${A[@]}"
expect_eq "--max-sessions 1: one session" "$CODE" 201
post /v1/sessions '{"language": "bash"}' "${B[@]}"
expect_error "--max-sessions 1: a second session" 503 null
expect_match "--max-sessions 1: Retry-After" "$(header Retry-After)" '^[1-9][0-9]*$'
slow_run "${A[@]}"
post /v1/runs '{"argv": ["true"]}' "${B[@]}"
expect_error "--max-runs 1: a second run at once" 503 null
expect_match "--max-runs 1: Retry-After" "$(header Retry-After)" '^[1-9][0-9]*$'
wait "$SLOW"
expect_eq "--max-runs 1: the first run ended well" "$(jf "$T_TMP/slow.json" .status)" ok
post /v1/runs '{"argv": ["true"]}' "${A[@]}"
expect_eq "--max-runs 1: a run once the first is done" "$CODE" 200
expect_documented_codes
serve_stop
expect_eq "exit status after SIGTERM" "$SERVE_RC" 0
expect_no_leftovers "by the server with capacity 1"
done_testing
