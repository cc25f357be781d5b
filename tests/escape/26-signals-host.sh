#!/bin/bash
# Attack: signal host processes. Host processes are started and their host
# pids handed in; the sandbox sends it SIGKILL and SIGSTOP by number, through a
# pidfd and through the shell's kill, then sends SIGKILL to every process it
# may signal (kill -1) and to its own parent. kill -1 is only sent when the
# sandbox is visibly in its own pid namespace and not root, so that a
# broken ward fails this test rather than killing the machine. Judged from
# outside: the host process is alive and not stopped, and ward still
# returned a document.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

sandbox_must_work
S=$(new_secret)
# Two targets: one owned by root (ward maps the sandbox user to the uid
# that ran it, so for a root-run ward this is "the same user"), one by uid
# 1000 (the sandbox user's number).
start_host_sleeper "$S"
ROOT_PID=$HOST_PID
setpriv --reuid=1000 --regid=1000 --clear-groups bash -c "exec -a '$S-1000' sleep 600" </dev/null >/dev/null 2>&1 &
USER_PID=$!
disown "$USER_PID" 2>/dev/null
at_exit "kill -9 $USER_PID"
sleep 0.1
kill -0 "$USER_PID" 2>/dev/null || { fail "could not start a host process as uid 1000"; done_testing; }

read -r -d '' CODE <<'PY'
import os, signal, sys
for hp in map(int, sys.argv[1:]):
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        try:
            os.kill(hp, sig)
            print("kill", int(sig), "OK")
        except OSError as e:
            print("kill", int(sig), e.__class__.__name__)
    try:
        fd = os.pidfd_open(hp)
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        print("pidfd OK")
    except OSError as e:
        print("pidfd", e.__class__.__name__)
    os.system(f"kill -9 {hp} 2>/dev/null && echo shell-kill OK || echo shell-kill failed")
pids = [p for p in os.listdir("/proc") if p.isdigit()]
ppid = os.getppid()
print("ppid", ppid, "visible", len(pids), "uid", os.getuid())
if ppid > 1:
    try:
        os.kill(ppid, signal.SIGSTOP); os.kill(ppid, signal.SIGCONT)
        print("parent signalled")
    except OSError as e:
        print("parent", e.__class__.__name__)
sys.stdout.flush()
if os.getuid() != 0 and len(pids) < 50:
    try:
        os.kill(-1, signal.SIGKILL)
        print("kill-all sent")
    except OSError as e:
        print("kill-all", e.__class__.__name__)
print("done")
PY

run_sb -- /usr/bin/python3 -c "$CODE" "$ROOT_PID" "$USER_PID"
expect_document
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_no_match "kill by number" "$SOUT" 'kill [0-9]+ OK'
expect_no_match "pidfd" "$SOUT" 'pidfd OK'
expect_no_match "shell kill" "$SOUT" 'shell-kill OK'
sleep 0.2
expect_host_alive "$ROOT_PID"
expect_host_alive "$USER_PID"

done_testing
