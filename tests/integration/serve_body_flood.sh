#!/bin/bash
# Bodies that cost far more to parse than to send, against ward serve with
# tokens: a 32 MiB JSON body of empty arrays (eleven million values) used
# to take ward-front and the parent to about 1.5 GB each, and 13 s to be
# refused, sent with no token at all. Now a client without a valid token
# gets 401 on its headers, before a byte of its body is read; a known
# tenant's body is held to WARD_JSON_VALUES_MAX values and
# WARD_JSON_DEPTH_MAX levels before any tree is built (400 naming the
# bound), in the front and again in the parent; so is ward mcp's message.
# Peak memory (VmHWM, read from the host): the front may hold the four
# bodies in flight it reads at once (4 x 32 MiB) and 32 MiB more; the
# parent, which sees none of them, 64 MiB more than before the floods.
source "$(dirname "$0")/../helpers/lib.sh"
source "$(dirname "$0")/../helpers/serve-lib.sh"

sha() { printf %s "$1" | sha256sum | cut -c1-64; }
TA=tok-a-$$-$RANDOM
cat >"$T_TMP/config.json" <<JSON
{"tier": {"version": 1, "limits": {"memory": "128M", "wall_time": "10s"}},
 "tenants": [{"name": "a", "token_sha256": "$(sha "$TA")"}]}
JSON
serve_start --pool 0 --config "$T_TMP/config.json"
FRONT=$(pgrep -P "$SPID" -x ward-front | head -1)
[ -n "$FRONT" ] || { fail "no ward-front under $SPID"; done_testing; }
# The front's own memory limit, as the host sees it. Not under
# AddressSanitizer: its shadow memory would count against the limit, so
# the front sets none there, and its quarantine keeps freed bodies, so
# peak memory says nothing either.
ASAN=0
ldd "$(dirname "$WARD")/ward-front" 2>/dev/null | grep -q libasan && ASAN=1
if [ $ASAN = 0 ]; then
  expect_eq "ward-front's data limit" "$(awk '/^Max data size/ {print $4 " " $5}' "/proc/$FRONT/limits")" "1073741824 1073741824"
fi
hwm() { awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; } # MiB
F0=$(hwm "$FRONT") P0=$(hwm "$SPID")

# {"language":"python","code":"1","x":[[],[],...]}: just under 32 MiB.
python3 - "$T_TMP" <<'PY'
import sys
n = (32 << 20) // 3 - 64
with open(sys.argv[1] + "/arrays.json", "w") as f:
    f.write('{"language":"python","code":"1","x":[' + ",".join(["[]"] * n) + "]}")
d = 100
with open(sys.argv[1] + "/deep.json", "w") as f:
    f.write('{"language":"python","code":"1","x":' + "[" * d + "]" * d + "}")
PY
SIZE=$(stat -c %s "$T_TMP/arrays.json")
[ "$SIZE" -le $((32 << 20)) ] || fail "the body is $SIZE bytes, over the cap"

flood() { # ARGS...: POST the arrays body; prints the status
  curl -s -m 60 -o "$T_TMP/flood.$BASHPID" -w '%{http_code}' -H 'Content-Type: application/json' -H 'Expect:' \
    --data-binary "@$T_TMP/arrays.json" "$@" "$U/v1/runs"
}

# ---- no token, and a wrong one: refused on the headers ----
for who in none wrong; do
  args=()
  [ "$who" = wrong ] && args=(-H "Authorization: Bearer not-$TA")
  t0=$(date +%s%N)
  pids=()
  for i in 1 2 3 4; do flood "${args[@]}" >"$T_TMP/code.$who.$i" & pids+=($!); done
  wait "${pids[@]}"
  ms=$((($(date +%s%N) - t0) / 1000000))
  for i in 1 2 3 4; do
    code=$(cat "$T_TMP/code.$who.$i")
    # curl may see the connection close while it still sends: 000 then.
    case $code in 401 | 000) ok ;; *) fail "token $who: 32 MiB body answered $code, want 401" ;; esac
  done
  echo "# token $who: four 32 MiB bodies refused in $ms ms" >&2
done
req POST /v1/runs -H 'Content-Type: application/json' --data-binary '{"language":"python","code":"1"}'
expect_error "no token, small body" 401 null
expect_eq "no token: Bearer challenge" "$(header WWW-Authenticate)" Bearer

# ---- a known tenant: bounded values and nesting ----
pids=()
for i in 1 2 3 4; do flood -H "Authorization: Bearer $TA" >"$T_TMP/code.a.$i" & pids+=($!); done
wait "${pids[@]}"
for i in 1 2 3 4; do
  expect_eq "tenant a: 32 MiB of empty arrays" "$(cat "$T_TMP/code.a.$i")" 400
done
OUT=$(cat "$T_TMP"/flood.* 2>/dev/null | grep -m1 'too many values')
expect_match "tenant a: the error names the bound" "$OUT" 'too many values: at most [0-9]+'
req POST /v1/runs -H 'Content-Type: application/json' -H "Authorization: Bearer $TA" --data-binary "@$T_TMP/deep.json"
expect_error "tenant a: 100 levels of nesting" 400 body
expect_match "tenant a: the error names the depth" "$(j .error.message)" 'nested deeper than [0-9]+'

F1=$(hwm "$FRONT") P1=$(hwm "$SPID")
echo "# peak memory, MiB: front $F0 -> $F1, parent $P0 -> $P1" >&2
[ $ASAN = 1 ] || [ $((F1 - F0)) -le $((4 * 32 + 32)) ] && ok || fail "ward-front's peak memory grew by $((F1 - F0)) MiB ($F0 -> $F1)"
[ $ASAN = 1 ] || [ $((P1 - P0)) -le 64 ] && ok || fail "the parent's peak memory grew by $((P1 - P0)) MiB ($P0 -> $P1)"

# ---- and the server still serves its tenant ----
post /v1/runs '{"language": "bash", "code": "echo still here"}' -H "Authorization: Bearer $TA"
expect_eq "tenant a: a run after the floods" "$CODE $(j .stdout)" "200 still here"
serve_stop
expect_eq "ward serve exits 0 after SIGTERM" "$SERVE_RC" 0
expect_no_leftovers "after the floods"

# ---- ward mcp: one message of too many values ----
python3 - "$T_TMP" <<'PY'
import sys
n = 70000
with open(sys.argv[1] + "/mcp.jsonl", "w") as f:
    f.write('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":[' + ",".join(["0"] * n) + "]}}\n")
PY
OUT=$(timeout -k 1 20 "$WARD" mcp <"$T_TMP/mcp.jsonl" 2>/dev/null | head -1)
expect_eq "ward mcp: too many values is a parse error" "$(j .error.code)" -32700
expect_match "ward mcp: naming the bound" "$(j .error.message)" 'too many values'
done_testing
