// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/ip_vs*` files.

use kernel::prelude::*;

use crate::{
    glue::{
        net::Net,
        procfs::{ProcShow, ProcText},
    },
    netns::Ipvs,
    proc_text,
};

/// `/proc/net/ip_vs`: the virtual services and their real servers.
pub(crate) struct Services;

impl ProcShow for Services {
    fn show(net: &Net, out: &mut ProcText<'_>) -> Result {
        let ipvs = Ipvs::of(net)?;
        proc_text::write_services_header(out, ipvs.conn_tab_size()).map_err(|_| EINVAL)
    }
}
