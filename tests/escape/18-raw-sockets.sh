#!/bin/bash
# Attack: raw network access, to sniff or forge packets: AF_PACKET raw and
# datagram sockets (all protocols), AF_INET and AF_INET6 raw sockets, and
# the obsolete SOCK_PACKET. Judged: none can be created. Each is first made
# on the host as root, so that a failure inside means the sandbox stopped it
# and not that the kernel lacks it.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
# family:type:protocol; ETH_P_ALL in network order is 768.
calls=(socket:17:3:768 socket:17:2:768 socket:2:3:1 socket:2:3:255 socket:10:3:58 socket:2:10:768)
host=$("$WARD_HELPERS/try-syscall" "${calls[@]}")
run_probe -- "${calls[@]}"
meaningful=0
for c in "${calls[@]}"; do
  expect_blocked "$c"
  grep -qx "$c OK" <<<"$host" && meaningful=$((meaningful + 1))
done
[ "$meaningful" -gt 0 ] || skip "the host makes none of these sockets even as root"

done_testing
