#!/bin/bash
# Attack: push keystrokes into the terminal ward was started from (TIOCSTI),
# so that the user's shell runs them after the sandbox exits, or steal that
# terminal as a controlling tty (TIOCSCTTY). The test gives ward a pseudo
# terminal that is the controlling tty of a host session, as an interactive
# shell would. Judged from outside: nothing was queued on the terminal's
# input nor echoed on its output, and each ioctl failed inside.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/common.sh"

[ -x "$HOST_PY" ] || skip "needs python3 on the host"
sandbox_must_work

S=$(new_secret)
PAYLOAD="echo injected-${S#wardsecret-}"

read -r -d '' INSIDE <<'PY'
import fcntl, os, sys, termios
payload = (sys.argv[1] + "\n").encode()
print("isatty0", os.isatty(0))
for fd in (0, 1, 2):
    try:
        for ch in payload:
            fcntl.ioctl(fd, termios.TIOCSTI, bytes([ch]))
        print("tiocsti", fd, "OK")
    except OSError as e:
        print("tiocsti", fd, e.errno)
for force in (0, 1):
    try:
        fcntl.ioctl(0, termios.TIOCSCTTY, force)
        print("sctty", force, "OK")
    except OSError as e:
        print("sctty", force, e.errno)
try:
    os.close(os.open("/dev/tty", os.O_RDWR))
    print("devtty OK")
except OSError as e:
    print("devtty", e.errno)
print("done")
PY

read -r -d '' HARNESS <<'PY'
import fcntl, os, pty, select, sys, termios, time
ward, inside, payload, out_path, err_path, queue_path = sys.argv[1:7]
m, s = pty.openpty()
attrs = termios.tcgetattr(s)
attrs[3] = (attrs[3] & ~termios.ICANON) | termios.ECHO   # raw-ish input, echo on
termios.tcsetattr(s, termios.TCSANOW, attrs)
holder = os.fork()
if holder == 0:
    # A host session whose controlling terminal is the pty, like a login shell.
    os.close(m)
    os.setsid()
    fcntl.ioctl(s, termios.TIOCSCTTY, 0)
    pid = os.fork()
    if pid == 0:
        os.dup2(s, 0)
        os.dup2(os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
        os.dup2(os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
        os.execv(ward, [ward, "run", "--json", "--", "/usr/bin/python3", "-c", inside, payload])
    os.waitpid(pid, 0)
    time.sleep(0.2)
    n = int.from_bytes(fcntl.ioctl(s, termios.FIONREAD, b"\0\0\0\0"), "little")
    data = b""
    if n:
        os.set_blocking(s, False)
        data = os.read(s, 65536)
    with open(queue_path, "wb") as f:
        f.write(data)
    os._exit(0)
os.close(s)
os.waitpid(holder, 0)
echoed = b""
while select.select([m], [], [], 0.2)[0]:
    try:
        chunk = os.read(m, 65536)
    except OSError:
        break
    if not chunk:
        break
    echoed += chunk
sys.stdout.buffer.write(echoed)
PY

echoed=$("$HOST_PY" -c "$HARNESS" "$WARD" "$INSIDE" "$PAYLOAD" "$T_TMP/out" "$T_TMP/err" "$T_TMP/queue" 2>"$T_TMP/harness-err")
[ -s "$T_TMP/harness-err" ] && fail "harness: $(head -c 300 "$T_TMP/harness-err")"
OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err"); RC=0
SOUT=$(j_stdout)
expect_eq "status" "$(j .status)" ok
expect_match "the attack ran" "$SOUT" $'\n''done'
expect_no_match "TIOCSTI accepted" "$SOUT" 'tiocsti [0-9] OK'
expect_no_match "TIOCSCTTY accepted" "$SOUT" 'sctty [01] OK'
queued=$(cat "$T_TMP/queue" 2>/dev/null)
if [[ "$queued" == *"${S#wardsecret-}"* ]]; then fail "keystrokes were queued on the host terminal: ${queued:0:100}"; else ok; fi
if [[ "$echoed" == *"${S#wardsecret-}"* ]]; then fail "keystrokes were echoed on the host terminal"; else ok; fi
[ -e "$T_TMP/queue" ] && ok || fail "the harness did not check the terminal"

done_testing
