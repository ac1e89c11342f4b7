// SPDX-License-Identifier: Apache-2.0
/*
 * RISC-V IOMMU driver: PASIDs. A process directory (PDT, §16) per device,
 * created when the first PASID is attached (set_dev_pasid) and kept until
 * the device is released.
 *
 * With a PDT the DC has PDTV = 1, DPE = 1, fsc = pdtp and ta.PSCID = 0:
 * PC[0] holds the RID's domain (requests without a PASID use process_id 0,
 * DPE), PC[pasid] the domain attached at that PASID. A PC is V | PSCID of its
 * domain in ta and the domain's iosatp in fsc.
 *
 * A valid PC is changed like a DC (device.c): V = 0, IODIR.INVAL_PDT (DID,
 * PID) + IOTINVAL.VMA of the old PSCID (+ ATS.INVAL of the PASID's ATC
 * entries when the domain changes), IOFENCE.C; then fsc, ta with V last,
 * IODIR.INVAL_PDT + IOFENCE.C. Converting the DC goes through the DC update
 * (device.c), whose IODIR.INVAL_DDT with DV = 1 also drops every PDT entry
 * of the device (§10.4).
 */
#include <errno.h>
#include <stdlib.h>

#include "prisim/hw/pxdev.h"
#include "riscv_iommu_priv.h"

/* The deepest PD mode the IOMMU advertises, or Bare. */
static unsigned int riscv_iommu_pdt_deepest(const struct riscv_iommu *iommu)
{
	if (iommu->caps & RISCV_IOMMU_CAPABILITIES_PD20)
		return RISCV_IOMMU_PDTP_MODE_PD20;
	if (iommu->caps & RISCV_IOMMU_CAPABILITIES_PD17)
		return RISCV_IOMMU_PDTP_MODE_PD17;
	if (iommu->caps & RISCV_IOMMU_CAPABILITIES_PD8)
		return RISCV_IOMMU_PDTP_MODE_PD8;
	return RISCV_IOMMU_PDTP_MODE_BARE;
}

/* The shallowest advertised PD mode resolving @bits of process_id, or Bare. */
static unsigned int riscv_iommu_pdt_fit(const struct riscv_iommu *iommu, unsigned int bits)
{
	static const struct {
		uint64_t cap;
		unsigned int mode;
	} modes[] = {
		{ RISCV_IOMMU_CAPABILITIES_PD8, RISCV_IOMMU_PDTP_MODE_PD8 },
		{ RISCV_IOMMU_CAPABILITIES_PD17, RISCV_IOMMU_PDTP_MODE_PD17 },
		{ RISCV_IOMMU_CAPABILITIES_PD20, RISCV_IOMMU_PDTP_MODE_PD20 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if ((iommu->caps & modes[i].cap) && riscv_iommu_pdt_pid_bits(modes[i].mode) >= bits)
			return modes[i].mode;
	return RISCV_IOMMU_PDTP_MODE_BARE;
}

/**
 * riscv_iommu_pdt_probe - PASID support of a device being probed
 * @rdev: the device, its ATS/PRI capabilities already found
 *
 * dev->max_pasids = min(2^Max PASID Width of the device's PASID capability,
 * 2^(process_id bits of the deepest PD mode advertised)); 0 without a PASID
 * capability, with a width of 0, or without PD8/PD17/PD20. The PDT mode is
 * the shallowest advertised one that resolves max_pasids - 1. With PASIDs,
 * PASID Enable is set in the device, before ATS is (Linux pci_enable_pasid()
 * at probe; Execute and Privileged Mode are not requested).
 */
void riscv_iommu_pdt_probe(struct riscv_iommu_device *rdev)
{
	struct riscv_iommu *iommu = rdev->iommu;
	uint16_t rid = (uint16_t)rdev->did;
	unsigned int deepest = riscv_iommu_pdt_deepest(iommu), width, bits;

	rdev->dev->max_pasids = 0;
	/* no process directories: the device's PASID capability is not looked at */
	if (deepest == RISCV_IOMMU_PDTP_MODE_BARE)
		return;
	rdev->pasid_cap = riscv_iommu_pci_find_ext_cap(iommu->hal, rid, PCI_EXT_CAP_ID_PASID);
	if (!rdev->pasid_cap)
		return;
	width = PCI_PASID_MAX_WIDTH(hal_pci_cfg_read(iommu->hal, rid,
						     rdev->pasid_cap + PCI_PASID_CAP, 2));
	if (!width)
		return;
	bits = riscv_iommu_pdt_pid_bits(deepest);
	if (width < bits)
		bits = width;
	rdev->pdt_mode = riscv_iommu_pdt_fit(iommu, bits);
	rdev->dev->max_pasids = UINT32_C(1) << bits;
	hal_pci_cfg_write(iommu->hal, rid, rdev->pasid_cap + PCI_PASID_CTRL, 2,
			  PCI_PASID_CTRL_ENABLE);
	riscv_iommu_info(iommu, "%s: PASID enabled, %u PASIDs (device width %u), PD%u directory",
			 rdev->dev->name, rdev->dev->max_pasids, width,
			 riscv_iommu_pdt_pid_bits(rdev->pdt_mode));
}

/* DC.fsc with a PDT: pdtp = MODE | PPN of the root (§15.3). */
uint64_t riscv_iommu_pdt_dc_fsc(const struct riscv_iommu_device *rdev)
{
	return RV_FIELD_PREP(RISCV_IOMMU_DC_FSC_MODE, rdev->pdt_mode) |
	       RV_FIELD_PREP(RISCV_IOMMU_DC_FSC_PPN, rdev->pdt_pa >> RISCV_IOMMU_PAGE_SHIFT);
}

/*
 * The PC of @pid, walking PDI[levels-1..1] (§"Process to locate the
 * Process-context"); with @alloc, missing tables are allocated (zeroed, then
 * named by their entry after a barrier). Caller holds dc_lock.
 * Return: the PC, or NULL (missing and !@alloc, or no memory).
 */
static struct riscv_iommu_pc *riscv_iommu_pdt_get_pc(struct riscv_iommu_device *rdev,
						     uint32_t pid, bool alloc)
{
	struct riscv_iommu *iommu = rdev->iommu;
	unsigned int level = rdev->pdt_mode - RISCV_IOMMU_PDTP_MODE_PD8;
	uint64_t *table = rdev->pdt;

	if (!table)
		return NULL;
	for (; level > 0; level--) {
		uint64_t *e = &table[riscv_iommu_pdt_pdi(pid, level)];
		uint64_t pdte = riscv_iommu_le64_to_cpu(*e);
		hal_paddr_t pa;

		if (!(pdte & RISCV_IOMMU_PDTE_V)) {
			if (!alloc || hal_should_fail(iommu->hal, "riscv_iommu.pdt_alloc"))
				return NULL;
			if (!hal_dma_alloc(iommu->hal, RISCV_IOMMU_PAGE_SIZE, RISCV_IOMMU_PAGE_SIZE,
					   &pa))
				return NULL;
			rdev->pdt_pages++;
			pdte = RISCV_IOMMU_PDTE_V |
			       RV_FIELD_PREP(RISCV_IOMMU_PDTE_PPN, pa >> RISCV_IOMMU_PAGE_SHIFT);
			hal_wmb(iommu->hal);
			*e = riscv_iommu_cpu_to_le64(pdte);
			hal_wmb(iommu->hal);
		}
		pa = RV_FIELD_GET(RISCV_IOMMU_PDTE_PPN, pdte) << RISCV_IOMMU_PAGE_SHIFT;
		table = hal_phys_to_virt(iommu->hal, pa);
		if (!table)
			return NULL;
	}
	return (struct riscv_iommu_pc *)table + riscv_iommu_pdt_pdi(pid, 0);
}

/* Free the tables below a non-leaf table (level >= 1), not the table itself. */
static void riscv_iommu_pdt_free_level(struct riscv_iommu_device *rdev, uint64_t *table,
				       unsigned int level)
{
	struct hal *h = rdev->iommu->hal;
	unsigned int i;

	for (i = 0; i < RISCV_IOMMU_PDT_NL_ENTRIES; i++) {
		uint64_t pdte = riscv_iommu_le64_to_cpu(table[i]);
		uint64_t *next;

		if (!(pdte & RISCV_IOMMU_PDTE_V))
			continue;
		next = hal_phys_to_virt(h, RV_FIELD_GET(RISCV_IOMMU_PDTE_PPN, pdte)
						   << RISCV_IOMMU_PAGE_SHIFT);
		if (!next)
			continue;
		if (level > 1)
			riscv_iommu_pdt_free_level(rdev, next, level - 1);
		hal_dma_free(h, next, RISCV_IOMMU_PAGE_SIZE);
		table[i] = 0;
		rdev->pdt_pages--;
	}
}

/* Free the whole directory; nothing may walk it any more. */
static void riscv_iommu_pdt_free(struct riscv_iommu_device *rdev)
{
	unsigned int levels = rdev->pdt_mode - RISCV_IOMMU_PDTP_MODE_PD8;

	if (!rdev->pdt)
		return;
	if (levels)
		riscv_iommu_pdt_free_level(rdev, rdev->pdt, levels);
	hal_dma_free(rdev->iommu->hal, rdev->pdt, RISCV_IOMMU_PAGE_SIZE);
	rdev->pdt = NULL;
	rdev->pdt_pa = 0;
}

/*
 * Turn the DC back to one without PDTV (the RID's domain in DC.fsc, or
 * blocked), then free the directory: the IOMMU walks it no more once the
 * update's IODIR.INVAL_DDT + IOFENCE.C completed. Caller holds dc_lock.
 */
static int riscv_iommu_pdt_disable(struct riscv_iommu_device *rdev)
{
	void *pdt = rdev->pdt;
	int ret;

	rdev->pdt = NULL; /* the update composes a DC without PDTV */
	ret = riscv_iommu_dc_update(rdev, true);
	if (ret)
		riscv_iommu_err(rdev->iommu, "%s: DC without PDT not confirmed (%d)",
				rdev->dev->name, ret);
	rdev->pdt = pdt;
	riscv_iommu_pdt_free(rdev);
	return ret;
}

/* What a PC naming @rd holds (ENS and SUM stay 0: the devices make no
 * supervisor requests). */
static void riscv_iommu_pc_compose(const struct riscv_iommu_domain *rd, struct riscv_iommu_pc *pc)
{
	pc->ta = RISCV_IOMMU_PC_TA_V | RV_FIELD_PREP(RISCV_IOMMU_PC_TA_PSCID, rd->pscid);
	pc->fsc = RV_FIELD_PREP(RISCV_IOMMU_PC_FSC_MODE, RISCV_IOMMU_ATP_MODE_SV39 + rd->levels - 3) |
		  RV_FIELD_PREP(RISCV_IOMMU_PC_FSC_PPN, rd->pgd_pa >> RISCV_IOMMU_PAGE_SHIFT);
}

/* Write a PC that is not valid: fsc first, ta with V last. */
static void riscv_iommu_pc_write(struct riscv_iommu *iommu, struct riscv_iommu_pc *pc,
				 const struct riscv_iommu_domain *rd)
{
	struct riscv_iommu_pc want;

	riscv_iommu_pc_compose(rd, &want);
	pc->fsc = riscv_iommu_cpu_to_le64(want.fsc);
	hal_wmb(iommu->hal);
	pc->ta = riscv_iommu_cpu_to_le64(want.ta);
	hal_wmb(iommu->hal);
}

/* Clear a PC: V off first. */
static void riscv_iommu_pc_clear(struct riscv_iommu *iommu, struct riscv_iommu_pc *pc)
{
	pc->ta = 0;
	hal_wmb(iommu->hal);
	pc->fsc = 0;
	hal_wmb(iommu->hal);
}

/**
 * riscv_iommu_pdt_pc0_pscid - the PSCID PC[0] names
 * @rdev: a device with a PDT (else *@valid = false)
 * @valid: set to whether PC[0] is valid
 */
uint32_t riscv_iommu_pdt_pc0_pscid(const struct riscv_iommu_device *rdev, bool *valid)
{
	const struct riscv_iommu_pc *pc;
	uint64_t ta;

	*valid = false;
	if (!rdev->pdt)
		return 0;
	pc = riscv_iommu_pdt_get_pc((struct riscv_iommu_device *)rdev, 0, false);
	if (!pc)
		return 0;
	ta = riscv_iommu_le64_to_cpu(pc->ta);
	*valid = ta & RISCV_IOMMU_PC_TA_V;
	return (uint32_t)RV_FIELD_GET(RISCV_IOMMU_PC_TA_PSCID, ta);
}

/**
 * riscv_iommu_pdt_write_pc0 - PC[0] after rdev->domain (the RID's domain)
 * @rdev: a device with a PDT, whose DC is not valid (device.c's DC update)
 *
 * The DC update's IODIR.INVAL_DDT that follows drops the cached PC.
 */
void riscv_iommu_pdt_write_pc0(struct riscv_iommu_device *rdev)
{
	struct riscv_iommu_pc *pc = riscv_iommu_pdt_get_pc(rdev, 0, false);

	if (!pc)
		return; /* allocated with the directory: always there */
	riscv_iommu_pc_clear(rdev->iommu, pc);
	if (rdev->domain)
		riscv_iommu_pc_write(rdev->iommu, pc, rdev->domain);
}

/* The attach of (rdev, pasid), or NULL. Caller holds dc_lock. */
static struct riscv_iommu_pasid *riscv_iommu_pasid_find(struct riscv_iommu_device *rdev,
							uint32_t pasid)
{
	struct riscv_iommu_pasid *p;

	list_for_each_entry(p, &rdev->pasids, dev_node)
		if (p->pasid == pasid)
			return p;
	return NULL;
}

/*
 * Create the directory and move the DC to it (caller holds dc_lock): a zeroed
 * root, the tables on the paths of PC[0] and PC[@pasid], then the DC update
 * (device.c) writes PC[0] while the DC is invalid and sets PDTV | DPE.
 */
static int riscv_iommu_pdt_enable(struct riscv_iommu_device *rdev, uint32_t pasid)
{
	struct riscv_iommu *iommu = rdev->iommu;
	int ret;

	if (hal_should_fail(iommu->hal, "riscv_iommu.pdt_alloc"))
		return -ENOMEM;
	rdev->pdt = hal_dma_alloc(iommu->hal, RISCV_IOMMU_PAGE_SIZE, RISCV_IOMMU_PAGE_SIZE,
				  &rdev->pdt_pa);
	if (!rdev->pdt)
		return -ENOMEM;
	if (!riscv_iommu_pdt_get_pc(rdev, 0, true) || !riscv_iommu_pdt_get_pc(rdev, pasid, true)) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = riscv_iommu_dc_update(rdev, false);
	if (ret)
		goto err_restore;
	riscv_iommu_info(iommu, "%s: PD%u process directory at %#llx, DPE", rdev->dev->name,
			 riscv_iommu_pdt_pid_bits(rdev->pdt_mode), (unsigned long long)rdev->pdt_pa);
	return 0;

err_restore:
	/* back to the DC without PDTV (a failed update left it invalid) */
	riscv_iommu_pdt_disable(rdev);
	return ret;
err_free:
	riscv_iommu_pdt_free(rdev);
	return ret;
}

/*
 * Invalidate a valid PC being taken away (V already 0): IODIR.INVAL_PDT of
 * (did, pasid), IOTINVAL.VMA of @pscid, ATS.INVAL of the PASID's ATC entries
 * if @flush_atc, IOFENCE.C.
 */
static int riscv_iommu_pc_inval(struct riscv_iommu_device *rdev, uint32_t pasid, uint32_t pscid,
				bool flush_atc)
{
	struct riscv_iommu_command cmds[3];
	unsigned int n = 0;

	riscv_iommu_cmd_iodir_inval_pdt(&cmds[n++], rdev->did, pasid);
	riscv_iommu_cmd_iotinval_vma(&cmds[n]);
	riscv_iommu_cmd_inval_set_pscid(&cmds[n++], pscid);
	if (flush_atc && rdev->dev->ats_enabled) {
		riscv_iommu_cmd_ats_inval(&cmds[n], rdev->did, RISCV_IOMMU_CMD_ATS_INVAL_ALL);
		riscv_iommu_cmd_ats_set_pid(&cmds[n++], pasid);
	}
	return riscv_iommu_cmd_send_sync(rdev->iommu, cmds, n);
}

/**
 * riscv_iommu_set_dev_pasid - iommu_domain_ops.set_dev_pasid
 * @domain: a paging domain of this IOMMU
 * @dev: a device with PASIDs (dev->max_pasids)
 * @pasid: 1 .. dev->max_pasids - 1
 * @old: the domain attached at @pasid now (a replace), or NULL
 *
 * The first PASID creates the directory (see top). A PC already valid is
 * invalidated first, with the IOTLB entries of its PSCID and the device's ATC
 * entries of @pasid; the new PC is then written with V last and announced
 * with IODIR.INVAL_PDT + IOFENCE.C.
 * Return: 0, -ENODEV, -EINVAL (foreign or non-paging domain, PASID out of
 * range, @old not what is attached), -ENOMEM, or the command error. On error
 * (dev, pasid) keeps @old, unless the IOMMU stopped answering (-ETIMEDOUT):
 * then the PASID is left blocked.
 */
int riscv_iommu_set_dev_pasid(struct iommu_domain *domain, struct device *dev, uint32_t pasid,
			      struct iommu_domain *old)
{
	struct riscv_iommu_device *rdev = dev ? dev_to_riscv(dev) : NULL;
	struct riscv_iommu_domain *rd = domain ? to_riscv_domain(domain) : NULL;
	struct riscv_iommu_command cmd;
	struct riscv_iommu_pasid *p, *new_p = NULL;
	struct riscv_iommu_pc *pc;
	struct riscv_iommu *iommu;
	uint64_t ta;
	int ret;

	if (!rdev)
		return -ENODEV;
	iommu = rdev->iommu;
	/* first-stage domains only; and not beside a RID attach with a second stage */
	if (!rd || domain->iommu != &iommu->iommu || domain->type != IOMMU_DOMAIN_PAGING ||
	    rd->kind != RISCV_IOMMU_DOMAIN_S1)
		return -EINVAL;
	if (pasid == IOMMU_NO_PASID || pasid >= dev->max_pasids)
		return -EINVAL;
	if (rdev->domain && rdev->domain->kind != RISCV_IOMMU_DOMAIN_S1)
		return -EBUSY;

	hal_mutex_lock(iommu->dc_lock);
	p = riscv_iommu_pasid_find(rdev, pasid);
	if ((p ? &p->rd->domain : NULL) != old) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (p && p->rd == rd) {
		ret = 0;
		goto out_unlock;
	}
	if (!p) {
		if (hal_should_fail(iommu->hal, "riscv_iommu.pasid_alloc"))
			new_p = NULL;
		else
			new_p = calloc(1, sizeof(*new_p));
		if (!new_p) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		new_p->rdev = rdev;
		new_p->pasid = pasid;
	}

	if (!rdev->pdt) {
		ret = riscv_iommu_pdt_enable(rdev, pasid);
		if (ret)
			goto err_free;
	}
	pc = riscv_iommu_pdt_get_pc(rdev, pasid, true);
	if (!pc) {
		ret = -ENOMEM;
		goto err_free;
	}
	ta = riscv_iommu_le64_to_cpu(pc->ta);
	if (ta & RISCV_IOMMU_PC_TA_V) {
		riscv_iommu_pc_clear(iommu, pc);
		ret = riscv_iommu_pc_inval(rdev, pasid,
					   (uint32_t)RV_FIELD_GET(RISCV_IOMMU_PC_TA_PSCID, ta), true);
		if (ret)
			goto err_blocked;
	}
	riscv_iommu_pc_write(iommu, pc, rd);
	riscv_iommu_cmd_iodir_inval_pdt(&cmd, rdev->did, pasid);
	ret = riscv_iommu_cmd_send_sync(iommu, &cmd, 1);
	if (ret)
		goto err_blocked;

	if (new_p) {
		p = new_p;
		list_add_tail(&p->dev_node, &rdev->pasids);
	} else {
		list_del_init(&p->domain_node);
	}
	p->rd = rd;
	list_add_tail(&p->domain_node, &rd->pasids);
	hal_mutex_unlock(iommu->dc_lock);
	riscv_iommu_dbg(iommu, "%s: PASID %#x -> PSCID %#x%s", dev->name, pasid, rd->pscid,
			old ? " (replaced)" : "");
	return 0;

err_blocked:
	riscv_iommu_err(iommu, "%s: PASID %#x: PC update not confirmed (%d); PASID left blocked",
			dev->name, pasid, ret);
	riscv_iommu_pc_clear(iommu, pc);
	if (p) {
		list_del_init(&p->dev_node);
		list_del_init(&p->domain_node);
		free(p);
	}
err_free:
	free(new_p);
out_unlock:
	hal_mutex_unlock(iommu->dc_lock);
	return ret;
}

/* Take (rdev, p->pasid) away; caller holds dc_lock. */
static void riscv_iommu_pasid_clear(struct riscv_iommu_device *rdev, struct riscv_iommu_pasid *p)
{
	struct riscv_iommu_pc *pc = riscv_iommu_pdt_get_pc(rdev, p->pasid, false);
	int ret;

	if (pc) {
		riscv_iommu_pc_clear(rdev->iommu, pc);
		ret = riscv_iommu_pc_inval(rdev, p->pasid, p->rd->pscid, true);
		if (ret)
			riscv_iommu_err(rdev->iommu, "%s: PASID %#x: invalidation not confirmed (%d)",
					rdev->dev->name, p->pasid, ret);
	}
	list_del_init(&p->dev_node);
	list_del_init(&p->domain_node);
	free(p);
}

/**
 * riscv_iommu_remove_dev_pasid - iommu_ops.remove_dev_pasid
 * @dev: the device
 * @pasid: a PASID with @domain attached
 * @domain: its domain
 *
 * Clears PC[pasid] (V first), then IODIR.INVAL_PDT, IOTINVAL.VMA of the
 * domain's PSCID and ATS.INVAL of the PASID, IOFENCE.C. The directory stays.
 */
void riscv_iommu_remove_dev_pasid(struct device *dev, uint32_t pasid, struct iommu_domain *domain)
{
	struct riscv_iommu_device *rdev = dev ? dev_to_riscv(dev) : NULL;
	struct riscv_iommu_pasid *p;

	if (!rdev)
		return;
	hal_mutex_lock(rdev->iommu->dc_lock);
	p = riscv_iommu_pasid_find(rdev, pasid);
	if (!p || &p->rd->domain != domain)
		riscv_iommu_warn(rdev->iommu, "%s: remove of PASID %#x, not attached to that domain",
				 dev->name, pasid);
	else
		riscv_iommu_pasid_clear(rdev, p);
	hal_mutex_unlock(rdev->iommu->dc_lock);
}

/**
 * riscv_iommu_domain_remove_pasids - block every PASID still attached to @rd
 * @rd: a domain about to be freed
 */
void riscv_iommu_domain_remove_pasids(struct riscv_iommu_domain *rd)
{
	struct riscv_iommu *iommu = rd->iommu;
	struct riscv_iommu_pasid *p;

	hal_mutex_lock(iommu->dc_lock);
	while (!list_empty(&rd->pasids)) {
		p = list_first_entry(&rd->pasids, struct riscv_iommu_pasid, domain_node);
		riscv_iommu_warn(iommu, "%s: PASID %#x still attached to a domain being freed; "
				 "blocking it", p->rdev->dev->name, p->pasid);
		riscv_iommu_pasid_clear(p->rdev, p);
	}
	hal_mutex_unlock(iommu->dc_lock);
}

/**
 * riscv_iommu_pdt_release - undo PASID support of a device leaving
 * @rdev: the device, its RID detached (rdev->domain NULL)
 *
 * Blocks the PASIDs still attached, turns the DC off (V = 0 and
 * IODIR.INVAL_DDT through the DC update) before the directory is freed, then
 * clears PASID Enable in the device (Linux pci_disable_pasid()).
 */
void riscv_iommu_pdt_release(struct riscv_iommu_device *rdev)
{
	struct riscv_iommu *iommu = rdev->iommu;
	struct riscv_iommu_pasid *p;

	hal_mutex_lock(iommu->dc_lock);
	while (!list_empty(&rdev->pasids)) {
		p = list_first_entry(&rdev->pasids, struct riscv_iommu_pasid, dev_node);
		riscv_iommu_warn(iommu, "%s: PASID %#x still attached at release; blocking it",
				 rdev->dev->name, p->pasid);
		riscv_iommu_pasid_clear(rdev, p);
	}
	if (rdev->pdt)
		riscv_iommu_pdt_disable(rdev);
	hal_mutex_unlock(iommu->dc_lock);
	if (rdev->dev->max_pasids) {
		hal_pci_cfg_write(iommu->hal, (uint16_t)rdev->did, rdev->pasid_cap + PCI_PASID_CTRL,
				  2, 0);
		rdev->dev->max_pasids = 0;
	}
}
