#!/bin/bash
# Attack: follow symlinks out of a --ro bind. The bound host directory holds
# symlinks to host files that are not bound (absolute, relative with enough
# ".." to climb to the host's root, and to a host directory). Inside, a
# link resolves in the sandbox's own tree, so they must lead nowhere.
# Judged from outside: the secret behind every link never appears, though
# the bind itself is readable.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

S=$(new_secret)
TAG=${S#wardsecret-}
chmod 0755 "$T_TMP"
mkdir -m 0755 "$T_TMP/links" "$T_TMP/secretdir"
printf '%s\n' "$S" >"$T_TMP/secretdir/secret"
printf '%s\n' "$S" >"/etc/ward-sym-canary-$TAG"
at_exit "rm -f '/etc/ward-sym-canary-$TAG'"
echo visible >"$T_TMP/links/plain"
ln -s "$T_TMP/secretdir/secret" "$T_TMP/links/abs"
ln -s "/etc/ward-sym-canary-$TAG" "$T_TMP/links/etc"
ln -s "../../../../../../../../../../etc/ward-sym-canary-$TAG" "$T_TMP/links/rel"
ln -s "$T_TMP/secretdir" "$T_TMP/links/dir"
ln -s "../secretdir/secret" "$T_TMP/links/sibling"
# The links work on the host: the attack has something to find.
[ "$(cat "$T_TMP/links/rel")" = "$S" ] && [ "$(cat "$T_TMP/links/sibling")" = "$S" ] || { fail "setup"; done_testing; }
sandbox_must_work --ro "$T_TMP/links:/data"

run_sb --ro "$T_TMP/links:/data" -- /bin/sh -c '
  cat /data/plain
  for l in abs etc rel dir/secret sibling; do echo "== $l"; cat "/data/$l" 2>&1; done
  find -L /data -type f -exec cat {} + 2>&1
  /usr/bin/python3 -c "import os; print([os.path.realpath(\"/data/\" + l) for l in os.listdir(\"/data\")])"
  echo done'
expect_document
expect_match "the bind is readable" "$SOUT" '^visible'
expect_match "the attack ran" "$SOUT" $'\n''done$'
expect_no_secret "secret behind the links" "$S"

done_testing
