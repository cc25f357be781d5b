#!/bin/bash
# The environment inside: --env sets variables, ward's own environment does
# not leak in, and the fixed identity (uid, gid, HOME, cwd, PATH, hostname).
source "$(dirname "$0")/../helpers/lib.sh"

export FOO_SECRET="ward-secret-$$"
export AWS_SECRET_ACCESS_KEY="ward-aws-$$"
run_ward run --env GREETING=hello --env 'SPACED=a b  c' --env EMPTY= --env 'EQ=x=y' -- env
expect_rc 0
expect_match "--env set" "$OUT" $'(^|\n)GREETING=hello(\n|$)'
expect_match "--env with spaces" "$OUT" $'(^|\n)SPACED=a b  c(\n|$)'
expect_match "--env empty value" "$OUT" $'(^|\n)EMPTY=(\n|$)'
expect_match "--env value with =" "$OUT" $'(^|\n)EQ=x=y(\n|$)'
expect_no_match "caller's FOO_SECRET absent" "$OUT" "FOO_SECRET|ward-secret-$$"
expect_no_match "caller's AWS key absent" "$OUT" "AWS_SECRET|ward-aws-$$"
expect_match "HOME" "$OUT" $'(^|\n)HOME=/home/user(\n|$)'
expect_match "PATH" "$OUT" $'(^|\n)PATH=/usr/local/bin:/usr/bin:/bin(\n|$)'
# Not even through /proc of the first process.
run_ward run -- sh -c 'cat /proc/1/environ /proc/self/environ 2>/dev/null | tr "\0" "\n"'
expect_no_match "secret not in /proc/*/environ" "$OUT" "ward-secret-$$"

# The last --env for a name wins, and --env may override PATH.
run_ward run --env A=1 --env A=2 -- sh -c 'echo $A'
expect_eq "--env twice" "$OUT" 2
run_ward run --env PATH=/bin -- sh -c 'echo $PATH'
expect_eq "--env PATH" "$OUT" /bin

# Identity.
run_ward run -- sh -c 'id -u; id -g; pwd; hostname; cat /proc/sys/kernel/hostname; echo $HOME'
expect_eq "uid, gid, cwd, hostname, HOME" "$OUT" "1000
1000
/home/user
ward
ward
/home/user"
run_ward run -- id -un
expect_eq "user name" "$OUT" user
run_ward run -- sh -c 'grep -c . /proc/self/uid_map; cat /proc/self/status | grep -E "^(CapEff|CapBnd|NoNewPrivs)" | tr -s "\t " " "'
expect_match "no capabilities, no_new_privs" "$OUT" "CapBnd: 0000000000000000"
expect_match "no effective capabilities" "$OUT" "CapEff: 0000000000000000"
expect_match "NoNewPrivs" "$OUT" "NoNewPrivs: 1"

# Layout: no /sys, / read-only, /proc/sys read-only, the writable places.
run_ward run -- sh -c 'ls /sys 2>/dev/null | wc -l; [ -w / ] && echo rootw; [ -w /usr ] && echo usrw;
grep " /proc/sys " /proc/self/mountinfo | tail -1 | cut -d" " -f6 | cut -d, -f1;
for d in /tmp /home/user /dev/shm; do touch $d/x && echo "$d ok"; done; ls /dev | tr "\n" " "'
expect_match "no /sys, read-only /, /usr, /proc/sys" "$OUT" "^0
ro
/tmp ok"
expect_match "writable places" "$OUT" "/tmp ok
/home/user ok
/dev/shm ok"
# (/output without --output-dir: output_default.sh.)
dev=$(printf '%s\n' "$OUT" | tail -1)
for d in null zero full random urandom fd shm; do
  expect_match "/dev/$d present" "$dev" "(^| )$d( |$)"
done
expect_no_match "no host devices" "$dev" "(^| )(sda|vda|nvme|kmsg|mem|tty[0-9]|console)"

# /etc is synthesized: not the host's.
run_ward run -- sh -c 'cat /etc/shadow 2>/dev/null; cat /etc/hostname 2>/dev/null; grep -c "^root:" /etc/passwd'
expect_no_match "no host /etc/shadow" "$OUT" '^root:[^:]*:[0-9]'

expect_no_cgroups
done_testing
