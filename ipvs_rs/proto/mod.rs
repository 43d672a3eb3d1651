// SPDX-License-Identifier: GPL-2.0

//! Protocols (C's `ip_vs_proto*.c`): the transport protocols IPVS balances, one file each
//! ([`tcp`], [`udp`], [`sctp`]) behind one trait, [`TransportProtocol`] (C's
//! `struct ip_vs_protocol`); the IP and ICMP headers IPVS reads and rewrites ([`packet`]); the
//! timeouts user space sets; and the tunnels to real servers.
//!
//! The packet path and the connections do not name a protocol: they hold a [`Transport`], a
//! [`StateEvent`] or a [`ProtoState`], whose methods pass each call to the protocol's trait
//! implementation (a `match` the compiler checks, made by `transports!` from one list).

use core::fmt::Debug;

use crate::uapi::Protocol;

pub(crate) mod packet;
pub(crate) mod sctp;
pub(crate) mod tcp;
pub(crate) mod timeouts;
pub(crate) mod tunnel;
pub(crate) mod udp;

/// Which way a packet goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// From the client (`IP_VS_DIR_INPUT`).
    Input,
    /// From the real server (`IP_VS_DIR_OUTPUT`).
    Output,
}

/// How NAT keeps a transport header's checksum right when it rewrites an address and a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Checksum {
    /// The Internet checksum at byte `at` of the header, over a pseudo header with the
    /// addresses: updated for the changed words.
    Internet {
        /// Offset of the checksum in the transport header.
        at: usize,
        /// Whether zero means "no checksum" (UDP over IPv4), and so a computed zero is sent as
        /// all ones.
        optional: bool,
    },
    /// A CRC32c over the packet without addresses (SCTP): computed anew when a port changed.
    Crc32c,
}

/// Where a state's timeout comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StateTimeout {
    /// A fixed number of seconds.
    Seconds(u32),
    /// The TCP ESTABLISHED timeout user space sets.
    TcpEstablished,
    /// The TCP FIN_WAIT timeout user space sets.
    TcpFinWait,
    /// The UDP timeout user space sets.
    Udp,
}

/// The `sloppy_*` sysctls: whether any packet, not only one that opens a connection, may
/// schedule one.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sloppy {
    /// `sloppy_tcp`.
    pub(crate) tcp: bool,
    /// `sloppy_sctp`.
    pub(crate) sctp: bool,
}

/// A transport protocol IPVS balances, as C's `struct ip_vs_protocol` describes one: how much of
/// its header a packet must have, what a packet tells a connection's state machine, which
/// packets schedule a connection, the states with their names, timeouts and meaning for the
/// real server's counts, and how NAT keeps its checksum.
pub(crate) trait TransportProtocol {
    /// Its IP protocol.
    const PROTOCOL: Protocol;
    /// Header bytes read from every packet: the ports first, then whatever moves the state.
    const READ_LEN: usize;
    /// Header bytes NAT rewrites: the ports and the checksum.
    const NAT_LEN: usize;
    /// How NAT keeps its checksum.
    const CHECKSUM: Checksum;
    /// Its connection states (C's `IP_VS_*_S_*` numbers).
    type State: Copy + Eq + Debug;
    /// What a packet tells the state machine.
    type Event: Copy + Debug;
    /// A new connection's state.
    const INITIAL: Self::State;
    /// Whether [`Self::INITIAL`] is the only state and no transition changes `no_output`: a
    /// packet then changes nothing that a connection keeps under its lock, so it takes none
    /// (C's `udp_state_transition` takes no `cp->lock` either).
    const FIXED: bool = false;

    /// The event of a packet whose first [`Self::READ_LEN`] header bytes are `header` (`None`
    /// if it does not have them); `read_at(offset, buf)` reads more of the header, from
    /// `offset` bytes in.
    fn event(
        header: Option<&[u8]>,
        read_at: impl FnMut(usize, &mut [u8]) -> bool,
    ) -> Option<Self::Event>;
    /// Whether a packet of `event` opens a connection (`is_new_conn`).
    fn is_new_conn(event: Self::Event) -> bool;
    /// Whether a packet of `event` may be scheduled to a new connection (the test of C's
    /// `pp->conn_schedule`).
    fn schedules(event: Self::Event, sloppy: Sloppy) -> bool;
    /// Whether a packet of `event` ends its connection (a TCP RST, an SCTP ABORT), so that no
    /// ICMP error answers it.
    fn ends_conn(event: Self::Event) -> bool;
    /// The state after a packet of `event` going `dir` (`pp->state_transition`). `no_output`
    /// is the connection's `IP_VS_CONN_F_NOOUTPUT` (replies bypass the director), which the
    /// first reply clears; `secure_tcp` is the defence's strict table.
    fn next_state(
        state: Self::State,
        dir: Direction,
        event: Self::Event,
        no_output: &mut bool,
        secure_tcp: bool,
    ) -> Self::State;
    /// Whether a connection in `state` counts as active on its real server.
    fn is_active(state: Self::State) -> bool;
    /// Whether moving from `old` to `new` on a packet going `dir` shows that the connection got
    /// going, which assures the template that made it (`ip_vs_control_assure_ct`).
    fn assures_control(old: Self::State, new: Self::State, dir: Direction) -> bool;
    /// Whether a new connection is expected on the tuple of one in `state`
    /// (`is_new_conn_expected`); `no_output` as above, `conn_reuse_mode` the sysctl.
    fn expects_new(state: Self::State, no_output: bool, conn_reuse_mode: i32) -> bool;
    /// How long a connection in `state` lives after its last packet.
    fn timeout(state: Self::State) -> StateTimeout;
    /// The state's name in `/proc/net/ip_vs_conn` (`pp->state_name`).
    fn state_name(state: Self::State) -> &'static str;
}

/// Makes [`Transport`], [`StateEvent`] and [`ProtoState`] from the list of protocols, each
/// method passing to the protocol's [`TransportProtocol`] implementation.
macro_rules! transports {
    ($($variant:ident($ty:ty),)*) => {
        /// A transport protocol IPVS balances.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Transport {
            $(#[doc = concat!("[`", stringify!($ty), "`].")] $variant,)*
        }

        /// What a packet tells its connection's state machine.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum StateEvent {
            $(#[doc = concat!("[`", stringify!($ty), "`]'s.")]
              $variant(<$ty as TransportProtocol>::Event),)*
        }

        /// A connection's protocol state.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum ProtoState {
            $(#[doc = concat!("[`", stringify!($ty), "`]'s.")]
              $variant(<$ty as TransportProtocol>::State),)*
        }

        /// The most [`TransportProtocol::READ_LEN`] of any.
        pub(crate) const MAX_READ_LEN: usize = {
            let mut max = 0;
            $(if <$ty>::READ_LEN > max {
                max = <$ty>::READ_LEN;
            })*
            max
        };

        impl Transport {
            /// The balanced protocol `protocol` is, if it is one.
            pub(crate) fn of(protocol: Protocol) -> Option<Self> {
                $(if protocol == <$ty>::PROTOCOL {
                    return Some(Self::$variant);
                })*
                None
            }

            /// [`TransportProtocol::READ_LEN`].
            pub(crate) fn read_len(self) -> usize {
                match self { $(Self::$variant => <$ty>::READ_LEN,)* }
            }

            /// [`TransportProtocol::NAT_LEN`].
            pub(crate) fn nat_len(self) -> usize {
                match self { $(Self::$variant => <$ty>::NAT_LEN,)* }
            }

            /// [`TransportProtocol::CHECKSUM`].
            pub(crate) fn checksum(self) -> Checksum {
                match self { $(Self::$variant => <$ty>::CHECKSUM,)* }
            }

            /// The only state of a [`TransportProtocol::FIXED`] protocol.
            pub(crate) fn fixed(self) -> Option<ProtoState> {
                match self {
                    $(Self::$variant => <$ty>::FIXED.then_some(ProtoState::$variant(<$ty>::INITIAL)),)*
                }
            }

            /// [`TransportProtocol::INITIAL`].
            pub(crate) fn initial(self) -> ProtoState {
                match self { $(Self::$variant => ProtoState::$variant(<$ty>::INITIAL),)* }
            }

            /// [`TransportProtocol::event`].
            pub(crate) fn event(
                self,
                header: Option<&[u8]>,
                read_at: impl FnMut(usize, &mut [u8]) -> bool,
            ) -> Option<StateEvent> {
                match self {
                    $(Self::$variant => <$ty>::event(header, read_at).map(StateEvent::$variant),)*
                }
            }
        }

        impl StateEvent {
            /// [`TransportProtocol::is_new_conn`].
            pub(crate) fn is_new_conn(self) -> bool {
                match self { $(Self::$variant(e) => <$ty>::is_new_conn(e),)* }
            }

            /// [`TransportProtocol::schedules`].
            pub(crate) fn schedules(self, sloppy: Sloppy) -> bool {
                match self { $(Self::$variant(e) => <$ty>::schedules(e, sloppy),)* }
            }

            /// [`TransportProtocol::ends_conn`].
            pub(crate) fn ends_conn(self) -> bool {
                match self { $(Self::$variant(e) => <$ty>::ends_conn(e),)* }
            }
        }

        impl ProtoState {
            /// The state after a packet of `event` going `dir`, and whether the change assures
            /// the connection's template ([`TransportProtocol::next_state`],
            /// [`TransportProtocol::assures_control`]); `None` for an event of another
            /// protocol.
            #[inline]
            pub(crate) fn next(
                self,
                dir: Direction,
                event: StateEvent,
                no_output: &mut bool,
                secure_tcp: bool,
            ) -> Option<(Self, bool)> {
                match (self, event) {
                    $((Self::$variant(old), StateEvent::$variant(e)) => {
                        let new = <$ty>::next_state(old, dir, e, no_output, secure_tcp);
                        Some((Self::$variant(new), <$ty>::assures_control(old, new, dir)))
                    })*
                    _ => None,
                }
            }

            /// [`TransportProtocol::is_active`].
            pub(crate) fn is_active(self) -> bool {
                match self { $(Self::$variant(s) => <$ty>::is_active(s),)* }
            }

            /// [`TransportProtocol::expects_new`].
            pub(crate) fn expects_new(self, no_output: bool, conn_reuse_mode: i32) -> bool {
                match self {
                    $(Self::$variant(s) => <$ty>::expects_new(s, no_output, conn_reuse_mode),)*
                }
            }

            /// [`TransportProtocol::timeout`].
            #[inline]
            pub(crate) fn timeout(self) -> StateTimeout {
                match self { $(Self::$variant(s) => <$ty>::timeout(s),)* }
            }

            /// [`TransportProtocol::state_name`].
            pub(crate) fn name(self) -> &'static str {
                match self { $(Self::$variant(s) => <$ty>::state_name(s),)* }
            }
        }
    };
}

transports! {
    Tcp(tcp::Tcp),
    Udp(udp::Udp),
    Sctp(sctp::Sctp),
}

/// A connection's state (C's `cp->state`, read by its protocol's rules or a template's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConnState {
    /// A connection of a protocol IPVS balances.
    Proto(ProtoState),
    /// A persistence template: `assured` once a connection it made got going
    /// (`IP_VS_CTPL_S_ASSURED`; a new one is `IP_VS_CTPL_S_NONE`).
    Template {
        /// Whether it is assured.
        assured: bool,
    },
    /// A connection of another protocol (the packet path makes none).
    Other,
}

impl ConnState {
    /// A new connection's state: a template's if `template`, else `protocol`'s first.
    pub(crate) fn new(protocol: Protocol, template: bool) -> Self {
        match Transport::of(protocol) {
            _ if template => Self::Template { assured: false },
            Some(t) => Self::Proto(t.initial()),
            None => Self::Other,
        }
    }

    /// The name in `/proc/net/ip_vs_conn` (`ip_vs_state_name`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Proto(s) => s.name(),
            Self::Template { assured: true } => "ASSURED",
            Self::Template { assured: false } => "NONE",
            Self::Other => "ERR!",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_protocols_are_c_s() {
        // ip_vs_protocol_init registers TCP, UDP, SCTP (AH and ESP: not balanced here).
        let balanced = [6, 17, 132, 1, 58, 0].map(|p| Transport::of(Protocol::of(p)));
        assert_eq!(
            balanced,
            [
                Some(Transport::Tcp),
                Some(Transport::Udp),
                Some(Transport::Sctp),
                None,
                None,
                None
            ]
        );
        // What C reads of each: sizeof(struct tcphdr), of struct udphdr, of struct sctphdr and
        // one struct sctp_chunkhdr; what its NAT handlers make writable: the header without the
        // chunk for SCTP.
        let lens =
            [Transport::Tcp, Transport::Udp, Transport::Sctp].map(|t| (t.read_len(), t.nat_len()));
        assert_eq!(lens, [(20, 20), (8, 8), (16, 12)]);
        assert_eq!(MAX_READ_LEN, 20);
    }

    #[test]
    fn new_states_and_names() {
        // ip_vs_conn_new leaves cp->state 0: NONE for TCP and SCTP, NORMAL ("UDP") for UDP,
        // IP_VS_CTPL_S_NONE for a template.
        let names = [
            ConnState::new(Protocol::Tcp, false),
            ConnState::new(Protocol::Udp, false),
            ConnState::new(Protocol::Sctp, false),
            ConnState::new(Protocol::Tcp, true),
            ConnState::Template { assured: true },
            ConnState::new(Protocol::Icmp, false),
        ]
        .map(ConnState::name);
        // include/net/ip_vs.h: IP_VS_CTPL_S_NONE, IP_VS_CTPL_S_ASSURED, named by
        // ip_vs_proto.c's ip_vs_ctpl_state_name_table.
        assert_eq!(names, ["NONE", "UDP", "NONE", "NONE", "ASSURED", "ERR!"]);
    }

    fn tcp(syn: bool, rst: bool) -> StateEvent {
        StateEvent::Tcp(tcp::TcpFlags {
            syn,
            rst,
            ..tcp::TcpFlags::default()
        })
    }

    fn sctp(first: u8, event: u8) -> StateEvent {
        StateEvent::Sctp(sctp::Chunks { first, event })
    }

    #[test]
    fn which_packets_schedule() {
        // tcp_conn_schedule: a SYN without RST (sloppy_tcp: any packet without RST);
        // sctp_conn_schedule: an INIT (sloppy_sctp: any first chunk but ABORT, SCTP_CID_ABORT
        // = 6); udp_conn_schedule: any packet.
        let (strict, sloppy) = (
            Sloppy::default(),
            Sloppy {
                tcp: true,
                sctp: true,
            },
        );
        let (syn, ack, syn_rst) = (tcp(true, false), tcp(false, false), tcp(true, true));
        assert!(syn.schedules(strict) && !ack.schedules(strict) && ack.schedules(sloppy));
        assert!(!syn_rst.schedules(sloppy));
        let (init, data, abort) = (sctp(1, 1), sctp(0, 0), sctp(6, 6));
        assert!(init.schedules(strict) && !data.schedules(strict) && data.schedules(sloppy));
        assert!(!abort.schedules(sloppy));
        assert!(StateEvent::Udp(()).schedules(strict));
        // is_new_conn: a TCP SYN, an SCTP INIT; never UDP.
        assert!(syn.is_new_conn() && !ack.is_new_conn() && init.is_new_conn());
        assert!(!StateEvent::Udp(()).is_new_conn());
        // is_sctp_abort looks at the first chunk only, as the RST test at the flags.
        assert!(syn_rst.ends_conn() && abort.ends_conn() && !sctp(10, 6).ends_conn());
    }

    #[test]
    fn events_are_read_from_the_header() {
        let no_more = |_: usize, _: &mut [u8]| false;
        // A header too short (or a later fragment): no TCP or SCTP event, UDP's all the same.
        assert_eq!(Transport::Tcp.event(None, no_more), None);
        assert_eq!(Transport::Sctp.event(None, no_more), None);
        assert_eq!(
            Transport::Udp.event(None, no_more),
            Some(StateEvent::Udp(()))
        );
        let mut syn = [0u8; 20];
        syn[13] = 0x02;
        assert_eq!(
            Transport::Tcp.event(Some(&syn), no_more),
            Some(tcp(true, false))
        );
        // An SCTP COOKIE ECHO (10) of 6 bytes, followed by an ABORT (6) 8 bytes on: the ABORT is
        // the event (set_sctp_state), read from 12 + 8 bytes into the header.
        let mut echo = [0u8; 16];
        echo[12..16].copy_from_slice(&[10, 0, 0, 6]);
        let abort_at_20 = |at: usize, b: &mut [u8]| {
            b[0] = 6;
            at == 20
        };
        assert_eq!(
            Transport::Sctp.event(Some(&echo), abort_at_20),
            Some(sctp(10, 6))
        );
        assert_eq!(
            Transport::Sctp.event(Some(&echo), no_more),
            Some(sctp(10, 10))
        );
    }

    #[test]
    fn transitions_assure_templates_as_c_does() {
        use tcp::TcpState;
        let s = Transport::Tcp.initial();
        let mut no_output = false;
        let (s, assures) = s
            .next(Direction::Input, tcp(true, false), &mut no_output, false)
            .unwrap();
        assert_eq!((s, assures), (ProtoState::Tcp(TcpState::SynRecv), false));
        let ack = StateEvent::Tcp(tcp::TcpFlags {
            ack: true,
            ..tcp::TcpFlags::default()
        });
        let (s, assures) = s
            .next(Direction::Input, ack, &mut no_output, false)
            .unwrap();
        assert_eq!((s, assures), (ProtoState::Tcp(TcpState::Established), true));
        let (s, assures) = s
            .next(Direction::Input, ack, &mut no_output, false)
            .unwrap();
        assert_eq!(
            (s, assures),
            (ProtoState::Tcp(TcpState::Established), false)
        );
        assert!(s.is_active() && s.timeout() == StateTimeout::TcpEstablished);
        // An event of another protocol moves nothing.
        assert_eq!(
            s.next(Direction::Input, sctp(1, 1), &mut no_output, false),
            None
        );
        // udp_state_transition: every reply assures; the timeout is the one user space sets.
        // UDP's one state is fixed (connections take no lock per packet); TCP's and SCTP's move.
        let u = Transport::Udp.initial();
        assert_eq!(Transport::Udp.fixed(), Some(u));
        assert_eq!(
            (Transport::Tcp.fixed(), Transport::Sctp.fixed()),
            (None, None)
        );
        let udp = StateEvent::Udp(());
        assert_eq!(
            u.next(Direction::Input, udp, &mut no_output, false),
            Some((u, false))
        );
        assert_eq!(
            u.next(Direction::Output, udp, &mut no_output, false),
            Some((u, true))
        );
        assert!(!u.is_active() && u.timeout() == StateTimeout::Udp);
    }
}
