#!/bin/bash
# ward serve's sessions over HTTP, through the real binary: for python, node
# and bash, state that persists across cells, last-expression results,
# errors with their traceback, a cell past its time (interrupted, the
# session and its state kept), a crash (a fresh interpreter, said so),
# execution counts; the session's files (1 MiB of binary byte for byte,
# listing, removal, what a cell changed) and every way out of the work dir
# refused (.., absolute paths, a symlink or a FIFO the session planted)
# with nothing outside read or written; a matplotlib chart as a PNG; the
# session's own lifecycle (GET, DELETE, 404 after). Nothing may be left.
source "$(dirname "$0")/../helpers/lib.sh"
need node
source "$(dirname "$0")/../helpers/serve-lib.sh"

serve_start --pool 1

# new_session LANG [JSON-EXTRA]: a session; its id in SID.
new_session() {
  post /v1/sessions "$(jq -cn --arg l "$1" --argjson x "${2:-{\}}" '{language: $l} + $x')"
  expect_eq "create a $1 session: HTTP status" "$CODE" 201
  SID=$(j .id)
}
# cell SID CODE [TIMEOUT]: runs a cell; the answer in OUT.
cell() {
  post "/v1/sessions/$1/cells" "$(jq -cn --arg c "$2" --arg t "${3:-}" '{code: $c} + (if $t == "" then {} else {timeout: $t} end)')"
}
result() { j '.results[0]["text/plain"]'; }

# ---- the session document ----
new_session python
PY=$SID
expect_match "session id" "$PY" '^[A-Za-z0-9_-]{1,64}$'
expect_eq "session: language, state, execution_count" "$(j '"\(.language) \(.state) \(.execution_count)"')" "python idle 0"
expect_eq "201 has Location: /v1/sessions/{id} (openapi.json)" "$(header Location)" "/v1/sessions/$PY"
printf '%s' "$OUT" >"$T_TMP/session.json"
expect_eq "session document has every field Session requires (openapi.json)" \
  "$(jq -r --slurpfile s "$T_TMP/openapi.json" '[$s[0].components.schemas.Session.required[] as $k | select(has($k) | not) | $k] | join(",")' "$T_TMP/session.json")" ""
expect_eq "session timestamps are RFC 3339" "$(jf "$T_TMP/session.json" '[.created_at, .last_used_at, .expires_at] | map(test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")) | all')" true

# ---- per language: state, results, errors, a cell past its time ----
for lang in python node bash; do
  if [ $lang = python ]; then SID=$PY; else new_session $lang; fi
  S=$SID
  n=0
  case $lang in
    python)
      cell $S 'x = 41'; n=$((n + 1))
      expect_eq "python: assignment: status, no result" "$(j '"\(.status) \(.results | length)"')" "ok 0"
      cell $S 'print("hi"); x + 1'; n=$((n + 1))
      expect_eq "python: x + 1" "$(result)" 42
      expect_eq "python: stdout" "$(j .stdout)" hi
      cell $S '1/0'; n=$((n + 1))
      expect_eq "python: 1/0: status" "$(j .status)" error
      expect_eq "python: 1/0: ename, evalue" "$(j '"\(.error.ename): \(.error.evalue)"')" "ZeroDivisionError: division by zero"
      expect_eq "python: 1/0: traceback is lines" "$(j '.error.traceback | type == "array" and length > 0 and (map(type == "string") | all) and (join("\n") | test("ZeroDivisionError"))')" true
      expect_match "python: 1/0: traceback on stderr" "$(j .stderr)" 'ZeroDivisionError'
      LOOP='while True: pass'; CHECK='x'; WANT=41
      ;;
    node)
      cell $S 'var x = 41'; n=$((n + 1))
      cell $S 'await Promise.resolve(41) + 1'; n=$((n + 1))
      expect_eq "node: await Promise.resolve(41) + 1" "$(result)" 42
      cell $S 'x + 1'; n=$((n + 1))
      expect_eq "node: x + 1 (state kept)" "$(result)" 42
      cell $S 'null.foo'; n=$((n + 1))
      expect_eq "node: null.foo: status" "$(j .status)" error
      expect_eq "node: null.foo: ename" "$(j .error.ename)" TypeError
      expect_eq "node: null.foo: traceback" "$(j '.error.traceback | type == "array" and length > 0')" true
      LOOP='while (true) {}'; CHECK='x'; WANT=41
      ;;
    bash)
      cell $S 'x=41; cd /tmp'; n=$((n + 1))
      cell $S 'echo $((x + 1)) $PWD'; n=$((n + 1))
      expect_eq "bash: state and cwd kept" "$(j .stdout)" "42 /tmp"
      # A failing command is not an error in bash: its status is in exit_code.
      cell $S 'false'; n=$((n + 1))
      expect_eq "bash: false: status, exit_code, error" "$(j '"\(.status) \(.exit_code) \(.error)"')" "ok 1 null"
      LOOP='while true; do :; done'; CHECK='echo $x'; WANT=41
      ;;
  esac
  t0=$(date +%s%N)
  cell $S "$LOOP" 1s; n=$((n + 1))
  ms=$((($(date +%s%N) - t0) / 1000000))
  expect_eq "$lang: endless loop, timeout 1s: status" "$(j .status)" timeout
  expect_eq "$lang: endless loop: limit event" "$(j '[.events[] | select(.type == "limit") | .limit] | join(",")')" wall_time
  expect_eq "$lang: endless loop: session kept" "$(j .session_restarted)" false
  expect_eq "$lang: endless loop answered in 1 to 5 s ($ms ms)" "$((ms >= 900 && ms < 5000))" 1
  cell $S "$CHECK"; n=$((n + 1))
  if [ $lang = bash ]; then got=$(j .stdout); else got=$(result); fi
  expect_eq "$lang: state after the timeout" "$got" "$WANT"
  expect_eq "$lang: execution_count of the last cell" "$(j .execution_count)" $n
  req GET "/v1/sessions/$S"
  expect_eq "$lang: GET session: execution_count" "$(j .execution_count)" $n
  expect_eq "$lang: GET session: state" "$(j .state)" idle
  [ $lang = node ] && NODE=$S
  [ $lang = bash ] && BASH_S=$S
done

# ---- one cell at a time ----
post "/v1/sessions/$BASH_S/cells" '{"code": "sleep 1.5"}' -o /dev/null &
busy=$!
sleep 0.5
req GET "/v1/sessions/$BASH_S"
expect_eq "a session running a cell is busy" "$(j .state)" busy
cell $BASH_S 'echo second'
expect_error "a second cell at once" 409 null
wait $busy

# ---- a cell whose client goes away is interrupted; the session goes on ----
for lang in python bash; do
  if [ $lang = python ]; then
    S=$PY long='import time; time.sleep(20)' next='print("after")'
  else
    S=$BASH_S long='sleep 20' next='echo after'
  fi
  t0=$(date +%s%N)
  curl -s -o /dev/null -m 1 "$U/v1/sessions/$S/cells" -H 'Content-Type: application/json' \
    -d "$(jq -cn --arg c "$long" '{code: $c, timeout: "25s"}')"
  for _ in $(seq 50); do
    req GET "/v1/sessions/$S"
    [ "$(j .state)" = busy ] || break
    sleep 0.1
  done
  expect_ne "$lang: busy 5 s after its cell's client went away" "$(j .state)" busy
  cell $S "$next"
  expect_eq "$lang: a cell after the abandoned one: status" "$(j .status)" ok
  expect_eq "$lang: a cell after the abandoned one: stdout" "$(j .stdout)" after
  expect_eq "$lang: the session was not restarted" "$(j .session_restarted)" false
  ms=$((($(date +%s%N) - t0) / 1000000))
  if [ "$ms" -lt 15000 ]; then ok; else fail "$lang: the abandoned cell held the session for $ms ms"; fi
done

# ---- a crash: a fresh interpreter, and the answer says so ----
cell $PY 'import os; os._exit(3)'
expect_eq "python os._exit(3): session_restarted" "$(j .session_restarted)" true
expect_match "python os._exit(3): message" "$(j .message)" 'restart'
# CellResult.status as openapi.json has it: "restarted" when it lists one
# (a fresh interpreter replaced the one that died), else "crashed".
if [ "$(spec '.components.schemas.CellResult.properties.status.enum | index("restarted") != null')" = true ]; then want=restarted; else want=crashed; fi
expect_eq "python os._exit(3): status (openapi.json CellResult.status)" "$(j .status)" "$want"
expect_eq "python os._exit(3): the exit code is reported, not a signal" "$(j '"\(.exit_code) \(.signal)"')" "3 null"
cell $PY 'x'
expect_eq "after the crash the session answers, its state gone" "$(j '"\(.status) \(.error.ename)"')" "error NameError"
cell $PY 'x = 41'
cell $NODE 'process.exit(2)'
expect_eq "node process.exit(2): session_restarted" "$(j .session_restarted)" true
cell $NODE '6 * 7'
expect_eq "node after its exit: a fresh interpreter answers" "$(result)" 42

# A cell over the session's memory: the interpreter is replaced, and says so.
new_session python '{"limits": {"memory": "64M"}}'
MEM=$SID
cell $MEM 'x = bytearray(200 << 20)'
expect_eq "a cell over the memory limit: session_restarted" "$(j .session_restarted)" true
expect_eq "a cell over the memory limit: limit event" "$(j '[.events[] | select(.type == "limit") | .limit] | join(",")')" memory
st=$(j .status)
expect_eq "a cell over the memory limit: status '$st' is one CellResult.status lists" \
  "$(spec ".components.schemas.CellResult.properties.status.enum | index(\"$st\") != null")" true
cell $MEM '6 * 7'
expect_eq "after the memory limit the session answers" "$(result)" 42

# The interpreter killed between cells (by a process the cell left behind):
# the next cell runs in a fresh one, and says so as a crash does.
new_session python
KILLED=$SID
cell $KILLED 'x = 1'
cell $KILLED 'import os, subprocess; subprocess.Popen(["sh", "-c", "sleep 0.5; kill -9 %d" % os.getpid()]); x'
sleep 2
cell $KILLED '6 * 7'
expect_eq "killed between cells: the next cell answers" "$(result)" 42
expect_eq "killed between cells: session_restarted" "$(j .session_restarted)" true
expect_eq "killed between cells: execution_count starts again at 1, as after a crash" "$(j .execution_count)" 1
expect_match "killed between cells: a message says what happened, as after a crash" "$(j .message)" 'restart'

# Output over the session's cap (1M by default): the answer of that cell
# says whether the interpreter, and the session's state, survived it.
# (Three times: which way it goes may depend on timing.)
for i in 1 2 3; do
  cell $KILLED 'x = 1'
  cell $KILLED 'print("x" * (2 << 20))'
  big=$(j '"\(.status) \(.session_restarted)"')
  expect_eq "a cell printing 2 MiB ($i): stdout_truncated" "$(j .stdout_truncated)" true
  cell $KILLED 'x'
  if [ "$(result)" = 1 ]; then lost=false; else lost=true; fi
  expect_eq "a cell printing 2 MiB ($i): its answer ($big) says whether the state was lost (x afterwards: $(j '.results[0]["text/plain"] // .error.ename'))" "${big#* }" "$lost"
done

# Cell code can talk for the driver on its control socket (display's
# session object is in reach). What it says there is held by the
# session's host, outside the sandbox's cgroup: results and displays are
# bounded by the output limit (1M here) in bytes and by 1000 in count,
# and past either the cell ends as output_limit.
new_session python
FLOOD=$SID
cell $FLOOD 's = display.__self__
for _ in range(30):
    s.ctl.send({"type": "display", "id": s.rid, "data": {"text/plain": "z" * 5_000_000}})'
expect_eq "30 displays of 5 MB on the control socket: HTTP status" "$CODE" 200
expect_eq "30 displays of 5 MB: the cell ends as output_limit, the session restarted" \
  "$(j '"\(.status) \(.session_restarted)"')" "output_limit true"
expect_eq "30 displays of 5 MB: the answer holds none of them (${#OUT} bytes)" "$((${#OUT} < 1048576))" 1
cell $FLOOD 's = display.__self__
for i in range(5000):
    s.ctl.send({"type": "display", "id": s.rid, "data": {"text/plain": str(i)}})'
expect_eq "5000 small displays: output_limit" "$(j .status)" output_limit
expect_eq "5000 small displays: at most 1000 kept ($(j '.displays | length'))" "$(j '.displays | length <= 1000')" true
cell $FLOOD 'display(1, 2)
6 * 7'
expect_eq "afterwards the session answers, with displays" "$(j '"\(.displays | length) \(.results[0]["text/plain"])"')" "2 42"

# ---- a cell, streamed ----
client stream "$U/v1/sessions/$PY/cells" '{"code": "import time\nprint(\"one\", flush=True)\ntime.sleep(0.8)\nprint(\"two\")\nx + 1"}' >"$T_TMP/ndjson" 2>"$T_TMP/ndjson.err"
cut -f2- "$T_TMP/ndjson" >"$T_TMP/lines"
expect_eq "cell ndjson: status, Content-Type" "$(sed -n 's/^status //p; s/^content-type //p' "$T_TMP/ndjson.err" | paste -sd' ')" "200 application/x-ndjson"
# Output comes in the pieces the pipe gives ("two" and its newline may
# come apart): stdout chunks that join to the output, then the result.
expect_eq "cell ndjson: stdout chunks, then the result" "$(jq -sc 'map(.type // "result") | unique' "$T_TMP/lines") $(tail -1 "$T_TMP/lines" | jq -r 'has("status")')" '["result","stdout"] true'
expect_eq "cell ndjson: the chunks join to the output" "$(jq -sr 'map(select(.type == "stdout") | .data) | join("")' "$T_TMP/lines")" "$(printf 'one\ntwo')"
expect_ne "cell ndjson: more than one chunk" "$(jq -s 'map(select(.type == "stdout")) | length' "$T_TMP/lines")" 1
expect_eq "cell ndjson: the result is the cell's" "$(tail -1 "$T_TMP/lines" | jq -c '[.status, .stdout, .results[0]["text/plain"]]')" '["ok","one\ntwo\n","42"]'
t_first=$(head -1 "$T_TMP/ndjson" | cut -f1)
t_last=$(tail -1 "$T_TMP/ndjson" | cut -f1)
expect_eq "cell ndjson: the first chunk came while the cell ran" "$((t_last - t_first >= 500))" 1

# ---- files: 1 MiB of binary, byte for byte ----
{ head -c 1000 /dev/zero; head -c $((1024 * 1024 - 1000)) /dev/urandom; } >"$T_TMP/big.bin"
sum=$(sha256sum <"$T_TMP/big.bin" | cut -c1-64)
req PUT "/v1/sessions/$PY/files/bin/big.bin" --data-binary @"$T_TMP/big.bin" -H 'Content-Type: application/octet-stream'
expect_eq "PUT 1 MiB: status" "$CODE" 201
expect_eq "PUT 1 MiB: answer" "$(printf '%s' "$OUT" | jq -c '[.path, .size]')" '["bin/big.bin",1048576]'
code=$(curl -s -m 30 -o "$T_TMP/back.bin" -D "$T_TMP/hdrs" -w '%{http_code}' "$U/v1/sessions/$PY/files/bin/big.bin")
expect_eq "GET 1 MiB: status" "$code" 200
if cmp -s "$T_TMP/big.bin" "$T_TMP/back.bin"; then ok; else fail "GET 1 MiB: not the bytes PUT ($(stat -c %s "$T_TMP/back.bin") bytes back)"; fi
expect_eq "GET: Content-Type" "$(tr -d '\r' <"$T_TMP/hdrs" | sed -n 's/^content-type: //Ip')" application/octet-stream
cell $PY 'import hashlib; print(hashlib.sha256(open("bin/big.bin", "rb").read()).hexdigest())'
expect_eq "the cell reads the uploaded bytes" "$(j .stdout)" "$sum"
expect_eq "an upload between cells is no change of the cell's" "$(j '.files_changed | length')" 0
req PUT "/v1/sessions/$PY/files/d%20x/h%C3%A9.txt" --data-binary 'unicode'
expect_eq "PUT a name with a space and UTF-8: status, path" "$CODE $(j .path)" "201 d x/hé.txt"
req GET "/v1/sessions/$PY/files/d%20x/h%C3%A9.txt"
expect_eq "GET it back" "$OUT" unicode
req PUT "/v1/sessions/$PY/files/empty" --data-binary ''
expect_eq "PUT an empty file" "$CODE $(j .size)" "201 0"
req GET "/v1/sessions/$PY/files"
expect_eq "list: the file" "$(j '.files[] | select(.path == "bin/big.bin") | "\(.type) \(.size)"')" "file 1048576"
expect_eq "list: the directory" "$(j '.files[] | select(.path == "bin") | .type')" dir
if [ "$(spec .components.schemas.FileEntry.properties.mtime.type)" = integer ]; then
  expect_eq "list: mtime, seconds since the epoch (openapi.json FileEntry)" "$(j "[.files[].mtime | type == \"number\" and . > $(($(date +%s) - 600)) and . <= $(($(date +%s) + 5))] | all")" true
else
  expect_eq "list: mtime is a date-time (openapi.json FileEntry)" "$(j '[.files[].mtime | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")] | all')" true
fi
req GET "/v1/sessions/$PY/files?dir=bin"
expect_eq "list ?dir=bin" "$(j '[.files[].path] | join(",")')" bin/big.bin
cell $PY 'open("out.txt", "w").write("abc")'
printf '%s' "$OUT" >"$T_TMP/cell.json"
expect_eq "a cell's answer has every field CellResult requires (openapi.json)" \
  "$(jq -r --slurpfile s "$T_TMP/openapi.json" '[$s[0].components.schemas.CellResult.required[] as $k | select(has($k) | not) | $k] | join(",")' "$T_TMP/cell.json")" ""
expect_eq "files_changed: created" "$(printf '%s' "$OUT" | jq -c '.files_changed | map([.path, .size, .change])')" '[["out.txt",3,"created"]]'
cell $PY 'open("out.txt", "a").write("defg")'
expect_eq "files_changed: modified" "$(printf '%s' "$OUT" | jq -c '.files_changed | map([.path, .size, .change])')" '[["out.txt",7,"modified"]]'
cell $PY 'import os; os.remove("out.txt"); os.makedirs("sub/deep"); open("sub/deep/n", "w").write("n")'
expect_eq "files_changed: deleted, created below new dirs" "$(printf '%s' "$OUT" | jq -c '.files_changed | map([.path, .change]) | sort')" '[["out.txt","deleted"],["sub/deep/n","created"]]'
req DELETE "/v1/sessions/$PY/files/bin/big.bin"
expect_eq "DELETE a file" "$CODE" 204
req GET "/v1/sessions/$PY/files/bin/big.bin"
expect_error "GET a deleted file" 404 path
req GET "/v1/sessions/$PY/files"
expect_eq "a deleted file is not listed" "$(j '[.files[] | select(.path == "bin/big.bin")] | length')" 0
req DELETE "/v1/sessions/$PY/files/sub"
expect_error "DELETE a directory that is not empty" 409 path
req GET "/v1/sessions/$PY/files/sub"
expect_error "GET a directory" 409 path

# A failed upload leaves what was there: a full disk is no reason to lose a file.
new_session bash '{"limits": {"disk": "1M"}}'
SMALL=$SID
req PUT "/v1/sessions/$SMALL/files/keep" --data-binary 'original'
head -c $((2 * 1024 * 1024)) /dev/urandom >"$T_TMP/2m.bin"
req PUT "/v1/sessions/$SMALL/files/keep" --data-binary @"$T_TMP/2m.bin"
expect_error "PUT 2 MiB into a 1M disk" 413 path
req GET "/v1/sessions/$SMALL/files/keep"
expect_eq "a failed PUT leaves the file it would have replaced" "$CODE $OUT" "200 original"
req PUT "/v1/sessions/$SMALL/files/new" --data-binary @"$T_TMP/2m.bin"
req GET "/v1/sessions/$SMALL/files/new"
expect_eq "a failed PUT leaves no file behind" "$CODE" 404

# ---- nothing outside the work dir, whatever the session planted ----
printf 'host-canary' >"$T_TMP/canary"
passwd_sum=$(sha256sum </etc/passwd)
cell $PY "$(cat <<PYEOF
import os, threading
os.symlink("/etc/passwd", "pw")
os.symlink("/etc", "etc")
os.symlink("$T_TMP/canary", "canary")
os.symlink("$T_TMP", "hostdir")
os.symlink("$T_TMP/not-created", "newfile")
os.mkfifo("fifo")
os.mkfifo("fifo2")
got = []
def reader():
    with open("fifo2", "rb") as f:
        got.append(f.read())
threading.Thread(target=reader, daemon=True).start()
PYEOF
)"
expect_eq "plant symlinks and FIFOs" "$(j .status)" ok
for p in pw etc/passwd canary hostdir/canary fifo fifo2 ../x %2e%2e/x a/../../x ..%2F..%2Fetc%2Fpasswd %2Fetc%2Fpasswd; do
  t0=$(date +%s%N)
  req GET "/v1/sessions/$PY/files/$p" --path-as-is -m 10
  ms=$((($(date +%s%N) - t0) / 1000000))
  expect_match "GET $p: refused" "$CODE" '^4[0-9][0-9]$'
  expect_no_match "GET $p: nothing of the host" "$OUT" 'root:|host-canary'
  expect_eq "GET $p: answered at once ($ms ms)" "$((ms < 5000))" 1
done
for p in pw etc/x canary newfile hostdir/x fifo fifo2 ../x ..%2Fx %2Ftmp%2Fward-serve-escape; do
  t0=$(date +%s%N)
  req PUT "/v1/sessions/$PY/files/$p" --path-as-is -m 10 --data-binary 'written'
  ms=$((($(date +%s%N) - t0) / 1000000))
  expect_match "PUT $p: refused" "$CODE" '^4[0-9][0-9]$'
  expect_eq "PUT $p: answered at once ($ms ms)" "$((ms < 5000))" 1
done
for p in hostdir/canary etc/passwd ../x; do
  req DELETE "/v1/sessions/$PY/files/$p" --path-as-is
  expect_match "DELETE $p: refused" "$CODE" '^4[0-9][0-9]$'
done
for d in .. /etc etc hostdir pw %2Fetc ..%2F..; do
  req GET "/v1/sessions/$PY/files?dir=$d"
  expect_match "list dir=$d: refused" "$CODE" '^4[0-9][0-9]$'
  expect_no_match "list dir=$d: nothing of the host" "$OUT" 'passwd|canary|hostname'
done
expect_eq "the host's canary is untouched" "$(cat "$T_TMP/canary")" host-canary
expect_eq "/etc/passwd is untouched" "$(sha256sum </etc/passwd)" "$passwd_sum"
expect_eq "nothing made through a planted link" "$(ls "$T_TMP/not-created" "$T_TMP/x" /tmp/ward-serve-escape 2>/dev/null)" ""
cell $PY 'import time; time.sleep(0.3); print(got, os.readlink("pw"))'
# The reader still waits for a writer ([]), or saw one come and go ([b'']):
# either way no byte came through.
expect_match "nothing written into the FIFO a session reads" "$(j .stdout)" "^\[(b'')?\] /etc/passwd$"
req DELETE "/v1/sessions/$PY/files/pw"
expect_eq "DELETE a planted symlink removes the link" "$CODE" 204
expect_eq "... and not what it points at" "$(sha256sum </etc/passwd)" "$passwd_sum"
cell $PY 'x + 1'
expect_eq "the session works after all that" "$(result)" 42

# ---- sessions do not share files ----
new_session python
OTHER=$SID
req GET "/v1/sessions/$OTHER/files"
expect_eq "another session's files are not listed" "$(j '[.files[] | select(.path == "sub" or .path == "empty")] | length')" 0

# ---- a matplotlib chart ----
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  cell $OTHER 'import matplotlib.pyplot as plt; plt.plot([1,2]); None'
  expect_eq "chart: status" "$(j .status)" ok
  expect_eq "chart: one display with image/png and text/plain" "$(j '[.displays[] | has("image/png") and has("text/plain")] | map(tostring) | join(",")')" true
  expect_eq "chart: no result (the cell ends with None)" "$(j '.results | length')" 0
  png=$(j '.displays[0]["image/png"]' | client png)
  expect_match "chart: a PNG that decodes ($png)" "$png" '^[0-9]+x[0-9]+$'
  expect_no_match "chart: no fontconfig error on stderr" "$(j .stderr)" 'Fontconfig error'
else
  echo "$T_NAME: python3-matplotlib is not installed: the chart is not checked" >&2
fi

# ---- GET and DELETE a session; afterwards it is gone ----
req GET /v1/sessions
expect_eq "list: every session" "$(j "[.sessions[].id] | (index(\"$PY\") != null) and (index(\"$OTHER\") != null)")" true
req DELETE "/v1/sessions/$OTHER"
want=$(spec '.paths["/v1/sessions/{id}"].delete.responses | keys[] | select(startswith("2"))')
expect_eq "DELETE a session: the status openapi.json gives" "$CODE" "$want"
if [ "$want" = 204 ]; then
  expect_eq "DELETE a session: no body" "$OUT" ""
else
  expect_eq "DELETE a session: the session, ended" "$(j '"\(.id) \(.state)"')" "$OTHER ended"
fi
req GET "/v1/sessions/$OTHER"
expect_error "GET a deleted session" 404 session
cell $OTHER '1 + 1'
expect_error "a cell on a deleted session" 404 session
req GET "/v1/sessions/$OTHER/files"
expect_error "files of a deleted session" 404 session
req DELETE "/v1/sessions/$OTHER"
expect_error "DELETE a deleted session" 404 session
req GET /v1/sessions
expect_eq "a deleted session is not listed" "$(j "[.sessions[].id] | index(\"$OTHER\")")" null

expect_healthy "after all that"
expect_documented_codes
serve_stop
expect_eq "exit status after SIGTERM" "$SERVE_RC" 0
expect_no_leftovers "by the server"
done_testing
