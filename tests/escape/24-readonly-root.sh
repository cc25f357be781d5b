#!/bin/bash
# Attack: modify the system the sandbox runs on. A world-writable canary
# file and directory are planted in the host's /usr (which ward binds in
# read-only), so that only the mount, not file permissions, stands in the
# way; the sandbox appends, truncates, chmods, renames, unlinks, sets
# times and extended attributes on them, creates files in the directory,
# and creates files in /, /etc, /usr, /bin, /lib and /proc. Judged from
# outside: the canaries are byte-for-byte, mode- and time-identical and the
# directory is still empty; every write failed inside.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
S=$(new_secret)
TAG=${S#wardsecret-}
base=/usr/local/lib
[ -d "$base" ] && [ -w "$base" ] || skip "cannot plant a canary in $base"
F="$base/ward-ro-canary-$TAG"
D="$base/ward-ro-dir-$TAG"
printf 'original %s\n' "$TAG" >"$F"
chmod 0666 "$F"
mkdir -m 0777 "$D"
at_exit "rm -rf '$F' '$D' '$F.renamed'"
before=$(file_state "$F")

read -r -d '' CODE <<'PY'
import os, sys
f, d = sys.argv[1], sys.argv[2]
print("visible", os.path.exists(f), os.path.isdir(d))
def attempt(what, fn):
    try:
        fn()
        print(what, "OK")
    except OSError as e:
        print(what, e.__class__.__name__)
def append():
    with open(f, "a") as h: h.write("pwned\n")
attempt("append", append)
attempt("truncate", lambda: os.truncate(f, 0))
attempt("chmod", lambda: os.chmod(f, 0o777))
attempt("utime", lambda: os.utime(f, (0, 0)))
attempt("setxattr", lambda: os.setxattr(f, "user.ward", b"x"))
attempt("rename", lambda: os.rename(f, f + ".renamed"))
attempt("unlink", lambda: os.unlink(f))
attempt("create-in-dir", lambda: open(os.path.join(d, "new"), "w").close())
attempt("mkdir-in-dir", lambda: os.mkdir(os.path.join(d, "sub")))
attempt("symlink-in-dir", lambda: os.symlink("/", os.path.join(d, "link")))
for p in ("/", "/etc", "/usr", "/usr/bin", "/bin", "/lib", "/proc", "/sbin"):
    attempt("create " + p, lambda: open(os.path.join(p, "ward-ro-" + sys.argv[3]), "w").close())
attempt("overwrite /etc/passwd", lambda: open("/etc/passwd", "a").close())
print("done")
PY

run_sb -- /usr/bin/python3 -c "$CODE" "$F" "$D" "$TAG"
expect_document
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_match "the canary is visible inside (the attack was real)" "$SOUT" 'visible True True'
expect_no_match "a write succeeded" "$SOUT" '(^|'$'\n'')[a-z /-]+ OK'
expect_eq "host canary" "$(file_state "$F")" "$before"
expect_eq "host canary directory" "$(ls -A "$D")" ""
for p in / /etc /usr /usr/bin /bin /lib /sbin; do
  [ -e "$p/ward-ro-$TAG" ] && { fail "a file appeared in the host's $p"; rm -f "$p/ward-ro-$TAG"; }
done
ok

done_testing
