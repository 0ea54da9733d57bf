#!/usr/bin/env python3
"""Slow-client check of a running `serve` (run by hand; never part of the tests).

Opens N connections that stall mid-header and M that stall mid-body, then, while they are held,
times /ping (new connection each) and one /invocations request, and reads the server process's
resident memory and thread count from /proc before and after.

    java -jar target/layerskip.jar serve --port 8123 &
    python3 scripts/stalled-clients-check.py --port 8123 --pid $!
"""
import argparse
import socket
import statistics
import time


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])


def request(port, raw, timeout=30):
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    return (time.perf_counter() - t0) * 1000, got.split(b" ", 2)[1].decode() if got else "none"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--mid-header", type=int, default=1000)
    p.add_argument("--mid-body", type=int, default=100)
    p.add_argument("--pings", type=int, default=50)
    a = p.parse_args()
    rss0, threads0 = proc_status(a.pid)
    held = []
    t0 = time.perf_counter()
    for i in range(a.mid_header + a.mid_body):
        s = socket.create_connection(("127.0.0.1", a.port))
        if i < a.mid_header:
            s.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Ty")
        else:
            s.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000\r\n\r\n{\"inputs\": \"def")
        held.append(s)
    opened = time.perf_counter() - t0
    ping = b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    pings = [request(a.port, ping) for _ in range(a.pings)]
    body = b'{"inputs": "def fib(n):", "parameters": {"max_new_tokens": 16}}'
    gen = request(a.port, b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    rss1, threads1 = proc_status(a.pid)
    elapsed = time.perf_counter() - t0
    for s in held:
        s.close()
    ms = sorted(t for t, _ in pings)
    print(f"{a.mid_header} mid-header + {a.mid_body} mid-body connections opened in {opened:.2f} s; "
          f"measured within {elapsed:.2f} s of the first")
    print(f"/ping x{len(ms)}: statuses {sorted(set(s for _, s in pings))}, median {statistics.median(ms):.1f} ms, "
          f"max {ms[-1]:.1f} ms")
    print(f"/invocations (16 tokens): status {gen[1]}, {gen[0]:.0f} ms")
    print(f"server RSS {rss0:.0f} -> {rss1:.0f} MiB (+{rss1 - rss0:.0f}), threads {threads0} -> {threads1}")


if __name__ == "__main__":
    main()
