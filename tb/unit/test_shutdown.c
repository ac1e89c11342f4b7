// SPDX-License-Identifier: Apache-2.0
/*
 * Description: orderly shutdown of the software stack (px_kernel_shutdown):
 * a fatal signal makes px_poll() return -EINTR (pending at entry, or
 * arriving while the process waits), the demand pager's loop ends on it and
 * its exit answers every group still queued or read-but-unanswered INVALID
 * exactly once (partials get nothing, served groups nothing more); the
 * shutdown waits for the processes to exit, refuses new ones, gives up with
 * -ETIMEDOUT (kernel intact) when one does not exit, releases every device
 * and removes every IOMMU, and leaves no heap block, DMA page or HAL object
 * behind.
 *
 * The fake HAL cannot block: "another task runs meanwhile" is played by its
 * wait hook (fake_hal_set_wait_hook), e.g. the killed pager exiting while
 * the shutdown waits for it.
 */
#include "heap_count.h"
#include "test_util.h"

#include "prisim/hw/pxdev.h"
#include "prisim/sw.h"
#include "user/pager.h"

#define MSZ sizeof(struct iommu_hwpt_pgfault)


/*
 * IOMMU remove that keeps the mock (and the responses it recorded) until the
 * test has looked at them; the test frees it.
 */
static struct mock_iommu *removed[4];
static unsigned int nr_removed;

static void keep_remove(struct iommu_device *iommu)
{
	assert_true(nr_removed < 4);
	removed[nr_removed++] = to_mock(iommu);
}

static void free_removed(void)
{
	while (nr_removed)
		mock_iommu_destroy(removed[--nr_removed]);
}

/* After a clean shutdown: the one IOMMU removed, both devices released,
 * nothing left allocated, nothing logged as an error; then clean up. */
static void assert_torn_down(struct hal *h, struct mock_iommu *m)
{
	assert_int_equal(1, nr_removed);
	assert_ptr_equal(m, removed[0]);
	assert_int_equal(2, m->release_calls);
	assert_int_equal(0, m->domains_live);
	assert_int_equal(0, fake_hal_dma_live(h));
	assert_int_equal(0, fake_hal_objects_live(h));
	assert_int_equal(0, fake_hal_log_count(h, HAL_LOG_ERROR));
	free_removed();
	fake_hal_destroy(h);
}

/* run() leaks no heap block (the first run warms up lazily allocated
 * library state). */
static void assert_no_leak(void (*run)(void))
{
	long before;

	run();
	before = heap_count_live();
	run();
	assert_int_equal(before, heap_count_live());
}

/* One IOMMU, two PRI-capable functions. */
static struct hal *machine(void)
{
	struct hal *h = fake_hal_create();
	unsigned int i;

	world_handler_params(h, 16);
	fake_hal_add_iommu(h, 0x10000000);
	for (i = 0; i < 2; i++) {
		fake_hal_add_pci_dev(h, W_RID(i), 0, W_BAR0(i), PXDEV_BAR0_SIZE);
		/* ATS pointing to PRI, as pxdev's list (test_util.c) */
		fake_hal_cfg_set(h, W_RID(i), PXDEV_CFG_ATS, 4, 0x0001000F | PXDEV_CFG_PRI << 20);
		fake_hal_cfg_set(h, W_RID(i), PXDEV_CFG_PRI, 4, 0x00010013);
	}
	return h;
}

static int report(struct px_kernel *k, unsigned int dev, uint32_t flags, uint32_t grpid,
		  uint64_t addr)
{
	struct iopf_fault evt = {
		.fault = {
			.type = IOMMU_FAULT_PAGE_REQ,
			.prm = { .flags = flags, .grpid = grpid, .perm = P_R, .addr = addr },
		},
	};

	return iommu_report_device_fault(px_kernel_device(k, dev), &evt);
}

static void hook_kill(void *arg)
{
	px_proc_kill(arg);
}

static void test_poll_eintr(void **state)
{
	struct px_pollfd pfd;
	unsigned int wakeups;
	uint64_t charged;
	struct world w;

	(void)state;
	world_init(&w, 1);
	assert_int_equal(0, world_setup(&w));
	pfd = (struct px_pollfd){ .fd = w.fault_fd, .events = PX_POLLIN };
	assert_int_equal(0, px_poll(w.p, &pfd, 1, 0));
	assert_int_equal(0, px_poll(w.p, NULL, 0, 0));
	assert_false(px_proc_killed(w.p));

	/* Killed while blocked: the kill wakes the wait, which ends (not a timeout). */
	wakeups = fake_hal_wakeups(w.h);
	charged = fake_hal_charges(w.h, HAL_COST_WAKEUP);
	fake_hal_set_wait_hook(w.h, hook_kill, w.p);
	assert_int_equal(-EINTR, px_poll(w.p, &pfd, 1, -1));
	assert_true(px_proc_killed(w.p));
	assert_int_equal(wakeups + 1, fake_hal_wakeups(w.h));
	assert_int_equal(charged + 1, fake_hal_charges(w.h, HAL_COST_WAKEUP));

	/* Pending at entry: -EINTR at once, even with an fd ready, and no wait. */
	assert_int_equal(0, world_report(&w, 0, F_LAST, 0, 7, P_R, 0x1000));
	charged = fake_hal_charges(w.h, HAL_COST_WAKEUP);
	assert_int_equal(-EINTR, px_poll(w.p, &pfd, 1, 0));
	assert_int_equal(-EINTR, px_poll(w.p, &pfd, 1, -1));
	assert_int_equal(-EINTR, px_poll(w.p, NULL, 0, 5));
	assert_int_equal(-EINTR, px_poll(w.p, NULL, 0, -1));
	assert_int_equal(charged, fake_hal_charges(w.h, HAL_COST_WAKEUP));
	/* The group is still queued, and nothing was answered. */
	assert_int_equal(0, w.m->nr_resp);

	/* Exit: the queued group is answered INVALID once. */
	px_proc_destroy(w.p);
	w.p = NULL;
	assert_int_equal(1, mock_count_resp(w.m, W_RID(0), 7, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, w.m->nr_resp);
	world_fini(&w);
}

static void test_sleep_eintr(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 1);
	/* poll(NULL, 0, -1) sleeps until a fatal signal arrives. */
	fake_hal_set_wait_hook(w.h, hook_kill, w.p);
	assert_int_equal(-EINTR, px_poll(w.p, NULL, 0, -1));
	world_fini(&w);
}

static void test_pager_exits_on_kill(void **state)
{
	struct iommu_hwpt_pgfault msg[16];
	struct px_pager *pg;
	struct world w;

	(void)state;
	world_init(&w, 2);
	assert_int_equal(0, px_pager_create(w.k, &pg));
	assert_int_equal(0, px_pager_setup(pg));

	/* grpid 5: served before the kill, SUCCESS. */
	assert_int_equal(0, world_report(&w, 0, F_LAST, 0, 5, P_R, 0x5000));
	assert_int_equal(1, px_pager_serve_once(pg, 0));
	/* grpid 1: read but not answered (awaits its response). */
	assert_int_equal(0, world_report(&w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal((ssize_t)MSZ, px_read(pg->proc, pg->fault_fd, msg, 16 * MSZ));
	/* grpid 2 (dev0) and 3 (dev1, two pages): queued, never read. */
	assert_int_equal(0, world_report(&w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(&w, 1, 0, 0, 3, P_R, 0x3000));
	assert_int_equal(0, world_report(&w, 1, F_LAST, 0, 3, P_R, 0x4000));
	/* grpid 4 (dev1): a partial whose LAST never came. */
	assert_int_equal(0, world_report(&w, 1, 0, 0, 4, P_R, 0x8000));
	assert_int_equal(1, w.m->nr_resp);
	assert_int_equal(1, fake_hal_dma_live(w.h));

	px_proc_kill(pg->proc);
	assert_int_equal(0, px_pager_run(pg));
	/* The loop ended on -EINTR without serving anything more. */
	assert_int_equal(1, w.m->nr_resp);
	assert_int_equal(1, fake_hal_dma_live(w.h));

	px_pager_destroy(pg);
	assert_int_equal(1, mock_count_resp(w.m, W_RID(0), 5, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(w.m, W_RID(0), 5, -1));
	assert_int_equal(1, mock_count_resp(w.m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(w.m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(w.m, W_RID(1), 3, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(0, mock_count_resp(w.m, W_RID(1), 4, -1));
	assert_int_equal(4, w.m->nr_resp);
	assert_int_equal(3, fake_hal_stat(w.h, "sw.iommufd.auto_responses"));
	assert_int_equal(1, fake_hal_stat(w.h, "sw.iopf.partials_discarded"));
	assert_int_equal(0, w.m->domains_live);
	assert_int_equal(0, fake_hal_dma_live(w.h));
	assert_int_equal(2, w.m->disable_iopf_calls);
	world_fini(&w);
}

/* The wait hook of the spawned pager: faults arrive, then the kill. */
static void hook_faults_then_kill(void *arg)
{
	struct px_kernel *k = arg;

	assert_int_equal(0, report(k, 0, F_LAST, 1, 0x1000));
	assert_int_equal(0, report(k, 1, 0, 2, 0x2000));
	assert_int_equal(0, report(k, 1, F_LAST, 2, 0x3000));
	assert_int_equal(0, report(k, 1, 0, 3, 0x4000));
	assert_int_equal(1, px_kernel_kill_all(k));
}

/* The real user task (synchronous on the fake HAL), killed in its poll. */
static void run_spawned_pager(void)
{
	struct hal *h = machine();
	struct px_kernel *k;
	struct mock_iommu *m;

	assert_int_equal(0, px_kernel_boot_with(h, mock_iommu_probe, keep_remove, &k));
	m = to_mock(k->iommus[0]);
	fake_hal_set_task_mode(h, FAKE_TASK_SYNC);
	fake_hal_set_wait_hook(h, hook_faults_then_kill, k);
	/* The task runs here: setup, start, poll (killed), exit. */
	assert_int_equal(0, px_user_spawn_demand_pager(k));
	assert_int_equal(1, fake_hal_task_count(h));
	assert_true(list_empty(&k->procs));
	assert_int_equal(0, k->user_tasks);
	assert_int_equal(1, mock_count_resp(m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(m, W_RID(1), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(0, mock_count_resp(m, W_RID(1), 3, -1));
	assert_int_equal(2, m->nr_resp);
	assert_int_equal(0, fake_hal_stat(h, "sw.user.faults_served"));
	/* IOPF was enabled at attach and disabled at exit, for both devices. */
	assert_int_equal(2, m->enable_iopf_calls);
	assert_int_equal(2, m->disable_iopf_calls);

	assert_int_equal(0, px_kernel_shutdown(k));
	assert_int_equal(2, m->nr_resp);
	assert_torn_down(h, m);
}

static void test_spawned_pager_killed(void **state)
{
	(void)state;
	assert_no_leak(run_spawned_pager);
}

/* The wait hook of the shutdown: the killed pager runs and exits. */
static void hook_pager_exits(void *arg)
{
	struct px_pager *pg = arg;

	assert_true(px_proc_killed(pg->proc));
	assert_int_equal(0, px_pager_run(pg));
	px_pager_destroy(pg);
}

/* px_kernel_shutdown() with a process blocked in poll at the time. */
static void run_shutdown_waits(void)
{
	struct iommu_hwpt_pgfault msg[16];
	struct hal *h = machine();
	struct px_kernel *k;
	struct px_pager *pg;
	struct mock_iommu *m;

	assert_int_equal(0, px_kernel_boot_with(h, mock_iommu_probe, keep_remove, &k));
	m = to_mock(k->iommus[0]);
	assert_int_equal(0, px_pager_create(k, &pg));
	assert_int_equal(0, px_pager_setup(pg));
	/* One group served and mapped, one read and unanswered, one queued. */
	assert_int_equal(0, report(k, 0, F_LAST, 1, 0x1000));
	assert_int_equal(1, px_pager_serve_once(pg, 0));
	assert_int_equal(0, report(k, 0, F_LAST, 2, 0x2000));
	assert_int_equal((ssize_t)MSZ, px_read(pg->proc, pg->fault_fd, msg, 16 * MSZ));
	assert_int_equal(0, report(k, 1, F_LAST, 3, 0x3000));
	assert_int_equal(1, fake_hal_dma_live(h));

	/* The pager is blocked in poll: it runs (and exits) while the shutdown waits. */
	fake_hal_set_wait_hook(h, hook_pager_exits, pg);
	assert_int_equal(0, px_kernel_shutdown(k));
	assert_int_equal(1, mock_count_resp(m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(m, W_RID(0), 1, -1));
	assert_int_equal(1, mock_count_resp(m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(m, W_RID(1), 3, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(3, m->nr_resp);
	assert_torn_down(h, m);
}

static void test_shutdown_waits_for_exit(void **state)
{
	(void)state;
	assert_no_leak(run_shutdown_waits);
}

/* A process that does not exit: -ETIMEDOUT, nothing torn down, retry works. */
static void run_shutdown_timeout(void)
{
	struct hal *h = machine();
	struct px_kernel *k;
	struct px_proc *p, *q;
	int fd;

	assert_int_equal(0, px_kernel_boot_with(h, mock_iommu_probe, keep_remove, &k));
	assert_int_equal(0, px_proc_create(k, &p));
	fd = px_open(p, "/dev/vfio/devices/vfio1", PX_O_RDWR);
	assert_true(fd >= 0);

	assert_int_equal(-ETIMEDOUT, px_kernel_shutdown_within(k, UINT64_C(1000000000000)));
	assert_int_equal(1, fake_hal_log_count(h, HAL_LOG_ERROR));
	assert_true(px_proc_killed(p));
	assert_int_equal(0, nr_removed);
	assert_int_equal(0, to_mock(k->iommus[0])->release_calls);
	/* Still up, but going down: no new process or user task. */
	assert_int_equal(-ESHUTDOWN, px_proc_create(k, &q));
	assert_int_equal(-ESHUTDOWN, px_user_spawn_demand_pager(k));
	assert_int_equal(0, fake_hal_task_count(h));
	assert_int_equal(-EINTR, px_poll(p, NULL, 0, 1));
	/* Files still work for the exit path. */
	assert_int_equal(0, px_close(p, fd));

	px_proc_destroy(p);
	assert_int_equal(0, px_kernel_shutdown(k));
	assert_int_equal(1, nr_removed);
	assert_int_equal(2, removed[0]->release_calls);
	assert_int_equal(1, fake_hal_log_count(h, HAL_LOG_ERROR));
	assert_int_equal(0, fake_hal_objects_live(h));
	free_removed();
	fake_hal_destroy(h);
}

static void test_shutdown_timeout(void **state)
{
	(void)state;
	assert_no_leak(run_shutdown_timeout);
}

/* No process at all: straight to the teardown; a NULL kernel is refused. */
static void test_shutdown_idle(void **state)
{
	struct hal *h = machine();
	struct px_kernel *k;
	long before;

	(void)state;
	assert_int_equal(-EINVAL, px_kernel_shutdown(NULL));
	before = heap_count_live();
	assert_int_equal(0, px_kernel_boot_with(h, mock_iommu_probe, keep_remove, &k));
	assert_int_equal(0, px_kernel_shutdown(k));
	assert_int_equal(1, nr_removed);
	assert_int_equal(2, removed[0]->probe_calls);
	assert_int_equal(2, removed[0]->release_calls);
	free_removed();
	assert_int_equal(0, fake_hal_objects_live(h));
	assert_int_equal(0, fake_hal_log_count(h, HAL_LOG_ERROR));
	/* Only the fake HAL's own tables (new stat keys) may have grown. */
	fake_hal_stats_clear(h);
	assert_int_equal(before, heap_count_live());
	fake_hal_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_eintr),
		cmocka_unit_test(test_sleep_eintr),
		cmocka_unit_test(test_pager_exits_on_kill),
		cmocka_unit_test(test_spawned_pager_killed),
		cmocka_unit_test(test_shutdown_waits_for_exit),
		cmocka_unit_test(test_shutdown_timeout),
		cmocka_unit_test(test_shutdown_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
