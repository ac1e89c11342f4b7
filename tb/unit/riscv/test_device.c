// SPDX-License-Identifier: Apache-2.0
/*
 * Description: per-device operations: probe_device limits, the device
 * context written by attach_dev and its safe update order (§18), IOPF
 * enable/disable (ATS + PRI capability programming, EN_PRI/PRPR in the DC,
 * iopf queue membership, PQ flush, ATC invalidation) and page_response
 * (ATS.PRGR encoding and statistics).
 */
#include <errno.h>

#include "rv_test.h"

struct dev_env {
	struct rv_env e;
	struct device dev;
	struct iommu_domain *d;
	const struct iommu_ops *ops;
};

static int dev_setup(void **state)
{
	struct dev_env *p = calloc(1, sizeof(*p));

	rv_env_up(&p->e);
	p->ops = p->e.iommu->iommu.ops;
	rv_add_dev(&p->e, &p->dev, 5, 64);
	p->d = p->ops->domain_alloc_paging(&p->dev);
	assert_non_null(p->d);
	*state = p;
	return 0;
}

static int dev_teardown(void **state)
{
	struct dev_env *p = *state;

	p->ops->release_device(&p->dev);
	p->d->ops->free(p->d);
	rv_env_down(&p->e);
	free(p);
	return 0;
}

static void test_probe_device_limits(void **state)
{
	struct dev_env *p = *state;
	struct device big, dup;

	rv_fake_device_init(p->e.rv, &big, 0x80, &p->e.iommu->iommu);
	assert_int_equal(p->ops->probe_device(&big), -ENODEV);
	assert_non_null(strstr(fake_hal_last_log(p->e.h, HAL_LOG_ERROR), "1LVL"));
	assert_null(big.iommu_priv);
	rv_fake_device_init(p->e.rv, &dup, 5, &p->e.iommu->iommu);
	assert_int_equal(p->ops->probe_device(&dup), -EEXIST);
	/* the capabilities were found by walking the extended list */
	assert_int_equal(dev_to_riscv(&p->dev)->ats_cap, 0x100);
	assert_int_equal(dev_to_riscv(&p->dev)->pri_cap, 0x110);
	assert_true(p->dev.pri_supported);
	assert_ptr_equal(riscv_iommu_find_dev(p->e.iommu, 5), dev_to_riscv(&p->dev));
	assert_null(riscv_iommu_find_dev(p->e.iommu, 6));
	assert_null(riscv_iommu_find_dev(p->e.iommu, 0x1000));
}

/*
 * sw.driver.ddt_mode = 3lvl: the root page only at probe; probe_device of
 * 0x1234 allocates the level-1 and leaf tables on DDI[2] = 0, DDI[1] =
 * 0x24 (§15.1 base split) and sends IODIR.INVAL_DDT for it; a second device
 * under the same level-1 table allocates only its leaf table.
 */
static void test_probe_device_3lvl(void **state)
{
	struct rv_env e;
	struct device a, b;
	const uint64_t *root, *l1;
	unsigned int n0;

	(void)state;
	e.rv = rv_fake_create();
	e.h = e.rv->hal;
	fake_hal_set_param_str(e.h, "sw.driver.ddt_mode", "3lvl");
	e.iommu = rv_probe(e.h);
	assert_int_equal(e.iommu->ddt_mode, RISCV_IOMMU_DDTP_MODE_3LVL);
	assert_int_equal(e.iommu->did_bits, 24);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_DDTP_IOMMU_MODE, e.rv->iommu.ddtp),
			 RISCV_IOMMU_DDTP_MODE_3LVL);
	assert_int_equal(e.iommu->ddt_pages, 0);

	n0 = e.rv->iommu.ncmds;
	rv_add_dev(&e, &a, 0x1234, 8);
	assert_int_equal(e.iommu->ddt_pages, 2);
	root = e.iommu->ddt;
	assert_true(root[0] & RISCV_IOMMU_DDTE_V);
	l1 = hal_phys_to_virt(e.h, RV_FIELD_GET(RISCV_IOMMU_DDTE_PPN, root[0]) << 12);
	assert_non_null(l1);
	assert_true(l1[0x1234 >> 7] & RISCV_IOMMU_DDTE_V);
	assert_ptr_equal(dev_to_riscv(&a)->dc,
			 (const char *)hal_phys_to_virt(e.h, RV_FIELD_GET(RISCV_IOMMU_DDTE_PPN,
									  l1[0x1234 >> 7]) << 12) +
				 (0x1234 & 0x7F) * 32);
	assert_ptr_equal(riscv_iommu_get_dc(e.iommu, 0x1234, false, NULL), dev_to_riscv(&a)->dc);
	assert_true(e.rv->iommu.ncmds > n0);
	assert_int_equal(rv_cmd_op(rv_cmd(e.rv, n0)), RISCV_IOMMU_CMD_IODIR_OPCODE);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_DID, rv_cmd(e.rv, n0)->dword0), 0x1234);

	rv_add_dev(&e, &b, 0x1300, 8); /* same DDI[1] table, another leaf */
	assert_int_equal(e.iommu->ddt_pages, 3);
	assert_ptr_equal(riscv_iommu_find_dev(e.iommu, 0x1300), dev_to_riscv(&b));

	e.iommu->iommu.ops->release_device(&a);
	e.iommu->iommu.ops->release_device(&b);
	rv_env_down(&e);
}

static void test_attach_writes_dc(void **state)
{
	struct dev_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	struct hal *h = p->e.h;
	struct riscv_iommu_domain *rd = to_riscv_domain(p->d);
	const struct riscv_iommu_dc *dc = rv_dc(&p->e, 5);

	rv->iommu.ncmds = 0;
	assert_int_equal(p->ops->attach_dev(p->d, &p->dev), 0);
	assert_int_equal(dc->tc, RISCV_IOMMU_DC_TC_V | RISCV_IOMMU_DC_TC_EN_ATS);
	assert_int_equal(dc->iohgatp, 0);
	assert_int_equal(dc->ta, (uint64_t)rd->pscid << 12);
	assert_int_equal(dc->fsc, (UINT64_C(8) << 60) | (rd->pgd_pa >> 12));
	/* the DC was not valid: just IODIR.INVAL_DDT(DV, DID 5) + IOFENCE.C */
	assert_int_equal(rv->iommu.ncmds, 2);
	assert_int_equal(rv_cmd(rv, 0)->dword0, UINT64_C(0x3) | (UINT64_C(1) << 33) |
					       (UINT64_C(5) << 40));
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 1)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	/* the IOMMU was told only after the whole DC, V included, was written */
	assert_int_equal(rv->iommu.dc_tc_seen[0], RISCV_IOMMU_DC_TC_V | RISCV_IOMMU_DC_TC_EN_ATS);
	/* its neighbours are untouched */
	assert_int_equal(rv_dc(&p->e, 4)->tc, 0);
	assert_int_equal(rv_dc(&p->e, 6)->tc, 0);
	assert_int_equal(fake_hal_log_count(h, HAL_LOG_WARN), 0);
}

static void test_reattach_invalidates_first(void **state)
{
	struct dev_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	struct iommu_domain *d2 = p->ops->domain_alloc_paging(&p->dev);
	uint32_t old_pscid = to_riscv_domain(p->d)->pscid;
	const struct riscv_iommu_command *c;

	assert_int_equal(p->ops->attach_dev(p->d, &p->dev), 0);
	p->dev.ats_enabled = true;
	rv->iommu.ncmds = 0;
	assert_int_equal(p->ops->attach_dev(d2, &p->dev), 0);
	/* V=0, IODIR + IOTINVAL(old PSCID) + ATS.INVAL, fence; new DC, IODIR, fence */
	assert_int_equal(rv->iommu.ncmds, 6);
	c = rv_cmd(rv, 0);
	assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_IODIR_OPCODE);
	assert_true(c->dword0 & RISCV_IOMMU_CMD_IODIR_DV);
	/* the first invalidation saw the DC already invalid, the second the new one valid */
	assert_int_equal(rv->iommu.dc_tc_seen[0] & RISCV_IOMMU_DC_TC_V, 0);
	assert_int_equal(rv->iommu.dc_tc_seen[4], RISCV_IOMMU_DC_TC_V | RISCV_IOMMU_DC_TC_EN_ATS);
	c = rv_cmd(rv, 1);
	assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_IOTINVAL_OPCODE);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_PSCID, c->dword0), old_pscid);
	c = rv_cmd(rv, 2);
	assert_int_equal(rv_cmd_op(c), RISCV_IOMMU_CMD_ATS_OPCODE);
	assert_int_equal(c->dword1, RISCV_IOMMU_CMD_ATS_INVAL_ALL);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 3)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 4)), RISCV_IOMMU_CMD_IODIR_OPCODE);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 5)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_int_equal(rv_dc(&p->e, 5)->ta, (uint64_t)to_riscv_domain(d2)->pscid << 12);

	/* NULL blocks: V = 0 after the invalidation, no new DC */
	rv->iommu.ncmds = 0;
	assert_int_equal(p->ops->attach_dev(NULL, &p->dev), 0);
	assert_int_equal(rv_dc(&p->e, 5)->tc & RISCV_IOMMU_DC_TC_V, 0);
	assert_int_equal(rv_fake_count_cmds(rv, RISCV_IOMMU_CMD_IOFENCE_OPCODE, 0), 1);
	p->dev.ats_enabled = false;
	d2->ops->free(d2);
}

static void test_attach_rejects_foreign_domain(void **state)
{
	struct dev_env *p = *state;
	struct iommu_device other = { 0 };
	struct iommu_domain *d;

	d = p->ops->domain_alloc_paging(&p->dev);
	d->iommu = &other;
	assert_int_equal(p->ops->attach_dev(d, &p->dev), -EINVAL);
	d->iommu = &p->e.iommu->iommu;
	d->type = IOMMU_DOMAIN_IDENTITY;
	assert_int_equal(p->ops->attach_dev(d, &p->dev), -EINVAL);
	assert_int_equal(rv_dc(&p->e, 5)->tc, 0);
	d->type = IOMMU_DOMAIN_PAGING;
	d->ops->free(d);
}

static void test_attach_timeout_leaves_device_blocked(void **state)
{
	struct dev_env *p = *state;

	p->e.rv->iommu.fence_ignore = true;
	assert_int_equal(p->ops->attach_dev(p->d, &p->dev), -ETIMEDOUT);
	assert_int_equal(rv_dc(&p->e, 5)->tc & RISCV_IOMMU_DC_TC_V, 0);
	assert_null(dev_to_riscv(&p->dev)->domain);
	p->e.rv->iommu.fence_ignore = false;
}

static void test_enable_iopf(void **state)
{
	struct dev_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	struct hal *h = p->e.h;
	struct rv_fake_pci *f = rv_fake_pci_get(rv, 5);
	uint32_t v;

	f->prpr = true;
	assert_int_equal(p->ops->attach_dev(p->d, &p->dev), 0);
	assert_int_equal(p->ops->dev_enable_iopf(&p->dev), 0);
	assert_int_equal(rv->add_device_calls, 1);
	assert_non_null(p->dev.fault_param);
	/* DC: EN_PRI and PRPR (the device requires PASIDs in responses) */
	assert_int_equal(rv_dc(&p->e, 5)->tc, RISCV_IOMMU_DC_TC_V | RISCV_IOMMU_DC_TC_EN_ATS |
					      RISCV_IOMMU_DC_TC_EN_PRI | RISCV_IOMMU_DC_TC_PRPR);
	/* ATS enabled with STU 0 */
	v = hal_pci_cfg_read(h, 5, 0x106, 2);
	assert_int_equal(v, 0x8000);
	/* PRI: reset, allocation = min(capacity 64, sw.driver.pri_alloc_max 32), enabled */
	assert_int_equal(f->resets, 1);
	assert_int_equal(hal_pci_cfg_read(h, 5, 0x11C, 4), 32);
	assert_true(f->pri_enable);
	assert_true(p->dev.pri_enabled && p->dev.ats_enabled);
	/* §18: the DC update was complete before PRI was enabled in the device */
	assert_int_equal(f->cmds_at_enable, rv->iommu.ncmds);
	assert_int_equal(p->ops->dev_enable_iopf(&p->dev), -EBUSY);
}

static void test_enable_iopf_allocation_is_capacity(void **state)
{
	struct dev_env *p = *state;
	struct device dev2;

	rv_add_dev(&p->e, &dev2, 6, 16);
	assert_int_equal(p->ops->dev_enable_iopf(&dev2), 0);
	assert_int_equal(hal_pci_cfg_read(p->e.h, 6, 0x11C, 4), 16);
	/* not attached: the DC stays invalid, EN_PRI comes with the attach */
	assert_int_equal(rv_dc(&p->e, 6)->tc, 0);
	assert_int_equal(p->ops->attach_dev(p->d, &dev2), 0);
	assert_int_equal(rv_dc(&p->e, 6)->tc, RISCV_IOMMU_DC_TC_V | RISCV_IOMMU_DC_TC_EN_ATS |
					      RISCV_IOMMU_DC_TC_EN_PRI);
	p->ops->release_device(&dev2);
	assert_int_equal(rv_dc(&p->e, 6)->tc, 0);
	assert_null(riscv_iommu_find_dev(p->e.iommu, 6));
}

static void test_enable_iopf_refusals(void **state)
{
	struct dev_env *p = *state;
	struct rv_fake_pci *f = rv_fake_pci_get(p->e.rv, 5);
	struct device nopri;

	f->outstanding = true; /* not Stopped */
	assert_int_equal(p->ops->dev_enable_iopf(&p->dev), -EBUSY);
	assert_int_equal(p->e.rv->add_device_calls, 0);
	f->outstanding = false;

	/* a function without ATS/PRI capabilities */
	rv_fake_add_pci(p->e.rv, 7, 8);
	memset(rv_fake_pci_get(p->e.rv, 7)->cfg + 0x100, 0, 0x30);
	rv_fake_device_init(p->e.rv, &nopri, 7, &p->e.iommu->iommu);
	assert_int_equal(p->ops->probe_device(&nopri), 0);
	assert_false(nopri.pri_supported);
	assert_int_equal(p->ops->dev_enable_iopf(&nopri), -ENODEV);
	p->ops->release_device(&nopri);
}

static void test_disable_iopf(void **state)
{
	struct dev_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	struct hal *h = p->e.h;
	struct rv_fake_pci *f = rv_fake_pci_get(rv, 5);
	unsigned int n;

	assert_int_equal(p->ops->attach_dev(p->d, &p->dev), 0);
	assert_int_equal(p->ops->dev_enable_iopf(&p->dev), 0);
	/* a request still in the PQ must reach the core before the device leaves it */
	rv_fake_pq_push(rv, (UINT64_C(5) << 40), 0x7000 | (3u << 3) | 4u | 1u);
	rv->iommu.ncmds = 0;
	p->ops->dev_disable_iopf(&p->dev);
	assert_false(f->pri_enable);
	assert_false(p->dev.pri_enabled || p->dev.ats_enabled);
	assert_int_equal(rv->nreports, 1);
	assert_int_equal(rv->reports_at_remove, 1);
	assert_int_equal(rv->remove_device_calls, 1);
	/* Linux's order: the device leaves the iopf queue before its PRI is disabled */
	assert_true(rv->pri_enabled_at_remove);
	assert_null(p->dev.fault_param);
	assert_int_equal(rv_dc(&p->e, 5)->tc, RISCV_IOMMU_DC_TC_V | RISCV_IOMMU_DC_TC_EN_ATS);
	/* ends with ATS.INVAL of the whole ATC + IOFENCE.C, then ATS off */
	n = rv->iommu.ncmds;
	assert_int_equal(rv_cmd_op(rv_cmd(rv, n - 2)), RISCV_IOMMU_CMD_ATS_OPCODE);
	assert_int_equal(rv_cmd(rv, n - 2)->dword1, RISCV_IOMMU_CMD_ATS_INVAL_ALL);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_ATS_RID, rv_cmd(rv, n - 2)->dword0), 5);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, n - 1)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_int_equal(hal_pci_cfg_read(h, 5, 0x106, 2) & 0x8000, 0);
	/* and it can be enabled again */
	assert_int_equal(p->ops->dev_enable_iopf(&p->dev), 0);
	p->ops->dev_disable_iopf(&p->dev);
}

static void test_page_response(void **state)
{
	struct dev_env *p = *state;
	struct rv_fake *rv = p->e.rv;
	struct hal *h = p->e.h;
	struct iopf_fault evt = { 0 };
	struct iommu_page_response msg = { .pasid = 0x42, .grpid = 5,
					   .code = IOMMU_PAGE_RESP_SUCCESS };
	const struct riscv_iommu_command *c;

	rv_fake_pci_get(rv, 5)->prpr = true;
	assert_int_equal(p->ops->attach_dev(p->d, &p->dev), 0);
	assert_int_equal(p->ops->dev_enable_iopf(&p->dev), 0);
	evt.fault.prm.flags = IOMMU_FAULT_PAGE_REQUEST_PASID_VALID | IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	evt.fault.prm.pasid = 0x42;
	evt.fault.prm.grpid = 5;
	rv->iommu.ncmds = 0;
	assert_int_equal(p->ops->page_response(&p->dev, &evt, &msg), 0);
	assert_int_equal(rv->iommu.ncmds, 1);
	c = rv_cmd(rv, 0);
	assert_int_equal(c->dword0, UINT64_C(0x84) | (UINT64_C(5) << 40) | (UINT64_C(1) << 32) |
				    (UINT64_C(0x42) << 12));
	assert_int_equal(c->dword1, UINT64_C(0x0000000500000000));
	assert_int_equal(fake_hal_stat(h, "sw.prgr.sent.success"), 1);
	assert_int_equal(fake_hal_stat(h, "sw.dev.0005.prgr.sent.success"), 1);
	assert_int_equal(fake_hal_charges(h, HAL_COST_CQ_SUBMIT) > 0, 1);

	msg.code = IOMMU_PAGE_RESP_INVALID;
	assert_int_equal(p->ops->page_response(&p->dev, &evt, &msg), 0);
	assert_int_equal(rv_cmd(rv, 1)->dword1, UINT64_C(0x0000100500000000));
	msg.code = IOMMU_PAGE_RESP_FAILURE;
	assert_int_equal(p->ops->page_response(&p->dev, &evt, &msg), 0);
	assert_int_equal(rv_cmd(rv, 2)->dword1, UINT64_C(0x0000F00500000000));
	assert_int_equal(fake_hal_stat(h, "sw.dev.0005.prgr.sent.invalid"), 1);
	assert_int_equal(fake_hal_stat(h, "sw.dev.0005.prgr.sent.failure"), 1);
	/* an unknown code is answered Invalid Request and reported */
	msg.code = 9;
	assert_int_equal(p->ops->page_response(&p->dev, &evt, &msg), -EINVAL);
	assert_int_equal(rv_cmd(rv, 3)->dword1, UINT64_C(0x0000100500000000));
	assert_int_equal(fake_hal_stat(h, "sw.dev.0005.prgr.sent.invalid"), 2);

	/* a request without PASID gets a response without PASID */
	evt.fault.prm.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	msg.code = IOMMU_PAGE_RESP_SUCCESS;
	assert_int_equal(p->ops->page_response(&p->dev, &evt, &msg), 0);
	assert_false(rv_cmd(rv, 4)->dword0 & RISCV_IOMMU_CMD_ATS_PV);
	p->ops->dev_disable_iopf(&p->dev);
}

/* A device that does not require PASIDs in responses gets none (PRPR = 0). */
static void test_page_response_without_prpr(void **state)
{
	struct dev_env *p = *state;
	struct iopf_fault evt = { 0 };
	struct iommu_page_response msg = { .pasid = 0x42, .grpid = 1 };

	assert_int_equal(p->ops->attach_dev(p->d, &p->dev), 0);
	assert_int_equal(p->ops->dev_enable_iopf(&p->dev), 0);
	assert_int_equal(rv_dc(&p->e, 5)->tc & RISCV_IOMMU_DC_TC_PRPR, 0);
	evt.fault.prm.flags = IOMMU_FAULT_PAGE_REQUEST_PASID_VALID | IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	p->e.rv->iommu.ncmds = 0;
	assert_int_equal(p->ops->page_response(&p->dev, &evt, &msg), 0);
	assert_false(rv_cmd(p->e.rv, 0)->dword0 & RISCV_IOMMU_CMD_ATS_PV);
	p->ops->dev_disable_iopf(&p->dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_device_limits, dev_setup, dev_teardown),
		cmocka_unit_test(test_probe_device_3lvl),
		cmocka_unit_test_setup_teardown(test_attach_writes_dc, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_reattach_invalidates_first, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_attach_rejects_foreign_domain, dev_setup,
						dev_teardown),
		cmocka_unit_test_setup_teardown(test_attach_timeout_leaves_device_blocked, dev_setup,
						dev_teardown),
		cmocka_unit_test_setup_teardown(test_enable_iopf, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_enable_iopf_allocation_is_capacity, dev_setup,
						dev_teardown),
		cmocka_unit_test_setup_teardown(test_enable_iopf_refusals, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_disable_iopf, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_page_response, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_page_response_without_prpr, dev_setup,
						dev_teardown),
	};

	return cmocka_run_group_tests_name("unit.riscv.device", tests, NULL, NULL);
}
