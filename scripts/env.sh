# Shared paths and pinned versions; sourced by scripts/*, qemu/run and the Makefile.
# Everything large lives in a cache outside the repository.
IPVS_RS_CACHE=${IPVS_RS_CACHE:-$HOME/.cache/ipvs-rs}
BINDGEN_VERSION=0.72.1
VIRTME_NG_VERSION=1.42
# An independent netlink client for the differential tests (tests/lib/pyroute2-client.py).
PYROUTE2_VERSION=0.9.7
BINDGEN=${BINDGEN:-$IPVS_RS_CACHE/tools/bin/bindgen}
VNG=$IPVS_RS_CACHE/venv/bin/vng
VENV_PYTHON=$IPVS_RS_CACHE/venv/bin/python
# The downloaded (never installed) Debian source package and its unpacked tree.
KSRC_DEB=$IPVS_RS_CACHE/src/linux-source-7.3.deb
KSRC=$IPVS_RS_CACHE/src/linux-source-7.3
# Toolchain for the kernel and the module.
KMAKE_FLAGS="LLVM=-19 RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc BINDGEN=$BINDGEN"
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
export IPVS_RS_CACHE
# Headers of kernel reports that fail a test: BUG/WARNING (lockdep, RCU and soft-lockup reports
# are among them), KASAN, Oopses, hung tasks, kmemleak's leak reports, and any stack dump.
KERNEL_SPLAT='BUG:|WARNING:|KASAN:|Oops|general protection fault|Kernel panic|unreferenced object|Call Trace:|INFO: trying to register non-static key|INFO: task .* blocked for more than'
