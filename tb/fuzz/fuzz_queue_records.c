// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: page-request, fault and command queue records as the RISC-V
 * IOMMU driver decodes them (sw/drivers/riscv/pq.c, fq.c, cmdq.c), on the
 * register-level fake IOMMU of the driver unit tests (tb/unit/riscv/rv_fake.h).
 *
 * Input: one byte of queue sizes and policy, one byte of devices (and
 * whether a submission may wait for a stuck command queue to time out),
 * then operations (one byte each, then arguments):
 *   PQ / FQ: write a fuzzed record at the tail (and advance it) or at any
 *   slot; set the tail register; set the overflow / memory-fault bits; run
 *   the queue's interrupt (hard handler, then the thread drains);
 *   CQ: put a fuzzed command at a fuzzed cqh with fuzzed error bits and run
 *   the CQ interrupt thread (it names and skips the bad command); submit a
 *   fence; send a PRG response with a fuzzed code.
 *
 * Invariants: nothing crashes, every drain ends; every PQ record between
 * head and tail is read once and counted as exactly one of reported,
 * report failed, Stop Marker dropped or unknown requester; every FQ record
 * is read once and counted under its cause; every CQ error is counted and
 * a bad command at cqh is skipped; the software head ends at the tail and
 * is written back; at teardown no DRAM page or HAL object is left.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz_util.h"
#include "heap_count.h"
#include "riscv_iommu.h"
#include "riscv_iommu_priv.h"
#include "rv_fake.h"

#define MAX_OPS     128
/*
 * Records written per input: bounds the distinct device_ids and CAUSE codes
 * that get counted, which the fake HAL keeps in fixed tables.
 */
#define MAX_WRITES  32
#define NDEV_MAX    RV_FAKE_MAX_PCI

struct qstate {
	struct rv_fake *rv;
	struct hal *h;
	struct riscv_iommu *iommu;
	struct device dev[NDEV_MAX];
	bool probed[NDEV_MAX];
	unsigned int ndev;
	unsigned int writes;
	unsigned int stuck_waits, stuck_waits_allowed;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* cmocka failures in the fakes abort instead of exiting. */
	setenv("CMOCKA_TEST_ABORT", "1", 1);
	return 0;
}

static uint64_t stat(struct qstate *s, const char *name)
{
	return fake_hal_stat(s->h, name);
}

static void le_store(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le_load(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static uint8_t *slot(const struct riscv_iommu_queue *q, uint32_t idx)
{
	return (uint8_t *)q->base + (size_t)(idx & q->mask) * q->entry_size;
}

/* ---- page-request queue ---------------------------------------------------- */

static void pq_write(struct qstate *s, struct fz *f, bool at_tail)
{
	struct rv_fake_iommu *fi = &s->rv->iommu;
	const struct riscv_iommu_queue *q = &s->iommu->priq;
	uint32_t idx = at_tail ? fi->pqt : fz_u8(f);
	uint64_t hdr = fz_u64(f), payload = fz_u64(f);

	if (s->writes++ >= MAX_WRITES)
		return;
	le_store(slot(q, idx), hdr, 8);
	le_store(slot(q, idx) + 8, payload, 8);
	if (at_tail) {
		fi->pqt = (fi->pqt + 1) & q->mask;
		fi->ipsr |= (uint32_t)RISCV_IOMMU_IPSR_PIP;
	}
}

static void pq_irq(struct qstate *s)
{
	struct riscv_iommu_queue *q = &s->iommu->priq;
	static const char *const outcome[] = {
		"sw.pq.reported", "sw.pq.report_failed", "sw.pq.stop_markers_dropped",
		"sw.pq.unknown_rid",
	};
	uint64_t read0 = stat(s, "sw.pq.records_read"), out0 = 0, out1 = 0;
	uint32_t n = (s->rv->iommu.pqt - q->head) & q->mask;
	unsigned int i;

	for (i = 0; i < 4; i++)
		out0 += stat(s, outcome[i]);
	rv_fake_run_irq(s->rv, (unsigned int)RV_FIELD_GET(RISCV_IOMMU_ICVEC_PIV,
							  s->rv->iommu.icvec));
	for (i = 0; i < 4; i++)
		out1 += stat(s, outcome[i]);
	FUZZ_CHECK(stat(s, "sw.pq.records_read") - read0 == n,
		   "%u PQ records between head and tail, %llu read", n,
		   (unsigned long long)(stat(s, "sw.pq.records_read") - read0));
	FUZZ_CHECK(out1 - out0 == n, "%u PQ records read, %llu accounted for", n,
		   (unsigned long long)(out1 - out0));
	FUZZ_CHECK(q->head == (s->rv->iommu.pqt & q->mask), "PQ not drained to pqt");
	FUZZ_CHECK(s->rv->iommu.pqh == q->head, "pqh not written back");
	FUZZ_CHECK(!(s->rv->iommu.pqcsr & (RISCV_IOMMU_PQCSR_PQOF | RISCV_IOMMU_PQCSR_PQMF)),
		   "pqof/pqmf left set");
}

/* ---- fault queue ------------------------------------------------------------- */

static void fq_write(struct qstate *s, struct fz *f, bool at_tail)
{
	struct rv_fake_iommu *fi = &s->rv->iommu;
	const struct riscv_iommu_queue *q = &s->iommu->fltq;
	uint32_t idx = at_tail ? fi->fqt : fz_u8(f);
	uint8_t *p;
	unsigned int w;

	if (s->writes++ >= MAX_WRITES)
		return;
	p = slot(q, idx);
	for (w = 0; w < 4; w++)
		le_store(p + 8 * w, fz_u64(f), 8);
	if (at_tail) {
		fi->fqt = (fi->fqt + 1) & q->mask;
		fi->ipsr |= (uint32_t)RISCV_IOMMU_IPSR_FIP;
	}
}

static void fq_irq(struct qstate *s)
{
	struct riscv_iommu_queue *q = &s->iommu->fltq;
	uint32_t n = (s->rv->iommu.fqt - q->head) & q->mask;
	uint64_t read0 = stat(s, "sw.fq.records_read");
	unsigned int logs0 = fake_hal_log_count(s->h, HAL_LOG_WARN) +
			     fake_hal_log_count(s->h, HAL_LOG_DEBUG);
	unsigned int cause[64], before[64], count[64], nc = 0, i, j;
	char name[40];

	/* Expected count of every CAUSE among the records to be drained. */
	for (i = 0; i < n; i++) {
		unsigned int c = (unsigned int)RV_FIELD_GET(
			RISCV_IOMMU_FQ_HDR_CAUSE, le_load(slot(q, q->head + i), 8));

		for (j = 0; j < nc && cause[j] != c; j++)
			;
		if (j == nc) {
			cause[nc] = c;
			count[nc] = 0;
			snprintf(name, sizeof(name), "sw.fq.cause.%u", c);
			before[nc++] = (unsigned int)stat(s, name);
		}
		count[j]++;
	}
	rv_fake_run_irq(s->rv, (unsigned int)RV_FIELD_GET(RISCV_IOMMU_ICVEC_FIV,
							  s->rv->iommu.icvec));
	FUZZ_CHECK(stat(s, "sw.fq.records_read") - read0 == n, "%u FQ records, %llu read", n,
		   (unsigned long long)(stat(s, "sw.fq.records_read") - read0));
	for (j = 0; j < nc; j++) {
		snprintf(name, sizeof(name), "sw.fq.cause.%u", cause[j]);
		FUZZ_CHECK(stat(s, name) - before[j] == count[j], "%s: %u records, counted %llu",
			   name, count[j], (unsigned long long)(stat(s, name) - before[j]));
	}
	FUZZ_CHECK(fake_hal_log_count(s->h, HAL_LOG_WARN) + fake_hal_log_count(s->h, HAL_LOG_DEBUG) -
				   logs0 >= n,
		   "an FQ record was not logged");
	FUZZ_CHECK(q->head == (s->rv->iommu.fqt & q->mask), "FQ not drained to fqt");
	FUZZ_CHECK(s->rv->iommu.fqh == q->head || n == 0, "fqh not written back");
	FUZZ_CHECK(!(s->rv->iommu.fqcsr & (RISCV_IOMMU_FQCSR_FQOF | RISCV_IOMMU_FQCSR_FQMF)),
		   "fqof/fqmf left set");
}

/* ---- command queue ----------------------------------------------------------- */

static void cq_error(struct qstate *s, struct fz *f)
{
	struct rv_fake_iommu *fi = &s->rv->iommu;
	const struct riscv_iommu_queue *q = &s->iommu->cmdq;
	uint8_t b = fz_u8(f);
	uint32_t err = 0, cqh = fz_u8(f) & q->mask;
	uint64_t errors0 = stat(s, "sw.cq.errors"), skipped0 = stat(s, "sw.cq.skipped");
	uint64_t ill0 = stat(s, "sw.cq.cmd_ill"), mf0 = stat(s, "sw.cq.cqmf");
	uint64_t to0 = stat(s, "sw.cq.cmd_to"), retried0 = stat(s, "sw.cq.retried");
	unsigned int streak0 = s->iommu->cq_err_streak;
	bool same_head;
	uint8_t *p;

	if (b & 1)
		err |= (uint32_t)RISCV_IOMMU_CQCSR_CMD_ILL;
	if (b & 2)
		err |= (uint32_t)RISCV_IOMMU_CQCSR_CQMF;
	if (b & 4)
		err |= (uint32_t)RISCV_IOMMU_CQCSR_CMD_TO;
	/*
	 * Without an error bit the IOMMU has not stopped: it only moves cqh
	 * forward over commands up to cqt, as it executes them. (A cqh
	 * anywhere else, with cqcsr clean, is a ring the IOMMU never runs
	 * again: every submission would poll to its timeout.)
	 */
	if (!((fi->cqcsr | err) & (RISCV_IOMMU_CQCSR_CMD_ILL | RISCV_IOMMU_CQCSR_CQMF |
				   RISCV_IOMMU_CQCSR_CMD_TO)))
		cqh = (fi->cqh + cqh % (((fi->cqt - fi->cqh) & q->mask) + 1)) & q->mask;
	/* the same error again: same cqh, no fence completed since (cmdq.c) */
	same_head = cqh == s->iommu->cq_err_head && streak0 &&
		    riscv_iommu_le32_to_cpu(*s->iommu->fence_word) == s->iommu->cq_err_fence;
	p = slot(q, cqh);
	if (s->writes++ < MAX_WRITES) {
		le_store(p, fz_u64(f), 8);
		le_store(p + 8, fz_u64(f), 8);
	}
	/* The IOMMU stopped at cqh with these error bits (§7.2). */
	fi->cqh = cqh;
	fi->cqcsr |= err;
	if (fi->cqcsr & RISCV_IOMMU_CQCSR_CIE)
		fi->ipsr |= (uint32_t)RISCV_IOMMU_IPSR_CIP;
	err = fi->cqcsr & (uint32_t)(RISCV_IOMMU_CQCSR_CMD_ILL | RISCV_IOMMU_CQCSR_CQMF |
				     RISCV_IOMMU_CQCSR_CMD_TO);
	riscv_iommu_cmdq_irq_thread(s->iommu, 0);
	if (!err) {
		FUZZ_CHECK(stat(s, "sw.cq.errors") == errors0, "error counted without error bits");
		return;
	}
	FUZZ_CHECK(stat(s, "sw.cq.errors") == errors0 + 1, "CQ error not counted");
	FUZZ_CHECK(stat(s, "sw.cq.cmd_ill") - ill0 == !!(err & RISCV_IOMMU_CQCSR_CMD_ILL) &&
			   stat(s, "sw.cq.cqmf") - mf0 == !!(err & RISCV_IOMMU_CQCSR_CQMF) &&
			   stat(s, "sw.cq.cmd_to") - to0 == !!(err & RISCV_IOMMU_CQCSR_CMD_TO),
		   "CQ error bits %#x not each counted", err);
	FUZZ_CHECK(s->iommu->cq_err_streak == (same_head ? streak0 + 1 : 1), "error streak");
	if (s->iommu->cq_err_streak > RISCV_IOMMU_CQ_MAX_RETRIES) {
		FUZZ_CHECK(stat(s, "sw.cq.skipped") == skipped0 &&
				   stat(s, "sw.cq.retried") == retried0,
			   "skipped or retried on a stopped queue");
	} else if (err & (RISCV_IOMMU_CQCSR_CMD_ILL | RISCV_IOMMU_CQCSR_CQMF)) {
		/* the first error at a cqh may be retried (a well-formed slot), else skipped */
		const uint64_t sk = stat(s, "sw.cq.skipped") - skipped0;
		const uint64_t rt = stat(s, "sw.cq.retried") - retried0;

		FUZZ_CHECK(sk + rt == 1, "bad command neither skipped nor retried");
		FUZZ_CHECK(!rt || s->iommu->cq_err_streak == 1,
			   "retried after an earlier error at the same cqh");
	}
}

/*
 * Does the fake IOMMU's command queue execute nothing (left stopped with an
 * error, or disabled)? A submission then polls until its timeout (150 ms of
 * simulated time for ring space, about 700 polls as the interval backs off;
 * 90 s for a fence, about 1,100), several times the cost of a whole input
 * otherwise. Only inputs that ask for it (a bit of the header) get one
 * such wait; the others skip submissions to a stuck queue.
 */
static bool cq_stuck_skip(struct qstate *s)
{
	const uint32_t c = s->rv->iommu.cqcsr;
	const bool stuck = !(c & RISCV_IOMMU_CQCSR_CQEN) ||
			   (c & (RISCV_IOMMU_CQCSR_CMD_ILL | RISCV_IOMMU_CQCSR_CQMF |
				 RISCV_IOMMU_CQCSR_CMD_TO));

	return stuck && s->stuck_waits++ >= s->stuck_waits_allowed;
}

static void cq_sync(struct qstate *s)
{
	int rc;

	if (cq_stuck_skip(s))
		return;
	rc = riscv_iommu_cmd_sync(s->iommu);

	FUZZ_CHECK(rc == 0 || rc == -ETIMEDOUT, "cmd_sync returned %d", rc);
}

static void prgr(struct qstate *s, struct fz *f)
{
	uint8_t b = fz_u8(f);
	struct iommu_page_response msg = {
		.pasid = fz_u32(f) & 0xFFFFF,
		.grpid = fz_u16(f),
		.code = fz_u8(f),
	};
	struct iopf_fault evt = { 0 };
	unsigned int d = b % (s->ndev ? s->ndev : 1);
	uint64_t sent0 = stat(s, "sw.prgr.sent.success") + stat(s, "sw.prgr.sent.invalid") +
			 stat(s, "sw.prgr.sent.failure");
	int rc;

	if (!s->ndev || !s->probed[d] || cq_stuck_skip(s))
		return;
	if (b & 0x80)
		evt.fault.prm.flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
	rc = s->iommu->iommu.ops->page_response(&s->dev[d], &evt, &msg);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ETIMEDOUT, "page_response returned %d", rc);
	FUZZ_CHECK(rc != -EINVAL || msg.code > IOMMU_PAGE_RESP_FAILURE, "known code refused");
	FUZZ_CHECK(rc == -ETIMEDOUT ||
			   stat(s, "sw.prgr.sent.success") + stat(s, "sw.prgr.sent.invalid") +
					   stat(s, "sw.prgr.sent.failure") ==
				   sent0 + 1,
		   "PRG response not sent once");
}

/* ---- machine ------------------------------------------------------------------- */

static void setup(struct qstate *s, struct fz *f)
{
	uint8_t cfg = fz_u8(f), devs = fz_u8(f);
	struct iommu_device *out = NULL;
	unsigned int i, j;

	s->h = s->rv->hal;
	fake_hal_set_param_u64(s->h, "sw.driver.pq_log2sz", 1 + (cfg & 3));
	fake_hal_set_param_u64(s->h, "sw.driver.fq_log2sz", 1 + ((cfg >> 2) & 3));
	fake_hal_set_param_u64(s->h, "sw.driver.cq_log2sz", 1 + ((cfg >> 4) & 3));
	fake_hal_set_param_u64(s->h, "sw.driver.pq_head_per_record", (cfg >> 6) & 1);
	s->rv->report_ret = cfg & 0x80 ? -EINVAL : 0;
	s->stuck_waits_allowed = devs >> 7;
	FUZZ_CHECK(riscv_iommu_probe(s->h, hal_iommu(s->h, 0), &out) == 0 && out, "probe failed");
	s->iommu = to_riscv_iommu(out);

	/* Up to four devices with distinct RIDs below the 1LVL DDT limit. */
	for (i = 0; i < (devs & 3u) + 1u && i < NDEV_MAX; i++) {
		uint16_t rid = (uint16_t)((fz_u8(f) + i) & 0x7F);

		for (j = 0; j < s->ndev; j++)
			if (s->dev[j].rid == rid)
				break;
		if (j < s->ndev)
			continue;
		rv_fake_add_pci(s->rv, rid, 64);
		rv_fake_device_init(s->rv, &s->dev[s->ndev], rid, &s->iommu->iommu);
		s->probed[s->ndev] = s->iommu->iommu.ops->probe_device(&s->dev[s->ndev]) == 0;
		s->ndev++;
	}
}

/*
 * Back to the fixture as built: the driver removed, then checked that the
 * input left no DRAM page, HAL object or heap block allocated, then the
 * fake machine and its HAL reset to what rv_fake_create() returns.
 */
static void teardown(struct qstate *s, long heap0)
{
	unsigned int i;

	for (i = 0; i < s->ndev; i++)
		if (s->probed[i])
			s->iommu->iommu.ops->release_device(&s->dev[i]);
	riscv_iommu_remove(&s->iommu->iommu);
	FUZZ_CHECK(fake_hal_dma_live(s->h) == 0 && fake_hal_objects_live(s->h) == 0,
		   "%u DRAM pages and %u mutexes/waitqs left after remove",
		   fake_hal_dma_live(s->h), fake_hal_objects_live(s->h));
	FUZZ_CHECK(heap_count_live() == heap0, "the input left %ld heap blocks allocated",
		   heap_count_live() - heap0);
	rv_fake_reset(s->rv);
	FUZZ_CHECK(heap_count_live() == heap0, "the reset left %ld heap blocks allocated",
		   heap_count_live() - heap0);
}

/*
 * The fixture, built once per process: the fake machine (its HAL, DRAM
 * arena and tables). Each input probes the driver on it, with the queue
 * sizes and devices the input asks for, and removes it at its end.
 */
static struct rv_fake *g_rv;
static struct qstate g_state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qstate *s = &g_state;
	struct fz f = fz_init(data, size);
	struct rv_fake_iommu *fi;
	unsigned int ops;
	long heap0;

	if (!g_rv)
		g_rv = rv_fake_create();
	heap0 = heap_count_live();
	memset(s, 0, sizeof(*s));
	s->rv = g_rv;
	setup(s, &f);
	fi = &s->rv->iommu;
	for (ops = 0; ops < MAX_OPS && !fz_empty(&f); ops++) {
		switch (fz_u8(&f) % 14) {
		case 0:
			pq_write(s, &f, true);
			break;
		case 1:
			pq_write(s, &f, false);
			break;
		case 2:
			fi->pqt = fz_u32(&f) & s->iommu->priq.mask;
			break;
		case 3:
			fi->pqcsr |= (uint32_t)(fz_u8(&f) & 3u) << 8;
			break;
		case 4:
			pq_irq(s);
			break;
		case 5:
			fq_write(s, &f, true);
			break;
		case 6:
			fq_write(s, &f, false);
			break;
		case 7:
			fi->fqt = fz_u32(&f) & s->iommu->fltq.mask;
			break;
		case 8:
			fi->fqcsr |= (uint32_t)(fz_u8(&f) & 3u) << 8;
			break;
		case 9:
			fq_irq(s);
			break;
		case 10:
			cq_error(s, &f);
			break;
		case 11:
			cq_sync(s);
			break;
		case 12:
			prgr(s, &f);
			break;
		case 13:
			/* both drains once more, as a flush at IOPF disable does */
			pq_irq(s);
			fq_irq(s);
			break;
		}
	}
	teardown(s, heap0);
	return 0;
}
