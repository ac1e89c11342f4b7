/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VFIO device cdev user API, the subset prisim implements: bind a device
 * file (/dev/vfio/devices/vfioN) to an iommufd, attach it to / detach it from
 * an iommufd page table, and reach its regions with pread()/pwrite().
 * Layouts and numbers are those of Linux include/uapi/linux/vfio.h.
 *
 * VFIO ioctls check `argsz` against the size up to the last field they need
 * (EINVAL if smaller) and reject unknown flag bits with EINVAL.
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
 */
struct vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;        /* must be 0 */
	int32_t iommufd;
	uint32_t out_devid;
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
 * Region access: the file offset selects the region in bits 63:40 and the
 * offset inside it below (vfio-pci's VFIO_PCI_OFFSET_SHIFT).
 */
#define VFIO_PCI_OFFSET_SHIFT 40
#define VFIO_PCI_INDEX_TO_OFFSET(index) ((uint64_t)(index) << VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_TO_INDEX(off)   ((off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_MASK            ((1ull << VFIO_PCI_OFFSET_SHIFT) - 1)

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

PX_STATIC_ASSERT(sizeof(struct vfio_device_bind_iommufd) == 16, "vfio bind size");
PX_UAPI_CHECK(vfio_device_bind_iommufd, argsz, 0);
PX_UAPI_CHECK(vfio_device_bind_iommufd, flags, 4);
PX_UAPI_CHECK(vfio_device_bind_iommufd, iommufd, 8);
PX_UAPI_CHECK(vfio_device_bind_iommufd, out_devid, 12);

PX_STATIC_ASSERT(sizeof(struct vfio_device_attach_iommufd_pt) == 16, "vfio attach size");
PX_UAPI_CHECK(vfio_device_attach_iommufd_pt, argsz, 0);
PX_UAPI_CHECK(vfio_device_attach_iommufd_pt, flags, 4);
PX_UAPI_CHECK(vfio_device_attach_iommufd_pt, pt_id, 8);
PX_UAPI_CHECK(vfio_device_attach_iommufd_pt, pasid, 12);

PX_STATIC_ASSERT(sizeof(struct vfio_device_detach_iommufd_pt) == 12, "vfio detach size");
PX_UAPI_CHECK(vfio_device_detach_iommufd_pt, argsz, 0);
PX_UAPI_CHECK(vfio_device_detach_iommufd_pt, flags, 4);
PX_UAPI_CHECK(vfio_device_detach_iommufd_pt, pasid, 8);

PX_STATIC_ASSERT(VFIO_DEVICE_BIND_IOMMUFD == 0x3b76ul, "_IO(';', 118)");
PX_STATIC_ASSERT(VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3b77ul, "_IO(';', 119)");
PX_STATIC_ASSERT(VFIO_DEVICE_DETACH_IOMMUFD_PT == 0x3b78ul, "_IO(';', 120)");

#ifdef __cplusplus
}
#endif

#endif /* PRISIM_UAPI_VFIO_H */
