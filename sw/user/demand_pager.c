// SPDX-License-Identifier: Apache-2.0
/*
 * Sample userspace fault handlers on the fault-handler library
 * (user/fault_handler.h). Each gives every device an IOAS of its own with a
 * fault-capable HWPT and shares one fault queue among them all. Per group
 * (cookie) of faults:
 *
 * - PX_PAGER_DEMAND (the demand pager; also the "slow" handler, which only
 *   differs in the service time its environment charges): map a fresh
 *   zeroed page at every faulting page that is not mapped yet, then answer
 *   SUCCESS;
 * - PX_PAGER_DENY_OUTSIDE: answer INVALID if any fault of the group lies
 *   outside the allowed IOVA range, else as the demand pager.
 *
 * Anything unexpected in a message gets the group answered INVALID.
 *
 * Detach with faults pending (detach_after > 0): every group of device
 * vfio<detach_dev> is read and held unanswered; once detach_after are held
 * the handler detaches that device (VFIO_DEVICE_DETACH_IOMMUFD_PT) and the
 * kernel answers each group still pending INVALID, read or not (Linux
 * iommufd_auto_response_faults()). The handler never answers them itself.
 *
 * vEVENTQ (vevent_depth > 0): device vfio<vevent_dev> is set up as a VMM
 * sets up a device under a vIOMMU: an IOAS with a nesting-parent HWPT (no
 * fault queue), IOMMU_VIOMMU_ALLOC and IOMMU_VEVENTQ_ALLOC on it, and the
 * guest's ATS and PRI enables written through the device's VFIO config
 * region. The IOMMU answers that device's page requests itself (its DC does
 * not enable PRI) and reports each in a fault-queue record, which reaches
 * the vEVENTQ; the handler polls the vEVENTQ fd next to the fault fd and
 * reads whole events, counting them and the ones lost.
 *
 * PASIDs (pasids > 0): a device whose BAR0 says its workload uses N
 * PASIDs (PXDEV_PASIDS) has its RID HWPT allocated with
 * IOMMU_HWPT_ALLOC_PASID, and each of its PASIDs 1 .. N is attached
 * (VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID) to a
 * fault-capable HWPT on an IOAS of its own, with a fault queue of its own.
 * One poll() watches the shared fault fd and every PASID's; a group read
 * from a PASID's queue is served in that PASID's IOAS, and answered INVALID
 * if it is not that device's and PASID's.
 *
 * Nested devices (nested_devs > 0): the first nested_devs devices are set
 * up as a VMM sets up a device for its guest: an IOAS (guest-physical
 * memory) with a nesting-parent HWPT, and a nested HWPT on that parent
 * (IOMMU_HWPT_DATA_RISCV_IOMMU) whose first stage is the guest's
 * (guest.c), fault-capable with the shared queue. A fault read for such a
 * device is the guest's: its first stage gets a leaf; the kernel's own
 * handler of the parent backs the guest-physical page on the retry.
 *
 * Written only against the syscall-shaped layer (user/px_syscall.h) and the
 * uAPI headers, as a Linux handler would be; logging, statistics and costs
 * go through struct px_pager_hooks (sw/user/handler_sim.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prisim/hw/pxdev.h"
#include "prisim/uapi/vfio.h"
#include "user/pager.h"

#define PX_PAGER_FLAGS_KNOWN (IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE | \
			      IOMMU_PGFAULT_FLAGS_NEEDS_PASID)
#define PX_PAGER_PERM_KNOWN  (IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE | \
			      IOMMU_PGFAULT_PERM_EXEC | IOMMU_PGFAULT_PERM_PRIV)
#define PX_PAGE_MASK ((uint64_t)PX_PAGE_SIZE - 1)

/* PCI configuration registers (Linux <uapi/linux/pci_regs.h>). */
#define PX_PCI_EXT_CAP_START   0x100u
#define PX_PCI_EXT_CAP_ID(h)   ((h) & 0xffffu)
#define PX_PCI_EXT_CAP_NEXT(h) (((h) >> 20) & 0xffcu)
#define PX_PCI_EXT_CAP_ID_ATS  0x0fu
#define PX_PCI_EXT_CAP_ID_PRI  0x13u
#define PX_PCI_ATS_CTRL        0x06u
#define PX_PCI_ATS_CTRL_ENABLE (1u << 15)
#define PX_PCI_PRI_CTRL        0x04u
#define PX_PCI_PRI_CTRL_ENABLE (1u << 0)
#define PX_PCI_PRI_MAX_REQ     0x08u
#define PX_PCI_PRI_ALLOC_REQ   0x0cu

/* vEVENTQ read buffer: whole RISC-V events (header + payload). */
#define PX_VEVENT_SIZE \
	(sizeof(struct iommufd_vevent_header) + sizeof(struct iommu_vevent_riscv_iommu))
#define PX_VEVENT_BUF  (64 * PX_VEVENT_SIZE)

/* ---- set of mapped pages -------------------------------------------------- */

static uint64_t px_pageset_hash(uint64_t key, uint64_t cap)
{
	return (key * 0x9e3779b97f4a7c15ull) >> 17 & (cap - 1);
}

static struct px_pageset_slot *px_pageset_find(struct px_pageset *set, uint64_t pfn)
{
	uint64_t key = pfn + 1, i;

	if (!set->cap)
		return NULL;
	for (i = px_pageset_hash(key, set->cap); set->slots[i].key; i = (i + 1) & (set->cap - 1))
		if (set->slots[i].key == key)
			return &set->slots[i];
	return NULL;
}

static void px_pageset_put(struct px_pageset_slot *slots, uint64_t cap, uint64_t key, uint64_t uva)
{
	uint64_t i = px_pageset_hash(key, cap);

	while (slots[i].key)
		i = (i + 1) & (cap - 1);
	slots[i].key = key;
	slots[i].uva = uva;
}

/* Remove @pfn (backward-shift deletion keeps every probe sequence unbroken). */
static void px_pageset_remove(struct px_pageset *set, uint64_t pfn)
{
	struct px_pageset_slot *slot = px_pageset_find(set, pfn);
	uint64_t mask = set->cap - 1, hole, i, home;

	if (!slot)
		return;
	hole = (uint64_t)(slot - set->slots);
	for (i = (hole + 1) & mask; set->slots[i].key; i = (i + 1) & mask) {
		home = px_pageset_hash(set->slots[i].key, set->cap);
		/* Move back unless its home lies cyclically in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			set->slots[hole] = set->slots[i];
			hole = i;
		}
	}
	set->slots[hole].key = 0;
	set->slots[hole].uva = 0;
	set->count--;
}

static int px_pageset_insert(struct px_pageset *set, uint64_t pfn, uint64_t uva)
{
	struct px_pageset_slot *n = px_pageset_find(set, pfn);
	uint64_t ncap, i;

	if (n) {
		/*
		 * Recorded by another handler thread while this one mapped: the
		 * one whose map succeeded owns the page.
		 */
		if (uva)
			n->uva = uva;
		return 0;
	}

	if ((set->count + 1) * 2 > set->cap) {
		ncap = set->cap ? set->cap * 2 : 256;
		n = calloc(ncap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (i = 0; i < set->cap; i++)
			if (set->slots[i].key)
				px_pageset_put(n, ncap, set->slots[i].key, set->slots[i].uva);
		free(set->slots);
		set->slots = n;
		set->cap = ncap;
	}
	px_pageset_put(set->slots, set->cap, pfn + 1, uva);
	set->count++;
	return 0;
}

/* ---- environment ----------------------------------------------------------- */

#define px_pager_log(pg, lvl, ...)                                              \
	do {                                                                    \
		if ((pg)->hooks && (pg)->hooks->log)                            \
			(pg)->hooks->log((pg)->hook_ctx, lvl, __VA_ARGS__);     \
	} while (0)

/* Count @n of @ev, for @pdev's device if there is one. */
static void px_pager_count(struct px_pager *pg, const struct px_pager_dev *pdev,
			   enum px_pager_event ev, uint64_t n)
{
	if (pg->hooks && pg->hooks->count)
		pg->hooks->count(pg->hook_ctx, pdev, ev, n);
}

/* Count @n of @ev for @pasid of @pdev (and for the device, as px_pager_count). */
static void px_pager_count_pasid(struct px_pager *pg, const struct px_pager_dev *pdev,
				 uint32_t pasid, enum px_pager_event ev, uint64_t n)
{
	px_pager_count(pg, pdev, ev, n);
	if (pg->hooks && pg->hooks->count_pasid)
		pg->hooks->count_pasid(pg->hook_ctx, pdev, pasid, ev, n);
}

static const struct px_fh_ops px_pager_fh_ops;
static const struct px_fh_ops px_pager_pasid_fh_ops;

/* ---- setup ------------------------------------------------------------------ */

/**
 * px_pager_init - initialise a handler for process @p
 * @pg: handler (zeroed by the caller, or not: every field is set)
 * @p: the process it runs in
 * @batch: messages per read() (0 is taken as 1)
 * @hooks: environment (NULL: none)
 * @hook_ctx: passed to every hook
 *
 * The policy is PX_PAGER_DEMAND; set pg->policy and the range after.
 */
void px_pager_init(struct px_pager *pg, struct px_proc *p, unsigned int batch,
		   const struct px_pager_hooks *hooks, void *hook_ctx)
{
	*pg = (struct px_pager){
		.proc = p,
		.iommufd = -1,
		.fault_fd = -1,
		.policy = PX_PAGER_DEMAND,
		.batch = batch ? batch : 1,
		.hooks = hooks,
		.hook_ctx = hook_ctx,
		.name = "demand_pager",
		.veventq_fd = -1,
	};
}

/**
 * px_pager_release - free what the handler allocated, once its process exited
 * @pg: handler
 * @free_page: called for every page the handler allocated (the process's
 *             exit has unmapped them: its IOAS is gone)
 * @ctx: passed to @free_page
 */
static void px_pageset_release(struct px_pageset *set, px_page_free_fn free_page, void *ctx)
{
	uint64_t i;

	for (i = 0; i < set->cap; i++)
		if (set->slots[i].uva && free_page)
			free_page(ctx, NULL, set->slots[i].uva);
	free(set->slots);
	set->slots = NULL;
	set->cap = set->count = 0;
}

void px_pager_release(struct px_pager *pg, px_page_free_fn free_page, void *ctx)
{
	unsigned int d, q;

	for (d = 0; d < pg->nr_devs; d++) {
		if (pg->devs[d].guest) {
			px_guest_release(pg->devs[d].guest, free_page, ctx);
			free(pg->devs[d].guest);
		}
		px_pageset_release(&pg->devs[d].mapped, free_page, ctx);
		free(pg->devs[d].fifo);
		for (q = 0; q < pg->devs[d].nr_pasids; q++) {
			px_pageset_release(&pg->devs[d].pasids[q].mapped, free_page, ctx);
			px_fh_release(&pg->devs[d].pasids[q].fh);
		}
		free(pg->devs[d].pasids);
	}
	free(pg->pfds);
	free(pg->pfd_queue);
	pg->pfds = NULL;
	pg->pfd_queue = NULL;
	pg->nr_pfds = 0;
	free(pg->devs);
	pg->devs = NULL;
	pg->nr_devs = 0;
	free(pg->vevent_buf);
	pg->vevent_buf = NULL;
	px_fh_release(&pg->fh);
}

/*
 * Where BAR0 sits in the device file: asked with VFIO_DEVICE_GET_REGION_INFO,
 * as a Linux VFIO user does (the layout is the kernel's). BAR0 must be
 * writable and hold the control register.
 */
static int px_pager_bar0_offset(struct px_pager *pg, int fd, uint64_t *offset)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	int rc;

	rc = px_ioctl(pg->proc, fd, VFIO_DEVICE_GET_REGION_INFO, &info);
	if (rc)
		return rc;
	if (!(info.flags & VFIO_REGION_INFO_FLAG_WRITE) ||
	    info.size < PXDEV_CTRL + sizeof(uint32_t))
		return -ENODEV;
	*offset = info.offset;
	return 0;
}

/* IOMMU_DESTROY of an object this handler made (errors ignored: undo paths). */
static void px_pager_destroy_id(struct px_pager *pg, uint32_t id)
{
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = id };

	px_ioctl(pg->proc, pg->iommufd, IOMMU_DESTROY, &destroy);
}

/* Undo px_pager_bind_attach() below: the HWPT (still attached, it goes with the device file), the IOAS. */
static void px_pager_undo_attach(struct px_pager *pg, const struct px_pager_dev *d)
{
	px_pager_destroy_id(pg, d->hwpt_id);
	px_pager_destroy_id(pg, d->ioas_id);
}

/* How px_pager_map_in() maps: for a fault, evictable or not, or pinned before START. */
enum px_map_how { PX_MAP_FAULT, PX_MAP_FAULT_EVICT, PX_MAP_PIN };

static uint32_t px_pager_find_ext_cap(struct px_pager *pg, int fd, uint64_t cfg, uint32_t id);
static int px_pager_map_in(struct px_pager *pg, struct px_pager_dev *pdev, uint32_t ioas_id,
			   struct px_pageset *set, uint64_t iova, enum px_map_how how);

/* Whether the device has a PRI capability, as its VFIO config region shows. */
static int px_pager_has_pri(struct px_pager *pg, int fd, bool *pri)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	int rc = px_ioctl(pg->proc, fd, VFIO_DEVICE_GET_REGION_INFO, &info);

	if (rc)
		return rc;
	*pri = px_pager_find_ext_cap(pg, fd, info.offset, PX_PCI_EXT_CAP_ID_PRI) != 0;
	return 0;
}

/*
 * What every served device gets: bind the device file to the iommufd, find
 * BAR0, give it an IOAS of its own and a HWPT on it (@hwpt_flags, with
 * @fault_id when it is FAULT_ID_VALID), attach. Fills @d's ids; on error
 * what was made is destroyed (an attached HWPT goes with the device file).
 */
static int px_pager_bind_attach(struct px_pager *pg, int fd, uint32_t hwpt_flags, uint32_t fault_id,
				struct px_pager_dev *d)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = pg->iommufd,
	};
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.flags = hwpt_flags,
		.fault_id = fault_id,
	};
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	int rc;

	rc = px_ioctl(pg->proc, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (rc)
		return rc;
	rc = px_pager_bar0_offset(pg, fd, &d->bar0_offset);
	if (rc)
		return rc;
	/* no PRI: a HWPT without a fault queue (iommufd refuses one, as IOPF
	 * cannot be enabled); the caller pins every page (px_pager_pin) */
	if (hwpt_flags & IOMMU_HWPT_FAULT_ID_VALID) {
		bool pri;

		rc = px_pager_has_pri(pg, fd, &pri);
		if (rc)
			return rc;
		if (!pri) {
			hwpt.flags &= ~IOMMU_HWPT_FAULT_ID_VALID;
			hwpt.fault_id = 0;
			d->pinned = true;
		}
	}
	/* the PASIDs the device's workload uses, as its register says */
	if (pg->pasids) {
		uint32_t n = 0;
		ssize_t got = px_pread(pg->proc, fd, &n, sizeof(n), d->bar0_offset + PXDEV_PASIDS);

		if (got != (ssize_t)sizeof(n))
			return got < 0 ? (int)got : -EIO;
		d->want_pasids = n < pg->pasids ? n : pg->pasids;
		/* with PASIDs attached, the RID's HWPT must be PASID-compatible too
		 * (a nesting parent's are the guest's, in its own directory) */
		if (d->want_pasids && !(hwpt_flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
			hwpt.flags |= IOMMU_HWPT_ALLOC_PASID;
	}
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	hwpt.dev_id = bind.out_devid;
	hwpt.pt_id = ioas.out_ioas_id;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_HWPT_ALLOC, &hwpt);
	if (rc) {
		px_pager_destroy_id(pg, ioas.out_ioas_id);
		return rc;
	}
	attach.pt_id = hwpt.out_hwpt_id;
	rc = px_ioctl(pg->proc, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	d->fd = fd;
	d->dev_id = bind.out_devid;
	d->ioas_id = ioas.out_ioas_id;
	d->hwpt_id = hwpt.out_hwpt_id;
	if (rc)
		px_pager_undo_attach(pg, d);
	return rc;
}

/* Append @d to the served devices and tell the environment. */
static int px_pager_record_dev(struct px_pager *pg, const struct px_pager_dev *d)
{
	struct px_pager_dev *n = realloc(pg->devs, (pg->nr_devs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	pg->devs = n;
	pg->devs[pg->nr_devs] = *d;
	if (pg->hooks && pg->hooks->dev_added)
		pg->hooks->dev_added(pg->hook_ctx, &pg->devs[pg->nr_devs]);
	pg->nr_devs++;
	return 0;
}

/* Undo px_pager_add_pasid(): the HWPT, the IOAS and the fault queue (its fd too). */
static void px_pager_undo_pasid(struct px_pager *pg, struct px_pager_pasid *q)
{
	px_pager_destroy_id(pg, q->hwpt_id);
	px_pager_destroy_id(pg, q->ioas_id);
	px_fh_release(&q->fh);
	px_close(pg->proc, q->fault_fd);
	px_pager_destroy_id(pg, q->fault_id);
}

/*
 * PASID @q->pasid of device @d: a fault queue, an IOAS and a fault-capable
 * HWPT (IOMMU_HWPT_ALLOC_PASID) of its own, attached with
 * VFIO_DEVICE_ATTACH_PASID. On error what was made is destroyed.
 */
static int px_pager_add_pasid(struct px_pager *pg, const struct px_pager_dev *d,
			      struct px_pager_pasid *q)
{
	struct iommu_fault_alloc fault = { .size = sizeof(fault) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
		.dev_id = d->dev_id,
	};
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.flags = VFIO_DEVICE_ATTACH_PASID,
		.pasid = q->pasid,
	};
	int rc;

	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_FAULT_QUEUE_ALLOC, &fault);
	if (rc)
		return rc;
	q->fault_id = fault.out_fault_id;
	q->fault_fd = (int)fault.out_fault_fd;
	rc = px_fh_init(&q->fh, pg->proc, q->fault_fd, pg->batch, &px_pager_pasid_fh_ops, q);
	if (rc)
		goto err_fault;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_IOAS_ALLOC, &ioas);
	if (rc)
		goto err_fh;
	q->ioas_id = ioas.out_ioas_id;
	hwpt.pt_id = q->ioas_id;
	hwpt.fault_id = q->fault_id;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_HWPT_ALLOC, &hwpt);
	if (rc)
		goto err_ioas;
	q->hwpt_id = hwpt.out_hwpt_id;
	attach.pt_id = q->hwpt_id;
	rc = px_ioctl(pg->proc, d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (rc)
		goto err_hwpt;
	return 0;

err_hwpt:
	px_pager_destroy_id(pg, q->hwpt_id);
err_ioas:
	px_pager_destroy_id(pg, q->ioas_id);
err_fh:
	px_fh_release(&q->fh);
err_fault:
	px_close(pg->proc, q->fault_fd);
	px_pager_destroy_id(pg, q->fault_id);
	return rc;
}

/* PASIDs 1 .. d->want_pasids of @d, which will be pg->devs[@dev]. */
static int px_pager_add_pasids(struct px_pager *pg, struct px_pager_dev *d, unsigned int dev)
{
	unsigned int i;
	int rc;

	d->pasids = calloc(d->want_pasids, sizeof(*d->pasids));
	if (!d->pasids)
		return -ENOMEM;
	for (i = 0; i < d->want_pasids; i++) {
		struct px_pager_pasid *q = &d->pasids[i];

		q->pg = pg;
		q->dev = dev;
		q->pasid = i + 1;
		rc = px_pager_add_pasid(pg, d, q);
		if (rc) {
			px_pager_log(pg, PX_PAGER_LOG_ERROR, "%s: vfio%u: attach of PASID %u failed (%d)\n",
				     pg->name, d->index, q->pasid, rc);
			goto err_undo;
		}
		d->nr_pasids++;
	}
	return 0;

err_undo:
	while (d->nr_pasids)
		px_pager_undo_pasid(pg, &d->pasids[--d->nr_pasids]);
	free(d->pasids);
	d->pasids = NULL;
	return rc;
}

static int px_pager_bar0_read(struct px_pager *pg, const struct px_pager_dev *d, uint32_t off,
			      uint32_t *val)
{
	ssize_t got = px_pread(pg->proc, d->fd, val, sizeof(*val), d->bar0_offset + off);

	if (got == (ssize_t)sizeof(*val))
		return 0;
	return got < 0 ? (int)got : -EIO;
}

/*
 * A device without PRI cannot fault its pages in: before it starts, map
 * (pin) every page of the IOVA ranges its BAR0 lists (PXDEV_RANGE_*), as a
 * VFIO user maps its DMA buffers. Pinned pages are never evicted; they go
 * with the IOAS.
 */
static int px_pager_pin(struct px_pager *pg, struct px_pager_dev *d)
{
	uint32_t n, r, lo, hi, pages, i;
	int rc;

	rc = px_pager_bar0_read(pg, d, PXDEV_RANGES, &n);
	for (r = 0; !rc && r < n; r++) {
		rc = px_pwrite(pg->proc, d->fd, &r, sizeof(r), d->bar0_offset + PXDEV_RANGE_SEL) ==
				     (ssize_t)sizeof(r) ? 0 : -EIO;
		if (!rc)
			rc = px_pager_bar0_read(pg, d, PXDEV_RANGE_BASE_LO, &lo);
		if (!rc)
			rc = px_pager_bar0_read(pg, d, PXDEV_RANGE_BASE_HI, &hi);
		if (!rc)
			rc = px_pager_bar0_read(pg, d, PXDEV_RANGE_PAGES, &pages);
		for (i = 0; !rc && i < pages; i++)
			rc = px_pager_map_in(pg, d, d->ioas_id, &d->mapped,
					     ((uint64_t)hi << 32 | lo) + (uint64_t)i * PX_PAGE_SIZE, PX_MAP_PIN);
	}
	if (rc)
		px_pager_log(pg, PX_PAGER_LOG_ERROR, "%s: vfio%u: pinning its pages failed (%d)\n", pg->name,
			     d->index, rc);
	return rc;
}

/* The pages px_pager_pin() allocated, when setting the device up failed. */
static void px_pager_free_data_page(void *proc, void *cpu, uint64_t uva)
{
	(void)cpu; /* a device's own pages are data pages */
	px_free_data_page(proc, uva);
}

static void px_pager_unpin(struct px_pager *pg, struct px_pager_dev *d)
{
	px_pageset_release(&d->mapped, px_pager_free_data_page, pg->proc);
}

static int px_pager_add_dev(struct px_pager *pg, int fd, unsigned int index)
{
	struct px_pager_dev d = { .index = index };
	int rc;

	rc = px_pager_bind_attach(pg, fd, IOMMU_HWPT_FAULT_ID_VALID, pg->fault_id, &d);
	if (rc)
		return rc;
	if (d.pinned) {
		rc = px_pager_pin(pg, &d);
		if (rc)
			goto err_undo;
	}
	if (d.want_pasids) {
		rc = px_pager_add_pasids(pg, &d, pg->nr_devs);
		if (rc)
			goto err_undo;
	}
	rc = px_pager_record_dev(pg, &d);
	if (rc)
		goto err_pasids;
	if (d.pinned)
		px_pager_count(pg, &pg->devs[pg->nr_devs - 1], PX_PAGER_EV_PAGE_PINNED, d.mapped.count);
	return 0;

err_pasids:
	while (d.nr_pasids)
		px_pager_undo_pasid(pg, &d.pasids[--d.nr_pasids]);
	free(d.pasids);
err_undo:
	px_pager_undo_attach(pg, &d);
	px_pager_unpin(pg, &d);
	return rc;
}

/*
 * A nested device: bind, an IOAS with a nesting-parent HWPT (the second
 * stage), the guest's first-stage root, a fault-capable nested HWPT on the
 * parent naming it, attach. d.ioas_id is the IOAS, d.hwpt_id the nested
 * HWPT, guest->parent_id the parent.
 */
static int px_pager_add_nested_dev(struct px_pager *pg, int fd, unsigned int index)
{
	struct px_pager_dev d = { .index = index };
	struct iommu_hwpt_riscv_iommu data;
	struct iommu_hwpt_alloc nested = {
		.size = sizeof(nested),
		.flags = IOMMU_HWPT_FAULT_ID_VALID,
		.fault_id = pg->fault_id,
		.data_type = IOMMU_HWPT_DATA_RISCV_IOMMU,
		.data_len = sizeof(data),
		.data_uptr = (uint64_t)(uintptr_t)&data,
	};
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct px_guest *g = calloc(1, sizeof(*g));
	int rc;

	if (!g)
		return -ENOMEM;
	/* the parent is attached first, then replaced by the nested HWPT */
	rc = px_pager_bind_attach(pg, fd, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, &d);
	if (rc)
		goto err_free;
	g->parent_id = d.hwpt_id;
	/* the guest owns the PASIDs of the device's workload: its own directory */
	rc = px_guest_init(pg, g, d.ioas_id, d.want_pasids, &data);
	if (rc)
		goto err_undo;
	nested.dev_id = d.dev_id;
	nested.pt_id = g->parent_id;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_HWPT_ALLOC, &nested);
	if (rc)
		goto err_undo;
	attach.pt_id = nested.out_hwpt_id;
	rc = px_ioctl(pg->proc, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (rc) {
		px_pager_destroy_id(pg, nested.out_hwpt_id);
		goto err_undo;
	}
	d.hwpt_id = nested.out_hwpt_id;
	d.guest = g;
	rc = px_pager_record_dev(pg, &d);
	if (rc)
		goto err_undo;
	return 0;

err_undo:
	px_pager_destroy_id(pg, g->parent_id);
	px_pager_destroy_id(pg, d.ioas_id);
	px_guest_release(g, NULL, NULL);
err_free:
	free(g);
	return rc;
}

/*
 * The fds poll() watches when PASIDs have queues of their own: the shared
 * fault fd, then every PASID's, each with the queue it belongs to.
 */
static int px_pager_build_pfds(struct px_pager *pg)
{
	unsigned int d, q, n = 1;

	for (d = 0; d < pg->nr_devs; d++)
		n += pg->devs[d].nr_pasids;
	pg->pfds = calloc(n, sizeof(*pg->pfds));
	pg->pfd_queue = calloc(n, sizeof(*pg->pfd_queue));
	if (!pg->pfds || !pg->pfd_queue) {
		free(pg->pfds);
		free(pg->pfd_queue);
		pg->pfds = NULL;
		pg->pfd_queue = NULL;
		return -ENOMEM;
	}
	pg->pfds[0].fd = pg->fault_fd;
	pg->pfds[0].events = PX_POLLIN;
	n = 1;
	for (d = 0; d < pg->nr_devs; d++)
		for (q = 0; q < pg->devs[d].nr_pasids; q++) {
			pg->pfds[n].fd = pg->devs[d].pasids[q].fault_fd;
			pg->pfds[n].events = PX_POLLIN;
			pg->pfd_queue[n++] = &pg->devs[d].pasids[q];
		}
	pg->nr_pfds = n;
	return 0;
}

/* Offset of the ext capability @id in the config region at @cfg, or 0. */
static uint32_t px_pager_find_ext_cap(struct px_pager *pg, int fd, uint64_t cfg, uint32_t id)
{
	uint32_t pos = PX_PCI_EXT_CAP_START, hdr;
	unsigned int ttl = 480; /* (4096 - 256) / 8: no loop in a broken list */

	while (pos && ttl--) {
		if (px_pread(pg->proc, fd, &hdr, sizeof(hdr), cfg + pos) != (ssize_t)sizeof(hdr) || !hdr)
			return 0;
		if (PX_PCI_EXT_CAP_ID(hdr) == id)
			return pos;
		pos = PX_PCI_EXT_CAP_NEXT(hdr);
	}
	return 0;
}

/*
 * What a guest driver does on a device it owns: enable ATS (STU 0) and PRI
 * with an allocation of the device's whole capacity, through the VFIO
 * config region (the writes reach the device).
 */
static int px_pager_guest_enable_pri(struct px_pager *pg, int fd)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	const uint16_t ats_on = PX_PCI_ATS_CTRL_ENABLE, pri_on = PX_PCI_PRI_CTRL_ENABLE;
	uint32_t ats, pri, cap;
	int rc;

	rc = px_ioctl(pg->proc, fd, VFIO_DEVICE_GET_REGION_INFO, &info);
	if (rc)
		return rc;
	ats = px_pager_find_ext_cap(pg, fd, info.offset, PX_PCI_EXT_CAP_ID_ATS);
	pri = px_pager_find_ext_cap(pg, fd, info.offset, PX_PCI_EXT_CAP_ID_PRI);
	if (!ats || !pri)
		return -ENODEV;
	if (px_pread(pg->proc, fd, &cap, sizeof(cap), info.offset + pri + PX_PCI_PRI_MAX_REQ) !=
		    (ssize_t)sizeof(cap) ||
	    px_pwrite(pg->proc, fd, &ats_on, sizeof(ats_on), info.offset + ats + PX_PCI_ATS_CTRL) !=
		    (ssize_t)sizeof(ats_on) ||
	    px_pwrite(pg->proc, fd, &cap, sizeof(cap), info.offset + pri + PX_PCI_PRI_ALLOC_REQ) !=
		    (ssize_t)sizeof(cap) ||
	    px_pwrite(pg->proc, fd, &pri_on, sizeof(pri_on), info.offset + pri + PX_PCI_PRI_CTRL) !=
		    (ssize_t)sizeof(pri_on))
		return -EIO;
	return 0;
}

/*
 * The vEVENTQ device: bind, an IOAS with a nesting-parent HWPT (a nesting
 * parent cannot take a fault queue), attach, then the vIOMMU and its
 * vEVENTQ, then the guest's ATS and PRI enables.
 */
static int px_pager_add_vevent_dev(struct px_pager *pg, int fd, unsigned int index)
{
	struct px_pager_dev d = { .index = index, .vevents = true };
	struct iommu_viommu_alloc viommu = {
		.size = sizeof(viommu),
		.type = IOMMU_VIOMMU_TYPE_RISCV_IOMMU,
	};
	struct iommu_veventq_alloc veventq = {
		.size = sizeof(veventq),
		.type = IOMMU_VEVENTQ_TYPE_RISCV_IOMMU,
		.veventq_depth = pg->vevent_depth,
	};
	int rc;

	pg->vevent_buf = malloc(PX_VEVENT_BUF);
	if (!pg->vevent_buf)
		return -ENOMEM;
	pg->vevent_buf_len = PX_VEVENT_BUF;
	rc = px_pager_bind_attach(pg, fd, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, &d);
	if (rc)
		return rc;
	viommu.dev_id = d.dev_id;
	viommu.hwpt_id = d.hwpt_id;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_VIOMMU_ALLOC, &viommu);
	if (rc)
		goto out_undo_attach;
	veventq.viommu_id = viommu.out_viommu_id;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_VEVENTQ_ALLOC, &veventq);
	if (rc)
		goto out_destroy_viommu;
	pg->veventq_fd = (int)veventq.out_veventq_fd;
	rc = px_pager_guest_enable_pri(pg, fd);
	if (rc)
		goto out_close_veventq;
	rc = px_pager_record_dev(pg, &d);
	if (rc)
		goto out_close_veventq;
	pg->viommu_id = viommu.out_viommu_id;
	pg->veventq_id = veventq.out_veventq_id;
	px_pager_count(pg, &pg->devs[pg->nr_devs - 1], PX_PAGER_EV_VEVENT_DEV, 1);
	return 0;

out_close_veventq:
	px_close(pg->proc, pg->veventq_fd);
	pg->veventq_fd = -1;
	px_pager_destroy_id(pg, veventq.out_veventq_id);
out_destroy_viommu:
	px_pager_destroy_id(pg, viommu.out_viommu_id);
out_undo_attach:
	px_pager_undo_attach(pg, &d);
	return rc;
}

/**
 * px_pager_setup - open /dev/iommu, allocate the fault queue, then bind,
 * find BAR0 (VFIO_DEVICE_GET_REGION_INFO), give an IOAS and a fault-capable
 * HWPT to, and attach every vfio device (vfio0, vfio1, ... until -ENOENT);
 * with vevent_depth, device vfio<vevent_dev> gets the vEVENTQ instead
 * @pg: handler
 *
 * A device that cannot be set up is logged, closed and skipped.
 *
 * Return: 0, or -errno if the iommufd part failed.
 */
int px_pager_setup(struct px_pager *pg)
{
	struct iommu_fault_alloc fault = { .size = sizeof(fault) };
	char path[48];
	unsigned int n;
	int fd, rc;

	pg->iommufd = px_open(pg->proc, "/dev/iommu", PX_O_RDWR);
	if (pg->iommufd < 0)
		return pg->iommufd;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_FAULT_QUEUE_ALLOC, &fault);
	if (rc)
		return rc;
	pg->fault_id = fault.out_fault_id;
	pg->fault_fd = (int)fault.out_fault_fd;
	rc = px_fh_init(&pg->fh, pg->proc, pg->fault_fd, pg->batch, &px_pager_fh_ops, pg);
	if (rc)
		return rc;

	for (n = pg->first_dev;; n++) {
		snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", n);
		fd = px_open(pg->proc, path, PX_O_RDWR);
		if (fd == -ENOENT)
			break;
		if (fd < 0) {
			px_pager_log(pg, PX_PAGER_LOG_WARN, "%s: open %s: %d\n", pg->name, path, fd);
			continue;
		}
		if (pg->vevent_depth && n == pg->vevent_dev && pg->veventq_fd < 0)
			rc = px_pager_add_vevent_dev(pg, fd, n);
		else if (n - pg->first_dev < pg->nested_devs)
			rc = px_pager_add_nested_dev(pg, fd, n);
		else
			rc = px_pager_add_dev(pg, fd, n);
		if (rc) {
			px_pager_log(pg, PX_PAGER_LOG_WARN, "%s: %s: setup failed (%d), skipped\n",
				     pg->name, path, rc);
			px_close(pg->proc, fd);
		}
	}
	if (!pg->nr_devs)
		px_pager_log(pg, PX_PAGER_LOG_WARN, "%s: no device to serve\n", pg->name);
	if (pg->pasids)
		return px_pager_build_pfds(pg);
	return 0;
}

/**
 * px_pager_start_devices - write PXDEV_CTRL_START to every device's BAR0,
 * at the offset VFIO_DEVICE_GET_REGION_INFO gave at setup
 * @pg: handler
 *
 * Return: 0, or the first error (the other devices are still started).
 */
int px_pager_start_devices(struct px_pager *pg)
{
	const uint32_t start = PXDEV_CTRL_START;
	unsigned int i;
	ssize_t rc;
	int err = 0;

	for (i = 0; i < pg->nr_devs; i++) {
		rc = px_pwrite(pg->proc, pg->devs[i].fd, &start, sizeof(start),
			       pg->devs[i].bar0_offset + PXDEV_CTRL);
		if (rc != (ssize_t)sizeof(start)) {
			px_pager_log(pg, PX_PAGER_LOG_ERROR, "%s: start vfio%u failed (%zd)\n",
				     pg->name, pg->devs[i].index, rc);
			if (!err)
				err = rc < 0 ? (int)rc : -EIO;
		}
	}
	return err;
}

/* ---- serving ------------------------------------------------------------------ */

/**
 * px_pager_find_dev - the served device with iommufd device id @dev_id
 * @pg: handler
 * @dev_id: iommu_hwpt_pgfault.dev_id
 *
 * Return: the device, or NULL if @dev_id is none of the handler's.
 */
struct px_pager_dev *px_pager_find_dev(struct px_pager *pg, uint32_t dev_id)
{
	unsigned int i;

	for (i = 0; i < pg->nr_devs; i++)
		if (pg->devs[i].dev_id == dev_id)
			return &pg->devs[i];
	return NULL;
}

/*
 * What this handler can serve: faults of its own devices, R and/or W, at the
 * RID (@q NULL: no PASID) or at the PASID of queue @q (that PASID).
 */
static bool px_pager_msg_ok(const struct iommu_hwpt_pgfault *m, const struct px_pager_dev *pdev,
			    const struct px_pager_pasid *q, uint32_t dev_id, bool last)
{
	if (!pdev || m->dev_id != dev_id)
		return false;
	if (m->flags & ~PX_PAGER_FLAGS_KNOWN)
		return false;
	/* a PASID on its own queue; a guest's PASIDs on the shared one (its directory) */
	if (pdev->guest && pdev->guest->nr_pasids && !q) {
		if ((m->flags & IOMMU_PGFAULT_FLAGS_PASID_VALID) &&
		    (m->pasid < 1 || m->pasid > pdev->guest->nr_pasids))
			return false;
	} else if (!(m->flags & IOMMU_PGFAULT_FLAGS_PASID_VALID) != !q || (q && m->pasid != q->pasid)) {
		return false;
	}
	if (!(m->flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE) != !last)
		return false;
	if (m->__reserved || m->perm & ~PX_PAGER_PERM_KNOWN)
		return false;
	return m->perm & (IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE);
}

/**
 * px_pager_map - map a fresh zeroed page at @iova (4 KiB aligned) in @pdev's
 * IOAS (IOMMU_IOAS_MAP), unless something is mapped there already
 * @pg: handler
 * @pdev: one of its devices
 * @iova: page address
 *
 * Return: 0 (mapped now or before), or the -errno of the allocation or map.
 */
/*
 * Eviction, first in first out: unmap the page mapped longest ago
 * (IOMMU_IOAS_UNMAP invalidates the IOTLB and the device's ATC) and give
 * its memory back. Returns 0 or the unmap's -errno (the page then stays).
 */
static int px_pager_evict_oldest(struct px_pager *pg, struct px_pager_dev *pdev)
{
	uint64_t iova = pdev->fifo[pdev->fifo_head];
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = pdev->ioas_id,
		.iova = iova,
		.length = PX_PAGE_SIZE,
	};
	struct px_pageset_slot *slot;
	uint64_t uva;
	int rc;

	pdev->fifo_head = (pdev->fifo_head + 1) % pdev->fifo_cap;
	pdev->fifo_n--;
	slot = px_pageset_find(&pdev->mapped, iova / PX_PAGE_SIZE);
	uva = slot ? slot->uva : 0;
	/*
	 * Counted before the unmap, which blocks: a run cut meanwhile has the
	 * page's translation already gone; a failed unmap is counted apart.
	 */
	px_pager_count(pg, pdev, PX_PAGER_EV_PAGE_EVICTED, 1);
	/* a nested device's guest unmaps in its own first stage */
	rc = pdev->guest ? px_guest_unmap(pg, pdev->guest, pdev->hwpt_id, iova) :
			   px_ioctl(pg->proc, pg->iommufd, IOMMU_IOAS_UNMAP, &unmap);
	if (rc) {
		px_pager_count(pg, pdev, PX_PAGER_EV_EVICT_FAILED, 1);
		px_pager_log(pg, PX_PAGER_LOG_WARN, "%s: evicting %#llx: unmap failed (%d), kept\n",
			     pg->name, (unsigned long long)iova, rc);
		return rc;
	}
	px_pageset_remove(&pdev->mapped, iova / PX_PAGE_SIZE);
	px_free_data_page(pg->proc, uva);
	return 0;
}

/*
 * Record a page this handler mapped; evict while more than resident_pages
 * are. The ring grows as pages come (to resident_pages + 1 normally; more
 * only while unmaps fail), so its size follows the pages mapped, not the
 * limit.
 */
static void px_pager_keep_resident(struct px_pager *pg, struct px_pager_dev *pdev, uint64_t iova)
{
	if (pdev->fifo_n == pdev->fifo_cap) {
		uint64_t cap = pdev->fifo_cap ? pdev->fifo_cap * 2 : 64, i;
		uint64_t *n;

		if (pdev->fifo_n < pg->resident_pages + 1 && cap > pg->resident_pages + 1)
			cap = pg->resident_pages + 1;
		n = malloc(cap * sizeof(*n));
		if (!n) {
			px_pager_log(pg, PX_PAGER_LOG_WARN, "%s: no memory to track evictions\n", pg->name);
			return;
		}
		for (i = 0; i < pdev->fifo_n; i++)
			n[i] = pdev->fifo[(pdev->fifo_head + i) % pdev->fifo_cap];
		free(pdev->fifo);
		pdev->fifo = n;
		pdev->fifo_cap = cap;
		pdev->fifo_head = 0;
	}
	pdev->fifo[(pdev->fifo_head + pdev->fifo_n) % pdev->fifo_cap] = iova;
	pdev->fifo_n++;
	while (pdev->fifo_n > pg->resident_pages)
		if (px_pager_evict_oldest(pg, pdev))
			break;
}

/* Map a fresh page at @iova in IOAS @ioas_id (pages in @set) for @pdev. */
static int px_pager_map_in(struct px_pager *pg, struct px_pager_dev *pdev, uint32_t ioas_id,
			   struct px_pageset *set, uint64_t iova, enum px_map_how how)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.length = PX_PAGE_SIZE,
		.iova = iova,
	};
	uint64_t uva;
	int rc;

	/* Already mapped: the device will simply retry and hit. */
	if (px_pageset_find(set, iova / PX_PAGE_SIZE))
		return 0;
	uva = px_alloc_data_page(pg->proc);
	if (!uva)
		return -ENOMEM;
	map.user_va = uva;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_IOAS_MAP, &map);
	if (rc) {
		px_free_data_page(pg->proc, uva);
		if (rc != -EEXIST)
			return rc;
		uva = 0; /* mapped by someone else: remember, own nothing */
	} else {
		if (how != PX_MAP_PIN) /* pins are counted once the device is recorded */
			px_pager_count(pg, pdev, PX_PAGER_EV_PAGE_MAPPED, 1);
	}
	if (px_pageset_insert(set, iova / PX_PAGE_SIZE, uva))
		px_pager_log(pg, PX_PAGER_LOG_WARN, "%s: page set full, %#llx untracked\n",
			     pg->name, (unsigned long long)iova);
	else if (uva && how == PX_MAP_FAULT_EVICT && pg->resident_pages)
		px_pager_keep_resident(pg, pdev, iova);
	return 0;
}

int px_pager_map(struct px_pager *pg, struct px_pager_dev *pdev, uint64_t iova)
{
	return px_pager_map_in(pg, pdev, pdev->ioas_id, &pdev->mapped, iova, PX_MAP_FAULT_EVICT);
}

/* deny_outside: every fault of the group lies in [allow_lo, allow_hi). */
static unsigned int px_pager_outside(const struct px_pager *pg, const struct iommu_hwpt_pgfault *m,
				     unsigned int n)
{
	unsigned int i, out = 0;

	for (i = 0; i < n; i++)
		if (m[i].addr < pg->allow_lo || m[i].addr >= pg->allow_hi)
			out++;
	return out;
}

/*
 * Serve one group (messages sharing a cookie) read from the shared queue
 * (@q NULL) or from PASID queue @q; returns the response code.
 */
static uint32_t px_pager_serve_group(struct px_pager *pg, struct px_pager_dev *pdev,
				     struct px_pager_pasid *q,
				     const struct iommu_hwpt_pgfault *m, unsigned int n)
{
	unsigned int i, bad = 0;
	int rc;

	for (i = 0; i < n; i++)
		if (!px_pager_msg_ok(&m[i], pdev, q, m[0].dev_id, i == n - 1))
			bad++;
	if (bad) {
		px_pager_log(pg, PX_PAGER_LOG_WARN,
			     "%s: cookie %u: %u unexpected message(s), answering INVALID\n",
			     pg->name, m[0].cookie, bad);
		px_pager_count(pg, pdev, PX_PAGER_EV_BAD_MESSAGE, bad);
		return IOMMUFD_PAGE_RESP_INVALID;
	}
	/* One response per group: one fault outside the range denies the group. */
	if (pg->policy == PX_PAGER_DENY_OUTSIDE) {
		bad = px_pager_outside(pg, m, n);
		if (bad) {
			px_pager_count(pg, pdev, PX_PAGER_EV_FAULT_DENIED, bad);
			return IOMMUFD_PAGE_RESP_INVALID;
		}
	}
	for (i = 0; i < n; i++) {
		if (pg->hooks && pg->hooks->service)
			pg->hooks->service(pg->hook_ctx, pdev, &m[i]);
		if (pdev->guest) {
			bool mapped;

			/* the guest's first stage; the host backs the page */
			rc = px_guest_map(pg, pdev->guest, m[i].flags & IOMMU_PGFAULT_FLAGS_PASID_VALID,
					  m[i].pasid, m[i].addr, &mapped);
			if (!rc && mapped) {
				px_pager_count(pg, pdev, PX_PAGER_EV_GUEST_PTE, 1);
				if (pg->resident_pages)
					px_pager_keep_resident(pg, pdev, m[i].addr & ~PX_PAGE_MASK);
			}
		} else {
			rc = q ? px_pager_map_in(pg, pdev, q->ioas_id, &q->mapped,
						 m[i].addr & ~PX_PAGE_MASK, PX_MAP_FAULT) :
				 px_pager_map(pg, pdev, m[i].addr & ~PX_PAGE_MASK);
		}
		if (rc) {
			px_pager_log(pg, PX_PAGER_LOG_ERROR,
				     "%s: map %#llx failed (%d), answering INVALID\n", pg->name,
				     (unsigned long long)m[i].addr, rc);
			return IOMMUFD_PAGE_RESP_INVALID;
		}
		if (q)
			px_pager_count_pasid(pg, pdev, q->pasid, PX_PAGER_EV_FAULT_SERVED, 1);
		else
			px_pager_count(pg, pdev, PX_PAGER_EV_FAULT_SERVED, 1);
	}
	return IOMMUFD_PAGE_RESP_SUCCESS;
}

/**
 * px_pager_detach - detach @pdev from its HWPT (VFIO_DEVICE_DETACH_IOMMUFD_PT)
 * with its groups pending: the kernel answers them INVALID, the read ones
 * and the queued ones, and blocks the device
 * @pg: handler
 * @pdev: one of its devices
 *
 * The cookies of the groups read are void after it (a write of one would
 * be refused with EINVAL). Its pages stay mapped in its IOAS until the exit.
 *
 * Return: 0, or the ioctl's -errno (the device then stays attached).
 */
int px_pager_detach(struct px_pager *pg, struct px_pager_dev *pdev)
{
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };
	int rc;

	if (pdev->detached)
		return 0;
	/*
	 * Counted as the detach starts (as an eviction is): the kernel answers
	 * the held groups and blocks the device inside the call, which a run
	 * cut off at its limit may not see return; a failed call is logged as
	 * an error, which fails the run.
	 */
	px_pager_count(pg, pdev, PX_PAGER_EV_DEV_DETACHED, 1);
	rc = px_ioctl(pg->proc, pdev->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
	if (rc) {
		px_pager_log(pg, PX_PAGER_LOG_ERROR, "%s: detach vfio%u failed (%d)\n", pg->name,
			     pdev->index, rc);
		return rc;
	}
	pdev->detached = true;
	px_pager_log(pg, PX_PAGER_LOG_INFO, "%s: vfio%u detached with %llu group(s) held\n",
		     pg->name, pdev->index, (unsigned long long)pdev->held);
	return 0;
}

/*
 * detach_after: hold a group of the device to be detached (and any read
 * with it after the detach: the kernel has answered those already), and
 * detach once detach_after are held. Returns true if the group is held.
 */
static bool px_pager_hold(struct px_pager *pg, struct px_pager_dev *pdev)
{
	if (!pg->detach_after || !pdev || pdev->index != pg->detach_dev)
		return false;
	pdev->held++;
	px_pager_count(pg, pdev, PX_PAGER_EV_GROUP_HELD, 1);
	if (!pdev->detached && pdev->held >= pg->detach_after)
		px_pager_detach(pg, pdev);
	return true;
}

/**
 * px_pager_decide - the handler's decision for one group
 * @pg: handler
 * @m: the group's messages (one cookie, LAST at the end)
 * @n: their number
 *
 * SUCCESS once every faulting page is mapped; INVALID if anything in the
 * group is unexpected, a page cannot be mapped, or (PX_PAGER_DENY_OUTSIDE)
 * a fault lies outside the allowed range. Counts the group by its answer.
 * A group of the device detach_after names is held instead (see above).
 *
 * Return: IOMMUFD_PAGE_RESP_SUCCESS, IOMMUFD_PAGE_RESP_INVALID, or
 * PX_FH_RESP_NONE (held: no response).
 */
uint32_t px_pager_decide(struct px_pager *pg, const struct iommu_hwpt_pgfault *m, unsigned int n)
{
	struct px_pager_dev *pdev = px_pager_find_dev(pg, m[0].dev_id);
	uint32_t code;

	if (px_pager_hold(pg, pdev))
		return PX_FH_RESP_NONE;
	code = px_pager_serve_group(pg, pdev, NULL, m, n);

	px_pager_count(pg, pdev, code == IOMMUFD_PAGE_RESP_SUCCESS ? PX_PAGER_EV_GROUP_SUCCESS :
			PX_PAGER_EV_GROUP_INVALID, n);
	return code;
}

/* ---- the fault-fd loop (user/fault_handler.h) ---------------------------------- */

static uint32_t px_pager_fh_decide(void *ctx, const struct iommu_hwpt_pgfault *m, unsigned int n)
{
	return px_pager_decide(ctx, m, n);
}

static void px_pager_fh_unanswerable(void *ctx, const struct iommu_hwpt_pgfault *m, unsigned int n)
{
	struct px_pager *pg = ctx;

	px_pager_count(pg, px_pager_find_dev(pg, m[0].dev_id), PX_PAGER_EV_BAD_MESSAGE, n);
}

static void px_pager_fh_refused(void *ctx, uint32_t cookie, int err)
{
	struct px_pager *pg = ctx;

	px_pager_log(pg, PX_PAGER_LOG_WARN, "%s: response for cookie %u refused (%d)\n", pg->name,
		     cookie, err);
}

static int px_pager_fh_error(void *ctx, int err)
{
	struct px_pager *pg = ctx;

	if (err == -E2BIG)
		px_pager_log(pg, PX_PAGER_LOG_ERROR, "%s: group above %u messages\n", pg->name,
			     PX_PAGER_MAX_MSGS);
	px_pager_log(pg, PX_PAGER_LOG_ERROR, "%s: serve failed (%d)\n", pg->name, err);
	/* Let the environment make sure a persistent error does not spin. */
	if (pg->hooks && pg->hooks->pause)
		pg->hooks->pause(pg->hook_ctx, err);
	return 0;
}

static const struct px_fh_ops px_pager_fh_ops = {
	.decide = px_pager_fh_decide,
	.unanswerable = px_pager_fh_unanswerable,
	.refused = px_pager_fh_refused,
	.error = px_pager_fh_error,
};

/*
 * A group read from the fault queue of one PASID (@ctx): served in that
 * PASID's IOAS; anything not of that device and PASID is answered INVALID.
 */
static uint32_t px_pager_pasid_decide(void *ctx, const struct iommu_hwpt_pgfault *m,
				      unsigned int n)
{
	struct px_pager_pasid *q = ctx;
	struct px_pager *pg = q->pg;
	struct px_pager_dev *pdev = &pg->devs[q->dev];
	uint32_t code;

	code = px_pager_serve_group(pg, pdev, q, m, n);
	px_pager_count_pasid(pg, pdev, q->pasid, code == IOMMUFD_PAGE_RESP_SUCCESS ?
			     PX_PAGER_EV_GROUP_SUCCESS : PX_PAGER_EV_GROUP_INVALID, n);
	return code;
}

static void px_pager_pasid_unanswerable(void *ctx, const struct iommu_hwpt_pgfault *m,
					unsigned int n)
{
	struct px_pager_pasid *q = ctx;

	(void)m;
	px_pager_count(q->pg, &q->pg->devs[q->dev], PX_PAGER_EV_BAD_MESSAGE, n);
}

static void px_pager_pasid_refused(void *ctx, uint32_t cookie, int err)
{
	px_pager_fh_refused(((struct px_pager_pasid *)ctx)->pg, cookie, err);
}

static int px_pager_pasid_error(void *ctx, int err)
{
	return px_pager_fh_error(((struct px_pager_pasid *)ctx)->pg, err);
}

static const struct px_fh_ops px_pager_pasid_fh_ops = {
	.decide = px_pager_pasid_decide,
	.unanswerable = px_pager_pasid_unanswerable,
	.refused = px_pager_pasid_refused,
	.error = px_pager_pasid_error,
};

/* The library's state, set up on first use (the fault fd exists after setup). */
static int px_pager_fh(struct px_pager *pg)
{
	if (pg->fh.msgs)
		return 0;
	return px_fh_init(&pg->fh, pg->proc, pg->fault_fd, pg->batch, &px_pager_fh_ops, pg);
}

/**
 * px_pager_read_vevents - read and count the events queued on the vEVENTQ
 * @pg: handler with a vEVENTQ
 *
 * One read() of whole events (header + 32-byte RISC-V record, or a lone
 * LOST_EVENTS header). Lost events are told by the sequence numbers: a gap
 * of d between two headers is d - 1 events lost, and a LOST_EVENTS header
 * stands for one more (linux-iopf.md §2.6). Each event is counted for the
 * vEVENTQ's device.
 *
 * Return: events read (LOST_EVENTS headers not included), or -errno.
 */
int px_pager_read_vevents(struct px_pager *pg)
{
	const size_t rec = sizeof(struct iommu_vevent_riscv_iommu);
	struct iommufd_vevent_header hdr;
	struct px_pager_dev *pdev = NULL;
	uint64_t lost = 0;
	size_t off = 0;
	unsigned int i;
	int events = 0;
	ssize_t len;

	if (pg->veventq_fd < 0 || !pg->vevent_buf)
		return -EINVAL;
	for (i = 0; i < pg->nr_devs; i++)
		if (pg->devs[i].vevents)
			pdev = &pg->devs[i];
	len = px_read(pg->proc, pg->veventq_fd, pg->vevent_buf, pg->vevent_buf_len);
	if (len < 0)
		return (int)len;
	while (off + sizeof(hdr) <= (size_t)len) {
		memcpy(&hdr, pg->vevent_buf + off, sizeof(hdr));
		off += sizeof(hdr);
		if (pg->vevent_seq_valid)
			lost += (hdr.sequence - pg->vevent_seq) & 0x7fffffffu;
		pg->vevent_seq = (hdr.sequence + 1) & 0x7fffffffu;
		pg->vevent_seq_valid = true;
		if (hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) {
			lost++;
			continue;
		}
		if (off + rec > (size_t)len) {
			px_pager_log(pg, PX_PAGER_LOG_ERROR, "%s: vEVENTQ read cut an event\n", pg->name);
			return -EIO;
		}
		off += rec;
		events++;
	}
	if (events)
		px_pager_count(pg, pdev, PX_PAGER_EV_VEVENT_READ, (uint64_t)events);
	if (lost)
		px_pager_count(pg, pdev, PX_PAGER_EV_VEVENT_LOST, lost);
	return events;
}

/*
 * One round on both fds: poll the fault fd and the vEVENTQ fd, read the
 * events, then read and answer the groups. Returns groups answered, or
 * -errno (-EIO: poll() returned without POLLIN on either).
 */
static int px_pager_serve_both(struct px_pager *pg, int timeout_ms)
{
	struct px_pollfd pfd[2] = {
		{ .fd = pg->fault_fd, .events = PX_POLLIN },
		{ .fd = pg->veventq_fd, .events = PX_POLLIN },
	};
	int rc;

	rc = px_poll(pg->proc, pfd, 2, timeout_ms);
	if (rc <= 0)
		return rc;
	if (!((pfd[0].revents | pfd[1].revents) & PX_POLLIN))
		return -EIO;
	if (pfd[1].revents & PX_POLLIN) {
		rc = px_pager_read_vevents(pg);
		if (rc < 0)
			return rc;
	}
	if (!(pfd[0].revents & PX_POLLIN))
		return 0;
	rc = px_fh_read(&pg->fh);
	if (rc <= 0)
		return rc;
	return px_fh_dispatch(&pg->fh, pg->fh.msgs, (unsigned int)rc);
}

/*
 * One round on every fault fd (PASIDs with queues of their own): poll them
 * all, then read and answer the groups of each that is readable, with its
 * own read buffer. Returns groups answered, or -errno (-EIO: poll()
 * returned without POLLIN on any).
 */
static int px_pager_serve_queues(struct px_pager *pg, int timeout_ms)
{
	unsigned int i;
	int rc, groups = 0;
	bool any = false;

	for (i = 0; i < pg->nr_pfds; i++)
		pg->pfds[i].revents = 0;
	rc = px_poll(pg->proc, pg->pfds, pg->nr_pfds, timeout_ms);
	if (rc <= 0)
		return rc;
	for (i = 0; i < pg->nr_pfds; i++) {
		struct px_fh *fh = pg->pfd_queue[i] ? &pg->pfd_queue[i]->fh : &pg->fh;

		if (!(pg->pfds[i].revents & PX_POLLIN))
			continue;
		any = true;
		rc = px_fh_read(fh);
		if (rc < 0)
			return rc;
		if (!rc)
			continue;
		rc = px_fh_dispatch(fh, fh->msgs, (unsigned int)rc);
		if (rc < 0)
			return rc;
		groups += rc;
	}
	return any ? groups : -EIO;
}

/**
 * px_pager_handle - serve a batch of messages read from the fault fd
 * @pg: handler
 * @msgs: messages (whole groups, as read() returns them)
 * @n: number of messages (at most the read buffer's capacity)
 *
 * px_fh_dispatch() with this handler's decision: each group is answered
 * once; a message with cookie 0 cannot be answered and is counted.
 *
 * Return: number of groups answered, or -errno (-EINVAL if @n is too large).
 */
int px_pager_handle(struct px_pager *pg, const struct iommu_hwpt_pgfault *msgs, unsigned int n)
{
	int rc = px_pager_fh(pg);

	return rc ? rc : px_fh_dispatch(&pg->fh, msgs, n);
}

/**
 * px_pager_serve_once - one round: poll for POLLIN, read up to a batch of
 * messages (the buffer grown while read() says -EINVAL), serve them and
 * write the responses (px_fh_serve_once()); with a vEVENTQ, its fd is
 * polled too and its events read first
 * @pg: handler
 * @timeout_ms: poll timeout (< 0: forever)
 *
 * Return: groups answered (0 on timeout or nothing to read), or -errno.
 */
int px_pager_serve_once(struct px_pager *pg, int timeout_ms)
{
	int rc = px_pager_fh(pg);

	if (rc)
		return rc;
	if (pg->veventq_fd >= 0)
		return px_pager_serve_both(pg, timeout_ms);
	if (pg->nr_pfds)
		return px_pager_serve_queues(pg, timeout_ms);
	return px_fh_serve_once(&pg->fh, timeout_ms);
}

/**
 * px_pager_run - serve faults until the process is killed (px_fh_run())
 * @pg: handler, set up and started
 *
 * A fatal signal (-EINTR, e.g. from px_kernel_shutdown()) ends the loop: the
 * groups still queued or read but not answered are left to the exit path,
 * where the kernel answers each INVALID once. Other errors are logged and
 * the loop goes on after the environment's pause.
 *
 * Return: 0 when the process was killed, or -errno if the loop could not start.
 */
int px_pager_run(struct px_pager *pg)
{
	int rc = px_pager_fh(pg);

	if (rc)
		return rc;
	if (pg->veventq_fd < 0 && !pg->nr_pfds) {
		rc = px_fh_run(&pg->fh);
	} else {
		/* px_fh_run() on several fds: the same end conditions and errors. */
		for (;;) {
			rc = pg->nr_pfds ? px_pager_serve_queues(pg, -1) : px_pager_serve_both(pg, -1);
			if (rc == -EINTR || px_proc_killed(pg->proc)) {
				rc = 0;
				break;
			}
			if (rc < 0)
				px_pager_fh_error(pg, rc);
		}
	}
	px_pager_log(pg, PX_PAGER_LOG_INFO, "%s: killed, exiting\n", pg->name);
	return rc;
}

/**
 * px_pager_run_thread - one more handler thread on the same fault fd
 * @pg: handler, set up (px_pager_setup)
 *
 * As px_pager_run(), with a read buffer of its own: the threads poll the
 * one fd, each read() takes whole groups off the queue (a thread that
 * finds it empty reads 0 and polls again), and every thread decides as the
 * handler does. Returns when the process is killed.
 *
 * Return: 0 once killed, -ENOMEM, or the error the loop ended with.
 */
int px_pager_run_thread(struct px_pager *pg)
{
	struct px_fh fh;
	int rc;

	memset(&fh, 0, sizeof(fh));
	rc = px_fh_init(&fh, pg->proc, pg->fault_fd, pg->batch, &px_pager_fh_ops, pg);
	if (rc)
		return rc;
	rc = px_fh_run(&fh);
	px_fh_release(&fh);
	return rc;
}
