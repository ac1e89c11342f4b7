// SPDX-License-Identifier: Apache-2.0
/*
 * Description: second-stage domains (nesting parents: Sv39x4 table with a
 * 16 KiB root, GSCID, IOTINVAL.GVMA) and nested domains (the user's first
 * stage from struct iommu_hwpt_riscv_iommu: every refusal, the device
 * context with both stages, the first-stage walk that tells the two
 * stages' faults apart, and the invalidations when they go).
 */
#include <errno.h>

#include "rv_test.h"

struct nest_env {
	struct rv_env e;
	struct device dev;
	const struct iommu_ops *ops;
	struct iommu_domain *g;    /* nesting parent */
	struct iommu_hwpt_riscv_iommu data;
	uint64_t *gpage[4];        /* guest pages, CPU view */
	hal_paddr_t gpa_pa[4];
};

#define GPA_ROOT  UINT64_C(0x10000)
#define GPA_L1    UINT64_C(0x11000)
#define GPA_L0    UINT64_C(0x12000)
#define GPA_DATA  UINT64_C(0x40000000)
#define GPA_PDT   UINT64_C(0x13000)
#define IOVA      UINT64_C(0x12345000)

/* stage1_translate of a request for @iova (with PASID @pasid if pv). */
static int s1_pasid(struct iommu_domain *d, uint64_t iova, uint32_t perm, bool pv, uint32_t pasid,
		    uint64_t *gpa)
{
	struct iommu_fault_page_request prm = {
		.flags = pv ? IOMMU_FAULT_PAGE_REQUEST_PASID_VALID : 0,
		.pasid = pasid,
		.addr = iova,
		.perm = perm,
	};

	return d->ops->stage1_translate(d, &prm, gpa);
}

static int s1(struct iommu_domain *d, uint64_t iova, uint32_t perm, uint64_t *gpa)
{
	return s1_pasid(d, iova, perm, false, 0, gpa);
}

static int nest_setup(void **state)
{
	struct nest_env *p = calloc(1, sizeof(*p));
	int err = 0;

	rv_env_up(&p->e);
	p->e.iommu->caps |= RISCV_IOMMU_CAPABILITIES_SV39X4 | RISCV_IOMMU_CAPABILITIES_AMO_HWAD;
	p->ops = p->e.iommu->iommu.ops;
	rv_add_dev(&p->e, &p->dev, 5, 64);
	p->g = p->ops->domain_alloc_paging_flags(&p->dev, IOMMU_HWPT_ALLOC_NEST_PARENT, &err);
	assert_non_null(p->g);
	p->g->type = IOMMU_DOMAIN_PAGING;
	p->data = (struct iommu_hwpt_riscv_iommu){
		.dc_tc = RISCV_IOMMU_DC_TC_V,
		.dc_ta = UINT64_C(7) << 12,
		.dc_fsc = (UINT64_C(8) << 60) | (GPA_ROOT >> 12),
	};
	*state = p;
	return 0;
}

static int nest_teardown(void **state)
{
	struct nest_env *p = *state;
	unsigned int i;

	p->ops->release_device(&p->dev);
	p->g->ops->free(p->g);
	for (i = 0; i < 4; i++)
		if (p->gpage[i])
			hal_dma_free(p->e.h, p->gpage[i], 4096);
	rv_env_down(&p->e);
	free(p);
	return 0;
}

static struct iommu_domain *nest_alloc(struct nest_env *p, const void *data, size_t len, int *err)
{
	struct iommu_domain *d = p->ops->domain_alloc_nested(&p->dev, p->g,
							     IOMMU_HWPT_DATA_RISCV_IOMMU, data, len,
							     err);

	if (d) {
		d->type = IOMMU_DOMAIN_NESTED;
		d->parent = p->g;
	}
	return d;
}

/* Guest page i at guest-physical @gpa, backed and mapped by the parent. */
static void nest_guest_page(struct nest_env *p, unsigned int i, uint64_t gpa)
{
	p->gpage[i] = hal_dma_alloc(p->e.h, 4096, 4096, &p->gpa_pa[i]);
	assert_non_null(p->gpage[i]);
	memset(p->gpage[i], 0, 4096);
	assert_int_equal(p->g->ops->map_pages(p->g, gpa, p->gpa_pa[i], 4096,
					      IOMMU_READ | IOMMU_WRITE), 0);
}

static void test_nest_parent_is_gstage(void **state)
{
	struct nest_env *p = *state;
	struct riscv_iommu_domain *g = to_riscv_domain(p->g);
	struct iommu_domain *d;
	int err = 0;

	assert_int_equal(g->kind, RISCV_IOMMU_DOMAIN_G);
	assert_int_not_equal(g->gscid, 0);
	/* the root is 16 KiB and 16 KiB aligned (iohgatp, §3.1.3) */
	assert_int_equal(g->pgd_pa & 0x3FFF, 0);
	assert_int_equal(riscv_iommu_iohgatp(g),
			 (UINT64_C(8) << 60) | ((uint64_t)g->gscid << 44) | (g->pgd_pa >> 12));
	/* a GPA with bit 40 set is in range (41 bits), bit 41 is not; no sign extension */
	assert_int_equal(p->g->ops->map_pages(p->g, UINT64_C(1) << 40, g->pgd_pa, 4096,
					      IOMMU_READ), 0);
	assert_int_equal(p->g->ops->iova_to_phys(p->g, UINT64_C(1) << 40), g->pgd_pa);
	assert_int_equal(p->g->ops->map_pages(p->g, UINT64_C(1) << 41, g->pgd_pa, 4096,
					      IOMMU_READ), -EINVAL);
	/* an unmap is a GVMA in the GSCID (GV = 1, AV, the GPA), then a fence */
	p->e.rv->iommu.ncmds = 0;
	assert_int_equal(p->g->ops->unmap_pages(p->g, UINT64_C(1) << 40, 4096), 4096);
	assert_int_equal(rv_cmd_op(rv_cmd(p->e.rv, 0)), RISCV_IOMMU_CMD_IOTINVAL_OPCODE);
	assert_int_equal(rv_cmd_func(rv_cmd(p->e.rv, 0)), RISCV_IOMMU_CMD_IOTINVAL_FUNC_GVMA);
	assert_true(rv_cmd(p->e.rv, 0)->dword0 & RISCV_IOMMU_CMD_IOTINVAL_GV);
	assert_false(rv_cmd(p->e.rv, 0)->dword0 & RISCV_IOMMU_CMD_IOTINVAL_PSCV);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_GSCID, rv_cmd(p->e.rv, 0)->dword0),
			 g->gscid);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_ADDR, rv_cmd(p->e.rv, 0)->dword1),
			 (UINT64_C(1) << 40) >> 12);
	/* a nesting parent takes no PASID; without Sv39x4 there is none */
	assert_null(p->ops->domain_alloc_paging_flags(
		&p->dev, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID, &err));
	assert_int_equal(err, -EOPNOTSUPP);
	p->e.iommu->caps &= ~RISCV_IOMMU_CAPABILITIES_SV39X4;
	assert_null(p->ops->domain_alloc_paging_flags(&p->dev, IOMMU_HWPT_ALLOC_NEST_PARENT, &err));
	assert_int_equal(err, -EOPNOTSUPP);
	/* ALLOC_PASID alone is a first-stage domain */
	d = p->ops->domain_alloc_paging_flags(&p->dev, IOMMU_HWPT_ALLOC_PASID, &err);
	assert_non_null(d);
	assert_int_equal(to_riscv_domain(d)->kind, RISCV_IOMMU_DOMAIN_S1);
	d->ops->free(d);
}

static void test_nested_refusals(void **state)
{
	struct nest_env *p = *state;
	struct iommu_hwpt_riscv_iommu u;
	struct iommu_domain *s1 = p->ops->domain_alloc_paging(&p->dev);
	int err = 0;

	assert_null(p->ops->domain_alloc_nested(&p->dev, p->g, IOMMU_HWPT_DATA_ARM_SMMUV3,
						&p->data, sizeof(p->data), &err));
	assert_int_equal(err, -EOPNOTSUPP);
	assert_null(nest_alloc(p, &p->data, sizeof(p->data) - 8, &err));
	assert_int_equal(err, -EINVAL);
	/* a parent that is not a second stage */
	s1->type = IOMMU_DOMAIN_PAGING;
	assert_null(p->ops->domain_alloc_nested(&p->dev, s1, IOMMU_HWPT_DATA_RISCV_IOMMU,
						&p->data, sizeof(p->data), &err));
	assert_int_equal(err, -EINVAL);
	s1->ops->free(s1);
	u = p->data;
	u.dc_tc = 0;                                       /* V = 0 */
	assert_null(nest_alloc(p, &u, sizeof(u), &err));
	assert_int_equal(err, -EINVAL);
	u = p->data;
	u.dc_tc |= RISCV_IOMMU_DC_TC_PDTV;                 /* a guest process directory: */
	assert_null(nest_alloc(p, &u, sizeof(u), &err));   /* ... fsc is no pdtp (Sv39) */
	assert_int_equal(err, -EINVAL);
	u.dc_fsc = (UINT64_C(1) << 60) | (GPA_PDT >> 12);  /* PD8: not advertised */
	assert_null(nest_alloc(p, &u, sizeof(u), &err));
	assert_int_equal(err, -EINVAL);
	u = p->data;
	u.dc_tc |= RISCV_IOMMU_DC_TC_DPE;                  /* DPE without a process directory */
	assert_null(nest_alloc(p, &u, sizeof(u), &err));
	assert_int_equal(err, -EINVAL);
	u = p->data;
	u.dc_tc |= RISCV_IOMMU_DC_TC_SBE;                  /* not a bit the guest may set */
	assert_null(nest_alloc(p, &u, sizeof(u), &err));
	assert_int_equal(err, -EINVAL);
	u = p->data;
	u.dc_iohgatp = UINT64_C(8) << 60;                  /* the guest sees no second stage */
	assert_null(nest_alloc(p, &u, sizeof(u), &err));
	assert_int_equal(err, -EINVAL);
	u = p->data;
	u.dc_ta |= 1;                                      /* bits beside PSCID */
	assert_null(nest_alloc(p, &u, sizeof(u), &err));
	assert_int_equal(err, -EINVAL);
	u = p->data;
	u.dc_fsc = (UINT64_C(10) << 60) | (GPA_ROOT >> 12); /* Sv57: not advertised */
	assert_null(nest_alloc(p, &u, sizeof(u), &err));
	assert_int_equal(err, -EINVAL);
	u = p->data;
	u.dc_fsc |= UINT64_C(1) << 50;                     /* reserved bits of iosatp */
	assert_null(nest_alloc(p, &u, sizeof(u), &err));
	assert_int_equal(err, -EINVAL);
	/* the host's tc bits are ignored, SADE kept with AMO_HWAD */
	u = p->data;
	u.dc_tc |= RISCV_IOMMU_DC_TC_EN_PRI | RISCV_IOMMU_DC_TC_T2GPA | RISCV_IOMMU_DC_TC_SADE;
	struct iommu_domain *d = nest_alloc(p, &u, sizeof(u), &err);
	assert_non_null(d);
	assert_true(to_riscv_domain(d)->sade);
	d->ops->free(d);
	assert_true(list_empty(&to_riscv_domain(p->g)->children));
}

static void test_nested_attach_writes_both_stages(void **state)
{
	struct nest_env *p = *state;
	struct riscv_iommu_domain *g = to_riscv_domain(p->g);
	const struct riscv_iommu_dc *dc = rv_dc(&p->e, 5);
	struct rv_fake *rv = p->e.rv;
	struct iommu_domain *d;
	int err = 0;

	d = nest_alloc(p, &p->data, sizeof(p->data), &err);
	assert_non_null(d);
	assert_int_equal(p->ops->attach_dev(d, &p->dev), 0);
	assert_int_equal(dc->iohgatp, riscv_iommu_iohgatp(g));
	assert_int_equal(dc->fsc, p->data.dc_fsc);
	assert_int_equal(dc->ta, UINT64_C(7) << 12);
	/* SADE only when the user asked for it */
	assert_int_equal(dc->tc, RISCV_IOMMU_DC_TC_V | RISCV_IOMMU_DC_TC_EN_ATS);
	/* leaving it drops everything cached in the GSCID: GVMA (GV, no AV) */
	rv->iommu.ncmds = 0;
	assert_int_equal(p->ops->attach_dev(NULL, &p->dev), 0);
	assert_int_equal(rv_cmd_func(rv_cmd(rv, 1)), RISCV_IOMMU_CMD_IOTINVAL_FUNC_GVMA);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_GSCID, rv_cmd(rv, 1)->dword0),
			 g->gscid);
	assert_false(rv_cmd(rv, 1)->dword0 & RISCV_IOMMU_CMD_IOTINVAL_AV);
	/* the parent alone: iohgatp with fsc Bare */
	assert_int_equal(p->ops->attach_dev(p->g, &p->dev), 0);
	assert_int_equal(dc->iohgatp, riscv_iommu_iohgatp(g));
	assert_int_equal(dc->fsc, 0);
	assert_int_equal(p->ops->attach_dev(NULL, &p->dev), 0);
	/* freeing the nested domain invalidates the user's PSCID in the GSCID */
	rv->iommu.ncmds = 0;
	d->ops->free(d);
	assert_int_equal(rv_cmd_func(rv_cmd(rv, 0)), RISCV_IOMMU_CMD_IOTINVAL_FUNC_VMA);
	assert_true(rv_cmd(rv, 0)->dword0 & RISCV_IOMMU_CMD_IOTINVAL_GV);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_PSCID, rv_cmd(rv, 0)->dword0), 7);
}

static void test_stage1_translate_tells_the_stages_apart(void **state)
{
	struct nest_env *p = *state;
	struct iommu_domain *d;
	uint64_t gpa = 0;
	int err = 0;

	d = nest_alloc(p, &p->data, sizeof(p->data), &err);
	assert_non_null(d);
	/* the root's page has no second-stage mapping: the host's */
	assert_int_equal(s1(d, IOVA, IOMMU_FAULT_PERM_READ, &gpa), -EFAULT);
	assert_int_equal(gpa, GPA_ROOT);
	/* an empty root: the user's */
	nest_guest_page(p, 0, GPA_ROOT);
	assert_int_equal(s1(d, IOVA, IOMMU_FAULT_PERM_READ, &gpa), -ENOENT);
	/* root -> L1 (unbacked: the host's) */
	p->gpage[0][(IOVA >> 30) & 511] = RISCV_IOMMU_PTE_V | (GPA_L1 >> 12) << 10;
	assert_int_equal(s1(d, IOVA, IOMMU_FAULT_PERM_READ, &gpa), -EFAULT);
	assert_int_equal(gpa, GPA_L1);
	nest_guest_page(p, 1, GPA_L1);
	nest_guest_page(p, 2, GPA_L0);
	p->gpage[1][(IOVA >> 21) & 511] = RISCV_IOMMU_PTE_V | (GPA_L0 >> 12) << 10;
	/* a leaf: user, read-only, A set, D clear */
	p->gpage[2][(IOVA >> 12) & 511] = RISCV_IOMMU_PTE_V | RISCV_IOMMU_PTE_R |
					  RISCV_IOMMU_PTE_U | RISCV_IOMMU_PTE_A |
					  (GPA_DATA >> 12) << 10;
	/* the first stage grants it, the data page is unbacked: the host's */
	assert_int_equal(s1(d, IOVA + 0x10, IOMMU_FAULT_PERM_READ, &gpa),
			 -EFAULT);
	assert_int_equal(gpa, GPA_DATA + 0x10);
	/* backed read-only by the parent: a read translates, a write is the host's */
	p->gpage[3] = hal_dma_alloc(p->e.h, 4096, 4096, &p->gpa_pa[3]);
	assert_non_null(p->gpage[3]);
	assert_int_equal(p->g->ops->map_pages(p->g, GPA_DATA, p->gpa_pa[3], 4096, IOMMU_READ), 0);
	assert_int_equal(s1(d, IOVA + 0x10, IOMMU_FAULT_PERM_READ, &gpa), 0);
	assert_int_equal(gpa, GPA_DATA + 0x10);
	/* a write the leaf does not grant is the user's */
	assert_int_equal(s1(d, IOVA, IOMMU_FAULT_PERM_WRITE, &gpa), -ENOENT);
	p->gpage[2][(IOVA >> 12) & 511] |= RISCV_IOMMU_PTE_W;
	/* W without D and no SADE: a fault the user resolves */
	assert_int_equal(s1(d, IOVA, IOMMU_FAULT_PERM_WRITE, &gpa), -ENOENT);
	p->gpage[2][(IOVA >> 12) & 511] |= RISCV_IOMMU_PTE_D;
	/* the first stage grants the write now, the parent's read-only page does not */
	assert_int_equal(s1(d, IOVA, IOMMU_FAULT_PERM_WRITE, &gpa), -EFAULT);
	assert_int_equal(gpa, GPA_DATA);
	assert_int_equal(p->g->ops->unmap_pages(p->g, GPA_DATA, 4096), 4096);
	assert_int_equal(p->g->ops->map_pages(p->g, GPA_DATA, p->gpa_pa[3], 4096,
					      IOMMU_READ | IOMMU_WRITE), 0);
	assert_int_equal(s1(d, IOVA, IOMMU_FAULT_PERM_WRITE, &gpa), 0);
	/* a supervisor page: requests without a PASID are user mode */
	p->gpage[2][(IOVA >> 12) & 511] &= ~RISCV_IOMMU_PTE_U;
	assert_int_equal(s1(d, IOVA, IOMMU_FAULT_PERM_READ, &gpa), -ENOENT);
	/* a non-canonical IOVA */
	assert_int_equal(s1(d, UINT64_C(1) << 40, IOMMU_FAULT_PERM_READ, &gpa),
			 -ENOENT);
	d->ops->free(d);
}

/* The user's IOTINVAL.VMA: checked, sent in the GSCID, ATS.INVAL after it, one fence. */
/*
 * The user's process directory (tc.PDTV, fsc a PD8 pdtp at a GPA): the DC
 * says so, a PASID's first stage is its process context's iosatp, every
 * directory read goes through the parent (an unbacked directory page is the
 * host's fault, a missing context the user's), a request without a PASID
 * needs DPE, and the user's IODIR.INVAL_PDT goes out with the device's DID,
 * followed by ATS.INVAL of that PASID.
 */
static void test_nested_user_pdt(void **state)
{
	struct nest_env *p = *state;
	const struct riscv_iommu_dc *dc = rv_dc(&p->e, 5);
	struct rv_fake *rv = p->e.rv;
	struct iommu_hwpt_riscv_iommu u = p->data;
	const uint64_t inval_pdt = RISCV_IOMMU_CMD_IODIR_OPCODE |
				   (RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT << 7) | (UINT64_C(5) << 12);
	struct iommu_hwpt_riscv_iommu_invalidate inv = { .cmd = { inval_pdt, 0 } };
	struct iommu_user_data_array a = {
		.type = IOMMU_HWPT_INVALIDATE_DATA_RISCV_IOMMU, .uptr = &inv,
		.entry_len = sizeof(inv), .entry_num = 1,
	};
	struct iommu_domain *d, *plain;
	uint64_t gpa = 0;
	int err = 0;

	p->e.iommu->caps |= RISCV_IOMMU_CAPABILITIES_PD8;
	u.dc_tc |= RISCV_IOMMU_DC_TC_PDTV;
	u.dc_fsc = (UINT64_C(1) << 60) | (GPA_PDT >> 12);
	d = nest_alloc(p, &u, sizeof(u), &err);
	assert_non_null(d);
	assert_int_equal(p->ops->attach_dev(d, &p->dev), 0);
	assert_int_equal(dc->tc, RISCV_IOMMU_DC_TC_V | RISCV_IOMMU_DC_TC_EN_ATS | RISCV_IOMMU_DC_TC_PDTV);
	assert_int_equal(dc->fsc, u.dc_fsc);
	/* the directory page unbacked: the host's; backed but empty: the user's */
	assert_int_equal(s1_pasid(d, IOVA, IOMMU_FAULT_PERM_READ, true, 5, &gpa), -EFAULT);
	assert_int_equal(gpa, GPA_PDT);
	nest_guest_page(p, 0, GPA_PDT);
	assert_int_equal(s1_pasid(d, IOVA, IOMMU_FAULT_PERM_READ, true, 5, &gpa), -ENOENT);
	/* PC[5]: valid, PSCID 9, Sv39 at GPA_ROOT (unbacked: the host's) */
	p->gpage[0][2 * 5] = RISCV_IOMMU_PC_TA_V | (UINT64_C(9) << 12);
	p->gpage[0][2 * 5 + 1] = (UINT64_C(8) << 60) | (GPA_ROOT >> 12);
	assert_int_equal(s1_pasid(d, IOVA, IOMMU_FAULT_PERM_READ, true, 5, &gpa), -EFAULT);
	assert_int_equal(gpa, GPA_ROOT);
	nest_guest_page(p, 1, GPA_ROOT);
	assert_int_equal(s1_pasid(d, IOVA, IOMMU_FAULT_PERM_READ, true, 5, &gpa), -ENOENT);
	/* another PASID has no context; PASID 256 is beyond PD8 */
	assert_int_equal(s1_pasid(d, IOVA, IOMMU_FAULT_PERM_READ, true, 6, &gpa), -ENOENT);
	assert_int_equal(s1_pasid(d, IOVA, IOMMU_FAULT_PERM_READ, true, 256, &gpa), -ENOENT);
	/* a leaf in PASID 5's table: the data page unbacked is the host's */
	nest_guest_page(p, 2, GPA_L1);
	nest_guest_page(p, 3, GPA_L0);
	p->gpage[1][(IOVA >> 30) & 511] = RISCV_IOMMU_PTE_V | (GPA_L1 >> 12) << 10;
	p->gpage[2][(IOVA >> 21) & 511] = RISCV_IOMMU_PTE_V | (GPA_L0 >> 12) << 10;
	p->gpage[3][(IOVA >> 12) & 511] = RISCV_IOMMU_PTE_V | RISCV_IOMMU_PTE_R | RISCV_IOMMU_PTE_U |
					  RISCV_IOMMU_PTE_A | (GPA_DATA >> 12) << 10;
	assert_int_equal(s1_pasid(d, IOVA, IOMMU_FAULT_PERM_READ, true, 5, &gpa), -EFAULT);
	assert_int_equal(gpa, GPA_DATA);
	/* no PASID: process_id 0 only with DPE; PC[0] is empty */
	assert_int_equal(s1(d, IOVA, IOMMU_FAULT_PERM_READ, &gpa), -ENOENT);
	/* IODIR.INVAL_PDT of PID 5: the device's DID, then ATS.INVAL of PASID 5, a fence */
	p->dev.ats_enabled = true;
	rv->iommu.ncmds = 0;
	assert_int_equal(d->ops->cache_invalidate_user(d, &a), 0);
	assert_int_equal(rv->iommu.ncmds, 3);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 0)), RISCV_IOMMU_CMD_IODIR_OPCODE);
	assert_int_equal(rv_cmd_func(rv_cmd(rv, 0)), RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_DID, rv_cmd(rv, 0)->dword0), 5);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_PID, rv_cmd(rv, 0)->dword0), 5);
	assert_true(rv_cmd(rv, 0)->dword0 & RISCV_IOMMU_CMD_IODIR_DV);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 1)), RISCV_IOMMU_CMD_ATS_OPCODE);
	assert_true(rv_cmd(rv, 1)->dword0 & RISCV_IOMMU_CMD_ATS_PV);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_ATS_PID, rv_cmd(rv, 1)->dword0), 5);
	assert_int_equal(rv_cmd(rv, 1)->dword1, RISCV_IOMMU_CMD_ATS_INVAL_ALL);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 2)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	/* a second dword is reserved */
	inv.cmd[1] = 1;
	a.entry_num = 1;
	assert_int_equal(d->ops->cache_invalidate_user(d, &a), -EINVAL);
	assert_int_equal(p->ops->attach_dev(NULL, &p->dev), 0);
	d->ops->free(d);
	/* without a process directory of the user's, IODIR is not the user's to send */
	plain = nest_alloc(p, &p->data, sizeof(p->data), &err);
	assert_non_null(plain);
	inv.cmd[1] = 0;
	a.entry_num = 1;
	assert_int_equal(plain->ops->cache_invalidate_user(plain, &a), -EINVAL);
	plain->ops->free(plain);
}

static void test_nested_invalidate(void **state)
{
	struct nest_env *p = *state;
	struct riscv_iommu_domain *g = to_riscv_domain(p->g);
	struct rv_fake *rv = p->e.rv;
	const uint64_t vma = RISCV_IOMMU_CMD_IOTINVAL_OPCODE; /* func VMA = 0 */
	struct iommu_hwpt_riscv_iommu_invalidate inv[2] = {
		{ .cmd = { vma | RISCV_IOMMU_CMD_IOTINVAL_AV | RISCV_IOMMU_CMD_IOTINVAL_PSCV |
				   (UINT64_C(7) << 12),
			   (IOVA >> 12) << 10 } },
		{ .cmd = { vma | RISCV_IOMMU_CMD_IOTINVAL_PSCV | (UINT64_C(7) << 12), 0 } },
	};
	struct iommu_user_data_array a = {
		.type = IOMMU_HWPT_INVALIDATE_DATA_RISCV_IOMMU, .uptr = inv,
		.entry_len = sizeof(inv[0]), .entry_num = 2,
	};
	struct iommu_domain *d;
	int err = 0;

	d = nest_alloc(p, &p->data, sizeof(p->data), &err);
	assert_non_null(d);
	assert_int_equal(p->ops->attach_dev(d, &p->dev), 0);
	p->dev.ats_enabled = true;
	rv->iommu.ncmds = 0;
	assert_int_equal(d->ops->cache_invalidate_user(d, &a), 0);
	assert_int_equal(a.entry_num, 2);
	/* VMA(GV, GSCID, PSCID 7, AV IOVA), ATS.INVAL(page), VMA(GV, PSCID 7), ATS.INVAL(all), fence */
	assert_int_equal(rv->iommu.ncmds, 5);
	assert_int_equal(rv_cmd(rv, 0)->dword0, inv[0].cmd[0] | RISCV_IOMMU_CMD_IOTINVAL_GV |
							((uint64_t)g->gscid << 44));
	assert_int_equal(rv_cmd(rv, 0)->dword1, inv[0].cmd[1]);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 1)), RISCV_IOMMU_CMD_ATS_OPCODE);
	assert_int_equal(rv_cmd(rv, 1)->dword1, IOVA);
	assert_int_equal(rv_cmd(rv, 2)->dword0, inv[1].cmd[0] | RISCV_IOMMU_CMD_IOTINVAL_GV |
							((uint64_t)g->gscid << 44));
	assert_int_equal(rv_cmd(rv, 3)->dword1, RISCV_IOMMU_CMD_ATS_INVAL_ALL);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 4)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	/* refusals: the entries before still go, with their fence; entry_num stops there */
	inv[1].cmd[0] |= RISCV_IOMMU_CMD_IOTINVAL_GV;              /* GV is the host's */
	a.entry_num = 2;
	rv->iommu.ncmds = 0;
	assert_int_equal(d->ops->cache_invalidate_user(d, &a), -EINVAL);
	assert_int_equal(a.entry_num, 1);
	assert_int_equal(rv->iommu.ncmds, 3);
	inv[0].cmd[0] = RISCV_IOMMU_CMD_IOTINVAL_OPCODE | (1u << 7); /* GVMA */
	a.entry_num = 2;
	rv->iommu.ncmds = 0;
	assert_int_equal(d->ops->cache_invalidate_user(d, &a), -EINVAL);
	assert_int_equal(a.entry_num, 0);
	assert_int_equal(rv->iommu.ncmds, 0);
	inv[0].cmd[0] = vma | (UINT64_C(1) << 11);                 /* a reserved bit */
	a.entry_num = 1;
	assert_int_equal(d->ops->cache_invalidate_user(d, &a), -EINVAL);
	inv[0].cmd[0] = vma;
	inv[0].cmd[1] = RISCV_IOMMU_CMD_IOTINVAL_S;                /* S: reserved here */
	a.entry_num = 1;
	assert_int_equal(d->ops->cache_invalidate_user(d, &a), -EINVAL);
	inv[0].cmd[0] = 2;                                         /* IOFENCE: not an IOTINVAL */
	inv[0].cmd[1] = 0;
	a.entry_num = 1;
	assert_int_equal(d->ops->cache_invalidate_user(d, &a), -EINVAL);
	assert_int_equal(p->ops->attach_dev(NULL, &p->dev), 0);
	d->ops->free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nest_parent_is_gstage, nest_setup, nest_teardown),
		cmocka_unit_test_setup_teardown(test_nested_refusals, nest_setup, nest_teardown),
		cmocka_unit_test_setup_teardown(test_nested_attach_writes_both_stages, nest_setup,
						nest_teardown),
		cmocka_unit_test_setup_teardown(test_stage1_translate_tells_the_stages_apart,
						nest_setup, nest_teardown),
		cmocka_unit_test_setup_teardown(test_nested_invalidate, nest_setup, nest_teardown),
		cmocka_unit_test_setup_teardown(test_nested_user_pdt, nest_setup, nest_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
