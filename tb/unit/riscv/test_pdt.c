// SPDX-License-Identifier: Apache-2.0
/*
 * Description: PASIDs (pdt.c): max_pasids and the PD mode from the IOMMU's
 * PD8/PD17/PD20 and the device's PASID capability, PASID Enable; the first
 * set_dev_pasid converting the DC to PDTV + DPE with pdtp in fsc and the
 * RID's domain in PC[0]; PC contents; IODIR.INVAL_PDT (DID, PID), IOTINVAL by
 * PSCID and ATS.INVAL with the PASID on a replace; remove_dev_pasid; the RID
 * detached with PASIDs attached; PD17 tables; refusals and allocation
 * failures; release.
 */
#include <errno.h>

#include "rv_test.h"

#define PDT_RID 5

struct pdt_env {
	struct rv_env e;
	struct device dev;
	struct iommu_domain *d0, *d1, *d2;
	const struct iommu_ops *ops;
};

/* An IOMMU with @caps added, one device whose PASID capability has @width. */
static struct pdt_env *pdt_up(uint64_t caps, unsigned int width)
{
	struct pdt_env *p = calloc(1, sizeof(*p));
	struct rv_fake_pci *f;

	assert_non_null(p);
	p->e.rv = rv_fake_create();
	p->e.h = p->e.rv->hal;
	p->e.rv->iommu.caps |= caps;
	p->e.iommu = rv_probe(p->e.h);
	p->ops = p->e.iommu->iommu.ops;
	f = rv_fake_add_pci(p->e.rv, PDT_RID, 64);
	f->cfg[0x125] = (uint8_t)width; /* PASID Capability, Max PASID Width 12:8 */
	rv_fake_device_init(p->e.rv, &p->dev, PDT_RID, &p->e.iommu->iommu);
	assert_int_equal(p->ops->probe_device(&p->dev), 0);
	p->d0 = p->ops->domain_alloc_paging(&p->dev);
	p->d1 = p->ops->domain_alloc_paging(&p->dev);
	p->d2 = p->ops->domain_alloc_paging(&p->dev);
	assert_non_null(p->d0);
	assert_non_null(p->d1);
	assert_non_null(p->d2);
	return p;
}

static void pdt_down(struct pdt_env *p)
{
	p->ops->release_device(&p->dev);
	p->d0->ops->free(p->d0);
	p->d1->ops->free(p->d1);
	p->d2->ops->free(p->d2);
	rv_env_down(&p->e);
	free(p);
}

static int pd8_setup(void **state)
{
	*state = pdt_up(RISCV_IOMMU_CAPABILITIES_PD8, 20);
	return 0;
}

static int pdt_teardown(void **state)
{
	pdt_down(*state);
	return 0;
}

static uint16_t pasid_ctrl(struct pdt_env *p)
{
	return (uint16_t)hal_pci_cfg_read(p->e.h, PDT_RID, 0x126, 2);
}

static const struct riscv_iommu_pc *pc_of(struct pdt_env *p, uint32_t pid)
{
	const struct riscv_iommu_pc *root = dev_to_riscv(&p->dev)->pdt;

	assert_non_null(root);
	assert_true(pid < 256);
	return &root[pid];
}

static uint64_t pc_ta(const struct iommu_domain *d)
{
	return RISCV_IOMMU_PC_TA_V | ((uint64_t)to_riscv_domain((struct iommu_domain *)d)->pscid
				      << 12);
}

static uint64_t pc_fsc(const struct iommu_domain *d)
{
	return (UINT64_C(8) << 60) | (to_riscv_domain((struct iommu_domain *)d)->pgd_pa >> 12);
}

/* Index of the first command (op, func) at or after @from, or -1. */
static int find_cmd(struct rv_fake *rv, unsigned int from, unsigned int op, unsigned int func)
{
	unsigned int i;

	for (i = from; i < rv->iommu.ncmds; i++)
		if (rv_cmd_op(&rv->iommu.cmds[i]) == op && rv_cmd_func(&rv->iommu.cmds[i]) == func)
			return (int)i;
	return -1;
}

/* max_pasids = min(2^device width, 2^deepest PD), mode the shallowest that fits. */
static void test_probe_max_pasids(void **state)
{
	static const struct {
		uint64_t caps;
		unsigned int width;
		uint32_t max_pasids;
		unsigned int mode;
	} cases[] = {
		{ RISCV_IOMMU_CAPABILITIES_PD8, 20, 256, RISCV_IOMMU_PDTP_MODE_PD8 },
		{ RISCV_IOMMU_CAPABILITIES_PD8 | RISCV_IOMMU_CAPABILITIES_PD17, 20, 1u << 17,
		  RISCV_IOMMU_PDTP_MODE_PD17 },
		{ RISCV_IOMMU_CAPABILITIES_PD8 | RISCV_IOMMU_CAPABILITIES_PD20, 5, 32,
		  RISCV_IOMMU_PDTP_MODE_PD8 },
		{ RISCV_IOMMU_CAPABILITIES_PD8 | RISCV_IOMMU_CAPABILITIES_PD20, 10, 1024,
		  RISCV_IOMMU_PDTP_MODE_PD20 },
		{ RISCV_IOMMU_CAPABILITIES_PD17 | RISCV_IOMMU_CAPABILITIES_PD20, 20, 1u << 20,
		  RISCV_IOMMU_PDTP_MODE_PD20 },
		{ 0, 20, 0, 0 },
		{ RISCV_IOMMU_CAPABILITIES_PD8, 0, 0, 0 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pdt_env *p = pdt_up(cases[i].caps, cases[i].width);

		assert_int_equal(p->dev.max_pasids, cases[i].max_pasids);
		/* looked for only with process directories */
		assert_int_equal(dev_to_riscv(&p->dev)->pasid_cap, cases[i].caps ? 0x120 : 0);
		if (cases[i].max_pasids) {
			assert_int_equal(dev_to_riscv(&p->dev)->pdt_mode, cases[i].mode);
			assert_int_equal(pasid_ctrl(p), PCI_PASID_CTRL_ENABLE);
		} else {
			assert_int_equal(pasid_ctrl(p), 0);
		}
		/* nothing is programmed before a PASID is attached */
		assert_null(dev_to_riscv(&p->dev)->pdt);
		pdt_down(p);
	}
}

/*
 * The first PASID: PC[0] = the RID's domain, PC[3] = d1, then the DC moves to
 * PDTV | DPE with pdtp = PD8 | root (the invalidation of the old DC first),
 * then IODIR.INVAL_PDT (DID 5, PID 3) + IOFENCE.C.
 */
static void test_first_pasid_converts_dc(void **state)
{
	struct pdt_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	struct riscv_iommu_device *rdev = dev_to_riscv(&p->dev);
	const struct riscv_iommu_dc *dc = rv_dc(&p->e, PDT_RID);
	const struct riscv_iommu_command *c;
	uint64_t tc = RISCV_IOMMU_DC_TC_V | RISCV_IOMMU_DC_TC_EN_ATS | RISCV_IOMMU_DC_TC_PDTV |
		      RISCV_IOMMU_DC_TC_DPE;
	int i;

	assert_int_equal(p->ops->attach_dev(p->d0, &p->dev), 0);
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, 3, NULL), 0);
	assert_non_null(rdev->pdt);
	assert_int_equal(rdev->pdt_pa & 0xFFF, 0);
	assert_int_equal(dc->tc, tc);
	assert_int_equal(dc->ta, 0);
	assert_int_equal(dc->fsc, ((uint64_t)RISCV_IOMMU_PDTP_MODE_PD8 << 60) | (rdev->pdt_pa >> 12));
	assert_int_equal(pc_of(p, 0)->ta, pc_ta(p->d0));
	assert_int_equal(pc_of(p, 0)->fsc, pc_fsc(p->d0));
	assert_int_equal(pc_of(p, 3)->ta, pc_ta(p->d1));
	assert_int_equal(pc_of(p, 3)->fsc, pc_fsc(p->d1));
	assert_int_equal(pc_of(p, 1)->ta, 0);
	assert_int_equal(pc_of(p, 4)->ta, 0);

	/* V = 0: IODIR.INVAL_DDT + IOTINVAL(d0's PSCID) + fence; new DC: IODIR + fence */
	c = rv_cmd(rv, 0);
	assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_IODIR_OPCODE);
	assert_int_equal(rv_cmd_func(c), RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_DDT);
	assert_int_equal(rv->iommu.dc_tc_seen[0] & RISCV_IOMMU_DC_TC_V, 0);
	c = rv_cmd(rv, 1);
	assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_IOTINVAL_OPCODE);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_PSCID, c->dword0),
			 to_riscv_domain(p->d0)->pscid);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 2)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_int_equal(rv_cmd_func(rv_cmd(rv, 3)), RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_DDT);
	assert_int_equal(rv->iommu.dc_tc_seen[3], tc);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 4)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	i = find_cmd(rv, 5, RISCV_IOMMU_CMD_IODIR_OPCODE, RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT);
	assert_int_equal(i, 5);
	c = rv_cmd(rv, 5);
	assert_true(c->dword0 & RISCV_IOMMU_CMD_IODIR_DV);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_DID, c->dword0), PDT_RID);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_PID, c->dword0), 3);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 6)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_int_equal(rv->iommu.ncmds, 7);

	/* a second PASID: only its PC and IODIR.INVAL_PDT + fence, the DC stays */
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d2->ops->set_dev_pasid(p->d2, &p->dev, 7, NULL), 0);
	assert_int_equal(rv->iommu.ncmds, 2);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_PID, rv_cmd(rv, 0)->dword0), 7);
	assert_int_equal(rv_cmd_func(rv_cmd(rv, 0)), RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT);
	assert_int_equal(pc_of(p, 7)->ta, pc_ta(p->d2));
	assert_int_equal(dc->tc, tc);
	assert_int_equal(fake_hal_log_count(p->e.h, HAL_LOG_WARN), 0);

	p->ops->remove_dev_pasid(&p->dev, 3, p->d1);
	p->ops->remove_dev_pasid(&p->dev, 7, p->d2);
}

/*
 * A PASID before the RID is attached: PC[0] stays invalid (PASID-less
 * requests fault 266), the DC is valid for the PASIDs. Attaching the RID
 * then writes PC[0]; detaching it clears PC[0] and keeps PC[3].
 */
static void test_rid_follows_pc0(void **state)
{
	struct pdt_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	const struct riscv_iommu_dc *dc = rv_dc(&p->e, PDT_RID);

	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, 3, NULL), 0);
	assert_true(dc->tc & RISCV_IOMMU_DC_TC_V);
	assert_true(dc->tc & RISCV_IOMMU_DC_TC_PDTV);
	assert_int_equal(pc_of(p, 0)->ta, 0);

	assert_int_equal(p->ops->attach_dev(p->d0, &p->dev), 0);
	assert_int_equal(pc_of(p, 0)->ta, pc_ta(p->d0));
	assert_int_equal(pc_of(p, 0)->fsc, pc_fsc(p->d0));
	assert_true(dc->tc & RISCV_IOMMU_DC_TC_PDTV);

	rv->iommu.ncmds = 0;
	assert_int_equal(p->ops->attach_dev(NULL, &p->dev), 0);
	assert_int_equal(pc_of(p, 0)->ta, 0);
	assert_int_equal(pc_of(p, 3)->ta, pc_ta(p->d1));
	assert_true(dc->tc & RISCV_IOMMU_DC_TC_V);
	/* the RID's PSCID (PC[0]'s) was invalidated */
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_PSCID, rv_cmd(rv, 1)->dword0),
			 to_riscv_domain(p->d0)->pscid);
	p->ops->remove_dev_pasid(&p->dev, 3, p->d1);
}

/*
 * Replace: V = 0, IODIR.INVAL_PDT + IOTINVAL(old PSCID) + ATS.INVAL(PV, PASID),
 * fence; the new PC; IODIR.INVAL_PDT + fence. A wrong @old is refused.
 */
static void test_replace_pasid(void **state)
{
	struct pdt_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	const struct riscv_iommu_command *c;

	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, 9, NULL), 0);
	assert_int_equal(p->d2->ops->set_dev_pasid(p->d2, &p->dev, 9, NULL), -EINVAL);
	assert_int_equal(p->d2->ops->set_dev_pasid(p->d2, &p->dev, 9, p->d0), -EINVAL);
	p->dev.ats_enabled = true;
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d2->ops->set_dev_pasid(p->d2, &p->dev, 9, p->d1), 0);
	assert_int_equal(rv->iommu.ncmds, 6);
	c = rv_cmd(rv, 0);
	assert_int_equal(rv_cmd_func(c), RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_PID, c->dword0), 9);
	c = rv_cmd(rv, 1);
	assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_IOTINVAL_OPCODE);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_PSCID, c->dword0),
			 to_riscv_domain(p->d1)->pscid);
	c = rv_cmd(rv, 2);
	assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_ATS_OPCODE);
	assert_true(c->dword0 & RISCV_IOMMU_CMD_ATS_PV);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_ATS_PID, c->dword0), 9);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_ATS_RID, c->dword0), PDT_RID);
	assert_int_equal(c->dword1, RISCV_IOMMU_CMD_ATS_INVAL_ALL);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 3)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_int_equal(rv_cmd_func(rv_cmd(rv, 4)), RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 5)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_int_equal(pc_of(p, 9)->ta, pc_ta(p->d2));
	assert_int_equal(pc_of(p, 9)->fsc, pc_fsc(p->d2));
	/* the same domain again: nothing to do */
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d2->ops->set_dev_pasid(p->d2, &p->dev, 9, p->d2), 0);
	assert_int_equal(rv->iommu.ncmds, 0);

	/* unmap in d2 reaches the PASID's ATC entries (ATS.INVAL with PV) */
	assert_int_equal(p->d2->ops->map_pages(p->d2, 0x10000, 0x80000000, 4096, IOMMU_READ), 0);
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d2->ops->unmap_pages(p->d2, 0x10000, 4096), 4096);
	c = rv_cmd(rv, (unsigned int)find_cmd(rv, 0, RISCV_IOMMU_CMD_ATS_OPCODE,
					      RISCV_IOMMU_CMD_ATS_FUNC_INVAL));
	assert_true(c->dword0 & RISCV_IOMMU_CMD_ATS_PV);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_ATS_PID, c->dword0), 9);
	assert_int_equal(c->dword1, 0x10000);
	p->dev.ats_enabled = false;
	p->ops->remove_dev_pasid(&p->dev, 9, p->d2);
}

/* remove_dev_pasid: PC cleared, IODIR.INVAL_PDT + IOTINVAL(PSCID) + fence; DC stays. */
static void test_remove_dev_pasid(void **state)
{
	struct pdt_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	const struct riscv_iommu_command *c;

	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, 3, NULL), 0);
	rv->iommu.ncmds = 0;
	p->ops->remove_dev_pasid(&p->dev, 3, p->d1);
	assert_int_equal(pc_of(p, 3)->ta, 0);
	assert_int_equal(pc_of(p, 3)->fsc, 0);
	assert_int_equal(rv->iommu.ncmds, 3);
	c = rv_cmd(rv, 0);
	assert_int_equal(rv_cmd_func(c), RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_PID, c->dword0), 3);
	c = rv_cmd(rv, 1);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_PSCID, c->dword0),
			 to_riscv_domain(p->d1)->pscid);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 2)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_true(rv_dc(&p->e, PDT_RID)->tc & RISCV_IOMMU_DC_TC_PDTV);
	assert_true(list_empty(&dev_to_riscv(&p->dev)->pasids));
	/* removing it again is only a warning */
	rv->iommu.ncmds = 0;
	p->ops->remove_dev_pasid(&p->dev, 3, p->d1);
	assert_int_equal(rv->iommu.ncmds, 0);
	assert_non_null(strstr(fake_hal_last_log(p->e.h, HAL_LOG_WARN), "not attached"));
	/* it can be attached again */
	assert_int_equal(p->d2->ops->set_dev_pasid(p->d2, &p->dev, 3, NULL), 0);
	assert_int_equal(pc_of(p, 3)->ta, pc_ta(p->d2));
	/* a domain freed while attached at a PASID blocks it first */
	p->d2->ops->free(p->d2);
	assert_int_equal(pc_of(p, 3)->ta, 0);
	p->d2 = p->ops->domain_alloc_paging(&p->dev);
}

/* PD17: PC of 0x1234 in the leaf table named by root entry PDI[1] = 0x12. */
static void test_pd17_tables(void **state)
{
	struct pdt_env *p = pdt_up(RISCV_IOMMU_CAPABILITIES_PD17, 17);
	struct riscv_iommu_device *rdev = dev_to_riscv(&p->dev);
	const uint64_t *root;
	const struct riscv_iommu_pc *leaf;
	uint64_t pdte;

	(void)state;
	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, 0x1234, NULL), 0);
	assert_int_equal(rdev->pdt_mode, RISCV_IOMMU_PDTP_MODE_PD17);
	assert_int_equal(rv_dc(&p->e, PDT_RID)->fsc >> 60, RISCV_IOMMU_PDTP_MODE_PD17);
	/* tables for PC[0] (PDI[1] = 0) and PC[0x1234] (PDI[1] = 0x12) */
	assert_int_equal(rdev->pdt_pages, 2);
	root = rdev->pdt;
	assert_true(root[0] & RISCV_IOMMU_PDTE_V);
	pdte = root[0x12];
	assert_int_equal(pdte & ~RISCV_IOMMU_PDTE_PPN, RISCV_IOMMU_PDTE_V);
	leaf = hal_phys_to_virt(p->e.h, RV_FIELD_GET(RISCV_IOMMU_PDTE_PPN, pdte) << 12);
	assert_non_null(leaf);
	assert_int_equal(leaf[0x34].ta, pc_ta(p->d1));
	assert_int_equal(leaf[0x34].fsc, pc_fsc(p->d1));
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_PID,
				      rv_cmd(p->e.rv, p->e.rv->iommu.ncmds - 2)->dword0),
			 0x1234);
	/* released with the PASID still attached: blocked, tables freed (no leak) */
	pdt_down(p);
}

/* Refusals: no PASIDs, PASID 0 or beyond max_pasids, a foreign domain. */
static void test_refusals(void **state)
{
	struct pdt_env *p = pdt_up(0, 20);
	struct iommu_device other = { 0 };

	(void)state;
	/* no PD8/PD17/PD20: max_pasids 0, so every PASID is out of range (the
	 * core refuses it first, Linux's -EINVAL) */
	assert_int_equal(p->dev.max_pasids, 0);
	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, 1, NULL), -EINVAL);
	assert_null(dev_to_riscv(&p->dev)->pdt);
	assert_int_equal(rv_dc(&p->e, PDT_RID)->tc, 0);
	pdt_down(p);

	p = pdt_up(RISCV_IOMMU_CAPABILITIES_PD8, 4);
	assert_int_equal(p->dev.max_pasids, 16);
	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, IOMMU_NO_PASID, NULL), -EINVAL);
	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, 16, NULL), -EINVAL);
	p->d1->iommu = &other;
	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, 1, NULL), -EINVAL);
	p->d1->iommu = &p->e.iommu->iommu;
	assert_null(dev_to_riscv(&p->dev)->pdt);
	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, 15, NULL), 0);
	pdt_down(p);
}

/* Allocation failures leave the DC and the PDT as they were, nothing leaks. */
static void test_alloc_failures(void **state)
{
	struct pdt_env *p = pdt_up(RISCV_IOMMU_CAPABILITIES_PD17, 17);
	struct riscv_iommu_device *rdev = dev_to_riscv(&p->dev);
	const struct riscv_iommu_dc *dc = rv_dc(&p->e, PDT_RID);
	unsigned int nth;
	int ret;

	(void)state;
	assert_int_equal(p->ops->attach_dev(p->d0, &p->dev), 0);
	for (nth = 1;; nth++) {
		fake_hal_fail_nth(p->e.h, nth);
		ret = p->d1->ops->set_dev_pasid(p->d1, &p->dev, 0x300, NULL);
		if (!fake_hal_failed(p->e.h)) {
			assert_int_equal(ret, 0);
			break;
		}
		assert_int_equal(ret, -ENOMEM);
		assert_null(rdev->pdt);
		assert_int_equal(rdev->pdt_pages, 0);
		assert_int_equal(dc->tc & RISCV_IOMMU_DC_TC_PDTV, 0);
		assert_true(dc->tc & RISCV_IOMMU_DC_TC_V);
		assert_int_equal(dc->ta, (uint64_t)to_riscv_domain(p->d0)->pscid << 12);
	}
	fake_hal_fail_nth(p->e.h, 0);
	assert_true(nth > 1);
	/* with the directory in place, a PASID needing a new leaf table */
	fake_hal_fail_nth(p->e.h, 1);
	assert_int_equal(p->d2->ops->set_dev_pasid(p->d2, &p->dev, 0x1000, NULL), -ENOMEM);
	fake_hal_fail_nth(p->e.h, 0);
	assert_true(!list_empty(&rdev->pasids) && rdev->pasids.next == rdev->pasids.prev);
	assert_true(dc->tc & RISCV_IOMMU_DC_TC_PDTV);
	pdt_down(p);
}

/* release_device: DC off before the directory is freed, PASID Enable cleared. */
static void test_release(void **state)
{
	struct pdt_env *p = pdt_up(RISCV_IOMMU_CAPABILITIES_PD8, 8);

	(void)state;
	assert_int_equal(p->ops->attach_dev(p->d0, &p->dev), 0);
	assert_int_equal(p->d1->ops->set_dev_pasid(p->d1, &p->dev, 2, NULL), 0);
	p->ops->remove_dev_pasid(&p->dev, 2, p->d1);
	p->ops->release_device(&p->dev);
	assert_int_equal(rv_dc(&p->e, PDT_RID)->tc, 0);
	assert_int_equal(pasid_ctrl(p), 0);
	assert_int_equal(p->dev.max_pasids, 0);
	assert_int_equal(fake_hal_log_count(p->e.h, HAL_LOG_WARN), 0);
	p->d0->ops->free(p->d0);
	p->d1->ops->free(p->d1);
	p->d2->ops->free(p->d2);
	rv_env_down(&p->e);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_max_pasids),
		cmocka_unit_test_setup_teardown(test_first_pasid_converts_dc, pd8_setup, pdt_teardown),
		cmocka_unit_test_setup_teardown(test_rid_follows_pc0, pd8_setup, pdt_teardown),
		cmocka_unit_test_setup_teardown(test_replace_pasid, pd8_setup, pdt_teardown),
		cmocka_unit_test_setup_teardown(test_remove_dev_pasid, pd8_setup, pdt_teardown),
		cmocka_unit_test(test_pd17_tables),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
