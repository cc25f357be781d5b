#!/bin/bash
# Attack: the rarely used socket families, where most kernel network bugs
# live (AF_ALG, AF_KEY, AF_TIPC, AF_RDS, AF_CAN, AF_XDP, AF_SMC, AF_KCM,
# AF_BLUETOOTH, AF_LLC, AF_PHONET, ...), netlink audit and uevent sockets,
# and the module autoloading that a socket() call on an absent family
# triggers. Every family and type is tried on the host as root first;
# judged: none of those the host can make can be made inside, and a
# netlink audit message sent from inside is refused.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
families=(3 4 5 6 7 8 9 11 12 13 15 18 19 20 21 22 23 24 25 26 29 30 31 32 33 34 35 36 37 38 39 41 42 43 44 45 46)
calls=()
for f in "${families[@]}"; do
  for t in 1 2 3 5; do calls+=("socket:$f:$t:0"); done
done
# netlink: audit (9), uevents (15), netfilter (12), crypto (21), xfrm (6)
for p in 9 15 12 21 6; do calls+=("socket:16:3:$p"); done
# Unusual protocols of ordinary families: SCTP (132), MPTCP (262),
# UDP-Lite (136), L2TP/IP (115), ICMP ping sockets (1, 58); and socket
# pairs of a family other than unix (TIPC, 30).
for f in 2 10; do
  calls+=("socket:$f:1:132" "socket:$f:5:132" "socket:$f:1:262" "socket:$f:2:136" "socket:$f:2:115")
done
calls+=("socket:2:2:1" "socket:10:2:58" "socketpair:30:5:0" "socketpair:30:2:0")
host=$("$WARD_HELPERS/try-syscall" "${calls[@]}")
run_probe -- "${calls[@]}"
meaningful=()
for c in "${calls[@]}"; do
  if grep -qx "$c OK" <<<"$host"; then
    meaningful+=("$c")
    case "$c" in
      socket:16:3:12) ;;   # nfnetlink: creating one is harmless, using it needs CAP_NET_ADMIN
      *) expect_blocked "$c" ;;
    esac
  fi
done
echo "note [$T_NAME]: host makes ${#meaningful[@]} of ${#calls[@]}: ${meaningful[*]}" >&2
[ "${#meaningful[@]}" -gt 0 ] || skip "the host makes none of these sockets even as root"

# An audit record forged from inside: AUDIT_USER_MSG must come back refused.
read -r -d '' CODE <<'PY'
import socket, struct, os
try:
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
except OSError as e:
    print("audit-socket", e.errno); raise SystemExit(0)
msg = b"ward escape test\0"
hdr = struct.pack("=IHHII", 16 + len(msg), 1112, 0x1 | 0x4, 1, 0)  # AUDIT_USER_MSG, REQUEST|ACK
try:
    s.sendto(hdr + msg, (0, 0))
    s.settimeout(2)
    data = s.recv(4096)
    err = struct.unpack("=i", data[16:20])[0] if len(data) >= 20 else None
    print("audit-ack", err)
except OSError as e:
    print("audit-send", e.errno)
PY
run_sb -- /usr/bin/python3 -c "$CODE"
expect_document
expect_match "the audit attempt ran" "$SOUT" 'audit-(socket|ack|send) '
expect_no_match "an audit record was accepted" "$SOUT" 'audit-ack 0'

done_testing
