// SPDX-License-Identifier: Apache-2.0
/*
 * IOMMU_HWPT_ALLOC: paging HW page tables, optionally fault-capable
 * (linux-iopf.md §2.3). A HWPT owns one paging domain allocated for the
 * device named by dev_id, filled from and kept in sync with its IOAS.
 */
#include <errno.h>

#include "iommufd/iommufd_private.h"

/**
 * iommufd_hwpt_paging_destroy - release a HWPT (also its abort path)
 * @obj: object
 *
 * Works on a partially built HWPT: every member is optional.
 */
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt = to_hwpt_paging(obj);

	if (!list_empty(&hwpt->ioas_node))
		list_del_init(&hwpt->ioas_node);
	if (hwpt->domain)
		iommu_domain_free(hwpt->domain);
	/* Pairs with iommufd_hwpt_paging_alloc() */
	if (hwpt->ioas)
		iommufd_put_object(&hwpt->ioas->obj);
	/* Pairs with the fault lookup in iommufd_hwpt_alloc() */
	if (hwpt->fault)
		iommufd_put_object(&hwpt->fault->obj);
}

static struct iommufd_hwpt_paging *iommufd_hwpt_paging_alloc(struct iommufd_ucmd *ucmd,
							     struct iommufd_device *idev,
							     struct iommufd_ioas *ioas,
							     const struct iommu_hwpt_alloc *cmd,
							     int *err)
{
	const uint32_t valid_flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				     IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;
	struct iommufd_hwpt_paging *hwpt;
	int rc;

	if (cmd->flags & ~valid_flags) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	/* A nesting parent cannot be faultable. */
	if ((cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) &&
	    (cmd->flags & IOMMU_HWPT_ALLOC_NEST_PARENT)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	/* No dirty tracking and no driver-specific paging data in this IOMMU. */
	if ((cmd->flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) ||
	    cmd->data_type != IOMMU_HWPT_DATA_NONE) {
		*err = -EOPNOTSUPP;
		return NULL;
	}

	hwpt = iommufd_object_alloc(ucmd->ictx, hwpt, IOMMUFD_OBJ_HWPT_PAGING, err);
	if (!hwpt)
		return NULL;
	INIT_LIST_HEAD(&hwpt->ioas_node);
	INIT_LIST_HEAD(&hwpt->viommus);
	hwpt->nest_parent = !!(cmd->flags & IOMMU_HWPT_ALLOC_NEST_PARENT);
	hwpt->pasid_compat = !!(cmd->flags & IOMMU_HWPT_ALLOC_PASID);
	hwpt->domain = iommu_paging_domain_alloc(idev->dev);
	if (!hwpt->domain) {
		rc = -ENOMEM;
		goto out_abort;
	}
	hwpt->domain->fault_data = hwpt;
	/* Non-PRI events of attached devices go to the vIOMMUs on this HWPT. */
	hwpt->domain->event_handler = iommufd_hwpt_event_handler;
	rc = iopt_table_add_domain(ioas, hwpt->domain);
	if (rc)
		goto out_abort;
	/* Pairs with iommufd_hwpt_paging_destroy() */
	iommufd_ref_object(&ioas->obj);
	hwpt->ioas = ioas;
	list_add_tail(&hwpt->ioas_node, &ioas->hwpt_list);
	return hwpt;

out_abort:
	iommufd_object_abort(ucmd->ictx, &hwpt->obj);
	*err = rc;
	return NULL;
}

/**
 * iommufd_hwpt_alloc - IOMMU_HWPT_ALLOC
 * @ucmd: command (struct iommu_hwpt_alloc)
 *
 * Checks (§2.3): __reserved != 0 -> EOPNOTSUPP; data_type/data_len mismatch
 * -> EINVAL; unknown dev_id -> ENOENT; unknown pt_id, or pt_id of another
 * type -> EINVAL (Linux iommufd_hwpt_alloc); unknown flag, FAULT_ID_VALID
 * with NEST_PARENT, or a nested allocation -> EOPNOTSUPP; fault_id not a
 * FAULT object -> ENOENT (the HWPT is aborted). __reserved2 is not checked.
 *
 * Return: 0 or -errno.
 */
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_object *pt_obj;
	struct iommufd_device *idev;
	struct iommufd_fault *fault;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;

	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	/* Linux answers an unknown pt_id EINVAL, unlike other ids (ENOENT). */
	pt_obj = iommufd_get_object(ucmd->ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj) {
		rc = -EINVAL;
		goto out_put_idev;
	}

	switch (pt_obj->type) {
	case IOMMUFD_OBJ_IOAS:
		hwpt = iommufd_hwpt_paging_alloc(ucmd, idev,
						 container_of(pt_obj, struct iommufd_ioas, obj),
						 cmd, &rc);
		if (!hwpt)
			goto out_put_pt;
		break;
	case IOMMUFD_OBJ_HWPT_PAGING:
		/* Nested HWPT: this IOMMU driver has no nested domains. */
		rc = -EOPNOTSUPP;
		goto out_put_pt;
	default:
		rc = -EINVAL;
		goto out_put_pt;
	}

	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		fault = iommufd_get_fault(ucmd, cmd->fault_id);
		if (!fault) {
			rc = -ENOENT;
			goto out_hwpt;
		}
		/* The lookup reference moves into the HWPT. */
		hwpt->fault = fault;
		hwpt->domain->iopf_handler = iommufd_fault_iopf_handler;
	}

	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_hwpt;
	iommufd_object_finalize(ucmd->ictx, &hwpt->obj);
	goto out_put_pt;

out_hwpt:
	iommufd_object_abort(ucmd->ictx, &hwpt->obj);
out_put_pt:
	iommufd_put_object(pt_obj);
out_put_idev:
	iommufd_put_object(&idev->obj);
	return rc;
}
