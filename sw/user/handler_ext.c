// SPDX-License-Identifier: Apache-2.0
/*
 * The external handler (prisim --fault-socket; docs/external-handler.md):
 * the simulated process owns the fault fd and the devices as the demand
 * pager does, but the decisions are taken by a process on the host, reached
 * through the HAL's host channel with the framing of prisim/fault_socket.h.
 *
 * Per round: poll() and read() a batch with the handler library
 * (px_fh_poll_read: batched, the buffer grown on EINVAL), send it as one
 * FAULTS frame, then carry out the host's MAP frames (IOMMU_IOAS_MAP of a
 * fresh page, px_pager_map) and write() its RESPONSE frames to the fault fd
 * as they come, until every group of the batch is answered. The host's
 * reads block the host only: simulated time stands still until the answer
 * is complete. Each fault of a batch is charged the modelled service time
 * (sw.cost.handler.*), so the run's results depend only on the answers.
 *
 * Anything the host sends that the protocol does not allow is logged as an
 * error naming it; then, as when the connection fails, the process stops
 * serving: what it read stays unanswered until its exit, where the kernel
 * answers every pending group INVALID. Nothing here times out in simulated
 * time; host time is bounded by the platform (--max-wall).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "prisim/fault_socket.h"
#include "user/pager.h"

_Static_assert(sizeof(struct iommu_hwpt_pgfault) == PRISIM_FS_PGFAULT_SIZE,
	       "FAULTS frames carry the fault fd's records");
_Static_assert(sizeof(struct iommu_hwpt_page_response) == PRISIM_FS_RESPONSE_SIZE,
	       "RESPONSE frames carry the fault fd's responses");

#define PX_EXT_PAUSE_PS 1000000ull /* 1 us after a failed read: no spin in zero time */

/* One group of the batch on the host: the cookie it must answer. */
struct px_ext_group {
	uint32_t cookie;
	uint32_t dev_id;
	unsigned int n;         /* messages */
	bool answered;
};

struct px_ext {
	struct px_pager *pg;
	struct hal *hal;
	struct px_ext_group *groups;    /* the batch's answerable groups */
	unsigned int nr_groups, cap_groups;
	unsigned int waiting;           /* groups not answered yet */
};

#define px_ext_err(x, ...) hal_log((x)->hal, HAL_LOG_ERROR, "external: " __VA_ARGS__)

static void px_ext_count(struct px_ext *x, uint32_t dev_id, enum px_pager_event ev, uint64_t n)
{
	struct px_pager *pg = x->pg;

	if (pg->hooks && pg->hooks->count)
		pg->hooks->count(pg->hook_ctx, px_pager_find_dev(pg, dev_id), ev, n);
}

static int px_ext_send(struct px_ext *x, uint32_t type, const void *payload, uint32_t len)
{
	struct prisim_fs_hdr hdr = { .type = type, .length = len };
	int rc;

	rc = hal_host_chan_write(x->hal, &hdr, sizeof(hdr));
	if (!rc && len)
		rc = hal_host_chan_write(x->hal, payload, len);
	return rc;
}

/*
 * Note the batch's groups (each run of one cookie; cookie 0 cannot be
 * answered and waits for nothing) and charge each fault's service time.
 */
static int px_ext_collect(struct px_ext *x, const struct iommu_hwpt_pgfault *m, unsigned int n)
{
	struct px_pager *pg = x->pg;
	struct px_ext_group *g;
	unsigned int i = 0, j;

	x->nr_groups = 0;
	while (i < n) {
		for (j = i + 1; j < n && m[j].cookie == m[i].cookie; j++)
			;
		if (m[i].cookie) {
			if (x->nr_groups == x->cap_groups) {
				g = realloc(x->groups, (x->cap_groups ? 2 * x->cap_groups : 16) * sizeof(*g));
				if (!g)
					return -ENOMEM;
				x->groups = g;
				x->cap_groups = x->cap_groups ? 2 * x->cap_groups : 16;
			}
			x->groups[x->nr_groups++] = (struct px_ext_group){
				.cookie = m[i].cookie,
				.dev_id = m[i].dev_id,
				.n = j - i,
			};
		} else {
			px_ext_count(x, m[i].dev_id, PX_PAGER_EV_BAD_MESSAGE, j - i);
		}
		i = j;
	}
	for (i = 0; i < n; i++)
		if (pg->hooks && pg->hooks->service)
			pg->hooks->service(pg->hook_ctx, px_pager_find_dev(pg, m[i].dev_id), &m[i]);
	x->waiting = x->nr_groups;
	return 0;
}

/* The batch's group with @cookie (cookies are unique among pending groups), or NULL. */
static struct px_ext_group *px_ext_group(struct px_ext *x, uint32_t cookie)
{
	unsigned int i;

	for (i = 0; i < x->nr_groups; i++)
		if (x->groups[i].cookie == cookie)
			return &x->groups[i];
	return NULL;
}

/* A MAP frame: a fresh zeroed page at iova in the IOAS of dev_id. */
static int px_ext_map(struct px_ext *x, uint32_t len)
{
	struct prisim_fs_map req;
	struct px_pager_dev *pdev;
	int rc;

	if (len != sizeof(req)) {
		px_ext_err(x, "protocol error: MAP frame of %u bytes, expected %zu\n", len,
			   sizeof(req));
		return -EPROTO;
	}
	rc = hal_host_chan_read(x->hal, &req, sizeof(req));
	if (rc)
		return rc;
	pdev = px_pager_find_dev(x->pg, req.dev_id);
	if (!pdev || req.__reserved || req.iova % PX_PAGE_SIZE) {
		px_ext_err(x, "protocol error: MAP of iova %#llx for dev_id %u: %s\n",
			   (unsigned long long)req.iova, req.dev_id,
			   !pdev ? "no device of this handler has that dev_id" :
			   req.__reserved ? "__reserved is not 0" : "iova is not 4 KiB aligned");
		return -EPROTO;
	}
	rc = px_pager_map(x->pg, pdev, req.iova);
	if (rc)
		px_ext_err(x, "MAP of iova %#llx for dev_id %u failed (%d)\n",
			   (unsigned long long)req.iova, req.dev_id, rc);
	return rc;
}

/* A RESPONSE frame: check every response, then write() them all to the fault fd. */
static int px_ext_respond(struct px_ext *x, uint32_t len)
{
	struct px_fh *fh = &x->pg->fh;
	struct iommu_hwpt_page_response *r = fh->resps;
	struct px_ext_group *g;
	unsigned int i, n = len / PRISIM_FS_RESPONSE_SIZE;
	ssize_t wr;
	int rc;

	if (!len || len % PRISIM_FS_RESPONSE_SIZE || n > x->waiting) {
		px_ext_err(x, "protocol error: RESPONSE frame of %u bytes: expected 1 to %u "
			   "responses of %u bytes (the groups waiting for an answer)\n", len,
			   x->waiting, PRISIM_FS_RESPONSE_SIZE);
		return -EPROTO;
	}
	/* The batch's groups fit the library's response buffer: n <= groups <= cap_msgs. */
	rc = hal_host_chan_read(x->hal, r, len);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		g = px_ext_group(x, r[i].cookie);
		if (!g || g->answered) {
			px_ext_err(x, "protocol error: response for cookie %u, which waits for none "
				   "(not in the batch, or answered already)\n", r[i].cookie);
			return -EPROTO;
		}
		if (r[i].code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    r[i].code != IOMMUFD_PAGE_RESP_INVALID) {
			px_ext_err(x, "protocol error: response code %u for cookie %u is neither "
				   "SUCCESS (0) nor INVALID (1)\n", r[i].code, r[i].cookie);
			return -EPROTO;
		}
		g->answered = true;
	}
	wr = px_write(x->pg->proc, fh->fd, r, len);
	if (wr != (ssize_t)len) {
		px_ext_err(x, "the fault fd took %zd of %u bytes of responses\n", wr, len);
		return wr < 0 ? (int)wr : -EIO;
	}
	for (i = 0; i < n; i++) {
		g = px_ext_group(x, r[i].cookie);
		if (r[i].code == IOMMUFD_PAGE_RESP_SUCCESS) {
			px_ext_count(x, g->dev_id, PX_PAGER_EV_FAULT_SERVED, g->n);
			px_ext_count(x, g->dev_id, PX_PAGER_EV_GROUP_SUCCESS, g->n);
		} else {
			px_ext_count(x, g->dev_id, PX_PAGER_EV_GROUP_INVALID, g->n);
		}
	}
	x->waiting -= n;
	return 0;
}

/* One frame from the host. */
static int px_ext_frame(struct px_ext *x)
{
	struct prisim_fs_hdr hdr;
	int rc;

	rc = hal_host_chan_read(x->hal, &hdr, sizeof(hdr));
	if (rc)
		return rc;
	switch (hdr.type) {
	case PRISIM_FS_MAP:
		return px_ext_map(x, hdr.length);
	case PRISIM_FS_RESPONSE:
		return px_ext_respond(x, hdr.length);
	default:
		px_ext_err(x, "protocol error: unknown frame type %u (length %u)\n", hdr.type,
			   hdr.length);
		return -EPROTO;
	}
}

/*
 * One round: a batch from the fault fd to the host and its answers back.
 * Return: 0, -EINTR (killed), -EAGAIN (the read failed: try again later),
 * or another -errno (the host or the protocol failed: stop).
 */
static int px_ext_round(struct px_ext *x)
{
	struct px_fh *fh = &x->pg->fh;
	int n, rc;

	n = px_fh_poll_read(fh, -1);
	if (n == -EINTR || px_proc_killed(x->pg->proc))
		return -EINTR;
	if (n < 0) {
		px_ext_err(x, "reading the fault fd failed (%d)\n", n);
		return -EAGAIN;
	}
	if (!n)
		return 0;
	rc = px_ext_collect(x, fh->msgs, (unsigned int)n);
	if (rc)
		return rc;
	rc = px_ext_send(x, PRISIM_FS_FAULTS, fh->msgs, (uint32_t)n * PRISIM_FS_PGFAULT_SIZE);
	while (!rc && x->waiting)
		rc = px_ext_frame(x);
	return rc;
}

/**
 * px_ext_run - serve the fault queue from the host process until killed
 * @pg: handler, set up (px_pager_setup) and its devices started
 * @h: the machine, whose host channel is connected
 *
 * HELLO, then rounds of px_ext_round(); on the fatal signal, BYE. When the
 * channel or the host fails, the process stops serving and waits for the
 * signal: its exit answers the groups still pending INVALID. The channel
 * is closed on return.
 *
 * Return: 0.
 */
int px_ext_run(struct px_pager *pg, struct hal *h)
{
	struct prisim_fs_hello hello = {
		.version = PRISIM_FS_VERSION,
		.pgfault_size = PRISIM_FS_PGFAULT_SIZE,
		.response_size = PRISIM_FS_RESPONSE_SIZE,
		.nr_devs = pg->nr_devs,
	};
	struct px_ext x = { .pg = pg, .hal = h };
	int rc;

	rc = px_ext_send(&x, PRISIM_FS_HELLO, &hello, sizeof(hello));
	while (!rc || rc == -EAGAIN) {
		if (rc == -EAGAIN)
			hal_sleep_ps(h, PX_EXT_PAUSE_PS);
		rc = px_ext_round(&x);
	}
	if (rc == -EINTR) {
		/* The simulation ends: tell the host, which may then close. */
		if (hal_host_chan_open(h))
			px_ext_send(&x, PRISIM_FS_BYE, NULL, 0);
	} else {
		hal_log(h, HAL_LOG_WARN, "external: %u group(s) of the last batch unanswered; "
			"no longer serving the fault queue (%d)\n", x.waiting, rc);
		/* Wait for the end: the exit answers what is pending. */
		while (px_poll(pg->proc, NULL, 0, -1) != -EINTR)
			;
	}
	hal_host_chan_close(h);
	free(x.groups);
	return 0;
}
