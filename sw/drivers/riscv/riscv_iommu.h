/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RISC-V IOMMU driver: the one entry point the kernel bring-up code calls.
 * Everything else is reached through the struct iommu_ops of the registered
 * struct iommu_device (sw/iommu/iommu.h).
 */
#ifndef PRISIM_DRIVERS_RISCV_IOMMU_H
#define PRISIM_DRIVERS_RISCV_IOMMU_H

#include "prisim/hal.h"

struct iommu_device;

/**
 * riscv_iommu_probe - bring up one RISC-V IOMMU and register it with the core
 * @h: the machine
 * @info: register page and index of the IOMMU (from hal_iommu())
 * @out: the registered struct iommu_device on success
 *
 * Checks the capabilities (version 1.0, Sv39, ATS; MSI interrupts), programs
 * fctl, the interrupt vectors and MSI table, enables the command, fault and
 * page-request queues (sizes from sw.driver.{cq,fq,pq}_log2sz) and a device
 * directory of the depth sw.driver.ddt_mode asks for (or the next shallower one
 * the IOMMU accepts), then calls iommu_device_register(). Must be called from a
 * HAL task: it does MMIO and waits for the hardware.
 *
 * Return: 0, -ENODEV if the IOMMU lacks a required capability, -EINVAL for a
 * bad queue size parameter, -ENOMEM, -ETIMEDOUT if the hardware did not
 * respond, or the error of iommu_device_register(). A message names the reason.
 */
int riscv_iommu_probe(struct hal *h, const struct hal_iommu_info *info,
		      struct iommu_device **out);

/**
 * riscv_iommu_remove - undo riscv_iommu_probe
 * @iommu: the struct iommu_device returned by riscv_iommu_probe()
 *
 * Every device must have been released (iommu_ops.release_device) and every
 * domain freed before. Turns translation off (ddtp = Off), disables the
 * queues, frees the interrupts, the iopf queue and all memory.
 */
void riscv_iommu_remove(struct iommu_device *iommu);

#endif /* PRISIM_DRIVERS_RISCV_IOMMU_H */
