#!/bin/bash
# Attack: change the kernel through /proc and read what it hides. The
# sandbox writes to /proc/sys (hostname, domainname, drop_caches,
# ip_forward, core_pattern, user namespace limits) and to
# /proc/sysrq-trigger, and reads /proc/kcore, /proc/kmsg and the kernel's
# symbol addresses. Judged from outside: every write failed and the host's
# values are what they were; the kernel memory and log files are closed;
# kallsyms shows no addresses.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work

S=$(new_secret)
R=${S#wardsecret-}
declare -A before
knobs=(kernel/hostname kernel/domainname net/ipv4/ip_forward kernel/core_pattern user/max_user_namespaces vm/overcommit_memory)
for k in "${knobs[@]}"; do
  before[$k]=$(cat "/proc/sys/$k" 2>/dev/null)
  at_exit "[ \"\$(cat /proc/sys/$k)\" = '${before[$k]}' ] || echo '${before[$k]}' >/proc/sys/$k"
done

read -r -d '' CODE <<'PY'
import os, sys
tag = sys.argv[1]
def current(p):
    try:
        with open(p) as f:
            return f.read().strip()
    except OSError:
        return ""
writes = {
    "/proc/sys/kernel/hostname": "pwned-" + tag[:16],
    "/proc/sys/kernel/domainname": "pwned-" + tag[:16],
    "/proc/sys/vm/drop_caches": "1",
    "/proc/sys/net/ipv4/ip_forward": "1",
    # Same value as it reads: harmless should it land on a host.
    "/proc/sys/kernel/core_pattern": None,
    "/proc/sys/user/max_user_namespaces": "1000",
    "/proc/sys/vm/overcommit_memory": None,
    "/proc/sysrq-trigger": "h",
}
for p, v in writes.items():
    if v is None:
        v = current(p) or "core"
    try:
        fd = os.open(p, os.O_WRONLY)
        try:
            os.write(fd, v.encode())
            print("write", p, "OK")
        finally:
            os.close(fd)
    except OSError as e:
        print("write", p, e.__class__.__name__, e.errno)
for p in ("/proc/kcore", "/proc/kmsg", "/proc/self/mem"):
    try:
        with open(p, "rb", buffering=0) as f:
            f.read(16)
            print("readk", p, "OK")
    except OSError as e:
        print("readk", p, e.__class__.__name__)
try:
    with open("/proc/kallsyms") as f:
        addrs = {line.split()[0] for _, line in zip(range(2000), f)}
    print("kallsyms", "zero" if addrs <= {"0000000000000000"} else "ADDRESSES")
except OSError as e:
    print("kallsyms", e.__class__.__name__)
print("done")
PY

run_sb -- /usr/bin/python3 -c "$CODE" "$R"
expect_document
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_no_match "a /proc write succeeded" "$SOUT" 'write [^ ]+ OK'
for p in /proc/sys/kernel/hostname /proc/sys/vm/drop_caches /proc/sys/kernel/core_pattern /proc/sysrq-trigger; do
  expect_match "write $p was tried" "$SOUT" "write $p "
done
expect_no_match "/proc/kcore readable" "$SOUT" 'readk /proc/kcore OK'
expect_no_match "/proc/kmsg readable" "$SOUT" 'readk /proc/kmsg OK'
expect_no_match "kernel addresses visible" "$SOUT" 'kallsyms ADDRESSES'
for k in "${knobs[@]}"; do
  expect_eq "host /proc/sys/$k" "$(cat "/proc/sys/$k" 2>/dev/null)" "${before[$k]}"
done

done_testing
