// SPDX-License-Identifier: Apache-2.0
/*
 * The simulator side of the sample handlers: what a handler on real Linux
 * would not have. It reads the scenario keys, registers and counts the
 * statistics, charges the service time, logs through the HAL, and starts
 * the user tasks; the handler logic (demand_pager.c, fault_handler.c) sees
 * all of it only through struct px_pager_hooks.
 *
 * Handlers ("sw.user.handler"):
 *   demand_pager  map each faulting page, SUCCESS (service time per fault:
 *                 one draw from sw.cost.handler.*)
 *   deny_outside  INVALID for a group with a fault outside
 *                 [sw.user.allow_base, + sw.user.allow_pages x 4 KiB), else
 *                 as demand_pager
 *   slow          demand_pager whose service time per fault is the sum of
 *                 sw.user.slow.factor draws from sw.cost.handler.*
 *   kernel        no userspace handler: every device is bound to the
 *                 kernel-resident SVA handler (sw/iommu/iommu-sva.c)
 * and, whenever the platform connected a host process (the HAL's host
 * channel: prisim --fault-socket), in place of the userspace one named:
 *   external      the process on the host decides (handler_ext.c); service
 *                 time per fault as demand_pager
 * "sw.user.kernel_devices" = N binds the first N devices to the kernel
 * handler and leaves the others to the userspace one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "prisim/hw/pxdev.h"
#include "prisim/sw.h"
#include "user/pager.h"

#define PX_PAUSE_PS 1000000ull /* 1 us after a failed round: no spin in zero time */

enum px_handler_kind { PX_H_DEMAND_PAGER, PX_H_DENY_OUTSIDE, PX_H_SLOW, PX_H_KERNEL, PX_H_EXTERNAL };

static const char *const px_handler_names[] = {
	[PX_H_DEMAND_PAGER] = "demand_pager",
	[PX_H_DENY_OUTSIDE] = "deny_outside",
	[PX_H_SLOW] = "slow",
	[PX_H_KERNEL] = "kernel",
	[PX_H_EXTERNAL] = "external",
};

struct px_pager_sim {
	struct px_pager pg;             /* first: px_pager_destroy() finds us */
	struct px_kernel *k;
	struct hal *hal;
	enum px_handler_kind kind;
	unsigned int slow_factor;       /* draws of the service time per fault */
	hal_stat_id ev_stat[PX_PAGER_EV__COUNT];
	hal_stat_id groups;             /* handler.<name>.groups */
	hal_stat_id *pasid_faults;      /* user.pasid.<p>.faults_served, p = 1 .. pg.pasids */
	hal_stat_id *pasid_groups;      /* user.pasid.<p>.groups */
	unsigned int threads_live;      /* handler threads besides the process's first */
	struct hal_waitq *threads_wq;   /* woken as each of them exits */
};

static struct px_pager_sim *to_sim(void *ctx)
{
	return ctx;
}

static enum px_handler_kind px_handler_kind(struct hal *h)
{
	const char *s = hal_param_str(h, "sw.user.handler");
	unsigned int i;

	/* The platform never connects one with "kernel" (no device would be its). */
	if (strcmp(s, "kernel") && hal_host_chan_open(h))
		return PX_H_EXTERNAL;
	for (i = 0; i < PX_H_EXTERNAL; i++)
		if (!strcmp(s, px_handler_names[i]))
			return (enum px_handler_kind)i;
	return PX_H_DEMAND_PAGER;
}

/* ---- hooks ------------------------------------------------------------------ */

static void px_sim_dev_added(void *ctx, struct px_pager_dev *pdev)
{
	struct hal *h = to_sim(ctx)->hal;
	const struct hal_pci_dev_info *info;

	info = pdev->index < hal_pci_dev_count(h) ? hal_pci_dev(h, pdev->index) : NULL;
	pdev->rid = info ? info->rid : 0;
}

static void px_sim_service(void *ctx, const struct px_pager_dev *pdev,
			   const struct iommu_hwpt_pgfault *m)
{
	struct px_pager_sim *s = to_sim(ctx);
	unsigned int i;

	(void)pdev;
	(void)m;
	for (i = 0; i < s->slow_factor; i++)
		hal_charge(s->hal, HAL_COST_HANDLER_SERVICE);
}

static void px_sim_stat(struct px_pager_sim *s, const struct px_pager_dev *pdev, hal_stat_id id,
			uint64_t n)
{
	if (pdev)
		hal_stat_dev_inc(s->hal, pdev->rid, id, n);
	else
		hal_stat_inc(s->hal, id, n);
}

static void px_sim_count(void *ctx, const struct px_pager_dev *pdev, enum px_pager_event ev,
			 uint64_t n)
{
	struct px_pager_sim *s = to_sim(ctx);

	if (ev == PX_PAGER_EV_GROUP_SUCCESS || ev == PX_PAGER_EV_GROUP_INVALID)
		px_sim_stat(s, pdev, s->groups, 1);
	px_sim_stat(s, pdev, s->ev_stat[ev], n);
}

static void px_sim_count_pasid(void *ctx, const struct px_pager_dev *pdev, uint32_t pasid,
			       enum px_pager_event ev, uint64_t n)
{
	struct px_pager_sim *s = to_sim(ctx);

	if (!pasid || pasid > s->pg.pasids || !s->pasid_faults)
		return;
	if (ev == PX_PAGER_EV_FAULT_SERVED)
		px_sim_stat(s, pdev, s->pasid_faults[pasid - 1], n);
	else if (ev == PX_PAGER_EV_GROUP_SUCCESS || ev == PX_PAGER_EV_GROUP_INVALID)
		px_sim_stat(s, pdev, s->pasid_groups[pasid - 1], 1);
}

static void px_sim_log(void *ctx, enum px_pager_log lvl, const char *fmt, ...)
{
	static const enum hal_log_level lv[] = {
		[PX_PAGER_LOG_INFO] = HAL_LOG_INFO,
		[PX_PAGER_LOG_WARN] = HAL_LOG_WARN,
		[PX_PAGER_LOG_ERROR] = HAL_LOG_ERROR,
	};
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hal_log(to_sim(ctx)->hal, lv[lvl], "%s", buf);
}

static void px_sim_pause(void *ctx, int err)
{
	(void)err;
	hal_sleep_ps(to_sim(ctx)->hal, PX_PAUSE_PS);
}

static const struct px_pager_hooks px_sim_hooks = {
	.dev_added = px_sim_dev_added,
	.service = px_sim_service,
	.count = px_sim_count,
	.count_pasid = px_sim_count_pasid,
	.log = px_sim_log,
	.pause = px_sim_pause,
};

static void px_sim_register(struct px_pager_sim *s)
{
	static const char *const ev_fmt[] = {
		[PX_PAGER_EV_FAULT_SERVED] = "user.faults_served",
		[PX_PAGER_EV_PAGE_MAPPED] = "user.pages_mapped",
		[PX_PAGER_EV_BAD_MESSAGE] = "user.bad_messages",
		[PX_PAGER_EV_FAULT_DENIED] = "user.faults_denied",
		[PX_PAGER_EV_GROUP_SUCCESS] = "handler.%s.faults_success",
		[PX_PAGER_EV_GROUP_INVALID] = "handler.%s.faults_invalid",
		[PX_PAGER_EV_PAGE_EVICTED] = "user.pages_evicted",
		[PX_PAGER_EV_EVICT_FAILED] = "user.evict_failures",
		[PX_PAGER_EV_GROUP_HELD] = "user.groups_held",
		[PX_PAGER_EV_DEV_DETACHED] = "user.devices_detached",
		[PX_PAGER_EV_VEVENT_DEV] = "user.vevent_devices",
		[PX_PAGER_EV_VEVENT_READ] = "user.vevents_read",
		[PX_PAGER_EV_VEVENT_LOST] = "user.vevents_lost",
		[PX_PAGER_EV_GUEST_PTE] = "user.guest_ptes",
		[PX_PAGER_EV_PAGE_PINNED] = "user.pages_pinned",
	};
	const char *name = px_handler_names[s->kind];
	char buf[64];
	unsigned int i;

	for (i = 0; i < PX_PAGER_EV__COUNT; i++) {
		snprintf(buf, sizeof(buf), ev_fmt[i], name);
		s->ev_stat[i] = hal_stat_register(s->hal, buf);
	}
	snprintf(buf, sizeof(buf), "handler.%s.groups", name);
	s->groups = hal_stat_register(s->hal, buf);
	if (!s->pg.pasids)
		return;
	s->pasid_faults = calloc(s->pg.pasids, sizeof(*s->pasid_faults));
	s->pasid_groups = calloc(s->pg.pasids, sizeof(*s->pasid_groups));
	if (!s->pasid_faults || !s->pasid_groups) {
		/* counted without them (px_sim_count_pasid checks) */
		free(s->pasid_faults);
		free(s->pasid_groups);
		s->pasid_faults = s->pasid_groups = NULL;
		hal_log(s->hal, HAL_LOG_WARN, "%s: no memory for per-PASID statistics\n", name);
		return;
	}
	for (i = 0; i < s->pg.pasids; i++) {
		snprintf(buf, sizeof(buf), "user.pasid.%u.faults_served", i + 1);
		s->pasid_faults[i] = hal_stat_register(s->hal, buf);
		snprintf(buf, sizeof(buf), "user.pasid.%u.groups", i + 1);
		s->pasid_groups[i] = hal_stat_register(s->hal, buf);
	}
}

/* ---- the userspace handler ------------------------------------------------------ */

/**
 * px_pager_create - allocate the handler "sw.user.handler" chooses (the
 * demand pager for "kernel": that choice serves no device from userspace)
 * and its process
 * @k: kernel
 * @out: the handler
 *
 * Reads "sw.user.batch" (0 is taken as 1), "sw.user.allow_base" and
 * "sw.user.allow_pages" (deny_outside), "sw.user.slow.factor" (slow) and
 * "sw.user.kernel_devices" (the devices it leaves to the kernel),
 * "sw.user.resident_pages" (eviction), "sw.user.detach_after" and
 * "sw.user.detach_device" (detach with faults pending), "sw.user.vevent_depth"
 * and "sw.user.vevent_device" (the vEVENTQ).
 *
 * Return: 0, -ENOMEM, or -ESHUTDOWN if the kernel is shutting down.
 */
int px_pager_create(struct px_kernel *k, struct px_pager **out)
{
	struct hal *h = px_kernel_hal(k);
	struct px_pager_sim *s;
	struct px_proc *p;
	uint64_t batch, pages;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rc = px_proc_create(k, &p);
	if (rc) {
		free(s);
		return rc;
	}
	s->k = k;
	s->hal = h;
	s->kind = px_handler_kind(h);
	if (s->kind == PX_H_KERNEL)
		s->kind = PX_H_DEMAND_PAGER;
	s->slow_factor = 1;
	batch = hal_param_u64(h, "sw.user.batch");
	px_pager_init(&s->pg, p, batch > PX_PAGER_MAX_MSGS ? PX_PAGER_MAX_MSGS : (unsigned int)batch,
		      &px_sim_hooks, s);
	s->pg.name = px_handler_names[s->kind];
	s->pg.first_dev = (unsigned int)hal_param_u64(h, "sw.user.kernel_devices");
	s->pg.resident_pages = hal_param_u64(h, "sw.user.resident_pages");
	s->pg.detach_after = hal_param_u64(h, "sw.user.detach_after");
	s->pg.detach_dev = (unsigned int)hal_param_u64(h, "sw.user.detach_device");
	s->pg.vevent_depth = (uint32_t)hal_param_u64(h, "sw.user.vevent_depth");
	s->pg.vevent_dev = (unsigned int)hal_param_u64(h, "sw.user.vevent_device");
	s->pg.pasids = (unsigned int)hal_param_u64(h, "device.pasids");
	s->pg.nested_devs = (unsigned int)hal_param_u64(h, "sw.user.nested_devices");
	if (s->kind == PX_H_DENY_OUTSIDE) {
		s->pg.policy = PX_PAGER_DENY_OUTSIDE;
		s->pg.allow_lo = hal_param_u64(h, "sw.user.allow_base");
		pages = hal_param_u64(h, "sw.user.allow_pages");
		s->pg.allow_hi = s->pg.allow_lo + pages * PX_PAGE_SIZE;
	} else if (s->kind == PX_H_SLOW) {
		s->slow_factor = (unsigned int)hal_param_u64(h, "sw.user.slow.factor");
	}
	px_sim_register(s);
	*out = &s->pg;
	return 0;
}

static void px_sim_free_page(void *ctx, void *cpu, uint64_t uva)
{
	if (cpu)
		hal_dma_free(ctx, cpu, PX_PAGE_SIZE);
	else
		hal_page_free(ctx, uva);
}

/**
 * px_pager_destroy - exit: close every fd (detaching the devices), then free
 * the pages the handler allocated
 * @pg: handler from px_pager_create() (NULL is ignored)
 */
void px_pager_destroy(struct px_pager *pg)
{
	struct px_pager_sim *s = (struct px_pager_sim *)pg;

	if (!pg)
		return;
	px_proc_destroy(pg->proc);
	px_pager_release(pg, px_sim_free_page, s->hal);
	free(s->pasid_faults);
	free(s->pasid_groups);
	free(s);
}

/* One more handler thread of the process (sw.user.threads): serves until killed. */
static void px_pager_thread_task(void *arg)
{
	struct px_pager_sim *s = arg;
	int rc = px_pager_run_thread(&s->pg);

	if (rc)
		hal_log(s->hal, HAL_LOG_ERROR, "%s: handler thread ended (%d)\n", s->pg.name, rc);
	s->threads_live--;
	hal_wake_up(s->threads_wq);
}

static bool px_pager_threads_gone(void *arg)
{
	return !((struct px_pager_sim *)arg)->threads_live;
}

/*
 * Start the process's other handler threads: sw.user.threads in all, each
 * a user task on the same fault fd.
 */
static void px_pager_spawn_threads(struct px_pager_sim *s)
{
	uint64_t n = hal_param_u64(s->hal, "sw.user.threads");
	char name[48];
	uint64_t i;

	if (n <= 1 || s->kind == PX_H_EXTERNAL)
		return;
	s->threads_wq = hal_waitq_create(s->hal);
	if (!s->threads_wq) {
		hal_log(s->hal, HAL_LOG_ERROR, "%s: no wait queue for handler threads\n", s->pg.name);
		return;
	}
	for (i = 1; i < n; i++) {
		snprintf(name, sizeof(name), "%s.%llu", s->pg.name, (unsigned long long)i);
		s->threads_live++;
		if (!hal_task_create(s->hal, HAL_TASK_USER, name, px_pager_thread_task, s)) {
			s->threads_live--;
			hal_log(s->hal, HAL_LOG_ERROR, "%s: handler thread %llu not started\n",
				s->pg.name, (unsigned long long)i);
		}
	}
}

/* The process exits once its other threads have seen the fatal signal. */
static void px_pager_join_threads(struct px_pager_sim *s)
{
	if (!s->threads_wq)
		return;
	hal_wait_event(s->threads_wq, px_pager_threads_gone, s, HAL_WAIT_FOREVER);
	hal_waitq_destroy(s->threads_wq);
	s->threads_wq = NULL;
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
		hal_log(h, HAL_LOG_ERROR, "%s: setup failed (%d)\n", pg->name, rc);
		goto out_destroy;
	}
	px_pager_start_devices(pg);
	if (((struct px_pager_sim *)pg)->kind == PX_H_EXTERNAL) {
		px_ext_run(pg, h);
	} else {
		px_pager_spawn_threads((struct px_pager_sim *)pg);
		px_pager_run(pg);
		px_pager_join_threads((struct px_pager_sim *)pg);
	}
out_destroy:
	px_pager_destroy(pg);
out_put:
	/* Pairs with px_user_spawn(); the last use of k. */
	px_kernel_user_task_put(k);
}

/* ---- the kernel-resident handler's client process ----------------------------- */

/*
 * A process that binds devices to the kernel's SVA handler: it opens
 * /dev/pxsva/N for the first @n devices (each open binds one), starts each
 * with a store to its control register, and sleeps until killed; its exit
 * closes the files, which unbinds them.
 */
static void px_sva_client_task(void *arg)
{
	const uint32_t start = PXDEV_CTRL_START;
	struct px_kernel *k = arg;
	struct hal *h = px_kernel_hal(k);
	unsigned int i, n = (unsigned int)hal_param_u64(h, "sw.user.kernel_devices");
	struct px_proc *p;
	char path[32];
	ssize_t wr;
	int fd, rc;

	if (px_handler_kind(h) == PX_H_KERNEL)
		n = UINT32_MAX;
	rc = px_proc_create(k, &p);
	if (rc) {
		hal_log(h, rc == -ESHUTDOWN ? HAL_LOG_INFO : HAL_LOG_ERROR,
			"sva_client: create failed (%d)\n", rc);
		goto out_put;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/dev/pxsva/%u", i);
		fd = px_open(p, path, PX_O_RDWR);
		if (fd == -ENOENT)
			break;
		if (fd < 0) {
			hal_log(h, HAL_LOG_WARN, "sva_client: open %s: %d\n", path, fd);
			continue;
		}
		wr = px_pwrite(p, fd, &start, sizeof(start), PXDEV_CTRL);
		if (wr != (ssize_t)sizeof(start))
			hal_log(h, HAL_LOG_ERROR, "sva_client: start %s failed (%zd)\n", path, wr);
	}
	/* Nothing to do from userspace: the kernel resolves the faults. */
	while (px_poll(p, NULL, 0, -1) != -EINTR)
		;
	px_proc_destroy(p);
out_put:
	px_kernel_user_task_put(k);
}

static int px_user_spawn_task(struct px_kernel *k, const char *name, void (*fn)(void *arg))
{
	struct hal *h = px_kernel_hal(k);

	if (k->shutting_down)
		return -ESHUTDOWN;
	/* Counted before the task can run (a HAL may even run it right here). */
	px_kernel_user_task_get(k);
	if (!hal_task_create(h, HAL_TASK_USER, name, fn, k)) {
		px_kernel_user_task_put(k);
		return -ENOMEM;
	}
	return 0;
}

/**
 * px_user_spawn_demand_pager - start the userspace handler in a user task
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
	bool ext = px_handler_kind(px_kernel_hal(k)) == PX_H_EXTERNAL;

	return px_user_spawn_task(k, ext ? "external" : "demand_pager", px_pager_task);
}

/**
 * px_user_spawn_handlers - start the handlers the scenario chooses
 * @k: kernel
 *
 * See prisim/sw.h: with "sw.user.handler" kernel, or "sw.user.kernel_devices"
 * above 0, the SVA device files are created and a client process binds the
 * devices to the kernel-resident handler; the userspace handler serves the
 * remaining devices (none with "kernel").
 *
 * Return: 0 or -errno (-ESHUTDOWN, -ENOMEM, -EEXIST).
 */
int px_user_spawn_handlers(struct px_kernel *k)
{
	struct hal *h = px_kernel_hal(k);
	bool kernel_all = px_handler_kind(h) == PX_H_KERNEL;
	int rc;

	if (kernel_all || hal_param_u64(h, "sw.user.kernel_devices")) {
		rc = px_kernel_sva_register(k);
		if (rc)
			return rc;
		rc = px_user_spawn_task(k, "sva_client", px_sva_client_task);
		if (rc || kernel_all)
			return rc;
	}
	return px_user_spawn_demand_pager(k);
}
