// SPDX-License-Identifier: Apache-2.0
/*
 * Description: the fault-handler library (sw/user/fault_handler.c) on a
 * real fault fd: batched reads, the buffer grown while read() says -EINVAL
 * (Linux 6.18: the head group does not fit), one decide() per group and
 * one response each, codes other than SUCCESS sent as INVALID, a refused
 * response reported and skipped, cookie-0 messages never answered, and the
 * poll loop's end conditions (fatal signal, error callback), and a group
 * decide() holds (PX_FH_RESP_NONE) left unanswered.
 */
#include "test_util.h"

#include "user/fault_handler.h"

struct rec {
	struct world *w;
	unsigned int groups;            /* decide() calls */
	unsigned int sizes[16];         /* messages per group, in call order */
	uint32_t code;                  /* what decide() answers */
	uint32_t answer_first;          /* cookie decide() answers itself (refused later) */
	unsigned int unanswerable;
	unsigned int refused;
	uint32_t refused_cookie;
	int refused_err;
	unsigned int errors;
	int error_ret;
};

static uint32_t rec_decide(void *ctx, const struct iommu_hwpt_pgfault *m, unsigned int n)
{
	struct rec *r = ctx;

	if (r->groups < 16)
		r->sizes[r->groups] = n;
	r->groups++;
	if (r->answer_first && m[0].cookie == r->answer_first)
		assert_int_equal(8, t_respond(r->w, r->w->fault_fd, m[0].cookie, 0));
	return r->code;
}

static void rec_unanswerable(void *ctx, const struct iommu_hwpt_pgfault *m, unsigned int n)
{
	(void)m;
	((struct rec *)ctx)->unanswerable += n;
}

static void rec_refused(void *ctx, uint32_t cookie, int err)
{
	struct rec *r = ctx;

	r->refused++;
	r->refused_cookie = cookie;
	r->refused_err = err;
}

static int rec_error(void *ctx, int err)
{
	struct rec *r = ctx;

	(void)err;
	r->errors++;
	return r->error_ret;
}

static const struct px_fh_ops rec_ops = {
	.decide = rec_decide,
	.unanswerable = rec_unanswerable,
	.refused = rec_refused,
	.error = rec_error,
};

struct fix {
	struct world w;
	struct rec r;
	struct px_fh fh;
};

static struct fix *fix_new(unsigned int batch, const struct px_fh_ops *ops)
{
	struct fix *f = calloc(1, sizeof(*f));

	world_init(&f->w, 2);
	assert_int_equal(0, world_setup(&f->w));
	f->r.w = &f->w;
	assert_int_equal(0, px_fh_init(&f->fh, f->w.p, f->w.fault_fd, batch, ops, &f->r));
	return f;
}

static void fix_free(struct fix *f)
{
	px_fh_release(&f->fh);
	world_fini(&f->w);
	free(f);
}

static int teardown(void **state)
{
	fix_free(*state);
	return 0;
}

static void test_init_checks(void **state)
{
	struct px_fh_ops no_decide = { 0 };
	struct px_fh fh;

	(void)state;
	assert_int_equal(-EINVAL, px_fh_init(&fh, NULL, 3, 1, &no_decide, NULL));
	assert_int_equal(-EINVAL, px_fh_init(&fh, NULL, 3, 1, NULL, NULL));
	/* batch 0 is 1; a huge batch is capped */
	assert_int_equal(0, px_fh_init(&fh, NULL, 3, 0, &rec_ops, NULL));
	assert_int_equal(1, fh.batch);
	px_fh_release(&fh);
	assert_int_equal(0, px_fh_init(&fh, NULL, 3, PX_FH_MAX_MSGS + 1, &rec_ops, NULL));
	assert_int_equal(PX_FH_MAX_MSGS, fh.batch);
	px_fh_release(&fh);
	px_fh_release(&fh); /* twice is fine */
}

/* Five one-request groups, batch 2: rounds of 2, 2, 1, then nothing. */
static void test_batching(void **state)
{
	struct fix *f = fix_new(2, &rec_ops);
	unsigned int g;

	*state = f;
	for (g = 0; g < 5; g++)
		assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, g, P_R, 0x1000u * (g + 1)));
	assert_int_equal(2, px_fh_serve_once(&f->fh, 0));
	assert_int_equal(2, px_fh_serve_once(&f->fh, 0));
	assert_int_equal(1, px_fh_serve_once(&f->fh, 0));
	assert_int_equal(0, px_fh_serve_once(&f->fh, 0)); /* poll timeout */
	assert_int_equal(5, f->r.groups);
	assert_int_equal(5, mock_count_resp(f->w.m, W_RID(0), 0, IOMMU_PAGE_RESP_SUCCESS) +
				    mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS) +
				    mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_SUCCESS) +
				    mock_count_resp(f->w.m, W_RID(0), 3, IOMMU_PAGE_RESP_SUCCESS) +
				    mock_count_resp(f->w.m, W_RID(0), 4, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(2, f->fh.cap_msgs); /* never grown */
}

/*
 * A 5-request group with batch 1: read() says -EINVAL at 1, 2 and 4
 * messages and succeeds at 8; the group is decided once, whole.
 */
static void test_einval_grows_buffer(void **state)
{
	struct fix *f = fix_new(1, &rec_ops);
	uint64_t syscalls;
	unsigned int i;

	*state = f;
	for (i = 0; i < 4; i++)
		assert_int_equal(0, world_report(&f->w, 1, 0, 0, 7, P_W, 0x100000u + 0x1000u * i));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 7, P_W, 0x200000));
	syscalls = fake_hal_charges(f->w.h, HAL_COST_SYSCALL);
	assert_int_equal(5, px_fh_read(&f->fh));
	/* 4 reads: -EINVAL at 1, 2 and 4 messages, 5 read at 8 */
	assert_int_equal(syscalls + 4, fake_hal_charges(f->w.h, HAL_COST_SYSCALL));
	assert_int_equal(8, f->fh.cap_msgs);
	assert_int_equal(0, f->r.groups);
	assert_int_equal(1, px_fh_dispatch(&f->fh, f->fh.msgs, 5));
	assert_int_equal(1, f->r.groups);
	assert_int_equal(5, f->r.sizes[0]);
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 7, IOMMU_PAGE_RESP_SUCCESS));
	/* The next round asks for the batch again (1), not the grown capacity. */
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 8, P_W, 0x300000));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 9, P_W, 0x301000));
	assert_int_equal(1, px_fh_serve_once(&f->fh, 0));
	assert_int_equal(1, px_fh_serve_once(&f->fh, 0));
	assert_int_equal(0, px_fh_read(&f->fh)); /* empty: 0, not "grow" */
	assert_int_equal(8, f->fh.cap_msgs);
}

/* decide() answering FAILURE or garbage: the group is answered INVALID. */
static void test_bad_codes_sent_invalid(void **state)
{
	struct fix *f = fix_new(4, &rec_ops);

	*state = f;
	f->r.code = IOMMU_PAGE_RESP_FAILURE;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(1, px_fh_serve_once(&f->fh, 0));
	f->r.code = 77;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(1, px_fh_serve_once(&f->fh, 0));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(0, f->r.refused);
}

/*
 * Three groups; the middle one is answered before the library writes: the
 * write stops there (-EINVAL for an answered cookie), which is reported,
 * and the third is still answered.
 */
static void test_refused_response_skipped(void **state)
{
	struct fix *f = fix_new(4, &rec_ops);
	struct iommu_hwpt_pgfault peek[3];

	*state = f;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(3, px_fh_read(&f->fh));
	memcpy(peek, f->fh.msgs, sizeof(peek));
	f->r.answer_first = peek[1].cookie;
	assert_int_equal(3, px_fh_dispatch(&f->fh, peek, 3));
	assert_int_equal(1, f->r.refused);
	assert_int_equal(peek[1].cookie, f->r.refused_cookie);
	assert_int_equal(-EINVAL, f->r.refused_err);
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 3, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(3, f->w.m->nr_resp);
}

/* Cookie 0 cannot be answered; a batch larger than the buffer is refused. */
static void test_unanswerable_and_oversize(void **state)
{
	struct fix *f = fix_new(2, &rec_ops);
	struct iommu_hwpt_pgfault m[3] = { { .cookie = 0 }, { .cookie = 0 }, { .cookie = 0 } };
	uint64_t syscalls;

	*state = f;
	syscalls = fake_hal_charges(f->w.h, HAL_COST_SYSCALL);
	assert_int_equal(0, px_fh_dispatch(&f->fh, m, 2));
	assert_int_equal(2, f->r.unanswerable);
	assert_int_equal(0, f->r.groups);
	assert_int_equal(syscalls, fake_hal_charges(f->w.h, HAL_COST_SYSCALL)); /* no write */
	assert_int_equal(-EINVAL, px_fh_dispatch(&f->fh, m, 3));
}

/* px_fh_run: a fatal signal ends it with 0, without calling ops->error. */
static void test_run_ends_on_signal(void **state)
{
	struct fix *f = fix_new(4, &rec_ops);

	*state = f;
	px_proc_kill(f->w.p);
	assert_int_equal(0, px_fh_run(&f->fh));
	assert_int_equal(0, f->r.errors);
}

/*
 * An error of a round goes to ops->error, whose non-zero answer ends the
 * loop with it; without ops->error the first error ends it. A poll() on an
 * fd that is not open returns POLLNVAL, not POLLIN: -EIO.
 */
static void test_run_error_ends(void **state)
{
	struct px_fh_ops no_error = rec_ops;
	struct fix *f = fix_new(4, &rec_ops);

	*state = f;
	f->fh.fd = 999;
	f->r.error_ret = -EIO;
	assert_int_equal(-EIO, px_fh_run(&f->fh));
	assert_int_equal(1, f->r.errors);
	no_error.error = NULL;
	f->fh.ops = &no_error;
	assert_int_equal(-EIO, px_fh_run(&f->fh));
	assert_int_equal(1, f->r.errors);
}

/*
 * decide() holding a group (PX_FH_RESP_NONE): nothing is written for it,
 * the group stays pending in the kernel, and the cookie can be answered
 * later; the other groups of the batch are answered as decided.
 */
static void test_hold_writes_nothing(void **state)
{
	struct fix *f = fix_new(4, &rec_ops);
	struct iommu_hwpt_pgfault peek[2];
	uint64_t syscalls;

	*state = f;
	f->r.code = PX_FH_RESP_NONE;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 2, P_R, 0x2000));
	syscalls = fake_hal_charges(f->w.h, HAL_COST_SYSCALL);
	assert_int_equal(0, px_fh_serve_once(&f->fh, 0));
	/* poll and read, no write */
	assert_int_equal(syscalls + 2, fake_hal_charges(f->w.h, HAL_COST_SYSCALL));
	assert_int_equal(2, f->r.groups);
	assert_int_equal(0, f->w.m->nr_resp);
	assert_int_equal(0, f->r.refused);
	/* Still pending: the handler may answer it later, once. */
	memcpy(peek, f->fh.msgs, sizeof(peek));
	assert_int_equal(8, t_respond(&f->w, f->w.fault_fd, peek[1].cookie, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 2, IOMMU_PAGE_RESP_SUCCESS));
	/* A mixed batch: the held group is skipped, the next one answered. */
	f->r.code = IOMMU_PAGE_RESP_SUCCESS;
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(1, px_fh_serve_once(&f->fh, 0));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 3, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(2, f->w.m->nr_resp);
	assert_int_equal(0, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS) +
				    mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test_teardown(test_batching, teardown),
		cmocka_unit_test_teardown(test_einval_grows_buffer, teardown),
		cmocka_unit_test_teardown(test_bad_codes_sent_invalid, teardown),
		cmocka_unit_test_teardown(test_refused_response_skipped, teardown),
		cmocka_unit_test_teardown(test_unanswerable_and_oversize, teardown),
		cmocka_unit_test_teardown(test_run_ends_on_signal, teardown),
		cmocka_unit_test_teardown(test_run_error_ends, teardown),
		cmocka_unit_test_teardown(test_hold_writes_nothing, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
