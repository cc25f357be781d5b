#!/usr/bin/env python3
"""Slow clients against ward serve's HTTP front, for serve_slowloris.sh.

serve-slow.py PORT [--max N] [--header-deadline S] [--body-deadline S]

Opens connections that send an incomplete request header and then trickle
a byte every 0.3 s (which resets any idle timeout), from one address and
from many (127.0.0.2 and up: all of 127/8 is loopback), and meanwhile asks
/healthz as a prompt client would. Prints one "key value" line per finding:

  same_ip_ms MS      a prompt client's answer while 3*max slow connections
                     from its own address are open (-1: no answer in 5 s)
  many_ip_ms MS      the same while 3*max come from 3*max other addresses
  per_ip_open N      of 2*max slow connections from one address, how many
                     are still open a moment later
  header_closed_ms MS  how long a trickling header is kept (-1: still open
                     after the deadline and 5 s more)
  body_closed_ms MS    how long a trickling body is kept (same)
"""
import argparse
import select
import socket
import threading
import time


def connect(port, src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


class Trickler:
    """Slow connections, each sent one more byte every 0.3 s."""

    def __init__(self, port, head=None):
        self.port = port
        self.head = head or b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Slow: " % port
        self.socks = []
        self.closed_at = {}
        self.lock = threading.Lock()
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def open(self, src="127.0.0.1"):
        try:
            s = connect(self.port, src)
            s.send(self.head)
        except OSError:
            return None
        with self.lock:
            self.socks.append((s, time.monotonic()))
        return s

    def alive(self):
        with self.lock:
            return [s for s, _ in self.socks if s not in self.closed_at]

    def run(self):
        while not self.stop:
            with self.lock:
                socks = list(self.socks)
            now = time.monotonic()
            for s, t0 in socks:
                if s in self.closed_at:
                    continue
                gone = False
                try:
                    r, _, _ = select.select([s], [], [], 0)
                    if r and not s.recv(4096):
                        gone = True
                    else:
                        s.send(b"a")
                except OSError:
                    gone = True
                if gone:
                    with self.lock:
                        self.closed_at[s] = now - t0
            time.sleep(0.3)

    def close(self):
        self.stop = True
        self.t.join()
        for s, _ in self.socks:
            s.close()


def prompt_ms(port, src="127.0.0.1"):
    """A whole GET /healthz, as a prompt client sends it: ms, or -1."""
    t0 = time.monotonic()
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % port)
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
        s.close()
        if data.startswith(b"HTTP/1.1 200"):
            return int((time.monotonic() - t0) * 1000)
    except OSError:
        pass
    return -1


def closed_after(tr, s, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        with tr.lock:
            if s in tr.closed_at:
                return int(tr.closed_at[s] * 1000)
        time.sleep(0.05)
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--max", type=int, default=16)
    ap.add_argument("--header-deadline", type=float, default=2)
    ap.add_argument("--body-deadline", type=float, default=3)
    a = ap.parse_args()

    # Many slow connections from the prompt client's own address, then
    # from as many addresses, one each.
    for key, src in (("same_ip_ms", lambda i: "127.0.0.1"), ("many_ip_ms", lambda i: "127.0.0.%d" % (2 + i))):
        tr = Trickler(a.port)
        for i in range(3 * a.max):
            tr.open(src(i))
            time.sleep(0.01)
        time.sleep(0.3)
        print("%s %d" % (key, prompt_ms(a.port)), flush=True)
        tr.close()

    # One address's share.
    tr = Trickler(a.port)
    for _ in range(2 * a.max):
        tr.open("127.0.1.1")
        time.sleep(0.01)
    time.sleep(0.6)
    print("per_ip_open %d" % len(tr.alive()), flush=True)
    tr.close()

    # The deadlines, from a fresh address each.
    tr = Trickler(a.port)
    s = tr.open("127.0.2.1")
    print("header_closed_ms %d" % closed_after(tr, s, a.header_deadline + 5), flush=True)
    tr.close()
    body_head = (b"POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n{\"code\":\"" % a.port)
    tr = Trickler(a.port, body_head)
    s = tr.open("127.0.2.2")
    print("body_closed_ms %d" % closed_after(tr, s, a.body_deadline + 5), flush=True)
    tr.close()


if __name__ == "__main__":
    main()
