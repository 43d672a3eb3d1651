# SPDX-License-Identifier: GPL-2.0
#
#   make            build ipvs_rs.ko against the cached test kernel (or KDIR=...)
#   make kernel     build (or find cached) the QEMU test kernel
#   make check      setup, kernel, module, host tests and guest tests; last line "N passed, N failed"
#   make soak       the reliability suite's long forms (hours; tests/soak/run)
#   make record-c   record C's transcripts of the scenarios, for make check (tests/record-c)
#   make demo       boot a guest, load ipvs_rs and drive it with stock ipvsadm
#   make bench      C vs Rust data-path ratios on the benchmark kernel (see scripts/bench)
#   make test-host  cargo test of the pure logic
#   make CLIPPY=1   build with clippy

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
IPVS_RS_CACHE ?= $(HOME)/.cache/ipvs-rs
export IPVS_RS_CACHE
BINDGEN ?= $(IPVS_RS_CACHE)/tools/bin/bindgen
KDIR ?= $(IPVS_RS_CACHE)/kernel/test
KFLAGS := LLVM=-19 RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc BINDGEN=$(BINDGEN) \
	CLIPPY_DRIVER=/usr/bin/clippy-driver LIBCLANG_PATH=/usr/lib/llvm-19/lib

.PHONY: all module kernel setup check soak record-c demo bench test-host clean

all: module

module: $(if $(filter $(IPVS_RS_CACHE)/kernel/test,$(KDIR)),kernel)
	$(MAKE) -C $(KDIR) M=$(REPO) $(KFLAGS) modules

setup:
	$(REPO)/scripts/setup

kernel:
	@$(REPO)/scripts/build-kernel test >/dev/null

test-host:
	cargo test --manifest-path $(REPO)/Cargo.toml --quiet

check:
	$(REPO)/tests/check

soak:
	$(REPO)/tests/soak/run

record-c:
	$(REPO)/tests/record-c

bench:
	$(REPO)/scripts/bench

demo: module
	$(REPO)/qemu/run $(REPO)/tests/demo.sh

clean:
	$(MAKE) -C $(KDIR) M=$(REPO) $(KFLAGS) clean
	rm -rf $(REPO)/target
