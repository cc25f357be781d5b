#!/bin/bash
# Attack: io_uring, whose operations bypass the seccomp filter once a ring
# exists and which has a long record of kernel bugs. Judged: io_uring_setup
# fails; where an unprivileged host process could set up a ring, the filter
# denied it with EPERM and a syscall_denied event.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
run_probe -- io_uring_setup
expect_blocked_by_filter io_uring_setup

done_testing
