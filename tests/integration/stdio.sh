#!/bin/bash
# stdin reaches the program; stdout and stderr come back separately and
# byte for byte, binary included.
source "$(dirname "$0")/../helpers/lib.sh"
ERR="" # expect_* quote it before the first run_ward

out=$(echo hi | "$WARD" run -- cat 2>/dev/null)
expect_eq "stdin reaches cat" "$out" hi

# stdin at EOF (/dev/null): the program ends at once.
run_ward run --wall-time 5s -- cat
expect_rc 0
expect_eq "stdin at EOF: no output" "$OUT" ""

# Half a megabyte of random bytes through cat, unchanged.
head -c 524288 /dev/urandom >"$T_TMP/in"
T_STDIN="$T_TMP/in" run_ward run -- cat
expect_rc 0
expect_eq "binary stdin through cat: sha256" "$(sha256sum <"$T_TMP/out" | cut -d' ' -f1)" \
  "$(sha256sum <"$T_TMP/in" | cut -d' ' -f1)"

# stdin through the JSON path too.
T_STDIN="$T_TMP/in" run_json -- sha256sum
expect_eq "stdin with --json: sha256 inside" "$(j .stdout | cut -d' ' -f1)" "$(sha256sum <"$T_TMP/in" | cut -d' ' -f1)"

# stdout and stderr separated.
run_ward run -- sh -c 'echo out; echo err >&2; echo out2'
expect_rc 0
expect_eq "stdout" "$OUT" "out
out2"
expect_eq "stderr" "$ERR" err

# Binary stdout: what ward prints is what the program computed.
"$WARD" run -- sh -c 'head -c 4096 /dev/urandom > /tmp/r; cat /tmp/r; sha256sum < /tmp/r >&2' \
  </dev/null >"$T_TMP/bin" 2>"$T_TMP/bin.err"
RC=$?
expect_rc 0
expect_eq "binary stdout: length" "$(stat -c %s "$T_TMP/bin")" 4096
expect_eq "binary stdout: sha256" "$(sha256sum <"$T_TMP/bin" | cut -d' ' -f1)" "$(cut -d' ' -f1 <"$T_TMP/bin.err")"

# NUL bytes and no trailing newline survive.
"$WARD" run -- printf 'a\000b\000' </dev/null >"$T_TMP/nul" 2>/dev/null
expect_eq "NUL bytes" "$(od -An -tx1 <"$T_TMP/nul" | tr -d ' \n')" 61006200

# An interleaved, chatty program: nothing is lost on either stream.
run_ward run -- sh -c 'i=0; while [ $i -lt 2000 ]; do echo "o$i"; echo "e$i" >&2; i=$((i+1)); done'
expect_eq "chatty: stdout lines" "$(printf '%s\n' "$OUT" | grep -c '^o[0-9]*$')" 2000
expect_eq "chatty: stderr lines" "$(printf '%s\n' "$ERR" | grep -c '^e[0-9]*$')" 2000

# A program that closes stdout early still ends normally.
run_ward run -- sh -c 'exec 1>&-; sleep 0.2; echo bye >&2'
expect_rc 0
expect_eq "closed stdout: stderr" "$ERR" bye

expect_no_cgroups
done_testing
