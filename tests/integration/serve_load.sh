#!/bin/bash
# ward serve under load: 50 concurrent clients for 30 seconds of mixed
# one-shot runs (python, node, bash) and session cells, on loopback. No
# request may fail, and afterwards the server holds no more fds, processes
# or cgroups than before, and its memory has not grown past a bound.
# LOAD_CLIENTS and LOAD_SECONDS override the load (bounded: at most 200
# clients and 120 seconds).
. "$(dirname "$0")/../helpers/lib.sh"
need curl
need python3
need node

ERR=""
CLIENTS=${LOAD_CLIENTS:-50}
SECONDS_=${LOAD_SECONDS:-30}
[ "$CLIENTS" -le 200 ] && [ "$SECONDS_" -le 120 ] || skip "LOAD_CLIENTS <= 200 and LOAD_SECONDS <= 120"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$WARD" serve --listen "127.0.0.1:$port" --pool 2 2>"$T_TMP/serve.err" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$T_TMP"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$T_TMP/serve.err" >&2; fail "the server did not start"; done_testing; }

# The pool filled: a baseline with nothing in flight.
settle() {
  for _ in $(seq 200); do
    warm=$(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "ward_pool_warm" { print $2 }')
    busy=$(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "ward_sessions" || $1 == "ward_runs_in_progress" { s += $2 } END { print s + 0 }')
    [ "${warm:-0}" = 6 ] && [ "$busy" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}
# The server's own sandboxes only: other ward processes may run on the
# host. Its hosts are its children; each names its cgroups ward-<pid>-N.
tree() { # the pids below $server
  local todo=$server p
  while [ -n "$todo" ]; do
    p=${todo%% *}
    [ "$todo" = "$p" ] && todo= || todo=${todo#* }
    [ "$p" != "$server" ] && echo "$p"
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do todo="${todo:+$todo }$c"; done
  done
}
count_procs() { local n=0 p; for p in $(tree); do [[ $(cat /proc/$p/comm 2>/dev/null) =~ ^ward-(run|session|warm|init)$ ]] && n=$((n + 1)); done; echo $n; }
hosts_now=
count_cgroups() { # ward-* cgroups of the server's hosts, and of hosts that died without removing theirs
  local n=0 d pid
  hosts_now=" $(cat /proc/$server/task/*/children 2>/dev/null | tr '\n' ' ') "
  for d in $(find /sys/fs/cgroup -maxdepth 4 -type d -name 'ward-*' 2>/dev/null); do
    grep -qxF -- "$d" <<<"$T_CGROUPS_BEFORE" && continue # not this test's
    pid=${d##*/ward-}; pid=${pid%%-*}
    if [[ $hosts_now == *" $pid "* ]] || [ ! -d "/proc/$pid" ]; then n=$((n + 1)); fi
  done
  echo $n
}
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$server/status"; }

settle || fail "the pool did not fill before the load"
fds_before=$(ls "/proc/$server/fd" | wc -l)
procs_before=$(count_procs)
cgroups_before=$(count_cgroups)
rss_before=$(rss_kib)

result=$(python3 "$(dirname "$0")/../helpers/serve-load.py" "$port" "$CLIENTS" "$SECONDS_")
echo "load: $result"
expect_eq "errors under load" "$(jq -r .errors <<<"$result")" 0
requests=$(jq -r .requests <<<"$result")
if [ "$requests" -ge "$CLIENTS" ]; then ok; else fail "only $requests requests were answered"; fi
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && ok || fail "the server is not healthy after the load"

settle || fail "the server did not settle after the load"
expect_eq "server fds after the load" "$(ls "/proc/$server/fd" | wc -l)" "$fds_before"
expect_eq "sandbox processes after the load" "$(count_procs)" "$procs_before"
expect_eq "cgroups after the load" "$(count_cgroups)" "$cgroups_before"
rss_after=$(rss_kib)
# The parent keeps tables sized by what is open; after the load nothing is.
# (AddressSanitizer holds freed memory in its quarantine: no bound there.)
if [ -n "${ASAN_OPTIONS:-}" ]; then
  echo "serve_load.sh: RSS $rss_before -> $rss_after KiB, not checked under AddressSanitizer"
elif [ "$rss_after" -le $((rss_before + 8192)) ]; then ok; else fail "the server's RSS grew from $rss_before to $rss_after KiB"; fi

before_term=$(tree)
kill -TERM $server
wait $server
expect_eq "exit status after SIGTERM" "$?" 0
left=0
for p in $before_term; do
  [[ $(cat /proc/$p/comm 2>/dev/null) =~ ^ward- ]] && left=$((left + 1))
done
expect_eq "the server's processes left after SIGTERM" "$left" 0
expect_eq "cgroups after SIGTERM" "$(count_cgroups)" 0
done_testing
