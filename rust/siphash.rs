// SPDX-License-Identifier: GPL-2.0

//! Keyed hashing for hash tables that remote peers fill (`siphash`).
//!
//! C header: [`include/linux/siphash.h`](srctree/include/linux/siphash.h)

use kernel::bindings;

/// A random SipHash key.
pub(crate) struct SipKey(bindings::siphash_key_t);

impl SipKey {
    /// A fresh key from the kernel's random pool.
    pub(crate) fn random() -> Self {
        let mut key = bindings::siphash_key_t { key: [0; 2] };
        // SAFETY: `key` is a valid buffer of the given size.
        unsafe {
            bindings::get_random_bytes(
                (&raw mut key).cast(),
                core::mem::size_of::<bindings::siphash_key_t>(),
            )
        };
        Self(key)
    }

    /// SipHash-2-4 of `words`.
    pub(crate) fn hash_words(&self, words: &[u64]) -> u64 {
        // The aligned variant is not exported where unaligned access is cheap.
        // SAFETY: `words` is valid for its length in bytes; `self.0` is a valid key; the
        // function only reads both.
        unsafe {
            bindings::__siphash_unaligned(
                words.as_ptr().cast(),
                core::mem::size_of_val(words),
                &self.0,
            )
        }
    }

    /// SipHash-2-4 of `bytes`.
    pub(crate) fn hash_bytes(&self, bytes: &[u8]) -> u64 {
        // SAFETY: `bytes` is valid for its length; `self.0` is a valid key; the function only
        // reads both.
        unsafe { bindings::__siphash_unaligned(bytes.as_ptr().cast(), bytes.len(), &self.0) }
    }

    /// SipHash-2-4 of two words.
    pub(crate) fn hash(&self, a: u64, b: u64) -> u64 {
        // SAFETY: `self.0` is a valid key; the function only reads it.
        unsafe { bindings::siphash_2u64(a, b, &self.0) }
    }
}
