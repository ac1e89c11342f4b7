// SPDX-License-Identifier: Apache-2.0
/*
 * I/O address spaces. An IOAS records which IOVA ranges map which simulated
 * user memory and keeps every paging domain allocated from it (one per HWPT)
 * in sync: IOMMU_IOAS_MAP maps into all of them, and a new HWPT is filled
 * with the existing areas.
 *
 * The simulated process's memory is identity-mapped onto simulated DRAM, so
 * user_va is the physical address the process got from its allocator.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd/iommufd_private.h"
#include "kernel/kalloc.h"

#define IOPT_PAGE_SIZE 4096ull
#define IOPT_PAGE_MASK (IOPT_PAGE_SIZE - 1)

/**
 * iommufd_ioas_alloc_ioctl - IOMMU_IOAS_ALLOC
 * @ucmd: command (struct iommu_ioas_alloc)
 *
 * Return: 0, -EOPNOTSUPP (flags), -ENOMEM or -EFAULT.
 */
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	ioas = iommufd_object_alloc(ucmd->ictx, ioas, IOMMUFD_OBJ_IOAS, &rc);
	if (!ioas)
		return rc;
	INIT_LIST_HEAD(&ioas->hwpt_list);
	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	iommufd_object_finalize(ucmd->ictx, &ioas->obj);
	return 0;

out_abort:
	iommufd_object_abort(ucmd->ictx, &ioas->obj);
	return rc;
}

/**
 * iommufd_ioas_destroy - free an IOAS (no HWPT can reference it any more)
 * @obj: object
 */
void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);
	size_t i;

	for (i = 0; i < ioas->nr_areas; i++)
		if (ioas->areas[i].kpage)
			hal_page_free(obj->ictx->hal, ioas->areas[i].pa);
	free(ioas->areas);
	ioas->areas = NULL;
	ioas->nr_areas = 0;
}

/* Index of the first area whose end is above iova. */
static size_t iopt_find(const struct iommufd_ioas *ioas, uint64_t iova)
{
	size_t lo = 0, hi = ioas->nr_areas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct iopt_area *a = &ioas->areas[mid];

		if (a->iova + a->length <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int iopt_reserve_area(struct iommufd_ioas *ioas, struct hal *h)
{
	struct iopt_area *n;
	size_t ncap;

	if (ioas->nr_areas < ioas->cap_areas)
		return 0;
	ncap = ioas->cap_areas ? ioas->cap_areas * 2 : 64;
	if (hal_should_fail(h, "iommufd.iopt_area"))
		return -ENOMEM;
	n = realloc(ioas->areas, ncap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	ioas->areas = n;
	ioas->cap_areas = ncap;
	return 0;
}

static int iopt_map_domain(struct iommu_domain *domain, const struct iopt_area *a)
{
	return iommu_map(domain, a->iova, a->pa, a->length, a->prot);
}

/**
 * iopt_table_add_domain - map every area of @ioas into a new domain
 * @ioas: address space
 * @domain: domain of a HWPT being created
 *
 * Return: 0, or the first mapping error (after undoing what was mapped).
 */
int iopt_table_add_domain(struct iommufd_ioas *ioas, struct iommu_domain *domain)
{
	size_t i;
	int rc;

	for (i = 0; i < ioas->nr_areas; i++) {
		rc = iopt_map_domain(domain, &ioas->areas[i]);
		if (rc)
			goto out_unmap;
	}
	return 0;

out_unmap:
	while (i--)
		iommu_unmap(domain, ioas->areas[i].iova, ioas->areas[i].length);
	return rc;
}

/* Map @a into every domain of @ioas; all or nothing. */
static int iopt_map_all(struct iommufd_ioas *ioas, const struct iopt_area *a)
{
	struct iommufd_hwpt_paging *hwpt, *done;
	int rc;

	list_for_each_entry(hwpt, &ioas->hwpt_list, ioas_node) {
		rc = iopt_map_domain(hwpt->domain, a);
		if (rc)
			goto out_unmap;
	}
	return 0;

out_unmap:
	list_for_each_entry(done, &ioas->hwpt_list, ioas_node) {
		if (done == hwpt)
			break;
		iommu_unmap(done->domain, a->iova, a->length);
	}
	return rc;
}

/*
 * Insert @a at @idx (room reserved) and map it into every domain; on failure
 * it is taken out again. The range is claimed before mapping: the driver
 * calls may block.
 */
static int iopt_add_area(struct iommufd_ioas *ioas, size_t idx, const struct iopt_area *a)
{
	int rc;

	memmove(&ioas->areas[idx + 1], &ioas->areas[idx],
		(ioas->nr_areas - idx) * sizeof(ioas->areas[0]));
	ioas->areas[idx] = *a;
	ioas->nr_areas++;
	rc = iopt_map_all(ioas, a);
	if (rc) {
		idx = iopt_find(ioas, a->iova);
		ioas->nr_areas--;
		memmove(&ioas->areas[idx], &ioas->areas[idx + 1],
			(ioas->nr_areas - idx) * sizeof(ioas->areas[0]));
	}
	return rc;
}

/**
 * iopt_demand_page - make the page at @iova present in @ioas, as the host's
 * second-stage handler does for a guest-physical page nobody mapped
 * @ioas: address space of a nesting parent
 * @h: HAL
 * @iova: the page's address (any offset)
 * @write: the access needs write permission
 * @mapped: set when a page was added
 *
 * An area already covering @iova answers for it (-EACCES if it is not
 * writeable and @write). Otherwise a zeroed page the IOAS owns becomes a
 * read-write area of its own, mapped into every HWPT of the IOAS; it is
 * freed when unmapped or with the IOAS.
 *
 * Return: 0, -EACCES, -ENOMEM, or a driver mapping error.
 */
int iopt_demand_page(struct iommufd_ioas *ioas, struct hal *h, uint64_t iova, bool write,
		     bool *mapped)
{
	struct iopt_area area = { 0 };
	size_t idx;
	int rc;

	*mapped = false;
	iova &= ~IOPT_PAGE_MASK;
	idx = iopt_find(ioas, iova);
	if (idx < ioas->nr_areas && ioas->areas[idx].iova <= iova)
		return write && !(ioas->areas[idx].prot & IOMMU_WRITE) ? -EACCES : 0;
	rc = iopt_reserve_area(ioas, h);
	if (rc)
		return rc;
	area.pa = hal_page_alloc(h); /* only devices touch it: no CPU mapping */
	if (!area.pa)
		return -ENOMEM;
	area.kpage = true;
	area.iova = iova;
	area.length = IOPT_PAGE_SIZE;
	area.prot = IOMMU_READ | IOMMU_WRITE;
	rc = iopt_add_area(ioas, idx, &area);
	if (rc) {
		hal_page_free(h, area.pa);
		return rc;
	}
	*mapped = true;
	return 0;
}

static int iopt_check_user_pages(struct hal *h, hal_paddr_t user_va, uint64_t length)
{
	return hal_phys_is_ram(h, user_va, length) ? 0 : -EFAULT;
}

/**
 * iommufd_ioas_map - IOMMU_IOAS_MAP with IOMMU_IOAS_MAP_FIXED_IOVA
 * @ucmd: command (struct iommu_ioas_map)
 *
 * Return: 0; -EOPNOTSUPP for unknown flags, a non-zero __reserved or a
 * request without FIXED_IOVA (IOVA allocation is not implemented); -EINVAL
 * for no permission, zero length or misalignment; -EOVERFLOW; -ENOENT for a
 * bad ioas_id; -EFAULT when user_va is not simulated memory; -EEXIST when the
 * range overlaps an existing mapping; -ENOMEM; or a driver mapping error.
 */
int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	const uint32_t valid = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |
			       IOMMU_IOAS_MAP_READABLE;
	struct iommu_ioas_map *cmd = ucmd->cmd;
	struct hal *h = ucmd->ictx->hal;
	struct iommufd_ioas *ioas;
	struct iopt_area area;
	size_t idx;
	int rc;

	if (cmd->flags & ~valid || cmd->__reserved)
		return -EOPNOTSUPP;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		return -EOPNOTSUPP;
	if (!cmd->length || (cmd->iova | cmd->user_va | cmd->length) & IOPT_PAGE_MASK)
		return -EINVAL;
	if (cmd->iova + cmd->length < cmd->iova || cmd->user_va + cmd->length < cmd->user_va)
		return -EOVERFLOW;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	rc = iopt_check_user_pages(h, cmd->user_va, cmd->length);
	if (rc)
		goto out_put;
	idx = iopt_find(ioas, cmd->iova);
	if (idx < ioas->nr_areas && ioas->areas[idx].iova < cmd->iova + cmd->length) {
		rc = -EEXIST;
		goto out_put;
	}
	rc = iopt_reserve_area(ioas, h);
	if (rc)
		goto out_put;

	area.kpage = false;
	area.iova = cmd->iova;
	area.length = cmd->length;
	area.pa = cmd->user_va;
	area.prot = (cmd->flags & IOMMU_IOAS_MAP_READABLE ? IOMMU_READ : 0) |
		    (cmd->flags & IOMMU_IOAS_MAP_WRITEABLE ? IOMMU_WRITE : 0);
	rc = iopt_add_area(ioas, idx, &area);

out_put:
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* Unmap @a from every domain of @ioas (the translations are gone everywhere,
 * device ATCs included, when this returns). */
static void iopt_unmap_all(struct iommufd_ioas *ioas, const struct iopt_area *a)
{
	struct iommufd_hwpt_paging *hwpt;

	list_for_each_entry(hwpt, &ioas->hwpt_list, ioas_node)
		iommu_unmap(hwpt->domain, a->iova, a->length);
}

/**
 * iommufd_ioas_unmap - IOMMU_IOAS_UNMAP (iommufd_ioas_unmap(), iopt_unmap_iova())
 * @ucmd: command (struct iommu_ioas_unmap)
 *
 * Unmaps every area inside [iova, iova + length) from every HWPT of the
 * IOAS (IOTLB and device ATCs invalidated by the driver) and reports the
 * bytes unmapped in length; iova 0 with length UINT64_MAX unmaps them all.
 * An area is taken off the IOAS before its domains are unmapped (the driver
 * calls block), as a map claims its range before mapping.
 *
 * Return: 0; -EINVAL for zero length; -EOVERFLOW when the range wraps;
 * -ENOENT for a bad ioas_id, a range that cuts an area, or one with no
 * area in it.
 */
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	struct iopt_area area;
	uint64_t last, unmapped = 0;
	size_t idx;
	int rc = 0;

	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		last = UINT64_MAX;
	} else {
		if (!cmd->length)
			return -EINVAL;
		if (cmd->iova + (cmd->length - 1) < cmd->iova)
			return -EOVERFLOW;
		last = cmd->iova + (cmd->length - 1);
	}
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	/*
	 * Every area the range touches must lie inside it
	 * (iopt_unmap_iova_range); the first one found may start below iova.
	 */
	for (idx = iopt_find(ioas, cmd->iova); idx < ioas->nr_areas && ioas->areas[idx].iova <= last;
	     idx++) {
		const struct iopt_area *a = &ioas->areas[idx];

		if (a->iova < cmd->iova || a->iova + (a->length - 1) > last) {
			rc = -ENOENT;
			goto out_put;
		}
	}
	for (;;) {
		idx = iopt_find(ioas, cmd->iova);
		if (idx >= ioas->nr_areas || ioas->areas[idx].iova > last)
			break;
		area = ioas->areas[idx];
		ioas->nr_areas--;
		memmove(&ioas->areas[idx], &ioas->areas[idx + 1],
			(ioas->nr_areas - idx) * sizeof(ioas->areas[0]));
		iopt_unmap_all(ioas, &area);
		if (area.kpage)
			hal_page_free(ucmd->ictx->hal, area.pa);
		unmapped += area.length;
	}
	if (!unmapped) {
		rc = -ENOENT;
		goto out_put;
	}
	cmd->length = unmapped;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));

out_put:
	iommufd_put_object(&ioas->obj);
	return rc;
}
