/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sample userspace handlers (sw/user/demand_pager.c) on the fault-handler
 * library (user/fault_handler.h), exposed in steps so that tests can drive
 * them: create, setup (open /dev/iommu, IOAS, fault queue, bind + HWPT +
 * attach every /dev/vfio/devices/vfioN), start the devices, then serve
 * faults one poll/read/respond round at a time (px_pager_serve_once) or
 * until the process is killed (px_pager_run), and exit (px_pager_destroy).
 *
 * The handler logic (demand_pager.c) uses only the syscall-shaped layer and
 * the uAPI; what the simulator adds (scenario keys, statistics, costs, log)
 * reaches it through struct px_pager_hooks, which sw/user/handler_sim.c
 * implements. px_pager_create() / px_pager_destroy() and the task
 * launchers (prisim/sw.h) live there.
 */
#ifndef PRISIM_SW_USER_PAGER_H
#define PRISIM_SW_USER_PAGER_H

#include <stdbool.h>
#include <stdint.h>

#include "prisim/uapi/iommufd.h"
#include "user/fault_handler.h"
#include "user/px_syscall.h"

/* Largest read buffer, in messages, grown to when a group exceeds the batch. */
#define PX_PAGER_MAX_MSGS PX_FH_MAX_MSGS

struct px_pageset_slot {
	uint64_t key;           /* page number + 1; 0 = empty */
	uint64_t uva;           /* the page we allocated (px_alloc_data_page), or 0 if mapped by others */
};

/* Pages mapped in an IOAS: open addressing, linear probing. */
struct px_pageset {
	struct px_pageset_slot *slots;
	uint64_t cap, count;    /* cap is a power of two */
};

struct px_pager;

/*
 * One PASID of a served device (px_pager.pasids > 0): attached with
 * VFIO_DEVICE_ATTACH_PASID to a HWPT of its own, on an IOAS of its own, with
 * a fault queue of its own whose fd the handler serves beside the others.
 */
struct px_pager_pasid {
	struct px_pager *pg;
	unsigned int dev;       /* index in pg->devs */
	uint32_t pasid;
	uint32_t ioas_id, hwpt_id, fault_id;
	int fault_fd;
	struct px_pageset mapped; /* pages mapped in ioas_id */
	struct px_fh fh;        /* this queue's fault-fd loop state */
};

/*
 * One served device. Each device has an address space of its own (as when
 * each is assigned to a different guest or process), so two devices using
 * the same IOVA get different pages.
 */
/*
 * A nested device's guest (guest.c): its Sv39 first stage in VMM pages
 * mapped at PX_GUEST_TABLE_GPA and up, and its RAM handed out from
 * PX_GUEST_RAM_GPA, backed by the host's second-stage handler.
 */
#define PX_GUEST_TABLE_GPA 0x100000000ull  /* 4 GiB */
#define PX_GUEST_RAM_GPA   0x200000000ull  /* 8 GiB */

struct px_guest {
	uint32_t ioas_id;       /* the VMM's IOAS: guest-physical memory */
	uint32_t parent_id;     /* the nesting-parent HWPT on it */
	uint64_t root_gpa;      /* the first stage of requests without a PASID */
	/* With PASIDs: the guest's PD8 process directory, and each PASID's root */
	unsigned int nr_pasids;
	uint64_t pdt_gpa;
	uint64_t *pasid_root_gpa; /* PASID p's at [p - 1] */
	uint64_t next_ram_gpa;
	void **tables;          /* table i sits at PX_GUEST_TABLE_GPA + i pages */
	unsigned int nr_tables, cap_tables;
	uint64_t *free_gpa;     /* guest RAM pages evicted, reused first */
	unsigned int nr_free, cap_free;
};

struct px_pager;
int px_guest_init(struct px_pager *pg, struct px_guest *g, uint32_t ioas_id, unsigned int pasids,
		  struct iommu_hwpt_riscv_iommu *data);
int px_guest_map(struct px_pager *pg, struct px_guest *g, bool pv, uint32_t pasid, uint64_t iova,
		 bool *mapped);
int px_guest_unmap(struct px_pager *pg, struct px_guest *g, uint32_t hwpt_id, uint64_t iova);
/*
 * Frees one page the handler allocated, after its process exited: @cpu is a
 * page from px_alloc_user_page() (a guest's table), or NULL and @uva is a
 * page from px_alloc_data_page().
 */
typedef void (*px_page_free_fn)(void *ctx, void *cpu, uint64_t uva);
void px_guest_release(struct px_guest *g, px_page_free_fn free_page, void *ctx);

struct px_pager_dev {
	int fd;                 /* /dev/vfio/devices/vfioN */
	unsigned int index;     /* N */
	uint16_t rid;           /* set by hooks->dev_added (statistics only) */
	uint32_t dev_id;        /* iommufd device object id */
	uint32_t ioas_id;
	uint32_t hwpt_id;
	uint64_t bar0_offset;   /* file offset of BAR0 (VFIO_DEVICE_GET_REGION_INFO) */
	struct px_pageset mapped; /* pages mapped in ioas_id */
	/* Eviction (px_pager.resident_pages): the pages this handler mapped, oldest first. */
	uint64_t *fifo;         /* IOVAs, a ring grown as pages come */
	uint64_t fifo_cap, fifo_head, fifo_n;
	/* Detach with faults pending (px_pager.detach_after). */
	uint64_t held;          /* groups read and left unanswered */
	bool detached;          /* VFIO_DEVICE_DETACH_IOMMUFD_PT done */
	bool vevents;           /* on a nesting parent with the vEVENTQ, no fault queue */
	bool pinned;            /* no PRI: every page mapped before START, no fault queue */
	struct px_pager_pasid *pasids; /* PASIDs 1 .. nr_pasids, each its own HWPT and queue */
	unsigned int nr_pasids;
	unsigned int want_pasids; /* what the device's BAR0 says its workload uses (PXDEV_PASIDS) */
	struct px_guest *guest; /* nested: hwpt_id is the nested HWPT; NULL otherwise */
};

/* What a handler decides for a group. */
enum px_pager_policy {
	PX_PAGER_DEMAND,        /* map every faulting page, SUCCESS */
	PX_PAGER_DENY_OUTSIDE,  /* INVALID if a fault lies outside [lo, hi), else as DEMAND */
};

/* Events a handler reports (statistics). */
enum px_pager_event {
	PX_PAGER_EV_FAULT_SERVED,   /* a fault's page is mapped (now or before) */
	PX_PAGER_EV_PAGE_MAPPED,    /* a page was mapped for a fault */
	PX_PAGER_EV_BAD_MESSAGE,    /* a message the handler cannot serve */
	PX_PAGER_EV_FAULT_DENIED,   /* a fault outside the allowed range */
	PX_PAGER_EV_GROUP_SUCCESS,  /* a group answered SUCCESS: n = its faults */
	PX_PAGER_EV_GROUP_INVALID,  /* a group answered INVALID: n = its faults */
	PX_PAGER_EV_PAGE_EVICTED,   /* a page is unmapped to keep resident_pages (counted first) */
	PX_PAGER_EV_EVICT_FAILED,   /* ... and its unmap failed: it stays mapped */
	PX_PAGER_EV_GROUP_HELD,     /* a group read and left unanswered (detach_after) */
	PX_PAGER_EV_DEV_DETACHED,   /* a device detached with its groups pending */
	PX_PAGER_EV_VEVENT_DEV,     /* a device set up with the vEVENTQ */
	PX_PAGER_EV_VEVENT_READ,    /* an event read from the vEVENTQ */
	PX_PAGER_EV_VEVENT_LOST,    /* an event the vEVENTQ lost (LOST_EVENTS, sequence gap) */
	PX_PAGER_EV_GUEST_PTE,      /* a nested device's guest wrote a first-stage leaf */
	PX_PAGER_EV_PAGE_PINNED,    /* a page of a device without PRI mapped before START */
	PX_PAGER_EV__COUNT
};

enum px_pager_log { PX_PAGER_LOG_INFO, PX_PAGER_LOG_WARN, PX_PAGER_LOG_ERROR };

/* The environment a handler runs in; every hook is optional. */
struct px_pager_hooks {
	/* A device was set up (the adapter fills pdev->rid). */
	void (*dev_added)(void *ctx, struct px_pager_dev *pdev);
	/* About to serve the fault @m of @pdev (the service time is charged here). */
	void (*service)(void *ctx, const struct px_pager_dev *pdev,
			const struct iommu_hwpt_pgfault *m);
	/* Count @n of @ev, for @pdev's device if not NULL. */
	void (*count)(void *ctx, const struct px_pager_dev *pdev, enum px_pager_event ev,
		      uint64_t n);
	/* Count @n of @ev (FAULT_SERVED, GROUP_SUCCESS, GROUP_INVALID) for @pasid of @pdev. */
	void (*count_pasid)(void *ctx, const struct px_pager_dev *pdev, uint32_t pasid,
			    enum px_pager_event ev, uint64_t n);
	void (*log)(void *ctx, enum px_pager_log lvl, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* px_pager_run(): a round failed with @err; the loop goes on after this. */
	void (*pause)(void *ctx, int err);
};

struct px_pager {
	struct px_proc *proc;
	int iommufd;
	int fault_fd;
	uint32_t fault_id;      /* one fault queue serves every device */
	struct px_pager_dev *devs;
	unsigned int nr_devs;
	enum px_pager_policy policy;
	uint64_t allow_lo, allow_hi; /* PX_PAGER_DENY_OUTSIDE: faults in [lo, hi) are served */
	unsigned int first_dev; /* serve vfio<first_dev> on; the ones before are not ours */
	unsigned int batch;     /* messages per read() */
	uint64_t resident_pages; /* per device, 0: never evict */
	/*
	 * Detach with faults pending: hold every group of device vfio<detach_dev>
	 * and detach it once detach_after are held (0: never); the kernel then
	 * answers all of them INVALID.
	 */
	uint64_t detach_after;
	unsigned int detach_dev;
	/*
	 * vEVENTQ (vevent_depth > 0): device vfio<vevent_dev> is attached to a
	 * nesting-parent HWPT with a vIOMMU and a vEVENTQ of that depth, whose
	 * fd is polled next to the fault fd.
	 */
	uint32_t vevent_depth;
	unsigned int vevent_dev;
	/*
	 * PASIDs (0: none): the most a device may use. Each device's BAR0 says
	 * how many its workload uses (PXDEV_PASIDS, read at setup, at most
	 * this); PASIDs 1 .. that many are attached each to a HWPT and fault
	 * queue of their own (the device's RID HWPT is then allocated with
	 * IOMMU_HWPT_ALLOC_PASID), all fds served by poll().
	 */
	unsigned int pasids;
	/*
	 * Nested devices: the first nested_devs devices served are set up as a
	 * VMM sets up a device for its guest: a nesting-parent HWPT on the IOAS
	 * (the second stage, guest-physical memory) and a nested HWPT on it whose
	 * first stage is the guest's (guest.c), with the shared fault queue.
	 * Their first-stage faults are read here; their second-stage faults go
	 * to the host's handler in the kernel.
	 */
	unsigned int nested_devs;
	struct px_pollfd *pfds; /* the fault fds polled: the shared one, then every PASID's */
	struct px_pager_pasid **pfd_queue; /* the PASID queue of pfds[i] (NULL: the shared one) */
	unsigned int nr_pfds;
	int veventq_fd;         /* -1: none */
	uint32_t viommu_id, veventq_id;
	bool vevent_seq_valid;  /* a header was read: vevent_seq is the next number */
	uint32_t vevent_seq;
	unsigned char *vevent_buf;
	size_t vevent_buf_len;
	struct px_fh fh;        /* the fault-fd loop (set up by px_pager_setup) */
	const struct px_pager_hooks *hooks;
	void *hook_ctx;
	const char *name;       /* for the log */
};

/* Handler logic (demand_pager.c). */
void px_pager_init(struct px_pager *pg, struct px_proc *p, unsigned int batch,
		   const struct px_pager_hooks *hooks, void *hook_ctx);
int px_pager_setup(struct px_pager *pg);
int px_pager_start_devices(struct px_pager *pg);
uint32_t px_pager_decide(struct px_pager *pg, const struct iommu_hwpt_pgfault *m, unsigned int n);
int px_pager_serve_once(struct px_pager *pg, int timeout_ms);
int px_pager_handle(struct px_pager *pg, const struct iommu_hwpt_pgfault *msgs, unsigned int n);
int px_pager_run(struct px_pager *pg);
int px_pager_run_thread(struct px_pager *pg);
struct px_pager_dev *px_pager_find_dev(struct px_pager *pg, uint32_t dev_id);
int px_pager_map(struct px_pager *pg, struct px_pager_dev *pdev, uint64_t iova);
int px_pager_detach(struct px_pager *pg, struct px_pager_dev *pdev);
int px_pager_read_vevents(struct px_pager *pg);
/*
 * After the process exited (its fds closed): free the handler's memory,
 * handing each page it allocated to @free_page.
 */
void px_pager_release(struct px_pager *pg, px_page_free_fn free_page, void *ctx);

/* Simulator adapter (handler_sim.c): the handler chosen by "sw.user.handler". */
int px_pager_create(struct px_kernel *k, struct px_pager **out);
void px_pager_destroy(struct px_pager *pg);
/*
 * The external handler (handler_ext.c): forward every batch the fault fd
 * gives to the host process on the HAL's host channel and carry out its
 * map requests and responses, until the process is killed. Return: 0.
 */
int px_ext_run(struct px_pager *pg, struct hal *h);

#endif /* PRISIM_SW_USER_PAGER_H */
