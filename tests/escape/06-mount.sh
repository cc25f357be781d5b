#!/bin/bash
# Attack: rearrange the sandbox's mounts. The sandbox mounts a tmpfs and a
# proc, bind-mounts its root, remounts / and /usr writable, unmounts the
# read-only /proc/sys and /usr, and calls pivot_root. Any layer may stop
# them (seccomp or the missing capability): the property is that each one
# fails and that / is still read-only afterwards.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work

calls=(mount mount:proc mount:tmpfs mount_bind:/ remount_rw:/ remount_rw:/usr remount_rw:/proc/sys
       umount2 umount2:/proc/sys umount2:/usr umount2:/proc pivot_root)
run_probe -- "${calls[@]}"
for c in "${calls[@]}"; do expect_blocked "$c"; done

# The same through util-linux, as a script would do it, then a write to /.
run_sb -- /bin/sh -c '
  mount -t tmpfs none /tmp 2>&1; echo "mount-rc $?"
  mount -o remount,rw / 2>&1; echo "remount-rc $?"
  umount -l /proc/sys 2>&1; echo "umount-rc $?"
  echo x > /ward-escape-root 2>&1; echo "write-rc $?"
  hn=$(cat /proc/sys/kernel/hostname); echo "$hn" > /proc/sys/kernel/hostname 2>&1; echo "procsys-rc $?"'
expect_document
for step in mount remount umount write procsys; do
  expect_match "$step from a shell" "$SOUT" "$step-rc [1-9]"
done
at_exit "rm -f /ward-escape-root"
expect_eq "nothing written to the host's root" "$(ls /ward-escape-root 2>/dev/null)" ""

done_testing
