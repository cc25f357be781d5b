#!/bin/bash
# Attack: break out of the root directory: the classic chroot escape
# (chroot into a subdirectory, then climb with chdir("..") and chroot(".")),
# and the /proc/PID/root and /proc/PID/cwd links of every visible process.
# A canary directory is planted at the host's / and a secret in the test's
# scratch directory. Judged from outside: chroot fails, and after the climb
# the sandbox's / still does not show the host's root nor the secret.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
S=$(new_secret)
TAG=${S#wardsecret-}
mkdir "/ward-root-canary-$TAG"
at_exit "rmdir '/ward-root-canary-$TAG'"
printf '%s\n' "$S" >"$T_TMP/secret"

run_probe -- chroot
expect_blocked chroot

read -r -d '' CODE <<'PY'
import os, sys
tag, secret_path = sys.argv[1], sys.argv[2]
try:
    os.makedirs("/tmp/jail", exist_ok=True)
    os.chroot("/tmp/jail")
    print("chroot OK")
except OSError as e:
    print("chroot", e.__class__.__name__)
try:
    for _ in range(64):
        os.chdir("..")
    os.chroot(".")
except OSError:
    pass
print("root", sorted(os.listdir("/")))
for p in [d for d in os.listdir("/proc") if d.isdigit()] + ["self"]:
    for link in ("root", "cwd"):
        try:
            print("link", p, link, sorted(os.listdir(f"/proc/{p}/{link}/"))[:40])
        except OSError as e:
            print("link", p, link, e.__class__.__name__)
for p in (secret_path, "/proc/1/root" + secret_path, "/proc/self/root/../../.." + secret_path):
    try:
        print("read", p, open(p).read())
    except OSError as e:
        print("read", p, e.__class__.__name__)
print("done")
PY
run_sb -- /usr/bin/python3 -c "$CODE" "$TAG" "$T_TMP/secret"
expect_document
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_no_match "chroot from python" "$SOUT" 'chroot OK'
expect_no_secret "host root canary" "ward-root-canary-$TAG"
expect_no_secret "host secret file" "$S"

done_testing
