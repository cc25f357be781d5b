#!/bin/bash
# The --json document: every field present with its type, protections and
# cgroup version on this host, sane times and memory peak, and outputs that
# round-trip (utf-8 as text, binary as base64).
source "$(dirname "$0")/../helpers/lib.sh"

run_json -- sh -c 'echo out; echo err >&2'
expect_rc 0
expect_eq "document is one JSON object" "$(printf '%s' "$OUT" | jq -r 'type' 2>/dev/null)" object
for f in status:string exit_code:number signal:null wall_ms:number cpu_ms:number \
  memory_peak_bytes:number stdout:string stdout_encoding:string stdout_truncated:boolean \
  stderr:string stderr_encoding:string stderr_truncated:boolean protections:array \
  cgroup:string events:array; do
  expect_eq "field ${f%%:*}" "$(j ".${f%%:*} | type")" "${f##*:}"
done
expect_eq "no error field when status is not error" "$(j 'has("error")')" false
expect_eq "stdout" "$(j .stdout)" out
expect_eq "stderr" "$(j .stderr)" err
expect_eq "stdout_encoding" "$(j .stdout_encoding)" utf-8
expect_eq "stderr_encoding" "$(j .stderr_encoding)" utf-8
expect_eq "stdout keeps its newline" "$(j '.stdout == "out\n"')" true
expect_eq "integers are integers" "$(j '[.wall_ms, .cpu_ms, .memory_peak_bytes] | map(. == floor and . >= 0) | all')" true
expect_eq "memory_peak_bytes > 0" "$(j '.memory_peak_bytes > 0')" true
expect_eq "cgroup version on this host" "$(j .cgroup)" v1
expect_eq "protections are strings" "$(j '.protections | map(type == "string") | all')" true
expect_eq "events are objects with a type" "$(j '.events | map(type == "object" and (.type | type) == "string") | all')" true

want="userns pidns mountns netns ipcns utsns cgroupns seccomp no_new_privs caps-dropped cgroup-memory cgroup-pids cgroup-cpu"
# Landlock when the kernel has it (landlock_create_ruleset version query).
if /usr/bin/python3 -c 'import ctypes,sys; sys.exit(0 if ctypes.CDLL(None).syscall(444, None, 0, 1) > 0 else 1)' 2>/dev/null; then
  want="$want landlock"
fi
for p in $want; do
  expect_eq "protections has $p" "$(j ".protections | index(\"$p\") != null")" true
done

# Times: a half-second sleep and a half-second of CPU.
run_json -- sleep 0.5
expect_match "wall_ms of sleep 0.5" "$(j .wall_ms)" '^(4[5-9][0-9]|[5-9][0-9]{2}|[1-4][0-9]{3})$'
expect_match "cpu_ms of sleep 0.5" "$(j .cpu_ms)" '^[0-9]{1,2}$'
run_json -- python3 -c '
import time
t = time.process_time()
while time.process_time() - t < 0.5:
    pass'
expect_match "cpu_ms of 0.5s of CPU" "$(j .cpu_ms)" '^(4[5-9][0-9]|[5-9][0-9]{2}|[1-2][0-9]{3})$'
expect_eq "wall_ms >= cpu_ms for one thread" "$(j '.wall_ms + 50 >= .cpu_ms')" true
# memory: 64M touched shows in the peak.
run_json -- python3 -c 'x = b"\x01" * (64 << 20)'
expect_eq "memory_peak_bytes >= 64M" "$(j ".memory_peak_bytes >= $((64 << 20))")" true
expect_eq "memory_peak_bytes < 512M" "$(j ".memory_peak_bytes < $((512 << 20))")" true

# Binary stdout: base64, decodes to exactly what the program wrote.
run_json -- sh -c 'head -c 4096 /dev/urandom > /tmp/r; cat /tmp/r; sha256sum < /tmp/r >&2'
expect_eq "binary: stdout_encoding" "$(j .stdout_encoding)" base64
j .stdout | base64 -d >"$T_TMP/bin" 2>/dev/null
expect_eq "binary: decoded length" "$(stat -c %s "$T_TMP/bin")" 4096
expect_eq "binary: decoded sha256" "$(sha256sum <"$T_TMP/bin" | cut -d' ' -f1)" "$(j .stderr | cut -d' ' -f1)"
expect_eq "binary: stderr still utf-8" "$(j .stderr_encoding)" utf-8

# NUL bytes survive on stderr: as \u0000 in utf-8, or in base64.
run_json -- sh -c 'printf "a\000b" >&2'
case $(j .stderr_encoding) in
  utf-8) expect_eq "NUL on stderr (utf-8)" "$(j '.stderr == "a\u0000b"')" true ;;
  base64) expect_eq "NUL on stderr (base64)" "$(j .stderr | base64 -d 2>/dev/null | od -An -tx1 | tr -d ' \n')" 610062 ;;
  *) fail "NUL on stderr: encoding '$(j .stderr_encoding)'" ;;
esac
# Invalid UTF-8 is base64.
run_json -- printf 'a\377b'
expect_eq "invalid UTF-8: encoding" "$(j .stdout_encoding)" base64
expect_eq "invalid UTF-8: bytes" "$(j .stdout | base64 -d 2>/dev/null | od -An -tx1 | tr -d ' \n')" 61ff62

# Non-ASCII UTF-8 stays text.
run_json -- printf 'h\303\251\342\202\254\n'
expect_eq "UTF-8: encoding" "$(j .stdout_encoding)" utf-8
expect_eq "UTF-8: text" "$(j .stdout)" "$(printf 'h\303\251\342\202\254')"

# status error has an error string: an executable that cannot start is
# reported, not hidden.
run_json -- /dev/null
expect_rc 0
if [ "$(j .status)" = error ]; then
  expect_eq "status error: error is a string" "$(j '.error | type')" string
else
  expect_eq "non-executable with --json: exit_code" "$(j .exit_code)" 126
fi

expect_no_cgroups
done_testing
