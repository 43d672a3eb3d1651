// SPDX-License-Identifier: GPL-2.0

//! Which real servers of a service changed their connection counters since its scheduler last
//! looked: the least-connection family keeps a tournament over the servers (see
//! `sched/least.rs`), which a pick brings up to date from these marks instead of reading every
//! server as C's loops do.
//!
//! A server marks its slot (its index in the service's list) after each change of its counters,
//! without a lock; the scheduler takes the marks under its lock before it picks. Slots fold onto
//! [`SPAN`] marks (slot modulo `SPAN`), so a mark may stand for several servers, which are all
//! looked at again. Marks are bits of [`WORDS`] words, with a summary word whose bit `w` says
//! that word `w` may have marks: taking them reads one word when nothing changed.
//!
//! Ordering: a server changes its counters, then, after a full barrier, reads its slot and sets
//! its marks; the scheduler clears the marks with full ordering, then reads the counters. So either
//! the scheduler sees a mark made after the change, or the mark was cleared after it was made,
//! and the counters read after that show the change (the store-buffering pattern with full
//! barriers on both sides). A server whose slot changes at the same time marks its old slot
//! (a server looked at once more for nothing) and its change is seen by the rebuild that moved
//! it, which writes the slots before it reads the counters.

use kernel::sync::atomic::{Atomic, Full, Relaxed, Release};

/// Words of marks.
const WORDS: usize = 64;

/// Marks: slots fold onto this many.
pub(crate) const SPAN: usize = WORDS * 64;

/// The slot of a server that is in no list.
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// The marks of one service, shared with its servers.
pub(crate) struct Standings {
    /// Bit `w` set: word `w` may have marks.
    summary: Atomic<u64>,
    /// Bit `b` of word `w`: slot `64 * w + b` (modulo [`SPAN`]) changed.
    words: [Atomic<u64>; WORDS],
}

impl Standings {
    /// No marks.
    pub(crate) const fn new() -> Self {
        Self {
            summary: Atomic::new(0),
            words: [const { Atomic::new(0) }; WORDS],
        }
    }

    /// The server in `slot` changed its counters (and a full barrier followed the change).
    pub(crate) fn mark(&self, slot: u32) {
        if slot == NO_SLOT {
            return;
        }
        let bit = slot as usize % SPAN;
        let (w, b) = (bit / 64, 1u64 << (bit % 64));
        // A mark already there covers this change too: the scheduler reads the counters only
        // after it clears the mark.
        if set(&self.words[w], b) {
            set(&self.summary, 1u64 << w);
        }
    }

    /// Takes every mark, calling `changed` with each marked slot (modulo [`SPAN`]). Clears with
    /// full ordering, so that the counters `changed` reads are those of the marking changes.
    pub(crate) fn take(&self, mut changed: impl FnMut(usize)) {
        if self.summary.load(Relaxed) == 0 {
            return;
        }
        let mut summary = self.summary.xchg(0, Full);
        while summary != 0 {
            let w = summary.trailing_zeros() as usize;
            summary &= summary - 1;
            let mut word = self.words[w].xchg(0, Full);
            while word != 0 {
                changed(64 * w + word.trailing_zeros() as usize);
                word &= word - 1;
            }
        }
    }

    /// Clears every mark with full ordering (after the slots were given out anew, before the
    /// counters are read).
    pub(crate) fn clear(&self) {
        self.summary.xchg(0, Full);
        for w in &self.words {
            w.xchg(0, Full);
        }
    }
}

/// Sets `bit` in `word`; `true` if it was clear.
fn set(word: &Atomic<u64>, bit: u64) -> bool {
    let mut old = word.load(Relaxed);
    while old & bit == 0 {
        match word.cmpxchg(old, old | bit, Release) {
            Ok(_) => return true,
            Err(now) => old = now,
        }
    }
    false
}
