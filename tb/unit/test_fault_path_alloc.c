// SPDX-License-Identifier: Apache-2.0
/*
 * Description: the fault path allocates nothing in steady state. Once a
 * device has had its requests and groups in flight, reporting (partials and
 * LAST), delivery to the fault fd, poll, read and write of the responses
 * make no malloc/calloc/realloc call at all (heap_count_calls()); the
 * object cache behind it reuses and zeroes objects, still fails on request
 * (fail-nth) when it could serve from its free list, and frees its list at
 * destroy; a poll() set larger than the on-stack arrays still works.
 */
#include "heap_count.h"
#include "kernel/kalloc.h"
#include "test_util.h"

#define NPARTIAL 3
#define MSZ ((ssize_t)sizeof(struct iommu_hwpt_pgfault))

/* One round: a group of NPARTIAL partials + LAST per device, read, answered. */
static void round_trip(struct world *w, uint32_t grpid)
{
	struct iommu_hwpt_pgfault msg[2 * (NPARTIAL + 1)];
	unsigned int d, p, i;
	ssize_t n;

	for (d = 0; d < w->nr_dev; d++) {
		for (p = 0; p < NPARTIAL; p++)
			assert_int_equal(0, world_report(w, d, 0, 0, grpid, P_R, 0x1000ull * p));
		assert_int_equal(0, world_report(w, d, F_LAST, 0, grpid, P_RW, 0xf000));
	}
	assert_true(t_poll(w, w->fault_fd, PX_POLLIN) & PX_POLLIN);
	n = t_read_msgs(w, w->fault_fd, msg, 2 * (NPARTIAL + 1));
	assert_int_equal(2 * (NPARTIAL + 1) * MSZ, n);
	for (i = 0; i < n / MSZ; i++)
		if (msg[i].flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE)
			assert_int_equal(sizeof(struct iommu_hwpt_page_response),
					 t_respond(w, w->fault_fd, msg[i].cookie,
						   IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(2, w->m->nr_resp);
	w->m->nr_resp = 0; /* the mock's own record must not grow either */
}

static void test_steady_state_no_alloc(void **state)
{
	struct world w;
	long calls;
	uint32_t g;

	(void)state;
	world_init(&w, 2);
	assert_int_equal(0, world_setup(&w));
	/* Warm up: caches, the cookie table and the mock's record fill once. */
	round_trip(&w, 1);
	round_trip(&w, 2);
	calls = heap_count_calls();
	for (g = 3; g < 103; g++)
		round_trip(&w, g);
	assert_int_equal(calls, heap_count_calls());
	assert_int_equal(102 * 2, fake_hal_stat(w.h, "sw.iommufd.responses"));
	assert_int_equal(102 * NPARTIAL, fake_hal_stat(w.h, "sw.dev.0008.iopf.partials_queued"));
	world_fini(&w);
}

static void test_kmem_cache(void **state)
{
	struct px_kmem_cache c;
	struct hal *h = fake_hal_create();
	unsigned char *a, *b;
	unsigned int i;
	long live;

	(void)state;
	fake_hal_fail_filter(h, "test.cache_alloc");
	live = heap_count_live();
	px_kmem_cache_init(&c, h, 40, "test.cache_alloc");
	a = px_kmem_cache_zalloc(&c);
	assert_non_null(a);
	if (!a) /* cmocka's assertion is not known not to return */
		return;
	memset(a, 0xa5, 40);
	px_kmem_cache_free(&c, a);
	/* Reused, and zeroed again. */
	b = px_kmem_cache_zalloc(&c);
	assert_ptr_equal(a, b);
	for (i = 0; i < 40; i++)
		assert_int_equal(0, b[i]);
	px_kmem_cache_free(&c, b);
	/* An object is on the free list, yet the allocation can still fail. */
	fake_hal_fail_nth(h, 1);
	assert_null(px_kmem_cache_zalloc(&c));
	assert_true(fake_hal_failed(h));
	fake_hal_fail_nth(h, 0);
	assert_int_equal(1, c.nr_free);
	assert_int_equal(0, c.nr_active);
	px_kmem_cache_destroy(&c);
	assert_int_equal(live, heap_count_live());
	assert_int_equal(0, fake_hal_log_count(h, HAL_LOG_ERROR));
	fake_hal_destroy(h);
}

/* More fds than the on-stack arrays hold: allocated, same answers, no leak. */
static void test_poll_large_set(void **state)
{
	struct px_pollfd pfd[12];
	struct world w;
	unsigned int i;
	long live;

	(void)state;
	world_init(&w, 1);
	assert_int_equal(0, world_setup(&w));
	for (i = 0; i < 12; i++)
		pfd[i] = (struct px_pollfd){ .fd = i == 11 ? 99 : w.fault_fd,
					     .events = PX_POLLIN | PX_POLLOUT };
	live = heap_count_live();
	assert_int_equal(12, px_poll(w.p, pfd, 12, 0));
	assert_int_equal(live, heap_count_live());
	assert_int_equal(PX_POLLOUT, pfd[0].revents);
	assert_int_equal(PX_POLLNVAL, pfd[11].revents);
	world_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_state_no_alloc),
		cmocka_unit_test(test_kmem_cache),
		cmocka_unit_test(test_poll_large_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
