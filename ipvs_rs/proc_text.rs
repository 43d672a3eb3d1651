// SPDX-License-Identifier: GPL-2.0

//! Text of the `/proc/net/ip_vs*` files, byte for byte as the C module writes it.

use core::fmt::{self, Write};

use crate::uapi;

/// Writes the three header lines of `/proc/net/ip_vs`; `conn_tab_size` is the current number of
/// connection hash buckets (0 until the first service of the namespace is added).
pub(crate) fn write_services_header(w: &mut impl Write, conn_tab_size: u32) -> fmt::Result {
    let (major, minor, patch) = uapi::version_parts(uapi::VERSION_CODE);
    writeln!(
        w,
        "IP Virtual Server version {major}.{minor}.{patch} (size={conn_tab_size})"
    )?;
    w.write_str("Prot LocalAddress:Port Scheduler Flags\n")?;
    w.write_str("  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_header_matches_c() {
        let mut s = String::new();
        write_services_header(&mut s, 0).unwrap();
        assert_eq!(
            s,
            "IP Virtual Server version 1.2.1 (size=0)\n\
             Prot LocalAddress:Port Scheduler Flags\n  \
             -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"
        );
    }
}
