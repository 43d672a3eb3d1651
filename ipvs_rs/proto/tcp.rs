// SPDX-License-Identifier: GPL-2.0

//! The TCP connection state machine IPVS keeps per connection: C's states, names, timeouts and
//! transitions, including the stricter table of the `secure_tcp` defence.
//!
//! IPVS does not track sequence numbers: a packet's flags alone move the state, separately for
//! packets from the client (input) and from the server (output). When replies bypass the
//! director (direct routing, tunnels), only input is seen and a third table applies.

use crate::{
    proto::{packet::TCP_LEN, Checksum, Direction, Sloppy, StateTimeout, TransportProtocol},
    uapi::Protocol,
};

/// A connection's TCP state (`IP_VS_TCP_S_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TcpState {
    None = 0,
    Established,
    SynSent,
    SynRecv,
    FinWait,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    SynAck,
}

use TcpState::{
    Close as CL, CloseWait as CW, Established as ES, FinWait as FW, LastAck as LA, Listen as LI,
    None as NO, SynAck as SA, SynRecv as SR, SynSent as SS, TimeWait as TW,
};

/// Number of states.
pub(crate) const STATES: usize = 11;

impl TcpState {
    /// All states, in number order (what the tests hold to C's numbers; the sync protocol
    /// will read them).
    #[cfg(test)]
    pub(crate) const ALL: [TcpState; STATES] = [NO, ES, SS, SR, FW, TW, CL, CW, LA, LI, SA];

    /// The name `/proc/net/ip_vs_conn` and `ipvsadm -L -c` show.
    pub(crate) fn name(self) -> &'static str {
        [
            "NONE",
            "ESTABLISHED",
            "SYN_SENT",
            "SYN_RECV",
            "FIN_WAIT",
            "TIME_WAIT",
            "CLOSE",
            "CLOSE_WAIT",
            "LAST_ACK",
            "LISTEN",
            "SYNACK",
        ][self as usize]
    }

    /// Whether a connection in this state counts as active for its server (`ActiveConn`).
    pub(crate) fn active(self) -> bool {
        matches!(self, ES | SS | SR | SA)
    }

    /// The default timeout in seconds of a connection that has just entered this state.
    pub(crate) fn default_timeout(self) -> u32 {
        [
            2,
            15 * 60,
            2 * 60,
            60,
            2 * 60,
            2 * 60,
            10,
            60,
            30,
            2 * 60,
            120,
        ][self as usize]
    }
}

/// The TCP flags that drive transitions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TcpFlags {
    pub(crate) syn: bool,
    pub(crate) fin: bool,
    pub(crate) ack: bool,
    pub(crate) rst: bool,
}

impl TcpFlags {
    /// The flags of a TCP header (`None` if it is shorter than its flags).
    pub(crate) fn of(tcp: &[u8]) -> Option<Self> {
        let f = *tcp.get(13)?;
        Some(Self {
            fin: f & 0x01 != 0,
            syn: f & 0x02 != 0,
            rst: f & 0x04 != 0,
            ack: f & 0x10 != 0,
        })
    }
}

/// Row of a table: which event a packet is (RST over SYN over FIN over ACK); `None` for a
/// packet with none of them, which closes the connection.
fn event(f: TcpFlags) -> Option<usize> {
    if f.rst {
        Some(3)
    } else if f.syn {
        Some(0)
    } else if f.fin {
        Some(1)
    } else if f.ack {
        Some(2)
    } else {
        None
    }
}

type Table = [[TcpState; STATES]; 12];

/// Next states: rows syn, fin, ack, rst for input, output, then input-only; columns by the
/// current state in number order.
const NORMAL: Table = [
    [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
    [CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW],
    [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
    [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR],
    [SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR],
    [TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW],
    [ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES],
    [CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL],
    [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
    [CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW],
    [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
    [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
];

/// The `secure_tcp` table: a connection the server answered (SYNACK) is held there by the
/// client's packets until the server's own ACK establishes it.
const SECURE: Table = [
    [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SA],
    [CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, SA],
    [ES, ES, SS, SR, FW, TW, CL, CW, CL, LI, SA],
    [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
    [SS, ES, SS, SA, SS, SS, SS, SS, SS, LI, SA],
    [TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW],
    [ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES],
    [CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL],
    [SA, ES, ES, SR, SA, SA, SA, SA, SA, SA, SA],
    [CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW],
    [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
    [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
];

/// The state after a packet with `flags` going `dir`, for a connection in `state`.
///
/// `no_output` is the connection's "replies bypass the director" flag: input packets then use
/// the input-only rows, and the first output packet seen clears the flag (the replies do pass
/// after all).
pub(crate) fn next_state(
    state: TcpState,
    dir: Direction,
    flags: TcpFlags,
    no_output: &mut bool,
    secure_tcp: bool,
) -> TcpState {
    let mut offset = match dir {
        Direction::Input => 0,
        Direction::Output => 4,
    };
    if *no_output {
        if dir == Direction::Output {
            *no_output = false;
        } else {
            offset = 8;
        }
    }
    let Some(row) = event(flags) else {
        return CL;
    };
    let table = if secure_tcp { &SECURE } else { &NORMAL };
    table[offset + row][state as usize]
}

/// TCP (`ip_vs_proto_tcp.c`).
pub(crate) struct Tcp;

impl TransportProtocol for Tcp {
    const PROTOCOL: Protocol = Protocol::Tcp;
    const READ_LEN: usize = TCP_LEN;
    const NAT_LEN: usize = TCP_LEN;
    const CHECKSUM: Checksum = Checksum::Internet {
        at: 16,
        optional: false,
    };
    type State = TcpState;
    type Event = TcpFlags;
    const INITIAL: TcpState = NO;

    fn event(header: Option<&[u8]>, _: impl FnMut(usize, &mut [u8]) -> bool) -> Option<TcpFlags> {
        header.and_then(TcpFlags::of)
    }

    fn is_new_conn(flags: TcpFlags) -> bool {
        flags.syn
    }

    fn schedules(flags: TcpFlags, sloppy: Sloppy) -> bool {
        !flags.rst && (flags.syn || sloppy.tcp)
    }

    fn ends_conn(flags: TcpFlags) -> bool {
        flags.rst
    }

    fn next_state(
        state: TcpState,
        dir: Direction,
        flags: TcpFlags,
        no_output: &mut bool,
        secure_tcp: bool,
    ) -> TcpState {
        next_state(state, dir, flags, no_output, secure_tcp)
    }

    fn is_active(state: TcpState) -> bool {
        state.active()
    }

    fn assures_control(old: TcpState, new: TcpState, _: Direction) -> bool {
        new != old && new == ES
    }

    fn expects_new(state: TcpState, no_output: bool, conn_reuse_mode: i32) -> bool {
        // With bit 1 of `conn_reuse_mode`, also a FIN_WAIT connection that saw no reply.
        matches!(state, TW | CL) || (conn_reuse_mode & 2 != 0 && state == FW && no_output)
    }

    fn timeout(state: TcpState) -> StateTimeout {
        match state {
            ES => StateTimeout::TcpEstablished,
            FW => StateTimeout::TcpFinWait,
            s => StateTimeout::Seconds(s.default_timeout()),
        }
    }

    fn state_name(state: TcpState) -> &'static str {
        state.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYN: TcpFlags = TcpFlags {
        syn: true,
        fin: false,
        ack: false,
        rst: false,
    };
    const SYNACK: TcpFlags = TcpFlags { ack: true, ..SYN };
    const ACK: TcpFlags = TcpFlags {
        syn: false,
        fin: false,
        ack: true,
        rst: false,
    };
    const FINACK: TcpFlags = TcpFlags { fin: true, ..ACK };
    const RSTACK: TcpFlags = TcpFlags { rst: true, ..ACK };

    fn run(steps: &[(Direction, TcpFlags)], no_output: bool, secure: bool) -> Vec<&'static str> {
        let (mut s, mut nout) = (NO, no_output);
        steps
            .iter()
            .map(|&(d, f)| {
                s = next_state(s, d, f, &mut nout, secure);
                s.name()
            })
            .collect()
    }

    #[test]
    fn nat_handshake_and_close() {
        use Direction::{Input as I, Output as O};
        let steps = [
            (I, SYN),
            (O, SYNACK),
            (I, ACK),
            (I, FINACK),
            (O, FINACK),
            (I, ACK),
        ];
        assert_eq!(
            run(&steps, false, false),
            [
                "SYN_RECV",
                "SYN_RECV",
                "ESTABLISHED",
                "CLOSE_WAIT",
                "TIME_WAIT",
                "TIME_WAIT"
            ]
        );
        // Under secure_tcp only the server's packets move a SYNACK connection on.
        assert_eq!(
            run(&steps, false, true),
            [
                "SYN_RECV",
                "SYNACK",
                "SYNACK",
                "SYNACK",
                "TIME_WAIT",
                "TIME_WAIT"
            ]
        );
        let steps = [(I, SYN), (O, SYNACK), (O, ACK)];
        assert_eq!(
            run(&steps, false, true),
            ["SYN_RECV", "SYNACK", "ESTABLISHED"]
        );
    }

    #[test]
    fn input_only_until_output_is_seen() {
        use Direction::{Input as I, Output as O};
        // Direct routing: only the client's packets; FIN moves ESTABLISHED to FIN_WAIT.
        let steps = [(I, SYN), (I, ACK), (I, FINACK), (I, RSTACK)];
        assert_eq!(
            run(&steps, true, false),
            ["SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE"]
        );
        let mut nout = true;
        assert_eq!(next_state(ES, O, ACK, &mut nout, false), ES);
        assert!(!nout);
        assert_eq!(next_state(ES, I, FINACK, &mut nout, false), CW);
        assert_eq!(next_state(ES, I, TcpFlags::default(), &mut nout, false), CL);
    }

    #[test]
    fn names_timeouts_activity() {
        assert_eq!(TcpState::ALL.len(), STATES);
        for (i, s) in TcpState::ALL.iter().enumerate() {
            assert_eq!(*s as usize, i);
        }
        assert_eq!(ES.default_timeout(), 900);
        assert_eq!(FW.default_timeout(), 120);
        assert!(SA.active() && !FW.active() && !NO.active());
    }
}
