#!/usr/bin/env python3
"""The REPL drivers of runtimes/, driven directly on the host (no ward).

Each driver is started as ward starts it, with the control socket (one end
of a socketpair) inherited as an fd whose number is its argument, in its
own process group so that an interrupt can go to the group as ward sends
it. One line per check; exit status 0 when all pass, 1 when one fails,
77 when an interpreter is missing (the others are still checked).

The Python driver runs under the system's /usr/bin/python3 when present
(the interpreter a sandbox sees), else python3 from PATH; WARD_TEST_PYTHON,
WARD_TEST_NODE and WARD_TEST_BASH override.
"""

import base64
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

RUNTIMES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "runtimes")
TIMEOUT = 10  # seconds any one step may take

failures = 0
missing = []
drivers = []  # every process started, killed at exit if still running


def report(ok, name, detail=""):
    global failures
    if not ok:
        failures += 1
    print("%s - %s%s" % ("ok" if ok else "FAIL", name, (": " + detail) if detail and not ok else ""), flush=True)
    return ok


def skip(name, why):
    print("skip - %s: %s" % (name, why), flush=True)


class Driver:
    """One driver process and its end of the control socket."""

    def __init__(self, argv):
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            argv + [str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            cwd="/tmp",
        )
        theirs.close()
        drivers.append(self.proc)
        self.sock = ours
        self.buf = b""
        self.next_id = 1
        self.out = {"stdout": bytearray(), "stderr": bytearray()}
        for name in self.out:
            threading.Thread(target=self._drain, args=(name,), daemon=True).start()

    def _drain(self, name):
        stream = getattr(self.proc, name)
        while True:
            data = stream.read1(65536)
            if not data:
                return
            self.out[name] += data

    def recv(self, timeout=TIMEOUT):
        """The next protocol message, or None at EOF or after timeout."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send(self, op, code):
        rid = self.next_id
        self.next_id += 1
        data = code.encode()
        self.sock.sendall(b"%s %d %d\n" % (op.encode(), rid, len(data)) + data)
        return rid

    def cell(self, code, interrupt_on=None, timeout=TIMEOUT):
        """Runs a cell; returns its messages, `done` last. With
        interrupt_on, SIGINT goes to the process group once that text has
        appeared on the driver's stdout (the cell is then surely running)."""
        rid = self.send("cell", code)
        msgs = []
        if interrupt_on is not None:
            if not self.wait_output("stdout", interrupt_on):
                return msgs
            os.killpg(self.proc.pid, signal.SIGINT)
        while True:
            m = self.recv(timeout)
            if m is None:
                return msgs
            msgs.append(m)
            if m.get("type") == "done" and m.get("id") == rid:
                return msgs

    def wait_output(self, stream, text, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while text.encode() not in self.out[stream]:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self):
        self.sock.close()
        try:
            self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        return self.proc.returncode


def find(name, env, preferred=None):
    path = os.environ.get(env)
    if path:
        return path if os.access(path, os.X_OK) else None
    if preferred and os.access(preferred, os.X_OK):
        return preferred
    return shutil.which(name)


def start(lang, argv, name):
    d = Driver(argv)
    d.lang = lang
    ready = d.recv()
    ok = isinstance(ready, dict) and ready.get("type") == "ready" and ready.get("language") == lang
    report(ok, "%s: ready" % name, repr(ready) if not ok else "")
    return d if ok else None


def done_of(msgs):
    return msgs[-1] if msgs and msgs[-1].get("type") == "done" else {}


def of_type(msgs, kind):
    return [m for m in msgs if m.get("type") == kind]


def result_text(msgs):
    results = of_type(msgs, "result")
    return results[0]["data"].get("text/plain") if results else None


def check_value(d, name, code, expected):
    msgs = d.cell(code)
    got = result_text(msgs)
    return report(done_of(msgs).get("status") == "ok" and got == expected, name, "got %r" % msgs)


def check_output(d, name, code, out, err):
    msgs = d.cell(code)
    # Both were written before `done`; the pipes may take a moment.
    ok = d.wait_output("stdout", out, 2) and d.wait_output("stderr", err, 2)
    ok = ok and out.encode() not in d.out["stderr"] and err.encode() not in d.out["stdout"]
    leaked = [m for m in msgs if out in json.dumps(m) or err in json.dumps(m)]
    report(ok and not leaked and done_of(msgs).get("status") == "ok", name, "msgs %r, out %r" % (msgs, d.out))


def check_interrupt(d, name, code, marker, then_code, then_expected):
    """then_expected: the next cell's value, or for bash its stdout."""
    t = time.monotonic()
    msgs = d.cell(code, interrupt_on=marker)
    done = done_of(msgs)
    report(
        done.get("status") == "interrupted" and of_type(msgs, "error") != [],
        "%s (%.1fs)" % (name, time.monotonic() - t),
        "got %r" % msgs,
    )
    if d.lang != "bash":
        check_value(d, name + ": state kept", then_code, then_expected)
        return
    msgs = d.cell(then_code)
    report(done_of(msgs).get("exit_code") == 0 and d.wait_output("stdout", then_expected, 2),
           name + ": state kept", "got %r, stdout %r" % (msgs, bytes(d.out["stdout"][-200:])))


def check_script(argv, name, code, status, stderr_has=None, stderr_lacks=None):
    d = Driver(argv)
    if not d.recv() or d.recv(0) is not None:
        return report(False, name, "no ready")
    rid = d.send("script", code)
    # A driver may say the status first ({"type":"exit"}) and then wait for
    # ward to end the sandbox (here: to close the socket); or just exit.
    said = None
    deadline = time.monotonic() + TIMEOUT
    while d.proc.poll() is None and time.monotonic() < deadline:
        m = d.recv(0.05)
        if m is not None and m.get("type") == "exit" and m.get("id") == rid:
            said = m.get("status")
            break
    if said is not None and said != status:
        report(False, "%s: the exit message says %d" % (name, status), "it says %r" % said)
    rc = d.close() if said is not None else None
    if said is None:
        try:
            rc = d.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            rc = None
        d.close()
    try:
        os.unlink("/tmp/ward-script-%d.sh" % d.proc.pid)  # the bash driver's copy of the code
    except OSError:
        pass
    time.sleep(0.05)  # the stderr reader
    err = bytes(d.out["stderr"]).decode(errors="replace")
    ok = rc == status
    ok = ok and (stderr_has is None or stderr_has in err) and (stderr_lacks is None or stderr_lacks not in err)
    return report(ok, "%s -> %d" % (name, status), "status %r, stderr %r" % (rc, err))


def check_bad_header(argv, name):
    d = Driver(argv)
    d.recv()
    d.sock.sendall(b"cell 1 " + b"9" * 80 + b"\n")
    try:
        rc = d.proc.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        rc = None
    d.close()
    report(rc == 2, name, "status %r" % rc)


def pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def png_ok(b64):
    """A PNG signature, then an IHDR chunk of 13 bytes with a nonzero size."""
    try:
        data = base64.b64decode(b64, validate=True)
    except ValueError:
        return False
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 33:
        return False
    length, kind, width, height = struct.unpack(">I4sII", data[8:24])
    return length == 13 and kind == b"IHDR" and width > 0 and height > 0


# ---- python --------------------------------------------------------------


def test_python(python):
    argv = [python, "-u", os.path.join(RUNTIMES, "python.py")]
    d = start("python", argv, "python")
    if not d:
        return
    pss = pss_kib(d.proc.pid)
    if pss is None:
        skip("python: idle PSS", "no /proc/PID/smaps_rollup")
    else:
        report(pss < 15 * 1024, "python: idle PSS %d KiB < 15 MiB" % pss)
    check_value(
        d,
        "python: nothing heavy imported at start",
        "import sys\nsorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'numpy', 'asyncio'))",
        "[]",
    )
    check_value(d, "python: last expression", "1+1", "2")
    d.cell("x = 41\ndef inc(v):\n    return v + 1")
    check_value(d, "python: state persists", "inc(x)", "42")
    check_value(d, "python: __name__ is __main__", "__name__", "'__main__'")
    msgs = d.cell("y = 1;")
    report(result_text(msgs) is None and done_of(msgs).get("status") == "ok", "python: statement has no result", repr(msgs))
    count = done_of(d.cell("pass")).get("execution_count", 0)
    report(done_of(d.cell("pass")).get("execution_count") == count + 1, "python: execution_count increments")
    check_output(d, "python: stdout and stderr", "import sys\nprint('py-out')\nprint('py-err', file=sys.stderr)", "py-out", "py-err")
    check_value(d, "python: driver survives cell rebinding print, json, sys.stdout",
                "import sys, io, json\nprint = None\njson.dumps = None\nsys.stdout = io.StringIO()\n'still'", "'still'")
    d.cell("import sys\nsys.stdout = sys.__stdout__\ndel print")

    msgs = d.cell("def f():\n    return 1/0\nf()")
    errs = of_type(msgs, "error")
    e = errs[0] if errs else {}
    tb = "\n".join(e.get("traceback", []))
    report(
        done_of(msgs).get("status") == "error"
        and e.get("ename") == "ZeroDivisionError"
        and e.get("evalue") == "division by zero"
        and "<cell" in tb
        and "python.py" not in tb,
        "python: error with ename and traceback",
        repr(msgs),
    )
    report(d.wait_output("stderr", "ZeroDivisionError", 2), "python: traceback on stderr")

    check_interrupt(d, "python: interrupt", "print('spin', flush=True)\nwhile True:\n    pass", "spin", "x", "41")

    check_value(d, "python: top-level await", "import asyncio\nawait asyncio.sleep(0)\n6*7", "42")

    msgs = d.cell("class H:\n    def _repr_html_(self):\n        return '<b>hi</b>'\nH()")
    data = of_type(msgs, "result")[0]["data"] if of_type(msgs, "result") else {}
    report(data.get("text/html") == "<b>hi</b>" and "text/plain" in data, "python: _repr_html_", repr(msgs))
    msgs = d.cell("display(H(), 5)\n6")
    shown = [m["data"] for m in of_type(msgs, "display")]
    report(
        [x.get("text/html") for x in shown] == ["<b>hi</b>", None] and result_text(msgs) == "6",
        "python: display()",
        repr(msgs),
    )
    msgs = d.cell("import sys\nsys.exit(3)")
    e = (of_type(msgs, "error") or [{}])[0]
    report(e.get("ename") == "SystemExit" and d.proc.poll() is None, "python: sys.exit in a cell is an error", repr(msgs))

    if subprocess.run([python, "-c", "import matplotlib"], capture_output=True).returncode != 0:
        skip("python: matplotlib chart", "matplotlib is not installed for %s" % python)
    else:
        msgs = d.cell("import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title('t');", timeout=30)
        shown = of_type(msgs, "display")
        report(
            len(shown) == 1 and png_ok(shown[0]["data"].get("image/png", "")) and done_of(msgs).get("status") == "ok",
            "python: matplotlib figure sent as PNG",
            repr(msgs)[:500],
        )
        msgs = d.cell("len(plt.get_fignums())")
        report(result_text(msgs) == "0" and not of_type(msgs, "display"), "python: figures closed after the cell", repr(msgs))
        msgs = d.cell("fig = plt.figure()\nfig.gca().plot([1, 2])\nfig")
        res = of_type(msgs, "result")
        report(
            len(res) == 1 and png_ok(res[0]["data"].get("image/png", "")) and not of_type(msgs, "display"),
            "python: Figure value as PNG result, not sent twice",
            repr(msgs)[:500],
        )
    report(d.close() == 0, "python: exits 0 when ward closes the socket")

    check_script(argv, "python: script", "import sys\nprint(sys.argv, __name__)", 0)
    check_script(argv, "python: script sys.exit(3)", "import sys\nsys.exit(3)", 3)
    check_script(argv, "python: script uncaught error", "def f():\n    raise ValueError('boom')\nf()", 1,
                 "ValueError: boom", "python.py")
    check_bad_header(argv, "python: overlong header -> 2")


# ---- node ----------------------------------------------------------------


def test_node(node):
    argv = [node, os.path.join(RUNTIMES, "node.js")]
    d = start("node", argv, "node")
    if not d:
        return
    check_value(d, "node: last expression", "1+1", "2")
    check_value(d, "node: top-level await", "await Promise.resolve(41)+1", "42")
    d.cell("let x = 41; const inc = (v) => v + 1")
    check_value(d, "node: state persists", "inc(x)", "42")
    d.cell("const z = await Promise.resolve(7)")
    check_value(d, "node: declarations with await persist", "z", "7")
    check_value(d, "node: require builtins", "require('path').join('a', 'b')", "'a/b'")
    msgs = d.cell("let y = 1")
    report(result_text(msgs) is None and done_of(msgs).get("status") == "ok", "node: undefined has no result", repr(msgs))
    check_output(d, "node: stdout and stderr", "console.log('js-out'); console.error('js-err')", "js-out", "js-err")

    msgs = d.cell("function f() { throw new TypeError('boom') }\nf()")
    errs = of_type(msgs, "error")
    e = errs[0] if errs else {}
    tb = e.get("traceback", [])
    report(
        done_of(msgs).get("status") == "error"
        and e.get("ename") == "TypeError"
        and e.get("evalue") == "boom"
        and tb[:1] == ["TypeError: boom"]
        and not any("node.js:" in line or "node:repl" in line for line in tb),
        "node: error with ename and traceback",
        repr(msgs),
    )
    report(d.wait_output("stderr", "TypeError: boom", 2), "node: stack on stderr")
    msgs = d.cell("await Promise.reject(new RangeError('later'))")
    e = (of_type(msgs, "error") or [{}])[0]
    report(e.get("ename") == "RangeError" and done_of(msgs).get("status") == "error", "node: awaited rejection", repr(msgs))

    check_interrupt(d, "node: interrupt sync loop", "console.log('spin'); while (true) {}", "spin", "x", "41")
    check_interrupt(d, "node: interrupt pending await", "console.log('wait'); await new Promise(() => {})", "wait", "x + 1", "42")
    d.cell("globalThis.ticks = 0; setInterval(() => ticks++, 10)")
    time.sleep(0.2)
    msgs = d.cell("ticks > 5")
    report(result_text(msgs) == "true", "node: timers run between cells", repr(msgs))
    report(d.close() == 0, "node: exits 0 when ward closes the socket")

    check_script(argv, "node: script", "console.log(require.main === module)", 0)
    check_script(argv, "node: script process.exit(3)", "setTimeout(() => process.exit(3), 10)", 3)
    check_script(argv, "node: script uncaught error", "function f() { throw new Error('boom') }\nf()", 1, "Error: boom")
    check_bad_header(argv, "node: overlong header -> 2")


# ---- bash ----------------------------------------------------------------


def test_bash(bash):
    argv = [bash, os.path.join(RUNTIMES, "bash.sh")]
    d = start("bash", argv, "bash")
    if not d:
        return
    d.cell("x=41; declare -A m=([k]=v); inc() { echo $(($1 + 1)); }; cd /; alias hi='echo alias-hi'")
    check_output(d, "bash: state persists (vars, declare, functions, cwd, aliases)",
                 'echo "bash-out $(inc $x) ${m[k]} $PWD $(hi)"; echo bash-err >&2',
                 "bash-out 42 v / alias-hi", "bash-err")
    msgs = d.cell("false")
    report(done_of(msgs).get("exit_code") == 1 and done_of(msgs).get("status") == "ok", "bash: exit_code of the cell", repr(msgs))
    msgs = d.cell("no-such-command-here")
    report(done_of(msgs).get("exit_code") == 127 and d.wait_output("stderr", "line 1: no-such-command-here", 2),
           "bash: command not found -> 127, message with cell line", repr(msgs))
    d.cell('echo "sockets=$(ls -l /proc/self/fd/ | grep -c socket)"')
    report(d.wait_output("stdout", "sockets=0", 2), "bash: control socket hidden from commands",
           repr(bytes(d.out["stdout"][-200:])))
    check_interrupt(d, "bash: interrupt builtin loop", "echo spin; while :; do :; done; echo no", "spin",
                    'echo "x1=$x"', "x1=41")
    check_interrupt(d, "bash: interrupt sleep in a function", "f() { sleep 100; echo no; }; echo nap; f; echo no",
                    "nap", 'echo "x2=$x"', "x2=41")
    report(b"no\n" not in d.out["stdout"], "bash: rest of an interrupted cell skipped")
    report(d.close() == 0, "bash: exits 0 when ward closes the socket")
    d = start("bash", argv, "bash")
    if d:
        msgs = d.cell("exit 3")
        report(msgs == [] and d.close() == 3, "bash: `exit 3` in a cell ends the driver with 3", repr(msgs))

    check_script(argv, "bash: script", 'echo "$0"', 0)
    check_script(argv, "bash: script exit 3", "exit 3", 3)
    check_script(argv, "bash: script failing", "set -e\nfalse\necho no", 1)
    check_bad_header(argv, "bash: overlong header -> 2")


def main():
    try:
        return run_all()
    finally:
        for proc in drivers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def run_all():
    python = find("python3", "WARD_TEST_PYTHON", "/usr/bin/python3")
    node = find("node", "WARD_TEST_NODE")
    bash = find("bash", "WARD_TEST_BASH")
    for name, path, fn in (("python3", python, test_python), ("node", node, test_node), ("bash", bash, test_bash)):
        if not path:
            skip(name, "not found")
            missing.append(name)
            continue
        fn(path)
    if failures:
        print("# %d check(s) failed" % failures)
        return 1
    return 77 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
