// SPDX-License-Identifier: Apache-2.0
/*
 * Sample userspace demand-paging handler. It gives each device an IOAS of
 * its own with a fault-capable HWPT, shares one fault queue among them all,
 * and answers each
 * fault group by mapping a fresh zeroed page at every faulting page that is
 * not mapped yet, then writing one SUCCESS response per group (cookie).
 * Anything it does not expect in a message gets the group answered INVALID.
 *
 * Written only against the syscall-shaped layer (user/px_syscall.h) and the
 * uAPI headers, as a Linux handler would be.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "prisim/hw/pxdev.h"
#include "prisim/sw.h"
#include "prisim/uapi/vfio.h"
#include "user/pager.h"

#define PX_PAGER_FLAGS_KNOWN (IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE | \
			      IOMMU_PGFAULT_FLAGS_NEEDS_PASID)
#define PX_PAGER_PERM_KNOWN  (IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE | \
			      IOMMU_PGFAULT_PERM_EXEC | IOMMU_PGFAULT_PERM_PRIV)
#define PX_PAGE_MASK ((uint64_t)PX_PAGE_SIZE - 1)

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

static void px_pageset_put(struct px_pageset_slot *slots, uint64_t cap, uint64_t key, void *cpu)
{
	uint64_t i = px_pageset_hash(key, cap);

	while (slots[i].key)
		i = (i + 1) & (cap - 1);
	slots[i].key = key;
	slots[i].cpu = cpu;
}

static int px_pageset_insert(struct px_pageset *set, uint64_t pfn, void *cpu)
{
	struct px_pageset_slot *n;
	uint64_t ncap, i;

	if ((set->count + 1) * 2 > set->cap) {
		ncap = set->cap ? set->cap * 2 : 256;
		n = calloc(ncap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (i = 0; i < set->cap; i++)
			if (set->slots[i].key)
				px_pageset_put(n, ncap, set->slots[i].key, set->slots[i].cpu);
		free(set->slots);
		set->slots = n;
		set->cap = ncap;
	}
	px_pageset_put(set->slots, set->cap, pfn + 1, cpu);
	set->count++;
	return 0;
}

/* ---- setup ------------------------------------------------------------------ */

/**
 * px_pager_create - allocate the handler state and its process
 * @k: kernel
 * @out: the handler
 *
 * Reads "sw.user.batch" (messages per read(); 0 is taken as 1).
 *
 * Return: 0, -ENOMEM, or -ESHUTDOWN if the kernel is shutting down.
 */
int px_pager_create(struct px_kernel *k, struct px_pager **out)
{
	struct px_pager *pg = calloc(1, sizeof(*pg));
	struct hal *h;
	uint64_t batch;
	int rc;

	if (!pg)
		return -ENOMEM;
	rc = px_proc_create(k, &pg->proc);
	if (rc)
		goto out_free;
	h = px_proc_hal(pg->proc);
	pg->k = k;
	pg->hal = h;
	pg->stats.faults_served = hal_stat_register(h, "user.faults_served");
	pg->stats.pages_mapped = hal_stat_register(h, "user.pages_mapped");
	pg->stats.bad_messages = hal_stat_register(h, "user.bad_messages");
	pg->iommufd = -1;
	pg->fault_fd = -1;
	batch = hal_param_u64(h, "sw.user.batch");
	if (!batch)
		batch = 1;
	pg->batch = batch > PX_PAGER_MAX_MSGS ? PX_PAGER_MAX_MSGS : (unsigned int)batch;
	pg->cap_msgs = pg->batch;
	pg->msgs = calloc(pg->cap_msgs, sizeof(*pg->msgs));
	pg->resps = calloc(pg->cap_msgs, sizeof(*pg->resps));
	if (!pg->msgs || !pg->resps) {
		rc = -ENOMEM;
		goto out_destroy;
	}
	*out = pg;
	return 0;

out_destroy:
	px_pager_destroy(pg);
	return rc;
out_free:
	free(pg);
	return rc;
}

/**
 * px_pager_destroy - exit: close every fd (detaching the devices), then free
 * the pages the handler allocated
 * @pg: handler (NULL is ignored)
 */
void px_pager_destroy(struct px_pager *pg)
{
	struct px_pageset *set;
	unsigned int d;
	uint64_t i;

	if (!pg)
		return;
	px_proc_destroy(pg->proc);
	for (d = 0; d < pg->nr_devs; d++) {
		set = &pg->devs[d].mapped;
		for (i = 0; i < set->cap; i++)
			if (set->slots[i].cpu)
				hal_dma_free(pg->hal, set->slots[i].cpu, PX_PAGE_SIZE);
		free(set->slots);
	}
	free(pg->devs);
	free(pg->msgs);
	free(pg->resps);
	free(pg);
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

static int px_pager_add_dev(struct px_pager *pg, int fd, unsigned int index)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = pg->iommufd,
	};
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.flags = IOMMU_HWPT_FAULT_ID_VALID,
		.fault_id = pg->fault_id,
	};
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	const struct hal_pci_dev_info *info;
	struct px_pager_dev *n;
	uint64_t bar0;
	int rc;

	rc = px_ioctl(pg->proc, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (rc)
		return rc;
	rc = px_pager_bar0_offset(pg, fd, &bar0);
	if (rc)
		return rc;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_IOAS_ALLOC, &ioas);
	if (rc)
		return rc;
	hwpt.dev_id = bind.out_devid;
	hwpt.pt_id = ioas.out_ioas_id;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_HWPT_ALLOC, &hwpt);
	if (rc)
		goto out_destroy_ioas;
	attach.pt_id = hwpt.out_hwpt_id;
	rc = px_ioctl(pg->proc, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (rc)
		goto out_destroy_hwpt;
	n = realloc(pg->devs, (pg->nr_devs + 1) * sizeof(*n));
	if (!n) {
		rc = -ENOMEM;
		goto out_destroy_hwpt;
	}
	pg->devs = n;
	info = index < hal_pci_dev_count(pg->hal) ? hal_pci_dev(pg->hal, index) : NULL;
	pg->devs[pg->nr_devs++] = (struct px_pager_dev){
		.fd = fd,
		.index = index,
		.rid = info ? info->rid : 0,
		.dev_id = bind.out_devid,
		.ioas_id = ioas.out_ioas_id,
		.hwpt_id = hwpt.out_hwpt_id,
		.bar0_offset = bar0,
	};
	return 0;

out_destroy_hwpt:
	/* Still attached (if the attach worked): the HWPT goes with the device file. */
	destroy.id = hwpt.out_hwpt_id;
	px_ioctl(pg->proc, pg->iommufd, IOMMU_DESTROY, &destroy);
out_destroy_ioas:
	destroy.id = ioas.out_ioas_id;
	px_ioctl(pg->proc, pg->iommufd, IOMMU_DESTROY, &destroy);
	return rc;
}

/**
 * px_pager_setup - open /dev/iommu, allocate the fault queue, then bind,
 * find BAR0 (VFIO_DEVICE_GET_REGION_INFO), give an IOAS and a fault-capable
 * HWPT to, and attach every vfio device (vfio0, vfio1, ... until -ENOENT)
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

	for (n = 0;; n++) {
		snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", n);
		fd = px_open(pg->proc, path, PX_O_RDWR);
		if (fd == -ENOENT)
			break;
		if (fd < 0) {
			hal_log(pg->hal, HAL_LOG_WARN, "demand_pager: open %s: %d\n", path, fd);
			continue;
		}
		rc = px_pager_add_dev(pg, fd, n);
		if (rc) {
			hal_log(pg->hal, HAL_LOG_WARN,
				"demand_pager: %s: setup failed (%d), skipped\n", path, rc);
			px_close(pg->proc, fd);
		}
	}
	if (!pg->nr_devs)
		hal_log(pg->hal, HAL_LOG_WARN, "demand_pager: no device to serve\n");
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
			hal_log(pg->hal, HAL_LOG_ERROR, "demand_pager: start vfio%u failed (%zd)\n",
				pg->devs[i].index, rc);
			if (!err)
				err = rc < 0 ? (int)rc : -EIO;
		}
	}
	return err;
}

/* ---- serving ------------------------------------------------------------------ */

static struct px_pager_dev *px_pager_find_dev(struct px_pager *pg, uint32_t dev_id)
{
	unsigned int i;

	for (i = 0; i < pg->nr_devs; i++)
		if (pg->devs[i].dev_id == dev_id)
			return &pg->devs[i];
	return NULL;
}

/* Count globally, and for @pdev's device if there is one. */
static void px_pager_stat(struct px_pager *pg, const struct px_pager_dev *pdev, hal_stat_id id,
			  uint64_t delta)
{
	if (pdev)
		hal_stat_dev_inc(pg->hal, pdev->rid, id, delta);
	else
		hal_stat_inc(pg->hal, id, delta);
}

/* What this handler can serve: RID faults of its own devices, R and/or W. */
static bool px_pager_msg_ok(const struct iommu_hwpt_pgfault *m, const struct px_pager_dev *pdev,
			    uint32_t dev_id, bool last)
{
	if (!pdev || m->dev_id != dev_id)
		return false;
	if (m->flags & ~PX_PAGER_FLAGS_KNOWN || m->flags & IOMMU_PGFAULT_FLAGS_PASID_VALID)
		return false;
	if (!(m->flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE) != !last)
		return false;
	if (m->__reserved || m->perm & ~PX_PAGER_PERM_KNOWN)
		return false;
	return m->perm & (IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE);
}

/* Map a fresh zeroed page at @iova unless something is mapped there already. */
static int px_pager_map(struct px_pager *pg, struct px_pager_dev *pdev, uint64_t iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = pdev->ioas_id,
		.length = PX_PAGE_SIZE,
		.iova = iova,
	};
	hal_paddr_t pa;
	void *cpu;
	int rc;

	/* Already mapped: the device will simply retry and hit. */
	if (px_pageset_find(&pdev->mapped, iova / PX_PAGE_SIZE))
		return 0;
	cpu = px_alloc_user_page(pg->proc, &pa);
	if (!cpu)
		return -ENOMEM;
	map.user_va = pa;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_IOAS_MAP, &map);
	if (rc) {
		px_free_user_page(pg->proc, cpu);
		if (rc != -EEXIST)
			return rc;
		cpu = NULL; /* mapped by someone else: remember, own nothing */
	} else {
		px_pager_stat(pg, pdev, pg->stats.pages_mapped, 1);
	}
	if (px_pageset_insert(&pdev->mapped, iova / PX_PAGE_SIZE, cpu))
		hal_log(pg->hal, HAL_LOG_WARN, "demand_pager: page set full, %#llx untracked\n",
			(unsigned long long)iova);
	return 0;
}

/* Serve one group (messages sharing a cookie); returns the response code. */
static uint32_t px_pager_serve_group(struct px_pager *pg, const struct iommu_hwpt_pgfault *m,
				     unsigned int n)
{
	struct px_pager_dev *pdev = px_pager_find_dev(pg, m[0].dev_id);
	unsigned int i, bad = 0;
	int rc;

	for (i = 0; i < n; i++)
		if (!px_pager_msg_ok(&m[i], pdev, m[0].dev_id, i == n - 1))
			bad++;
	if (bad) {
		hal_log(pg->hal, HAL_LOG_WARN,
			"demand_pager: cookie %u: %u unexpected message(s), answering INVALID\n",
			m[0].cookie, bad);
		px_pager_stat(pg, pdev, pg->stats.bad_messages, bad);
		return IOMMUFD_PAGE_RESP_INVALID;
	}
	for (i = 0; i < n; i++) {
		hal_charge(pg->hal, HAL_COST_HANDLER_SERVICE);
		rc = px_pager_map(pg, pdev, m[i].addr & ~PX_PAGE_MASK);
		if (rc) {
			hal_log(pg->hal, HAL_LOG_ERROR,
				"demand_pager: map %#llx failed (%d), answering INVALID\n",
				(unsigned long long)m[i].addr, rc);
			return IOMMUFD_PAGE_RESP_INVALID;
		}
		px_pager_stat(pg, pdev, pg->stats.faults_served, 1);
	}
	return IOMMUFD_PAGE_RESP_SUCCESS;
}

/* Write the responses; skip (and log) an entry the kernel refuses. */
static void px_pager_respond(struct px_pager *pg, unsigned int nr)
{
	const size_t rsz = sizeof(pg->resps[0]);
	unsigned int off = 0;
	ssize_t rc;

	while (off < nr) {
		rc = px_write(pg->proc, pg->fault_fd, &pg->resps[off], (nr - off) * rsz);
		if (rc > 0) {
			off += (unsigned int)((size_t)rc / rsz);
			continue;
		}
		hal_log(pg->hal, HAL_LOG_WARN,
			"demand_pager: response for cookie %u refused (%zd)\n",
			pg->resps[off].cookie, rc);
		off++;
	}
}

/**
 * px_pager_handle - serve a batch of messages read from the fault fd
 * @pg: handler
 * @msgs: messages (whole groups, as read() returns them)
 * @n: number of messages (at most the handler's buffer capacity)
 *
 * Messages with the same cookie form a group; each group is answered once,
 * SUCCESS after all its pages are mapped, INVALID if anything in it is
 * unexpected. A message with cookie 0 cannot be answered and is counted.
 *
 * Return: number of groups answered, or -EINVAL if @n is too large.
 */
int px_pager_handle(struct px_pager *pg, const struct iommu_hwpt_pgfault *msgs, unsigned int n)
{
	struct px_pager_dev *pdev;
	unsigned int i = 0, j, nr = 0;

	if (n > pg->cap_msgs)
		return -EINVAL;
	while (i < n) {
		for (j = i + 1; j < n && msgs[j].cookie == msgs[i].cookie; j++)
			;
		if (!msgs[i].cookie) {
			pdev = px_pager_find_dev(pg, msgs[i].dev_id);
			px_pager_stat(pg, pdev, pg->stats.bad_messages, j - i);
		} else {
			pg->resps[nr].cookie = msgs[i].cookie;
			pg->resps[nr].code = px_pager_serve_group(pg, &msgs[i], j - i);
			nr++;
		}
		i = j;
	}
	px_pager_respond(pg, nr);
	return (int)nr;
}

static int px_pager_grow(struct px_pager *pg, unsigned int cap)
{
	struct iommu_hwpt_page_response *r;
	struct iommu_hwpt_pgfault *m;

	m = realloc(pg->msgs, cap * sizeof(*m));
	if (!m)
		return -ENOMEM;
	pg->msgs = m;
	r = realloc(pg->resps, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	pg->resps = r;
	pg->cap_msgs = cap;
	return 0;
}

/**
 * px_pager_serve_once - one round: poll for POLLIN, read up to a batch of
 * messages, serve them and write the responses
 * @pg: handler
 * @timeout_ms: poll timeout (< 0: forever)
 *
 * read() fails with -EINVAL when the group at the head of the queue is
 * larger than the buffer (Linux 6.18); the buffer is then doubled as often
 * as needed (up to PX_PAGER_MAX_MSGS messages) and the read retried. A read
 * of 0 means the queue emptied between poll() and read() (the groups were
 * answered meanwhile, e.g. by a detach): nothing to serve.
 *
 * Return: groups answered (0 on timeout or nothing to read), or -errno.
 */
int px_pager_serve_once(struct px_pager *pg, int timeout_ms)
{
	const size_t msz = sizeof(struct iommu_hwpt_pgfault);
	struct px_pollfd pfd = { .fd = pg->fault_fd, .events = PX_POLLIN };
	unsigned int want = pg->batch;
	ssize_t len;
	int rc;

	rc = px_poll(pg->proc, &pfd, 1, timeout_ms);
	if (rc <= 0)
		return rc;
	if (!(pfd.revents & PX_POLLIN))
		return -EIO;
	for (;;) {
		len = px_read(pg->proc, pg->fault_fd, pg->msgs, want * msz);
		if (len >= 0)
			break;
		if (len != -EINVAL)
			return (int)len;
		/* The head group is larger than the buffer: grow it and read again. */
		if (want >= PX_PAGER_MAX_MSGS) {
			hal_log(pg->hal, HAL_LOG_ERROR, "demand_pager: group above %u messages\n",
				PX_PAGER_MAX_MSGS);
			return -E2BIG;
		}
		want *= 2;
		if (want > pg->cap_msgs) {
			rc = px_pager_grow(pg, want);
			if (rc)
				return rc;
		}
	}
	return px_pager_handle(pg, pg->msgs, (unsigned int)((size_t)len / msz));
}

/**
 * px_pager_run - serve faults until the process is killed
 * @pg: handler, set up and started
 *
 * Loops on px_pager_serve_once() with no timeout. A fatal signal (-EINTR,
 * e.g. from px_kernel_shutdown()) ends the loop: the groups still queued or
 * read but not answered are left to the exit path (px_pager_destroy), where
 * the kernel answers each INVALID once. Other errors are logged and the
 * loop goes on after a short sleep.
 *
 * Return: 0 when the process was killed.
 */
int px_pager_run(struct px_pager *pg)
{
	int rc;

	for (;;) {
		rc = px_pager_serve_once(pg, -1);
		if (rc == -EINTR || px_proc_killed(pg->proc))
			break;
		if (rc < 0) {
			hal_log(pg->hal, HAL_LOG_ERROR, "demand_pager: serve failed (%d)\n", rc);
			/* Do not spin in zero simulated time on a persistent error. */
			hal_sleep_ps(pg->hal, 1000000);
		}
	}
	hal_log(pg->hal, HAL_LOG_INFO, "demand_pager: killed, exiting\n");
	return 0;
}

/* The user task: a process's whole life, from creation to exit. */
static void px_pager_task(void *arg)
{
	struct px_kernel *k = arg;
	struct px_pager *pg;
	struct hal *h;
	int rc;

	h = px_kernel_hal(k);
	rc = px_pager_create(k, &pg);
	if (rc) {
		/* Started after a shutdown began: nothing to serve. */
		hal_log(h, rc == -ESHUTDOWN ? HAL_LOG_INFO : HAL_LOG_ERROR,
			"demand_pager: create failed (%d)\n", rc);
		goto out_put;
	}
	rc = px_pager_setup(pg);
	if (rc) {
		hal_log(h, HAL_LOG_ERROR, "demand_pager: setup failed (%d)\n", rc);
		goto out_destroy;
	}
	px_pager_start_devices(pg);
	px_pager_run(pg);
out_destroy:
	px_pager_destroy(pg);
out_put:
	/* Pairs with px_user_spawn_demand_pager(); the last use of k. */
	px_kernel_user_task_put(k);
}

/**
 * px_user_spawn_demand_pager - start the demand pager in a user task
 * @k: kernel
 *
 * See prisim/sw.h. Setup errors are logged by the task. The task ends when
 * the process is killed (px_kernel_shutdown()), after its exit.
 *
 * Return: 0, -ESHUTDOWN if the kernel is shutting down, or -ENOMEM if the
 * task could not be created.
 */
int px_user_spawn_demand_pager(struct px_kernel *k)
{
	struct hal *h = px_kernel_hal(k);

	if (k->shutting_down)
		return -ESHUTDOWN;
	/* Counted before the task can run (a HAL may even run it right here). */
	px_kernel_user_task_get(k);
	if (!hal_task_create(h, HAL_TASK_USER, "demand_pager", px_pager_task, k)) {
		px_kernel_user_task_put(k);
		return -ENOMEM;
	}
	return 0;
}
