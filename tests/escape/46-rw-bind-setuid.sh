#!/bin/bash
# Attack: leave a setuid-root program on the host. The sandbox copies an
# executable (the suid probe) into a --rw bind and into /output, and sets
# the setuid and setgid bits on both; it also tries mknod there. If the
# sandbox user is host root as far as file ownership goes (ward maps uid
# 1000 inside to the uid that ran ward), the copy in the rw directory is a
# root-owned setuid program on the host, which any host user who can reach
# that directory runs as root. Judged from outside: neither host copy is
# both setuid and owned by root, and run by an unprivileged host user
# (nobody) it does not get euid 0.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

[ -x "$WARD_HELPERS/suid-probe" ] || { fail "probe $WARD_HELPERS/suid-probe is not built"; done_testing; }
chmod 0755 "$T_TMP"
mkdir -m 0777 "$T_TMP/rw" "$T_TMP/outdir" "$T_TMP/bin"
cp "$WARD_HELPERS/suid-probe" "$T_TMP/bin/probe"
chmod 0755 "$T_TMP/bin" "$T_TMP/bin/probe"
sandbox_must_work --rw "$T_TMP/rw:/rw" --output-dir "$T_TMP/outdir"

run_sb --rw "$T_TMP/rw:/rw" --output-dir "$T_TMP/outdir" --ro "$T_TMP/bin:/bin2" -- /bin/sh -c '
  for d in /rw /output; do
    cp /bin2/probe "$d/probe" && chmod 6755 "$d/probe"; echo "chmod $d rc $?"
    mknod "$d/mem" c 1 1 2>/dev/null; echo "mknod $d rc $?"
  done
  ls -ln /rw /output; echo done'
expect_document
expect_match "the attack ran" "$SOUT" 'done'
expect_no_match "mknod" "$SOUT" 'mknod [^ ]+ rc 0'
for f in "$T_TMP/rw/probe" "$T_TMP/outdir/probe"; do
  [ -e "$f" ] || { echo "note [$T_NAME]: $f was not created" >&2; continue; }
  st=$(stat -c '%a %u' "$f")
  mode=${st% *} owner=${st#* }
  if [ "$owner" = 0 ] && [ $((8#$mode & 8#6000)) -ne 0 ]; then
    fail "$f is a setuid/setgid root-owned file on the host (mode $mode, owner $owner)"
  else
    ok
  fi
  got=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "$f" 2>&1 | head -1)
  expect_no_match "$f run by nobody on the host" "$got" '^ids [0-9]+ 0 '
done

done_testing
