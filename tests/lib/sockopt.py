#!/usr/bin/env python3
"""Drives the legacy IPVS socket options (IP_VS_SO_SET_*/GET_*) directly, the way ipvsadm's
libipvs does without netlink, plus the malformed calls it never makes. Prints a transcript:
each call, its errno, and the bytes it returned, for tests/diff to compare between modules.

    sockopt.py            the calls, well-formed and malformed (tests/scenarios/sockopt.sh)
    sockopt.py --probe    one read and one write (permission checks)
    sockopt.py --stats    every IPv4 service's and real server's counters (after traffic)"""
import ctypes
import errno
import socket
import struct
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
BASE = 1152
SET = {n: BASE + i for i, n in enumerate(
    "NONE INSERT ADD EDIT DEL FLUSH LIST ADDDEST DELDEST EDITDEST TIMEOUT "
    "STARTDAEMON STOPDAEMON RESTORE SAVE ZERO".split())}
GET = {n: BASE + i for i, n in enumerate(
    "VERSION INFO SERVICES SERVICE DESTS DEST TIMEOUT DAEMON".split())}
TCP, UDP, SCTP = 6, 17, 132

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def err_name(e):
    return errno.errorcode.get(e, str(e)) if e else "OK"


def setopt(label, opt, data):
    buf = ctypes.create_string_buffer(bytes(data), max(len(data), 1))
    rc = libc.setsockopt(sock.fileno(), socket.IPPROTO_IP, opt, buf, len(data))
    print(f"set {label}: {err_name(ctypes.get_errno() if rc else 0)}")


def getopt(label, opt, data, length=None):
    """getsockopt with DATA as input, LENGTH as the declared length (default len(DATA))."""
    length = len(data) if length is None else length
    buf = ctypes.create_string_buffer(bytes(data), max(len(data), length, 1))
    ln = ctypes.c_int(length)
    rc = libc.getsockopt(sock.fileno(), socket.IPPROTO_IP, opt, buf, ctypes.byref(ln))
    e = ctypes.get_errno() if rc else 0
    out = buf.raw[:max(0, min(ln.value, len(buf.raw)))] if not e else b""
    print(f"get {label}: {err_name(e)} len={ln.value}")
    for i in range(0, len(out), 32):
        print("   ", out[i:i + 32].hex())
    return out


def svc(proto=TCP, addr="10.0.0.1", port=80, fwmark=0, sched=b"rr", flags=0, timeout=0,
        netmask="255.255.255.255"):
    return struct.pack("=H2x4s2s2xI16sII4s", proto, socket.inet_aton(addr),
                       struct.pack("!H", port), fwmark, sched, flags, timeout,
                       socket.inet_aton(netmask))


def dest(addr="10.0.1.2", port=8080, flags=0, weight=1, u=0, l=0):
    return struct.pack("=4s2s2xIiII", socket.inet_aton(addr), struct.pack("!H", port),
                       flags, weight, u, l)


def daemon(state, ifname, syncid):
    return struct.pack("=i16si", state, ifname, syncid)


def services(n, length=None, partial=False):
    """GET_SERVICES for N entries. C lists services in the order of a hash table with a random
    key, so entries are printed sorted, and for a PARTIAL listing (fewer slots than services)
    only how many slots were filled."""
    length = 8 + 104 * n if length is None else length
    # The buffer holds N entries whatever LENGTH declares (a shorter one is refused).
    buf = ctypes.create_string_buffer(struct.pack("=I4x", n) + bytes(104 * n),
                                      max(length, 8 + 104 * n))
    ln = ctypes.c_int(length)
    rc = libc.getsockopt(sock.fileno(), socket.IPPROTO_IP, GET["SERVICES"], buf,
                         ctypes.byref(ln))
    e = ctypes.get_errno() if rc else 0
    print(f"get SERVICES n={n}: {err_name(e)} len={ln.value}")
    if e:
        return
    raw = buf.raw
    print("   ", raw[:8].hex())
    entries = [raw[8 + 104 * i:8 + 104 * (i + 1)] for i in range(n)]
    filled = [x for x in entries if x != bytes(104)]
    if partial:
        print(f"    {len(filled)} entries filled")
        return
    for x in sorted(filled):
        for i in range(0, 104, 52):
            print("   ", x[i:i + 52].hex())


def dests(n, proto=TCP, addr="10.0.0.1", port=80, fwmark=0, length=None):
    """GET_DESTS for N entries: the reply's bytes as they are, then its real servers decoded
    (address:port/conn_flags/weight), in the order of the reply. That order is fixed: the
    service's list of real servers, where C adds each new one at the head (list_add_rcu in
    __ip_vs_update_dest), so newest first, and a reply with fewer slots than servers has the
    newest ones."""
    head = struct.pack("=H2x4s2s2xII4x", proto, socket.inet_aton(addr),
                       struct.pack("!H", port), fwmark, n)
    out = getopt(f"DESTS n={n} {addr}:{port} fwm={fwmark}", GET["DESTS"],
                 head + bytes(96 * n), length)
    found = []
    for i in range(n):
        e = out[24 + 96 * i:24 + 96 * (i + 1)]
        if len(e) == 96 and e != bytes(96):
            a, p, flags, weight = struct.unpack_from("=4s2s2xIi", e)
            found.append(f"{socket.inet_ntoa(a)}:{struct.unpack('!H', p)[0]}/{flags:#x}/{weight}")
    if out:
        print("    servers:", " ".join(found) or "none")
    return out


def main():
    getopt("VERSION", GET["VERSION"], bytes(64))
    getopt("VERSION short", GET["VERSION"], bytes(63))
    getopt("INFO", GET["INFO"], bytes(12))
    getopt("INFO long", GET["INFO"], b"\xaa" * 20)
    getopt("INFO short", GET["INFO"], bytes(11))
    getopt("TIMEOUT", GET["TIMEOUT"], bytes(12))
    getopt("DAEMON", GET["DAEMON"], bytes(48))
    getopt("DEST (unused)", GET["DEST"], bytes(200))
    getopt("beyond range", BASE + 8, bytes(64))
    getopt("below range", BASE - 1, bytes(64))
    services(0)

    setopt("ADD rr", SET["ADD"], svc())
    services(1)
    services(2)
    setopt("ADD again", SET["ADD"], svc())
    setopt("ADD short", SET["ADD"], svc()[:43])
    setopt("ADD long", SET["ADD"], svc() + b"\0")
    setopt("ADD icmp", SET["ADD"], svc(proto=1, port=81))
    setopt("ADD unterminated sched", SET["ADD"], svc(port=82, sched=b"r" * 16))
    setopt("ADD unknown sched", SET["ADD"], svc(port=83, sched=b"bogus"))
    setopt("ADD none sched", SET["ADD"], svc(port=84, sched=b"none"))
    setopt("ADD udp persistent", SET["ADD"],
           svc(proto=UDP, port=53, sched=b"wlc", flags=1, timeout=300, netmask="255.255.0.0"))
    setopt("ADD sctp", SET["ADD"], svc(proto=SCTP, port=38412, sched=b"sh", flags=0x18))
    setopt("ADD fwmark udp", SET["ADD"], svc(proto=UDP, addr="0.0.0.0", port=0, fwmark=5))
    setopt("ADD fwmark again tcp", SET["ADD"], svc(addr="0.0.0.0", port=0, fwmark=5))
    setopt("EDIT fwmark tcp", SET["EDIT"], svc(addr="0.0.0.0", port=0, fwmark=5, sched=b"lc"))
    setopt("EDIT fwmark udp", SET["EDIT"],
           svc(proto=UDP, addr="0.0.0.0", port=0, fwmark=5, sched=b"lc"))
    setopt("EDIT missing", SET["EDIT"], svc(port=99))
    setopt("EDIT unknown sched", SET["EDIT"], svc(sched=b"nope"))

    setopt("ADDDEST", SET["ADDDEST"], svc() + dest())
    setopt("ADDDEST again", SET["ADDDEST"], svc() + dest())
    setopt("ADDDEST DR one-packet", SET["ADDDEST"], svc() + dest("10.0.1.3", 80, 0x2003, 4))
    setopt("ADDDEST tunnel thresholds", SET["ADDDEST"],
           svc() + dest("10.0.1.4", 80, 2, 2, 100, 10))
    setopt("ADDDEST weight<0", SET["ADDDEST"], svc() + dest("10.0.1.5", weight=-1))
    setopt("ADDDEST l>u", SET["ADDDEST"], svc() + dest("10.0.1.5", u=5, l=6))
    setopt("ADDDEST u>INT_MAX", SET["ADDDEST"], svc() + dest("10.0.1.5", u=2**31))
    setopt("ADDDEST multicast", SET["ADDDEST"], svc() + dest("224.0.0.1"))
    setopt("ADDDEST broadcast", SET["ADDDEST"], svc() + dest("255.255.255.255"))
    setopt("ADDDEST short", SET["ADDDEST"], (svc() + dest())[:67])
    setopt("ADDDEST no service", SET["ADDDEST"], svc(port=99) + dest())
    setopt("ADDDEST wrong proto", SET["ADDDEST"], svc(proto=UDP) + dest())
    setopt("ADDDEST fwmark", SET["ADDDEST"],
           svc(proto=UDP, addr="0.0.0.0", port=0, fwmark=5) + dest("10.0.2.2", 0))
    setopt("EDITDEST", SET["EDITDEST"], svc() + dest(weight=7, flags=0x10003))
    setopt("EDITDEST missing", SET["EDITDEST"], svc() + dest("10.0.1.99"))
    setopt("EDITDEST weight<0", SET["EDITDEST"], svc() + dest(weight=-2))
    setopt("DELDEST", SET["DELDEST"], svc() + dest("10.0.1.4", 80))
    setopt("DELDEST again", SET["DELDEST"], svc() + dest("10.0.1.4", 80))

    getopt("INFO", GET["INFO"], bytes(12))
    services(0)
    services(1, partial=True)
    services(2, partial=True)
    services(8)
    services(2, length=8 + 104 * 2 + 1)
    services(2, length=8 + 104)
    pad = b"\xaa" * 104
    entry = bytearray(pad)
    entry[0:16] = svc()[0:16]
    getopt("SERVICE tcp (input has garbage)", GET["SERVICE"], bytes(entry))
    entry[12:16] = struct.pack("=I", 5)
    getopt("SERVICE fwmark 5", GET["SERVICE"], bytes(entry))
    getopt("SERVICE missing", GET["SERVICE"], svc(port=99) + bytes(60))
    getopt("SERVICE short", GET["SERVICE"], svc() + bytes(59))
    dests(0)
    dests(1)
    dests(3)
    dests(9)
    dests(2, length=24 + 96)
    dests(1, port=99)
    dests(4, addr="0.0.0.0", port=0, fwmark=5)

    setopt("TIMEOUT", SET["TIMEOUT"], struct.pack("=iii", 10, 0, 30))
    setopt("TIMEOUT negative", SET["TIMEOUT"], struct.pack("=iii", -1, 0, 0))
    # Timeouts are kept in jiffies: at most INT_MAX / HZ seconds, 21474836 with the test
    # kernel's HZ=100, so the first of these is accepted, the second refused.
    setopt("TIMEOUT too big", SET["TIMEOUT"], struct.pack("=iii", 0, 2**31 // 100, 0))
    setopt("TIMEOUT INT_MAX/HZ + 1", SET["TIMEOUT"], struct.pack("=iii", 0, 2**31 // 100 + 1, 0))
    setopt("TIMEOUT short", SET["TIMEOUT"], struct.pack("=ii", 1, 2))
    getopt("TIMEOUT", GET["TIMEOUT"], bytes(12))
    setopt("TIMEOUT defaults", SET["TIMEOUT"], struct.pack("=iii", 900, 120, 300))

    setopt("STARTDAEMON master", SET["STARTDAEMON"], daemon(1, b"lo", 3))
    setopt("STARTDAEMON master again", SET["STARTDAEMON"], daemon(1, b"lo", 4))
    setopt("STARTDAEMON empty ifname", SET["STARTDAEMON"], daemon(2, b"", 4))
    setopt("STARTDAEMON unterminated", SET["STARTDAEMON"], daemon(2, b"x" * 16, 4))
    setopt("STARTDAEMON no device", SET["STARTDAEMON"], daemon(2, b"nosuchdev0", 4))
    setopt("STARTDAEMON state 3", SET["STARTDAEMON"], daemon(3, b"lo", 4))
    setopt("STARTDAEMON backup", SET["STARTDAEMON"], daemon(2, b"lo", 258))
    # C's stop_sync_thread returns what kthread_stop returns: EINTR when a daemon's thread
    # has not run yet (it is stopped all the same). Give the threads time to start.
    time.sleep(1)
    getopt("DAEMON", GET["DAEMON"], b"\xaa" * 48)
    getopt("DAEMON short", GET["DAEMON"], bytes(47))
    setopt("STOPDAEMON master", SET["STOPDAEMON"], daemon(1, b"", 0))
    setopt("STOPDAEMON master again", SET["STOPDAEMON"], daemon(1, b"", 0))
    setopt("STOPDAEMON state 0", SET["STOPDAEMON"], daemon(0, b"", 0))
    getopt("DAEMON", GET["DAEMON"], bytes(48))
    setopt("STOPDAEMON backup", SET["STOPDAEMON"], daemon(2, b"", 0))
    setopt("STOPDAEMON short", SET["STOPDAEMON"], daemon(2, b"", 0)[:20])

    setopt("ZERO all", SET["ZERO"], svc(proto=0, addr="0.0.0.0", port=0, sched=b""))
    setopt("ZERO one", SET["ZERO"], svc())
    setopt("ZERO missing", SET["ZERO"], svc(port=99))
    setopt("ZERO bad proto", SET["ZERO"], svc(proto=0))
    for name in ("NONE", "INSERT", "LIST", "RESTORE", "SAVE"):
        setopt(name, SET[name], b"")
    setopt("NONE with data", SET["NONE"], bytes(4))
    setopt("FLUSH with data", SET["FLUSH"], bytes(4))
    setopt("beyond range", BASE + 16, bytes(44))
    setopt("DEL", SET["DEL"], svc())
    setopt("DEL again", SET["DEL"], svc())
    setopt("DEL fwmark wrong proto", SET["DEL"], svc(addr="0.0.0.0", port=0, fwmark=5))
    getopt("INFO", GET["INFO"], bytes(12))
    services(2, partial=True)
    services(3, partial=True)
    services(4)
    setopt("FLUSH", SET["FLUSH"], b"")
    getopt("INFO", GET["INFO"], bytes(12))


def raw_getopt(opt, data):
    """getsockopt with DATA as input and its length: the reply, or None on an error."""
    buf = ctypes.create_string_buffer(bytes(data), max(len(data), 1))
    ln = ctypes.c_int(len(data))
    if libc.getsockopt(sock.fileno(), socket.IPPROTO_IP, opt, buf, ctypes.byref(ln)):
        print(f"error {err_name(ctypes.get_errno())}")
        return None
    return buf.raw[:ln.value]


def counters(stats):
    """struct ip_vs_stats_user's counters (its rates, which follow the estimator's timing,
    are left out)."""
    conns, inpkts, outpkts, inbytes, outbytes = struct.unpack_from("=III4xQQ", stats)
    return f"conns {conns} inpkts {inpkts} outpkts {outpkts} inbytes {inbytes} outbytes {outbytes}"


def stats():
    """Every IPv4 service and real server with its counters, as the socket options give them
    to an old ipvsadm: services sorted (C's GET_SERVICES order follows a hash with a random
    key), each one's real servers in the reply's order (newest first, fixed)."""
    info = raw_getopt(GET["INFO"], bytes(12))
    if info is None:
        return
    n = struct.unpack_from("=I", info, 8)[0]
    reply = raw_getopt(GET["SERVICES"], struct.pack("=I4x", n) + bytes(104 * n))
    if reply is None:
        return
    names = {TCP: "TCP", UDP: "UDP", SCTP: "SCTP"}
    for e in sorted(reply[8 + 104 * i:8 + 104 * (i + 1)] for i in range(n)):
        proto, addr, port, fwmark, num = struct.unpack_from("=H2x4s2s2xI28xI", e)
        where = (f"FWM {fwmark}" if fwmark else
                 f"{names.get(proto, proto)} {socket.inet_ntoa(addr)}:{struct.unpack('!H', port)[0]}")
        print(f"{where}: {counters(e[48:])}")
        head = struct.pack("=H2x4s2s2xII4x", proto, addr, port, fwmark, num)
        got = raw_getopt(GET["DESTS"], head + bytes(96 * num))
        for i in range(num if got else 0):
            d = got[24 + 96 * i:24 + 96 * (i + 1)]
            a, p = struct.unpack_from("=4s2s", d)
            print(f"  -> {socket.inet_ntoa(a)}:{struct.unpack('!H', p)[0]}: {counters(d[40:])}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--stats":
        stats()
    elif len(sys.argv) > 1 and sys.argv[1] == "--probe":
        # One read and one write, for permission checks.
        getopt("INFO", GET["INFO"], bytes(12))
        setopt("FLUSH", SET["FLUSH"], b"")
    else:
        main()
