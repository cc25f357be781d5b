#!/bin/bash
# Invalid requests: each ends with exit 125 before anything runs, one line on
# stderr naming the problem, no document on stdout, and nothing left behind
# (no ward-* cgroup, no process carrying the command's marker).
source "$(dirname "$0")/../helpers/lib.sh"

MARK="ward-bad-input-$$-$RANDOM"
CMD=(bash -c "sleep 30; : $MARK")

# bad DESC REGEX ARGS...: `ward run ARGS... -- CMD` must be refused.
bad() {
  local desc=$1 re=$2
  shift 2
  run_ward run "$@" -- "${CMD[@]}"
  check_refused "$desc" "$re"
}
check_refused() {
  local desc=$1 re=$2 n
  expect_eq "$desc: exit code" "$RC" 125
  n=$(printf '%s\n' "$ERR" | grep -c .)
  expect_eq "$desc: lines on stderr" "$n" 1
  expect_match "$desc: stderr names the problem" "$ERR" "$re"
  expect_eq "$desc: stdout" "$OUT" ""
}

bad "unknown option" "--bogus" --bogus
bad "size with unknown unit" "12Q" --memory 12Q
bad "negative size" "memory|-1" --memory -1
bad "size overflow" "memory|99999999999T" --memory 99999999999T
bad "empty size" "memory" --memory ""
bad "size below the minimum" "memory" --memory 1K
bad "file size with unknown unit" "file.size|1Z" --file-size 1Z
bad "disk with unknown unit" "disk|12Q" --disk 12Q
bad "output with unknown unit" "output|12Q" --output 12Q
bad "unknown output mode" "output.mode|sideways" --output-mode sideways
bad "duration with unknown unit" "wall.time|5x" --wall-time 5x
bad "negative duration" "cpu.time|-1" --cpu-time -1s
bad "duration overflow" "wall.time|99999999999h" --wall-time 99999999999h
bad "pids zero" "pids" --pids 0
bad "pids too many" "pids" --pids 1000000000
bad "pids not a number" "pids|abc" --pids abc
bad "max-violations not a number" "violations|x" --max-violations x
bad "unknown network mode" "net|bogus" --net bogus
bad "--ro source missing" "/nonexistent-ward-src" --ro /nonexistent-ward-src
bad "--rw source missing" "/nonexistent-ward-src" --rw /nonexistent-ward-src:/data
bad "--ro target relative" "relative|absolute|target" --ro /etc:relative/path
# Network rules: each names the rule and its position.
bad "wildcard without a name" "allow\\[0\\].*'\\*\\.'" --net 'allow=*.'
bad "empty label" "allow\\[1\\].*a\\.\\.b" --net 'allow=ok.test,a..b'
bad "port out of range" "allow\\[0\\].*70000" --net 'allow=x.test:70000'
bad "CIDR with host bits" "allow\\[0\\].*10\\.1\\.2\\.3/24.*host bits" --net 'allow=10.1.2.3/24'
bad "wildcard in the middle" "allow\\[0\\].*a\\.\\*\\.com" --net 'allow=a.*.com'
bad "unknown --net mode" "network.*sideways" --net sideways
bad "hosts entry not an address" "api\\.test.*1\\.2\\.3" --add-host api.test:1.2.3
echo '{"network": {"mode": "allowlist"}}' >"$T_TMP/net-empty.json"
bad "allowlist with no rule" "allowlist.*allow rule" --policy "$T_TMP/net-empty.json"
echo '{"network": {"mode": "allowlist", "allow": ["ok.test", "bad..name"]}}' >"$T_TMP/net-bad.json"
bad "policy rule, named with its position" "network.*allow\\[1\\].*bad\\.\\.name" --policy "$T_TMP/net-bad.json"
# Host paths are never resolved through symlinks (a sandbox with a --rw
# bind could have planted them): each names the path and the reason.
mkdir -p "$T_TMP/real" && ln -s "$T_TMP/real" "$T_TMP/link" && echo 'print(1)' >"$T_TMP/real/a.py"
bad "--ro through a symlink" "link.*symlink" --ro "$T_TMP/link:/x"
bad "--rw below a symlink" "link/.*symlink" --rw "$T_TMP/link/a.py:/x.py"
bad "--workdir through a symlink" "workdir.*symlink" --workdir "$T_TMP/link"
bad "--output-dir through a symlink" "output_dir.*symlink" --output-dir "$T_TMP/link"
bad "--audit below a symlink" "audit.*symlink" --audit "$T_TMP/link/audit.log"
run_ward run --lang python "$T_TMP/link/a.py"
check_refused "code file below a symlink" "a.py.*symlink"
# A FIFO where a file is expected is refused at once, not waited on.
mkfifo "$T_TMP/fifo"
T_START=$(date +%s)
bad "--policy is a FIFO" "fifo.*not a regular file" --policy "$T_TMP/fifo"
bad "--audit is a FIFO" "fifo.*not a regular file" --audit "$T_TMP/fifo"
run_ward run --lang python "$T_TMP/fifo"
check_refused "code file is a FIFO" "fifo.*not a regular file"
expect_eq "FIFOs refused without waiting" "$(($(date +%s) - T_START < 5))" 1
bad "--env without a name" "env|=value" --env =value
bad "--workdir missing" "/nonexistent-ward-wd" --workdir /nonexistent-ward-wd
bad "missing policy file" "/nonexistent-ward.json" --policy /nonexistent-ward.json

# As root every regular file is readable; a directory is not a policy.
mkdir "$T_TMP/policy-dir"
bad "unreadable policy" "policy-dir" --policy "$T_TMP/policy-dir"

printf '{\n  "version": 1,\n  "limits": { "memory": }\n}\n' >"$T_TMP/broken.json"
bad "invalid JSON" "broken.json" --policy "$T_TMP/broken.json"
expect_match "invalid JSON: line and column" "$ERR" '([Ll]ine[ :]*3[^0-9].*[Cc]ol(umn)?[ :]*[0-9]+)|(:3:[0-9]+)'

echo '{"version": 1, "limitz": {}}' >"$T_TMP/unknown.json"
bad "unknown policy key" "limitz" --policy "$T_TMP/unknown.json"
echo '{"version": 1, "limits": {"memroy": "64M"}}' >"$T_TMP/unknown2.json"
bad "unknown nested policy key" "memroy" --policy "$T_TMP/unknown2.json"
echo '{"version": 1, "limits": {"pids": 0}}' >"$T_TMP/pids0.json"
bad "policy pids 0" "pids" --policy "$T_TMP/pids0.json"
echo '{"version": 1, "limits": {"pids": 1000000000}}' >"$T_TMP/pidsbig.json"
bad "policy pids 10^9" "pids" --policy "$T_TMP/pidsbig.json"
echo '{"version": 1, "limits": {"pids": "many"}}' >"$T_TMP/pidstype.json"
bad "policy pids wrong type" "pids" --policy "$T_TMP/pidstype.json"
echo '{"version": 1, "limits": {"memory": "12Q"}}' >"$T_TMP/mem.json"
bad "policy malformed size" "memory|12Q" --policy "$T_TMP/mem.json"
echo '{"version": 1, "limits": {"wall_time": "soon"}}' >"$T_TMP/wall.json"
bad "policy malformed duration" "wall_time|soon" --policy "$T_TMP/wall.json"
echo '{"version": 2}' >"$T_TMP/v2.json"
bad "policy version 2" "version" --policy "$T_TMP/v2.json"
echo '{"version": 1, "mounts": [{"source": "/nonexistent-ward-src", "target": "/x", "mode": "ro"}]}' >"$T_TMP/mnt.json"
bad "policy mount source missing" "/nonexistent-ward-src" --policy "$T_TMP/mnt.json"
echo '{"version": 1, "allow_without": ["seatbelts"]}' >"$T_TMP/aw.json"
bad "policy allow_without unknown" "seatbelts" --policy "$T_TMP/aw.json"

# No command at all.
run_ward run
check_refused "no command" "command|usage|COMMAND"
run_ward run --memory 64M --
check_refused "no command after --" "command|usage|COMMAND"

# Languages.
run_ward run --lang cobol -c 'DISPLAY "HI".'
check_refused "unknown language" "cobol"
run_ward run -c 'print(1)'
check_refused "-c without --lang" "lang|-c"
run_ward run --lang python
check_refused "--lang without code" "code|-c|FILE|lang"
run_ward run --lang python /nonexistent-ward.py
check_refused "--lang with a missing file" "/nonexistent-ward.py"

# With --json an invalid request prints no document either.
run_ward run --json --memory 12Q -- "${CMD[@]}"
check_refused "--json with a bad size" "12Q|memory"

expect_no_process "$MARK"
expect_no_cgroups

done_testing
