#!/bin/bash
# ward serve with TLS (--tls-cert, --tls-key: libmicrohttpd with GnuTLS,
# in the confined front, under its seccomp filter), and the rule that
# bearer tokens do not cross a network in cleartext: a --listen address
# that is not loopback is refused without TLS (one line, exit 125) unless
# the operator says --insecure-http. A certificate made here with openssl
# is trusted by curl --cacert; plain HTTP on the TLS port gets no answer;
# the key's PEM text is nowhere in the front's memory once it serves;
# unreadable or bad files are refused.
source "$(dirname "$0")/../helpers/lib.sh"
source "$(dirname "$0")/../helpers/serve-lib.sh"
need openssl

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
  -keyout "$T_TMP/key.pem" -out "$T_TMP/cert.pem" 2>"$T_TMP/openssl.err" ||
  skip "openssl could not make a certificate: $(cat "$T_TMP/openssl.err")"
TOK=tok-$$-$RANDOM
cat >"$T_TMP/config.json" <<JSON
{"tenants": [{"name": "a", "token_sha256": "$(printf %s "$TOK" | sha256sum | cut -c1-64)"}]}
JSON
AUTH=(-H "Authorization: Bearer $TOK")

# tls_start ADDRESS ARGS...: like serve_start, over https with the test CA.
tls_start() {
  local addr=$1
  shift
  SERVE_N=$((SERVE_N + 1))
  PORT=$(client port)
  U=https://127.0.0.1:$PORT
  SERR=$T_TMP/serve.$SERVE_N.err
  "$WARD" serve --listen "$addr:$PORT" --pool 0 "$@" </dev/null >/dev/null 2>"$SERR" &
  SPID=$!
  client track "$SPID" "$T_TMP/tracked" &
  TPID=$!
  for _ in $(seq 150); do
    curl -s -o /dev/null -m 2 --cacert "$T_TMP/cert.pem" "$U/healthz" && return 0
    alive "$SPID" || break
    sleep 0.1
  done
  fail "ward serve $* did not answer /healthz over TLS: $(cat "$SERR")"
  done_testing
}

# ---- loopback, no config, TLS ----
tls_start 127.0.0.1 --tls-cert "$T_TMP/cert.pem" --tls-key "$T_TMP/key.pem"
post /v1/runs '{"language":"bash","code":"echo secret"}' --cacert "$T_TMP/cert.pem"
expect_eq "a run over TLS" "$CODE $(j .stdout)" "200 secret"
post /v1/sessions '{"language":"python"}' --cacert "$T_TMP/cert.pem"
expect_eq "a session over TLS" "$CODE" 201
sid=$(j .id)
post "/v1/sessions/$sid/cells" '{"code":"print(6*7)"}' --cacert "$T_TMP/cert.pem" -H 'Accept: application/x-ndjson'
expect_match "a streamed cell over TLS" "$OUT" '42'
req DELETE "/v1/sessions/$sid" --cacert "$T_TMP/cert.pem"
expect_eq "a session ended over TLS" "$CODE $(j .state)" "200 ended"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
expect_ne "plain HTTP on the TLS port" "$code" 200
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$U/healthz")
expect_eq "a client that does not trust the certificate" "$code" 000
# The key's PEM text (a line from its middle) is not in the front's memory.
# Not under AddressSanitizer: its quarantine keeps every freed block
# unreused, and GnuTLS frees the copies it made while parsing without
# wiping them; ward can wipe only its own.
FRONT=$(pgrep -P "$SPID" -x ward-front | head -1)
if ldd "$(dirname "$WARD")/ward-front" 2>/dev/null | grep -q libasan; then
  :
elif [ -n "$FRONT" ]; then
  line=$(sed -n 10p "$T_TMP/key.pem")
  found=$(python3 - "$FRONT" "$line" <<'PY'
import re, sys
pid, needle = sys.argv[1], sys.argv[2].encode()
n = 0
with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for m in maps:
        f = m.split()
        if "r" not in f[1] or (len(f) > 5 and f[5].startswith("[v")):
            continue
        a, b = (int(x, 16) for x in f[0].split("-"))
        if b - a > (1 << 30):  # a sanitizer's shadow: reserved, not data
            continue
        step = 8 << 20
        for off in range(a, b, step):  # in pieces, each overlapping the next
            try:
                mem.seek(off)
                n += mem.read(min(step + len(needle) - 1, b - off)).count(needle)
            except (OSError, ValueError, OverflowError, MemoryError):
                pass
print(n)
PY
)
  expect_eq "copies of the key's PEM in the front's memory" "$found" 0
else
  fail "no ward-front under ward serve $SPID"
fi
expect_match "the start message says TLS" "$(cat "$SERR")" 'TLS'
serve_stop
expect_eq "exit status after SIGTERM" "$SERVE_RC" 0

# ---- not loopback ----
"$WARD" serve --listen 0.0.0.0:0 --config "$T_TMP/config.json" --pool 0 </dev/null >/dev/null 2>"$T_TMP/e1"
expect_eq "0.0.0.0 without TLS: exit status" "$?" 125
expect_eq "0.0.0.0 without TLS: one line" "$(wc -l <"$T_TMP/e1")" 1
expect_match "0.0.0.0 without TLS: says what to do" "$(cat "$T_TMP/e1")" 'not a loopback address.*--tls-cert.*--insecure-http'
"$WARD" serve --listen 0.0.0.0:0 --pool 0 </dev/null >/dev/null 2>"$T_TMP/e2"
expect_eq "0.0.0.0 without config or TLS: exit status" "$?" 125
expect_eq "0.0.0.0 without config or TLS: one line" "$(wc -l <"$T_TMP/e2")" 1
serve_start_on() { # like serve_start, on ADDRESS
  PORT=$(client port)
  U=http://127.0.0.1:$PORT
  SERR=$T_TMP/serve.x.err
  "$WARD" serve --listen "$1:$PORT" --pool 0 "${@:2}" </dev/null >/dev/null 2>"$SERR" &
  SPID=$!
  client track "$SPID" "$T_TMP/tracked" &
  TPID=$!
  for _ in $(seq 150); do curl -s -o /dev/null -m 2 "$U/healthz" && return 0; alive "$SPID" || break; sleep 0.1; done
  fail "ward serve on $1 did not answer: $(cat "$SERR")"
}
serve_start_on 0.0.0.0 --config "$T_TMP/config.json" --insecure-http
post /v1/runs '{"language":"bash","code":"echo plain"}' "${AUTH[@]}"
expect_eq "0.0.0.0 with --insecure-http" "$CODE $(j .stdout)" "200 plain"
serve_stop
tls_start 0.0.0.0 --config "$T_TMP/config.json" --tls-cert "$T_TMP/cert.pem" --tls-key "$T_TMP/key.pem"
post /v1/runs '{"language":"bash","code":"echo tls"}' --cacert "$T_TMP/cert.pem" "${AUTH[@]}"
expect_eq "0.0.0.0 with TLS" "$CODE $(j .stdout)" "200 tls"
serve_stop

# ---- bad files ----
"$WARD" serve --listen 127.0.0.1:0 --tls-cert "$T_TMP/cert.pem" </dev/null >/dev/null 2>"$T_TMP/e3"
expect_eq "--tls-cert alone: exit status" "$?" 125
"$WARD" serve --listen 127.0.0.1:0 --tls-cert "$T_TMP/cert.pem" --tls-key "$T_TMP/nope.pem" </dev/null >/dev/null 2>"$T_TMP/e4"
expect_eq "a missing key: exit status" "$?" 125
expect_match "a missing key: message" "$(cat "$T_TMP/e4")" "--tls-key: cannot read '.*nope.pem'"
echo "not a certificate" >"$T_TMP/junk.pem"
timeout -k 1 20 "$WARD" serve --listen 127.0.0.1:0 --pool 0 --tls-cert "$T_TMP/junk.pem" --tls-key "$T_TMP/key.pem" </dev/null >/dev/null 2>"$T_TMP/e5"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then ok; else fail "a bad certificate: exit status $rc"; fi
expect_match "a bad certificate: message" "$(cat "$T_TMP/e5")" 'refused the certificate or the key'
expect_no_leftovers "after TLS"
done_testing
