// SPDX-License-Identifier: Apache-2.0
/*
 * IOMMU_VIOMMU_ALLOC: the vIOMMU object, reduced to what its vEVENTQs need
 * (Linux drivers/iommu/iommufd/viommu.c; linux-iopf.md §2.6). A vIOMMU sits
 * on one physical IOMMU and one nesting-parent HWPT; the non-PRI events of a
 * device attached to that HWPT are reported to it. No vDEVICE, no nested
 * HWPT, no HW queue: those uAPIs stay unimplemented.
 */
#include <errno.h>

#include "iommufd/iommufd_private.h"

/**
 * iommufd_viommu_destroy - the vIOMMU's last reference is gone
 * @obj: object
 *
 * Its vEVENTQs hold references, so none is left here. Also the abort path.
 */
void iommufd_viommu_destroy(struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu = container_of(obj, struct iommufd_viommu, obj);

	if (!list_empty(&viommu->hwpt_node))
		list_del_init(&viommu->hwpt_node);
	/* Pairs with iommufd_viommu_alloc_ioctl() */
	if (viommu->hwpt)
		iommufd_put_object(&viommu->hwpt->obj);
}

/**
 * iommufd_viommu_alloc_ioctl - IOMMU_VIOMMU_ALLOC
 * @ucmd: command (struct iommu_viommu_alloc)
 *
 * Checks in Linux's order (iommufd_viommu_alloc_ioctl()): flags != 0 or type
 * DEFAULT -> EOPNOTSUPP; unknown dev_id -> ENOENT; a type the device's IOMMU
 * does not back -> EOPNOTSUPP; hwpt_id not a paging HWPT -> ENOENT; a HWPT
 * that is not a nesting parent -> EINVAL. data_len/data_uptr are not read
 * (the RISC-V type takes no data) and __reserved is not checked, as in Linux.
 *
 * Return: 0 or -errno.
 */
int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	const struct iommu_ops *ops;
	int rc;

	if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;

	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	ops = idev->dev->iommu->ops;
	if (!ops->viommu_supported || !ops->viommu_supported(idev->dev, cmd->type)) {
		rc = -EOPNOTSUPP;
		goto out_put_idev;
	}

	hwpt = iommufd_get_hwpt_paging(ucmd, cmd->hwpt_id);
	if (!hwpt) {
		rc = -ENOENT;
		goto out_put_idev;
	}
	if (!hwpt->nest_parent) {
		rc = -EINVAL;
		goto out_put_hwpt;
	}

	viommu = iommufd_object_alloc(ucmd->ictx, viommu, IOMMUFD_OBJ_VIOMMU, &rc);
	if (!viommu)
		goto out_put_hwpt;
	INIT_LIST_HEAD(&viommu->veventqs);
	INIT_LIST_HEAD(&viommu->hwpt_node);
	viommu->type = cmd->type;
	viommu->iommu_dev = idev->dev->iommu;
	/* The lookup reference on the parent HWPT moves into the vIOMMU. */
	viommu->hwpt = hwpt;
	list_add_tail(&viommu->hwpt_node, &hwpt->viommus);

	cmd->out_viommu_id = viommu->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort(ucmd->ictx, &viommu->obj);
		goto out_put_idev;
	}
	iommufd_object_finalize(ucmd->ictx, &viommu->obj);
	goto out_put_idev;

out_put_hwpt:
	iommufd_put_object(&hwpt->obj);
out_put_idev:
	iommufd_put_object(&idev->obj);
	return rc;
}

/**
 * iommufd_hwpt_event_handler - event_handler of every HWPT domain
 * @handle: the RID attach of the device the event names
 * @type: vEVENTQ type
 * @data: payload
 * @len: payload bytes
 *
 * Reports the event to each vIOMMU of the attached HWPT that sits on the
 * device's physical IOMMU (in practice one: the VMM's vIOMMU for that IOMMU).
 *
 * Return: 0 if any vIOMMU queued it (or marked it lost), else the last
 * error (-EOPNOTSUPP: no vEVENTQ of @type), or -ENODEV without a vIOMMU.
 */
int iommufd_hwpt_event_handler(struct iommu_attach_handle *handle, uint32_t type,
			       const void *data, size_t len)
{
	struct iommufd_hwpt_paging *hwpt = handle->domain->fault_data;
	struct iommufd_viommu *viommu;
	int rc = -ENODEV;
	bool queued = false;

	if (!hwpt)
		return -ENODEV;
	/* a nested HWPT's events go to the vIOMMUs of its parent */
	if (hwpt->parent)
		hwpt = hwpt->parent;
	list_for_each_entry(viommu, &hwpt->viommus, hwpt_node) {
		if (viommu->iommu_dev != handle->dev->iommu)
			continue;
		rc = iommufd_viommu_report_event(viommu, handle->dev->rid, type, data, len);
		if (!rc)
			queued = true;
	}
	return queued ? 0 : rc;
}
