// SPDX-License-Identifier: Apache-2.0
/*
 * Description: fault queue: fip cleared before fqt is read, records decoded
 * (§11) and logged with symbolic names, per-cause and per-device statistics,
 * fqh written back, fqof/fqmf cleared after draining; records of a known
 * device handed up as RISC-V vEVENTs to the domain at its RID attach, only
 * counted when nothing listens.
 */
#include <errno.h>

#include "rv_test.h"

static uint64_t fq_hdr(unsigned int cause, unsigned int ttyp, uint32_t did)
{
	return (uint64_t)cause | ((uint64_t)ttyp << 34) | ((uint64_t)did << 40);
}

static void test_fq_records(void **state)
{
	struct rv_env e;
	struct device dev;
	int fip, fqt;

	(void)state;
	rv_env_up(&e);
	rv_add_dev(&e, &dev, 1, 64);
	rv_fake_fq_push(e.rv, fq_hdr(258, 9, 1), 0x4); /* DC not valid, Page Request */
	rv_fake_fq_push(e.rv, fq_hdr(15, 3, 1), 0x10003000);
	rv_fake_fq_push(e.rv, fq_hdr(273, 0, 0), FAKE_MSI_ADDR); /* IOMMU's own MSI write */
	e.rv->ntrace = 0;
	e.rv->iommu.fqh_writes = 0;
	rv_fake_run_irq(e.rv, rv_vec_fiv(e.rv));

	fip = rv_fake_trace_find(e.rv, 0, true, RISCV_IOMMU_REG_IPSR);
	fqt = rv_fake_trace_find(e.rv, 0, false, RISCV_IOMMU_REG_FQT);
	assert_true(fip >= 0 && fqt > fip);
	assert_int_equal(e.rv->trace[fip].val, RISCV_IOMMU_IPSR_FIP);
	assert_int_equal(e.rv->iommu.fqh, 3);
	assert_int_equal(e.rv->iommu.fqh_writes, 1);
	assert_int_equal(fake_hal_charges(e.h, HAL_COST_FQ_RECORD), 3);

	assert_int_equal(fake_hal_stat(e.h, "sw.fq.irqs"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.records_read"), 3);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.cause.258"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.cause.15"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.cause.273"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0001.fq.records_read"), 2);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0001.fq.cause.258"), 1);
	/* TTYP 0 has no meaningful device_id: no per-device count for 0000 */
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0000.fq.records_read"), 0);

	/* every record is logged with its symbolic names, then the lost-MSI recovery */
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_WARN), 4);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_WARN), "cause 273"));
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.msi_faults"), 1);
	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

/* The record of the IOMMU's own MSI write, with its symbolic names. */
static void test_fq_msi_record_named(void **state)
{
	struct rv_env e;

	(void)state;
	rv_env_up(&e);
	rv_fake_fq_push(e.rv, fq_hdr(273, 0, 0), FAKE_MSI_ADDR);
	rv_fake_run_irq(e.rv, rv_vec_fiv(e.rv));
	/* the record line is the first warning; the recovery line the second */
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_WARN), 2);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.cause.273"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.msi_faults"), 1);
	rv_env_down(&e);
}

/*
 * Cause 273: the MSI that faulted may have been the PQ's one edge (§8.1):
 * pip stays 1 and no other MSI comes. The FQ thread services the PQ (and
 * the CQ) as if their interrupts had come: the waiting record is read and
 * pip is cleared.
 */
static void test_fq_msi_fault_services_pq(void **state)
{
	struct rv_env e;
	struct device dev;

	(void)state;
	rv_env_up(&e);
	rv_add_dev(&e, &dev, 1, 64);
	/* a page request whose MSI was lost: pip is 1, nobody was told */
	rv_fake_pq_push(e.rv, (uint64_t)1 << 40, (3u << 3) | RISCV_IOMMU_PQ_PAYLOAD_R);
	rv_fake_fq_push(e.rv, fq_hdr(273, 0, 0), FAKE_MSI_ADDR);
	rv_fake_run_irq(e.rv, rv_vec_fiv(e.rv));
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.msi_faults"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.pq.records_read"), 1);
	assert_int_equal(e.rv->iommu.pqh, e.rv->iommu.pqt);
	assert_int_equal(e.rv->iommu.ipsr & RISCV_IOMMU_IPSR_PIP, 0);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_WARN), "servicing"));
	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

static void test_fq_overflow(void **state)
{
	struct rv_env e;

	(void)state;
	rv_env_up(&e);
	rv_fake_fq_push(e.rv, fq_hdr(260, 9, 3), 0x4);
	e.rv->iommu.fqcsr |= (uint32_t)(RISCV_IOMMU_FQCSR_FQOF | RISCV_IOMMU_FQCSR_FQMF);
	rv_fake_run_irq(e.rv, rv_vec_fiv(e.rv));
	assert_int_equal(e.rv->iommu.fqcsr, RISCV_IOMMU_FQCSR_FQEN | RISCV_IOMMU_FQCSR_FIE);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.records_read"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0003.fq.cause.260"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.overflows"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.memfaults"), 1);
	/* named, as a warning: the queue recovers */
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_WARN), "fqmf"));
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_ERROR), 0);
	/* drained before the W1C */
	assert_true(rv_fake_trace_find(e.rv, 0, true, RISCV_IOMMU_REG_FQCSR) >
		    rv_fake_trace_find(e.rv, 0, true, RISCV_IOMMU_REG_FQH));
	rv_env_down(&e);
}

/*
 * A storm: every record is logged, the first ones as warnings only, the last
 * of those with a note that the rest go to debug level.
 */
static void test_fq_storm_log_levels(void **state)
{
	struct rv_env e;
	unsigned int i, round;

	(void)state;
	rv_env_up(&e);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 12; i++)
			rv_fake_fq_push(e.rv, fq_hdr(258, 9, 2), 0x4);
		rv_fake_run_irq(e.rv, rv_vec_fiv(e.rv));
	}
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.records_read"), 24);
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_WARN), RISCV_IOMMU_NOISY_WARN + 1);
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_DEBUG), 24 - RISCV_IOMMU_NOISY_WARN);
	rv_env_down(&e);
}

/* What the consumer at the RID attach (iommufd's vIOMMU path) was given. */
struct vevent_sink {
	struct iommu_domain domain;
	struct iommu_attach_handle handle;
	unsigned int calls;
	uint32_t type;
	struct iommu_vevent_riscv_iommu last;
	int rc;                    /* returned to the driver */
};

static int sink_handler(struct iommu_attach_handle *handle, uint32_t type, const void *data,
			size_t len)
{
	struct vevent_sink *sk = container_of(handle, struct vevent_sink, handle);

	assert_int_equal(sizeof(sk->last), len);
	sk->calls++;
	sk->type = type;
	memcpy(&sk->last, data, len);
	return sk->rc;
}

static void sink_attach(struct vevent_sink *sk, struct device *dev)
{
	memset(sk, 0, sizeof(*sk));
	sk->domain.event_handler = sink_handler;
	sk->handle.domain = &sk->domain;
	sk->handle.dev = dev;
	sk->handle.pasid = IOMMU_NO_PASID;
	list_add_tail(&sk->handle.dev_node, &dev->attach_handles);
}

static void test_fq_vevents(void **state)
{
	struct vevent_sink sk;
	struct device dev1, dev2;
	struct rv_env e;

	(void)state;
	rv_env_up(&e);
	rv_add_dev(&e, &dev1, 1, 64);
	rv_add_dev(&e, &dev2, 2, 64);
	sink_attach(&sk, &dev1);
	/* DC misconfigured (259) for dev 1, with every header field set. */
	rv_fake_fq_push(e.rv, fq_hdr(259, 2, 1) | (0x12345ull << 12) | (1ull << 32) | (1ull << 33),
			0x10003000);
	rv_fake_fq_push(e.rv, fq_hdr(258, 9, 2), 0x4);           /* dev 2: no listener */
	rv_fake_fq_push(e.rv, fq_hdr(273, 0, 1), FAKE_MSI_ADDR); /* TTYP 0: no device */
	rv_fake_run_irq(e.rv, rv_vec_fiv(e.rv));

	assert_int_equal(1, sk.calls);
	assert_int_equal(IOMMU_VEVENTQ_TYPE_RISCV_IOMMU, sk.type);
	assert_int_equal(259, IOMMU_VEVENT_RISCV_HDR_CAUSE(sk.last.hdr));
	assert_int_equal(0x12345, IOMMU_VEVENT_RISCV_HDR_PID(sk.last.hdr));
	assert_int_equal(1, IOMMU_VEVENT_RISCV_HDR_PV(sk.last.hdr));
	assert_int_equal(1, IOMMU_VEVENT_RISCV_HDR_PRIV(sk.last.hdr));
	assert_int_equal(2, IOMMU_VEVENT_RISCV_HDR_TTYP(sk.last.hdr));
	assert_int_equal(1, IOMMU_VEVENT_RISCV_HDR_DID(sk.last.hdr));
	assert_int_equal(0x10003000, sk.last.iotval);
	/* Every record is still counted and logged as before. */
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.records_read"), 3);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.vevents"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0001.fq.vevents"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0002.fq.vevents"), 0);
	assert_int_equal(fake_hal_stat(e.h, "sw.dev.0002.fq.cause.258"), 1);
	/* three records, and the queues serviced for the MSI that cause 273 lost */
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_WARN), 4);

	/* A consumer without a vEVENTQ of the type: handed up, not counted. */
	sk.rc = -EOPNOTSUPP;
	rv_fake_fq_push(e.rv, fq_hdr(260, 9, 1), 0x4);
	rv_fake_run_irq(e.rv, rv_vec_fiv(e.rv));
	assert_int_equal(2, sk.calls);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.vevents"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.fq.records_read"), 4);
	assert_int_equal(e.rv->iommu.fqh, 4);

	list_del_init(&sk.handle.dev_node);
	e.iommu->iommu.ops->release_device(&dev1);
	e.iommu->iommu.ops->release_device(&dev2);
	rv_env_down(&e);
}

/* The driver backs vIOMMUs of the RISC-V type and no other. */
static void test_viommu_supported(void **state)
{
	struct rv_env e;
	struct device dev;

	(void)state;
	rv_env_up(&e);
	rv_add_dev(&e, &dev, 1, 64);
	assert_non_null(e.iommu->iommu.ops->viommu_supported);
	assert_true(e.iommu->iommu.ops->viommu_supported(&dev, IOMMU_VIOMMU_TYPE_RISCV_IOMMU));
	assert_false(e.iommu->iommu.ops->viommu_supported(&dev, IOMMU_VIOMMU_TYPE_DEFAULT));
	assert_false(e.iommu->iommu.ops->viommu_supported(&dev, IOMMU_VIOMMU_TYPE_ARM_SMMUV3));
	e.iommu->iommu.ops->release_device(&dev);
	rv_env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fq_records),
		cmocka_unit_test(test_fq_msi_record_named),
		cmocka_unit_test(test_fq_msi_fault_services_pq),
		cmocka_unit_test(test_fq_overflow),
		cmocka_unit_test(test_fq_storm_log_levels),
		cmocka_unit_test(test_fq_vevents),
		cmocka_unit_test(test_viommu_supported),
	};

	return cmocka_run_group_tests_name("unit.riscv.fq", tests, NULL, NULL);
}
