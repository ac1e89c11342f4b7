/* SPDX-License-Identifier: Apache-2.0 */
/*
 * px_fh - a small library for a userspace I/O page-fault handler on an
 * iommufd fault fd (docs/uapi.md "The fault fd"; Linux
 * drivers/iommu/iommufd/eventq.c, 6.18 semantics).
 *
 * It owns the loop every such handler needs: poll() for POLLIN, read() a
 * batch of whole groups, cut the batch into groups (messages sharing a
 * cookie), hand each group to the handler's decide() callback, and write()
 * one response per group. read() failing with EINVAL means the group at
 * the head of the queue does not fit the buffer (count 0 included): the
 * buffer is doubled and the read retried, never spun on; a read of 0 is an
 * empty queue.
 *
 * The library calls only the syscall-shaped layer (px_poll, px_read,
 * px_write) and the uAPI structs; it logs, counts and charges nothing.
 * What a handler wants to see of it (refused responses, errors of the
 * loop) comes back through the optional callbacks of struct px_fh_ops.
 * Porting to Linux: replace px_xxx(p, ...) with xxx(...) and -errno with
 * errno.
 *
 * Every function returns 0 or a count on success and -errno on failure.
 */
#ifndef PRISIM_SW_USER_FAULT_HANDLER_H
#define PRISIM_SW_USER_FAULT_HANDLER_H

#include <stdint.h>

#include "prisim/uapi/iommufd.h"
#include "user/px_syscall.h"

/* Largest read buffer, in messages, a group may make the library grow to. */
#define PX_FH_MAX_MSGS 65536u

/* decide(): leave the group unanswered (see struct px_fh_ops). */
#define PX_FH_RESP_NONE 0xffffffffu

struct px_fh_ops {
	/*
	 * decide - answer one group: @msgs[0 .. @n - 1] share a cookie (>= 1),
	 * partial requests first, the LAST one at the end.
	 * RETURN VALUE: IOMMUFD_PAGE_RESP_SUCCESS, IOMMUFD_PAGE_RESP_INVALID,
	 * or PX_FH_RESP_NONE: no response is written now (the handler holds
	 * the group; a detach, a replace or the process's exit makes the
	 * kernel answer it INVALID if the handler never does).
	 * Any other value is not sent: the group is answered INVALID instead
	 * (the kernel would refuse it with EINVAL and leave the group pending).
	 */
	uint32_t (*decide)(void *ctx, const struct iommu_hwpt_pgfault *msgs, unsigned int n);
	/* Optional: messages with cookie 0, which cannot be answered. */
	void (*unanswerable)(void *ctx, const struct iommu_hwpt_pgfault *msgs, unsigned int n);
	/* Optional: the kernel refused the response for @cookie with @err. */
	void (*refused)(void *ctx, uint32_t cookie, int err);
	/*
	 * Optional: px_fh_run() got @err from a round. Return 0 to go on (after
	 * whatever pause the handler wants), or a -errno to end the loop with it.
	 * Without it, any error but -EINTR ends the loop.
	 */
	int (*error)(void *ctx, int err);
};

struct px_fh {
	struct px_proc *proc;
	int fd;                         /* the fault fd */
	unsigned int batch;             /* messages asked for per read() */
	unsigned int cap_msgs;          /* capacity of msgs and resps */
	struct iommu_hwpt_pgfault *msgs;
	struct iommu_hwpt_page_response *resps;
	const struct px_fh_ops *ops;
	void *ctx;                      /* passed to every callback */
};

/*
 * px_fh_init - set up @fh to serve @fd for process @p.
 * @batch: messages per read() (0 is taken as 1, more than PX_FH_MAX_MSGS
 * as PX_FH_MAX_MSGS). @ops->decide is required.
 * RETURN VALUE: 0, -EINVAL (no decide), -ENOMEM.
 */
int px_fh_init(struct px_fh *fh, struct px_proc *p, int fd, unsigned int batch,
	       const struct px_fh_ops *ops, void *ctx);
/* px_fh_release - free the buffers (@fh may be zeroed or released already). */
void px_fh_release(struct px_fh *fh);

/*
 * px_fh_read - one read() of whole groups into fh->msgs, growing the
 * buffer while read() says EINVAL (the head group does not fit).
 * RETURN VALUE: messages read (0: queue empty), -E2BIG (a group of more
 * than PX_FH_MAX_MSGS messages), -ENOMEM, or read()'s other -errno.
 */
int px_fh_read(struct px_fh *fh);

/*
 * px_fh_poll_read - poll() for POLLIN (@timeout_ms < 0: wait forever), then
 * px_fh_read(): the messages are left in fh->msgs for the caller.
 * RETURN VALUE: messages read (0: timeout, or the queue emptied between
 * poll() and read()), -EIO (poll() returned without POLLIN), -EINTR (fatal
 * signal), or another -errno of px_fh_read().
 */
int px_fh_poll_read(struct px_fh *fh, int timeout_ms);

/*
 * px_fh_dispatch - answer @n messages as read() returned them: each run of
 * one cookie is a group, decided once; then write() every response (none
 * for a group decide() holds: PX_FH_RESP_NONE).
 * RETURN VALUE: groups answered (responses written or refused), or -EINVAL
 * if @n is larger than the buffer capacity.
 */
int px_fh_dispatch(struct px_fh *fh, const struct iommu_hwpt_pgfault *msgs, unsigned int n);

/*
 * px_fh_serve_once - one round: poll() for POLLIN (@timeout_ms < 0: wait
 * forever), read, dispatch.
 * RETURN VALUE: groups answered (0: timeout, or the queue emptied between
 * poll() and read()), -EIO (poll() returned without POLLIN), -EINTR (fatal
 * signal), or another -errno of the calls above.
 */
int px_fh_serve_once(struct px_fh *fh, int timeout_ms);

/*
 * px_fh_run - serve until the process gets a fatal signal.
 * Errors of a round go to ops->error (see there).
 * RETURN VALUE: 0 once killed, or the -errno ops->error ended the loop with.
 */
int px_fh_run(struct px_fh *fh);

#endif /* PRISIM_SW_USER_FAULT_HANDLER_H */
