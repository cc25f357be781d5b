#!/bin/bash
# Attack: make new namespaces from inside (a nested user namespace gives
# back every capability over the namespaces it owns, the first step of most
# container escapes), or join the sandbox's own ones again. The probe calls
# unshare with each CLONE_NEW* flag, clone and clone3 with CLONE_NEWUSER,
# the same through the 32-bit and x32 entries, and setns on the sandbox's
# own namespace files; then util-linux `unshare -r` tries from a shell.
# Judged: every one fails (whichever layer stops it).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work

calls=(unshare_user unshare_mnt unshare_net unshare_pid unshare_uts unshare_ipc unshare_cgroup unshare_time
       clone_newuser clone3_newuser i386_unshare_user x32_unshare_user
       setns:mnt setns:user setns:net setns:pid setns:uts setns:ipc setns:cgroup)
run_probe -- "${calls[@]}"
for c in "${calls[@]}"; do expect_blocked "$c"; done

run_sb -- /bin/sh -c '
  unshare -r id -u 2>&1; echo "unshare-r-rc $?"
  unshare -Urm sh -c "mount -t tmpfs none /tmp && echo mounted" 2>&1; echo "unshare-m-rc $?"
  /usr/bin/python3 -c "import ctypes; r = ctypes.CDLL(None, use_errno=True).unshare(0x10000000); print(\"py-unshare\", \"OK\" if r == 0 else ctypes.get_errno())"'
expect_document
expect_match "unshare -r" "$SOUT" 'unshare-r-rc [1-9]'
expect_match "unshare -Urm" "$SOUT" 'unshare-m-rc [1-9]'
expect_match "ctypes unshare ran" "$SOUT" 'py-unshare '
expect_no_match "a namespace was made" "$SOUT" $'(^|\n)(0|mounted|py-unshare OK)(\n|$)'

done_testing
