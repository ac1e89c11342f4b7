/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Register map of the prisim test endpoint ("pxdev") BAR0. Hardware
 * definition shared by the device model and software (like include/hw).
 * All registers are 32-bit, little-endian.
 */
#ifndef PRISIM_HW_PXDEV_H
#define PRISIM_HW_PXDEV_H

#define PXDEV_BAR0_SIZE      0x1000u

#define PXDEV_ID             0x00u /* RO: PXDEV_ID_VALUE */
#define PXDEV_ID_VALUE       0x50584456u /* "PXDV" */
#define PXDEV_CTRL           0x04u /* RW */
#define PXDEV_CTRL_START     (1u << 0) /* 0 -> 1 starts the workload */
#define PXDEV_STATUS         0x08u /* RO */
#define PXDEV_STATUS_RUNNING (1u << 0)
#define PXDEV_STATUS_DONE    (1u << 1)
#define PXDEV_STATUS_ERROR   (1u << 2) /* some access failed (Invalid/RF) */
#define PXDEV_PAGES_DONE     0x0Cu /* RO: pages whose DMA completed */
#define PXDEV_PASIDS         0x10u /* RO: the workload uses PASIDs 1 .. this (0: none) */
/*
 * The IOVA ranges the device's workloads use, one per workload: what
 * software maps (pins) before START on a device without PRI, which cannot
 * fault pages in. Write PXDEV_RANGE_SEL, read the selected range; a traced
 * workload, or a selector past the last, reads 0 pages.
 */
#define PXDEV_RANGES         0x14u /* RO: number of ranges */
#define PXDEV_RANGE_SEL      0x18u /* RW: the range the next three describe */
#define PXDEV_RANGE_BASE_LO  0x1Cu /* RO: its first IOVA (4 KiB aligned), bits 31:0 */
#define PXDEV_RANGE_BASE_HI  0x20u /* RO: bits 63:32 */
#define PXDEV_RANGE_PAGES    0x24u /* RO: its 4 KiB pages */

/* PCI configuration space layout of pxdev (extended capabilities). */
#define PXDEV_CFG_ATS        0x100u /* ATS ext cap (ID 0x0F) */
#define PXDEV_CFG_PRI        0x110u /* PRI ext cap (ID 0x13) */
#define PXDEV_CFG_PASID      0x120u /* PASID ext cap (ID 0x1B) */

#endif /* PRISIM_HW_PXDEV_H */
