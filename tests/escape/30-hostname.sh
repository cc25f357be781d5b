#!/bin/bash
# Attack: rename the host. The sandbox sets its host and domain names with
# sethostname/setdomainname and through /proc/sys. Judged from outside: the
# host's names are what they were (any change is undone by the test), and
# inside the hostname was `ward` to begin with.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
host_name=$(cat /proc/sys/kernel/hostname)
host_domain=$(cat /proc/sys/kernel/domainname)
at_exit "[ \"\$(cat /proc/sys/kernel/hostname)\" = '$host_name' ] || echo '$host_name' >/proc/sys/kernel/hostname"
at_exit "[ \"\$(cat /proc/sys/kernel/domainname)\" = '$host_domain' ] || echo '$host_domain' >/proc/sys/kernel/domainname"
S=$(new_secret)
NEW="pwned-${S:11:12}"

read -r -d '' CODE <<'PY'
import ctypes, socket, sys
new = sys.argv[1]
print("before", socket.gethostname())
libc = ctypes.CDLL(None, use_errno=True)
for fn in ("sethostname", "setdomainname"):
    r = getattr(libc, fn)(new.encode(), len(new))
    print(fn, "OK" if r == 0 else ctypes.get_errno())
for p in ("/proc/sys/kernel/hostname", "/proc/sys/kernel/domainname"):
    try:
        with open(p, "w") as f:
            f.write(new)
        print("write", p, "OK")
    except OSError as e:
        print("write", p, e.__class__.__name__)
print("after", socket.gethostname())
PY

run_sb -- /usr/bin/python3 -c "$CODE" "$NEW"
expect_document
expect_match "hostname inside" "$SOUT" '(^|'$'\n'')before ward'$'\n'
expect_match "the attack ran" "$SOUT" $'\n''after '
expect_eq "host hostname" "$(cat /proc/sys/kernel/hostname)" "$host_name"
expect_eq "host domainname" "$(cat /proc/sys/kernel/domainname)" "$host_domain"
expect_eq "host uname -n" "$(uname -n)" "$host_name"

done_testing
