// SPDX-License-Identifier: GPL-2.0

//! The decisions `ip_vs_in_hook` makes about a found connection before a client's packet is
//! forwarded, apart from the packet calls that feed them, so that the host tests can hold them
//! to C: what becomes of the connection (`conn_reuse_mode`, `expire_nodest_conn`).

use crate::proto::ConnState;

/// What the decision needs of a found connection and its real server.
pub(crate) struct Found {
    /// The connection's state.
    pub(crate) state: ConnState,
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
        match self.state {
            _ if self.controlled => false,
            ConnState::Proto(s) => s.expects_new(self.no_output, conn_reuse_mode),
            ConnState::Template { .. } | ConnState::Other => false,
        }
    }

    /// What becomes of this connection for a packet that `starts_new` one (see
    /// [`StateEvent::is_new_conn`](crate::proto::StateEvent::is_new_conn); a later fragment starts none), as `ip_vs_in_hook` decides.
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
    use crate::proto::{sctp::SctpState, tcp::TcpState, udp::Normal, ProtoState};

    fn tcp(state: TcpState) -> Found {
        Found {
            state: ConnState::Proto(ProtoState::Tcp(state)),
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

    #[test]
    fn finished_connections_expect_a_new_one() {
        use TcpState::{Close, Established, FinWait, TimeWait};
        assert!(tcp(TimeWait).expects_new(1));
        assert!(tcp(Close).expects_new(1));
        assert!(!tcp(Established).expects_new(1));
        assert!(!tcp(FinWait).expects_new(1));
        // Bit 1: a FIN_WAIT connection that never saw a reply too.
        let silent = Found {
            no_output: true,
            ..tcp(FinWait)
        };
        assert!(!silent.expects_new(1));
        assert!(silent.expects_new(3));
        // A controlled connection belongs to its template.
        let controlled = Found {
            controlled: true,
            ..tcp(TimeWait)
        };
        assert!(!controlled.expects_new(1));
        let sctp = Found {
            state: ConnState::Proto(ProtoState::Sctp(SctpState::Closed)),
            ..tcp(TimeWait)
        };
        assert!(sctp.expects_new(1));
        let udp = Found {
            state: ConnState::Proto(ProtoState::Udp(Normal)),
            ..tcp(TimeWait)
        };
        assert!(!udp.expects_new(1));
        let template = Found {
            state: ConnState::Template { assured: false },
            ..tcp(TimeWait)
        };
        assert!(!template.expects_new(3));
    }

    #[test]
    fn reuse_follows_ip_vs_in_hook() {
        use TcpState::{Established, TimeWait};
        // A SYN on a TIME_WAIT connection: expired and scheduled anew, unless
        // conn_reuse_mode is 0.
        assert_eq!(tcp(TimeWait).reuse(true, DEFAULTS), Reuse::Expire);
        let off = ReuseSysctls {
            conn_reuse_mode: 0,
            ..DEFAULTS
        };
        assert_eq!(tcp(TimeWait).reuse(true, off), Reuse::Use);
        // Any other packet keeps using it.
        assert_eq!(tcp(TimeWait).reuse(false, DEFAULTS), Reuse::Use);
        // A quiesced server's connection: with expire_nodest_conn, a SYN starts over (even
        // with conn_reuse_mode 0: 7.3 checks it first).
        let quiesced = Found {
            dest_weight: 0,
            ..tcp(Established)
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
            ..tcp(Established)
        };
        assert_eq!(removed.reuse(false, DEFAULTS), Reuse::Drop);
        assert_eq!(removed.reuse(false, expire), Reuse::Expire);
    }
}
