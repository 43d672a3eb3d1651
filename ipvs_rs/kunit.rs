// SPDX-License-Identifier: GPL-2.0

//! In-kernel tests (KUnit) of what the host tests cannot reach: the service list as the
//! control plane publishes it under RCU for the packet path, the real-server table it keeps
//! beside it, and the connection table. In a kernel with `CONFIG_KUNIT=y` (the test kernel)
//! they run when the module loads, unless it booted with `kunit.autorun=0` (the test guests
//! do): tests/guest/kunit.sh then runs them through debugfs and reads their results.

use crate::glue::kunit::kunit_suite;

kunit_suite! {
    ipvs_rs_services,
    mod services {
        use kernel::{
            prelude::*,
            sync::{rcu, Arc},
        };

        use crate::{
            addr::Addr,
            conn::{table::{ConnTable, Key, Made}, ConnRef, Side, Tuple},
            glue::rcu::RcuPtr,
            svc::request::{DestId, DestSettings, Name, ServiceId, ServiceSettings},
            svc::rs_table::RealServers,
            svc::service::{DestOp, ServiceTable, Services},
            uapi::{
                Af, CONN_F_DROUTE, CONN_F_MASQ, CONN_F_TUNNEL, PROTO_TCP as TCP, TUN_TYPE_GUE,
            },
        };

        fn v4(a: [u8; 4]) -> Addr {
            Addr::v4(a)
        }

        /// The IPv4 address of a destination request.
        fn v4_of(d: &DestId) -> Addr {
            Addr::from_inet(Af::Inet, d.addr)
        }

        /// The lookup key of an IPv4 TCP packet.
        fn tcp4<'a>(
            saddr: &'a Addr,
            sport: [u8; 2],
            daddr: &'a Addr,
            dport: [u8; 2],
        ) -> Key<'a> {
            Key {
                protocol: TCP,
                saddr,
                sport,
                daddr,
                dport,
            }
        }

        fn service(addr: [u8; 4], port: u16, fwmark: u32) -> ServiceId {
            ServiceId {
                protocol: if fwmark == 0 { u16::from(TCP) } else { 0 },
                addr: if fwmark == 0 {
                    v4(addr)
                } else {
                    Addr::unspecified(Af::Inet)
                },
                port: if fwmark == 0 {
                    port.to_be_bytes()
                } else {
                    [0; 2]
                },
                fwmark,
            }
        }

        fn settings() -> ServiceSettings {
            ServiceSettings {
                sched_name: Name::from_nul_string(b"rr\0"),
                pe_name: Name::default(),
                flags: 0,
                flags_mask: !0,
                timeout: 0,
                netmask: !0,
            }
        }

        fn dest(fwd: u32, tun_type: u8, tun_port: u16) -> DestSettings {
            DestSettings {
                fwd,
                weight: 1,
                u_threshold: 0,
                l_threshold: 0,
                tun_type,
                tun_port: tun_port.to_be_bytes(),
                tun_flags: 0,
            }
        }

        /// Whether the published list finds a service for a TCP packet to `addr:port` with
        /// mark `mark`, and which (by its mark).
        fn published_finds(
            published: &RcuPtr<ServiceTable>,
            mark: u32,
            addr: [u8; 4],
            port: u16,
        ) -> Option<u32> {
            let guard = rcu::read_lock();
            let table = published.get(&guard)?;
            table
                .find(mark, TCP, &v4(addr), port.to_be_bytes())
                .map(|s| s.id.fwmark)
        }

        #[test]
        fn publish_add_and_remove() -> Result {
            let published = Arc::new(RcuPtr::null(), GFP_KERNEL)?;
            let (real_servers, writer) = RealServers::new()?;
            let mut services = Services::new(published.clone(), writer);
            let vip = [10, 0, 0, 1];

            assert_eq!(published_finds(&published, 0, vip, 80), None);
            assert!(services.add(&service(vip, 80, 0), &settings()).is_ok());
            assert!(services.add(&service(vip, 0, 7), &settings()).is_ok());
            // The packet path sees both at once; a marked packet finds its mark's service
            // first, an unmarked one the address's, and another port none.
            assert_eq!(published_finds(&published, 0, vip, 80), Some(0));
            assert_eq!(published_finds(&published, 7, vip, 80), Some(7));
            assert_eq!(published_finds(&published, 0, vip, 81), None);

            // Real servers: a NAT server is filed under its port, a GUE server under its
            // tunnel port; a direct-routing one (not filed) is not found.
            let i = services.find(&service(vip, 80, 0)).ok_or(ENOENT)?;
            let nat = DestId {
                af: 0,
                addr: *v4([172, 16, 1, 2]).inet(),
                port: 8080u16.to_be_bytes(),
            };
            let gue = DestId {
                af: 0,
                addr: *v4([172, 16, 1, 3]).inet(),
                port: 8080u16.to_be_bytes(),
            };
            let add = |services: &mut Services, id: &DestId, s: DestSettings| {
                services
                    .dest_op(i, DestOp::Add, id, Some(&s), false, |_| true)
                    .is_ok()
            };
            assert!(add(&mut services, &nat, dest(CONN_F_MASQ, 0, 0)));
            assert!(add(&mut services, &gue, dest(CONN_F_TUNNEL, TUN_TYPE_GUE, 6080)));
            {
                let guard = rcu::read_lock();
                let found = real_servers.nat_server(&guard, TCP, &v4_of(&nat), nat.port);
                assert!(found.is_some_and(|r| r.svc.id.port == 80u16.to_be_bytes()));
                assert!(real_servers
                    .nat_server(&guard, TCP, &v4_of(&gue), gue.port)
                    .is_none());
            }
            assert_eq!(
                real_servers.tunnel_type(&v4_of(&gue), 6080u16.to_be_bytes()),
                Some(TUN_TYPE_GUE)
            );
            assert_eq!(
                real_servers.tunnel_type(&v4_of(&gue), 6081u16.to_be_bytes()),
                None
            );

            // Deleting the server takes it out of the table; removing the service takes it
            // out of the published list, its mark's service stays.
            assert!(services
                .dest_op(i, DestOp::Del, &nat, None, false, |_| true)
                .is_ok());
            {
                let guard = rcu::read_lock();
                assert!(real_servers
                    .nat_server(&guard, TCP, &v4_of(&nat), nat.port)
                    .is_none());
            }
            assert!(services.remove(i).is_ok());
            assert_eq!(published_finds(&published, 0, vip, 80), None);
            assert_eq!(published_finds(&published, 7, vip, 80), Some(7));
            assert_eq!(
                real_servers.tunnel_type(&v4_of(&gue), 6080u16.to_be_bytes()),
                None
            );
            assert!(services.flush().is_ok());
            assert_eq!(published_finds(&published, 7, vip, 80), None);
            Ok(())
        }

        #[test]
        fn connections_both_ways() -> Result {
            let published = Arc::new(RcuPtr::null(), GFP_KERNEL)?;
            let (_real_servers, writer) = RealServers::new()?;
            let mut services = Services::new(published, writer);
            let vip = [10, 0, 0, 1];
            assert!(services.add(&service(vip, 80, 0), &settings()).is_ok());
            let i = services.find(&service(vip, 80, 0)).ok_or(ENOENT)?;
            for (last, fwd) in [(2, CONN_F_MASQ), (3, CONN_F_DROUTE)] {
                let id = DestId {
                    af: 0,
                    addr: *v4([172, 16, 1, last]).inet(),
                    port: 8080u16.to_be_bytes(),
                };
                assert!(services
                    .dest_op(
                        i,
                        DestOp::Add,
                        &id,
                        Some(&dest(fwd, 0, 0)),
                        false,
                        |_| true
                    )
                    .is_ok());
            }
            let svc = services.get(i).ok_or(ENOENT)?;
            let table = Arc::pin_init(ConnTable::new(-4), GFP_KERNEL)?;
            let client = v4([10, 0, 0, 2]);
            let cport = 40000u16.to_be_bytes();
            let vport = 80u16.to_be_bytes();
            let dport = 8080u16.to_be_bytes();
            let mut conns = KVec::new();
            for d in svc.dests.iter() {
                let tuple = Tuple {
                    protocol: TCP,
                    caddr: client,
                    cport,
                    vaddr: v4(vip),
                    vport,
                    daddr: d.addr,
                    dport,
                };
                // A connection to each server from the same client port: the NAT one first.
                let c = table.create(
                    tuple,
                    d.clone(),
                    svc.shared.clone(),
                    0,
                    Made::Conn(None),
                    i32::MAX,
                )?;
                conns.push(c, GFP_KERNEL)?;
                if conns.len() == 1 {
                    // A client's packet finds the NAT connection, so does its server's reply.
                    let (vaddr, first) = (v4(vip), &conns[0]);
                    let found = table.lookup(Side::In, tcp4(&client, cport, &vaddr, vport));
                    assert!(found.is_some_and(|f| ConnRef::ptr_eq(&f, first)));
                    let daddr = &d.addr;
                    let reply = table.lookup(Side::Out, tcp4(daddr, dport, &client, cport));
                    assert!(reply.is_some_and(|f| ConnRef::ptr_eq(&f, first)));
                }
            }
            // Another client port, or UDP, is another flow.
            let other = 40001u16.to_be_bytes();
            assert!(table
                .lookup(Side::In, tcp4(&client, other, &v4(vip), vport))
                .is_none());
            assert!(table
                .lookup(
                    Side::In,
                    Key {
                        protocol: 17,
                        ..tcp4(&client, cport, &v4(vip), vport)
                    }
                )
                .is_none());
            // Removed connections are gone both ways, and the table is empty again.
            for c in conns.iter() {
                table.remove(c);
            }
            assert!(table
                .lookup(Side::In, tcp4(&client, cport, &v4(vip), vport))
                .is_none());
            let rs = v4([172, 16, 1, 2]);
            let reply = table.lookup(Side::Out, tcp4(&rs, dport, &client, cport));
            assert!(reply.is_none());
            let mut listed = 0;
            assert!(table
                .for_each(|_| {
                    listed += 1;
                    Ok(())
                })
                .is_ok());
            assert_eq!(listed, 0);
            table.flush();
            assert!(services.flush().is_ok());
            Ok(())
        }
        #[test]
        fn connection_table_resizes_keeping_every_connection() -> Result {
            let published = Arc::new(RcuPtr::null(), GFP_KERNEL)?;
            let (_real_servers, writer) = RealServers::new()?;
            let mut services = Services::new(published, writer);
            let vip = [10, 0, 0, 1];
            assert!(services.add(&service(vip, 80, 0), &settings()).is_ok());
            let i = services.find(&service(vip, 80, 0)).ok_or(ENOENT)?;
            let id = DestId {
                af: 0,
                addr: *v4([172, 16, 1, 2]).inet(),
                port: 8080u16.to_be_bytes(),
            };
            assert!(services
                .dest_op(i, DestOp::Add, &id, Some(&dest(CONN_F_MASQ, 0, 0)), false, |_| true)
                .is_ok());
            let svc = services.get(i).ok_or(ENOENT)?;
            let d = svc.dests.iter().next().ok_or(ENOENT)?;
            let table = Arc::pin_init(ConnTable::new(-4), GFP_KERNEL)?;
            assert_eq!(table.size(), 256);
            let (vaddr, vport, dport) = (v4(vip), 80u16.to_be_bytes(), 8080u16.to_be_bytes());
            let client = |k: usize| (v4([10, 1, (k / 250) as u8, (k % 250) as u8 + 1]), (40000 + k as u16).to_be_bytes());
            let mut conns = KVec::new();
            for k in 0..200 {
                let (caddr, cport) = client(k);
                let tuple = Tuple { protocol: TCP, caddr, cport, vaddr, vport, daddr: d.addr, dport };
                let c = table.create(tuple, d.clone(), svc.shared.clone(), 0, Made::Conn(None), i32::MAX)?;
                conns.push(c, GFP_KERNEL)?;
            }
            // 200 NAT connections (400 links) with load factor -4: the largest table (more than
            // 128 need it).
            assert!(table.wants_growing());
            assert_eq!(table.check_size(), 2 * crate::glue::time::HZ);
            assert_eq!(table.size(), 4096);
            for (k, c) in conns.iter().enumerate() {
                let (caddr, cport) = client(k);
                let found = table.lookup(Side::In, tcp4(&caddr, cport, &vaddr, vport));
                assert!(found.is_some_and(|f| ConnRef::ptr_eq(&f, c)));
                let reply = table.lookup(Side::Out, tcp4(&d.addr, dport, &caddr, cport));
                assert!(reply.is_some_and(|f| ConnRef::ptr_eq(&f, c)));
            }
            let mut listed = 0;
            assert!(table.for_each(|_| { listed += 1; Ok(()) }).is_ok());
            assert_eq!(listed, 200);
            for c in conns.iter() {
                table.remove(c);
            }
            // Empty again: back to the smallest size.
            table.check_size();
            assert_eq!(table.size(), 256);
            table.flush();
            assert!(services.flush().is_ok());
            Ok(())
        }
        #[test]
        fn connection_timers_end_connections() -> Result {
            let published = Arc::new(RcuPtr::null(), GFP_KERNEL)?;
            let (_real_servers, writer) = RealServers::new()?;
            let mut services = Services::new(published, writer);
            let vip = [10, 0, 0, 1];
            assert!(services.add(&service(vip, 80, 0), &settings()).is_ok());
            let i = services.find(&service(vip, 80, 0)).ok_or(ENOENT)?;
            let id = DestId {
                af: 0,
                addr: *v4([172, 16, 1, 3]).inet(),
                port: 8080u16.to_be_bytes(),
            };
            assert!(services
                .dest_op(i, DestOp::Add, &id, Some(&dest(CONN_F_DROUTE, 0, 0)), false, |_| true)
                .is_ok());
            let svc = services.get(i).ok_or(ENOENT)?;
            let d = svc.dests.iter().next().ok_or(ENOENT)?;
            let table = Arc::pin_init(ConnTable::new(-4), GFP_KERNEL)?;
            let (vaddr, vport) = (v4(vip), 80u16.to_be_bytes());
            let caddr = v4([10, 1, 0, 1]);
            let mut conns = KVec::new();
            for k in 0..3u16 {
                let tuple = Tuple {
                    protocol: TCP,
                    caddr,
                    cport: (40000 + k).to_be_bytes(),
                    vaddr,
                    vport,
                    daddr: d.addr,
                    dport: 8080u16.to_be_bytes(),
                };
                let c = table.create(tuple, d.clone(), svc.shared.clone(), 0, Made::Conn(None), i32::MAX)?;
                conns.push(c, GFP_KERNEL)?;
            }
            let hz = crate::glue::time::HZ;
            // The first ends in 100 ms (sooner than its 3 s: its timer moves); the second is
            // kept for a minute (later: its timer waits for the new time); the third keeps its
            // 3 s.
            conns[0].set_timeout(hz / 10);
            conns[0].touch();
            conns[1].set_timeout(60 * hz);
            conns[1].touch();
            let found = |k: u16| {
                let cport = (40000 + k).to_be_bytes();
                table.lookup(Side::In, tcp4(&caddr, cport, &vaddr, vport)).is_some()
            };
            kernel::time::delay::fsleep(kernel::time::Delta::from_millis(500));
            let early = [found(0), found(1), found(2)];
            kernel::time::delay::fsleep(kernel::time::Delta::from_millis(3000));
            let later = [found(1), found(2)];
            // Ended early, it goes at once, timer and all.
            table.remove(&conns[1]);
            let removed = found(1);
            // Flushed before asserting: a failed assertion ends the test at once, and no timer
            // may outlive it.
            table.flush();
            assert!(services.flush().is_ok());
            assert_eq!(early, [false, true, true]);
            assert_eq!(later, [true, false]);
            assert!(!removed);
            Ok(())
        }
        #[test]
        fn route_cache_keeps_a_route_until_forgotten() -> Result {
            use crate::glue::{
                net::Net,
                route::{Route, RouteCache},
                verdict::Family,
            };
            use core::cell::Cell;
            let cache = RouteCache::new()?;
            let lookups = Cell::new(0);
            let mut loopback = [0u8; 16];
            loopback[..4].copy_from_slice(&[127, 0, 0, 1]);
            let route = |keep: bool| {
                let lookup = || {
                    lookups.set(lookups.get() + 1);
                    Route::output(Net::init(), Family::Ipv4, &loopback, false, false)
                };
                cache.route(lookup, || keep).is_some()
            };
            // Looked up once, then kept.
            let found = [route(true), route(true), route(true)];
            let first = lookups.get();
            cache.forget();
            let again = route(true);
            let after_forgetting = lookups.get();
            // Not allowed to keep it: every packet looks it up.
            cache.forget();
            let unkept = [route(false), route(false)];
            assert_eq!(found, [true; 3]);
            assert_eq!(first, 1);
            assert!(again);
            assert_eq!(after_forgetting, 2);
            assert_eq!(unkept, [true; 2]);
            assert_eq!(lookups.get(), 4);
            Ok(())
        }
    }
}
