#!/usr/bin/env python3
"""Drives the "IPVS" generic netlink family with hand-built messages: the wire variants other
clients send (4-byte IPv4 addresses, NLM_F_ACK everywhere, dumps with an empty service nest,
GET_SERVICE doit, missing optional attributes) and malformed ones (short, oversized, wrong
types, truncated). Prints every reply, decoded to attributes, and every errno and extended
ack, as a transcript for tests/diff."""
import contextlib
import errno
import io
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 1, 2, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 0x10, 3, 1, 2
SOL_NETLINK, NETLINK_EXT_ACK = 270, 11

(NEW_SERVICE, SET_SERVICE, DEL_SERVICE, GET_SERVICE, NEW_DEST, SET_DEST, DEL_DEST, GET_DEST,
 NEW_DAEMON, DEL_DAEMON, GET_DAEMON, SET_CONFIG, GET_CONFIG, SET_INFO, GET_INFO, ZERO,
 FLUSH) = range(1, 18)
A_SERVICE, A_DEST, A_DAEMON, A_TCP, A_TCP_FIN, A_UDP = range(1, 7)
(S_AF, S_PROTO, S_ADDR, S_PORT, S_FWMARK, S_SCHED, S_FLAGS, S_TIMEOUT, S_NETMASK, S_STATS,
 S_PE) = range(1, 12)
(D_ADDR, D_PORT, D_FWD, D_WEIGHT, D_U, D_L, D_ACTIVE, D_INACT, D_PERSIST, D_STATS, D_AF,
 D_STATS64, D_TUN_TYPE, D_TUN_PORT, D_TUN_FLAGS) = range(1, 16)
(M_STATE, M_IFN, M_SYNCID, M_MAXLEN, M_GROUP, M_GROUP6, M_PORT, M_TTL) = range(1, 9)
# Nests of the replies, to decode them as such: (command attribute) -> nested types.
NESTS = {A_SERVICE: {S_STATS, 12}, A_DEST: {D_STATS, D_STATS64}, A_DAEMON: set()}

sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
sock.bind((0, 0))
sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
# A reply that never comes (e.g. no ACK after a dump) shows as a timeout instead of a hang.
sock.settimeout(2)
seq = 0


def nla(ty, payload):
    data = struct.pack("=HH", 4 + len(payload), ty) + payload
    return data + bytes(-len(data) % 4)


def nest(ty, *attrs):
    return nla(ty, b"".join(attrs))


def u8(ty, v):
    return nla(ty, struct.pack("=B", v))


def u16(ty, v):
    return nla(ty, struct.pack("=H", v))


def be16(ty, v):
    return nla(ty, struct.pack("!H", v))


def u32(ty, v):
    return nla(ty, struct.pack("=I", v))


def string(ty, s):
    return nla(ty, s.encode() + b"\0")


def ip4(ty, a):
    return nla(ty, socket.inet_aton(a))


def ip6(ty, a):
    return nla(ty, socket.inet_pton(socket.AF_INET6, a))


def send(family, cmd, body=b"", flags=NLM_F_REQUEST | NLM_F_ACK, raw=None, timeout=2):
    """Sends a request and returns its replies; ("timeout",) ends them if none came for
    `timeout` seconds. Replies to earlier requests (one that timed out) are passed over."""
    global seq
    seq += 1
    payload = raw if raw is not None else struct.pack("=BBH", cmd, 1, 0) + body
    msg = struct.pack("=IHHII", 16 + len(payload), family, flags, seq, 0) + payload
    sock.send(msg)
    sock.settimeout(timeout)
    replies = []
    while True:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            replies.append(("timeout",))
            return replies
        off = 0
        while off + 16 <= len(data):
            ln, ty, fl, sq, _ = struct.unpack_from("=IHHII", data, off)
            body = data[off + 16:off + ln]
            off += (ln + 3) & ~3
            if sq != seq:
                continue
            if ty == NLMSG_ERROR:
                (err,) = struct.unpack_from("=i", body)
                replies.append(("error", -err, fl, body))
                return replies
            if ty == NLMSG_DONE:
                replies.append(("done",))
                if not flags & NLM_F_ACK:
                    return replies
                continue
            replies.append(("msg", fl, body))
            if not fl & NLM_F_MULTI and not flags & NLM_F_ACK:
                return replies


def attrs(data):
    off = 0
    while off + 4 <= len(data):
        ln, ty = struct.unpack_from("=HH", data, off)
        if ln < 4:
            break
        yield ty & 0x3fff, ty & 0x8000, data[off + 4:off + ln]
        off += (ln + 3) & ~3


def show_attrs(data, indent, nested):
    for ty, nflag, p in attrs(data):
        flag = " NESTED-FLAG" if nflag else ""
        if ty in nested:
            sub = NESTS.get(ty, set()) if isinstance(nested, dict) else set()
            print(f"{indent}{ty}{flag}: [")
            show_attrs(p, indent + "  ", sub)
            print(f"{indent}]")
        else:
            print(f"{indent}{ty}{flag}: {p.hex()}")


def show(label, replies, sort=False):
    """Prints the replies in the order they came, or sorted (SORT) for a dump of services:
    C lists services in the order of its service hash table, which has a random key. Every
    other order is fixed and printed as it is: real servers (GET_DEST) come in the order of
    the service's list, where C adds each new one at the head (list_add_rcu in
    __ip_vs_update_dest), so newest first; daemons come master first, then backup."""
    print(f"== {label}")
    msgs = [r for r in replies if r[0] == "msg"]
    texts = []
    for _, fl, body in msgs:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            print(f"  msg flags={fl:#x} cmd={body[0]} version={body[1]}")
            # GET_INFO's and GET_CONFIG's replies have plain attributes at the top level,
            # where 1 and 2 would otherwise be taken for the service and real-server nests.
            show_attrs(body[4:], "    ", {} if body[0] in (SET_INFO, SET_CONFIG) else NESTS)
        texts.append(out.getvalue())
    print("".join(sorted(texts) if sort else texts), end="")
    for r in replies:
        if r[0] == "msg":
            continue
        elif r[0] == "done":
            print("  done")
        elif r[0] == "timeout":
            print("  (no more replies)")
        else:
            _, e, fl, body = r
            name = errno.errorcode.get(e, str(e)) if e else "ACK"
            print(f"  {name} flags={fl:#x}")
            # Extended ack TLVs follow the echoed request header (and the whole request unless
            # NLM_F_CAPPED).
            (ln,) = struct.unpack_from("=I", body, 4)
            rest = body[4 + (16 if fl & 0x100 else ln):]
            for ty, _, p in attrs(rest):
                text = p.rstrip(b"\0").decode(errors="replace") if ty == 1 else p.hex()
                print(f"    ext-ack {ty}: {text}")


def resolve():
    r = send(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, string(CTRL_ATTR_FAMILY_NAME, "IPVS"),
             NLM_F_REQUEST)
    for ty, _, p in attrs(r[0][2][4:]):
        if ty == CTRL_ATTR_FAMILY_ID:
            return struct.unpack("=H", p)[0]
    raise SystemExit("no IPVS family")


def svc4(addr="10.0.0.1", port=80, proto=6, sched="rr", full=True, addr_bytes=None):
    a = [u16(S_AF, 2), u16(S_PROTO, proto),
         nla(S_ADDR, addr_bytes if addr_bytes is not None else socket.inet_aton(addr)),
         be16(S_PORT, port)]
    if full:
        a += [string(S_SCHED, sched), nla(S_FLAGS, struct.pack("=II", 0, 0xffffffff)),
              u32(S_TIMEOUT, 0), nla(S_NETMASK, b"\xff\xff\xff\xff")]
    return nest(A_SERVICE, *a)


def dst4(addr="10.0.1.2", port=8080, fwd=0, weight=1, af=None, full=True, extra=()):
    a = [nla(D_ADDR, socket.inet_aton(addr)) if "." in addr else ip6(D_ADDR, addr),
         be16(D_PORT, port)]
    if af is not None:
        a.append(u16(D_AF, af))
    if full:
        a += [u32(D_FWD, fwd), u32(D_WEIGHT, weight), u32(D_U, 0), u32(D_L, 0)]
    return nest(A_DEST, *a, *extra)


def main():
    fam = resolve()
    ack = NLM_F_REQUEST | NLM_F_ACK
    dump = NLM_F_REQUEST | NLM_F_DUMP
    show("GET_INFO", send(fam, GET_INFO))
    show("GET_INFO no ack", send(fam, GET_INFO, flags=NLM_F_REQUEST))
    show("GET_CONFIG", send(fam, GET_CONFIG))
    show("NEW_SERVICE 4-byte address", send(fam, NEW_SERVICE, svc4()))
    show("NEW_SERVICE again", send(fam, NEW_SERVICE, svc4()))
    show("NEW_SERVICE 16-byte address", send(fam, NEW_SERVICE, svc4(
        addr_bytes=socket.inet_aton("10.0.0.2") + bytes(12))))
    show("NEW_SERVICE no netmask", send(fam, NEW_SERVICE, nest(
        A_SERVICE, u16(S_AF, 2), u16(S_PROTO, 6), ip4(S_ADDR, "10.0.0.3"), be16(S_PORT, 80),
        string(S_SCHED, "rr"), nla(S_FLAGS, bytes(8)), u32(S_TIMEOUT, 0))))
    show("NEW_SERVICE no af", send(fam, NEW_SERVICE, nest(
        A_SERVICE, u16(S_PROTO, 6), ip4(S_ADDR, "10.0.0.3"), be16(S_PORT, 80))))
    show("NEW_SERVICE af 7", send(fam, NEW_SERVICE, nest(
        A_SERVICE, u16(S_AF, 7), u32(S_FWMARK, 3))))
    show("NEW_SERVICE sched unterminated", send(fam, NEW_SERVICE, nest(
        A_SERVICE, u16(S_AF, 2), u32(S_FWMARK, 4), nla(S_SCHED, b"rr"),
        nla(S_FLAGS, bytes(8)), u32(S_TIMEOUT, 0), u32(S_NETMASK, 0))))
    show("NEW_SERVICE sched too long", send(fam, NEW_SERVICE, nest(
        A_SERVICE, u16(S_AF, 2), u32(S_FWMARK, 4), string(S_SCHED, "r" * 16),
        nla(S_FLAGS, bytes(8)), u32(S_TIMEOUT, 0), u32(S_NETMASK, 0))))
    show("NEW_SERVICE port 1 byte", send(fam, NEW_SERVICE, nest(
        A_SERVICE, u16(S_AF, 2), u16(S_PROTO, 6), ip4(S_ADDR, "10.0.0.4"), nla(S_PORT, b"\1"),
        string(S_SCHED, "rr"), nla(S_FLAGS, bytes(8)), u32(S_TIMEOUT, 0),
        u32(S_NETMASK, 0))))
    show("NEW_SERVICE address 17 bytes", send(fam, NEW_SERVICE, svc4(addr_bytes=bytes(17))))
    show("NEW_SERVICE flags 4 bytes", send(fam, NEW_SERVICE, nest(
        A_SERVICE, u16(S_AF, 2), u32(S_FWMARK, 4), string(S_SCHED, "rr"),
        nla(S_FLAGS, bytes(4)), u32(S_TIMEOUT, 0), u32(S_NETMASK, 0))))
    show("NEW_SERVICE unknown nested attr", send(fam, NEW_SERVICE, nest(
        A_SERVICE, u16(S_AF, 2), u32(S_FWMARK, 4), string(S_SCHED, "wlc"),
        nla(S_FLAGS, bytes(8)), u32(S_TIMEOUT, 0), u32(S_NETMASK, 0), u32(40, 1))))
    show("NEW_SERVICE unknown top attr", send(fam, NEW_SERVICE, svc4("10.0.0.5") + u32(30, 0)))
    show("NEW_SERVICE service not nested", send(fam, NEW_SERVICE, nla(A_SERVICE, b"\1\2\3")))
    show("NEW_SERVICE no service", send(fam, NEW_SERVICE, u32(A_TCP, 5)))
    show("NEW_SERVICE ipv6 pe sip", send(fam, NEW_SERVICE, nest(
        A_SERVICE, u16(S_AF, 10), u16(S_PROTO, 17), ip6(S_ADDR, "2001:db8::1"),
        be16(S_PORT, 5060), string(S_SCHED, "rr"), string(S_PE, "sip"),
        nla(S_FLAGS, struct.pack("=II", 1, 1)), u32(S_TIMEOUT, 60), u32(S_NETMASK, 64))))
    show("NEW_SERVICE ipv6 netmask 129", send(fam, NEW_SERVICE, nest(
        A_SERVICE, u16(S_AF, 10), u16(S_PROTO, 17), ip6(S_ADDR, "2001:db8::2"),
        be16(S_PORT, 53), string(S_SCHED, "rr"), nla(S_FLAGS, bytes(8)),
        u32(S_TIMEOUT, 0), u32(S_NETMASK, 129))))
    show("SET_SERVICE flags mask", send(fam, SET_SERVICE, nest(
        A_SERVICE, u16(S_AF, 2), u32(S_FWMARK, 4), string(S_SCHED, "lc"),
        nla(S_FLAGS, struct.pack("=II", 0x10, 0x10)), u32(S_TIMEOUT, 5), u32(S_NETMASK, 0))))
    show("SET_SERVICE missing", send(fam, SET_SERVICE, svc4("10.9.9.9")))
    show("GET_SERVICE doit", send(fam, GET_SERVICE, svc4(full=False)))
    show("GET_SERVICE doit fwmark", send(fam, GET_SERVICE, nest(
        A_SERVICE, u16(S_AF, 2), u32(S_FWMARK, 4))))
    show("GET_SERVICE doit missing", send(fam, GET_SERVICE, svc4("10.9.9.9", full=False)))
    show("GET_SERVICE doit no service", send(fam, GET_SERVICE))

    show("NEW_DEST 4-byte address no af", send(fam, NEW_DEST, svc4(full=False) + dst4()))
    show("NEW_DEST again", send(fam, NEW_DEST, svc4(full=False) + dst4()))
    show("NEW_DEST fwd with extra bits", send(fam, NEW_DEST, svc4(full=False) + dst4(
        "10.0.1.3", fwd=0x2003, weight=2)))
    show("NEW_DEST ipv6 masq to ipv4 service", send(fam, NEW_DEST, svc4(full=False) + dst4(
        "2001:db8::9", af=10)))
    show("NEW_DEST ipv6 tunnel to ipv4 service", send(fam, NEW_DEST, svc4(full=False) + dst4(
        "2001:db8::9", fwd=2, af=10, extra=(u8(D_TUN_TYPE, 2), u16(D_TUN_FLAGS, 1)))))
    show("NEW_DEST af 3", send(fam, NEW_DEST, svc4(full=False) + dst4("10.0.1.4", af=3)))
    show("NEW_DEST gue no port", send(fam, NEW_DEST, svc4(full=False) + dst4(
        "10.0.1.4", fwd=2, extra=(u8(D_TUN_TYPE, 1),))))
    show("NEW_DEST no weight", send(fam, NEW_DEST, svc4(full=False) + nest(
        A_DEST, ip4(D_ADDR, "10.0.1.5"), be16(D_PORT, 1), u32(D_FWD, 0))))
    show("NEW_DEST no dest", send(fam, NEW_DEST, svc4(full=False)))
    show("NEW_DEST no service", send(fam, NEW_DEST, dst4()))
    show("NEW_DEST multicast", send(fam, NEW_DEST, svc4(full=False) + dst4("239.0.0.1")))
    show("SET_DEST weight -1", send(fam, SET_DEST, svc4(full=False) + dst4(weight=2**32 - 1)))
    show("SET_DEST", send(fam, SET_DEST, svc4(full=False) + dst4(weight=9, fwd=3)))
    show("GET_DEST dump", send(fam, GET_DEST, svc4(full=False), flags=dump))
    show("GET_DEST dump with ack", send(fam, GET_DEST, svc4(full=False), flags=dump | NLM_F_ACK))
    show("GET_DEST dump missing service", send(fam, GET_DEST, svc4("10.9.9.9", full=False),
                                               flags=dump))
    show("GET_DEST dump no service", send(fam, GET_DEST, flags=dump))
    show("GET_SERVICE dump empty nest", send(fam, GET_SERVICE, nest(A_SERVICE), flags=dump),
         sort=True)

    show("NEW_DAEMON with mixed-family dests", send(fam, NEW_DAEMON, nest(
        A_DAEMON, u32(M_STATE, 1), string(M_IFN, "lo"), u32(M_SYNCID, 1))))
    show("DEL_DEST ipv6", send(fam, DEL_DEST, svc4(full=False) + dst4(
        "2001:db8::9", af=10, full=False)))
    show("DEL_DEST again", send(fam, DEL_DEST, svc4(full=False) + dst4(
        "2001:db8::9", af=10, full=False)))
    show("NEW_DAEMON no daemon attr", send(fam, NEW_DAEMON))
    show("NEW_DAEMON no syncid", send(fam, NEW_DAEMON, nest(
        A_DAEMON, u32(M_STATE, 1), string(M_IFN, "lo"))))
    show("NEW_DAEMON ifname 16", send(fam, NEW_DAEMON, nest(
        A_DAEMON, u32(M_STATE, 1), string(M_IFN, "x" * 16), u32(M_SYNCID, 1))))
    show("NEW_DAEMON empty ifname", send(fam, NEW_DAEMON, nest(
        A_DAEMON, u32(M_STATE, 1), string(M_IFN, ""), u32(M_SYNCID, 1))))
    show("NEW_DAEMON unicast group", send(fam, NEW_DAEMON, nest(
        A_DAEMON, u32(M_STATE, 1), string(M_IFN, "lo"), u32(M_SYNCID, 1),
        ip4(M_GROUP, "10.0.0.1"))))
    show("NEW_DAEMON group6 short", send(fam, NEW_DAEMON, nest(
        A_DAEMON, u32(M_STATE, 2), string(M_IFN, "lo"), u32(M_SYNCID, 1),
        nla(M_GROUP6, b"\xff" * 8))))
    show("NEW_DAEMON state 0", send(fam, NEW_DAEMON, nest(
        A_DAEMON, u32(M_STATE, 0), string(M_IFN, "lo"), u32(M_SYNCID, 1))))
    show("NEW_DAEMON master", send(fam, NEW_DAEMON, nest(
        A_DAEMON, u32(M_STATE, 1), string(M_IFN, "lo"), u32(M_SYNCID, 300),
        u16(M_MAXLEN, 9000), u16(M_PORT, 7000), u8(M_TTL, 3))))
    show("NEW_DAEMON backup group6", send(fam, NEW_DAEMON, nest(
        A_DAEMON, u32(M_STATE, 2), string(M_IFN, "lo"), u32(M_SYNCID, 2),
        ip6(M_GROUP6, "ff02::99"))))
    # C's stop_sync_thread returns what kthread_stop returns: EINTR when a daemon's thread
    # has not run yet (it is stopped all the same). Give the threads time to start.
    time.sleep(1)
    show("GET_DAEMON", send(fam, GET_DAEMON, flags=dump))
    show("DEL_DAEMON no state", send(fam, DEL_DAEMON, nest(A_DAEMON)))
    show("DEL_DAEMON master", send(fam, DEL_DAEMON, nest(A_DAEMON, u32(M_STATE, 1))))
    show("DEL_DAEMON master again", send(fam, DEL_DAEMON, nest(A_DAEMON, u32(M_STATE, 1))))
    show("DEL_DAEMON backup", send(fam, DEL_DAEMON, nest(A_DAEMON, u32(M_STATE, 2))))
    show("GET_DAEMON empty", send(fam, GET_DAEMON, flags=dump))

    show("SET_CONFIG tcp only", send(fam, SET_CONFIG, u32(A_TCP, 1000)))
    show("SET_CONFIG udp 2 bytes", send(fam, SET_CONFIG, u16(A_UDP, 1)))
    show("SET_CONFIG too big", send(fam, SET_CONFIG, u32(A_TCP_FIN, 2**31 - 1)))
    show("GET_CONFIG", send(fam, GET_CONFIG))
    # Timeouts are kept in jiffies: at most INT_MAX / HZ seconds, 21474836 with the test
    # kernel's HZ=100 (beyond what ipvsadm lets one ask).
    show("SET_CONFIG tcp INT_MAX/HZ", send(fam, SET_CONFIG, u32(A_TCP, 2**31 // 100)))
    show("SET_CONFIG tcp INT_MAX/HZ + 1", send(fam, SET_CONFIG, u32(A_TCP, 2**31 // 100 + 1)))
    show("GET_CONFIG at the limit", send(fam, GET_CONFIG))
    show("SET_CONFIG restore", send(fam, SET_CONFIG, u32(A_TCP, 900)))
    show("ZERO all", send(fam, ZERO))
    show("ZERO service", send(fam, ZERO, svc4(full=False)))
    show("ZERO missing", send(fam, ZERO, svc4("10.9.9.9", full=False)))
    show("unknown command 18", send(fam, 18))
    show("unknown command 200", send(fam, 200))
    show("SET_INFO (reply-only command)", send(fam, SET_INFO))
    show("truncated genl header", send(fam, 0, raw=b"\x0f\x01"))
    show("attribute overruns message", send(fam, NEW_SERVICE,
                                            raw=struct.pack("=BBH", NEW_SERVICE, 1, 0) +
                                            struct.pack("=HH", 40, A_SERVICE) + bytes(8)))
    show("DEL_SERVICE", send(fam, DEL_SERVICE, svc4(full=False)))
    show("DEL_SERVICE again", send(fam, DEL_SERVICE, svc4(full=False)))
    show("FLUSH", send(fam, FLUSH))
    show("GET_SERVICE dump after flush", send(fam, GET_SERVICE, flags=dump), sort=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        fam = resolve()
        show("GET_INFO", send(fam, GET_INFO))
        show("FLUSH", send(fam, FLUSH))
    else:
        main()
