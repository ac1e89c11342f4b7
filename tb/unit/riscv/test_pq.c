// SPDX-License-Identifier: Apache-2.0
/*
 * Description: page-request queue: record decoding (§12), Stop Marker
 * classification, the iopf_fault handed to the core (RESPONSE_NEEDS_PASID
 * with a PASID from a device that requires it back), and the interrupt
 * thread (pip cleared before pqt is read, batch or per-record pqh writes,
 * unknown requesters answered Invalid, pqof/pqmf recovery per §13.5).
 */
#include <errno.h>

#include "rv_test.h"

#define HDR(did, pv, pid, priv, exec)                                              \
	(((uint64_t)(did) << 40) | ((uint64_t)!!(pv) << 32) | ((uint64_t)(pid) << 12) | \
	 ((uint64_t)!!(priv) << 33) | ((uint64_t)!!(exec) << 34))
#define PAYLOAD(addr, prgi, l, w, r) \
	((uint64_t)(addr) | ((uint64_t)(prgi) << 3) | ((l) ? 4u : 0u) | ((w) ? 2u : 0u) | ((r) ? 1u : 0u))

static void test_decode_fields(void **state)
{
	struct riscv_iommu_pq_record rec = {
		.hdr = HDR(0x1234, 1, 0xABCDE, 1, 1),
		.payload = PAYLOAD(0x7FFF12345000, 0x1FF, 1, 1, 0),
	};
	struct riscv_iommu_pq_req req;

	(void)state;
	riscv_iommu_pq_decode(&rec, &req);
	assert_int_equal(req.did, 0x1234);
	assert_int_equal(req.pid, 0xABCDE);
	assert_true(req.pv && req.priv && req.exec);
	assert_true(req.l && req.w && !req.r);
	assert_int_equal(req.prgi, 0x1FF);
	assert_int_equal(req.addr, UINT64_C(0x7FFF12345000));
	/* DID is 24 bits (63:40): RID plus segment */
	rec.hdr = HDR(0xFFFFFF, 0, 0, 0, 0);
	riscv_iommu_pq_decode(&rec, &req);
	assert_int_equal(req.did, 0xFFFFFF);
	assert_false(req.pv || req.priv || req.exec);
}

static void test_stop_marker_classification(void **state)
{
	static const struct {
		bool pv, l, w, r, stop;
	} cases[] = {
		{ 1, 1, 0, 0, true },  /* the Stop Marker */
		{ 0, 1, 0, 0, false }, /* no PASID: an ordinary request (spec rule) */
		{ 1, 0, 0, 0, false }, /* not last */
		{ 1, 1, 0, 1, false }, /* read */
		{ 1, 1, 1, 0, false }, /* write */
		{ 0, 0, 1, 1, false },
	};
	struct riscv_iommu_pq_record rec;
	struct riscv_iommu_pq_req req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rec.hdr = HDR(1, cases[i].pv, 7, 0, 0);
		rec.payload = PAYLOAD(0x1000, 3, cases[i].l, cases[i].w, cases[i].r);
		riscv_iommu_pq_decode(&rec, &req);
		assert_int_equal(riscv_iommu_pq_is_stop_marker(&req), cases[i].stop);
	}
}

static void test_to_fault(void **state)
{
	struct riscv_iommu_pq_record rec = {
		.hdr = HDR(5, 1, 0x42, 1, 1),
		.payload = PAYLOAD(0x10003000, 5, 1, 1, 1),
	};
	struct iopf_fault evt;
	const struct iommu_fault_page_request *prm = &evt.fault.prm;

	(void)state;
	memset(&evt, 0xA5, sizeof(evt));
	riscv_iommu_pq_to_fault(&rec, &evt);
	assert_int_equal(evt.fault.type, IOMMU_FAULT_PAGE_REQ);
	assert_int_equal(prm->flags, IOMMU_FAULT_PAGE_REQUEST_PASID_VALID |
				     IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE);
	assert_int_equal(prm->pasid, 0x42);
	assert_int_equal(prm->grpid, 5);
	assert_int_equal(prm->perm, IOMMU_FAULT_PERM_READ | IOMMU_FAULT_PERM_WRITE |
				    IOMMU_FAULT_PERM_EXEC | IOMMU_FAULT_PERM_PRIV);
	assert_int_equal(prm->addr, 0x10003000); /* page address, no flag bits */
	assert_int_equal(prm->private_data[0], rec.hdr);
	assert_int_equal(prm->private_data[1], rec.payload);

	/* no PASID, not last, read only */
	rec.hdr = HDR(5, 0, 0, 0, 0);
	rec.payload = PAYLOAD(0x20000000, 9, 0, 0, 1);
	riscv_iommu_pq_to_fault(&rec, &evt);
	assert_int_equal(prm->flags, 0);
	assert_int_equal(prm->pasid, 0);
	assert_int_equal(prm->perm, IOMMU_FAULT_PERM_READ);
	assert_int_equal(prm->grpid, 9);
}

/* ---- the interrupt thread ------------------------------------------------- */

static void test_irq_drains_and_reports(void **state)
{
	struct rv_env e;
	struct device dev;
	int pip_clear, pqt_read;

	(void)state;
	rv_env_up(&e);
	rv_add_dev(&e, &dev, 1, 64);
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0), PAYLOAD(0x10000000, 2, 0, 1, 1));
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0), PAYLOAD(0x10001000, 2, 1, 0, 1));
	rv_fake_pq_push(e.rv, HDR(1, 1, 9, 0, 0), PAYLOAD(0, 3, 1, 0, 0)); /* Stop Marker */
	e.rv->ntrace = 0;
	e.rv->iommu.pqh_writes = 0;
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));

	/* §13.5: W1C ipsr.pip before pqt is read */
	pip_clear = rv_fake_trace_find(e.rv, 0, true, RISCV_IOMMU_REG_IPSR);
	pqt_read = rv_fake_trace_find(e.rv, 0, false, RISCV_IOMMU_REG_PQT);
	assert_true(pip_clear >= 0 && pqt_read > pip_clear);
	assert_int_equal(e.rv->trace[pip_clear].val, RISCV_IOMMU_IPSR_PIP);
	assert_int_equal(e.rv->iommu.ipsr & RISCV_IOMMU_IPSR_PIP, 0);

	assert_int_equal(e.rv->nreports, 2);
	assert_ptr_equal(e.rv->reports[0].dev, &dev);
	assert_int_equal(e.rv->reports[0].evt.fault.prm.addr, 0x10000000);
	assert_int_equal(e.rv->reports[0].evt.fault.prm.flags, 0);
	assert_int_equal(e.rv->reports[1].evt.fault.prm.flags, IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE);
	assert_int_equal(e.rv->reports[1].evt.fault.prm.grpid, 2);

	/* one pqh write for the batch, up to pqt */
	assert_int_equal(e.rv->iommu.pqh_writes, 1);
	assert_int_equal(e.rv->iommu.pqh, e.rv->iommu.pqt);
	assert_int_equal(fake_hal_charges(e.h, HAL_COST_PQ_RECORD), 3);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.irqs"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.batches"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.records_read"), 3);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0001.pq.records_read"), 3);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.stop_markers_dropped"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0001.pq.stop_markers_dropped"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0001.pq.reported"), 2);
	/* nothing answered by the driver itself */
	assert_int_equal(rv_fake_count_cmds(e.rv, 4, 1), 0);

	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

/*
 * A record with reserved header bits set (§12; e.g. written corrupted): the
 * bits are named in a warning and counted, and the request is reported as
 * if they were 0.
 */
static void test_irq_reserved_bits(void **state)
{
	struct rv_env e;
	struct device dev;

	(void)state;
	rv_env_up(&e);
	rv_add_dev(&e, &dev, 1, 64);
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0) | RISCV_IOMMU_PQ_HDR_RESERVED,
			PAYLOAD(0x10000000, 2, 1, 1, 1));
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));
	assert_int_equal(e.rv->nreports, 1);
	assert_int_equal(e.rv->reports[0].evt.fault.prm.addr, 0x10000000);
	assert_int_equal(e.rv->reports[0].evt.fault.prm.grpid, 2);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0001.pq.reserved_bits"), 1);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_WARN), "reserved header bits"));
	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

/*
 * RESPONSE_NEEDS_PASID, as the Linux drivers decide it: set on a request
 * that carries a PASID from a device whose PRI Status says "PRG Response
 * PASID Required" (PRPR); never without a PASID, never without PRPR.
 */
static void test_irq_needs_pasid(void **state)
{
	const uint32_t pasid = IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
	const uint32_t last = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	const uint32_t needs = IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID;
	const struct iommu_ops *ops;
	struct device prpr, noprpr;
	struct rv_env e;

	(void)state;
	rv_env_up(&e);
	ops = e.iommu->iommu.ops;
	rv_add_dev(&e, &prpr, 1, 64);
	rv_add_dev(&e, &noprpr, 2, 64);
	rv_fake_pci_get(e.rv, 1)->prpr = true;
	assert_int_equal(ops->dev_enable_iopf(&prpr), 0);
	assert_int_equal(ops->dev_enable_iopf(&noprpr), 0);
	assert_true(dev_to_riscv(&prpr)->prpr);
	assert_false(dev_to_riscv(&noprpr)->prpr);

	rv_fake_pq_push(e.rv, HDR(1, 1, 0x42, 0, 0), PAYLOAD(0x1000, 3, 0, 0, 1));
	rv_fake_pq_push(e.rv, HDR(1, 1, 0x42, 0, 0), PAYLOAD(0x2000, 3, 1, 1, 0));
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0), PAYLOAD(0x3000, 4, 1, 0, 1));
	rv_fake_pq_push(e.rv, HDR(2, 1, 0x43, 0, 0), PAYLOAD(0x4000, 5, 1, 0, 1));
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));

	assert_int_equal(e.rv->nreports, 4);
	/* PASID + PRPR: every request of the group, partial and LAST */
	assert_int_equal(e.rv->reports[0].evt.fault.prm.flags, pasid | needs);
	assert_int_equal(e.rv->reports[1].evt.fault.prm.flags, pasid | last | needs);
	assert_int_equal(e.rv->reports[1].evt.fault.prm.pasid, 0x42);
	/* no PASID: nothing to put in the response */
	assert_int_equal(e.rv->reports[2].evt.fault.prm.flags, last);
	/* PASID but the device does not require it back */
	assert_ptr_equal(e.rv->reports[3].dev, &noprpr);
	assert_int_equal(e.rv->reports[3].evt.fault.prm.flags, pasid | last);

	ops->dev_disable_iopf(&prpr);
	ops->dev_disable_iopf(&noprpr);
	ops->release_device(&prpr);
	ops->release_device(&noprpr);
	rv_env_down(&e);
}

static void test_irq_head_per_record(void **state)
{
	struct rv_env e;
	struct device dev;

	(void)state;
	e.rv = rv_fake_create();
	e.h = e.rv->hal;
	fake_hal_set_param_u64(e.h, "sw.driver.pq_head_per_record", 1);
	e.iommu = rv_probe(e.h);
	rv_add_dev(&e, &dev, 2, 64);
	e.rv->iommu.pqh_writes = 0;
	rv_fake_pq_push(e.rv, HDR(2, 0, 0, 0, 0), PAYLOAD(0x1000, 1, 0, 0, 1));
	rv_fake_pq_push(e.rv, HDR(2, 0, 0, 0, 0), PAYLOAD(0x2000, 1, 0, 0, 1));
	rv_fake_pq_push(e.rv, HDR(2, 0, 0, 0, 0), PAYLOAD(0x3000, 1, 1, 0, 1));
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));
	assert_int_equal(e.rv->nreports, 3);
	assert_int_equal(e.rv->iommu.pqh_writes, 3);
	assert_int_equal(e.rv->iommu.pqh, 3);
	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

/* The ring wraps: pqh -> pqt across the end of the queue (8 entries). */
static void test_irq_wraps(void **state)
{
	struct rv_env e;
	struct device dev;
	unsigned int i;

	(void)state;
	rv_env_up(&e);
	rv_add_dev(&e, &dev, 3, 64);
	for (i = 0; i < 6; i++)
		rv_fake_pq_push(e.rv, HDR(3, 0, 0, 0, 0), PAYLOAD(0x1000 * (i + 1), i, 1, 0, 1));
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));
	for (i = 0; i < 5; i++)
		rv_fake_pq_push(e.rv, HDR(3, 0, 0, 0, 0),
				PAYLOAD(0x100000 + 0x1000 * i, i, 1, 1, 1));
	assert_int_equal(e.rv->iommu.pqt, 3);
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));
	assert_int_equal(e.rv->nreports, 11);
	assert_int_equal(e.rv->reports[10].evt.fault.prm.addr, 0x104000);
	assert_int_equal(e.rv->iommu.pqh, 3);
	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

static void test_irq_unknown_rid(void **state)
{
	struct rv_env e;
	const struct riscv_iommu_command *c;

	(void)state;
	rv_env_up(&e);
	e.rv->iommu.ncmds = 0;
	/* not last: nothing to answer; last (with a PASID): Invalid, without PASID */
	rv_fake_pq_push(e.rv, HDR(9, 1, 0x33, 0, 0), PAYLOAD(0x5000, 4, 0, 0, 1));
	rv_fake_pq_push(e.rv, HDR(9, 1, 0x33, 0, 0), PAYLOAD(0x6000, 4, 1, 0, 1));
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));
	assert_int_equal(e.rv->nreports, 0);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.unknown_rid"), 2);
	assert_int_equal(e.rv->iommu.ncmds, 1);
	c = rv_cmd(e.rv, 0);
	assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_ATS_OPCODE);
	assert_int_equal(rv_cmd_func(c), RISCV_IOMMU_CMD_ATS_FUNC_PRGR);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_ATS_RID, c->dword0), 9);
	assert_false(c->dword0 & RISCV_IOMMU_CMD_ATS_PV);
	assert_int_equal(c->dword1, UINT64_C(0x0000100400000000)); /* Invalid, PRGI 4 */
	assert_int_equal(fake_hal_stat(e.h, "sw.prgr.sent.invalid"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0009.prgr.sent.invalid"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0009.pq.records_read"), 2);
	assert_true(fake_hal_log_count(e.h, HAL_LOG_WARN) >= 1);
	rv_env_down(&e);
}

static void test_irq_overflow_recovery(void **state)
{
	struct rv_env e;
	struct device dev;
	int w1c;

	(void)state;
	rv_env_up(&e);
	rv_add_dev(&e, &dev, 1, 64);
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0), PAYLOAD(0x1000, 7, 0, 0, 1));
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0), PAYLOAD(0x2000, 8, 0, 0, 1));
	e.rv->iommu.pqcsr |= (uint32_t)RISCV_IOMMU_PQCSR_PQOF;
	e.rv->ntrace = 0;
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));

	/* drained first, then partial groups discarded, then pqof W1C'd */
	assert_int_equal(e.rv->nreports, 2);
	assert_int_equal(e.rv->discard_partial_calls, 1);
	assert_int_equal(e.rv->reports_at_discard, 2);
	assert_int_equal(e.rv->iommu.pqcsr, RISCV_IOMMU_PQCSR_PQEN | RISCV_IOMMU_PQCSR_PIE);
	w1c = rv_fake_trace_find(e.rv, 0, true, RISCV_IOMMU_REG_PQCSR);
	assert_true(w1c > rv_fake_trace_find(e.rv, 0, true, RISCV_IOMMU_REG_PQH));
	/* pqt is looked at again after the W1C */
	assert_true(rv_fake_trace_find(e.rv, (unsigned int)w1c, false, RISCV_IOMMU_REG_PQT) > w1c);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.overflows_handled"), 1);
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_ERROR), 0);

	/* memory fault: same recovery, loud message */
	e.rv->iommu.pqcsr |= (uint32_t)RISCV_IOMMU_PQCSR_PQMF;
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));
	assert_int_equal(e.rv->discard_partial_calls, 2);
	assert_int_equal(e.rv->iommu.pqcsr & RISCV_IOMMU_PQCSR_PQMF, 0);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.memfaults_handled"), 1);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_WARN), "MEMORY FAULT"));
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_WARN), "Response Failure"));
	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

/* The machine with iommu.pq_overflow_policy = @policy (read at probe). */
static void rv_env_up_policy(struct rv_env *e, const char *policy)
{
	e->rv = rv_fake_create();
	e->h = e->rv->hal;
	fake_hal_set_param_str(e->h, "iommu.pq_overflow_policy", policy);
	e->iommu = rv_probe(e->h);
}

/*
 * smmuv3 (Linux 67ea0b7ce418): the whole queue is processed up to pqt with no
 * pqh write in between, partial groups are discarded, then pqh and the W1C of
 * pqof are written back to back, pqh first: one acknowledging step.
 */
static void test_irq_overflow_recovery_smmuv3(void **state)
{
	struct rv_env e;
	struct device dev;
	int pqh_w, w1c;

	(void)state;
	rv_env_up_policy(&e, "smmuv3");
	rv_add_dev(&e, &dev, 1, 64);
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0), PAYLOAD(0x1000, 7, 0, 0, 1));
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0), PAYLOAD(0x2000, 8, 0, 0, 1));
	e.rv->iommu.pqcsr |= (uint32_t)RISCV_IOMMU_PQCSR_PQOF;
	e.rv->ntrace = 0;
	e.rv->iommu.pqh_writes = 0;
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));

	assert_int_equal(e.rv->nreports, 2);
	assert_int_equal(e.rv->discard_partial_calls, 1);
	assert_int_equal(e.rv->reports_at_discard, 2);
	assert_int_equal(e.rv->iommu.pqh_writes, 1);
	assert_int_equal(e.rv->iommu.pqh, e.rv->iommu.pqt);
	assert_int_equal(e.rv->iommu.pqcsr, RISCV_IOMMU_PQCSR_PQEN | RISCV_IOMMU_PQCSR_PIE);
	pqh_w = rv_fake_trace_find(e.rv, 0, true, RISCV_IOMMU_REG_PQH);
	w1c = rv_fake_trace_find(e.rv, 0, true, RISCV_IOMMU_REG_PQCSR);
	assert_true(pqh_w >= 0 && w1c == pqh_w + 1);
	/* nothing is read after the acknowledgement */
	assert_int_equal(rv_fake_trace_find(e.rv, (unsigned int)w1c, false, RISCV_IOMMU_REG_PQT), -1);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.overflows_handled"), 1);
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_ERROR), 0);
	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

/*
 * vtd (Linux intel/prq.c): after the drain, pqof is cleared (and partial
 * groups discarded) only if pqh == pqt; a record that landed after pqt was
 * read leaves pqof set for the next interrupt, which then recovers.
 */
static void test_irq_overflow_recovery_vtd(void **state)
{
	struct rv_env e;
	struct device dev;

	(void)state;
	rv_env_up_policy(&e, "vtd");
	rv_add_dev(&e, &dev, 1, 64);
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0), PAYLOAD(0x1000, 7, 0, 0, 1));
	e.rv->iommu.pqcsr |= (uint32_t)RISCV_IOMMU_PQCSR_PQOF;
	/* empty after the drain: discard and W1C */
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));
	assert_int_equal(e.rv->nreports, 1);
	assert_int_equal(e.rv->discard_partial_calls, 1);
	assert_int_equal(e.rv->iommu.pqcsr, RISCV_IOMMU_PQCSR_PQEN | RISCV_IOMMU_PQCSR_PIE);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.overflows_handled"), 1);

	/* a record lands after the drain read pqt: pqof stays, nothing discarded */
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0), PAYLOAD(0x2000, 8, 0, 0, 1));
	e.rv->iommu.pqcsr |= (uint32_t)RISCV_IOMMU_PQCSR_PQOF;
	e.rv->iommu.pq_late = true;
	e.rv->iommu.pq_late_hdr = HDR(1, 0, 0, 0, 0);
	e.rv->iommu.pq_late_payload = PAYLOAD(0x3000, 9, 0, 0, 1);
	e.rv->ntrace = 0;
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));
	assert_int_equal(e.rv->discard_partial_calls, 1);
	assert_true(e.rv->iommu.pqcsr & RISCV_IOMMU_PQCSR_PQOF);
	assert_int_equal(rv_fake_trace_find(e.rv, 0, true, RISCV_IOMMU_REG_PQCSR), -1);
	assert_int_equal(e.rv->nreports, 2);
	/* the next interrupt drains the late record, finds the queue empty, recovers */
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));
	assert_int_equal(e.rv->nreports, 3);
	assert_int_equal(e.rv->discard_partial_calls, 2);
	assert_int_equal(e.rv->iommu.pqcsr & RISCV_IOMMU_PQCSR_PQOF, 0);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.overflows_handled"), 2);
	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

static void test_irq_report_error_counted(void **state)
{
	struct rv_env e;
	struct device dev;

	(void)state;
	rv_env_up(&e);
	rv_add_dev(&e, &dev, 1, 64);
	e.rv->report_ret = -EINVAL; /* the core answered it INVALID itself */
	rv_fake_pq_push(e.rv, HDR(1, 0, 0, 0, 0), PAYLOAD(0x1000, 1, 1, 0, 1));
	rv_fake_run_irq(e.rv, rv_vec_piv(e.rv));
	assert_int_equal(e.rv->nreports, 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0001.pq.report_failed"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.reported"), 0);
	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_fields),
		cmocka_unit_test(test_stop_marker_classification),
		cmocka_unit_test(test_to_fault),
		cmocka_unit_test(test_irq_drains_and_reports),
		cmocka_unit_test(test_irq_reserved_bits),
		cmocka_unit_test(test_irq_needs_pasid),
		cmocka_unit_test(test_irq_head_per_record),
		cmocka_unit_test(test_irq_wraps),
		cmocka_unit_test(test_irq_unknown_rid),
		cmocka_unit_test(test_irq_overflow_recovery),
		cmocka_unit_test(test_irq_overflow_recovery_smmuv3),
		cmocka_unit_test(test_irq_overflow_recovery_vtd),
		cmocka_unit_test(test_irq_report_error_counted),
	};

	return cmocka_run_group_tests_name("unit.riscv.pq", tests, NULL, NULL);
}
