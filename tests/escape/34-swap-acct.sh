#!/bin/bash
# Attack: swapon/swapoff (take over or drop the host's swap) and acct
# (turn on process accounting into a file of the attacker's choice), each
# with a path that does not exist so that even an unconfined call changes
# nothing. Judged: each fails with EPERM and the JSON events carry a
# syscall_denied for it.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
calls=(swapon swapoff acct)
run_probe -- "${calls[@]}"
for c in "${calls[@]}"; do
  expect_errno "$c" EPERM
  expect_denied_event "$c"
done

done_testing
