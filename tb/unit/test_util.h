/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared fixture of the sw/ unit tests: a fake machine with one mock IOMMU
 * and a few PRI-capable PCI functions, the simulated kernel, and one user
 * process. Small t_xxx() wrappers return what the syscall returns, so a test
 * states the expected result with assert_int_equal(0 or -EXXX, t_xxx(...)).
 */
#ifndef PRISIM_TB_UNIT_TEST_UTIL_H
#define PRISIM_TB_UNIT_TEST_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_hal.h"
#include "iommu/iommu.h"
#include "kernel/kernel.h"
#include "mock_iommu.h"
#include "prisim/uapi/iommufd.h"
#include "prisim/uapi/vfio.h"
#include "user/px_syscall.h"

#define W_MAX_DEV 4
#define W_RID(i)  ((uint16_t)(0x08u + 8u * (i)))            /* 0000:00:01.0, 00:02.0, ... */
#define W_BAR0(i) (0x40000000ull + (uint64_t)(i) * 0x1000u)

#define F_PASID IOMMU_FAULT_PAGE_REQUEST_PASID_VALID
#define F_LAST  IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE
#define F_NEEDS_PASID IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID
#define P_R     IOMMU_FAULT_PERM_READ
#define P_W     IOMMU_FAULT_PERM_WRITE
#define P_RW    (P_R | P_W)

struct w_mmio {
	hal_paddr_t addr;
	uint64_t val;
	unsigned int size;
};

struct world {
	uint32_t bar0_pasids[W_MAX_DEV]; /* what each device's PXDEV_PASIDS reads */
	struct hal *h;
	struct mock_iommu *m;
	struct px_kernel *k;
	struct device *dev[W_MAX_DEV];
	unsigned int nr_dev;
	struct px_proc *p;
	int iommufd;
	uint32_t ioas_id;
	uint32_t fault_id;
	int fault_fd;
	int vfio_fd[W_MAX_DEV];
	uint32_t dev_id[W_MAX_DEV];
	uint32_t hwpt_id[W_MAX_DEV];
	struct w_mmio mmio[64];
	unsigned int nr_mmio;
};

/* Machine + kernel + process; asserts on failure. */
/* The scenario keys the userspace handler reads, at their defaults (the fake
 * HAL aborts on a key nobody set), with @batch messages per read. */
void world_handler_params(struct hal *h, uint64_t batch);
void world_init(struct world *w, unsigned int ndev);
void world_fini(struct world *w);
/* cmocka teardown for a calloc'ed world in *state: world_fini + free. */
int world_teardown(void **state);
/* /dev/iommu, one IOAS, one fault queue. Return 0 or -errno. */
int world_open_iommufd(struct world *w);
/* Open vfio<i>, bind, allocate a HWPT (fault-capable if faultable), attach. */
int world_attach_dev(struct world *w, unsigned int i, bool faultable);
/* world_open_iommufd + world_attach_dev(all, faultable). */
int world_setup(struct world *w);
/* Report one page request of device i to io-pgfault (what the driver does). */
int world_report(struct world *w, unsigned int i, uint32_t flags, uint32_t pasid,
		 uint32_t grpid, uint32_t perm, uint64_t addr);

int t_ioas_alloc(struct world *w, uint32_t *id);
int t_fault_alloc(struct world *w, uint32_t *id, int *fd);
int t_hwpt_alloc(struct world *w, uint32_t flags, uint32_t dev_id, uint32_t pt_id,
		 uint32_t fault_id, uint32_t *out_id);
int t_destroy(struct world *w, uint32_t id);
int t_ioas_map(struct world *w, uint32_t ioas, uint64_t iova, uint64_t user_va, uint64_t len,
	       uint32_t flags);
int t_bind(struct world *w, int vfio_fd, uint32_t *dev_id);
int t_attach(struct world *w, int vfio_fd, uint32_t pt_id);
int t_detach(struct world *w, int vfio_fd);
/* The same for a PASID (VFIO_DEVICE_ATTACH_PASID / VFIO_DEVICE_DETACH_PASID). */
int t_attach_pasid(struct world *w, int vfio_fd, uint32_t pasid, uint32_t pt_id);
int t_detach_pasid(struct world *w, int vfio_fd, uint32_t pasid);
/* VFIO_DEVICE_GET_REGION_INFO of region index; fills *info. Returns 0 or -errno. */
int t_region_info(struct world *w, int vfio_fd, uint32_t index, struct vfio_region_info *info);
/* read() up to n messages; returns bytes or -errno. */
ssize_t t_read_msgs(struct world *w, int fd, struct iommu_hwpt_pgfault *buf, unsigned int n);
/* write() one response; returns bytes or -errno. */
ssize_t t_respond(struct world *w, int fd, uint32_t cookie, uint32_t code);
/* poll() one fd with timeout 0; returns revents. */
short t_poll(struct world *w, int fd, short events);

#endif /* PRISIM_TB_UNIT_TEST_UTIL_H */
