// SPDX-License-Identifier: Apache-2.0
/*
 * RISC-V IOMMU driver: paging domains = one first-stage table + PSCID, or
 * (IOMMU_HWPT_ALLOC_NEST_PARENT) one second-stage table + GSCID.
 *
 * The table is Sv39, Sv48 or Sv57 (iommu->pgtbl_levels, sw.driver.pgtbl_mode).
 * Leaves are 4 KiB, or 2 MiB where iommu->superpages (sw.driver.superpages)
 * and a mapped range covers an aligned 2 MiB, as Linux's iommu_map picks the
 * largest page size that fits. A leaf is V | R | W | U | A | D with R/W from prot:
 * requests without a PASID are user-mode accesses (so U = 1), and A/D are
 * preset because this driver does not rely on hardware A/D updates (no SADE).
 * W without R is a reserved encoding, so IOMMU_WRITE alone maps R | W.
 * Table pages live in simulated DRAM; the IOMMU walks the very bytes.
 *
 * A second-stage (G) table is Sv39x4/Sv48x4/Sv57x4 of the same depth
 * (riscv-iommu.md §17, the hypervisor extension's G-stage): its root is
 * 16 KiB, 16 KiB aligned, and indexed by 2 more bits; addresses are
 * guest-physical, zero-extended (no sign extension). Its leaves are the
 * same V | R | W | U | A | D (U is required on G leaves). It is invalidated
 * with IOTINVAL.GVMA in its GSCID, which also drops the combined entries of
 * the nested domains on it; their devices' ATCs hold IOVA -> SPA entries
 * whose IOVA the host cannot know, so they get ATS.INVAL of everything.
 */
#include <errno.h>
#include <stdlib.h>

#include "riscv_iommu_priv.h"

#define PT_LEVEL_SHIFT(l) (RISCV_IOMMU_PAGE_SHIFT + 9u * (l))
#define PT_LEVEL_SIZE(l)  (UINT64_C(1) << PT_LEVEL_SHIFT(l))
#define PT_TABLE_BYTES    ((size_t)RISCV_IOMMU_PTES_PER_TABLE * sizeof(uint64_t))
/* A G-stage root: 4 pages, 2 more index bits (§17). */
#define PT_G_ROOT_PAGES   4u
#define PT_G_ROOT_BYTES   (PT_G_ROOT_PAGES * PT_TABLE_BYTES)

static const struct iommu_domain_ops riscv_iommu_paging_ops;

/* Entries of rd's table at level @l: a G-stage root has 4 times as many. */
static unsigned int pt_entries(const struct riscv_iommu_domain *rd, unsigned int l)
{
	return RISCV_IOMMU_PTES_PER_TABLE *
	       (rd->kind == RISCV_IOMMU_DOMAIN_G && l == rd->levels - 1 ? PT_G_ROOT_PAGES : 1);
}

static unsigned int pt_index(const struct riscv_iommu_domain *rd, uint64_t iova, unsigned int l)
{
	return (unsigned int)(iova >> PT_LEVEL_SHIFT(l)) & (pt_entries(rd, l) - 1);
}

static size_t pt_root_bytes(const struct riscv_iommu_domain *rd)
{
	return rd->kind == RISCV_IOMMU_DOMAIN_G ? PT_G_ROOT_BYTES : PT_TABLE_BYTES;
}
static int riscv_iommu_iotlb_inval(struct riscv_iommu_domain *rd, uint64_t iova, uint64_t size,
				   bool atc);

/* Take the lowest clear bit of @map (@words long); probe keeps bit 0 set. */
static int riscv_iommu_id_alloc(uint64_t *map, unsigned int words, uint32_t *id)
{
	unsigned int w, b;

	for (w = 0; w < words; w++) {
		if (map[w] == ~UINT64_C(0))
			continue;
		b = (unsigned int)__builtin_ctzll(~map[w]);
		map[w] |= UINT64_C(1) << b;
		*id = w * 64 + b;
		return 0;
	}
	return -ENOSPC;
}

/**
 * riscv_iommu_pscid_alloc - take the lowest free PSCID of this IOMMU
 * @iommu: the IOMMU
 * @pscid: the id (never 0)
 *
 * Return: 0 or -ENOSPC.
 */
int riscv_iommu_pscid_alloc(struct riscv_iommu *iommu, uint32_t *pscid)
{
	return riscv_iommu_id_alloc(iommu->pscid_map, RISCV_IOMMU_MAX_PSCIDS / 64, pscid);
}

/**
 * riscv_iommu_pscid_free - return a PSCID
 * @iommu: the IOMMU
 * @pscid: an id from riscv_iommu_pscid_alloc()
 */
void riscv_iommu_pscid_free(struct riscv_iommu *iommu, uint32_t pscid)
{
	if (pscid && pscid < RISCV_IOMMU_MAX_PSCIDS)
		iommu->pscid_map[pscid / 64] &= ~(UINT64_C(1) << (pscid % 64));
}

static uint64_t *riscv_iommu_pte_table(struct hal *h, uint64_t pte)
{
	return hal_phys_to_virt(h, RV_FIELD_GET(RISCV_IOMMU_PTE_PPN, pte) << RISCV_IOMMU_PAGE_SHIFT);
}

static uint64_t riscv_iommu_pte_get(const uint64_t *ptep)
{
	return riscv_iommu_le64_to_cpu(*(const volatile uint64_t *)ptep);
}

static void riscv_iommu_pte_set(uint64_t *ptep, uint64_t pte)
{
	*(volatile uint64_t *)ptep = riscv_iommu_cpu_to_le64(pte);
}

static bool riscv_iommu_pte_is_table(uint64_t pte)
{
	return (pte & RISCV_IOMMU_PTE_V) && !(pte & RISCV_IOMMU_PTE_LEAF);
}

/*
 * Sv39/Sv48/Sv57 addresses are sign-extended from bit 38/47/56;
 * Sv39x4/Sv48x4/Sv57x4 guest-physical addresses have 2 more bits, zero-extended.
 */
static bool riscv_iommu_canonical(const struct riscv_iommu_domain *rd, uint64_t va)
{
	unsigned int va_bits = PT_LEVEL_SHIFT(rd->levels);
	uint64_t top = va >> (va_bits - 1);

	if (rd->kind == RISCV_IOMMU_DOMAIN_G)
		return !(va >> (va_bits + 2));
	return top == 0 || top == (~UINT64_C(0) >> (va_bits - 1));
}

static bool riscv_iommu_range_ok(const struct riscv_iommu_domain *rd, uint64_t iova,
				 uint64_t size)
{
	uint64_t last = iova + size - 1;

	if (!size || (iova | size) & (RISCV_IOMMU_PAGE_SIZE - 1) || last < iova)
		return false;
	return riscv_iommu_canonical(rd, iova) && riscv_iommu_canonical(rd, last) &&
	       (iova >> 63) == (last >> 63);
}

/*
 * The PTE slot for iova at level @level (0: 4 KiB, 1: 2 MiB), allocating
 * missing tables if alloc. Without alloc a leaf found above @level is
 * returned instead, with *found its level. NULL if a table is missing (and
 * !alloc), on -ENOMEM (*err set), or if a leaf sits above @level while
 * allocating (*err = -EEXIST).
 */
static uint64_t *riscv_iommu_pte_walk(struct riscv_iommu_domain *rd, uint64_t iova,
				      unsigned int level, bool alloc, unsigned int *found, int *err)
{
	struct hal *h = rd->iommu->hal;
	uint64_t *table = rd->pgd;
	unsigned int l;

	for (l = rd->levels - 1; l > level; l--) {
		uint64_t *ptep = &table[pt_index(rd, iova, l)];
		uint64_t pte = riscv_iommu_pte_get(ptep);

		if (!(pte & RISCV_IOMMU_PTE_V)) {
			hal_paddr_t pa;
			void *next;

			if (!alloc)
				return NULL;
			if (hal_should_fail(h, "riscv_iommu.pgtbl_alloc"))
				next = NULL;
			else
				next = hal_dma_alloc(h, PT_TABLE_BYTES, RISCV_IOMMU_PAGE_SIZE, &pa);
			if (!next) {
				*err = -ENOMEM;
				return NULL;
			}
			/* the new (zeroed) table is visible before it is linked */
			hal_wmb(h);
			pte = RISCV_IOMMU_PTE_V |
			      RV_FIELD_PREP(RISCV_IOMMU_PTE_PPN, pa >> RISCV_IOMMU_PAGE_SHIFT);
			riscv_iommu_pte_set(ptep, pte);
		} else if (!riscv_iommu_pte_is_table(pte)) {
			if (!alloc) {
				*found = l;
				return ptep;
			}
			*err = -EEXIST;
			return NULL;
		}
		table = riscv_iommu_pte_table(h, pte);
		if (!table) {
			*err = -EFAULT;
			return NULL;
		}
	}
	*found = level;
	return &table[pt_index(rd, iova, level)];
}

static uint64_t riscv_iommu_leaf_pte(hal_paddr_t pa, uint32_t prot)
{
	uint64_t pte = RISCV_IOMMU_PTE_V | RISCV_IOMMU_PTE_U | RISCV_IOMMU_PTE_A |
		       RISCV_IOMMU_PTE_D | RISCV_IOMMU_PTE_R;

	if (prot & IOMMU_WRITE)
		pte |= RISCV_IOMMU_PTE_W;
	return pte | RV_FIELD_PREP(RISCV_IOMMU_PTE_PPN, pa >> RISCV_IOMMU_PAGE_SHIFT);
}

/*
 * Clear leaves in [iova, iova + size); pgtbl_lock held. A 2 MiB leaf the
 * range touches goes as a whole (as Linux unmaps a whole large page).
 * Return: bytes cleared; lo and hi receive the span of the cleared leaves.
 */
static uint64_t riscv_iommu_clear_range(struct riscv_iommu_domain *rd, uint64_t iova,
					uint64_t size, uint64_t *lo, uint64_t *hi)
{
	uint64_t off = 0, cleared = 0;

	*lo = iova;
	*hi = iova + size;
	while (off < size) {
		unsigned int level = 0;
		uint64_t *ptep = riscv_iommu_pte_walk(rd, iova + off, 0, false, &level, &(int){ 0 });
		uint64_t leaf = PT_LEVEL_SIZE(level), base = (iova + off) & ~(leaf - 1);

		if (ptep && (riscv_iommu_pte_get(ptep) & RISCV_IOMMU_PTE_V)) {
			riscv_iommu_pte_set(ptep, 0);
			cleared += leaf;
			if (base < *lo)
				*lo = base;
			if (base + leaf > *hi)
				*hi = base + leaf;
		}
		off = base + leaf - iova;
	}
	hal_wmb(rd->iommu->hal);
	return cleared;
}

static int riscv_iommu_map_pages(struct iommu_domain *domain, uint64_t iova, hal_paddr_t pa,
				 uint64_t size, uint32_t prot)
{
	struct riscv_iommu_domain *rd = to_riscv_domain(domain);
	struct hal *h = rd->iommu->hal;
	unsigned int level = 0;
	uint64_t off;
	int ret = 0;

	if (!riscv_iommu_range_ok(rd, iova, size) || (pa & (RISCV_IOMMU_PAGE_SIZE - 1)) ||
	    !(prot & (IOMMU_READ | IOMMU_WRITE)) || pa + size - 1 < pa)
		return -EINVAL;

	hal_mutex_lock(rd->pgtbl_lock);
	for (off = 0; off < size; off += PT_LEVEL_SIZE(level)) {
		const uint64_t big = PT_LEVEL_SIZE(1);
		unsigned int found;
		uint64_t *ptep;

		/* a 2 MiB leaf where IOVA and PA are aligned and the range covers it */
		level = rd->iommu->superpages && !((iova + off) & (big - 1)) &&
			!((pa + off) & (big - 1)) && size - off >= big;
		if (level) {
			ptep = riscv_iommu_pte_walk(rd, iova + off, 1, true, &found, &ret);
			/* a table below (4 KiB leaves mapped before): map 4 KiB */
			if (ptep && riscv_iommu_pte_is_table(riscv_iommu_pte_get(ptep)))
				level = 0;
		}
		if (!level)
			ptep = riscv_iommu_pte_walk(rd, iova + off, 0, true, &found, &ret);
		if (!ptep)
			break;
		if (riscv_iommu_pte_get(ptep) & RISCV_IOMMU_PTE_V) {
			ret = -EEXIST;
			break;
		}
		/* HAL_COST_MAP_PAGE is charged by the caller, iommu_map() */
		riscv_iommu_pte_set(ptep, riscv_iommu_leaf_pte(pa + off, prot));
	}
	hal_wmb(h);
	if (ret && off) {
		uint64_t lo, hi;

		/* undo this call's leaves only: they were all empty before */
		riscv_iommu_clear_range(rd, iova, off, &lo, &hi);
		riscv_iommu_iotlb_inval(rd, lo, hi - lo, true);
	}
	hal_mutex_unlock(rd->pgtbl_lock);
	return ret;
}

/* Room for one more command in a batch of 16: the batch is sent when full. */
int riscv_iommu_batch_room(struct riscv_iommu *iommu, struct riscv_iommu_command *cmds,
				  unsigned int *n)
{
	int ret;

	if (*n < 16)
		return 0;
	ret = riscv_iommu_cmd_send(iommu, cmds, *n);
	if (!ret)
		*n = 0;
	return ret;
}

/*
 * The IOTINVAL that drops rd's entries: VMA in its PSCID, GVMA in its GSCID,
 * or (nested) VMA in the user's PSCID within the parent's GSCID.
 */
void riscv_iommu_inval_cmd(const struct riscv_iommu_domain *rd,
				  struct riscv_iommu_command *cmd)
{
	if (rd->kind == RISCV_IOMMU_DOMAIN_G) {
		riscv_iommu_cmd_iotinval_gvma(cmd);
		riscv_iommu_cmd_inval_set_gscid(cmd, rd->gscid);
		return;
	}
	riscv_iommu_cmd_iotinval_vma(cmd);
	riscv_iommu_cmd_inval_set_pscid(cmd, rd->pscid);
	if (rd->kind == RISCV_IOMMU_DOMAIN_NESTED)
		riscv_iommu_cmd_inval_set_gscid(cmd, rd->gscid);
}

/**
 * riscv_iommu_ats_inval_devices - ATS.INVAL of @payload to each ATS-enabled
 * device on @devices (riscv_iommu_device.domain_node), batched in @cmds
 * @iommu: the IOMMU (dc_lock held)
 * @devices: a domain's devices
 * @payload: the Invalidate Request body
 * @cmds: the batch of 16
 * @n: commands in it
 *
 * Return: 0 or a send error.
 */
int riscv_iommu_ats_inval_devices(struct riscv_iommu *iommu, struct list_head *devices,
				  uint64_t payload, struct riscv_iommu_command *cmds, unsigned int *n)
{
	struct riscv_iommu_device *rdev;
	int ret;

	list_for_each_entry(rdev, devices, domain_node) {
		if (!rdev->dev->ats_enabled)
			continue;
		ret = riscv_iommu_batch_room(iommu, cmds, n);
		if (ret)
			return ret;
		riscv_iommu_cmd_ats_inval(&cmds[(*n)++], rdev->did, payload);
	}
	return 0;
}

/*
 * ATS.INVAL of everything to each ATS-enabled device attached to a nested
 * domain on second-stage @rd (their ATC entries are IOVA -> SPA). dc_lock held.
 */
static int riscv_iommu_ats_inval_children(struct riscv_iommu_domain *rd,
					  struct riscv_iommu_command *cmds, unsigned int *n)
{
	struct riscv_iommu_domain *child;
	int ret = 0;

	list_for_each_entry(child, &rd->children, nested_node) {
		ret = riscv_iommu_ats_inval_devices(rd->iommu, &child->devices,
						    RISCV_IOMMU_CMD_ATS_INVAL_ALL, cmds, n);
		if (ret)
			break;
	}
	return ret;
}

/*
 * IOTINVAL for [iova, iova + size) in rd's PSCID or GSCID (one per page, or
 * the whole context for large ranges), ATS.INVAL to every ATS-enabled
 * device of the domain (and of its nested domains) when atc, then
 * IOFENCE.C; waits.
 */
static int riscv_iommu_iotlb_inval(struct riscv_iommu_domain *rd, uint64_t iova, uint64_t size,
				   bool atc)
{
	struct riscv_iommu *iommu = rd->iommu;
	struct riscv_iommu_command cmds[16];
	uint64_t pages = size >> RISCV_IOMMU_PAGE_SHIFT, i;
	unsigned int n = 0;
	int ret = 0;

	if (!size || pages > RISCV_IOMMU_IOTINVAL_MAX_PAGES) {
		riscv_iommu_inval_cmd(rd, &cmds[n++]);
	} else {
		for (i = 0; i < pages; i++) {
			riscv_iommu_inval_cmd(rd, &cmds[n]);
			riscv_iommu_cmd_inval_set_addr(&cmds[n++],
						       iova + (i << RISCV_IOMMU_PAGE_SHIFT));
			if (n == 16) {
				ret = riscv_iommu_cmd_send(iommu, cmds, n);
				if (ret)
					return ret;
				n = 0;
			}
		}
	}
	if (atc) {
		struct riscv_iommu_pasid *p;
		uint64_t payload = riscv_iommu_ats_inval_payload(iova, size);

		hal_mutex_lock(iommu->dc_lock);
		ret = riscv_iommu_ats_inval_devices(iommu, &rd->devices, payload, cmds, &n);
		/* the PASIDs attached to the domain: their ATC entries carry the PASID */
		list_for_each_entry(p, &rd->pasids, domain_node) {
			if (ret || !p->rdev->dev->ats_enabled)
				continue;
			ret = riscv_iommu_batch_room(iommu, cmds, &n);
			if (ret)
				break;
			riscv_iommu_cmd_ats_inval(&cmds[n], p->rdev->did, payload);
			riscv_iommu_cmd_ats_set_pid(&cmds[n++], p->pasid);
		}
		if (!ret)
			ret = riscv_iommu_ats_inval_children(rd, cmds, &n);
		hal_mutex_unlock(iommu->dc_lock);
		if (ret)
			return ret;
	}
	return riscv_iommu_cmd_send_sync(iommu, cmds, n);
}

static uint64_t riscv_iommu_unmap_pages(struct iommu_domain *domain, uint64_t iova,
					uint64_t size)
{
	struct riscv_iommu_domain *rd = to_riscv_domain(domain);
	uint64_t cleared, lo, hi;

	if (!riscv_iommu_range_ok(rd, iova, size))
		return 0;
	hal_mutex_lock(rd->pgtbl_lock);
	cleared = riscv_iommu_clear_range(rd, iova, size, &lo, &hi);
	/* The translations must be gone everywhere before the pages are reused. */
	if (cleared)
		riscv_iommu_iotlb_inval(rd, lo, hi - lo, true);
	hal_mutex_unlock(rd->pgtbl_lock);
	return cleared;
}

/**
 * riscv_iommu_leaf - the leaf that translates @iova in @rd's table
 * @rd: a first- or second-stage domain
 * @iova: address
 * @pa: its translation, when a leaf is found
 *
 * Return: the leaf PTE (V and R/W/X set), or 0 if none.
 */
uint64_t riscv_iommu_leaf(struct riscv_iommu_domain *rd, uint64_t iova, hal_paddr_t *pa)
{
	unsigned int level = 0;
	uint64_t *ptep, pte;

	if (!riscv_iommu_canonical(rd, iova))
		return 0;
	ptep = riscv_iommu_pte_walk(rd, iova, 0, false, &level, &(int){ 0 });
	if (!ptep)
		return 0;
	pte = riscv_iommu_pte_get(ptep);
	if (!(pte & RISCV_IOMMU_PTE_V) || !(pte & RISCV_IOMMU_PTE_LEAF))
		return 0;
	*pa = (RV_FIELD_GET(RISCV_IOMMU_PTE_PPN, pte) << RISCV_IOMMU_PAGE_SHIFT) |
	      (iova & (PT_LEVEL_SIZE(level) - 1));
	return pte;
}

static hal_paddr_t riscv_iommu_iova_to_phys(struct iommu_domain *domain, uint64_t iova)
{
	hal_paddr_t pa = 0;

	return riscv_iommu_leaf(to_riscv_domain(domain), iova, &pa) ? pa : 0;
}

static void riscv_iommu_free_table(struct riscv_iommu_domain *rd, uint64_t *table,
				   unsigned int level)
{
	struct hal *h = rd->iommu->hal;
	unsigned int i, entries = pt_entries(rd, level);

	if (level > 0) {
		for (i = 0; i < entries; i++) {
			uint64_t pte = riscv_iommu_pte_get(&table[i]);
			uint64_t *next;

			if (!riscv_iommu_pte_is_table(pte))
				continue;
			next = riscv_iommu_pte_table(h, pte);
			if (next)
				riscv_iommu_free_table(rd, next, level - 1);
		}
	}
	hal_dma_free(h, table, entries * sizeof(uint64_t));
}

static void riscv_iommu_domain_free(struct iommu_domain *domain)
{
	struct riscv_iommu_domain *rd = to_riscv_domain(domain);
	struct riscv_iommu *iommu = rd->iommu;

	riscv_iommu_domain_detach_all(rd);
	/* No cached entry of this PSCID (GSCID) may survive into its next owner. */
	riscv_iommu_iotlb_inval(rd, 0, 0, false);
	riscv_iommu_free_table(rd, rd->pgd, rd->levels - 1);
	if (rd->kind == RISCV_IOMMU_DOMAIN_G) {
		if (!list_empty(&rd->children))
			riscv_iommu_err(iommu, "second-stage domain freed under nested domains");
		iommu->gscid_map[rd->gscid / 64] &= ~(UINT64_C(1) << (rd->gscid % 64));
	} else {
		riscv_iommu_pscid_free(iommu, rd->pscid);
	}
	hal_mutex_destroy(rd->pgtbl_lock);
	free(rd);
}

/*
 * No iotlb_sync_map, as in Linux's riscv-iommu: the IOMMU caches only valid
 * leaves (it may not cache a not-valid PTE, as the privileged spec's rule
 * for address-translation caches), and map_pages only fills empty PTEs
 * (-EEXIST otherwise), so a new mapping has nothing to shoot down.
 */
static const struct iommu_domain_ops riscv_iommu_paging_ops = {
	.map_pages = riscv_iommu_map_pages,
	.unmap_pages = riscv_iommu_unmap_pages,
	.iova_to_phys = riscv_iommu_iova_to_phys,
	.set_dev_pasid = riscv_iommu_set_dev_pasid,
	.free = riscv_iommu_domain_free,
};

/**
 * riscv_iommu_domain_new - a zeroed domain of @kind, its lists empty
 * @iommu: the IOMMU
 * @kind: S1, G or nested
 * @err: -ENOMEM when NULL is returned
 *
 * Return: the domain (depth of sw.driver.pgtbl_mode, nothing allocated for
 * its table yet) or NULL.
 */
struct riscv_iommu_domain *riscv_iommu_domain_new(struct riscv_iommu *iommu,
						  enum riscv_iommu_domain_kind kind, int *err)
{
	struct riscv_iommu_domain *rd;

	*err = -ENOMEM;
	if (hal_should_fail(iommu->hal, "riscv_iommu.domain_alloc"))
		return NULL;
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return NULL;
	rd->iommu = iommu;
	rd->kind = kind;
	rd->levels = iommu->pgtbl_levels ? iommu->pgtbl_levels : RISCV_IOMMU_SV39_LEVELS;
	INIT_LIST_HEAD(&rd->devices);
	INIT_LIST_HEAD(&rd->pasids);
	INIT_LIST_HEAD(&rd->children);
	INIT_LIST_HEAD(&rd->nested_node);
	return rd;
}

/* A first-stage (S1) or second-stage (G) domain with an empty table and a fresh id. */
static struct riscv_iommu_domain *riscv_iommu_domain_create(struct riscv_iommu *iommu,
							    enum riscv_iommu_domain_kind kind,
							    int *err)
{
	struct riscv_iommu_domain *rd = riscv_iommu_domain_new(iommu, kind, err);
	int ret;

	if (!rd)
		return NULL;
	rd->pgtbl_lock = hal_mutex_create(iommu->hal);
	if (!rd->pgtbl_lock)
		goto err_free;
	/* a G-stage root is 16 KiB and 16 KiB aligned (iohgatp, §3.1.3) */
	if (hal_should_fail(iommu->hal, "riscv_iommu.pgtbl_alloc"))
		rd->pgd = NULL;
	else
		rd->pgd = hal_dma_alloc(iommu->hal, pt_root_bytes(rd), pt_root_bytes(rd),
					&rd->pgd_pa);
	if (!rd->pgd)
		goto err_destroy_lock;
	if (kind == RISCV_IOMMU_DOMAIN_G)
		ret = riscv_iommu_id_alloc(iommu->gscid_map, RISCV_IOMMU_MAX_GSCIDS / 64, &rd->gscid);
	else
		ret = riscv_iommu_pscid_alloc(iommu, &rd->pscid);
	if (ret) {
		riscv_iommu_err(iommu, "out of %s (%u in use)",
				kind == RISCV_IOMMU_DOMAIN_G ? "GSCIDs" : "PSCIDs",
				(kind == RISCV_IOMMU_DOMAIN_G ? RISCV_IOMMU_MAX_GSCIDS :
				 RISCV_IOMMU_MAX_PSCIDS) - 1);
		*err = -ENOSPC;
		goto err_free_pgd;
	}

	rd->domain.type = IOMMU_DOMAIN_PAGING;
	rd->domain.ops = &riscv_iommu_paging_ops;
	rd->domain.iommu = &iommu->iommu;
	return rd;

err_free_pgd:
	hal_dma_free(iommu->hal, rd->pgd, pt_root_bytes(rd));
err_destroy_lock:
	hal_mutex_destroy(rd->pgtbl_lock);
err_free:
	free(rd);
	return NULL;
}

/**
 * riscv_iommu_domain_alloc_paging - iommu_ops.domain_alloc_paging
 * @dev: a device of this IOMMU
 *
 * Return: a paging domain (empty Sv39/Sv48/Sv57 table, fresh PSCID) or NULL.
 */
struct iommu_domain *riscv_iommu_domain_alloc_paging(struct device *dev)
{
	struct riscv_iommu_device *rdev = dev ? dev_to_riscv(dev) : NULL;
	struct riscv_iommu_domain *rd;
	int err;

	if (!rdev)
		return NULL;
	rd = riscv_iommu_domain_create(rdev->iommu, RISCV_IOMMU_DOMAIN_S1, &err);
	return rd ? &rd->domain : NULL;
}

/**
 * riscv_iommu_domain_alloc_paging_flags - iommu_ops.domain_alloc_paging_flags
 * @dev: a device of this IOMMU
 * @flags: IOMMU_HWPT_ALLOC_NEST_PARENT (a second-stage domain), or
 *	IOMMU_HWPT_ALLOC_PASID alone (a first-stage one)
 * @err: the error when NULL is returned
 *
 * A nesting parent is an Sv39x4/Sv48x4/Sv57x4 table of the depth of
 * sw.driver.pgtbl_mode, which the IOMMU must advertise (capabilities bits
 * 17-19), and a fresh GSCID.
 *
 * Return: the domain, or NULL: -ENODEV, -EOPNOTSUPP (other flags, or the
 * G-stage mode not advertised), -ENOMEM, -ENOSPC.
 */
struct iommu_domain *riscv_iommu_domain_alloc_paging_flags(struct device *dev, uint32_t flags,
							   int *err)
{
	static const uint64_t gcap[] = { RISCV_IOMMU_CAPABILITIES_SV39X4,
					 RISCV_IOMMU_CAPABILITIES_SV48X4,
					 RISCV_IOMMU_CAPABILITIES_SV57X4 };
	struct riscv_iommu_device *rdev = dev ? dev_to_riscv(dev) : NULL;
	struct riscv_iommu_domain *rd;
	struct riscv_iommu *iommu;
	unsigned int levels;

	*err = -ENODEV;
	if (!rdev)
		return NULL;
	iommu = rdev->iommu;
	*err = -EOPNOTSUPP;
	if (flags & ~(uint32_t)(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID))
		return NULL;
	if (!(flags & IOMMU_HWPT_ALLOC_NEST_PARENT)) {
		rd = riscv_iommu_domain_create(iommu, RISCV_IOMMU_DOMAIN_S1, err);
		return rd ? &rd->domain : NULL;
	}
	/* a nesting parent takes no PASID: its faults route through nested domains */
	if (flags & IOMMU_HWPT_ALLOC_PASID)
		return NULL;
	levels = iommu->pgtbl_levels ? iommu->pgtbl_levels : RISCV_IOMMU_SV39_LEVELS;
	if (!(iommu->caps & gcap[levels - RISCV_IOMMU_SV39_LEVELS])) {
		riscv_iommu_warn(iommu, "no nesting parent: capabilities do not offer Sv%ux4",
				 39 + 9 * (levels - RISCV_IOMMU_SV39_LEVELS));
		return NULL;
	}
	rd = riscv_iommu_domain_create(iommu, RISCV_IOMMU_DOMAIN_G, err);
	return rd ? &rd->domain : NULL;
}

/**
 * riscv_iommu_iohgatp - the iohgatp that selects second-stage domain @g
 * @g: a G domain
 *
 * Return: MODE (Sv39x4 8, Sv48x4 9, Sv57x4 10) | GSCID | root PPN.
 */
uint64_t riscv_iommu_iohgatp(const struct riscv_iommu_domain *g)
{
	return RV_FIELD_PREP(RISCV_IOMMU_DC_IOHGATP_MODE,
			     RISCV_IOMMU_ATP_MODE_SV39 + g->levels - RISCV_IOMMU_SV39_LEVELS) |
	       RV_FIELD_PREP(RISCV_IOMMU_DC_IOHGATP_GSCID, g->gscid) |
	       RV_FIELD_PREP(RISCV_IOMMU_DC_IOHGATP_PPN, g->pgd_pa >> RISCV_IOMMU_PAGE_SHIFT);
}

/**
 * riscv_iommu_pte_read - read a page-table entry at a physical address
 * @h: HAL
 * @pa: its address (8-byte aligned)
 * @ok: false if @pa is not memory
 *
 * Return: the entry (CPU order), or 0.
 */
uint64_t riscv_iommu_pte_read(struct hal *h, hal_paddr_t pa, bool *ok)
{
	const uint64_t *p = hal_phys_to_virt(h, pa);

	*ok = p && !(pa & 7);
	return *ok ? riscv_iommu_pte_get(p) : 0;
}
