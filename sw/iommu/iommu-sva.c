// SPDX-License-Identifier: Apache-2.0
/*
 * A kernel-resident I/O page-fault handler: the SVA path of Linux
 * (drivers/iommu/iommu-sva.c, iommu_sva_iopf_handler() and
 * iommu_sva_handle_iopf()). A device bound to an address space gets a
 * domain whose iopf_handler queues each group to a kernel worker
 * (io-pgfault's workqueue in Linux); the worker resolves the group's faults
 * in order, stopping at the first error (sticky, as Linux does), answers
 * the group with iopf_group_response() and frees it. Nothing crosses to
 * userspace: no fault fd, no read(), no write().
 *
 * The address space (struct iommu_sva_mm) stands for the process's
 * mm_struct: one anonymous, read-write, demand-zero mapping over
 * [vm_start, vm_end). Resolving a fault is what handle_mm_fault() does for
 * such memory: allocate a zeroed page and install it, here in the bond's
 * I/O page table (iommu_map), since prisim's IOMMU does not share the CPU's
 * tables.
 *
 * Departure from Linux: iommu_sva_handle_mm() refuses a request without a
 * PASID, because Linux binds an mm at a PASID. prisim's driver attaches at
 * the RID only, so the bond is made at the RID and its faults carry no
 * PASID; a request with one is answered INVALID (no bond there).
 */
#include <errno.h>
#include <stdlib.h>

#include "iommu/iommu.h"
#include "kernel/kalloc.h"

#define SVA_PAGE_SIZE 4096u

static const char *const iommu_sva_stat_names[IOMMU_SVA_STAT__COUNT] = {
	[IOMMU_SVA_STAT_GROUPS] = "handler.kernel.groups",
	[IOMMU_SVA_STAT_FAULTS_SUCCESS] = "handler.kernel.faults_success",
	[IOMMU_SVA_STAT_FAULTS_INVALID] = "handler.kernel.faults_invalid",
	[IOMMU_SVA_STAT_PAGES_MAPPED] = "handler.kernel.pages_mapped",
};

static void iommu_sva_stat(struct iommu_sva *sva, enum iommu_sva_stat_item item, uint64_t n)
{
	hal_stat_dev_inc(sva->dev->hal, sva->dev->rid, sva->stats[item], n);
}

/* Whether the page at @pfn is present in the address space. */
static bool iommu_sva_mm_has(const struct iommu_sva_mm *mm, uint64_t pfn)
{
	uint64_t i;

	for (i = mm->nr_pages; i-- > 0;)
		if (mm->pages[i].pfn == pfn)
			return true;
	return false;
}

static int iommu_sva_mm_add(struct iommu_sva_mm *mm, uint64_t pfn, hal_paddr_t pa)
{
	struct iommu_sva_page *n;
	uint64_t cap;

	if (mm->nr_pages == mm->cap_pages) {
		cap = mm->cap_pages ? mm->cap_pages * 2 : 64;
		n = realloc(mm->pages, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		mm->pages = n;
		mm->cap_pages = cap;
	}
	mm->pages[mm->nr_pages++] = (struct iommu_sva_page){ .pfn = pfn, .pa = pa };
	return 0;
}

/*
 * Resolve one fault against the bond's address space, as
 * iommu_sva_handle_mm() does with handle_mm_fault(): outside the mapping or
 * an access it does not allow (execute) is INVALID; else the page is made
 * present.
 */
static enum iommu_page_response_code iommu_sva_handle_mm(struct iommu_sva *sva,
							 const struct iommu_fault *fault)
{
	const struct iommu_fault_page_request *prm = &fault->prm;
	struct iommu_sva_mm *mm = &sva->mm;
	struct hal *h = sva->dev->hal;
	uint64_t iova = prm->addr & ~(uint64_t)(SVA_PAGE_SIZE - 1);
	hal_paddr_t pa;
	int rc;

	if (prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID)
		return IOMMU_PAGE_RESP_INVALID;
	if (prm->addr < mm->vm_start || prm->addr >= mm->vm_end)
		return IOMMU_PAGE_RESP_INVALID;     /* no VMA */
	if (prm->perm & IOMMU_FAULT_PERM_EXEC ||
	    !(prm->perm & (IOMMU_FAULT_PERM_READ | IOMMU_FAULT_PERM_WRITE)))
		return IOMMU_PAGE_RESP_INVALID;     /* access the VMA does not allow */
	/* The fault's service, as a userspace handler is charged for it. */
	hal_charge(h, HAL_COST_HANDLER_SERVICE);
	/*
	 * Workers of the unbound workqueue run groups side by side: two faults
	 * on one page must not both make it present (the second map would fail).
	 */
	hal_mutex_lock(mm->lock);
	if (iommu_sva_mm_has(mm, iova / SVA_PAGE_SIZE)) {
		hal_mutex_unlock(mm->lock);
		return IOMMU_PAGE_RESP_SUCCESS;     /* present: the device retries and hits */
	}
	pa = hal_page_alloc(h); /* only the device touches it: no CPU mapping */
	if (!pa)
		goto err_unlock;                    /* VM_FAULT_OOM */
	rc = iommu_map(sva->domain, iova, pa, SVA_PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
	if (rc)
		goto err_free_page;
	rc = iommu_sva_mm_add(mm, iova / SVA_PAGE_SIZE, pa);
	if (rc)
		goto err_unmap;
	hal_mutex_unlock(mm->lock);
	iommu_sva_stat(sva, IOMMU_SVA_STAT_PAGES_MAPPED, 1);
	return IOMMU_PAGE_RESP_SUCCESS;

err_unmap:
	iommu_unmap(sva->domain, iova, SVA_PAGE_SIZE);
err_free_page:
	hal_page_free(h, pa);
err_unlock:
	hal_mutex_unlock(mm->lock);
	return IOMMU_PAGE_RESP_INVALID;
}

/* The worker: resolve the group's faults in order, answer it once, free it. */
static void iommu_sva_handle_iopf(void *arg)
{
	struct iopf_group *group = arg;
	struct iommu_sva *sva = group->attach_handle->domain->fault_data;
	enum iommu_page_response_code status = IOMMU_PAGE_RESP_SUCCESS;
	struct iopf_fault *iopf;

	list_for_each_entry(iopf, &group->faults, list) {
		/* Errors are sticky: the rest of the group is not handled. */
		if (status != IOMMU_PAGE_RESP_SUCCESS)
			break;
		status = iommu_sva_handle_mm(sva, &iopf->fault);
	}
	iommu_sva_stat(sva, IOMMU_SVA_STAT_GROUPS, 1);
	iommu_sva_stat(sva, status == IOMMU_PAGE_RESP_SUCCESS ? IOMMU_SVA_STAT_FAULTS_SUCCESS :
		       IOMMU_SVA_STAT_FAULTS_INVALID, group->fault_count);
	iopf_group_response(group, status);
	iopf_free_group(group);
	/* Pairs with iommu_sva_iopf_handler(); the unbind waits for this. */
	if (--sva->works == 0)
		hal_wake_up(sva->wq);
}

/* domain->iopf_handler: hand the group to a kernel worker (never blocks). */
static int iommu_sva_iopf_handler(struct iopf_group *group)
{
	struct iommu_sva *sva = group->attach_handle->domain->fault_data;
	int rc;

	/* Counted first: a worker may run the group before this returns. */
	sva->works++;
	rc = hal_queue_work(sva->dev->hal, iommu_sva_handle_iopf, group);
	if (rc) {
		sva->works--;
		return rc; /* io-pgfault answers the group FAILURE */
	}
	return 0;
}

/**
 * iommu_sva_bind_device - bind @dev to a new address space whose faults the
 * kernel resolves (Linux iommu_sva_bind_device() with a fresh mm)
 * @dev: device behind an IOMMU, with PRI
 * @vm_start: start of the address space's one mapping
 * @vm_end: its end (exclusive)
 * @out: the bond
 *
 * Allocates a paging domain with the SVA iopf_handler, enables IOPF on the
 * device and attaches the domain at the RID.
 *
 * Return: 0, -ENODEV (no IOMMU, or it cannot do IOPF), -ENOMEM, or the
 * driver's error.
 */
int iommu_sva_bind_device(struct device *dev, uint64_t vm_start, uint64_t vm_end,
			  struct iommu_sva **out)
{
	const struct iommu_ops *ops;
	struct iommu_sva *sva;
	unsigned int i;
	int rc;

	if (!dev || !dev->iommu || !dev->iommu->ops->dev_enable_iopf)
		return -ENODEV;
	ops = dev->iommu->ops;
	sva = px_kzalloc(dev->hal, sizeof(*sva), "iommu.sva_alloc");
	if (!sva)
		return -ENOMEM;
	sva->dev = dev;
	sva->mm.vm_start = vm_start;
	sva->mm.vm_end = vm_end;
	for (i = 0; i < IOMMU_SVA_STAT__COUNT; i++)
		sva->stats[i] = hal_stat_register(dev->hal, iommu_sva_stat_names[i]);
	sva->wq = hal_waitq_create(dev->hal);
	if (!sva->wq) {
		rc = -ENOMEM;
		goto out_free;
	}
	sva->mm.lock = hal_mutex_create(dev->hal);
	if (!sva->mm.lock) {
		rc = -ENOMEM;
		goto out_destroy_wq;
	}
	sva->domain = iommu_paging_domain_alloc(dev);
	if (!sva->domain) {
		rc = -ENOMEM;
		goto out_destroy_lock;
	}
	sva->domain->iopf_handler = iommu_sva_iopf_handler;
	sva->domain->fault_data = sva;
	rc = ops->dev_enable_iopf(dev);
	if (rc)
		goto out_free_domain;
	rc = iommu_attach_device(sva->domain, dev, &sva->handle);
	if (rc)
		goto out_disable_iopf;
	*out = sva;
	return 0;

out_disable_iopf:
	if (ops->dev_disable_iopf)
		ops->dev_disable_iopf(dev);
out_free_domain:
	iommu_domain_free(sva->domain);
out_destroy_lock:
	hal_mutex_destroy(sva->mm.lock);
out_destroy_wq:
	hal_waitq_destroy(sva->wq);
out_free:
	px_kfree(sva);
	return rc;
}

static bool iommu_sva_idle(void *arg)
{
	const struct iommu_sva *sva = arg;

	return sva->works == 0;
}

/**
 * iommu_sva_unbind_device - end a bond made by iommu_sva_bind_device()
 * @sva: the bond (NULL is ignored)
 *
 * Detaches the domain (new requests then find no handler and are answered
 * INVALID by io-pgfault), waits until every group already handed to a
 * worker is answered (iopf_queue_flush_dev(), and the bond's own count of
 * its works as a check), disables IOPF, and frees the domain and the
 * address space's pages.
 */
void iommu_sva_unbind_device(struct iommu_sva *sva)
{
	struct device *dev;
	uint64_t i;

	if (!sva)
		return;
	dev = sva->dev;
	iommu_detach_device(sva->domain, dev);
	iopf_queue_flush_dev(dev);
	hal_wait_event(sva->wq, iommu_sva_idle, sva, HAL_WAIT_FOREVER);
	if (dev->iommu->ops->dev_disable_iopf)
		dev->iommu->ops->dev_disable_iopf(dev);
	iommu_domain_free(sva->domain);
	for (i = 0; i < sva->mm.nr_pages; i++)
		hal_page_free(dev->hal, sva->mm.pages[i].pa);
	free(sva->mm.pages);
	hal_mutex_destroy(sva->mm.lock);
	hal_waitq_destroy(sva->wq);
	px_kfree(sva);
}
