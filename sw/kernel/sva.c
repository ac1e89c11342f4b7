// SPDX-License-Identifier: Apache-2.0
/*
 * /dev/pxsva/N: the device file of an SVA-capable accelerator driver, in
 * the manner of Linux's uacce (drivers/misc/uacce/uacce.c): open() binds
 * the device to an address space (iommu_sva_bind_device()), so the
 * device's page faults are resolved in the kernel (sw/iommu/iommu-sva.c)
 * without a fault fd; the last close unbinds. pwrite() at offset o stores
 * to byte o of BAR0 (4- or 8-byte aligned), standing for uacce's mmap of
 * the device's MMIO region: that is how the process starts the device.
 *
 * The address space is one demand-zero mapping over the lower half of the
 * widest first-stage range, Sv57's [0, 2^56); the paging domain's map
 * refuses what its own mode (sw.driver.pgtbl_mode) cannot translate, and
 * such a fault is answered INVALID.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel/kalloc.h"
#include "kernel/kernel.h"
#include "kernel/uaccess.h"

#define PX_SVA_VM_END (1ull << 56)

struct px_sva_dev {
	struct px_kernel *k;
	struct device *dev;
	uint64_t bar0, bar0_size;
	char path[48];
};

static ssize_t px_sva_write(struct px_file *f, const void *buf, size_t count, uint64_t *ppos)
{
	struct iommu_sva *sva = f->private_data;
	struct px_sva_dev *sd = sva->handle.priv;
	struct hal *h = sd->k->hal;
	uint64_t off = *ppos, val = 0;
	int rc;

	if ((count != 4 && count != 8) || off % count || off + count > sd->bar0_size)
		return -EINVAL;
	rc = px_copy_from_user(h, &val, buf, count);
	if (rc)
		return rc;
	if (count == 4)
		hal_mmio_write32(h, sd->bar0 + off, (uint32_t)val);
	else
		hal_mmio_write64(h, sd->bar0 + off, val);
	return (ssize_t)count;
}

/* Last close: unbind (answers nothing itself: in-flight groups finish first). */
static void px_sva_release(struct px_file *f)
{
	iommu_sva_unbind_device(f->private_data);
}

static const struct px_file_ops px_sva_fops = {
	.write = px_sva_write,
	.release = px_sva_release,
};

static int px_sva_open(struct px_kernel *k, void *priv, unsigned int flags, struct px_file **out)
{
	struct px_sva_dev *sd = priv;
	struct iommu_sva *sva;
	struct px_file *f;
	int rc;

	rc = iommu_sva_bind_device(sd->dev, 0, PX_SVA_VM_END, &sva);
	if (rc)
		return rc;
	sva->handle.priv = sd;
	f = px_file_alloc(k->hal, "pxsva", &px_sva_fops, sva, flags);
	if (!f) {
		iommu_sva_unbind_device(sva);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

/**
 * px_kernel_sva_register - create /dev/pxsva/N for every device N behind an
 * IOMMU (loading the accelerator driver)
 * @k: kernel
 *
 * Called once; the files live until the kernel is torn down.
 *
 * Return: 0, -EEXIST if already registered, or -ENOMEM.
 */
int px_kernel_sva_register(struct px_kernel *k)
{
	const struct hal_pci_dev_info *info;
	struct px_sva_dev *sd;
	unsigned int i;
	int rc;

	if (k->sva_devs)
		return -EEXIST;
	k->sva_devs = calloc(k->nr_devs ? k->nr_devs : 1, sizeof(*k->sva_devs));
	if (!k->sva_devs)
		return -ENOMEM;
	for (i = 0; i < k->nr_devs; i++) {
		sd = &k->sva_devs[i];
		info = i < hal_pci_dev_count(k->hal) ? hal_pci_dev(k->hal, i) : NULL;
		if (!info || !k->devs[i]->dev.iommu)
			continue;
		*sd = (struct px_sva_dev){
			.k = k,
			.dev = &k->devs[i]->dev,
			.bar0 = info->bar0,
			.bar0_size = info->bar0_size,
		};
		snprintf(sd->path, sizeof(sd->path), "/dev/pxsva/%u", i);
		rc = px_kernel_register_cdev(k, sd->path, px_sva_open, sd);
		if (rc)
			return rc; /* the files made so far go with the kernel */
	}
	return 0;
}
