// SPDX-License-Identifier: Apache-2.0
/*
 * Description: paging domains: Sv39 table construction through the domain
 * ops (map_pages, iova_to_phys, unmap_pages), Sv48 tables with 2 MiB
 * leaves (sw.driver.pgtbl_mode, sw.driver.superpages), leaf PTE bits, argument
 * checks, PSCID allocation, and the invalidations unmap_pages issues
 * (IOTINVAL.VMA per page or per PSCID, ATS.INVAL, fence; none on map).
 */
#include <errno.h>

#include "rv_test.h"

#define PA0 (FAKE_DRAM_BASE + FAKE_DRAM_SIZE / 2) /* "user" pages, never allocated */

struct pg_env {
	struct rv_env e;
	struct device dev;
	struct iommu_domain *d;
	struct riscv_iommu_domain *rd;
};

static int pg_setup(void **state)
{
	struct pg_env *p = calloc(1, sizeof(*p));

	rv_env_up(&p->e);
	rv_add_dev(&p->e, &p->dev, 1, 64);
	p->d = p->e.iommu->iommu.ops->domain_alloc_paging(&p->dev);
	assert_non_null(p->d);
	p->rd = to_riscv_domain(p->d);
	*state = p;
	return 0;
}

static int pg_teardown(void **state)
{
	struct pg_env *p = *state;

	if (p->d)
		p->d->ops->free(p->d);
	p->e.iommu->iommu.ops->release_device(&p->dev);
	rv_env_down(&p->e);
	free(p);
	return 0;
}

/* Walk the table in DRAM the way the IOMMU does (§17). */
static uint64_t walk_leaf(struct pg_env *p, uint64_t iova)
{
	uint64_t a = p->rd->pgd_pa, pte = 0;
	int level;

	for (level = 2; level >= 0; level--) {
		const uint64_t *t = hal_phys_to_virt(p->e.h, a);

		assert_non_null(t);
		pte = t[(iova >> (12 + 9 * level)) & 0x1FF];
		if (!(pte & RISCV_IOMMU_PTE_V))
			return 0;
		if (pte & RISCV_IOMMU_PTE_LEAF)
			return level == 0 ? pte : ~UINT64_C(0);
		a = RV_FIELD_GET(RISCV_IOMMU_PTE_PPN, pte) << 12;
	}
	return ~UINT64_C(0);
}

static void test_map_and_translate(void **state)
{
	struct pg_env *p = *state;
	const uint64_t iova = 0x10000000;
	uint64_t pte;
	unsigned int i;

	assert_int_equal(p->d->type, IOMMU_DOMAIN_PAGING);
	assert_ptr_equal(p->d->iommu, &p->e.iommu->iommu);
	assert_int_equal(p->d->ops->map_pages(p->d, iova, PA0, 3 * 4096, IOMMU_READ | IOMMU_WRITE), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(p->d->ops->iova_to_phys(p->d, iova + i * 4096 + 0x123),
				 PA0 + i * 4096 + 0x123);
		pte = walk_leaf(p, iova + i * 4096);
		/* V | R | W | U | A | D, no X, no G, PPN of the page */
		assert_int_equal(pte & 0x3FF, RISCV_IOMMU_PTE_V | RISCV_IOMMU_PTE_R |
					      RISCV_IOMMU_PTE_W | RISCV_IOMMU_PTE_U |
					      RISCV_IOMMU_PTE_A | RISCV_IOMMU_PTE_D);
		assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_PTE_PPN, pte), (PA0 >> 12) + i);
	}
	assert_int_equal(p->d->ops->iova_to_phys(p->d, iova + 3 * 4096), 0);
	assert_int_equal(p->d->ops->iova_to_phys(p->d, 0), 0);
	/* iommu_map() charges HAL_COST_MAP_PAGE; the driver must not charge it again */
	assert_int_equal(fake_hal_charges(p->e.h, HAL_COST_MAP_PAGE), 0);

	/* read-only, and write-only (W without R is reserved: maps R|W) */
	assert_int_equal(p->d->ops->map_pages(p->d, 0x20000000, PA0, 4096, IOMMU_READ), 0);
	assert_int_equal(walk_leaf(p, 0x20000000) & 0xFF, 0xD3);
	assert_int_equal(p->d->ops->map_pages(p->d, 0x20001000, PA0, 4096, IOMMU_WRITE), 0);
	assert_int_equal(walk_leaf(p, 0x20001000) & 0xFF, 0xD7);

	/* upper half of the canonical Sv39 space */
	assert_int_equal(p->d->ops->map_pages(p->d, UINT64_C(0xFFFFFFC000000000), PA0, 4096,
					      IOMMU_READ), 0);
	assert_int_equal(p->d->ops->iova_to_phys(p->d, UINT64_C(0xFFFFFFC000000000)), PA0);
}

static void test_map_errors(void **state)
{
	struct pg_env *p = *state;

	assert_int_equal(p->d->ops->map_pages(p->d, 0x1000, PA0, 4096, 0), -EINVAL);
	assert_int_equal(p->d->ops->map_pages(p->d, 0x1001, PA0, 4096, IOMMU_READ), -EINVAL);
	assert_int_equal(p->d->ops->map_pages(p->d, 0x1000, PA0 + 8, 4096, IOMMU_READ), -EINVAL);
	assert_int_equal(p->d->ops->map_pages(p->d, 0x1000, PA0, 100, IOMMU_READ), -EINVAL);
	assert_int_equal(p->d->ops->map_pages(p->d, 0x1000, PA0, 0, IOMMU_READ), -EINVAL);
	/* not canonical: bit 38 set without sign extension; range crossing the hole */
	assert_int_equal(p->d->ops->map_pages(p->d, UINT64_C(0x4000000000), PA0, 4096, IOMMU_READ),
			 -EINVAL);
	assert_int_equal(p->d->ops->map_pages(p->d, UINT64_C(0x3FFFFFF000), PA0, 8192, IOMMU_READ),
			 -EINVAL);
	assert_int_equal(p->d->ops->iova_to_phys(p->d, UINT64_C(0x4000000000)), 0);

	/* -EEXIST leaves nothing of the failed call behind */
	assert_int_equal(p->d->ops->map_pages(p->d, 0x5000, PA0, 4096, IOMMU_READ), 0);
	assert_int_equal(p->d->ops->map_pages(p->d, 0x3000, PA0 + 0x10000, 3 * 4096, IOMMU_READ),
			 -EEXIST);
	assert_int_equal(p->d->ops->iova_to_phys(p->d, 0x3000), 0);
	assert_int_equal(p->d->ops->iova_to_phys(p->d, 0x4000), 0);
	assert_int_equal(p->d->ops->iova_to_phys(p->d, 0x5000), PA0); /* the old one */

	/* table allocation failure */
	fake_hal_fail_filter(p->e.h, "riscv_iommu.pgtbl_alloc");
	fake_hal_fail_nth(p->e.h, 1);
	assert_int_equal(p->d->ops->map_pages(p->d, 0x7000000000 >> 1, PA0, 4096, IOMMU_READ),
			 -ENOMEM);
	assert_string_equal(fake_hal_failed_site(p->e.h), "riscv_iommu.pgtbl_alloc");
	fake_hal_fail_nth(p->e.h, 0);
}

static void test_unmap(void **state)
{
	struct pg_env *p = *state;

	assert_int_equal(p->d->ops->map_pages(p->d, 0x40000000, PA0, 4 * 4096, IOMMU_READ), 0);
	/* a range with a hole: counts only what was mapped */
	assert_int_equal(p->d->ops->unmap_pages(p->d, 0x40002000, 4 * 4096), 2 * 4096);
	assert_int_equal(p->d->ops->iova_to_phys(p->d, 0x40002000), 0);
	assert_int_equal(p->d->ops->iova_to_phys(p->d, 0x40001000), PA0 + 0x1000);
	assert_int_equal(walk_leaf(p, 0x40003000), 0);
	assert_int_equal(p->d->ops->unmap_pages(p->d, 0x40000000, 2 * 4096), 2 * 4096);
	assert_int_equal(p->d->ops->unmap_pages(p->d, 0x40000000, 2 * 4096), 0);
	/* and the IOVA can be mapped again */
	assert_int_equal(p->d->ops->map_pages(p->d, 0x40000000, PA0, 4096, IOMMU_READ), 0);
}

/* The leaf for iova in rd's table and its level (-1: none). */
static int find_leaf(struct pg_env *p, struct riscv_iommu_domain *rd, uint64_t iova,
		     uint64_t *leaf)
{
	uint64_t a = rd->pgd_pa;
	int level;

	for (level = (int)rd->levels - 1; level >= 0; level--) {
		const uint64_t *t = hal_phys_to_virt(p->e.h, a);
		uint64_t pte = t[(iova >> (12 + 9 * level)) & 0x1FF];

		if (!(pte & RISCV_IOMMU_PTE_V))
			return -1;
		if (pte & RISCV_IOMMU_PTE_LEAF) {
			*leaf = pte;
			return level;
		}
		a = RV_FIELD_GET(RISCV_IOMMU_PTE_PPN, pte) << 12;
	}
	return -1;
}

/*
 * Sv48 with superpages: a 4 MiB + 4 KiB range at 2 MiB-aligned IOVA and PA
 * gets two 2 MiB leaves and one 4 KiB leaf; a misaligned PA gets 4 KiB
 * leaves; unmapping a page of a 2 MiB leaf removes the whole leaf.
 */
static void test_sv48_superpages(void **state)
{
	struct pg_env *p = *state;
	struct riscv_iommu *iommu = p->e.iommu;
	const uint64_t iova = UINT64_C(0x7f0000000000), big = UINT64_C(2) << 20;
	struct iommu_domain *d;
	struct riscv_iommu_domain *rd;
	uint64_t leaf;

	/* the defaults the probe read: Sv39, 4 KiB only */
	assert_int_equal(iommu->pgtbl_levels, 3);
	assert_false(iommu->superpages);
	assert_int_equal(p->rd->levels, 3);
	/* beyond the Sv39 range */
	assert_int_equal(p->d->ops->map_pages(p->d, iova, PA0, 4096, IOMMU_READ), -EINVAL);

	iommu->pgtbl_levels = 4;
	iommu->superpages = true;
	d = iommu->iommu.ops->domain_alloc_paging(&p->dev);
	iommu->pgtbl_levels = 3;
	iommu->superpages = false;
	assert_non_null(d);
	rd = to_riscv_domain(d);
	assert_int_equal(rd->levels, 4);
	rd->iommu->superpages = true; /* map_pages reads it at map time */
	assert_int_equal(d->ops->map_pages(d, iova, PA0, 2 * big + 4096, IOMMU_READ | IOMMU_WRITE), 0);
	assert_int_equal(find_leaf(p, rd, iova, &leaf), 1);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_PTE_PPN, leaf) << 12, PA0);
	assert_true(leaf & RISCV_IOMMU_PTE_W);
	assert_int_equal(find_leaf(p, rd, iova + big + 0x1000, &leaf), 1);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_PTE_PPN, leaf) << 12, PA0 + big);
	assert_int_equal(find_leaf(p, rd, iova + 2 * big, &leaf), 0);
	assert_int_equal(d->ops->iova_to_phys(d, iova + big + 0x12345), PA0 + big + 0x12345);
	/* PA not 2 MiB aligned: 4 KiB leaves */
	assert_int_equal(d->ops->map_pages(d, iova + 4 * big, PA0 + 4096, big, IOMMU_READ), 0);
	assert_int_equal(find_leaf(p, rd, iova + 4 * big, &leaf), 0);
	assert_int_equal(find_leaf(p, rd, iova + 5 * big - 4096, &leaf), 0);
	/* a 4 KiB page inside a 2 MiB leaf: the whole leaf goes */
	assert_int_equal(d->ops->unmap_pages(d, iova + 0x3000, 4096), big);
	assert_int_equal(d->ops->iova_to_phys(d, iova + 0x5000), 0);
	assert_int_equal(find_leaf(p, rd, iova, &leaf), -1);
	assert_int_equal(d->ops->iova_to_phys(d, iova + big), PA0 + big);
	rd->iommu->superpages = false;
	d->ops->free(d);
}

/* A new mapping sends nothing (no iotlb_sync_map, as in Linux). */
static void test_map_sends_no_invalidation(void **state)
{
	struct pg_env *p = *state;
	struct rv_fake *rv = p->e.rv;

	assert_null(p->d->ops->iotlb_sync_map);
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d->ops->map_pages(p->d, 0x10000000, PA0, 3 * 4096, IOMMU_READ), 0);
	assert_int_equal(rv->iommu.ncmds, 0);
}

/* unmap: IOTINVAL.VMA per page (or per PSCID for a large range), one fence. */
static void test_unmap_invalidates_pages(void **state)
{
	struct pg_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	const struct riscv_iommu_command *c;
	unsigned int i;

	assert_int_equal(p->d->ops->map_pages(p->d, 0x10000000, PA0, 3 * 4096, IOMMU_READ), 0);
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d->ops->unmap_pages(p->d, 0x10000000, 3 * 4096), 3 * 4096);
	assert_int_equal(rv->iommu.ncmds, 4);
	for (i = 0; i < 3; i++) {
		c = rv_cmd(rv, i);
		assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_IOTINVAL_OPCODE);
		assert_int_equal(rv_cmd_func(c), RISCV_IOMMU_CMD_IOTINVAL_FUNC_VMA);
		assert_true(c->dword0 & RISCV_IOMMU_CMD_IOTINVAL_AV);
		assert_true(c->dword0 & RISCV_IOMMU_CMD_IOTINVAL_PSCV);
		assert_false(c->dword0 & RISCV_IOMMU_CMD_IOTINVAL_GV);
		assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_PSCID, c->dword0),
				 p->rd->pscid);
		assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_ADDR, c->dword1),
				 (0x10000000 >> 12) + i);
	}
	c = rv_cmd(rv, 3);
	assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_true(c->dword0 & RISCV_IOMMU_CMD_IOFENCE_AV);
	assert_int_equal(*p->e.iommu->fence_word, p->e.iommu->fence_seq);

	/* a large range: one IOTINVAL for the PSCID, without AV */
	assert_int_equal(p->d->ops->map_pages(p->d, 0x30000000, PA0, 100 * 4096, IOMMU_READ), 0);
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d->ops->unmap_pages(p->d, 0x30000000, 100 * 4096), 100 * 4096);
	assert_int_equal(rv->iommu.ncmds, 2);
	c = rv_cmd(rv, 0);
	assert_false(c->dword0 & RISCV_IOMMU_CMD_IOTINVAL_AV);
	assert_true(c->dword0 & RISCV_IOMMU_CMD_IOTINVAL_PSCV);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_PSCID, c->dword0), p->rd->pscid);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 1)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	/* 40 pages: more than the 16-command batch, still one fence at the end */
	assert_int_equal(p->d->ops->map_pages(p->d, 0x30000000, PA0, 40 * 4096, IOMMU_READ), 0);
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d->ops->unmap_pages(p->d, 0x30000000, 40 * 4096), 40 * 4096);
	assert_int_equal(rv->iommu.ncmds, 41);
	assert_int_equal(rv_fake_count_cmds(rv, RISCV_IOMMU_CMD_IOFENCE_OPCODE, 0), 1);
}

static void test_unmap_shoots_down_atc(void **state)
{
	struct pg_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	const struct riscv_iommu_command *c;
	unsigned int i, n;

	assert_int_equal(p->e.iommu->iommu.ops->attach_dev(p->d, &p->dev), 0);
	p->dev.ats_enabled = true;
	assert_int_equal(p->d->ops->map_pages(p->d, 0x10000000, PA0, 2 * 4096, IOMMU_READ), 0);
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d->ops->unmap_pages(p->d, 0x10000000, 2 * 4096), 2 * 4096);
	n = rv->iommu.ncmds;
	assert_int_equal(n, 4); /* 2 x IOTINVAL, ATS.INVAL, IOFENCE.C */
	c = rv_cmd(rv, 2);
	assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_ATS_OPCODE);
	assert_int_equal(rv_cmd_func(c), RISCV_IOMMU_CMD_ATS_FUNC_INVAL);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_ATS_RID, c->dword0), 1);
	/* pages 0x10000..0x10001: NAPOT block of 2 pages at 0x10000000 */
	assert_int_equal(c->dword1, 0x10000000 | RISCV_IOMMU_CMD_ATS_INVAL_S);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, n - 1)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	for (i = 0; i < 2; i++)
		assert_int_equal(rv_cmd_op(rv_cmd(rv, i)), RISCV_IOMMU_CMD_IOTINVAL_OPCODE);
	/* without ATS in the device: no ATS.INVAL */
	p->dev.ats_enabled = false;
	assert_int_equal(p->d->ops->map_pages(p->d, 0x10000000, PA0, 4096, IOMMU_READ), 0);
	rv->iommu.ncmds = 0;
	assert_int_equal(p->d->ops->unmap_pages(p->d, 0x10000000, 4096), 4096);
	assert_int_equal(rv_fake_count_cmds(rv, RISCV_IOMMU_CMD_ATS_OPCODE, 0), 0);
	assert_int_equal(p->e.iommu->iommu.ops->attach_dev(NULL, &p->dev), 0);
}

static void test_pscids(void **state)
{
	struct pg_env *p = *state;
	struct iommu_domain *d2, *d3;
	uint32_t pscid2;

	d2 = p->e.iommu->iommu.ops->domain_alloc_paging(&p->dev);
	assert_non_null(d2);
	pscid2 = to_riscv_domain(d2)->pscid;
	assert_int_not_equal(pscid2, 0);
	assert_int_not_equal(pscid2, p->rd->pscid);
	assert_int_not_equal(to_riscv_domain(d2)->pgd_pa, p->rd->pgd_pa);
	assert_int_equal(d2->ops->map_pages(d2, 0x1000, PA0, 4096, IOMMU_READ), 0);
	p->e.rv->iommu.ncmds = 0;
	d2->ops->free(d2);
	/* freeing flushes the PSCID before it can be reused */
	assert_int_equal(rv_fake_count_cmds(p->e.rv, RISCV_IOMMU_CMD_IOTINVAL_OPCODE, 0), 1);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_PSCID, rv_cmd(p->e.rv, 0)->dword0),
			 pscid2);
	d3 = p->e.iommu->iommu.ops->domain_alloc_paging(&p->dev);
	assert_non_null(d3);
	assert_int_equal(to_riscv_domain(d3)->pscid, pscid2);
	d3->ops->free(d3);

	fake_hal_fail_filter(p->e.h, "riscv_iommu.domain_alloc");
	fake_hal_fail_nth(p->e.h, 1);
	assert_null(p->e.iommu->iommu.ops->domain_alloc_paging(&p->dev));
	assert_string_equal(fake_hal_failed_site(p->e.h), "riscv_iommu.domain_alloc");
	fake_hal_fail_nth(p->e.h, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_and_translate, pg_setup, pg_teardown),
		cmocka_unit_test_setup_teardown(test_map_errors, pg_setup, pg_teardown),
		cmocka_unit_test_setup_teardown(test_unmap, pg_setup, pg_teardown),
		cmocka_unit_test_setup_teardown(test_sv48_superpages, pg_setup, pg_teardown),
		cmocka_unit_test_setup_teardown(test_map_sends_no_invalidation, pg_setup, pg_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_invalidates_pages, pg_setup, pg_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_shoots_down_atc, pg_setup, pg_teardown),
		cmocka_unit_test_setup_teardown(test_pscids, pg_setup, pg_teardown),
	};

	return cmocka_run_group_tests_name("unit.riscv.pgtbl", tests, NULL, NULL);
}
