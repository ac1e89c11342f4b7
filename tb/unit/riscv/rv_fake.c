// SPDX-License-Identifier: Apache-2.0
/*
 * Test double for the RISC-V IOMMU driver unit tests (see rv_fake.h).
 *
 * The fake IOMMU is deliberately small: registers hold what is written
 * (with the W1C/WARL rules the driver depends on), xqon follows xqen, and
 * a cqt write executes the commands at once (IOFENCE.C stores its DATA,
 * reserved opcodes set cmd_ill and stop the queue). Tests inspect the
 * executed commands, the MMIO trace, DRAM and the statistics.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rv_fake.h"

struct hal_mutex {
	bool held;
};

struct iopf_queue {
	struct hal *h;
};

/* ---- helpers --------------------------------------------------------------- */

static uint64_t rv_le_load(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static void rv_le_store(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void *rv_fake_phys(struct hal *h, hal_paddr_t pa)
{
	if (pa < RV_FAKE_DRAM_BASE || pa >= RV_FAKE_DRAM_BASE + RV_FAKE_DRAM_SIZE)
		return NULL;
	return h->dram + (pa - RV_FAKE_DRAM_BASE);
}

static uint32_t rv_qmask(uint64_t qb)
{
	return (uint32_t)((UINT64_C(1) << ((qb & 0x1F) + 1)) - 1);
}

static hal_paddr_t rv_qbase(uint64_t qb)
{
	return RV_FIELD_GET(RISCV_IOMMU_QUEUE_PPN, qb) << 12;
}

static void rv_trace(struct hal *h, bool write, unsigned int off, unsigned int size, uint64_t v)
{
	if (h->ntrace < RV_FAKE_MAX_TRACE)
		h->trace[h->ntrace++] = (struct rv_fake_trace){ write, off, size, v };
}

/* ---- machine ------------------------------------------------------------- */

struct hal *rv_fake_create(void)
{
	struct hal *h = calloc(1, sizeof(*h));

	if (!h)
		abort();
	h->dram = calloc(1, RV_FAKE_DRAM_SIZE);
	if (!h->dram)
		abort();
	h->iommu.caps = RISCV_IOMMU_VERSION_1_0 | RISCV_IOMMU_CAPABILITIES_SV39 |
			RISCV_IOMMU_CAPABILITIES_SV48 | RISCV_IOMMU_CAPABILITIES_ATS |
			RV_FIELD_PREP(RISCV_IOMMU_CAPABILITIES_PAS, 46);
	h->iommu.icvec_mask = 0xFFFF;
	h->iommu.max_log2sz = 20;
	h->param_cq_log2sz = 6;
	h->param_fq_log2sz = 4;
	h->param_pq_log2sz = 3;
	h->param_pri_alloc_max = 32;
	h->param_pq_head_per_record = 0;
	h->next_irq = 1;
	return h;
}

void rv_fake_destroy(struct hal *h)
{
	free(h->dram);
	free(h);
}

struct rv_fake_pci *rv_fake_pci_get(struct hal *h, uint16_t rid)
{
	unsigned int i;

	for (i = 0; i < RV_FAKE_MAX_PCI; i++)
		if (h->pci[i].present && h->pci[i].rid == rid)
			return &h->pci[i];
	return NULL;
}

struct rv_fake_pci *rv_fake_add_pci(struct hal *h, uint16_t rid, uint32_t pri_capacity)
{
	unsigned int i;

	for (i = 0; i < RV_FAKE_MAX_PCI; i++) {
		struct rv_fake_pci *f = &h->pci[i];

		if (f->present)
			continue;
		memset(f, 0, sizeof(*f));
		f->present = true;
		f->rid = rid;
		/* ATS -> PRI -> PASID, like pxdev */
		rv_le_store(&f->cfg[0x100], 0x0Fu | (1u << 16) | (0x110u << 20), 4);
		rv_le_store(&f->cfg[0x110], 0x13u | (1u << 16) | (0x120u << 20), 4);
		rv_le_store(&f->cfg[0x120], 0x1Bu | (1u << 16), 4);
		rv_le_store(&f->cfg[0x118], pri_capacity, 4);
		return f;
	}
	abort();
}

void rv_fake_device_init(struct hal *h, struct device *dev, uint16_t rid,
			 struct iommu_device *iommu)
{
	memset(dev, 0, sizeof(*dev));
	dev->hal = h;
	dev->rid = rid;
	snprintf(dev->name, sizeof(dev->name), "00:%02x.%x", (rid >> 3) & 0x1F, rid & 7);
	dev->iommu = iommu;
	INIT_LIST_HEAD(&dev->attach_handles);
}

uint64_t rv_fake_stat(struct hal *h, const char *name)
{
	unsigned int i;

	for (i = 0; i < h->nstats; i++)
		if (!strcmp(h->stats[i].name, name))
			return h->stats[i].value;
	return 0;
}

int rv_fake_trace_find(struct hal *h, unsigned int from, bool write, unsigned int off)
{
	unsigned int i;

	for (i = from; i < h->ntrace; i++)
		if (h->trace[i].write == write && h->trace[i].off == off)
			return (int)i;
	return -1;
}

unsigned int rv_fake_count_cmds(struct hal *h, unsigned int opcode, unsigned int func)
{
	unsigned int i, n = 0;

	for (i = 0; i < h->iommu.ncmds; i++)
		if (RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, h->iommu.cmds[i].dword0) == opcode &&
		    RV_FIELD_GET(RISCV_IOMMU_CMD_FUNC, h->iommu.cmds[i].dword0) == func)
			n++;
	return n;
}

void rv_fake_run_irq(struct hal *h, unsigned int vec)
{
	unsigned int irq = h->iommu.msi_data[vec];
	struct rv_fake_irq *d;

	if (irq >= RV_FAKE_MAX_IRQS || !h->irqs[irq].used)
		abort();
	d = &h->irqs[irq];
	if (d->hard(d->arg, irq) == HAL_IRQ_WAKE_THREAD)
		d->thread(d->arg, irq);
}

void rv_fake_pq_push(struct hal *h, uint64_t hdr, uint64_t payload)
{
	struct rv_fake_iommu *f = &h->iommu;
	uint8_t *rec = rv_fake_phys(h, rv_qbase(f->pqb) + (uint64_t)f->pqt * 16);

	rv_le_store(rec, hdr, 8);
	rv_le_store(rec + 8, payload, 8);
	f->pqt = (f->pqt + 1) & rv_qmask(f->pqb);
	f->ipsr |= (uint32_t)RISCV_IOMMU_IPSR_PIP;
}

void rv_fake_fq_push(struct hal *h, uint64_t hdr, uint64_t iotval)
{
	struct rv_fake_iommu *f = &h->iommu;
	uint8_t *rec = rv_fake_phys(h, rv_qbase(f->fqb) + (uint64_t)f->fqt * 32);

	memset(rec, 0, 32);
	rv_le_store(rec, hdr, 8);
	rv_le_store(rec + 16, iotval, 8);
	f->fqt = (f->fqt + 1) & rv_qmask(f->fqb);
	f->ipsr |= (uint32_t)RISCV_IOMMU_IPSR_FIP;
}

/* ---- fake IOMMU ---------------------------------------------------------- */

static bool rv_cmd_illegal(const struct riscv_iommu_command *c)
{
	unsigned int op = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, c->dword0);
	unsigned int fn = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_CMD_FUNC, c->dword0);

	switch (op) {
	case RISCV_IOMMU_CMD_IOTINVAL_OPCODE:
		return fn > 1 || (fn == 1 && (c->dword0 & RISCV_IOMMU_CMD_IOTINVAL_PSCV));
	case RISCV_IOMMU_CMD_IOFENCE_OPCODE:
		return fn != 0;
	case RISCV_IOMMU_CMD_IODIR_OPCODE:
		return fn > 1 || (fn == 1 && !(c->dword0 & RISCV_IOMMU_CMD_IODIR_DV));
	case RISCV_IOMMU_CMD_ATS_OPCODE:
		return fn > 1;
	default:
		return true;
	}
}

void rv_fake_cq_run(struct hal *h)
{
	struct rv_fake_iommu *f = &h->iommu;
	uint32_t mask = rv_qmask(f->cqb);

	if (f->cq_force_ill && f->cqh != f->cqt && (f->cqcsr & RISCV_IOMMU_CQCSR_CQEN))
		f->cqcsr |= (uint32_t)RISCV_IOMMU_CQCSR_CMD_ILL;
	while (f->cqh != f->cqt && (f->cqcsr & RISCV_IOMMU_CQCSR_CQEN) &&
	       !(f->cqcsr & (RISCV_IOMMU_CQCSR_CMD_ILL | RISCV_IOMMU_CQCSR_CQMF |
			     RISCV_IOMMU_CQCSR_CMD_TO))) {
		const uint8_t *p = rv_fake_phys(h, rv_qbase(f->cqb) + (uint64_t)f->cqh * 16);
		struct riscv_iommu_command c;

		if (!p) {
			f->cqcsr |= (uint32_t)RISCV_IOMMU_CQCSR_CQMF;
			break;
		}
		c.dword0 = rv_le_load(p, 8);
		c.dword1 = rv_le_load(p + 8, 8);
		if (rv_cmd_illegal(&c)) {
			f->cqcsr |= (uint32_t)RISCV_IOMMU_CQCSR_CMD_ILL;
			break;
		}
		if (f->ncmds < RV_FAKE_MAX_CMDS) {
			f->dc_tc_seen[f->ncmds] = 0;
			if (RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, c.dword0) ==
				    RISCV_IOMMU_CMD_IODIR_OPCODE &&
			    (c.dword0 & RISCV_IOMMU_CMD_IODIR_DV)) {
				const uint8_t *dc = rv_fake_phys(h, (RV_FIELD_GET(RISCV_IOMMU_DDTP_PPN,
										 f->ddtp) << 12) +
								 RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_DID,
									      c.dword0) * 32);

				f->dc_tc_seen[f->ncmds] = dc ? rv_le_load(dc, 8) : ~UINT64_C(0);
			}
			f->cmds[f->ncmds++] = c;
		}
		if (RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, c.dword0) == RISCV_IOMMU_CMD_IOFENCE_OPCODE &&
		    (c.dword0 & RISCV_IOMMU_CMD_IOFENCE_AV) && !f->fence_ignore) {
			uint8_t *w = rv_fake_phys(h, RV_FIELD_GET(RISCV_IOMMU_CMD_IOFENCE_ADDR,
								  c.dword1) << 2);

			if (!w) {
				f->cqcsr |= (uint32_t)RISCV_IOMMU_CQCSR_CQMF;
				break;
			}
			rv_le_store(w, RV_FIELD_GET(RISCV_IOMMU_CMD_IOFENCE_DATA, c.dword0), 4);
		}
		f->cqh = (f->cqh + 1) & mask;
	}
	if ((f->cqcsr & RISCV_IOMMU_CQCSR_CIE) &&
	    (f->cqcsr & (RISCV_IOMMU_CQCSR_CMD_ILL | RISCV_IOMMU_CQCSR_CQMF |
			 RISCV_IOMMU_CQCSR_CMD_TO)))
		f->ipsr |= (uint32_t)RISCV_IOMMU_IPSR_CIP;
}

static uint64_t rv_queue_base_write(struct rv_fake_iommu *f, uint64_t v)
{
	uint64_t l = v & 0x1F;

	if (l > f->max_log2sz - 1)
		l = f->max_log2sz - 1;
	return (v & RISCV_IOMMU_QUEUE_PPN) | l;
}

static uint32_t rv_csr_read(struct rv_fake_iommu *f, uint32_t csr)
{
	if ((csr & RISCV_IOMMU_QUEUE_ENABLE) && !f->never_on)
		csr |= (uint32_t)RISCV_IOMMU_QUEUE_ACTIVE;
	return csr;
}

/* xqcsr write: en/ie stored, error bits W1C, 0 -> 1 clears errors. */
static uint32_t rv_csr_write(uint32_t old, uint32_t v, uint32_t errs)
{
	uint32_t n = old & ~(v & errs);

	if (!(old & RISCV_IOMMU_QUEUE_ENABLE) && (v & RISCV_IOMMU_QUEUE_ENABLE))
		n &= ~errs;
	return (n & ~(uint32_t)(RISCV_IOMMU_QUEUE_ENABLE | RISCV_IOMMU_QUEUE_INTR_ENABLE)) |
	       (v & (uint32_t)(RISCV_IOMMU_QUEUE_ENABLE | RISCV_IOMMU_QUEUE_INTR_ENABLE));
}

static uint64_t rv_mmio_read(struct hal *h, hal_paddr_t addr, unsigned int size)
{
	struct rv_fake_iommu *f = &h->iommu;
	unsigned int off = (unsigned int)(addr - RV_FAKE_IOMMU_BASE);
	uint64_t v = 0;

	switch (off) {
	case RISCV_IOMMU_REG_CAPABILITIES: v = f->caps; break;
	case RISCV_IOMMU_REG_FCTL: v = f->fctl; break;
	case RISCV_IOMMU_REG_DDTP: v = f->ddtp; break;
	case RISCV_IOMMU_REG_CQB: v = f->cqb; break;
	case RISCV_IOMMU_REG_CQH: v = f->cqh; break;
	case RISCV_IOMMU_REG_CQT: v = f->cqt; break;
	case RISCV_IOMMU_REG_FQB: v = f->fqb; break;
	case RISCV_IOMMU_REG_FQH: v = f->fqh; break;
	case RISCV_IOMMU_REG_FQT: v = f->fqt; break;
	case RISCV_IOMMU_REG_PQB: v = f->pqb; break;
	case RISCV_IOMMU_REG_PQH: v = f->pqh; break;
	case RISCV_IOMMU_REG_PQT: v = f->pqt; break;
	case RISCV_IOMMU_REG_CQCSR: v = rv_csr_read(f, f->cqcsr); break;
	case RISCV_IOMMU_REG_FQCSR: v = rv_csr_read(f, f->fqcsr); break;
	case RISCV_IOMMU_REG_PQCSR: v = rv_csr_read(f, f->pqcsr); break;
	case RISCV_IOMMU_REG_IPSR: v = f->ipsr; break;
	case RISCV_IOMMU_REG_ICVEC: v = f->icvec; break;
	default:
		if (off >= RISCV_IOMMU_REG_MSI_CFG_TBL && off < RISCV_IOMMU_REG_MSI_CFG_TBL + 256) {
			unsigned int vec = (off - RISCV_IOMMU_REG_MSI_CFG_TBL) / 16;

			switch (off & 0xF) {
			case 0x0: v = f->msi_addr[vec]; break;
			case 0x8: v = f->msi_data[vec]; break;
			case 0xC: v = f->msi_ctl[vec]; break;
			}
		}
		break;
	}
	if (size == 4)
		v &= 0xFFFFFFFFu;
	rv_trace(h, false, off, size, v);
	return v;
}

static void rv_mmio_write(struct hal *h, hal_paddr_t addr, unsigned int size, uint64_t v)
{
	struct rv_fake_iommu *f = &h->iommu;
	unsigned int off = (unsigned int)(addr - RV_FAKE_IOMMU_BASE);
	const uint32_t cq_errs = (uint32_t)(RISCV_IOMMU_CQCSR_CQMF | RISCV_IOMMU_CQCSR_CMD_TO |
					    RISCV_IOMMU_CQCSR_CMD_ILL);
	const uint32_t q_errs = (uint32_t)(RISCV_IOMMU_PQCSR_PQMF | RISCV_IOMMU_PQCSR_PQOF);

	rv_trace(h, true, off, size, v);
	switch (off) {
	case RISCV_IOMMU_REG_FCTL: f->fctl = 0; break; /* BE/WSI/GXL read-only 0 */
	case RISCV_IOMMU_REG_DDTP: f->ddtp = v & (RISCV_IOMMU_DDTP_PPN | RISCV_IOMMU_DDTP_IOMMU_MODE); break;
	case RISCV_IOMMU_REG_CQB: f->cqb = rv_queue_base_write(f, v); f->cqt = 0; break;
	case RISCV_IOMMU_REG_FQB: f->fqb = rv_queue_base_write(f, v); f->fqh = 0; break;
	case RISCV_IOMMU_REG_PQB: f->pqb = rv_queue_base_write(f, v); f->pqh = 0; break;
	case RISCV_IOMMU_REG_CQT:
		f->cqt = (uint32_t)v & rv_qmask(f->cqb);
		f->cqt_writes++;
		if (!f->cq_hold)
			rv_fake_cq_run(h);
		break;
	case RISCV_IOMMU_REG_FQH: f->fqh = (uint32_t)v & rv_qmask(f->fqb); f->fqh_writes++; break;
	case RISCV_IOMMU_REG_PQH: f->pqh = (uint32_t)v & rv_qmask(f->pqb); f->pqh_writes++; break;
	case RISCV_IOMMU_REG_CQCSR: {
		uint32_t old = f->cqcsr;

		f->cqcsr = rv_csr_write(old, (uint32_t)v, cq_errs);
		if (!(old & RISCV_IOMMU_CQCSR_CQEN) && (v & RISCV_IOMMU_CQCSR_CQEN))
			f->cqh = 0;
		if (!f->cq_hold)
			rv_fake_cq_run(h);
		break;
	}
	case RISCV_IOMMU_REG_FQCSR: {
		uint32_t old = f->fqcsr;

		f->fqcsr = rv_csr_write(old, (uint32_t)v, q_errs);
		if (!(old & RISCV_IOMMU_FQCSR_FQEN) && (v & RISCV_IOMMU_FQCSR_FQEN))
			f->fqt = 0;
		break;
	}
	case RISCV_IOMMU_REG_PQCSR: {
		uint32_t old = f->pqcsr;

		f->pqcsr = rv_csr_write(old, (uint32_t)v, q_errs);
		if (!(old & RISCV_IOMMU_PQCSR_PQEN) && (v & RISCV_IOMMU_PQCSR_PQEN))
			f->pqt = 0;
		break;
	}
	case RISCV_IOMMU_REG_IPSR: f->ipsr &= ~(uint32_t)v; break;
	case RISCV_IOMMU_REG_ICVEC: f->icvec = v & f->icvec_mask; break;
	default:
		if (off >= RISCV_IOMMU_REG_MSI_CFG_TBL && off < RISCV_IOMMU_REG_MSI_CFG_TBL + 256) {
			unsigned int vec = (off - RISCV_IOMMU_REG_MSI_CFG_TBL) / 16;

			switch (off & 0xF) {
			case 0x0: f->msi_addr[vec] = v & RISCV_IOMMU_MSI_ADDR_MASK; break;
			case 0x8: f->msi_data[vec] = (uint32_t)v; break;
			case 0xC: f->msi_ctl[vec] = (uint32_t)v & 1; break;
			}
		}
		break;
	}
}

/* ---- HAL ------------------------------------------------------------------ */

unsigned int hal_iommu_count(struct hal *h)
{
	(void)h;
	return 1;
}

const struct hal_iommu_info *hal_iommu(struct hal *h, unsigned int idx)
{
	static const struct hal_iommu_info info = { RV_FAKE_IOMMU_BASE, 0 };

	(void)h;
	return idx == 0 ? &info : NULL;
}

unsigned int hal_pci_dev_count(struct hal *h)
{
	(void)h;
	return 0;
}

const struct hal_pci_dev_info *hal_pci_dev(struct hal *h, unsigned int idx)
{
	(void)h;
	(void)idx;
	return NULL;
}

static void rv_pci_refresh(struct rv_fake_pci *f)
{
	uint16_t sta = 0;

	if (f->prpr)
		sta |= 0x8000;
	if (!f->pri_enable && !f->outstanding)
		sta |= 0x0100;
	rv_le_store(&f->cfg[0x116], sta, 2);
}

uint32_t hal_pci_cfg_read(struct hal *h, uint16_t rid, unsigned int off, unsigned int size)
{
	struct rv_fake_pci *f = rv_fake_pci_get(h, rid);

	h->charges[HAL_COST_CFG_ACCESS]++;
	if (!f || off + size > 4096)
		return 0xFFFFFFFFu;
	rv_pci_refresh(f);
	return (uint32_t)rv_le_load(&f->cfg[off], size);
}

void hal_pci_cfg_write(struct hal *h, uint16_t rid, unsigned int off, unsigned int size,
		       uint32_t val)
{
	struct rv_fake_pci *f = rv_fake_pci_get(h, rid);

	h->charges[HAL_COST_CFG_ACCESS]++;
	if (!f || off + size > 4096)
		return;
	if (off == 0x114) { /* PRI control */
		if (val & 2)
			f->resets++;
		if ((val & 1) && !f->pri_enable)
			f->cmds_at_enable = h->iommu.ncmds;
		f->pri_enable = val & 1;
		rv_le_store(&f->cfg[off], val & 1, 2);
		return;
	}
	if (off >= 0x116 && off < 0x11C) /* status (W1C, ignored) and capacity: RO */
		return;
	rv_le_store(&f->cfg[off], val, size);
}

uint64_t hal_param_u64(struct hal *h, const char *key)
{
	if (!strcmp(key, "sw.driver.cq_log2sz"))
		return h->param_cq_log2sz;
	if (!strcmp(key, "sw.driver.fq_log2sz"))
		return h->param_fq_log2sz;
	if (!strcmp(key, "sw.driver.pq_log2sz"))
		return h->param_pq_log2sz;
	if (!strcmp(key, "sw.driver.pri_alloc_max"))
		return h->param_pri_alloc_max;
	if (!strcmp(key, "sw.driver.pq_head_per_record"))
		return h->param_pq_head_per_record;
	fprintf(stderr, "rv_fake: unknown parameter %s\n", key);
	abort();
}

const char *hal_param_str(struct hal *h, const char *key)
{
	(void)h;
	fprintf(stderr, "rv_fake: unknown parameter %s\n", key);
	abort();
}

uint32_t hal_mmio_read32(struct hal *h, hal_paddr_t addr)
{
	return (uint32_t)rv_mmio_read(h, addr, 4);
}

uint64_t hal_mmio_read64(struct hal *h, hal_paddr_t addr)
{
	return rv_mmio_read(h, addr, 8);
}

void hal_mmio_write32(struct hal *h, hal_paddr_t addr, uint32_t val)
{
	rv_mmio_write(h, addr, 4, val);
}

void hal_mmio_write64(struct hal *h, hal_paddr_t addr, uint64_t val)
{
	rv_mmio_write(h, addr, 8, val);
}

void *hal_dma_alloc(struct hal *h, size_t size, size_t align, hal_paddr_t *pa)
{
	size_t start;

	if (align < 8)
		align = 8;
	start = (h->brk + align - 1) & ~(align - 1);
	if (start + size > RV_FAKE_DRAM_SIZE)
		return NULL;
	h->brk = start + size;
	memset(h->dram + start, 0, size);
	*pa = RV_FAKE_DRAM_BASE + start;
	return h->dram + start;
}

void hal_dma_free(struct hal *h, void *cpu, size_t size)
{
	uint8_t *p = cpu;

	if (p < h->dram || p + size > h->dram + RV_FAKE_DRAM_SIZE)
		abort(); /* freeing something that is not DRAM */
}

void *hal_phys_to_virt(struct hal *h, hal_paddr_t pa)
{
	return rv_fake_phys(h, pa);
}

hal_paddr_t hal_virt_to_phys(struct hal *h, const void *cpu)
{
	return RV_FAKE_DRAM_BASE + (hal_paddr_t)((const uint8_t *)cpu - h->dram);
}

void hal_wmb(struct hal *h)
{
	(void)h;
}

void hal_rmb(struct hal *h)
{
	(void)h;
}

void hal_mb(struct hal *h)
{
	(void)h;
}

int hal_msi_alloc(struct hal *h, unsigned int *irq, uint64_t *msi_addr, uint32_t *msi_data)
{
	if (h->next_irq >= RV_FAKE_MAX_IRQS)
		return -ENOSPC;
	*irq = h->next_irq++;
	*msi_addr = RV_FAKE_MSI_ADDR;
	*msi_data = *irq;
	return 0;
}

int hal_request_threaded_irq(struct hal *h, unsigned int irq, hal_irq_fn hardirq,
			     hal_irq_fn thread_fn, void *arg, const char *name)
{
	struct rv_fake_irq *d;

	if (irq >= RV_FAKE_MAX_IRQS || h->irqs[irq].used)
		return -EBUSY;
	d = &h->irqs[irq];
	d->used = true;
	d->hard = hardirq;
	d->thread = thread_fn;
	d->arg = arg;
	snprintf(d->name, sizeof(d->name), "%s", name);
	return 0;
}

void hal_free_irq(struct hal *h, unsigned int irq)
{
	if (irq < RV_FAKE_MAX_IRQS)
		h->irqs[irq].used = false;
}

uint64_t hal_now_ps(struct hal *h)
{
	return h->now_ps;
}

void hal_charge(struct hal *h, enum hal_cost cost)
{
	h->charges[cost]++;
	h->now_ps += 1000;
}

/* A poll interval passed: the fake hardware may make progress. */
static void rv_fake_poll_tick(struct hal *h)
{
	if (h->iommu.cq_hold && h->iommu.cq_run_after_polls &&
	    --h->iommu.cq_run_after_polls == 0)
		rv_fake_cq_run(h);
	/* the CQ interrupt thread gets the CPU while a poller waits */
	if (h->irq_on_poll && (h->iommu.ipsr & RISCV_IOMMU_IPSR_CIP) && !h->in_irq) {
		h->in_irq = true;
		rv_fake_run_irq(h, (unsigned int)RV_FIELD_GET(RISCV_IOMMU_ICVEC_CIV, h->iommu.icvec));
		h->in_irq = false;
	}
}

void hal_charge_ps(struct hal *h, uint64_t ps)
{
	h->charged_ps += ps;
	h->now_ps += ps;
	rv_fake_poll_tick(h);
}

struct hal_task *hal_task_create(struct hal *h, enum hal_task_kind kind, const char *name,
				 void (*fn)(void *arg), void *arg)
{
	(void)h;
	(void)kind;
	(void)name;
	(void)fn;
	(void)arg;
	return NULL;
}

struct hal_task *hal_current(struct hal *h)
{
	(void)h;
	return NULL;
}

void hal_sleep_ps(struct hal *h, uint64_t delay_ps)
{
	h->slept_ps += delay_ps;
	h->now_ps += delay_ps;
	rv_fake_poll_tick(h);
}

struct hal_waitq *hal_waitq_create(struct hal *h)
{
	(void)h;
	return NULL;
}

void hal_waitq_destroy(struct hal_waitq *wq)
{
	(void)wq;
}

int hal_wait_event(struct hal_waitq *wq, bool (*cond)(void *arg), void *arg, uint64_t timeout_ps)
{
	(void)wq;
	(void)timeout_ps;
	return cond(arg) ? 0 : -ETIMEDOUT;
}

void hal_wake_up(struct hal_waitq *wq)
{
	(void)wq;
}

struct hal_mutex *hal_mutex_create(struct hal *h)
{
	(void)h;
	return calloc(1, sizeof(struct hal_mutex));
}

void hal_mutex_destroy(struct hal_mutex *m)
{
	free(m);
}

void hal_mutex_lock(struct hal_mutex *m)
{
	if (m->held) {
		fprintf(stderr, "rv_fake: recursive lock (would deadlock)\n");
		abort();
	}
	m->held = true;
}

void hal_mutex_unlock(struct hal_mutex *m)
{
	if (!m->held) {
		fprintf(stderr, "rv_fake: unlock of a free mutex\n");
		abort();
	}
	m->held = false;
}

bool hal_mutex_held(struct hal_mutex *m)
{
	return m->held;
}

int hal_queue_work(struct hal *h, void (*fn)(void *arg), void *arg)
{
	(void)h;
	fn(arg);
	return 0;
}

void hal_log(struct hal *h, enum hal_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->last_log[lvl], sizeof(h->last_log[lvl]), fmt, ap);
	va_end(ap);
	h->logs[lvl]++;
	if (getenv("RV_FAKE_LOG"))
		fprintf(stderr, "[%d] %s\n", lvl, h->last_log[lvl]);
}

void hal_stat_add(struct hal *h, const char *name, uint64_t delta)
{
	unsigned int i;

	for (i = 0; i < h->nstats; i++) {
		if (!strcmp(h->stats[i].name, name)) {
			h->stats[i].value += delta;
			return;
		}
	}
	if (h->nstats == RV_FAKE_MAX_STATS)
		abort();
	snprintf(h->stats[h->nstats].name, sizeof(h->stats[0].name), "%s", name);
	h->stats[h->nstats++].value = delta;
}

bool hal_should_fail(struct hal *h, const char *site)
{
	return h->fail_site && !strcmp(h->fail_site, site);
}

/* ---- io-pgfault core stubs ------------------------------------------------ */

int iommu_report_device_fault(struct device *dev, struct iopf_fault *evt)
{
	struct hal *h = dev->hal;

	if (h->nreports < RV_FAKE_MAX_REPORTS) {
		h->reports[h->nreports].dev = dev;
		h->reports[h->nreports].evt = *evt;
		h->nreports++;
	}
	return h->report_ret;
}

struct iopf_queue *iopf_queue_alloc(struct hal *hal, const char *name)
{
	struct iopf_queue *q;

	(void)name;
	if (hal_should_fail(hal, "iopf.queue_alloc"))
		return NULL;
	q = calloc(1, sizeof(*q));
	if (q)
		q->h = hal;
	return q;
}

void iopf_queue_free(struct iopf_queue *queue)
{
	free(queue);
}

int iopf_queue_add_device(struct iopf_queue *queue, struct device *dev)
{
	queue->h->add_device_calls++;
	if (dev->fault_param)
		return -EBUSY;
	dev->fault_param = calloc(1, sizeof(*dev->fault_param));
	return dev->fault_param ? 0 : -ENOMEM;
}

void iopf_queue_remove_device(struct iopf_queue *queue, struct device *dev)
{
	queue->h->remove_device_calls++;
	queue->h->reports_at_remove = queue->h->nreports;
	free(dev->fault_param);
	dev->fault_param = NULL;
}

int iopf_queue_discard_partial(struct iopf_queue *queue)
{
	if (!queue)
		return -EINVAL;
	queue->h->discard_partial_calls++;
	queue->h->reports_at_discard = queue->h->nreports;
	return 0;
}

int iommu_device_register(struct iommu_device *iommu)
{
	iommu->hal->registered++;
	INIT_LIST_HEAD(&iommu->node);
	return 0;
}
