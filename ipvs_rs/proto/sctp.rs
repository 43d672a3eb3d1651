// SPDX-License-Identifier: GPL-2.0

//! The SCTP association state machine IPVS keeps per connection: C's states, names, timeouts and
//! transitions (`ip_vs_proto_sctp.c`).
//!
//! As for TCP, only the chunk types of the packets move the state: the first chunk of each
//! packet gives the event (an ABORT bundled after a COOKIE ECHO or COOKIE ACK counts instead),
//! with separate tables for packets from the client (input), from the server (output), and from
//! the client of a connection whose replies bypass the director (input only).

use crate::{
    proto::{packet::SCTP_LEN, Checksum, Direction, Sloppy, StateTimeout, TransportProtocol},
    uapi::Protocol,
};

/// A connection's SCTP state (`IP_VS_SCTP_S_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SctpState {
    None = 0,
    Init1,
    Init,
    CookieSent,
    CookieReplied,
    CookieWait,
    Cookie,
    CookieEchoed,
    Established,
    ShutdownSent,
    ShutdownReceived,
    ShutdownAckSent,
    Rejected,
    Closed,
}

use SctpState::{
    Closed as CL, Cookie as CO, CookieEchoed as CE, CookieReplied as CR, CookieSent as CS,
    CookieWait as CW, Established as ES, Init as IN, Init1 as I1, None as NO, Rejected as RJ,
    ShutdownAckSent as SA, ShutdownReceived as SR, ShutdownSent as SS,
};

/// Number of states.
pub(crate) const STATES: usize = 14;

/// Seconds of `IP_VS_SCTP_MAX_RTO`, the timeout of most states.
const MAX_RTO: u32 = 60 + 1;

impl SctpState {
    /// All states, in number order (what the tests hold to C's numbers; the sync protocol
    /// will read them).
    #[cfg(test)]
    pub(crate) const ALL: [SctpState; STATES] =
        [NO, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL];

    /// The name `/proc/net/ip_vs_conn` and `ipvsadm -L -c` show.
    pub(crate) fn name(self) -> &'static str {
        [
            "NONE",
            "INIT1",
            "INIT",
            "C-SENT",
            "C-REPLIED",
            "C-WAIT",
            "COOKIE",
            "C-ECHOED",
            "ESTABLISHED",
            "S-SENT",
            "S-RECEIVED",
            "S-ACK-SENT",
            "REJECTED",
            "CLOSED",
        ][self as usize]
    }

    /// Whether a connection in this state counts as active for its server: only an
    /// established association does.
    pub(crate) fn active(self) -> bool {
        self == ES
    }

    /// The timeout in seconds of a connection that has just entered this state.
    pub(crate) fn timeout(self) -> u32 {
        match self {
            NO => 2,
            // A lost or refused INIT is forgotten soon.
            I1 | RJ => 3 + 1,
            ES => 15 * 60,
            _ => MAX_RTO,
        }
    }
}

/// SCTP chunk types (RFC 9260) that move the state.
const CID_INIT: u8 = 1;
const CID_INIT_ACK: u8 = 2;
const CID_ABORT: u8 = 6;
const CID_SHUTDOWN: u8 = 7;
const CID_SHUTDOWN_ACK: u8 = 8;
const CID_ERROR: u8 = 9;
const CID_COOKIE_ECHO: u8 = 10;
const CID_COOKIE_ACK: u8 = 11;
const CID_SHUTDOWN_COMPLETE: u8 = 14;

/// Length of a chunk header.
pub(crate) const CHUNK_LEN: usize = 4;

/// Whether a packet whose first chunk is `chunk` may start a connection: an INIT, or (with
/// `sloppy_sctp`) anything but an ABORT.
pub(crate) fn schedules(chunk: u8, sloppy: bool) -> bool {
    chunk != CID_ABORT && (sloppy || chunk == CID_INIT)
}

/// Whether the first chunk `chunk` starts a new association (`is_new_conn`).
pub(crate) fn is_init(chunk: u8) -> bool {
    chunk == CID_INIT
}

/// Whether the first chunk `chunk` ends the association (`is_sctp_abort`).
pub(crate) fn is_abort(chunk: u8) -> bool {
    chunk == CID_ABORT
}

/// The state event of a packet: the type of its first chunk, or `ABORT` when an ABORT is
/// bundled right after a first COOKIE ECHO or COOKIE ACK. `first` is the first chunk's header
/// (type, flags, length), `next_type` the type of the chunk after it if there is one, which
/// starts at the returned offset from the SCTP header. Unknown types count as DATA.
pub(crate) fn event_chunk(first: [u8; CHUNK_LEN], next_type: Option<u8>) -> u8 {
    let ty = first[0];
    if matches!(ty, CID_COOKIE_ECHO | CID_COOKIE_ACK) && next_type == Some(CID_ABORT) {
        CID_ABORT
    } else {
        ty
    }
}

/// Where the chunk after the first one starts (from the SCTP header), for a first chunk with
/// header `first` that may have an ABORT bundled after it; `None` otherwise.
pub(crate) fn second_chunk_at(first: [u8; CHUNK_LEN]) -> Option<usize> {
    let len = usize::from(u16::from_be_bytes([first[2], first[3]]));
    (matches!(first[0], CID_COOKIE_ECHO | CID_COOKIE_ACK) && len >= CHUNK_LEN)
        .then(|| SCTP_LEN + len.next_multiple_of(4))
}

/// The row of the transition tables for chunk type `chunk` (`sctp_events`).
fn event_row(chunk: u8) -> usize {
    match chunk {
        CID_INIT => 1,
        CID_INIT_ACK => 2,
        CID_COOKIE_ECHO => 3,
        CID_COOKIE_ACK => 4,
        CID_SHUTDOWN => 5,
        CID_SHUTDOWN_ACK => 6,
        CID_SHUTDOWN_COMPLETE => 7,
        CID_ERROR => 8,
        CID_ABORT => 9,
        // DATA, SACK, HEARTBEAT (ACK), ECN chunks and any unknown type.
        _ => 0,
    }
}

/// Rows per direction.
const EVENTS: usize = 10;

type Table = [[SctpState; STATES]; 3 * EVENTS];

/// `sctp_states`: input, output and input-only rows for the events DATA, INIT, INIT ACK, COOKIE
/// ECHO, COOKIE ACK, SHUTDOWN, SHUTDOWN ACK, SHUTDOWN COMPLETE, ERROR and ABORT; columns are
/// the current state in number order.
#[rustfmt::skip]
const TABLE: Table = [
    // Input.
    [ES, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
    [I1, IN, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, IN, IN],
    [CW, CW, CW, CS, CR, CO, CO, CE, ES, SS, SR, SA, RJ, CL],
    [CR, IN, IN, CR, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
    [ES, I1, IN, CS, CR, CW, CO, ES, ES, SS, SR, SA, RJ, CL],
    [SR, I1, IN, CS, CR, CW, CO, CE, SR, SS, SR, SA, RJ, CL],
    [CL, IN, IN, CS, CR, CW, CO, CE, ES, CL, SR, CL, RJ, CL],
    [CL, CL, CL, CS, CR, CW, CO, CE, ES, SS, SR, CL, RJ, CL],
    [CL, I1, IN, CS, CR, CW, CO, CL, ES, SS, SR, SA, RJ, CL],
    [CL, CL, CL, CL, CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL],
    // Output.
    [ES, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
    [CW, CW, CW, CW, CW, CW, CW, CW, ES, CW, CW, CW, CW, CW],
    [CS, CS, CS, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
    [CE, CE, CE, CE, CE, CE, CE, CE, ES, SS, SR, SA, RJ, CL],
    [ES, ES, ES, ES, ES, ES, ES, ES, ES, SS, SR, SA, RJ, CL],
    [SS, SS, SS, SS, SS, SS, SS, SS, SS, SS, SR, SA, RJ, CL],
    [SA, SA, SA, SA, SA, CW, CO, CE, ES, SA, SA, SA, RJ, CL],
    [CL, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
    [CL, CL, CL, CL, CL, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
    [CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL],
    // Input only (replies bypass the director).
    [ES, I1, IN, CS, CR, ES, CO, CE, ES, SS, SR, SA, RJ, CL],
    [I1, IN, IN, IN, IN, IN, CO, CE, ES, SS, SR, SA, IN, IN],
    [CE, CE, CE, CE, CE, CE, CO, CE, ES, SS, SR, SA, RJ, CL],
    [ES, ES, ES, ES, ES, ES, CO, CE, ES, SS, SR, SA, RJ, CL],
    [ES, I1, IN, ES, ES, CW, ES, ES, ES, SS, SR, SA, RJ, CL],
    [SR, I1, IN, CS, CR, CW, CO, CE, SR, SS, SR, SA, RJ, CL],
    [CL, IN, IN, CS, CR, CW, CO, CE, CL, CL, SR, CL, RJ, CL],
    [CL, CL, CL, CL, CL, CW, CO, CE, ES, SS, CL, CL, RJ, CL],
    [CL, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
    [CL, CL, CL, CL, CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL],
];

/// The state after a packet going `dir` whose event chunk is `chunk` (see [`event_chunk`]).
/// `no_output` is the connection's `IP_VS_CONN_F_NOOUTPUT`: while set, input uses the
/// input-only table; the first output packet clears it.
pub(crate) fn next_state(
    state: SctpState,
    dir: Direction,
    chunk: u8,
    no_output: &mut bool,
) -> SctpState {
    let mut offset = match dir {
        Direction::Input => 0,
        Direction::Output => EVENTS,
    };
    if *no_output {
        if dir == Direction::Output {
            *no_output = false;
        } else {
            offset = 2 * EVENTS;
        }
    }
    TABLE[offset + event_row(chunk)][state as usize]
}

/// What an SCTP packet tells the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Chunks {
    /// The type of its first chunk (which `is_new_conn`, `sctp_conn_schedule` and
    /// `is_sctp_abort` look at).
    pub(crate) first: u8,
    /// The chunk type that moves the state (see [`event_chunk`]).
    pub(crate) event: u8,
}

/// SCTP (`ip_vs_proto_sctp.c`).
pub(crate) struct Sctp;

impl TransportProtocol for Sctp {
    const PROTOCOL: Protocol = Protocol::Sctp;
    const READ_LEN: usize = SCTP_LEN + CHUNK_LEN;
    const NAT_LEN: usize = SCTP_LEN;
    const CHECKSUM: Checksum = Checksum::Crc32c;
    type State = SctpState;
    type Event = Chunks;
    const INITIAL: SctpState = NO;

    fn event(
        header: Option<&[u8]>,
        mut read_at: impl FnMut(usize, &mut [u8]) -> bool,
    ) -> Option<Chunks> {
        let first: [u8; CHUNK_LEN] = header?.get(SCTP_LEN..Self::READ_LEN)?.try_into().ok()?;
        // An ABORT may follow a first COOKIE ECHO or COOKIE ACK.
        let mut next = [0u8; 1];
        let next = second_chunk_at(first)
            .filter(|&at| read_at(at, &mut next))
            .map(|_| next[0]);
        Some(Chunks {
            first: first[0],
            event: event_chunk(first, next),
        })
    }

    fn is_new_conn(chunks: Chunks) -> bool {
        is_init(chunks.first)
    }

    fn schedules(chunks: Chunks, sloppy: Sloppy) -> bool {
        schedules(chunks.first, sloppy.sctp)
    }

    fn ends_conn(chunks: Chunks) -> bool {
        is_abort(chunks.first)
    }

    fn next_state(
        state: SctpState,
        dir: Direction,
        chunks: Chunks,
        no_output: &mut bool,
        _: bool,
    ) -> SctpState {
        next_state(state, dir, chunks.event, no_output)
    }

    fn is_active(state: SctpState) -> bool {
        state.active()
    }

    fn assures_control(old: SctpState, new: SctpState, _: Direction) -> bool {
        new != old && new == ES
    }

    fn expects_new(state: SctpState, _: bool, _: i32) -> bool {
        state == CL
    }

    fn timeout(state: SctpState) -> StateTimeout {
        StateTimeout::Seconds(state.timeout())
    }

    fn state_name(state: SctpState) -> &'static str {
        state.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CID_DATA: u8 = 0;

    fn step(s: SctpState, dir: Direction, chunk: u8) -> SctpState {
        next_state(s, dir, chunk, &mut false)
    }

    #[test]
    fn nat_association_lifecycle() {
        use Direction::{Input as I, Output as O};
        let mut s = NO;
        for (dir, chunk, want) in [
            (I, CID_INIT, I1),
            (O, CID_INIT_ACK, CS),
            (I, CID_COOKIE_ECHO, CR),
            (O, CID_COOKIE_ACK, ES),
            (I, CID_DATA, ES),
            (O, 3, ES),
            (I, CID_SHUTDOWN, SR),
            (O, CID_SHUTDOWN_ACK, SA),
            (I, CID_SHUTDOWN_COMPLETE, CL),
        ] {
            s = step(s, dir, chunk);
            assert_eq!(s, want, "after {chunk} going {dir:?}");
        }
        assert_eq!(s.name(), "CLOSED");
        assert_eq!(s.timeout(), 61);
        assert!(ES.active() && !CE.active());
    }

    #[test]
    fn input_only_and_aborts() {
        let mut no_output = true;
        let s = next_state(NO, Direction::Input, CID_INIT, &mut no_output);
        assert_eq!(s, I1);
        let s = next_state(s, Direction::Input, CID_COOKIE_ECHO, &mut no_output);
        assert_eq!(s, ES);
        assert!(no_output);
        let s = next_state(s, Direction::Output, CID_DATA, &mut no_output);
        assert!(!no_output);
        assert_eq!(s, ES);
        assert_eq!(step(I1, Direction::Output, CID_ABORT), RJ);
        assert_eq!(RJ.timeout(), 4);
        assert_eq!(step(ES, Direction::Input, 200), ES);
    }

    #[test]
    fn bundled_abort_counts() {
        let echo = [CID_COOKIE_ECHO, 0, 0, 6];
        assert_eq!(second_chunk_at(echo), Some(SCTP_LEN + 8));
        assert_eq!(event_chunk(echo, Some(CID_ABORT)), CID_ABORT);
        assert_eq!(event_chunk(echo, Some(CID_DATA)), CID_COOKIE_ECHO);
        assert_eq!(second_chunk_at([CID_DATA, 0, 0, 16]), None);
        assert!(schedules(CID_INIT, false) && !schedules(CID_DATA, false));
        assert!(schedules(CID_DATA, true) && !schedules(CID_ABORT, true));
    }

    #[test]
    fn states_in_c_order_with_c_names() {
        // include/net/ip_vs.h's IP_VS_SCTP_S_* enum (NONE = 0 .. CLOSED = 13, then
        // IP_VS_SCTP_S_LAST = 14), named by ip_vs_proto_sctp.c's sctp_state_name_table.
        assert_eq!(
            SctpState::ALL.map(SctpState::name),
            [
                "NONE",
                "INIT1",
                "INIT",
                "C-SENT",
                "C-REPLIED",
                "C-WAIT",
                "COOKIE",
                "C-ECHOED",
                "ESTABLISHED",
                "S-SENT",
                "S-RECEIVED",
                "S-ACK-SENT",
                "REJECTED",
                "CLOSED",
            ]
        );
        assert!(SctpState::ALL
            .iter()
            .enumerate()
            .all(|(i, s)| *s as usize == i));
    }

    #[test]
    fn init_and_abort_are_sctp_cid_1_and_6() {
        // include/linux/sctp.h: SCTP_CID_INIT = 1, SCTP_CID_INIT_ACK = 2, SCTP_CID_ABORT = 6;
        // ip_vs_core.c's is_new_conn and is_sctp_abort test the first chunk's type.
        assert!(is_init(1) && !is_init(2) && !is_init(CID_DATA));
        assert!(is_abort(6) && !is_abort(1));
        // set_sctp_state takes an ABORT bundled after a COOKIE ECHO as the event, while
        // is_sctp_abort looks at the first chunk only.
        let echo = [CID_COOKIE_ECHO, 0, 0, 4];
        assert!(is_abort(event_chunk(echo, Some(6))) && !is_abort(echo[0]));
    }
}
