// SPDX-License-Identifier: Apache-2.0
/*
 * Description: the uAPI structs have the Linux layouts (linux-iopf.md §2.2 -
 * §2.6 and the VFIO cdev subset), the ioctl numbers the _IO(';', nr)
 * encoding, and the response codes the internal values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "iommu/iommu.h"
#include "prisim/uapi/iommufd.h"
#include "prisim/uapi/vfio.h"

#define CHECK_OFF(type, field, off) assert_int_equal((off), offsetof(struct type, field))

static void test_fault_alloc_layout(void **state)
{
	(void)state;
	assert_int_equal(16, sizeof(struct iommu_fault_alloc));
	CHECK_OFF(iommu_fault_alloc, size, 0);
	CHECK_OFF(iommu_fault_alloc, flags, 4);
	CHECK_OFF(iommu_fault_alloc, out_fault_id, 8);
	CHECK_OFF(iommu_fault_alloc, out_fault_fd, 12);
}

static void test_hwpt_alloc_layout(void **state)
{
	(void)state;
	assert_int_equal(48, sizeof(struct iommu_hwpt_alloc));
	CHECK_OFF(iommu_hwpt_alloc, size, 0);
	CHECK_OFF(iommu_hwpt_alloc, flags, 4);
	CHECK_OFF(iommu_hwpt_alloc, dev_id, 8);
	CHECK_OFF(iommu_hwpt_alloc, pt_id, 12);
	CHECK_OFF(iommu_hwpt_alloc, out_hwpt_id, 16);
	CHECK_OFF(iommu_hwpt_alloc, __reserved, 20);
	CHECK_OFF(iommu_hwpt_alloc, data_type, 24);
	CHECK_OFF(iommu_hwpt_alloc, data_len, 28);
	CHECK_OFF(iommu_hwpt_alloc, data_uptr, 32);
	CHECK_OFF(iommu_hwpt_alloc, fault_id, 40);
	CHECK_OFF(iommu_hwpt_alloc, __reserved2, 44);
	assert_int_equal(1u << 0, IOMMU_HWPT_ALLOC_NEST_PARENT);
	assert_int_equal(1u << 1, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	assert_int_equal(1u << 2, IOMMU_HWPT_FAULT_ID_VALID);
	assert_int_equal(1u << 3, IOMMU_HWPT_ALLOC_PASID);
}

/* IOMMU_HWPT_INVALIDATE (Linux's layout) and the RISC-V nesting data (prisim's). */
static void test_hwpt_nesting_layouts(void **state)
{
	(void)state;
	assert_int_equal(32, sizeof(struct iommu_hwpt_invalidate));
	CHECK_OFF(iommu_hwpt_invalidate, size, 0);
	CHECK_OFF(iommu_hwpt_invalidate, hwpt_id, 4);
	CHECK_OFF(iommu_hwpt_invalidate, data_uptr, 8);
	CHECK_OFF(iommu_hwpt_invalidate, data_type, 16);
	CHECK_OFF(iommu_hwpt_invalidate, entry_len, 20);
	CHECK_OFF(iommu_hwpt_invalidate, entry_num, 24);
	CHECK_OFF(iommu_hwpt_invalidate, __reserved, 28);
	assert_int_equal(0, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1);
	assert_int_equal(1, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3);
	assert_int_equal(32, sizeof(struct iommu_hwpt_riscv_iommu));
	CHECK_OFF(iommu_hwpt_riscv_iommu, dc_tc, 0);
	CHECK_OFF(iommu_hwpt_riscv_iommu, dc_iohgatp, 8);
	CHECK_OFF(iommu_hwpt_riscv_iommu, dc_ta, 16);
	CHECK_OFF(iommu_hwpt_riscv_iommu, dc_fsc, 24);
	assert_int_equal(16, sizeof(struct iommu_hwpt_riscv_iommu_invalidate));
	/* prisim's types, far from upstream's small numbers */
	assert_int_equal(0x5256494f, IOMMU_HWPT_DATA_RISCV_IOMMU);
	assert_int_equal(0x5256494f, IOMMU_HWPT_INVALIDATE_DATA_RISCV_IOMMU);
}

static void test_pgfault_layout(void **state)
{
	(void)state;
	assert_int_equal(40, sizeof(struct iommu_hwpt_pgfault));
	assert_int_equal(8, _Alignof(struct iommu_hwpt_pgfault));
	CHECK_OFF(iommu_hwpt_pgfault, flags, 0);
	CHECK_OFF(iommu_hwpt_pgfault, dev_id, 4);
	CHECK_OFF(iommu_hwpt_pgfault, pasid, 8);
	CHECK_OFF(iommu_hwpt_pgfault, grpid, 12);
	CHECK_OFF(iommu_hwpt_pgfault, perm, 16);
	CHECK_OFF(iommu_hwpt_pgfault, __reserved, 20);
	CHECK_OFF(iommu_hwpt_pgfault, addr, 24);
	CHECK_OFF(iommu_hwpt_pgfault, length, 32);
	CHECK_OFF(iommu_hwpt_pgfault, cookie, 36);
	/* flags and perm are copied raw from the internal request */
	assert_int_equal(IOMMU_FAULT_PAGE_REQUEST_PASID_VALID, IOMMU_PGFAULT_FLAGS_PASID_VALID);
	assert_int_equal(IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	assert_int_equal(IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID, IOMMU_PGFAULT_FLAGS_NEEDS_PASID);
	assert_int_equal(IOMMU_FAULT_PERM_READ, IOMMU_PGFAULT_PERM_READ);
	assert_int_equal(IOMMU_FAULT_PERM_WRITE, IOMMU_PGFAULT_PERM_WRITE);
	assert_int_equal(IOMMU_FAULT_PERM_EXEC, IOMMU_PGFAULT_PERM_EXEC);
	assert_int_equal(IOMMU_FAULT_PERM_PRIV, IOMMU_PGFAULT_PERM_PRIV);
}

static void test_page_response_layout(void **state)
{
	(void)state;
	assert_int_equal(8, sizeof(struct iommu_hwpt_page_response));
	CHECK_OFF(iommu_hwpt_page_response, cookie, 0);
	CHECK_OFF(iommu_hwpt_page_response, code, 4);
	assert_int_equal(0, IOMMUFD_PAGE_RESP_SUCCESS);
	assert_int_equal(1, IOMMUFD_PAGE_RESP_INVALID);
	assert_int_equal(IOMMU_PAGE_RESP_SUCCESS, IOMMUFD_PAGE_RESP_SUCCESS);
	assert_int_equal(IOMMU_PAGE_RESP_INVALID, IOMMUFD_PAGE_RESP_INVALID);
	assert_int_equal(2, IOMMU_PAGE_RESP_FAILURE);
}

static void test_ioas_layouts(void **state)
{
	(void)state;
	assert_int_equal(8, sizeof(struct iommu_destroy));
	CHECK_OFF(iommu_destroy, size, 0);
	CHECK_OFF(iommu_destroy, id, 4);
	assert_int_equal(12, sizeof(struct iommu_ioas_alloc));
	CHECK_OFF(iommu_ioas_alloc, size, 0);
	CHECK_OFF(iommu_ioas_alloc, flags, 4);
	CHECK_OFF(iommu_ioas_alloc, out_ioas_id, 8);
	assert_int_equal(40, sizeof(struct iommu_ioas_map));
	CHECK_OFF(iommu_ioas_map, size, 0);
	CHECK_OFF(iommu_ioas_map, flags, 4);
	CHECK_OFF(iommu_ioas_map, ioas_id, 8);
	CHECK_OFF(iommu_ioas_map, __reserved, 12);
	CHECK_OFF(iommu_ioas_map, user_va, 16);
	CHECK_OFF(iommu_ioas_map, length, 24);
	CHECK_OFF(iommu_ioas_map, iova, 32);
	assert_int_equal(1, IOMMU_IOAS_MAP_FIXED_IOVA);
	assert_int_equal(2, IOMMU_IOAS_MAP_WRITEABLE);
	assert_int_equal(4, IOMMU_IOAS_MAP_READABLE);
	assert_int_equal(24, sizeof(struct iommu_ioas_unmap));
	CHECK_OFF(iommu_ioas_unmap, size, 0);
	CHECK_OFF(iommu_ioas_unmap, ioas_id, 4);
	CHECK_OFF(iommu_ioas_unmap, iova, 8);
	CHECK_OFF(iommu_ioas_unmap, length, 16);
}

static void test_vfio_layouts(void **state)
{
	(void)state;
	/* 24 bytes since Linux 6.17 (token_uuid_ptr) */
	assert_int_equal(24, sizeof(struct vfio_device_bind_iommufd));
	CHECK_OFF(vfio_device_bind_iommufd, argsz, 0);
	CHECK_OFF(vfio_device_bind_iommufd, flags, 4);
	CHECK_OFF(vfio_device_bind_iommufd, iommufd, 8);
	CHECK_OFF(vfio_device_bind_iommufd, out_devid, 12);
	CHECK_OFF(vfio_device_bind_iommufd, token_uuid_ptr, 16);
	assert_int_equal(1u << 0, VFIO_DEVICE_BIND_FLAG_TOKEN);
	assert_int_equal(16, sizeof(struct vfio_device_attach_iommufd_pt));
	CHECK_OFF(vfio_device_attach_iommufd_pt, pt_id, 8);
	CHECK_OFF(vfio_device_attach_iommufd_pt, pasid, 12);
	assert_int_equal(12, sizeof(struct vfio_device_detach_iommufd_pt));
	CHECK_OFF(vfio_device_detach_iommufd_pt, pasid, 8);
	assert_int_equal(32, sizeof(struct vfio_region_info));
	CHECK_OFF(vfio_region_info, argsz, 0);
	CHECK_OFF(vfio_region_info, flags, 4);
	CHECK_OFF(vfio_region_info, index, 8);
	CHECK_OFF(vfio_region_info, cap_offset, 12);
	CHECK_OFF(vfio_region_info, size, 16);
	CHECK_OFF(vfio_region_info, offset, 24);
	assert_int_equal(1, VFIO_REGION_INFO_FLAG_READ);
	assert_int_equal(2, VFIO_REGION_INFO_FLAG_WRITE);
	assert_int_equal(4, VFIO_REGION_INFO_FLAG_MMAP);
	assert_int_equal(8, VFIO_REGION_INFO_FLAG_CAPS);
	assert_int_equal(0, VFIO_PCI_BAR0_REGION_INDEX);
	assert_int_equal(6, VFIO_PCI_ROM_REGION_INDEX);
	assert_int_equal(7, VFIO_PCI_CONFIG_REGION_INDEX);
	assert_int_equal(9, VFIO_PCI_NUM_REGIONS);
#ifdef VFIO_PCI_INDEX_TO_OFFSET
	fail_msg("VFIO_PCI_INDEX_TO_OFFSET is kernel-internal, not uAPI");
#endif
}

static void test_viommu_veventq_layouts(void **state)
{
	(void)state;
	assert_int_equal(40, sizeof(struct iommu_viommu_alloc));
	assert_int_equal(8, _Alignof(struct iommu_viommu_alloc));
	CHECK_OFF(iommu_viommu_alloc, size, 0);
	CHECK_OFF(iommu_viommu_alloc, flags, 4);
	CHECK_OFF(iommu_viommu_alloc, type, 8);
	CHECK_OFF(iommu_viommu_alloc, dev_id, 12);
	CHECK_OFF(iommu_viommu_alloc, hwpt_id, 16);
	CHECK_OFF(iommu_viommu_alloc, out_viommu_id, 20);
	CHECK_OFF(iommu_viommu_alloc, data_len, 24);
	CHECK_OFF(iommu_viommu_alloc, __reserved, 28);
	CHECK_OFF(iommu_viommu_alloc, data_uptr, 32);
	assert_int_equal(32, sizeof(struct iommu_veventq_alloc));
	CHECK_OFF(iommu_veventq_alloc, size, 0);
	CHECK_OFF(iommu_veventq_alloc, flags, 4);
	CHECK_OFF(iommu_veventq_alloc, viommu_id, 8);
	CHECK_OFF(iommu_veventq_alloc, type, 12);
	CHECK_OFF(iommu_veventq_alloc, veventq_depth, 16);
	CHECK_OFF(iommu_veventq_alloc, out_veventq_id, 20);
	CHECK_OFF(iommu_veventq_alloc, out_veventq_fd, 24);
	CHECK_OFF(iommu_veventq_alloc, __reserved, 28);
	assert_int_equal(8, sizeof(struct iommufd_vevent_header));
	CHECK_OFF(iommufd_vevent_header, flags, 0);
	CHECK_OFF(iommufd_vevent_header, sequence, 4);
	assert_int_equal(1u << 0, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	/* Upstream values, and prisim's RISC-V types (a departure, docs/uapi.md). */
	assert_int_equal(0, IOMMU_VIOMMU_TYPE_DEFAULT);
	assert_int_equal(1, IOMMU_VIOMMU_TYPE_ARM_SMMUV3);
	assert_int_equal(2, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV);
	assert_int_equal(0, IOMMU_VEVENTQ_TYPE_DEFAULT);
	assert_int_equal(1, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3);
	assert_int_equal(2, IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV);
	assert_int_equal(0x5256494f, IOMMU_VIOMMU_TYPE_RISCV_IOMMU);
	assert_int_equal(0x5256494f, IOMMU_VEVENTQ_TYPE_RISCV_IOMMU);
	/* The payload is one 32-byte RISC-V FQ record. */
	assert_int_equal(32, sizeof(struct iommu_vevent_riscv_iommu));
	assert_int_equal(8, _Alignof(struct iommu_vevent_riscv_iommu));
	CHECK_OFF(iommu_vevent_riscv_iommu, hdr, 0);
	CHECK_OFF(iommu_vevent_riscv_iommu, __reserved, 8);
	CHECK_OFF(iommu_vevent_riscv_iommu, iotval, 16);
	CHECK_OFF(iommu_vevent_riscv_iommu, iotval2, 24);
	/* hdr: CAUSE[11:0] PID[31:12] PV[32] PRIV[33] TTYP[39:34] DID[63:40] */
	assert_int_equal(0xabc, IOMMU_VEVENT_RISCV_HDR_CAUSE(0xabcull));
	assert_int_equal(0x12345, IOMMU_VEVENT_RISCV_HDR_PID(0x12345000ull));
	assert_int_equal(1, IOMMU_VEVENT_RISCV_HDR_PV(1ull << 32));
	assert_int_equal(1, IOMMU_VEVENT_RISCV_HDR_PRIV(1ull << 33));
	assert_int_equal(0x3f, IOMMU_VEVENT_RISCV_HDR_TTYP(0x3full << 34));
	assert_int_equal(0xabcdef, IOMMU_VEVENT_RISCV_HDR_DID(0xabcdefull << 40));
}

static void test_ioctl_numbers(void **state)
{
	(void)state;
	/* _IO(';', nr): dir 0, size 0, type 0x3b in bits 15:8 */
	assert_int_equal(0x3b80, IOMMU_DESTROY);
	assert_int_equal(0x3b81, IOMMU_IOAS_ALLOC);
	assert_int_equal(0x3b85, IOMMU_IOAS_MAP);
	assert_int_equal(0x3b86, IOMMU_IOAS_UNMAP);
	assert_int_equal(0x3b89, IOMMU_HWPT_ALLOC);
	assert_int_equal(0x3b8d, IOMMU_HWPT_INVALIDATE);
	assert_int_equal(0x3b8e, IOMMU_FAULT_QUEUE_ALLOC);
	assert_int_equal(0x3b90, IOMMU_VIOMMU_ALLOC);
	assert_int_equal(0x3b93, IOMMU_VEVENTQ_ALLOC);
	assert_int_equal(0x3b6c, VFIO_DEVICE_GET_REGION_INFO);
	assert_int_equal(0x3b76, VFIO_DEVICE_BIND_IOMMUFD);
	assert_int_equal(0x3b77, VFIO_DEVICE_ATTACH_IOMMUFD_PT);
	assert_int_equal(0x3b78, VFIO_DEVICE_DETACH_IOMMUFD_PT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_alloc_layout),
		cmocka_unit_test(test_hwpt_alloc_layout),
		cmocka_unit_test(test_pgfault_layout),
		cmocka_unit_test(test_page_response_layout),
		cmocka_unit_test(test_ioas_layouts),
		cmocka_unit_test(test_vfio_layouts),
		cmocka_unit_test(test_viommu_veventq_layouts),
		cmocka_unit_test(test_hwpt_nesting_layouts),
		cmocka_unit_test(test_ioctl_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
