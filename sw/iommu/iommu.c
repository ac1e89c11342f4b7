// SPDX-License-Identifier: Apache-2.0
/*
 * IOMMU core: driver registration, paging domains, RID attach with attach
 * handles (the routing key of io-pgfault, linux-iopf.md §1.2 step 1) and
 * map/unmap. Mirrors the parts of drivers/iommu/iommu.c that iommufd uses.
 */
#include <errno.h>

#include "iommu/iommu.h"

#define IOMMU_PAGE_SIZE 4096ull
#define IOMMU_PAGE_MASK (IOMMU_PAGE_SIZE - 1)

static const struct iommu_ops *dev_iommu_ops(struct device *dev)
{
	return dev && dev->iommu ? dev->iommu->ops : NULL;
}

/**
 * iommu_device_register - validate a driver instance before it is used
 * @iommu: instance filled in by the driver's probe (hal, ops, priv)
 *
 * The list of IOMMUs belongs to the simulated kernel (no global state): the
 * boot code that called the driver's probe adds the instance to it.
 *
 * Return: 0, or -EINVAL if the instance lacks a mandatory operation.
 */
int iommu_device_register(struct iommu_device *iommu)
{
	const struct iommu_ops *ops;

	if (!iommu || !iommu->hal || !iommu->ops)
		return -EINVAL;
	ops = iommu->ops;
	if (!ops->probe_device || !ops->domain_alloc_paging || !ops->attach_dev) {
		hal_log(iommu->hal, HAL_LOG_ERROR, "iommu %s: missing mandatory ops\n",
			ops->name ? ops->name : "?");
		return -EINVAL;
	}
	INIT_LIST_HEAD(&iommu->node);
	return 0;
}

/* What the core sets in a domain the driver allocated (NULL passes through). */
static struct iommu_domain *iommu_domain_init(struct iommu_domain *domain, struct device *dev,
					      enum iommu_domain_type type)
{
	if (!domain)
		return NULL;
	domain->type = type;
	if (!domain->iommu)
		domain->iommu = dev->iommu;
	return domain;
}

/**
 * iommu_paging_domain_alloc - allocate a paging domain usable by @dev
 * @dev: device behind an IOMMU
 *
 * Return: the domain, or NULL (no IOMMU, or allocation failure).
 */
struct iommu_domain *iommu_paging_domain_alloc(struct device *dev)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	if (!ops)
		return NULL;
	if (hal_should_fail(dev->hal, "iommu.domain_alloc"))
		return NULL;
	return iommu_domain_init(ops->domain_alloc_paging(dev), dev, IOMMU_DOMAIN_PAGING);
}

/**
 * iommu_paging_domain_alloc_flags - a paging domain with IOMMU_HWPT_ALLOC_*
 * flags (Linux iommu_paging_domain_alloc_flags())
 * @dev: device the domain is for
 * @flags: IOMMU_HWPT_ALLOC_NEST_PARENT, or 0
 * @err: the error when NULL is returned
 *
 * Return: the domain, or NULL (-EOPNOTSUPP: flags the driver does not take).
 */
struct iommu_domain *iommu_paging_domain_alloc_flags(struct device *dev, uint32_t flags, int *err)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	*err = -ENOMEM;
	if (!flags)
		return iommu_paging_domain_alloc(dev);
	if (!ops || !ops->domain_alloc_paging_flags) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (hal_should_fail(dev->hal, "iommu.domain_alloc"))
		return NULL;
	return iommu_domain_init(ops->domain_alloc_paging_flags(dev, flags, err), dev,
				 IOMMU_DOMAIN_PAGING);
}

/**
 * iommu_nested_domain_alloc - a NESTED domain on a nesting parent, from the
 * user's driver-specific data (Linux ops->domain_alloc_nested())
 * @dev: device the domain is for
 * @parent: a paging domain allocated with IOMMU_HWPT_ALLOC_NEST_PARENT
 * @data_type: IOMMU_HWPT_DATA_*
 * @data: the user's data, already copied in
 * @len: its bytes
 * @err: the error when NULL is returned
 *
 * Return: the domain (type NESTED, parent set) or NULL.
 */
struct iommu_domain *iommu_nested_domain_alloc(struct device *dev, struct iommu_domain *parent,
					       uint32_t data_type, const void *data, size_t len,
					       int *err)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_domain *domain;

	if (!ops || !ops->domain_alloc_nested) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	*err = -ENOMEM;
	if (hal_should_fail(dev->hal, "iommu.domain_alloc"))
		return NULL;
	domain = iommu_domain_init(ops->domain_alloc_nested(dev, parent, data_type, data, len, err),
				   dev, IOMMU_DOMAIN_NESTED);
	if (domain)
		domain->parent = parent;
	return domain;
}

/**
 * iommu_domain_free - free a domain that no device is attached to
 * @domain: domain (NULL is ignored)
 */
void iommu_domain_free(struct iommu_domain *domain)
{
	if (!domain)
		return;
	if (domain->attach_count && domain->iommu)
		hal_log(domain->iommu->hal, HAL_LOG_ERROR,
			"iommu: freeing a domain with %u devices attached\n", domain->attach_count);
	if (domain->ops && domain->ops->free)
		domain->ops->free(domain);
}

/**
 * iommu_attach_handle_get - the attach handle of (dev, pasid)
 * @dev: device
 * @pasid: PASID, or IOMMU_NO_PASID for the RID attach
 *
 * Return: the handle, or NULL if nothing is attached there with a handle.
 */
struct iommu_attach_handle *iommu_attach_handle_get(struct device *dev, uint32_t pasid)
{
	struct iommu_attach_handle *handle;

	list_for_each_entry(handle, &dev->attach_handles, dev_node)
		if (handle->pasid == pasid)
			return handle;
	return NULL;
}

static void iommu_handle_link(struct iommu_attach_handle *handle, struct iommu_domain *domain,
			      struct device *dev)
{
	handle->domain = domain;
	handle->dev = dev;
	handle->pasid = IOMMU_NO_PASID;
	list_add_tail(&handle->dev_node, &dev->attach_handles);
}

/**
 * iommu_attach_device - attach @domain to the RID of @dev
 * @domain: paging domain of the same IOMMU
 * @dev: device with no domain attached
 * @handle: attach handle to publish for fault routing, or NULL
 *
 * The handle is published only once the driver has installed the domain.
 *
 * Return: 0, -ENODEV (no IOMMU), -EINVAL (domain of another IOMMU), -EBUSY
 * (already attached; use iommu_replace_device_handle) or the driver's error.
 */
int iommu_attach_device(struct iommu_domain *domain, struct device *dev,
			struct iommu_attach_handle *handle)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	int rc;

	if (!ops)
		return -ENODEV;
	if (!domain || domain->iommu != dev->iommu)
		return -EINVAL;
	if (dev->domain)
		return -EBUSY;
	rc = ops->attach_dev(domain, dev);
	if (rc)
		return rc;
	dev->domain = domain;
	domain->attach_count++;
	if (handle)
		iommu_handle_link(handle, domain, dev);
	return 0;
}

/**
 * iommu_replace_device_handle - switch the RID of @dev to @domain
 * @domain: new paging domain of the same IOMMU
 * @dev: device that has a domain attached
 * @handle: new attach handle (published on success), or NULL
 *
 * Faults keep routing to the old handle until the driver has installed the
 * new domain; on success the old handle is unpublished (the caller still owns
 * it and must answer its outstanding faults, §3.6). On failure nothing
 * changes.
 *
 * Return: 0 or -errno.
 */
int iommu_replace_device_handle(struct iommu_domain *domain, struct device *dev,
				struct iommu_attach_handle *handle)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_domain *old;
	struct iommu_attach_handle *old_handle;
	int rc;

	if (!ops)
		return -ENODEV;
	old = dev->domain;
	if (!old || !domain || domain->iommu != dev->iommu)
		return -EINVAL;
	rc = ops->attach_dev(domain, dev);
	if (rc)
		return rc;
	old_handle = iommu_attach_handle_get(dev, IOMMU_NO_PASID);
	if (old_handle)
		list_del_init(&old_handle->dev_node);
	old->attach_count--;
	dev->domain = domain;
	domain->attach_count++;
	if (handle)
		iommu_handle_link(handle, domain, dev);
	return 0;
}

/**
 * iommu_detach_device - block the RID of @dev and unpublish its handle
 * @domain: the attached domain
 * @dev: device
 *
 * The handle is unpublished first, so a fault reported while the driver
 * blocks the device finds no handler and is answered INVALID.
 */
void iommu_detach_device(struct iommu_domain *domain, struct device *dev)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_attach_handle *handle;
	int rc;

	if (!ops || !domain || dev->domain != domain) {
		hal_log(dev->hal, HAL_LOG_WARN, "iommu: %s: detach of a domain not attached\n",
			dev->name);
		return;
	}
	handle = iommu_attach_handle_get(dev, IOMMU_NO_PASID);
	if (handle)
		list_del_init(&handle->dev_node);
	rc = ops->attach_dev(NULL, dev);
	if (rc)
		hal_log(dev->hal, HAL_LOG_ERROR, "iommu: %s: blocking failed (%d)\n", dev->name,
			rc);
	dev->domain = NULL;
	domain->attach_count--;
}

/* Checks common to the PASID attach calls (Linux iommu_attach_device_pasid). */
static int iommu_pasid_check(struct iommu_domain *domain, struct device *dev, uint32_t pasid)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	if (!ops)
		return -ENODEV;
	if (!domain)
		return -EINVAL;
	/* Linux's order: support first, then compatibility and range. */
	if (!domain->ops || !domain->ops->set_dev_pasid || !ops->remove_dev_pasid)
		return -EOPNOTSUPP;
	if (domain->iommu != dev->iommu || pasid == IOMMU_NO_PASID || pasid >= dev->max_pasids)
		return -EINVAL;
	return 0;
}

static void iommu_handle_link_pasid(struct iommu_attach_handle *handle, struct iommu_domain *domain,
				    struct device *dev, uint32_t pasid)
{
	iommu_handle_link(handle, domain, dev);
	handle->pasid = pasid;
}

/**
 * iommu_attach_device_pasid - attach @domain to (dev, pasid)
 * @domain: domain of the same IOMMU whose ops can attach to a PASID
 * @dev: device with PASIDs (dev->max_pasids)
 * @pasid: 1 .. dev->max_pasids - 1 (IOMMU_NO_PASID is the RID's, through
 *         iommu_attach_device)
 * @handle: attach handle to publish for fault routing (required)
 *
 * Like the RID attach, the handle is published only once the driver has
 * installed the domain, so a fault on @pasid before that finds no handler.
 *
 * Return: 0, -ENODEV (no IOMMU), -EOPNOTSUPP (the domain cannot attach to
 * a PASID), -EINVAL (domain of another IOMMU, PASID out of range, no
 * handle), -EBUSY
 * (something is attached at @pasid already; use iommu_replace_device_pasid)
 * or the driver's error.
 */
int iommu_attach_device_pasid(struct iommu_domain *domain, struct device *dev, uint32_t pasid,
			      struct iommu_attach_handle *handle)
{
	int rc = iommu_pasid_check(domain, dev, pasid);

	if (rc)
		return rc;
	/* The handle is what records the attach here (Linux also allows none:
	 * its PASID array then holds the bare domain). */
	if (!handle)
		return -EINVAL;
	if (iommu_attach_handle_get(dev, pasid))
		return -EBUSY;
	rc = domain->ops->set_dev_pasid(domain, dev, pasid, NULL);
	if (rc)
		return rc;
	domain->attach_count++;
	iommu_handle_link_pasid(handle, domain, dev, pasid);
	return 0;
}

/**
 * iommu_replace_device_pasid - switch (dev, pasid) to @domain without a
 * blocked window
 * @domain: new domain
 * @dev: device
 * @pasid: a PASID with a domain attached
 * @handle: new attach handle (published on success; required)
 *
 * Faults keep routing to the old handle until the driver has installed the
 * new domain; then the old one is unpublished (its owner answers what it
 * holds). On failure nothing changes.
 *
 * Return: 0, -EINVAL (nothing attached at @pasid: not a replace, or the
 * checks of iommu_attach_device_pasid) or the driver's error.
 */
int iommu_replace_device_pasid(struct iommu_domain *domain, struct device *dev, uint32_t pasid,
			       struct iommu_attach_handle *handle)
{
	struct iommu_attach_handle *old = NULL;
	int rc = iommu_pasid_check(domain, dev, pasid);

	if (rc)
		return rc;
	if (!handle)
		return -EINVAL;
	old = iommu_attach_handle_get(dev, pasid);
	if (!old || !old->domain)
		return -EINVAL;
	if (old->domain != domain) {
		rc = domain->ops->set_dev_pasid(domain, dev, pasid, old->domain);
		if (rc)
			return rc;
	}
	old->domain->attach_count--;
	list_del_init(&old->dev_node);
	domain->attach_count++;
	iommu_handle_link_pasid(handle, domain, dev, pasid);
	return 0;
}

/**
 * iommu_detach_device_pasid - block (dev, pasid) and unpublish its handle
 * @domain: the domain attached there
 * @dev: device
 * @pasid: PASID
 *
 * The handle goes first, so a fault on @pasid while the driver blocks it
 * finds no handler and is answered INVALID.
 */
void iommu_detach_device_pasid(struct iommu_domain *domain, struct device *dev, uint32_t pasid)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_attach_handle *handle = iommu_attach_handle_get(dev, pasid);

	if (!ops || !domain || pasid == IOMMU_NO_PASID || !handle || handle->domain != domain) {
		hal_log(dev->hal, HAL_LOG_WARN,
			"iommu: %s: detach of a domain not attached at pasid %u\n", dev->name, pasid);
		return;
	}
	list_del_init(&handle->dev_node);
	if (ops->remove_dev_pasid)
		ops->remove_dev_pasid(dev, pasid, domain);
	domain->attach_count--;
}

/**
 * iommu_map - install [iova, iova + size) -> [pa, pa + size) and make it
 * visible to the IOMMU (map_pages, then iotlb_sync_map)
 * @domain: paging domain
 * @iova: 4 KiB aligned IO virtual address
 * @pa: 4 KiB aligned physical address
 * @size: non-zero multiple of 4 KiB
 * @prot: IOMMU_READ | IOMMU_WRITE
 *
 * Charges HAL_COST_MAP_PAGE per page.
 *
 * Return: 0, -EINVAL (alignment, size, no domain ops), -EOVERFLOW, or the
 * driver's error (-EEXIST if already mapped).
 */
int iommu_map(struct iommu_domain *domain, uint64_t iova, hal_paddr_t pa, uint64_t size,
	      uint32_t prot)
{
	struct hal *h;
	uint64_t i;
	int rc;

	if (!domain || !domain->ops || !domain->ops->map_pages || !domain->iommu)
		return -EINVAL;
	if (!size || (iova | pa | size) & IOMMU_PAGE_MASK)
		return -EINVAL;
	if (iova + size < iova || pa + size < pa)
		return -EOVERFLOW;
	h = domain->iommu->hal;
	rc = domain->ops->map_pages(domain, iova, pa, size, prot);
	if (rc)
		return rc;
	for (i = 0; i < size / IOMMU_PAGE_SIZE; i++)
		hal_charge(h, HAL_COST_MAP_PAGE);
	if (domain->ops->iotlb_sync_map)
		domain->ops->iotlb_sync_map(domain, iova, size);
	return 0;
}

/**
 * iommu_unmap - remove translations
 * @domain: paging domain
 * @iova: 4 KiB aligned start
 * @size: length
 *
 * Return: bytes unmapped.
 */
uint64_t iommu_unmap(struct iommu_domain *domain, uint64_t iova, uint64_t size)
{
	if (!domain || !domain->ops || !domain->ops->unmap_pages || !size)
		return 0;
	return domain->ops->unmap_pages(domain, iova, size);
}

/**
 * iommu_report_device_event - relay a non-PRI event to the RID attach's consumer
 * @dev: device the event names
 * @type: vEVENTQ type of the payload
 * @data: payload
 * @len: its length in bytes
 *
 * Called from a driver's event-queue thread (Linux: the driver calls
 * iommufd_viommu_report_event(), drivers/iommu/iommufd/driver.c).
 *
 * Return: -ENODEV if the device has no RID attach whose domain relays
 * events, else what the domain's event_handler returns.
 */
int iommu_report_device_event(struct device *dev, uint32_t type, const void *data, size_t len)
{
	struct iommu_attach_handle *handle;

	if (!dev || !data || !len)
		return -EINVAL;
	handle = iommu_attach_handle_get(dev, IOMMU_NO_PASID);
	if (!handle || !handle->domain || !handle->domain->event_handler)
		return -ENODEV;
	return handle->domain->event_handler(handle, type, data, len);
}
