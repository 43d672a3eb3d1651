// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of ipvs_rs's own in-kernel pieces.
//!
//! `kernel::macros::kunit_tests` registers a suite with C from `unsafe` code of its own
//! expansion (the test-case table and the `.kunit_test_suites` entry). This wrapper is where
//! that code is allowed, so that the suites themselves are safe Rust under `ipvs_rs/`. The
//! macro compiles the suite only into kernels with `CONFIG_KUNIT=y`; there KUnit runs it when
//! the module loads and reports it in the kernel log (tests/guest/kunit.sh reads it).

/// Declares the inline module `$name` as KUnit suite `$suite`: each `#[test]` function in it
/// is a test case, and its `assert!`s and `assert_eq!`s are KUnit assertions.
macro_rules! kunit_suite {
    ($suite:ident, mod $name:ident { $($body:tt)* }) => {
        #[allow(unsafe_code)]
        #[::kernel::macros::kunit_tests($suite)]
        mod $name {
            $($body)*
        }
    };
}
pub(crate) use kunit_suite;
