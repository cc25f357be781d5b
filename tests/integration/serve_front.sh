#!/bin/bash
# ward serve's HTTP front (src/server/front*.c), behind a fake parent
# (tests/helpers/fake-parent.c) that echoes each request frame back: every
# route maps to its op and fields, tokens are taken or refused, errors
# carry the JSON error body, bodies are capped, files go through byte for
# byte, ndjson streams, the OpenAPI document is served, the front process
# is confined and holds only its sockets, a client that leaves cancels its
# request, and SIGTERM or a dead peer leaves no process behind.
source "$(dirname "$0")/../helpers/lib.sh"

need curl
FAKE=$WARD_HELPERS/fake-parent
[ -x "$FAKE" ] || skip "$FAKE is not built"

# start_front [ARGS...]: a fake parent and its front; sets FP (the fake
# parent's pid), FRONT (the front's pid), U (the base URL).
start_front() {
  : >"$T_TMP/log"
  : >"$T_TMP/fp.out" # now: the redirection below happens in the background
  "$FAKE" --log "$T_TMP/log" "$@" >"$T_TMP/fp.out" 2>"$T_TMP/fp.err" &
  FP=$!
  for _ in $(seq 100); do [ -s "$T_TMP/fp.out" ] && break; sleep 0.05; done
  read -r PORT FRONT <"$T_TMP/fp.out" || { fail "fake-parent did not start: $(cat "$T_TMP/fp.err")"; done_testing; }
  U=http://127.0.0.1:$PORT
  for _ in $(seq 100); do curl -s -o /dev/null "$U/healthz" && break; sleep 0.05; done
  : >"$T_TMP/log"
}

# stop_front: SIGTERM to the fake parent, which passes it on; both must be
# gone afterwards, and the front must have exited 0.
stop_front() {
  kill -TERM "$FP" 2>/dev/null
  wait "$FP"
  expect_eq "fake-parent's exit status after SIGTERM" "$?" 0
  gone "$FP" "$FRONT"
}

# alive PID: the process exists and has not exited (a zombie whose parent
# died waits for whoever reaps orphans here; it runs nothing).
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
gone() { # PID...: no such process, within two seconds
  local p
  for p in "$@"; do
    for _ in $(seq 40); do alive "$p" || break; sleep 0.05; done
    if alive "$p"; then fail "process $p is still there"; kill -9 "$p"; else ok; fi
  done
}

# req METHOD PATH [CURL ARGS...]: CODE, OUT (the body), HDRS (the headers).
req() {
  local m=$1 p=$2
  shift 2
  # JSON bodies say so (front-guard.c refuses them otherwise: 415)
  CODE=$(curl -s -o "$T_TMP/body" -D "$T_TMP/hdrs" -w '%{http_code}' -X "$m" -H 'Content-Type: application/json' "$@" "$U$p")
  OUT=$(cat "$T_TMP/body")
  HDRS=$(tr -d '\r' <"$T_TMP/hdrs")
  ERR=$HDRS
}
jc() { printf '%s' "$OUT" | jq -c "$1" 2>/dev/null; }
header() { printf '%s\n' "$HDRS" | sed -n "s/^$1: //Ip" | tail -1; }

# expect_error STATUS CODE FIELD: the last answer was that error, as JSON.
expect_error() {
  expect_eq "$WHAT: status" "$CODE" "$1"
  expect_eq "$WHAT: error.code" "$(j .error.code)" "$2"
  expect_eq "$WHAT: error.field" "$(j .error.field)" "$3"
  expect_match "$WHAT: error.message" "$(j .error.message)" '.'
  expect_eq "$WHAT: content type" "$(header Content-Type)" "application/json"
}

start_front

# ---- every route to its op and fields ----
WHAT="POST /v1/runs"
req POST /v1/runs -d '{"language":"python","code":"print(1)"}'
expect_eq "$WHAT: status" "$CODE" 200
expect_eq "$WHAT: op" "$(j .echo.op)" run
expect_eq "$WHAT: body" "$(jc .echo.body)" '{"language":"python","code":"print(1)"}'
expect_eq "$WHAT: keys" "$(j '.echo | keys | join(",")')" "body,op,peer,stream"
expect_eq "$WHAT: peer" "$(j .echo.peer)" 127.0.0.1
expect_eq "$WHAT: stream" "$(j .echo.stream)" false
expect_eq "$WHAT: content type" "$(header Content-Type)" application/json

WHAT="POST /v1/sessions, empty"
req POST /v1/sessions
expect_eq "$WHAT: op" "$(j .echo.op)" session.create
expect_eq "$WHAT: body" "$(jc .echo.body)" 'null' # none sent: the parent takes it as {}
req POST /v1/sessions -d '{"language":"python","tier":"small"}'
expect_eq "POST /v1/sessions: body" "$(jc .echo.body)" '{"language":"python","tier":"small"}'

WHAT="GET /v1/sessions"
req GET /v1/sessions
expect_eq "$WHAT: op" "$(j .echo.op)" session.list
expect_eq "$WHAT: keys" "$(j '.echo | keys | join(",")')" "op,peer,stream"

id=Sess_ion-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS # 64 bytes
req GET "/v1/sessions/$id"
expect_eq "GET /v1/sessions/{id}: op" "$(j .echo.op)" session.get
expect_eq "GET /v1/sessions/{id}: session" "$(j .echo.session)" "$id"
req DELETE /v1/sessions/s1
expect_eq "DELETE /v1/sessions/{id}: op" "$(j .echo.op)" session.delete
expect_eq "DELETE /v1/sessions/{id}: keys" "$(j '.echo | keys | join(",")')" "op,peer,session,stream"

req POST /v1/sessions/s1/cells -d '{"code":"x = 1","timeout":"5s"}'
expect_eq "POST cells: op" "$(j .echo.op)" cell
expect_eq "POST cells: session" "$(j .echo.session)" s1
expect_eq "POST cells: body" "$(jc .echo.body)" '{"code":"x = 1","timeout":"5s"}'

printf 'hello' >"$T_TMP/small"
req PUT '/v1/sessions/s1/files/dir/a%20b%2Fc.txt' --data-binary @"$T_TMP/small"
expect_eq "PUT file: op" "$(j .echo.op)" file.put
expect_eq "PUT file: path, decoded" "$(j .echo.path)" "dir/a b/c.txt"
expect_eq "PUT file: blob" "$(j .blob_len)" 5
expect_eq "PUT file: no body key" "$(j '.echo | has("body")')" false
req GET '/v1/sessions/s1/files/dir/a%20b%2Fc.txt'
expect_eq "GET file: bytes" "$OUT" hello
expect_eq "GET file: content type" "$(header Content-Type)" application/octet-stream
req DELETE /v1/sessions/s1/files/x/y
expect_eq "DELETE file: op" "$(j .echo.op)" file.delete
expect_eq "DELETE file: path" "$(j .echo.path)" x/y
req GET '/v1/sessions/s1/files?dir=sub%2Fdir+x'
expect_eq "list files: op" "$(j .echo.op)" file.list
expect_eq "list files: dir" "$(j .echo.dir)" "sub/dir x"
req GET /v1/sessions/s1/files
expect_eq "list files, no dir: dir" "$(j .echo.dir)" ""
req GET /healthz
expect_eq "healthz: op" "$(j .echo.op)" health
req GET /metrics
expect_eq "metrics: status" "$CODE" 200
expect_match "metrics: text" "$OUT" 'ward_up 1'
expect_eq "metrics: content type" "$(header Content-Type)" "text/plain; version=0.0.4"

# ---- the bearer token ----
: >"$T_TMP/log"
req GET /v1/sessions -H 'Authorization: Bearer tok-123.~+/='
expect_eq "token" "$(j .echo.token)" 'tok-123.~+/='
req GET /v1/sessions -H 'Authorization: bearer   abc'
expect_eq "token, scheme in lower case" "$(j .echo.token)" abc
long=$(head -c 512 /dev/zero | tr '\0' t)
req GET /v1/sessions -H "Authorization: Bearer $long"
expect_eq "token of 512 bytes" "$(j .echo.token)" "$long"
n_before=$(grep -c request "$T_TMP/log")
for bad in "Basic dXNlcjpwYXNz" "Bearer" "Bearer a b" "Bearer ${long}t" "Token abc"; do
  WHAT="Authorization: ${bad:0:20}"
  req GET /v1/sessions -H "Authorization: $bad"
  expect_error 401 unauthorized null
  expect_eq "$WHAT: WWW-Authenticate" "$(header WWW-Authenticate)" Bearer
done
WHAT="two Authorization headers"
req GET /v1/sessions -H 'Authorization: Bearer a' -H 'Authorization: Bearer b'
expect_error 401 unauthorized null
expect_eq "no request reached the parent for a 401" "$(grep -c request "$T_TMP/log")" "$n_before"

# ---- errors the front answers itself ----
WHAT="unknown route"; req GET /v2/nothing; expect_error 404 not_found null
WHAT="bad session id"; req GET '/v1/sessions/a.b'; expect_error 404 not_found null
WHAT="session id of 65"; req GET "/v1/sessions/${id}x"; expect_error 404 not_found null
WHAT="unknown sub-route"; req GET /v1/sessions/s1/other; expect_error 404 not_found null
WHAT="DELETE /v1/runs"; req DELETE /v1/runs; expect_error 405 method_not_allowed null
expect_eq "$WHAT: Allow" "$(header Allow)" POST
WHAT="PATCH a file"; req PATCH /v1/sessions/s1/files/a; expect_error 405 method_not_allowed null
expect_eq "$WHAT: Allow" "$(header Allow)" "GET, HEAD, PUT, DELETE"
WHAT="PUT /v1/sessions"; req PUT /v1/sessions -d '{}'; expect_error 405 method_not_allowed null
expect_eq "$WHAT: Allow" "$(header Allow)" "GET, HEAD, POST"
WHAT="malformed JSON"; req POST /v1/runs -d '{"code": 1,'; expect_error 400 invalid_json body
expect_match "$WHAT: line and column" "$(j .error.message)" '^line 1, column [0-9]+: '
WHAT="duplicate key"; req POST /v1/runs -d '{"a":1,"a":2}'; expect_error 400 invalid_json body
WHAT="empty run body"; req POST /v1/runs; expect_error 400 invalid_json body
WHAT="array body"; req POST /v1/runs -d '[1]'; expect_error 400 invalid_body body
WHAT="string body"; req POST /v1/sessions/s1/cells -d '"x"'; expect_error 400 invalid_body body
WHAT="NUL in a path"; req GET '/v1/sessions/s1/files/a%00b'; expect_error 400 invalid_request path
WHAT="broken escape"; req GET '/v1/sessions/s1/files/a%zzb'; expect_error 400 invalid_request path
WHAT="NUL in dir"; req GET '/v1/sessions/s1/files?dir=%00'; expect_error 400 invalid_request dir
p4096=$(head -c 4096 /dev/zero | tr '\0' p)
req DELETE "/v1/sessions/s1/files/$p4096"
expect_eq "path of 4096 bytes" "$(j .echo.path | wc -c)" 4097
WHAT="path of 4097 bytes"; req DELETE "/v1/sessions/s1/files/${p4096}p"; expect_error 400 invalid_request path
WHAT="path not UTF-8"; req GET '/v1/sessions/s1/files/%ff'; expect_error 400 invalid_request path
# The connection survives an error on a request without a body.
n=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' "$U/nope" "$U/healthz" | awk '{n += $1} END {print n}')
expect_eq "one connection for a 404 and the next request" "$n" 1

# ---- the parent's answers ----
WHAT="429 from the parent"
req POST /v1/runs -d '{"fake_status":429}'
expect_eq "$WHAT: status" "$CODE" 429
expect_eq "$WHAT: Retry-After" "$(header Retry-After)" 2
expect_eq "$WHAT: body" "$(j .error.code)" rate_limited
for bad in '{"status":200,"headers":{"X-Evil":"1"},"body":{}}' '{"status":99,"body":{}}' \
  '{"status":"200"}' '{"status":200,"headers":{"Location":"a\nb"}}' 'not json' '[]'; do
  WHAT="parent reply $bad"
  req POST /v1/runs -d "$(jq -cn --arg r "$bad" '{fake_reply: $r}')"
  expect_error 502 bad_gateway null
done
req POST /v1/runs -d '{"fake_reply":"{\"status\":201,\"headers\":{\"location\":\"/v1/x\"},\"body\":[1,\"a\"]}"}'
expect_eq "parent reply 201: status" "$CODE" 201
expect_eq "parent reply 201: Location" "$(header Location)" /v1/x
expect_eq "parent reply 201: any JSON body" "$OUT" '[1,"a"]'
req POST /v1/runs -d '{"fake_reply":"{\"status\":204}"}'
expect_eq "parent reply 204: status" "$CODE" 204
expect_eq "parent reply 204: no body" "$OUT" ""

# ---- files, byte for byte ----
{ head -c 1000 /dev/zero; head -c $((1024 * 1024 - 1000)) /dev/urandom; } >"$T_TMP/big.bin"
req PUT /v1/sessions/s2/files/bin/big.bin --data-binary @"$T_TMP/big.bin" -H 'Content-Type: application/octet-stream'
expect_eq "PUT 1 MiB: status" "$CODE" 200
expect_eq "PUT 1 MiB: blob_len" "$(j .blob_len)" 1048576
curl -s -o "$T_TMP/back.bin" "$U/v1/sessions/s2/files/bin/big.bin"
if cmp -s "$T_TMP/big.bin" "$T_TMP/back.bin"; then ok; else fail "1 MiB file changed on its way through the front"; fi
# Chunked upload, no Content-Length.
curl -s -o /dev/null -X PUT -H 'Transfer-Encoding: chunked' --data-binary @"$T_TMP/big.bin" "$U/v1/sessions/s2/files/c.bin"
curl -s -o "$T_TMP/back2.bin" "$U/v1/sessions/s2/files/c.bin"
if cmp -s "$T_TMP/big.bin" "$T_TMP/back2.bin"; then ok; else fail "chunked upload changed on its way"; fi

# ---- ndjson ----
req POST /v1/sessions/s1/cells -d '{"code":"1"}' -H 'Accept: application/x-ndjson'
expect_eq "stream: status" "$CODE" 200
expect_eq "stream: content type" "$(header Content-Type)" application/x-ndjson
expect_eq "stream: lines" "$(printf '%s\n' "$OUT" | wc -l)" 4
expect_eq "stream: chunks" "$(printf '%s\n' "$OUT" | head -3 | jq -c .n | paste -sd,)" "1,2,3"
expect_eq "stream: last line is the reply's body" "$(printf '%s\n' "$OUT" | tail -1 | jq -r .echo.stream)" true
req POST /v1/sessions/s1/cells -d '{"code":"1"}'
expect_eq "no stream asked: one JSON document" "$(j .echo.stream)" false

# ---- the OpenAPI document ----
req GET /v1/openapi.json
expect_eq "openapi: status" "$CODE" 200
expect_match "openapi: version" "$(j .openapi)" '^3\.1\.'
for p in /v1/runs /v1/sessions '/v1/sessions/{id}' '/v1/sessions/{id}/cells' '/v1/sessions/{id}/files' \
  '/v1/sessions/{id}/files/{path}' /healthz /metrics /v1/openapi.json; do
  expect_eq "openapi: path $p" "$(printf '%s' "$OUT" | jq --arg p "$p" '.paths | has($p)')" true
done
expect_eq "openapi: bearer scheme" "$(j .components.securitySchemes.bearer.scheme)" bearer
expect_eq "openapi is not sent to the parent" "$(grep -c 'request.*openapi' "$T_TMP/log")" 0

# ---- the front's confinement ----
st=/proc/$FRONT/status
expect_eq "front: Seccomp" "$(awk '/^Seccomp:/ {print $2}' "$st")" 2
expect_eq "front: NoNewPrivs" "$(awk '/^NoNewPrivs:/ {print $2}' "$st")" 1
expect_eq "front: CapEff" "$(awk '/^CapEff:/ {print $2}' "$st")" 0000000000000000
expect_eq "front: CapPrm" "$(awk '/^CapPrm:/ {print $2}' "$st")" 0000000000000000
if [ "$(id -u)" = 0 ]; then
  expect_eq "front: uids" "$(awk '/^Uid:/ {print $2,$3,$4,$5}' "$st")" "65534 65534 65534 65534"
  expect_eq "front: gids" "$(awk '/^Gid:/ {print $2,$3,$4,$5}' "$st")" "65534 65534 65534 65534"
  expect_eq "front: groups" "$(awk '/^Groups:/ {print $2}' "$st")" ""
  expect_eq "front: CapBnd" "$(awk '/^CapBnd:/ {print $2}' "$st")" 0000000000000000
  # 0, 1, 2; the listening socket, the parent's socket; libmicrohttpd's
  # eventfd. Idle: no client connection is open.
  fds=$(for f in /proc/"$FRONT"/fd/*; do
    t=$(readlink "$f")
    case $t in socket:*) t=socket ;; anon_inode:*) t=${t#anon_inode:} ;; esac
    echo "${f##*/}=$t"
  done | sort -t= -k1,1n | tr '\n' ' ')
  expect_match "front: fds" "$fds" '^0=/dev/null 1=[^ ]+ 2=[^ ]+ ([0-9]+=(socket|\[eventfd\]) ){3}$'
  expect_eq "front: sockets" "$(grep -o '=socket' <<<"$fds" | wc -l)" 2
  if ! grep -q 'running without namespaces' "$T_TMP/fp.err"; then
    for ns in user net ipc uts mnt; do
      expect_ne "front: own $ns namespace" "$(readlink /proc/"$FRONT"/ns/$ns)" "$(readlink /proc/self/ns/$ns)"
    done
  fi
fi
# No file can be opened from the front's threads, which is seen from
# outside as nothing but the fds above: checked by the fds list.

# ---- many at once: a thread per connection, malloc arenas, interleaved
# replies; all under the seccomp filter, which kills the front for any call
# it does not allow ----
pids=()
for i in $(seq 40); do
  curl -s -o "$T_TMP/par.$i" -X POST -H 'Content-Type: application/json' -d "{\"fake_delay_ms\":$((300 + (i * 37) % 200)),\"i\":$i}" \
    "$U/v1/runs" &
  pids+=($!)
done
curl -s -o /dev/null -X PUT --data-binary @"$T_TMP/big.bin" "$U/v1/sessions/s3/files/p.bin" &
pids+=($!)
wait "${pids[@]}"
n=0
for i in $(seq 40); do [ "$(jq -r .echo.body.i "$T_TMP/par.$i" 2>/dev/null)" = "$i" ] && n=$((n + 1)); done
expect_eq "40 requests at once, each its own answer" "$n" 40
# Stopped and continued: waits interrupted in the middle resume.
curl -s -o "$T_TMP/stopped" -X POST -H 'Content-Type: application/json' -d '{"fake_delay_ms":400}' "$U/v1/runs" &
stopped=$!
sleep 0.1
kill -STOP "$FRONT"
sleep 0.5
kill -CONT "$FRONT"
wait $stopped
expect_eq "SIGSTOP, SIGCONT: the request is answered" "$(jq -r .echo.op "$T_TMP/stopped")" run
req GET /healthz
expect_eq "the front is alive after all that" "$CODE" 200

# ---- a client that goes away ----
: >"$T_TMP/log"
curl -s -m 1 -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"fake_delay_ms":3000}' "$U/v1/runs"
for _ in $(seq 40); do grep -q '^cancel' "$T_TMP/log" && break; sleep 0.05; done
rid=$(awk '$1 == "request" {print $2}' "$T_TMP/log")
expect_eq "cancel for the request whose client left" "$(awk '$1 == "cancel" {print $2}' "$T_TMP/log")" "$rid"
req GET /healthz
expect_eq "the front serves on after a cancel" "$CODE" 200

stop_front

# ---- caps: 413 ----
start_front --body-max 1024 --file-max 4096 --reply-timeout 1
head -c 2000 /dev/zero | tr '\0' a >"$T_TMP/2k"
WHAT="JSON body over the cap"
req POST /v1/runs --data-binary @"$T_TMP/2k"
expect_error 413 too_large body
WHAT="chunked JSON body over the cap"
req POST /v1/runs -H 'Transfer-Encoding: chunked' --data-binary @"$T_TMP/2k"
expect_error 413 too_large body
WHAT="file over the cap"
head -c 5000 /dev/zero >"$T_TMP/5k"
req PUT /v1/sessions/s/files/f --data-binary @"$T_TMP/5k"
expect_error 413 too_large body
head -c 4096 /dev/zero >"$T_TMP/4k"
req PUT /v1/sessions/s/files/f --data-binary @"$T_TMP/4k"
expect_eq "file at the cap" "$(j .blob_len)" 4096
expect_eq "no request reached the parent for a 413" "$(grep -c request "$T_TMP/log")" 1
# A body far over the cap, with Expect: 100-continue (curl's default for
# large uploads): refused before it is sent.
head -c $((8 * 1024 * 1024)) /dev/zero >"$T_TMP/8m"
WHAT="8 MiB file over the cap"
req PUT /v1/sessions/s/files/f --data-binary @"$T_TMP/8m"
expect_error 413 too_large body

# ---- a parent that does not answer ----
WHAT="no answer from the parent"
: >"$T_TMP/log"
req POST /v1/runs -d '{"fake_silent":true}'
expect_error 503 unavailable null
expect_eq "$WHAT: cancelled" "$(grep -c '^cancel' "$T_TMP/log")" 1

# ---- SIGTERM to the front: in-flight requests finish, then it exits ----
curl -s -o "$T_TMP/slow" -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{"fake_delay_ms":700}' "$U/v1/runs" >"$T_TMP/slow.code" &
slow=$!
sleep 0.3
kill -TERM "$FRONT"
wait $slow
expect_eq "SIGTERM: the request in flight is answered" "$(cat "$T_TMP/slow.code")" 200
wait "$FP"
expect_eq "SIGTERM: front exit status (through fake-parent)" "$?" 0
gone "$FP" "$FRONT"

# ---- the front dies: the fake parent ends; the parent dies: the front ends ----
start_front
kill -KILL "$FRONT"
wait "$FP"
expect_ne "front killed: fake-parent's status" "$?" 0
gone "$FP" "$FRONT"
start_front
curl -s -o "$T_TMP/orphan" -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{"fake_delay_ms":3000}' "$U/v1/runs" >"$T_TMP/orphan.code" &
orphan=$!
sleep 0.3
kill -KILL "$FP"
{ wait "$FP"; } 2>/dev/null
wait $orphan
expect_eq "parent killed: the request in flight gets 503" "$(cat "$T_TMP/orphan.code")" 503
expect_eq "parent killed: error code" "$(jq -r .error.code "$T_TMP/orphan")" unavailable
gone "$FRONT"

# ---- and the last one, as a normal stop ----
start_front
stop_front
done_testing
