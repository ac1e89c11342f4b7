// SPDX-License-Identifier: Apache-2.0
/*
 * px_kernel_boot(): the kernel with the RISC-V IOMMU driver. Kept apart from
 * kernel.c so that unit tests, which boot with a mock driver through
 * px_kernel_boot_with(), do not need the RISC-V driver linked in.
 */
#include "drivers/riscv/riscv_iommu.h"
#include "kernel/kernel.h"

/**
 * px_kernel_boot - bring up the simulated kernel on machine @h
 * @h: machine
 * @out: the kernel
 *
 * See prisim/sw.h. Must run inside a HAL task (probing does MMIO and waits).
 *
 * Return: 0 or -errno.
 */
int px_kernel_boot(struct hal *h, struct px_kernel **out)
{
	return px_kernel_boot_with(h, riscv_iommu_probe, riscv_iommu_remove, out);
}
