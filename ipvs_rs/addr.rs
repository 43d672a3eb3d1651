// SPDX-License-Identifier: GPL-2.0

//! IP addresses that carry their family (C keeps a `union nf_inet_addr` and an `af` side by
//! side, and every comparison, hash and listing has to be given both).

use core::fmt;

use crate::uapi::Af;

/// An IPv4 or IPv6 address.
///
/// # Invariants
///
/// The bytes are C's `union nf_inet_addr`: an IPv4 address is in the first 4, and the other 12
/// are zero, so that two addresses are equal exactly when `ip_vs_addr_equal` says so.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Addr {
    af: Af,
    bytes: [u8; 16],
}

impl Addr {
    /// The IPv4 address `a`.
    pub(crate) const fn v4(a: [u8; 4]) -> Self {
        let mut bytes = [0; 16];
        bytes[0] = a[0];
        bytes[1] = a[1];
        bytes[2] = a[2];
        bytes[3] = a[3];
        // INVARIANT: the other 12 bytes are zero.
        Self {
            af: Af::Inet,
            bytes,
        }
    }

    /// The IPv6 address `a`.
    pub(crate) const fn v6(a: [u8; 16]) -> Self {
        Self {
            af: Af::Inet6,
            bytes: a,
        }
    }

    /// The address of family `af` held as a `union nf_inet_addr` in `inet` (for IPv4, the
    /// bytes past the 4th are not part of it).
    pub(crate) const fn from_inet(af: Af, inet: [u8; 16]) -> Self {
        match af {
            Af::Inet => Self::v4([inet[0], inet[1], inet[2], inet[3]]),
            Af::Inet6 => Self::v6(inet),
        }
    }

    /// The unspecified address (`0.0.0.0`, `::`) of family `af`.
    pub(crate) const fn unspecified(af: Af) -> Self {
        Self::from_inet(af, [0; 16])
    }

    /// Its family.
    pub(crate) const fn af(&self) -> Af {
        self.af
    }

    /// The address as a `union nf_inet_addr` (IPv4 in the first 4 bytes, then zeros).
    pub(crate) const fn inet(&self) -> &[u8; 16] {
        &self.bytes
    }

    /// Its own bytes: 4 for IPv4, 16 for IPv6.
    pub(crate) fn octets(&self) -> &[u8] {
        match self.af {
            Af::Inet => &self.bytes[..4],
            Af::Inet6 => &self.bytes,
        }
    }

    /// An IPv4 address's 4 bytes (the first 4 of an IPv6 one's).
    pub(crate) fn v4_octets(&self) -> [u8; 4] {
        [self.bytes[0], self.bytes[1], self.bytes[2], self.bytes[3]]
    }
}

impl fmt::Debug for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.af {
            Af::Inet => {
                let [a, b, c, d] = self.v4_octets();
                write!(f, "{a}.{b}.{c}.{d}")
            }
            Af::Inet6 => {
                for (i, w) in self.bytes.chunks(2).enumerate() {
                    let sep = if i == 0 { "" } else { ":" };
                    write!(f, "{sep}{:x}", u16::from_be_bytes([w[0], w[1]]))?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_ignores_what_follows_in_nf_inet_addr() {
        let mut inet = [0u8; 16];
        inet[..4].copy_from_slice(&[10, 0, 0, 1]);
        inet[8] = 0xaa;
        let a = Addr::from_inet(Af::Inet, inet);
        assert_eq!(a, Addr::v4([10, 0, 0, 1]));
        assert_eq!(a.octets(), &[10, 0, 0, 1]);
        assert_eq!(a.inet()[4..], [0; 12]);
        assert_ne!(a, Addr::from_inet(Af::Inet6, inet));
        assert_eq!(format!("{a:?}"), "10.0.0.1");
        let v6 = Addr::from_inet(Af::Inet6, inet);
        assert_eq!(format!("{v6:?}"), "a00:1:0:0:aa00:0:0:0");
        assert_eq!(Addr::unspecified(Af::Inet6).inet(), &[0; 16]);
    }
}
