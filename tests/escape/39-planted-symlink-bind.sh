#!/bin/bash
# Attack: plant a symlink for ward to follow on the host. A first sandbox
# with a --rw workspace replaces workspace/data with a symlink to a host
# directory it cannot see (the target is just a string to it); a later run
# binds workspace/data read-only, as a caller reusing the workspace would.
# If ward resolves the bind source on the host without refusing symlinks
# that the sandbox planted, the second sandbox reads the host directory.
# Judged from outside: the second run either refuses the bind (an error)
# or shows no secret. (Ward should open bind sources with O_NOFOLLOW or
# RESOLVE_NO_SYMLINKS below a directory a sandbox could write.)
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

S=$(new_secret)
chmod 0755 "$T_TMP"
mkdir -m 0777 "$T_TMP/work" "$T_TMP/work/data"
mkdir -m 0755 "$T_TMP/private"
printf '%s\n' "$S" >"$T_TMP/private/secret"
sandbox_must_work --rw "$T_TMP/work:/work"

run_sb --rw "$T_TMP/work:/work" -- /bin/sh -c "rmdir /work/data && ln -s '$T_TMP/private' /work/data && echo planted"
expect_document
expect_match "the first run planted the link" "$SOUT" planted
[ -L "$T_TMP/work/data" ] || { fail "the planted link is not on the host"; done_testing; }

run_json --ro "$T_TMP/work/data:/data" -- /bin/sh -c 'ls /data; cat /data/secret 2>&1'
SOUT=$(j_stdout); SERR=$(j_stderr)
if [ "$RC" = 125 ] || [ "$(j .status)" = error ]; then
  ok   # refused
else
  expect_document
  expect_no_secret "host directory behind the planted link" "$S"
fi

done_testing
