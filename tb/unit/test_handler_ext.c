// SPDX-License-Identifier: Apache-2.0
/*
 * Description: the external handler (sw/user/handler_ext.c) on the fake
 * HAL's scripted host channel. With a host process connected the handler
 * is "external"; it sends HELLO, then each batch the fault fd gives as one
 * FAULTS frame of the fault fd's own bytes, carries out MAP frames and
 * write()s RESPONSE frames as they come, and says BYE when killed. Every
 * protocol violation (a code other than SUCCESS/INVALID, a cookie answered
 * twice, a MAP for an unknown dev_id or an unaligned IOVA, a wrong length,
 * an unknown type) and a peer that closes is logged, stops the serving,
 * and leaves the groups to the exit, which answers them INVALID once.
 */
#include "test_util.h"

#include "prisim/fault_socket.h"
#include "user/pager.h"

struct fix {
	struct world w;
	struct px_pager *pg;
};

static void hook_kill(void *arg)
{
	px_proc_kill(arg);
}

/* Two devices; the channel open before the handler is created. */
static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	world_init(&f->w, 2);
	fake_hal_host_chan_open(f->w.h);
	assert_int_equal(0, px_pager_create(f->w.k, &f->pg));
	assert_string_equal("external", f->pg->name);
	assert_int_equal(0, px_pager_setup(f->pg));
	assert_int_equal(2, f->pg->nr_devs);
	*state = f;
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

static void feed_frame(struct fix *f, uint32_t type, const void *payload, uint32_t len)
{
	struct prisim_fs_hdr hdr = { .type = type, .length = len };

	fake_hal_host_chan_feed(f->w.h, &hdr, sizeof(hdr));
	if (len)
		fake_hal_host_chan_feed(f->w.h, payload, len);
}

static void feed_map(struct fix *f, unsigned int dev, uint64_t iova)
{
	struct prisim_fs_map m = { .dev_id = f->pg->devs[dev].dev_id, .iova = iova };

	feed_frame(f, PRISIM_FS_MAP, &m, sizeof(m));
}

static void feed_resp(struct fix *f, uint32_t cookie, uint32_t code)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie, .code = code };

	feed_frame(f, PRISIM_FS_RESPONSE, &r, sizeof(r));
}

/* Run the handler until its first wait, where it is killed. */
static void run(struct fix *f)
{
	fake_hal_set_wait_hook(f->w.h, hook_kill, f->pg->proc);
	assert_int_equal(0, px_ext_run(f->pg, f->w.h));
}

static struct mock_domain *dom(struct fix *f, unsigned int i)
{
	return to_mock_domain(f->w.dev[i]->domain);
}

/* The frame at *off of what the handler sent; its payload length returned. */
static uint32_t next_out(struct fix *f, size_t *off, uint32_t type, const uint8_t **payload)
{
	struct prisim_fs_hdr hdr;
	const uint8_t *out;
	size_t len;

	out = fake_hal_host_chan_out(f->w.h, &len);
	assert_true(*off + sizeof(hdr) <= len);
	memcpy(&hdr, out + *off, sizeof(hdr));
	assert_int_equal(type, hdr.type);
	assert_true(*off + sizeof(hdr) + hdr.length <= len);
	*payload = out + *off + sizeof(hdr);
	*off += sizeof(hdr) + hdr.length;
	return hdr.length;
}

static void test_lock_step(void **state)
{
	struct fix *f = *state;
	struct prisim_fs_hello hello;
	struct iommu_hwpt_pgfault m[3];
	const uint8_t *p;
	size_t off = 0, len;
	uint64_t svc;

	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 1, P_W, 0x100000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_W, 0x101000));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 2, P_R, 0x200000));
	/* cookies 1 and 2, in the order the groups were queued */
	feed_map(f, 0, 0x100000);
	feed_map(f, 0, 0x101000);
	feed_resp(f, 1, IOMMUFD_PAGE_RESP_SUCCESS);
	feed_resp(f, 2, IOMMUFD_PAGE_RESP_INVALID);
	svc = fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE);
	run(f);

	assert_int_equal(sizeof(hello), next_out(f, &off, PRISIM_FS_HELLO, &p));
	memcpy(&hello, p, sizeof(hello));
	assert_int_equal(PRISIM_FS_VERSION, hello.version);
	assert_int_equal(40, hello.pgfault_size);
	assert_int_equal(8, hello.response_size);
	assert_int_equal(2, hello.nr_devs);
	assert_int_equal(sizeof(m), next_out(f, &off, PRISIM_FS_FAULTS, &p));
	memcpy(m, p, sizeof(m));
	assert_int_equal(1, m[0].cookie);
	assert_int_equal(1, m[1].cookie);
	assert_int_equal(2, m[2].cookie);
	assert_int_equal(f->pg->devs[1].dev_id, m[2].dev_id);
	assert_int_equal(0x200000, m[2].addr);
	assert_int_equal(0, next_out(f, &off, PRISIM_FS_BYE, &p));
	fake_hal_host_chan_out(f->w.h, &len);
	assert_int_equal(len, off);
	assert_false(hal_host_chan_open(f->w.h));

	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 2, IOMMU_PAGE_RESP_INVALID));
	assert_non_null(mock_find_map(dom(f, 0), 0x100000));
	assert_non_null(mock_find_map(dom(f, 0), 0x101000));
	assert_null(mock_find_map(dom(f, 1), 0x200000));
	assert_int_equal(svc + 3, fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.handler.external.groups"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.handler.external.faults_success"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.handler.external.faults_invalid"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.user.pages_mapped"));
	assert_string_equal("", fake_hal_last_log(f->w.h, HAL_LOG_ERROR));
}

/*
 * One misbehaviour: the first group is answered before it, the second is
 * left to the exit. The error names the problem; the channel is closed.
 */
static void misbehave(struct fix *f, void (*bad)(struct fix *f), const char *msg)
{
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_W, 0x100000));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 2, P_W, 0x200000));
	feed_resp(f, 1, IOMMUFD_PAGE_RESP_SUCCESS);
	bad(f);
	run(f);
	assert_non_null(strstr(fake_hal_last_log(f->w.h, HAL_LOG_ERROR), msg));
	assert_false(hal_host_chan_open(f->w.h));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(0, mock_count_resp(f->w.m, W_RID(1), 2, IOMMU_PAGE_RESP_INVALID));
	/* exit: the pending group is answered INVALID, once */
	px_pager_destroy(f->pg);
	f->pg = NULL;
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 2, IOMMU_PAGE_RESP_INVALID));
}

static void bad_code(struct fix *f)
{
	feed_resp(f, 2, 2);
}

static void bad_twice(struct fix *f)
{
	feed_resp(f, 1, IOMMUFD_PAGE_RESP_SUCCESS);
}

static void bad_map_dev(struct fix *f)
{
	struct prisim_fs_map m = { .dev_id = 0xdead, .iova = 0x200000 };

	feed_frame(f, PRISIM_FS_MAP, &m, sizeof(m));
}

static void bad_map_unaligned(struct fix *f)
{
	feed_map(f, 1, 0x200010);
}

static void bad_map_size(struct fix *f)
{
	feed_frame(f, PRISIM_FS_MAP, "12345678", 8);
}

static void bad_resp_size(struct fix *f)
{
	feed_frame(f, PRISIM_FS_RESPONSE, "123456789012", 12);
}

static void bad_type(struct fix *f)
{
	feed_frame(f, PRISIM_FS_FAULTS, NULL, 0);
}

static void bad_close(struct fix *f)
{
	/* half a header, then the end of the stream */
	fake_hal_host_chan_feed(f->w.h, "\x11\0\0", 3);
}

/* A fresh fixture per case: the error log keeps the last error. */
#define MISBEHAVE(name, fn, msg)                                \
	static void test_##name(void **state)                   \
	{                                                       \
		misbehave(*state, fn, msg);                     \
	}
MISBEHAVE(bad_code, bad_code, "response code 2 for cookie 2 is neither SUCCESS (0) nor INVALID (1)")
MISBEHAVE(answered_twice, bad_twice, "response for cookie 1, which waits for none")
MISBEHAVE(map_unknown_dev, bad_map_dev, "dev_id 57005: no device of this handler has that dev_id")
MISBEHAVE(map_unaligned, bad_map_unaligned, "iova is not 4 KiB aligned")
MISBEHAVE(map_size, bad_map_size, "MAP frame of 8 bytes, expected 16")
MISBEHAVE(resp_size, bad_resp_size, "RESPONSE frame of 12 bytes")
MISBEHAVE(unknown_type, bad_type, "unknown frame type 2 (length 0)")

/* The peer closed: logged by the platform (not the fake), seen here as a warning. */
static void test_closed(void **state)
{
	struct fix *f = *state;

	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_W, 0x100000));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 2, P_W, 0x200000));
	feed_resp(f, 1, IOMMUFD_PAGE_RESP_SUCCESS);
	bad_close(f);
	run(f);
	assert_non_null(strstr(fake_hal_last_log(f->w.h, HAL_LOG_WARN),
			       "1 group(s) of the last batch unanswered"));
	assert_false(hal_host_chan_open(f->w.h));
	px_pager_destroy(f->pg);
	f->pg = NULL;
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 2, IOMMU_PAGE_RESP_INVALID));
}

/* Without a channel the scenario's handler serves as before. */
static void test_no_channel(void **state)
{
	struct px_pager *pg;
	struct world w;

	(void)state;
	world_init(&w, 1);
	assert_int_equal(0, px_pager_create(w.k, &pg));
	assert_string_equal("demand_pager", pg->name);
	px_pager_destroy(pg);
	world_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lock_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answered_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_unknown_dev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_unaligned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resp_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed, setup, teardown),
		cmocka_unit_test(test_no_channel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
