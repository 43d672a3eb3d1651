// SPDX-License-Identifier: GPL-2.0

//! UDP as IPVS balances it (`ip_vs_proto_udp.c`): one state, `NORMAL` (listed as "UDP"), whose
//! timeout every packet renews; any packet may schedule a connection.

use crate::{
    proto::{packet::UDP_LEN, Checksum, Direction, Sloppy, StateTimeout, TransportProtocol},
    uapi::Protocol,
};

/// UDP's only connection state (`IP_VS_UDP_S_NORMAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Normal;

/// UDP (`ip_vs_proto_udp.c`).
pub(crate) struct Udp;

impl TransportProtocol for Udp {
    const PROTOCOL: Protocol = Protocol::Udp;
    const READ_LEN: usize = UDP_LEN;
    const NAT_LEN: usize = UDP_LEN;
    // Over IPv4, zero means no checksum (over IPv6 one is required).
    const CHECKSUM: Checksum = Checksum::Internet {
        at: 6,
        optional: true,
    };
    type State = Normal;
    type Event = ();
    const INITIAL: Normal = Normal;
    const FIXED: bool = true;

    // `udp_state_transition` reads no header: every packet is the same event.
    fn event(_: Option<&[u8]>, _: impl FnMut(usize, &mut [u8]) -> bool) -> Option<()> {
        Some(())
    }

    fn is_new_conn((): ()) -> bool {
        false
    }

    fn schedules((): (), _: Sloppy) -> bool {
        true
    }

    fn ends_conn((): ()) -> bool {
        false
    }

    fn next_state(_: Normal, _: Direction, (): (), _: &mut bool, _: bool) -> Normal {
        Normal
    }

    fn is_active(_: Normal) -> bool {
        false
    }

    // A reply shows the client's request was answered.
    fn assures_control(_: Normal, _: Normal, dir: Direction) -> bool {
        dir == Direction::Output
    }

    fn expects_new(_: Normal, _: bool, _: i32) -> bool {
        false
    }

    fn timeout(_: Normal) -> StateTimeout {
        StateTimeout::Udp
    }

    fn state_name(_: Normal) -> &'static str {
        "UDP"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_one_state_and_no_output_untouched() {
        for dir in [Direction::Input, Direction::Output] {
            for no_output in [false, true] {
                let mut n = no_output;
                assert_eq!(
                    Udp::next_state(Udp::INITIAL, dir, (), &mut n, false),
                    Udp::INITIAL
                );
                assert_eq!(n, no_output);
            }
        }
    }
}
