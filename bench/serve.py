#!/usr/bin/env python3
"""bench/serve: ward serve against cold sandboxes, in one run.

Measures, side by side on this machine and in this run:
  1. POST /v1/runs for Python print(1) with a warm pool (keep-alive HTTP
     client on loopback), against `ward run` cold and bubblewrap cold for
     the same code (each a fresh process, as a caller would start them);
  2. a session cell `x + 1` over HTTP;
  3. the memory (PSS) of an idle Python session: the driver, its sandbox's
     init and its host process;
  4. how many idle Python sessions the server holds (SESSIONS, default 500).

Targets (issue: ward serve): warm run >= 10x faster than cold bwrap
(median); cell < 2 ms median; idle Python session < 15 MiB PSS; 500 idle
sessions held.

Settings from the environment: RUNS (200), SESSIONS (500), WARD (build/ward),
POOL (16: warm sandboxes per language), PACE_MS (40: the gap between
paced warm runs; the pool's hit rate is printed). Needs root or a user who can run ward; bubblewrap
for the cold reference (skipped with a note if absent).
"""
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARD = os.environ.get("WARD", os.path.join(ROOT, "build", "ward"))
RUNS = int(os.environ.get("RUNS", "200"))
SESSIONS = int(os.environ.get("SESSIONS", "500"))
PACE_MS = float(os.environ.get("PACE_MS", "40"))
CODE = "print(1)"
PY = "/usr/bin/python3"

BWRAP = ["/usr/bin/bwrap", "--unshare-all", "--die-with-parent", "--new-session",
         "--ro-bind", "/usr", "/usr",
         "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
         "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
         "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache",
         "--ro-bind", "/etc/alternatives", "/etc/alternatives",
         "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
         "--dir", "/home/user", "--chdir", "/home/user",
         "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
         "--uid", "1000", "--gid", "1000", "--hostname", "ward", "--"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        r = self.conn.getresponse()
        raw = r.read()
        return r.status, raw


def stats(xs):
    xs = sorted(xs)
    return {"min": xs[0], "median": statistics.median(xs), "p90": xs[int(len(xs) * 0.9) - 1], "n": len(xs)}


def metric(client, name):
    status, raw = client.call("GET", "/metrics")
    for line in raw.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_warm(client, want, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (metric(client, "ward_pool_warm") or 0) >= want:
            return True
        time.sleep(0.01)
    return False


def pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def tree(pid):
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += children(p)
    return seen


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def time_cold(argv, n):
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        xs.append((time.perf_counter() - t) * 1000)
        if p.returncode != 0 or p.stdout.strip() != b"1":
            raise SystemExit("bench/serve: %s failed: %s" % (argv[0], p.stderr.decode()[:300]))
    return xs


def main():
    if not os.path.exists(WARD):
        raise SystemExit("bench/serve: no %s (build first: make build)" % WARD)
    port = free_port()
    pool = int(os.environ.get("POOL", "16"))
    server = subprocess.Popen([WARD, "serve", "--listen", "127.0.0.1:%d" % port, "--pool", str(pool),
                               "--max-sessions", str(SESSIONS + 20)], stderr=subprocess.PIPE)
    rows = []
    try:
        end = time.monotonic() + 10
        while True:
            try:
                c = Client(port)
                if c.call("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > end:
                raise SystemExit("bench/serve: the server did not start")
            time.sleep(0.02)
        if not wait_warm(c, 3 * pool):
            raise SystemExit("bench/serve: the pool did not fill")

        # 1. one-shot runs: warm over HTTP, then cold ward run and bwrap.
        def warm_runs(full):
            xs = []
            hits0 = metric(c, "ward_pool_hits_total")
            for _ in range(RUNS):
                if full:
                    # "With a warm pool": the refill after the previous
                    # run has finished, so nothing else runs meanwhile.
                    # Then a short spin rather than a sleep: the cold
                    # runners run back to back, and a CPU that went idle
                    # takes a VM up to a millisecond to wake (the same
                    # for every hop of a request).
                    wait_warm(c, 3 * pool)
                    spin = time.perf_counter() + 0.005
                    while time.perf_counter() < spin:
                        pass
                t = time.perf_counter()
                status, raw = c.call("POST", "/v1/runs", {"language": "python", "code": CODE})
                xs.append((time.perf_counter() - t) * 1000)
                doc = json.loads(raw)
                if status != 200 or doc.get("stdout") != "1\n":
                    raise SystemExit("bench/serve: run failed: %s" % raw[:300])
                if not full:
                    time.sleep(PACE_MS / 1000)
            return xs, metric(c, "ward_pool_hits_total") - hits0

        def burst_runs():
            # Back to back, in bursts of pool - 1 from a full pool: the
            # refill waits for a pause, so nothing starts beside them.
            xs = []
            hits0 = metric(c, "ward_pool_hits_total")
            while len(xs) < RUNS:
                wait_warm(c, 3 * pool)
                for _ in range(min(pool - 1, RUNS - len(xs))):
                    t = time.perf_counter()
                    status, raw = c.call("POST", "/v1/runs", {"language": "python", "code": CODE})
                    xs.append((time.perf_counter() - t) * 1000)
                    if status != 200 or json.loads(raw).get("stdout") != "1\n":
                        raise SystemExit("bench/serve: run failed: %s" % raw[:300])
            return xs, metric(c, "ward_pool_hits_total") - hits0

        warm, hits = warm_runs(True)
        burst, burst_hits = burst_runs()
        paced, paced_hits = warm_runs(False)
        cold_ward = time_cold([WARD, "run", "--lang", "python", "-c", CODE], RUNS)
        have_bwrap = shutil.which("bwrap") is not None
        cold_bwrap = time_cold(BWRAP + [PY, "-c", CODE], RUNS) if have_bwrap else None

        # 2. a cell x + 1.
        status, raw = c.call("POST", "/v1/sessions", {"language": "python"})
        sid = json.loads(raw)["id"]
        c.call("POST", "/v1/sessions/%s/cells" % sid, {"code": "x = 1"})
        cells = []
        for _ in range(RUNS):
            t = time.perf_counter()
            status, raw = c.call("POST", "/v1/sessions/%s/cells" % sid, {"code": "x + 1"})
            cells.append((time.perf_counter() - t) * 1000)
            if status != 200 or json.loads(raw)["results"][0]["text/plain"] != "2":
                raise SystemExit("bench/serve: cell failed: %s" % raw[:300])

        # 3. PSS of that idle session: its host and everything below it.
        time.sleep(0.5)
        host = [p for p in children(server.pid) if comm(p) == "ward-session"]
        parts = {}
        for h in host:
            for p in tree(h):
                parts.setdefault(comm(p), 0)
                parts[comm(p)] += pss_kib(p)
        c.call("DELETE", "/v1/sessions/%s" % sid)

        # 4. many idle sessions.
        t = time.perf_counter()
        ids = []
        for i in range(SESSIONS):
            status, raw = c.call("POST", "/v1/sessions", {"language": "python"})
            if status != 201:
                print("bench/serve: session %d refused: %s" % (i + 1, raw[:200]), file=sys.stderr)
                break
            ids.append(json.loads(raw)["id"])
        create_s = time.perf_counter() - t
        alive = 0
        for sid in ids:
            status, raw = c.call("POST", "/v1/sessions/%s/cells" % sid, {"code": "1"})
            alive += status == 200 and json.loads(raw).get("status") == "ok"
        total_pss = sum(pss_kib(p) for p in tree(server.pid))
        for sid in ids:
            c.call("DELETE", "/v1/sessions/%s" % sid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()

    w, cw = stats(warm), stats(cold_ward)
    print("# bench/serve, %s, RUNS=%d, one run; times in ms" % (time.strftime("%Y-%m-%d %H:%M"), RUNS))
    print("%-34s %8s %8s %8s" % ("what", "min", "median", "p90"))
    pw, bw = stats(paced), stats(burst)
    print("%-34s %8.3f %8.3f %8.3f" % ("POST /v1/runs, pool full (HTTP)", w["min"], w["median"], w["p90"]))
    print("%-34s %8.3f %8.3f %8.3f" % ("POST /v1/runs, bursts of %d" % (pool - 1), bw["min"], bw["median"], bw["p90"]))
    print("%-34s %8.3f %8.3f %8.3f" % ("POST /v1/runs, every %gms" % PACE_MS, pw["min"], pw["median"], pw["p90"]))
    print("%-34s %8.3f %8.3f %8.3f" % ("ward run cold", cw["min"], cw["median"], cw["p90"]))
    if cold_bwrap:
        b = stats(cold_bwrap)
        print("%-34s %8.3f %8.3f %8.3f" % ("bwrap cold", b["min"], b["median"], b["p90"]))
    ce = stats(cells)
    print("%-34s %8.3f %8.3f %8.3f" % ("session cell x + 1 (HTTP)", ce["min"], ce["median"], ce["p90"]))
    print()
    print("warm runs served by the pool: %d of %d one at a time with the pool full; %d of %d in bursts; "
          "%d of %d every %g ms, while it refills" % (hits, RUNS, burst_hits, RUNS, paced_hits, RUNS, PACE_MS))
    if cold_bwrap:
        print("bwrap cold / warm run (median): %.1fx one at a time, %.1fx in bursts, %.1fx every %g ms   "
              "(target >= 10x)" % (b["median"] / w["median"], b["median"] / bw["median"], b["median"] / pw["median"],
                                   PACE_MS))
    print("ward run cold / warm run (median): %.1fx" % (cw["median"] / w["median"]))
    print("cell median: %.3f ms   (target < 2 ms)" % ce["median"])
    total_one = sum(parts.values())
    print("idle python session PSS: %.1f MiB (%s)   (target < 15 MiB)" % (
        total_one / 1024, ", ".join("%s %.1f" % (k, v / 1024) for k, v in sorted(parts.items()))))
    print("idle sessions held: %d of %d asked, %d answering a cell; created in %.1f s; "
          "server + sessions PSS %.0f MiB   (target 500)" % (len(ids), SESSIONS, alive, create_s, total_pss / 1024))


if __name__ == "__main__":
    main()
