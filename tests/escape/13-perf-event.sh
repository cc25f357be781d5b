#!/bin/bash
# Attack: perf_event_open, a large kernel surface and a side channel
# (counting this task's own clock here, which paranoid level 2 allows).
# Judged: the call fails; where an unprivileged host process could make it,
# the filter denied it with EPERM and a syscall_denied event.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
run_probe -- perf_event_open
expect_blocked_by_filter perf_event_open

done_testing
