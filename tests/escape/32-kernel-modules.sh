#!/bin/bash
# Attack: load code into the kernel: init_module with an image,
# finit_module from a file descriptor, delete_module. No program a sandbox
# runs needs these, so the allowlist filter must deny them whatever the
# kernel would say (this host may not even support modules): judged, each
# fails with EPERM and the JSON events carry a syscall_denied for it.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
calls=(init_module finit_module delete_module)
run_probe -- "${calls[@]}"
for c in "${calls[@]}"; do
  expect_errno "$c" EPERM
  expect_denied_event "$c"
done

# modprobe from a shell, for good measure.
run_sb -- /bin/sh -c 'modprobe -q dummy 2>&1; echo "modprobe-rc $?"; test -w /proc/sys/kernel/modprobe && echo "modprobe-path writable"; true'
expect_document
expect_match "modprobe fails" "$SOUT" 'modprobe-rc [1-9]'
expect_no_match "kernel.modprobe writable" "$SOUT" 'writable'

done_testing
