#!/bin/bash
# Attack: AF_VSOCK, the channel between a virtual machine and its host.
# It has no network namespace of its own on most kernels, so a sandbox
# that can open one talks to the hypervisor side whatever its netns says.
# The test only creates sockets (stream, datagram, seqpacket) and never
# connects: reaching the real host is not something a test may do. Judged:
# no vsock socket can be created inside.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
calls=(socket:40:1:0 socket:40:2:0 socket:40:5:0)
host=$("$WARD_HELPERS/try-syscall" "${calls[@]}")
grep -q ' OK$' <<<"$host" || skip "this kernel has no AF_VSOCK"
run_probe -- "${calls[@]}"
for c in "${calls[@]}"; do expect_blocked "$c"; done

done_testing
