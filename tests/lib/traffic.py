#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Deterministic test traffic for IPVS scenarios (standard library only).

  traffic.py server NAME PORT[,PORT..] TCP and UDP server on each PORT: each TCP connection
                                       gets "NAME\\n" and then what it sends echoed, and is
                                       closed once the client has closed its side; each UDP
                                       datagram gets "NAME". With TRAFFIC_READY set, writes its
                                       process ID to that file once it listens
  traffic.py tcp N ADDR PORT           N TCP connections one after another, each: the server's
                                       name, one request line and its echo, then an orderly
                                       close (the same segments every time, see tcp_exchange);
                                       prints how many answers came from each server name
                                       ("refused", "no answer", "NAME without echo" and "NAME
                                       not closed" counted too)
  traffic.py udp N ADDR PORT           the same with N UDP datagrams, each from a new socket
  traffic.py hold ADDR PORT DIR        one TCP connection kept open: prints the server's name,
                                       then each time DIR/goN appears (N = 1, 2, ...) sends a
                                       line and prints the echo or "no answer"; stops at DIR/stop
  traffic.py tcp-rate N ADDR PORT      N TCP connections as above; prints connections per second
  traffic.py tcp-from SPORT N ADDR PORT
                                       N TCP connections from source port SPORT, each reset once
                                       the server said its name; prints the names in order
  traffic.py garbage ADDR PORT         raw IPv4 packets to ADDR:PORT that are truncated or
                                       malformed (needs CAP_NET_RAW)
  traffic.py udp-connected N ADDR PORT N datagrams from one connected UDP socket: prints each
                                       answer, "refused" (an ICMP error reached the socket) or
                                       "no answer"
  traffic.py icmp-error ADDR PORT CPORT
                                       one UDP request from local port CPORT and its answer,
                                       then ICMP port-unreachable errors about that answer sent
                                       back to ADDR: one with a good and one with a bad ICMP
                                       checksum (needs CAP_NET_RAW)
  traffic.py icmp6-error ADDR PORT CPORT
                                       the same over IPv6 (ICMPv6 port unreachable)
  traffic.py sctp-server NAME          answers SCTP packets seen on a raw socket (this host has
                                       no SCTP stack): INIT with INIT ACK (whose cookie is
                                       NAME), COOKIE ECHO with COOKIE ACK, DATA with SACK,
                                       SHUTDOWN with SHUTDOWN ACK; ignores packets with a bad
                                       CRC. With TRAFFIC_READY set, creates that file when ready
  traffic.py sctp ADDR PORT SPORT STEPS
                                       one SCTP association from raw port SPORT: sends the
                                       chunks STEPS names in turn (init, echo, data, shutdown,
                                       complete, abort) and prints each answer's chunk, its
                                       source and whether its CRC is right ("no answer" after
                                       2 s)
  traffic.py sip ADDR PORT SPORT/CALLID ...
                                       for each, a SIP request from local port SPORT with
                                       Call-ID CALLID ("i=ID": the compact header "i: ID";
                                       "-": none) in one UDP datagram; prints the answer or
                                       "no answer" (after 1 s)
  traffic.py sip-peer PORT             waits for one UDP datagram on PORT (60 s at most),
                                       prints where it came from and its Call-ID line, and
                                       answers "ack". With TRAFFIC_READY set, creates that file
                                       once it listens
  traffic.py sip-call ADDR PORT SPORT CALLID
                                       a SIP request from local port SPORT to ADDR:PORT; prints
                                       the answer and where it came from, or "no answer"
  traffic.py tunnel-error DIRECTOR RS KIND VIP PORT CPORT MTU DF
                                       one UDP request from local port CPORT to VIP:PORT (prints
                                       who answered), then a fragmentation-needed error (MTU)
                                       to DIRECTOR about the tunnel packet DIRECTOR -> RS of
                                       KIND (ipip, gue:PORT, gre, gre-csum) that would carry
                                       that request, with DF set if DF is "df"; prints the ICMP
                                       errors about the request that reach this host (2 s)
  traffic.py stray ADDR PORT SPORT KIND
                                       one packet from local port SPORT to ADDR:PORT that no
                                       connection has, of KIND (udp, tcp-ack, tcp-rst; IPv4 or
                                       IPv6 as ADDR is); prints the ICMP (ICMPv6) errors about
                                       it that reach this host (1 s). Needs CAP_NET_RAW
  traffic.py batch "CMD ARGS" ...      each command in turn (as its own traffic.py command line),
                                       each output after a line "# CMD ARGS"
  traffic.py sweep N SOURCES DIR VIP:PORT [VIP:PORT ...]
                                       for each service in turn (an IPv6 VIP in brackets),
                                       N TCP connections from the
                                       addresses SOURCES (comma-separated, in turn) and source
                                       ports 30000 + 100 * (the service's place) + 0, 1, ...;
                                       prints each service's answers
                                       per server. All are held open (so the connections of
                                       every server are active when the next is scheduled)
                                       until DIR/stop appears; DIR/ready says they are all open
"""
import os
import select
import socket
import struct
import sys
import time


# <linux/in.h>, <linux/in6.h>: not every Python names them.
IP_PKTINFO, IPV6_RECVPKTINFO, IPV6_PKTINFO = 8, 49, 50


def reply_from(ancillary):
    """The control message that makes a reply leave from the address a datagram was sent to,
    from that datagram's IP_PKTINFO or IPV6_PKTINFO."""
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
            # struct in_pktinfo: ifindex, spec_dst, addr (the header's destination)
            return [(level, kind, bytes(4) + data[8:12] + bytes(4))]
        if level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO:
            # struct in6_pktinfo: addr, ifindex
            return [(level, kind, data[:16] + bytes(4))]
    return []


def server(name, ports):
    listeners, udps = [], []
    for port in ports:
        # IPv4 and IPv6 sockets of their own (IPv6 scenarios reach the same servers).
        for family, anywhere in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            tcp = socket.socket(family, socket.SOCK_STREAM)
            udp = socket.socket(family, socket.SOCK_DGRAM)
            for s in (tcp, udp):
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((anywhere, port))
            # A host with several addresses answers UDP from the one asked (as TCP does): the
            # director un-NATs only replies from the real server's own address.
            if family == socket.AF_INET:
                udp.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            else:
                udp.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
            tcp.listen(64)
            listeners.append(tcp)
            udps.append(udp)
    if os.environ.get("TRAFFIC_READY"):
        # The server's process ID: a shared topology checks that its servers still run.
        with open(os.environ["TRAFFIC_READY"], "w") as ready:
            ready.write(f"{os.getpid()}\n")
    conns = {}
    while True:
        ready, _, _ = select.select([*listeners, *udps, *conns], [], [])
        for s in ready:
            if s in listeners:
                c, _ = s.accept()
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                c.sendall(name.encode() + b"\n")
                conns[c] = b""
            elif s in udps:
                _, ancillary, _, peer = s.recvmsg(2048, 256)
                s.sendmsg([name.encode()], reply_from(ancillary), 0, peer)
            else:
                try:
                    data = tcp_recv(s)
                    if data:
                        s.sendall(data)
                except OSError:
                    data = b""
                if not data:
                    # The client's FIN has its own ACK (tcp_recv), and then comes ours.
                    s.close()
                    del conns[s]


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def count(names):
    for n in sorted(set(names)):
        print(f"{n}: {names.count(n)}")


# TCP traffic whose segments are the same in every run, so that IPVS's packet and byte
# counters can be compared: which segments carry an ACK must not depend on timing (delayed ACKs,
# an ACK merged into the data or FIN sent next). Both sides ask for an immediate ACK after every
# receive (TCP_QUICKACK: an ACK still pending goes out at once, alone) before they send
# anything, never have more than one data segment in flight (TCP_NODELAY, strict turns), and
# close in a fixed order. One tcp_exchange, client -> server / server -> client:
#   SYN / SYN-ACK, ACK               the handshake
#   / "NAME\n"  then  ACK /          the greeting and its ACK
#   "hello\n" / ACK, "hello\n"       the request, its ACK and the echo
#   ACK /                            the echo's ACK
#   FIN / ACK, FIN                   the client shuts its side once it has the whole answer;
#                                    the server ACKs (at the latest when it reads the end),
#                                    then closes
#   ACK /                            FIN_WAIT2 ACKs the server's FIN at once; the client closes
#                                    only after it has read the end (no RST)
# 7 segments in, 6 out; nothing retransmitted as long as no ACK is later than the
# retransmission timeout (200 ms or more).
def tcp_recv(s):
    data = s.recv(2048)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    return data


def tcp_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = tcp_recv(s)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


def tcp_exchange(addr, port):
    """One connection as described above; what it is counted as."""
    # A connection that is refused or never answered is counted, not fatal, so that the
    # commands after it in a batch still run.
    try:
        s = socket.create_connection((addr, port), timeout=5)
    except ConnectionRefusedError:
        return "refused"
    except OSError:
        return "no answer"
    with s:
        try:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            name = tcp_line(s)
        except OSError:
            name = ""
        if not name:
            return "no answer"
        try:
            s.sendall(b"hello\n")
            if tcp_line(s) != "hello":
                return f"{name} without echo"
        except OSError:
            return f"{name} without echo"
        try:
            s.shutdown(socket.SHUT_WR)
            while tcp_recv(s):
                pass
        except OSError:
            return f"{name} not closed"
        return name


def tcp_clients(n, addr, port):
    count([tcp_exchange(addr, port) for _ in range(n)])


def tcp_from(sport, n, addr, port):
    """n connections one after the other from the same source port, each ended by a reset
    (SO_LINGER 0) once the server has said its name: IPVS sees a SYN on the tuple of a
    connection in CLOSE. Prints the servers, in order ("no answer" for none)."""
    names = []
    for _ in range(n):
        s = socket.socket(family_of(addr), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(5)
        try:
            s.bind(("", sport))
            s.connect((addr, port))
            names.append(tcp_line(s) or "no answer")
        except OSError:
            names.append("no answer")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    print(" ".join(names))


def tcp_rate(n, addr, port):
    start = time.monotonic()
    for _ in range(n):
        with socket.create_connection((addr, port), timeout=5) as s:
            s.makefile("rb").readline()
    print(f"{n / (time.monotonic() - start):.1f}")


def udp_clients(n, addr, port):
    names = []
    for _ in range(n):
        with socket.socket(family_of(addr), socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            s.sendto(b"hello", (addr, port))
            try:
                data, peer = s.recvfrom(2048)
            except socket.timeout:
                names.append("no answer")
                continue
            # An answer must come from the service's address and port (a NAT reply that was
            # not translated back comes from the real server's).
            same = socket.inet_pton(family_of(addr), peer[0]) == \
                socket.inet_pton(family_of(addr), addr) and peer[1] == port
            names.append(data.decode() + ("" if same else f" from {peer[0]}:{peer[1]}"))
    count(names)


def hold(addr, port, ctl):
    s = socket.create_connection((addr, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print("connected to", tcp_line(s), flush=True)
    i = 1
    while not os.path.exists(os.path.join(ctl, "stop")):
        go = os.path.join(ctl, f"go{i}")
        if not os.path.exists(go):
            time.sleep(0.05)
            continue
        s.settimeout(3)
        try:
            s.sendall(f"ping {i}\n".encode())
            line = tcp_line(s)
            print(f"round {i}:", line or "closed", flush=True)
        except (socket.timeout, OSError):
            print(f"round {i}: no answer", flush=True)
        open(os.path.join(ctl, f"done{i}"), "w").close()
        i += 1
    s.close()


def sweep(n, sources, ctl, services):
    held = []
    for k, svc in enumerate(services):
        vip, port = svc.rsplit(":", 1)
        vip = vip.strip("[]")
        names = []
        for i in range(n):
            s = socket.socket(family_of(vip), socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.settimeout(5)
            try:
                # Ports of their own per service: NAT gives every service the same real
                # servers, which must not see one client address and port twice.
                s.bind((sources[i % len(sources)], 30000 + 100 * k + i))
                s.connect((vip, int(port)))
                line = s.makefile("rb").readline().decode().strip()
                names.append(line or "no answer")
            except OSError:
                names.append("no answer")
            held.append(s)
        print(f"{svc}:", ", ".join(f"{m} {names.count(m)}" for m in sorted(set(names))))
    sys.stdout.flush()
    open(os.path.join(ctl, "ready"), "w").close()
    while not os.path.exists(os.path.join(ctl, "stop")):
        time.sleep(0.05)
    for s in held:
        s.close()


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, frag=0x4000):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234, frag, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", checksum(h)) + h[12:]
    return h + payload


def source_address(addr, port):
    """The local address this host sends from to addr:port."""
    with socket.socket(family_of(addr), socket.SOCK_DGRAM) as probe:
        probe.connect((addr, port))
        return probe.getsockname()[0]


def garbage(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    src = source_address(addr, port)
    dport = struct.pack("!H", port)
    cases = {
        "tcp header cut to 10 bytes": ipv4(src, addr, 6, b"\x9c\x41" + dport + b"\0" * 6),
        "tcp ports only": ipv4(src, addr, 6, b"\x9c\x42" + dport),
        "tcp 2 bytes": ipv4(src, addr, 6, b"\x9c"),
        "tcp no header": ipv4(src, addr, 6, b""),
        "udp header cut to 6 bytes": ipv4(src, addr, 17, b"\x9c\x43" + dport + b"\0\0"),
        "tcp syn with bad data offset": ipv4(
            src, addr, 6, b"\x9c\x44" + dport + b"\0" * 8 + b"\x10\x02" + b"\0" * 6),
        "udp zero length field": ipv4(src, addr, 17, b"\x9c\x45" + dport + b"\0\0\0\0zz"),
    }
    for name, pkt in cases.items():
        s.sendto(pkt, (addr, 0))
        print("sent:", name)
    s.close()


def udp_connected(n, addr, port):
    with socket.socket(family_of(addr), socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.connect((addr, port))
        for i in range(n):
            try:
                s.send(f"hello {i}".encode())
                print(s.recv(2048).decode())
            except ConnectionRefusedError:
                print("refused")
            except socket.timeout:
                print("no answer")


def icmp_error(addr, port, cport):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.bind(("0.0.0.0", cport))
        s.sendto(b"hello", (addr, port))
        answer, _ = s.recvfrom(2048)
    src = source_address(addr, port)
    print("answered by", answer.decode())
    udp = struct.pack("!HHHH", port, cport, 8 + len(answer), 0) + answer
    quoted = ipv4(addr, src, 17, udp)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for name, bad in (("good", 0), ("bad", 1)):
        icmp = struct.pack("!BBHI", 3, 3, 0, 0) + quoted
        c = checksum(icmp) ^ bad
        icmp = icmp[:2] + struct.pack("!H", c) + icmp[4:]
        raw.sendto(ipv4(src, addr, 1, icmp, frag=0), (addr, 0))
        print(f"sent: port unreachable with a {name} checksum")
    raw.close()


def tunnel_error(director, rs, kind, vip, port, cport, mtu, df):
    me = source_address(vip, port)
    listener = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    listener.settimeout(2)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.bind(("0.0.0.0", cport))
        s.sendto(b"hello", (vip, port))
        answer, _ = s.recvfrom(2048)
    print("answered by", answer.decode())
    request = ipv4(me, vip, 17, struct.pack("!HHHH", cport, port, 13, 0) + b"hello",
                   0x4000 if df == "df" else 0)
    if kind == "ipip":
        outer = ipv4(director, rs, 4, request)
    elif kind.startswith("gue:"):
        gue = struct.pack("!HHHHBBH", 40000, int(kind[4:]), 12 + len(request), 0, 0, 4, 0)
        outer = ipv4(director, rs, 17, gue + request)
    else:
        gre = b"\x80\0\x08\0\0\0\0\0" if kind == "gre-csum" else b"\0\0\x08\0"
        outer = ipv4(director, rs, 47, gre + request)
    icmp = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + outer
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
        raw.sendto(ipv4(me, director, 1, icmp), (director, 0))
    print(f"sent: fragmentation needed (mtu {mtu}) about a {kind} packet to {rs}")
    got = 0
    while True:
        try:
            data, (src, _) = listener.recvfrom(2048)
        except socket.timeout:
            break
        ihl = (data[0] & 0xF) * 4
        ty, code, _, _, next_mtu = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        q = data[ihl + 8:]
        qhl = (q[0] & 0xF) * 4
        qsport, qdport = struct.unpack("!HH", q[qhl:qhl + 4])
        if ty != 3 or (qsport, qdport) != (cport, port):
            continue
        got += 1
        print(f"ICMP {ty}/{code} mtu {next_mtu} from {src} about "
              f"{socket.inet_ntoa(q[12:16])}:{qsport} -> {socket.inet_ntoa(q[16:20])}:{qdport}")
    if not got:
        print("no error came")
    listener.close()


def ipv6(src, dst, next_header, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), next_header, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def icmp6_error(addr, port, cport):
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.bind(("::", cport))
        s.sendto(b"hello", (addr, port))
        answer, _ = s.recvfrom(2048)
    src = source_address(addr, port)
    print("answered by", answer.decode())
    udp = struct.pack("!HHHH", port, cport, 8 + len(answer), 0) + answer
    quoted = ipv6(addr, src, 17, udp)
    # IPPROTO_RAW: the header is ours, and so is the ICMPv6 checksum (with its pseudo-header).
    raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for name, bad in (("good", 0), ("bad", 1)):
        icmp = struct.pack("!BBHI", 1, 4, 0, 0) + quoted
        pseudo = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, addr)
                  + struct.pack("!I3xB", len(icmp), 58))
        c = checksum(pseudo + icmp) ^ bad
        icmp = icmp[:2] + struct.pack("!H", c) + icmp[4:]
        raw.sendto(ipv6(src, addr, 58, icmp), (addr, 0))
        print(f"sent: port unreachable with a {name} checksum")
    raw.close()


def stray(addr, port, sport, kind):
    family = family_of(addr)
    v6 = family == socket.AF_INET6
    me = source_address(addr, port)
    if kind == "udp":
        proto, l4, csum_at = 17, struct.pack("!HHHH", sport, port, 13, 0) + b"stray", 6
    else:
        flags = {"tcp-ack": 0x10, "tcp-rst": 0x14}[kind]
        proto, csum_at = 6, 16
        l4 = struct.pack("!HHIIBBHHH", sport, port, 1, 1, 5 << 4, flags, 1024, 0, 0)
    pseudo = socket.inet_pton(family, me) + socket.inet_pton(family, addr) + (
        struct.pack("!I3xB", len(l4), proto) if v6 else struct.pack("!xBH", proto, len(l4)))
    l4 = l4[:csum_at] + struct.pack("!H", checksum(pseudo + l4)) + l4[csum_at + 2:]
    listener = socket.socket(family, socket.SOCK_RAW,
                             socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    with socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
        raw.sendto(ipv6(me, addr, proto, l4) if v6 else ipv4(me, addr, proto, l4), (addr, 0))
    print(f"sent: {kind} from port {sport} to port {port}")
    got, deadline = 0, time.monotonic() + 1
    while (left := deadline - time.monotonic()) > 0:
        listener.settimeout(left)
        try:
            data, peer = listener.recvfrom(2048)
        except socket.timeout:
            break
        # An ICMPv6 socket gets the message alone, an ICMP one the IPv4 header too.
        icmp = data if v6 else data[(data[0] & 0xF) * 4:]
        quoted = icmp[8:]
        qproto, qhl = (quoted[6], 40) if v6 else (quoted[9], (quoted[0] & 0xF) * 4)
        if qproto != proto or struct.unpack("!HH", quoted[qhl:qhl + 4]) != (sport, port):
            continue
        got += 1
        print(f"ICMP {icmp[0]}/{icmp[1]} from {peer[0]}")
    if not got:
        print("no error came")
    listener.close()


SCTP_CHUNKS = {0: "DATA", 1: "INIT", 2: "INIT ACK", 3: "SACK", 6: "ABORT", 7: "SHUTDOWN",
               8: "SHUTDOWN ACK", 10: "COOKIE ECHO", 11: "COOKIE ACK", 14: "SHUTDOWN COMPLETE"}


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def sctp_packet(sport, dport, tag, chunk_type, value=b""):
    value += b"\0" * (-len(value) % 4)
    chunk = struct.pack("!BBH", chunk_type, 0, 4 + len(value)) + value
    pkt = struct.pack("!HHII", sport, dport, tag, 0) + chunk
    return pkt[:8] + struct.pack("<I", crc32c(pkt)) + pkt[12:]


def sctp_parse(ip_packet):
    """(source address, sport, dport, first chunk type, its value, CRC right) of a packet."""
    ihl = (ip_packet[0] & 0xF) * 4
    src = socket.inet_ntoa(ip_packet[12:16])
    pkt = ip_packet[ihl:]
    sport, dport, _, crc = struct.unpack("!HHII", pkt[:12])
    zeroed = pkt[:8] + b"\0" * 4 + pkt[12:]
    ok = struct.unpack("<I", pkt[8:12])[0] == crc32c(zeroed)
    ctype, _, clen = struct.unpack("!BBH", pkt[12:16])
    return src, sport, dport, ctype, pkt[16:12 + clen], ok


def sctp_server(name):
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
    answers = {1: (2, struct.pack("!IIHHI", 1, 65536, 1, 1, 1) + name.encode()),
               10: (11, b""), 0: (3, struct.pack("!IIHH", 1, 65536, 0, 0)), 7: (8, b"")}
    if os.environ.get("TRAFFIC_READY"):
        open(os.environ["TRAFFIC_READY"], "w").close()
    while True:
        data = raw.recv(4096)
        src, sport, dport, ctype, _, ok = sctp_parse(data)
        if ok and ctype in answers:
            reply_type, value = answers[ctype]
            raw.sendto(sctp_packet(dport, sport, 1, reply_type, value), (src, 0))


def sctp_client(addr, port, sport, steps):
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
    raw.settimeout(2)
    chunks = {"init": (1, struct.pack("!IIHHI", 1, 65536, 1, 1, 1)), "echo": (10, b"cookie"),
              "data": (0, struct.pack("!IHHI", 1, 0, 0, 0) + b"hello"), "shutdown": (7, b"\0" * 4),
              "complete": (14, b""), "abort": (6, b"")}
    for step in steps.split(","):
        ctype, value = chunks[step]
        raw.sendto(sctp_packet(sport, port, 1, ctype, value), (addr, 0))
        if step in ("complete", "abort"):
            print(f"{step}: sent")
            continue
        deadline = time.monotonic() + 2
        answer = "no answer"
        while time.monotonic() < deadline:
            try:
                data = raw.recv(4096)
            except socket.timeout:
                break
            src, psport, pdport, rtype, rvalue, ok = sctp_parse(data)
            if pdport != sport:
                continue
            answer = f"{SCTP_CHUNKS.get(rtype, rtype)} from {src}:{psport}, crc {'ok' if ok else 'bad'}"
            if rtype == 2:
                cookie = rvalue[16:].rstrip(b"\0").decode()
                answer += f", cookie {cookie}"
            break
        print(f"{step}: {answer}")


def sip_message(call_id):
    if call_id == "-":
        header = ""
    elif call_id.startswith("i="):
        header = f"i: {call_id[2:]}\r\n"
    else:
        header = f"Call-ID: {call_id}\r\n"
    return (f"INVITE sip:service@example.org SIP/2.0\r\nVia: SIP/2.0/UDP client\r\n{header}"
            "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").encode()


def sip_requests(addr, port, requests):
    for r in requests:
        sport, call_id = r.split("/", 1)
        with socket.socket(family_of(addr), socket.SOCK_DGRAM) as s:
            s.settimeout(1)
            s.bind(("", int(sport)))
            s.sendto(sip_message(call_id), (addr, port))
            try:
                answer = s.recv(2048).decode()
            except socket.timeout:
                answer = "no answer"
        print(f"{sport} {call_id}: {answer}")


def sip_peer(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        # The caller is another process, which may take long to start in a loaded guest.
        s.settimeout(60)
        s.bind(("", port))
        if os.environ.get("TRAFFIC_READY"):
            open(os.environ["TRAFFIC_READY"], "w").close()
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            print("nothing came")
            return
        lines = data.decode().split("\r\n")
        call_id = [x for x in lines if x.lower().startswith(("call-id", "i:"))]
        print(f"from {peer[0]}:{peer[1]}: {call_id}")
        s.sendto(b"ack", peer)


def sip_call(addr, port, sport, call_id):
    with socket.socket(family_of(addr), socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.bind(("", sport))
        s.sendto(sip_message(call_id), (addr, port))
        try:
            data, peer = s.recvfrom(2048)
            print(f"answer from {peer[0]}:{peer[1]}: {data.decode()}")
        except socket.timeout:
            print("no answer")


def run(cmd, args):
    if cmd == "batch":
        # Python starts slowly in the debug guest: several commands in one process.
        for line in args:
            print(f"# {line}")
            run(line.split()[0], line.split()[1:])
    elif cmd == "server":
        server(args[0], [int(p) for p in args[1].split(",")])
    elif cmd == "tcp":
        tcp_clients(int(args[0]), args[1], int(args[2]))
    elif cmd == "tcp-from":
        tcp_from(int(args[0]), int(args[1]), args[2], int(args[3]))
    elif cmd == "tcp-rate":
        tcp_rate(int(args[0]), args[1], int(args[2]))
    elif cmd == "udp":
        udp_clients(int(args[0]), args[1], int(args[2]))
    elif cmd == "hold":
        hold(args[0], int(args[1]), args[2])
    elif cmd == "garbage":
        garbage(args[0], int(args[1]))
    elif cmd == "udp-connected":
        udp_connected(int(args[0]), args[1], int(args[2]))
    elif cmd == "sweep":
        sweep(int(args[0]), args[1].split(","), args[2], args[3:])
    elif cmd == "icmp-error":
        icmp_error(args[0], int(args[1]), int(args[2]))
    elif cmd == "sctp-server":
        sctp_server(args[0])
    elif cmd == "sctp":
        sctp_client(args[0], int(args[1]), int(args[2]), args[3])
    elif cmd == "icmp6-error":
        icmp6_error(args[0], int(args[1]), int(args[2]))
    elif cmd == "tunnel-error":
        tunnel_error(args[0], args[1], args[2], args[3], int(args[4]), int(args[5]),
                     int(args[6]), args[7])
    elif cmd == "stray":
        stray(args[0], int(args[1]), int(args[2]), args[3])
    elif cmd == "sip":
        sip_requests(args[0], int(args[1]), args[2:])
    elif cmd == "sip-peer":
        sip_peer(int(args[0]))
    elif cmd == "sip-call":
        sip_call(args[0], int(args[1]), int(args[2]), args[3])
    else:
        sys.exit(__doc__)


def main():
    run(sys.argv[1], sys.argv[2:])


if __name__ == "__main__":
    main()
