// SPDX-License-Identifier: Apache-2.0
/*
 * IOMMU_HWPT_ALLOC: paging HW page tables, optionally fault-capable
 * (linux-iopf.md §2.3). A HWPT owns one paging domain allocated for the
 * device named by dev_id, filled from and kept in sync with its IOAS. A
 * nested HWPT (pt_id a nesting parent) owns a NESTED domain: the user's
 * first stage over the parent's (driver data IOMMU_HWPT_DATA_RISCV_IOMMU).
 */
#include <errno.h>
#include <string.h>

#include "iommufd/iommufd_private.h"
#include "kernel/uaccess.h"

/**
 * iommufd_hwpt_paging_destroy - release a HWPT (also its abort path)
 * @obj: object
 *
 * Works on a partially built HWPT: every member is optional.
 */
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt = to_hwpt_paging(obj);

	iommufd_hwpt_stage2_fini(hwpt);
	if (!list_empty(&hwpt->ioas_node))
		list_del_init(&hwpt->ioas_node);
	if (hwpt->domain)
		iommu_domain_free(hwpt->domain);
	/* Pairs with iommufd_hwpt_nested_alloc() */
	if (hwpt->parent)
		iommufd_put_object(&hwpt->parent->obj);
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
	/* A nesting parent is a second stage (RISC-V: Sv39x4/Sv48x4/Sv57x4). */
	hwpt->domain = iommu_paging_domain_alloc_flags(idev->dev,
						       cmd->flags & IOMMU_HWPT_ALLOC_NEST_PARENT,
						       &rc);
	if (!hwpt->domain)
		goto out_abort;
	hwpt->domain->fault_data = hwpt;
	if (hwpt->nest_parent) {
		rc = iommufd_hwpt_stage2_init(ucmd->ictx, hwpt);
		if (rc)
			goto out_abort;
	}
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

/* The driver data of a nested HWPT: no larger than any type this IOMMU takes. */
#define IOMMUFD_HWPT_DATA_MAX 64u

/*
 * A nested HWPT on nesting parent @parent (Linux iommufd_hwpt_nested_alloc()):
 * flags other than FAULT_ID_VALID and ALLOC_PASID, or no driver data ->
 * EOPNOTSUPP; a parent that is not a nesting parent -> EINVAL; data larger
 * than any type -> EINVAL; a copy fault -> EFAULT; the driver's checks.
 */
static struct iommufd_hwpt_paging *iommufd_hwpt_nested_alloc(struct iommufd_ucmd *ucmd,
							     struct iommufd_device *idev,
							     struct iommufd_hwpt_paging *parent,
							     const struct iommu_hwpt_alloc *cmd,
							     int *err)
{
	const uint32_t valid_flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;
	unsigned char data[IOMMUFD_HWPT_DATA_MAX];
	struct iommufd_hwpt_paging *hwpt;
	int rc;

	if ((cmd->flags & ~valid_flags) || cmd->data_type == IOMMU_HWPT_DATA_NONE) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (!parent->nest_parent || cmd->data_len > sizeof(data)) {
		*err = -EINVAL;
		return NULL;
	}
	memset(data, 0, sizeof(data));
	rc = px_copy_from_user(ucmd->ictx->hal, data, (const void *)(uintptr_t)cmd->data_uptr,
			       cmd->data_len);
	if (rc) {
		*err = rc;
		return NULL;
	}

	hwpt = iommufd_object_alloc(ucmd->ictx, hwpt, IOMMUFD_OBJ_HWPT_NESTED, err);
	if (!hwpt)
		return NULL;
	INIT_LIST_HEAD(&hwpt->ioas_node);
	INIT_LIST_HEAD(&hwpt->viommus);
	hwpt->pasid_compat = !!(cmd->flags & IOMMU_HWPT_ALLOC_PASID);
	hwpt->domain = iommu_nested_domain_alloc(idev->dev, parent->domain, cmd->data_type, data,
						 cmd->data_len, &rc);
	if (!hwpt->domain)
		goto out_abort;
	hwpt->domain->fault_data = hwpt;
	hwpt->domain->event_handler = iommufd_hwpt_event_handler;
	/* Pairs with iommufd_hwpt_paging_destroy() */
	iommufd_ref_object(&parent->obj);
	hwpt->parent = parent;
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
 * type -> EINVAL (Linux iommufd_hwpt_alloc); unknown flag, or FAULT_ID_VALID
 * with NEST_PARENT -> EOPNOTSUPP; pt_id a paging HWPT: a nested HWPT
 * (iommufd_hwpt_nested_alloc()); fault_id not a
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
		hwpt = iommufd_hwpt_nested_alloc(ucmd, idev, to_hwpt_paging(pt_obj), cmd, &rc);
		if (!hwpt)
			goto out_put_pt;
		break;
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
	if (hwpt->fault)
		hal_stat_inc(ucmd->ictx->hal, ucmd->ictx->fault_stats.fault_hwpts, 1);
	goto out_put_pt;

out_hwpt:
	iommufd_object_abort(ucmd->ictx, &hwpt->obj);
out_put_pt:
	iommufd_put_object(pt_obj);
out_put_idev:
	iommufd_put_object(&idev->obj);
	return rc;
}

/**
 * iommufd_hwpt_invalidate - IOMMU_HWPT_INVALIDATE on a nested HWPT
 * @ucmd: command (struct iommu_hwpt_invalidate)
 *
 * Checks in Linux's order (iommufd_hwpt_invalidate()): __reserved != 0 ->
 * EOPNOTSUPP; entries without data_uptr or entry_len -> EINVAL; unknown
 * hwpt_id -> ENOENT; an object other than a nested HWPT -> EINVAL (prisim
 * has no vIOMMU invalidation); a domain that takes none -> EOPNOTSUPP; then
 * the driver's errors per entry. entry_num is written back in every case:
 * the entries handled (0 before the driver runs).
 *
 * Return: 0 or -errno.
 */
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array array = {
		.type = cmd->data_type,
		.uptr = (const void *)(uintptr_t)cmd->data_uptr,
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	struct iommufd_object *pt_obj;
	struct iommu_domain *domain;
	uint32_t done = 0;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len)) {
		rc = -EINVAL;
		goto out;
	}
	pt_obj = iommufd_get_object(ucmd->ictx, cmd->hwpt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj) {
		rc = -ENOENT;
		goto out;
	}
	if (pt_obj->type != IOMMUFD_OBJ_HWPT_NESTED) {
		rc = -EINVAL;
		goto out_put;
	}
	domain = to_hwpt_paging(pt_obj)->domain;
	if (!domain->ops || !domain->ops->cache_invalidate_user) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	rc = domain->ops->cache_invalidate_user(domain, &array);
	done = array.entry_num;
out_put:
	iommufd_put_object(pt_obj);
out:
	cmd->entry_num = done;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}
