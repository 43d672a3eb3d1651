// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks (`struct nf_hook_ops`), registered per network namespace.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use core::marker::PhantomData;
use kernel::{
    bindings,
    ffi::{c_uint, c_void},
    new_mutex,
    prelude::*,
    sync::Mutex,
    types::Opaque, //
};

use super::{
    bindings as glue,
    net::Net,
    skb::HookSkb,
    verdict::{Family, HookPoint, Verdict},
};

/// Has netfilter reassemble IPv6 fragments in `net` before its hooks see them (for good: C
/// never turns it off either).
pub(crate) fn enable_ipv6_defrag(net: &Net) -> Result {
    // SAFETY: `net` is live.
    kernel::error::to_result(unsafe { glue::ipvs_rs_nf_defrag_ipv6_enable(net.as_raw()) })
}

/// The context of one hook invocation (`struct nf_hook_state`).
///
/// # Invariants
///
/// `state` points to a valid `nf_hook_state` for `'a`, whose `net` is live.
pub(crate) struct HookState<'a> {
    state: *const glue::nf_hook_state,
    _p: PhantomData<&'a ()>,
}

impl<'a> HookState<'a> {
    /// The hook point.
    pub(crate) fn point(&self) -> Option<HookPoint> {
        // SAFETY: `state` is valid (type invariant).
        HookPoint::from_raw(unsafe { (*self.state).hook })
    }

    /// The family of the hook (and so of the packet's network header), if IP.
    pub(crate) fn family(&self) -> Option<Family> {
        // SAFETY: `state` is valid (type invariant).
        Family::from_nfproto(unsafe { (*self.state).pf })
    }

    /// The namespace the packet is in.
    pub(crate) fn net(&self) -> &'a Net {
        // SAFETY: `state` is valid and its `net` is live for the call (type invariant).
        unsafe { Net::from_raw((*self.state).net) }
    }
}

/// A hook function.
pub(crate) trait Hook {
    /// Handles one packet; the verdict says what netfilter does with it next.
    fn run(state: &HookState<'_>, skb: HookSkb<'_>) -> Verdict;
}

/// The C entry point of hook `H`.
///
/// # Safety
///
/// Called by netfilter only, with a valid packet and state for the duration of the call.
unsafe extern "C" fn trampoline<H: Hook>(
    _priv: *mut c_void,
    skb: *mut bindings::sk_buff,
    state: *const glue::nf_hook_state,
) -> c_uint {
    // INVARIANT: netfilter passes a valid state whose namespace is live.
    let state = HookState {
        state,
        _p: PhantomData,
    };
    // Only IPv4 and IPv6 hooks are registered (`HookSpec::new` takes a `Family`).
    let Some(family) = state.family() else {
        return Verdict::Accept.to_raw();
    };
    // SAFETY: netfilter hands the packet to the hook, which owns it until it returns a verdict;
    // at a hook of `family` the packet starts at a network header of that family.
    let skb = unsafe { HookSkb::from_raw(skb, family) };
    H::run(&state, skb).to_raw()
}

/// One entry of a [`HookTable`].
pub(crate) struct HookSpec {
    hook: glue::nf_hookfn,
    pf: u8,
    point: HookPoint,
    priority: i32,
}

impl HookSpec {
    /// Hook `H` at `point` of `family`, ordered by `priority` (lower first).
    pub(crate) const fn new<H: Hook>(family: Family, point: HookPoint, priority: i32) -> Self {
        Self {
            hook: Some(trampoline::<H>),
            pf: family.nfproto(),
            point,
            priority,
        }
    }
}

/// A static set of hooks that namespaces register (netfilter keeps pointers to the operations,
/// so they must outlive every registration).
///
/// # Invariants
///
/// `ops` holds `N` operations, each of an IPv4 or IPv6 hook (a [`HookSpec`] of a [`Family`])
/// whose function is the trampoline of a [`Hook`]; Rust never changes them after `new`.
pub(crate) struct HookTable<const N: usize> {
    ops: Opaque<[glue::nf_hook_ops; N]>,
}

// SAFETY: After construction the operations are only handed to C, which links them into its own
// per-namespace tables under its own locks and never changes the fields we set.
unsafe impl<const N: usize> Sync for HookTable<N> {}

impl<const N: usize> HookTable<N> {
    /// The operations for `specs`.
    pub(crate) const fn new(specs: [HookSpec; N]) -> Self {
        let mut ops = [const { zeroed_ops() }; N];
        let mut i = 0;
        while i < N {
            ops[i].hook = specs[i].hook;
            ops[i].pf = specs[i].pf;
            ops[i].hooknum = specs[i].point as c_uint;
            ops[i].priority = specs[i].priority;
            i += 1;
        }
        // INVARIANT: every entry was made from a `HookSpec`.
        Self {
            ops: Opaque::new(ops),
        }
    }

    fn ops(&self) -> *const glue::nf_hook_ops {
        self.ops.get().cast()
    }
}

const fn zeroed_ops() -> glue::nf_hook_ops {
    // SAFETY: `nf_hook_ops` is a C struct of pointers, integers and an enum whose zero value is
    // `NF_HOOK_OP_UNDEFINED`: all-zero is a valid (unregistered, empty) value.
    unsafe { core::mem::zeroed() }
}

/// The hooks of a [`HookTable`] in one namespace, registered while enabled.
///
/// # Invariants
///
/// `net` outlives this value (it lives in the namespace's pernet state, dropped from its pernet
/// exit at the latest); the table's operations are registered in `net` exactly while
/// `registered` holds `true`.
#[pin_data(PinnedDrop)]
pub(crate) struct NetHooks<const N: usize> {
    net: *mut bindings::net,
    table: &'static HookTable<N>,
    #[pin]
    registered: Mutex<bool>,
}

// SAFETY: Registration state changes under the mutex; `net` is only passed to C.
unsafe impl<const N: usize> Send for NetHooks<N> {}
// SAFETY: See `Send`.
unsafe impl<const N: usize> Sync for NetHooks<N> {}

impl<const N: usize> NetHooks<N> {
    /// The hooks of `table` for `net`, not registered yet.
    pub(crate) fn new<'a>(net: &'a Net, table: &'static HookTable<N>) -> impl PinInit<Self> + 'a {
        // INVARIANT: not registered; `net` is the namespace whose state this becomes part of.
        pin_init!(Self {
            net: net.as_raw(),
            table,
            registered <- new_mutex!(false),
        })
    }

    /// Registers (`true`) or unregisters the hooks; `Ok(true)` if that changed anything.
    /// Unregistering waits until no CPU runs them.
    pub(crate) fn set_enabled(&self, enable: bool) -> Result<bool> {
        let mut registered = self.registered.lock();
        if *registered == enable {
            return Ok(false);
        }
        if enable {
            // SAFETY: `net` is live (type invariant); the operations are static and initialised.
            kernel::error::to_result(unsafe {
                glue::nf_register_net_hooks(self.net, self.table.ops(), N as c_uint)
            })?;
        } else {
            // SAFETY: Registered in the live `net` (type invariant).
            unsafe { glue::nf_unregister_net_hooks(self.net, self.table.ops(), N as c_uint) };
        }
        *registered = enable;
        Ok(true)
    }
}

#[pinned_drop]
impl<const N: usize> PinnedDrop for NetHooks<N> {
    fn drop(self: Pin<&mut Self>) {
        // Cannot fail when disabling.
        let _ = self.set_enabled(false);
    }
}
