// SPDX-License-Identifier: Apache-2.0
/*
 * RISC-V IOMMU driver: probe (capabilities, fctl, interrupts, queues, DDT)
 * and the iommu_ops table. Bring-up follows spec/riscv-iommu.md §18.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riscv_iommu.h"
#include "riscv_iommu_priv.h"

/* This IOMMU backs vIOMMUs of the RISC-V type only (their vEVENTQs get FQ records). */
static bool riscv_iommu_viommu_supported(struct device *dev, uint32_t type)
{
	(void)dev;
	return type == IOMMU_VIOMMU_TYPE_RISCV_IOMMU;
}

static const struct iommu_ops riscv_iommu_ops = {
	.name = "riscv-iommu",
	.probe_device = riscv_iommu_probe_device,
	.release_device = riscv_iommu_release_device,
	.domain_alloc_paging = riscv_iommu_domain_alloc_paging,
	.domain_alloc_paging_flags = riscv_iommu_domain_alloc_paging_flags,
	.domain_alloc_nested = riscv_iommu_domain_alloc_nested,
	.attach_dev = riscv_iommu_attach_dev,
	.dev_enable_iopf = riscv_iommu_dev_enable_iopf,
	.dev_disable_iopf = riscv_iommu_dev_disable_iopf,
	.page_response = riscv_iommu_page_response,
	.viommu_supported = riscv_iommu_viommu_supported,
	.remove_dev_pasid = riscv_iommu_remove_dev_pasid,
	/* a nested domain may hand the PASIDs to the user's process directory */
	.user_pasid_table = true,
};

/* Register every statistic of the driver (before anything is counted). */
static void riscv_iommu_stats_register(struct riscv_iommu *iommu)
{
#define RISCV_IOMMU_STAT_REGISTER(field, name) \
	iommu->stats.field = hal_stat_register(iommu->hal, name);
	RISCV_IOMMU_STATS(RISCV_IOMMU_STAT_REGISTER)
#undef RISCV_IOMMU_STAT_REGISTER
	riscv_iommu_fq_stats_register(iommu);
}

/**
 * riscv_iommu_stat_did - count an event globally and per device_id
 * @iommu: the IOMMU
 * @did: device_id the event belongs to, or RISCV_IOMMU_NO_DID
 * @id: statistic, from iommu->stats (e.g. iommu->stats.pq_records_read)
 * @delta: increment
 *
 * Adds to "sw.<name>" and to "sw.dev.<did as 4 hex digits>.<name>". The
 * per-device key is kept even for a device_id the driver does not know, so
 * that per-device accounting adds up.
 */
void riscv_iommu_stat_did(struct riscv_iommu *iommu, uint32_t did, hal_stat_id id,
			  uint64_t delta)
{
	if (did == RISCV_IOMMU_NO_DID)
		hal_stat_inc(iommu->hal, id, delta);
	else
		hal_stat_dev_inc(iommu->hal, (uint16_t)(did & 0xFFFFu), id, delta);
}

/**
 * riscv_iommu_stat - count an event globally and, if @rdev, per device
 * @iommu: the IOMMU
 * @rdev: the device the event belongs to, or NULL
 * @id: statistic, from iommu->stats
 * @delta: increment
 */
void riscv_iommu_stat(struct riscv_iommu *iommu, const struct riscv_iommu_device *rdev,
		      hal_stat_id id, uint64_t delta)
{
	riscv_iommu_stat_did(iommu, rdev ? rdev->did : RISCV_IOMMU_NO_DID, id, delta);
}

/**
 * riscv_iommu_noisy_level - count a repeated event and pick its log level
 * @iommu: the IOMMU
 * @count: event counter
 * @what: the event, for the note that later ones are quieter
 *
 * Every occurrence is logged: the first RISCV_IOMMU_NOISY_WARN as warnings,
 * later ones at debug level, so a storm does not flood the console. The last
 * warning comes with a note saying so.
 * Return: HAL_LOG_WARN or HAL_LOG_DEBUG.
 */
enum hal_log_level riscv_iommu_noisy_level(struct riscv_iommu *iommu, uint64_t *count,
					   const char *what)
{
	if (++*count < RISCV_IOMMU_NOISY_WARN)
		return HAL_LOG_WARN;
	if (*count == RISCV_IOMMU_NOISY_WARN) {
		riscv_iommu_warn(iommu, "%s: after #%u, logged at debug level only "
				 "(prisim -vv); all are counted", what, RISCV_IOMMU_NOISY_WARN);
		return HAL_LOG_WARN;
	}
	return HAL_LOG_DEBUG;
}

/**
 * riscv_iommu_poll_delay - wait one poll interval and back off
 * @iommu: the IOMMU
 * @waited_ps: how long this wait has lasted so far
 * @interval_ps: in: this interval (0 starts at the minimum); out: the next one
 *
 * Busy-waits (charged as CPU time, intervals of at most 160 ns) during the
 * first RISCV_IOMMU_POLL_SPIN_PS of a wait, then sleeps (at most 1 us) so
 * that other tasks can run.
 * Return: the picoseconds waited.
 */
uint64_t riscv_iommu_poll_delay(struct riscv_iommu *iommu, uint64_t waited_ps,
				uint64_t *interval_ps)
{
	bool spin = waited_ps < RISCV_IOMMU_POLL_SPIN_PS;
	uint64_t max = spin ? RISCV_IOMMU_POLL_SPIN_MAX_PS : RISCV_IOMMU_POLL_MAX_PS;

	if (!spin && waited_ps / RISCV_IOMMU_POLL_LONG_DIV > max)
		max = waited_ps / RISCV_IOMMU_POLL_LONG_DIV;
	uint64_t ps = *interval_ps ? *interval_ps : RISCV_IOMMU_POLL_MIN_PS;

	if (spin)
		hal_charge_ps(iommu->hal, ps);
	else
		hal_sleep_ps(iommu->hal, ps);
	*interval_ps = ps * 2 > max ? max : ps * 2;
	return ps;
}

/* Wait until the queue's xqon/busy bits read as wanted (§7.1). */
static int riscv_iommu_queue_wait(struct riscv_iommu *iommu, struct riscv_iommu_queue *q,
				  bool on, uint32_t *csr_out)
{
	uint64_t interval = 0, waited = 0;
	uint32_t csr = 0;

	for (;;) {
		csr = riscv_iommu_readl(iommu, q->qcr);
		if (!(csr & RISCV_IOMMU_QUEUE_BUSY) &&
		    !!(csr & RISCV_IOMMU_QUEUE_ACTIVE) == on) {
			if (csr_out)
				*csr_out = csr;
			return 0;
		}
		if (waited >= RISCV_IOMMU_QCSR_TIMEOUT_PS)
			break;
		waited += riscv_iommu_poll_delay(iommu, waited, &interval);
	}
	riscv_iommu_err(iommu, "%s: %s did not turn %s within %llu us (%scsr=%#x)", q->name,
			q == &iommu->cmdq ? "cqon" : q == &iommu->fltq ? "fqon" : "pqon",
			on ? "on" : "off", (unsigned long long)(waited / 1000000), q->name, csr);
	return -ETIMEDOUT;
}

/* Disable a queue and wait until the IOMMU no longer touches it. */
static int riscv_iommu_queue_disable(struct riscv_iommu *iommu, struct riscv_iommu_queue *q)
{
	uint32_t csr = riscv_iommu_readl(iommu, q->qcr);

	if (!(csr & (RISCV_IOMMU_QUEUE_ENABLE | RISCV_IOMMU_QUEUE_ACTIVE |
		     RISCV_IOMMU_QUEUE_BUSY)))
		return 0;
	riscv_iommu_writel(iommu, q->qcr, 0);
	return riscv_iommu_queue_wait(iommu, q, false, NULL);
}

static void riscv_iommu_queue_init(struct riscv_iommu_queue *q, const char *name,
				   unsigned int entry_size, unsigned int qbr, unsigned int qhr,
				   unsigned int qtr, unsigned int qcr, uint32_t ipsr_bit,
				   unsigned int vec)
{
	q->name = name;
	q->entry_size = entry_size;
	q->qbr = qbr;
	q->qhr = qhr;
	q->qtr = qtr;
	q->qcr = qcr;
	q->ipsr_bit = ipsr_bit;
	q->vec = vec;
}

/* §18 step 1: N = 2^k entries, aligned to max(4 KiB, N x entry size). */
static int riscv_iommu_queue_alloc(struct riscv_iommu *iommu, struct riscv_iommu_queue *q,
				   const char *key)
{
	uint64_t log2sz = hal_param_u64(iommu->hal, key);
	size_t bytes, align;

	if (log2sz < RISCV_IOMMU_QUEUE_LOG2SZ_MIN || log2sz > RISCV_IOMMU_QUEUE_LOG2SZ_MAX) {
		riscv_iommu_err(iommu, "%s: %s = %llu out of range [%u, %u]", q->name, key,
				(unsigned long long)log2sz, RISCV_IOMMU_QUEUE_LOG2SZ_MIN,
				RISCV_IOMMU_QUEUE_LOG2SZ_MAX);
		return -EINVAL;
	}
	bytes = (size_t)q->entry_size << log2sz;
	align = bytes > RISCV_IOMMU_PAGE_SIZE ? bytes : RISCV_IOMMU_PAGE_SIZE;
	if (hal_should_fail(iommu->hal, "riscv_iommu.queue_alloc"))
		q->base = NULL;
	else
		q->base = hal_dma_alloc(iommu->hal, bytes, align, &q->pa);
	if (!q->base) {
		riscv_iommu_err(iommu, "%s: cannot allocate %zu bytes", q->name, bytes);
		return -ENOMEM;
	}
	q->bytes = bytes;
	q->log2sz = (unsigned int)log2sz;
	q->mask = (uint32_t)((UINT64_C(1) << log2sz) - 1);
	return 0;
}

static void riscv_iommu_queue_free(struct riscv_iommu *iommu, struct riscv_iommu_queue *q)
{
	if (q->base)
		hal_dma_free(iommu->hal, q->base, q->bytes);
	q->base = NULL;
}

/* §18 steps 2-4: program the base, reset the software index, enable, poll. */
static int riscv_iommu_queue_enable(struct riscv_iommu *iommu, struct riscv_iommu_queue *q)
{
	uint64_t qb = RV_FIELD_PREP(RISCV_IOMMU_QUEUE_PPN, q->pa >> RISCV_IOMMU_PAGE_SHIFT) |
		      RV_FIELD_PREP(RISCV_IOMMU_QUEUE_LOG2SZ, q->log2sz - 1);
	uint64_t rb;
	int ret;

	riscv_iommu_writeq(iommu, q->qbr, qb);
	rb = riscv_iommu_readq(iommu, q->qbr);
	if (RV_FIELD_GET(RISCV_IOMMU_QUEUE_PPN, rb) != (q->pa >> RISCV_IOMMU_PAGE_SHIFT)) {
		riscv_iommu_err(iommu, "%s: base %#llx not accepted (read back %#llx)", q->name,
				(unsigned long long)qb, (unsigned long long)rb);
		return -ENODEV;
	}
	if (RV_FIELD_GET(RISCV_IOMMU_QUEUE_LOG2SZ, rb) != q->log2sz - 1) {
		/* LOG2SZ-1 is WARL: a smaller legal size still fits our memory. */
		unsigned int k = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_QUEUE_LOG2SZ, rb) + 1;

		if (k > q->log2sz) {
			riscv_iommu_err(iommu, "%s: size 2^%u not supported (IOMMU chose 2^%u)",
					q->name, q->log2sz, k);
			return -ENODEV;
		}
		riscv_iommu_warn(iommu, "%s: IOMMU limits the queue to 2^%u entries (asked 2^%u)",
				 q->name, k, q->log2sz);
		q->log2sz = k;
		q->mask = (uint32_t)((UINT64_C(1) << k) - 1);
	}

	q->head = 0;
	q->tail = 0;
	/* The software-owned index: cqt for the CQ, fqh / pqh otherwise. */
	riscv_iommu_writel(iommu, q == &iommu->cmdq ? q->qtr : q->qhr, 0);
	riscv_iommu_writel(iommu, q->qcr, RISCV_IOMMU_QUEUE_ENABLE | RISCV_IOMMU_QUEUE_INTR_ENABLE);
	ret = riscv_iommu_queue_wait(iommu, q, true, NULL);
	if (ret)
		return ret;
	q->enabled = true;
	return 0;
}

/* §3: what this driver needs from the IOMMU; the reason is logged. */
static int riscv_iommu_check_caps(struct riscv_iommu *iommu)
{
	uint64_t caps = riscv_iommu_readq(iommu, RISCV_IOMMU_REG_CAPABILITIES);
	unsigned int version = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_CAPABILITIES_VERSION, caps);

	iommu->caps = caps;
	if (version != RISCV_IOMMU_VERSION_1_0) {
		riscv_iommu_err(iommu, "unsupported version %u.%u (capabilities %#llx), need 1.0",
				version >> 4, version & 0xFu, (unsigned long long)caps);
		return -ENODEV;
	}
	if (!(caps & RISCV_IOMMU_CAPABILITIES_SV39)) {
		riscv_iommu_err(iommu, "no Sv39 first-stage support (capabilities %#llx)",
				(unsigned long long)caps);
		return -ENODEV;
	}
	if (!(caps & RISCV_IOMMU_CAPABILITIES_ATS)) {
		riscv_iommu_err(iommu, "no ATS/PRI support (capabilities %#llx)",
				(unsigned long long)caps);
		return -ENODEV;
	}
	/* §15.1: MSI_FLAT selects the 64-byte extended DC format */
	iommu->dc_size = caps & RISCV_IOMMU_CAPABILITIES_MSI_FLAT ? RISCV_IOMMU_DC_SIZE_EXT :
								    RISCV_IOMMU_DC_SIZE_BASE;
	return 0;
}

/*
 * §3/§8: the kind of interrupt to use (sw.driver.irq_mode). auto takes MSIs
 * when capabilities.IGS offers them, else the wires the platform connects
 * (Linux's riscv-iommu platform driver falls back the same way); the wires
 * must cover the vectors this driver programs (0..3).
 */
static int riscv_iommu_irq_mode(struct riscv_iommu *iommu)
{
	const struct hal_iommu_info *info = hal_iommu(iommu->hal, iommu->index);
	unsigned int igs = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_CAPABILITIES_IGS, iommu->caps);
	const char *mode = hal_param_str(iommu->hal, "sw.driver.irq_mode");
	bool msi = igs == RISCV_IOMMU_IGS_MSI || igs == RISCV_IOMMU_IGS_BOTH;
	bool wired = (igs == RISCV_IOMMU_IGS_WSI || igs == RISCV_IOMMU_IGS_BOTH) && info &&
		     info->nr_wired_irqs > 3;

	if (!strcmp(mode, "msi") ? !msi : !strcmp(mode, "wsi") ? !wired : !msi && !wired) {
		riscv_iommu_err(iommu, "no usable interrupts: capabilities.IGS = %u, %u wires, "
				"sw.driver.irq_mode = %s", igs, info ? info->nr_wired_irqs : 0, mode);
		return -ENODEV;
	}
	iommu->wsi = !strcmp(mode, "wsi") || (strcmp(mode, "msi") && !msi);
	return 0;
}

/*
 * Put the IOMMU in a known state: queues off, ddtp Off (fctl may only be
 * written then, §4), then fctl = little-endian, MSI or wired interrupts.
 */
static int riscv_iommu_init_fctl(struct riscv_iommu *iommu)
{
	uint64_t ddtp = riscv_iommu_readq(iommu, RISCV_IOMMU_REG_DDTP);
	uint64_t interval = 0, waited = 0;
	uint32_t fctl;
	int ret;

	ret = riscv_iommu_queue_disable(iommu, &iommu->cmdq);
	if (!ret)
		ret = riscv_iommu_queue_disable(iommu, &iommu->fltq);
	if (!ret)
		ret = riscv_iommu_queue_disable(iommu, &iommu->priq);
	if (ret)
		return ret;

	while (ddtp & RISCV_IOMMU_DDTP_BUSY) {
		if (waited >= RISCV_IOMMU_DDTP_TIMEOUT_PS) {
			riscv_iommu_err(iommu, "ddtp.busy stuck (ddtp=%#llx)",
					(unsigned long long)ddtp);
			return -ETIMEDOUT;
		}
		waited += riscv_iommu_poll_delay(iommu, waited, &interval);
		ddtp = riscv_iommu_readq(iommu, RISCV_IOMMU_REG_DDTP);
	}
	if (RV_FIELD_GET(RISCV_IOMMU_DDTP_IOMMU_MODE, ddtp) != RISCV_IOMMU_DDTP_MODE_OFF)
		riscv_iommu_writeq(iommu, RISCV_IOMMU_REG_DDTP, RISCV_IOMMU_DDTP_MODE_OFF);

	ret = riscv_iommu_irq_mode(iommu);
	if (ret)
		return ret;
	riscv_iommu_writel(iommu, RISCV_IOMMU_REG_FCTL, iommu->wsi ? RISCV_IOMMU_FCTL_WSI : 0);
	fctl = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_FCTL);
	if (fctl & RISCV_IOMMU_FCTL_BE) {
		riscv_iommu_err(iommu, "fctl.BE stuck at 1: big-endian-only IOMMU not supported");
		return -ENODEV;
	}
	if (!(fctl & RISCV_IOMMU_FCTL_WSI) != !iommu->wsi) {
		riscv_iommu_err(iommu, "fctl.WSI reads %u after writing %u", !!(fctl & RISCV_IOMMU_FCTL_WSI),
				iommu->wsi);
		return -ENODEV;
	}
	return 0;
}

static void riscv_iommu_free_irqs(struct riscv_iommu *iommu)
{
	struct riscv_iommu_queue *qs[] = { &iommu->cmdq, &iommu->fltq, &iommu->priq };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (!qs[i]->irq_requested)
			continue;
		if (!iommu->wsi)
			riscv_iommu_writel(iommu, RISCV_IOMMU_REG_MSI_VEC_CTL(qs[i]->vec),
					   RISCV_IOMMU_MSI_VEC_CTL_M);
		hal_free_irq(iommu->hal, qs[i]->irq);
		qs[i]->irq_requested = false;
	}
}

/*
 * §8.2/§8.3: distinct vectors for CQ, FQ and PQ (pmiv gets a fourth, unused),
 * one MSI per vector, or with wired interrupts the wire of each vector
 * (level-triggered: the handlers clear ipsr, which drops the wire);
 * threaded handlers.
 */
static int riscv_iommu_init_irqs(struct riscv_iommu *iommu)
{
	static const struct {
		hal_irq_fn hardirq, thread;
	} fns[3] = {
		{ riscv_iommu_cmdq_irq, riscv_iommu_cmdq_irq_thread },
		{ riscv_iommu_fltq_irq, riscv_iommu_fltq_irq_thread },
		{ riscv_iommu_priq_irq, riscv_iommu_priq_irq_thread },
	};
	struct riscv_iommu_queue *qs[3] = { &iommu->cmdq, &iommu->fltq, &iommu->priq };
	uint64_t icvec, rb;
	unsigned int i;
	int ret;

	icvec = RV_FIELD_PREP(RISCV_IOMMU_ICVEC_CIV, iommu->cmdq.vec) |
		RV_FIELD_PREP(RISCV_IOMMU_ICVEC_FIV, iommu->fltq.vec) |
		RV_FIELD_PREP(RISCV_IOMMU_ICVEC_PMIV, 3) |
		RV_FIELD_PREP(RISCV_IOMMU_ICVEC_PIV, iommu->priq.vec);
	riscv_iommu_writeq(iommu, RISCV_IOMMU_REG_ICVEC, icvec);
	rb = riscv_iommu_readq(iommu, RISCV_IOMMU_REG_ICVEC);
	if (RV_FIELD_GET(RISCV_IOMMU_ICVEC_CIV, rb) != iommu->cmdq.vec ||
	    RV_FIELD_GET(RISCV_IOMMU_ICVEC_FIV, rb) != iommu->fltq.vec ||
	    RV_FIELD_GET(RISCV_IOMMU_ICVEC_PIV, rb) != iommu->priq.vec) {
		riscv_iommu_err(iommu, "icvec: fewer than 3 interrupt vectors (wrote %#llx, read %#llx)",
				(unsigned long long)icvec, (unsigned long long)rb);
		return -ENODEV;
	}

	for (i = 0; i < 3; i++) {
		struct riscv_iommu_queue *q = qs[i];

		if (iommu->wsi) {
			q->irq = hal_iommu(iommu->hal, iommu->index)->wired_irq_base + q->vec;
			snprintf(q->irq_name, sizeof(q->irq_name), "%s-%s", iommu->name, q->name);
			ret = hal_request_threaded_irq(iommu->hal, q->irq, fns[i].hardirq, fns[i].thread,
						       iommu, q->irq_name);
			if (ret) {
				riscv_iommu_err(iommu, "%s: cannot request wired irq %u (%d)", q->name,
						q->irq, ret);
				goto err_free_irqs;
			}
			q->irq_requested = true;
			continue;
		}
		ret = hal_msi_alloc(iommu->hal, &q->irq, &q->msi_addr, &q->msi_data);
		if (ret) {
			riscv_iommu_err(iommu, "%s: no MSI available (%d)", q->name, ret);
			goto err_free_irqs;
		}
		if (q->msi_addr & ~RISCV_IOMMU_MSI_ADDR_MASK) {
			riscv_iommu_err(iommu, "%s: MSI address %#llx not 4-byte aligned", q->name,
					(unsigned long long)q->msi_addr);
			ret = -EINVAL;
			goto err_free_irqs;
		}
		snprintf(q->irq_name, sizeof(q->irq_name), "%s-%s", iommu->name, q->name);
		ret = hal_request_threaded_irq(iommu->hal, q->irq, fns[i].hardirq, fns[i].thread,
					       iommu, q->irq_name);
		if (ret) {
			riscv_iommu_err(iommu, "%s: cannot request irq %u (%d)", q->name, q->irq, ret);
			goto err_free_irqs;
		}
		q->irq_requested = true;
		riscv_iommu_writeq(iommu, RISCV_IOMMU_REG_MSI_ADDR(q->vec), q->msi_addr);
		riscv_iommu_writel(iommu, RISCV_IOMMU_REG_MSI_DATA(q->vec), q->msi_data);
		riscv_iommu_writel(iommu, RISCV_IOMMU_REG_MSI_VEC_CTL(q->vec), 0);
	}
	return 0;

err_free_irqs:
	riscv_iommu_free_irqs(iommu);
	return ret;
}

/*
 * sw.driver.pgtbl_mode: the first-stage mode of paging domains (Sv39, Sv48,
 * Sv57; auto: the deepest the capabilities advertise, as Linux does). A mode
 * the IOMMU does not advertise falls back to the next shallower one.
 */
static int riscv_iommu_pgtbl_mode_param(struct riscv_iommu *iommu)
{
	const char *v = hal_param_str(iommu->hal, "sw.driver.pgtbl_mode");
	unsigned int want;

	if (!strcmp(v, "sv39"))
		want = 3;
	else if (!strcmp(v, "sv48"))
		want = 4;
	else if (!strcmp(v, "sv57") || !strcmp(v, "auto"))
		want = 5;
	else {
		riscv_iommu_err(iommu, "sw.driver.pgtbl_mode = \"%s\": not sv39, sv48, sv57 or auto",
				v);
		return -EINVAL;
	}
	iommu->pgtbl_levels = want;
	if (want == 5 && !(iommu->caps & RISCV_IOMMU_CAPABILITIES_SV57))
		iommu->pgtbl_levels = 4;
	if (iommu->pgtbl_levels == 4 && !(iommu->caps & RISCV_IOMMU_CAPABILITIES_SV48))
		iommu->pgtbl_levels = 3;
	if (iommu->pgtbl_levels != want && strcmp(v, "auto"))
		riscv_iommu_warn(iommu, "sw.driver.pgtbl_mode = %s not advertised (capabilities %#llx): "
				 "using Sv%u", v, (unsigned long long)iommu->caps,
				 12 + 9 * iommu->pgtbl_levels);
	iommu->superpages = hal_param_u64(iommu->hal, "sw.driver.superpages") != 0;
	/* sw.driver.t2gpa: GPAs in ATS completions where the IOMMU offers it */
	iommu->t2gpa = hal_param_u64(iommu->hal, "sw.driver.t2gpa") &&
		       (iommu->caps & RISCV_IOMMU_CAPABILITIES_T2GPA);
	return 0;
}

/* sw.driver.ddt_mode: the directory mode to try first (auto: the deepest). */
static int riscv_iommu_ddt_mode_param(struct riscv_iommu *iommu, unsigned int *mode)
{
	const char *v = hal_param_str(iommu->hal, "sw.driver.ddt_mode");

	if (!strcmp(v, "1lvl"))
		*mode = RISCV_IOMMU_DDTP_MODE_1LVL;
	else if (!strcmp(v, "2lvl"))
		*mode = RISCV_IOMMU_DDTP_MODE_2LVL;
	else if (!strcmp(v, "3lvl") || !strcmp(v, "auto"))
		*mode = RISCV_IOMMU_DDTP_MODE_3LVL;
	else {
		riscv_iommu_err(iommu, "sw.driver.ddt_mode = \"%s\": not 1lvl, 2lvl, 3lvl or auto",
				v);
		return -EINVAL;
	}
	return strcmp(v, "auto") ? 0 : 1;
}

/* Write ddtp and wait for busy to clear; the value read back in *rb. */
static int riscv_iommu_ddtp_write(struct riscv_iommu *iommu, uint64_t ddtp, uint64_t *rb)
{
	uint64_t interval = 0, waited = 0;

	riscv_iommu_writeq(iommu, RISCV_IOMMU_REG_DDTP, ddtp);
	for (;;) {
		*rb = riscv_iommu_readq(iommu, RISCV_IOMMU_REG_DDTP);
		if (!(*rb & RISCV_IOMMU_DDTP_BUSY))
			return 0;
		if (waited >= RISCV_IOMMU_DDTP_TIMEOUT_PS) {
			riscv_iommu_err(iommu, "ddtp.busy stuck after writing %#llx",
					(unsigned long long)ddtp);
			return -ETIMEDOUT;
		}
		waited += riscv_iommu_poll_delay(iommu, waited, &interval);
	}
}

/*
 * §18 step 5: one zeroed root page, ddtp = the mode sw.driver.ddt_mode asks
 * for. iommu_mode is WARL: a mode the IOMMU does not keep falls back to the
 * next shallower one (from Off each time, §5), down to 1LVL, as Linux's
 * riscv_iommu_iodir_alloc() does. Tables below the root come on demand
 * (riscv_iommu_get_dc).
 */
static int riscv_iommu_init_ddt(struct riscv_iommu *iommu)
{
	bool ext = iommu->dc_size == RISCV_IOMMU_DC_SIZE_EXT;
	unsigned int mode, want;
	uint64_t ddtp = 0, rb = 0;
	int ret, is_auto;

	is_auto = riscv_iommu_ddt_mode_param(iommu, &want);
	if (is_auto < 0)
		return is_auto;
	if (hal_should_fail(iommu->hal, "riscv_iommu.ddt_alloc"))
		iommu->ddt = NULL;
	else
		iommu->ddt = hal_dma_alloc(iommu->hal, RISCV_IOMMU_PAGE_SIZE, RISCV_IOMMU_PAGE_SIZE,
					   &iommu->ddt_pa);
	if (!iommu->ddt) {
		riscv_iommu_err(iommu, "cannot allocate the device directory");
		return -ENOMEM;
	}
	hal_wmb(iommu->hal);
	for (mode = want; mode >= RISCV_IOMMU_DDTP_MODE_1LVL; mode--) {
		ddtp = RV_FIELD_PREP(RISCV_IOMMU_DDTP_PPN, iommu->ddt_pa >> RISCV_IOMMU_PAGE_SHIFT) |
		       RV_FIELD_PREP(RISCV_IOMMU_DDTP_IOMMU_MODE, mode);
		ret = riscv_iommu_ddtp_write(iommu, ddtp, &rb);
		if (ret)
			goto err_free;
		if (RV_FIELD_GET(RISCV_IOMMU_DDTP_IOMMU_MODE, rb) == mode &&
		    RV_FIELD_GET(RISCV_IOMMU_DDTP_PPN, rb) == iommu->ddt_pa >> RISCV_IOMMU_PAGE_SHIFT)
			break;
		/* an explicit choice refused is worth a warning, auto's probing is not */
		if (is_auto)
			riscv_iommu_dbg(iommu, "ddtp: %uLVL not accepted (wrote %#llx, read %#llx)",
					mode - RISCV_IOMMU_DDTP_MODE_1LVL + 1,
					(unsigned long long)ddtp, (unsigned long long)rb);
		else
			riscv_iommu_warn(iommu, "ddtp: %uLVL not accepted (wrote %#llx, read %#llx); "
					 "trying a shallower directory",
					 mode - RISCV_IOMMU_DDTP_MODE_1LVL + 1,
					 (unsigned long long)ddtp, (unsigned long long)rb);
		/* back to Off before the next mode (§5: xLVL -> xLVL is unspecified) */
		if (RV_FIELD_GET(RISCV_IOMMU_DDTP_IOMMU_MODE, rb) != RISCV_IOMMU_DDTP_MODE_OFF)
			riscv_iommu_writeq(iommu, RISCV_IOMMU_REG_DDTP, RISCV_IOMMU_DDTP_MODE_OFF);
	}
	if (mode < RISCV_IOMMU_DDTP_MODE_1LVL) {
		riscv_iommu_err(iommu, "ddtp: no directory mode accepted (last wrote %#llx, read %#llx)",
				(unsigned long long)ddtp, (unsigned long long)rb);
		ret = -ENODEV;
		goto err_free;
	}
	iommu->ddt_mode = mode;
	iommu->did_bits = riscv_iommu_ddt_did_bits(mode, ext);
	return 0;

err_free:
	riscv_iommu_writeq(iommu, RISCV_IOMMU_REG_DDTP, RISCV_IOMMU_DDTP_MODE_OFF);
	hal_dma_free(iommu->hal, iommu->ddt, RISCV_IOMMU_PAGE_SIZE);
	iommu->ddt = NULL;
	return ret;
}

/* Drop whatever the IOMMU may have cached from before (and prove the CQ works). */
static int riscv_iommu_inval_all(struct riscv_iommu *iommu)
{
	struct riscv_iommu_command cmds[2];

	riscv_iommu_cmd_iodir_inval_ddt(&cmds[0], false, 0);
	riscv_iommu_cmd_iotinval_vma(&cmds[1]);
	return riscv_iommu_cmd_send_sync(iommu, cmds, 2);
}

static int riscv_iommu_create_locks(struct riscv_iommu *iommu)
{
	iommu->cq_lock = hal_mutex_create(iommu->hal);
	iommu->cq_err_lock = hal_mutex_create(iommu->hal);
	iommu->pq_lock = hal_mutex_create(iommu->hal);
	iommu->dc_lock = hal_mutex_create(iommu->hal);
	if (iommu->cq_lock && iommu->cq_err_lock && iommu->pq_lock && iommu->dc_lock)
		return 0;
	riscv_iommu_err(iommu, "cannot create locks");
	return -ENOMEM;
}

static void riscv_iommu_destroy_locks(struct riscv_iommu *iommu)
{
	if (iommu->cq_lock)
		hal_mutex_destroy(iommu->cq_lock);
	if (iommu->cq_err_lock)
		hal_mutex_destroy(iommu->cq_err_lock);
	if (iommu->pq_lock)
		hal_mutex_destroy(iommu->pq_lock);
	if (iommu->dc_lock)
		hal_mutex_destroy(iommu->dc_lock);
}

static void riscv_iommu_disable_queues(struct riscv_iommu *iommu)
{
	struct riscv_iommu_queue *qs[] = { &iommu->priq, &iommu->fltq, &iommu->cmdq };
	unsigned int i;

	/* by the CSR, not by q->enabled: an enable that timed out left xqen set */
	for (i = 0; i < 3; i++) {
		riscv_iommu_queue_disable(iommu, qs[i]);
		qs[i]->enabled = false;
	}
}

/**
 * riscv_iommu_probe - bring up one RISC-V IOMMU and register it (see riscv_iommu.h)
 * @h: the machine
 * @info: register page and index of the IOMMU
 * @out: the registered struct iommu_device
 *
 * Return: 0 or -errno; the reason of a failure is logged.
 */
int riscv_iommu_probe(struct hal *h, const struct hal_iommu_info *info,
		      struct iommu_device **out)
{
	struct riscv_iommu *iommu;
	int ret;

	if (!h || !info || !out)
		return -EINVAL;
	if (hal_should_fail(h, "riscv_iommu.alloc"))
		return -ENOMEM;
	iommu = calloc(1, sizeof(*iommu));
	if (!iommu)
		return -ENOMEM;
	iommu->hal = h;
	iommu->base = info->base;
	iommu->index = info->index;
	snprintf(iommu->name, sizeof(iommu->name), "riscv-iommu%u", info->index);
	snprintf(iommu->iopfq_name, sizeof(iommu->iopfq_name), "%s-iopfq", iommu->name);
	riscv_iommu_stats_register(iommu);
	riscv_iommu_queue_init(&iommu->cmdq, "cq", RISCV_IOMMU_CQ_ENTRY_SIZE,
			       RISCV_IOMMU_REG_CQB, RISCV_IOMMU_REG_CQH, RISCV_IOMMU_REG_CQT,
			       RISCV_IOMMU_REG_CQCSR, RISCV_IOMMU_IPSR_CIP, 0);
	riscv_iommu_queue_init(&iommu->fltq, "fq", RISCV_IOMMU_FQ_ENTRY_SIZE,
			       RISCV_IOMMU_REG_FQB, RISCV_IOMMU_REG_FQH, RISCV_IOMMU_REG_FQT,
			       RISCV_IOMMU_REG_FQCSR, RISCV_IOMMU_IPSR_FIP, 1);
	riscv_iommu_queue_init(&iommu->priq, "pq", RISCV_IOMMU_PQ_ENTRY_SIZE,
			       RISCV_IOMMU_REG_PQB, RISCV_IOMMU_REG_PQH, RISCV_IOMMU_REG_PQT,
			       RISCV_IOMMU_REG_PQCSR, RISCV_IOMMU_IPSR_PIP, 2);
	/* pscid 0 is never handed out */
	iommu->pscid_map[0] = 1;
	iommu->gscid_map[0] = 1;

	ret = riscv_iommu_check_caps(iommu);
	if (ret)
		goto err_free;
	ret = riscv_iommu_init_fctl(iommu);
	if (ret)
		goto err_free;
	ret = riscv_iommu_create_locks(iommu);
	if (ret)
		goto err_destroy_locks;
	iommu->pq_head_per_record = hal_param_u64(h, "sw.driver.pq_head_per_record") != 0;
	{
		const char *ovf = hal_param_str(h, "iommu.pq_overflow_policy");

		iommu->pq_ovf_policy = !strcmp(ovf, "smmuv3") ? RISCV_IOMMU_PQ_OVF_SMMUV3 :
				       !strcmp(ovf, "vtd")    ? RISCV_IOMMU_PQ_OVF_VTD :
								RISCV_IOMMU_PQ_OVF_RISCV;
	}
	ret = riscv_iommu_pgtbl_mode_param(iommu);
	if (ret)
		goto err_destroy_locks;
	iommu->pri_alloc_max = hal_param_u64(h, "sw.driver.pri_alloc_max");
	iommu->pri_alloc_fixed = hal_param_u64(h, "sw.driver.pri_alloc_fixed");
	{
		const char *pol = hal_param_str(h, "sw.driver.pri_alloc_policy");

		iommu->pri_alloc_policy = !strcmp(pol, "fixed") ? RISCV_IOMMU_PRI_ALLOC_FIXED :
					  !strcmp(pol, "queue") ? RISCV_IOMMU_PRI_ALLOC_QUEUE :
					  !strcmp(pol, "share") ? RISCV_IOMMU_PRI_ALLOC_SHARE :
								  RISCV_IOMMU_PRI_ALLOC_CAP;
	}

	iommu->fence_word = hal_dma_alloc(h, sizeof(uint64_t), sizeof(uint64_t), &iommu->fence_pa);
	if (!iommu->fence_word) {
		riscv_iommu_err(iommu, "cannot allocate the fence word");
		ret = -ENOMEM;
		goto err_destroy_locks;
	}

	ret = riscv_iommu_queue_alloc(iommu, &iommu->cmdq, "sw.driver.cq_log2sz");
	if (ret)
		goto err_free_fence;
	ret = riscv_iommu_queue_alloc(iommu, &iommu->fltq, "sw.driver.fq_log2sz");
	if (ret)
		goto err_free_queues;
	ret = riscv_iommu_queue_alloc(iommu, &iommu->priq, "sw.driver.pq_log2sz");
	if (ret)
		goto err_free_queues;

	ret = riscv_iommu_init_irqs(iommu);
	if (ret)
		goto err_free_queues;

	ret = riscv_iommu_queue_enable(iommu, &iommu->cmdq);
	if (!ret)
		ret = riscv_iommu_queue_enable(iommu, &iommu->fltq);
	if (!ret)
		ret = riscv_iommu_queue_enable(iommu, &iommu->priq);
	if (ret)
		goto err_disable_queues;

	ret = riscv_iommu_init_ddt(iommu);
	if (ret)
		goto err_disable_queues;
	ret = riscv_iommu_inval_all(iommu);
	if (ret)
		goto err_ddt_off;

	iommu->iommu.hal = h;
	iommu->iommu.ops = &riscv_iommu_ops;
	iommu->iommu.priv = iommu;
	INIT_LIST_HEAD(&iommu->iommu.node);
	iommu->iommu.iopf_queue = iopf_queue_alloc(h, iommu->iopfq_name);
	if (!iommu->iommu.iopf_queue) {
		riscv_iommu_err(iommu, "cannot allocate the iopf queue");
		ret = -ENOMEM;
		goto err_ddt_off;
	}
	ret = iommu_device_register(&iommu->iommu);
	if (ret) {
		riscv_iommu_err(iommu, "iommu_device_register failed (%d)", ret);
		goto err_free_iopfq;
	}

	riscv_iommu_info(iommu, "capabilities %#llx, CQ/FQ/PQ 2^%u/2^%u/2^%u entries, "
			 "DDT %uLVL (%u-byte DCs, %u-bit device_ids), vectors cq=%u fq=%u pq=%u",
			 (unsigned long long)iommu->caps, iommu->cmdq.log2sz, iommu->fltq.log2sz,
			 iommu->priq.log2sz, iommu->ddt_mode - RISCV_IOMMU_DDTP_MODE_1LVL + 1,
			 iommu->dc_size, iommu->did_bits, iommu->cmdq.vec, iommu->fltq.vec,
			 iommu->priq.vec);
	*out = &iommu->iommu;
	return 0;

err_free_iopfq:
	iopf_queue_free(iommu->iommu.iopf_queue);
err_ddt_off:
	riscv_iommu_writeq(iommu, RISCV_IOMMU_REG_DDTP, RISCV_IOMMU_DDTP_MODE_OFF);
	riscv_iommu_ddt_free(iommu);
err_disable_queues:
	riscv_iommu_disable_queues(iommu);
	riscv_iommu_free_irqs(iommu);
err_free_queues:
	riscv_iommu_queue_free(iommu, &iommu->priq);
	riscv_iommu_queue_free(iommu, &iommu->fltq);
	riscv_iommu_queue_free(iommu, &iommu->cmdq);
err_free_fence:
	hal_dma_free(h, iommu->fence_word, sizeof(uint64_t));
err_destroy_locks:
	riscv_iommu_destroy_locks(iommu);
err_free:
	free(iommu->devs);
	free(iommu);
	return ret;
}

/**
 * riscv_iommu_remove - undo riscv_iommu_probe (see riscv_iommu.h)
 * @dev_iommu: the registered IOMMU
 */
void riscv_iommu_remove(struct iommu_device *dev_iommu)
{
	struct riscv_iommu *iommu;
	unsigned int i;

	if (!dev_iommu)
		return;
	iommu = to_riscv_iommu(dev_iommu);
	for (i = 0; i < iommu->nr_dev_slots; i++)
		if (iommu->devs[i])
			riscv_iommu_warn(iommu, "remove: device_id %#x still probed",
					 iommu->devs[i]->did);
	riscv_iommu_writeq(iommu, RISCV_IOMMU_REG_DDTP, RISCV_IOMMU_DDTP_MODE_OFF);
	riscv_iommu_disable_queues(iommu);
	riscv_iommu_free_irqs(iommu);
	iopf_queue_free(iommu->iommu.iopf_queue);
	riscv_iommu_ddt_free(iommu);
	riscv_iommu_queue_free(iommu, &iommu->priq);
	riscv_iommu_queue_free(iommu, &iommu->fltq);
	riscv_iommu_queue_free(iommu, &iommu->cmdq);
	hal_dma_free(iommu->hal, iommu->fence_word, sizeof(uint64_t));
	riscv_iommu_destroy_locks(iommu);
	free(iommu->devs);
	free(iommu);
}
