#!/usr/bin/env python3
"""The load test's client: CLIENTS threads for SECONDS seconds of mixed
one-shot runs and session cells against a ward serve on 127.0.0.1:PORT.

usage: serve-load.py PORT CLIENTS SECONDS
Prints one JSON line: {"requests", "errors", "by_status", "first_errors"}.
Half the clients make runs (python, node, bash, in turn); the other half
each keep a session and run cells in it, then end it. Anything but the
expected answer is an error: there is no status a client should get
under this load that it could not act on.
"""
import http.client
import json
import sys
import threading
import time

port, clients, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
lock = threading.Lock()
totals = {"requests": 0, "errors": 0, "by_status": {}, "first_errors": []}


def record(status, ok, what):
    with lock:
        totals["requests"] += 1
        totals["by_status"][str(status)] = totals["by_status"].get(str(status), 0) + 1
        if not ok:
            totals["errors"] += 1
            if len(totals["first_errors"]) < 5:
                totals["first_errors"].append("%s: %s" % (status, what[:300]))


def call(conn, method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


RUNS = [("python", "print(sum(range(10)))", "45\n"), ("node", "console.log(6*7)", "42\n"),
        ("bash", "echo $((2+3))", "5\n")]


def runner(i, end):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    k = i
    while time.monotonic() < end:
        lang, code, want = RUNS[k % len(RUNS)]
        k += 1
        try:
            status, raw = call(conn, "POST", "/v1/runs", {"language": lang, "code": code})
            doc = json.loads(raw)
            record(status, status == 200 and doc.get("status") == "ok" and doc.get("stdout") == want, raw.decode())
        except Exception as e:  # a dropped connection is an error too
            record("exception", False, repr(e))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)


def sessioner(i, end):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.monotonic() < end:
        try:
            status, raw = call(conn, "POST", "/v1/sessions", {"language": "python"})
            record(status, status == 201, raw.decode())
            if status != 201:
                continue
            sid = json.loads(raw)["id"]
            call(conn, "POST", "/v1/sessions/%s/cells" % sid, {"code": "n = 0"})
            for _ in range(20):
                if time.monotonic() >= end:
                    break
                status, raw = call(conn, "POST", "/v1/sessions/%s/cells" % sid, {"code": "n += 1\nn"})
                doc = json.loads(raw)
                record(status, status == 200 and doc.get("status") == "ok", raw.decode())
            status, raw = call(conn, "DELETE", "/v1/sessions/%s" % sid)
            record(status, status == 200, raw.decode())
        except Exception as e:
            record("exception", False, repr(e))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)


end = time.monotonic() + seconds
threads = [threading.Thread(target=runner if i % 2 == 0 else sessioner, args=(i, end)) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(totals))
