#!/bin/bash
# Attack: the remaining privileged calls a sandbox has no use for: iopl and
# ioperm (raw I/O ports), quotactl, vhangup, syslog (the kernel log), and
# lookup_dcookie. Judged: none succeeds. Those that this host's kernel
# actually implements for root are required to fail with EPERM.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
calls=(iopl ioperm quotactl vhangup syslog lookup_dcookie)
run_probe -- "${calls[@]}"
for c in "${calls[@]}"; do
  expect_blocked "$c"
  r=$(probe_result "$c")
  [ "$r" = ENOSYS ] || expect_errno "$c" EPERM
done

done_testing
