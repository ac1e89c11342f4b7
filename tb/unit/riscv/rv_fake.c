// SPDX-License-Identifier: Apache-2.0
/*
 * Test double for the RISC-V IOMMU driver unit tests (see rv_fake.h).
 *
 * The fake IOMMU is deliberately small: registers hold what is written
 * (with the W1C/WARL rules the driver depends on), xqon follows xqen, and
 * a cqt write executes the commands at once (IOFENCE.C stores its DATA,
 * reserved opcodes set cmd_ill and stop the queue). It reaches DRAM, MSIs
 * and time through the fake HAL, like the model's IOMMU reaches them
 * through the platform. Tests inspect the executed commands, the MMIO
 * trace, DRAM and the fake HAL's statistics and logs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rv_fake.h"

struct iopf_queue {
	struct rv_fake *rv;
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

static uint32_t rv_qmask(uint64_t qb)
{
	return (uint32_t)((UINT64_C(1) << ((qb & 0x1F) + 1)) - 1);
}

static hal_paddr_t rv_qbase(uint64_t qb)
{
	return RV_FIELD_GET(RISCV_IOMMU_QUEUE_PPN, qb) << 12;
}

static void rv_trace(struct rv_fake *rv, bool write, unsigned int off, unsigned int size,
		     uint64_t v)
{
	if (rv->ntrace < RV_FAKE_MAX_TRACE)
		rv->trace[rv->ntrace++] = (struct rv_fake_trace){ write, off, size, v };
}

int rv_fake_trace_find(struct rv_fake *rv, unsigned int from, bool write, unsigned int off)
{
	unsigned int i;

	for (i = from; i < rv->ntrace; i++)
		if (rv->trace[i].write == write && rv->trace[i].off == off)
			return (int)i;
	return -1;
}

unsigned int rv_fake_count_cmds(struct rv_fake *rv, unsigned int opcode, unsigned int func)
{
	unsigned int i, n = 0;

	for (i = 0; i < rv->iommu.ncmds; i++)
		if (RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, rv->iommu.cmds[i].dword0) == opcode &&
		    RV_FIELD_GET(RISCV_IOMMU_CMD_FUNC, rv->iommu.cmds[i].dword0) == func)
			n++;
	return n;
}

void rv_fake_device_init(struct rv_fake *rv, struct device *dev, uint16_t rid,
			 struct iommu_device *iommu)
{
	memset(dev, 0, sizeof(*dev));
	dev->hal = rv->hal;
	dev->rid = rid;
	snprintf(dev->name, sizeof(dev->name), "00:%02x.%x", (rid >> 3) & 0x1F, rid & 7);
	dev->iommu = iommu;
	INIT_LIST_HEAD(&dev->attach_handles);
}

/* ---- fake IOMMU: queues and interrupts ------------------------------------- */

void rv_fake_run_irq(struct rv_fake *rv, unsigned int vec)
{
	struct rv_fake_iommu *f = &rv->iommu;

	if (vec >= RISCV_IOMMU_MSI_VECTORS)
		fail_msg("rv_fake: vector %u out of range", vec);
	else if (f->msi_ctl[vec] & RISCV_IOMMU_MSI_VEC_CTL_M)
		fail_msg("rv_fake: vector %u is masked", vec);
	else if (!fake_hal_msi_write(rv->hal, f->msi_addr[vec], f->msi_data[vec]))
		fail_msg("rv_fake: MSI of vector %u (%#llx <- %u) raised no requested irq", vec,
			 (unsigned long long)f->msi_addr[vec], f->msi_data[vec]);
}

void rv_fake_pq_push(struct rv_fake *rv, uint64_t hdr, uint64_t payload)
{
	struct rv_fake_iommu *f = &rv->iommu;
	uint8_t *rec = hal_phys_to_virt(rv->hal, rv_qbase(f->pqb) + (uint64_t)f->pqt * 16);

	rv_le_store(rec, hdr, 8);
	rv_le_store(rec + 8, payload, 8);
	f->pqt = (f->pqt + 1) & rv_qmask(f->pqb);
	f->ipsr |= (uint32_t)RISCV_IOMMU_IPSR_PIP;
}

void rv_fake_fq_push(struct rv_fake *rv, uint64_t hdr, uint64_t iotval)
{
	struct rv_fake_iommu *f = &rv->iommu;
	uint8_t *rec = hal_phys_to_virt(rv->hal, rv_qbase(f->fqb) + (uint64_t)f->fqt * 32);

	memset(rec, 0, 32);
	rv_le_store(rec, hdr, 8);
	rv_le_store(rec + 16, iotval, 8);
	f->fqt = (f->fqt + 1) & rv_qmask(f->fqb);
	f->ipsr |= (uint32_t)RISCV_IOMMU_IPSR_FIP;
}

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

void rv_fake_cq_run(struct rv_fake *rv)
{
	struct rv_fake_iommu *f = &rv->iommu;
	struct hal *h = rv->hal;
	uint32_t mask = rv_qmask(f->cqb);

	if (f->cq_force_ill && f->cqh != f->cqt && (f->cqcsr & RISCV_IOMMU_CQCSR_CQEN))
		f->cqcsr |= (uint32_t)RISCV_IOMMU_CQCSR_CMD_ILL;
	while (f->cqh != f->cqt && (f->cqcsr & RISCV_IOMMU_CQCSR_CQEN) &&
	       !(f->cqcsr & (RISCV_IOMMU_CQCSR_CMD_ILL | RISCV_IOMMU_CQCSR_CQMF |
			     RISCV_IOMMU_CQCSR_CMD_TO))) {
		const uint8_t *p = hal_phys_to_virt(h, rv_qbase(f->cqb) + (uint64_t)f->cqh * 16);
		struct riscv_iommu_command c;

		if (!p || f->cq_fetch_faults) {
			if (f->cq_fetch_faults)
				f->cq_fetch_faults--;
			f->cqcsr |= (uint32_t)RISCV_IOMMU_CQCSR_CQMF;
			break;
		}
		c.dword0 = rv_le_load(p, 8);
		c.dword1 = rv_le_load(p + 8, 8);
		if (f->cq_fetch_corrupt) {
			f->cq_fetch_corrupt--;
			c.dword0 ^= 1u << 6; /* the top opcode bit */
		}
		if (rv_cmd_illegal(&c)) {
			f->cqcsr |= (uint32_t)RISCV_IOMMU_CQCSR_CMD_ILL;
			break;
		}
		if (f->ncmds < RV_FAKE_MAX_CMDS) {
			f->dc_tc_seen[f->ncmds] = 0;
			if (RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, c.dword0) ==
				    RISCV_IOMMU_CMD_IODIR_OPCODE &&
			    (c.dword0 & RISCV_IOMMU_CMD_IODIR_DV)) {
				hal_paddr_t ddt = RV_FIELD_GET(RISCV_IOMMU_DDTP_PPN, f->ddtp) << 12;
				uint64_t did = RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_DID, c.dword0);
				const uint8_t *dc = hal_phys_to_virt(h, ddt + did * 32);

				f->dc_tc_seen[f->ncmds] = dc ? rv_le_load(dc, 8) : ~UINT64_C(0);
			}
			f->cmds[f->ncmds++] = c;
		}
		if (RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, c.dword0) == RISCV_IOMMU_CMD_IOFENCE_OPCODE &&
		    (c.dword0 & RISCV_IOMMU_CMD_IOFENCE_AV) && !f->fence_ignore) {
			hal_paddr_t addr = RV_FIELD_GET(RISCV_IOMMU_CMD_IOFENCE_ADDR, c.dword1) << 2;
			uint8_t *w = hal_phys_to_virt(h, addr);

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

/*
 * Poll hook of the fake HAL: a poll interval passed (hal_charge_ps() or
 * hal_sleep_ps()), so the fake hardware may make progress.
 */
static void rv_fake_poll_tick(void *arg)
{
	struct rv_fake *rv = arg;

	if (rv->iommu.cq_hold && rv->iommu.cq_run_after_polls &&
	    --rv->iommu.cq_run_after_polls == 0)
		rv_fake_cq_run(rv);
	/* the CQ interrupt thread gets the CPU while a poller waits */
	if (rv->irq_on_poll && (rv->iommu.ipsr & RISCV_IOMMU_IPSR_CIP) && !rv->in_irq) {
		rv->in_irq = true;
		rv_fake_run_irq(rv, (unsigned int)RV_FIELD_GET(RISCV_IOMMU_ICVEC_CIV,
							       rv->iommu.icvec));
		rv->in_irq = false;
	}
}

/* ---- fake IOMMU: registers --------------------------------------------------- */

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

static unsigned int rv_reg_off(hal_paddr_t addr)
{
	if (addr < RV_FAKE_IOMMU_BASE || addr - RV_FAKE_IOMMU_BASE >= 4096)
		fail_msg("rv_fake: MMIO at %#llx is outside the IOMMU's register page",
			 (unsigned long long)addr);
	return (unsigned int)(addr - RV_FAKE_IOMMU_BASE);
}

static uint64_t rv_mmio_read(void *arg, hal_paddr_t addr, unsigned int size)
{
	struct rv_fake *rv = arg;
	struct rv_fake_iommu *f = &rv->iommu;
	unsigned int off = rv_reg_off(addr);
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
	rv_trace(rv, false, off, size, v);
	return v;
}

static void rv_mmio_write(void *arg, hal_paddr_t addr, uint64_t v, unsigned int size)
{
	struct rv_fake *rv = arg;
	struct rv_fake_iommu *f = &rv->iommu;
	unsigned int off = rv_reg_off(addr);
	const uint32_t cq_errs = (uint32_t)(RISCV_IOMMU_CQCSR_CQMF | RISCV_IOMMU_CQCSR_CMD_TO |
					    RISCV_IOMMU_CQCSR_CMD_ILL);
	const uint32_t q_errs = (uint32_t)(RISCV_IOMMU_PQCSR_PQMF | RISCV_IOMMU_PQCSR_PQOF);

	rv_trace(rv, true, off, size, v);
	switch (off) {
	case RISCV_IOMMU_REG_FCTL: /* BE/GXL read-only 0; WSI per IGS (§4) */
		switch (RV_FIELD_GET(RISCV_IOMMU_CAPABILITIES_IGS, f->caps)) {
		case RISCV_IOMMU_IGS_WSI: f->fctl = RISCV_IOMMU_FCTL_WSI; break;
		case RISCV_IOMMU_IGS_BOTH: f->fctl = (uint32_t)v & RISCV_IOMMU_FCTL_WSI; break;
		default: f->fctl = 0; break;
		}
		break;
	case RISCV_IOMMU_REG_DDTP: f->ddtp = v & (RISCV_IOMMU_DDTP_PPN | RISCV_IOMMU_DDTP_IOMMU_MODE); break;
	case RISCV_IOMMU_REG_CQB: f->cqb = rv_queue_base_write(f, v); f->cqt = 0; break;
	case RISCV_IOMMU_REG_FQB: f->fqb = rv_queue_base_write(f, v); f->fqh = 0; break;
	case RISCV_IOMMU_REG_PQB: f->pqb = rv_queue_base_write(f, v); f->pqh = 0; break;
	case RISCV_IOMMU_REG_CQT:
		f->cqt = (uint32_t)v & rv_qmask(f->cqb);
		f->cqt_writes++;
		if (!f->cq_hold)
			rv_fake_cq_run(rv);
		break;
	case RISCV_IOMMU_REG_FQH: f->fqh = (uint32_t)v & rv_qmask(f->fqb); f->fqh_writes++; break;
	case RISCV_IOMMU_REG_PQH:
		f->pqh = (uint32_t)v & rv_qmask(f->pqb);
		f->pqh_writes++;
		if (f->pq_late) {
			f->pq_late = false;
			rv_fake_pq_push(rv, f->pq_late_hdr, f->pq_late_payload);
		}
		break;
	case RISCV_IOMMU_REG_CQCSR: {
		uint32_t old = f->cqcsr;

		f->cqcsr = rv_csr_write(old, (uint32_t)v, cq_errs);
		if (!(old & RISCV_IOMMU_CQCSR_CQEN) && (v & RISCV_IOMMU_CQCSR_CQEN))
			f->cqh = 0;
		if (!f->cq_hold)
			rv_fake_cq_run(rv);
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

/* ---- fake PCI functions ------------------------------------------------------ */

/* PRI Status reflects the function's state (Stopped, PRG Response PASID Required). */
static void rv_pci_cfg_read(void *arg, uint16_t rid, unsigned int off, unsigned int size)
{
	struct rv_fake_pci *f = arg;
	uint16_t sta = 0;

	(void)rid;
	(void)off;
	(void)size;
	if (f->prpr)
		sta |= 0x8000;
	if (!f->pri_enable && !f->outstanding)
		sta |= 0x0100;
	rv_le_store(&f->cfg[0x116], sta, 2);
}

static bool rv_pci_cfg_write(void *arg, uint16_t rid, unsigned int off, unsigned int size,
			     uint32_t val)
{
	struct rv_fake_pci *f = arg;

	(void)rid;
	(void)size;
	if (off == 0x114) { /* PRI control */
		if (val & 2)
			f->resets++;
		if ((val & 1) && !f->pri_enable)
			f->cmds_at_enable = f->rv->iommu.ncmds;
		f->pri_enable = val & 1;
		rv_le_store(&f->cfg[off], val & 1, 2);
		return true;
	}
	/* status (W1C, ignored) and capacity: RO */
	return off >= 0x116 && off < 0x11C;
}

struct rv_fake_pci *rv_fake_pci_get(struct rv_fake *rv, uint16_t rid)
{
	unsigned int i;

	for (i = 0; i < RV_FAKE_MAX_PCI; i++)
		if (rv->pci[i].present && rv->pci[i].rid == rid)
			return &rv->pci[i];
	return NULL;
}

struct rv_fake_pci *rv_fake_add_pci(struct rv_fake *rv, uint16_t rid, uint32_t pri_capacity)
{
	unsigned int i;

	for (i = 0; i < RV_FAKE_MAX_PCI; i++) {
		struct rv_fake_pci *f = &rv->pci[i];

		if (f->present)
			continue;
		memset(f, 0, sizeof(*f));
		f->rv = rv;
		f->present = true;
		f->rid = rid;
		fake_hal_add_pci_dev(rv->hal, rid, 0, 0, 0);
		f->cfg = fake_hal_cfg_space(rv->hal, rid);
		fake_hal_set_pci_cfg(rv->hal, rid, rv_pci_cfg_read, rv_pci_cfg_write, f);
		/* ATS -> PRI -> PASID, like pxdev */
		rv_le_store(&f->cfg[0x100], 0x0Fu | (1u << 16) | (0x110u << 20), 4);
		rv_le_store(&f->cfg[0x110], 0x13u | (1u << 16) | (0x120u << 20), 4);
		rv_le_store(&f->cfg[0x120], 0x1Bu | (1u << 16), 4);
		rv_le_store(&f->cfg[0x118], pri_capacity, 4);
		return f;
	}
	fail_msg("rv_fake: more than %d PCI functions", RV_FAKE_MAX_PCI);
	return NULL;
}

/* ---- machine ------------------------------------------------------------------- */

/* The machine as created, on rv->hal as fake_hal_create() returns it. */
static void rv_fake_init(struct rv_fake *rv)
{
	struct hal *h = rv->hal;

	fake_hal_set_priv(h, rv);
	fake_hal_add_iommu(h, RV_FAKE_IOMMU_BASE);
	fake_hal_set_mmio(h, rv_mmio_read, rv_mmio_write, rv);
	fake_hal_set_poll_hook(h, rv_fake_poll_tick, rv);
	fake_hal_set_task_mode(h, FAKE_TASK_SYNC);
	fake_hal_set_param_u64(h, "sw.driver.cq_log2sz", 6);
	fake_hal_set_param_u64(h, "sw.driver.fq_log2sz", 4);
	fake_hal_set_param_u64(h, "sw.driver.pq_log2sz", 3);
	fake_hal_set_param_u64(h, "sw.driver.pri_alloc_max", 32);
	fake_hal_set_param_u64(h, "sw.driver.pri_alloc_fixed", 32);
	fake_hal_set_param_str(h, "sw.driver.pri_alloc_policy", "cap");
	fake_hal_set_param_u64(h, "sw.driver.pq_head_per_record", 0);
	fake_hal_set_param_str(h, "iommu.pq_overflow_policy", "riscv");
	fake_hal_set_param_str(h, "sw.driver.ddt_mode", "1lvl");
	fake_hal_set_param_str(h, "sw.driver.pgtbl_mode", "sv39");
	fake_hal_set_param_str(h, "sw.driver.irq_mode", "auto");
	fake_hal_set_param_u64(h, "sw.driver.superpages", 0);
	fake_hal_set_param_u64(h, "sw.driver.t2gpa", 0);
	rv->iommu.caps = RISCV_IOMMU_VERSION_1_0 | RISCV_IOMMU_CAPABILITIES_SV39 |
			 RISCV_IOMMU_CAPABILITIES_SV48 | RISCV_IOMMU_CAPABILITIES_ATS |
			 RV_FIELD_PREP(RISCV_IOMMU_CAPABILITIES_PAS, 46);
	rv->iommu.icvec_mask = 0xFFFF;
	rv->iommu.max_log2sz = 20;
}

struct rv_fake *rv_fake_create(void)
{
	struct rv_fake *rv = calloc(1, sizeof(*rv));

	assert_non_null(rv);
	rv->hal = fake_hal_create();
	rv_fake_init(rv);
	return rv;
}

static void rv_fake_check_free(struct rv_fake *rv, const char *when)
{
	unsigned int pages = fake_hal_dma_live(rv->hal);
	unsigned int objects = fake_hal_objects_live(rv->hal);

	if (pages || objects)
		fail_msg("rv_fake: %u DRAM pages and %u mutexes/waitqs still live at %s", pages,
			 objects, when);
}

void rv_fake_reset(struct rv_fake *rv)
{
	struct hal *h = rv->hal;

	unsigned int ntrace = rv->ntrace, nreports = rv->nreports, ncmds = rv->iommu.ncmds;

	rv_fake_check_free(rv, "reset");
	fake_hal_reset(h);
	/* Entries past a log's count are never read: only the used part is cleared. */
	memset(rv->trace, 0, ntrace * sizeof(rv->trace[0]));
	memset(rv->reports, 0, nreports * sizeof(rv->reports[0]));
	memset(rv->iommu.cmds, 0, ncmds * sizeof(rv->iommu.cmds[0]));
	memset(rv->iommu.dc_tc_seen, 0, ncmds * sizeof(rv->iommu.dc_tc_seen[0]));
	memset(&rv->iommu, 0, offsetof(struct rv_fake_iommu, cmds));
	memset(rv, 0, offsetof(struct rv_fake, trace));
	rv->hal = h;
	rv_fake_init(rv);
}

void rv_fake_destroy(struct rv_fake *rv)
{
	unsigned int pages = fake_hal_dma_live(rv->hal);
	unsigned int objects = fake_hal_objects_live(rv->hal);

	fake_hal_destroy(rv->hal);
	free(rv);
	if (pages || objects)
		fail_msg("rv_fake: %u DRAM pages and %u mutexes/waitqs still live at teardown",
			 pages, objects);
}

/* ---- io-pgfault core stubs ------------------------------------------------ */

int iommu_report_device_fault(struct device *dev, struct iopf_fault *evt)
{
	struct rv_fake *rv = fake_hal_priv(dev->hal);

	if (rv->nreports < RV_FAKE_MAX_REPORTS) {
		rv->reports[rv->nreports].dev = dev;
		rv->reports[rv->nreports].evt = *evt;
		rv->nreports++;
	}
	return rv->report_ret;
}

/* As the core: the event_handler of the domain at the RID attach, else -ENODEV. */
int iommu_report_device_event(struct device *dev, uint32_t type, const void *data, size_t len)
{
	struct iommu_attach_handle *handle;

	if (!dev || !data || !len)
		return -EINVAL;
	list_for_each_entry(handle, &dev->attach_handles, dev_node)
		if (handle->pasid == IOMMU_NO_PASID && handle->domain &&
		    handle->domain->event_handler)
			return handle->domain->event_handler(handle, type, data, len);
	return -ENODEV;
}

struct iopf_queue *iopf_queue_alloc(struct hal *hal, const char *name)
{
	struct iopf_queue *q;

	(void)name;
	if (hal_should_fail(hal, "iopf.queue_alloc"))
		return NULL;
	q = calloc(1, sizeof(*q));
	if (q)
		q->rv = fake_hal_priv(hal);
	return q;
}

void iopf_queue_free(struct iopf_queue *queue)
{
	free(queue);
}

int iopf_queue_add_device(struct iopf_queue *queue, struct device *dev)
{
	queue->rv->add_device_calls++;
	if (dev->fault_param)
		return -EBUSY;
	dev->fault_param = calloc(1, sizeof(*dev->fault_param));
	return dev->fault_param ? 0 : -ENOMEM;
}

void iopf_queue_remove_device(struct iopf_queue *queue, struct device *dev)
{
	queue->rv->remove_device_calls++;
	queue->rv->reports_at_remove = queue->rv->nreports;
	queue->rv->pri_enabled_at_remove = dev->pri_enabled;
	free(dev->fault_param);
	dev->fault_param = NULL;
}

int iopf_queue_discard_partial(struct iopf_queue *queue)
{
	if (!queue)
		return -EINVAL;
	queue->rv->discard_partial_calls++;
	queue->rv->reports_at_discard = queue->rv->nreports;
	return 0;
}

int iommu_device_register(struct iommu_device *iommu)
{
	struct rv_fake *rv = fake_hal_priv(iommu->hal);

	rv->registered++;
	INIT_LIST_HEAD(&iommu->node);
	return 0;
}
