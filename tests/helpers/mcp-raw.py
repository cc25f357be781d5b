#!/usr/bin/env python3
"""Raw JSON-RPC against `ward mcp` over its stdin and stdout pipes.

usage: mcp-raw.py WARD PIDFILE

Starts `WARD mcp`, writes its pid to PIDFILE (for the leftover tracker),
then checks the protocol from outside: a request before initialize, the
handshake, malformed JSON (-32700) and a batch (-32600) with the server
still answering, an unknown method (-32601), bad tool arguments (-32602),
an oversized line (an error, then still up), a run and a session, that
stdout holds nothing but JSON-RPC 2.0 lines, and that the end of stdin
ends the process with status 0. Prints one line per failure; exits 0 or 1.
"""
import json
import os
import select
import subprocess
import sys
import time

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


class Server:
    def __init__(self, ward):
        self.p = subprocess.Popen([ward, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.buf = b""
        self.lines = []  # every line seen on stdout

    def send(self, obj_or_bytes):
        data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes).encode()
        self.p.stdin.write(data + b"\n")
        self.p.stdin.flush()

    def read(self, timeout=30):
        """The next message on stdout, or None after timeout."""
        deadline = time.time() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        self.lines.append(line)
        try:
            return json.loads(line)
        except ValueError:
            fail("stdout line is not JSON: %r" % line[:200])
            return {}

    def answer(self, rid, timeout=30):
        """The answer to request rid (notifications in between are kept)."""
        while True:
            m = self.read(timeout)
            if m is None:
                fail("no answer to request %r" % (rid,))
                return {}
            if m.get("id") == rid and "method" not in m:
                return m

    def call(self, rid, tool, args, timeout=60):
        """tools/call: the whole answer to it."""
        self.send({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                   "params": {"name": tool, "arguments": args}})
        return self.answer(rid, timeout=timeout)


def texts(r):
    """The text items of a tool result."""
    return [c.get("text", "") for c in r.get("content", [])]


def expect_error(m, code, what):
    err = m.get("error") or {}
    if err.get("code") != code:
        fail("%s: expected error %d, got %s" % (what, code, json.dumps(m)[:300]))


def main():
    ward, pidfile = sys.argv[1], sys.argv[2]
    s = Server(ward)
    with open(pidfile, "w") as f:
        f.write(str(s.p.pid))

    # Before initialize: an error, not a crash.
    s.send({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    m = s.answer(1)
    if "error" not in m:
        fail("tools/list before initialize was answered: %s" % json.dumps(m)[:200])

    # The handshake: an unknown version gets ours, a known one is echoed.
    s.send({"jsonrpc": "2.0", "id": 2, "method": "initialize",
            "params": {"protocolVersion": "1999-01-01", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
    m = s.answer(2)
    if m.get("result", {}).get("protocolVersion") != "2025-11-25":
        fail("initialize with an unknown version: %s" % json.dumps(m)[:300])
    caps = m.get("result", {}).get("capabilities", {})
    if caps.get("tools", {}).get("listChanged") is not False or "logging" not in caps:
        fail("capabilities: %s" % caps)
    s.send({"jsonrpc": "2.0", "id": 3, "method": "initialize", "params": {"protocolVersion": "2025-03-26"}})
    if s.answer(3).get("result", {}).get("protocolVersion") != "2025-03-26":
        fail("initialize 2025-03-26 not echoed")
    s.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    # Malformed JSON, then still answering.
    s.send(b'{"jsonrpc": "2.0", "id": 4, "method": ')
    expect_error(s.answer(None), -32700, "malformed JSON")
    s.send({"jsonrpc": "2.0", "id": 5, "method": "ping"})
    if s.answer(5).get("result") != {}:
        fail("ping after malformed JSON")

    # A batch, a non-object, a wrong version.
    s.send([{"jsonrpc": "2.0", "id": 6, "method": "ping"}])
    expect_error(s.answer(None), -32600, "batch")
    s.send(b'"just a string"')
    expect_error(s.answer(None), -32600, "a string")
    s.send({"jsonrpc": "1.0", "id": 7, "method": "ping"})
    expect_error(s.answer(7), -32600, "jsonrpc 1.0")

    # Unknown method; unknown tool; bad arguments.
    s.send({"jsonrpc": "2.0", "id": 8, "method": "no/such/method"})
    expect_error(s.answer(8), -32601, "unknown method")
    s.send({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "nope", "arguments": {}}})
    expect_error(s.answer(9), -32602, "unknown tool")
    for i, args in enumerate([{"language": "python"},                          # missing code
                              {"language": "python", "code": 1},               # wrong type
                              {"language": "cobol", "code": "x"},              # not in the enum
                              {"language": "python", "code": "x", "extra": 1},  # unknown property
                              {"language": "python", "code": "x", "timeout": -1}]):
        s.send({"jsonrpc": "2.0", "id": 100 + i, "method": "tools/call",
                "params": {"name": "run_code", "arguments": args}})
        expect_error(s.answer(100 + i), -32602, "bad arguments %s" % args)

    # An oversized line (over 32 MiB): an error, and the server stays up.
    big = b'{"jsonrpc":"2.0","id":10,"method":"ping","params":{"x":"' + b"a" * (33 << 20) + b'"}}'
    s.send(big)
    m = s.answer(None, timeout=60)
    if "error" not in m:
        fail("oversized line: %s" % json.dumps(m)[:200])
    s.send({"jsonrpc": "2.0", "id": 11, "method": "ping"})
    if s.answer(11).get("result") != {}:
        fail("ping after an oversized line")

    # tools/list: every schema an object, run_code with an outputSchema.
    s.send({"jsonrpc": "2.0", "id": 12, "method": "tools/list"})
    tools = s.answer(12).get("result", {}).get("tools", [])
    names = sorted(t["name"] for t in tools)
    want = sorted(["run_code", "session_create", "session_exec", "session_files_write", "session_files_read",
                   "session_files_list", "session_end"])
    if names != want:
        fail("tools: %s" % names)
    for t in tools:
        if t.get("inputSchema", {}).get("type") != "object":
            fail("%s: inputSchema is not an object" % t["name"])
        for k, v in t.get("inputSchema", {}).get("properties", {}).items():
            if not v.get("description"):
                fail("%s.%s: no description" % (t["name"], k))
        if t.get("annotations", {}).get("openWorldHint") is not False:
            fail("%s: openWorldHint" % t["name"])

    # Runs that work, in python and in javascript (node, by exec/lang.c's
    # table), and one that fails: a result with isError.
    for rid, lang, code in [(13, "python", "print(6 * 7)"), (31, "javascript", "console.log(6 * 7)")]:
        r = s.call(rid, "run_code", {"language": lang, "code": code}).get("result", {})
        if r.get("isError") is not False or r.get("structuredContent", {}).get("stdout") != "42\n":
            fail("run_code in %s: %s" % (lang, json.dumps(r)[:300]))
    r = s.call(14, "run_code", {"language": "bash", "code": "echo oops >&2; exit 4"}).get("result", {})
    if r.get("isError") is not True or "oops" not in " ".join(texts(r)):
        fail("failing run: %s" % json.dumps(r)[:300])
    # How a run ended, in the words every face uses (src/service/status.c).
    if "exit: the program exited with code 4" not in texts(r):
        fail("failing run: no status sentence: %s" % json.dumps(r)[:300])
    r = s.call(30, "run_code", {"language": "python", "code": "while True: pass", "timeout": 0.5}).get("result", {})
    if (r.get("isError") is not True or r.get("structuredContent", {}).get("status") != "timeout" or
            "timeout: the wall-time limit ended the run" not in texts(r)):
        fail("run past its timeout: %s" % json.dumps(r)[:300])
    # js is a spelling ward knows but does not list; sh has no session.
    expect_error(s.call(32, "run_code", {"language": "js", "code": "1"}), -32602, "language js")
    expect_error(s.call(33, "session_create", {"language": "sh"}), -32602, "a session in sh")

    # A session, left open: the end of stdin must end it.
    s.send({"jsonrpc": "2.0", "id": 15, "method": "tools/call",
            "params": {"name": "session_create", "arguments": {"language": "python"}}})
    sid = s.answer(15, timeout=60).get("result", {}).get("structuredContent", {}).get("id")
    if not sid:
        fail("session_create gave no id")
    else:
        s.send({"jsonrpc": "2.0", "id": 16, "method": "tools/call",
                "params": {"name": "session_exec", "arguments": {"session_id": sid, "code": "x = 41"}}})
        s.answer(16, timeout=60)
        s.send({"jsonrpc": "2.0", "id": 17, "method": "tools/call",
                "params": {"name": "session_exec", "arguments": {"session_id": sid, "code": "x + 1"}}})
        r = s.answer(17, timeout=60).get("result", {})
        if "42" not in json.dumps(r.get("content")):
            fail("session state: %s" % json.dumps(r)[:300])
        s.send({"jsonrpc": "2.0", "id": 18, "method": "tools/call",
                "params": {"name": "session_files_write",
                           "arguments": {"session_id": sid, "path": "b.bin", "content": "AAEC/w==", "encoding": "base64"}}})
        if s.answer(18, timeout=30).get("result", {}).get("isError") is not False:
            fail("session_files_write")
        s.send({"jsonrpc": "2.0", "id": 19, "method": "tools/call",
                "params": {"name": "session_files_read", "arguments": {"session_id": sid, "path": "b.bin"}}})
        c = s.answer(19, timeout=30).get("result", {}).get("content", [{}])[0]
        if c.get("type") != "resource" or c.get("resource", {}).get("blob") != "AAEC/w==":
            fail("session_files_read of binary: %s" % json.dumps(c)[:300])

    # The end of stdin: exit 0, and stdout held only JSON-RPC 2.0.
    s.p.stdin.close()
    while s.read(timeout=30) is not None:
        pass
    try:
        rc = s.p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        fail("ward mcp did not exit at the end of stdin")
        s.p.kill()
        rc = s.p.wait()
    if rc != 0:
        fail("exit status %d at the end of stdin; stderr: %s" % (rc, s.p.stderr.read().decode()[-500:]))
    for line in s.lines:
        try:
            m = json.loads(line)
        except ValueError:
            continue  # said above
        if not isinstance(m, dict) or m.get("jsonrpc") != "2.0":
            fail("stdout line is not JSON-RPC 2.0: %r" % line[:200])
    if s.buf.strip():
        fail("stdout ends with a partial line: %r" % s.buf[:200])
    print("mcp-raw: %d lines checked, %d failures" % (len(s.lines), len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
