#!/bin/bash
# Attack: write through a --ro bind. A host directory (mode 0777, its file
# 0666, so permissions do not stand in the way) is bound read-only at
# /data; the sandbox writes, appends, truncates, maps the file shared and
# writable, renames, unlinks, links, chmods, sets times and xattrs, creates
# files and directories, and tries to remount the bind writable or bind it
# again elsewhere. Judged from outside: the host file's content, mode and
# mtime and the directory's listing are unchanged.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

mkdir -m 0777 "$T_TMP/data" "$T_TMP/data/sub"
printf 'original\n' >"$T_TMP/data/file"
chmod 0666 "$T_TMP/data/file"
chmod 0755 "$T_TMP"
touch -d '2020-01-01 00:00:00' "$T_TMP/data/file"
before=$(file_state "$T_TMP/data/file")
# The directory itself and everything below it; not its parent ("..", which
# the test harness writes to), so -A and a stat of the directory.
snapshot() { stat -c '%n %a %Y' "$T_TMP/data"; ls -lAR --time-style=+%s "$T_TMP/data"; }
before_list=$(snapshot)
sandbox_must_work --ro "$T_TMP/data:/data"

read -r -d '' CODE <<'PY'
import mmap, os
f = "/data/file"
print("visible", open(f).read().strip())
def attempt(what, fn):
    try:
        fn()
        print(what, "OK")
    except (OSError, ValueError) as e:
        print(what, e.__class__.__name__)
def write():
    with open(f, "r+") as h: h.write("pwned")
def append():
    with open(f, "a") as h: h.write("pwned")
def trunc():
    open(f, "w").close()
def mapw():
    fd = os.open(f, os.O_RDWR)
    m = mmap.mmap(fd, 8, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    m[0:5] = b"pwned"; m.flush()
attempt("write", write)
attempt("append", append)
attempt("truncate-open", trunc)
attempt("truncate", lambda: os.truncate(f, 0))
attempt("mmap-shared-write", mapw)
attempt("chmod", lambda: os.chmod(f, 0o4777))
attempt("chown", lambda: os.chown(f, 1000, 1000))
attempt("utime", lambda: os.utime(f, (0, 0)))
attempt("setxattr", lambda: os.setxattr(f, "user.ward", b"x"))
attempt("rename", lambda: os.rename(f, "/data/renamed"))
attempt("unlink", lambda: os.unlink(f))
attempt("link", lambda: os.link(f, "/data/hard"))
attempt("symlink", lambda: os.symlink("/etc", "/data/sym"))
attempt("create", lambda: open("/data/new", "w").close())
attempt("mkdir", lambda: os.mkdir("/data/newdir"))
attempt("rmdir", lambda: os.rmdir("/data/sub"))
attempt("mknod-fifo", lambda: os.mkfifo("/data/fifo"))
print("done")
PY

run_sb --ro "$T_TMP/data:/data" -- /usr/bin/python3 -c "$CODE"
expect_document
expect_match "the bind is visible inside" "$SOUT" 'visible original'
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_no_match "a write through the bind succeeded" "$SOUT" '(^|'$'\n'')[a-z-]+ OK'

run_probe --ro "$T_TMP/data:/data" -- remount_rw:/data mount_setattr:/data mount_bind:/data umount2:/data open_tree:/data
for c in remount_rw:/data mount_setattr:/data mount_bind:/data umount2:/data open_tree:/data; do expect_blocked "$c"; done

expect_eq "host file" "$(file_state "$T_TMP/data/file")" "$before"
expect_eq "host directory" "$(snapshot)" "$before_list"

done_testing
