#!/bin/bash
# No stray file descriptors: whatever the caller left open (without
# close-on-exec) is not inherited; inside there are only 0, 1 and 2.
source "$(dirname "$0")/../helpers/lib.sh"

echo host-secret >"$T_TMP/secret"
exec 9<"$T_TMP/secret" 5<"$T_TMP/secret" 200>"$T_TMP/w"

# Every fd a process holds, found by fstat (which opens nothing; a shell
# holds fds of its own for pipes and redirections).
FDS='
import os
open_fds = []
for fd in range(4096):
    try:
        os.fstat(fd)
        open_fds.append(str(fd))
    except OSError:
        pass
print(" ".join(open_fds))'
run_ward run -- python3 -c "$FDS"
expect_rc 0
expect_eq "fds inside" "$OUT" "0 1 2"
# The first process is not python here: a shell that execs it.
run_ward run -- sh -c 'exec python3 -c "$0"' "$FDS"
expect_eq "fds inside, after a shell's exec" "$OUT" "0 1 2"

# Reading the caller's fd 9 through /proc/self/fd fails.
run_ward run -- sh -c 'cat /proc/self/fd/9 2>/dev/null; cat <&9 2>/dev/null; echo done'
expect_eq "fd 9 not readable" "$OUT" done

# Also with --json, where ward holds more pipes of its own.
run_json -- python3 -c "$FDS"
expect_eq "fds with --json" "$(j .stdout)" "0 1 2"
run_json --lang python -c 'import os; print(sorted(os.listdir("/proc/self/fd"), key=int))'
expect_eq "fds with --lang (listdir holds one)" "$(j .stdout)" "['0', '1', '2', '3']"

# With an audit file open in ward and an output dir: still nothing extra.
mkdir "$T_TMP/od"
run_ward run --audit "$T_TMP/audit" --output-dir "$T_TMP/od" -- python3 -c "$FDS"
expect_eq "fds with --audit and --output-dir" "$OUT" "0 1 2"

# The sandbox's 0, 1, 2 are not the host's terminal or files but pipes or
# /dev/null: no path on the host is reachable through them.
run_ward run -- sh -c 'readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2'
expect_no_match "std fds are not host paths" "$OUT" "$T_TMP"

exec 9<&- 5<&- 200>&-

# ward started with fds 3 and 4 already open (they are the numbers the
# sandbox's setup moves its own fds to), or with stdin/stdout closed.
exec 3</dev/null 4</dev/null
run_ward run -- sh -c 'echo started'
expect_rc 0
expect_eq "fd 3 and 4 open in the caller" "$OUT" "started"
exec 3<&- 4<&-
"$WARD" run -- true <&- >/dev/null 2>"$T_TMP/closed.err"
expect_eq "stdin closed in the caller: exit code" "$?" 0
out=$("$WARD" run --json -- cat <&- 2>/dev/null | jq -r .status)
expect_eq "stdin closed in the caller: cat sees EOF" "$out" ok

expect_no_cgroups
done_testing
