#!/bin/bash
# Bad input to ward serve, through the real binary. Over HTTP: malformed
# JSON, bodies that are not objects, wrong types, unknown fields, oversized
# bodies, unknown languages, limits above the tier, bad durations, unknown
# and other tenants' session ids, missing or wrong tokens, bad paths; each
# answered with its status and a JSON error document naming the field, and
# the server healthy afterwards. On the command line: bad --listen, --config,
# --pool and other flags, and a non-loopback address without a config; each
# exit 125 with one line on stderr naming the flag, and nothing left behind.
source "$(dirname "$0")/../helpers/lib.sh"
source "$(dirname "$0")/../helpers/serve-lib.sh"

TA=tok-a-$$-$RANDOM
TB=tok-b-$$-$RANDOM
cat >"$T_TMP/config.json" <<JSON
{"tier": {"version": 1, "limits": {"memory": "512M", "wall_time": "30s", "cpu_time": "10s", "pids": 64}},
 "tenants": [{"name": "a", "token_sha256": "$(printf %s "$TA" | sha256sum | cut -c1-64)"},
             {"name": "b", "token_sha256": "$(printf %s "$TB" | sha256sum | cut -c1-64)"}]}
JSON
serve_start --pool 0 --config "$T_TMP/config.json"
AUTH=(-H "Authorization: Bearer $TA")
TOKEN=$TA

# bad WHAT STATUS FIELD PATH JSON: POST JSON to PATH as tenant a.
bad() {
  post "$4" "$5" "${AUTH[@]}"
  expect_error "$1" "$2" "$3"
}

# ---- bodies that are not JSON, or not an object ----
bad "malformed JSON" 400 body /v1/runs '{"language": "python", "code": '
expect_match "malformed JSON: line and column" "$(j .error.message)" 'line 1, column [0-9]+'
bad "duplicate key" 400 body /v1/runs '{"language": "python", "language": "sh", "code": "1"}'
bad "empty body" 400 body /v1/runs ''
for b in '[]' '"x"' 'null' '1' 'true'; do
  bad "body $b is not an object" 400 body /v1/runs "$b"
  bad "cell body $b is not an object" 400 body /v1/sessions/ses_x/cells "$b"
  bad "session body $b is not an object" 400 body /v1/sessions "$b"
done

# ---- wrong types ----
bad "language is a number" 400 language /v1/runs '{"language": 1, "code": "x"}'
bad "code is a number" 400 code /v1/runs '{"language": "python", "code": 5}'
bad "argv is a string" 400 argv /v1/runs '{"argv": "ls"}'
bad "argv is empty" 400 argv /v1/runs '{"argv": []}'
bad "argv holds a number" 400 argv /v1/runs '{"argv": [1]}'
bad "stdin is a number" 400 stdin /v1/runs '{"language": "python", "code": "1", "stdin": 5}'
bad "limits is an array" 400 limits /v1/runs '{"language": "python", "code": "1", "limits": []}'
bad "limits.pids is not a number" 400 limits.pids /v1/runs '{"language": "python", "code": "1", "limits": {"pids": "x"}}'
bad "limits.memory is a bool" 400 limits.memory /v1/runs '{"language": "python", "code": "1", "limits": {"memory": true}}'
bad "env is an array" 400 env /v1/runs '{"language": "python", "code": "1", "env": []}'
bad "env value is a number" 400 env.A /v1/runs '{"language": "python", "code": "1", "env": {"A": 1}}'
bad "files is an object" 400 files /v1/runs '{"language": "python", "code": "1", "files": {}}'
bad "a file without content" 400 'files[0]' /v1/runs '{"language": "python", "code": "1", "files": [{"path": "a"}]}'
bad "a file with an unknown encoding" 400 'files[0]' /v1/runs '{"language": "python", "code": "1", "files": [{"path": "a", "content": "x", "encoding": "rot13"}]}'
bad "a file that is not base64" 400 'files[0]' /v1/runs '{"language": "python", "code": "1", "files": [{"path": "a", "content": "!!!", "encoding": "base64"}]}'
bad "a file path leaving the work dir" 400 'files[0]' /v1/runs '{"language": "python", "code": "1", "files": [{"path": "../a", "content": "x"}]}'
bad "a file path that is absolute" 400 'files[0]' /v1/runs '{"language": "python", "code": "1", "files": [{"path": "/etc/x", "content": "x"}]}'
bad "session language is a number" 400 language /v1/sessions '{"language": 3}'

# ---- unknown fields ----
bad "unknown field" 400 bogus /v1/runs '{"language": "python", "code": "1", "bogus": 1}'
bad "unknown limit" 400 limits.memry /v1/runs '{"language": "python", "code": "1", "limits": {"memry": "1M"}}'
bad "unknown session field" 400 x /v1/sessions '{"language": "python", "x": 1}'
bad "a run limit on a session" 400 limits.wall_time /v1/sessions '{"language": "python", "limits": {"wall_time": "1s"}}'

# ---- languages, and what a run must say ----
bad "unknown language" 400 language /v1/runs '{"language": "cobol", "code": "1"}'
expect_match "unknown language: named" "$(j .error.message)" cobol
bad "sessions have no sh" 400 language /v1/sessions '{"language": "sh"}'
bad "argv and language" 400 argv /v1/runs '{"argv": ["ls"], "language": "sh", "code": "x"}'
bad "neither argv nor language" 400 language /v1/runs '{"code": "1"}'
bad "language without code" 400 code /v1/runs '{"language": "python"}'

# ---- limits above the tier: 403, the field named ----
bad "memory above the tier" 403 limits.memory /v1/runs '{"language": "python", "code": "1", "limits": {"memory": "1G"}}'
bad "wall_time above the tier" 403 limits.wall_time /v1/runs '{"argv": ["true"], "limits": {"wall_time": "1h"}}'
bad "cpu_time above the tier" 403 limits.cpu_time /v1/runs '{"argv": ["true"], "limits": {"cpu_time": "11s"}}'
bad "pids above the tier" 403 limits.pids /v1/runs '{"argv": ["true"], "limits": {"pids": 65}}'
bad "session memory above the tier" 403 limits.memory /v1/sessions '{"language": "python", "limits": {"memory": "2G"}}'
bad "another tier" 403 tier /v1/sessions '{"language": "python", "tier": "gold"}'
post /v1/runs '{"argv": ["true"], "limits": {"memory": "512M", "wall_time": "30s", "pids": 64}}' "${AUTH[@]}"
expect_eq "limits at the tier are taken" "$CODE $(j .status)" "200 ok"

# ---- values out of range, durations that are not ----
for d in '"5x"' '"0s"' '"-1s"' '"99999999999h"' '-1' '""' '"1.5s"' '{}'; do
  bad "limits.wall_time $d" 400 limits.wall_time /v1/runs "{\"argv\": [\"true\"], \"limits\": {\"wall_time\": $d}}"
done
bad "memory below the minimum" 400 limits.memory /v1/runs '{"argv": ["true"], "limits": {"memory": "1K"}}'
bad "memory with an unknown unit" 400 limits.memory /v1/runs '{"argv": ["true"], "limits": {"memory": "12Q"}}'
bad "pids 0" 400 limits.pids /v1/runs '{"argv": ["true"], "limits": {"pids": 0}}'
bad "pids 100000" 400 limits.pids /v1/runs '{"argv": ["true"], "limits": {"pids": 100000}}'
bad "idle_timeout soon" 400 idle_timeout /v1/sessions '{"language": "python", "idle_timeout": "soon"}'
bad "idle_timeout 0" 400 idle_timeout /v1/sessions '{"language": "python", "idle_timeout": 0}'
bad "max_lifetime 25h" 400 max_lifetime /v1/sessions '{"language": "python", "max_lifetime": "25h"}'

# ---- oversized bodies ----
python3 -c 'import json, sys; sys.stdout.write(json.dumps({"language": "python", "code": "#" * (33 << 20)}))' >"$T_TMP/big33.json"
req POST /v1/runs -H 'Content-Type: application/json' --data-binary @"$T_TMP/big33.json" "${AUTH[@]}"
expect_error "a body of 33 MiB" 413 body
python3 -c 'import json, sys; sys.stdout.write(json.dumps({"language": "python", "code": "#" * (17 << 20)}))' >"$T_TMP/big17.json"
req POST /v1/runs -H 'Content-Type: application/json' --data-binary @"$T_TMP/big17.json" "${AUTH[@]}"
expect_error "code of 17 MiB" 413 code
python3 -c 'import json, sys; sys.stdout.write(json.dumps({"argv": ["true"], "stdin": "#" * (17 << 20)}))' >"$T_TMP/big17.json"
req POST /v1/runs -H 'Content-Type: application/json' --data-binary @"$T_TMP/big17.json" "${AUTH[@]}"
expect_error "stdin of 17 MiB" 413 stdin
rm -f "$T_TMP/big33.json" "$T_TMP/big17.json"
post /v1/sessions '{"language": "bash"}' "${AUTH[@]}"
SA=$(j .id)
expect_match "a session of tenant a" "$SA" '^[A-Za-z0-9_-]+$'
head -c $((65 << 20)) /dev/zero >"$T_TMP/65m"
req PUT "/v1/sessions/$SA/files/big" --data-binary @"$T_TMP/65m" "${AUTH[@]}"
expect_error "a file of 65 MiB" 413 body
rm -f "$T_TMP/65m"
expect_healthy "after the oversized bodies"

# ---- bad cells ----
bad "cell without code" 400 code "/v1/sessions/$SA/cells" '{}'
bad "cell code is a number" 400 code "/v1/sessions/$SA/cells" '{"code": 1}'
bad "cell timeout 1x" 400 timeout "/v1/sessions/$SA/cells" '{"code": "true", "timeout": "1x"}'
bad "cell timeout 0" 400 timeout "/v1/sessions/$SA/cells" '{"code": "true", "timeout": "0"}'
bad "cell timeout above the tier" 403 timeout "/v1/sessions/$SA/cells" '{"code": "true", "timeout": "1h"}'
bad "cell cpu_time above the tier" 403 cpu_time "/v1/sessions/$SA/cells" '{"code": "true", "cpu_time": "1h"}'
bad "unknown cell field" 400 x "/v1/sessions/$SA/cells" '{"code": "true", "x": 2}'

# ---- bad paths ----
for p in 'a%00b' 'a%zzb' '%ff' "$(head -c 4097 /dev/zero | tr '\0' p)"; do
  req GET "/v1/sessions/$SA/files/$p" "${AUTH[@]}"
  expect_error "file path ${p:0:12}" 400 path
done
req GET "/v1/sessions/$SA/files?dir=%00" "${AUTH[@]}"
expect_error "dir with a NUL" 400 dir

# ---- unknown sessions, another tenant's ----
for id in ses_nope "$(head -c 64 /dev/zero | tr '\0' a)"; do
  req GET "/v1/sessions/$id" "${AUTH[@]}"
  expect_error "GET unknown session ${id:0:12}" 404 session
done
bad "cell on an unknown session" 404 session /v1/sessions/ses_nope/cells '{"code": "1"}'
req DELETE /v1/sessions/ses_nope "${AUTH[@]}"
expect_error "DELETE an unknown session" 404 session
req GET /v1/sessions/a.b "${AUTH[@]}"
expect_error "a session id outside [A-Za-z0-9_-]" 404 null
req GET "/v1/sessions/$SA" -H "Authorization: Bearer $TB"
expect_error "GET another tenant's session" 404 session
unknown_msg=$(j .error.message | sed "s/$SA//")
bad_b() { post "$1" "$2" -H "Authorization: Bearer $TB"; expect_error "$3" 404 session; }
bad_b "/v1/sessions/$SA/cells" '{"code": "echo pwned > /tmp/x"}' "a cell on another tenant's session"
req DELETE "/v1/sessions/$SA" -H "Authorization: Bearer $TB"
expect_error "DELETE another tenant's session" 404 session
req PUT "/v1/sessions/$SA/files/x" --data-binary 'x' -H "Authorization: Bearer $TB"
expect_error "PUT into another tenant's session" 404 session
req GET "/v1/sessions/$SA/files" -H "Authorization: Bearer $TB"
expect_error "list another tenant's files" 404 session
expect_eq "another tenant's session is answered as an unknown one" "$(j .error.message | sed "s/$SA//")" "$unknown_msg"
req GET "/v1/sessions/$SA" "${AUTH[@]}"
expect_eq "the owner's session is still there" "$CODE $(j .state)" "200 idle"

# ---- tokens ----
for h in "" "Authorization: Bearer wrong-token" "Authorization: Basic dXNlcjpwYXNz" "Authorization: Bearer"; do
  req GET /v1/sessions ${h:+-H "$h"}
  expect_error "Authorization '${h:0:30}'" 401 null
  expect_eq "Authorization '${h:0:30}': WWW-Authenticate (openapi.json Unauthorized)" "$(header WWW-Authenticate)" Bearer
done
req GET /v1/sessions -H "Authorization: Bearer $TA" -H "Authorization: Bearer $TB"
expect_error "two Authorization headers" 401 null
post /v1/runs '{"argv": ["true"]}' -H "Authorization: Bearer wrong-token"
expect_error "a run with a wrong token" 401 null
req GET /healthz
expect_eq "/healthz needs no token" "$CODE" 200
req GET /v1/openapi.json
expect_eq "/v1/openapi.json needs no token" "$CODE" 200

# ---- routes and methods ----
req DELETE /v1/runs "${AUTH[@]}"
expect_error "DELETE /v1/runs" 405 null
expect_eq "DELETE /v1/runs: Allow" "$(header Allow)" POST
req GET /v2/nothing "${AUTH[@]}"
expect_error "an unknown route" 404 null

# ---- how fields are named ----
post /v1/runs '{"argv": ["true"], "limits": {"memory": "1G"}}' "${AUTH[@]}"
documented=$(spec .components.schemas.Error.properties.error.properties.field.description | grep -o '`[a-z_.]*limits\.memory`' | tr -d '`' | head -1)
expect_eq "a body member's field as openapi.json's Error.field shows it ($documented)" "$(j .error.field)" "$documented"

# ---- and the server is fine ----
expect_healthy "after every bad request"
post /v1/runs '{"language": "python", "code": "print(6 * 7)"}' "${AUTH[@]}"
expect_eq "a good run after all that" "$CODE $(j .stdout)" "200 42"
expect_documented_codes
serve_stop
expect_eq "exit status after SIGTERM" "$SERVE_RC" 0
expect_no_leftovers "by the server"

# ---- the command line: exit 125, one line naming the flag, nothing left ----
# refused WHAT REGEX ARGS...: `ward serve ARGS...` must end at once with
# 125 and one line on stderr matching REGEX.
refused() {
  local what=$1 re=$2 rc n t0 ms
  shift 2
  t0=$(date +%s%N)
  timeout -k 1 4 "$WARD" serve "$@" </dev/null >"$T_TMP/cli.out" 2>"$T_TMP/cli.err"
  rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  ERR=$(cat "$T_TMP/cli.err")
  expect_eq "$what: exit status" "$rc" 125
  n=$(grep -c . "$T_TMP/cli.err")
  expect_eq "$what: lines on stderr" "$n" 1
  expect_match "$what: stderr names it" "$ERR" "$re"
  expect_eq "$what: stdout" "$(cat "$T_TMP/cli.out")" ""
  expect_eq "$what: refused at once ($ms ms)" "$((ms < 5000))" 1
}
P=$(client port)
refused "--listen without a port" '--listen' --listen nonsense
refused "--listen port 99999" '--listen' --listen 127.0.0.1:99999
refused "--listen empty port" '--listen' --listen 127.0.0.1:
refused "--listen bad address" '--listen' --listen 300.1.1.1:80
refused "--listen a name" '--listen' --listen localhost:$P
refused "--listen IPv6" '--listen' --listen '[::1]:80'
refused "--listen an address the host lacks" '--listen' --listen 192.0.2.1:$P
# a port another socket holds
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("up", flush=True); time.sleep(30)' "$P" >"$T_TMP/holder" &
holder=$!
for _ in $(seq 50); do [ -s "$T_TMP/holder" ] && break; sleep 0.1; done
refused "--listen a port in use" '--listen.*(in use|Address)' --listen 127.0.0.1:$P
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
refused "a non-loopback --listen without --config" '--listen.*--config|--config.*--listen' --listen 0.0.0.0:$P
refused "--pool 65" '--pool' --pool 65
refused "--pool -1" '--pool' --pool -1
refused "--pool x" '--pool' --pool x
refused "--max-sessions 0" '--max-sessions' --max-sessions 0
refused "--max-runs x" '--max-runs' --max-runs x
refused "unknown option" '--bogus' --bogus
refused "extra argument" 'extra' extra
C=$T_TMP/cfg
mkdir -p "$C"
mkfifo "$C/fifo"
HASH=$(printf x | sha256sum | cut -c1-64)
echo '{' >"$C/broken.json"
echo '{"tenants": []}' >"$C/empty.json"
echo '{"tenants": [{"name": "a", "token_sha256": "abc"}]}' >"$C/badhash.json"
echo "{\"tenants\": [{\"name\": \"a\", \"token_sha256\": \"$HASH\"}], \"extra\": 1}" >"$C/unknown.json"
echo "{\"tenants\": [{\"name\": \"a\", \"token_sha256\": \"$HASH\", \"quotas\": {\"sessions\": 0}}]}" >"$C/quota.json"
echo "{\"tier\": {\"limits\": {\"memory\": \"12Q\"}}, \"tenants\": [{\"name\": \"a\", \"token_sha256\": \"$HASH\"}]}" >"$C/tier.json"
echo '[]' >"$C/array.json"
# Two tenants of one name would share sessions; two of one token, who is who?
HASH2=$(printf y | sha256sum | cut -c1-64)
echo "{\"tenants\": [{\"name\": \"a\", \"token_sha256\": \"$HASH\"}, {\"name\": \"a\", \"token_sha256\": \"$HASH2\"}]}" >"$C/dupname.json"
echo "{\"tenants\": [{\"name\": \"a\", \"token_sha256\": \"$HASH\"}, {\"name\": \"b\", \"token_sha256\": \"$HASH\"}]}" >"$C/duptoken.json"
for f in /nonexistent-ward.json "$C/fifo" "$C" "$C/broken.json" "$C/empty.json" "$C/badhash.json" "$C/unknown.json" "$C/quota.json" "$C/tier.json" "$C/array.json" "$C/dupname.json" "$C/duptoken.json"; do
  refused "--config ${f##*/}" "--config|$f" --listen 127.0.0.1:$P --config "$f"
done
expect_match "a broken config: line and column" "$(refused "--config broken.json (again)" broken.json --listen 127.0.0.1:$P --config "$C/broken.json" >/dev/null; cat "$T_TMP/cli.err")" ':[0-9]+:[0-9]+: '
# Nothing listens on the port any of those named.
python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$P"
expect_eq "the port is free after the refusals" "$?" 0
expect_no_leftovers "by the refused command lines"
done_testing
