// SPDX-License-Identifier: Apache-2.0
/*
 * iommufd device objects: bind, attach, replace and detach of a device's RID
 * and PASIDs (linux-iopf.md §2.3 device rows, §3.6), one attach handle each. IOPF is enabled on the device at
 * the first attach to a fault-capable HWPT and disabled when the device no
 * longer uses one (the 6.11-6.15 model, where iommufd drives the feature).
 */
#include <errno.h>

#include "iommufd/iommufd_private.h"
#include "kernel/kalloc.h"

/**
 * iommufd_device_bind - create the DEVICE object of @dev in @ictx
 * @ictx: context
 * @dev: device behind an IOMMU
 * @out: the object; the caller holds a reference until iommufd_device_unbind()
 * @id: its id (the dev_id of the uAPI)
 *
 * Return: 0, -ENODEV (no IOMMU) or -ENOMEM.
 */
int iommufd_device_bind(struct iommufd_ctx *ictx, struct device *dev,
			struct iommufd_device **out, uint32_t *id)
{
	struct iommufd_device *idev;
	int rc;

	if (!dev || !dev->iommu)
		return -ENODEV;
	idev = iommufd_object_alloc(ictx, idev, IOMMUFD_OBJ_DEVICE, &rc);
	if (!idev)
		return rc;
	idev->dev = dev;
	INIT_LIST_HEAD(&idev->attaches);
	iommufd_object_finalize(ictx, &idev->obj);
	/* The binding is a user until iommufd_device_unbind(): IOMMU_DESTROY gets EBUSY. */
	iommufd_ref_object(&idev->obj);
	*out = idev;
	*id = idev->obj.id;
	return 0;
}

static void iommufd_device_iopf_disable(struct iommufd_device *idev)
{
	const struct iommu_ops *ops = idev->dev->iommu->ops;

	if (!idev->iopf_enabled)
		return;
	if (ops->dev_disable_iopf)
		ops->dev_disable_iopf(idev->dev);
	idev->iopf_enabled = false;
}

/* Enable IOPF for a fault-capable attach; sets *enabled when this call did it. */
static int iommufd_device_iopf_enable(struct iommufd_device *idev, bool *enabled)
{
	struct device *dev = idev->dev;
	const struct iommu_ops *ops = dev->iommu->ops;
	int rc;

	*enabled = false;
	/* A VF's PRI is the PF's: a Response Failure would stop it for every function. */
	if (dev->is_virtfn && dev->pri_supported)
		return -EINVAL;
	if (idev->iopf_enabled)
		return 0;
	if (!ops->dev_enable_iopf)
		return -EOPNOTSUPP;
	rc = ops->dev_enable_iopf(dev);
	if (rc)
		return rc;
	idev->iopf_enabled = true;
	*enabled = true;
	return 0;
}

/* IOPF stays on while any attach of the device, RID or PASID, is fault-capable. */
static void iommufd_device_iopf_update(struct iommufd_device *idev)
{
	struct iommufd_attach *at;

	list_for_each_entry(at, &idev->attaches, node)
		if (at->hwpt->fault)
			return;
	iommufd_device_iopf_disable(idev);
}

static struct iommufd_attach *iommufd_attach_find(struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_attach *at;

	list_for_each_entry(at, &idev->attaches, node)
		if (at->pasid == pasid)
			return at;
	return NULL;
}

static struct iommu_attach_handle *iommufd_handle_alloc(struct iommufd_device *idev)
{
	struct iommu_attach_handle *handle;

	handle = px_kzalloc(idev->dev->hal, sizeof(*handle), "iommufd.attach_handle");
	if (!handle)
		return NULL;
	INIT_LIST_HEAD(&handle->dev_node);
	handle->priv = idev;
	return handle;
}

/*
 * Linux iommufd_hwpt_pasid_compat(): a HWPT attached to a PASID must have
 * been allocated with IOMMU_HWPT_ALLOC_PASID, and so must the RID's while
 * PASIDs are attached (and the other way round).
 */
static int iommufd_hwpt_pasid_compat(struct iommufd_device *idev, struct iommufd_hwpt_paging *hwpt,
				     uint32_t pasid)
{
	struct iommufd_attach *at;

	if (pasid != IOMMU_NO_PASID) {
		if (!hwpt->pasid_compat)
			return -EINVAL;
		at = iommufd_attach_find(idev, IOMMU_NO_PASID);
		return at && !at->hwpt->pasid_compat ? -EINVAL : 0;
	}
	if (hwpt->pasid_compat)
		return 0;
	list_for_each_entry(at, &idev->attaches, node)
		if (at->pasid != IOMMU_NO_PASID)
			return -EINVAL;
	return 0;
}

/*
 * Install hwpt at (RID or PASID): a first attach, or a replace of the
 * attach there. Either way IOPF is enabled first when hwpt is
 * fault-capable, and a failure leaves the previous state (and answers
 * nothing).
 */
static int iommufd_device_do_attach(struct iommufd_device *idev, uint32_t pasid,
				    struct iommufd_hwpt_paging *hwpt)
{
	struct iommufd_attach *at = iommufd_attach_find(idev, pasid);
	struct iommufd_hwpt_paging *old_hwpt = at ? at->hwpt : NULL;
	struct iommu_attach_handle *old_handle = at ? at->handle : NULL;
	struct iommufd_attach *fresh = NULL;
	struct iommu_attach_handle *handle;
	bool iopf_enabled = false;
	int rc;

	rc = iommufd_hwpt_pasid_compat(idev, hwpt, pasid);
	if (rc)
		return rc;
	if (hwpt->fault) {
		rc = iommufd_device_iopf_enable(idev, &iopf_enabled);
		if (rc)
			return rc;
	}
	if (!at) {
		fresh = px_kzalloc(idev->dev->hal, sizeof(*fresh), "iommufd.attach");
		if (!fresh) {
			rc = -ENOMEM;
			goto out_disable;
		}
	}
	handle = iommufd_handle_alloc(idev);
	if (!handle) {
		rc = -ENOMEM;
		goto out_free_attach;
	}
	if (pasid == IOMMU_NO_PASID)
		rc = old_hwpt ? iommu_replace_device_handle(hwpt->domain, idev->dev, handle)
			      : iommu_attach_device(hwpt->domain, idev->dev, handle);
	else
		rc = old_hwpt ? iommu_replace_device_pasid(hwpt->domain, idev->dev, pasid, handle)
			      : iommu_attach_device_pasid(hwpt->domain, idev->dev, pasid, handle);
	if (rc)
		goto out_free_handle;
	/* Pairs with iommufd_device_detach() */
	iommufd_ref_object(&hwpt->obj);
	if (fresh) {
		at = fresh;
		at->pasid = pasid;
		list_add_tail(&at->node, &idev->attaches);
	}
	at->hwpt = hwpt;
	at->handle = handle;
	if (old_hwpt) {
		/* The old attach's faults are answered on the OLD HWPT's fault object (§3.6). */
		iommufd_auto_response_faults(old_hwpt, old_handle);
		px_kfree(old_handle);
		iommufd_device_iopf_update(idev);
		iommufd_put_object(&old_hwpt->obj);
	}
	return 0;

out_free_handle:
	px_kfree(handle);
out_free_attach:
	px_kfree(fresh);
out_disable:
	if (iopf_enabled)
		iommufd_device_iopf_disable(idev);
	return rc;
}

/**
 * iommufd_device_attach - attach (or replace) the page table of the
 * device's RID or of one of its PASIDs
 * @idev: bound device
 * @pasid: IOMMU_NO_PASID for the RID, else the PASID
 * @pt_id: in: a HWPT id; out: the attached HWPT id
 *
 * Attaching a fault-capable HWPT enables IOPF on the device, and is refused
 * with -EINVAL for a PRI-capable VF. Attaching where something is attached
 * replaces the HWPT (a no-op for the same HWPT). A PASID takes only a HWPT
 * allocated with IOMMU_HWPT_ALLOC_PASID, and while PASIDs are attached so
 * does the RID.
 *
 * Return: 0, -ENOENT (unknown id), -EOPNOTSUPP (an IOAS: automatic domains
 * are not implemented; or the IOMMU cannot attach PASIDs), -EINVAL (other
 * object type, VF with PRI, domain of another IOMMU, a HWPT not
 * PASID-compatible, a PASID out of range), or the driver's error.
 */
int iommufd_device_attach(struct iommufd_device *idev, uint32_t pasid, uint32_t *pt_id)
{
	struct iommufd_attach *at = iommufd_attach_find(idev, pasid);
	struct iommufd_object *pt_obj;
	struct iommufd_hwpt_paging *hwpt;
	int rc;

	pt_obj = iommufd_get_object(idev->obj.ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj)
		return -ENOENT;
	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_PAGING:
	case IOMMUFD_OBJ_HWPT_NESTED:
		hwpt = to_hwpt_paging(pt_obj);
		rc = at && at->hwpt == hwpt ? 0 : iommufd_device_do_attach(idev, pasid, hwpt);
		break;
	case IOMMUFD_OBJ_IOAS:
		rc = -EOPNOTSUPP;
		break;
	default:
		rc = -EINVAL;
		break;
	}
	iommufd_put_object(pt_obj);
	return rc;
}

/**
 * iommufd_device_detach - detach the device's RID or one PASID, which is
 * then blocked
 * @idev: bound device
 * @pasid: IOMMU_NO_PASID for the RID, else the PASID
 *
 * Order (§3.6): detach in the IOMMU so no new fault is produced, answer
 * INVALID the attach's undelivered and unanswered groups, disable IOPF if
 * no fault-capable attach is left, then free the attach handle.
 *
 * Return: 0 (also when nothing was attached there).
 */
int iommufd_device_detach(struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_attach *at = iommufd_attach_find(idev, pasid);
	struct iommufd_hwpt_paging *hwpt;

	if (!at)
		return 0;
	hwpt = at->hwpt;
	if (pasid == IOMMU_NO_PASID)
		iommu_detach_device(hwpt->domain, idev->dev);
	else
		iommu_detach_device_pasid(hwpt->domain, idev->dev, pasid);
	iommufd_auto_response_faults(hwpt, at->handle);
	list_del_init(&at->node);
	iommufd_device_iopf_update(idev);
	px_kfree(at->handle);
	px_kfree(at);
	/* Pairs with iommufd_device_do_attach() */
	iommufd_put_object(&hwpt->obj);
	return 0;
}

/* Every attach, PASIDs first, then the RID. */
static void iommufd_device_detach_all(struct iommufd_device *idev)
{
	struct iommufd_attach *at, *next;

	list_for_each_entry_safe(at, next, &idev->attaches, node)
		if (at->pasid != IOMMU_NO_PASID)
			iommufd_device_detach(idev, at->pasid);
	iommufd_device_detach(idev, IOMMU_NO_PASID);
}

/**
 * iommufd_device_destroy - the DEVICE object's last reference is gone
 * @obj: object
 */
void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev = container_of(obj, struct iommufd_device, obj);

	iommufd_device_detach_all(idev);
}

/**
 * iommufd_device_unbind - undo iommufd_device_bind(): detach and destroy
 * @idev: device object
 */
void iommufd_device_unbind(struct iommufd_device *idev)
{
	iommufd_device_detach_all(idev);
	iommufd_object_remove(idev->obj.ictx, idev->obj.id, true);
	/* Pairs with iommufd_device_bind() */
	iommufd_put_object(&idev->obj);
}
