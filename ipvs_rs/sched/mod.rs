// SPDX-License-Identifier: GPL-2.0

//! Schedulers: how a virtual service picks a real server for a new connection.
//!
//! The control plane binds services to schedulers by name, as C does. The algorithms arrive
//! with the data plane, one file per scheduler behind one trait; until then only the names are
//! known, so that services can be configured exactly as with the C module.

/// Scheduler names the C module provides (one `ip_vs_<name>` module each).
const NAMES: [&str; 14] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

/// The name services show when they have no scheduler.
pub(crate) const NONE: &str = "none";

/// Looks a scheduler up by the name user space sent: `Ok(None)` for `none` (no scheduler),
/// `Err(())` if there is no such scheduler (C answers `ENOENT`).
pub(crate) fn lookup(name: &[u8]) -> Result<Option<&'static str>, ()> {
    if name == NONE.as_bytes() {
        return Ok(None);
    }
    NAMES
        .iter()
        .find(|n| n.as_bytes() == name)
        .map(|n| Some(*n))
        .ok_or(())
}

/// Persistence engines (`ip_vs_pe_<name>` modules in C).
const PE_NAMES: [&str; 1] = ["sip"];

/// Looks a persistence engine up by name; `Err(())` if unknown (`ENOENT`).
pub(crate) fn lookup_pe(name: &[u8]) -> Result<&'static str, ()> {
    PE_NAMES
        .iter()
        .find(|n| n.as_bytes() == name)
        .copied()
        .ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(lookup(b"none"), Ok(None));
        assert_eq!(lookup(b"wlc"), Ok(Some("wlc")));
        assert_eq!(lookup(b"bogus"), Err(()));
        assert_eq!(lookup(b""), Err(()));
        assert_eq!(lookup_pe(b"sip"), Ok("sip"));
        assert_eq!(lookup_pe(b"ftp"), Err(()));
    }
}
