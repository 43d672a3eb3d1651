#!/usr/bin/env python3
"""Configures IPVS through pyroute2's IPVS API (an independent netlink encoder and decoder),
as a Python application would, and prints what it gets back: records as pyroute2 parses them,
and errors as the NetlinkError codes it raises. Services are printed sorted, since C lists
them in the order of a hash table with a random key; a service's real servers are printed in
the order they come, which is fixed: C adds each new one at the head of the service's list
(list_add_rcu in __ip_vs_update_dest), so they come newest first."""
from socket import IPPROTO_TCP, IPPROTO_UDP

from pyroute2 import IPVS, IPVSDest, IPVSService
from pyroute2.netlink.exceptions import NetlinkError

ipvs = IPVS()


def rec(obj):
    return "{" + ", ".join(f"{k}={obj[k]!r}" for k in sorted(obj, key=str)) + "}"


def call(label, fn, *args, **kwargs):
    try:
        result = fn(*args, **kwargs)
        if result is not None and not isinstance(result, (list, tuple)):
            result = list(result)
        print(f"{label}: ok")
        return result or []
    except NetlinkError as e:
        print(f"{label}: NetlinkError {e.code}")
        return []


def dump_services():
    for line in sorted(rec(IPVSService.from_message(m))
                       for m in call("dump services", ipvs.service, "dump")):
        print("   ", line)


def dump_dests(svc):
    msgs = call(f"dump dests of {svc.get('addr')}:{svc.get('port')}", ipvs.dest, "dump",
                service=svc)
    for line in (rec(IPVSDest.from_message(m)) for m in msgs):
        print("   ", line)


web = IPVSService(addr="10.1.0.1", port=80, protocol=IPPROTO_TCP)
dns = IPVSService(addr="10.1.0.1", port=53, protocol=IPPROTO_UDP, sched_name="rr",
                  timeout=300, flags={"flags": 1, "mask": 0xFFFF})
call("add web", ipvs.service, "add", service=web)
call("add web again", ipvs.service, "add", service=web)
call("add dns", ipvs.service, "add", service=dns)
call("add bad scheduler", ipvs.service, "add",
     service=IPVSService(addr="10.1.0.2", port=80, protocol=IPPROTO_TCP, sched_name="nope"))
call("add dest DR", ipvs.dest, "add", service=web, dest=IPVSDest(addr="10.1.1.2", port=80))
call("add dest NAT", ipvs.dest, "add", service=web,
     dest=IPVSDest(addr="10.1.1.3", port=8080, fwd_method=0, weight=3))
call("add dest again", ipvs.dest, "add", service=web, dest=IPVSDest(addr="10.1.1.3", port=8080))
call("add dest thresholds", ipvs.dest, "add", service=dns,
     dest=IPVSDest(addr="10.1.1.4", port=53, u_thresh=100, l_thresh=10, fwd_method=0))
call("add dest bad thresholds", ipvs.dest, "add", service=dns,
     dest=IPVSDest(addr="10.1.1.5", port=53, u_thresh=10, l_thresh=100))
call("add dest no service", ipvs.dest, "add",
     service=IPVSService(addr="10.9.9.9", port=1, protocol=IPPROTO_TCP),
     dest=IPVSDest(addr="10.1.1.2", port=80))
call("set dest weight", ipvs.dest, "set", service=web,
     dest=IPVSDest(addr="10.1.1.2", port=80, weight=7))
call("set dest missing", ipvs.dest, "set", service=web,
     dest=IPVSDest(addr="10.1.1.9", port=80, weight=7))
call("set web scheduler", ipvs.service, "set",
     service=IPVSService(addr="10.1.0.1", port=80, protocol=IPPROTO_TCP, sched_name="wrr"))
for m in call("get web", ipvs.service, "get", service=web):
    print("   ", rec(IPVSService.from_message(m)))
call("get missing", ipvs.service, "get",
     service=IPVSService(addr="10.9.9.9", port=1, protocol=IPPROTO_TCP))
dump_services()
dump_dests(web)
dump_dests(dns)
call("del dest", ipvs.dest, "del", service=web, dest=IPVSDest(addr="10.1.1.2", port=80))
call("del dest again", ipvs.dest, "del", service=web, dest=IPVSDest(addr="10.1.1.2", port=80))
dump_dests(web)
call("del web", ipvs.service, "del", service=web)
call("del web again", ipvs.service, "del", service=web)
dump_services()
call("del dns", ipvs.service, "del", service=dns)
dump_services()
