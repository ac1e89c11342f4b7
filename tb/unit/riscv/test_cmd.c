// SPDX-License-Identifier: Apache-2.0
/*
 * Description: command encodings against the bit tables of
 * spec/riscv-iommu.md §10 (IOTINVAL.VMA, IOFENCE.C, IODIR.INVAL_DDT,
 * ATS.INVAL, ATS.PRGR), the ATS.INVAL range payload, the response-code
 * mapping and the symbolic fault names.
 */
#include "rv_test.h"

/* §19 reference trace: CQ ATS.PRGR (PRGI 5, Success) -> payload 0x0000000500000000 */
static void test_prgr_reference_payload(void **state)
{
	struct riscv_iommu_command c;

	(void)state;
	riscv_iommu_cmd_ats_prgr(&c, 5, 5, RISCV_IOMMU_PRGR_SUCCESS);
	assert_int_equal(c.dword1, UINT64_C(0x0000000500000000));
	/* opcode 4 (6:0), func3 1 (9:7), RID 5 (55:40), nothing else */
	assert_int_equal(c.dword0, UINT64_C(0x4) | (UINT64_C(1) << 7) | (UINT64_C(5) << 40));
}

static void test_prgr_codes_and_fields(void **state)
{
	struct riscv_iommu_command c;

	(void)state;
	riscv_iommu_cmd_ats_prgr(&c, 0x0108, 5, RISCV_IOMMU_PRGR_INVALID);
	assert_int_equal(c.dword1, UINT64_C(0x0000100500000000));
	riscv_iommu_cmd_ats_prgr(&c, 0x0108, 5, RISCV_IOMMU_PRGR_FAILURE);
	assert_int_equal(c.dword1, UINT64_C(0x0000F00500000000));
	/* 9-bit PRG index at 40:32; legacy destination ID 63:48 stays 0 */
	riscv_iommu_cmd_ats_prgr(&c, 0xFFFF, 0x1FF, RISCV_IOMMU_PRGR_SUCCESS);
	assert_int_equal(c.dword1, UINT64_C(0x000001FF00000000));
	assert_int_equal(c.dword1 >> 48, 0);
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_ATS_RID, c.dword0), 0xFFFF);
	assert_false(c.dword0 & RISCV_IOMMU_CMD_ATS_DSV);
	/* PASID: PV at 32, PID at 31:12 */
	riscv_iommu_cmd_ats_set_pid(&c, 0x42);
	assert_true(c.dword0 & (UINT64_C(1) << 32));
	assert_int_equal((c.dword0 >> 12) & 0xFFFFF, 0x42);
	/* a segment in the device_id becomes DSV + DSEG (63:56) */
	riscv_iommu_cmd_ats_prgr(&c, 0x30005, 1, RISCV_IOMMU_PRGR_SUCCESS);
	assert_true(c.dword0 & (UINT64_C(1) << 33));
	assert_int_equal(c.dword0 >> 56, 3);
	assert_int_equal((c.dword0 >> 40) & 0xFFFF, 5);
}

static void test_iotinval_vma(void **state)
{
	struct riscv_iommu_command c;

	(void)state;
	riscv_iommu_cmd_iotinval_vma(&c);
	assert_int_equal(c.dword0, 0x1); /* opcode 1, func3 0: all entries */
	assert_int_equal(c.dword1, 0);
	riscv_iommu_cmd_inval_set_pscid(&c, 0xABCDE);
	riscv_iommu_cmd_inval_set_addr(&c, UINT64_C(0x7654321000));
	/* AV bit 10, PSCID 31:12, PSCV bit 32, no GV (33) */
	assert_int_equal(c.dword0, UINT64_C(0x1) | (UINT64_C(1) << 10) |
				   (UINT64_C(0xABCDE) << 12) | (UINT64_C(1) << 32));
	/* ADDR[63:12] at absolute bits 125:74 = dword1 bits 61:10 */
	assert_int_equal(c.dword1, UINT64_C(0x7654321) << 10);
	assert_false(c.dword1 & (UINT64_C(1) << 9)); /* S (73) clear */
}

static void test_iofence_c(void **state)
{
	struct riscv_iommu_command c;

	(void)state;
	riscv_iommu_cmd_iofence_c(&c, UINT64_C(0x80001234), 0xCAFEF00D);
	/* opcode 2, func3 0, AV 10, PR 12, PW 13, DATA 63:32 */
	assert_int_equal(c.dword0, UINT64_C(0x2) | (UINT64_C(1) << 10) | (UINT64_C(1) << 12) |
				   (UINT64_C(1) << 13) | (UINT64_C(0xCAFEF00D) << 32));
	/* ADDR[63:2] at 125:64 */
	assert_int_equal(c.dword1, UINT64_C(0x80001234) >> 2);
	/* without an address: no AV, no DATA, no ADDR */
	riscv_iommu_cmd_iofence_c(&c, 0, 7);
	assert_false(c.dword0 & (UINT64_C(1) << 10));
	assert_int_equal(c.dword0 >> 32, 0);
	assert_int_equal(c.dword1, 0);
}

static void test_iodir_inval_ddt(void **state)
{
	struct riscv_iommu_command c;

	(void)state;
	riscv_iommu_cmd_iodir_inval_ddt(&c, true, 0x7F);
	/* opcode 3, func3 0, DV bit 33, DID 63:40 */
	assert_int_equal(c.dword0, UINT64_C(0x3) | (UINT64_C(1) << 33) | (UINT64_C(0x7F) << 40));
	assert_int_equal(c.dword1, 0);
	riscv_iommu_cmd_iodir_inval_ddt(&c, false, 0x7F);
	assert_int_equal(c.dword0, 0x3); /* DV = 0: everything, DID ignored and 0 */
}

static void test_ats_inval(void **state)
{
	struct riscv_iommu_command c;

	(void)state;
	riscv_iommu_cmd_ats_inval(&c, 0x0009, RISCV_IOMMU_CMD_ATS_INVAL_ALL);
	assert_int_equal(c.dword0, UINT64_C(0x4) | (UINT64_C(9) << 40)); /* func3 0 */
	assert_int_equal(c.dword1, UINT64_C(0x7FFFFFFFFFFFF800));
}

/* Decode a NAPOT ATS.INVAL payload into [first page, last page]. */
static void napot_range(uint64_t payload, uint64_t *first, uint64_t *last)
{
	uint64_t page = payload >> 12;
	unsigned int x = 0;

	if (!(payload & RISCV_IOMMU_CMD_ATS_INVAL_S)) {
		*first = *last = page;
		return;
	}
	while (page & (UINT64_C(1) << x))
		x++;
	*first = page & ~((UINT64_C(2) << x) - 1);
	*last = *first + (UINT64_C(2) << x) - 1;
}

static void test_ats_inval_payload_ranges(void **state)
{
	static const struct { uint64_t iova, size; } cases[] = {
		{ 0x1000, 0x1000 }, { 0x0, 0x2000 }, { 0x3000, 0x2000 }, { 0x10000000, 0x40000 },
		{ 0x1FF000, 0x2000 }, { 0x12345000, 0x7000 }, { 0x4000000000 - 0x1000, 0x1000 },
	};
	uint64_t p, first, last;
	size_t i;

	(void)state;
	assert_int_equal(riscv_iommu_ats_inval_payload(0x5000, 0x1000), 0x5000);
	/* pages 3..4: smallest aligned block is 0..7 -> address 0x3000 | S */
	assert_int_equal(riscv_iommu_ats_inval_payload(0x3000, 0x2000), 0x3000 | 0x800);
	assert_int_equal(riscv_iommu_ats_inval_payload(0, 0), RISCV_IOMMU_CMD_ATS_INVAL_ALL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = riscv_iommu_ats_inval_payload(cases[i].iova, cases[i].size);
		assert_int_equal(p & 0x7FF, 0); /* G = 0, bits 10:1 zero */
		napot_range(p, &first, &last);
		/* the block covers the whole range */
		assert_true(first <= cases[i].iova >> 12);
		assert_true(last >= (cases[i].iova + cases[i].size - 1) >> 12);
		if (cases[i].size == 0x1000)
			assert_int_equal(first, last);
	}
}

static void test_prgr_code_mapping(void **state)
{
	(void)state;
	assert_int_equal(riscv_iommu_prgr_code(IOMMU_PAGE_RESP_SUCCESS), 0x0);
	assert_int_equal(riscv_iommu_prgr_code(IOMMU_PAGE_RESP_INVALID), 0x1);
	assert_int_equal(riscv_iommu_prgr_code(IOMMU_PAGE_RESP_FAILURE), 0xF);
	/* unknown generic codes never become Response Failure */
	assert_int_equal(riscv_iommu_prgr_code((enum iommu_page_response_code)7), 0x1);
}

static void test_fault_names(void **state)
{
	(void)state;
	assert_string_equal(riscv_iommu_fq_cause_name(258), "DDT_INVALID");
	assert_string_equal(riscv_iommu_fq_cause_name(260), "TTYP_BLOCKED");
	assert_string_equal(riscv_iommu_fq_cause_name(15), "WR_FAULT_S");
	assert_string_equal(riscv_iommu_fq_cause_name(274), "PT_CORRUPTED");
	assert_string_equal(riscv_iommu_fq_cause_name(3), "RESERVED");
	assert_string_equal(riscv_iommu_fq_cause_name(2048), "CUSTOM");
	assert_int_equal(RISCV_IOMMU_FQ_CAUSE_DDT_MISCONFIGURED, 259);
	assert_string_equal(riscv_iommu_fq_ttyp_name(9), "PCIE_MSG_REQ");
	assert_string_equal(riscv_iommu_fq_ttyp_name(4), "RESERVED");
	assert_string_equal(riscv_iommu_fq_ttyp_name(40), "CUSTOM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prgr_reference_payload),
		cmocka_unit_test(test_prgr_codes_and_fields),
		cmocka_unit_test(test_iotinval_vma),
		cmocka_unit_test(test_iofence_c),
		cmocka_unit_test(test_iodir_inval_ddt),
		cmocka_unit_test(test_ats_inval),
		cmocka_unit_test(test_ats_inval_payload_ranges),
		cmocka_unit_test(test_prgr_code_mapping),
		cmocka_unit_test(test_fault_names),
	};

	return cmocka_run_group_tests_name("unit.riscv.cmd", tests, NULL, NULL);
}
