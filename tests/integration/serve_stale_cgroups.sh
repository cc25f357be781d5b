#!/bin/bash
# ward serve and ward mcp SIGKILLed with their hosts (as a kill of the whole
# process group or a service manager's SIGKILL leaves them) cannot remove
# their runs' cgroups; the next ward to start does, before it serves: no
# ward-<pid>-* cgroup of a dead ward stays behind, in any hierarchy, even
# when that ward starts no sandbox (--pool 0, ward mcp).
# shellcheck disable=SC2086 # lists of pids, split on purpose
source "$(dirname "$0")/../helpers/lib.sh"
source "$(dirname "$0")/../helpers/serve-lib.sh"
[ -d /sys/fs/cgroup ] || skip "no /sys/fs/cgroup"

# cgroups_of PID...: the ward-PID-* cgroup directories of those pids.
cgroups_of() {
  local p
  for p in "$@"; do find /sys/fs/cgroup -type d -name "ward-$p-*" 2>/dev/null; done
}
# kill_all: SIGKILL to the server and every process under it; sets KILLED
# to their pids. The server is stopped first and killed last: killed
# first, its death would send its hosts their PR_SET_PDEATHSIG (SIGTERM),
# and a host that ran before its own SIGKILL came would clean up.
kill_all() {
  local pids
  kill -STOP "$SPID" 2>/dev/null
  pids=$(pstree -p "$SPID" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()' | sort -u)
  [ -n "$pids" ] || pids=$SPID
  kill -KILL $(printf '%s\n' $pids | grep -vx "$SPID") 2>/dev/null
  kill -KILL "$SPID" 2>/dev/null
  # until each is reaped, not only dead: a zombie's pid is still taken
  for _ in $(seq 100); do
    local left=0 p
    for p in $pids; do [ -e "/proc/$p" ] && left=1; done
    [ $left = 0 ] && break
    sleep 0.1
  done
  KILLED=$pids
}
need pstree

# ---- ward serve, SIGKILLed with a session and a run open ----
serve_start --pool 0
post /v1/sessions '{"language": "bash"}'
expect_eq "a session" "$CODE" 201
curl -s -m 30 -o /dev/null -H 'Content-Type: application/json' --data-binary '{"argv": ["sleep", "20"]}' "$U/v1/runs" &
slow=$!
for _ in $(seq 50); do [ "$(metric ward_runs_in_progress)" = 1 ] && break; sleep 0.1; done
HOSTS=$(ps -o pid= --ppid "$SPID" | tr -d ' ')
expect_ne "the hosts have cgroups" "$(cgroups_of $HOSTS)" ""
kill_all
wait "$slow" 2>/dev/null
serve_wait "$(date +%s%N)" SIGKILL
LEFT=$(cgroups_of $KILLED)
expect_ne "SIGKILL of the server and its hosts leaves their cgroups" "$LEFT" ""

# The next ward serve, with no warm pool: it starts no sandbox.
serve_start --pool 0
expect_eq "ward serve started after a SIGKILL: no cgroup of the dead ward remains" "$(cgroups_of $KILLED)" ""
post /v1/sessions '{"language": "bash"}'
expect_eq "ward serve started after a SIGKILL: serves" "$CODE" 201

# ---- the same, and ward mcp is the next to start ----
for _ in $(seq 50); do [ "$(metric ward_sessions)" = 1 ] && break; sleep 0.1; done
kill_all
serve_wait "$(date +%s%N)" SIGKILL
LEFT=$(cgroups_of $KILLED)
expect_ne "SIGKILL again: cgroups left" "$LEFT" ""
mkfifo "$T_TMP/mcp.in"
"$WARD" mcp <"$T_TMP/mcp.in" >"$T_TMP/mcp.out" 2>"$T_TMP/mcp.err" &
mcp=$!
exec 7>"$T_TMP/mcp.in"
for _ in $(seq 50); do [ -z "$(cgroups_of $KILLED)" ] && break; sleep 0.1; done
expect_eq "ward mcp started after a SIGKILL: no cgroup of the dead ward remains" "$(cgroups_of $KILLED)" ""
exec 7>&-
wait "$mcp"
expect_eq "ward mcp: exit status at the end of its input" "$?" 0
expect_no_leftovers "after the SIGKILLs and the next wards"
done_testing
