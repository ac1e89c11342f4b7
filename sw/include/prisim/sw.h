/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entry points of the software stack, called by a platform (model/platform,
 * or a unit-test harness). Everything else in sw/ is internal.
 */
#ifndef PRISIM_SW_H
#define PRISIM_SW_H

#include "prisim/hal.h"

#ifdef __cplusplus
extern "C" {
#endif

struct px_kernel;

/*
 * px_kernel_boot - bring up the simulated kernel on machine h: probe every
 * IOMMU (hal_iommu_count) with the RISC-V driver, create a struct device for
 * every PCI function (hal_pci_dev_count) and probe it on its IOMMU, and set
 * up the iommufd subsystem and the VFIO-cdev shaped device files
 * ("/dev/iommu", "/dev/vfio/devices/vfioN", N = index in hal_pci_dev()).
 * Must be called from inside a HAL task (probing does MMIO and waits).
 * Return: 0 or -errno.
 */
int px_kernel_boot(struct hal *h, struct px_kernel **out);

/*
 * px_user_spawn_demand_pager - start the sample userspace demand-paging
 * handler as a user task (sw/user/demand_pager.c): it opens /dev/iommu,
 * allocates one fault queue, binds every vfio device and attaches it to a
 * fault-capable HWPT in an IOAS of its own, starts the devices (VFIO region write of
 * PXDEV_CTRL_START to BAR0), then serves faults forever: poll(), read(),
 * map the page (IOMMU_IOAS_MAP), write() SUCCESS.
 * Return: 0 or -errno.
 */
int px_user_spawn_demand_pager(struct px_kernel *k);

/*
 * px_user_spawn_handlers - start the fault handlers the scenario chooses
 * (sw/user/handler_sim.c): "sw.user.handler" demand_pager, deny_outside or
 * slow is a userspace handler as px_user_spawn_demand_pager() starts it;
 * "kernel" binds every device to the kernel-resident SVA handler through a
 * client process that opens /dev/pxsva/N and starts the device;
 * "sw.user.kernel_devices" = N binds only the first N devices so, the
 * userspace handler serving the others.
 * Return: 0 or -errno.
 */
int px_user_spawn_handlers(struct px_kernel *k);

/*
 * px_kernel_report_pending - at the end of a run, emit for every device the
 * partial page requests still parked and the groups still unanswered, as the
 * stats sw.dev.<rid>.iopf.partials_pending / .groups_pending (and their
 * sw.iopf.* totals). Call once: stats only ever grow.
 */
void px_kernel_report_pending(struct px_kernel *k);

/*
 * px_kernel_shutdown - orderly end of the software stack, as at system
 * power-off: every user process gets a fatal signal (its blocking call, e.g.
 * the demand pager's poll(), returns -EINTR) and exits by closing its files
 * through the ordinary release paths, so groups still pending are answered
 * INVALID exactly once by the iommufd auto-response; once all processes and
 * user tasks are gone, every device file is unregistered, every device
 * released from its IOMMU (release_device) and every IOMMU removed by its
 * driver (queues and interrupts off, memory freed), and k is freed.
 * Call once the run has quiesced and px_kernel_report_pending() and all
 * other results have been read, from a HAL task (kernel kind: it blocks and
 * does MMIO). Processes get as long as they take to exit: the caller bounds
 * the phase (prisim bounds it by run.max_time_us).
 * Return: 0 (k is freed); -EBUSY if something was still in use (logged and
 * left allocated; k is freed); -ETIMEDOUT if a process did not exit in time
 * (px_kernel_shutdown_within() only),
 * or another error of the wait (-ENOMEM, or the HAL's -EINVAL when called
 * outside a task): nothing torn down, k still valid, the call may be
 * repeated; -EINVAL if k is NULL. So k is freed exactly when the result is
 * 0 or -EBUSY. Every failure is logged with its reason.
 */
int px_kernel_shutdown(struct px_kernel *k);

/*
 * px_kernel_shutdown_within - px_kernel_shutdown() giving the processes at
 * most timeout_ps of simulated time to exit (HAL_WAIT_FOREVER: no limit).
 */
int px_kernel_shutdown_within(struct px_kernel *k, uint64_t timeout_ps);

#ifdef __cplusplus
}
#endif

#endif /* PRISIM_SW_H */
