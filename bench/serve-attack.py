#!/usr/bin/env python3
"""bench/serve-attack: ward serve's tenants while it is attacked.

Fifty tenant clients (each its own source address on loopback, a fresh
connection per request, as many real clients make them) list their
sessions (GET /v1/sessions: the front, the parent, the token) and run
`true` in bash now and then (POST /v1/runs: a sandbox), for DURATION
seconds before an attack and DURATION seconds during it. The attack:
256 slow connections (from 8 other addresses, 32 each) that send an
incomplete header and then one byte every 5 s, and, over and over, one
32 MiB JSON body of empty arrays sent with no token.

Reported per phase: the tenants' request count, errors, latency median,
p99 and max; and the peak memory (VmHWM) of ward-front and the parent.
Run it against two builds (WARD=... for each) to compare them side by
side: the ratio of the "during" to the "before" latencies is the figure.

Settings from the environment: WARD (build/ward), DURATION (10 s),
CLIENTS (50), SLOW (256).
"""
import hashlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARD = os.environ.get("WARD", os.path.join(ROOT, "build", "ward"))
DURATION = float(os.environ.get("DURATION", "10"))
CLIENTS = int(os.environ.get("CLIENTS", "50"))
SLOW = int(os.environ.get("SLOW", "256"))
TOKEN = "bench-token-%d" % os.getpid()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Source(http.client.HTTPConnection):
    def __init__(self, port, src):
        super().__init__("127.0.0.1", port, timeout=30, source_address=(src, 0))


def hwm_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None


def tenant(port, i, stop, out):
    src = "127.0.1.%d" % (i + 1)
    n = 0
    while not stop.is_set():
        n += 1
        run = n % 10 == 0
        t0 = time.perf_counter()
        ok = False
        try:
            c = Source(port, src)
            hdrs = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
            if run:
                c.request("POST", "/v1/runs", json.dumps({"language": "bash", "code": "true"}), hdrs)
            else:
                c.request("GET", "/v1/sessions", headers=hdrs)
            r = c.getresponse()
            r.read()
            ok = r.status == 200
            c.close()
        except OSError:
            pass
        out.append((time.perf_counter() - t0, ok))
        if not ok:
            time.sleep(0.05)


def slow_one(port, i, stop, opened):
    src = "127.0.2.%d" % (i % 8 + 1)
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(src, 0))
        s.sendall(b"POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        opened.append(1)
        while not stop.is_set():
            stop.wait(5)
            s.sendall(b"X")
    except OSError:
        pass


def big_body(port, stop, answers):
    n = (32 << 20) // 3 - 64
    body = ('{"language":"python","code":"1","x":[' + ",".join(["[]"] * n) + "]}").encode()
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            c = Source(port, "127.0.3.1")
            c.request("POST", "/v1/runs", body, {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            answers.append((r.status, time.perf_counter() - t0))
            c.close()
        except OSError as e:
            answers.append((str(e)[:40], time.perf_counter() - t0))


def phase(port, name, lat_by_phase):
    stop = threading.Event()
    out = []
    ts = [threading.Thread(target=tenant, args=(port, i, stop, out)) for i in range(CLIENTS)]
    for t in ts:
        t.start()
    time.sleep(DURATION)
    stop.set()
    for t in ts:
        t.join()
    lat = sorted(x[0] * 1000 for x in out if x[1])
    errors = sum(1 for x in out if not x[1])
    row = {
        "phase": name,
        "requests": len(out),
        "errors": errors,
        "median_ms": round(statistics.median(lat), 2) if lat else None,
        "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 2) if lat else None,
        "max_ms": round(lat[-1], 2) if lat else None,
    }
    lat_by_phase[name] = row
    return row


def main():
    port = free_port()
    h = hashlib.sha256(TOKEN.encode()).hexdigest()
    cfg = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({"tier": {"version": 1, "limits": {"memory": "128M", "wall_time": "10s"}},
               "tenants": [{"name": "bench", "token_sha256": h,
                            "quotas": {"runs": 64, "runs_per_minute": 100000, "sessions": 16}}]}, cfg)
    cfg.close()
    srv = subprocess.Popen([WARD, "serve", "--listen", "127.0.0.1:%d" % port, "--pool", "4", "--config", cfg.name],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(150):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        front = int(subprocess.run(["pgrep", "-P", str(srv.pid), "-x", "ward-front"], capture_output=True,
                                   text=True).stdout.split()[0])
        time.sleep(2)  # the pool fills
        rows = {}
        print(json.dumps(phase(port, "before", rows)))
        stop = threading.Event()
        opened, answers = [], []
        attackers = [threading.Thread(target=slow_one, args=(port, i, stop, opened)) for i in range(SLOW)]
        attackers.append(threading.Thread(target=big_body, args=(port, stop, answers)))
        for t in attackers:
            t.start()
        time.sleep(1)
        row = phase(port, "during", rows)
        stop.set()
        for t in attackers:
            t.join()
        row["slow_connections_opened"] = len(opened)
        row["big_body_answers"] = sorted({str(a[0]) for a in answers})
        row["big_body_max_s"] = round(max((a[1] for a in answers), default=0), 2)
        row["front_hwm_mib"] = hwm_mib(front)
        row["parent_hwm_mib"] = hwm_mib(srv.pid)
        print(json.dumps(row))
        b, d = rows["before"], rows["during"]
        if b["median_ms"] and d["median_ms"]:
            print("during/before: median %.2fx, p99 %.2fx, errors %d -> %d" % (
                d["median_ms"] / b["median_ms"], d["p99_ms"] / b["p99_ms"], b["errors"], d["errors"]))
    finally:
        srv.terminate()
        try:
            srv.wait(30)
        except subprocess.TimeoutExpired:
            srv.kill()
        os.unlink(cfg.name)


if __name__ == "__main__":
    sys.exit(main())
