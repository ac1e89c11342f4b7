/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sample demand-paging handler (sw/user/demand_pager.c), exposed in
 * steps so that tests can drive it: create, setup (open /dev/iommu, IOAS,
 * fault queue, bind + HWPT + attach every /dev/vfio/devices/vfioN), start
 * the devices, then serve faults one poll/read/respond round at a time
 * (px_pager_serve_once) or until the process is killed (px_pager_run), and
 * exit (px_pager_destroy). px_user_spawn_demand_pager() (prisim/sw.h) runs
 * all of it in a user task.
 */
#ifndef PRISIM_SW_USER_PAGER_H
#define PRISIM_SW_USER_PAGER_H

#include <stdint.h>

#include "prisim/uapi/iommufd.h"
#include "user/px_syscall.h"

/* Largest read buffer, in messages, grown to when a group exceeds the batch. */
#define PX_PAGER_MAX_MSGS 65536u

struct px_pageset_slot {
	uint64_t key;           /* page number + 1; 0 = empty */
	void *cpu;              /* the page we allocated, or NULL if mapped by others */
};

/* Pages mapped in an IOAS: open addressing, linear probing. */
struct px_pageset {
	struct px_pageset_slot *slots;
	uint64_t cap, count;    /* cap is a power of two */
};

/*
 * One served device. Each device has an address space of its own (as when
 * each is assigned to a different guest or process), so two devices using
 * the same IOVA get different pages.
 */
struct px_pager_dev {
	int fd;                 /* /dev/vfio/devices/vfioN */
	unsigned int index;     /* N */
	uint16_t rid;
	uint32_t dev_id;        /* iommufd device object id */
	uint32_t ioas_id;
	uint32_t hwpt_id;
	uint64_t bar0_offset;   /* file offset of BAR0 (VFIO_DEVICE_GET_REGION_INFO) */
	struct px_pageset mapped; /* pages mapped in ioas_id */
};

/* Statistics ids, registered by px_pager_create(). */
struct px_pager_stats {
	hal_stat_id faults_served;
	hal_stat_id pages_mapped;
	hal_stat_id bad_messages;
};

struct px_pager {
	struct px_kernel *k;
	struct hal *hal;
	struct px_proc *proc;
	int iommufd;
	int fault_fd;
	uint32_t fault_id;      /* one fault queue serves every device */
	struct px_pager_dev *devs;
	unsigned int nr_devs;
	unsigned int batch;     /* messages per read() (scenario "sw.user.batch") */
	unsigned int cap_msgs;
	struct iommu_hwpt_pgfault *msgs;
	struct iommu_hwpt_page_response *resps;
	struct px_pager_stats stats;
};

int px_pager_create(struct px_kernel *k, struct px_pager **out);
int px_pager_setup(struct px_pager *pg);
int px_pager_start_devices(struct px_pager *pg);
int px_pager_serve_once(struct px_pager *pg, int timeout_ms);
int px_pager_handle(struct px_pager *pg, const struct iommu_hwpt_pgfault *msgs, unsigned int n);
int px_pager_run(struct px_pager *pg);
void px_pager_destroy(struct px_pager *pg);

#endif /* PRISIM_SW_USER_PAGER_H */
