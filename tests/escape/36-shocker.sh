#!/bin/bash
# Attack: "shocker" (2014): open_by_handle_at with a forged handle for
# inode 2, relative to any file on a bind-mounted host file system, opens
# that file system's root directory, outside every mount the sandbox was
# given. The probe forges the handle against a --ro bind of a host
# directory (and, should the kernel accept the call but not that handle,
# retries with a real handle from name_to_handle_at). Judged: the open
# fails with EPERM; the filter records open_by_handle_at as denied (no
# sandbox program needs it); and no host directory listing leaks.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

mkdir -m 0755 "$T_TMP/shock"
chmod 0755 "$T_TMP"
echo hello >"$T_TMP/shock/file"
sandbox_must_work --ro "$T_TMP/shock:/shock"
host=$("$WARD_HELPERS/try-syscall" "open_by_handle_at:$T_TMP/shock")
grep -q ' OK$' <<<"$host" || echo "note [$T_NAME]: open_by_handle_at fails on the host as root too ($host)" >&2

run_probe --ro "$T_TMP/shock:/shock" -- open_by_handle_at:/shock open_by_handle_at:/shock/file open_by_handle_at name_to_handle_at:/shock
expect_errno open_by_handle_at:/shock EPERM
expect_errno open_by_handle_at:/shock/file EPERM
expect_errno open_by_handle_at EPERM
expect_denied_event open_by_handle_at
echo "note [$T_NAME]: name_to_handle_at inside: $(probe_result name_to_handle_at:/shock)" >&2

done_testing
