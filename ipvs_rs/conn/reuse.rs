// SPDX-License-Identifier: GPL-2.0

//! The decisions `ip_vs_in_hook` makes about a client's packet before it is forwarded, apart
//! from the packet calls that feed them, so that the host tests can hold them to C: does the
//! packet start a connection, and what becomes of the connection it found (`conn_reuse_mode`,
//! `expire_nodest_conn`).

use crate::{
    proto::{
        sctp_state::{self, SctpState},
        tcp_state::{TcpFlags, TcpState},
    },
    uapi::Protocol,
};

/// What in a packet moves its connection's protocol state.
#[derive(Clone, Copy, Debug)]
pub(crate) enum StateEvent {
    /// A TCP packet's flags.
    Tcp(TcpFlags),
    /// An SCTP packet's first chunk type, and the chunk type that is its event (see
    /// [`sctp_state::event_chunk`]).
    Sctp { first: u8, event: u8 },
}

impl StateEvent {
    /// Whether the packet starts a new connection (`is_new_conn`): a TCP SYN, an SCTP INIT.
    pub(crate) fn is_new_conn(self) -> bool {
        match self {
            Self::Tcp(f) => f.syn,
            Self::Sctp { first, .. } => sctp_state::is_init(first),
        }
    }

    /// Whether a packet of this event may be scheduled to a new connection
    /// (`tcp_conn_schedule`, `sctp_conn_schedule`): a TCP SYN without RST (with
    /// `sloppy_tcp`, any TCP packet without RST), an SCTP INIT (with `sloppy_sctp`, any
    /// chunk but ABORT). Packets of other protocols (no event) always may.
    pub(crate) fn schedules(event: Option<Self>, sloppy_tcp: bool, sloppy_sctp: bool) -> bool {
        match event {
            Some(Self::Tcp(f)) => !f.rst && (f.syn || sloppy_tcp),
            Some(Self::Sctp { first, .. }) => sctp_state::schedules(first, sloppy_sctp),
            None => true,
        }
    }
}

/// What the decision needs of a found connection and its real server.
pub(crate) struct Found {
    /// The connection's protocol.
    pub(crate) protocol: Protocol,
    /// Its protocol state's number.
    pub(crate) state: u8,
    /// Whether a template (or another connection) controls it.
    pub(crate) controlled: bool,
    /// Whether it has seen no reply (`IP_VS_CONN_F_NOOUTPUT`).
    pub(crate) no_output: bool,
    /// Its real server's weight.
    pub(crate) dest_weight: i32,
    /// Whether its real server is still configured (`IP_VS_DEST_CF_AVAILABLE`).
    pub(crate) dest_available: bool,
}

/// The sysctls the decision reads.
#[derive(Clone, Copy)]
pub(crate) struct ReuseSysctls {
    /// `expire_nodest_conn`.
    pub(crate) expire_nodest_conn: bool,
    /// `conn_reuse_mode`.
    pub(crate) conn_reuse_mode: i32,
}

/// What becomes of a found connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reuse {
    /// The packet goes on the connection.
    Use,
    /// The connection is expired now, and the packet scheduled anew.
    Expire,
    /// The packet is dropped (its server is gone and `expire_nodest_conn` is off).
    Drop,
}

impl Found {
    /// Whether a new connection is expected on this one's tuple (`is_new_conn_expected`): a
    /// TCP connection in TIME_WAIT or CLOSE (with bit 1 of `conn_reuse_mode`, also one in
    /// FIN_WAIT that saw no reply), an SCTP one in CLOSED; never a controlled one.
    pub(crate) fn expects_new(&self, conn_reuse_mode: i32) -> bool {
        if self.controlled {
            return false;
        }
        let state = usize::from(self.state);
        match self.protocol {
            Protocol::Tcp => {
                let state = TcpState::ALL.get(state).copied();
                matches!(state, Some(TcpState::TimeWait | TcpState::Close))
                    || (conn_reuse_mode & 2 != 0
                        && state == Some(TcpState::FinWait)
                        && self.no_output)
            }
            Protocol::Sctp => SctpState::ALL.get(state) == Some(&SctpState::Closed),
            _ => false,
        }
    }

    /// What becomes of this connection for a packet that `starts_new` one (see
    /// [`StateEvent::is_new_conn`]; a later fragment starts none), as `ip_vs_in_hook` decides.
    pub(crate) fn reuse(&self, starts_new: bool, s: ReuseSysctls) -> Reuse {
        if starts_new
            && ((s.expire_nodest_conn && self.dest_weight == 0)
                || (s.conn_reuse_mode != 0 && self.expects_new(s.conn_reuse_mode)))
        {
            return Reuse::Expire;
        }
        match (self.dest_available, s.expire_nodest_conn) {
            (true, _) => Reuse::Use,
            (false, true) => Reuse::Expire,
            (false, false) => Reuse::Drop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Numbers from C: IP_VS_TCP_S_FIN_WAIT 4, TIME_WAIT 5, CLOSE 6, ESTABLISHED 1;
    // IP_VS_SCTP_S_CLOSED 13; SCTP_CID_INIT 1, SCTP_CID_ABORT 6, SCTP_CID_DATA 0.
    const FIN_WAIT: u8 = 4;
    const TIME_WAIT: u8 = 5;
    const CLOSE: u8 = 6;
    const ESTABLISHED: u8 = 1;
    const SCTP_CLOSED: u8 = 13;

    fn tcp(state: u8) -> Found {
        Found {
            protocol: Protocol::Tcp,
            state,
            controlled: false,
            no_output: false,
            dest_weight: 1,
            dest_available: true,
        }
    }

    const DEFAULTS: ReuseSysctls = ReuseSysctls {
        expire_nodest_conn: false,
        conn_reuse_mode: 1,
    };

    fn flags(syn: bool, rst: bool) -> TcpFlags {
        TcpFlags {
            syn,
            rst,
            ..TcpFlags::default()
        }
    }

    #[test]
    fn state_numbers_are_c_s() {
        assert_eq!(TcpState::ALL[usize::from(FIN_WAIT)], TcpState::FinWait);
        assert_eq!(TcpState::ALL[usize::from(TIME_WAIT)], TcpState::TimeWait);
        assert_eq!(TcpState::ALL[usize::from(CLOSE)], TcpState::Close);
        assert_eq!(SctpState::ALL[usize::from(SCTP_CLOSED)], SctpState::Closed);
    }

    #[test]
    fn finished_connections_expect_a_new_one() {
        assert!(tcp(TIME_WAIT).expects_new(1));
        assert!(tcp(CLOSE).expects_new(1));
        assert!(!tcp(ESTABLISHED).expects_new(1));
        assert!(!tcp(FIN_WAIT).expects_new(1));
        // Bit 1: a FIN_WAIT connection that never saw a reply too.
        let silent = Found {
            no_output: true,
            ..tcp(FIN_WAIT)
        };
        assert!(!silent.expects_new(1));
        assert!(silent.expects_new(3));
        // A controlled connection belongs to its template.
        let controlled = Found {
            controlled: true,
            ..tcp(TIME_WAIT)
        };
        assert!(!controlled.expects_new(1));
        let sctp = Found {
            protocol: Protocol::Sctp,
            ..tcp(SCTP_CLOSED)
        };
        assert!(sctp.expects_new(1));
        let udp = Found {
            protocol: Protocol::Udp,
            ..tcp(0)
        };
        assert!(!udp.expects_new(1));
    }

    #[test]
    fn reuse_follows_ip_vs_in_hook() {
        // A SYN on a TIME_WAIT connection: expired and scheduled anew, unless
        // conn_reuse_mode is 0.
        assert_eq!(tcp(TIME_WAIT).reuse(true, DEFAULTS), Reuse::Expire);
        let off = ReuseSysctls {
            conn_reuse_mode: 0,
            ..DEFAULTS
        };
        assert_eq!(tcp(TIME_WAIT).reuse(true, off), Reuse::Use);
        // Any other packet keeps using it.
        assert_eq!(tcp(TIME_WAIT).reuse(false, DEFAULTS), Reuse::Use);
        // A quiesced server's connection: with expire_nodest_conn, a SYN starts over (even
        // with conn_reuse_mode 0: 7.3 checks it first).
        let quiesced = Found {
            dest_weight: 0,
            ..tcp(ESTABLISHED)
        };
        let expire = ReuseSysctls {
            expire_nodest_conn: true,
            conn_reuse_mode: 0,
        };
        assert_eq!(quiesced.reuse(true, expire), Reuse::Expire);
        assert_eq!(quiesced.reuse(false, expire), Reuse::Use);
        assert_eq!(quiesced.reuse(true, DEFAULTS), Reuse::Use);
        // A removed server: its packets are dropped, or the connection ends.
        let removed = Found {
            dest_available: false,
            ..tcp(ESTABLISHED)
        };
        assert_eq!(removed.reuse(false, DEFAULTS), Reuse::Drop);
        assert_eq!(removed.reuse(false, expire), Reuse::Expire);
    }

    #[test]
    fn which_packets_schedule() {
        let syn = Some(StateEvent::Tcp(flags(true, false)));
        let ack = Some(StateEvent::Tcp(flags(false, false)));
        let syn_rst = Some(StateEvent::Tcp(flags(true, true)));
        assert!(StateEvent::schedules(syn, false, false));
        assert!(!StateEvent::schedules(ack, false, false));
        assert!(StateEvent::schedules(ack, true, false));
        assert!(!StateEvent::schedules(syn_rst, true, false));
        let init_alone = sctp_state::event_chunk([1, 0, 0, 20], None);
        let init = Some(StateEvent::Sctp {
            first: 1,
            event: init_alone,
        });
        // An INIT alone is its own event (`set_sctp_state`).
        assert!(matches!(init, Some(StateEvent::Sctp { event: 1, .. })));
        let data = Some(StateEvent::Sctp { first: 0, event: 0 });
        let abort = Some(StateEvent::Sctp { first: 6, event: 6 });
        assert!(StateEvent::schedules(init, false, false));
        assert!(!StateEvent::schedules(data, false, false));
        assert!(StateEvent::schedules(data, false, true));
        assert!(!StateEvent::schedules(abort, false, true));
        assert!(StateEvent::schedules(None, false, false));
        assert!(syn.is_some_and(StateEvent::is_new_conn));
        assert!(!ack.is_some_and(StateEvent::is_new_conn));
        assert!(init.is_some_and(StateEvent::is_new_conn));
    }
}
