#!/bin/bash
# Attack: load eBPF (a map here, the first step of every bpf exploit).
# Judged: bpf() fails; if this host lets unprivileged users call it, the
# filter denied it with EPERM and a syscall_denied event.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
run_probe -- bpf
expect_blocked_by_filter bpf

done_testing
