/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VFIO device cdev user API, the subset prisim implements: bind a device
 * file (/dev/vfio/devices/vfioN) to an iommufd, attach it to / detach it from
 * an iommufd page table, and reach its regions with pread()/pwrite() at the
 * offsets VFIO_DEVICE_GET_REGION_INFO gives.
 * Layouts and numbers are those of Linux include/uapi/linux/vfio.h.
 *
 * VFIO ioctls check `argsz` against the size up to the last field they need
 * (EINVAL if smaller) and reject unknown flag bits with EINVAL. Every ioctl
 * but BIND is EINVAL on a file not bound yet.
 */
#ifndef PRISIM_UAPI_VFIO_H
#define PRISIM_UAPI_VFIO_H

#include <stddef.h>
#include <stdint.h>

#include "prisim/uapi/iommufd.h" /* PX_IO, PX_UAPI_CHECK */

#ifdef __cplusplus
extern "C" {
#endif

#define VFIO_TYPE (';')
#define VFIO_BASE 100

/*
 * VFIO_DEVICE_BIND_IOMMUFD: bind the device file to the iommufd whose fd is
 * `iommufd`; returns the iommufd device object id in out_devid. Device access
 * through the file (ATTACH, region I/O) is refused until the bind succeeded.
 *
 * 24 bytes since Linux 6.17 (token_uuid_ptr); argsz may be 16 (the struct
 * before), bytes past the 24 known ones must be zero (E2BIG). With
 * VFIO_DEVICE_BIND_FLAG_TOKEN, token_uuid_ptr points to a 16-byte UUID, the
 * SR-IOV VF token; prisim has no VF token (no VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
 * no PF bound to VFIO), so a token is read (EFAULT if it cannot be) and
 * refused with EINVAL, as vfio-pci refuses a token for a device that needs
 * none. Without the flag token_uuid_ptr is ignored.
 */
struct vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DEVICE_BIND_FLAG_TOKEN (1u << 0)
	int32_t iommufd;
	uint32_t out_devid;
	px_aligned_u64 token_uuid_ptr;
};
#define VFIO_DEVICE_BIND_IOMMUFD PX_IO(VFIO_TYPE, VFIO_BASE + 18)

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach the bound device to the page table
 * pt_id (a HWPT). A second attach without detach replaces the page table.
 */
struct vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DEVICE_ATTACH_PASID (1u << 0)
	uint32_t pt_id;
	uint32_t pasid;        /* only with VFIO_DEVICE_ATTACH_PASID */
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT PX_IO(VFIO_TYPE, VFIO_BASE + 19)

/* VFIO_DEVICE_DETACH_IOMMUFD_PT: detach; the device is then blocked. */
struct vfio_device_detach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DEVICE_DETACH_PASID (1u << 0)
	uint32_t pasid;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT PX_IO(VFIO_TYPE, VFIO_BASE + 20)

/*
 * VFIO_DEVICE_GET_REGION_INFO: describe region `index` (a
 * VFIO_PCI_*_REGION_INDEX) of the bound device: its size, what it supports,
 * and the file offset at which pread()/pwrite() reach its byte 0. Where
 * regions sit in the file is the kernel's business: userspace takes the
 * offset from here. argsz below 32 -> EINVAL; an index the device does not
 * have (VGA, past VFIO_PCI_NUM_REGIONS) -> EINVAL; a BAR or ROM the device
 * does not implement has size 0 and no flags. prisim has no mmap and no
 * capability chain: FLAG_MMAP and FLAG_CAPS are never set.
 */
struct vfio_region_info {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_REGION_INFO_FLAG_READ  (1u << 0)
#define VFIO_REGION_INFO_FLAG_WRITE (1u << 1)
#define VFIO_REGION_INFO_FLAG_MMAP  (1u << 2)
#define VFIO_REGION_INFO_FLAG_CAPS  (1u << 3)
	uint32_t index;
	uint32_t cap_offset;   /* with FLAG_CAPS only */
	px_aligned_u64 size;
	px_aligned_u64 offset;
};
#define VFIO_DEVICE_GET_REGION_INFO PX_IO(VFIO_TYPE, VFIO_BASE + 8)

enum {
	VFIO_PCI_BAR0_REGION_INDEX = 0,
	VFIO_PCI_BAR1_REGION_INDEX,
	VFIO_PCI_BAR2_REGION_INDEX,
	VFIO_PCI_BAR3_REGION_INDEX,
	VFIO_PCI_BAR4_REGION_INDEX,
	VFIO_PCI_BAR5_REGION_INDEX,
	VFIO_PCI_ROM_REGION_INDEX,
	VFIO_PCI_CONFIG_REGION_INDEX,
	VFIO_PCI_VGA_REGION_INDEX,
	VFIO_PCI_NUM_REGIONS,
};

/* ---- layout checks (PX_UAPI_CHECK: prisim/uapi/iommufd.h) ---------------- */

PX_STATIC_ASSERT(sizeof(struct vfio_device_bind_iommufd) == 24, "vfio bind size");
PX_STATIC_ASSERT(PX_ALIGNOF(struct vfio_device_bind_iommufd) == 8, "vfio bind alignment");
PX_UAPI_CHECK(vfio_device_bind_iommufd, argsz, 0);
PX_UAPI_CHECK(vfio_device_bind_iommufd, flags, 4);
PX_UAPI_CHECK(vfio_device_bind_iommufd, iommufd, 8);
PX_UAPI_CHECK(vfio_device_bind_iommufd, out_devid, 12);
PX_UAPI_CHECK(vfio_device_bind_iommufd, token_uuid_ptr, 16);

PX_STATIC_ASSERT(sizeof(struct vfio_device_attach_iommufd_pt) == 16, "vfio attach size");
PX_UAPI_CHECK(vfio_device_attach_iommufd_pt, argsz, 0);
PX_UAPI_CHECK(vfio_device_attach_iommufd_pt, flags, 4);
PX_UAPI_CHECK(vfio_device_attach_iommufd_pt, pt_id, 8);
PX_UAPI_CHECK(vfio_device_attach_iommufd_pt, pasid, 12);

PX_STATIC_ASSERT(sizeof(struct vfio_device_detach_iommufd_pt) == 12, "vfio detach size");
PX_UAPI_CHECK(vfio_device_detach_iommufd_pt, argsz, 0);
PX_UAPI_CHECK(vfio_device_detach_iommufd_pt, flags, 4);
PX_UAPI_CHECK(vfio_device_detach_iommufd_pt, pasid, 8);

PX_STATIC_ASSERT(sizeof(struct vfio_region_info) == 32, "vfio region info size");
PX_STATIC_ASSERT(PX_ALIGNOF(struct vfio_region_info) == 8, "vfio region info alignment");
PX_UAPI_CHECK(vfio_region_info, argsz, 0);
PX_UAPI_CHECK(vfio_region_info, flags, 4);
PX_UAPI_CHECK(vfio_region_info, index, 8);
PX_UAPI_CHECK(vfio_region_info, cap_offset, 12);
PX_UAPI_CHECK(vfio_region_info, size, 16);
PX_UAPI_CHECK(vfio_region_info, offset, 24);

PX_STATIC_ASSERT(VFIO_DEVICE_GET_REGION_INFO == 0x3b6cul, "_IO(';', 108)");
PX_STATIC_ASSERT(VFIO_DEVICE_BIND_IOMMUFD == 0x3b76ul, "_IO(';', 118)");
PX_STATIC_ASSERT(VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3b77ul, "_IO(';', 119)");
PX_STATIC_ASSERT(VFIO_DEVICE_DETACH_IOMMUFD_PT == 0x3b78ul, "_IO(';', 120)");

#ifdef __cplusplus
}
#endif

#endif /* PRISIM_UAPI_VFIO_H */
