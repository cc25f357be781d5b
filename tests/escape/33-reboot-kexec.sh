#!/bin/bash
# Attack: restart or replace the running kernel: reboot (with a bad magic
# number, which the kernel rejects only after its CAP_SYS_BOOT check, so
# nothing reboots even unconfined), kexec_load and kexec_file_load (with
# invalid flags, same idea). Judged: each fails with EPERM and the JSON
# events carry a syscall_denied for it.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
calls=(reboot kexec_load kexec_file_load)
run_probe -- "${calls[@]}"
for c in "${calls[@]}"; do
  expect_errno "$c" EPERM
  expect_denied_event "$c"
done

done_testing
