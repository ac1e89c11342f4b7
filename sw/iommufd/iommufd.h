/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iommufd interface for other kernel layers (the VFIO cdev and boot code in
 * sw/kernel): opening /dev/iommu and binding / attaching devices. Userspace
 * sees only prisim/uapi/iommufd.h through the file's ioctl/read/write/poll.
 */
#ifndef PRISIM_SW_IOMMUFD_H
#define PRISIM_SW_IOMMUFD_H

#include <stdint.h>

#include "iommu/iommu.h"
#include "kernel/file.h"

struct iommufd_ctx;
struct iommufd_device;

/* open() of /dev/iommu: a new context with its file (one reference). */
int iommufd_fops_open(struct hal *h, unsigned int flags, struct px_file **out);

/* The context behind an iommufd file with a reference, or NULL if f is not one. */
struct iommufd_ctx *iommufd_ctx_from_file(struct px_file *f);
void iommufd_ctx_get(struct iommufd_ctx *ictx);
void iommufd_ctx_put(struct iommufd_ctx *ictx);

int iommufd_device_bind(struct iommufd_ctx *ictx, struct device *dev,
			struct iommufd_device **out, uint32_t *id);
void iommufd_device_unbind(struct iommufd_device *idev);
/* Attach, replace and detach the RID (pasid IOMMU_NO_PASID) or a PASID. */
int iommufd_device_attach(struct iommufd_device *idev, uint32_t pasid, uint32_t *pt_id);
int iommufd_device_detach(struct iommufd_device *idev, uint32_t pasid);

#endif /* PRISIM_SW_IOMMUFD_H */
