"""The client side of bench/net: run directly and inside ward, the same code.

usage: net-client.py HOST PORT CONNECTIONS BIG_PATH
Prints one line per measurement:
  connect_fetch_ms <ms>   (CONNECTIONS lines: TCP connect + HTTP GET of 1 KiB + close)
  throughput_mib_s <x>    (7 downloads of BIG_PATH, one line each)
"""
import socket
import sys
import time

host, port, n, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def get(path, sink=None):
    s = socket.create_connection((host, port))
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
    total = 0
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        total += len(d)
    s.close()
    return total


# The name is looked up once, as a client with a connection pool would.
host = socket.gethostbyname(host)
for _ in range(n):
    t = time.perf_counter()
    got = get("/1k")
    print("connect_fetch_ms %.4f" % ((time.perf_counter() - t) * 1000))
    assert got > 1024, got
for _ in range(7):
    t = time.perf_counter()
    got = get(big)
    dt = time.perf_counter() - t
    print("throughput_mib_s %.1f" % (got / dt / (1 << 20)))
