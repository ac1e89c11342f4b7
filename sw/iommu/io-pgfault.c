// SPDX-License-Identifier: Apache-2.0
/*
 * Generic I/O page-fault handling (linux-iopf.md §1): page requests reported
 * by an IOMMU driver are parked per device until the LAST request of their
 * group arrives, then the group goes to the iopf_handler of the domain found
 * through the attach handle of (device, PASID). Every group is answered
 * exactly once with the PASID and PRG index of its LAST request.
 *
 * Ownership (Linux 6.18.y with the CVE-2026-74520 fix, stable 6.18.44; see
 * sw/iommu/README.md for why): once a handler accepted a group (returned 0)
 * the consumer owns its memory and is the only one that frees it
 * (iopf_free_group). The core never frees an accepted group. pending_node
 * only says "not answered yet": iopf_group_response() sends a response only
 * while it is linked and unlinks it before calling the driver. A consumer
 * that answers every group it accepts (iommufd) owns the answer too
 * (iopf_group_take_ownership): iopf_queue_remove_device() leaves those
 * groups alone, and the consumer's one response is sent when it comes, also
 * after the removal. The other groups still unanswered at removal are
 * answered INVALID there, and a later response to them is a no-op. Either
 * way each group is answered exactly once and nothing is freed under the
 * consumer's feet.
 *
 * Memory: the partial requests and the groups of a device come from two
 * object caches in its fault param (struct iopf_fault_param), so that once
 * a device has had as many requests and groups in flight as it will ever
 * have, reporting and freeing allocate nothing. A group holds a reference on
 * the fault param, so the caches outlive every object taken from them; they
 * are freed with the fault param. Statistics ids are registered once per
 * queue.
 *
 * Locking: the simulation is cooperative. The only blocking calls here are
 * the driver's page_response and hal_charge; list state is settled before
 * either is made.
 */
#include <errno.h>
#include <stdio.h>

#include "iommu/iommu.h"
#include "kernel/kalloc.h"

enum iopf_stat_item {
	IOPF_STAT_RESP_SUCCESS = IOMMU_PAGE_RESP_SUCCESS,
	IOPF_STAT_RESP_INVALID = IOMMU_PAGE_RESP_INVALID,
	IOPF_STAT_RESP_FAILURE = IOMMU_PAGE_RESP_FAILURE,
	IOPF_STAT_REPORTED,
	IOPF_STAT_PARTIALS_QUEUED,
	IOPF_STAT_PARTIALS_DROPPED_NOMEM,
	IOPF_STAT_PARTIALS_DISCARDED,
	IOPF_STAT_GROUPS,
	IOPF_STAT_REQUESTS_DELIVERED,
	IOPF_STAT_ABORT_FAILURE,
	IOPF_STAT_REQUESTS_ABORTED,
	IOPF_STAT_NO_HANDLER_INVALID,
	IOPF_STAT_NO_HANDLER_EARLY,
	IOPF_STAT_STOP_MARKERS_DROPPED,
	IOPF_STAT_GROUPS_STAGE2,
	IOPF_STAT__COUNT
};

static const char *const iopf_stat_names[IOPF_STAT__COUNT] = {
	[IOPF_STAT_RESP_SUCCESS] = "iopf.responses.success",
	[IOPF_STAT_RESP_INVALID] = "iopf.responses.invalid",
	[IOPF_STAT_RESP_FAILURE] = "iopf.responses.failure",
	[IOPF_STAT_REPORTED] = "iopf.reported",
	[IOPF_STAT_PARTIALS_QUEUED] = "iopf.partials_queued",
	[IOPF_STAT_PARTIALS_DROPPED_NOMEM] = "iopf.partials_dropped_nomem",
	[IOPF_STAT_PARTIALS_DISCARDED] = "iopf.partials_discarded",
	[IOPF_STAT_GROUPS] = "iopf.groups",
	[IOPF_STAT_REQUESTS_DELIVERED] = "iopf.requests_delivered",
	[IOPF_STAT_ABORT_FAILURE] = "iopf.abort_failure",
	[IOPF_STAT_REQUESTS_ABORTED] = "iopf.requests_aborted",
	[IOPF_STAT_NO_HANDLER_INVALID] = "iopf.no_handler_invalid",
	[IOPF_STAT_NO_HANDLER_EARLY] = "iopf.no_handler_early",
	[IOPF_STAT_STOP_MARKERS_DROPPED] = "iopf.stop_markers_dropped",
	[IOPF_STAT_GROUPS_STAGE2] = "iopf.groups_stage2",
};

struct iopf_queue {
	struct hal *hal;
	char name[32];
	struct list_head devices;      /* iommu_fault_param.queue_node */
	hal_stat_id stats[IOPF_STAT__COUNT];
};

/* The fault param as io-pgfault allocates it: with the caches of the device. */
struct iopf_fault_param {
	struct iommu_fault_param param;
	struct px_kmem_cache fault_cache;  /* struct iopf_fault: partial requests */
	struct px_kmem_cache group_cache;  /* struct iopf_group */
};

static struct iopf_fault_param *to_iopf_param(struct iommu_fault_param *param)
{
	return container_of(param, struct iopf_fault_param, param);
}

/* Count for @dev, globally and per device, with the ids of its IOMMU's queue. */
static void iopf_stat(struct device *dev, enum iopf_stat_item item, uint64_t delta)
{
	const struct iopf_queue *queue = dev->iommu ? dev->iommu->iopf_queue : NULL;

	if (queue)
		hal_stat_dev_inc(dev->hal, dev->rid, queue->stats[item], delta);
	else /* no IOMMU or no iopf queue: a misconfiguration, counted by name */
		hal_stat_dev_add(dev->hal, dev->rid, iopf_stat_names[item], delta);
}

/* Send one PRG response through the driver (pasid/grpid of @evt). */
static void iopf_send_response(struct device *dev, struct iopf_fault *evt,
			       enum iommu_page_response_code code)
{
	const struct iommu_ops *ops = dev->iommu ? dev->iommu->ops : NULL;
	struct iommu_page_response resp = {
		.pasid = evt->fault.prm.pasid,
		.grpid = evt->fault.prm.grpid,
		.code = code,
	};

	if (!ops || !ops->page_response) {
		hal_log(dev->hal, HAL_LOG_ERROR,
			"iopf: %s: no page_response op, grpid %u left unanswered\n",
			dev->name, resp.grpid);
		return;
	}
	if ((unsigned int)code <= IOMMU_PAGE_RESP_FAILURE)
		iopf_stat(dev, (enum iopf_stat_item)code, 1);
	hal_fault_stamp(dev->hal, dev->rid, resp.pasid, resp.grpid, HAL_FAULT_ANSWERED);
	ops->page_response(dev, evt, &resp);
}

static void iopf_put_fault_param(struct iommu_fault_param *param)
{
	struct iopf_fault_param *fp = to_iopf_param(param);

	if (--param->users)
		return;
	px_kmem_cache_destroy(&fp->group_cache);
	px_kmem_cache_destroy(&fp->fault_cache);
	px_kfree(fp);
}

/*
 * Free every request on @list except an embedded LAST one, back to the cache
 * of @param; returns how many.
 */
static unsigned int iopf_free_faults(struct iommu_fault_param *param, struct list_head *list,
				     struct iopf_fault *keep)
{
	struct iopf_fault_param *fp = to_iopf_param(param);
	struct iopf_fault *iopf, *next;
	unsigned int n = 0;

	list_for_each_entry_safe(iopf, next, list, list) {
		list_del_init(&iopf->list);
		if (iopf == keep)
			continue;
		px_kmem_cache_free(&fp->fault_cache, iopf);
		n++;
	}
	return n;
}

/* A Stop Marker (L=1, R=W=0, with PASID): drivers must drop these (§1.2 step 7). */
static bool iopf_is_stop_marker(const struct iommu_fault_page_request *prm)
{
	return (prm->flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE) &&
	       (prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID) &&
	       !(prm->perm & (IOMMU_FAULT_PERM_READ | IOMMU_FAULT_PERM_WRITE));
}

/*
 * §1.2 step 1: route by the attach handle of (device, PASID). A PASID with
 * no attach of its own, on an IOMMU whose PASID table the user owns, goes
 * to the RID's attach if that is a NESTED domain (the guest's first stage
 * resolves every PASID), to nobody otherwise.
 */
static struct iommu_attach_handle *iopf_find_handler(struct device *dev,
						     const struct iommu_fault_page_request *prm)
{
	struct iommu_attach_handle *handle;

	if (prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID) {
		handle = iommu_attach_handle_get(dev, prm->pasid);
		if (!handle) {
			if (!dev->iommu || !dev->iommu->ops->user_pasid_table)
				return NULL;
			handle = iommu_attach_handle_get(dev, IOMMU_NO_PASID);
			if (!handle || !handle->domain || handle->domain->type != IOMMU_DOMAIN_NESTED)
				return NULL;
		}
	} else {
		handle = iommu_attach_handle_get(dev, IOMMU_NO_PASID);
	}
	if (!handle || !handle->domain || !handle->domain->iopf_handler)
		return NULL;
	return handle;
}

/*
 * Whether a group reported on a NESTED domain is the nesting parent's: none
 * of its requests fails in the user's first stage, and at least one needs
 * the parent to map a guest-physical page, or to grant it the access (the
 * final address, or a first-stage table's), which is recorded in that
 * request's gpa. The PRI request carries only the IOVA, so the stage is
 * found by translating it in software (domain->ops->stage1_translate), as
 * the IOMMU did. A group whose requests all translate now (resolved since)
 * stays the user's, as Linux delivers every fault of a NESTED attach to its
 * handler.
 */
static bool iopf_group_is_stage2(struct iommu_domain *domain, struct iopf_group *group)
{
	struct iommu_domain *parent = domain->parent;
	struct iopf_fault *iopf;
	bool stage2 = false;

	if (!parent || !parent->iopf_handler || !domain->ops || !domain->ops->stage1_translate)
		return false;
	list_for_each_entry(iopf, &group->faults, list) {
		const struct iommu_fault_page_request *prm = &iopf->fault.prm;
		uint64_t gpa = 0;
		int rc = domain->ops->stage1_translate(domain, prm, &gpa);

		if (rc == -ENOENT)
			return false;
		if (rc == -EFAULT) {
			iopf->gpa = gpa;
			iopf->stage2 = true;
			stage2 = true;
		}
	}
	return stage2;
}

/* §1.2 step 3: park a non-last request; it is never answered on its own. */
static int iopf_report_partial(struct device *dev, struct iommu_fault_param *param,
			       const struct iopf_fault *evt)
{
	struct iopf_fault *iopf = px_kmem_cache_zalloc(&to_iopf_param(param)->fault_cache);

	if (!iopf) {
		/* The group will arrive without this page. */
		iopf_stat(dev, IOPF_STAT_PARTIALS_DROPPED_NOMEM, 1);
		return -ENOMEM;
	}
	iopf->fault = evt->fault;
	list_add_tail(&iopf->list, &param->partial);
	iopf_stat(dev, IOPF_STAT_PARTIALS_QUEUED, 1);
	return 0;
}

/*
 * §1.2 step 4: build the group of @evt, or fill @abort_group when memory is
 * short so that the PRG can still be answered. The reference on @param that
 * the caller took moves into the group.
 */
static struct iopf_group *iopf_group_alloc(struct iommu_fault_param *param,
					   const struct iopf_fault *evt,
					   struct iopf_group *abort_group)
{
	struct iopf_fault *iopf, *next;
	struct iopf_group *group;

	group = px_kmem_cache_zalloc(&to_iopf_param(param)->group_cache);
	if (!group) {
		*abort_group = (struct iopf_group){ 0 };
		group = abort_group;
	}
	group->fault_param = param;
	group->last_fault.fault = evt->fault;
	INIT_LIST_HEAD(&group->faults);
	INIT_LIST_HEAD(&group->pending_node);
	INIT_LIST_HEAD(&group->node);
	list_add(&group->last_fault.list, &group->faults);
	group->fault_count = 1;

	/* Match by grpid only, across PASIDs; keep arrival order, LAST at the tail. */
	list_for_each_entry_safe(iopf, next, &param->partial, list) {
		if (iopf->fault.prm.grpid != evt->fault.prm.grpid)
			continue;
		list_del_init(&iopf->list);
		list_add_tail(&iopf->list, &group->last_fault.list);
		group->fault_count++;
	}
	list_add_tail(&group->pending_node, &param->faults);
	return group;
}

/* Free the partials of a group and drop its fault_param reference. */
static void __iopf_free_group(struct iopf_group *group)
{
	iopf_free_faults(group->fault_param, &group->faults, &group->last_fault);
	iopf_put_fault_param(group->fault_param);
	group->fault_param = NULL;
}

/**
 * iommu_report_device_fault - report one page request (linux-iopf.md §1.2)
 * @dev: device that sent it
 * @evt: the request; copied, the caller keeps ownership
 *
 * Called from the IOMMU driver's IRQ thread. Stop Markers must not be
 * reported; one that is (L=1, R=W=0, with PASID) is dropped with a warning.
 *
 * Return: 0 if queued as a partial or handed to a handler (a group the
 * handler refused, or that could not be allocated, has been answered
 * FAILURE); -EINVAL if no handler (answered INVALID, even for a non-last
 * request); -ENOMEM if a partial was dropped.
 */
int iommu_report_device_fault(struct device *dev, struct iopf_fault *evt)
{
	struct iommu_fault_page_request *prm;
	struct iommu_attach_handle *handle;
	struct iommu_fault_param *param;
	struct iopf_group abort_group;
	struct iopf_group *group;
	bool last;

	if (!dev || !evt)
		return -EINVAL;
	prm = &evt->fault.prm;
	last = prm->flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	iopf_stat(dev, IOPF_STAT_REPORTED, 1);
	if (evt->fault.type != IOMMU_FAULT_PAGE_REQ) {
		hal_log(dev->hal, HAL_LOG_WARN, "iopf: %s: fault type %u not handled\n", dev->name,
			evt->fault.type);
		return -EOPNOTSUPP;
	}
	if (iopf_is_stop_marker(prm)) {
		hal_log(dev->hal, HAL_LOG_WARN,
			"iopf: %s: stop marker reported (pasid %u grpid %u), dropped\n", dev->name,
			prm->pasid, prm->grpid);
		iopf_stat(dev, IOPF_STAT_STOP_MARKERS_DROPPED, 1);
		return -EINVAL;
	}
	/* Charge before looking anything up: charging may yield the CPU. */
	if (last)
		hal_charge(dev->hal, HAL_COST_IOPF_GROUP);

	handle = iopf_find_handler(dev, prm);
	param = dev->fault_param;
	if (!handle || !param)
		goto err_bad_iopf;

	if (!last)
		return iopf_report_partial(dev, param, evt);

	param->users++; /* moves into the group */
	group = iopf_group_alloc(param, evt, &abort_group);
	group->attach_handle = handle;
	group->t_report_ps = hal_now_ps(dev->hal);
	if (group == &abort_group) {
		/* Never delivered: its requests are answered FAILURE below. */
		iopf_stat(dev, IOPF_STAT_REQUESTS_ABORTED, group->fault_count);
		goto err_abort;
	}

	iopf_stat(dev, IOPF_STAT_GROUPS, 1);
	iopf_stat(dev, IOPF_STAT_REQUESTS_DELIVERED, group->fault_count);
	/* Under nesting, a second-stage fault is the parent's handler's (the host's). */
	group->domain = handle->domain;
	if (handle->domain->type == IOMMU_DOMAIN_NESTED &&
	    iopf_group_is_stage2(handle->domain, group)) {
		group->domain = handle->domain->parent;
		iopf_stat(dev, IOPF_STAT_GROUPS_STAGE2, 1);
	}
	/* On success the handler owns the group: it answers it and frees it. */
	if (group->domain->iopf_handler(group))
		goto err_abort;
	return 0;

err_abort:
	hal_log(dev->hal, HAL_LOG_WARN, "iopf: %s: group pasid %u grpid %u aborted\n", dev->name,
		prm->pasid, prm->grpid);
	iopf_stat(dev, IOPF_STAT_ABORT_FAILURE, 1);
	iopf_group_response(group, IOMMU_PAGE_RESP_FAILURE);
	if (group == &abort_group)
		__iopf_free_group(group);
	else
		iopf_free_group(group);
	return 0;

err_bad_iopf:
	iopf_stat(dev, IOPF_STAT_NO_HANDLER_INVALID, 1);
	/*
	 * A non-last request answered here answers its PRG before its last
	 * request: when that arrives it is answered too, so the device sees a
	 * second response for the index (PCIe: Unexpected PRG Index). Counted
	 * so that the scoreboard can tell this rule's consequence from a bug.
	 */
	if (!last)
		iopf_stat(dev, IOPF_STAT_NO_HANDLER_EARLY, 1);
	iopf_send_response(dev, evt, IOMMU_PAGE_RESP_INVALID);
	return -EINVAL;
}

/**
 * iopf_group_response - answer a group (linux-iopf.md §1.3)
 * @group: group handed to a handler
 * @code: response code, sent with the pasid/grpid of the LAST request
 *
 * Sends at most one response per group: a group already answered, or
 * answered INVALID by iopf_queue_remove_device(), is left alone.
 */
void iopf_group_response(struct iopf_group *group, enum iommu_page_response_code code)
{
	if (!group || !group->fault_param || list_empty(&group->pending_node))
		return;
	/* Unlink before calling the driver, which may block. */
	list_del_init(&group->pending_node);
	iopf_send_response(group->fault_param->dev, &group->last_fault, code);
}

/**
 * iopf_group_take_ownership - the consumer of an accepted group answers it
 * @group: group its iopf_handler is accepting
 *
 * From now on iopf_queue_remove_device() does not answer @group: the
 * consumer's own iopf_group_response() will, once, even after the device
 * left its queue (the group keeps the fault param alive). For consumers
 * that answer every group they accept, as iommufd does (by the user's
 * write() or an auto-response).
 */
void iopf_group_take_ownership(struct iopf_group *group)
{
	if (group)
		group->owned = true;
}

/**
 * iopf_free_group - free a group and drop its reference on the fault param
 * @group: group accepted by a handler
 *
 * A group must be answered before it is freed; one that was not is answered
 * INVALID here (and logged) so that its PRG is not lost.
 */
void iopf_free_group(struct iopf_group *group)
{
	struct iommu_fault_param *param;

	if (!group)
		return;
	if (!list_empty(&group->pending_node)) {
		hal_log(group->fault_param->dev->hal, HAL_LOG_ERROR,
			"iopf: %s: group grpid %u freed unanswered, answering INVALID\n",
			group->fault_param->dev->name, group->last_fault.fault.prm.grpid);
		iopf_group_response(group, IOMMU_PAGE_RESP_INVALID);
	}
	/* Back to the cache before the reference that keeps the cache alive goes. */
	param = group->fault_param;
	iopf_free_faults(param, &group->faults, &group->last_fault);
	group->fault_param = NULL;
	px_kmem_cache_free(&to_iopf_param(param)->group_cache, group);
	iopf_put_fault_param(param);
}

/**
 * iopf_queue_alloc - allocate an IOPF queue
 * @hal: machine
 * @name: name for logs
 *
 * Return: the queue or NULL.
 */
struct iopf_queue *iopf_queue_alloc(struct hal *hal, const char *name)
{
	struct iopf_queue *queue = px_kzalloc(hal, sizeof(*queue), "iopf.queue_alloc");
	unsigned int i;

	if (!queue)
		return NULL;
	queue->hal = hal;
	snprintf(queue->name, sizeof(queue->name), "%s", name ? name : "iopf");
	INIT_LIST_HEAD(&queue->devices);
	for (i = 0; i < IOPF_STAT__COUNT; i++)
		queue->stats[i] = hal_stat_register(hal, iopf_stat_names[i]);
	return queue;
}

/**
 * iopf_queue_free - remove every device still on the queue, then free it
 * @queue: queue (NULL is ignored)
 */
void iopf_queue_free(struct iopf_queue *queue)
{
	struct iommu_fault_param *param;

	if (!queue)
		return;
	while (!list_empty(&queue->devices)) {
		param = list_first_entry(&queue->devices, struct iommu_fault_param, queue_node);
		iopf_queue_remove_device(queue, param->dev);
	}
	px_kfree(queue);
}

/**
 * iopf_queue_add_device - start accepting faults for @dev (§1.4)
 * @queue: the driver's queue
 * @dev: device
 *
 * Return: 0, -EINVAL, -ENODEV (the IOMMU cannot send page responses),
 * -EBUSY (already added) or -ENOMEM.
 */
int iopf_queue_add_device(struct iopf_queue *queue, struct device *dev)
{
	struct iommu_fault_param *param;
	struct iopf_fault_param *fp;

	if (!queue || !dev)
		return -EINVAL;
	if (!dev->iommu || !dev->iommu->ops || !dev->iommu->ops->page_response)
		return -ENODEV;
	if (dev->fault_param)
		return -EBUSY;
	fp = px_kzalloc(dev->hal, sizeof(*fp), "iopf.fault_param_alloc");
	if (!fp)
		return -ENOMEM;
	px_kmem_cache_init(&fp->fault_cache, dev->hal, sizeof(struct iopf_fault),
			   "iopf.partial_alloc");
	px_kmem_cache_init(&fp->group_cache, dev->hal, sizeof(struct iopf_group),
			   "iopf.group_alloc");
	param = &fp->param;
	param->dev = dev;
	param->queue = queue;
	param->users = 1; /* dropped by iopf_queue_remove_device() */
	INIT_LIST_HEAD(&param->partial);
	INIT_LIST_HEAD(&param->faults);
	list_add_tail(&param->queue_node, &queue->devices);
	dev->fault_param = param;
	return 0;
}

/**
 * iopf_queue_remove_device - stop accepting faults for @dev (§1.4)
 * @queue: the queue the device is on
 * @dev: device
 *
 * Expected order: stop PRI reception and flush the hardware queue, call
 * this, then disable PRI in the device. Frees every partial, answers
 * INVALID every unanswered group whose consumer did not take ownership of
 * the answer (a later response to it is a no-op), leaves the owned ones to
 * their consumer (answered once, when it answers), and unpublishes the
 * fault param. No group is freed here: the consumer frees what it accepted.
 */
void iopf_queue_remove_device(struct iopf_queue *queue, struct device *dev)
{
	struct iommu_fault_param *param = dev ? dev->fault_param : NULL;
	struct iopf_group *group, *next;
	struct list_head answer;
	unsigned int n;

	if (!param || param->queue != queue) {
		if (dev)
			hal_log(dev->hal, HAL_LOG_WARN, "iopf: %s: not on this queue\n", dev->name);
		return;
	}
	/* Unpublish first: a report from now on finds no param and gets INVALID. */
	dev->fault_param = NULL;
	n = iopf_free_faults(param, &param->partial, NULL);
	if (n)
		iopf_stat(dev, IOPF_STAT_PARTIALS_DISCARDED, n);
	/*
	 * Owned groups stay on param->faults (the param lives as long as they
	 * do); the others are set aside first, since answering may block.
	 */
	INIT_LIST_HEAD(&answer);
	list_for_each_entry_safe(group, next, &param->faults, pending_node)
		if (!group->owned)
			list_move_tail(&group->pending_node, &answer);
	while (!list_empty(&answer)) {
		group = list_first_entry(&answer, struct iopf_group, pending_node);
		list_del_init(&group->pending_node);
		iopf_send_response(dev, &group->last_fault, IOMMU_PAGE_RESP_INVALID);
	}
	list_del_init(&param->queue_node);
	param->queue = NULL;
	iopf_put_fault_param(param);
}

/**
 * iopf_queue_flush_dev - wait until the faults already handed to workers
 * for @dev are handled
 * @dev: a device on an iopf queue
 *
 * As Linux's, it flushes the workqueue: every work queued before the call,
 * for any device, has run when it returns. A handler that defers groups to
 * work (the kernel-resident SVA one) has then answered them; one that
 * answers inline (iommufd's, which only enqueues) is not waited for. Call
 * it when a PASID or address space is released, before it is reused.
 *
 * Return: 0, -ENODEV if @dev is on no iopf queue, or the HAL's error.
 */
int iopf_queue_flush_dev(struct device *dev)
{
	if (!dev || !dev->fault_param)
		return -ENODEV;
	return hal_flush_work(dev->hal);
}

/**
 * iopf_queue_discard_partial - drop every parked partial request of every
 * device on @queue (after a hardware queue overflow, §1.4)
 * @queue: queue
 *
 * Return: 0, or -EINVAL if @queue is NULL.
 */
int iopf_queue_discard_partial(struct iopf_queue *queue)
{
	struct iommu_fault_param *param;
	unsigned int n;

	if (!queue)
		return -EINVAL;
	list_for_each_entry(param, &queue->devices, queue_node) {
		n = iopf_free_faults(param, &param->partial, NULL);
		if (n)
			iopf_stat(param->dev, IOPF_STAT_PARTIALS_DISCARDED, n);
	}
	return 0;
}
