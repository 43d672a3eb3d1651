// SPDX-License-Identifier: GPL-2.0

//! How big the connection table is for a number of connections: C 7.3's
//! `ip_vs_rht_desired_size` and `ip_vs_rht_set_thresholds` with the connection table's bounds.
//! The size is user-visible (`size=` in `/proc/net/ip_vs`, `GET_INFO`, the version string).
//!
//! The load factor `lfactor` is a shift (sysctl `conn_lfactor`, -8..8): the table aims at
//! `2^lfactor` entries per bucket. NAT connections are filed twice, which C's defaults (-4 in
//! the initial namespace, -2 elsewhere) allow for.

/// The fewest buckets: `2^8`.
pub(crate) const MIN_BITS: u32 = 8;
/// The most buckets: `2^12` (`CONFIG_IP_VS_TAB_BITS`, whose default the module parameter
/// `conn_tab_bits` leaves).
pub(crate) const MAX_BITS: u32 = 12;

/// What a table of some size and load factor resizes at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// Buckets.
    pub(crate) size: u32,
    /// The load factor it was sized for.
    pub(crate) lfactor: i32,
    /// Grows when there are more entries than this.
    pub(crate) upper: u32,
    /// Shrinks when there are fewer entries than this (0: never).
    pub(crate) lower: u32,
}

impl Bounds {
    /// The thresholds of a table of `size` buckets sized for `lfactor`
    /// (`ip_vs_rht_set_thresholds`).
    pub(crate) fn new(size: u32, lfactor: i32) -> Self {
        let max = 1u32 << MAX_BITS;
        let upper = if size >= max {
            u32::MAX >> 1 // INT_MAX: stop growing
        } else if lfactor <= 0 {
            size >> (-lfactor).min(MAX_BITS as i32)
        } else {
            size.min(1 << (30 - lfactor)) << lfactor
        };
        let lower = if size >= max {
            max >> 4
        } else if size > 1 << MIN_BITS {
            upper >> 4
        } else {
            0
        };
        Self {
            size,
            lfactor,
            upper,
            lower,
        }
    }

    /// The first table's bounds (`ip_vs_conn_tab_alloc` with no table yet).
    pub(crate) fn initial(lfactor: i32) -> Self {
        Self::new(desired_size(None, 0, lfactor), lfactor)
    }
}

/// The size a table should have for `n` entries with load factor `lfactor`, given the current
/// table's bounds if there is one (`ip_vs_rht_desired_size`): it grows as soon as it is too
/// small, but shrinks only when 16 times too big, and then to twice what is needed.
pub(crate) fn desired_size(table: Option<&Bounds>, n: u32, lfactor: i32) -> u32 {
    let min = 1u32 << MIN_BITS;
    let max = 1u32 << MAX_BITS;
    let Some(t) = table else {
        return min;
    };
    let mut n = if n > 0 {
        n.checked_next_power_of_two().unwrap_or(1 << 31)
    } else {
        1
    };
    if lfactor < 0 {
        let factor = ((-lfactor) as u32).min(MAX_BITS);
        n = n.min(1 << (MAX_BITS - factor));
        n <<= factor;
    } else {
        n = (n >> lfactor).min(max);
    }
    if lfactor != t.lfactor {
        return n.clamp(min, max);
    }
    if n > t.size {
        return n;
    }
    if n > t.size >> 4 {
        return t.size;
    }
    (n << 1).clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values worked out by hand from C's `ip_vs_rht_desired_size` and
    // `ip_vs_rht_set_thresholds` with MIN_BITS 8 and MAX_BITS 12.

    #[test]
    fn first_table_has_256_buckets() {
        assert_eq!(desired_size(None, 1000, -4), 256);
        assert_eq!(
            Bounds::initial(-4),
            Bounds {
                size: 256,
                lfactor: -4,
                upper: 16,
                lower: 0
            }
        );
        assert_eq!(Bounds::initial(-2).upper, 64);
    }

    #[test]
    fn grows_past_the_upper_threshold() {
        let t = Bounds::initial(-4);
        // 17 connections: roundup 32, << 4 = 512.
        assert_eq!(desired_size(Some(&t), 17, -4), 512);
        // 16 stay.
        assert_eq!(desired_size(Some(&t), 16, -4), 256);
        // 2000: roundup 2048, capped at 2^(12-4) = 256, << 4 = 4096.
        assert_eq!(desired_size(Some(&t), 2000, -4), 4096);
        let t = Bounds::new(512, -4);
        assert_eq!((t.upper, t.lower), (32, 2));
    }

    #[test]
    fn largest_table_stops_growing() {
        let t = Bounds::new(4096, -4);
        assert_eq!((t.upper, t.lower), (i32::MAX as u32, 256));
        assert_eq!(desired_size(Some(&t), 1_000_000, -4), 4096);
    }

    #[test]
    fn shrinks_only_when_16_times_too_big() {
        let t = Bounds::new(4096, -4);
        // 16 connections: 16 << 4 = 256, which is size >> 4: shrink to 512.
        assert_eq!(desired_size(Some(&t), 16, -4), 512);
        // 17: 512 > 256: keep.
        assert_eq!(desired_size(Some(&t), 17, -4), 4096);
        // None left: 1 << 4 = 16, shrink to 32 clamped to 256.
        assert_eq!(desired_size(Some(&t), 0, -4), 256);
    }

    #[test]
    fn a_new_load_factor_resizes_at_once() {
        let t = Bounds::new(4096, -4);
        // lfactor 0: 100 -> 128 buckets, clamped to 256.
        assert_eq!(desired_size(Some(&t), 100, 0), 256);
        // lfactor 2: 2000 -> 2048 >> 2 = 512.
        assert_eq!(desired_size(Some(&t), 2000, 2), 512);
        let t = Bounds::new(512, 2);
        assert_eq!((t.upper, t.lower), (2048, 128));
    }
}
