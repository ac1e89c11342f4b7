// SPDX-License-Identifier: Apache-2.0
/*
 * Description: the sample demand pager (sw/user/demand_pager.c): setup of
 * every vfio device, device start through a BAR0 pwrite, one SUCCESS per
 * group after mapping its pages into the shared IOAS, no second mapping of
 * a mapped page, the read batch size and the buffer grown when read() says
 * -EINVAL, a read of 0 after POLLIN, unexpected messages answered INVALID,
 * mapping failures answered INVALID, eviction past sw.user.resident_pages,
 * detach with faults pending (sw.user.detach_after: the kernel, not the
 * handler, answers the held and queued groups INVALID), the vEVENTQ device
 * (sw.user.vevent_depth: events read next to the fault fd, losses counted),
 * PASIDs (device.pasids: a HWPT, IOAS and fault queue per PASID, each fault
 * served from its own queue into its own address space), and a clean exit.
 */
#include "test_util.h"

#include "prisim/hw/pxdev.h"
#include "user/pager.h"

#define MSZ ((ssize_t)sizeof(struct iommu_hwpt_pgfault))

struct fix {
	struct world w;
	struct px_pager *pg;
};

static struct fix *fix_new(uint64_t batch)
{
	struct fix *f = calloc(1, sizeof(*f));

	world_init(&f->w, 2);
	fake_hal_set_param_u64(f->w.h, "sw.user.batch", batch);
	assert_int_equal(0, px_pager_create(f->w.k, &f->pg));
	assert_int_equal(0, px_pager_setup(f->pg));
	return f;
}

static int setup(void **state)
{
	*state = fix_new(16);
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	px_pager_destroy(f->pg);
	assert_int_equal(0, f->w.m->domains_live);
	assert_int_equal(0, fake_hal_dma_live(f->w.h));
	world_fini(&f->w);
	free(f);
	return 0;
}

static struct mock_domain *dom(struct fix *f, unsigned int i)
{
	return to_mock_domain(f->w.dev[i]->domain);
}

static void test_setup_and_start(void **state)
{
	struct fix *f = *state;
	unsigned int i;

	assert_int_equal(2, f->pg->nr_devs);
	for (i = 0; i < 2; i++) {
		assert_non_null(f->w.dev[i]->domain);
		assert_non_null(f->w.dev[i]->fault_param);
		assert_int_equal(W_RID(i), f->pg->devs[i].rid);
	}
	assert_ptr_not_equal(f->w.dev[0]->domain, f->w.dev[1]->domain);
	assert_int_equal(0, px_pager_start_devices(f->pg));
	assert_int_equal(2, f->w.nr_mmio);
	for (i = 0; i < 2; i++) {
		assert_int_equal(W_BAR0(i) + PXDEV_CTRL, f->w.mmio[i].addr);
		assert_int_equal(PXDEV_CTRL_START, f->w.mmio[i].val);
	}
	/* Nothing queued: a poll with timeout returns 0 groups. */
	assert_int_equal(0, px_pager_serve_once(f->pg, 1));
}

static void test_serve_groups(void **state)
{
	struct fix *f = *state;
	uint64_t syscalls;

	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 1, P_R, 0x1234));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_W, 0x5678));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 2, P_RW, 0x1000));
	assert_int_equal(2, px_pager_serve_once(f->pg, -1));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 2, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(2, f->w.m->nr_resp);
	/* Pages mapped at the page-aligned addresses, each device in an IOAS of its own. */
	assert_non_null(mock_find_map(dom(f, 0), 0x1000));
	assert_non_null(mock_find_map(dom(f, 0), 0x5000));
	assert_non_null(mock_find_map(dom(f, 1), 0x1000));
	assert_null(mock_find_map(dom(f, 1), 0x5000));
	/* Same IOVA on two devices: two different pages, nothing shared. */
	assert_int_not_equal(mock_find_map(dom(f, 0), 0x1000)->pa,
			     mock_find_map(dom(f, 1), 0x1000)->pa);
	assert_int_equal(2, dom(f, 0)->nr_maps);
	assert_int_equal(1, dom(f, 1)->nr_maps);
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.user.pages_mapped"));
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.user.faults_served"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.dev.0008.user.faults_served"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0010.user.faults_served"));
	assert_int_equal(3, fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE));
	assert_int_equal(3, fake_hal_dma_live(f->w.h));

	/* A fault on a mapped page (the device retried early): SUCCESS, no new page. */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 3, P_R, 0x5000));
	syscalls = fake_hal_charges(f->w.h, HAL_COST_SYSCALL);
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	/* poll, read, write: no page allocation and no IOAS_MAP attempted */
	assert_int_equal(syscalls + 3, fake_hal_charges(f->w.h, HAL_COST_SYSCALL));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 3, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.user.pages_mapped"));
	assert_int_equal(2, dom(f, 0)->nr_maps);
}

static void test_batch_size(void **state)
{
	struct fix *f = fix_new(2);
	uint64_t syscalls;
	unsigned int g;

	*state = f;
	for (g = 0; g < 5; g++)
		assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, g, P_R, 0x1000u * (g + 1)));
	assert_int_equal(2, px_pager_serve_once(f->pg, 0));
	assert_int_equal(2, px_pager_serve_once(f->pg, 0));
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	assert_int_equal(0, px_pager_serve_once(f->pg, 0));
	/*
	 * A group larger than the batch is still read whole: read() fails with
	 * -EINVAL while the head group does not fit (Linux 6.18), and the
	 * buffer doubles: 2 -> 4 -> 8 messages, three reads.
	 */
	for (g = 0; g < 4; g++)
		assert_int_equal(0, world_report(&f->w, 1, 0, 0, 9, P_R, 0x100000u + 0x1000u * g));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 9, P_R, 0x200000));
	syscalls = fake_hal_charges(f->w.h, HAL_COST_SYSCALL);
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	/* poll, 3 reads, 1 write (5 IOAS_MAPs and 5 page allocations) */
	assert_int_equal(syscalls + 5 + 10, fake_hal_charges(f->w.h, HAL_COST_SYSCALL));
	assert_int_equal(8, f->pg->fh.cap_msgs);
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 9, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(6, f->w.m->nr_resp);
	assert_non_null(mock_find_map(dom(f, 1), 0x103000));
}

struct detach_hook {
	struct fix *f;
	unsigned int calls;
	int rc;
};

/* At the 2nd syscall (the read() after poll()), detach device 0, once. */
static void detach_on_read(void *arg)
{
	struct detach_hook *d = arg;
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };
	struct px_pager *pg = d->f->pg;

	if (++d->calls != 2)
		return;
	d->rc = px_ioctl(pg->proc, pg->devs[0].fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
}

/*
 * POLLIN, then the queue empties before read() (the detach answered the
 * group): read() returns 0, which is "nothing to serve", not "grow the
 * buffer" (that is -EINVAL).
 */
static void test_read_zero_after_poll(void **state)
{
	struct fix *f = *state;
	struct detach_hook d = { .f = f, .rc = -1 };
	const unsigned int cap = f->pg->fh.cap_msgs;
	uint64_t syscalls;

	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x1000));
	syscalls = fake_hal_charges(f->w.h, HAL_COST_SYSCALL);
	fake_hal_set_charge_hook(f->w.h, HAL_COST_SYSCALL, detach_on_read, &d);
	assert_int_equal(0, px_pager_serve_once(f->pg, 0));
	fake_hal_set_charge_hook(f->w.h, HAL_COST_SYSCALL, NULL, NULL);
	assert_int_equal(0, d.rc);
	/* poll, detach, one read, and no write */
	assert_int_equal(syscalls + 3, fake_hal_charges(f->w.h, HAL_COST_SYSCALL));
	assert_int_equal(cap, f->pg->fh.cap_msgs);
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, f->w.m->nr_resp);
	assert_int_equal(0, fake_hal_stat(f->w.h, "sw.user.faults_served"));
}

static void test_unexpected_messages(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_pgfault msg[4];
	ssize_t n;

	/* Through the real path: a request with neither R nor W. */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, 0, 0x1000));
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.user.bad_messages"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0008.user.bad_messages"));
	assert_int_equal(0, dom(f, 0)->nr_maps);

	/* Messages altered after read(): each group gets INVALID, never a crash. */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 4, P_R, 0x4000));
	n = px_read(f->pg->proc, f->pg->fault_fd, msg, sizeof(msg));
	assert_int_equal(3 * MSZ, n);
	msg[0].dev_id = 77;                        /* not one of ours */
	msg[1].flags |= F_PASID;                   /* we attached no PASID */
	msg[2].__reserved = 1;
	assert_int_equal(3, px_pager_handle(f->pg, msg, 3));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 3, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 4, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(4, fake_hal_stat(f->w.h, "sw.user.bad_messages"));

	/* A LAST flag in the middle of a group, and a cookie 0: counted; no crash. */
	assert_int_equal(0, world_report(&f->w, 1, 0, 0, 5, P_R, 0x5000));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 5, P_R, 0x6000));
	n = px_read(f->pg->proc, f->pg->fault_fd, msg, sizeof(msg));
	assert_int_equal(2 * MSZ, n);
	msg[0].flags |= F_LAST;
	msg[2] = msg[1];
	msg[2].cookie = 0;
	assert_int_equal(1, px_pager_handle(f->pg, msg, 3));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 5, IOMMU_PAGE_RESP_INVALID));
	/* one misplaced LAST + one cookie-0 message */
	assert_int_equal(6, fake_hal_stat(f->w.h, "sw.user.bad_messages"));
	/* A cookie the kernel does not know: the write is refused and logged. */
	msg[0].cookie = 1234;
	msg[0].flags = F_LAST;
	assert_int_equal(1, px_pager_handle(f->pg, msg, 1));
	assert_int_equal(-EINVAL, px_pager_handle(f->pg, msg, 1000));
	assert_int_equal(5, f->w.m->nr_resp);
}

static void test_map_failure_invalid(void **state)
{
	struct fix *f = *state;
	unsigned int live = fake_hal_dma_live(f->w.h);

	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x1000));
	fake_hal_fail_filter(f->w.h, "mock.map_pages");
	fake_hal_fail_nth(f->w.h, 1);
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	fake_hal_fail_nth(f->w.h, 0);
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(live, fake_hal_dma_live(f->w.h));
	assert_int_equal(0, fake_hal_stat(f->w.h, "sw.user.pages_mapped"));
	/* The page is not remembered as mapped: the next fault maps it. */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R, 0x1000));
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.user.pages_mapped"));
}

static void test_many_pages(void **state)
{
	struct fix *f = *state;
	unsigned int i;
	int served = 0, rc;

	/* Enough pages to make the page set grow several times. */
	for (i = 0; i < 1500; i++)
		assert_int_equal(0, world_report(&f->w, i & 1, F_LAST, 0, i & 0x1ff, P_W,
						 0x10000000ull + 0x1000ull * i));
	while ((rc = px_pager_serve_once(f->pg, 0)) > 0)
		served += rc;
	assert_int_equal(1500, served);
	assert_int_equal(1500, fake_hal_stat(f->w.h, "sw.user.pages_mapped"));
	assert_int_equal(1500, fake_hal_stat(f->w.h, "sw.iopf.responses.success"));
	assert_int_equal(750, dom(f, 0)->nr_maps);
	assert_int_equal(750, dom(f, 1)->nr_maps);
}

/*
 * Eviction (sw.user.resident_pages): past the limit, mapping a page first
 * unmaps the one mapped longest ago (IOMMU_IOAS_UNMAP) and frees it; a
 * fault on an evicted page maps it again; a fault on a resident one maps
 * nothing.
 */
static void test_evict_oldest(void **state)
{
	struct fix *f = *state;
	const unsigned int live = fake_hal_dma_live(f->w.h);
	unsigned int i;

	f->pg->resident_pages = 4;
	for (i = 0; i < 10; i++) {
		assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, i, P_W, 0x10000ull + 0x1000ull * i));
		assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	}
	assert_int_equal(10, fake_hal_stat(f->w.h, "sw.user.pages_mapped"));
	assert_int_equal(6, fake_hal_stat(f->w.h, "sw.dev.0008.user.pages_evicted"));
	assert_int_equal(4, dom(f, 0)->nr_maps);
	for (i = 0; i < 10; i++) {
		if (i < 6)
			assert_null(mock_find_map(dom(f, 0), 0x10000ull + 0x1000ull * i));
		else
			assert_non_null(mock_find_map(dom(f, 0), 0x10000ull + 0x1000ull * i));
	}
	assert_int_equal(live + 4, fake_hal_dma_live(f->w.h)); /* evicted pages are freed */
	/* A resident page: nothing mapped, nothing evicted. */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 20, P_W, 0x19000));
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	assert_int_equal(6, fake_hal_stat(f->w.h, "sw.user.pages_evicted"));
	/* An evicted page faults again: mapped again, the oldest (0x16000) goes. */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 21, P_W, 0x10000));
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 21, IOMMU_PAGE_RESP_SUCCESS));
	assert_non_null(mock_find_map(dom(f, 0), 0x10000));
	assert_null(mock_find_map(dom(f, 0), 0x16000));
	assert_int_equal(7, fake_hal_stat(f->w.h, "sw.user.pages_evicted"));
	assert_int_equal(4, dom(f, 0)->nr_maps);
	/* The other device is untouched. */
	assert_int_equal(0, dom(f, 1)->nr_maps);
}

/* The page set stays consistent through many removals (backward shift). */
static void test_evict_many(void **state)
{
	struct fix *f = *state;
	unsigned int i;
	int served = 0, rc;

	f->pg->resident_pages = 100;
	for (i = 0; i < 700; i++)
		assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, i & 0x1ff, P_W,
						 0x10000000ull + 0x1000ull * ((i * 7919u) % 1000u)));
	while ((rc = px_pager_serve_once(f->pg, 0)) > 0)
		served += rc;
	assert_int_equal(700, served);
	assert_int_equal(600, fake_hal_stat(f->w.h, "sw.user.pages_evicted"));
	assert_int_equal(100, dom(f, 0)->nr_maps);
	assert_int_equal(100, f->pg->devs[0].mapped.count);
	/* Each resident page is found: faulting on it maps nothing more. */
	for (i = 600; i < 700; i++)
		assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, i & 0x1ff, P_W,
						 0x10000000ull + 0x1000ull * ((i * 7919u) % 1000u)));
	while (px_pager_serve_once(f->pg, 0) > 0)
		;
	assert_int_equal(700, fake_hal_stat(f->w.h, "sw.user.pages_mapped"));
	assert_int_equal(600, fake_hal_stat(f->w.h, "sw.user.pages_evicted"));
}

/*
 * Detach with faults pending (sw.user.detach_after = 2, device 0), one group
 * per read: the handler holds device 0's first two groups unanswered and
 * then detaches it. The kernel answers INVALID both held groups and the
 * third, still queued; the handler writes nothing for any of them. Device
 * 1 is served as usual, and a later request of device 0 finds no handler.
 */
static void test_detach_pending(void **state)
{
	struct fix *f = fix_new(1);
	unsigned int g;

	*state = f;
	assert_int_equal(0, fake_hal_stat(f->w.h, "sw.user.groups_held"));
	f->pg->detach_after = 2;
	f->pg->detach_dev = 0;
	for (g = 1; g <= 3; g++)
		assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, g, P_W, 0x1000ull * g));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 4, P_W, 0x4000));
	/* Round 1: group 1 held. */
	assert_int_equal(0, px_pager_serve_once(f->pg, 0));
	assert_int_equal(0, f->w.m->nr_resp);
	assert_false(f->pg->devs[0].detached);
	/* Round 2: group 2 held, the device detached; group 3 was never read. */
	assert_int_equal(0, px_pager_serve_once(f->pg, 0));
	assert_true(f->pg->devs[0].detached);
	assert_null(f->w.dev[0]->domain);
	for (g = 1; g <= 3; g++) {
		assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), g, IOMMU_PAGE_RESP_INVALID));
		assert_int_equal(0, mock_count_resp(f->w.m, W_RID(0), g, IOMMU_PAGE_RESP_SUCCESS));
	}
	assert_int_equal(3, f->w.m->nr_resp);
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.dev.0008.iommufd.auto_responses"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.dev.0008.user.groups_held"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0008.user.devices_detached"));
	assert_int_equal(0, fake_hal_stat(f->w.h, "sw.dev.0008.user.faults_served"));
	/* Round 3: device 1's group, served. */
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 4, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(0, px_pager_serve_once(f->pg, 0));
	/* Detached: no handler for device 0 any more, io-pgfault answers at once. */
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_LAST, 0, 5, P_W, 0x5000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 5, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(0, px_pager_serve_once(f->pg, 0));
	assert_int_equal(5, f->w.m->nr_resp);
	/* A second detach is a no-op. */
	assert_int_equal(0, px_pager_detach(f->pg, &f->pg->devs[0]));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.user.devices_detached"));
}

/*
 * Held groups read in the same batch as the detach: the ones after the
 * detaching group were answered by the kernel already and are held too
 * (never written: a write would be refused).
 */
static void test_detach_pending_one_batch(void **state)
{
	struct fix *f = *state;
	unsigned int g;

	f->pg->detach_after = 1;
	f->pg->detach_dev = 1;
	for (g = 1; g <= 3; g++)
		assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, g, P_R, 0x1000ull * g));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 9, P_R, 0x9000));
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	assert_true(f->pg->devs[1].detached);
	assert_false(f->pg->devs[0].detached);
	for (g = 1; g <= 3; g++)
		assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), g, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 9, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(4, f->w.m->nr_resp);
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.dev.0010.user.groups_held"));
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.dev.0010.iommufd.auto_responses"));
}

/* ATS ext cap at 0x100 (ID 0x0F, next 0x110), PRI capacity 32. */
static struct fix *fix_vevent(uint32_t depth)
{
	struct fix *f = calloc(1, sizeof(*f));
	unsigned int i;

	world_init(&f->w, 2);
	for (i = 0; i < 2; i++) {
		fake_hal_cfg_set(f->w.h, W_RID(i), PXDEV_CFG_ATS, 4, 0x0fu | 1u << 16 | PXDEV_CFG_PRI << 20);
		fake_hal_cfg_set(f->w.h, W_RID(i), PXDEV_CFG_PRI + 0x08, 4, 32);
	}
	fake_hal_set_param_u64(f->w.h, "sw.user.vevent_depth", depth);
	fake_hal_set_param_u64(f->w.h, "sw.user.vevent_device", 1);
	assert_int_equal(0, px_pager_create(f->w.k, &f->pg));
	assert_int_equal(0, px_pager_setup(f->pg));
	return f;
}

/* One FQ record of device i, as the RISC-V driver hands it up. */
static int vevent_report(struct fix *f, unsigned int i, uint64_t iotval)
{
	struct iommu_vevent_riscv_iommu e = {
		.hdr = 260u | (9ull << 34) | ((uint64_t)W_RID(i) << 40),
		.iotval = iotval,
	};

	return iommu_report_device_event(f->w.dev[i], IOMMU_VEVENTQ_TYPE_RISCV_IOMMU, &e, sizeof(e));
}

static uint16_t cfg16(struct fix *f, unsigned int i, unsigned int off)
{
	const uint8_t *c = fake_hal_cfg_space(f->w.h, W_RID(i));

	return (uint16_t)(c[off] | c[off + 1] << 8);
}

/*
 * sw.user.vevent_depth: device 1 goes on a nesting-parent HWPT with a
 * vIOMMU and a vEVENTQ, no fault queue, its ATS and PRI enabled through
 * the config region; device 0 is served as usual. One round reads the
 * events and answers the groups; events past the depth are counted lost
 * (a LOST_EVENTS header and the sequence gap before it).
 */
static void test_vevents(void **state)
{
	struct fix *f = fix_vevent(4);
	const uint8_t *c;
	unsigned int i;

	*state = f;
	assert_int_equal(2, f->pg->nr_devs);
	assert_true(f->pg->veventq_fd >= 0);
	assert_false(f->pg->devs[0].vevents);
	assert_true(f->pg->devs[1].vevents);
	assert_non_null(f->w.dev[1]->domain);
	assert_null(f->w.dev[1]->fault_param); /* no IOPF: its DC has no PRI */
	assert_non_null(f->w.dev[0]->fault_param);
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0010.user.vevent_devices"));
	/* The guest's enables reached device 1 only. */
	assert_true(cfg16(f, 1, PXDEV_CFG_ATS + 0x06) & 0x8000u);
	assert_int_equal(1, cfg16(f, 1, PXDEV_CFG_PRI + 0x04) & 1u);
	c = fake_hal_cfg_space(f->w.h, W_RID(1));
	assert_int_equal(32, c[PXDEV_CFG_PRI + 0x0c]);
	assert_int_equal(0, cfg16(f, 0, PXDEV_CFG_ATS + 0x06));

	/* Events and a group in one round. */
	for (i = 0; i < 3; i++)
		assert_int_equal(0, vevent_report(f, 1, 0x1000ull * i));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_W, 0x1000));
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.dev.0010.user.vevents_read"));
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.iommufd.vevents_read"));
	/* Events alone: 0 groups. */
	assert_int_equal(0, vevent_report(f, 1, 0x9000));
	assert_int_equal(0, px_pager_serve_once(f->pg, 0));
	assert_int_equal(4, fake_hal_stat(f->w.h, "sw.user.vevents_read"));
	assert_int_equal(0, px_pager_serve_once(f->pg, 0)); /* nothing: poll timeout */
	/* Six events on a queue of 4: 4 read, 2 lost. */
	for (i = 0; i < 6; i++)
		assert_int_equal(0, vevent_report(f, 1, 0x20000ull + 0x1000ull * i));
	assert_int_equal(0, px_pager_serve_once(f->pg, 0));
	assert_int_equal(8, fake_hal_stat(f->w.h, "sw.user.vevents_read"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.dev.0010.user.vevents_lost"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.iommufd.vevents_lost"));
	/* The next event after the loss reads fine; nothing more is lost. */
	assert_int_equal(0, vevent_report(f, 1, 0x30000));
	assert_int_equal(1, px_pager_read_vevents(f->pg));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.user.vevents_lost"));
	assert_int_equal(0, px_pager_read_vevents(f->pg)); /* empty */
}

/* Without the key: no vEVENTQ, no vIOMMU, and no new statistic appears. */
static void test_no_vevents(void **state)
{
	struct fix *f = *state;

	assert_int_equal(-1, f->pg->veventq_fd);
	assert_int_equal(-EINVAL, px_pager_read_vevents(f->pg));
	assert_false(fake_hal_stat_exists(f->w.h, "sw.user.vevent_devices"));
}

/* The domain attached at (device i, pasid). */
static struct mock_domain *pasid_dom(struct fix *f, unsigned int i, uint32_t pasid)
{
	struct iommu_attach_handle *h = iommu_attach_handle_get(f->w.dev[i], pasid);

	assert_non_null(h);
	return to_mock_domain(h->domain);
}

/*
 * device.pasids = 2: PASIDs 1 and 2 of each device attached each to a HWPT,
 * IOAS and fault queue of its own; a fault of (device, PASID) is served from
 * that queue into that PASID's domain, one at the RID from the shared queue.
 */
/*
 * Each device's BAR0 says how many PASIDs its workload uses (device
 * classes may differ): device 0 three (capped at the handler's two),
 * device 1 none; only device 0 gets PASID queues.
 */
static void test_pasids_per_device(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	*state = f;
	world_init(&f->w, 2);
	fake_hal_set_param_u64(f->w.h, "sw.user.batch", 16);
	fake_hal_set_param_u64(f->w.h, "device.pasids", 2);
	f->w.bar0_pasids[0] = 3;
	assert_int_equal(0, px_pager_create(f->w.k, &f->pg));
	assert_int_equal(0, px_pager_setup(f->pg));
	assert_int_equal(2, f->pg->nr_devs);
	assert_int_equal(2, f->pg->devs[0].nr_pasids);
	assert_int_equal(0, f->pg->devs[1].nr_pasids);
	assert_int_equal(3, f->pg->nr_pfds); /* the shared queue and device 0's two */
	assert_int_equal(2, f->w.m->set_pasid_calls);
	/* a fault of device 1 at its RID is served from the shared queue */
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 1, P_W, 0x1000));
	assert_int_equal(1, px_pager_serve_once(f->pg, -1));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 1, IOMMU_PAGE_RESP_SUCCESS));
}

static void test_pasid_queues(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	uint32_t p;

	*state = f;
	world_init(&f->w, 2);
	fake_hal_set_param_u64(f->w.h, "sw.user.batch", 16);
	fake_hal_set_param_u64(f->w.h, "device.pasids", 2);
	f->w.bar0_pasids[0] = f->w.bar0_pasids[1] = 2;
	assert_int_equal(0, px_pager_create(f->w.k, &f->pg));
	assert_int_equal(0, px_pager_setup(f->pg));
	assert_int_equal(2, f->pg->nr_devs);
	assert_int_equal(2, f->pg->devs[0].nr_pasids);
	assert_int_equal(2, f->pg->devs[1].nr_pasids);
	assert_int_equal(5, f->pg->nr_pfds); /* the shared queue and four PASID queues */
	assert_int_equal(4, f->w.m->set_pasid_calls);
	/* four PASID domains and two RID domains, all different */
	assert_ptr_not_equal(pasid_dom(f, 0, 1), pasid_dom(f, 0, 2));
	assert_ptr_not_equal(pasid_dom(f, 0, 1), dom(f, 0));
	assert_ptr_not_equal(pasid_dom(f, 0, 1), pasid_dom(f, 1, 1));
	for (p = 1; p <= 2; p++)
		assert_int_not_equal(f->pg->devs[0].pasids[p - 1].fault_fd, f->pg->fault_fd);

	/* the same IOVA at the RID, PASID 1 and PASID 2 of device 0; PASID 2 of device 1 */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_W, 0x1000));
	assert_int_equal(0, world_report(&f->w, 0, F_PASID | F_LAST, 1, 2, P_W, 0x1000));
	assert_int_equal(0, world_report(&f->w, 0, F_PASID | F_LAST, 2, 3, P_W, 0x1000));
	assert_int_equal(0, world_report(&f->w, 1, F_PASID | F_LAST, 2, 4, P_RW, 0x3000));
	assert_int_equal(4, px_pager_serve_once(f->pg, -1));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 3, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 4, IOMMU_PAGE_RESP_SUCCESS));
	/* each mapped in its own address space: three pages for one IOVA */
	assert_non_null(mock_find_map(dom(f, 0), 0x1000));
	assert_non_null(mock_find_map(pasid_dom(f, 0, 1), 0x1000));
	assert_non_null(mock_find_map(pasid_dom(f, 0, 2), 0x1000));
	assert_non_null(mock_find_map(pasid_dom(f, 1, 2), 0x3000));
	assert_null(mock_find_map(pasid_dom(f, 1, 1), 0x3000));
	assert_int_not_equal(mock_find_map(pasid_dom(f, 0, 1), 0x1000)->pa,
			     mock_find_map(pasid_dom(f, 0, 2), 0x1000)->pa);
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0008.user.pasid.1.faults_served"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0008.user.pasid.2.faults_served"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0010.user.pasid.2.faults_served"));
	assert_int_equal(0, fake_hal_stat(f->w.h, "sw.dev.0010.user.pasid.1.faults_served"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.user.pasid.2.groups"));
	assert_int_equal(4, fake_hal_stat(f->w.h, "sw.user.faults_served"));
	assert_int_equal(4, fake_hal_dma_live(f->w.h));

	/* PASID 3 has no attach: io-pgfault answers INVALID, no queue sees it */
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_PASID | F_LAST, 3, 5, P_W, 0x1000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 5, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(0, px_pager_serve_once(f->pg, 0));
}

/* Without the key: no PASID queue, the one fault fd served as before. */
static void test_no_pasids(void **state)
{
	struct fix *f = *state;

	assert_int_equal(0, f->pg->nr_pfds);
	assert_int_equal(0, f->pg->devs[0].nr_pasids);
	assert_int_equal(0, f->w.m->set_pasid_calls);
	assert_false(fake_hal_stat_exists(f->w.h, "sw.user.pasid.1.faults_served"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_setup_and_start),
		T(test_serve_groups),
		cmocka_unit_test_teardown(test_batch_size, teardown),
		T(test_read_zero_after_poll),
		T(test_unexpected_messages),
		T(test_map_failure_invalid),
		T(test_many_pages),
		T(test_evict_oldest),
		T(test_evict_many),
		cmocka_unit_test_teardown(test_detach_pending, teardown),
		T(test_detach_pending_one_batch),
		cmocka_unit_test_teardown(test_vevents, teardown),
		T(test_no_vevents),
		cmocka_unit_test_teardown(test_pasid_queues, teardown),
		cmocka_unit_test_teardown(test_pasids_per_device, teardown),
		T(test_no_pasids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
