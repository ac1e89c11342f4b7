// SPDX-License-Identifier: Apache-2.0
/*
 * The host's handler of second-stage faults: the iopf_handler of every
 * nesting-parent HWPT's domain. Under a nested HWPT the user (a VMM, for
 * its guest) owns the first stage and reads its faults from the nested
 * HWPT's fault queue; a fault whose first stage translates but whose
 * guest-physical page the parent does not map is the host's, and
 * io-pgfault hands it here (iopf_group_is_stage2()). This stands for a host
 * that backs an overcommitted guest's memory on demand: the page becomes a
 * zeroed page of the parent's IOAS (iopt_demand_page()), mapped into every
 * HWPT of it, and the group is answered SUCCESS; the device retries.
 *
 * Departure from Linux 6.18: a nesting parent there has no fault handler
 * at all (IOMMU_HWPT_FAULT_ID_VALID with NEST_PARENT is EOPNOTSUPP, as it
 * is here), so such a fault would reach the nested HWPT's queue. The
 * handler is kernel-resident, as iommu-sva.c's is: groups go to a kernel
 * worker and nothing crosses to userspace.
 */
#include <errno.h>

#include "iommufd/iommufd_private.h"

enum {
	STAGE2_GROUPS,
	STAGE2_FAULTS_SUCCESS,
	STAGE2_FAULTS_INVALID,
	STAGE2_PAGES_MAPPED,
};

static const char *const stage2_stat_names[] = {
	[STAGE2_GROUPS] = "handler.host.groups",
	[STAGE2_FAULTS_SUCCESS] = "handler.host.faults_success",
	[STAGE2_FAULTS_INVALID] = "handler.host.faults_invalid",
	[STAGE2_PAGES_MAPPED] = "handler.host.pages_mapped",
};

static void stage2_stat(struct iommufd_hwpt_paging *hwpt, struct device *dev, unsigned int item,
			uint64_t n)
{
	struct iommufd_ctx *ictx = hwpt->obj.ictx;

	hal_stat_dev_inc(ictx->hal, dev->rid, ictx->stage2_stats[item], n);
}

/* The worker: make each fault's guest-physical page present, answer once. */
static void iommufd_hwpt_stage2_work(void *arg)
{
	struct iopf_group *group = arg;
	struct iommufd_hwpt_paging *hwpt = group->domain->fault_data;
	struct device *dev = group->fault_param->dev;
	enum iommu_page_response_code code = IOMMU_PAGE_RESP_SUCCESS;
	struct hal *h = hwpt->obj.ictx->hal;
	struct iopf_fault *iopf;

	list_for_each_entry(iopf, &group->faults, list) {
		bool mapped;

		/* a request that translated in both stages has no page to make */
		if (!iopf->stage2)
			continue;
		hal_charge(h, HAL_COST_HANDLER_SERVICE);
		if (iopt_demand_page(hwpt->ioas, h, iopf->gpa,
				     iopf->fault.prm.perm & IOMMU_FAULT_PERM_WRITE, &mapped)) {
			code = IOMMU_PAGE_RESP_INVALID; /* sticky, as the SVA handler's */
			break;
		}
		if (mapped)
			stage2_stat(hwpt, dev, STAGE2_PAGES_MAPPED, 1);
	}
	stage2_stat(hwpt, dev, STAGE2_GROUPS, 1);
	stage2_stat(hwpt, dev,
		    code == IOMMU_PAGE_RESP_SUCCESS ? STAGE2_FAULTS_SUCCESS : STAGE2_FAULTS_INVALID,
		    group->fault_count);
	iopf_group_response(group, code);
	iopf_free_group(group);
	if (--hwpt->stage2_works == 0)
		hal_wake_up(hwpt->stage2_wq);
}

/* domain->iopf_handler of a nesting parent: hand the group to a worker. */
static int iommufd_hwpt_stage2_iopf_handler(struct iopf_group *group)
{
	struct iommufd_hwpt_paging *hwpt = group->domain->fault_data;
	int rc;

	/* answered by the worker even if the device leaves its iopf queue first */
	iopf_group_take_ownership(group);
	hwpt->stage2_works++;
	rc = hal_queue_work(hwpt->obj.ictx->hal, iommufd_hwpt_stage2_work, group);
	if (rc)
		hwpt->stage2_works--; /* io-pgfault answers the group FAILURE */
	return rc;
}

/**
 * iommufd_hwpt_stage2_init - make a nesting parent's domain the host's
 * second-stage handler
 * @ictx: context
 * @hwpt: a paging HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT
 *
 * Return: 0 or -ENOMEM.
 */
int iommufd_hwpt_stage2_init(struct iommufd_ctx *ictx, struct iommufd_hwpt_paging *hwpt)
{
	unsigned int i;

	hwpt->stage2_wq = hal_waitq_create(ictx->hal);
	if (!hwpt->stage2_wq)
		return -ENOMEM;
	if (!ictx->stage2_stats_registered) {
		for (i = 0; i < sizeof(stage2_stat_names) / sizeof(stage2_stat_names[0]); i++)
			ictx->stage2_stats[i] = hal_stat_register(ictx->hal, stage2_stat_names[i]);
		ictx->stage2_stats_registered = true;
	}
	hwpt->domain->iopf_handler = iommufd_hwpt_stage2_iopf_handler;
	return 0;
}

static bool iommufd_hwpt_stage2_idle(void *arg)
{
	const struct iommufd_hwpt_paging *hwpt = arg;

	return hwpt->stage2_works == 0;
}

/**
 * iommufd_hwpt_stage2_fini - wait for the groups the host's handler holds
 * @hwpt: a nesting parent being destroyed (also its abort path)
 */
void iommufd_hwpt_stage2_fini(struct iommufd_hwpt_paging *hwpt)
{
	if (!hwpt->stage2_wq)
		return;
	/* the groups still queued to the workqueue run first (iopf_queue_flush_dev's way) */
	hal_flush_work(hwpt->obj.ictx->hal);
	hal_wait_event(hwpt->stage2_wq, iommufd_hwpt_stage2_idle, hwpt, HAL_WAIT_FOREVER);
	hal_waitq_destroy(hwpt->stage2_wq);
	hwpt->stage2_wq = NULL;
}
