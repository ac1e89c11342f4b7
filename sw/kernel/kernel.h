/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated kernel: everything one machine's software stack owns (no
 * globals, so two machines can coexist): the IOMMUs probed at boot, one
 * struct device per PCI function, and the registry of device files that
 * px_open() resolves ("/dev/iommu", "/dev/vfio/devices/vfioN").
 */
#ifndef PRISIM_SW_KERNEL_KERNEL_H
#define PRISIM_SW_KERNEL_KERNEL_H

#include "iommu/iommu.h"
#include "kernel/file.h"
#include "prisim/sw.h"

struct vfio_device;
struct px_sva_dev;

/* open() of a device file: create a file with one reference. */
typedef int (*px_cdev_open_t)(struct px_kernel *k, void *priv, unsigned int flags,
			      struct px_file **out);

struct px_cdev {
	struct list_head node;      /* on px_kernel.cdevs */
	char path[48];
	px_cdev_open_t open;
	void *priv;
};

struct px_kernel_dev {
	struct device dev;
	struct vfio_device *vdev;
};

/*
 * The kernel's part of a simulated process, embedded in struct px_proc
 * (sw/user/syscall.c): its link on the process list, the wait queue its
 * blocking calls sleep on, and a pending fatal signal (SIGKILL). A blocking
 * call checks px_fatal_signal_pending() before it sleeps and after every
 * wake-up and then returns -EINTR; px_kproc_kill() sets the flag and wakes
 * the wait queue (signal_wake_up).
 */
struct px_kproc {
	struct list_head node;      /* on px_kernel.procs */
	struct hal_waitq *wq;       /* the process sleeps here (poll) */
	bool kill_pending;
};

static inline bool px_fatal_signal_pending(const struct px_kproc *kp)
{
	return kp->kill_pending;
}

struct px_kernel {
	struct hal *hal;
	struct iommu_device **iommus;      /* by hal_iommu index; NULL if probe failed */
	unsigned int nr_iommus;
	struct list_head iommu_list;       /* iommu_device.node */
	struct px_kernel_dev **devs;       /* by hal_pci_dev index */
	unsigned int nr_devs;
	struct list_head cdevs;            /* px_cdev.node */
	void (*iommu_remove)(struct iommu_device *iommu); /* driver's remove, or NULL */

	struct list_head procs;            /* px_kproc.node: every live process */
	unsigned int user_tasks;           /* user tasks spawned and not yet finished */
	bool shutting_down;                /* px_kernel_shutdown() began: no new process */
	struct hal_waitq *exit_wq;         /* shutdown waits here for processes to exit */
	struct px_sva_dev *sva_devs;       /* /dev/pxsva/N, by device index (sva.c), or NULL */
};

/* An IOMMU driver's probe and remove entry points (riscv_iommu_*, or a test's). */
typedef int (*px_iommu_probe_t)(struct hal *h, const struct hal_iommu_info *info,
				struct iommu_device **out);
typedef void (*px_iommu_remove_t)(struct iommu_device *iommu);

int px_kernel_create(struct hal *h, struct px_kernel **out);
void px_kernel_destroy(struct px_kernel *k);
int px_kernel_boot_with(struct hal *h, px_iommu_probe_t probe, px_iommu_remove_t remove,
			struct px_kernel **out);
int px_kernel_add_iommu(struct px_kernel *k, unsigned int index, struct iommu_device *iommu);
int px_kernel_add_pci_dev(struct px_kernel *k, const struct hal_pci_dev_info *info,
			  struct device **out);
struct device *px_kernel_device(struct px_kernel *k, unsigned int index);
struct hal *px_kernel_hal(struct px_kernel *k);
int px_kernel_register_cdev(struct px_kernel *k, const char *path, px_cdev_open_t open,
			    void *priv);
int px_kernel_open(struct px_kernel *k, const char *path, unsigned int flags,
		   struct px_file **out);

int px_kernel_unregister_cdev(struct px_kernel *k, const char *path);

/* sw/kernel/proc.c: processes, fatal signals, user tasks */
int px_kernel_add_proc(struct px_kernel *k, struct px_kproc *kp);
void px_kernel_del_proc(struct px_kernel *k, struct px_kproc *kp);
void px_kproc_kill(struct px_kproc *kp);
unsigned int px_kernel_kill_all(struct px_kernel *k);
int px_kernel_wait_procs_exit(struct px_kernel *k, uint64_t timeout_ps);
void px_kernel_user_task_get(struct px_kernel *k);
void px_kernel_user_task_put(struct px_kernel *k);

/* sw/kernel/sva.c: /dev/pxsva/N, kernel-resident fault handling (SVA) */
int px_kernel_sva_register(struct px_kernel *k);

/* sw/kernel/vfio.c */
int vfio_register_device(struct px_kernel *k, struct device *dev,
			 const struct hal_pci_dev_info *info, unsigned int index,
			 struct vfio_device **out);
int vfio_unregister_device(struct vfio_device *vdev);

#endif /* PRISIM_SW_KERNEL_KERNEL_H */
