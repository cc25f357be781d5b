#!/bin/bash
# Cross-site and DNS-rebinding requests against ward serve
# (src/server/front-guard.c). With no config (no token), a page in a
# browser could make a "simple" request, one with no CORS preflight: a
# text/plain POST, carrying its Origin, to a name of its own that resolves
# to 127.0.0.1 (its Host). Each is refused: a Host that is not the listen
# address's (127.0.0.1, localhost, [::1], with the port) or an
# --allow-host name is 421 misdirected_request; a foreign Origin is 403
# forbidden; a JSON body without Content-Type: application/json is 415
# unsupported_media_type. A normal client's requests work, with charset
# or not. With tokens configured, Host is checked only once --allow-host
# names hosts, Origin not at all, Content-Type always.
source "$(dirname "$0")/../helpers/lib.sh"
source "$(dirname "$0")/../helpers/serve-lib.sh"

RUN='{"language":"bash","code":"echo pwned"}'
# attack WHAT STATUS REASON [CURL ARGS...]: a run posted with those headers.
attack() {
  local what=$1 st=$2 reason=$3
  shift 3
  req POST /v1/runs --data-binary "$RUN" "$@"
  expect_error "$what" "$st" null
  expect_eq "$what: code" "$(j .error.code)" "$reason"
}

serve_start --pool 0
# The attack as it was found: text/plain, a foreign Origin and Host.
attack "the cross-site run" 421 misdirected_request -H 'Content-Type: text/plain' \
  -H 'Origin: http://evil.example' -H "Host: evil.example:$PORT"
attack "DNS rebinding (Host and Origin alike)" 421 misdirected_request -H 'Content-Type: application/json' \
  -H "Origin: http://evil.example:$PORT" -H "Host: evil.example:$PORT"
attack "a foreign Origin" 403 forbidden -H 'Content-Type: application/json' -H 'Origin: http://evil.example'
attack "Origin null" 403 forbidden -H 'Content-Type: application/json' -H 'Origin: null'
attack "an Origin with another port" 403 forbidden -H 'Content-Type: application/json' -H "Origin: http://127.0.0.1:1"
attack "text/plain" 415 unsupported_media_type -H 'Content-Type: text/plain'
attack "a form (curl -d's default)" 415 unsupported_media_type -d "$RUN" -H 'Content-Type: application/x-www-form-urlencoded'
attack "no Content-Type" 415 unsupported_media_type -H 'Content-Type:'
attack "application/jsonx" 415 unsupported_media_type -H 'Content-Type: application/jsonx'
attack "Host without its port" 421 misdirected_request -H 'Content-Type: application/json' -H 'Host: 127.0.0.1'
WHAT="a session from a rebinding page, no body"
req POST /v1/sessions -H "Host: evil.example:$PORT"
expect_error "$WHAT" 421 null
WHAT="a listing from a rebinding page"
req GET /v1/sessions -H "Host: evil.example:$PORT"
expect_error "$WHAT" 421 null

# A normal client.
for ct in 'application/json' 'application/json; charset=utf-8' 'Application/JSON;charset=UTF-8'; do
  post /v1/runs "$RUN" -H "Content-Type: $ct"
  expect_eq "a run with Content-Type: $ct" "$CODE $(j .stdout)" "200 pwned"
done
for h in "localhost:$PORT" "[::1]:$PORT" "127.0.0.1:$PORT"; do
  post /v1/runs "$RUN" -H "Host: $h" -H "Origin: http://$h"
  expect_eq "a run with Host and Origin $h" "$CODE" 200
done
req GET /v1/sessions
expect_eq "a listing (no body, no Content-Type)" "$CODE" 200
expect_healthy "no config"
expect_documented_codes
serve_stop

# Names the operator allows.
serve_start --pool 0 --allow-host ward.test --allow-host api.test:8443
for h in ward.test "ward.test:$PORT" WARD.test:1234 api.test:8443; do
  req GET /v1/sessions -H "Host: $h" -H "Origin: https://$h"
  expect_eq "--allow-host: Host and Origin $h" "$CODE" 200
done
req GET /v1/sessions -H "Host: api.test:1"
expect_error "--allow-host api.test:8443, Host api.test:1" 421 null
req GET /v1/sessions -H "Host: evil.example:$PORT"
expect_error "--allow-host, a foreign Host" 421 null
serve_stop

# With tokens.
TOK=tok-$$-$RANDOM
cat >"$T_TMP/config.json" <<JSON
{"tenants": [{"name": "a", "token_sha256": "$(printf %s "$TOK" | sha256sum | cut -c1-64)"}]}
JSON
serve_start --pool 0 --config "$T_TMP/config.json"
post /v1/runs "$RUN" -H "Authorization: Bearer $TOK" -H 'Host: ward.example.com' -H 'Origin: https://other.example'
expect_eq "tokens: any Host and Origin with the token" "$CODE" 200
attack "tokens: text/plain" 415 unsupported_media_type -H "Authorization: Bearer $TOK" -H 'Content-Type: text/plain'
serve_stop
serve_start --pool 0 --config "$T_TMP/config.json" --allow-host ward.example.com
post /v1/runs "$RUN" -H "Authorization: Bearer $TOK" -H 'Host: ward.example.com'
expect_eq "tokens and --allow-host: that Host" "$CODE" 200
post /v1/runs "$RUN" -H "Authorization: Bearer $TOK" -H "Host: evil.example:$PORT"
expect_error "tokens and --allow-host: a foreign Host" 421 null
serve_stop
"$WARD" serve --allow-host 'a b' >/dev/null 2>"$T_TMP/e"
expect_eq "--allow-host 'a b': exit status" "$?" 125
expect_no_leftovers "after the cross-site requests"
done_testing
