#!/bin/bash
# Attack: gain privilege by executing a setuid-root program or one with
# file capabilities. Copies of a probe are made setuid root and given
# cap_setuid,cap_dac_override (file capabilities) on the host, and bound in
# read-only; the sandbox runs them, runs the system's su, and reports its
# own ids, capability sets and no_new_privs. Judged: the sandbox user is
# 1000:1000 with empty capability sets (effective, permitted, inheritable,
# ambient and bounding), no_new_privs is 1, seccomp is in filter mode, and
# no copy reaches uid 0 or any capability.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

[ -x "$WARD_HELPERS/suid-probe" ] || { fail "probe $WARD_HELPERS/suid-probe is not built"; done_testing; }
[ "$(id -u)" = 0 ] || skip "needs root on the host to make a setuid-root copy"
mkdir -m 0755 "$T_TMP/bin"
cp "$WARD_HELPERS/suid-probe" "$T_TMP/bin/suid"
chown 0:0 "$T_TMP/bin/suid" && chmod 4755 "$T_TMP/bin/suid"
cp "$WARD_HELPERS/suid-probe" "$T_TMP/bin/fcaps"
have_fcaps=0
if command -v setcap >/dev/null && setcap cap_setuid,cap_dac_override+ep "$T_TMP/bin/fcaps" 2>/dev/null; then
  have_fcaps=1
fi
chmod 0755 "$T_TMP"   # the bind source's parents need not be reachable, but be kind to id-mapped setups
sandbox_must_work --ro "$T_TMP/bin:/suid"

run_sb --ro "$T_TMP/bin:/suid" -- /bin/sh -c '
  echo "id $(id -u) $(id -g)"
  grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/self/status
  echo "== suid"; /suid/suid
  echo "== fcaps"; /suid/fcaps
  echo "== su"; su -c "id -u" root </dev/null 2>&1; echo "su-rc $?"
  /usr/bin/python3 -c "
import os
try:
    os.setuid(0); print(\"py-setuid OK\")
except OSError as e:
    print(\"py-setuid\", e.errno)"'
expect_document
expect_match "id" "$SOUT" '(^|'$'\n'')id 1000 1000'
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
  expect_match "$c" "$SOUT" "$c:[[:space:]]+0+"$'(\n|$)'
done
expect_match "NoNewPrivs" "$SOUT" 'NoNewPrivs:[[:space:]]+1'
expect_match "Seccomp filter mode" "$SOUT" 'Seccomp:[[:space:]]+2'
suid=$(sed -n '/^== suid/,/^== fcaps/p' <<<"$SOUT")
expect_match "setuid copy ran" "$suid" 'ids [0-9]+ [0-9]+ [0-9]+'
expect_match "setuid copy keeps uid 1000" "$suid" 'ids 1000 1000 1000'
expect_no_match "setuid copy reached uid 0" "$suid" 'setuid0 OK'
expect_match "setuid copy has no capabilities" "$suid" 'caps 0+ 0+'
if [ "$have_fcaps" = 1 ]; then
  fc=$(sed -n '/^== fcaps/,/^== su/p' <<<"$SOUT")
  expect_match "file-caps copy ran" "$fc" 'ids 1000 1000 1000'
  expect_match "file-caps copy has no capabilities" "$fc" 'caps 0+ 0+'
  expect_no_match "file-caps copy reached uid 0" "$fc" 'setuid0 OK'
else
  echo "note [$T_NAME]: setcap unavailable; file capabilities not tried" >&2
fi
expect_match "su fails" "$SOUT" 'su-rc [1-9]'
expect_no_match "su ran as root" "$SOUT" $'\n''0\nsu-rc'
expect_match "os.setuid(0) was tried" "$SOUT" 'py-setuid '
expect_no_match "os.setuid(0) succeeds" "$SOUT" 'py-setuid OK'

done_testing
