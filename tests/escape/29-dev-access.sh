#!/bin/bash
# Attack: reach hardware and the kernel through /dev. The sandbox opens the
# device nodes that give kernel memory, I/O ports, the kernel log, disks,
# loop devices, the console, tun, fuse, kvm and vsock; walks /dev for any
# block device or unexpected character device; creates device nodes with
# mknod; and reads the kernel log with syslog(2) and dmesg. Judged: only the
# harmless character devices exist (null, zero, full, random, urandom, and
# the tty/pts family), every listed open fails, mknod fails, and no line of
# the host's kernel log appears. Plain /dev/null and /dev/urandom work.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work

read -r -d '' CODE <<'PY'
import os, stat
for p in ("/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/vda", "/dev/sda", "/dev/nvme0n1",
          "/dev/loop0", "/dev/loop-control", "/dev/console", "/dev/tty0", "/dev/tty1", "/dev/ttyS0",
          "/dev/net/tun", "/dev/fuse", "/dev/kvm", "/dev/vsock", "/dev/vhost-vsock", "/dev/vhost-net",
          "/dev/cpu/0/msr", "/dev/nvram", "/dev/hpet", "/dev/rtc0", "/dev/userfaultfd", "/dev/uinput",
          "/dev/mapper/control", "/dev/btrfs-control", "/dev/autofs", "/dev/dri/card0"):
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
        print("open", p, "OK")
    except OSError as e:
        print("open", p, e.__class__.__name__)
for root, dirs, files in os.walk("/dev", followlinks=False):
    for n in dirs + files:
        p = os.path.join(root, n)
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if stat.S_ISBLK(st.st_mode):
            print("node", p, "block", os.major(st.st_rdev), os.minor(st.st_rdev))
        elif stat.S_ISCHR(st.st_mode):
            print("node", p, "char", os.major(st.st_rdev), os.minor(st.st_rdev))
with open("/dev/null", "w") as f:
    f.write("x")
with open("/dev/urandom", "rb") as f:
    print("urandom", len(f.read(16)))
print("done")
PY

run_sb -- /usr/bin/python3 -c "$CODE"
expect_document
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_match "/dev/urandom works" "$SOUT" 'urandom 16'
expect_no_match "a dangerous device opened" "$SOUT" 'open [^ ]+ OK'
expect_no_match "a block device exists" "$SOUT" 'node [^ ]+ block'
while read -r _ p _ maj min; do
  case "$maj:$min" in
    1:3|1:5|1:7|1:8|1:9|5:0|5:2) ok ;;          # null zero full random urandom tty ptmx
    13[6-9]:*|14[0-3]:*) ok ;;                  # pts
    *) fail "unexpected character device $p ($maj:$min)" ;;
  esac
done < <(grep '^node .* char ' <<<"$SOUT")

run_probe -- mknod_mem mknod_blk syslog
expect_blocked mknod_mem
expect_blocked mknod_blk
expect_blocked syslog

if command -v dmesg >/dev/null; then
  line=$(dmesg 2>/dev/null | grep -v '^\s*$' | tail -1 | sed 's/^\[[^]]*\] //')
  if [ -n "$line" ]; then
    run_sb -- /bin/sh -c 'dmesg 2>&1 | tail -5; timeout 2 head -5 /dev/kmsg 2>&1; echo done'
    expect_document
    expect_match "dmesg ran" "$SOUT" 'done'
    expect_no_secret "host kernel log" "$line"
  fi
fi

done_testing
