// SPDX-License-Identifier: Apache-2.0
/*
 * The vEVENTQ object and its file (linux-iopf.md §2.6, §3.5; Linux
 * drivers/iommu/iommufd/eventq.c and iommufd_viommu_report_event() in
 * driver.c, 6.18 with the 2026 read-path fixes). Events wait on the deliver
 * list, each with a header carrying a sequence number; at most depth normal
 * events are queued, and an event that does not fit takes a sequence number
 * and leaves the queue's one LOST_EVENTS header at the tail instead.
 * read() hands out whole events, write() is not supported, poll() never
 * reports POLLOUT.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "iommufd/iommufd_private.h"
#include "kernel/kalloc.h"
#include "kernel/uaccess.h"

/**
 * iommufd_vevent_stats_register - register the statistics of the vEVENTQs
 * @ictx: new context
 */
void iommufd_vevent_stats_register(struct iommufd_ctx *ictx)
{
	struct iommufd_vevent_stats *st = &ictx->vevent_stats;

	st->queued = hal_stat_register(ictx->hal, "iommufd.vevents_queued");
	st->lost = hal_stat_register(ictx->hal, "iommufd.vevents_lost");
	st->read = hal_stat_register(ictx->hal, "iommufd.vevents_read");
}

static bool vevent_is_lost_header(const struct iommufd_veventq *veventq,
				  const struct iommufd_vevent *vevent)
{
	return vevent == veventq->lost_events_header;
}

/*
 * Queue @vevent (which may be the LOST_EVENTS header) with the next sequence
 * number (Linux iommufd_vevent_handler()). The LOST_EVENTS header only ever
 * sits at the tail: the next event queued after it takes its place, and the
 * gap in the sequence then tells the reader what was lost.
 */
static void iommufd_vevent_handler(struct iommufd_veventq *veventq,
				   struct iommufd_vevent *vevent)
{
	struct iommufd_vevent *lost = veventq->lost_events_header;

	if (!list_empty(&lost->node))
		list_del_init(&lost->node);
	list_add_tail(&vevent->node, &veventq->deliver);
	vevent->header.sequence = veventq->sequence;
	veventq->sequence = (veventq->sequence + 1) & INT_MAX;
	px_wake_up(&veventq->wait);
}

/**
 * iommufd_viommu_report_event - queue one event on a vIOMMU's vEVENTQ
 * @viommu: vIOMMU
 * @rid: device the event names (statistics only)
 * @type: vEVENTQ type
 * @data: payload, copied
 * @len: payload bytes (> 0)
 *
 * Linux iommufd_viommu_report_event(): a full queue (depth normal events)
 * or a failed allocation queues the LOST_EVENTS header instead; either way
 * the event takes a sequence number.
 *
 * Return: 0 (queued, or marked lost because the queue is full), -EOPNOTSUPP
 * (no vEVENTQ of @type), -ENOMEM (marked lost: no memory), -EINVAL.
 */
int iommufd_viommu_report_event(struct iommufd_viommu *viommu, uint16_t rid, uint32_t type,
				const void *data, size_t len)
{
	const struct iommufd_vevent_stats *st = &viommu->obj.ictx->vevent_stats;
	struct hal *h = viommu->obj.ictx->hal;
	struct iommufd_veventq *veventq;
	struct iommufd_vevent *vevent;

	if (!data || !len)
		return -EINVAL;
	veventq = iommufd_viommu_find_veventq(viommu, type);
	if (!veventq)
		return -EOPNOTSUPP;

	if (veventq->num_events == veventq->depth) {
		hal_stat_dev_inc(h, rid, st->lost, 1);
		iommufd_vevent_handler(veventq, veventq->lost_events_header);
		return 0;
	}
	vevent = px_kzalloc(h, sizeof(*vevent) + len, "iommufd.vevent_alloc");
	if (!vevent) {
		hal_stat_dev_inc(h, rid, st->lost, 1);
		iommufd_vevent_handler(veventq, veventq->lost_events_header);
		return -ENOMEM;
	}
	vevent->data_len = len;
	memcpy(vevent->event_data, data, len);
	veventq->num_events++;
	hal_stat_dev_inc(h, rid, st->queued, 1);
	iommufd_vevent_handler(veventq, vevent);
	return 0;
}

/* Unlink and free every queued event (the LOST_EVENTS header is only unlinked). */
static void iommufd_veventq_free_events(struct iommufd_veventq *veventq)
{
	struct iommufd_vevent *cur, *next;

	list_for_each_entry_safe(cur, next, &veventq->deliver, node) {
		list_del_init(&cur->node);
		if (!vevent_is_lost_header(veventq, cur))
			px_kfree(cur);
	}
	veventq->num_events = 0;
}

/**
 * iommufd_veventq_destroy - the vEVENTQ's last reference is gone
 * @obj: object
 *
 * Its fd is closed; queued events are freed, nothing needs an answer. Also
 * the abort path, on a partly built queue.
 */
void iommufd_veventq_destroy(struct iommufd_object *obj)
{
	struct iommufd_veventq *veventq = container_of(obj, struct iommufd_veventq, obj);

	if (veventq->lost_events_header) {
		iommufd_veventq_free_events(veventq);
		px_kfree(veventq->lost_events_header);
	}
	if (!list_empty(&veventq->node))
		list_del_init(&veventq->node);
	/* Pairs with iommufd_veventq_alloc() */
	if (veventq->viommu)
		iommufd_put_object(&veventq->viommu->obj);
}

/*
 * read(): whole events only, header then payload, no padding. The head
 * event is copied in place and unlinked only once both copies succeeded,
 * so a failed copy leaves it queued and counts none of its bytes (the 2026
 * "rewind header length" fix).
 */
static ssize_t iommufd_veventq_fops_read(struct px_file *f, void *buf, size_t count,
					 uint64_t *ppos)
{
	const size_t hdr_size = sizeof(struct iommufd_vevent_header);
	struct iommufd_veventq *veventq = f->private_data;
	const struct iommufd_vevent_stats *st = &veventq->obj.ictx->vevent_stats;
	struct hal *h = f->hal;
	struct iommufd_vevent *cur;
	size_t done = 0;
	int rc = 0;

	if (*ppos)
		return -ESPIPE;

	while (!list_empty(&veventq->deliver)) {
		cur = list_first_entry(&veventq->deliver, struct iommufd_vevent, node);
		if (done >= count || hdr_size + cur->data_len > count - done) {
			/*
			 * Linux 6.18 with "iommufd: Reject invalid read count in
			 * iommufd_veventq_fops_read()": if not even the first
			 * event fits (count 0 included) the read fails; an empty
			 * queue still reads 0.
			 */
			if (!done)
				rc = -EINVAL;
			break;
		}
		rc = px_copy_to_user(h, px_user_ptr(buf, done), &cur->header, hdr_size);
		if (!rc)
			rc = px_copy_to_user(h, px_user_ptr(buf, done + hdr_size), cur->event_data,
					     cur->data_len);
		if (rc)
			break;
		done += hdr_size + cur->data_len;
		list_del_init(&cur->node);
		if (!vevent_is_lost_header(veventq, cur)) {
			veventq->num_events--;
			px_kfree(cur);
			hal_stat_inc(h, st->read, 1);
		}
		hal_charge(h, HAL_COST_FD_READ_MSG);
	}

	return done == 0 ? rc : (ssize_t)done;
}

/* §3.5: never POLLOUT; POLLIN | POLLRDNORM iff events (or a LOST header) wait. */
static unsigned int iommufd_veventq_fops_poll(struct px_file *f, struct px_poll_table *pt)
{
	struct iommufd_veventq *veventq = f->private_data;
	unsigned int mask = 0;

	px_poll_wait(&veventq->wait, pt);
	if (!list_empty(&veventq->deliver))
		mask |= PX_POLLIN | PX_POLLRDNORM;
	return mask;
}

static void iommufd_veventq_fops_release(struct px_file *f)
{
	struct iommufd_veventq *veventq = f->private_data;

	iommufd_eventq_release(&veventq->obj);
}

/* No write op: write() is -EINVAL, as for a Linux file without one. */
static const struct px_file_ops iommufd_veventq_fops = {
	.read = iommufd_veventq_fops_read,
	.poll = iommufd_veventq_fops_poll,
	.release = iommufd_veventq_fops_release,
};

/**
 * iommufd_veventq_alloc - IOMMU_VEVENTQ_ALLOC
 * @ucmd: command (struct iommu_veventq_alloc)
 *
 * Checks in Linux's order (iommufd_veventq_alloc()): flags, __reserved != 0
 * or type DEFAULT -> EOPNOTSUPP; veventq_depth 0 -> EINVAL; unknown
 * viommu_id -> ENOENT; a vEVENTQ of that type already on the vIOMMU ->
 * EEXIST. Any other type is accepted, as in Linux (it may never receive an
 * event). The fd is installed only once the result was copied out; the file
 * holds a reference on the object and on the context.
 *
 * Return: 0 or -errno.
 */
int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_veventq_alloc *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_veventq *veventq;
	struct iommufd_viommu *viommu;
	struct px_file *filep;
	int fdno;
	int rc;

	if (cmd->flags || cmd->__reserved || cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth)
		return -EINVAL;

	viommu = iommufd_get_viommu(ucmd, cmd->viommu_id);
	if (!viommu)
		return -ENOENT;
	if (iommufd_viommu_find_veventq(viommu, cmd->type)) {
		rc = -EEXIST;
		goto out_put_viommu;
	}

	veventq = iommufd_object_alloc(ictx, veventq, IOMMUFD_OBJ_VEVENTQ, &rc);
	if (!veventq)
		goto out_put_viommu;
	INIT_LIST_HEAD(&veventq->deliver);
	INIT_LIST_HEAD(&veventq->node);
	px_wait_head_init(&veventq->wait);
	veventq->type = cmd->type;
	veventq->depth = cmd->veventq_depth;
	/* The lookup reference on the vIOMMU moves into the vEVENTQ. */
	veventq->viommu = viommu;
	list_add_tail(&veventq->node, &viommu->veventqs);
	veventq->lost_events_header = px_kzalloc(ictx->hal, sizeof(*veventq->lost_events_header),
						 "iommufd.vevent_alloc");
	if (!veventq->lost_events_header) {
		rc = -ENOMEM;
		goto out_abort;
	}
	INIT_LIST_HEAD(&veventq->lost_events_header->node);
	veventq->lost_events_header->header.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;

	fdno = iommufd_eventq_open(ucmd, &veventq->obj, "[iommufd-viommu-event]", &iommufd_veventq_fops, veventq, &filep);
	if (fdno < 0) {
		rc = fdno;
		goto out_abort;
	}

	cmd->out_veventq_id = veventq->obj.id;
	cmd->out_veventq_fd = (uint32_t)fdno;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_fput;
	px_fd_install(ucmd->files, fdno, filep);
	iommufd_object_finalize(ictx, &veventq->obj);
	return 0;

out_fput:
	px_fput(filep);
	px_put_unused_fd(ucmd->files, fdno);
out_abort:
	iommufd_object_abort(ictx, &veventq->obj);
	return rc;
out_put_viommu:
	iommufd_put_object(&viommu->obj);
	return rc;
}
