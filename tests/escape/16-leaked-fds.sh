#!/bin/bash
# Attack: use a file descriptor that leaked from the host. Before starting
# ward the test opens fd 9 on a secret file, fd 8 for writing on a host
# file and fd 7 on a directory (an open directory is a way out of any
# mount namespace via openat); the sandbox lists every open descriptor of
# every process it can see, reads fd 9, writes fd 8 and walks up from fd 7.
# Judged from outside: only 0, 1 and 2 are open (a pipe or /dev/null), the
# secret never appears and the host file is unchanged.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work

S=$(new_secret)
printf '%s\n' "$S" >"$T_TMP/secret"
: >"$T_TMP/victim"
exec 9<"$T_TMP/secret" 8>>"$T_TMP/victim" 7<"$T_TMP"

read -r -d '' CODE <<'PY'
import os
open_fds = []
for fd in range(0, 4096):
    try:
        os.fstat(fd)
    except OSError:
        continue
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError as e:
        target = e.__class__.__name__
    open_fds.append(fd)
    print("fd", fd, target)
print("open", " ".join(map(str, open_fds)))
for fd, what in ((9, "read"), (8, "write"), (7, "dir")):
    try:
        if what == "read":
            print("use9", os.read(9, 100))
        elif what == "write":
            os.write(8, b"pwned\n"); print("use8 OK")
        else:
            print("use7", os.listdir(os.open("../../..", os.O_RDONLY, dir_fd=7)))
    except OSError as e:
        print("use", fd, e.__class__.__name__)
for p in sorted(os.listdir("/proc")):
    if not p.isdigit() or int(p) == os.getpid():
        continue
    try:
        for fd in os.listdir(f"/proc/{p}/fd"):
            print("other", p, fd, os.readlink(f"/proc/{p}/fd/{fd}"))
    except OSError as e:
        print("other", p, e.__class__.__name__)
print("done")
PY

run_sb -- /usr/bin/python3 -c "$CODE"
exec 9<&- 8>&- 7<&-
expect_document
expect_match "the listing ran" "$SOUT" $'\n''done'
expect_eq "open descriptors" "$(sed -n 's/^open //p' <<<"$SOUT")" "0 1 2"
while read -r _ fd target; do
  case "$fd" in 0|1|2) ;; *) continue ;; esac
  expect_match "fd $fd is a pipe, socket or /dev/null" "$target" '^(pipe:|socket:|/dev/null$)'
done < <(grep '^fd ' <<<"$SOUT")
expect_no_secret "fd 9" "$S"
expect_no_match "host paths through other processes' fds" "$SOUT" "other .*$T_TMP"
expect_eq "host file behind fd 8" "$(cat "$T_TMP/victim")" ""

done_testing
