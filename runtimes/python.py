"""ward's Python REPL driver (protocol: runtimes/README.md).

Started as `python3 -u /run/ward/driver.py FD`. Reads requests from the
control socket FD and runs them: `cell` in one persistent namespace that
plays __main__, `script` once in a fresh one, after which the process
exits with the program's status.

Cell code shares this interpreter, so everything the driver needs is bound
to private names at start-up: a cell may replace sys.stdout, print, json
or os.write without breaking the protocol. Imports stay few and light (an
idle session should stay well under 15 MiB PSS): matplotlib, asyncio and
io helpers are only touched once a cell has loaded them or needs them.
"""

import ast
import atexit  # built in; imported now, as importing it at a script's end costs 0.3 ms
import base64
import builtins
import json
import linecache
import os
import signal
import sys
import traceback

HEADER_MAX = 64  # bytes in a request's header line, newline included
BODY_MAX = 16 << 20  # bytes of code in one request
TEXT_MAX = 1 << 20  # characters of text/plain or evalue kept in a message
RICH_MAX = 16 << 20  # bytes of one rich value (e.g. base64 PNG) kept
LINE_MAX = (64 << 20) - 1  # bytes of one message line ward accepts
SCRIPT_PATH = "/run/ward/main.py"  # what a script sees as its file name
CTL_TARGETS = (1000, 255)  # where the control socket is moved, first free
CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect

# Private references: cells can rebind the public names freely.
_read, _write, _close, _getpid, _exit = os.read, os.write, os.close, os.getpid, os._exit
_stdout, _stderr = sys.stdout, sys.stderr
_eval, _repr, _isinstance, _getattr = eval, repr, isinstance, getattr
_BaseException, _KeyboardInterrupt, _SystemExit = BaseException, KeyboardInterrupt, SystemExit
_encode = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode
_b64encode = base64.b64encode
_DRIVER_FILE = (lambda: None).__code__.co_filename
_PID = os.getpid()
_SELF = sys.modules[__name__]  # kept alive once __main__ is the cells' module

# A cell's SyntaxError or top-level await only needs these compile flags.
_CELL_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_AST_FLAGS = ast.PyCF_ONLY_AST | _CELL_FLAGS


def _die(status, message):
    """Protocol violation or setup failure: say why on stderr and exit."""
    try:
        _stderr.write("ward python driver: %s\n" % message)
        _stderr.flush()
    finally:
        _exit(status)


def _clean(text):
    # Lone surrogates (from surrogateescape'd bytes) would make JSON that
    # strict parsers reject.
    return text.encode("utf-8", "replace").decode("utf-8")


def _truncate(text, limit=TEXT_MAX):
    if len(text) > limit:
        text = "%s\n[... %d more characters not shown]" % (text[:limit], len(text) - limit)
    return _clean(text)


def _flush_all():
    """Every byte a cell wrote to fd 1/2 goes out before `done`."""
    for stream in (sys.stdout, sys.stderr, _stdout, _stderr):
        try:
            stream.flush()
        except _BaseException:
            pass


class Ctl:
    """The control socket: framed requests in, JSON lines out."""

    def __init__(self, fd):
        self.fd = self._move_high(fd)
        self.buf = bytearray()

    @staticmethod
    def _move_high(fd):
        # Out of the way of the low numbers cell code opens, and
        # close-on-exec so that subprocesses do not inherit it.
        for target in CTL_TARGETS:
            try:
                os.fstat(target)
                continue  # taken
            except OSError:
                pass
            try:
                os.dup2(fd, target, inheritable=False)
            except OSError:
                continue
            _close(fd)
            return target
        os.set_inheritable(fd, False)
        return fd

    def _fill(self, what):
        data = _read(self.fd, 1 << 16)
        if not data:
            if not self.buf and what == "header":
                _exit(0)  # ward closed the session between requests
            _die(2, "control socket closed in the middle of a %s" % what)
        self.buf += data

    def request(self):
        """Returns (op, id, code bytes) of the next request."""
        while True:
            nl = self.buf.find(b"\n", 0, HEADER_MAX)
            if nl >= 0:
                break
            if len(self.buf) >= HEADER_MAX:
                _die(2, "request header longer than %d bytes" % HEADER_MAX)
            self._fill("header")
        header = bytes(self.buf[:nl])
        del self.buf[: nl + 1]
        parts = header.split(b" ")
        if (
            len(parts) != 3
            or parts[0] not in (b"cell", b"script")
            or not parts[1].isdigit()
            or not parts[2].isdigit()
        ):
            _die(2, "malformed request header %r" % header)
        size = int(parts[2])
        if size > BODY_MAX:
            _die(2, "request of %d bytes exceeds %d" % (size, BODY_MAX))
        while len(self.buf) < size:
            self._fill("request")
        body = bytes(self.buf[:size])
        del self.buf[:size]
        return parts[0].decode(), int(parts[1]), body

    def send(self, msg):
        line = _encode(msg)
        if len(line) > LINE_MAX and "data" in msg:
            # Rich forms too big together (escaped JSON can be 6 times
            # the text): text/plain alone, which is bounded, still fits.
            msg = dict(msg, data={"text/plain": msg["data"].get("text/plain", "")})
            line = _encode(msg)
        view = memoryview((line + "\n").encode("ascii"))
        try:
            while view:
                view = view[_write(self.fd, view) :]
        except OSError:
            _exit(1)  # ward is gone: nobody left to report to

    def close(self):
        _close(self.fd)


class Session:
    def __init__(self, ctl):
        self.ctl = ctl
        self.count = 0
        self.armed = False  # SIGINT raises KeyboardInterrupt only while True
        self.deferred = False  # an interrupt that came while display() sent
        self.rid = None  # the running cell's id
        self.loop = None  # asyncio loop for top-level await, made on first use
        # The cells' __main__: pickle and `import __main__` find cell
        # definitions here, as they would in `python3 -i`.
        self.main = type(sys)("__main__")
        self.main.__dict__["__builtins__"] = builtins
        self.ns = self.main.__dict__
        signal.signal(signal.SIGINT, self._on_sigint)

    def _on_sigint(self, signum, frame):
        # Between cells, or while the driver reports, an interrupt is
        # dropped: the protocol must never be cut in the middle of a line.
        if self.armed:
            raise _KeyboardInterrupt
        if self.rid is not None:
            self.deferred = True

    def display(self, *objs):
        """IPython's display(): each object's rich forms, sent now as a
        `display` message (outside a cell's main thread: printed)."""
        import threading

        for obj in objs:
            if (
                self.rid is None
                or not self.armed
                or _getpid() != _PID
                or threading.current_thread() is not threading.main_thread()
            ):
                print(_repr(obj))
                continue
            data = self._bundle(obj)
            _flush_all()  # what the cell printed before comes first
            self.armed, self.deferred = False, False
            try:
                self.ctl.send({"type": "display", "id": self.rid, "data": data})
            finally:
                self.armed = True
            if self.deferred:
                raise _KeyboardInterrupt

    def serve(self):
        sys.modules["__main__"] = self.main
        sys.argv[:] = [""]  # as in an interactive `python3`
        sys.path[0] = ""  # imports from the working directory
        builtins.display = self.display  # as IPython provides it
        self.ctl.send(
            {"type": "ready", "language": "python", "version": "%d.%d.%d" % sys.version_info[:3]}
        )
        while True:
            op, rid, code = self.ctl.request()
            if op == "script":
                global _script_ctl
                _script_ctl = (self.ctl, rid)
                return self.script(code)
            self.cell(rid, code)

    # -- cells ---------------------------------------------------------

    def cell(self, rid, code):
        self.count += 1
        filename = "<cell %d>" % self.count
        text = code.decode("utf-8", "replace")
        # Tracebacks, also from functions defined here and called later,
        # show the cell's source lines (mtime None: never evicted).
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)

        messages, error, interrupted, value = [], None, False, None
        self.rid = rid
        self.armed = True
        try:
            value = self._execute(code, filename)
            if value is not None:
                builtins._ = value  # as the interactive interpreter does
                messages.append({"type": "result", "id": rid, "data": self._bundle(value)})
            self.armed = False
        except _BaseException as e:
            self.armed = False
            error = e
            interrupted = _isinstance(e, _KeyboardInterrupt)
        # Figures are sent and closed even after an error, so none
        # accumulate; a chart that is the cell's value is not sent twice.
        # After an interrupt they are only closed: ward waits for `done`.
        self.armed = True
        try:
            displays = self._figures(value, render=not interrupted)
            self.armed = False
        except _BaseException as e:
            self.armed = False
            displays = []
            if error is None:
                error = e
                interrupted = _isinstance(e, _KeyboardInterrupt)

        self.rid = None
        if _getpid() != _PID:
            # A child the cell forked came back here: it must not talk.
            _flush_all()
            _exit(0)
        for data in displays:
            self.ctl.send({"type": "display", "id": rid, "data": data})
        for msg in messages:
            self.ctl.send(msg)
        if error is not None:
            self.ctl.send(self._error(rid, error))
        _flush_all()
        status = "interrupted" if interrupted else ("error" if error is not None else "ok")
        self.ctl.send({"type": "done", "id": rid, "status": status, "execution_count": self.count})

    def _execute(self, code, filename):
        """Runs the cell; returns the value of a trailing expression."""
        tree = compile(code, filename, "exec", _AST_FLAGS, dont_inherit=True)
        last = None
        if tree.body and _isinstance(tree.body[-1], ast.Expr):
            expr = tree.body.pop()
            if not self._silenced(code, expr):
                last = ast.Expression(expr.value)
            else:
                tree.body.append(expr)
        if tree.body:
            self._run(compile(tree, filename, "exec", _CELL_FLAGS, dont_inherit=True))
        if last is not None:
            return self._run(compile(last, filename, "eval", _CELL_FLAGS, dont_inherit=True))
        return None

    @staticmethod
    def _silenced(code, expr):
        # As in IPython, a trailing `;` hides the value (`plt.plot(x);`).
        lines = code.splitlines()
        try:
            rest = lines[expr.end_lineno - 1][expr.end_col_offset :]
        except IndexError:
            return False
        return rest.lstrip().startswith(b";")

    def _run(self, code):
        if not code.co_flags & CO_COROUTINE:
            return _eval(code, self.ns)
        return self._await(_eval(code, self.ns))

    def _await(self, coro):
        """Top-level await: one event loop for the session, run per cell."""
        import asyncio  # heavy: only for cells that await

        if self.loop is None or self.loop.is_closed():
            self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        task = self.loop.create_task(coro)
        try:
            return self.loop.run_until_complete(task)
        except _KeyboardInterrupt:
            # Interrupted while the loop waited: cancel the cell's task and
            # let it unwind (briefly) so the loop stays usable.
            if not task.done():
                task.cancel()
                try:
                    self.loop.run_until_complete(asyncio.wait([task], timeout=1))
                except _BaseException:
                    pass
            raise

    def _bundle(self, value):
        """The MIME bundle of a cell's value (README: `result`)."""
        data = {"text/plain": _truncate(_repr(value))}
        figure = sys.modules.get("matplotlib.figure")
        if figure is not None and _isinstance(value, figure.Figure):
            self._put(data, "image/png", self._png(value))
            return data
        if _isinstance(value, type):
            return data  # a class: its _repr_*_ are unbound methods
        rich = self._call(value, "_repr_mimebundle_")
        if _isinstance(rich, tuple) and rich:
            rich = rich[0]
        if _isinstance(rich, dict):
            for mime in ("image/png", "image/svg+xml", "text/html", "application/json"):
                if mime in rich:
                    self._put(data, mime, rich[mime])
        for mime, method in (
            ("image/png", "_repr_png_"),
            ("image/svg+xml", "_repr_svg_"),
            ("text/html", "_repr_html_"),
            ("application/json", "_repr_json_"),
        ):
            if mime not in data:
                self._put(data, mime, self._call(value, method))
        return data

    @staticmethod
    def _call(value, method):
        # A failing formatter only loses that form, as in IPython; an
        # interrupt still stops the cell.
        try:
            fn = _getattr(value, method, None)
            if callable(fn):
                return fn()
        except (_KeyboardInterrupt, _SystemExit):
            raise
        except _BaseException:
            pass
        return None

    @staticmethod
    def _put(data, mime, value):
        if _isinstance(value, tuple) and value:
            value = value[0]  # (data, metadata)
        if value is None:
            return
        if mime == "application/json":
            try:
                _encode(value)
            except (TypeError, ValueError):
                return
        elif mime == "image/png":
            if _isinstance(value, (bytes, bytearray, memoryview)):
                value = _b64encode(value).decode("ascii")
            elif not _isinstance(value, str):
                return
        else:
            if _isinstance(value, (bytes, bytearray)):
                value = bytes(value).decode("utf-8", "replace")
            elif _isinstance(value, str):
                value = _clean(value)
            else:
                return
        if _isinstance(value, str) and len(value) > RICH_MAX:
            return
        data[mime] = value

    @staticmethod
    def _png(fig):
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()

    def _figures(self, skip, render=True):
        """Every open pyplot figure as a display bundle, then closed.

        Only if the cell (or an earlier one) imported pyplot: the driver
        never imports matplotlib itself."""
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return []
        out = []
        for num in plt.get_fignums():
            fig = plt.figure(num)
            try:
                if render and fig is not skip:
                    data = {"text/plain": _repr(fig)}
                    self._put(data, "image/png", self._png(fig))
                    out.append(data)
            finally:
                plt.close(fig)
        return out

    def _error(self, rid, e):
        lines = self._traceback(e)
        try:
            _stderr.write("".join(lines))
            _stderr.flush()
        except _BaseException:
            pass
        try:
            evalue = str(e)
        except _BaseException:
            evalue = "<exception str() failed>"
        return {
            "type": "error",
            "id": rid,
            "ename": type(e).__name__,
            "evalue": _truncate(evalue),
            "traceback": _truncate("".join(lines)).splitlines(),
        }

    def _traceback(self, e):
        """The formatted traceback without the driver's own frames, nor the
        event loop's that lead into a cell which awaited."""
        plumbing = [_DRIVER_FILE]
        for name in ("asyncio", "selectors"):
            module = sys.modules.get(name)
            if self.loop is not None and module is not None:
                path = module.__file__
                plumbing.append(os.path.dirname(path) + os.sep if name == "asyncio" else path)
        try:
            te = traceback.TracebackException(type(e), e, e.__traceback__, compact=True)
            self._prune(te, tuple(plumbing), set())
            return list(te.format())
        except _BaseException:
            return ["%s: <traceback unavailable>\n" % type(e).__name__]

    def _prune(self, te, plumbing, seen):
        if te is None or id(te) in seen:
            return
        seen.add(id(te))
        frames = [f for f in te.stack if f.filename != _DRIVER_FILE]
        while frames and frames[0].filename.startswith(plumbing):
            frames.pop(0)
        te.stack = traceback.StackSummary.from_list(frames)
        for sub in (te.__cause__, te.__context__, *(te.exceptions or ())):
            self._prune(sub, plumbing, seen)

    # -- script --------------------------------------------------------

    def script(self, code):
        """Runs code as `python3 /run/ward/main.py` would; returns the
        exit status. The control socket stays open (close-on-exec, at a
        high number) for the "exit" message _finish() sends."""
        # SIGINT raises KeyboardInterrupt from here on, as under
        # default_int_handler; arming the handler in place is cheaper than
        # installing another.
        self.armed = True
        if _getattr(builtins, "display", None) == self.display:
            del builtins.display
        main = type(sys)("__main__")
        main.__dict__.update(__builtins__=builtins, __file__=SCRIPT_PATH, __cached__=None)
        sys.modules["__main__"] = main
        sys.argv[:] = [SCRIPT_PATH]
        sys.path[0] = os.path.dirname(SCRIPT_PATH)
        text = code.decode("utf-8", "replace")
        linecache.cache[SCRIPT_PATH] = (len(text), None, text.splitlines(True), SCRIPT_PATH)
        try:
            exec(compile(code, SCRIPT_PATH, "exec", dont_inherit=True), main.__dict__)
        except _SystemExit as e:
            return self._exit_status(e.code)
        except _BaseException as e:
            _flush_all()
            try:
                _stderr.write("".join(self._traceback(e)))
            except _BaseException:
                pass
            return 130 if _isinstance(e, _KeyboardInterrupt) else 1
        return 0

    @staticmethod
    def _exit_status(code):
        # The interpreter's own rules for SystemExit's argument.
        if code is None:
            return 0
        if _isinstance(code, int):
            return code
        try:
            _stderr.write("%s\n" % (code,))
        except _BaseException:
            pass
        return 1


def main(argv):
    if len(argv) != 2 or not argv[1].isdigit():
        _die(2, "usage: driver.py CONTROL_FD")
    # pyplot must never look for a display; set before any cell runs.
    os.environ["MPLBACKEND"] = "Agg"
    try:
        ctl = Ctl(int(argv[1]))
    except OSError as e:
        _die(2, "control socket %s: %s" % (argv[1], e.strerror))
    return Session(ctl).serve()


_script_ctl = None  # (Ctl, request id) while a script runs


def _finish(status):
    """Ends the process the way the program would (non-daemon threads
    joined, atexit handlers run, output flushed), without the interpreter's
    teardown of every module: that costs milliseconds and a one-shot run's
    answer waits for it."""
    try:
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()
        atexit._run_exitfuncs()
    except _BaseException:
        pass
    _flush_all()
    status = status & 0xFF if _isinstance(status, int) else 1
    if _script_ctl is not None:
        # The status goes to ward before the process exits: tearing down
        # an interpreter's memory takes about a millisecond, which the
        # answer need not wait for. The output was flushed before. (The
        # script could write this line itself; it could as well exit with
        # that status. A signal or a crash sends nothing: ward then reads
        # the status the sandbox's init reports.)
        # Then it waits for ward to end the sandbox (its socket closes),
        # rather than exiting at once: the answer is sent first, and the
        # CPU it is sent from is not busy unmapping this process.
        ctl, rid = _script_ctl
        try:
            line = ('{"type":"exit","id":%d,"status":%d}\n' % (rid, status)).encode("ascii")
            _write(ctl.fd, line)
            while _read(ctl.fd, 4096):
                pass
        except _BaseException:
            pass
    os._exit(status)


if __name__ == "__main__":
    # Only a script returns.
    _finish(main(sys.argv))
