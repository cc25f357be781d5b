#!/bin/bash
# Attack: reach the kernel's object tree and the host cgroups through /sys.
# The sandbox lists /sys, opens well-known files under it, and tries to
# mount sysfs and a cgroup hierarchy of its own. Judged from outside: /sys
# is absent or empty, the host's MAC address and cgroup paths never appear,
# and both mounts fail.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work

read -r -d '' CODE <<'PY'
import os
try:
    print("sys-entries", len(os.listdir("/sys")), sorted(os.listdir("/sys")))
except OSError as e:
    print("sys-entries", 0, e.__class__.__name__)
for p in ("/sys/class/net/eth0/address", "/sys/fs/cgroup/cgroup.procs",
          "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/kernel/notes",
          "/sys/firmware/dmi/tables/DMI", "/sys/kernel/debug", "/sys/kernel/security"):
    try:
        with open(p, "rb") as f:
            print("read", p, "OK", f.read(100))
    except OSError as e:
        print("read", p, e.__class__.__name__)
print("done")
PY

run_sb -- /usr/bin/python3 -c "$CODE"
expect_document
expect_match "the listing ran" "$SOUT" $'\n''done'
expect_match "/sys is absent or empty" "$SOUT" '^sys-entries 0 '
expect_no_match "a /sys file was readable" "$SOUT" 'read [^ ]+ OK'
for mac in /sys/class/net/*/address; do
  m=$(cat "$mac")
  [ "$m" = 00:00:00:00:00:00 ] && continue
  expect_no_secret "host MAC $mac" "$m"
done
hostcg=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
[ -n "$hostcg" ] && [ "$hostcg" != / ] && expect_no_secret "host cgroup path" "$hostcg"

run_probe -- mount:sysfs mount:cgroup mount:cgroup2 mount_bind:/proc
expect_blocked mount:sysfs
expect_blocked mount:cgroup
expect_blocked mount:cgroup2

done_testing
