#!/bin/bash
# Attack: userfaultfd, the tool that turns kernel races into reliable
# exploits. User-mode-only faults are open to unprivileged callers whatever
# vm.unprivileged_userfaultfd says, so only the filter stops it. Judged: the
# call fails with EPERM and a syscall_denied event (where the host allows it
# unconfined), and /dev/userfaultfd is not in the sandbox.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
run_probe -- userfaultfd
expect_blocked_by_filter userfaultfd

run_sb -- /bin/sh -c 'test -e /dev/userfaultfd && echo present || echo absent'
expect_document
expect_eq "/dev/userfaultfd" "$SOUT" absent

done_testing
