// SPDX-License-Identifier: GPL-2.0

//! Connection-synchronisation daemons: which are running and with what configuration.
//!
//! Only the configuration state for now (`NEW/DEL/GET_DAEMON`, `IP_VS_SO_SET_STARTDAEMON`, ...):
//! the checks, defaults and replies follow C's `start_sync_thread` and `stop_sync_thread`.

use crate::error::Errno;
use crate::uapi::{STATE_BACKUP, STATE_MASTER};

/// Default multicast group, 224.0.0.81 (`IP_VS_SYNC_GROUP`).
const SYNC_GROUP: [u8; 4] = [224, 0, 0, 81];
/// Default base UDP port (`IP_VS_SYNC_PORT`).
const SYNC_PORT: u16 = 8848;
/// Largest UDP payload, before the IP and UDP headers are taken off.
const MAX_PAYLOAD: u32 = 65535;

/// The multicast group sync messages go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Group {
    /// An IPv4 group (network byte order).
    V4([u8; 4]),
    /// An IPv6 group.
    V6([u8; 16]),
}

/// The configuration of one daemon (`struct ipvs_sync_daemon_cfg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DaemonConfig {
    /// Interface name, NUL-padded; at most 15 bytes long.
    pub(crate) ifname: [u8; 16],
    /// Sync id: a backup takes only messages with its id.
    pub(crate) syncid: u32,
    /// Largest sync message payload; 0 asks for the default.
    pub(crate) sync_maxlen: u16,
    /// Multicast group; `None` asks for the default.
    pub(crate) group: Option<Group>,
    /// Base UDP port, host order; 0 asks for the default.
    pub(crate) port: u16,
    /// Multicast TTL; 0 asks for the default.
    pub(crate) ttl: u8,
}

impl DaemonConfig {
    /// A request with only the mandatory fields; `None` if `ifname` (up to its first NUL) does
    /// not fit in 15 bytes, where C's `strscpy` into 16 bytes fails.
    pub(crate) fn new(ifname: &[u8], syncid: u32) -> Option<Self> {
        let len = ifname.iter().position(|&c| c == 0).unwrap_or(ifname.len());
        if len > 15 {
            return None;
        }
        let mut name = [0; 16];
        name[..len].copy_from_slice(&ifname[..len]);
        Some(Self {
            ifname: name,
            syncid,
            sync_maxlen: 0,
            group: None,
            port: 0,
            ttl: 0,
        })
    }

    /// The interface name, without NULs.
    pub(crate) fn ifname(&self) -> &[u8] {
        let len = self.ifname.iter().position(|&c| c == 0).unwrap_or(16);
        &self.ifname[..len]
    }

    /// The interface name with its NUL terminator.
    pub(crate) fn ifname_with_nul(&self) -> &[u8] {
        &self.ifname[..=self.ifname().len()]
    }

    /// The multicast group with the default applied.
    pub(crate) fn group(&self) -> Group {
        self.group.unwrap_or(Group::V4(SYNC_GROUP))
    }
}

/// The daemons of a namespace.
#[derive(Default)]
pub(crate) struct Daemons {
    master: Option<DaemonConfig>,
    backup: Option<DaemonConfig>,
}

impl Daemons {
    /// None running.
    pub(crate) const fn new() -> Self {
        Self {
            master: None,
            backup: None,
        }
    }

    /// Starts the daemon for `state`, after the interface lookup gave `dev_mtu` (`None` when the
    /// interface does not exist). Checks and defaults come in C's order: the interface first,
    /// then whether that daemon already runs, then the state itself.
    pub(crate) fn start(
        &mut self,
        state: u32,
        mut c: DaemonConfig,
        dev_mtu: Option<u32>,
    ) -> Result<(), Errno> {
        c.group = Some(c.group());
        if c.port == 0 {
            c.port = SYNC_PORT;
        }
        if c.ttl == 0 {
            c.ttl = 1;
        }
        let dev_mtu = dev_mtu.ok_or(Errno::NoDev)?;
        // IP and UDP headers.
        let hlen = match c.group() {
            Group::V4(_) => 20 + 8,
            Group::V6(_) => 40 + 8,
        };
        let backup = state == STATE_BACKUP;
        // A backup receives what any master may send; a master sends standard-MTU messages.
        let (mtu, min) = if backup {
            (dev_mtu.clamp(1500, MAX_PAYLOAD), 1024)
        } else {
            (1500, 1)
        };
        let maxlen = match u32::from(c.sync_maxlen) {
            0 => mtu - hlen,
            n => n.clamp(min, MAX_PAYLOAD - hlen),
        };
        c.sync_maxlen = maxlen as u16;
        let slot = match state {
            STATE_MASTER => &mut self.master,
            STATE_BACKUP => &mut self.backup,
            _ => return Err(Errno::Inval),
        };
        if slot.is_some() {
            return Err(Errno::Exist);
        }
        *slot = Some(c);
        Ok(())
    }

    /// Stops the daemon for `state`: `ESRCH` if it is not running, `EINVAL` for other states.
    pub(crate) fn stop(&mut self, state: u32) -> Result<(), Errno> {
        let slot = match state {
            STATE_MASTER => &mut self.master,
            STATE_BACKUP => &mut self.backup,
            _ => return Err(Errno::Inval),
        };
        slot.take().map(|_| ()).ok_or(Errno::Srch)
    }

    /// The running master's configuration.
    pub(crate) fn master(&self) -> Option<&DaemonConfig> {
        self.master.as_ref()
    }

    /// The running backup's configuration.
    pub(crate) fn backup(&self) -> Option<&DaemonConfig> {
        self.backup.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DaemonConfig {
        DaemonConfig::new(b"eth0\0", 7).unwrap()
    }

    #[test]
    fn names_must_fit() {
        assert_eq!(DaemonConfig::new(b"\0", 1).unwrap().ifname(), b"");
        assert!(DaemonConfig::new(b"0123456789abcdef", 1).is_none());
        let c = DaemonConfig::new(b"0123456789abcde\0", 1).unwrap();
        assert_eq!(c.ifname(), b"0123456789abcde");
        assert_eq!(c.ifname_with_nul(), b"0123456789abcde\0");
    }

    #[test]
    fn defaults_as_c() {
        let mut d = Daemons::new();
        d.start(STATE_MASTER, cfg(), Some(65536)).unwrap();
        let m = d.master().unwrap();
        assert_eq!((m.port, m.ttl, m.sync_maxlen), (8848, 1, 1472));
        assert_eq!(m.group, Some(Group::V4([224, 0, 0, 81])));
        d.start(STATE_BACKUP, cfg(), Some(65536)).unwrap();
        assert_eq!(d.backup().unwrap().sync_maxlen, 65507);
        let mut d = Daemons::new();
        let c = DaemonConfig {
            sync_maxlen: 10,
            group: Some(Group::V6([0xff; 16])),
            ..cfg()
        };
        d.start(STATE_BACKUP, c, Some(1500)).unwrap();
        assert_eq!(d.backup().unwrap().sync_maxlen, 1024);
        let c = DaemonConfig {
            sync_maxlen: 65535,
            ..cfg()
        };
        d.start(STATE_MASTER, c, Some(1500)).unwrap();
        assert_eq!(d.master().unwrap().sync_maxlen, 65507);
    }

    #[test]
    fn errors_in_c_order() {
        let mut d = Daemons::new();
        assert_eq!(d.start(3, cfg(), None), Err(Errno::NoDev));
        assert_eq!(d.start(3, cfg(), Some(1500)), Err(Errno::Inval));
        d.start(STATE_MASTER, cfg(), Some(1500)).unwrap();
        assert_eq!(d.start(STATE_MASTER, cfg(), None), Err(Errno::NoDev));
        assert_eq!(d.start(STATE_MASTER, cfg(), Some(1500)), Err(Errno::Exist));
        assert_eq!(d.stop(STATE_BACKUP), Err(Errno::Srch));
        assert_eq!(d.stop(0), Err(Errno::Inval));
        assert_eq!(d.stop(STATE_MASTER), Ok(()));
        assert!(d.master().is_none() && d.backup().is_none());
    }
}
