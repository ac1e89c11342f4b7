// SPDX-License-Identifier: Apache-2.0
/*
 * Description: fail-nth sweeps in the spirit of iommufd_fail_nth.c. Each run
 * makes the n-th fault-injection point (hal_should_fail) fail, for n = 1, 2,
 * ... until a run hits no point any more, and checks afterwards that
 * - fault reporting and delivery: every LAST request got exactly one
 *   response (SUCCESS, FAILURE from an abort, or INVALID from detach), and
 *   no partial group was ever delivered as read;
 * - setup (objects, fds, attach): a failing point fails the call that hit it;
 * - in both: tearing everything down frees all memory, HAL objects and
 *   simulated DRAM.
 */
#include "heap_count.h"
#include "test_util.h"

#define NGROUPS 12
#define MSZ ((ssize_t)sizeof(struct iommu_hwpt_pgfault))

struct last_req {
	unsigned int dev;
	uint32_t grpid;
};


/* Answer one cookie, retrying injected copy faults. */
static void respond(struct world *w, uint32_t cookie)
{
	ssize_t rc;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		rc = t_respond(w, w->fault_fd, cookie, IOMMUFD_PAGE_RESP_SUCCESS);
		if (rc == (ssize_t)sizeof(struct iommu_hwpt_page_response))
			return;
		assert_int_equal(-EFAULT, rc);
	}
	fail_msg("cookie %u: response never accepted", cookie);
}

/* Read and answer until the queue is empty; groups are never split. */
static void drain(struct world *w)
{
	struct iommu_hwpt_pgfault msg[8];
	struct px_pollfd pfd;
	unsigned int it, i;
	ssize_t n;
	int pr;

	for (it = 0; it < 200; it++) {
		pfd = (struct px_pollfd){ .fd = w->fault_fd, .events = PX_POLLIN };
		pr = px_poll(w->p, &pfd, 1, 0);
		n = t_read_msgs(w, w->fault_fd, msg, 8);
		if (n < 0) {
			assert_true(n == -EFAULT || n == -ENOMEM);
			continue;
		}
		if (n == 0) {
			if (pr == 0)
				return;
			continue;
		}
		assert_int_equal(0, n % MSZ);
		/* A group is whole: its last message has LAST, the others do not. */
		for (i = 0; i < n / MSZ; i++) {
			bool end = i + 1 == n / MSZ || msg[i + 1].cookie != msg[i].cookie;

			assert_int_equal(end, !!(msg[i].flags & F_LAST));
			if (end)
				respond(w, msg[i].cookie);
		}
	}
	fail_msg("queue never drained");
}

static void check_one_response_each(struct world *w, const struct last_req *l, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int got = mock_count_resp(w->m, W_RID(l[i].dev), l[i].grpid, -1);

		if (got != 1)
			fail_msg("dev %u grpid %u: %u responses", l[i].dev, l[i].grpid, got);
	}
	assert_int_equal(n, w->m->nr_resp);
}

/* One run of the delivery scenario, failing the nth point; returns whether it fired. */
static bool run_delivery(unsigned int nth)
{
	struct last_req last[NGROUPS + 2];
	struct iommu_hwpt_pgfault msg[4];
	unsigned int nlast = 0, g, p;
	struct world w;
	bool fired;
	int rc;

	world_init(&w, 2);
	assert_int_equal(0, world_setup(&w));
	fake_hal_fail_nth(w.h, nth);

	for (g = 0; g < NGROUPS; g++) {
		unsigned int dev = g & 1;

		for (p = 0; p < g % 3; p++) {
			rc = world_report(&w, dev, 0, 0, g, P_R, 0x10000ull * g + 0x1000 * p);
			assert_true(rc == 0 || rc == -ENOMEM);
		}
		rc = world_report(&w, dev, F_LAST, 0, g, P_RW, 0x10000ull * g + 0xf000);
		assert_int_equal(0, rc);
		last[nlast++] = (struct last_req){ dev, g };
		if (g == NGROUPS / 2)
			drain(&w);
	}
	drain(&w);

	/* Two more on dev1: one left queued, one delivered; then detach dev1. */
	assert_int_equal(0, world_report(&w, 1, F_LAST, 0, 100, P_R, 0x100000));
	last[nlast++] = (struct last_req){ 1, 100 };
	(void)t_read_msgs(&w, w.fault_fd, msg, 1);
	assert_int_equal(0, world_report(&w, 1, F_LAST, 0, 101, P_R, 0x101000));
	last[nlast++] = (struct last_req){ 1, 101 };
	rc = t_detach(&w, w.vfio_fd[1]);
	if (rc == -EFAULT) /* the argument copy was the injected fault */
		rc = t_detach(&w, w.vfio_fd[1]);
	assert_int_equal(0, rc);

	fired = fake_hal_failed(w.h);
	fake_hal_fail_nth(w.h, 0);
	drain(&w);
	check_one_response_each(&w, last, nlast);
	assert_true(fake_hal_stat(w.h, "sw.iopf.responses.failure") <= 1);

	px_proc_destroy(w.p);
	w.p = NULL;
	assert_int_equal(0, w.m->domains_live);
	assert_int_equal(0, fake_hal_objects_live(w.h));
	assert_int_equal(0, fake_hal_dma_live(w.h));
	assert_int_equal(0, px_proc_create(w.k, &w.p));
	world_fini(&w);
	return fired;
}

static void test_fail_nth_delivery(void **state)
{
	unsigned int nth;
	long before;

	(void)state;
	run_delivery(0); /* warm up lazily allocated library state */
	for (nth = 1; nth < 1000; nth++) {
		before = heap_count_live();
		if (!run_delivery(nth))
			break;
		assert_int_equal(before, heap_count_live());
	}
	print_message("delivery: %u injection points swept\n", nth - 1);
	/* The scenario has several injection points; the sweep must have covered them. */
	assert_true(nth > 10);
	assert_true(nth < 1000);
}

/* One run of the setup path, failing the nth point; returns whether it fired. */
static bool run_setup(unsigned int nth)
{
	const uint32_t rw = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			    IOMMU_IOAS_MAP_WRITEABLE;
	struct world w;
	hal_paddr_t pa;
	void *page;
	bool fired;
	int rc;

	world_init(&w, 2);
	page = px_alloc_user_page(w.p, &pa);
	assert_non_null(page);
	fake_hal_fail_nth(w.h, nth);
	rc = world_setup(&w);
	if (!rc)
		rc = t_ioas_map(&w, w.ioas_id, 0x100000, pa, 4096, rw);
	fired = fake_hal_failed(w.h);
	fake_hal_fail_nth(w.h, 0);
	if (fired && !rc)
		fail_msg("site %s failed but setup succeeded", fake_hal_failed_site(w.h));
	if (!fired)
		assert_int_equal(0, rc);
	px_proc_destroy(w.p);
	w.p = NULL;
	assert_int_equal(0, w.m->domains_live);
	assert_int_equal(0, fake_hal_objects_live(w.h));
	assert_int_equal(0, fake_hal_log_count(w.h, HAL_LOG_ERROR));
	hal_dma_free(w.h, page, 4096);
	assert_int_equal(0, fake_hal_dma_live(w.h));
	assert_int_equal(0, px_proc_create(w.k, &w.p));
	world_fini(&w);
	return fired;
}

static void test_fail_nth_setup(void **state)
{
	unsigned int nth;
	long before;

	(void)state;
	run_setup(0);
	for (nth = 1; nth < 1000; nth++) {
		before = heap_count_live();
		if (!run_setup(nth))
			break;
		assert_int_equal(before, heap_count_live());
	}
	print_message("setup: %u injection points swept\n", nth - 1);
	assert_true(nth > 10);
	assert_true(nth < 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_nth_delivery),
		cmocka_unit_test(test_fail_nth_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
