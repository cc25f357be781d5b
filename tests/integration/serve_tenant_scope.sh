#!/bin/bash
# What one tenant of ward serve may take and see, through the real binary:
# a tenant's default quotas are a share of the server's (a quarter of
# --max-sessions and --max-runs), so one tenant cannot take every slot;
# an explicit quota may go up to the server's and no further;
# runs_per_minute counts cells and new sessions as well as runs. A reload
# ends what a tenant that is gone started: its sessions do not come back to
# a tenant of the same name with another token, to its token under another
# name, or to the same tenant added back later. /metrics shows an admin
# tenant the whole server's counters and any other tenant its own only.
source "$(dirname "$0")/../helpers/lib.sh"
source "$(dirname "$0")/../helpers/serve-lib.sh"

sha() { printf %s "$1" | sha256sum | cut -c1-64; }
TA=tok-a-$$-$RANDOM TB=tok-b-$$-$RANDOM TC=tok-c-$$-$RANDOM TB2=tok-b2-$$-$RANDOM TE=tok-e-$$-$RANDOM
A=(-H "Authorization: Bearer $TA")
B=(-H "Authorization: Bearer $TB")
C=(-H "Authorization: Bearer $TC")
B2=(-H "Authorization: Bearer $TB2")
E=(-H "Authorization: Bearer $TE")
export TOKEN=$TA # metric (serve-lib.sh) asks as the admin

write_config() { # TENANTS-JSON
  cat >"$T_TMP/config.json.new" <<JSON
{"tier": {"version": 1, "limits": {"memory": "256M", "wall_time": "20s", "cpu_time": "10s", "pids": 32}},
 "tenants": $1}
JSON
  mv "$T_TMP/config.json.new" "$T_TMP/config.json"
}
ta() { echo "{\"name\": \"a\", \"token_sha256\": \"$(sha "$TA")\", \"admin\": true}"; }
tb() { echo "{\"name\": \"b\", \"token_sha256\": \"$(sha "$TB")\"}"; }
tc() { echo "{\"name\": \"c\", \"token_sha256\": \"$(sha "$TC")\", \"quotas\": {\"runs_per_minute\": 3}}"; }
te() { echo "{\"name\": \"e\", \"token_sha256\": \"$(sha "$TE")\"}"; }
# reload: SIGHUP, until the server says it reloaded (or did not) once more.
reload() {
  local n
  n=$(grep -c 'reload' "$SERR")
  kill -HUP "$SPID"
  for _ in $(seq 50); do [ "$(grep -c 'reload' "$SERR")" -gt "$n" ] && break; sleep 0.1; done
}
sessions_gauge() { # TOKEN: ward_sessions as that tenant sees it
  curl -s -m 10 "$U/metrics" -H "Authorization: Bearer $1" | awk '$1 == "ward_sessions" {print $2}'
}

write_config "[$(ta), $(tb), $(tc), $(te)]"
serve_start --pool 0 --max-sessions 8 --max-runs 4 --config "$T_TMP/config.json"

# ---- runs_per_minute counts new sessions and cells too ----
post /v1/sessions '{"language": "bash"}' "${C[@]}"
expect_eq "tenant c (3 a minute): a session, the 1st" "$CODE" 201
SC=$(j .id)
for i in 2 3; do
  post "/v1/sessions/$SC/cells" '{"code": "true"}' "${C[@]}"
  expect_eq "tenant c: a cell, the ${i}th" "$CODE" 200
done
post "/v1/sessions/$SC/cells" '{"code": "true"}' "${C[@]}"
expect_error "tenant c: a 4th cell in the minute" 429 null
expect_match "tenant c: a 4th cell: Retry-After" "$(header Retry-After)" '^[1-9][0-9]*$'
post /v1/sessions '{"language": "bash"}' "${C[@]}"
expect_error "tenant c: a session past the minute's quota" 429 null
post /v1/runs '{"argv": ["true"]}' "${C[@]}"
expect_error "tenant c: a run past the minute's quota" 429 null

# ---- a tenant's default share: a quarter of the server's ----
n=0
for _ in $(seq 8); do
  post /v1/sessions '{"language": "bash"}' "${B[@]}"
  [ "$CODE" = 201 ] || break
  n=$((n + 1))
  SB=$(j .id)
done
expect_eq "tenant b, no quotas: sessions of --max-sessions 8 (a quarter)" "$n" 2
expect_error "tenant b: a session past its share" 429 null
post /v1/sessions '{"language": "bash"}' "${A[@]}"
expect_eq "tenant a still gets a session" "$CODE" 201
SA=$(j .id)
slow_run "${B[@]}"
post /v1/runs '{"argv": ["true"]}' "${B[@]}"
expect_error "tenant b, no quotas: a second run at once of --max-runs 4 (a quarter)" 429 null
post /v1/runs '{"argv": ["true"]}' "${A[@]}"
expect_eq "tenant a runs meanwhile" "$CODE $(j .status)" "200 ok"
wait "$SLOW"

# ---- /metrics: the admin sees the server, another tenant itself ----
post /v1/runs '{"argv": ["true"]}' "${A[@]}"
req GET /metrics "${B[@]}"
expect_eq "tenant b: /metrics" "$CODE" 200
printf '%s\n' "$OUT" >"$T_TMP/metrics.b"
mb() { awk -v m="$1" '$1 == m {print $2}' "$T_TMP/metrics.b"; }
expect_eq "tenant b: its own runs (ward_runs_total)" "$(mb ward_runs_total)" 1
expect_eq "tenant b: its own sessions (ward_sessions)" "$(mb ward_sessions)" 2
expect_eq "tenant b: its own sessions created (ward_sessions_total)" "$(mb ward_sessions_total)" 2
expect_eq "tenant b: its own cells (ward_cells_total)" "$(mb ward_cells_total)" 0
expect_eq "tenant b: nothing of the pool" "$(grep -c '^ward_pool' "$T_TMP/metrics.b")" 0
expect_eq "tenant a, admin: the server's runs" "$(metric ward_runs_total)" 3
expect_eq "tenant a, admin: the server's sessions" "$(metric ward_sessions)" 4
expect_eq "tenant a, admin: the server's cells" "$(metric ward_cells_total)" 2
expect_match "tenant a, admin: the pool" "$(metric ward_pool_warm)" '^[0-9]+$'

# ---- an explicit quota: up to the server's, no further ----
write_config "[$(ta), {\"name\": \"b\", \"token_sha256\": \"$(sha "$TB")\", \"quotas\": {\"sessions\": 9}}, $(tc), $(te)]"
reload
expect_match "a quota above --max-sessions: refused on reload" "$(tail -1 "$SERR")" 'reload:.*quotas\.sessions.*8'
for cfg in '"quotas": {"runs": 5}' '"admin": "yes"' '"quota": {"runs": 1}' '"quotas": {"cells": 1}'; do
  write_config "[$(ta), {\"name\": \"b\", \"token_sha256\": \"$(sha "$TB")\", $cfg}, $(tc), $(te)]"
  reload
  expect_match "a tenant with $cfg: refused on reload" "$(tail -1 "$SERR")" 'reload:.*tenants\[1\]'
done
write_config "[$(ta), {\"name\": \"b\", \"token_sha256\": \"$(sha "$TB")\", \"quotas\": {\"sessions\": 8, \"runs\": 4}}, $(tc), $(te)]"
reload
expect_match "quotas equal to the server's: reloaded" "$(tail -1 "$SERR")" 'config reloaded'
post /v1/sessions '{"language": "bash"}' "${B[@]}"
expect_eq "tenant b, quotas.sessions 8: a third session" "$CODE" 201
req GET /v1/sessions "${B[@]}"
expect_eq "tenant b keeps its sessions through a reload that keeps it" "$(j '.sessions | length')" 3

# ---- a reload ends what a tenant that is gone started ----
post /v1/sessions '{"language": "bash"}' "${E[@]}"
expect_eq "tenant e: a session" "$CODE" 201
SE=$(j .id)
before=$(metric ward_sessions)
# b's name with another token, b's token under another name; e removed
write_config "[$(ta), {\"name\": \"b\", \"token_sha256\": \"$(sha "$TB2")\"},
  {\"name\": \"b-renamed\", \"token_sha256\": \"$(sha "$TB")\"}, $(tc)]"
reload
expect_match "reloaded" "$(tail -1 "$SERR")" 'config reloaded'
req GET /v1/sessions "${B2[@]}"
expect_eq "b's name with a new token: none of the old b's sessions" "$CODE $(j '.sessions | length')" "200 0"
req GET "/v1/sessions/$SB" "${B2[@]}"
expect_error "b's name with a new token: the old b's session" 404 session
post "/v1/sessions/$SB/cells" '{"code": "echo hi"}' "${B2[@]}"
expect_error "b's name with a new token: a cell in the old b's session" 404 session
req GET /v1/sessions "${B[@]}"
expect_eq "b's token under another name: none of b's sessions" "$CODE $(j '.sessions | length')" "200 0"
for _ in $(seq 100); do [ "$(metric ward_sessions)" = 2 ] && break; sleep 0.1; done
expect_eq "the sessions of b and e are ended (ward_sessions $before before)" "$(metric ward_sessions)" 2
req GET "/v1/sessions/$SA" "${A[@]}"
expect_eq "a's session lives through the reload" "$CODE" 200
req GET "/v1/sessions/$SC" "${C[@]}"
expect_eq "c's session lives through the reload" "$CODE" 200
sleep 0.5
write_config "[$(ta), $(tb), $(tc), $(te)]"
reload
req GET "/v1/sessions/$SE" "${E[@]}"
expect_error "e added back: its old session is gone" 404 session
req GET "/v1/sessions/$SB" "${B[@]}"
expect_error "b back under its name and token: its old session is gone" 404 session
expect_eq "the new b's use starts at none: a session" "$(post /v1/sessions '{"language": "bash"}' "${B[@]}"; echo "$CODE")" 201
expect_eq "tenant b sees its own gauge" "$(sessions_gauge "$TB")" 1
expect_documented_codes

serve_stop
expect_eq "exit status after SIGTERM" "$SERVE_RC" 0
expect_no_leftovers "by the server"
done_testing
