#!/bin/bash
# Slowloris against ward serve's HTTP front (src/server/front-guard.c):
# connections that send an incomplete header and trickle a byte at a time
# (which resets libmicrohttpd's idle timeout for ever) must not shut other
# clients out. With --max-connections 16 (8 per client address, 12 still
# sending headers), 48 slow connections from the prompt client's own
# address, then 48 from 48 other addresses, leave /healthz answering at
# once; one address keeps at most 8 connections; a trickling header is
# closed at --header-deadline (2 s here; 30 s by default) and a trickling
# body at --body-deadline (3 s; 300 s by default), counted from the
# phase's start, not from the last byte. The server is healthy after.
source "$(dirname "$0")/../helpers/lib.sh"
source "$(dirname "$0")/../helpers/serve-lib.sh"

SLOW=$(cd "$(dirname "$0")/../helpers" && pwd)/serve-slow.py
ulimit -n 4096 2>/dev/null

serve_start --pool 0 --max-connections 16 --header-deadline 2 --body-deadline 3
timeout -k 1 90 python3 "$SLOW" "$PORT" --max 16 --header-deadline 2 --body-deadline 3 >"$T_TMP/slow" 2>"$T_TMP/slow.err"
expect_eq "serve-slow.py's exit status" "$?" 0
val() { awk -v k="$1" '$1 == k {print $2}' "$T_TMP/slow"; }

# within KEY LOW HIGH WHAT: serve-slow.py's KEY is from LOW to HIGH.
within() {
  local v
  v=$(val "$1")
  if [ -n "$v" ] && [ "$v" -ge "$2" ] && [ "$v" -le "$3" ]; then ok; else fail "$4: got '$v', want $2 to $3"; fi
}
within same_ip_ms 0 2000 "48 slow connections from the client's own address: ms to /healthz's answer (-1: none in 5 s)"
within many_ip_ms 0 2000 "48 slow connections from 48 addresses: ms to /healthz's answer (-1: none in 5 s)"
within per_ip_open 1 8 "32 slow connections from one address: how many stay open"
within header_closed_ms 1800 4000 "a trickling header: ms until it is closed (-1: still open)"
within body_closed_ms 2800 5000 "a trickling body: ms until it is closed (-1: still open)"
[ -s "$T_TMP/slow.err" ] && fail "serve-slow.py: $(head -c 500 "$T_TMP/slow.err")"

expect_healthy "after the slow clients"
post /v1/runs '{"language":"bash","code":"echo ok"}'
expect_eq "a run after the slow clients" "$CODE $(j .stdout)" "200 ok"
# Bad values are refused before anything starts.
"$WARD" serve --max-connections 0 >/dev/null 2>"$T_TMP/e1"
expect_eq "--max-connections 0: exit status" "$?" 125
"$WARD" serve --header-deadline 0.5s >/dev/null 2>"$T_TMP/e2"
expect_eq "--header-deadline 0.5s: exit status" "$?" 125
expect_match "--header-deadline 0.5s: message" "$(cat "$T_TMP/e2")" "whole seconds"
serve_stop
expect_eq "exit status after SIGTERM" "$SERVE_RC" 0
expect_no_leftovers "after the slow clients"
done_testing
