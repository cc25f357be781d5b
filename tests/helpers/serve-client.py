#!/usr/bin/env python3
"""A small helper for the `ward serve` integration tests (stdlib only).

    serve-client.py port
        A free TCP port on 127.0.0.1.
    serve-client.py stream URL BODY [HEADER: VALUE ...]
        POSTs BODY with Accept: application/x-ndjson and prints each line of
        the answer as it arrives, prefixed with the milliseconds since the
        request was sent and a tab. The HTTP status and Content-Type go to
        stderr ("status 200", "content-type ..."). Exit 0 unless the
        connection failed.
    serve-client.py png
        Reads base64 on stdin: exit 0 and prints "WIDTHxHEIGHT" when it
        decodes to a PNG whose signature, IHDR chunk (and its CRC) and
        IEND are right; else prints why and exits 1.
    serve-client.py snapshot FILE
        Writes what the leftover check compares against: ward's processes,
        ward-* cgroups, the mounts, ward's files in /tmp, /run, /dev/shm and
        /var/tmp.
    serve-client.py track PID FILE
        Until PID is gone, records every descendant of PID (pid, start
        time, comm) in FILE, one JSON line each, sampling every 50 ms.
    serve-client.py leftovers BEFORE TRACKED [--clean]
        One line per thing left behind since the snapshot BEFORE: a process
        TRACKED recorded that is still there, a new process named ward-*
        that no live ward process owns, a new ward-* cgroup of a process
        TRACKED recorded, a new mount, a new file. With --clean, the
        tracked processes are killed and those cgroups removed (never
        anything else). Exit 1 when there is any.
"""

import base64
import http.client
import json
import os
import signal
import socket
import struct
import sys
import time
import urllib.parse
import zlib

WARD_COMMS = ("ward-run", "ward-session", "ward-warm", "ward-init", "ward-front")
CGROUP_ROOTS = ("memory", "pids", "cpuacct", "cpu,cpuacct", "cpu", "unified")
FILE_DIRS = ("/tmp", "/run", "/dev/shm", "/var/tmp")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stream(url, body, headers):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    h = {"Accept": "application/x-ndjson", "Content-Type": "application/json"}
    for kv in headers:
        k, _, v = kv.partition(":")
        h[k.strip()] = v.strip()
    t0 = time.monotonic()
    conn.request("POST", u.path + (("?" + u.query) if u.query else ""), body=body.encode(), headers=h)
    resp = conn.getresponse()
    print("status %d" % resp.status, file=sys.stderr)
    print("content-type %s" % resp.getheader("Content-Type", ""), file=sys.stderr)
    while True:
        line = resp.readline()
        if not line:
            break
        ms = int((time.monotonic() - t0) * 1000)
        sys.stdout.write("%d\t%s" % (ms, line.decode("utf-8", "replace")))
        if not line.endswith(b"\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
    conn.close()
    return 0


def png_check():
    try:
        data = base64.b64decode(sys.stdin.read().strip(), validate=True)
    except Exception as e:  # noqa: BLE001 - any decoding failure is the answer
        print("not base64: %s" % e)
        return 1
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        print("no PNG signature: %r" % data[:8])
        return 1
    if len(data) < 8 + 25:
        print("too short for IHDR: %d bytes" % len(data))
        return 1
    length, ctype = struct.unpack(">I4s", data[8:16])
    if ctype != b"IHDR" or length != 13:
        print("first chunk is %r of %d bytes, not IHDR of 13" % (ctype, length))
        return 1
    ihdr = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    if zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF != crc:
        print("IHDR CRC mismatch")
        return 1
    width, height, depth, color = struct.unpack(">IIBB", ihdr[:10])
    if width == 0 or height == 0 or depth not in (1, 2, 4, 8, 16) or color not in (0, 2, 3, 4, 6):
        print("bad IHDR: %dx%d depth %d color %d" % (width, height, depth, color))
        return 1
    if data[-12:] != b"\x00\x00\x00\x00IEND\xaeB`\x82":
        print("no IEND chunk at the end")
        return 1
    print("%dx%d" % (width, height))
    return 0


def proc_stat(pid):
    """(ppid, starttime, comm) of a process, or None."""
    try:
        with open("/proc/%s/stat" % pid, "rb") as f:
            s = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    lp, rp = s.find("("), s.rfind(")")
    comm = s[lp + 1 : rp]
    rest = s[rp + 2 :].split()
    # rest[0] is the state, rest[1] the ppid, rest[19] the start time
    if rest[0] in ("Z", "X"):
        return None
    return int(rest[1]), int(rest[19]), comm


def all_procs():
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(d)
            if st:
                out[int(d)] = st
    return out


def ward_cgroups():
    """Every ward-* cgroup directory, in each hierarchy ward may use (and
    the root, when the host has only cgroup v2)."""
    roots = [os.path.join("/sys/fs/cgroup", r) for r in CGROUP_ROOTS]
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        roots.append("/sys/fs/cgroup")
    found, walked = set(), set()
    for base in roots:
        real = os.path.realpath(base)
        if real in walked or not os.path.isdir(real):
            continue
        walked.add(real)
        for dirpath, dirnames, _ in os.walk(real):
            keep = []
            for d in dirnames:
                if d.startswith("ward-"):
                    found.add(os.path.join(dirpath, d))
                else:
                    keep.append(d)
            dirnames[:] = keep if dirpath[len(real) :].count("/") < 8 else []
    return sorted(found)


def mounts():
    """Each mount as "ID MOUNTPOINT FSTYPE": a new mount has a new ID."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            out.append("%s %s %s" % (fields[0], fields[4], line.split(" - ")[1].split()[0]))
    return sorted(out)


def ward_files():
    out = []
    for d in FILE_DIRS:
        try:
            for name in os.listdir(d):
                if "ward" in name and not name.startswith("ward-test."):
                    out.append(os.path.join(d, name))
        except OSError:
            pass
    return sorted(out)


def snapshot(path):
    procs = all_procs()
    doc = {
        "procs": ["%d %d" % (pid, st[1]) for pid, st in procs.items() if st[2] in WARD_COMMS],
        "cgroups": ward_cgroups(),
        "mounts": mounts(),
        "files": ward_files(),
    }
    with open(path, "w") as f:
        json.dump(doc, f)
    return 0


def track(pid, path):
    pid = int(pid)
    seen = set()
    try:
        f = open(path, "a")
    except OSError:
        return 0  # the test is over already
    with f:
        while proc_stat(pid):
            procs = all_procs()
            children = {}
            for p, st in procs.items():
                children.setdefault(st[0], []).append(p)
            todo = list(children.get(pid, []))
            while todo:
                p = todo.pop()
                st = procs[p]
                key = (p, st[1])
                if key not in seen:
                    seen.add(key)
                    try:
                        f.write(json.dumps({"pid": p, "start": st[1], "comm": st[2]}) + "\n")
                        f.flush()
                    except OSError:
                        return 0
                todo.extend(children.get(p, []))
            time.sleep(0.05)
    return 0


def owned_by_live_ward(pid, procs):
    """Whether a live process whose comm is ward (a ward serve or ward run
    parent) is among pid's ancestors."""
    seen = 0
    while pid > 1 and seen < 64:
        st = procs.get(pid)
        if not st:
            return False
        if st[2] == "ward":
            return True
        pid = st[0]
        seen += 1
    return False


def leftovers(before_path, tracked_path, clean):
    with open(before_path) as f:
        before = json.load(f)
    tracked = []
    try:
        with open(tracked_path) as f:
            tracked = [json.loads(line) for line in f if line.strip()]
    except OSError:
        pass
    tracked_pids = {t["pid"] for t in tracked}
    procs = all_procs()
    bad = []
    kill = set()
    for t in tracked:
        st = procs.get(t["pid"])
        if st and st[1] == t["start"]:
            bad.append("process left behind: pid %d (%s)" % (t["pid"], st[2]))
            kill.add(t["pid"])
    old = set(before["procs"])
    for pid, st in procs.items():
        if st[2] in WARD_COMMS and "%d %d" % (pid, st[1]) not in old and pid not in kill:
            if not owned_by_live_ward(pid, procs):
                bad.append("orphaned process: pid %d (%s)" % (pid, st[2]))
    old_cg = set(before["cgroups"])
    rm = []
    for cg in ward_cgroups():
        if cg in old_cg:
            continue
        owner = os.path.basename(cg)[5:].split("-")[0]
        owner = int(owner) if owner.isdigit() else 0
        # Only the server's own: another ward on this host (a test that
        # kills one on purpose) may have left one for its next run to find.
        if owner in tracked_pids:
            bad.append("cgroup left behind: %s" % cg)
            rm.append(cg)
    old_m = set(before["mounts"])
    for m in mounts():
        if m not in old_m:
            bad.append("new mount: %s" % m)
    old_f = set(before["files"])
    for p in ward_files():
        if p not in old_f:
            bad.append("file left behind: %s" % p)
    if clean:
        for pid in kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if kill:
            time.sleep(0.3)
        for cg in sorted(rm, key=len, reverse=True):
            try:
                os.rmdir(cg)
            except OSError:
                pass
    for line in bad:
        print(line)
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 1 and argv[0] == "port":
        print(free_port())
        return 0
    if len(argv) >= 3 and argv[0] == "stream":
        return stream(argv[1], argv[2], argv[3:])
    if len(argv) == 1 and argv[0] == "png":
        return png_check()
    if len(argv) == 2 and argv[0] == "snapshot":
        return snapshot(argv[1])
    if len(argv) == 3 and argv[0] == "track":
        return track(argv[1], argv[2])
    if len(argv) in (3, 4) and argv[0] == "leftovers":
        return leftovers(argv[1], argv[2], len(argv) == 4 and argv[3] == "--clean")
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
