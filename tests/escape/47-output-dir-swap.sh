#!/bin/bash
# Attack: redirect the copy-out. The caller keeps its --output-dir inside
# the workdir (a natural layout: /proj and /proj/out). During the run the
# sandbox renames /home/user/out away and puts a symlink to a host
# directory in its place, then leaves a file in /output. If ward opened the
# output directory by its path after the run, it would follow the link and
# write that file into the host directory with its own rights. A second
# form plants the link in one run and names it as --output-dir in the next.
# Judged from outside: the host directory stays empty; the first run's file
# lands in the directory the caller named (now renamed), and the second run
# is refused with exit 125.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

chmod 0755 "$T_TMP"
mkdir -m 0777 "$T_TMP/proj" "$T_TMP/proj/out" "$T_TMP/victim"
sandbox_must_work --workdir "$T_TMP/proj" --output-dir "$T_TMP/proj/out"

run_sb --workdir "$T_TMP/proj" --output-dir "$T_TMP/proj/out" -- /bin/sh -c "
  mv /home/user/out /home/user/moved && ln -s '$T_TMP/victim' /home/user/out &&
  echo pwned > /output/planted && echo swapped"
expect_document
expect_match "the sandbox swapped the directory" "$SOUT" swapped
[ -L "$T_TMP/proj/out" ] || { fail "the planted link is not on the host"; done_testing; }
expect_eq "files written into the host directory behind the link" "$(ls -A "$T_TMP/victim")" ""
expect_eq "the copy went to the directory the caller named" "$(cat "$T_TMP/proj/moved/planted" 2>/dev/null)" pwned

run_ward --output-dir "$T_TMP/proj/out" -- /bin/sh -c 'echo again > /output/planted2'
expect_eq "exit status with a planted link as --output-dir" "$RC" 125
expect_eq "files written into the host directory behind the link" "$(ls -A "$T_TMP/victim")" ""

done_testing
