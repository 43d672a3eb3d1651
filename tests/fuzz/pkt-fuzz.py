#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Packet fuzzer for the IPVS data path (standard library only; issue 14).

    pkt-fuzz.py [--seed S] [--count N] [--every K] [--final F] [--only KIND[,KIND..]]
                [--trace] [--iface IF] [--dmac MAC] [--smac MAC] [--help-kinds]

Sends N malformed or unusual frames, chosen and built from random.Random(S), on an AF_PACKET
socket of IF (default cli0, the client of a nat_topology) to the director's MAC: truncated and
malformed IPv4/IPv6 headers, IPv4 options, IPv6 extension-header chains, fragments (in and out
of order, tiny, overlapping, duplicated, incomplete), TCP with bad data offsets, options and
flag combinations, UDP with bad lengths and checksums, SCTP with garbage chunks, ICMP/ICMPv6
errors quoting garbage, connections the fuzzer made, live connections of the real traffic, and
ICMP errors, ICMP in ICMP, ICMP errors about the director's IP-IP/GUE/GRE packets, encapsulated
packets sent to the director, and spoofed "replies" of real servers.

Every K frames (default 100) a real round runs through the services: the TCP connection held
since the last round must still echo a line, a new TCP connection is opened (and held: the
"live" kinds quote it) and a UDP request is answered, over IPv4 and IPv6 (K = 0: no rounds).
Last, F (default 4) TCP connections and UDP requests per family from the fixed local ports
9000, 9001, ..., whose connections the scenario looks for in the table. At the end it prints
the frames sent per kind (the same for a seed, whatever the module does with them) and the real
requests answered and failed.

The topology it expects (tests/scenarios/pkt-fuzz.sh):
  - virtual address 10.0.0.1 / 2001:db8::1 (the director, dir0), the client 10.0.0.2 /
    2001:db8::2 (cli0); NAT services TCP, UDP and SCTP on port 8080 of both, with real servers
    172.16.1.2, 172.16.2.2 / fd00:1::2, fd00:2::2 port 8080; IPv4 services on port 8081 (IP-IP
    to 172.16.1.2), 8082 (GUE port 6080 to 172.16.2.2), 8083 (GRE to 172.16.2.2) and 8084 (DR
    to 172.16.1.2). The director reaches real server i from 172.16.i.1.
  - Fuzzed packets come from addresses no host has: 10.1.0.0/16 and 2001:db8:1::/64, which the
    director routes to the client (which does not forward: they end there), and which the real
    servers drop silently (a blackhole route), as they drop the director's tunnel packets. So
    nothing answers a fuzzed packet, and what IPVS counts does not depend on timing. Every
    packet that may create a connection uses a source address and port of its own, never used
    again; packets that follow one on the same connection are sent right after it (SCTP's
    INIT1 state expires after 4 s).

--only KIND,...: only those kinds (to narrow down a difference); --trace: print each frame
(kind and hex) as it is sent. Kinds are listed with --help-kinds.
"""
import array
import os
import random
import socket
import struct
import sys
from collections import Counter

VIP4, VIP6 = "10.0.0.1", "2001:db8::1"
CLI4, CLI6 = "10.0.0.2", "2001:db8::2"
RS4 = ["172.16.1.2", "172.16.2.2"]
RS6 = ["fd00:1::2", "fd00:2::2"]
DIR_TO_RS4 = ["172.16.1.1", "172.16.2.1"]
PORT = 8080            # NAT services: TCP, UDP and SCTP, IPv4 and IPv6
IPIP, GUE, GRE, DR = 8081, 8082, 8083, 8084
GUE_PORT = 6080
TCP, UDP, SCTP, ICMP, ICMP6 = 6, 17, 132, 1, 58


def a4(s):
    return socket.inet_aton(s)


def a6(s):
    return socket.inet_pton(socket.AF_INET6, s)


PREFIX6 = a6("2001:db8:1::")[:12]


def csum(b):
    """The Internet checksum of b, as the two bytes to put in a header."""
    if len(b) & 1:
        b += b"\0"
    s = sum(array.array("H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("=H", ~s & 0xFFFF)


CRC32C = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ (0x82F63B78 & -(_c & 1))
    CRC32C.append(_c)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def ip4(src, dst, proto, payload, ident=0, frag=0, ttl=64, tos=0, opts=b"", tot=None,
        ihl=None, good=True, version=4):
    """An IPv4 header and payload; src and dst as 4 bytes. tot/ihl override the fields."""
    hl = 20 + len(opts)
    if ihl is None:
        ihl = hl // 4
    if tot is None:
        tot = hl + len(payload)
    h = struct.pack("!BBHHHBB2s4s4s", (version << 4) | (ihl & 0xF), tos, tot & 0xFFFF,
                    ident & 0xFFFF, frag & 0xFFFF, ttl, proto, b"\0\0", src, dst) + opts
    c = csum(h)
    if not good:
        c = bytes([c[0] ^ 0x5A, c[1]])
    return h[:10] + c + h[12:] + payload


def ip6(src, dst, nh, payload, plen=None, hlim=64, version=6, flow=0):
    if plen is None:
        plen = len(payload)
    return struct.pack("!IHBB16s16s", (version << 28) | flow, plen & 0xFFFF, nh, hlim,
                       src, dst) + payload


def pseudo(src, dst, proto, length):
    if len(src) == 4:
        return src + dst + struct.pack("!xBH", proto, length & 0xFFFF)
    return src + dst + struct.pack("!I3xB", length, proto)


def tcp(src, dst, sport, dport, flags, seq=1, ack=0, doff=None, win=1024, opts=b"",
        data=b"", good=True):
    hl = 20 + len(opts)
    if doff is None:
        doff = hl // 4
    h = struct.pack("!HHIIBBH2sH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                    (doff & 0xF) << 4, flags & 0xFF, win, b"\0\0", 0) + opts + data
    c = csum(pseudo(src, dst, TCP, len(h)) + h)
    if not good:
        c = bytes([c[0] ^ 0xA5, c[1]])
    return h[:16] + c + h[18:]


def udp(src, dst, sport, dport, data, length=None, check="good"):
    if length is None:
        length = 8 + len(data)
    h = struct.pack("!HHH2s", sport, dport, length & 0xFFFF, b"\0\0") + data
    if check == "zero":
        return h
    c = csum(pseudo(src, dst, UDP, len(h)) + h)
    if check == "bad":
        c = bytes([c[0] ^ 0x33, c[1] ^ 0x01])
    return h[:6] + c + h[8:]


def chunk(ctype, value=b"", flags=0, length=None, pad=True):
    if length is None:
        length = 4 + len(value)
    c = struct.pack("!BBH", ctype, flags, length & 0xFFFF) + value
    if pad:
        c += b"\0" * (-len(c) % 4)
    return c


def sctp(sport, dport, chunks, vtag=0, good=True):
    h = struct.pack("!HHII", sport, dport, vtag, 0) + chunks
    crc = crc32c(h)
    if not good:
        crc ^= 0x1000
    return h[:8] + struct.pack("<I", crc) + h[12:]


INIT_VALUE = struct.pack("!IIHHI", 0x01020304, 65536, 1, 1, 1)


def icmp4(itype, code, rest, quoted, good=True):
    h = struct.pack("!BB2s", itype, code, b"\0\0") + rest + quoted
    c = csum(h)
    if not good:
        c = bytes([c[0] ^ 0x11, c[1]])
    return h[:2] + c + h[4:]


def icmp6(src, dst, itype, code, rest, quoted, good=True):
    h = struct.pack("!BB2s", itype, code, b"\0\0") + rest + quoted
    c = csum(pseudo(src, dst, ICMP6, len(h)) + h)
    if not good:
        c = bytes([c[0] ^ 0x11, c[1]])
    return h[:2] + c + h[4:]


class Fuzzer:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.seed = args.seed
        self.count = args.count
        self.every = args.every
        self.final = args.final
        self.trace = args.trace
        self.sent = 0
        self.kinds = Counter()
        self.errors = Counter()
        self.answers = Counter()
        self.tuples = 0
        self.frag_id = 0
        self.udp_port = 0
        self.held = {}          # family -> (socket, local port)
        self.last_udp = {}      # family -> local port of the last real UDP request
        self.eth4 = args.dmac + args.smac + b"\x08\x00"
        self.eth6 = args.dmac + args.smac + b"\x86\xdd"
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.bind((args.iface, 0))
        self.vip4, self.vip6 = a4(VIP4), a6(VIP6)
        self.cli4, self.cli6 = a4(CLI4), a6(CLI6)
        self.rs4 = [a4(x) for x in RS4]
        self.rs6 = [a6(x) for x in RS6]
        self.dir4 = [a4(x) for x in DIR_TO_RS4]
        self.table = [(name, w) for name, w in KINDS if not args.only or name in args.only]
        if not self.table:
            sys.exit(f"no such kind: {','.join(args.only)}")
        self.names = [n for n, _ in self.table]
        self.weights = [w for _, w in self.table]

    # Sources no host has: each call a source address and port never used before.
    def fresh4(self):
        t = self.tuples
        self.tuples += 1
        return bytes((10, 1, (t >> 8) & 255, t & 255)), 1024 + (t >> 16) % 64000

    def fresh6(self):
        t = self.tuples
        self.tuples += 1
        return PREFIX6 + struct.pack("!I", t), 1024 + (t >> 16) % 64000

    def next_id(self):
        self.frag_id = (self.frag_id + 1) & 0xFFFF
        return self.frag_id

    def send(self, kind, frame):
        self.kinds[kind] += 1
        self.sent += 1
        if self.trace:
            print(f"{self.sent} {kind} {frame.hex()}", flush=True)
        try:
            self.sock.send(frame)
        except OSError as e:
            self.errors[f"{kind}: {e.strerror}"] += 1

    # ---- real traffic -------------------------------------------------------------------
    def answered(self, what, ok):
        self.answers[(what, ok)] += 1

    def real_round(self):
        for fam, vip, tag in ((socket.AF_INET, VIP4, "4"), (socket.AF_INET6, VIP6, "6")):
            held = self.held.pop(fam, None)
            if held:
                s, _ = held
                try:
                    s.sendall(b"still there\n")
                    line = s.makefile("rb").readline()
                    self.answered(f"tcp{tag} held", line == b"still there\n")
                except OSError:
                    self.answered(f"tcp{tag} held", False)
                s.close()
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(5)
            try:
                s.connect((vip, PORT))
                line = s.makefile("rb").readline()
                ok = line.startswith(b"rs")
                self.answered(f"tcp{tag}", ok)
                if ok:
                    self.held[fam] = (s, s.getsockname()[1])
                else:
                    s.close()
            except OSError:
                self.answered(f"tcp{tag}", False)
                s.close()
            # UDP from ports of its own, in turn: an ephemeral port could meet the connection
            # of an earlier request still in the table, which would then not count as new.
            port = 10000 + self.udp_port % 22000
            self.udp_port += 1
            with socket.socket(fam, socket.SOCK_DGRAM) as u:
                u.settimeout(5)
                try:
                    u.bind(("0.0.0.0" if tag == "4" else "::", port))
                    u.sendto(b"hello", (vip, PORT))
                    ok = u.recv(2048).startswith(b"rs")
                except OSError:
                    ok = False
                self.answered(f"udp{tag}", ok)
                if ok:
                    self.last_udp[fam] = port

    def close_held(self):
        for fam in list(self.held):
            tag = "4" if fam == socket.AF_INET else "6"
            s, _ = self.held.pop(fam)
            try:
                s.sendall(b"bye\n")
                self.answered(f"tcp{tag} held", s.makefile("rb").readline() == b"bye\n")
            except OSError:
                self.answered(f"tcp{tag} held", False)
            s.close()

    # ---- the loop -----------------------------------------------------------------------
    def run(self):
        next_round = 0
        while self.sent < self.count:
            if self.every and self.sent >= next_round:
                self.real_round()
                next_round += self.every
            kind = self.rng.choices(self.names, self.weights)[0]
            frames = getattr(self, "k_" + kind.replace("-", "_"))()
            for f in frames[:self.count - self.sent]:
                self.send(kind, f)
        if self.every:
            self.real_round()
        self.close_held()
        self.final_round()

    def final_round(self):
        """F TCP connections (a line echoed, then closed) and UDP requests per family from the
        fixed ports 9000, 9001, ...: the scenario finds their connections in the table by those
        ports (those of earlier rounds may have expired, as timing has it)."""
        for fam, vip, tag, any_addr in ((socket.AF_INET, VIP4, "4", "0.0.0.0"),
                                        (socket.AF_INET6, VIP6, "6", "::")):
            for i in range(self.final):
                with socket.socket(fam, socket.SOCK_STREAM) as s:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.settimeout(5)
                    try:
                        s.bind((any_addr, 9000 + i))
                        s.connect((vip, PORT))
                        f = s.makefile("rb")
                        ok = f.readline().startswith(b"rs")
                        s.sendall(b"last\n")
                        ok = ok and f.readline() == b"last\n"
                    except OSError:
                        ok = False
                    self.answered(f"final tcp{tag}", ok)
                with socket.socket(fam, socket.SOCK_DGRAM) as u:
                    u.settimeout(5)
                    try:
                        u.bind((any_addr, 9000 + i))
                        u.sendto(b"hello", (vip, PORT))
                        ok = u.recv(2048).startswith(b"rs")
                    except OSError:
                        ok = False
                    self.answered(f"final udp{tag}", ok)

    def report(self):
        good = sum(n for (_, ok), n in self.answers.items() if ok)
        bad = sum(n for (_, ok), n in self.answers.items() if not ok)
        # One summary line first (`make soak` shows it).
        print(f"packets: {self.sent} sent (seed {self.seed}); real requests: {good} answered, "
              f"{bad} failed")
        for kind in self.names:
            print(f"  {self.kinds[kind]:8d} {kind}")
        for e, n in sorted(self.errors.items()):
            print(f"send error: {n} x {e}")
        for what in sorted({w for w, _ in self.answers}):
            print(f"  {what}: {self.answers[(what, True)]} answered, "
                  f"{self.answers[(what, False)]} failed")

    # ---- helpers for the kinds ----------------------------------------------------------
    def f4(self, pkt):
        return self.eth4 + pkt

    def f6(self, pkt):
        return self.eth6 + pkt

    def service_port(self):
        r = self.rng.random()
        if r < 0.8:
            return PORT
        if r < 0.9:
            return self.rng.choice((IPIP, GUE, GRE, DR))
        return self.rng.randrange(65536)

    def opener(self, proto, src, dst, sport, dport, v6=False):
        """A valid packet that opens a connection of proto (TCP SYN, UDP, SCTP INIT)."""
        if proto == TCP:
            return tcp(src, dst, sport, dport, 0x02, seq=self.rng.getrandbits(32))
        if proto == UDP:
            return udp(src, dst, sport, dport, b"fuzz")
        return sctp(sport, dport, chunk(1, INIT_VALUE))

    def garbage(self, n):
        return self.rng.randbytes(n)

    # ---- IPv4 headers -------------------------------------------------------------------
    def k_ip4_trunc(self):
        """IPv4 headers cut short (0 to 19 bytes)."""
        src, sport = self.fresh4()
        pkt = ip4(src, self.vip4, TCP, tcp(src, self.vip4, sport, PORT, 0x02))
        return [self.f4(pkt[:self.rng.randrange(20)])]

    def k_ip4_header(self):
        """Bad version, IHL, total length, checksum, TTL; packets with trailing bytes."""
        src, sport = self.fresh4()
        proto = self.rng.choice((TCP, UDP, SCTP))
        payload = self.opener(proto, src, self.vip4, sport, self.service_port())
        r = self.rng.randrange(9)
        if r == 0:
            pkt = ip4(src, self.vip4, proto, payload, version=self.rng.choice((0, 5, 6, 15)))
        elif r == 1:
            pkt = ip4(src, self.vip4, proto, payload, ihl=self.rng.randrange(5))
        elif r == 2:
            pkt = ip4(src, self.vip4, proto, payload, ihl=self.rng.randrange(6, 16))
        elif r == 3:     # longer than the frame
            pkt = ip4(src, self.vip4, proto, payload, tot=20 + len(payload) + self.rng.randrange(1, 400))
        elif r == 4:     # shorter than the header, or cutting the transport header
            pkt = ip4(src, self.vip4, proto, payload, tot=self.rng.randrange(0, 20 + 8))
        elif r == 5:     # trailing bytes after the datagram (trimmed by the stack)
            pkt = ip4(src, self.vip4, proto, payload) + self.garbage(self.rng.randrange(1, 64))
        elif r == 6:
            pkt = ip4(src, self.vip4, proto, payload, good=False)
        elif r == 7:
            pkt = ip4(src, self.vip4, proto, payload, ttl=self.rng.choice((0, 1)))
        else:            # reserved (evil) bit, ECN and TOS bits
            pkt = ip4(src, self.vip4, proto, payload, frag=0x8000 | self.rng.choice((0, 0x4000)),
                      tos=self.rng.randrange(256))
        return [self.f4(pkt)]

    def k_ip4_options(self):
        """IPv4 options, valid and not: NOP, EOL, record route, timestamps, router alert,
        source routes, unknown options, bad option lengths and pointers."""
        src, sport = self.fresh4()
        proto = self.rng.choice((TCP, UDP, SCTP))
        payload = self.opener(proto, src, self.vip4, sport, self.service_port())
        opts = b""
        for _ in range(self.rng.randrange(1, 4)):
            r = self.rng.randrange(10)
            if r == 0:
                opts += b"\x01" * self.rng.randrange(1, 5)
            elif r == 1:
                opts += b"\x00"
            elif r == 2:      # record route, room for n addresses
                n = self.rng.randrange(1, 5)
                opts += bytes((7, 3 + 4 * n, self.rng.choice((4, 4, 8, 1, 3 + 4 * n + 1)))) + bytes(4 * n)
            elif r == 3:      # timestamp
                n = self.rng.randrange(1, 4)
                opts += bytes((68, 4 + 4 * n, self.rng.choice((5, 5, 9, 2)),
                               self.rng.choice((0, 1, 3, 2)))) + bytes(4 * n)
            elif r == 4:      # router alert
                opts += b"\x94\x04\x00\x00"
            elif r == 5:      # loose/strict source route
                opts += bytes((self.rng.choice((131, 137)), 7, 4)) + a4("10.0.0.9")
            elif r == 6:      # length 0 or 1, or past the header
                opts += bytes((self.rng.choice((7, 68, 130, 99)), self.rng.choice((0, 1, 2, 40))))
            elif r == 7:      # unknown option
                opts += bytes((self.rng.randrange(2, 256), 4)) + self.garbage(2)
            elif r == 8:      # security / commercial security
                opts += bytes((130, 11)) + bytes(9)
            else:
                opts += self.garbage(self.rng.randrange(1, 12))
        opts += b"\0" * (-len(opts) % 4)
        opts = opts[:40]
        return [self.f4(ip4(src, self.vip4, proto, payload, opts=opts))]

    def k_ip4_frag(self):
        """Fragments of a connection's first packet: in order, out of order, tiny first
        fragments, duplicates, overlaps (the rest of the set is not sent, so no queue is left
        waiting), incomplete sets, bad sizes."""
        src, sport = self.fresh4()
        proto = self.rng.choice((TCP, UDP, SCTP))
        dport = self.service_port()
        payload = self.opener(proto, src, self.vip4, sport, dport) + self.garbage(
            self.rng.randrange(0, 200))
        ident = self.next_id() | (self.rng.getrandbits(1) << 16)   # only 16 bits go out
        r = self.rng.randrange(8)
        size = self.rng.choice((8, 8, 16, 24, 64))
        pieces = [(o, payload[o:o + size]) for o in range(0, len(payload), size)]

        def frag(off, data, more):
            return self.f4(ip4(src, self.vip4, proto, data, ident=ident,
                               frag=(0x2000 if more else 0) | (off // 8)))

        last = len(pieces) - 1
        frames = [frag(o, d, i < last) for i, (o, d) in enumerate(pieces)]
        if r == 0:
            return frames
        if r == 1:
            return frames[::-1]
        if r == 2:
            self.rng.shuffle(frames)
            return frames
        if r == 3:       # duplicates
            return frames + [frames[self.rng.randrange(len(frames))]]
        if r == 4:       # overlap: a second fragment over the first, nothing after
            o2 = self.rng.choice((0, 8))
            return [frag(0, payload[:24], True), frag(o2, payload[o2:o2 + 32], True)]
        if r == 5:       # incomplete: a gap (the queue expires)
            if len(frames) < 2:
                return [frag(0, payload[:8], True)]
            return frames[1:] if self.rng.random() < 0.5 else frames[:-1]
        if r == 6:       # a non-last fragment whose length is not a multiple of 8
            return [frag(0, payload[:13], True)]
        # past 65535 bytes
        return [frag(65528, payload[:16], False)]

    def k_ip4_proto(self):
        """Other protocols, and random bytes after a valid header."""
        src, _ = self.fresh4()
        proto = self.rng.choice((0, 2, 4, 41, 47, 50, 51, 103, 115, 136, 253, 255,
                                 TCP, UDP, SCTP, ICMP))
        return [self.f4(ip4(src, self.vip4, proto, self.garbage(self.rng.randrange(0, 80))))]

    # ---- TCP ----------------------------------------------------------------------------
    FLAGS = (0x02, 0x03, 0x06, 0x12, 0x2A, 0x01, 0x04, 0x00, 0xFF, 0x29, 0x10, 0x11, 0x14,
             0x18, 0xC2, 0x42, 0x82)

    def tcp_segment(self, src, dst, sport, dport, flags):
        r = self.rng.randrange(6)
        seq = self.rng.getrandbits(32)
        if r == 0:      # data offset below 5
            return tcp(src, dst, sport, dport, flags, seq, doff=self.rng.randrange(5))
        if r == 1:      # data offset past the segment
            return tcp(src, dst, sport, dport, flags, seq, doff=self.rng.randrange(6, 16))
        if r == 2:      # options: garbage, bad lengths (0, 1, past the end)
            opts = self.rng.choice((
                b"\x02\x00\x05\xb4", b"\x02\x01\x05\xb4", b"\x03\x03\xff\x01", b"\x08\x01\x00\x00",
                b"\x05\x02\x00\x00", b"\x02\x28\x05\xb4", b"\x1e\x00\x00\x00", b"\x04\x02\x01\x00",
                self.garbage(4), self.garbage(8), self.garbage(40)))
            opts += b"\0" * (-len(opts) % 4)
            return tcp(src, dst, sport, dport, flags, seq, opts=opts[:40])
        if r == 3:
            return tcp(src, dst, sport, dport, flags, seq, good=False)
        if r == 4:      # cut short: 0 to 19 bytes
            return tcp(src, dst, sport, dport, flags, seq)[:self.rng.randrange(20)]
        return tcp(src, dst, sport, dport, flags, seq, self.rng.getrandbits(32),
                   win=self.rng.choice((0, 1, 65535)), data=self.garbage(self.rng.randrange(0, 40)))

    def k_tcp4(self):
        """TCP to the services: flag combinations (a connection's first segment and those
        after it), bad data offsets and options, bad checksums, short headers."""
        src, sport = self.fresh4()
        dport = self.service_port()
        frames = []
        for _ in range(self.rng.randrange(1, 4)):
            seg = self.tcp_segment(src, self.vip4, sport, dport, self.rng.choice(self.FLAGS))
            frames.append(self.f4(ip4(src, self.vip4, TCP, seg)))
        return frames

    def k_tcp6(self):
        src, sport = self.fresh6()
        frames = []
        for _ in range(self.rng.randrange(1, 4)):
            seg = self.tcp_segment(src, self.vip6, sport, PORT, self.rng.choice(self.FLAGS))
            frames.append(self.f6(ip6(src, self.vip6, TCP, seg)))
        return frames

    # ---- UDP ----------------------------------------------------------------------------
    def udp_datagram(self, src, dst, sport, dport, v6):
        data = self.garbage(self.rng.randrange(0, 40))
        r = self.rng.randrange(7)
        if r == 0:
            return udp(src, dst, sport, dport, data, length=self.rng.randrange(8))
        if r == 1:
            return udp(src, dst, sport, dport, data, length=8 + len(data) + self.rng.randrange(1, 300))
        if r == 2:
            return udp(src, dst, sport, dport, data, length=8 + len(data) // 2)
        if r == 3:
            return udp(src, dst, sport, dport, data, check="bad")
        if r == 4:      # no checksum: valid over IPv4, not over IPv6
            return udp(src, dst, sport, dport, data, check="zero")
        if r == 5:
            return udp(src, dst, sport, dport, data)[:self.rng.randrange(8)]
        return udp(src, dst, sport, dport, data)

    def k_udp4(self):
        """UDP to the services: bad length fields, checksums, short headers."""
        src, sport = self.fresh4()
        dport = self.service_port()
        return [self.f4(ip4(src, self.vip4, UDP, self.udp_datagram(src, self.vip4, sport, dport, False)))
                for _ in range(self.rng.randrange(1, 3))]

    def k_udp6(self):
        src, sport = self.fresh6()
        return [self.f6(ip6(src, self.vip6, UDP, self.udp_datagram(src, self.vip6, sport, PORT, True)))
                for _ in range(self.rng.randrange(1, 3))]

    # ---- SCTP ---------------------------------------------------------------------------
    def sctp_chunks(self):
        r = self.rng.randrange(12)
        if r == 0:
            return chunk(1, INIT_VALUE)
        if r == 1:      # INIT bundled with more (not allowed)
            return chunk(1, INIT_VALUE) + chunk(0, self.garbage(16))
        if r == 2:      # chunk length 0, 1, 3 or past the packet
            return struct.pack("!BBH", self.rng.choice((1, 10, 0, 6)), 0,
                               self.rng.choice((0, 1, 3, 2000))) + self.garbage(8)
        if r == 3:      # COOKIE ECHO, then ABORT at the right place or not
            clen = self.rng.choice((4, 8, 9, 3, 0))
            return (struct.pack("!BBH", 10, 0, clen) + bytes(max(0, clen - 4) + (-clen % 4))
                    + chunk(self.rng.choice((6, 6, 0, 7)), b""))
        if r == 4:      # unknown chunk types, with the "skip" bits set or not
            return chunk(self.rng.choice((0x3F, 0x7F, 0xBF, 0xFF, 0x40, 0xC1, 15, 16)), self.garbage(6))
        if r == 5:      # a chunk header cut short
            return bytes((1, 0))
        if r == 6:
            return b""
        if r == 7:      # known chunks of an association that does not exist
            return chunk(self.rng.choice((0, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14)), self.garbage(8))
        if r == 8:      # ABORT first
            return chunk(6) + chunk(1, INIT_VALUE)
        if r == 9:      # many chunks
            return b"".join(chunk(self.rng.randrange(256), self.garbage(self.rng.randrange(0, 8)))
                            for _ in range(self.rng.randrange(2, 20)))
        if r == 10:     # INIT with its length cut
            return chunk(1, INIT_VALUE, length=self.rng.choice((4, 8, 19)))
        return self.garbage(self.rng.randrange(1, 60))

    def sctp_packet(self, sport, dport):
        pkt = sctp(sport, dport, self.sctp_chunks(), vtag=self.rng.choice((0, 0, 1, 0xFFFFFFFF)),
                   good=self.rng.random() < 0.8)
        if self.rng.random() < 0.1:
            pkt = pkt[:self.rng.randrange(16)]      # common header or first chunk cut
        return pkt

    def k_sctp4(self):
        """SCTP to the services: INIT, garbage chunks, bad lengths, bad CRCs, a few packets
        per association."""
        src, sport = self.fresh4()
        return [self.f4(ip4(src, self.vip4, SCTP, self.sctp_packet(sport, self.rng.choice((PORT, PORT, 9))) ))
                for _ in range(self.rng.randrange(1, 4))]

    def k_sctp6(self):
        src, sport = self.fresh6()
        return [self.f6(ip6(src, self.vip6, SCTP, self.sctp_packet(sport, PORT)))
                for _ in range(self.rng.randrange(1, 4))]

    # ---- ICMP ---------------------------------------------------------------------------
    def quoted4(self, src, dst, proto, sport, dport, cut=None):
        """An IPv4 packet as an ICMP error quotes it (cut to cut bytes of transport)."""
        if proto == TCP:
            l4 = tcp(src, dst, sport, dport, 0x10, self.rng.getrandbits(32))
        elif proto == UDP:
            l4 = udp(src, dst, sport, dport, b"x" * 5)
        elif proto == SCTP:
            l4 = sctp(sport, dport, chunk(0, bytes(16)), vtag=1)
        else:
            l4 = self.garbage(8)
        if cut is not None:
            l4 = l4[:cut]
        return ip4(src, dst, proto, l4, tot=20 + 8 + 5)

    ERR4 = ((3, 0), (3, 1), (3, 2), (3, 3), (3, 4), (3, 13), (4, 0), (11, 0), (11, 1), (12, 0))

    def k_icmp4_garbage(self):
        """ICMP errors to the virtual address quoting garbage: cut and bad quoted headers,
        quoted fragments, ports no connection has, bad checksums; informational messages; ICMP
        headers cut short."""
        src, sport = self.fresh4()
        itype, code = self.rng.choice(self.ERR4)
        rest = struct.pack("!HH", 0, self.rng.choice((0, 68, 576, 1280, 1400, 65535)))
        r = self.rng.randrange(10)
        proto = self.rng.choice((TCP, UDP, SCTP))
        q = self.quoted4(self.vip4, src, proto, self.rng.choice((PORT, 9, DR)), sport)
        if r == 0:
            q = q[:self.rng.randrange(20)]
        elif r == 1:    # bad version or IHL in the quoted header
            q = bytes((self.rng.choice((0x65, 0x41, 0x44, 0x4F, 0x00)),)) + q[1:]
        elif r == 2:    # the quoted transport header cut
            q = q[:20 + self.rng.randrange(8)]
        elif r == 3:    # a non-first fragment quoted
            q = q[:6] + struct.pack("!H", 0x2000 | self.rng.randrange(1, 100)) + q[8:]
        elif r == 4:    # quoted with options
            q = ip4(self.vip4, src, proto, q[20:], opts=b"\x01\x01\x01\x00", tot=33)
        elif r == 5:    # wrong direction: the client's own request
            q = self.quoted4(src, self.vip4, proto, sport, PORT)
        elif r == 6:    # informational ICMP instead of an error
            itype, code = self.rng.choice(((8, 0), (0, 0), (13, 0), (17, 0), (9, 0), (10, 0)))
            q = self.garbage(self.rng.randrange(0, 40))
        elif r == 7:    # ICMP header cut short
            return [self.f4(ip4(src, self.vip4, ICMP, bytes((itype, code)) + self.garbage(
                self.rng.randrange(0, 6))))]
        elif r == 8:    # quoting an unknown protocol
            q = ip4(self.vip4, src, self.rng.choice((0, 4, 41, 47, 103, 255)), self.garbage(8))
        good = self.rng.random() < 0.8
        return [self.f4(ip4(src, self.vip4, ICMP, icmp4(itype, code, rest, q, good)))]

    def k_icmp4_conn(self):
        """A connection opened by the fuzzer (TCP SYN, UDP, SCTP INIT), then ICMP errors about
        its (never sent) reply: good and bad checksums, cut quotes; and a real server's spoofed
        reply (sent from each real server address, so one of them is the connection's)."""
        src, sport = self.fresh4()
        proto = self.rng.choice((TCP, UDP, SCTP))
        dport = self.rng.choice((PORT, PORT, PORT, DR, IPIP))
        frames = [self.f4(ip4(src, self.vip4, proto, self.opener(proto, src, self.vip4, sport, dport)))]
        for _ in range(self.rng.randrange(1, 3)):
            itype, code = self.rng.choice(self.ERR4)
            q = self.quoted4(self.vip4, src, proto, dport, sport,
                             cut=self.rng.choice((None, 8, 8, 4, 2)))
            good = self.rng.random() < 0.7
            frames.append(self.f4(ip4(src, self.vip4, ICMP, icmp4(itype, code, b"\0\0\x05\x00", q, good))))
        if self.rng.random() < 0.5:
            for rs in self.rs4:
                if proto == TCP:
                    l4 = self.tcp_segment(rs, src, dport, sport, self.rng.choice(self.FLAGS))
                elif proto == UDP:
                    l4 = self.udp_datagram(rs, src, dport, sport, False)
                else:
                    l4 = self.sctp_packet(dport, sport)
                frames.append(self.f4(ip4(rs, src, proto, l4)))
        return frames

    def k_icmp4_live(self):
        """ICMP errors from the client about the answers of its live connections (the TCP
        connection held open since the last real round, the last UDP request), good and bad
        checksums, cut quotes, wrong directions. The held connection must echo afterwards."""
        choices = []
        if socket.AF_INET in self.held:
            choices.append((TCP, self.held[socket.AF_INET][1]))
        if socket.AF_INET in self.last_udp:
            choices.append((UDP, self.last_udp[socket.AF_INET]))
        if not choices:
            return []
        proto, cport = self.rng.choice(choices)
        itype, code = self.rng.choice(((3, 0), (3, 1), (3, 3), (3, 4), (3, 13), (4, 0), (11, 0), (12, 0)))
        rest = struct.pack("!HH", 0, 1280 + self.rng.randrange(200) if code == 4 else 0)
        r = self.rng.randrange(5)
        if r == 4:      # about the request (wrong direction)
            q = self.quoted4(self.cli4, self.vip4, proto, cport, PORT)
        else:
            q = self.quoted4(self.vip4, self.cli4, proto, PORT, cport, cut=(None, 8, 20, None)[r])
        good = self.rng.random() < 0.75
        return [self.f4(ip4(self.cli4, self.vip4, ICMP, icmp4(itype, code, rest, q, good)))]

    def k_icmp4_in_icmp(self):
        """ICMP errors quoting ICMP errors (and echo requests)."""
        src, sport = self.fresh4()
        inner = self.quoted4(self.vip4, src, UDP, PORT, sport)
        q1 = ip4(self.vip4, src, ICMP, icmp4(3, 3, bytes(4), inner)[:self.rng.choice((8, 36, 64))])
        if self.rng.random() < 0.3:
            q1 = ip4(self.vip4, src, ICMP, icmp4(0, 0, bytes(4), b"ping"))
        return [self.f4(ip4(src, self.vip4, ICMP, icmp4(self.rng.choice((3, 11)), 0, bytes(4), q1)))]

    # ---- tunnels ------------------------------------------------------------------------
    def k_tunnel_icmp(self):
        """A connection to an IP-IP, GUE or GRE service, then ICMP errors (fragmentation
        needed and others) to the director about the tunnel packet that would carry it: good
        and bad checksums, DF or not, wrong GUE ports, GRE flags and protocols, cut and
        fragmented quotes."""
        src, sport = self.fresh4()
        proto = self.rng.choice((TCP, UDP))
        kind = self.rng.choice(("ipip", "gue", "gre"))
        port, rs_i = {"ipip": (IPIP, 0), "gue": (GUE, 1), "gre": (GRE, 1)}[kind]
        frames = [self.f4(ip4(src, self.vip4, proto, self.opener(proto, src, self.vip4, sport, port)))]
        df = 0x4000 if self.rng.random() < 0.7 else 0
        inner = self.quoted4(src, self.vip4, proto, sport, port)
        inner = inner[:6] + struct.pack("!H", df) + inner[8:10] + csum(inner[:10] + b"\0\0" + inner[12:20]) + inner[12:]
        d, rs = self.dir4[rs_i], self.rs4[rs_i]
        r = self.rng.randrange(8)
        if kind == "ipip":
            oproto, encap = 4, b""
        elif kind == "gue":
            gport = GUE_PORT if r != 1 else self.rng.choice((GUE_PORT + 1, 53))
            ghdr = bytes((0, 4, 0, 0)) if r != 2 else bytes((self.rng.choice((0x20, 0x40, 0xC0)), 4, 0, 0))
            oproto, encap = UDP, struct.pack("!HHHH", 40000, gport, 8 + 4 + len(inner), 0) + ghdr
        else:
            flags = b"\0\0" if r != 1 else self.rng.choice((b"\x80\0", b"\x20\0", b"\x10\0", b"\x07\0"))
            eproto = b"\x08\x00" if r != 2 else self.rng.choice((b"\x86\xdd", b"\x65\x58", b"\0\0"))
            oproto, encap = 47, flags + eproto + (b"\0\0\0\0" if flags != b"\0\0" else b"")
        outer = ip4(d, rs, oproto, encap + inner, frag=0x4000)
        if r == 3:      # quote cut inside the inner header
            outer = outer[:20 + len(encap) + self.rng.randrange(0, 28)]
        elif r == 4:    # outer header a non-first fragment
            outer = outer[:6] + b"\x20\x10" + outer[8:]
        itype, code = (3, 4) if r != 5 else self.rng.choice(((3, 1), (11, 0), (4, 0), (12, 0)))
        mtu = self.rng.choice((1400, 1300, 1280, 1480))
        good = r != 6
        to = d if r != 7 else self.vip4
        frames.append(self.f4(ip4(src, to, ICMP, icmp4(itype, code, struct.pack("!HH", 0, mtu), outer, good))))
        return frames

    def k_encap4(self):
        """IP-IP, GRE and GUE packets sent to the director, carrying packets to the services."""
        src, sport = self.fresh4()
        proto = self.rng.choice((TCP, UDP, SCTP))
        inner = ip4(src, self.vip4, proto, self.opener(proto, src, self.vip4, sport, PORT))
        to = self.rng.choice((self.vip4, self.dir4[0]))
        r = self.rng.randrange(3)
        if r == 0:
            pkt = ip4(src, to, 4, inner)
        elif r == 1:
            pkt = ip4(src, to, 47, self.rng.choice((b"\0\0\x08\x00", b"\x80\0\x08\x00\0\0\0\0")) + inner)
        else:
            pkt = ip4(src, to, UDP, udp(src, to, 40000, GUE_PORT, bytes((0, 4, 0, 0)) + inner))
        return [self.f4(pkt)]

    # ---- IPv6 ---------------------------------------------------------------------------
    def k_ip6_header(self):
        """IPv6 headers cut short, bad versions, payload lengths past or short of the frame,
        hop limit 0, trailing bytes."""
        src, sport = self.fresh6()
        proto = self.rng.choice((TCP, UDP, SCTP))
        payload = self.opener(proto, src, self.vip6, sport, PORT)
        r = self.rng.randrange(6)
        if r == 0:
            pkt = ip6(src, self.vip6, proto, payload)[:self.rng.randrange(40)]
        elif r == 1:
            pkt = ip6(src, self.vip6, proto, payload, version=self.rng.choice((0, 4, 7, 15)))
        elif r == 2:
            pkt = ip6(src, self.vip6, proto, payload, plen=len(payload) + self.rng.randrange(1, 300))
        elif r == 3:
            pkt = ip6(src, self.vip6, proto, payload, plen=self.rng.randrange(0, 8))
        elif r == 4:
            pkt = ip6(src, self.vip6, proto, payload, hlim=0)
        else:
            pkt = ip6(src, self.vip6, proto, payload) + self.garbage(self.rng.randrange(1, 40))
        return [self.f6(pkt)]

    def ext(self, nh, kind):
        """One extension header of kind, followed by next header nh."""
        if kind == "hbh" or kind == "dst":
            opts = self.rng.choice((
                b"\x01\x04\0\0\0\0",                       # PadN
                b"\x00" * 6,                               # Pad1s
                b"\x05\x02\0\0\x01\x00",                   # router alert
                b"\xc2\x04\0\0\xff\xff",                   # jumbo payload (bad here)
                bytes((self.rng.choice((0x1e, 0x5e, 0x9e, 0xde)), 4)) + bytes(4),  # unknown: skip/discard/ICMP
                b"\x01\x09\0\0\0\0",                       # PadN past the header
                b"\x01\x00\x01\x00\x01\x00",
                self.garbage(6)))
            n = self.rng.choice((0, 0, 0, 1))
            opts += b"\x01" + bytes((8 * n,)) + bytes(8 * n) if n else b""
            opts = opts + b"\0" * (-(2 + len(opts)) % 8)
            return bytes((nh, (2 + len(opts)) // 8 - 1)) + opts
        if kind == "rt":
            rtype = self.rng.choice((0, 2, 3, 4, 253))
            left = self.rng.choice((0, 0, 1))
            if rtype == 2:
                return bytes((nh, 2, 2, left, 0, 0, 0, 0)) + a6("2001:db8::1")
            return bytes((nh, 2, rtype, left, 0, 0, 0, 0)) + a6("2001:db8::99")
        if kind == "frag":      # an atomic fragment (offset 0, no more)
            return struct.pack("!BBHI", nh, 0, 0, self.next_id())
        if kind == "len":       # a length past the packet
            return bytes((nh, 200)) + bytes(6)
        return bytes((nh, 0)) + bytes(6)

    def k_ip6_ext(self):
        """Extension-header chains before TCP/UDP/SCTP to the services: hop-by-hop (first or
        not), destination options (pads, router alert, jumbo, unknown options), routing
        headers (types 0, 2, 3, 4, segments left or not), atomic fragments, lengths past the
        packet, long chains, no next header, unknown next headers."""
        src, sport = self.fresh6()
        proto = self.rng.choice((TCP, UDP, SCTP))
        payload = self.opener(proto, src, self.vip6, sport, PORT)
        chain = [self.rng.choice(("hbh", "dst", "dst", "rt", "frag", "len"))
                 for _ in range(self.rng.choice((1, 1, 2, 3, 8)))]
        if self.rng.random() < 0.1:
            payload, proto = self.garbage(8), self.rng.choice((59, 253, 0, 43, 60))
        nh, pkt = proto, payload
        for kind in reversed(chain):
            pkt = self.ext(nh, kind) + pkt
            nh = {"hbh": 0, "dst": 60, "rt": 43, "frag": 44, "len": 60}[kind]
        if self.rng.random() < 0.1:
            pkt = pkt[:self.rng.randrange(len(pkt))]
        return [self.f6(ip6(src, self.vip6, nh, pkt))]

    def k_ip6_frag(self):
        """IPv6 fragments of a connection's first packet: in order, out of order, tiny, with
        overlaps, duplicates, incomplete, bad sizes, a fragment header after other headers."""
        src, sport = self.fresh6()
        proto = self.rng.choice((TCP, UDP, SCTP))
        payload = self.opener(proto, src, self.vip6, sport, PORT) + self.garbage(self.rng.randrange(0, 200))
        ident = self.next_id() | 0x10000
        size = self.rng.choice((8, 16, 24, 64))
        pieces = [(o, payload[o:o + size]) for o in range(0, len(payload), size)]
        pre = self.ext(44, "dst") if self.rng.random() < 0.2 else b""

        def frag(off, data, more):
            fh = struct.pack("!BBHI", proto, 0, off | (1 if more else 0), ident)
            return self.f6(ip6(src, self.vip6, 60 if pre else 44, pre + fh + data))

        last = len(pieces) - 1
        frames = [frag(o, d, i < last) for i, (o, d) in enumerate(pieces)]
        r = self.rng.randrange(7)
        if r == 0:
            return frames
        if r == 1:
            return frames[::-1]
        if r == 2:
            self.rng.shuffle(frames)
            return frames
        if r == 3:
            return frames + [frames[0]]
        if r == 4:
            return [frag(0, payload[:24], True), frag(8, payload[8:40], True)]
        if r == 5:
            return frames[1:] if len(frames) > 1 else [frag(0, payload[:8], True)]
        return [frag(0, payload[:13], True)]

    def k_ip6_proto(self):
        src, _ = self.fresh6()
        nh = self.rng.choice((4, 41, 47, 50, 51, 59, 103, 135, 139, 253, 255, TCP, UDP, SCTP, ICMP6))
        return [self.f6(ip6(src, self.vip6, nh, self.garbage(self.rng.randrange(0, 80))))]

    def quoted6(self, src, dst, proto, sport, dport, cut=None):
        if proto == TCP:
            l4 = tcp(src, dst, sport, dport, 0x10, self.rng.getrandbits(32))
        elif proto == UDP:
            l4 = udp(src, dst, sport, dport, b"x" * 5)
        elif proto == SCTP:
            l4 = sctp(sport, dport, chunk(0, bytes(16)), vtag=1)
        else:
            l4 = self.garbage(8)
        if cut is not None:
            l4 = l4[:cut]
        return ip6(src, dst, proto, l4, plen=13)

    ERR6 = ((1, 0), (1, 1), (1, 3), (1, 4), (1, 5), (2, 0), (3, 0), (3, 1), (4, 0), (4, 1), (4, 2))

    def k_icmp6_garbage(self):
        """ICMPv6 errors to the virtual address quoting garbage (cut headers, extension headers,
        fragments, ports without a connection, bad checksums), informational messages, cut
        ICMPv6 headers, errors in fragments."""
        src, sport = self.fresh6()
        itype, code = self.rng.choice(self.ERR6)
        rest = struct.pack("!I", 1280 if itype == 2 else self.rng.choice((0, 8, 40)))
        proto = self.rng.choice((TCP, UDP, SCTP))
        q = self.quoted6(self.vip6, src, proto, self.rng.choice((PORT, 9)), sport)
        r = self.rng.randrange(9)
        if r == 0:
            q = q[:self.rng.randrange(40)]
        elif r == 1:
            q = q[:40 + self.rng.randrange(8)]
        elif r == 2:    # quoted behind extension headers, or a non-first fragment
            if self.rng.random() < 0.5:
                q = ip6(self.vip6, src, 60, self.ext(proto, "dst") + q[40:])
            else:
                q = ip6(self.vip6, src, 44, struct.pack("!BBHI", proto, 0, 64, 7) + q[40:])
        elif r == 3:
            q = self.quoted6(src, self.vip6, proto, sport, PORT)
        elif r == 4:    # informational
            itype, code = self.rng.choice(((128, 0), (129, 0), (130, 0), (143, 0), (200, 0)))
            q = self.garbage(self.rng.randrange(0, 40))
        elif r == 5:
            return [self.f6(ip6(src, self.vip6, ICMP6, bytes((itype,)) + self.garbage(self.rng.randrange(0, 4))))]
        elif r == 6:    # an error in a fragment (errors are never fragmented)
            body = icmp6(src, self.vip6, itype, code, rest, q)
            fh = struct.pack("!BBHI", ICMP6, 0, 0, self.next_id())
            return [self.f6(ip6(src, self.vip6, 44, fh + body))]
        elif r == 7:    # ICMPv6 in ICMPv6
            q = ip6(self.vip6, src, ICMP6, icmp6(self.vip6, src, 1, 4, bytes(4),
                                                 self.quoted6(src, self.vip6, UDP, sport, PORT)))
        good = self.rng.random() < 0.8
        return [self.f6(ip6(src, self.vip6, ICMP6, icmp6(src, self.vip6, itype, code, rest, q, good)))]

    def k_icmp6_conn(self):
        """As icmp4-conn over IPv6."""
        src, sport = self.fresh6()
        proto = self.rng.choice((TCP, UDP, SCTP))
        frames = [self.f6(ip6(src, self.vip6, proto, self.opener(proto, src, self.vip6, sport, PORT)))]
        for _ in range(self.rng.randrange(1, 3)):
            itype, code = self.rng.choice(self.ERR6)
            q = self.quoted6(self.vip6, src, proto, PORT, sport, cut=self.rng.choice((None, 8, 8, 4)))
            good = self.rng.random() < 0.7
            frames.append(self.f6(ip6(src, self.vip6, ICMP6, icmp6(
                src, self.vip6, itype, code, struct.pack("!I", 1280), q, good))))
        if self.rng.random() < 0.5:
            for rs in self.rs6:
                if proto == TCP:
                    l4 = self.tcp_segment(rs, src, PORT, sport, self.rng.choice(self.FLAGS))
                elif proto == UDP:
                    l4 = self.udp_datagram(rs, src, PORT, sport, True)
                else:
                    l4 = self.sctp_packet(PORT, sport)
                frames.append(self.f6(ip6(rs, src, proto, l4)))
        return frames

    def k_icmp6_live(self):
        """As icmp4-live over IPv6."""
        choices = []
        if socket.AF_INET6 in self.held:
            choices.append((TCP, self.held[socket.AF_INET6][1]))
        if socket.AF_INET6 in self.last_udp:
            choices.append((UDP, self.last_udp[socket.AF_INET6]))
        if not choices:
            return []
        proto, cport = self.rng.choice(choices)
        itype, code = self.rng.choice(((1, 0), (1, 1), (1, 4), (2, 0), (3, 0), (4, 0)))
        rest = struct.pack("!I", 1280 + self.rng.randrange(200) if itype == 2 else 0)
        r = self.rng.randrange(4)
        if r == 3:
            q = self.quoted6(self.cli6, self.vip6, proto, cport, PORT)
        else:
            q = self.quoted6(self.vip6, self.cli6, proto, PORT, cport, cut=(None, 8, None)[r])
        good = self.rng.random() < 0.75
        return [self.f6(ip6(self.cli6, self.vip6, ICMP6, icmp6(self.cli6, self.vip6, itype, code, rest, q, good)))]

    def k_random(self):
        """Random bytes after an Ethernet header, IPv4 or IPv6 by its type."""
        n = self.rng.randrange(0, 120)
        return [self.rng.choice((self.eth4, self.eth6)) + self.garbage(n)]


# Kinds and their weights (how often each is chosen).
KINDS = [
    ("ip4-trunc", 2), ("ip4-header", 6), ("ip4-options", 5), ("ip4-frag", 6), ("ip4-proto", 2),
    ("tcp4", 10), ("udp4", 8), ("sctp4", 8), ("icmp4-garbage", 8), ("icmp4-conn", 8),
    ("icmp4-live", 5), ("icmp4-in-icmp", 2), ("tunnel-icmp", 6), ("encap4", 3),
    ("ip6-header", 4), ("ip6-ext", 6), ("ip6-frag", 5), ("ip6-proto", 2), ("tcp6", 6),
    ("udp6", 5), ("sctp6", 5), ("icmp6-garbage", 6), ("icmp6-conn", 5), ("icmp6-live", 4),
    ("random", 2),
]


class Args:
    def __init__(self, argv):
        self.seed, self.count, self.every, self.final = 1, 1000, 100, 4
        self.only, self.trace = [], False
        self.iface = "cli0"
        self.dmac = bytes.fromhex("020000000001")
        self.smac = bytes.fromhex("020000000002")
        it = iter(argv)
        for a in it:
            if a == "--seed":
                self.seed = int(next(it))
            elif a == "--count":
                self.count = int(next(it))
            elif a == "--every":
                self.every = int(next(it))
            elif a == "--final":
                self.final = int(next(it))
            elif a == "--only":
                self.only = next(it).split(",")
            elif a == "--trace":
                self.trace = True
            elif a == "--iface":
                self.iface = next(it)
            elif a == "--dmac":
                self.dmac = bytes.fromhex(next(it).replace(":", ""))
            elif a == "--smac":
                self.smac = bytes.fromhex(next(it).replace(":", ""))
            elif a == "--help-kinds":
                for name, _ in KINDS:
                    doc = getattr(Fuzzer, "k_" + name.replace("-", "_")).__doc__ or ""
                    print(f"{name}: {' '.join(doc.split())}")
                sys.exit(0)
            else:
                sys.exit(__doc__)


def main():
    args = Args(sys.argv[1:])
    # One CPU: the fuzzed packets and the real connections must reach the director in the
    # order they were sent (the round-robin schedulers number connections in that order), and
    # a packet is queued on the backlog of the CPU that sent it.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    f = Fuzzer(args)
    f.run()
    f.report()


if __name__ == "__main__":
    main()
