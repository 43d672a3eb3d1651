#!/usr/bin/env python3
"""Clients for the parallel-traffic test (tests/scenarios/parallel.sh), several run at once.

    clients.py tcp N ADDR PORT         N TCP connections one after another
    clients.py udp N ADDR PORT BASE    N UDP datagrams, the i-th from local port BASE+i

Each prints how many answers came from each real server ("NAME: COUNT", sorted) and
"no answer: COUNT" if some did not come. UDP source ports are set, not left to the kernel: a
port the kernel picks twice would meet the connection of its first use, not the scheduler, and
make the spread depend on chance."""
import socket
import sys
from collections import Counter


def tcp(n, addr, port):
    names = Counter()
    for _ in range(n):
        try:
            with socket.create_connection((addr, port), timeout=5) as s:
                names[s.makefile("rb").readline().decode().strip() or "no answer"] += 1
        except OSError:
            names["no answer"] += 1
    return names


def udp(n, addr, port, base):
    names = Counter()
    for i in range(n):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("", base + i))
            s.settimeout(3)
            s.sendto(b"hello", (addr, port))
            try:
                names[s.recv(2048).decode()] += 1
            except OSError:
                names["no answer"] += 1
    return names


def main():
    kind, n, addr, port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    names = tcp(n, addr, port) if kind == "tcp" else udp(n, addr, port, int(sys.argv[5]))
    for k in sorted(names):
        print(f"{k}: {names[k]}")


if __name__ == "__main__":
    main()
