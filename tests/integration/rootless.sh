#!/bin/bash
# ward run by an unprivileged user. Where cgroups are not delegated to that
# user, a run is refused (125, a clear error) unless the policy says
# "allow_without": ["cgroups"]; then it runs, and protections say what it
# lacks. The rest of the confinement still holds.
source "$(dirname "$0")/../helpers/lib.sh"

need setpriv
[ "$(id -u)" = 0 ] || skip "needs root to switch to an unprivileged uid"
U=65534
AS=(setpriv --reuid=$U --regid=$U --clear-groups --)
"${AS[@]}" unshare -U true 2>/dev/null || skip "user namespaces are not available to unprivileged users"

# A copy of ward and the test files, reachable by that user.
chmod 755 "$T_TMP"
cp "$WARD" "$T_TMP/ward"
chmod 755 "$T_TMP/ward"
W="$T_TMP/ward"
MARK="ward-rootless-$$-$RANDOM"

run_as() {
  local in=${T_STDIN:-/dev/null}
  (cd "$T_TMP" && "${AS[@]}" "$W" "$@") <"$in" >"$T_TMP/out" 2>"$T_TMP/err"
  RC=$?
  OUT=$(cat "$T_TMP/out")
  ERR=$(cat "$T_TMP/err")
}

# Are cgroups delegated to this user? (Its own memory cgroup writable.)
memcg=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
if "${AS[@]}" test -w "/sys/fs/cgroup/memory$memcg" 2>/dev/null; then
  delegated=1
else
  delegated=0
fi

if [ $delegated = 0 ]; then
  run_as run -- bash -c "sleep 30; : $MARK"
  expect_rc 125
  expect_eq "refused: one line on stderr" "$(printf '%s\n' "$ERR" | grep -c .)" 1
  expect_match "refused: names cgroups" "$ERR" "cgroup"
  expect_eq "refused: no output" "$OUT" ""
  run_as run --json -- true
  expect_rc 125
  expect_eq "refused with --json: no document" "$OUT" ""
  expect_no_process "$MARK"
fi

echo '{"version": 1, "allow_without": ["cgroups"]}' >"$T_TMP/nocg.json"
chmod 644 "$T_TMP/nocg.json"
P=(--policy "$T_TMP/nocg.json")

run_as run --json "${P[@]}" -- sh -c 'id -u; echo err >&2; exit 3'
expect_rc 0
expect_status exit
expect_eq "allowed: exit_code" "$(j .exit_code)" 3
expect_eq "allowed: uid inside" "$(j .stdout)" 1000
expect_eq "allowed: stderr" "$(j .stderr)" err
if [ $delegated = 0 ]; then
  expect_eq "allowed: no cgroup-* protections" "$(j '[.protections[] | select(startswith("cgroup-"))] | length')" 0
  expect_eq "allowed: cgroup none" "$(j .cgroup)" none
fi
for p in userns pidns mountns netns seccomp no_new_privs caps-dropped; do
  expect_eq "allowed: protections has $p" "$(j ".protections | index(\"$p\") != null")" true
done

# Without a cgroup, each process's data is still held to --memory.
if [ $delegated = 0 ]; then
  run_as run --json "${P[@]}" --memory 64M -- python3 -c 'x = bytearray(256 << 20); print("allocated")'
  expect_eq "rlimit-only memory: the allocation fails" "$(j .stdout)" ""
  expect_match "rlimit-only memory: MemoryError" "$(j .stderr)" MemoryError
fi

# Exit codes without --json.
run_as run "${P[@]}" -- true
expect_rc 0
run_as run "${P[@]}" -- sh -c 'exit 7'
expect_rc 7
run_as run "${P[@]}" --wall-time 1s -- sleep 100
expect_rc 124
run_as run "${P[@]}" -- nonexistent-cmd
expect_rc 127
run_as run "${P[@]}" --memory 12Q -- true
expect_rc 125

# stdin, output caps, file size, disk, env, fds, network still hold.
out=$(echo hi | (cd "$T_TMP" && "${AS[@]}" "$W" run "${P[@]}" -- cat) 2>/dev/null)
expect_eq "stdin" "$out" hi
run_as run --json "${P[@]}" --output 1K --wall-time 10s -- yes
expect_status output_limit
run_as run --json "${P[@]}" --file-size 1M -- dd if=/dev/zero of=/tmp/f bs=64K count=32
expect_status file_size_limit
run_as run --json "${P[@]}" --disk 4M -- dd if=/dev/zero of=/tmp/f bs=1M count=8
expect_status disk_limit
export FOO_SECRET=rootless-secret
run_as run "${P[@]}" --env SET=1 -- env
expect_match "env set" "$OUT" "SET=1"
expect_no_match "env not leaked" "$OUT" "FOO_SECRET"
exec 9</etc/hostname
run_as run "${P[@]}" -- python3 -c 'import os; print(sorted(int(f) for f in os.listdir("/proc/self/fd")))'
expect_eq "no stray fds (listdir holds one)" "$OUT" "[0, 1, 2, 3]"
exec 9<&-
run_as run "${P[@]}" -- python3 -c '
import socket
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2); print("connected")
except OSError:
    print("no network")'
expect_eq "no network" "$OUT" "no network"
run_as run "${P[@]}" -- sh -c 'cat /proc/self/status | grep -E "^(CapEff|NoNewPrivs)" | tr -s "\t " " "'
expect_match "no caps, no_new_privs" "$OUT" "CapEff: 0000000000000000
NoNewPrivs: 1"

# Workdir and output dir owned by the user.
mkdir "$T_TMP/wd" "$T_TMP/od"
chown $U:$U "$T_TMP/wd" "$T_TMP/od"
run_as run "${P[@]}" --workdir "$T_TMP/wd" --output-dir "$T_TMP/od" -- sh -c 'echo w > w; echo o > /output/o'
expect_rc 0
expect_eq "workdir written" "$(cat "$T_TMP/wd/w" 2>/dev/null)" w
expect_eq "output dir copied" "$(cat "$T_TMP/od/o" 2>/dev/null)" o
expect_eq "files owned by the user" "$(stat -c %u "$T_TMP/wd/w" "$T_TMP/od/o" 2>/dev/null | sort -u)" $U

# A policy the user cannot read.
echo '{"version": 1}' >"$T_TMP/secret.json"
chmod 600 "$T_TMP/secret.json"
run_as run --policy "$T_TMP/secret.json" -- true
expect_rc 125
expect_match "unreadable policy named" "$ERR" "secret.json"
expect_eq "unreadable policy: one line" "$(printf '%s\n' "$ERR" | grep -c .)" 1

# A --ro the user cannot read on the host is not readable inside either.
mkdir "$T_TMP/private"
echo private >"$T_TMP/private/f"
chmod 700 "$T_TMP/private"
run_as run "${P[@]}" --ro "$T_TMP/private:/p" -- cat /p/f
expect_ne "host permissions hold in --ro" "$OUT" private

# SIGKILL of an unprivileged ward: the sandbox dies with it.
uniq="$$$RANDOM"
(cd "$T_TMP" && exec "${AS[@]}" "$W" run "${P[@]}" --wall-time 60s -- sleep "1000.$uniq") </dev/null >/dev/null 2>&1 &
wpid=$!
for _ in $(seq 50); do pgrep -f "sleep 1000.$uniq" >/dev/null && break; sleep 0.1; done
kill -9 $wpid
for _ in $(seq 50); do pgrep -f "sleep 1000.$uniq" >/dev/null || break; sleep 0.1; done
expect_no_process "sleep 1000.$uniq"
wait $wpid 2>/dev/null

expect_no_process "$MARK"
expect_no_cgroups
done_testing
