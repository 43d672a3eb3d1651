// SPDX-License-Identifier: GPL-2.0

//! Generic netlink families with operations, attribute policies, replies and dumps.
//!
//! `kernel::net::netlink` covers multicast-only families; this adds what a request/response
//! family needs: `genl_small_ops` dispatched to a Rust [`Handler`], `nla_policy` tables, typed
//! attribute access ([`Attr`], [`AttrSet`]) and message building ([`Writer`]) for `doit` replies
//! and `dumpit` parts.
//!
//! C header: [`include/net/genetlink.h`](srctree/include/net/genetlink.h)

use core::marker::PhantomData;
use kernel::{
    bindings,
    error::{from_result, to_result},
    prelude::*,
    types::Opaque,
    ThisModule,
};

use super::{bindings as glue, net::Net};

/// An attribute policy entry (`struct nla_policy`).
#[repr(transparent)]
#[derive(Clone, Copy)]
pub(crate) struct Policy(bindings::nla_policy);

// SAFETY: A policy is immutable data; the pointer members of its union are never set here.
unsafe impl Sync for Policy {}

impl Policy {
    const fn typed(ty: u32, len: u16) -> Self {
        Self(bindings::nla_policy {
            type_: ty as u8,
            len,
            ..pin_init::zeroed()
        })
    }
    /// No rule: the attribute is accepted as is (also used for unused slots).
    pub(crate) const UNSPEC: Self = Self::typed(bindings::NLA_UNSPEC, 0);
    /// A `u8`.
    pub(crate) const U8: Self = Self::typed(bindings::NLA_U8, 0);
    /// A `u16`.
    pub(crate) const U16: Self = Self::typed(bindings::NLA_U16, 0);
    /// A `u32`.
    pub(crate) const U32: Self = Self::typed(bindings::NLA_U32, 0);
    /// A nest of further attributes.
    pub(crate) const NESTED: Self = Self::typed(bindings::NLA_NESTED, 0);

    /// Any payload of at least `min` bytes.
    pub(crate) const fn min_len(min: u16) -> Self {
        Self::typed(bindings::NLA_UNSPEC, min)
    }
    /// Binary data of at most `max` bytes.
    pub(crate) const fn binary(max: u16) -> Self {
        Self::typed(bindings::NLA_BINARY, max)
    }
    /// A NUL-terminated string of at most `max` characters before the NUL.
    pub(crate) const fn nul_string(max: u16) -> Self {
        Self::typed(bindings::NLA_NUL_STRING, max)
    }
}

/// Permission and validation flags of an operation.
#[derive(Clone, Copy)]
pub(crate) struct OpFlags {
    /// `GENL_ADMIN_PERM`: the caller needs `CAP_NET_ADMIN` in the initial user namespace.
    pub(crate) admin: bool,
    /// `GENL_DONT_VALIDATE_STRICT | GENL_DONT_VALIDATE_DUMP`: legacy, liberal parsing.
    pub(crate) liberal: bool,
}

/// One operation of a family: which command, and whether it has a `doit` and/or a `dumpit`.
#[derive(Clone, Copy)]
pub(crate) struct Op {
    /// The command number.
    pub(crate) cmd: u8,
    /// Handled by [`Handler::doit`].
    pub(crate) doit: bool,
    /// Handled by [`Handler::dumpit`].
    pub(crate) dumpit: bool,
    /// Permission and validation.
    pub(crate) flags: OpFlags,
}

/// The code behind a family's operations.
pub(crate) trait Handler: 'static {
    /// Handles a request without `NLM_F_DUMP` for an op with `doit`.
    fn doit(req: &Request<'_>) -> Result;
    /// Adds the next part of a dump to `dump`; called until it adds nothing.
    fn dumpit(dump: &mut Dump<'_>) -> Result;
}

/// A generic netlink family with `N` operations handled by `H`.
///
/// # Invariants
///
/// `family.small_ops` points at `ops` and `family.policy` at a `'static` table of
/// `family.maxattr + 1` entries; the struct is only handed to C by [`Family::register`].
pub(crate) struct Family<H: Handler, const N: usize> {
    family: Opaque<bindings::genl_family>,
    ops: [bindings::genl_small_ops; N],
    _h: PhantomData<H>,
}

// SAFETY: After registration the kernel owns the mutable parts of `family`; Rust only passes its
// address around.
unsafe impl<H: Handler, const N: usize> Sync for Family<H, N> {}

impl<H: Handler, const N: usize> Family<H, N> {
    /// Describes a family; for `static` initialisers. Panics (at build time) on bad arguments.
    ///
    /// `policy` is the top-level attribute policy, indexed by attribute type; `resv_start_op` is
    /// the first command that gets strict validation regardless of op flags. The family works in
    /// every network namespace, and its operations run in parallel (`netnsok`, `parallel_ops`):
    /// handlers do their own locking.
    pub(crate) const fn new(
        module: &ThisModule,
        name: &CStr,
        version: u32,
        policy: &'static [Policy],
        ops: [Op; N],
        resv_start_op: u8,
    ) -> Self {
        let mut family = bindings::genl_family {
            version,
            maxattr: (policy.len() - 1) as u32,
            policy: policy.as_ptr().cast(),
            n_small_ops: N as u8,
            resv_start_op,
            module: module.as_ptr(),
            ..pin_init::zeroed()
        };
        assert!(N <= u8::MAX as usize);
        let name = name.to_bytes_with_nul();
        assert!(name.len() <= family.name.len());
        let mut i = 0;
        while i < name.len() {
            family.name[i] = name[i];
            i += 1;
        }
        // `netnsok` is bit 0 and `parallel_ops` bit 1 of the first bitfield unit; bindgen's
        // setters are not `const`, and the KUnit test in `net/netlink.rs` checks the same layout.
        let bits: u8 = 0b11;
        // SAFETY: The bitfield unit is a `[u8; 1]` wrapper, the same size as `u8`.
        family._bitfield_1 = unsafe {
            core::mem::transmute::<u8, bindings::__BindgenBitfieldUnit<[u8; 1]>>(u8::from_le(bits))
        };
        let mut small: [bindings::genl_small_ops; N] = pin_init::zeroed();
        let mut i = 0;
        while i < N {
            let op = ops[i];
            small[i] = bindings::genl_small_ops {
                doit: if op.doit {
                    Some(doit_callback::<H>)
                } else {
                    None
                },
                dumpit: if op.dumpit {
                    Some(dumpit_callback::<H>)
                } else {
                    None
                },
                cmd: op.cmd,
                internal_flags: 0,
                flags: if op.flags.admin {
                    bindings::GENL_ADMIN_PERM as u8
                } else {
                    0
                },
                validate: if op.flags.liberal {
                    (bindings::genl_validate_flags_GENL_DONT_VALIDATE_STRICT
                        | bindings::genl_validate_flags_GENL_DONT_VALIDATE_DUMP)
                        as u8
                } else {
                    0
                },
            };
            i += 1;
        }
        Self {
            family: Opaque::new(family),
            ops: small,
            _h: PhantomData,
        }
    }

    /// Registers the family; it is unregistered when the returned value is dropped.
    pub(crate) fn register(&'static self) -> Result<Registration> {
        // SAFETY: Not registered yet, so C does not look at the struct; `ops` is static.
        unsafe { (*self.family.get()).small_ops = self.ops.as_ptr() };
        // SAFETY: `family` is a valid, static, fully described family (type invariant).
        to_result(unsafe { bindings::genl_register_family(self.family.get()) })?;
        Ok(Registration {
            family: self.family.get(),
        })
    }

    fn raw(&self) -> *const bindings::genl_family {
        self.family.get()
    }
}

/// A registered family; unregistered on drop.
///
/// # Invariants
///
/// `family` points at a registered, `'static` family.
pub(crate) struct Registration {
    family: *mut bindings::genl_family,
}

// SAFETY: Unregistering may happen from any thread.
unsafe impl Send for Registration {}
// SAFETY: `&Registration` gives no access to anything.
unsafe impl Sync for Registration {}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: Registered by the type invariant; this waits for running operations.
        unsafe { bindings::genl_unregister_family(self.family) };
    }
}

/// A received attribute.
#[derive(Clone, Copy)]
pub(crate) struct Attr<'a> {
    payload: &'a [u8],
}

impl<'a> Attr<'a> {
    /// # Safety
    ///
    /// `nla` must point to an attribute whose header and `nla_len` bytes are valid for `'a`.
    unsafe fn from_raw(nla: *const bindings::nlattr) -> Attr<'a> {
        const HDR: usize = core::mem::size_of::<bindings::nlattr>();
        // SAFETY: The header is readable (caller).
        let len = usize::from(unsafe { (*nla).nla_len });
        let len = len.saturating_sub(HDR);
        // SAFETY: `nla_len` bytes from `nla`, the header included, are valid for `'a`.
        let payload = unsafe { core::slice::from_raw_parts(nla.cast::<u8>().add(HDR), len) };
        Attr { payload }
    }

    /// The payload bytes.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.payload
    }

    /// The first `K` payload bytes, `None` if shorter.
    pub(crate) fn array<const K: usize>(&self) -> Option<[u8; K]> {
        self.payload.get(..K)?.try_into().ok()
    }

    /// The payload's first byte, `None` if empty.
    pub(crate) fn u8(&self) -> Option<u8> {
        self.array::<1>().map(|b| b[0])
    }

    /// The payload as a native-endian `u16`, `None` if shorter.
    pub(crate) fn u16(&self) -> Option<u16> {
        self.array().map(u16::from_ne_bytes)
    }

    /// The payload as a native-endian `u32`, `None` if shorter.
    pub(crate) fn u32(&self) -> Option<u32> {
        self.array().map(u32::from_ne_bytes)
    }

    /// Parses the payload as a nest of attributes `1..=policy.len() - 1` with liberal (legacy)
    /// validation, as `nla_parse_nested_deprecated`.
    pub(crate) fn nested<const M: usize>(
        &self,
        policy: &'static [Policy; M],
    ) -> Result<AttrSet<'a, M>> {
        parse_liberal(self.payload, policy, core::ptr::null_mut())
    }

    /// As [`Attr::nested`], but a policy violation is also reported to the sender of `req` in
    /// the extended ack (message and offending attribute).
    pub(crate) fn nested_reporting<const M: usize>(
        &self,
        policy: &'static [Policy; M],
        req: &Request<'a>,
    ) -> Result<AttrSet<'a, M>> {
        // SAFETY: `info` is valid during the call (type invariant of `Request`).
        let extack = unsafe { (*req.info).extack };
        parse_liberal(self.payload, policy, extack)
    }
}

/// Parses a stream of attributes with liberal (legacy) validation against `policy`; errors are
/// described in `extack` unless it is null.
fn parse_liberal<'a, const M: usize>(
    stream: &'a [u8],
    policy: &'static [Policy; M],
    extack: *mut bindings::netlink_ext_ack,
) -> Result<AttrSet<'a, M>> {
    let mut tb = [core::ptr::null_mut::<bindings::nlattr>(); M];
    // SAFETY: `tb` has room for `M` = maxtype + 1 pointers; `stream` is a valid buffer of its
    // length; `policy` has `M` entries; `extack` is null or the running request's.
    to_result(unsafe {
        bindings::__nla_parse(
            tb.as_mut_ptr(),
            (M - 1) as c_int,
            stream.as_ptr().cast(),
            stream.len() as c_int,
            policy.as_ptr().cast(),
            bindings::netlink_validation_NL_VALIDATE_LIBERAL,
            extack,
        )
    })?;
    // INVARIANT: `__nla_parse` stored pointers to validated attributes inside `stream`.
    Ok(AttrSet {
        tb,
        _payload: PhantomData,
    })
}

/// Attributes of a nest, indexed by type.
///
/// # Invariants
///
/// Each non-null entry of `tb` points to a validated attribute inside a buffer valid for `'a`.
pub(crate) struct AttrSet<'a, const M: usize> {
    tb: [*mut bindings::nlattr; M],
    _payload: PhantomData<&'a [u8]>,
}

impl<'a, const M: usize> AttrSet<'a, M> {
    /// The attribute of type `ty`, if present.
    pub(crate) fn get(&self, ty: u16) -> Option<Attr<'a>> {
        let p = *self.tb.get(usize::from(ty))?;
        // SAFETY: Non-null entries are valid attributes for `'a` (type invariant).
        (!p.is_null()).then(|| unsafe { Attr::from_raw(p) })
    }
}

/// A `doit` request.
///
/// # Invariants
///
/// `skb` and `info` are the live arguments of the running `doit` call, for family `family`.
pub(crate) struct Request<'a> {
    skb: *mut bindings::sk_buff,
    info: *mut bindings::genl_info,
    _call: PhantomData<&'a ()>,
}

impl<'a> Request<'a> {
    /// The command of the request.
    pub(crate) fn cmd(&self) -> u8 {
        // SAFETY: `info` and its `genlhdr` are valid during the call (type invariant).
        unsafe { (*(*self.info).genlhdr).cmd }
    }

    /// The namespace of the requesting socket.
    pub(crate) fn net(&self) -> &'a Net {
        // SAFETY: The socket of a request being handled holds a reference on its namespace.
        unsafe { Net::from_raw(glue::ipvs_rs_skb_net(self.skb)) }
    }

    /// The top-level attribute of type `ty`, parsed against the family policy.
    pub(crate) fn attr(&self, ty: u16) -> Option<Attr<'a>> {
        // SAFETY: `info` is valid; `family` and `attrs` were set up by the genl core.
        let (attrs, maxattr) = unsafe { ((*self.info).attrs, (*(*self.info).family).maxattr) };
        if attrs.is_null() || u32::from(ty) > maxattr {
            return None;
        }
        // SAFETY: `attrs` has `maxattr + 1` entries.
        let p = unsafe { *attrs.add(usize::from(ty)) };
        // SAFETY: Non-null entries point to validated attributes in the request, which lives
        // for the call.
        (!p.is_null()).then(|| unsafe { Attr::from_raw(p) })
    }

    /// Sends a reply with command `cmd` whose attributes `fill` writes.
    pub(crate) fn reply<H: Handler, const N: usize>(
        &self,
        family: &'static Family<H, N>,
        cmd: u8,
        fill: impl FnOnce(&mut Writer<'_>) -> Result,
    ) -> Result {
        // SAFETY: `genlmsg_new` takes plain integers.
        let skb = unsafe {
            // `NLMSG_DEFAULT_SIZE` in all, as C's replies.
            bindings::genlmsg_new(bindings::GENLMSG_DEFAULT_SIZE, bindings::GFP_KERNEL)
        };
        if skb.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `skb` is a fresh message; `info` is the live request; `family` is registered.
        let hdr = unsafe { glue::ipvs_rs_genlmsg_put_reply(skb, self.info, family.raw(), cmd) };
        let result = if hdr.is_null() {
            Err(EMSGSIZE)
        } else {
            fill(&mut Writer::new(skb))
        };
        match result {
            Ok(()) => {
                // SAFETY: `hdr` is this message's header; `genlmsg_reply` consumes `skb`.
                unsafe {
                    bindings::genlmsg_end(skb, hdr);
                    to_result(glue::ipvs_rs_genlmsg_reply(skb, self.info))
                }
            }
            Err(e) => {
                // SAFETY: `skb` is still ours.
                unsafe { bindings::nlmsg_free(skb) };
                Err(e)
            }
        }
    }
}

/// A dump in progress: one `dumpit` call filling one message buffer.
///
/// # Invariants
///
/// `skb` and `cb` are the live arguments of the running `dumpit` call.
pub(crate) struct Dump<'a> {
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
    _call: PhantomData<&'a ()>,
}

impl<'a> Dump<'a> {
    /// The command being dumped.
    pub(crate) fn cmd(&self) -> u8 {
        // SAFETY: `cb` is a live genl dump callback (type invariant).
        unsafe { glue::ipvs_rs_genl_dump_cmd(self.cb) }
    }

    /// The namespace of the requesting socket.
    pub(crate) fn net(&self) -> &'a Net {
        // SAFETY: The dumping socket holds a reference on its namespace.
        unsafe { Net::from_raw(glue::ipvs_rs_skb_net(self.skb)) }
    }

    /// The top-level attributes of the dump request, parsed against `policy` with liberal
    /// validation, as `nlmsg_parse_deprecated` after the genl header.
    pub(crate) fn request_attrs<const M: usize>(
        &self,
        policy: &'static [Policy; M],
    ) -> Result<AttrSet<'a, M>> {
        // `NLMSG_HDRLEN + GENL_HDRLEN`: both headers, each padded to `NLMSG_ALIGNTO` (4).
        const fn align4(n: usize) -> usize {
            (n + 3) & !3
        }
        const HDRS: usize = align4(core::mem::size_of::<bindings::nlmsghdr>())
            + align4(core::mem::size_of::<bindings::genlmsghdr>());
        // SAFETY: `cb->nlh` is the request, whose `nlmsg_len` bytes the netlink core checked to
        // be present; it lives until the dump ends, which outlives `'a`.
        let msg = unsafe {
            let nlh = (*self.cb).nlh;
            let len = (*nlh).nlmsg_len as usize;
            core::slice::from_raw_parts(nlh.cast::<u8>(), len)
        };
        parse_liberal(
            msg.get(HDRS..).ok_or(EINVAL)?,
            policy,
            core::ptr::null_mut(),
        )
    }

    /// How many items the earlier calls of this dump sent (kept between calls in the first of
    /// the `long`s the genl core zeroes and leaves to dumpers).
    pub(crate) fn position(&self) -> usize {
        // SAFETY: `cb` is live during the call; `args` is the union view the genl core leaves
        // to dumpers.
        let sent = unsafe { (*self.cb).__bindgen_anon_1.args[0] };
        usize::try_from(sent).unwrap_or(0)
    }

    /// Records that one more item was sent.
    pub(crate) fn advance(&mut self) {
        // SAFETY: `cb` is live and exclusively ours during the call; `args` is the union view
        // the genl core leaves to dumpers.
        unsafe { (*self.cb).__bindgen_anon_1.args[0] += 1 };
    }

    /// Appends one message with command `cmd` whose attributes `fill` writes.
    ///
    /// Returns `Ok(false)`, leaving the buffer as it was, when the message does not fit: the
    /// dump then continues in the next buffer.
    pub(crate) fn add<H: Handler, const N: usize>(
        &mut self,
        family: &'static Family<H, N>,
        cmd: u8,
        fill: impl FnOnce(&mut Writer<'_>) -> Result,
    ) -> Result<bool> {
        // SAFETY: `skb`/`cb` are live; `family` is registered.
        let hdr = unsafe { glue::ipvs_rs_genlmsg_put_dump(self.skb, self.cb, family.raw(), cmd) };
        if hdr.is_null() {
            return Ok(false);
        }
        match fill(&mut Writer::new(self.skb)) {
            Ok(()) => {
                // SAFETY: `hdr` is the header just put into `skb`.
                unsafe { bindings::genlmsg_end(self.skb, hdr) };
                Ok(true)
            }
            Err(e) => {
                // SAFETY: `hdr` is the header just put into `skb`; this trims the message off.
                unsafe { bindings::genlmsg_cancel(self.skb, hdr) };
                if e == EMSGSIZE {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// Writes attributes into a message being built; every `put` fails with `EMSGSIZE` when full.
///
/// # Invariants
///
/// `skb` is a message under construction that the caller owns for `'a`.
pub(crate) struct Writer<'a> {
    skb: *mut bindings::sk_buff,
    _msg: PhantomData<&'a mut ()>,
}

impl Writer<'_> {
    fn new(skb: *mut bindings::sk_buff) -> Self {
        Self {
            skb,
            _msg: PhantomData,
        }
    }

    /// Puts an attribute with payload `data`.
    pub(crate) fn put(&mut self, ty: u16, data: &[u8]) -> Result {
        // SAFETY: `skb` is valid (type invariant); `data` is readable for its length.
        let r = unsafe {
            bindings::nla_put(
                self.skb,
                c_int::from(ty),
                data.len() as c_int,
                data.as_ptr().cast(),
            )
        };
        to_result(r).map_err(|_| EMSGSIZE)
    }
    /// Puts a `u8`.
    pub(crate) fn put_u8(&mut self, ty: u16, v: u8) -> Result {
        self.put(ty, &[v])
    }
    /// Puts a native-endian `u16`.
    pub(crate) fn put_u16(&mut self, ty: u16, v: u16) -> Result {
        self.put(ty, &v.to_ne_bytes())
    }
    /// Puts a native-endian `u32`.
    pub(crate) fn put_u32(&mut self, ty: u16, v: u32) -> Result {
        self.put(ty, &v.to_ne_bytes())
    }
    /// Puts a native-endian `u64`, padded with attribute `pad` where alignment requires it.
    pub(crate) fn put_u64(&mut self, ty: u16, v: u64, pad: u16) -> Result {
        let data = v.to_ne_bytes();
        // SAFETY: `skb` is valid; `data` is 8 readable bytes.
        let r = unsafe {
            bindings::nla_put_64bit(
                self.skb,
                c_int::from(ty),
                8,
                data.as_ptr().cast(),
                c_int::from(pad),
            )
        };
        to_result(r).map_err(|_| EMSGSIZE)
    }

    /// Puts a nest of type `ty` (without `NLA_F_NESTED`, as `nla_nest_start_noflag`) whose
    /// contents `fill` writes; on error the partial nest is removed.
    pub(crate) fn nest(&mut self, ty: u16, fill: impl FnOnce(&mut Self) -> Result) -> Result {
        // SAFETY: `skb` is valid.
        let start = unsafe { glue::ipvs_rs_nla_nest_start_noflag(self.skb, c_int::from(ty)) };
        if start.is_null() {
            return Err(EMSGSIZE);
        }
        match fill(self) {
            // SAFETY: `start` is the nest header just put into `skb`.
            Ok(()) => unsafe {
                glue::ipvs_rs_nla_nest_end(self.skb, start);
                Ok(())
            },
            Err(e) => {
                // SAFETY: As above; this trims the nest and everything after it.
                unsafe { glue::ipvs_rs_nla_nest_cancel(self.skb, start) };
                Err(e)
            }
        }
    }
}

/// The `doit` of every op that has one.
///
/// # Safety
///
/// Called by the genl core only, with the live request of a registered family using `H`.
unsafe extern "C" fn doit_callback<H: Handler>(
    skb: *mut bindings::sk_buff,
    info: *mut bindings::genl_info,
) -> c_int {
    // INVARIANT: the genl core passes the live request of this call.
    let req = Request {
        skb,
        info,
        _call: PhantomData,
    };
    from_result(|| H::doit(&req).map(|()| 0))
}

/// The `dumpit` of every op that has one.
///
/// # Safety
///
/// Called by the netlink core only, with the live dump of a registered family using `H`.
unsafe extern "C" fn dumpit_callback<H: Handler>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> c_int {
    // INVARIANT: the netlink core passes the live dump buffer and callback of this call.
    let mut dump = Dump {
        skb,
        cb,
        _call: PhantomData,
    };
    from_result(|| {
        H::dumpit(&mut dump)?;
        // SAFETY: `skb` is live. A dump returns the bytes it added; 0 ends it.
        Ok(unsafe { glue::ipvs_rs_skb_len(skb) } as c_int)
    })
}
