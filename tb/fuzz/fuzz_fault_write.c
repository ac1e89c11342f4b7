// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: write() of the iommufd fault fd (sw/iommufd/fault.c,
 * struct iommu_hwpt_page_response), through the same objects as
 * tb/unit/test_fault_fd.c: the fake HAL, the mock IOMMU, the simulated
 * kernel, /dev/iommu with one IOAS and one fault queue, two PRI devices
 * attached to fault-capable HWPTs.
 *
 * The input is a sequence of operations (one byte each, then arguments):
 *   write / pwrite of fuzzed bytes with a fuzzed count (aligned or not),
 *   from a NULL buffer, or with an injected copy_from_user fault;
 *   report a page request group (1-3 requests) of a device;
 *   read() some messages (gives cookies out; 0 on an empty queue, -EINVAL
 *   if the first group does not fit), or read into a NULL buffer;
 *   detach a device (answers its groups INVALID).
 *
 * Every write is checked against a reference model of the Linux rules
 * (linux-iopf.md §3.4, docs/uapi.md): pwrite() (the fd is a stream) or a
 * count that is not a multiple of the response size gives -ESPIPE; entries are taken in order, the first
 * one with a code other than SUCCESS/INVALID, an unknown cookie, or a
 * faulting copy stops the batch; the result is the bytes of the accepted
 * prefix, or the error if there is none. So the return value is a multiple
 * of 8 no larger than count, or a negative errno, and exactly the accepted
 * entries reach the IOMMU driver, once each, with their code. At the end
 * every device is detached and every group must have been answered exactly
 * once.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "test_util.h"

#include "fuzz_util.h"
#include "heap_count.h"

#define MSZ ((ssize_t)sizeof(struct iommu_hwpt_pgfault))
#define RSZ ((ssize_t)sizeof(struct iommu_hwpt_page_response))

#define NDEV        2
#define MAX_GROUPS  64
#define MAX_OPS     96
#define MAX_COUNT   512   /* bytes of one write */

struct fgroup {
	unsigned int dev;
	uint32_t grpid;
	unsigned int answered;
	uint32_t code;       /* of the response */
	uint32_t cookie;     /* while delivered and unanswered, else 0 */
};

struct fstate {
	struct world *w;
	struct fgroup g[MAX_GROUPS];
	unsigned int ng;
	uint32_t next_grpid[NDEV];
	bool attached[NDEV];
	unsigned int resp_seen;   /* mock responses already checked */
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* cmocka asserts in the shared fixture abort instead of exiting. */
	setenv("CMOCKA_TEST_ABORT", "1", 1);
	return 0;
}

static struct fgroup *find_by_cookie(struct fstate *s, uint32_t cookie)
{
	unsigned int i;

	if (!cookie)
		return NULL;
	for (i = 0; i < s->ng; i++)
		if (s->g[i].cookie == cookie)
			return &s->g[i];
	return NULL;
}

static struct fgroup *find_by_id(struct fstate *s, uint16_t rid, uint32_t grpid)
{
	unsigned int i;

	for (i = 0; i < s->ng; i++)
		if (W_RID(s->g[i].dev) == rid && s->g[i].grpid == grpid)
			return &s->g[i];
	return NULL;
}

/*
 * Responses the mock IOMMU received since the last call: each must belong
 * to a known group that was not answered before. Returns how many arrived.
 */
static unsigned int take_responses(struct fstate *s)
{
	struct mock_iommu *m = s->w->m;
	unsigned int n = 0;

	for (; s->resp_seen < m->nr_resp; s->resp_seen++, n++) {
		const struct mock_resp *r = &m->resp[s->resp_seen];
		struct fgroup *g = find_by_id(s, r->rid, r->grpid);

		FUZZ_CHECK(g, "response for rid %#x grpid %u, a group never reported", r->rid,
			   r->grpid);
		FUZZ_CHECK(!g->answered, "rid %#x grpid %u answered twice (codes %u, %u)", r->rid,
			   r->grpid, g->code, r->code);
		g->answered = 1;
		g->code = r->code;
		g->cookie = 0;
	}
	return n;
}

static void op_report(struct fstate *s, struct fz *f)
{
	uint8_t b = fz_u8(f);
	unsigned int dev = b & 1, nreq = 1 + (b >> 1) % 3, i;
	uint32_t grpid;
	int rc;

	if (!s->attached[dev] || s->ng == MAX_GROUPS || s->next_grpid[dev] > 0x1FF)
		return;
	grpid = s->next_grpid[dev]++;
	for (i = 0; i < nreq; i++) {
		rc = world_report(s->w, dev, i + 1 == nreq ? F_LAST : 0, 0, grpid, P_R,
				  0x100000ull * grpid + 0x1000ull * i);
		FUZZ_CHECK(rc == 0, "report to an attached device failed: %d", rc);
	}
	s->g[s->ng++] = (struct fgroup){ .dev = dev, .grpid = grpid };
	FUZZ_CHECK(take_responses(s) == 0, "reporting answered something");
}

static void op_read(struct fstate *s, struct fz *f)
{
	struct iommu_hwpt_pgfault msg[8];
	uint8_t b = fz_u8(f);
	unsigned int want = (b & 0x7F) % 9, i;
	ssize_t rc;

	short queued = t_poll(s->w, s->w->fault_fd, PX_POLLIN);

	if (b & 0x80) {
		/*
		 * A NULL buffer: 0 if nothing is queued, else -EINVAL (the first
		 * group does not fit) or -EFAULT; nothing is consumed.
		 */
		rc = px_read(s->w->p, s->w->fault_fd, NULL, want * (size_t)MSZ);
		FUZZ_CHECK(queued ? rc == -EINVAL || (rc == -EFAULT && want) : rc == 0,
			   "read into NULL returned %zd", rc);
		FUZZ_CHECK(t_poll(s->w, s->w->fault_fd, PX_POLLIN) == queued,
			   "a failed read consumed a group");
		return;
	}
	rc = px_read(s->w->p, s->w->fault_fd, msg, want * (size_t)MSZ);

	/* Linux 6.18: 0 for an empty queue, -EINVAL if not even the first group fits. */
	FUZZ_CHECK(queued ? rc > 0 || rc == -EINVAL : rc == 0, "read of %u msgs returned %zd",
		   want, rc);
	if (rc < 0) {
		FUZZ_CHECK(t_poll(s->w, s->w->fault_fd, PX_POLLIN) == queued,
			   "a failed read consumed a group");
		return;
	}
	FUZZ_CHECK(rc % MSZ == 0 && rc <= want * MSZ, "read returned %zd for %u msgs", rc, want);
	for (i = 0; i < (unsigned int)(rc / MSZ); i++) {
		unsigned int d;
		struct fgroup *g = NULL;

		for (d = 0; d < NDEV; d++)
			if (msg[i].dev_id == s->w->dev_id[d])
				g = find_by_id(s, W_RID(d), msg[i].grpid);
		FUZZ_CHECK(g && !g->answered, "read a message of no pending group (grpid %u)",
			   msg[i].grpid);
		FUZZ_CHECK(msg[i].cookie != 0, "cookie 0 handed out");
		FUZZ_CHECK(!g->cookie || g->cookie == msg[i].cookie, "one group, two cookies");
		FUZZ_CHECK(!find_by_cookie(s, msg[i].cookie) ||
				   find_by_cookie(s, msg[i].cookie) == g,
			   "cookie %u given to two live groups", msg[i].cookie);
		g->cookie = msg[i].cookie;
	}
	FUZZ_CHECK(take_responses(s) == 0, "read answered something");
}

static void detach(struct fstate *s, unsigned int dev)
{
	bool pending[MAX_GROUPS];
	unsigned int i, n = 0;

	if (!s->attached[dev])
		return;
	for (i = 0; i < s->ng; i++) {
		pending[i] = s->g[i].dev == dev && !s->g[i].answered;
		n += pending[i];
	}
	FUZZ_CHECK(t_detach(s->w, s->w->vfio_fd[dev]) == 0, "detach failed");
	s->attached[dev] = false;
	FUZZ_CHECK(take_responses(s) == n, "detach answered a wrong number of groups");
	for (i = 0; i < s->ng; i++)
		FUZZ_CHECK(!pending[i] || (s->g[i].answered && s->g[i].code == IOMMU_PAGE_RESP_INVALID),
			   "detach left grpid %u unanswered or not INVALID", s->g[i].grpid);
}

static void op_detach(struct fstate *s, struct fz *f)
{
	detach(s, fz_u8(f) & 1);
}

static void op_write(struct fstate *s, struct fz *f)
{
	uint8_t mode = fz_u8(f), sub = (mode >> 4) & 7;
	size_t count = mode & 0x80 ? fz_u8(f) : (size_t)(mode & 0x0F) * RSZ;
	uint64_t pos = 0;
	unsigned int fail_at = 0, i, n_ok = 0;
	struct fgroup *expect[MAX_COUNT / sizeof(struct iommu_hwpt_page_response)];
	uint32_t expect_code[MAX_COUNT / sizeof(struct iommu_hwpt_page_response)];
	uint32_t used[MAX_COUNT / sizeof(struct iommu_hwpt_page_response)];
	struct iommu_hwpt_page_response r;
	uint8_t *buf = NULL;
	ssize_t want = 0, rc;

	if (count > MAX_COUNT)
		count = MAX_COUNT;
	if (count)
		buf = malloc(count);
	FUZZ_CHECK(!count || buf, "out of memory");
	fz_bytes(f, buf, count, 0);
	switch (sub) {
	case 5: /* pwrite at a non-zero position */
		pos = 1 + fz_u8(f);
		break;
	case 6: /* the user buffer faults */
		free(buf);
		buf = NULL;
		break;
	case 7: /* the n-th copy_from_user faults */
		fail_at = 1 + fz_u8(f) % 8;
		break;
	default:
		break;
	}

	/*
	 * Reference model (linux-iopf.md §3.4, docs/uapi.md): the fd is a
	 * stream, so pwrite() at any offset is -ESPIPE.
	 */
	if (sub == 4 || sub == 5 || count % RSZ) {
		want = -ESPIPE;
	} else {
		for (i = 0; i < count / RSZ; i++) {
			struct fgroup *g;
			unsigned int j;
			bool taken = false;

			if (!buf || i + 1 == fail_at) {
				want = -EFAULT;
				break;
			}
			memcpy(&r, buf + i * RSZ, sizeof(r));
			if (r.code != IOMMUFD_PAGE_RESP_SUCCESS && r.code != IOMMUFD_PAGE_RESP_INVALID) {
				want = -EINVAL;
				break;
			}
			g = find_by_cookie(s, r.cookie);
			for (j = 0; j < n_ok; j++)
				taken |= used[j] == r.cookie;
			if (!g || taken) {
				want = -EINVAL;
				break;
			}
			used[n_ok] = r.cookie;
			expect[n_ok] = g;
			expect_code[n_ok] = r.code;
			n_ok++;
		}
		if (n_ok)
			want = n_ok * RSZ;
	}

	if (fail_at) {
		fake_hal_fail_filter(s->w->h, "uaccess.copy_from_user");
		fake_hal_fail_nth(s->w->h, fail_at);
	}
	if (sub == 5 || sub == 4)
		rc = px_pwrite(s->w->p, s->w->fault_fd, buf, count, pos);
	else
		rc = px_write(s->w->p, s->w->fault_fd, buf, count);
	fake_hal_fail_nth(s->w->h, 0);
	fake_hal_fail_filter(s->w->h, NULL);
	free(buf);

	FUZZ_CHECK(rc <= (ssize_t)count, "write returned %zd > count %zu", rc, count);
	FUZZ_CHECK(rc < 0 ? rc >= -4095 : rc % RSZ == 0, "write returned %zd", rc);
	FUZZ_CHECK(rc == want, "write of %zu bytes (pos %llu) returned %zd, expected %zd", count,
		   (unsigned long long)pos, rc, want);
	FUZZ_CHECK(take_responses(s) == n_ok, "%u entries accepted, a different number answered",
		   n_ok);
	for (i = 0; i < n_ok; i++) {
		const struct mock_resp *mr = &s->w->m->resp[s->resp_seen - n_ok + i];

		FUZZ_CHECK(mr->rid == W_RID(expect[i]->dev) && mr->grpid == expect[i]->grpid,
			   "entry %u answered the wrong group", i);
		FUZZ_CHECK(mr->code == expect_code[i], "entry %u: code %u sent, %u written", i,
			   mr->code, expect_code[i]);
	}
}

/*
 * The fixture, built once per process: the machine, the kernel, the
 * process, /dev/iommu with its IOAS and fault queue, and both devices'
 * VFIO files bound to it. An input attaches each device to a fault-capable
 * HWPT of its own and, at its end, detaches it and destroys the HWPT.
 */
static struct fixture {
	struct world w;
	struct fstate s;
	bool built;
	unsigned int dma_live, objects_live; /* once built */
} fx;

static void attach(struct world *w, unsigned int dev)
{
	FUZZ_CHECK(t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, w->dev_id[dev], w->ioas_id,
				w->fault_id, &w->hwpt_id[dev]) == 0,
		   "HWPT allocation failed");
	FUZZ_CHECK(t_attach(w, w->vfio_fd[dev], w->hwpt_id[dev]) == 0, "attach failed");
}

static void fixture_build(void)
{
	struct world *w = &fx.w;
	struct iommu_hwpt_pgfault msg;
	char path[48];
	unsigned int d;

	world_init(w, NDEV);
	FUZZ_CHECK(world_open_iommufd(w) == 0, "/dev/iommu setup failed");
	for (d = 0; d < NDEV; d++) {
		snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", d);
		w->vfio_fd[d] = px_open(w->p, path, PX_O_RDWR);
		FUZZ_CHECK(w->vfio_fd[d] >= 0, "open %s failed", path);
		FUZZ_CHECK(t_bind(w, w->vfio_fd[d], &w->dev_id[d]) == 0, "bind failed");
	}
	/*
	 * One group reported, read and answered: the tables that grow on
	 * demand and are kept once allocated (the fault queue's cookies, the
	 * mock IOMMU's responses) exist before the first input, so every input
	 * must release exactly the heap blocks it allocated.
	 */
	attach(w, 0);
	FUZZ_CHECK(world_report(w, 0, F_LAST, 0, 1, P_R, 0) == 0, "warm-up report failed");
	FUZZ_CHECK(t_read_msgs(w, w->fault_fd, &msg, 1) == MSZ, "warm-up read failed");
	FUZZ_CHECK(t_respond(w, w->fault_fd, msg.cookie, IOMMUFD_PAGE_RESP_SUCCESS) == RSZ,
		   "warm-up response failed");
	FUZZ_CHECK(t_detach(w, w->vfio_fd[0]) == 0, "warm-up detach failed");
	FUZZ_CHECK(t_destroy(w, w->hwpt_id[0]) == 0, "warm-up destroy failed");
	FUZZ_CHECK(w->m->nr_resp == 1, "warm-up group answered %u times", w->m->nr_resp);
	w->m->nr_resp = 0;
	fx.dma_live = fake_hal_dma_live(w->h);
	fx.objects_live = fake_hal_objects_live(w->h);
	fx.built = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = fz_init(data, size);
	struct fstate *s = &fx.s;
	struct world *w = &fx.w;
	unsigned int ops, i, d;
	long heap0;

	if (!fx.built)
		fixture_build();
	/* A clean state: no group, no response, counters at 0. */
	heap0 = heap_count_live();
	memset(s, 0, sizeof(*s));
	s->w = w;
	w->m->nr_resp = 0;
	fake_hal_stats_clear(w->h);
	for (d = 0; d < NDEV; d++) {
		attach(w, d);
		s->attached[d] = true;
		s->next_grpid[d] = 1;
	}
	for (ops = 0; ops < MAX_OPS && !fz_empty(&f); ops++) {
		switch (fz_u8(&f) % 8) {
		case 0:
		case 1:
		case 2:
			op_write(s, &f);
			break;
		case 3:
		case 4:
			op_report(s, &f);
			break;
		case 5:
		case 6:
			op_read(s, &f);
			break;
		case 7:
			op_detach(s, &f);
			break;
		}
	}
	/* Detach answers whatever is left; every group is then answered once. */
	for (d = 0; d < NDEV; d++)
		detach(s, d);
	for (i = 0; i < s->ng; i++)
		FUZZ_CHECK(s->g[i].answered == 1, "grpid %u of device %u never answered",
			   s->g[i].grpid, s->g[i].dev);
	for (d = 0; d < NDEV; d++)
		FUZZ_CHECK(t_destroy(w, w->hwpt_id[d]) == 0, "HWPT of device %u not destroyed", d);
	/* Back to the fixture as built: nothing queued, nothing the input allocated left. */
	FUZZ_CHECK(!(t_poll(w, w->fault_fd, PX_POLLIN) & PX_POLLIN), "a message left queued");
	FUZZ_CHECK(heap_count_live() == heap0, "the input left %ld heap blocks allocated",
		   heap_count_live() - heap0);
	FUZZ_CHECK(fake_hal_dma_live(w->h) == fx.dma_live &&
			   fake_hal_objects_live(w->h) == fx.objects_live,
		   "the input left DRAM pages (%u, %u as built) or HAL objects (%u, %u) allocated",
		   fake_hal_dma_live(w->h), fx.dma_live, fake_hal_objects_live(w->h),
		   fx.objects_live);
	FUZZ_CHECK(w->m->domains_live == 0, "%u domains left", w->m->domains_live);
	return 0;
}
