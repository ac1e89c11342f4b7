// SPDX-License-Identifier: Apache-2.0
/*
 * The fault-handler library (fault_handler.h): poll, batched read with
 * EINVAL-aware buffer sizing, per-group dispatch and the response write,
 * on the iommufd fault fd as Linux 6.18 defines it
 * (drivers/iommu/iommufd/eventq.c, iommufd_fault_fops_read/write/poll).
 *
 * Only the syscall-shaped layer and libc are used here.
 */
#include <errno.h>
#include <stdlib.h>

#include "user/fault_handler.h"

#define PX_FH_MSG_SIZE  sizeof(struct iommu_hwpt_pgfault)
#define PX_FH_RESP_SIZE sizeof(struct iommu_hwpt_page_response)

/**
 * px_fh_init - set up a handler on a fault fd
 * @fh: handler state (filled in)
 * @p: the process whose fd it is
 * @fd: fault fd (IOMMU_FAULT_QUEUE_ALLOC's out_fault_fd)
 * @batch: messages per read() (0: 1; capped at PX_FH_MAX_MSGS)
 * @ops: callbacks; decide is required
 * @ctx: passed to every callback
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int px_fh_init(struct px_fh *fh, struct px_proc *p, int fd, unsigned int batch,
	       const struct px_fh_ops *ops, void *ctx)
{
	if (!fh || !ops || !ops->decide)
		return -EINVAL;
	if (!batch)
		batch = 1;
	if (batch > PX_FH_MAX_MSGS)
		batch = PX_FH_MAX_MSGS;
	*fh = (struct px_fh){
		.proc = p,
		.fd = fd,
		.batch = batch,
		.cap_msgs = batch,
		.ops = ops,
		.ctx = ctx,
	};
	fh->msgs = calloc(batch, PX_FH_MSG_SIZE);
	fh->resps = calloc(batch, PX_FH_RESP_SIZE);
	if (!fh->msgs || !fh->resps) {
		px_fh_release(fh);
		return -ENOMEM;
	}
	return 0;
}

/**
 * px_fh_release - free the buffers of a handler
 * @fh: handler (NULL, zeroed or released is fine)
 */
void px_fh_release(struct px_fh *fh)
{
	if (!fh)
		return;
	free(fh->msgs);
	free(fh->resps);
	fh->msgs = NULL;
	fh->resps = NULL;
	fh->cap_msgs = 0;
}

static int px_fh_grow(struct px_fh *fh, unsigned int cap)
{
	struct iommu_hwpt_page_response *r;
	struct iommu_hwpt_pgfault *m;

	m = realloc(fh->msgs, cap * PX_FH_MSG_SIZE);
	if (!m)
		return -ENOMEM;
	fh->msgs = m;
	r = realloc(fh->resps, cap * PX_FH_RESP_SIZE);
	if (!r)
		return -ENOMEM;
	fh->resps = r;
	fh->cap_msgs = cap;
	return 0;
}

/**
 * px_fh_read - read whole groups, growing the buffer on EINVAL
 * @fh: handler
 *
 * Asks for fh->batch messages. Linux 6.18 fails the read with EINVAL when
 * groups are queued and the first one does not fit the count (count 0
 * included), leaving it at the head: the count is then doubled, as often
 * as needed up to PX_FH_MAX_MSGS, and the read retried. 0 is an empty
 * queue, never "too small".
 *
 * Return: messages read, or -errno.
 */
int px_fh_read(struct px_fh *fh)
{
	unsigned int want = fh->batch;
	ssize_t len;
	int rc;

	for (;;) {
		len = px_read(fh->proc, fh->fd, fh->msgs, (size_t)want * PX_FH_MSG_SIZE);
		if (len >= 0)
			return (int)((size_t)len / PX_FH_MSG_SIZE);
		if (len != -EINVAL)
			return (int)len;
		/* The head group is larger than the buffer: grow it and read again. */
		if (want >= PX_FH_MAX_MSGS)
			return -E2BIG;
		want *= 2;
		if (want > fh->cap_msgs) {
			rc = px_fh_grow(fh, want);
			if (rc)
				return rc;
		}
	}
}

/* Write responses [0, nr); an entry the kernel refuses is reported and skipped. */
static void px_fh_respond(struct px_fh *fh, unsigned int nr)
{
	unsigned int off = 0;
	ssize_t rc;

	while (off < nr) {
		rc = px_write(fh->proc, fh->fd, &fh->resps[off], (nr - off) * PX_FH_RESP_SIZE);
		if (rc > 0) {
			off += (unsigned int)((size_t)rc / PX_FH_RESP_SIZE);
			continue;
		}
		/* write() stops at the first bad entry: its bytes are the good prefix. */
		if (fh->ops->refused)
			fh->ops->refused(fh->ctx, fh->resps[off].cookie, rc < 0 ? (int)rc : -EIO);
		off++;
	}
}

/**
 * px_fh_dispatch - decide every group of a batch and write the responses
 * @fh: handler
 * @msgs: messages, whole groups as read() returns them
 * @n: number of messages, at most fh->cap_msgs
 *
 * Messages with the same cookie form a group (iommufd gives all messages of
 * a group one cookie); each group gets one response, unless decide() holds
 * it (PX_FH_RESP_NONE). Messages with cookie 0 cannot be answered: they go
 * to ops->unanswerable.
 *
 * Return: groups answered now, or -EINVAL if @n is too large.
 */
int px_fh_dispatch(struct px_fh *fh, const struct iommu_hwpt_pgfault *msgs, unsigned int n)
{
	unsigned int i = 0, j, nr = 0;
	uint32_t code;

	if (n > fh->cap_msgs)
		return -EINVAL;
	while (i < n) {
		for (j = i + 1; j < n && msgs[j].cookie == msgs[i].cookie; j++)
			;
		if (!msgs[i].cookie) {
			if (fh->ops->unanswerable)
				fh->ops->unanswerable(fh->ctx, &msgs[i], j - i);
		} else {
			code = fh->ops->decide(fh->ctx, &msgs[i], j - i);
			/* FAILURE is not accepted from userspace (linux-iopf.md §2.5). */
			if (code != IOMMUFD_PAGE_RESP_SUCCESS && code != PX_FH_RESP_NONE)
				code = IOMMUFD_PAGE_RESP_INVALID;
			if (code != PX_FH_RESP_NONE) {
				fh->resps[nr].cookie = msgs[i].cookie;
				fh->resps[nr].code = code;
				nr++;
			}
		}
		i = j;
	}
	px_fh_respond(fh, nr);
	return (int)nr;
}

/**
 * px_fh_poll_read - poll for POLLIN, then read whole groups (px_fh_read)
 * @fh: handler
 * @timeout_ms: poll timeout (< 0: forever, 0: do not wait)
 *
 * The messages are in fh->msgs, for the caller to answer (px_fh_dispatch,
 * or a handler that decides elsewhere).
 *
 * Return: messages read (0 on timeout or when the queue emptied between
 * poll() and read()), -EIO (poll() returned without POLLIN), or -errno.
 */
int px_fh_poll_read(struct px_fh *fh, int timeout_ms)
{
	struct px_pollfd pfd = { .fd = fh->fd, .events = PX_POLLIN };
	int rc;

	rc = px_poll(fh->proc, &pfd, 1, timeout_ms);
	if (rc <= 0)
		return rc;
	if (!(pfd.revents & PX_POLLIN))
		return -EIO;
	return px_fh_read(fh);
}

/**
 * px_fh_serve_once - poll, read a batch, answer it
 * @fh: handler
 * @timeout_ms: poll timeout (< 0: forever, 0: do not wait)
 *
 * Return: groups answered (0 on timeout or when the queue emptied between
 * poll() and read(), e.g. a detach answered the groups), or -errno.
 */
int px_fh_serve_once(struct px_fh *fh, int timeout_ms)
{
	int rc;

	rc = px_fh_poll_read(fh, timeout_ms);
	if (rc <= 0)
		return rc;
	return px_fh_dispatch(fh, fh->msgs, (unsigned int)rc);
}

/**
 * px_fh_run - serve until a fatal signal
 * @fh: handler
 *
 * Rounds of px_fh_serve_once() with no timeout. -EINTR, or a fatal signal
 * seen after a round, ends the loop with 0; any other error goes to
 * ops->error, which decides whether the loop goes on (no ops->error: it
 * ends with that error).
 *
 * Return: 0 when killed, or the error the loop ended with.
 */
int px_fh_run(struct px_fh *fh)
{
	int rc;

	for (;;) {
		rc = px_fh_serve_once(fh, -1);
		if (rc == -EINTR || px_proc_killed(fh->proc))
			return 0;
		if (rc >= 0)
			continue;
		if (!fh->ops->error)
			return rc;
		rc = fh->ops->error(fh->ctx, rc);
		if (rc)
			return rc;
	}
}
