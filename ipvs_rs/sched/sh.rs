// SPDX-License-Identifier: GPL-2.0

//! `sh`, source hashing: a connection goes to the server a 256-bucket table assigns to its
//! source address (and port, with `sh-port`), each server taking as many buckets in a row as
//! its weight. With `sh-fallback` an unavailable server's clients go to the next available
//! bucket's server. Table, hash and fallback walk are C's, so a C director and this one send a
//! client to the same server.

use super::{hash_32, Candidate, Flow, Scheduler};

/// `CONFIG_IP_VS_SH_TAB_BITS` of the kernels we build.
const TAB_BITS: u32 = 8;
const TAB_SIZE: usize = 1 << TAB_BITS;
const TAB_MASK: u32 = TAB_SIZE as u32 - 1;

/// `IP_VS_SVC_F_SCHED_SH_FALLBACK` (`IP_VS_SVC_F_SCHED1`).
const SH_FALLBACK: u32 = 0x0008;
/// `IP_VS_SVC_F_SCHED_SH_PORT` (`IP_VS_SVC_F_SCHED2`).
const SH_PORT: u32 = 0x0010;

/// The bucket table: a server index per bucket.
pub(crate) struct SourceHashing {
    buckets: [Option<u16>; TAB_SIZE],
}

impl Default for SourceHashing {
    fn default() -> Self {
        Self {
            buckets: [None; TAB_SIZE],
        }
    }
}

/// `ip_vs_sh_hashkey`.
fn hashkey(addr: u32, port: u16, offset: u32) -> usize {
    (offset.wrapping_add(hash_32(u32::from(port).wrapping_add(addr), TAB_BITS)) & TAB_MASK) as usize
}

/// C's `is_unavailable`.
fn unavailable(d: &impl Candidate) -> bool {
    d.weight() <= 0 || d.overloaded()
}

impl SourceHashing {
    /// `ip_vs_sh_reassign`: the servers take the buckets in list order, each for as many
    /// buckets in a row as its weight (at least one), round and round.
    fn reassign<C: Candidate>(&mut self, dests: &[C]) {
        let n = dests.len().min(usize::from(u16::MAX));
        let (mut d, mut count) = (0usize, 0i32);
        for b in self.buckets.iter_mut() {
            if n == 0 {
                *b = None;
                continue;
            }
            *b = Some(d as u16);
            count += 1;
            if count >= dests[d].weight() {
                d = (d + 1) % n;
                count = 0;
            }
        }
    }

    /// `ip_vs_sh_get`.
    fn get<C: Candidate>(&self, dests: &[C], addr: u32, port: u16) -> Option<usize> {
        let i = usize::from(self.buckets[hashkey(addr, port, 0)]?);
        dests.get(i).filter(|d| !unavailable(*d)).map(|_| i)
    }

    /// `ip_vs_sh_get_fallback`: the bucket's server, or the first available one of the
    /// buckets C's walk visits next.
    fn get_fallback<C: Candidate>(&self, dests: &[C], addr: u32, port: u16) -> Option<usize> {
        let ihash = hashkey(addr, port, 0);
        let i = usize::from(self.buckets[ihash]?);
        if !unavailable(dests.get(i)?) {
            return Some(i);
        }
        for offset in 0..TAB_SIZE {
            let roffset = ((offset + ihash) % TAB_SIZE) as u32;
            let i = usize::from(self.buckets[hashkey(addr, port, roffset)]?);
            if !unavailable(dests.get(i)?) {
                return Some(i);
            }
        }
        None
    }
}

impl Scheduler for SourceHashing {
    fn schedule<C: Candidate>(&mut self, dests: &[C], flow: &Flow) -> Option<usize> {
        let addr = flow.fold(&flow.saddr);
        // TCP, UDP and SCTP keep the port in the same place; other protocols hash port 0.
        let port = if flow.svc_flags & SH_PORT != 0 {
            u16::from_be_bytes(flow.sport)
        } else {
            0
        };
        if flow.svc_flags & SH_FALLBACK != 0 {
            self.get_fallback(dests, addr, port)
        } else {
            self.get(dests, addr, port)
        }
    }

    fn dests_changed<C: Candidate>(&mut self, dests: &[C]) {
        self.reassign(dests);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::{ANY, D};
    use super::*;
    use crate::{addr::Addr, uapi::Af};
    use std::net::IpAddr;

    #[test]
    fn weights_fill_buckets_in_a_row() {
        let dests = [D::new(1, 2), D::new(2, 0), D::new(3, 1)];
        let mut sh = SourceHashing::default();
        sh.dest_added(&dests);
        let first: Vec<_> = sh.buckets[..8].iter().map(|b| b.unwrap()).collect();
        assert_eq!(first, [0, 0, 1, 2, 0, 0, 1, 2]);
    }

    /// C's choices for many flows: tests/fixtures/sched-c.txt, recorded in a guest with the C
    /// module by tests/fixtures/record-sched.sh (its header says how to regenerate it).
    const C_FIXTURE: &str = include_str!("../../tests/fixtures/sched-c.txt");

    /// A real server of a fixture block.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Server {
        addr: Addr,
        port: u16,
        pub(crate) weight: i32,
        pub(crate) last_weight: i32,
    }

    impl Candidate for Server {
        fn weight(&self) -> i32 {
            self.weight
        }
        fn last_weight(&self) -> i32 {
            self.last_weight
        }
        fn addr(&self) -> Addr {
            self.addr
        }
        fn port(&self) -> [u8; 2] {
            self.port.to_be_bytes()
        }
        fn overloaded(&self) -> bool {
            false
        }
        fn active_conns(&self) -> i32 {
            0
        }
        fn total_conns(&self) -> i32 {
            0
        }
    }

    /// One service of the fixture and the flows C scheduled through it.
    #[derive(Debug)]
    pub(crate) struct Block {
        /// The fixture's `service` line, for messages.
        pub(crate) service: String,
        /// The service's address family.
        pub(crate) af: Af,
        /// Servers in the order they were added, with their final weights.
        pub(crate) servers: Vec<Server>,
        /// Each flow's fixture line number, the flow, and the server C chose (its place in
        /// `servers`).
        pub(crate) flows: Vec<(usize, Flow, Option<usize>)>,
    }

    fn parse_addr(text: &str) -> Addr {
        match text.parse::<IpAddr>().expect(text) {
            IpAddr::V4(v4) => Addr::v4(v4.octets()),
            IpAddr::V6(v6) => Addr::v6(v6.octets()),
        }
    }

    /// The fixture's blocks for scheduler `sched`.
    pub(crate) fn c_fixture(sched: &str) -> Vec<Block> {
        let mut blocks: Vec<Block> = Vec::new();
        let mut vaddr = Addr::v4([0; 4]);
        let mut svc_flags = 0;
        // Whether the lines are of a block of `sched`.
        let mut ours = false;
        for (n, line) in C_FIXTURE.lines().enumerate() {
            let t: Vec<&str> = line.split_whitespace().collect();
            let bad = || -> ! { panic!("sched-c.txt line {}: {line}", n + 1) };
            match t.as_slice() {
                [] => {}
                [c, ..] if c.starts_with('#') => {}
                ["service", s, flags, addr, _port] => {
                    ours = *s == sched;
                    if !ours {
                        continue;
                    }
                    // ipvsadm's names: IP_VS_SVC_F_SCHED1 is the fallback, SCHED2 the port.
                    svc_flags = 0;
                    for f in flags.split(',').filter(|f| *f != "-") {
                        svc_flags |= match f.strip_prefix(sched) {
                            Some("-fallback") => 0x0008,
                            Some("-port") => 0x0010,
                            _ => bad(),
                        };
                    }
                    vaddr = parse_addr(addr);
                    let af = vaddr.af();
                    blocks.push(Block {
                        service: line.to_string(),
                        af,
                        servers: Vec::new(),
                        flows: Vec::new(),
                    });
                }
                _ if !ours => {}
                ["server", addr, port, weight, last] => {
                    let b = blocks.last_mut().unwrap();
                    b.servers.push(Server {
                        addr: parse_addr(addr),
                        port: port.parse().unwrap_or_else(|_| bad()),
                        weight: weight.parse().unwrap_or_else(|_| bad()),
                        last_weight: last.parse().unwrap_or_else(|_| bad()),
                    });
                }
                ["flow", addr, port, server] => {
                    let b = blocks.last_mut().unwrap();
                    let port: u16 = port.parse().unwrap_or_else(|_| bad());
                    let flow = Flow {
                        af: b.af,
                        saddr: parse_addr(addr),
                        daddr: vaddr,
                        sport: port.to_be_bytes(),
                        svc_flags,
                        ..ANY
                    };
                    let chosen = (*server != "-").then(|| server.parse().unwrap_or_else(|_| bad()));
                    b.flows.push((n + 1, flow, chosen));
                }
                _ => bad(),
            }
        }
        blocks
    }

    impl Block {
        /// Replays the block's configuration as C saw it, each step handing `changed` the
        /// servers newest first, the order C keeps them in (and service.rs gives them): the
        /// servers added one by one with weight `last_weight`, then the quiesced ones edited to
        /// weight 0. Returns that final list.
        pub(crate) fn replay(&self, mut changed: impl FnMut(&[Server], bool)) -> Vec<Server> {
            let mut list: Vec<Server> = Vec::new();
            for s in &self.servers {
                list.insert(
                    0,
                    Server {
                        weight: s.last_weight,
                        ..*s
                    },
                );
                changed(&list, true);
            }
            let n = list.len();
            for (i, s) in self.servers.iter().enumerate() {
                if s.weight != s.last_weight {
                    list[n - 1 - i].weight = s.weight;
                    changed(&list, false);
                }
            }
            list
        }

        /// Checks `schedule` against C's choice for every flow; returns the flows checked and
        /// a line for each that differs.
        pub(crate) fn check(
            &self,
            dests: &[Server],
            mut schedule: impl FnMut(&Flow) -> Option<usize>,
        ) -> (usize, Vec<String>) {
            let n = dests.len();
            let mut differ = Vec::new();
            for (line, flow, c) in &self.flows {
                // Our list is newest first: place i is the (n - 1 - i)th server added.
                let ours = schedule(flow).map(|i| n - 1 - i);
                if ours != *c {
                    differ.push(format!(
                        "line {line} ({}): C {c:?}, ours {ours:?}",
                        self.service
                    ));
                }
            }
            (self.flows.len(), differ)
        }
    }

    /// Every flow of the fixture's sh blocks goes to the server C sent it to (or to none where
    /// C chose none): equal, unequal and zero weights, weights beyond the table, many servers,
    /// sh-port, sh-fallback past quiesced servers, IPv4 and IPv6.
    #[test]
    fn same_servers_as_c() {
        let blocks = c_fixture("sh");
        assert!(
            blocks.len() >= 5,
            "sh blocks in sched-c.txt: {}",
            blocks.len()
        );
        let (mut flows, mut differ) = (0, Vec::new());
        for b in &blocks {
            let mut sh = SourceHashing::default();
            let dests = b.replay(|list, added| {
                if added {
                    sh.dest_added(list)
                } else {
                    sh.dest_updated(list)
                }
            });
            let (n, d) = b.check(&dests, |f| sh.schedule(&dests, f));
            assert!(n > 0, "no flows: {}", b.service);
            flows += n;
            differ.extend(d);
        }
        assert!(
            differ.is_empty(),
            "{} of {flows} flows differ from C:\n{}",
            differ.len(),
            differ.join("\n")
        );
    }
}
