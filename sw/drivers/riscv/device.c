// SPDX-License-Identifier: Apache-2.0
/*
 * RISC-V IOMMU driver: per-device state, device contexts (DC, §15) and the
 * ATS/PRI enable and disable sequences (§18; pcie-pri.md §5, §7.1).
 *
 * A DC is rewritten only through riscv_iommu_dc_update(), under dc_lock:
 *   1. if it is valid: clear V, IODIR.INVAL_DDT(DV=1) + IOTINVAL.VMA of the
 *      old PSCID (+ ATS.INVAL of the device ATC when the domain changes),
 *      IOFENCE.C and wait;
 *   2. write iohgatp, ta, fsc, then tc with V last;
 *   3. IODIR.INVAL_DDT(DV=1) + IOFENCE.C and wait.
 * The device must be quiet while this runs (a page request hitting the V = 0
 * window is answered Response Failure by the IOMMU, §13.3); the core attaches
 * and enables IOPF before the device is started.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prisim/hw/pxdev.h"
#include "riscv_iommu_priv.h"

/**
 * riscv_iommu_find_dev - the per-device state for a device_id
 * @iommu: the IOMMU
 * @did: device_id from a record
 *
 * Return: the device or NULL if no probed device has this id.
 */
struct riscv_iommu_device *riscv_iommu_find_dev(struct riscv_iommu *iommu, uint32_t did)
{
	unsigned int i;

	for (i = 0; i < iommu->nr_dev_slots; i++)
		if (iommu->devs[i] && iommu->devs[i]->did == did)
			return iommu->devs[i];
	return NULL;
}

/**
 * riscv_iommu_get_dc - the device context of a device_id in the directory
 * @iommu: the IOMMU
 * @did: device_id; must fit iommu->did_bits
 * @alloc: allocate missing non-leaf and leaf tables on the way
 * @allocated: if not NULL, set to true when a table was allocated (the
 *             caller then owes the IOMMU an IODIR.INVAL_DDT)
 *
 * Walks iommu->ddt_mode's levels with DDI[i] of @did (§15.1): each non-leaf
 * entry is V | PPN of the next table, each table one zeroed 4 KiB page.
 * A new entry is written after its table is zeroed, with a barrier between.
 * Caller holds dc_lock (or is single-threaded, as at remove).
 * Return: the DC, or NULL if a table is missing (and !@alloc) or cannot be
 * allocated.
 */
struct riscv_iommu_dc *riscv_iommu_get_dc(struct riscv_iommu *iommu, uint32_t did, bool alloc,
					  bool *allocated)
{
	bool ext = iommu->dc_size == RISCV_IOMMU_DC_SIZE_EXT;
	unsigned int level = iommu->ddt_mode - RISCV_IOMMU_DDTP_MODE_1LVL;
	uint64_t *table = iommu->ddt;

	if (!table || (did >> iommu->did_bits))
		return NULL;
	for (; level > 0; level--) {
		uint64_t *e = &table[riscv_iommu_ddt_ddi(did, level, ext)];
		uint64_t ddte = riscv_iommu_le64_to_cpu(*e);
		hal_paddr_t pa;

		if (!(ddte & RISCV_IOMMU_DDTE_V)) {
			if (!alloc)
				return NULL;
			if (hal_should_fail(iommu->hal, "riscv_iommu.ddt_alloc"))
				return NULL;
			if (!hal_dma_alloc(iommu->hal, RISCV_IOMMU_PAGE_SIZE, RISCV_IOMMU_PAGE_SIZE,
					   &pa))
				return NULL;
			iommu->ddt_pages++;
			if (allocated)
				*allocated = true;
			ddte = RISCV_IOMMU_DDTE_V |
			       RV_FIELD_PREP(RISCV_IOMMU_DDTE_PPN, pa >> RISCV_IOMMU_PAGE_SHIFT);
			/* the zeroed table is visible before the entry naming it */
			hal_wmb(iommu->hal);
			*e = riscv_iommu_cpu_to_le64(ddte);
			hal_wmb(iommu->hal);
		}
		pa = RV_FIELD_GET(RISCV_IOMMU_DDTE_PPN, ddte) << RISCV_IOMMU_PAGE_SHIFT;
		table = hal_phys_to_virt(iommu->hal, pa);
		if (!table)
			return NULL;
	}
	return (struct riscv_iommu_dc *)((char *)table +
					 (size_t)riscv_iommu_ddt_ddi(did, 0, ext) * iommu->dc_size);
}

/* Free the tables below one non-leaf table (level >= 1), not the table itself. */
static void riscv_iommu_ddt_free_level(struct riscv_iommu *iommu, uint64_t *table,
				       unsigned int level)
{
	unsigned int i;

	for (i = 0; i < RISCV_IOMMU_DDT_NL_ENTRIES; i++) {
		uint64_t ddte = riscv_iommu_le64_to_cpu(table[i]);
		uint64_t *next;

		if (!(ddte & RISCV_IOMMU_DDTE_V))
			continue;
		next = hal_phys_to_virt(iommu->hal, RV_FIELD_GET(RISCV_IOMMU_DDTE_PPN, ddte)
							    << RISCV_IOMMU_PAGE_SHIFT);
		if (!next)
			continue;
		if (level > 1)
			riscv_iommu_ddt_free_level(iommu, next, level - 1);
		hal_dma_free(iommu->hal, next, RISCV_IOMMU_PAGE_SIZE);
		table[i] = 0;
		iommu->ddt_pages--;
	}
}

/**
 * riscv_iommu_ddt_free - free the whole device directory
 * @iommu: the IOMMU, with ddtp already Off (nothing walks the tables)
 */
void riscv_iommu_ddt_free(struct riscv_iommu *iommu)
{
	unsigned int levels;

	if (!iommu->ddt)
		return;
	levels = iommu->ddt_mode >= RISCV_IOMMU_DDTP_MODE_1LVL ?
			 iommu->ddt_mode - RISCV_IOMMU_DDTP_MODE_1LVL : 0;
	if (levels)
		riscv_iommu_ddt_free_level(iommu, iommu->ddt, levels);
	hal_dma_free(iommu->hal, iommu->ddt, RISCV_IOMMU_PAGE_SIZE);
	iommu->ddt = NULL;
}

/**
 * riscv_iommu_ats_inval_payload - ATS.INVAL payload covering a range
 * @iova: start
 * @size: bytes (0 = the whole address space)
 *
 * One page: the page address with S = 0. Otherwise the smallest naturally
 * aligned power-of-two block containing the range, NAPOT-encoded with S = 1
 * (pcie-pri.md §7.2: size 2^(X+1) pages, X = lowest 0 bit of address[63:12]).
 * Return: the 64-bit payload.
 */
uint64_t riscv_iommu_ats_inval_payload(uint64_t iova, uint64_t size)
{
	uint64_t first = iova >> RISCV_IOMMU_PAGE_SHIFT;
	uint64_t last;
	unsigned int k;

	if (!size || iova + size - 1 < iova)
		return RISCV_IOMMU_CMD_ATS_INVAL_ALL;
	last = (iova + size - 1) >> RISCV_IOMMU_PAGE_SHIFT;
	if (first == last)
		return first << RISCV_IOMMU_PAGE_SHIFT;
	/* smallest k with one 2^k-page block holding first..last */
	for (k = 1; k < 51; k++)
		if ((first >> k) == (last >> k))
			break;
	if (k >= 51)
		return RISCV_IOMMU_CMD_ATS_INVAL_ALL;
	first = (first >> k) << k;
	/* bits 0..k-2 set, bit k-1 clear: X = k - 1 -> 2^k pages */
	first |= (UINT64_C(1) << (k - 1)) - 1;
	return (first << RISCV_IOMMU_PAGE_SHIFT) | RISCV_IOMMU_CMD_ATS_INVAL_S;
}

/* What the DC should say for rdev's current state. */
static void riscv_iommu_dc_compose(struct riscv_iommu_device *rdev, struct riscv_iommu_dc *dc)
{
	struct riscv_iommu_domain *rd = rdev->domain;

	*dc = (struct riscv_iommu_dc){ 0 };
	/* with a PDT the DC stays valid for the PASIDs, the RID's or not */
	if (!rd && !rdev->pdt)
		return;
	dc->tc = RISCV_IOMMU_DC_TC_V;
	if (rdev->ats_cap)
		dc->tc |= RISCV_IOMMU_DC_TC_EN_ATS;
	/* hardware A/D updates where offered, as Linux does (leaves preset A/D anyway) */
	if (rdev->iommu->caps & RISCV_IOMMU_CAPABILITIES_AMO_HWAD)
		dc->tc |= RISCV_IOMMU_DC_TC_SADE;
	if (rdev->iopf_enabled) {
		dc->tc |= RISCV_IOMMU_DC_TC_EN_PRI;
		if (rdev->prpr)
			dc->tc |= RISCV_IOMMU_DC_TC_PRPR;
	}
	dc->iohgatp = RV_FIELD_PREP(RISCV_IOMMU_DC_IOHGATP_MODE, RISCV_IOMMU_ATP_MODE_BARE);
	if (rdev->pdt) {
		/* PC[0] holds the RID's domain (pdt.c): ta.PSCID unused */
		dc->tc |= RISCV_IOMMU_DC_TC_PDTV | RISCV_IOMMU_DC_TC_DPE;
		dc->fsc = riscv_iommu_pdt_dc_fsc(rdev);
		return;
	}
	/*
	 * T2GPA (§14): under a G-stage, ATS completions carry the GPA and the
	 * IOMMU translates each Translated request through the G-stage, so the
	 * device's ATC never holds a host physical address.
	 */
	if (rdev->iommu->t2gpa &&
	    (rd->kind == RISCV_IOMMU_DOMAIN_G || rd->kind == RISCV_IOMMU_DOMAIN_NESTED))
		dc->tc |= RISCV_IOMMU_DC_TC_T2GPA;
	if (rd->kind == RISCV_IOMMU_DOMAIN_G) {
		/* second stage only: fsc Bare, IOVA = GPA */
		dc->iohgatp = riscv_iommu_iohgatp(rd);
		return;
	}
	if (rd->kind == RISCV_IOMMU_DOMAIN_NESTED) {
		/* the parent's second stage under the user's first (nested.c) */
		dc->iohgatp = riscv_iommu_iohgatp(rd->parent);
		dc->ta = RV_FIELD_PREP(RISCV_IOMMU_DC_TA_PSCID, rd->pscid);
		dc->fsc = rd->fsc;
		/* the user's process directory: fsc is its pdtp, a GPA (§3.1.3) */
		if (rd->pdtv)
			dc->tc |= RISCV_IOMMU_DC_TC_PDTV | (rd->dpe ? RISCV_IOMMU_DC_TC_DPE : 0);
		if (!rd->sade)
			dc->tc &= ~RISCV_IOMMU_DC_TC_SADE;
		return;
	}
	dc->ta = RV_FIELD_PREP(RISCV_IOMMU_DC_TA_PSCID, rd->pscid);
	dc->fsc = RV_FIELD_PREP(RISCV_IOMMU_DC_FSC_MODE, RISCV_IOMMU_ATP_MODE_SV39 + rd->levels - 3) |
		  RV_FIELD_PREP(RISCV_IOMMU_DC_FSC_PPN, rd->pgd_pa >> RISCV_IOMMU_PAGE_SHIFT);
}

/*
 * Bring rdev's DC in line with rdev->domain / iopf_enabled / pdt (see top);
 * with a PDT, PC[0] follows rdev->domain, written while the DC is invalid.
 * @flush_atc: the translations change: invalidate the device ATC too.
 */
int riscv_iommu_dc_update(struct riscv_iommu_device *rdev, bool flush_atc)
{
	struct riscv_iommu *iommu = rdev->iommu;
	struct riscv_iommu_dc *dc = rdev->dc;
	struct riscv_iommu_command cmds[3];
	struct riscv_iommu_dc want;
	uint64_t tc = riscv_iommu_le64_to_cpu(dc->tc);
	unsigned int n = 0;
	int ret;

	if (!hal_mutex_held(iommu->dc_lock))
		riscv_iommu_warn(iommu, "dc update for %04x without dc_lock", rdev->did);

	riscv_iommu_dc_compose(rdev, &want);
	if (tc & RISCV_IOMMU_DC_TC_V) {
		uint32_t old_pscid = (uint32_t)RV_FIELD_GET(RISCV_IOMMU_DC_TA_PSCID,
							    riscv_iommu_le64_to_cpu(dc->ta));
		bool old_valid = true;

		uint64_t old_iohgatp = riscv_iommu_le64_to_cpu(dc->iohgatp);

		/* with PDTV, the RID's translations are PC[0]'s */
		if (tc & RISCV_IOMMU_DC_TC_PDTV)
			old_pscid = riscv_iommu_pdt_pc0_pscid(rdev, &old_valid);
		dc->tc = riscv_iommu_cpu_to_le64(tc & ~RISCV_IOMMU_DC_TC_V);
		hal_wmb(iommu->hal);
		riscv_iommu_cmd_iodir_inval_ddt(&cmds[n++], true, rdev->did);
		if (RV_FIELD_GET(RISCV_IOMMU_DC_IOHGATP_MODE, old_iohgatp) !=
		    RISCV_IOMMU_ATP_MODE_BARE) {
			/* a second stage: everything cached in its GSCID, combined entries too */
			riscv_iommu_cmd_iotinval_gvma(&cmds[n]);
			riscv_iommu_cmd_inval_set_gscid(
				&cmds[n++],
				(uint32_t)RV_FIELD_GET(RISCV_IOMMU_DC_IOHGATP_GSCID, old_iohgatp));
		} else if (old_valid) {
			riscv_iommu_cmd_iotinval_vma(&cmds[n]);
			riscv_iommu_cmd_inval_set_pscid(&cmds[n++], old_pscid);
		}
		if (flush_atc && rdev->dev->ats_enabled)
			riscv_iommu_cmd_ats_inval(&cmds[n++], rdev->did,
						  RISCV_IOMMU_CMD_ATS_INVAL_ALL);
		ret = riscv_iommu_cmd_send_sync(iommu, cmds, n);
		if (ret) {
			riscv_iommu_err(iommu, "%s: DC invalidation failed (%d); DC left invalid",
					rdev->dev->name, ret);
			return ret;
		}
	}
	if (!(want.tc & RISCV_IOMMU_DC_TC_V)) {
		/* blocked: nothing of the old context stays behind */
		dc->tc = 0;
		hal_wmb(iommu->hal);
		return 0;
	}

	if (rdev->pdt)
		riscv_iommu_pdt_write_pc0(rdev);
	dc->iohgatp = riscv_iommu_cpu_to_le64(want.iohgatp);
	dc->ta = riscv_iommu_cpu_to_le64(want.ta);
	dc->fsc = riscv_iommu_cpu_to_le64(want.fsc);
	if (iommu->dc_size == RISCV_IOMMU_DC_SIZE_EXT) {
		dc->msiptp = 0; /* MSI translation off */
		dc->msi_addr_mask = 0;
		dc->msi_addr_pattern = 0;
		dc->_reserved = 0;
	}
	hal_wmb(iommu->hal);
	dc->tc = riscv_iommu_cpu_to_le64(want.tc);
	hal_wmb(iommu->hal);

	riscv_iommu_cmd_iodir_inval_ddt(&cmds[0], true, rdev->did);
	ret = riscv_iommu_cmd_send_sync(iommu, cmds, 1);
	if (ret)
		riscv_iommu_err(iommu, "%s: DC update not confirmed (%d)", rdev->dev->name, ret);
	return ret;
}

/* Extended capability walk from 0x100 (bounded), pxdev layout as fallback. */
unsigned int riscv_iommu_pci_find_ext_cap(struct hal *h, uint16_t rid, uint16_t id)
{
	unsigned int pos = PCI_EXT_CAP_START, ttl = (4096 - PCI_EXT_CAP_START) / 8;
	unsigned int known = id == PCI_EXT_CAP_ID_ATS ? PXDEV_CFG_ATS :
			     id == PCI_EXT_CAP_ID_PRI ? PXDEV_CFG_PRI :
			     id == PCI_EXT_CAP_ID_PASID ? PXDEV_CFG_PASID : 0;
	uint32_t hdr;

	while (pos >= PCI_EXT_CAP_START && pos < 4096 && ttl--) {
		hdr = hal_pci_cfg_read(h, rid, pos, 4);
		if (hdr == 0 || hdr == 0xFFFFFFFFu)
			break;
		if (PCI_EXT_CAP_ID(hdr) == id)
			return pos;
		pos = PCI_EXT_CAP_NEXT(hdr);
	}
	if (known && PCI_EXT_CAP_ID(hal_pci_cfg_read(h, rid, known, 4)) == id)
		return known;
	return 0;
}

/*
 * A free slot of iommu->devs (grown by doubling when full), -ENOSPC when
 * RISCV_IOMMU_MAX_DEVS are taken, -ENOMEM. Caller holds dc_lock.
 */
static int riscv_iommu_dev_slot(struct riscv_iommu *iommu)
{
	struct riscv_iommu_device **n;
	unsigned int i, cap;

	for (i = 0; i < iommu->cap_dev_slots; i++)
		if (!iommu->devs[i])
			return (int)i;
	if (iommu->cap_dev_slots == RISCV_IOMMU_MAX_DEVS)
		return -ENOSPC;
	cap = iommu->cap_dev_slots ? 2 * iommu->cap_dev_slots : 16;
	if (cap > RISCV_IOMMU_MAX_DEVS)
		cap = RISCV_IOMMU_MAX_DEVS;
	n = realloc(iommu->devs, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(n + iommu->cap_dev_slots, 0, (cap - iommu->cap_dev_slots) * sizeof(*n));
	iommu->devs = n;
	i = iommu->cap_dev_slots;
	iommu->cap_dev_slots = cap;
	return (int)i;
}

/* Tell the IOMMU that directory tables changed on did's path (§18). */
static int riscv_iommu_ddt_sync(struct riscv_iommu *iommu, uint32_t did)
{
	struct riscv_iommu_command cmd;

	riscv_iommu_cmd_iodir_inval_ddt(&cmd, true, did);
	return riscv_iommu_cmd_send_sync(iommu, &cmd, 1);
}

/**
 * riscv_iommu_probe_device - iommu_ops.probe_device
 * @dev: a device behind this IOMMU (dev->iommu set by the core)
 *
 * Finds the device's DC in the directory, allocating the non-leaf and leaf
 * tables on its path (2LVL/3LVL) that do not exist yet; after a new table,
 * IODIR.INVAL_DDT of the device_id + IOFENCE.C.
 *
 * Return: 0, -ENODEV if the device_id does not fit the directory mode or the
 * device is not ours, -EEXIST if the id is taken, -ENOSPC if RISCV_IOMMU_MAX_DEVS
 * devices are probed, -ENOMEM, or the error of the IODIR command.
 */
int riscv_iommu_probe_device(struct device *dev)
{
	struct riscv_iommu *iommu;
	struct riscv_iommu_device *rdev;
	bool allocated = false;
	int slot, ret;

	if (!dev || !dev->iommu || dev->iommu->ops->probe_device != riscv_iommu_probe_device)
		return -ENODEV;
	iommu = dev->iommu->priv;
	if ((uint32_t)dev->rid >> iommu->did_bits) {
		riscv_iommu_err(iommu, "%s: device_id %#x needs more than the %u bits a %uLVL "
				"device directory resolves with %u-byte DCs; not supported",
				dev->name, dev->rid, iommu->did_bits,
				iommu->ddt_mode - RISCV_IOMMU_DDTP_MODE_1LVL + 1, iommu->dc_size);
		return -ENODEV;
	}
	if (riscv_iommu_find_dev(iommu, dev->rid)) {
		riscv_iommu_err(iommu, "%s: device_id %#x already probed", dev->name, dev->rid);
		return -EEXIST;
	}
	if (hal_should_fail(iommu->hal, "riscv_iommu.dev_alloc"))
		return -ENOMEM;
	rdev = calloc(1, sizeof(*rdev));
	if (!rdev)
		return -ENOMEM;
	rdev->iommu = iommu;
	rdev->dev = dev;
	rdev->did = dev->rid;
	INIT_LIST_HEAD(&rdev->domain_node);
	INIT_LIST_HEAD(&rdev->pasids);
	rdev->ats_cap = riscv_iommu_pci_find_ext_cap(iommu->hal, dev->rid, PCI_EXT_CAP_ID_ATS);
	rdev->pri_cap = riscv_iommu_pci_find_ext_cap(iommu->hal, dev->rid, PCI_EXT_CAP_ID_PRI);
	dev->pri_supported = rdev->pri_cap != 0;
	riscv_iommu_pdt_probe(rdev);

	hal_mutex_lock(iommu->dc_lock);
	if (riscv_iommu_find_dev(iommu, dev->rid)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	slot = riscv_iommu_dev_slot(iommu);
	if (slot == -ENOSPC)
		riscv_iommu_err(iommu, "%s: %u devices already probed", dev->name,
				RISCV_IOMMU_MAX_DEVS);
	if (slot < 0) {
		ret = slot;
		goto err_unlock;
	}
	rdev->dc = riscv_iommu_get_dc(iommu, rdev->did, true, &allocated);
	if (!rdev->dc) {
		riscv_iommu_err(iommu, "%s: cannot allocate the directory tables for device_id %#x",
				dev->name, dev->rid);
		ret = -ENOMEM;
		goto err_unlock;
	}
	if (allocated) {
		ret = riscv_iommu_ddt_sync(iommu, rdev->did);
		if (ret) {
			riscv_iommu_err(iommu, "%s: IODIR.INVAL_DDT after a new directory table "
					"failed (%d)", dev->name, ret);
			goto err_unlock;
		}
	}
	iommu->devs[slot] = rdev;
	if ((unsigned int)slot >= iommu->nr_dev_slots)
		iommu->nr_dev_slots = (unsigned int)slot + 1;
	dev->iommu_priv = rdev;
	hal_mutex_unlock(iommu->dc_lock);
	riscv_iommu_dbg(iommu, "%s: probed, device_id %#x, ATS cap %#x, PRI cap %#x", dev->name,
			dev->rid, rdev->ats_cap, rdev->pri_cap);
	return 0;

err_unlock:
	/* a table allocated on the way stays: it is empty and freed at remove */
	hal_mutex_unlock(iommu->dc_lock);
	riscv_iommu_pdt_release(rdev);
	free(rdev);
	return ret;
}

/* Linux pci_enable_ats(): STU 0 (4 KiB). */
static void riscv_iommu_pci_enable_ats(struct riscv_iommu_device *rdev)
{
	hal_pci_cfg_write(rdev->iommu->hal, (uint16_t)rdev->did, rdev->ats_cap + PCI_ATS_CTRL, 2,
			  PCI_ATS_CTRL_ENABLE | PCI_ATS_CTRL_STU(0));
	rdev->dev->ats_enabled = true;
}

/* Linux pci_disable_ats(), after an ATS.INVAL of the whole ATC and a fence. */
static void riscv_iommu_pci_disable_ats(struct riscv_iommu_device *rdev)
{
	struct riscv_iommu *iommu = rdev->iommu;
	struct riscv_iommu_command cmd;

	if (!rdev->dev->ats_enabled)
		return;
	riscv_iommu_cmd_ats_inval(&cmd, rdev->did, RISCV_IOMMU_CMD_ATS_INVAL_ALL);
	if (riscv_iommu_cmd_send_sync(iommu, &cmd, 1))
		riscv_iommu_err(iommu, "%s: ATC invalidation not confirmed", rdev->dev->name);
	hal_pci_cfg_write(iommu->hal, (uint16_t)rdev->did, rdev->ats_cap + PCI_ATS_CTRL, 2, 0);
	rdev->dev->ats_enabled = false;
}

/**
 * riscv_iommu_release_device - iommu_ops.release_device
 * @dev: the device
 *
 * Disables IOPF, blocks the device (DC invalid) and forgets it. Its
 * directory tables stay until the IOMMU is removed.
 */
void riscv_iommu_release_device(struct device *dev)
{
	struct riscv_iommu_device *rdev = dev ? dev_to_riscv(dev) : NULL;
	struct riscv_iommu *iommu;
	unsigned int i;

	if (!rdev)
		return;
	iommu = rdev->iommu;
	if (rdev->iopf_enabled)
		riscv_iommu_dev_disable_iopf(dev);
	riscv_iommu_attach_dev(NULL, dev);
	riscv_iommu_pci_disable_ats(rdev); /* a device without IOPF keeps ATS until here */
	riscv_iommu_pdt_release(rdev);

	hal_mutex_lock(iommu->dc_lock);
	/* no PQ/FQ record is being handled for it once we hold pq_lock */
	hal_mutex_lock(iommu->pq_lock);
	for (i = 0; i < iommu->nr_dev_slots; i++)
		if (iommu->devs[i] == rdev)
			iommu->devs[i] = NULL;
	while (iommu->nr_dev_slots && !iommu->devs[iommu->nr_dev_slots - 1])
		iommu->nr_dev_slots--;
	hal_mutex_unlock(iommu->pq_lock);
	dev->iommu_priv = NULL;
	hal_mutex_unlock(iommu->dc_lock);
	free(rdev);
}

/**
 * riscv_iommu_attach_dev - iommu_ops.attach_dev: program the device context
 * @domain: a paging domain of this IOMMU, or NULL to block the device
 * @dev: the device
 *
 * tc = V | EN_ATS (| SADE with AMO_HWAD) (| EN_PRI | PRPR while IOPF is enabled),
 * fsc = the Sv39/Sv48/Sv57 root of
 * the domain, ta.PSCID = the domain's PSCID. A second-stage domain gives
 * iohgatp = its root and GSCID with fsc Bare; a nested one the parent's
 * iohgatp with the user's fsc and PSCID. NULL writes V = 0.
 * Return: 0, -ENODEV, -EINVAL (foreign or non-paging domain), -ETIMEDOUT.
 * On a timeout the device is left blocked.
 */
int riscv_iommu_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct riscv_iommu_device *rdev = dev ? dev_to_riscv(dev) : NULL;
	struct riscv_iommu_domain *rd = domain ? to_riscv_domain(domain) : NULL;
	struct riscv_iommu_domain *old;
	struct riscv_iommu *iommu;
	int ret;

	if (!rdev)
		return -ENODEV;
	iommu = rdev->iommu;
	if (domain && (domain->iommu != &iommu->iommu || (domain->type != IOMMU_DOMAIN_PAGING &&
							   domain->type != IOMMU_DOMAIN_NESTED))) {
		riscv_iommu_err(iommu, "%s: cannot attach a domain of type %d from another IOMMU "
				"or of a type other than paging or nested", dev->name, domain->type);
		return -EINVAL;
	}
	/* a process directory holds first-stage contexts: no second stage beside it */
	if (rd && rd->kind != RISCV_IOMMU_DOMAIN_S1 && rdev->pdt)
		return -EBUSY;

	hal_mutex_lock(iommu->dc_lock);
	old = rdev->domain;
	if (old)
		list_del_init(&rdev->domain_node);
	rdev->domain = rd;
	if (rd)
		list_add_tail(&rdev->domain_node, &rd->devices);
	ret = riscv_iommu_dc_update(rdev, old != rd);
	if (ret && rdev->domain) {
		/* Leave the device blocked rather than half-programmed. */
		list_del_init(&rdev->domain_node);
		rdev->domain = NULL;
		rdev->dc->tc = 0;
		hal_wmb(iommu->hal);
	}
	hal_mutex_unlock(iommu->dc_lock);
	/* ATS with the first domain, as Linux enables it at attach; PRI only
	 * with IOPF (riscv_iommu_dev_enable_iopf) */
	if (!ret && rd && rdev->ats_cap && !dev->ats_enabled)
		riscv_iommu_pci_enable_ats(rdev);
	return ret;
}

/**
 * riscv_iommu_domain_detach_all - block every device still attached to @rd
 * @rd: a domain about to be freed
 */
void riscv_iommu_domain_detach_all(struct riscv_iommu_domain *rd)
{
	struct riscv_iommu *iommu = rd->iommu;
	struct riscv_iommu_device *rdev;

	hal_mutex_lock(iommu->dc_lock);
	while (!list_empty(&rd->devices)) {
		rdev = list_first_entry(&rd->devices, struct riscv_iommu_device, domain_node);
		riscv_iommu_warn(iommu, "%s: still attached to a domain being freed; blocking it",
				 rdev->dev->name);
		list_del_init(&rdev->domain_node);
		rdev->domain = NULL;
		riscv_iommu_dc_update(rdev, true);
	}
	hal_mutex_unlock(iommu->dc_lock);
	riscv_iommu_domain_remove_pasids(rd);
}

/*
 * The allocation the driver grants a device of @capacity, by
 * sw.driver.pri_alloc_policy. Linux VT-d caps it at its PRQ depth, AMD grants
 * 32 to every device; "queue" and "share" size it from the page-request queue
 * this device feeds: all of its usable entries, or an equal share of them
 * among the PCI functions behind this IOMMU (every one is PRI-capable), so that compliant devices
 * cannot overflow it (SMMUv3 ch. 8's host-side budget).
 */
static uint32_t riscv_iommu_pri_alloc(struct riscv_iommu *iommu, uint32_t capacity)
{
	uint64_t usable = iommu->priq.mask, want = capacity;
	unsigned int n;

	switch (iommu->pri_alloc_policy) {
	case RISCV_IOMMU_PRI_ALLOC_CAP:
		want = iommu->pri_alloc_max;
		break;
	case RISCV_IOMMU_PRI_ALLOC_FIXED:
		/* above the capacity is refused at load; never grant more */
		want = iommu->pri_alloc_fixed;
		break;
	case RISCV_IOMMU_PRI_ALLOC_QUEUE:
		want = usable;
		break;
	case RISCV_IOMMU_PRI_ALLOC_SHARE:
		n = hal_pci_dev_count(iommu->hal);
		want = n ? usable / n : usable;
		if (!want)
			want = 1;
		break;
	}
	return want < capacity ? (uint32_t)want : capacity;
}

/* Linux pci_enable_pri(): Stopped required, Allocation by the policy. */
static int riscv_iommu_pci_enable_pri(struct riscv_iommu_device *rdev)
{
	struct riscv_iommu *iommu = rdev->iommu;
	struct hal *h = iommu->hal;
	uint16_t rid = (uint16_t)rdev->did;
	unsigned int pos = rdev->pri_cap;
	uint32_t capacity, alloc;

	/* Clear RF/UPRGI and bookkeeping left by an earlier life (pci_reset_pri). */
	hal_pci_cfg_write(h, rid, pos + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_RESET);
	capacity = hal_pci_cfg_read(h, rid, pos + PCI_PRI_MAX_REQ, 4);
	alloc = riscv_iommu_pri_alloc(iommu, capacity);
	if (!alloc)
		riscv_iommu_warn(iommu, "%s: PRI allocation is 0 (capacity %u, "
				 "sw.driver.pri_alloc_policy): the device cannot send page "
				 "requests", rdev->dev->name, capacity);
	hal_pci_cfg_write(h, rid, pos + PCI_PRI_ALLOC_REQ, 4, alloc);
	hal_pci_cfg_write(h, rid, pos + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
	riscv_iommu_info(iommu, "%s: PRI enabled, %u of %u outstanding page requests allocated%s",
			 rdev->dev->name, alloc, capacity,
			 rdev->prpr ? ", responses carry the PASID" : "");
	return 0;
}

/**
 * riscv_iommu_dev_enable_iopf - iommu_ops.dev_enable_iopf
 * @dev: a device with ATS and PRI capabilities
 *
 * Order (spec §18 "ATS/PRI enable"): join the iopf queue, set EN_PRI (and
 * PRPR if the device requires PASIDs in responses) in the DC through the safe
 * update, then enable ATS (STU = 0) and PRI in the device.
 * Return: 0, -ENODEV (no ATS/PRI capability), -EBUSY (already enabled, or
 * PRI not stopped), or the error of iopf_queue_add_device / the DC update.
 */
int riscv_iommu_dev_enable_iopf(struct device *dev)
{
	struct riscv_iommu_device *rdev = dev ? dev_to_riscv(dev) : NULL;
	struct riscv_iommu *iommu;
	uint16_t rid, status, ctrl;
	int ret;

	if (!rdev)
		return -ENODEV;
	iommu = rdev->iommu;
	rid = (uint16_t)rdev->did;
	if (rdev->iopf_enabled)
		return -EBUSY;
	if (!rdev->ats_cap || !rdev->pri_cap) {
		riscv_iommu_err(iommu, "%s: cannot enable IOPF: no %s capability", dev->name,
				!rdev->ats_cap ? "ATS" : "PRI");
		return -ENODEV;
	}
	ctrl = (uint16_t)hal_pci_cfg_read(iommu->hal, rid, rdev->pri_cap + PCI_PRI_CTRL, 2);
	status = (uint16_t)hal_pci_cfg_read(iommu->hal, rid, rdev->pri_cap + PCI_PRI_STATUS, 2);
	if ((ctrl & PCI_PRI_CTRL_ENABLE) || !(status & PCI_PRI_STATUS_STOPPED)) {
		riscv_iommu_err(iommu, "%s: cannot enable PRI: %s (ctrl %#x status %#x)", dev->name,
				ctrl & PCI_PRI_CTRL_ENABLE ? "already enabled" :
				"page requests outstanding", ctrl, status);
		return -EBUSY;
	}

	ret = iopf_queue_add_device(iommu->iommu.iopf_queue, dev);
	if (ret) {
		riscv_iommu_err(iommu, "%s: iopf_queue_add_device failed (%d)", dev->name, ret);
		return ret;
	}

	hal_mutex_lock(iommu->dc_lock);
	rdev->prpr = !!(status & PCI_PRI_STATUS_PASID);
	rdev->iopf_enabled = true;
	ret = riscv_iommu_dc_update(rdev, false);
	if (ret) {
		rdev->iopf_enabled = false;
		riscv_iommu_dc_update(rdev, false);
	}
	hal_mutex_unlock(iommu->dc_lock);
	if (ret)
		goto err_remove;

	/* ATS first: PRI is useless without translation requests. */
	if (!dev->ats_enabled)
		riscv_iommu_pci_enable_ats(rdev);
	riscv_iommu_pci_enable_pri(rdev);
	dev->pri_enabled = true;
	return 0;

err_remove:
	iopf_queue_remove_device(iommu->iommu.iopf_queue, dev);
	return ret;
}

/**
 * riscv_iommu_dev_disable_iopf - iommu_ops.dev_disable_iopf
 * @dev: the device
 *
 * The order Linux documents for iopf_queue_remove_device(): stop PRI
 * reception in the IOMMU (EN_PRI/PRPR off in the DC, IODIR.INVAL_DDT), flush
 * the PQ (its records reach the core, which answers what is pending when the
 * device leaves the iopf queue), iopf_queue_remove_device, then PRI off in
 * the device; last ATS.INVAL of the device ATC + IOFENCE.C and ATS off.
 */
void riscv_iommu_dev_disable_iopf(struct device *dev)
{
	struct riscv_iommu_device *rdev = dev ? dev_to_riscv(dev) : NULL;
	struct riscv_iommu *iommu;
	uint16_t rid;

	if (!rdev || !rdev->iopf_enabled)
		return;
	iommu = rdev->iommu;
	rid = (uint16_t)rdev->did;

	/* Stop PRI reception in the IOMMU: from here the IOMMU answers the
	 * device's page requests itself (EN_PRI = 0: Invalid Request). */
	hal_mutex_lock(iommu->dc_lock);
	rdev->iopf_enabled = false;
	rdev->prpr = false;
	riscv_iommu_dc_update(rdev, false);
	hal_mutex_unlock(iommu->dc_lock);
	/* Flush the hardware queue: its records reach the core, which answers
	 * what is still pending when the device leaves the iopf queue. */
	riscv_iommu_priq_process(iommu);
	iopf_queue_remove_device(iommu->iommu.iopf_queue, dev);
	/* Only then disable PRI in the device. */
	hal_pci_cfg_write(iommu->hal, rid, rdev->pri_cap + PCI_PRI_CTRL, 2, 0);
	dev->pri_enabled = false;

	riscv_iommu_pci_disable_ats(rdev);
	riscv_iommu_info(iommu, "%s: PRI and ATS disabled", dev->name);
}
