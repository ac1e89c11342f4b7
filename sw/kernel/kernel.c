// SPDX-License-Identifier: Apache-2.0
/*
 * Simulated kernel bring-up: IOMMU instances, PCI devices and the device
 * file registry. px_kernel_boot() (boot.c) runs this with the RISC-V driver.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd/iommufd.h"
#include "kernel/kalloc.h"
#include "kernel/kernel.h"
#include "prisim/hw/pxdev.h"

#define PCI_EXT_CAP_ID_PRI 0x13u

static int px_iommufd_cdev_open(struct px_kernel *k, void *priv, unsigned int flags,
				struct px_file **out)
{
	(void)priv;
	return iommufd_fops_open(k->hal, flags, out);
}

/**
 * px_kernel_create - an empty kernel with /dev/iommu registered
 * @h: machine
 * @out: the kernel
 *
 * Return: 0 or -ENOMEM.
 */
int px_kernel_create(struct hal *h, struct px_kernel **out)
{
	struct px_kernel *k;
	int rc;

	k = px_kzalloc(h, sizeof(*k), "kernel.alloc");
	if (!k)
		return -ENOMEM;
	k->hal = h;
	INIT_LIST_HEAD(&k->iommu_list);
	INIT_LIST_HEAD(&k->cdevs);
	INIT_LIST_HEAD(&k->procs);
	rc = px_kernel_register_cdev(k, "/dev/iommu", px_iommufd_cdev_open, NULL);
	if (rc)
		goto out_free;
	*out = k;
	return 0;

out_free:
	px_kfree(k);
	return rc;
}

static unsigned int px_list_count(const struct list_head *head)
{
	const struct list_head *p;
	unsigned int n = 0;

	for (p = head->next; p != head; p = p->next)
		n++;
	return n;
}

/*
 * Driver unbind of everything, in the reverse order of boot: device files
 * first (nothing can be opened any more), then per device its VFIO device
 * and release_device, then every IOMMU with the driver's remove; frees @k.
 * Something still in use is logged and left allocated. Returns 0 or -EBUSY.
 */
static int px_kernel_teardown(struct px_kernel *k)
{
	struct px_cdev *cdev, *next;
	struct px_kernel_dev *kd;
	unsigned int i;
	int rc = 0;

	if (!list_empty(&k->procs) || k->user_tasks) {
		hal_log(k->hal, HAL_LOG_ERROR,
			"kernel: torn down under %u live process(es), %u user task(s)\n",
			px_list_count(&k->procs), k->user_tasks);
		rc = -EBUSY;
	}
	px_kernel_unregister_cdev(k, "/dev/iommu");
	for (i = k->nr_devs; i-- > 0;) {
		kd = k->devs[i];
		if (kd->vdev && vfio_unregister_device(kd->vdev))
			rc = -EBUSY;
		if (kd->dev.iommu && kd->dev.iommu->ops->release_device)
			kd->dev.iommu->ops->release_device(&kd->dev);
		px_kfree(kd);
	}
	free(k->devs);
	free(k->sva_devs);
	for (i = 0; i < k->nr_iommus; i++) {
		if (!k->iommus[i])
			continue;
		list_del_init(&k->iommus[i]->node);
		if (k->iommu_remove)
			k->iommu_remove(k->iommus[i]);
	}
	free(k->iommus);
	list_for_each_entry_safe(cdev, next, &k->cdevs, node) {
		list_del_init(&cdev->node);
		px_kfree(cdev);
	}
	if (k->exit_wq)
		hal_waitq_destroy(k->exit_wq);
	px_kfree(k);
	return rc;
}

/**
 * px_kernel_destroy - release devices and device files, then remove the
 * IOMMU instances with the driver's remove (if the kernel was booted with one)
 * @k: kernel; every simulated process must have exited
 *
 * px_kernel_shutdown() is the same after making the processes exit first.
 */
void px_kernel_destroy(struct px_kernel *k)
{
	if (k)
		px_kernel_teardown(k);
}

/**
 * px_kernel_shutdown_within - orderly shutdown of the software stack
 * @k: kernel
 * @timeout_ps: simulated time the processes get to exit after the fatal
 *              signal (HAL_WAIT_FOREVER: as long as they take)
 *
 * See prisim/sw.h. In order: refuse new processes; send every process the
 * fatal signal, so its blocking call returns -EINTR and it exits through
 * its own file releases (VFIO unbind -> iommufd auto-response INVALID of
 * what is still pending -> dev_disable_iopf; fault fd; iommufd context);
 * wait for every process and spawned user task to be gone; then unregister
 * the device files and release every device from its IOMMU
 * (release_device) and remove every IOMMU (driver remove: queues and
 * interrupts off, memory freed), and free @k.
 *
 * Return: 0 or -EBUSY (something still in use: logged and left allocated);
 * @k is freed in both cases. -ETIMEDOUT (or another error of the wait) if
 * processes did not exit: nothing was torn down and @k stays valid.
 * -EINVAL if @k is NULL.
 */
int px_kernel_shutdown_within(struct px_kernel *k, uint64_t timeout_ps)
{
	unsigned int n;
	int rc;

	if (!k)
		return -EINVAL;
	k->shutting_down = true;
	n = px_kernel_kill_all(k);
	hal_log(k->hal, HAL_LOG_INFO,
		"kernel: shutdown: %u process(es) signalled, %u user task(s) running\n", n,
		k->user_tasks);
	rc = px_kernel_wait_procs_exit(k, timeout_ps);
	if (rc) {
		hal_log(k->hal, HAL_LOG_ERROR,
			"kernel: shutdown: %u process(es), %u user task(s) did not exit (%d); "
			"nothing torn down\n", px_list_count(&k->procs), k->user_tasks, rc);
		return rc;
	}
	return px_kernel_teardown(k);
}

/*
 * As at power-off, and as Linux does with an exiting process, the shutdown
 * does not give up on a process that is slow to exit: the caller bounds it
 * (the simulation bounds the whole phase by run.max_time_us).
 */
int px_kernel_shutdown(struct px_kernel *k)
{
	return px_kernel_shutdown_within(k, HAL_WAIT_FOREVER);
}

/**
 * px_kernel_add_iommu - adopt a registered IOMMU instance
 * @k: kernel
 * @index: its hal_iommu() index (devices name their IOMMU by it)
 * @iommu: instance that passed iommu_device_register()
 *
 * Return: 0, -EINVAL (index taken) or -ENOMEM.
 */
int px_kernel_add_iommu(struct px_kernel *k, unsigned int index, struct iommu_device *iommu)
{
	struct iommu_device **n;
	unsigned int i;

	if (index < k->nr_iommus && k->iommus[index])
		return -EINVAL;
	if (index >= k->nr_iommus) {
		if (hal_should_fail(k->hal, "kernel.iommu_table"))
			return -ENOMEM;
		n = realloc(k->iommus, (index + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (i = k->nr_iommus; i <= index; i++)
			n[i] = NULL;
		k->iommus = n;
		k->nr_iommus = index + 1;
	}
	k->iommus[index] = iommu;
	list_add_tail(&iommu->node, &k->iommu_list);
	return 0;
}

static bool px_pci_has_pri(struct hal *h, uint16_t rid)
{
	uint32_t hdr = hal_pci_cfg_read(h, rid, PXDEV_CFG_PRI, 4);

	return (hdr & 0xffffu) == PCI_EXT_CAP_ID_PRI;
}

/**
 * px_kernel_add_pci_dev - create the struct device of a PCI function, probe
 * it on its IOMMU and register /dev/vfio/devices/vfioN (N = its index)
 * @k: kernel
 * @info: the function (hal_pci_dev())
 * @out: the device, or NULL
 *
 * Return: 0 or -errno (probe failure included).
 */
int px_kernel_add_pci_dev(struct px_kernel *k, const struct hal_pci_dev_info *info,
			  struct device **out)
{
	struct px_kernel_dev **n;
	struct px_kernel_dev *kd;
	struct device *dev;
	int rc;

	kd = px_kzalloc(k->hal, sizeof(*kd), "kernel.dev_alloc");
	if (!kd)
		return -ENOMEM;
	dev = &kd->dev;
	dev->hal = k->hal;
	dev->rid = info->rid;
	snprintf(dev->name, sizeof(dev->name), "0000:%02x:%02x.%x", (info->rid >> 8) & 0xff,
		 (info->rid >> 3) & 0x1f, info->rid & 7);
	INIT_LIST_HEAD(&dev->attach_handles);
	dev->is_virtfn = false;
	dev->pri_supported = px_pci_has_pri(k->hal, info->rid);
	dev->iommu = info->iommu < k->nr_iommus ? k->iommus[info->iommu] : NULL;
	if (!dev->iommu)
		hal_log(k->hal, HAL_LOG_WARN, "kernel: %s: no IOMMU %u, device untranslated\n",
			dev->name, info->iommu);

	if (hal_should_fail(k->hal, "kernel.dev_table")) {
		rc = -ENOMEM;
		goto out_free;
	}
	n = realloc(k->devs, (k->nr_devs + 1) * sizeof(*n));
	if (!n) {
		rc = -ENOMEM;
		goto out_free;
	}
	k->devs = n;

	if (dev->iommu) {
		rc = dev->iommu->ops->probe_device(dev);
		if (rc) {
			hal_log(k->hal, HAL_LOG_ERROR, "kernel: %s: probe_device failed (%d)\n",
				dev->name, rc);
			goto out_free;
		}
	}
	rc = vfio_register_device(k, dev, info, k->nr_devs, &kd->vdev);
	if (rc)
		goto out_release;
	k->devs[k->nr_devs++] = kd;
	if (out)
		*out = dev;
	return 0;

out_release:
	if (dev->iommu && dev->iommu->ops->release_device)
		dev->iommu->ops->release_device(dev);
out_free:
	px_kfree(kd);
	return rc;
}

/**
 * px_kernel_device - the device of PCI function @index
 * @k: kernel
 * @index: hal_pci_dev() index
 *
 * Return: the device or NULL.
 */
struct device *px_kernel_device(struct px_kernel *k, unsigned int index)
{
	return index < k->nr_devs ? &k->devs[index]->dev : NULL;
}

/**
 * px_kernel_hal - the machine a kernel runs on
 * @k: kernel
 *
 * Return: its HAL.
 */
struct hal *px_kernel_hal(struct px_kernel *k)
{
	return k->hal;
}

/**
 * px_kernel_register_cdev - make a device file openable by path
 * @k: kernel
 * @path: absolute path
 * @open: open callback
 * @priv: passed to @open
 *
 * Return: 0, -EEXIST, -ENAMETOOLONG or -ENOMEM.
 */
int px_kernel_register_cdev(struct px_kernel *k, const char *path, px_cdev_open_t open,
			    void *priv)
{
	struct px_cdev *cdev;

	if (strlen(path) >= sizeof(cdev->path))
		return -ENAMETOOLONG;
	list_for_each_entry(cdev, &k->cdevs, node)
		if (!strcmp(cdev->path, path))
			return -EEXIST;
	cdev = px_kzalloc(k->hal, sizeof(*cdev), "kernel.cdev_alloc");
	if (!cdev)
		return -ENOMEM;
	snprintf(cdev->path, sizeof(cdev->path), "%s", path);
	cdev->open = open;
	cdev->priv = priv;
	list_add_tail(&cdev->node, &k->cdevs);
	return 0;
}

/**
 * px_kernel_unregister_cdev - make a device file unopenable (files already
 * open are not affected)
 * @k: kernel
 * @path: its path
 *
 * Return: 0 or -ENOENT.
 */
int px_kernel_unregister_cdev(struct px_kernel *k, const char *path)
{
	struct px_cdev *cdev;

	list_for_each_entry(cdev, &k->cdevs, node) {
		if (strcmp(cdev->path, path))
			continue;
		list_del_init(&cdev->node);
		px_kfree(cdev);
		return 0;
	}
	return -ENOENT;
}

/**
 * px_kernel_open - open a registered device file
 * @k: kernel
 * @path: path
 * @flags: PX_O_* flags
 * @out: the new file (one reference)
 *
 * Return: 0, -ENOENT (no such file) or the device's open error.
 */
int px_kernel_open(struct px_kernel *k, const char *path, unsigned int flags,
		   struct px_file **out)
{
	struct px_cdev *cdev;

	if (!path)
		return -EFAULT;
	list_for_each_entry(cdev, &k->cdevs, node)
		if (!strcmp(cdev->path, path))
			return cdev->open(k, cdev->priv, flags, out);
	return -ENOENT;
}

/**
 * px_kernel_boot_with - px_kernel_boot() with a given IOMMU driver
 * @h: machine
 * @probe: driver probe, called once per hal_iommu()
 * @remove: driver remove, called by px_kernel_destroy() and
 *          px_kernel_shutdown() (may be NULL)
 * @out: the kernel
 *
 * A failing IOMMU or device probe fails the boot with its error (logged);
 * what was probed before is removed again.
 *
 * Return: 0 or -errno.
 */
int px_kernel_boot_with(struct hal *h, px_iommu_probe_t probe, px_iommu_remove_t remove,
			struct px_kernel **out)
{
	struct iommu_device *iommu;
	struct px_kernel *k;
	unsigned int i, n;
	int rc;

	rc = px_kernel_create(h, &k);
	if (rc)
		return rc;
	k->iommu_remove = remove;
	n = hal_iommu_count(h);
	for (i = 0; i < n; i++) {
		iommu = NULL;
		rc = probe(h, hal_iommu(h, i), &iommu);
		if (!rc && !iommu)
			rc = -ENODEV;
		if (rc) {
			hal_log(h, HAL_LOG_ERROR, "kernel: IOMMU %u: probe failed (%d)\n", i, rc);
			goto out_destroy;
		}
		rc = px_kernel_add_iommu(k, i, iommu);
		if (rc) {
			if (remove)
				remove(iommu);
			goto out_destroy;
		}
	}
	n = hal_pci_dev_count(h);
	for (i = 0; i < n; i++) {
		rc = px_kernel_add_pci_dev(k, hal_pci_dev(h, i), NULL);
		if (rc) {
			hal_log(h, HAL_LOG_ERROR, "kernel: PCI device %u: add failed (%d)\n", i,
				rc);
			goto out_destroy;
		}
	}
	*out = k;
	return 0;

out_destroy:
	px_kernel_destroy(k);
	return rc;
}

/**
 * px_kernel_report_pending - emit, per device, the partial requests still
 * parked and the groups still unanswered (call once, at the end of a run)
 * @k: kernel
 *
 * Stats: sw.iopf.partials_pending, sw.iopf.groups_pending and their
 * sw.dev.<rid>.iopf.* per-device counterparts (0 included).
 */
void px_kernel_report_pending(struct px_kernel *k)
{
	const struct iommu_fault_param *param;
	unsigned int i, partials, groups;
	struct device *dev;

	for (i = 0; i < k->nr_devs; i++) {
		dev = &k->devs[i]->dev;
		param = dev->fault_param;
		partials = param ? px_list_count(&param->partial) : 0;
		groups = param ? px_list_count(&param->faults) : 0;
		hal_stat_dev_add(k->hal, dev->rid, "iopf.partials_pending", partials);
		hal_stat_dev_add(k->hal, dev->rid, "iopf.groups_pending", groups);
	}
}
