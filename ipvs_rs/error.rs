// SPDX-License-Identifier: GPL-2.0

//! The one error type of ipvs_rs: the errno C's IPVS answers a request with. The control plane
//! returns it and user space sees its number; the packet path has no errors, only verdicts.
//!
//! Conversions: an allocation failure is [`Errno::NoMem`], and an [`Errno`] is the kernel's
//! `Error` of the same number (kernel build only), so `?` goes both ways.

/// An errno the control plane answers with (positive Linux numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Errno {
    /// `ENOENT`: unknown scheduler, persistence engine or destination.
    NoEnt = 2,
    /// `ESRCH`: no such service.
    Srch = 3,
    /// `ENOMEM`.
    NoMem = 12,
    /// `EEXIST`: the service or destination already exists.
    Exist = 17,
    /// `ENODEV`: no such network interface.
    NoDev = 19,
    /// `EINVAL`: malformed or incomplete request.
    Inval = 22,
    /// `ERANGE`: a value out of range.
    Range = 34,
    /// `EAFNOSUPPORT`: an address family other than IPv4 or IPv6.
    AfNoSupport = 97,
}

impl Errno {
    /// The negative errno C returns.
    pub(crate) const fn to_errno(self) -> i32 {
        -(self as i32)
    }
}

// The host crate exists only under test (`pure.rs`): not(test) is the kernel build.
#[cfg(not(test))]
mod kernel_conversions {
    use super::Errno;
    use kernel::alloc::AllocError;

    impl From<AllocError> for Errno {
        fn from(_: AllocError) -> Self {
            Errno::NoMem
        }
    }

    impl From<Errno> for kernel::error::Error {
        fn from(e: Errno) -> Self {
            Self::from_errno(e.to_errno())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_numbers_match_linux() {
        // include/uapi/asm-generic/errno-base.h, and errno.h for EAFNOSUPPORT.
        let numbers = [
            (Errno::NoEnt, 2),        // ENOENT
            (Errno::Srch, 3),         // ESRCH
            (Errno::NoMem, 12),       // ENOMEM
            (Errno::Exist, 17),       // EEXIST
            (Errno::NoDev, 19),       // ENODEV
            (Errno::Inval, 22),       // EINVAL
            (Errno::Range, 34),       // ERANGE
            (Errno::AfNoSupport, 97), // EAFNOSUPPORT
        ];
        for (errno, number) in numbers {
            assert_eq!(errno as i32, number, "{errno:?}");
        }
    }

    #[test]
    fn c_returns_the_negative_number() {
        // `return -EINVAL;` and friends in ip_vs_ctl.c.
        assert_eq!(Errno::Inval.to_errno(), -22);
        assert_eq!(Errno::Srch.to_errno(), -3);
    }
}
