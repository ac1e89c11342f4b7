// SPDX-License-Identifier: Apache-2.0
/*
 * VFIO device cdev (/dev/vfio/devices/vfioN): bind to an iommufd, attach to
 * or detach from an iommufd page table, describe the device's regions
 * (VFIO_DEVICE_GET_REGION_INFO) and access them with pread()/pwrite() at the
 * offsets it gives. Access other than BIND is refused until the file is bound.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iommufd/iommufd.h"
#include "kernel/kalloc.h"
#include "kernel/kernel.h"
#include "kernel/uaccess.h"
#include "prisim/uapi/vfio.h"

#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#define PCI_CFG_SPACE_EXP_SIZE 4096u

/*
 * Where regions sit in the file: the region index in offset bits 63:40, the
 * offset inside the region below (vfio-pci's private VFIO_PCI_OFFSET_SHIFT,
 * not uAPI: userspace learns the offsets from VFIO_DEVICE_GET_REGION_INFO).
 */
#define VFIO_PCI_OFFSET_SHIFT 40
#define VFIO_PCI_INDEX_TO_OFFSET(index) ((uint64_t)(index) << VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_TO_INDEX(off)   ((off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_MASK            ((UINT64_C(1) << VFIO_PCI_OFFSET_SHIFT) - 1)

struct vfio_device_file;

struct vfio_device {
	struct px_kernel *k;
	struct device *dev;
	unsigned int index;
	hal_paddr_t bar0;
	uint64_t bar0_size;
	char path[48];
	unsigned int open_count;
	struct vfio_device_file *bound;   /* the file bound to an iommufd, or NULL */
};

struct vfio_device_file {
	struct vfio_device *vdev;
	struct iommufd_ctx *ictx;         /* reference held while bound */
	struct iommufd_device *idev;
};

/*
 * copy_struct_from_user(): @usize bytes of user struct into a @ksize kernel
 * struct; a shorter one is zero-extended, a longer one must have a zero
 * tail (-E2BIG).
 */
static int vfio_copy_struct_from_user(struct hal *h, void *dst, size_t ksize, const void *src,
				      size_t usize)
{
	const unsigned char *usrc = src;
	unsigned char chunk[64];
	size_t off, n, i;
	int rc;

	memset(dst, 0, ksize);
	for (off = ksize; off < usize; off += n) {
		n = usize - off < sizeof(chunk) ? usize - off : sizeof(chunk);
		rc = px_copy_from_user(h, chunk, usrc + off, n);
		if (rc)
			return rc;
		for (i = 0; i < n; i++)
			if (chunk[i])
				return -E2BIG;
	}
	return px_copy_from_user(h, dst, src, usize < ksize ? usize : ksize);
}

/*
 * Linux vfio_df_check_token() with vfio-pci's match_token_uuid: a token is
 * only wanted for an SR-IOV VF whose PF is bound to VFIO with a VF token
 * set (VFIO_DEVICE_FEATURE_PCI_VF_TOKEN), which prisim does not have. So no
 * token is fine for every device, and a token offered is read, then
 * refused like vfio-pci refuses a token for a device that needs none.
 */
static int vfio_df_check_token(struct vfio_device *vdev,
			       const struct vfio_device_bind_iommufd *bind)
{
	unsigned char uuid[16];
	int rc;

	if (!(bind->flags & VFIO_DEVICE_BIND_FLAG_TOKEN))
		return 0;
	rc = px_copy_from_user(vdev->k->hal, uuid, (const void *)(uintptr_t)bind->token_uuid_ptr,
			       sizeof(uuid));
	if (rc)
		return rc;
	hal_log(vdev->k->hal, HAL_LOG_INFO, "vfio: %s: VF token provided, none is set\n",
		vdev->path);
	return -EINVAL;
}

/*
 * VFIO_DEVICE_BIND_IOMMUFD (Linux 6.18 drivers/vfio/device_cdev.c): argsz
 * below 16 (the struct before token_uuid_ptr) -EINVAL; the struct is read
 * as copy_struct_from_user() does (-E2BIG for a non-zero tail past 24);
 * negative iommufd or unknown flags -EINVAL; a file already bound -EINVAL;
 * then the token, the iommufd (-EBADF, -EINVAL), and a device already bound
 * through another file -EINVAL (vfio_df_open(): only the group path opens
 * a device more than once).
 */
static int vfio_df_ioctl_bind_iommufd(struct vfio_device_file *df, struct px_files *files,
				      void *arg)
{
	const size_t minsz = offsetofend(struct vfio_device_bind_iommufd, out_devid);
	struct vfio_device *vdev = df->vdev;
	struct hal *h = vdev->k->hal;
	struct vfio_device_bind_iommufd bind;
	struct iommufd_device *idev;
	struct iommufd_ctx *ictx;
	struct px_file *f;
	uint32_t user_size;
	uint32_t devid;
	int rc;

	rc = px_copy_from_user(h, &user_size, arg, sizeof(user_size));
	if (rc)
		return rc;
	if (user_size < minsz)
		return -EINVAL;
	rc = vfio_copy_struct_from_user(h, &bind, sizeof(bind), arg, user_size);
	if (rc)
		return rc;
	if (bind.iommufd < 0 || bind.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN)
		return -EINVAL;
	if (df->idev)
		return -EINVAL;
	rc = vfio_df_check_token(vdev, &bind);
	if (rc)
		return rc;
	f = px_fget_fd(files, bind.iommufd);
	if (!f)
		return -EBADF;
	ictx = iommufd_ctx_from_file(f);
	px_fput(f);
	if (!ictx)
		return -EINVAL;
	/* vfio_df_open(): a device opens through one cdev file at a time. */
	if (vdev->bound) {
		rc = -EINVAL;
		goto out_put_ctx;
	}

	rc = iommufd_device_bind(ictx, vdev->dev, &idev, &devid);
	if (rc)
		goto out_put_ctx;
	rc = px_copy_to_user(h, (char *)arg + offsetof(struct vfio_device_bind_iommufd, out_devid),
			     &devid, sizeof(devid));
	if (rc)
		goto out_unbind;
	/* The context reference moves into the binding. */
	df->ictx = ictx;
	df->idev = idev;
	vdev->bound = df;
	return 0;

out_unbind:
	iommufd_device_unbind(idev);
out_put_ctx:
	iommufd_ctx_put(ictx);
	return rc;
}

/*
 * The `pasid` member that the ATTACH_PASID / DETACH_PASID flag adds after the
 * first @minsz bytes of @kbuf (a copy of the user's struct at @uarg): argsz
 * must reach past it; IOMMU_NO_PASID is the RID's (no flag), -EINVAL.
 */
static int vfio_pasid_arg(struct hal *h, void *kbuf, void *uarg, uint32_t argsz, size_t minsz,
			  size_t pasid_off, uint32_t *pasid)
{
	const size_t xend = pasid_off + sizeof(uint32_t);
	int rc;

	if (argsz < xend)
		return -EINVAL;
	rc = px_copy_from_user(h, (char *)kbuf + minsz, (char *)uarg + minsz, xend - minsz);
	if (rc)
		return rc;
	memcpy(pasid, (char *)kbuf + pasid_off, sizeof(*pasid));
	return *pasid == IOMMU_NO_PASID ? -EINVAL : 0;
}

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT, as Linux vfio_df_ioctl_attach_pt(): with
 * VFIO_DEVICE_ATTACH_PASID the struct reaches `pasid` (argsz covers it) and
 * the attach is to that PASID.
 */
static int vfio_df_ioctl_attach_pt(struct vfio_device_file *df, void *arg)
{
	const size_t minsz = offsetofend(struct vfio_device_attach_iommufd_pt, pt_id);
	struct hal *h = df->vdev->k->hal;
	struct vfio_device_attach_iommufd_pt attach;
	uint32_t pasid = IOMMU_NO_PASID;
	uint32_t pt_id;
	int rc;

	rc = px_copy_from_user(h, &attach, arg, minsz);
	if (rc)
		return rc;
	if (attach.argsz < minsz || attach.flags & ~VFIO_DEVICE_ATTACH_PASID)
		return -EINVAL;
	if (attach.flags & VFIO_DEVICE_ATTACH_PASID) {
		rc = vfio_pasid_arg(h, &attach, arg, attach.argsz, minsz,
				    offsetof(struct vfio_device_attach_iommufd_pt, pasid), &pasid);
		if (rc)
			return rc;
	}
	if (!df->idev)
		return -EINVAL;
	pt_id = attach.pt_id;
	rc = iommufd_device_attach(df->idev, pasid, &pt_id);
	if (rc)
		return rc;
	rc = px_copy_to_user(h, (char *)arg + offsetof(struct vfio_device_attach_iommufd_pt, pt_id),
			     &pt_id, sizeof(pt_id));
	if (rc)
		iommufd_device_detach(df->idev, pasid);
	return rc;
}

static int vfio_df_ioctl_detach_pt(struct vfio_device_file *df, void *arg)
{
	const size_t minsz = offsetofend(struct vfio_device_detach_iommufd_pt, flags);
	struct hal *h = df->vdev->k->hal;
	struct vfio_device_detach_iommufd_pt detach;
	uint32_t pasid = IOMMU_NO_PASID;
	int rc;

	rc = px_copy_from_user(h, &detach, arg, minsz);
	if (rc)
		return rc;
	if (detach.argsz < minsz || detach.flags & ~VFIO_DEVICE_DETACH_PASID)
		return -EINVAL;
	if (detach.flags & VFIO_DEVICE_DETACH_PASID) {
		rc = vfio_pasid_arg(h, &detach, arg, detach.argsz, minsz,
				    offsetof(struct vfio_device_detach_iommufd_pt, pasid), &pasid);
		if (rc)
			return rc;
	}
	if (!df->idev)
		return -EINVAL;
	return iommufd_device_detach(df->idev, pasid);
}

/*
 * VFIO_DEVICE_GET_REGION_INFO, as vfio-pci answers it (Linux
 * vfio_pci_ioctl_get_region_info()): BARs and ROM at index << 40 with their
 * size (0 and no flags when absent), config space 4 KiB read-write, no VGA,
 * no device-specific regions. Only the first 32 bytes are written back.
 */
static int vfio_df_ioctl_get_region_info(struct vfio_device_file *df, void *arg)
{
	const size_t minsz = offsetofend(struct vfio_region_info, offset);
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	struct vfio_device *vdev = df->vdev;
	struct hal *h = vdev->k->hal;
	struct vfio_region_info info;
	int rc;

	/* Refused before the bind, before anything is read (Linux: !access_granted). */
	if (!df->idev)
		return -EINVAL;
	rc = px_copy_from_user(h, &info, arg, minsz);
	if (rc)
		return rc;
	if (info.argsz < minsz)
		return -EINVAL;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.size = PCI_CFG_SPACE_EXP_SIZE;
		info.flags = rw;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		info.size = vdev->bar0_size;
		info.flags = info.size ? rw : 0;
		break;
	case VFIO_PCI_BAR1_REGION_INDEX:
	case VFIO_PCI_BAR2_REGION_INDEX:
	case VFIO_PCI_BAR3_REGION_INDEX:
	case VFIO_PCI_BAR4_REGION_INDEX:
	case VFIO_PCI_BAR5_REGION_INDEX:
	case VFIO_PCI_ROM_REGION_INDEX:
		/* Not implemented by the device. */
		info.size = 0;
		info.flags = 0;
		break;
	default:
		/* No VGA, no device-specific regions. */
		return -EINVAL;
	}
	info.offset = VFIO_PCI_INDEX_TO_OFFSET(info.index);
	return px_copy_to_user(h, arg, &info, minsz);
}

static int vfio_df_ioctl(struct px_file *f, struct px_files *files, unsigned long cmd,
			 void *arg)
{
	struct vfio_device_file *df = f->private_data;

	switch (cmd) {
	case VFIO_DEVICE_GET_REGION_INFO:
		return vfio_df_ioctl_get_region_info(df, arg);
	case VFIO_DEVICE_BIND_IOMMUFD:
		return vfio_df_ioctl_bind_iommufd(df, files, arg);
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return vfio_df_ioctl_attach_pt(df, arg);
	case VFIO_DEVICE_DETACH_IOMMUFD_PT:
		return vfio_df_ioctl_detach_pt(df, arg);
	default:
		return -ENOTTY;
	}
}

static int vfio_bar0_rw(struct vfio_device *vdev, void *buf, size_t count, uint64_t off,
			bool write)
{
	struct hal *h = vdev->k->hal;
	uint64_t val = 0;
	int rc;

	if ((count != 4 && count != 8) || off % count || off + count > vdev->bar0_size)
		return -EINVAL;
	if (write) {
		rc = px_copy_from_user(h, &val, buf, count);
		if (rc)
			return rc;
		if (count == 4)
			hal_mmio_write32(h, vdev->bar0 + off, (uint32_t)val);
		else
			hal_mmio_write64(h, vdev->bar0 + off, val);
		return 0;
	}
	if (count == 4)
		val = hal_mmio_read32(h, vdev->bar0 + off);
	else
		val = hal_mmio_read64(h, vdev->bar0 + off);
	return px_copy_to_user(h, buf, &val, count);
}

static int vfio_config_rw(struct vfio_device *vdev, void *buf, size_t count, uint64_t off,
			  bool write)
{
	struct hal *h = vdev->k->hal;
	uint32_t val = 0;
	int rc;

	if ((count != 1 && count != 2 && count != 4) || off % count ||
	    off + count > PCI_CFG_SPACE_EXP_SIZE)
		return -EINVAL;
	if (write) {
		rc = px_copy_from_user(h, &val, buf, count);
		if (rc)
			return rc;
		hal_pci_cfg_write(h, vdev->dev->rid, (unsigned int)off, (unsigned int)count, val);
		return 0;
	}
	val = hal_pci_cfg_read(h, vdev->dev->rid, (unsigned int)off, (unsigned int)count);
	return px_copy_to_user(h, buf, &val, count);
}

/* One little-endian register access of 1, 2, 4 or 8 bytes (the host is little-endian). */
static ssize_t vfio_df_rw(struct px_file *f, void *buf, size_t count, uint64_t *ppos,
			  bool write)
{
	struct vfio_device_file *df = f->private_data;
	uint64_t index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	uint64_t off = *ppos & VFIO_PCI_OFFSET_MASK;
	int rc;

	if (!df->idev)
		return -EINVAL;
	switch (index) {
	case VFIO_PCI_BAR0_REGION_INDEX:
		rc = vfio_bar0_rw(df->vdev, buf, count, off, write);
		break;
	case VFIO_PCI_CONFIG_REGION_INDEX:
		rc = vfio_config_rw(df->vdev, buf, count, off, write);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc)
		return rc;
	*ppos += count;
	return (ssize_t)count;
}

static ssize_t vfio_df_read(struct px_file *f, void *buf, size_t count, uint64_t *ppos)
{
	return vfio_df_rw(f, buf, count, ppos, false);
}

static ssize_t vfio_df_write(struct px_file *f, const void *buf, size_t count, uint64_t *ppos)
{
	return vfio_df_rw(f, (void *)buf, count, ppos, true);
}

static void vfio_df_release(struct px_file *f)
{
	struct vfio_device_file *df = f->private_data;
	struct vfio_device *vdev = df->vdev;

	if (df->idev) {
		iommufd_device_unbind(df->idev);
		vdev->bound = NULL;
		/* Pairs with vfio_df_ioctl_bind_iommufd() */
		iommufd_ctx_put(df->ictx);
	}
	vdev->open_count--;
	px_kfree(df);
}

static const struct px_file_ops vfio_device_fops = {
	.read = vfio_df_read,
	.write = vfio_df_write,
	.ioctl = vfio_df_ioctl,
	.release = vfio_df_release,
};

static int vfio_device_fops_cdev_open(struct px_kernel *k, void *priv, unsigned int flags,
				      struct px_file **out)
{
	struct vfio_device *vdev = priv;
	struct vfio_device_file *df;
	struct px_file *f;

	df = px_kzalloc(k->hal, sizeof(*df), "vfio.df_alloc");
	if (!df)
		return -ENOMEM;
	df->vdev = vdev;
	f = px_file_alloc(k->hal, vdev->path, &vfio_device_fops, df, flags);
	if (!f) {
		px_kfree(df);
		return -ENOMEM;
	}
	vdev->open_count++;
	*out = f;
	return 0;
}

/**
 * vfio_register_device - create /dev/vfio/devices/vfio<index> for @dev
 * @k: kernel
 * @dev: device
 * @info: its PCI description (BAR0 for region access)
 * @index: N in the path (the device's hal_pci_dev() index)
 * @out: the VFIO device
 *
 * Return: 0 or -errno.
 */
int vfio_register_device(struct px_kernel *k, struct device *dev,
			 const struct hal_pci_dev_info *info, unsigned int index,
			 struct vfio_device **out)
{
	struct vfio_device *vdev;
	int rc;

	vdev = px_kzalloc(k->hal, sizeof(*vdev), "vfio.device_alloc");
	if (!vdev)
		return -ENOMEM;
	vdev->k = k;
	vdev->dev = dev;
	vdev->index = index;
	vdev->bar0 = info->bar0;
	vdev->bar0_size = info->bar0_size;
	snprintf(vdev->path, sizeof(vdev->path), "/dev/vfio/devices/vfio%u", index);
	rc = px_kernel_register_cdev(k, vdev->path, vfio_device_fops_cdev_open, vdev);
	if (rc) {
		px_kfree(vdev);
		return rc;
	}
	*out = vdev;
	return 0;
}

/**
 * vfio_unregister_device - remove /dev/vfio/devices/vfio<index> and free the
 * VFIO device
 * @vdev: device
 *
 * The device file is unregistered in any case. A device whose files are
 * still open is logged and left allocated (they still point to it).
 *
 * Return: 0, or -EBUSY if files are still open.
 */
int vfio_unregister_device(struct vfio_device *vdev)
{
	px_kernel_unregister_cdev(vdev->k, vdev->path);
	if (vdev->open_count) {
		hal_log(vdev->k->hal, HAL_LOG_ERROR, "vfio: %s still open %u times, leaked\n",
			vdev->path, vdev->open_count);
		return -EBUSY;
	}
	px_kfree(vdev);
	return 0;
}
