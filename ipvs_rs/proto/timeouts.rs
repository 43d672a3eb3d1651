// SPDX-License-Identifier: GPL-2.0

//! The three connection timeouts user space can read and set (`ipvsadm --set`, `SET_CONFIG`,
//! `IP_VS_SO_SET_TIMEOUT`): TCP established, TCP FIN_WAIT and UDP.

/// Timeouts in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// TCP `ESTABLISHED`.
    pub(crate) tcp: u32,
    /// TCP `FIN_WAIT`.
    pub(crate) tcp_fin: u32,
    /// UDP.
    pub(crate) udp: u32,
}

/// A requested timeout is out of range (the C module answers `EINVAL`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct InvalidTimeout;

impl Timeouts {
    /// The defaults of a new namespace: 15 min, 2 min, 5 min.
    pub(crate) const DEFAULT: Self = Self {
        tcp: 900,
        tcp_fin: 120,
        udp: 300,
    };

    /// Applies a request: `None` or 0 keeps a value. The values arrive as C `int`s, so anything
    /// above `i32::MAX` is negative there; like C, each must lie in `0..=INT_MAX / hz` (so that
    /// it fits in jiffies) or nothing changes.
    pub(crate) fn update(
        &mut self,
        tcp: Option<u32>,
        tcp_fin: Option<u32>,
        udp: Option<u32>,
        hz: u32,
    ) -> Result<(), InvalidTimeout> {
        let max = i32::MAX as u32 / hz;
        if [tcp, tcp_fin, udp].iter().flatten().any(|&s| s > max) {
            return Err(InvalidTimeout);
        }
        for (slot, new) in [
            (&mut self.tcp, tcp),
            (&mut self.tcp_fin, tcp_fin),
            (&mut self.udp, udp),
        ] {
            if let Some(s) = new.filter(|&s| s != 0) {
                *slot = s;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_absent_keep_values() {
        let mut t = Timeouts::DEFAULT;
        t.update(Some(66), Some(66), Some(66), 1000).unwrap();
        t.update(Some(77), Some(0), None, 1000).unwrap();
        assert_eq!(
            t,
            Timeouts {
                tcp: 77,
                tcp_fin: 66,
                udp: 66
            }
        );
    }

    #[test]
    fn out_of_range_changes_nothing() {
        let mut t = Timeouts::DEFAULT;
        assert_eq!(
            t.update(Some(5), Some(i32::MAX as u32 / 1000 + 1), None, 1000),
            Err(InvalidTimeout)
        );
        assert_eq!(
            t.update(Some(u32::MAX), None, None, 1000),
            Err(InvalidTimeout)
        );
        assert_eq!(t, Timeouts::DEFAULT);
        t.update(Some(i32::MAX as u32 / 1000), None, None, 1000)
            .unwrap();
        assert_eq!(t.tcp, 2_147_483);
    }
}
