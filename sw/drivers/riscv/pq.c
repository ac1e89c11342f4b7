// SPDX-License-Identifier: Apache-2.0
/*
 * RISC-V IOMMU driver: page-request queue and PRG Responses
 * (spec/riscv-iommu.md §12, §13; linux-iopf.md §4.1, §4.4).
 *
 * The interrupt thread clears ipsr.pip before it reads pqt (MSIs are edges,
 * §8.1: a record written after the clear raises a new one), drains pqh -> pqt
 * and writes pqh once per batch (or per record with
 * sw.driver.pq_head_per_record = 1). Stop Markers are dropped here, the rest
 * go to iommu_report_device_fault(). On pqof/pqmf the queue is frozen (§13.5):
 * we drain what landed before it, discard every incomplete group
 * (iopf_queue_discard_partial: its L = 1 request may have been auto-answered
 * and the PRG index reused), W1C the bit and look at pqt again. The order of
 * those steps follows the IOMMU's overflow policy (iommu.pq_overflow_policy):
 * RISC-V, SMMUv3 (Linux 67ea0b7ce418) or VT-d (Linux intel/prq.c).
 */
#include <errno.h>
#include <stdio.h>

#include "riscv_iommu_priv.h"

/**
 * riscv_iommu_pq_decode - split a PQ record into its fields (§12)
 * @rec: the record, already in CPU byte order
 * @req: the fields
 */
void riscv_iommu_pq_decode(const struct riscv_iommu_pq_record *rec,
			   struct riscv_iommu_pq_req *req)
{
	req->did = (uint32_t)RV_FIELD_GET(RISCV_IOMMU_PQ_HDR_DID, rec->hdr);
	req->pid = (uint32_t)RV_FIELD_GET(RISCV_IOMMU_PQ_HDR_PID, rec->hdr);
	req->pv = !!(rec->hdr & RISCV_IOMMU_PQ_HDR_PV);
	req->priv = !!(rec->hdr & RISCV_IOMMU_PQ_HDR_PRIV);
	req->exec = !!(rec->hdr & RISCV_IOMMU_PQ_HDR_EXEC);
	req->r = !!(rec->payload & RISCV_IOMMU_PQ_PAYLOAD_R);
	req->w = !!(rec->payload & RISCV_IOMMU_PQ_PAYLOAD_W);
	req->l = !!(rec->payload & RISCV_IOMMU_PQ_PAYLOAD_L);
	req->prgi = (uint32_t)RV_FIELD_GET(RISCV_IOMMU_PQ_PAYLOAD_PRGI, rec->payload);
	req->addr = rec->payload & RISCV_IOMMU_PQ_PAYLOAD_ADDR;
}

/**
 * riscv_iommu_pq_is_stop_marker - a PASID Stop Marker needs no response
 * @req: decoded record
 *
 * Spec rule (§12, pcie-pri.md §3): a Page Request with a PASID and L = 1,
 * R = W = 0. Without a PASID the same bits are an ordinary request.
 * Return: true for a Stop Marker.
 */
bool riscv_iommu_pq_is_stop_marker(const struct riscv_iommu_pq_req *req)
{
	return req->pv && req->l && !req->r && !req->w;
}

/**
 * riscv_iommu_pq_to_fault - build the io-pgfault event for a page request
 * @rec: the record, already in CPU byte order
 * @evt: zeroed and filled; private_data keeps the raw record
 */
void riscv_iommu_pq_to_fault(const struct riscv_iommu_pq_record *rec, struct iopf_fault *evt)
{
	struct iommu_fault_page_request *prm = &evt->fault.prm;
	struct riscv_iommu_pq_req req;

	riscv_iommu_pq_decode(rec, &req);
	*evt = (struct iopf_fault){ 0 };
	INIT_LIST_HEAD(&evt->list);
	evt->fault.type = IOMMU_FAULT_PAGE_REQ;
	if (req.pv) {
		prm->flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
		prm->pasid = req.pid;
	}
	if (req.l)
		prm->flags |= IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	if (req.r)
		prm->perm |= IOMMU_FAULT_PERM_READ;
	if (req.w)
		prm->perm |= IOMMU_FAULT_PERM_WRITE;
	if (req.exec)
		prm->perm |= IOMMU_FAULT_PERM_EXEC;
	if (req.priv)
		prm->perm |= IOMMU_FAULT_PERM_PRIV;
	prm->grpid = req.prgi;
	prm->addr = req.addr;
	prm->private_data[0] = rec->hdr;
	prm->private_data[1] = rec->payload;
}

/**
 * riscv_iommu_prgr_code - map a generic response code to the PCIe code
 * @code: IOMMU_PAGE_RESP_*
 *
 * SUCCESS -> Success (0x0), INVALID -> Invalid Request (0x1), FAILURE ->
 * Response Failure (0xF). Unknown codes are answered Invalid Request: a
 * Response Failure would disable PRI in the whole function.
 * Return: the 4-bit PCIe response code.
 */
enum riscv_iommu_prgr_code riscv_iommu_prgr_code(enum iommu_page_response_code code)
{
	switch (code) {
	case IOMMU_PAGE_RESP_SUCCESS:
		return RISCV_IOMMU_PRGR_SUCCESS;
	case IOMMU_PAGE_RESP_FAILURE:
		return RISCV_IOMMU_PRGR_FAILURE;
	case IOMMU_PAGE_RESP_INVALID:
	default:
		return RISCV_IOMMU_PRGR_INVALID;
	}
}

static hal_stat_id riscv_iommu_prgr_stat(const struct riscv_iommu *iommu,
					 enum riscv_iommu_prgr_code code)
{
	switch (code) {
	case RISCV_IOMMU_PRGR_SUCCESS:
		return iommu->stats.prgr_sent_success;
	case RISCV_IOMMU_PRGR_FAILURE:
		return iommu->stats.prgr_sent_failure;
	case RISCV_IOMMU_PRGR_INVALID:
	default:
		return iommu->stats.prgr_sent_invalid;
	}
}

/**
 * riscv_iommu_prgr_send - queue an ATS.PRGR (PRG Response) for a device
 * @iommu: the IOMMU
 * @did: destination device_id (RID, plus segment << 16)
 * @pv: include @pasid in the response
 * @pasid: PASID of the request
 * @prgi: PRG index
 * @code: PCIe response code
 *
 * No fence: nothing waits for a response to leave. Counted as
 * "prgr.sent.<code>" globally and for @did.
 * Return: 0 or the error of the queue.
 */
int riscv_iommu_prgr_send(struct riscv_iommu *iommu, uint32_t did, bool pv, uint32_t pasid,
			  uint32_t prgi, enum riscv_iommu_prgr_code code)
{
	struct riscv_iommu_command cmd;
	int ret;

	riscv_iommu_cmd_ats_prgr(&cmd, did, prgi & 0x1FFu, code);
	if (pv)
		riscv_iommu_cmd_ats_set_pid(&cmd, pasid);
	ret = riscv_iommu_cmd_send(iommu, &cmd, 1);
	if (ret) {
		riscv_iommu_err(iommu, "ATS.PRGR to %04x prgi %u code %#x not queued (%d)",
				did, prgi, code, ret);
		return ret;
	}
	riscv_iommu_stat_did(iommu, did, riscv_iommu_prgr_stat(iommu, code), 1);
	return 0;
}

/**
 * riscv_iommu_page_response - iommu_ops.page_response: answer a PRG
 * @dev: the device
 * @evt: the LAST request of the group
 * @msg: pasid, grpid and generic code
 *
 * The PASID goes into the response when the request carried one and the
 * device requires it (PRI Status "PRG Response PASID Required", mirrored in
 * DC.tc.PRPR).
 * Return: 0, -ENODEV for a device this driver does not know, -EINVAL for an
 * unknown code (the PRG is still answered, Invalid Request), or the queue error.
 */
int riscv_iommu_page_response(struct device *dev, struct iopf_fault *evt,
			      struct iommu_page_response *msg)
{
	struct riscv_iommu_device *rdev = dev ? dev_to_riscv(dev) : NULL;
	struct riscv_iommu *iommu;
	bool pv;
	int ret;

	if (!rdev || !evt || !msg)
		return -ENODEV;
	iommu = rdev->iommu;
	pv = (evt->fault.prm.flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID) && rdev->prpr;
	ret = riscv_iommu_prgr_send(iommu, rdev->did, pv, msg->pasid, msg->grpid,
				    riscv_iommu_prgr_code((enum iommu_page_response_code)msg->code));
	if (!ret && msg->code > IOMMU_PAGE_RESP_FAILURE) {
		riscv_iommu_warn(iommu, "%s: unknown response code %u for prgi %u, sent Invalid",
				 dev->name, msg->code, msg->grpid);
		return -EINVAL;
	}
	return ret;
}

/* One record: classify, then report, drop, or answer it ourselves. */
static void riscv_iommu_priq_record(struct riscv_iommu *iommu,
				    const struct riscv_iommu_pq_record *rec)
{
	struct riscv_iommu_device *rdev;
	struct riscv_iommu_pq_req req;
	struct iopf_fault evt;
	int ret;

	hal_charge(iommu->hal, HAL_COST_PQ_RECORD);
	riscv_iommu_pq_decode(rec, &req);
	rdev = riscv_iommu_find_dev(iommu, req.did);
	riscv_iommu_stat_did(iommu, req.did, iommu->stats.pq_records_read, 1);
	if (rec->hdr & RISCV_IOMMU_PQ_HDR_RESERVED) {
		/* §12: reserved bits mean nothing; the record is used as it is. */
		riscv_iommu_stat_did(iommu, req.did, iommu->stats.pq_reserved_bits, 1);
		riscv_iommu_warn(iommu, "pq: record did=%#x prgi=%u sets reserved header bits "
				 "%#llx (hdr=%#018llx); ignoring them", req.did, req.prgi,
				 (unsigned long long)(rec->hdr & RISCV_IOMMU_PQ_HDR_RESERVED),
				 (unsigned long long)rec->hdr);
	}

	if (riscv_iommu_pq_is_stop_marker(&req)) {
		riscv_iommu_stat_did(iommu, req.did, iommu->stats.pq_stop_markers_dropped, 1);
		riscv_iommu_dbg(iommu, "pq: stop marker did=%#x pasid=%#x prgi=%u dropped",
				req.did, req.pid, req.prgi);
		return;
	}
	if (!rdev) {
		riscv_iommu_stat_did(iommu, req.did, iommu->stats.pq_unknown_rid, 1);
		riscv_iommu_warn(iommu, "pq: page request from unknown device did=%#x "
				 "addr=%#llx prgi=%u L=%u%s", req.did,
				 (unsigned long long)req.addr, req.prgi, req.l,
				 req.l ? ", answering Invalid Request" : "");
		/* No DC to say PRPR: like the IOMMU, answer without a PASID (§13.4). */
		if (req.l)
			riscv_iommu_prgr_send(iommu, req.did, false, 0, req.prgi,
					      RISCV_IOMMU_PRGR_INVALID);
		return;
	}

	if (req.l)
		hal_fault_stamp(iommu->hal, (uint16_t)req.did, req.pv ? req.pid : 0, req.prgi,
				HAL_FAULT_DRAINED);
	riscv_iommu_pq_to_fault(rec, &evt);
	/*
	 * The request carries a PASID and the device wants it back in the PRG
	 * Response (PRI Status "PRG Response PASID Required", DC.tc.PRPR): the
	 * Linux drivers' rule for RESPONSE_NEEDS_PASID (VT-d sets it with every
	 * PASID request, since it enables PRI on a PASID device only when the
	 * device requires this; the SMMUv3 PRI code with pasid_valid &&
	 * pci_prg_resp_pasid_required()). iommufd passes it to userspace raw.
	 */
	if (req.pv && rdev->prpr)
		evt.fault.prm.flags |= IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID;
	ret = iommu_report_device_fault(rdev->dev, &evt);
	if (ret) {
		riscv_iommu_stat(iommu, rdev, iommu->stats.pq_report_failed, 1);
		riscv_iommu_dbg(iommu, "pq: %s addr=%#llx prgi=%u L=%u: report returned %d",
				rdev->dev->name, (unsigned long long)req.addr, req.prgi, req.l, ret);
	} else {
		riscv_iommu_stat(iommu, rdev, iommu->stats.pq_reported, 1);
	}
}

/*
 * Handle the records from pqh up to @tail (read after a read barrier);
 * write pqh after each one if @head_per_record. Return: records handled.
 */
static unsigned int riscv_iommu_priq_take(struct riscv_iommu *iommu, uint32_t tail,
					  bool head_per_record)
{
	struct riscv_iommu_queue *q = &iommu->priq;
	const struct riscv_iommu_pq_record *ring = q->base;
	unsigned int n = 0;

	while (q->head != tail) {
		struct riscv_iommu_pq_record rec;

		rec.hdr = riscv_iommu_le64_to_cpu(ring[q->head].hdr);
		rec.payload = riscv_iommu_le64_to_cpu(ring[q->head].payload);
		riscv_iommu_priq_record(iommu, &rec);
		q->head = (q->head + 1) & q->mask;
		n++;
		if (head_per_record)
			riscv_iommu_writel(iommu, RISCV_IOMMU_REG_PQH, q->head);
	}
	return n;
}

/* Drain pqh -> pqt once. Return: records handled. */
static unsigned int riscv_iommu_priq_drain(struct riscv_iommu *iommu)
{
	struct riscv_iommu_queue *q = &iommu->priq;
	uint32_t tail = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_PQT) & q->mask;
	unsigned int n = 0;

	if (tail == q->head)
		return 0;
	hal_rmb(iommu->hal);
	n = riscv_iommu_priq_take(iommu, tail, iommu->pq_head_per_record);
	if (!iommu->pq_head_per_record)
		riscv_iommu_writel(iommu, RISCV_IOMMU_REG_PQH, q->head);
	riscv_iommu_stat(iommu, NULL, iommu->stats.pq_batches, 1);
	return n;
}

/* Count and log a recovery from pqof and/or pqmf (@err: the bits seen). */
static void riscv_iommu_priq_note_errors(struct riscv_iommu *iommu, uint32_t err)
{
	if (err & RISCV_IOMMU_PQCSR_PQOF) {
		riscv_iommu_stat(iommu, NULL, iommu->stats.pq_overflows_handled, 1);
		enum hal_log_level lvl = riscv_iommu_noisy_level(iommu, &iommu->pq_overflows,
								  "pq: overflows");

		riscv_iommu_log(iommu, lvl, "pq: overflow #%llu (pqof): requests were "
				"dropped, %s; discarding partial groups",
				(unsigned long long)iommu->pq_overflows,
				iommu->pq_ovf_policy == RISCV_IOMMU_PQ_OVF_VTD ?
				"unanswered (the devices time out and retry)" :
				"last requests auto-answered Success");
	}
	if (err & RISCV_IOMMU_PQCSR_PQMF) {
		/*
		 * Loud, but a warning: it is a hardware/configuration event that
		 * fault-injection scenarios provoke on purpose.
		 */
		riscv_iommu_stat(iommu, NULL, iommu->stats.pq_memfaults_handled, 1);
		riscv_iommu_warn(iommu, "pq: *** MEMORY FAULT writing a page-request record "
				 "(pqmf) *** the IOMMU answered Response Failure to the "
				 "requests it could not queue, which DISABLES PRI in those "
				 "functions until PRI is re-enabled; discarding partial groups");
	}
}

/* Discard the partial groups and acknowledge @err (W1C), keeping pqen and pie. */
static void riscv_iommu_priq_ack(struct riscv_iommu *iommu, uint32_t err)
{
	iopf_queue_discard_partial(iommu->iommu.iopf_queue);
	riscv_iommu_writel(iommu, RISCV_IOMMU_REG_PQCSR,
			   (uint32_t)(RISCV_IOMMU_PQCSR_PQEN | RISCV_IOMMU_PQCSR_PIE) | err);
}

/*
 * RISC-V recovery: drain; while pqof/pqmf is set, first take what landed
 * before the bit was set, then discard partial groups and W1C, and look
 * again.
 */
static void riscv_iommu_priq_process_riscv(struct riscv_iommu *iommu)
{
	struct riscv_iommu_queue *q = &iommu->priq;
	unsigned int rounds = 0;
	uint32_t csr, err;

	for (;;) {
		riscv_iommu_priq_drain(iommu);
		csr = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_PQCSR);
		err = csr & (uint32_t)(RISCV_IOMMU_PQCSR_PQOF | RISCV_IOMMU_PQCSR_PQMF);
		if (!err)
			break;
		/* Frozen queue: first take what landed before the bit was set. */
		if ((riscv_iommu_readl(iommu, RISCV_IOMMU_REG_PQT) & q->mask) != q->head)
			continue;
		if (++rounds > RISCV_IOMMU_QUEUE_MAX_ROUNDS) {
			/*
			 * The queue overflows again as fast as we recover: the
			 * devices keep it full (a workload condition, not a fault).
			 * Clear the bits once more and leave the rest to the next
			 * interrupt, which the next 0 -> 1 of pqof raises.
			 */
			enum hal_log_level lvl = riscv_iommu_noisy_level(iommu, &iommu->pq_busy_exits,
									  "pq: recoveries cut short");

			riscv_iommu_stat(iommu, NULL, iommu->stats.pq_recovery_cut, 1);
			riscv_iommu_log(iommu, lvl, "pq: pqcsr=%#x still reports errors after %u "
					"recoveries; continuing at the next interrupt", csr, rounds - 1);
			riscv_iommu_priq_ack(iommu, err);
			break;
		}
		riscv_iommu_priq_note_errors(iommu, err);
		riscv_iommu_priq_ack(iommu, err);
	}
}

/*
 * SMMUv3 recovery (Linux commit 67ea0b7ce418, mapped onto the RISC-V
 * registers): pqcsr read with pqt stands for PRIQ_PROD with its OVFLG. We
 * process the whole queue up to the producer index, reading it again until
 * it stops moving, with no pqh write in between; if the overflow was seen,
 * the groups whose Last was not seen are discarded; then one step
 * acknowledges: pqh (the consumer index) and the W1C of the bits we saw, back
 * to back. sw.driver.pq_head_per_record does not apply: the consumer index is
 * written once.
 */
static void riscv_iommu_priq_process_smmuv3(struct riscv_iommu *iommu)
{
	struct riscv_iommu_queue *q = &iommu->priq;
	unsigned int rounds = 0, n = 0;
	uint32_t csr, err, tail;

	for (;;) {
		/* pqcsr first: once pqof is seen, the pqt read after it is final. */
		csr = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_PQCSR);
		tail = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_PQT) & q->mask;
		err = csr & (uint32_t)(RISCV_IOMMU_PQCSR_PQOF | RISCV_IOMMU_PQCSR_PQMF);
		if (tail == q->head || ++rounds > RISCV_IOMMU_QUEUE_MAX_ROUNDS)
			break;
		hal_rmb(iommu->hal);
		n += riscv_iommu_priq_take(iommu, tail, false);
	}
	if (n)
		riscv_iommu_stat(iommu, NULL, iommu->stats.pq_batches, 1);
	if (err) {
		riscv_iommu_priq_note_errors(iommu, err);
		iopf_queue_discard_partial(iommu->iommu.iopf_queue);
	}
	if (n || err) {
		riscv_iommu_writel(iommu, RISCV_IOMMU_REG_PQH, q->head);
		if (err)
			riscv_iommu_writel(iommu, RISCV_IOMMU_REG_PQCSR,
					   (uint32_t)(RISCV_IOMMU_PQCSR_PQEN | RISCV_IOMMU_PQCSR_PIE) |
					   err);
	}
}

/*
 * VT-d recovery (Linux intel/prq.c, mapped onto the RISC-V registers): drain
 * once; if pqof (PRO) is set, read head and tail again and only if the queue
 * is empty discard the partial groups and W1C it; otherwise leave it set for
 * the next interrupt (the records that landed after this run cleared pip set
 * it again). pqmf has no VT-d counterpart and is recovered as on RISC-V.
 */
static void riscv_iommu_priq_process_vtd(struct riscv_iommu *iommu)
{
	struct riscv_iommu_queue *q = &iommu->priq;
	uint32_t csr, err;

	riscv_iommu_priq_drain(iommu);
	csr = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_PQCSR);
	if (csr & RISCV_IOMMU_PQCSR_PQMF) {
		riscv_iommu_priq_process_riscv(iommu);
		return;
	}
	err = csr & (uint32_t)RISCV_IOMMU_PQCSR_PQOF;
	if (!err)
		return;
	if ((riscv_iommu_readl(iommu, RISCV_IOMMU_REG_PQT) & q->mask) != q->head) {
		riscv_iommu_dbg(iommu, "pq: pqof with records still queued: recovery at the "
				"next interrupt");
		return;
	}
	riscv_iommu_priq_note_errors(iommu, err);
	riscv_iommu_priq_ack(iommu, err);
}

/**
 * riscv_iommu_priq_process - drain the PQ and recover from pqof/pqmf
 * @iommu: the IOMMU
 *
 * Called by the PQ interrupt thread (after it cleared pip) and to flush the
 * queue when a device's IOPF is disabled. The recovery follows the IOMMU's
 * overflow policy (iommu->pq_ovf_policy).
 */
void riscv_iommu_priq_process(struct riscv_iommu *iommu)
{
	hal_mutex_lock(iommu->pq_lock);
	switch (iommu->pq_ovf_policy) {
	case RISCV_IOMMU_PQ_OVF_SMMUV3:
		riscv_iommu_priq_process_smmuv3(iommu);
		break;
	case RISCV_IOMMU_PQ_OVF_VTD:
		riscv_iommu_priq_process_vtd(iommu);
		break;
	case RISCV_IOMMU_PQ_OVF_RISCV:
	default:
		riscv_iommu_priq_process_riscv(iommu);
		break;
	}
	hal_mutex_unlock(iommu->pq_lock);
}

/**
 * riscv_iommu_priq_irq - PQ hard interrupt: count it, defer to the thread
 * @arg: the IOMMU
 * @irq: unused (one vector per queue)
 *
 * Return: HAL_IRQ_WAKE_THREAD.
 */
enum hal_irq_ret riscv_iommu_priq_irq(void *arg, unsigned int irq)
{
	struct riscv_iommu *iommu = arg;

	(void)irq;
	riscv_iommu_stat(iommu, NULL, iommu->stats.pq_irqs, 1);
	return HAL_IRQ_WAKE_THREAD;
}

/**
 * riscv_iommu_priq_irq_thread - PQ interrupt thread
 * @arg: the IOMMU
 * @irq: unused
 *
 * Return: HAL_IRQ_HANDLED.
 */
enum hal_irq_ret riscv_iommu_priq_irq_thread(void *arg, unsigned int irq)
{
	struct riscv_iommu *iommu = arg;

	(void)irq;
	/* §8.1 / §13.5: clear the edge source before looking at pqt. */
	riscv_iommu_writel(iommu, RISCV_IOMMU_REG_IPSR, RISCV_IOMMU_IPSR_PIP);
	riscv_iommu_priq_process(iommu);
	return HAL_IRQ_HANDLED;
}
