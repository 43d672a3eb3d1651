#!/usr/bin/env python3
"""Client side of the churn test (tests/scenarios/churn.sh): long-lived TCP connections that
must survive configuration changes, and new connections made meanwhile.

    churn.py ADDR PORT N CTL

Opens N connections to ADDR:PORT one after another (each is greeted with its real server's
name), writes CTL/ready, then every 200 ms sends a numbered line on every connection and
waits for its echo, and opens one new short connection (greeting, one line, orderly close),
until CTL/stop exists; then it prints its result, writes CTL/done and keeps the long-lived
connections open until CTL/close exists. A connection whose echo does not come within 2 s, or that is closed or
reset, is broken. Prints the established connections per real server, then one line:
"churn: N established, B broken; F new failed, R new refused" (refused: the director answered
the SYN with an ICMP port unreachable, as C does while it changes a service's scheduler) and the
broken ones by real server. (How many
new connections were made depends on how long the changes took, so only failures are
printed.)"""
import os
import select
import socket
import sys
import time
from collections import Counter


def greet(sock):
    """The real server's name line (the server greets every connection)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(64)
        if not chunk:
            raise ConnectionError("closed before the greeting")
        data += chunk
    return data.decode().strip()


def connect(addr, port):
    s = socket.create_connection((addr, port), timeout=2)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s, greet(s)


def echo(sock, line):
    """Sends LINE and waits (2 s at most) for the same line back."""
    sock.sendall(line)
    got = b""
    deadline = time.monotonic() + 2
    while len(got) < len(line):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            raise TimeoutError("no echo")
        chunk = sock.recv(len(line) - len(got))
        if not chunk:
            raise ConnectionError("closed")
        got += chunk
    if got != line:
        raise ConnectionError("wrong echo")


def main():
    addr, port, n, ctl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    conns = []
    for _ in range(n):
        conns.append(connect(addr, port))
    print("established:", ", ".join(f"{k} {v}" for k, v in
                                    sorted(Counter(name for _, name in conns).items())), flush=True)
    open(os.path.join(ctl, "ready"), "w").close()
    broken = Counter()
    alive = list(conns)
    new = failed = refused = rounds = 0
    while not os.path.exists(os.path.join(ctl, "stop")):
        rounds += 1
        line = f"round {rounds}\n".encode()
        for c in list(alive):
            try:
                echo(c[0], line)
            except (OSError, TimeoutError, ConnectionError):
                broken[c[1]] += 1
                alive.remove(c)
                c[0].close()
        new += 1
        try:
            s, _ = connect(addr, port)
            echo(s, b"new\n")
            s.shutdown(socket.SHUT_WR)
            s.settimeout(2)
            while s.recv(64):
                pass
            s.close()
        except ConnectionRefusedError:
            refused += 1
        except (OSError, TimeoutError, ConnectionError):
            failed += 1
        time.sleep(0.2)
    print(f"churn: {n} established, {sum(broken.values())} broken; {failed} new failed, "
          f"{refused} new refused")
    if broken:
        print("broken:", ", ".join(f"{k} {v}" for k, v in sorted(broken.items())), flush=True)
    # The long-lived connections stay open until CTL/close, so that the connection table can
    # be read with them established and no new connection in the way.
    sys.stdout.flush()
    open(os.path.join(ctl, "done"), "w").close()
    while not os.path.exists(os.path.join(ctl, "close")):
        time.sleep(0.1)
    for s, _ in alive:
        s.close()


if __name__ == "__main__":
    main()
