#!/bin/bash
# Attack: go around the seccomp filter through another system call ABI.
# x86-64 also accepts 32-bit calls (int 0x80, with i386 numbers) and x32
# calls (numbers with bit 30 set); a filter that checks numbers but not the
# architecture, or the x32 bit, lets a denied call through under another
# number. The probe makes keyctl, unshare(CLONE_NEWUSER) and ptrace through
# both. Judged: none succeeds (an EPERM, ENOSYS or a SIGSYS kill are all
# fine), for each entry the host kernel offers to an unprivileged process.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
calls=(i386_keyctl i386_unshare_user i386_ptrace_traceme x32_keyctl x32_unshare_user)
host=$(host_probe_unpriv "${calls[@]}")
run_probe -- "${calls[@]}"
meaningful=0
for c in "${calls[@]}"; do
  expect_blocked "$c"
  grep -qx "$c OK" <<<"$host" && meaningful=$((meaningful + 1))
done
echo "note [$T_NAME]: unconfined: $(tr '\n' ' ' <<<"$host")" >&2
[ "$meaningful" -gt 0 ] || skip "this kernel offers neither the 32-bit nor the x32 entry"

done_testing
