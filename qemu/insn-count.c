// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin for `make bench` (IPVS_RS_BENCH_COUNT=1): how many guest instructions a
 * stretch of the guest's work executes, by translated block, so that a change's cost is a count
 * that does not vary from one boot to the next as TCG's timings do.
 *
 *   qemu-system-x86_64 ... -plugin insn-count.so,out=DIR
 *
 * The guest delimits a stretch with two marker instructions, which nothing else uses: a start
 * (nopl 0x30535649(%rax), "IVS0") and a stop (nopl 0x31535649(%rax), "IVS1"); qemu/insn-mark
 * executes them. At each stop the plugin writes DIR/count-N (N = 1, 2, ...) with one line per
 * translated block that ran since the start: "VADDR INSNS EXECUTIONS LOCKED INDIRECT CROSS",
 * the address in hex, then decimal numbers:
 * - LOCKED: how many of the block's instructions have a lock prefix (TCG: a host atomic);
 * - INDIRECT: 1 if the block ends in a return or an indirect jump or call, whose target TCG
 *   looks up at run time instead of jumping to it through a chained jump;
 * - CROSS: 1 if it ends in a direct jump, call or branch to another 4 KiB page than the
 *   block's own: TCG chains a block only to blocks on its page, so such a jump, when taken, is
 *   looked up as an indirect one is.
 * A block translated more than once has a line per translation. DIR/times gets a line "N START
 * STOP" per stretch, on the host's monotonic clock in seconds, to find it in a host profile
 * (perf record -k CLOCK_MONOTONIC; perf report --time START,STOP).
 *
 * Each block's counter is an inline add, not a callback, so the guest runs almost at its usual
 * speed. The adds are not atomic: blocks that run on two vCPUs at once may lose a count, which
 * the bench avoids by doing its work on CPU 0 while CPU 1 idles.
 *
 * The declarations below are QEMU's plugin API, version 1 (QEMU 7.2, Debian 12), written out
 * here because Debian ships no plugin header.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* A translated block and how often it ran: since translation (count), at the last start (base). */
struct block {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t locked;
	uint64_t indirect;
	uint64_t cross;
	uint64_t count;
	uint64_t base;
};

/* Blocks in chunks that never move, since the inline adds hold their counters' addresses. */
#define CHUNK 65536
static struct block **chunks;
static size_t nchunks, nblocks;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *out_dir = ".";
static unsigned int stops;

static struct block *new_block(void)
{
	struct block *b;

	pthread_mutex_lock(&lock);
	if (nblocks == nchunks * CHUNK) {
		chunks = realloc(chunks, (nchunks + 1) * sizeof(*chunks));
		if (!chunks)
			abort();
		chunks[nchunks] = calloc(CHUNK, sizeof(**chunks));
		if (!chunks[nchunks])
			abort();
		nchunks++;
	}
	b = &chunks[nblocks / CHUNK][nblocks % CHUNK];
	nblocks++;
	pthread_mutex_unlock(&lock);
	return b;
}

/* When the stretch started, on the host's monotonic clock (to find it in a host profile). */
static struct timespec started;

static void on_start(unsigned int vcpu, void *data)
{
	pthread_mutex_lock(&lock);
	clock_gettime(CLOCK_MONOTONIC, &started);
	for (size_t i = 0; i < nblocks; i++) {
		struct block *b = &chunks[i / CHUNK][i % CHUNK];

		b->base = b->count;
	}
	pthread_mutex_unlock(&lock);
}

static void on_stop(unsigned int vcpu, void *data)
{
	char path[4096];
	struct timespec now;
	FILE *f;

	pthread_mutex_lock(&lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(path, sizeof(path), "%s/times", out_dir);
	f = fopen(path, "a");
	if (f) {
		fprintf(f, "%u %ld.%09ld %ld.%09ld\n", stops + 1, (long)started.tv_sec,
			started.tv_nsec, (long)now.tv_sec, now.tv_nsec);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/count-%u", out_dir, ++stops);
	f = fopen(path, "w");
	if (f) {
		for (size_t i = 0; i < nblocks; i++) {
			struct block *b = &chunks[i / CHUNK][i % CHUNK];

			if (b->count != b->base)
				fprintf(f,
					"%" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
					" %" PRIu64 "\n",
					b->vaddr, b->insns, b->count - b->base, b->locked, b->indirect,
					b->cross);
		}
		fclose(f);
	}
	pthread_mutex_unlock(&lock);
}

static const unsigned char prefixes[] = { 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65,
					  0x66, 0x67 };

/* Whether an x86 instruction has a lock prefix among its legacy prefixes. */
static bool locked(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i < size && memchr(prefixes, data[i], sizeof(prefixes)); i++) {
		if (data[i] == 0xf0)
			return true;
	}
	return false;
}

/* Whether an x86 instruction is a return (near, far, iret) or an indirect jump or call. */
static bool indirect(const unsigned char *data, size_t size)
{
	size_t i = 0;

	while (i < size && memchr(prefixes, data[i], sizeof(prefixes)))
		i++;
	if (i < size && (data[i] & 0xf0) == 0x40) /* REX */
		i++;
	if (i >= size)
		return false;
	switch (data[i]) {
	case 0xc2: case 0xc3: case 0xca: case 0xcb: case 0xcf:
		return true;
	case 0xff: /* ModRM reg 2 to 5: call, lcall, jmp, ljmp through an operand. */
		return i + 1 < size && ((data[i + 1] >> 3) & 7) >= 2 && ((data[i + 1] >> 3) & 7) <= 5;
	}
	return false;
}

/* The target of a direct jump, call or conditional branch at VADDR; 0 if it is none. */
static uint64_t direct_target(const unsigned char *data, size_t size, uint64_t vaddr)
{
	size_t i = 0;
	int64_t rel;

	while (i < size && memchr(prefixes, data[i], sizeof(prefixes)))
		i++;
	if (i < size && (data[i] & 0xf0) == 0x40) /* REX */
		i++;
	if (i >= size)
		return 0;
	if (data[i] == 0xe8 || data[i] == 0xe9 ||
	    (data[i] == 0x0f && i + 1 < size && (data[i + 1] & 0xf0) == 0x80)) {
		int32_t rel32;

		if (size < 4)
			return 0;
		memcpy(&rel32, data + size - 4, 4);
		rel = rel32;
	} else if (data[i] == 0xeb || (data[i] & 0xf0) == 0x70 ||
		   (data[i] >= 0xe0 && data[i] <= 0xe3)) {
		rel = (int8_t)data[size - 1];
	} else {
		return 0;
	}
	return vaddr + size + rel;
}

/* The markers: nopl disp32(%rax), with "IVS0" or "IVS1" as the displacement. */
static const unsigned char marker[] = { 0x0f, 0x1f, 0x80, 'I', 'V', 'S' };

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b = new_block();

	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = n;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->count, 1);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const unsigned char *data = qemu_plugin_insn_data(insn);

		b->locked += locked(data, qemu_plugin_insn_size(insn));
		if (i == n - 1) {
			size_t size = qemu_plugin_insn_size(insn);
			uint64_t target = direct_target(data, size, qemu_plugin_insn_vaddr(insn));

			b->indirect = indirect(data, size);
			b->cross = target && (target ^ b->vaddr) >> 12;
		}
		if (qemu_plugin_insn_size(insn) != sizeof(marker) + 1 ||
		    memcmp(data, marker, sizeof(marker)))
			continue;
		if (data[sizeof(marker)] == '0')
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start, QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
		else if (data[sizeof(marker)] == '1')
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_stop, QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
	}
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
							       const qemu_info_t *info, int argc,
							       char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			out_dir = argv[i] + 4;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	return 0;
}
