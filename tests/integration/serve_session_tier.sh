#!/bin/bash
# A session stays within its tier's time, through the real binary: a
# session may not ask an idle timeout or a lifetime above the tier's
# (403 over_tier), and gets the tier's when it asks none; a background
# busy loop a cell leaves running is ended once it has used the tier's CPU
# time for a cell between cells, and the next cell says so (a fresh
# session, restart_reason cpu_limit, cpu_since_last_ms); what a session
# uses between cells is reported by the next cell; the sandbox's cgroup
# caps its CPU rate (cpu.max, or cpu.cfs_quota_us on cgroup v1), for
# sessions and for ward run; output a session writes between cells goes to
# the next cell's answer. Nothing may be left.
source "$(dirname "$0")/../helpers/lib.sh"
source "$(dirname "$0")/../helpers/serve-lib.sh"
[ -w /sys/fs/cgroup ] || [ -w /sys/fs/cgroup/cpu ] || skip "needs writable cgroups"

sha() { printf %s "$1" | sha256sum | cut -c1-64; }
TOKEN=tok-$$-$RANDOM
A=(-H "Authorization: Bearer $TOKEN")
cat >"$T_TMP/config.json" <<JSON
{"tier": {"version": 1, "name": "small",
          "limits": {"wall_time": "20s", "cpu_time": "1s", "memory": "256M",
                     "session_idle_timeout": "2m", "session_max_lifetime": "5m"}},
 "tenants": [{"name": "a", "token_sha256": "$(sha "$TOKEN")", "quotas": {"sessions": 8}}]}
JSON
serve_start --pool 1 --config "$T_TMP/config.json"

new_session() { # JSON: the session's id in SID
  post /v1/sessions "$1" "${A[@]}"
  SID=$(j .id)
}
cell() { # SID CODE
  post "/v1/sessions/$1/cells" "$(jq -cn --arg c "$2" '{code: $c}')" "${A[@]}"
}

# ---- the tier bounds a session's idle timeout and lifetime ----
post /v1/sessions '{"language": "python", "max_lifetime": "24h"}' "${A[@]}"
expect_error "max_lifetime 24h under a tier of 5m" 403 max_lifetime
expect_eq "max_lifetime 24h: over_tier" "$(j .error.code)" over_tier
post /v1/sessions '{"language": "python", "idle_timeout": "1h"}' "${A[@]}"
expect_error "idle_timeout 1h under a tier of 2m" 403 idle_timeout
expect_eq "idle_timeout 1h: over_tier" "$(j .error.code)" over_tier
post /v1/sessions '{"language": "python", "idle_timeout": "1m", "max_lifetime": "4m"}' "${A[@]}"
expect_eq "idle_timeout 1m, max_lifetime 4m: within the tier ($ERR)" "$CODE" 201
expect_eq "idle_timeout 1m, max_lifetime 4m: as asked" "$(j '"\(.idle_timeout_ms) \(.max_lifetime_ms)"')" "60000 240000"
req DELETE "/v1/sessions/$(j .id)" "${A[@]}"
post /v1/sessions '{"language": "python", "limits": {"cpu_rate": 2}}' "${A[@]}"
expect_error "limits.cpu_rate 2 under a tier of 1 core" 403 limits.cpu_rate

# ---- the sandbox's cgroup caps its CPU rate ----
# quotas: the CPU bandwidth of every ward-* cgroup of the
# server's hosts, one "QUOTA PERIOD" a line.
quotas() {
  local p d
  for p in $(pgrep -P "$SPID"); do
    for d in /sys/fs/cgroup/cpu/ward-"$p"-* /sys/fs/cgroup/cpu,cpuacct/ward-"$p"-* /sys/fs/cgroup/ward-"$p"-* \
      /sys/fs/cgroup/unified/ward-"$p"-*; do
      [ -d "$d" ] || continue
      if [ -f "$d/cpu.max" ]; then
        cat "$d/cpu.max"
      elif [ -f "$d/cpu.cfs_quota_us" ]; then
        echo "$(cat "$d/cpu.cfs_quota_us") $(cat "$d/cpu.cfs_period_us")"
      fi
    done
  done 2>/dev/null
}
new_session '{"language": "python"}'
S1=$SID
expect_eq "a session with the tier's limits: 201 ($ERR)" "$CODE" 201
expect_eq "the tier's session bounds are a session's unless it asks" "$(j '"\(.idle_timeout_ms) \(.max_lifetime_ms)"')" "120000 300000"
expect_match "every sandbox's cgroup caps its CPU at 1 core ($(quotas | paste -sd,))" "$(quotas | sort -u | paste -sd,)" '^100000 100000$'
new_session '{"language": "bash", "limits": {"cpu_rate": 0.5}}'
S2=$SID
expect_eq "limits.cpu_rate 0.5: 201 ($ERR)" "$CODE" 201
expect_match "a session with cpu_rate 0.5 has a cgroup capped at half a core ($(quotas | paste -sd,))" "$(quotas | paste -sd,)" '(^|,)50000 100000(,|$)'

# ---- what a session uses between cells is the next cell's ----
cell "$S1" 'import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass"])
1'
expect_eq "a cell leaves a process burning 0.4 s of CPU: ok ($ERR)" "$(j .status)" ok
expect_eq "the first cell: cpu_since_last_ms is a number" "$(j '.cpu_since_last_ms | type')" number
sleep 3 # time enough for it to end, on a loaded host too
cell "$S1" '2'
expect_eq "the next cell: the session was not restarted ($ERR)" "$(j '"\(.status) \(.session_restarted)"')" "ok false"
since=$(j '.cpu_since_last_ms // -1')
expect_eq "the next cell: cpu_since_last_ms counts the 0.4 s used between cells ($since)" "$((${since:-0} >= 350 && ${since:-0} < 1000))" 1

# ---- a background busy loop is ended once past the tier's CPU for a cell ----
# (subprocess.Popen(["sh", "-c", "while :; do :; done"]), as the attack did)
# usage: "DIR NS" for the CPU usage of every ward-* cgroup of the server's hosts.
usage() {
  local p d
  for p in $(pgrep -P "$SPID"); do
    for d in /sys/fs/cgroup/cpuacct/ward-"$p"-* /sys/fs/cgroup/cpu,cpuacct/ward-"$p"-*; do
      [ -f "$d/cpuacct.usage" ] && echo "$d $(cat "$d/cpuacct.usage")"
    done
    for d in /sys/fs/cgroup/ward-"$p"-* /sys/fs/cgroup/unified/ward-"$p"-*; do
      [ -f "$d/cpu.stat" ] && echo "$d $(($(awk '$1 == "usage_usec" {print $2}' "$d/cpu.stat") * 1000))"
    done
  done 2>/dev/null
}
# busiest: the cgroup of the server's sandboxes that used the most CPU in
# half a second (at least 50 ms of it): the one with the busy loop.
busiest() {
  usage >"$T_TMP/u0"
  sleep 0.5
  usage >"$T_TMP/u1"
  awk 'NR == FNR {a[$1] = $2; next} ($1 in a) && $2 - a[$1] > m {m = $2 - a[$1]; d = $1}
       END {if (m > 50000000) print d}' "$T_TMP/u0" "$T_TMP/u1"
}
for S in "$S1" "$S2"; do
  if [ "$S" = "$S1" ]; then
    cell "$S" 'import subprocess; p = subprocess.Popen(["sh", "-c", "while :; do :; done"]); x = 1'
    NEXT='print("ok")'
  else
    cell "$S" 'x=1; (while :; do :; done) &'
    NEXT='echo ok'
  fi
  expect_eq "$S: the cell that starts a busy loop answers ok ($ERR)" "$(j .status)" ok
  t0=$(date +%s%N)
  D=$(busiest)
  expect_match "$S: the busy loop runs in the session's cgroup" "$D" 'ward-'
  # Ended: the sandbox's processes are gone (its cgroup stays until the
  # next cell replaces it).
  ended=
  for _ in $(seq 150); do
    if [ -n "$D" ] && ! grep -q . "$D/cgroup.procs" 2>/dev/null; then
      ended=$((($(date +%s%N) - t0) / 1000000))
      break
    fi
    sleep 0.1
  done
  expect_match "$S: the busy loop is ended (after ${ended:-more than 15000} ms)" "${ended:-never}" '^[0-9]+$'
  # 1 s of CPU at one core at most, and the check's interval; a loaded
  # host gives the loop less, and it takes longer to use its second.
  expect_eq "$S: ...within 6 s of the cell ($ended ms)" "$((${ended:-99999} <= 6000))" 1
  cell "$S" "$NEXT"
  expect_eq "$S: the next cell runs in a fresh session ($ERR)" "$(j '"\(.status) \(.stdout) \(.session_restarted)"')" "ok ok
 true"
  expect_eq "$S: ...and says why" "$(j .restart_reason)" cpu_limit
  expect_match "$S: ...in its message" "$(j .message)" 'CPU time'
  expect_eq "$S: ...with the limit among its events" "$(j '[.events[] | select(.type == "limit") | .limit] | index("cpu_time") != null')" true
  since=$(j '.cpu_since_last_ms // -1')
  expect_eq "$S: cpu_since_last_ms is the CPU the loop used, at least the tier's 1 s ($since)" "$((${since:-0} >= 1000 && ${since:-0} < 5000))" 1
done
cell "$S2" 'echo again'
expect_eq "the session goes on after its restart" "$(j '"\(.status) \(.stdout) \(.session_restarted)"')" "ok again
 false"

# ---- output a session writes between cells goes to the next cell ----
cell "$S2" '(sleep 0.3; echo late) &'
sleep 1
cell "$S2" 'echo now'
expect_eq "output written between cells is the next cell's" "$(j .stdout)" "late
now"

# ---- ward run: the CPU rate of a run's cgroup ----
printf '{"version": 1, "limits": {"cpu_rate": "500m"}}' >"$T_TMP/p.json"
run_ward run --json --policy "$T_TMP/p.json" --wall-time 10s -- sh -c 'timeout 2 sh -c "while :; do :; done" & timeout 2 sh -c "while :; do :; done"; wait'
expect_eq "ward run, a policy with cpu_rate 500m: exit 0 ($ERR)" "$RC" 0
cpu=$(printf '%s' "$OUT" | jq .cpu_ms)
expect_eq "ward run, cpu_rate 500m: two busy loops for 2 s use about 1 s of CPU ($cpu ms)" "$((${cpu:-0} >= 500 && ${cpu:-99999} <= 1400))" 1
run_ward run --cpu-rate 0.5 -- true
expect_eq "ward run --cpu-rate 0.5: exit 0 ($ERR)" "$RC" 0
run_ward run --cpu-rate 0.001 -- true
expect_eq "ward run --cpu-rate 0.001: refused, below the least ($ERR)" "$RC" 125
# cgroup v1 refuses a quota above an ancestor's: ward in a cgroup given
# half a core runs, capped by that.
Q=/sys/fs/cgroup/cpu/wardtest-quota-$$
if [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] && grep -qx '[0-9]*:cpu:/' /proc/self/cgroup && mkdir "$Q" 2>/dev/null; then
  echo 100000 >"$Q/cpu.cfs_period_us"
  echo 50000 >"$Q/cpu.cfs_quota_us"
  # shellcheck disable=SC2016 # $$ is the inner shell's
  sh -c 'echo $$ >"$1/tasks" && shift && exec "$@"' sh "$Q" \
    "$WARD" run --json --wall-time 10s -- sh -c 'timeout 1 sh -c "while :; do :; done"; exit 0' \
    >"$T_TMP/q.out" 2>"$T_TMP/q.err" </dev/null
  expect_eq "ward run in a cgroup v1 of half a core: runs ($(head -c 300 "$T_TMP/q.err"))" "$(jq -r .status "$T_TMP/q.out" 2>/dev/null)" ok
  cpu=$(jq .cpu_ms "$T_TMP/q.out" 2>/dev/null)
  expect_eq "...capped by it: a busy loop of 1 s uses about 0.5 s ($cpu ms)" "$((${cpu:-0} >= 250 && ${cpu:-99999} <= 750))" 1
  rmdir "$Q"
fi

req DELETE "/v1/sessions/$S1" "${A[@]}"
req DELETE "/v1/sessions/$S2" "${A[@]}"
serve_stop
expect_no_leftovers "after the server stopped"
expect_documented_codes
done_testing
