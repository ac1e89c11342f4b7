// SPDX-License-Identifier: Apache-2.0
/*
 * The iommufd fault object and its file (linux-iopf.md §2.2, §3): groups
 * handed over by io-pgfault wait on the deliver list until read(); read()
 * gives each a cookie (lowest free id >= 1) and moves it into the response
 * table; write() answers a cookie once. Detach, replace and destroy answer
 * what is left INVALID; closing the fd alone answers nothing.
 */
#include <errno.h>

#include "iommufd/iommufd_private.h"
#include "kernel/kalloc.h"
#include "kernel/uaccess.h"

/* Codes 0/1 pass straight through to the internal enum (§2.5). */
PX_STATIC_ASSERT((int)IOMMUFD_PAGE_RESP_SUCCESS == (int)IOMMU_PAGE_RESP_SUCCESS, "SUCCESS");
PX_STATIC_ASSERT((int)IOMMUFD_PAGE_RESP_INVALID == (int)IOMMU_PAGE_RESP_INVALID, "INVALID");

/**
 * iommufd_fault_stats_register - register the statistics of the fault queues
 * @ictx: new context
 */
void iommufd_fault_stats_register(struct iommufd_ctx *ictx)
{
	struct iommufd_fault_stats *st = &ictx->fault_stats;

	st->fault_objects = hal_stat_register(ictx->hal, "iommufd.fault_objects");
	st->fault_hwpts = hal_stat_register(ictx->hal, "iommufd.fault_hwpts");
	st->groups_queued = hal_stat_register(ictx->hal, "iommufd.groups_queued");
	st->msgs_read = hal_stat_register(ictx->hal, "iommufd.msgs_read");
	st->responses = hal_stat_register(ictx->hal, "iommufd.responses");
	st->auto_responses = hal_stat_register(ictx->hal, "iommufd.auto_responses");
	st->unread = hal_stat_register(ictx->hal, "iommufd.fault_unread");
	st->pending = hal_stat_register(ictx->hal, "iommufd.fault_pending");
}

/* @delta groups joined (left) @fault's deliver list: its occupancy. */
static void iommufd_fault_level(struct iommufd_fault *fault, int64_t delta)
{
	hal_stat_level_add(fault->obj.ictx->hal, fault->obj.ictx->fault_stats.unread, delta);
}

/* @delta groups became pending on @fault (were answered): its pending list. */
static void iommufd_fault_pending(struct iommufd_fault *fault, int64_t delta)
{
	hal_stat_level_add(fault->obj.ictx->hal, fault->obj.ictx->fault_stats.pending, delta);
}

/* Count for the device of @group; @id comes from the context's fault_stats. */
static void iommufd_fault_stat(struct iopf_group *group, hal_stat_id id, uint64_t delta)
{
	struct device *dev = group->fault_param->dev;

	hal_stat_dev_inc(dev->hal, dev->rid, id, delta);
}

/* The group passed @mark (hal_fault_stamp: named by its LAST request). */
static void iommufd_fault_stamp(struct iopf_group *group, enum hal_fault_mark mark)
{
	const struct iommu_fault_page_request *prm = &group->last_fault.fault.prm;
	struct device *dev = group->fault_param->dev;

	hal_fault_stamp(dev->hal, dev->rid, prm->pasid, prm->grpid, mark);
}

/**
 * iommufd_fault_iopf_handler - iopf_handler of fault-capable HWPT domains
 * @group: group from io-pgfault; the fault object now owns it
 *
 * Queues the group for read() and wakes pollers (§3.2). Unbounded, never
 * fails for a domain that has a fault object.
 *
 * Return: 0, or -EINVAL if the domain has no fault object.
 */
int iommufd_fault_iopf_handler(struct iopf_group *group)
{
	struct iommufd_hwpt_paging *hwpt = group->attach_handle->domain->fault_data;
	struct iommufd_fault *fault = hwpt ? hwpt->fault : NULL;

	if (!fault)
		return -EINVAL;
	/* Every group queued here is answered once: by write() or an auto-response. */
	iopf_group_take_ownership(group);
	list_add_tail(&group->node, &fault->deliver);
	iommufd_fault_level(fault, 1);
	iommufd_fault_pending(fault, 1);
	iommufd_fault_stat(group, fault->obj.ictx->fault_stats.groups_queued, 1);
	iommufd_fault_stamp(group, HAL_FAULT_QUEUED);
	px_wake_up(&fault->wait);
	return 0;
}

/* Answer and free the groups of @fault on @list (unlinked from deliver / the table). */
static unsigned int iommufd_fault_answer_list(struct iommufd_fault *fault, struct list_head *list,
					      enum iommu_page_response_code code)
{
	const struct iommufd_fault_stats *st = &fault->obj.ictx->fault_stats;
	struct iopf_group *group, *next;
	unsigned int n = 0;
	int64_t left = 0;

	list_for_each_entry_safe(group, next, list, node) {
		list_del_init(&group->node);
		if (!list_empty(&group->pending_node)) {
			iommufd_fault_stat(group, st->auto_responses, 1);
			n++;
		}
		iopf_group_response(group, code);
		iopf_free_group(group);
		left--;
	}
	if (left)
		iommufd_fault_pending(fault, left);
	return n;
}

/*
 * Move the groups of @handle (all groups if NULL) to @list: undelivered ones
 * first, then delivered-but-unanswered ones, whose cookies are erased.
 */
static void iommufd_fault_collect(struct iommufd_fault *fault,
				  struct iommu_attach_handle *handle, struct list_head *list)
{
	struct iopf_group *group, *next;
	int64_t unread = 0;
	uint32_t cookie;

	if (!hal_mutex_held(fault->mutex))
		hal_log(fault->obj.ictx->hal, HAL_LOG_ERROR,
			"iommufd: fault %u: response table used without its mutex\n",
			fault->obj.id);

	list_for_each_entry_safe(group, next, &fault->deliver, node)
		if (!handle || group->attach_handle == handle) {
			list_move_tail(&group->node, list);
			unread--;
		}
	px_idr_for_each(&fault->response, cookie, group) {
		if (handle && group->attach_handle != handle)
			continue;
		px_idr_remove(&fault->response, cookie);
		group->cookie = 0;
		list_add_tail(&group->node, list);
	}
	if (unread)
		iommufd_fault_level(fault, unread);
}

/**
 * iommufd_auto_response_faults - answer INVALID every group of one attach
 * @hwpt: the HWPT that attach used (its fault object is the one searched)
 * @handle: the attach handle, already unpublished
 *
 * Called after the hardware stopped producing faults for the attach (§3.6).
 * Later writes with those cookies get EINVAL.
 */
void iommufd_auto_response_faults(struct iommufd_hwpt_paging *hwpt,
				  struct iommu_attach_handle *handle)
{
	struct iommufd_fault *fault = hwpt ? hwpt->fault : NULL;
	struct list_head list;

	if (!fault || !handle)
		return;
	INIT_LIST_HEAD(&list);
	hal_mutex_lock(fault->mutex);
	iommufd_fault_collect(fault, handle, &list);
	iommufd_fault_answer_list(fault, &list, IOMMU_PAGE_RESP_INVALID);
	hal_mutex_unlock(fault->mutex);
}

/**
 * iommufd_fault_respond_all - answer and free every group of a fault object
 * @fault: fault object
 * @code: response code
 *
 * Return: number of responses sent.
 */
unsigned int iommufd_fault_respond_all(struct iommufd_fault *fault,
				       enum iommu_page_response_code code)
{
	struct list_head list;
	unsigned int n;

	INIT_LIST_HEAD(&list);
	hal_mutex_lock(fault->mutex);
	iommufd_fault_collect(fault, NULL, &list);
	n = iommufd_fault_answer_list(fault, &list, code);
	hal_mutex_unlock(fault->mutex);
	return n;
}

/**
 * iommufd_fault_destroy - the fault object's last reference is gone
 * @obj: object
 *
 * No HWPT and no fd refer to it any more; every group still queued or
 * awaiting a response is answered INVALID (§3.6).
 */
void iommufd_fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_fault *fault = container_of(obj, struct iommufd_fault, obj);

	if (fault->mutex) {
		iommufd_fault_respond_all(fault, IOMMU_PAGE_RESP_INVALID);
		hal_mutex_destroy(fault->mutex);
	}
	px_idr_destroy(&fault->response);
}

static void iommufd_compose_fault_message(const struct iommu_fault *fault,
					  struct iommu_hwpt_pgfault *msg, uint32_t dev_id,
					  uint32_t cookie)
{
	*msg = (struct iommu_hwpt_pgfault){
		.flags = fault->prm.flags, /* raw: bit 2 may be set (§2.4) */
		.dev_id = dev_id,
		.pasid = fault->prm.pasid,
		.grpid = fault->prm.grpid,
		.perm = fault->prm.perm,
		.addr = fault->prm.addr,
		.length = 0,
		.cookie = cookie,
	};
}

/* Copy one group to @ubuf; returns 0 or -EFAULT (the user buffer may be partly written). */
static int iommufd_fault_copy_group(struct hal *h, struct iopf_group *group, void *ubuf)
{
	const struct iommufd_device *idev = group->attach_handle->priv;
	struct iommu_hwpt_pgfault msg;
	struct iopf_fault *iopf;
	size_t off = 0;
	int rc;

	list_for_each_entry(iopf, &group->faults, list) {
		iommufd_compose_fault_message(&iopf->fault, &msg, idev->obj.id, group->cookie);
		rc = px_copy_to_user(h, px_user_ptr(ubuf, off), &msg, sizeof(msg));
		if (rc)
			return rc;
		off += sizeof(msg);
	}
	return 0;
}

/* §3.3 */
static ssize_t iommufd_fault_fops_read(struct px_file *f, void *buf, size_t count,
				       uint64_t *ppos)
{
	const size_t fault_size = sizeof(struct iommu_hwpt_pgfault);
	struct iommufd_fault *fault = f->private_data;
	struct hal *h = f->hal;
	struct iopf_group *group;
	unsigned int i, groups = 0;
	size_t done = 0;
	int rc = 0;

	if (*ppos || count % fault_size)
		return -ESPIPE;

	hal_mutex_lock(fault->mutex);
	while (!list_empty(&fault->deliver)) {
		group = list_first_entry(&fault->deliver, struct iopf_group, node);
		/* All or nothing: a group that does not fit stays at the head. */
		if (done >= count || group->fault_count * fault_size > count - done) {
			/*
			 * Linux 6.18: if not even the first group fits (count 0
			 * included) the read fails; an empty queue still reads 0.
			 */
			if (!done)
				rc = -EINVAL;
			break;
		}
		rc = px_idr_alloc(&fault->response, h, "iommufd.fault_cookie", group,
				  &group->cookie);
		if (rc)
			break;
		list_del_init(&group->node);
		rc = iommufd_fault_copy_group(h, group, px_user_ptr(buf, done));
		if (rc) {
			/* Never report part of a group: restore it, without its cookie. */
			px_idr_remove(&fault->response, group->cookie);
			group->cookie = 0;
			list_add(&group->node, &fault->deliver);
			break;
		}
		done += group->fault_count * fault_size;
		groups++;
		iommufd_fault_stat(group, fault->obj.ictx->fault_stats.msgs_read,
				   group->fault_count);
		for (i = 0; i < group->fault_count; i++)
			hal_charge(h, HAL_COST_FD_READ_MSG);
		iommufd_fault_stamp(group, HAL_FAULT_READ);
	}
	/* The groups this read() took leave the queue when it returns. */
	if (groups)
		iommufd_fault_level(fault, -(int64_t)groups);
	hal_mutex_unlock(fault->mutex);

	return done == 0 ? rc : (ssize_t)done;
}

/* §3.4 */
static ssize_t iommufd_fault_fops_write(struct px_file *f, const void *buf, size_t count,
					uint64_t *ppos)
{
	const size_t response_size = sizeof(struct iommu_hwpt_page_response);
	struct iommufd_fault *fault = f->private_data;
	struct iommu_hwpt_page_response response;
	struct hal *h = f->hal;
	struct iopf_group *group;
	size_t done = 0;
	int rc = 0;

	if (*ppos || count % response_size)
		return -ESPIPE;

	hal_mutex_lock(fault->mutex);
	while (count > done) {
		rc = px_copy_from_user(h, &response, px_user_ptr(buf, done), response_size);
		if (rc)
			break;
		/* FAILURE is not accepted from userspace; the cookie stays valid. */
		if (response.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    response.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		group = px_idr_remove(&fault->response, response.cookie);
		if (!group) {
			rc = -EINVAL;
			break;
		}
		iommufd_fault_stat(group, fault->obj.ictx->fault_stats.responses, 1);
		iopf_group_response(group, (enum iommu_page_response_code)response.code);
		iopf_free_group(group);
		hal_charge(h, HAL_COST_FD_WRITE_MSG);
		done += response_size;
	}
	/* the groups this write() answered leave the pending list when it returns */
	if (done)
		iommufd_fault_pending(fault, -(int64_t)(done / response_size));
	hal_mutex_unlock(fault->mutex);

	return done == 0 ? rc : (ssize_t)done;
}

/* §3.5: POLLOUT always, POLLIN iff undelivered groups exist. */
static unsigned int iommufd_fault_fops_poll(struct px_file *f, struct px_poll_table *pt)
{
	struct iommufd_fault *fault = f->private_data;
	unsigned int mask = PX_POLLOUT;

	px_poll_wait(&fault->wait, pt);
	if (!list_empty(&fault->deliver))
		mask |= PX_POLLIN | PX_POLLRDNORM;
	return mask;
}

/* Closing the fd answers nothing: the object lives on while HWPTs use it. */
static void iommufd_fault_fops_release(struct px_file *f)
{
	struct iommufd_fault *fault = f->private_data;

	iommufd_eventq_release(&fault->obj);
}

static const struct px_file_ops iommufd_fault_fops = {
	.read = iommufd_fault_fops_read,
	.write = iommufd_fault_fops_write,
	.poll = iommufd_fault_fops_poll,
	.release = iommufd_fault_fops_release,
};

/**
 * iommufd_fault_alloc - IOMMU_FAULT_QUEUE_ALLOC (§2.2)
 * @ucmd: command (struct iommu_fault_alloc)
 *
 * Creates the object, reserves an fd, copies the result out and installs the
 * fd only once the copy succeeded. The file holds a reference on the object
 * and on the context.
 *
 * Return: 0, -EOPNOTSUPP (flags), -ENOMEM, -EMFILE or -EFAULT.
 */
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_fault *fault;
	struct px_file *filep;
	int fdno;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	fault = iommufd_object_alloc(ictx, fault, IOMMUFD_OBJ_FAULT, &rc);
	if (!fault)
		return rc;
	INIT_LIST_HEAD(&fault->deliver);
	px_idr_init(&fault->response, 1);
	px_wait_head_init(&fault->wait);
	fault->mutex = hal_mutex_create(ictx->hal);
	if (!fault->mutex) {
		rc = -ENOMEM;
		goto out_abort;
	}

	fdno = iommufd_eventq_open(ucmd, &fault->obj, "[iommufd-pgfault]", &iommufd_fault_fops, fault, &filep);
	if (fdno < 0) {
		rc = fdno;
		goto out_abort;
	}

	cmd->out_fault_id = fault->obj.id;
	cmd->out_fault_fd = (uint32_t)fdno;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_fput;
	px_fd_install(ucmd->files, fdno, filep);
	iommufd_object_finalize(ictx, &fault->obj);
	hal_stat_inc(ictx->hal, ictx->fault_stats.fault_objects, 1);
	return 0;

out_fput:
	px_fput(filep);
	px_put_unused_fd(ucmd->files, fdno);
out_abort:
	iommufd_object_abort(ictx, &fault->obj);
	return rc;
}
