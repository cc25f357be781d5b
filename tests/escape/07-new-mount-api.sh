#!/bin/bash
# Attack: mount with the new mount API, which a filter written for mount(2)
# alone may miss: fsopen/fsconfig/fsmount/move_mount to put a fresh tmpfs
# in place, fspick to reconfigure /, open_tree to clone a tree, and
# mount_setattr to clear read-only on / and on a --ro bind. Judged: each
# fails, and / and the bind stay read-only.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

mkdir -p "$T_TMP/ro"
echo original >"$T_TMP/ro/file"
chmod 0777 "$T_TMP/ro"
chmod 0666 "$T_TMP/ro/file"
sandbox_must_work --ro "$T_TMP/ro:/data"

calls=(fsopen fsmount_chain fspick open_tree open_tree:/data move_mount mount_setattr:/ mount_setattr:/data mount_setattr:/usr)
run_probe --ro "$T_TMP/ro:/data" -- "${calls[@]}"
for c in "${calls[@]}"; do expect_blocked "$c"; done

run_sb --ro "$T_TMP/ro:/data" -- /bin/sh -c 'echo pwned > /data/file 2>&1; echo "bind-rc $?"; echo x > /ward-x 2>&1; echo "root-rc $?"'
expect_document
expect_match "the bind is still read-only" "$SOUT" 'bind-rc [1-9]'
expect_match "/ is still read-only" "$SOUT" 'root-rc [1-9]'
expect_eq "host file behind the bind" "$(cat "$T_TMP/ro/file")" original

done_testing
