#!/bin/bash
# The life of ward serve and its sessions, through the real binary: SIGTERM
# with sessions open and requests in flight finishes what it can, ends every
# session and exits 0; a session ends by itself when idle past its
# idle_timeout, or past its max_lifetime; the server's fds stay bounded over
# 20 sessions created and deleted; the front killed with SIGKILL makes the
# server shut down at once and exit 1. Each time nothing is left behind: no
# process, no cgroup, no mount, no file.
source "$(dirname "$0")/../helpers/lib.sh"
need node
source "$(dirname "$0")/../helpers/serve-lib.sh"

children() { ps -o comm= --ppid "$SPID" 2>/dev/null | sort | paste -sd' ' -; }
front_pid() { ps -o pid=,comm= --ppid "$SPID" | awk '$2 == "ward-front" {print $1}'; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# steady N: until the server's children are the front and N warm sandboxes,
# the same for a second (at most 20 s).
steady() {
  local want same=0
  want="ward-front$(printf ' ward-warm%.0s' $(seq "$1"))"
  for _ in $(seq 200); do
    if [ "$(children)" = "$want" ] && [ "$(metric ward_pool_warm)" = "$1" ]; then
      same=$((same + 1))
      [ $same -ge 10 ] && return 0
    else
      same=0
    fi
    sleep 0.1
  done
  fail "the server did not settle to '$want': '$(children)'"
}

# ---- SIGTERM with sessions open and requests in flight ----
serve_start --pool 1
for lang in python node bash; do
  post /v1/sessions "{\"language\": \"$lang\"}"
  expect_eq "a $lang session" "$CODE" 201
  [ $lang = python ] && S_python=$(j .id)
  [ $lang = bash ] && S_bash=$(j .id)
done
post "/v1/sessions/$S_python/cells" '{"code": "x = 1"}'
curl -s -m 40 -o "$T_TMP/short.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary '{"argv": ["sh", "-c", "sleep 1.5; echo done"]}' "$U/v1/runs" >"$T_TMP/short.code" &
short=$!
curl -s -m 40 -o "$T_TMP/long.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary '{"code": "sleep 30", "timeout": "20s"}' "$U/v1/sessions/$S_bash/cells" >"$T_TMP/long.code" &
long=$!
sleep 0.5
expect_eq "before SIGTERM: 3 sessions" "$(metric ward_sessions)" 3
t0=$(date +%s%N)
kill -TERM "$SPID"
wait $short
expect_eq "SIGTERM: the run in flight is finished and answered" "$(cat "$T_TMP/short.code") $(jf "$T_TMP/short.json" '"\(.status) \(.stdout)"')" "200 ok done"
wait $long
expect_match "SIGTERM: the long cell in flight is answered" "$(cat "$T_TMP/long.code")" '^[2-5][0-9][0-9]$'
serve_wait "$t0" SIGTERM
expect_eq "SIGTERM: exit status" "$SERVE_RC" 0
expect_eq "SIGTERM: stopped within 15 s ($STOP_MS ms)" "$((STOP_MS < 15000))" 1
expect_eq "SIGTERM: nothing but 'listening' and 'stopped' on stderr" "$(grep -v 'listening on\|stopped$' "$SERR")" ""
expect_no_leftovers "after SIGTERM with sessions open"

# ---- a client that goes away: its run is stopped ----
serve_start --pool 1
for b in '{"argv": ["sleep", "30"]}' '{"language": "python", "code": "import time; time.sleep(30)"}'; do
  curl -s -m 1 -o /dev/null -H 'Content-Type: application/json' --data-binary "$b" "$U/v1/runs"
  for _ in $(seq 50); do [ "$(metric ward_runs_in_progress)" = 0 ] && break; sleep 0.1; done
  expect_eq "a run whose client left is stopped: $b" "$(metric ward_runs_in_progress)" 0
done

# ---- a session ends by itself: idle, or at the end of its life ----
post /v1/sessions '{"language": "bash", "idle_timeout": "2s"}'
IDLE=$(j .id) t_idle=$(date +%s%N)
expect_eq "idle_timeout 2s: the session says so" "$(j .idle_timeout_ms)" 2000
expect_eq "idle_timeout 2s: expires_at is 2 s after last use" "$(j '(.expires_at | fromdate) - (.last_used_at | fromdate)')" 2
post /v1/sessions '{"language": "bash", "idle_timeout": "1m", "max_lifetime": "3s"}'
LIFE=$(j .id) t_life=$(date +%s%N)
post /v1/sessions '{"language": "bash", "idle_timeout": "2s"}'
USED=$(j .id)
t0=$(date +%s%N)
idle_ms='' life_ms='' used_alive=0
for _ in $(seq 40); do
  ms=$((($(date +%s%N) - t0) / 1000000))
  # USED is used every half second for 4 s: it must outlive its 2 s.
  if [ $ms -lt 4000 ]; then
    post "/v1/sessions/$USED/cells" '{"code": "true"}'
    [ "$CODE" = 200 ] && used_alive=$ms
  fi
  # LIFE is used too, and must end at 3 s all the same.
  # (each measured from its own creation: under load, creating the
  # next sessions takes a while)
  [ -z "$life_ms" ] && post "/v1/sessions/$LIFE/cells" '{"code": "true"}' && [ "$CODE" = 404 ] &&
    life_ms=$((($(date +%s%N) - t_life) / 1000000))
  [ -z "$idle_ms" ] && req GET "/v1/sessions/$IDLE" && [ "$CODE" = 404 ] &&
    idle_ms=$((($(date +%s%N) - t_idle) / 1000000))
  [ -n "$idle_ms" ] && [ -n "$life_ms" ] && [ $ms -ge 4000 ] && break
  sleep 0.5
done
expect_match "idle_timeout 2s: ended by itself (after ${idle_ms:-never} ms)" "${idle_ms:-never}" '^[0-9]+$'
expect_eq "idle_timeout 2s: not before 2 s, within 5 s (${idle_ms:-never} ms)" "$((${idle_ms:-0} >= 1900 && ${idle_ms:-99999} <= 5000))" 1
expect_match "max_lifetime 3s: ended though in use (after ${life_ms:-never} ms)" "${life_ms:-never}" '^[0-9]+$'
expect_eq "max_lifetime 3s: not before 3 s, within 6 s (${life_ms:-never} ms)" "$((${life_ms:-0} >= 2900 && ${life_ms:-99999} <= 6000))" 1
expect_eq "idle_timeout 2s, used every 0.5 s: alive at 3 s and more ($used_alive ms)" "$((used_alive >= 3000))" 1
req DELETE "/v1/sessions/$USED"
steady 3
expect_eq "the ended sessions' processes are gone" "$(children)" "ward-front ward-warm ward-warm ward-warm"
expect_eq "ward_sessions after they ended" "$(metric ward_sessions)" 0

# ---- fds: 20 sessions created and deleted ----
FRONT=$(front_pid)
fd0=$(fds "$SPID")
ffd0=$(fds "$FRONT")
ids=()
for _ in $(seq 20); do
  post /v1/sessions '{"language": "bash"}'
  [ "$CODE" = 201 ] && ids+=("$(j .id)")
done
expect_eq "20 sessions at once" "${#ids[@]} $(metric ward_sessions)" "20 20"
expect_eq "20 sessions: the server's fds grow with them" "$(($(fds "$SPID") >= fd0 + 20))" 1
for id in "${ids[@]}"; do
  req DELETE "/v1/sessions/$id"
  [ "$CODE" = 200 ] || [ "$CODE" = 204 ] || fail "DELETE a session: $CODE"
done
steady 3
expect_eq "after 20 sessions created and deleted: the server's fds ($fd0 before)" "$(fds "$SPID")" "$fd0"
expect_eq "after 20 sessions created and deleted: the front's fds ($ffd0 before)" "$(fds "$FRONT")" "$ffd0"
serve_stop
expect_eq "exit status after SIGTERM" "$SERVE_RC" 0
expect_no_leftovers "after sessions ended by themselves"

# ---- the front killed: the server shuts down, leaving nothing ----
serve_start --pool 1
post /v1/sessions '{"language": "python"}'
post /v1/sessions '{"language": "bash"}'
for _ in $(seq 100); do [ "$(metric ward_pool_warm)" = 3 ] && break; sleep 0.1; done
FRONT=$(front_pid)
expect_match "the front process" "$FRONT" '^[0-9]+$'
t0=$(date +%s%N)
kill -KILL "$FRONT"
serve_wait "$t0" "the front's SIGKILL"
expect_eq "front killed: exit status 1 (ward-serve(1))" "$SERVE_RC" 1
expect_eq "front killed: the server stopped within 10 s ($STOP_MS ms)" "$((STOP_MS < 10000))" 1
expect_match "front killed: said on stderr" "$(cat "$SERR")" 'front'
expect_no_leftovers "after the front was killed"
done_testing
