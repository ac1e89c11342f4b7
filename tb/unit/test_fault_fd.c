// SPDX-License-Identifier: Apache-2.0
/*
 * Description: the iommufd fault fd (linux-iopf.md §3.3 - §3.6, checklist §8
 * read(), write(), poll(), Lifecycle): ESPIPE rules, all-or-nothing groups,
 * cookies, EFAULT mid-group, message fields, write error handling, poll
 * masks and wake-up on enqueue, auto-responses on detach / replace /
 * destroy, fd close sending nothing, no timeout, and the occupancy of the
 * unread groups. read() follows Linux
 * 6.18: -EINVAL when groups are queued and the first does not fit; the
 * fd is a stream, so pread()/pwrite() are -ESPIPE at any offset.
 */
#include "test_util.h"

#include "iommufd/iommufd_private.h"

#define MSZ ((ssize_t)sizeof(struct iommu_hwpt_pgfault))
#define RSZ ((ssize_t)sizeof(struct iommu_hwpt_page_response))

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	world_init(w, 2);
	assert_int_equal(0, world_setup(w));
	*state = w;
	return 0;
}

static void test_read_espipe_and_empty(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[2];

	assert_int_equal(-ESPIPE, px_read(w->p, w->fault_fd, msg, MSZ - 1));
	assert_int_equal(-ESPIPE, px_read(w->p, w->fault_fd, msg, MSZ + 1));
	assert_int_equal(-ESPIPE, px_pread(w->p, w->fault_fd, msg, MSZ, MSZ));
	/* Empty queue: 0 at once, never blocks, never -EAGAIN; count 0 too. */
	assert_int_equal(0, px_read(w->p, w->fault_fd, msg, 0));
	assert_int_equal(0, px_read(w->p, w->fault_fd, msg, 2 * MSZ));
}

/*
 * pread()/pwrite() on the fault fd: -ESPIPE at any offset, 0 included. Linux
 * gives the anonymous fault file no FMODE_PREAD/FMODE_PWRITE, and the VFS
 * (ksys_pread64/ksys_pwrite64) answers ESPIPE before the file's read/write
 * runs: nothing is read, no cookie is given, nothing is answered.
 */
static void test_positioned_io_espipe(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[2];
	struct iommu_hwpt_page_response r;

	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(-ESPIPE, px_pread(w->p, w->fault_fd, msg, MSZ, 0));
	assert_int_equal(-ESPIPE, px_pread(w->p, w->fault_fd, msg, 2 * MSZ, 0));
	assert_int_equal(-ESPIPE, px_pread(w->p, w->fault_fd, msg, 0, 0));
	assert_int_equal(-ESPIPE, px_pread(w->p, w->fault_fd, NULL, MSZ, 0));
	/* read() of a count that is not a multiple of 40 with a group queued: ESPIPE */
	assert_int_equal(-ESPIPE, px_read(w->p, w->fault_fd, msg, MSZ + 1));
	assert_int_equal(-ESPIPE, px_read(w->p, w->fault_fd, msg, MSZ - 1));
	/* and a write() of a count that is not a multiple of 8 */
	assert_int_equal(-ESPIPE, px_write(w->p, w->fault_fd, msg, RSZ + 1));
	/* A negative loff_t is EINVAL before anything else; a bad fd EBADF. */
	assert_int_equal(-EINVAL, px_pread(w->p, w->fault_fd, msg, MSZ, UINT64_MAX));
	assert_int_equal(-EBADF, px_pread(w->p, 99, msg, MSZ, 0));
	/* The group is untouched: still queued, first cookie still free, nothing answered. */
	assert_int_equal(PX_POLLIN, t_poll(w, w->fault_fd, PX_POLLIN));
	assert_int_equal(0, fake_hal_stat(w->h, "sw.iommufd.msgs_read"));
	assert_int_equal(0, w->m->nr_resp);
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg, 2));
	assert_int_equal(1, msg[0].cookie);

	r = (struct iommu_hwpt_page_response){ msg[0].cookie, IOMMUFD_PAGE_RESP_SUCCESS };
	assert_int_equal(-ESPIPE, px_pwrite(w->p, w->fault_fd, &r, RSZ, 0));
	assert_int_equal(-ESPIPE, px_pwrite(w->p, w->fault_fd, &r, 0, 0));
	assert_int_equal(-EINVAL, px_pwrite(w->p, w->fault_fd, &r, RSZ, UINT64_MAX));
	/* Nothing answered; the cookie is still valid for write(). */
	assert_int_equal(0, w->m->nr_resp);
	assert_int_equal(0, fake_hal_charges(w->h, HAL_COST_FD_WRITE_MSG));
	assert_int_equal(RSZ, px_write(w->p, w->fault_fd, &r, RSZ));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, w->m->nr_resp);
}

/*
 * Checklist #14: count 0 with groups queued is -EINVAL (Linux 6.18: the
 * first group does not fit), not 0; nothing is consumed.
 */
static void test_read_count_zero_with_groups(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[2];

	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(-EINVAL, px_read(w->p, w->fault_fd, msg, 0));
	assert_int_equal(-EINVAL, px_read(w->p, w->fault_fd, NULL, 0));
	/* The group is still at the head, undelivered, without a cookie. */
	assert_int_equal(PX_POLLIN, t_poll(w, w->fault_fd, PX_POLLIN));
	assert_int_equal(0, fake_hal_stat(w->h, "sw.iommufd.msgs_read"));
	assert_int_equal(0, fake_hal_charges(w->h, HAL_COST_FD_READ_MSG));
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, 1, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg, 2));
	assert_int_equal(1, msg[0].grpid);
	assert_int_equal(1, msg[0].cookie);
	/* Queue empty again: count 0 reads 0. */
	assert_int_equal(0, px_read(w->p, w->fault_fd, msg, 0));
	assert_int_equal(0, w->m->nr_resp);
}

static void test_read_buffer_smaller_than_group(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[3];

	assert_int_equal(0, world_report(w, 0, 0, 0, 4, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, 0, 0, 4, P_R, 0x2000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 4, P_R, 0x3000));
	/* Checklist #16: nothing fits, so -EINVAL (Linux 6.18), not 0. */
	assert_int_equal(-EINVAL, t_read_msgs(w, w->fault_fd, msg, 2));
	assert_int_equal(-EINVAL, t_read_msgs(w, w->fault_fd, msg, 1));
	/* The group stays at the head, whole: nothing read, no cookie given. */
	assert_true(t_poll(w, w->fault_fd, PX_POLLIN) & PX_POLLIN);
	assert_int_equal(0, fake_hal_stat(w->h, "sw.iommufd.msgs_read"));
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, 1, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(3 * MSZ, t_read_msgs(w, w->fault_fd, msg, 3));
	/* Partials in arrival order, LAST at the end, one cookie. */
	assert_int_equal(0x1000, msg[0].addr);
	assert_int_equal(0x2000, msg[1].addr);
	assert_int_equal(0x3000, msg[2].addr);
	assert_int_equal(0, msg[0].flags & F_LAST);
	assert_int_equal(F_LAST, msg[2].flags & F_LAST);
	assert_int_equal(msg[0].cookie, msg[2].cookie);
	assert_int_equal(msg[1].cookie, msg[2].cookie);
	assert_int_equal(3, fake_hal_stat(w->h, "sw.iommufd.msgs_read"));
	assert_int_equal(3, fake_hal_charges(w->h, HAL_COST_FD_READ_MSG));
}

static void test_read_several_groups(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[4];

	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, 0, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x3000));
	assert_int_equal(0, world_report(w, 1, F_LAST, 0, 3, P_R, 0x4000));
	/* 2 slots: group 1 fits, group 2 (2 msgs) does not fit in what is left. */
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg, 2));
	assert_int_equal(1, msg[0].grpid);
	/* 1 slot: group 2 is now first and does not fit at all. */
	assert_int_equal(-EINVAL, t_read_msgs(w, w->fault_fd, msg, 1));
	assert_int_equal(3 * MSZ, t_read_msgs(w, w->fault_fd, msg, 4));
	assert_int_equal(2, msg[0].grpid);
	assert_int_equal(2, msg[1].grpid);
	assert_int_equal(3, msg[2].grpid);
	assert_int_equal(w->dev_id[1], msg[2].dev_id);
	assert_int_not_equal(msg[0].cookie, msg[2].cookie);
}

static void test_cookies(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[4];

	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(2 * MSZ, t_read_msgs(w, w->fault_fd, msg, 4));
	assert_int_equal(1, msg[0].cookie);
	assert_int_equal(2, msg[1].cookie);
	assert_int_equal(RSZ, t_respond(w, w->fault_fd, 1, IOMMUFD_PAGE_RESP_SUCCESS));
	/* The lowest free cookie is reused right after its response. */
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 4, P_R, 0x4000));
	assert_int_equal(2 * MSZ, t_read_msgs(w, w->fault_fd, msg, 4));
	assert_int_equal(1, msg[0].cookie);
	assert_int_equal(3, msg[1].cookie);
}

static void test_efault_mid_group_and_new_cookie(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[4];

	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, 0, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x3000));
	/* Copies: #1 group 1, #2 and #3 group 2. Fail the 3rd: mid-group. */
	fake_hal_fail_filter(w->h, "uaccess.copy_to_user");
	fake_hal_fail_nth(w->h, 3);
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg, 4));
	assert_true(fake_hal_failed(w->h));
	fake_hal_fail_nth(w->h, 0);
	assert_int_equal(1, msg[0].grpid);
	assert_int_equal(1, msg[0].cookie);
	/* Group 2 was not reported as read; it is back at the head. */
	assert_true(t_poll(w, w->fault_fd, PX_POLLIN) & PX_POLLIN);
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, 2, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(RSZ, t_respond(w, w->fault_fd, 1, IOMMUFD_PAGE_RESP_SUCCESS));
	/* Re-read: a new cookie (1 now, not the 2 it had). */
	assert_int_equal(2 * MSZ, t_read_msgs(w, w->fault_fd, msg, 4));
	assert_int_equal(2, msg[0].grpid);
	assert_int_equal(1, msg[0].cookie);
	assert_int_equal(1, msg[1].cookie);

	/* EFAULT on the first copy: -EFAULT, nothing consumed. */
	assert_int_equal(0, world_report(w, 1, F_LAST, 0, 5, P_R, 0x5000));
	fake_hal_fail_nth(w->h, 1);
	assert_int_equal(-EFAULT, t_read_msgs(w, w->fault_fd, msg, 4));
	fake_hal_fail_nth(w->h, 0);
	assert_int_equal(-EFAULT, px_read(w->p, w->fault_fd, NULL, MSZ));
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg, 4));
	assert_int_equal(5, msg[0].grpid);
}

static void test_message_fields(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg;
	const uint32_t perm = P_RW | IOMMU_FAULT_PERM_EXEC | IOMMU_FAULT_PERM_PRIV;

	memset(&msg, 0xa5, sizeof(msg));
	/* PASID 0 routes to the RID attach (IOMMU_NO_PASID). */
	assert_int_equal(0, world_report(w, 1, F_LAST | F_PASID | F_NEEDS_PASID, 0, 0x1ff, perm,
					 0x12345000));
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, &msg, 1));
	assert_int_equal(F_LAST | F_PASID | F_NEEDS_PASID, msg.flags); /* bit 2 raw */
	assert_int_equal(IOMMU_PGFAULT_FLAGS_LAST_PAGE | IOMMU_PGFAULT_FLAGS_PASID_VALID |
			 IOMMU_PGFAULT_FLAGS_NEEDS_PASID, msg.flags);
	assert_int_equal(w->dev_id[1], msg.dev_id);                   /* not the RID */
	assert_int_not_equal(W_RID(1), msg.dev_id);
	assert_int_equal(0, msg.pasid);
	assert_int_equal(0x1ff, msg.grpid);
	assert_int_equal(perm, msg.perm);
	assert_int_equal(0, msg.__reserved);
	assert_int_equal(0x12345000, msg.addr);
	assert_int_equal(0, msg.length);
	assert_true(msg.cookie >= 1);
	/* A request the driver did not mark carries no NEEDS_PASID. */
	assert_int_equal(0, world_report(w, 1, F_LAST | F_PASID, 0, 0x1fe, P_R, 0x2000));
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, &msg, 1));
	assert_int_equal(IOMMU_PGFAULT_FLAGS_LAST_PAGE | IOMMU_PGFAULT_FLAGS_PASID_VALID,
			 msg.flags);
}

static void test_write_rules(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[4];
	struct iommu_hwpt_page_response r[3];

	assert_int_equal(0, world_report(w, 0, 0, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1800));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(3 * MSZ, t_read_msgs(w, w->fault_fd, msg, 4));
	assert_int_equal(1, msg[0].cookie);
	assert_int_equal(2, msg[2].cookie);

	assert_int_equal(-ESPIPE, px_write(w->p, w->fault_fd, r, RSZ - 1));
	assert_int_equal(-ESPIPE, px_write(w->p, w->fault_fd, r, RSZ + 4));
	assert_int_equal(-ESPIPE, px_pwrite(w->p, w->fault_fd, r, RSZ, 8));
	assert_int_equal(-ESPIPE, px_pwrite(w->p, w->fault_fd, r, RSZ, 0));
	assert_int_equal(0, px_write(w->p, w->fault_fd, r, 0));
	assert_int_equal(-EFAULT, px_write(w->p, w->fault_fd, NULL, RSZ));
	/* FAILURE (2) and other codes are refused and do not consume the cookie. */
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, 1, IOMMU_PAGE_RESP_FAILURE));
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, 1, 7));
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, 0, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, 99, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(0, w->m->nr_resp);

	/* A batch stops at the first bad entry and returns the good prefix. */
	r[0] = (struct iommu_hwpt_page_response){ 1, IOMMUFD_PAGE_RESP_SUCCESS };
	r[1] = (struct iommu_hwpt_page_response){ 99, IOMMUFD_PAGE_RESP_SUCCESS };
	r[2] = (struct iommu_hwpt_page_response){ 2, IOMMUFD_PAGE_RESP_INVALID };
	assert_int_equal(RSZ, px_write(w->p, w->fault_fd, r, sizeof(r)));
	assert_int_equal(1, w->m->nr_resp);
	/* The response uses the LAST request of the group. */
	assert_int_equal(W_RID(0), w->m->resp[0].rid);
	assert_int_equal(1, w->m->resp[0].grpid);
	assert_int_equal(0x1800, w->m->resp[0].req_addr);
	assert_int_equal(IOMMU_PAGE_RESP_SUCCESS, w->m->resp[0].code);
	/* Used cookie: EINVAL. */
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, 1, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(RSZ, px_write(w->p, w->fault_fd, &r[2], RSZ));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(2, w->m->nr_resp);
	assert_int_equal(2, fake_hal_stat(w->h, "sw.iommufd.responses"));
	assert_int_equal(2, fake_hal_charges(w->h, HAL_COST_FD_WRITE_MSG));
}

static void test_poll_masks(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg;

	assert_int_equal(PX_POLLOUT, t_poll(w, w->fault_fd, PX_POLLIN | PX_POLLOUT));
	assert_int_equal(0, t_poll(w, w->fault_fd, PX_POLLIN));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(PX_POLLIN | PX_POLLOUT | PX_POLLRDNORM,
			 t_poll(w, w->fault_fd, PX_POLLIN | PX_POLLOUT | PX_POLLRDNORM));
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, &msg, 1));
	/* Delivered but unanswered: no POLLIN. */
	assert_int_equal(PX_POLLOUT, t_poll(w, w->fault_fd, PX_POLLIN | PX_POLLOUT));
	/* A closed fd polls POLLNVAL. */
	assert_int_equal(PX_POLLNVAL, t_poll(w, 99, PX_POLLIN));
}

struct hook_arg {
	struct world *w;
	int rc;
};

static void report_from_other_task(void *arg)
{
	struct hook_arg *a = arg;

	a->rc = world_report(a->w, 1, F_LAST, 0, 7, P_W, 0x7000);
}

static void test_poll_blocks_until_enqueue(void **state)
{
	struct world *w = *state;
	struct px_pollfd pfd = { .fd = w->fault_fd, .events = PX_POLLIN };
	struct hook_arg a = { w, -1 };
	unsigned int wakeups = fake_hal_wakeups(w->h);

	/* Nothing queued and nobody enqueues: the wait times out. */
	assert_int_equal(0, px_poll(w->p, &pfd, 1, 5));
	assert_int_equal(0, pfd.revents);
	assert_int_equal(0, fake_hal_charges(w->h, HAL_COST_WAKEUP));
	/* Blocked forever until another task reports a fault: the enqueue wakes us. */
	fake_hal_set_wait_hook(w->h, report_from_other_task, &a);
	assert_int_equal(1, px_poll(w->p, &pfd, 1, -1));
	assert_int_equal(0, a.rc);
	assert_int_equal(PX_POLLIN, pfd.revents);
	assert_int_equal(wakeups + 1, fake_hal_wakeups(w->h));
	assert_int_equal(1, fake_hal_charges(w->h, HAL_COST_WAKEUP));
	/* The poller unregistered: a later enqueue wakes nobody. */
	assert_int_equal(0, world_report(w, 1, F_LAST, 0, 8, P_W, 0x8000));
	assert_int_equal(wakeups + 1, fake_hal_wakeups(w->h));
}

static void test_detach_auto_response(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[4];

	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 1, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(w, 1, F_LAST, 0, 4, P_R, 0x4000));
	/* Deliver grpid 1 (dev0) and 3 (dev1); 2 (dev0) and 4 (dev1) stay queued. */
	assert_int_equal(2 * MSZ, t_read_msgs(w, w->fault_fd, msg, 2));
	assert_int_equal(0, t_detach(w, w->vfio_fd[0]));
	/* Only dev0's groups, delivered or not, are answered INVALID. */
	assert_int_equal(2, w->m->nr_resp);
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(2, fake_hal_stat(w->h, "sw.iommufd.auto_responses"));
	assert_int_equal(2, fake_hal_stat(w->h, "sw.dev.0008.iommufd.auto_responses"));
	/* Its cookie is gone; dev1's groups are untouched. */
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, msg[0].cookie, 0));
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg + 2, 2));
	assert_int_equal(4, msg[2].grpid);
	assert_int_equal(RSZ, t_respond(w, w->fault_fd, msg[1].cookie, 0));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(1), 3, IOMMU_PAGE_RESP_SUCCESS));
	/* IOPF was disabled and the device blocked. */
	assert_null(w->dev[0]->fault_param);
	assert_null(w->dev[0]->domain);
	assert_int_equal(-EINVAL, world_report(w, 0, F_LAST, 0, 5, P_R, 0x5000));
}

static void test_replace_auto_response(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[2];
	uint32_t fault2, hwpt2;
	int fd2;

	assert_int_equal(0, t_fault_alloc(w, &fault2, &fd2));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, w->dev_id[0], w->ioas_id,
					 fault2, &hwpt2));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(w, 1, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg, 1));

	/* A failed replace answers nothing and keeps the old attach. */
	w->m->attach_err = -EIO;
	assert_int_equal(-EIO, t_attach(w, w->vfio_fd[0], hwpt2));
	assert_int_equal(0, w->m->nr_resp);
	assert_non_null(w->dev[0]->fault_param);

	/* Replace: dev0's old groups answered INVALID on the old fault object. */
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], hwpt2));
	assert_int_equal(2, w->m->nr_resp);
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	/* The read group's cookie died with it: its answer is refused, nothing sent. */
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, msg[0].cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(2, w->m->nr_resp);
	/* New faults go to the new fault object; dev1's group stays on the old one. */
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 4, P_R, 0x4000));
	assert_int_equal(MSZ, t_read_msgs(w, fd2, msg, 2));
	assert_int_equal(4, msg[0].grpid);
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg, 2));
	assert_int_equal(3, msg[0].grpid);
	/* Replacing with a non-faultable HWPT disables IOPF. */
	assert_int_equal(0, t_hwpt_alloc(w, 0, w->dev_id[0], w->ioas_id, 0, &hwpt2));
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], hwpt2));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 4, IOMMU_PAGE_RESP_INVALID));
	assert_null(w->dev[0]->fault_param);
}

/*
 * Replace a PASID's HWPT (VFIO_DEVICE_ATTACH_PASID again) with groups of
 * it pending, read and unread: a failed replace answers nothing; a
 * replace answers them INVALID on the old HWPT's fault object, their
 * cookies die, the RID's groups stay, and new faults of the PASID reach
 * the new HWPT's queue.
 */
static void test_pasid_replace_auto_response(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[2];
	uint32_t fault2, fault3, hwpt_r, hwpt_a, hwpt_b;
	int fd2, fd3;

	assert_int_equal(0, t_fault_alloc(w, &fault2, &fd2));
	assert_int_equal(0, t_fault_alloc(w, &fault3, &fd3));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
					 w->dev_id[0], w->ioas_id, w->fault_id, &hwpt_r));
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], hwpt_r));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
					 w->dev_id[0], w->ioas_id, fault2, &hwpt_a));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
					 w->dev_id[0], w->ioas_id, fault3, &hwpt_b));
	assert_int_equal(0, t_attach_pasid(w, w->vfio_fd[0], 9, hwpt_a));
	w->m->nr_resp = 0;
	assert_int_equal(0, world_report(w, 0, F_LAST | F_PASID, 9, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, F_LAST | F_PASID, 9, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(MSZ, t_read_msgs(w, fd2, msg, 1));
	assert_int_equal(1, msg[0].grpid);

	/* A failed replace answers nothing and keeps the old HWPT. */
	w->m->set_pasid_err = -EIO;
	assert_int_equal(-EIO, t_attach_pasid(w, w->vfio_fd[0], 9, hwpt_b));
	assert_int_equal(0, w->m->nr_resp);
	assert_int_equal(RSZ, t_respond(w, fd2, msg[0].cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(0, world_report(w, 0, F_LAST | F_PASID, 9, 4, P_R, 0x4000));
	assert_int_equal(MSZ, t_read_msgs(w, fd2, msg, 1));
	assert_int_equal(2, msg[0].grpid);

	/* The replace: grpid 2 (read) and 4 (unread) INVALID; the RID's 3 untouched. */
	assert_int_equal(0, t_attach_pasid(w, w->vfio_fd[0], 9, hwpt_b));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 4, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(0, mock_count_resp(w->m, W_RID(0), 3, -1));
	assert_int_equal(3, w->m->nr_resp);
	assert_int_equal(-EINVAL, t_respond(w, fd2, msg[0].cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(0, px_read(w->p, fd2, msg, MSZ));
	/* New faults of PASID 9 reach the new HWPT's queue */
	assert_int_equal(0, world_report(w, 0, F_LAST | F_PASID, 9, 5, P_R, 0x5000));
	assert_int_equal(MSZ, t_read_msgs(w, fd3, msg, 1));
	assert_int_equal(5, msg[0].grpid);
	assert_int_equal(9, msg[0].pasid);
	assert_int_equal(RSZ, t_respond(w, fd3, msg[0].cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	/* and the RID's group is still the user's to answer */
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg, 1));
	assert_int_equal(3, msg[0].grpid);
	assert_int_equal(RSZ, t_respond(w, w->fault_fd, msg[0].cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(0, t_detach_pasid(w, w->vfio_fd[0], 9));
	assert_int_equal(0, px_close(w->p, fd2));
	assert_int_equal(0, px_close(w->p, fd3));
}

/* Attach per PASID (VFIO_DEVICE_ATTACH_PASID): the PASID's faults reach its
 * HWPT's fault queue, the RID's the RID's; the HWPTs must be
 * PASID-compatible; detaching the PASID answers its groups INVALID, read or
 * not, and leaves the RID's alone; IOPF follows the fault-capable attaches. */
static void test_pasid_attach_own_fault_queue(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[4];
	uint32_t fault2, hwpt_p, hwpt_r, hwpt_n;
	int fd2;

	assert_int_equal(0, t_fault_alloc(w, &fault2, &fd2));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID, w->dev_id[0],
					 w->ioas_id, fault2, &hwpt_p));
	/* The RID's HWPT is not PASID-compatible: no PASID attach beside it. */
	assert_int_equal(-EINVAL, t_attach_pasid(w, w->vfio_fd[0], 7, hwpt_p));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID, w->dev_id[0],
					 w->ioas_id, w->fault_id, &hwpt_r));
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], hwpt_r));
	assert_int_equal(0, t_attach_pasid(w, w->vfio_fd[0], 7, hwpt_p));
	assert_int_equal(1, w->m->set_pasid_calls);
	/* Out of the device's range (the mock's max_pasids is 256). */
	assert_int_equal(-EINVAL, t_attach_pasid(w, w->vfio_fd[0], 256, hwpt_p));
	/* The same HWPT again: nothing to do. */
	assert_int_equal(0, t_attach_pasid(w, w->vfio_fd[0], 7, hwpt_p));
	assert_int_equal(1, w->m->set_pasid_calls);

	assert_int_equal(0, world_report(w, 0, F_LAST | F_PASID, 7, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(w, 0, F_LAST | F_PASID, 7, 3, P_R, 0x3000));
	assert_int_equal(-EINVAL, world_report(w, 0, F_LAST | F_PASID, 8, 4, P_R, 0x4000));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 4, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(MSZ, t_read_msgs(w, fd2, msg, 1));
	assert_int_equal(w->dev_id[0], msg[0].dev_id);
	assert_int_equal(7, msg[0].pasid);
	assert_int_equal(1, msg[0].grpid);
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg + 1, 1));
	assert_int_equal(2, msg[1].grpid);

	/* While a PASID is attached, the RID takes only a PASID-compatible HWPT. */
	assert_int_equal(0, t_hwpt_alloc(w, 0, w->dev_id[0], w->ioas_id, 0, &hwpt_n));
	assert_int_equal(-EINVAL, t_attach(w, w->vfio_fd[0], hwpt_n));

	/* Detach PASID 7: its read group (1) and its queued one (3) INVALID. */
	assert_int_equal(0, t_detach_pasid(w, w->vfio_fd[0], 7));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 3, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(0, mock_count_resp(w->m, W_RID(0), 2, -1));
	assert_int_equal(1, w->m->remove_pasid_calls);
	assert_int_equal(-EINVAL, t_respond(w, fd2, msg[0].cookie, 0));
	assert_int_equal(0, px_read(w->p, fd2, msg, MSZ));
	/* The RID's attach goes on: its group answered by the user, IOPF on. */
	assert_int_equal(RSZ, t_respond(w, w->fault_fd, msg[1].cookie, 0));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 2, IOMMU_PAGE_RESP_SUCCESS));
	assert_non_null(w->dev[0]->fault_param);
	assert_int_equal(-EINVAL, world_report(w, 0, F_LAST | F_PASID, 7, 5, P_R, 0x5000));
	/* Nothing attached there: 0, nothing sent. */
	assert_int_equal(0, t_detach_pasid(w, w->vfio_fd[0], 7));
	assert_int_equal(1, w->m->remove_pasid_calls);

	/* A non-faultable RID: IOPF is on exactly while a faultable PASID is attached. */
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_ALLOC_PASID, w->dev_id[0], w->ioas_id, 0, &hwpt_n));
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], hwpt_n));
	assert_null(w->dev[0]->fault_param);
	assert_int_equal(0, t_attach_pasid(w, w->vfio_fd[0], 9, hwpt_p));
	assert_non_null(w->dev[0]->fault_param);
	assert_int_equal(0, world_report(w, 0, F_LAST | F_PASID, 9, 6, P_R, 0x6000));
	assert_int_equal(0, t_detach_pasid(w, w->vfio_fd[0], 9));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 6, IOMMU_PAGE_RESP_INVALID));
	assert_null(w->dev[0]->fault_param);
	/* Left attached: closing the device file detaches it (teardown). */
	assert_int_equal(0, t_attach_pasid(w, w->vfio_fd[0], 9, hwpt_p));
	assert_int_equal(0, world_report(w, 0, F_LAST | F_PASID, 9, 7, P_R, 0x7000));
	assert_int_equal(0, px_close(w->p, w->vfio_fd[0]));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 7, IOMMU_PAGE_RESP_INVALID));
	assert_null(iommu_attach_handle_get(w->dev[0], 9));
	assert_null(w->dev[0]->fault_param);
	w->vfio_fd[0] = -1;
}

static void test_fd_close_sends_nothing(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg;

	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, &msg, 1));
	assert_int_equal(0, px_close(w->p, w->fault_fd));
	assert_int_equal(0, w->m->nr_resp);
	/* The object lives on: faults still queue, and detach answers them. */
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(0, w->m->nr_resp);
	assert_int_equal(0, t_detach(w, w->vfio_fd[0]));
	assert_int_equal(3, w->m->nr_resp);
	assert_int_equal(3, fake_hal_stat(w->h, "sw.iopf.responses.invalid"));
}

/*
 * The device leaves its IOPF queue (iopf_queue_remove_device, as a driver
 * does when it stops IOPF) while iommufd holds groups, read and unread. As
 * in Linux 6.18.y with the group-ownership fix (CVE-2026-74520): the
 * removal answers none of them, they stay iommufd's; a SUCCESS write then
 * returns 8 and sends that SUCCESS, once; the cookie is gone afterwards;
 * what the user leaves is answered INVALID by the detach. Each group gets
 * exactly one response.
 */
static void test_remove_device_with_groups_in_iommufd(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[4];
	uint32_t c1, c2;

	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(0, world_report(w, 0, 0, 0, 4, P_R, 0x4000));
	assert_int_equal(2 * MSZ, t_read_msgs(w, w->fault_fd, msg, 2));
	c1 = msg[0].cookie;
	c2 = msg[1].cookie;

	iopf_queue_remove_device(w->m->iommu.iopf_queue, w->dev[0]);
	assert_null(w->dev[0]->fault_param);
	assert_int_equal(0, w->m->nr_resp);
	assert_int_equal(1, fake_hal_stat(w->h, "sw.iopf.partials_discarded"));

	/* The write returns what Linux returns, 8, and sends its SUCCESS once. */
	assert_int_equal(RSZ, t_respond(w, w->fault_fd, c1, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(1, w->m->nr_resp);
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, c1, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(1, w->m->nr_resp);
	/* The unread group is still queued and answerable. */
	assert_int_equal(PX_POLLIN, t_poll(w, w->fault_fd, PX_POLLIN));
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, msg, 4));
	assert_int_equal(3, msg[0].grpid);
	assert_int_equal(RSZ, t_respond(w, w->fault_fd, msg[0].cookie, IOMMUFD_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 3, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(2, w->m->nr_resp);
	/* New requests find no fault param: INVALID at once, nothing queued. */
	assert_int_equal(-EINVAL, world_report(w, 0, F_LAST, 0, 5, P_R, 0x5000));
	assert_int_equal(0, t_poll(w, w->fault_fd, PX_POLLIN));
	assert_int_equal(3, w->m->nr_resp);
	/* Group 2 is left to the user; the detach answers it INVALID, once. */
	assert_int_equal(0, t_detach(w, w->vfio_fd[0]));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, c2, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(4, w->m->nr_resp);
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 1, -1));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 2, -1));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 3, -1));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 5, -1));
	assert_int_equal(1, fake_hal_stat(w->h, "sw.iommufd.auto_responses"));
}

/*
 * Checklist #30: the fault object's destruction answers INVALID, once each,
 * every group it still holds, delivered or not. iommufd's own attach paths
 * answer an attach's groups when it ends (detach, replace), so a fault
 * object can only still hold groups when it is destroyed if they came
 * through an attach iommufd did not make; the fixture makes one through the
 * IOMMU core (device 0 on its fault-capable HWPT's domain), then the
 * destruction goes the real way: IOMMU_DESTROY, or the close of /dev/iommu.
 */
struct stray {
	struct iommu_attach_handle handle;
	struct iommu_domain *domain;
};

static void stray_attach(struct world *w, struct stray *st)
{
	struct iommufd_device *idev1;
	struct iommufd_object *obj;
	struct iommufd_ctx *ictx;

	assert_int_equal(0, t_detach(w, w->vfio_fd[0]));
	idev1 = container_of(w->dev[1]->attach_handles.next, struct iommu_attach_handle,
			     dev_node)->priv;
	ictx = idev1->obj.ictx;
	memset(st, 0, sizeof(*st));
	INIT_LIST_HEAD(&st->handle.dev_node);
	obj = iommufd_get_object(ictx, w->dev_id[0], IOMMUFD_OBJ_DEVICE);
	assert_non_null(obj);
	st->handle.priv = container_of(obj, struct iommufd_device, obj);
	iommufd_put_object(obj); /* the binding keeps it */
	obj = iommufd_get_object(ictx, w->hwpt_id[0], IOMMUFD_OBJ_HWPT_PAGING);
	assert_non_null(obj);
	st->domain = to_hwpt_paging(obj)->domain;
	iommufd_put_object(obj);
	assert_int_equal(0, iommu_attach_device(st->domain, w->dev[0], &st->handle));
	assert_int_equal(0, w->m->ops.dev_enable_iopf(w->dev[0]));
}

/*
 * Groups 1-3 of device 0 in the fault object (group 1 read), a partial,
 * then the attach ends without iommufd: nothing answers them.
 */
static void stray_fill(struct world *w, struct stray *st)
{
	struct iommu_hwpt_pgfault msg;

	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 0, 0, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x2800));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(0, world_report(w, 0, 0, 0, 4, P_R, 0x4000));
	assert_int_equal(MSZ, t_read_msgs(w, w->fault_fd, &msg, 1));
	assert_int_equal(1, msg.grpid);
	iommu_detach_device(st->domain, w->dev[0]);
	assert_null(w->dev[0]->domain);
	assert_int_equal(0, w->m->nr_resp);
}

/* Each of groups 1-3 answered once, INVALID, with its LAST request's grpid. */
static void assert_answered_once(struct world *w)
{
	unsigned int grpid;

	for (grpid = 1; grpid <= 3; grpid++) {
		assert_int_equal(1, mock_count_resp(w->m, W_RID(0), grpid, -1));
		assert_int_equal(1, mock_count_resp(w->m, W_RID(0), grpid,
						    IOMMU_PAGE_RESP_INVALID));
	}
	assert_int_equal(3, w->m->nr_resp);
	assert_int_equal(3, fake_hal_stat(w->h, "sw.iommufd.auto_responses"));
	assert_int_equal(3, fake_hal_stat(w->h, "sw.dev.0008.iommufd.auto_responses"));
	assert_int_equal(3, fake_hal_stat(w->h, "sw.iopf.responses.invalid"));
}

static void test_destroy_answers_everything(void **state)
{
	struct world *w = *state;
	struct stray st;

	stray_attach(w, &st);
	stray_fill(w, &st);
	/* Still referenced by the HWPTs and the open fd: EBUSY, nothing sent. */
	assert_int_equal(-EBUSY, t_destroy(w, w->fault_id));
	assert_int_equal(0, t_destroy(w, w->hwpt_id[0]));
	assert_int_equal(0, t_detach(w, w->vfio_fd[1]));
	assert_int_equal(0, t_destroy(w, w->hwpt_id[1]));
	assert_int_equal(-EBUSY, t_destroy(w, w->fault_id));
	/* Closing the fd alone sends nothing (#31). */
	assert_int_equal(0, px_close(w->p, w->fault_fd));
	assert_int_equal(0, w->m->nr_resp);

	assert_int_equal(0, t_destroy(w, w->fault_id));
	assert_answered_once(w);
	assert_int_equal(-ENOENT, t_destroy(w, w->fault_id));
	/* The device leaving its IOPF queue afterwards sends nothing more. */
	w->m->ops.dev_disable_iopf(w->dev[0]);
	assert_int_equal(1, fake_hal_stat(w->h, "sw.iopf.partials_discarded"));
	assert_int_equal(3, w->m->nr_resp);
}

/* The same through the close of everything: the context's release destroys it. */
static void test_close_iommufd_answers_everything(void **state)
{
	struct world *w = *state;
	struct stray st;

	stray_attach(w, &st);
	stray_fill(w, &st);
	assert_int_equal(0, px_close(w->p, w->fault_fd));
	assert_int_equal(0, px_close(w->p, w->vfio_fd[1]));
	assert_int_equal(0, px_close(w->p, w->vfio_fd[0]));
	/* The context lives on while /dev/iommu is open: nothing sent yet. */
	assert_int_equal(0, w->m->nr_resp);
	assert_int_equal(0, px_close(w->p, w->iommufd));
	assert_answered_once(w);
	assert_int_equal(0, w->m->domains_live);
	w->m->ops.dev_disable_iopf(w->dev[0]);
	assert_int_equal(3, w->m->nr_resp);
}

/*
 * No timeout anywhere on the fault path (Linux never times out a pending
 * fault; linux-iopf.md): the path arms no timer of any kind. In this stack a
 * timer can only be a task that sleeps or a wait with a timeout, so neither
 * may appear while 1000 faults are reported, queued, read and left pending;
 * and however long the caller then sleeps, nothing answers them. The same
 * property end to end, with faults pending for 64 s of simulated time, is
 * the system test system.edge_no_fault_timeout.
 */
static void test_no_timeout_unbounded(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[16];
	const unsigned int tasks = fake_hal_task_count(w->h), waits = fake_hal_timed_waits(w->h);
	const uint64_t slept = fake_hal_slept_ps(w->h);
	unsigned int i, got = 0;
	ssize_t n;

	for (i = 0; i < 1000; i++)
		assert_int_equal(0, world_report(w, i & 1, F_LAST, 0, i & 0x1ff, P_R, 0x1000));
	while ((n = t_read_msgs(w, w->fault_fd, msg, 16)) > 0)
		got += (unsigned int)(n / MSZ);
	assert_int_equal(1000, got);
	assert_int_equal(tasks, fake_hal_task_count(w->h));
	assert_int_equal(waits, fake_hal_timed_waits(w->h));
	assert_int_equal(slept, fake_hal_slept_ps(w->h));
	hal_sleep_ps(w->h, 1000000000000000ull); /* 1000 s */
	assert_int_equal(0, w->m->nr_resp);
	assert_int_equal(tasks, fake_hal_task_count(w->h));
	px_kernel_report_pending(w->k);
	assert_int_equal(500, fake_hal_stat(w->h, "sw.dev.0008.iopf.groups_pending"));
	assert_int_equal(500, fake_hal_stat(w->h, "sw.dev.0010.iopf.groups_pending"));
	assert_int_equal(1000, fake_hal_stat(w->h, "sw.iopf.groups_pending"));
	assert_true(fake_hal_stat_exists(w->h, "sw.dev.0008.iopf.partials_pending"));
	assert_int_equal(1000, fake_hal_stat(w->h, "sw.iommufd.groups_queued"));
}

/*
 * The fault queue's occupancy (hal_stat_level_add): groups not yet read, and
 * groups pending (read or not) until a write() or an auto-response answers
 * them.
 */
static void test_occupancy_levels(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_pgfault msg[4];

#define UNREAD(n) assert_int_equal(n, fake_hal_stat_level(w->h, "sw.iommufd.fault_unread"))
#define PENDING(n) assert_int_equal(n, fake_hal_stat_level(w->h, "sw.iommufd.fault_pending"))
	UNREAD(0);
	PENDING(0);
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(w, 1, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_R, 0x2000));
	UNREAD(3);
	PENDING(3);
	assert_int_equal(2 * MSZ, t_read_msgs(w, w->fault_fd, msg, 2));
	UNREAD(1);
	PENDING(3); /* read, not answered */
	/* A failed copy puts the group back: it stays unread. */
	fake_hal_fail_filter(w->h, "uaccess.copy_to_user");
	fake_hal_fail_nth(w->h, 1);
	assert_int_equal(-EFAULT, t_read_msgs(w, w->fault_fd, msg + 2, 2));
	fake_hal_fail_nth(w->h, 0);
	UNREAD(1);
	PENDING(3);
	/* A response changes nothing unread; it ends one pending group. */
	assert_int_equal(RSZ, t_respond(w, w->fault_fd, msg[0].cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	UNREAD(1);
	PENDING(2);
	/* A refused response ends nothing. */
	assert_int_equal(-EINVAL, t_respond(w, w->fault_fd, msg[0].cookie,
					    IOMMUFD_PAGE_RESP_SUCCESS));
	PENDING(2);
	/* Detach answers dev0's unread group (grpid 2) too; dev1's read one stays. */
	assert_int_equal(0, t_detach(w, w->vfio_fd[0]));
	UNREAD(0);
	PENDING(1);
	assert_int_equal(0, world_report(w, 1, F_LAST, 0, 4, P_R, 0x4000));
	UNREAD(1);
	PENDING(2);
	assert_int_equal(3, fake_hal_stat_level_hwm(w->h, "sw.iommufd.fault_unread"));
	assert_int_equal(3, fake_hal_stat_level_hwm(w->h, "sw.iommufd.fault_pending"));
	/* Destroying everything answers the rest. */
	assert_int_equal(0, t_detach(w, w->vfio_fd[1]));
	UNREAD(0);
	PENDING(0);
#undef UNREAD
#undef PENDING
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_read_espipe_and_empty),
		T(test_read_count_zero_with_groups),
		T(test_positioned_io_espipe),
		T(test_read_buffer_smaller_than_group),
		T(test_read_several_groups),
		T(test_cookies),
		T(test_efault_mid_group_and_new_cookie),
		T(test_message_fields),
		T(test_write_rules),
		T(test_poll_masks),
		T(test_poll_blocks_until_enqueue),
		T(test_detach_auto_response),
		T(test_replace_auto_response),
	T(test_pasid_attach_own_fault_queue),
		T(test_pasid_replace_auto_response),
		T(test_fd_close_sends_nothing),
		T(test_remove_device_with_groups_in_iommufd),
		T(test_destroy_answers_everything),
		T(test_close_iommufd_answers_everything),
		T(test_no_timeout_unbounded),
		T(test_occupancy_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
