// SPDX-License-Identifier: Apache-2.0
/*
 * Description: riscv_iommu_probe against a fake register file: the §18
 * bring-up (queue bases, sizes, alignment, enable, 1LVL DDT, vectors, MSI
 * table, initial invalidation) and every refusal with its logged reason.
 */
#include <errno.h>

#include "rv_test.h"

static int probe_rc(struct hal *h)
{
	struct iommu_device *out = NULL;
	int rc = riscv_iommu_probe(h, hal_iommu(h, 0), &out);

	if (!rc)
		riscv_iommu_remove(out);
	else
		assert_null(out);
	return rc;
}

static void check_queue(struct hal *h, uint64_t qb, unsigned int log2sz, unsigned int esz)
{
	hal_paddr_t pa = RV_FIELD_GET(RISCV_IOMMU_QUEUE_PPN, qb) << 12;
	uint64_t bytes = (uint64_t)esz << log2sz;
	uint64_t align = bytes > 4096 ? bytes : 4096;

	assert_int_equal(qb & 0x1F, log2sz - 1);
	assert_int_equal(pa & (align - 1), 0);
	assert_non_null(hal_phys_to_virt(h, pa));
}

static void test_probe_programs_everything(void **state)
{
	struct rv_fake *rv = rv_fake_create();
	struct hal *h = rv->hal;
	struct riscv_iommu *iommu;
	struct rv_fake_iommu *f = &rv->iommu;
	unsigned int civ, fiv, piv, v;
	int base, en;

	(void)state;
	/* 512 x 16 B = 8 KiB: must be 8 KiB aligned */
	fake_hal_set_param_u64(h, "sw.driver.cq_log2sz", 9);
	fake_hal_set_param_u64(h, "sw.driver.fq_log2sz", 8); /* 256 x 32 B = 8 KiB */
	fake_hal_set_param_u64(h, "sw.driver.pq_log2sz", 4);
	iommu = rv_probe(h);
	assert_int_equal(rv->registered, 1);
	assert_ptr_equal(iommu->iommu.ops->page_response, riscv_iommu_page_response);
	assert_non_null(iommu->iommu.iopf_queue);

	check_queue(h, f->cqb, 9, 16);
	check_queue(h, f->fqb, 8, 32);
	check_queue(h, f->pqb, 4, 16);
	assert_int_equal(f->cqcsr, RISCV_IOMMU_CQCSR_CQEN | RISCV_IOMMU_CQCSR_CIE);
	assert_int_equal(f->fqcsr, RISCV_IOMMU_FQCSR_FQEN | RISCV_IOMMU_FQCSR_FIE);
	assert_int_equal(f->pqcsr, RISCV_IOMMU_PQCSR_PQEN | RISCV_IOMMU_PQCSR_PIE);

	/* §18 order per queue: base, software index = 0, then enable */
	base = rv_fake_trace_find(rv, 0, true, RISCV_IOMMU_REG_PQB);
	en = rv_fake_trace_find(rv, 0, true, RISCV_IOMMU_REG_PQCSR);
	assert_true(base >= 0 && en > base);
	assert_true(rv_fake_trace_find(rv, (unsigned int)base, true, RISCV_IOMMU_REG_PQH) < en);
	assert_true(rv_fake_trace_find(rv, 0, true, RISCV_IOMMU_REG_CQT) <
		    rv_fake_trace_find(rv, 0, true, RISCV_IOMMU_REG_CQCSR));

	/* 1LVL DDT on one zeroed page */
	assert_int_equal(f->ddtp & 0xF, RISCV_IOMMU_DDTP_MODE_1LVL);
	assert_ptr_equal(hal_phys_to_virt(h, RV_FIELD_GET(RISCV_IOMMU_DDTP_PPN, f->ddtp) << 12),
			 iommu->ddt);
	assert_int_equal(iommu->dc_size, 32);
	assert_int_equal(iommu->did_bits, 7);

	/* distinct vectors, each with an unmasked MSI of its own irq */
	civ = rv_vec_civ(rv);
	fiv = rv_vec_fiv(rv);
	piv = rv_vec_piv(rv);
	assert_true(civ != fiv && fiv != piv && civ != piv);
	for (v = 0; v < 16; v++) {
		if (v != civ && v != fiv && v != piv)
			continue;
		assert_int_equal(f->msi_addr[v], FAKE_MSI_ADDR);
		assert_int_equal(f->msi_ctl[v], 0);
		assert_true(fake_hal_irq_requested(h, f->msi_data[v]));
	}
	assert_int_not_equal(f->msi_data[civ], f->msi_data[piv]);

	/* caches dropped with IODIR(DV=0) + IOTINVAL + a completed IOFENCE.C */
	assert_int_equal(f->ncmds, 3);
	assert_int_equal(rv_cmd(rv, 0)->dword0, 0x3);
	assert_int_equal(rv_cmd(rv, 1)->dword0, 0x1);
	assert_int_equal(rv_cmd_op(rv_cmd(rv, 2)), RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_int_equal(*iommu->fence_word, iommu->fence_seq);
	assert_int_equal(fake_hal_log_count(h, HAL_LOG_ERROR), 0);

	riscv_iommu_remove(&iommu->iommu);
	assert_int_equal(f->ddtp & 0xF, RISCV_IOMMU_DDTP_MODE_OFF);
	assert_int_equal(f->cqcsr & RISCV_IOMMU_CQCSR_CQEN, 0);
	rv_fake_destroy(rv);
}

static void test_probe_refuses_caps(void **state)
{
	static const struct {
		uint64_t clear, set;
		const char *reason;
	} cases[] = {
		{ RISCV_IOMMU_CAPABILITIES_VERSION, 0x20, "version" },
		{ RISCV_IOMMU_CAPABILITIES_SV39, 0, "Sv39" },
		{ RISCV_IOMMU_CAPABILITIES_ATS, 0, "ATS" },
		/* wired only, and the platform connects no wires */
		{ 0, RV_FIELD_PREP(RISCV_IOMMU_CAPABILITIES_IGS, RISCV_IOMMU_IGS_WSI),
		  "no usable interrupts: capabilities.IGS = 1, 0 wires" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rv_fake *rv = rv_fake_create();
		struct hal *h = rv->hal;

		rv->iommu.caps = (rv->iommu.caps & ~cases[i].clear) | cases[i].set;
		assert_int_equal(probe_rc(h), -ENODEV);
		assert_int_equal(fake_hal_log_count(h, HAL_LOG_ERROR), 1);
		assert_non_null(strstr(fake_hal_last_log(h, HAL_LOG_ERROR), cases[i].reason));
		assert_int_equal(rv->registered, 0);
		rv_fake_destroy(rv);
	}
}

/*
 * §3/§4/§8: the kind of interrupt the driver takes (sw.driver.irq_mode):
 * auto takes MSIs when IGS offers them, else the wires; fctl.WSI is
 * written (and read back) accordingly; the wired irqs are the platform's
 * wire base + vector, and no MSI is allocated for them.
 */
static void test_probe_irq_mode(void **state)
{
	static const struct {
		unsigned int igs, wires;
		const char *mode;
		int rc;
		bool wsi;
	} cases[] = {
		{ RISCV_IOMMU_IGS_BOTH, 16, "auto", 0, false },
		{ RISCV_IOMMU_IGS_BOTH, 16, "wsi", 0, true },
		{ RISCV_IOMMU_IGS_WSI, 16, "auto", 0, true },
		{ RISCV_IOMMU_IGS_WSI, 16, "msi", -ENODEV, false },
		{ RISCV_IOMMU_IGS_MSI, 16, "wsi", -ENODEV, false },
		{ RISCV_IOMMU_IGS_BOTH, 3, "wsi", -ENODEV, false }, /* vector 3 has no wire */
		{ RISCV_IOMMU_IGS_BOTH, 0, "auto", 0, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rv_fake *rv = rv_fake_create();
		struct hal *h = rv->hal;
		struct iommu_device *out = NULL;
		int rc;

		rv->iommu.caps = (rv->iommu.caps & ~RISCV_IOMMU_CAPABILITIES_IGS) |
				 RV_FIELD_PREP(RISCV_IOMMU_CAPABILITIES_IGS, cases[i].igs);
		fake_hal_set_iommu_wires(h, 0, 40, cases[i].wires);
		fake_hal_set_param_str(h, "sw.driver.irq_mode", cases[i].mode);
		rc = riscv_iommu_probe(h, hal_iommu(h, 0), &out);
		assert_int_equal(rc, cases[i].rc);
		if (rc) {
			assert_null(out);
			assert_non_null(strstr(fake_hal_last_log(h, HAL_LOG_ERROR), "no usable interrupts"));
			rv_fake_destroy(rv);
			continue;
		}
		assert_int_equal(!!(rv->iommu.fctl & RISCV_IOMMU_FCTL_WSI), cases[i].wsi);
		/* cq, fq, pq on vectors 0, 1, 2: wires 40..42, or MSIs 1..3 */
		assert_int_equal(fake_hal_irq_requested(h, 40), cases[i].wsi);
		assert_int_equal(fake_hal_irq_requested(h, 42), cases[i].wsi);
		assert_int_equal(fake_hal_irq_requested(h, 1), !cases[i].wsi);
		assert_int_equal(fake_hal_log_count(h, HAL_LOG_ERROR), 0);
		riscv_iommu_remove(out);
		rv_fake_destroy(rv);
	}
}

static void test_probe_xqon_timeout(void **state)
{
	struct rv_fake *rv = rv_fake_create();
	struct hal *h = rv->hal;

	(void)state;
	rv->iommu.never_on = true;
	assert_int_equal(probe_rc(h), -ETIMEDOUT);
	assert_non_null(strstr(fake_hal_last_log(h, HAL_LOG_ERROR), "cqon"));
	/* the queue whose enable timed out was turned off again */
	assert_int_equal(rv->iommu.cqcsr & RISCV_IOMMU_CQCSR_CQEN, 0);
	/* bounded, and the polls were charged as CPU time */
	assert_true(fake_hal_charged_ps(h) > 0);
	assert_int_equal(rv->registered, 0);
	rv_fake_destroy(rv);
}

static void test_probe_bad_queue_size(void **state)
{
	struct rv_fake *rv = rv_fake_create();
	struct hal *h = rv->hal;

	(void)state;
	fake_hal_set_param_u64(h, "sw.driver.pq_log2sz", 0);
	assert_int_equal(probe_rc(h), -EINVAL);
	assert_non_null(strstr(fake_hal_last_log(h, HAL_LOG_ERROR), "sw.driver.pq_log2sz"));
	fake_hal_set_param_u64(h, "sw.driver.pq_log2sz", 3);
	fake_hal_set_param_u64(h, "sw.driver.cq_log2sz", 21);
	assert_int_equal(probe_rc(h), -EINVAL);
	assert_non_null(strstr(fake_hal_last_log(h, HAL_LOG_ERROR), "sw.driver.cq_log2sz"));
	rv_fake_destroy(rv);
}

/* LOG2SZ-1 is WARL: a smaller queue than asked is used, with a warning. */
static void test_probe_warl_queue_size(void **state)
{
	struct rv_fake *rv = rv_fake_create();
	struct hal *h = rv->hal;
	struct riscv_iommu *iommu;

	(void)state;
	rv->iommu.max_log2sz = 2;
	fake_hal_set_param_u64(h, "sw.driver.pq_log2sz", 3);
	fake_hal_set_param_u64(h, "sw.driver.fq_log2sz", 2);
	fake_hal_set_param_u64(h, "sw.driver.cq_log2sz", 2);
	iommu = rv_probe(h);
	assert_int_equal(iommu->priq.log2sz, 2);
	assert_int_equal(iommu->priq.mask, 3);
	assert_int_equal(fake_hal_log_count(h, HAL_LOG_WARN), 1);
	riscv_iommu_remove(&iommu->iommu);
	rv_fake_destroy(rv);
}

static void test_probe_too_few_vectors(void **state)
{
	struct rv_fake *rv = rv_fake_create();
	struct hal *h = rv->hal;

	(void)state;
	rv->iommu.icvec_mask = 0x1111; /* one bit per field: 2 vectors */
	assert_int_equal(probe_rc(h), -ENODEV);
	assert_non_null(strstr(fake_hal_last_log(h, HAL_LOG_ERROR), "icvec"));
	rv_fake_destroy(rv);
}

static void test_probe_fence_never_completes(void **state)
{
	struct rv_fake *rv = rv_fake_create();
	struct hal *h = rv->hal;

	(void)state;
	rv->iommu.fence_ignore = true;
	assert_int_equal(probe_rc(h), -ETIMEDOUT);
	assert_non_null(strstr(fake_hal_last_log(h, HAL_LOG_ERROR), "IOFENCE.C"));
	/* after spinning, the waiter slept (other tasks can run) */
	assert_true(fake_hal_slept_ps(h) > 0);
	assert_int_equal(rv->registered, 0);
	/* the unwind turned translation and the queues off again */
	assert_int_equal(rv->iommu.ddtp & 0xF, RISCV_IOMMU_DDTP_MODE_OFF);
	assert_int_equal(rv->iommu.pqcsr & RISCV_IOMMU_PQCSR_PQEN, 0);
	rv_fake_destroy(rv);
}

static void test_probe_alloc_failures(void **state)
{
	static const char *const sites[] = {
		"riscv_iommu.alloc", "riscv_iommu.queue_alloc", "riscv_iommu.ddt_alloc",
		"iopf.queue_alloc",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		struct rv_fake *rv = rv_fake_create();
		struct hal *h = rv->hal;

		/* the first call of that site fails */
		fake_hal_fail_filter(h, sites[i]);
		fake_hal_fail_nth(h, 1);
		assert_int_equal(probe_rc(h), -ENOMEM);
		assert_string_equal(fake_hal_failed_site(h), sites[i]);
		assert_int_equal(rv->registered, 0);
		rv_fake_destroy(rv);
	}
}

/* A previous owner left translation and queues on: probe resets them first. */
static void test_probe_resets_previous_state(void **state)
{
	struct rv_fake *rv = rv_fake_create();
	struct hal *h = rv->hal;
	struct riscv_iommu *iommu;

	(void)state;
	rv->iommu.ddtp = RISCV_IOMMU_DDTP_MODE_2LVL;
	rv->iommu.cqcsr = RISCV_IOMMU_CQCSR_CQEN;
	iommu = rv_probe(h);
	/* ddtp went through Off before 1LVL (xLVL -> xLVL is UNSPECIFIED, §5) */
	assert_true(rv_fake_trace_find(rv, 0, true, RISCV_IOMMU_REG_DDTP) <
		    rv_fake_trace_find(rv, 0, true, RISCV_IOMMU_REG_FCTL));
	assert_int_equal(rv->trace[rv_fake_trace_find(rv, 0, true, RISCV_IOMMU_REG_DDTP)].val,
			 RISCV_IOMMU_DDTP_MODE_OFF);
	assert_int_equal(rv->iommu.ddtp & 0xF, RISCV_IOMMU_DDTP_MODE_1LVL);
	riscv_iommu_remove(&iommu->iommu);
	rv_fake_destroy(rv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_programs_everything),
		cmocka_unit_test(test_probe_refuses_caps),
		cmocka_unit_test(test_probe_irq_mode),
		cmocka_unit_test(test_probe_xqon_timeout),
		cmocka_unit_test(test_probe_bad_queue_size),
		cmocka_unit_test(test_probe_warl_queue_size),
		cmocka_unit_test(test_probe_too_few_vectors),
		cmocka_unit_test(test_probe_fence_never_completes),
		cmocka_unit_test(test_probe_alloc_failures),
		cmocka_unit_test(test_probe_resets_previous_state),
	};

	return cmocka_run_group_tests_name("unit.riscv.probe", tests, NULL, NULL);
}
