// SPDX-License-Identifier: Apache-2.0
/*
 * RISC-V IOMMU driver: fault queue (spec/riscv-iommu.md §11).
 *
 * Fault records are unrecoverable events (a DC that is not valid, a
 * misconfigured DC, an access fault during a walk, ...). They are logged with
 * symbolic names and counted per cause ("sw.fq.cause.<n>"), per device where
 * the device is known, and a record of a known device is handed up as a
 * vEVENT (iommu_report_device_event()) for the vEVENTQ of the vIOMMU the
 * device is attached under, if any. fip is an edge like pip (§8.1), so it
 * is cleared before fqt is read. fqof/fqmf discard the triggering record and
 * all later ones until cleared (§11.3): we drain, then W1C, with a warning
 * naming the bit (records were lost; the queue itself recovers).
 *
 * Cause 273 (the IOMMU's own MSI write faulted, §8.3) means an interrupt
 * was lost: that MSI was the one 0 -> 1 edge of some ipsr bit, and no other
 * comes while the bit stays 1. After the drain we therefore run the PQ and
 * CQ interrupt threads as if their interrupts had come (they clear their
 * ipsr bit first, so a later record raises a new MSI).
 */
#include <stdio.h>

#include "riscv_iommu_priv.h"

static const struct {
	unsigned int code;
	const char *name;
	const char *desc;
} riscv_iommu_fq_causes[] = {
#define RISCV_IOMMU_FQ_CAUSE_ENTRY(c, n, d) { c, #n, d },
	RISCV_IOMMU_FQ_CAUSES(RISCV_IOMMU_FQ_CAUSE_ENTRY)
#undef RISCV_IOMMU_FQ_CAUSE_ENTRY
};

static const struct {
	unsigned int code;
	const char *name;
	const char *desc;
} riscv_iommu_fq_ttyps[] = {
#define RISCV_IOMMU_FQ_TTYP_ENTRY(c, n, d) { c, #n, d },
	RISCV_IOMMU_FQ_TTYPES(RISCV_IOMMU_FQ_TTYP_ENTRY)
#undef RISCV_IOMMU_FQ_TTYP_ENTRY
};

_Static_assert(sizeof(riscv_iommu_fq_causes) / sizeof(riscv_iommu_fq_causes[0]) ==
		       RISCV_IOMMU_FQ_NR_CAUSES,
	       "one fq.cause statistic per CAUSE code");

/**
 * riscv_iommu_fq_cause_name - symbolic name of a fault CAUSE
 * @cause: CAUSE field
 *
 * Return: e.g. "DDT_INVALID"; "CUSTOM" for 2048..4095, "RESERVED" otherwise.
 */
const char *riscv_iommu_fq_cause_name(unsigned int cause)
{
	size_t i;

	for (i = 0; i < sizeof(riscv_iommu_fq_causes) / sizeof(riscv_iommu_fq_causes[0]); i++)
		if (riscv_iommu_fq_causes[i].code == cause)
			return riscv_iommu_fq_causes[i].name;
	return cause >= 2048 && cause <= 4095 ? "CUSTOM" : "RESERVED";
}

/* Position of a CAUSE code in riscv_iommu_fq_causes[], or -1. */
static int riscv_iommu_fq_cause_index(unsigned int cause)
{
	size_t i;

	for (i = 0; i < sizeof(riscv_iommu_fq_causes) / sizeof(riscv_iommu_fq_causes[0]); i++)
		if (riscv_iommu_fq_causes[i].code == cause)
			return (int)i;
	return -1;
}

/**
 * riscv_iommu_fq_stats_register - register "fq.cause.<code>" of every known CAUSE
 * @iommu: the IOMMU being probed
 */
void riscv_iommu_fq_stats_register(struct riscv_iommu *iommu)
{
	char name[32];
	size_t i;

	for (i = 0; i < RISCV_IOMMU_FQ_NR_CAUSES; i++) {
		snprintf(name, sizeof(name), "fq.cause.%u", riscv_iommu_fq_causes[i].code);
		iommu->stats.fq_cause[i] = hal_stat_register(iommu->hal, name);
	}
}

static const char *riscv_iommu_fq_cause_desc(unsigned int cause)
{
	size_t i;

	for (i = 0; i < sizeof(riscv_iommu_fq_causes) / sizeof(riscv_iommu_fq_causes[0]); i++)
		if (riscv_iommu_fq_causes[i].code == cause)
			return riscv_iommu_fq_causes[i].desc;
	return "unknown cause";
}

/**
 * riscv_iommu_fq_ttyp_name - symbolic name of a fault TTYP
 * @ttyp: TTYP field
 *
 * Return: e.g. "PCIE_MSG_REQ"; "CUSTOM" for 32..63, "RESERVED" otherwise.
 */
const char *riscv_iommu_fq_ttyp_name(unsigned int ttyp)
{
	size_t i;

	for (i = 0; i < sizeof(riscv_iommu_fq_ttyps) / sizeof(riscv_iommu_fq_ttyps[0]); i++)
		if (riscv_iommu_fq_ttyps[i].code == ttyp)
			return riscv_iommu_fq_ttyps[i].name;
	return ttyp >= 32 && ttyp <= 63 ? "CUSTOM" : "RESERVED";
}

/*
 * Hand one record up as an IOMMU_VEVENTQ_TYPE_RISCV_IOMMU event, the raw
 * little-endian record as the IOMMU wrote it (like the SMMUv3 driver's
 * arm_vmaster_report_event() -> iommufd_viommu_report_event()). Without a
 * vEVENTQ for the device (-ENODEV, -EOPNOTSUPP) it is only counted, above.
 */
static void riscv_iommu_fltq_report(struct riscv_iommu *iommu, struct riscv_iommu_device *rdev,
				    const struct riscv_iommu_fq_record *rec)
{
	const struct iommu_vevent_riscv_iommu vevent = {
		.hdr = riscv_iommu_cpu_to_le64(rec->hdr),
		.__reserved = riscv_iommu_cpu_to_le64(rec->_reserved),
		.iotval = riscv_iommu_cpu_to_le64(rec->iotval),
		.iotval2 = riscv_iommu_cpu_to_le64(rec->iotval2),
	};
	int rc;

	rc = iommu_report_device_event(rdev->dev, IOMMU_VEVENTQ_TYPE_RISCV_IOMMU, &vevent,
				       sizeof(vevent));
	/* -ENOMEM: iommufd queued its LOST_EVENTS header instead; counted there. */
	if (!rc)
		riscv_iommu_stat(iommu, rdev, iommu->stats.fq_vevents, 1);
}

/* Log, count and hand up one record. Return: true for cause 273 (an MSI was lost). */
static bool riscv_iommu_fltq_record(struct riscv_iommu *iommu,
				    const struct riscv_iommu_fq_record *rec)
{
	unsigned int cause = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_FQ_HDR_CAUSE, rec->hdr);
	unsigned int ttyp = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_FQ_HDR_TTYP, rec->hdr);
	uint32_t did = (uint32_t)RV_FIELD_GET(RISCV_IOMMU_FQ_HDR_DID, rec->hdr);
	uint32_t pid = (uint32_t)RV_FIELD_GET(RISCV_IOMMU_FQ_HDR_PID, rec->hdr);
	bool pv = !!(rec->hdr & RISCV_IOMMU_FQ_HDR_PV);
	bool priv = !!(rec->hdr & RISCV_IOMMU_FQ_HDR_PRIV);
	struct riscv_iommu_device *rdev;
	enum hal_log_level lvl;
	uint32_t stat_did;
	char name[32];
	int idx;

	hal_charge(iommu->hal, HAL_COST_FQ_RECORD);
	rdev = riscv_iommu_find_dev(iommu, did);
	/* TTYP 0: IOMMU-internal (e.g. its own MSI write), DID means nothing */
	stat_did = ttyp == RISCV_IOMMU_FQ_TTYP_NONE ? RISCV_IOMMU_NO_DID : did;
	riscv_iommu_stat_did(iommu, stat_did, iommu->stats.fq_records_read, 1);
	idx = riscv_iommu_fq_cause_index(cause);
	if (idx >= 0) {
		riscv_iommu_stat_did(iommu, stat_did, iommu->stats.fq_cause[idx], 1);
	} else {
		/* CUSTOM or RESERVED code: not registered at probe, counted by name */
		snprintf(name, sizeof(name), "fq.cause.%u", cause);
		if (stat_did == RISCV_IOMMU_NO_DID)
			hal_stat_add(iommu->hal, name, 1);
		else
			hal_stat_dev_add(iommu->hal, (uint16_t)(stat_did & 0xFFFFu), name, 1);
	}
	lvl = riscv_iommu_noisy_level(iommu, &iommu->fq_records, "fq: fault records");
	riscv_iommu_log(iommu, lvl, "fault #%llu: cause=%u %s (%s) ttyp=%u %s did=%#x%s%s pv=%u pid=%#x "
			 "priv=%u iotval=%#llx iotval2=%#llx",
			 (unsigned long long)iommu->fq_records, cause,
			 riscv_iommu_fq_cause_name(cause), riscv_iommu_fq_cause_desc(cause), ttyp,
			 riscv_iommu_fq_ttyp_name(ttyp), did, rdev ? " " : "",
			 rdev ? rdev->dev->name : "", pv, pid, priv,
			 (unsigned long long)rec->iotval, (unsigned long long)rec->iotval2);
	if (rdev && ttyp != RISCV_IOMMU_FQ_TTYP_NONE)
		riscv_iommu_fltq_report(iommu, rdev, rec);
	return cause == RISCV_IOMMU_FQ_CAUSE_MSI_WR_FAULT;
}

/* Drain fqh -> fqt once; *msi_lost is set if a record says an MSI was lost. */
static unsigned int riscv_iommu_fltq_drain(struct riscv_iommu *iommu, bool *msi_lost)
{
	struct riscv_iommu_queue *q = &iommu->fltq;
	const struct riscv_iommu_fq_record *ring = q->base;
	uint32_t tail = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_FQT) & q->mask;
	unsigned int n = 0;

	if (tail == q->head)
		return 0;
	hal_rmb(iommu->hal);
	while (q->head != tail) {
		struct riscv_iommu_fq_record rec;

		rec.hdr = riscv_iommu_le64_to_cpu(ring[q->head].hdr);
		rec._reserved = riscv_iommu_le64_to_cpu(ring[q->head]._reserved);
		rec.iotval = riscv_iommu_le64_to_cpu(ring[q->head].iotval);
		rec.iotval2 = riscv_iommu_le64_to_cpu(ring[q->head].iotval2);
		if (riscv_iommu_fltq_record(iommu, &rec))
			*msi_lost = true;
		q->head = (q->head + 1) & q->mask;
		n++;
	}
	riscv_iommu_writel(iommu, RISCV_IOMMU_REG_FQH, q->head);
	return n;
}

/**
 * riscv_iommu_fltq_process - drain the FQ and clear fqof/fqmf
 * @iommu: the IOMMU
 */
void riscv_iommu_fltq_process(struct riscv_iommu *iommu)
{
	struct riscv_iommu_queue *q = &iommu->fltq;
	unsigned int rounds = 0;
	bool msi_lost = false;
	uint32_t csr, err;

	for (;;) {
		riscv_iommu_fltq_drain(iommu, &msi_lost);
		csr = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_FQCSR);
		err = csr & (uint32_t)(RISCV_IOMMU_FQCSR_FQOF | RISCV_IOMMU_FQCSR_FQMF);
		if (!err)
			break;
		if ((riscv_iommu_readl(iommu, RISCV_IOMMU_REG_FQT) & q->mask) != q->head)
			continue;
		if (++rounds > RISCV_IOMMU_QUEUE_MAX_ROUNDS) {
			riscv_iommu_err(iommu, "fq: fqcsr=%#x still reports errors after %u "
					"recoveries; retrying at the next interrupt", csr, rounds - 1);
			break;
		}
		if (err & RISCV_IOMMU_FQCSR_FQOF) {
			riscv_iommu_stat(iommu, NULL, iommu->stats.fq_overflows, 1);
			riscv_iommu_warn(iommu, "fq: overflow (fqof): fault records were lost");
		}
		if (err & RISCV_IOMMU_FQCSR_FQMF) {
			/*
			 * A warning, as pqmf: a hardware/configuration event that
			 * fault-injection scenarios provoke on purpose.
			 */
			riscv_iommu_stat(iommu, NULL, iommu->stats.fq_memfaults, 1);
			riscv_iommu_warn(iommu, "fq: *** MEMORY FAULT writing a fault record "
					 "(fqcsr.fqmf) *** that record and any after it were lost; "
					 "clearing fqmf, the fault queue resumes");
		}
		riscv_iommu_writel(iommu, RISCV_IOMMU_REG_FQCSR,
				   (uint32_t)(RISCV_IOMMU_FQCSR_FQEN | RISCV_IOMMU_FQCSR_FIE) | err);
	}
	if (msi_lost) {
		riscv_iommu_stat(iommu, NULL, iommu->stats.fq_msi_faults, 1);
		riscv_iommu_warn(iommu, "fq: the IOMMU's MSI write faulted (cause 273): an "
				 "interrupt may be lost; servicing the page-request and command "
				 "queues");
		riscv_iommu_priq_irq_thread(iommu, 0);
		riscv_iommu_cmdq_irq_thread(iommu, 0);
	}
}

/**
 * riscv_iommu_fltq_irq - FQ hard interrupt: count it, defer to the thread
 * @arg: the IOMMU
 * @irq: unused (one vector per queue)
 *
 * Return: HAL_IRQ_WAKE_THREAD.
 */
enum hal_irq_ret riscv_iommu_fltq_irq(void *arg, unsigned int irq)
{
	struct riscv_iommu *iommu = arg;

	(void)irq;
	riscv_iommu_stat(iommu, NULL, iommu->stats.fq_irqs, 1);
	return HAL_IRQ_WAKE_THREAD;
}

/**
 * riscv_iommu_fltq_irq_thread - FQ interrupt thread
 * @arg: the IOMMU
 * @irq: unused
 *
 * Return: HAL_IRQ_HANDLED.
 */
enum hal_irq_ret riscv_iommu_fltq_irq_thread(void *arg, unsigned int irq)
{
	struct riscv_iommu *iommu = arg;

	(void)irq;
	riscv_iommu_writel(iommu, RISCV_IOMMU_REG_IPSR, RISCV_IOMMU_IPSR_FIP);
	riscv_iommu_fltq_process(iommu);
	return HAL_IRQ_HANDLED;
}
