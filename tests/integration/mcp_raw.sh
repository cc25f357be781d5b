#!/bin/bash
# ward mcp from outside, in raw JSON-RPC over its pipes (the checks are in
# tests/helpers/mcp-raw.py): errors -32700, -32600, -32601, -32602 with the
# server still answering, an oversized line skipped, a request before
# initialize refused, runs (with the sentence for how each ended, and the
# languages of exec/lang.c: javascript listed, js not, no session in sh)
# and a session, only JSON-RPC on stdout, and exit
# status 0 at the end of stdin with nothing left behind: no process it
# started, no ward-* process or cgroup of ours, no mount.
source "$(dirname "$0")/../helpers/lib.sh"
need python3
HELPERS=$(cd "$(dirname "$0")/../helpers" && pwd)
RAW=$HELPERS/mcp-raw.py
CLIENT=$HELPERS/serve-client.py
[ -f "$RAW" ] || skip "$RAW is missing"
[ -f "$CLIENT" ] || skip "$CLIENT is missing"
client() { python3 "$CLIENT" "$@"; }
client snapshot "$T_TMP/before.json" || skip "serve-client.py snapshot failed"

python3 "$RAW" "$WARD" "$T_TMP/pid" 2>"$T_TMP/raw.err" &
RPID=$!
for _ in $(seq 100); do [ -s "$T_TMP/pid" ] && break; sleep 0.05; done
if [ -s "$T_TMP/pid" ]; then
  client track "$(cat "$T_TMP/pid")" "$T_TMP/tracked" &
  TPID=$!
fi
if wait "$RPID"; then ok; else fail "raw protocol checks: $(grep FAIL "$T_TMP/raw.err" | head -20)"; fi
[ -n "${TPID:-}" ] && { kill "$TPID" 2>/dev/null; wait "$TPID" 2>/dev/null; }

left=
for _ in $(seq 30); do
  left=$(client leftovers "$T_TMP/before.json" "$T_TMP/tracked") && break
  sleep 0.2
done
if [ -n "$left" ]; then
  left=$(client leftovers "$T_TMP/before.json" "$T_TMP/tracked" --clean)
  fail "left behind after the end of stdin: $left"
else
  ok
fi
done_testing
