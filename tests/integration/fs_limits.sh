#!/bin/bash
# --file-size (the largest file a process may write) and --disk (the space of
# /tmp, /home/user, /dev/shm and /output together).
source "$(dirname "$0")/../helpers/lib.sh"

limit_event() { j "[.events[]? | select(.type == \"limit\") | .limit] | index(\"$1\") != null"; }

# file_size: 2M into a 1M cap, by the sandbox's first process and by a
# shell's child.
run_json --file-size 1M -- sh -c 'head -c 2M /dev/zero > /tmp/f; echo rc=$?'
expect_match "file_size from a child: SIGXFSZ seen by the shell" "$(j .stdout)" "rc=153"
run_json --file-size 1M -- dd if=/dev/zero of=/tmp/f bs=64K count=32
expect_status file_size_limit
expect_eq "file_size: limit event" "$(limit_event file_size)" true
run_ward run --file-size 1M -- dd if=/dev/zero of=/tmp/f bs=64K count=32
expect_ne "file_size without --json: exit code" "$RC" 0
expect_ne "file_size without --json: not 125" "$RC" 125
# The file stops at the cap.
run_ward run --file-size 1M -- sh -c 'head -c 2M /dev/zero > /tmp/f 2>/dev/null; stat -c %s /tmp/f'
expect_eq "file_size: the file stops at the cap" "$OUT" 1048576
# Under the cap it runs.
run_json --file-size 1M -- sh -c 'head -c 512K /dev/zero > /tmp/f && stat -c %s /tmp/f'
expect_status ok
expect_eq "file_size: under the cap" "$(j .stdout)" 524288

# disk: 20M into /tmp with an 8M disk.
run_json --disk 8M -- dd if=/dev/zero of=/tmp/f bs=1M count=20
expect_status disk_limit
expect_eq "disk: limit event" "$(limit_event disk)" true
expect_match "disk: ENOSPC seen by the program" "$(j .stderr)" "[Nn]o space left"
run_ward run --disk 8M -- sh -c 'head -c 20M /dev/zero > /tmp/f'
expect_ne "disk without --json: exit code" "$RC" 0
expect_ne "disk without --json: not 125" "$RC" 125

# The disk is shared: 5M in /tmp and 5M in /dev/shm do not both fit in 8M.
mkdir "$T_TMP/od"
for pair in "/tmp /dev/shm" "/tmp /home/user" "/home/user /dev/shm" "/tmp /output"; do
  set -- $pair
  run_json --disk 8M --output-dir "$T_TMP/od" -- sh -c "head -c 5M /dev/zero > $1/a && head -c 5M /dev/zero > $2/b"
  expect_eq "disk shared by $1 and $2: status" "$(j .status)" disk_limit
done
# Each alone fits.
for d in /tmp /home/user /dev/shm /output; do
  run_json --disk 8M --output-dir "$T_TMP/od" -- sh -c "head -c 5M /dev/zero > $d/a && stat -c %s $d/a"
  expect_eq "5M in $d under an 8M disk" "$(j .status) $(j .stdout)" "ok 5242880"
done

# The disk limit also holds for a sandbox that sets --file-size above it.
run_json --disk 1M --file-size 64M -- sh -c 'head -c 4M /dev/zero > /tmp/f'
expect_status disk_limit

expect_no_cgroups
done_testing
