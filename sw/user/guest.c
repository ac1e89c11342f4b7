// SPDX-License-Identifier: Apache-2.0
/*
 * The guest of a nested device (px_pager.nested_devs): a VMM that gives
 * its guest the first stage through a nested HWPT, and the guest's I/O
 * page-fault handler, both played by the demand pager.
 *
 * Guest-physical memory is the VMM's IOAS: the nesting parent's second
 * stage maps it. The guest's Sv39 tables are VMM pages mapped at
 * PX_GUEST_TABLE_GPA and up (one IOMMU_IOAS_MAP per table, as the guest
 * allocates them), so the VMM writes them through its own mapping, as a
 * guest writes its memory. The guest's data pages are guest RAM from
 * PX_GUEST_RAM_GPA, handed out one per faulting page and never mapped by
 * the VMM: their first DMA finds no second-stage translation, and the
 * host's second-stage handler (sw/iommufd/stage2.c) backs them. So each
 * page faults twice: once in the guest's first stage (the guest maps it,
 * here) and once in the host's second stage (the host maps it).
 *
 * A device whose workload uses PASIDs gets a guest that owns the process
 * directory too: a PD8 directory page whose process context p (p = 1 ..
 * the device's PASIDs) names an Sv39 table of PASID p's own, in PSCID
 * 1 + p, and context 0 the table of requests without a PASID (PSCID 1);
 * the nested HWPT's DC says PDTV and DPE with that directory (a GPA). The
 * host reads it through the second stage, and a PASID's fault comes here
 * by the RID's nested attach (the IOMMU's user_pasid_table).
 *
 * With eviction (the pager's resident_pages) the guest unmaps the page it
 * mapped longest ago: it clears the leaf, invalidates it with
 * IOMMU_HWPT_INVALIDATE (one IOTINVAL.VMA of that address in its PSCID;
 * the host adds the GSCID and the device's ATS.INVAL), and reuses the
 * guest RAM page for the next fault, already backed by the host.
 *
 * Written against the syscall-shaped layer and the uAPI only, as the
 * demand pager is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "user/pager.h"

#define PX_GUEST_PTES      512u
#define PX_GUEST_LEVELS    3u                /* Sv39 */
#define PX_GUEST_PTE_V     (1ull << 0)
#define PX_GUEST_PTE_R     (1ull << 1)
#define PX_GUEST_PTE_W     (1ull << 2)
#define PX_GUEST_PTE_U     (1ull << 4)
#define PX_GUEST_PTE_A     (1ull << 6)
#define PX_GUEST_PTE_D     (1ull << 7)
#define PX_GUEST_PTE_LEAF  (PX_GUEST_PTE_R | PX_GUEST_PTE_W | (1ull << 3))
#define PX_GUEST_PPN_SHIFT 10u
#define PX_GUEST_ATP_SV39  8ull              /* iosatp.MODE */
#define PX_GUEST_PDTP_PD8  1ull              /* pdtp.MODE */
#define PX_GUEST_PD8_PIDS  256u              /* process_ids a PD8 directory resolves */

static uint64_t px_guest_pte_get(const uint64_t *p)
{
	const unsigned char *b = (const unsigned char *)p;
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static void px_guest_pte_set(uint64_t *p, uint64_t v)
{
	unsigned char *b = (unsigned char *)p;
	unsigned int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

/* A new, zeroed table page at the next table GPA: *cpu and its GPA. */
static int px_guest_table_alloc(struct px_pager *pg, struct px_guest *g, uint64_t **cpu,
				uint64_t *gpa)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = g->ioas_id,
		.length = PX_PAGE_SIZE,
	};
	uint64_t pa;
	void **n;
	void *page;
	int rc;

	if (g->nr_tables == g->cap_tables) {
		unsigned int cap = g->cap_tables ? 2 * g->cap_tables : 16;

		n = realloc(g->tables, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		g->tables = n;
		g->cap_tables = cap;
	}
	page = px_alloc_user_page(pg->proc, &pa);
	if (!page)
		return -ENOMEM;
	memset(page, 0, PX_PAGE_SIZE);
	map.user_va = pa;
	map.iova = PX_GUEST_TABLE_GPA + (uint64_t)g->nr_tables * PX_PAGE_SIZE;
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_IOAS_MAP, &map);
	if (rc) {
		px_free_user_page(pg->proc, page);
		return rc;
	}
	g->tables[g->nr_tables++] = page;
	*cpu = page;
	*gpa = map.iova;
	return 0;
}

/* The VMM's pointer to the guest table at @gpa, or NULL. */
static uint64_t *px_guest_table(const struct px_guest *g, uint64_t gpa)
{
	uint64_t i;

	if (gpa < PX_GUEST_TABLE_GPA)
		return NULL;
	i = (gpa - PX_GUEST_TABLE_GPA) / PX_PAGE_SIZE;
	return i < g->nr_tables ? g->tables[i] : NULL;
}

/**
 * px_guest_init - the guest's empty Sv39 table (with PASIDs, its process
 * directory and a table per PASID), and the nested HWPT data that names it
 * @pg: handler
 * @g: guest state (zeroed)
 * @ioas_id: the VMM's IOAS (guest-physical memory)
 * @pasids: the PASIDs of the device's workload (0: none; at most 255)
 * @data: filled: tc V, ta PSCID 1, fsc Sv39 with the root's GPA; with
 *        PASIDs tc V | PDTV | DPE, fsc PD8 with the directory's GPA
 *
 * Return: 0 or -errno (-EINVAL: more PASIDs than a PD8 directory resolves).
 */
int px_guest_init(struct px_pager *pg, struct px_guest *g, uint32_t ioas_id, unsigned int pasids,
		  struct iommu_hwpt_riscv_iommu *data)
{
	uint64_t *root, *pdt, gpa;
	unsigned int p;
	int rc;

	if (pasids >= PX_GUEST_PD8_PIDS)
		return -EINVAL;
	g->ioas_id = ioas_id;
	g->next_ram_gpa = PX_GUEST_RAM_GPA;
	rc = px_guest_table_alloc(pg, g, &root, &gpa);
	if (rc)
		return rc;
	g->root_gpa = gpa;
	*data = (struct iommu_hwpt_riscv_iommu){
		.dc_tc = 1,                                   /* V */
		.dc_ta = 1ull << 12,                          /* PSCID 1, the guest's */
		.dc_fsc = PX_GUEST_ATP_SV39 << 60 | gpa >> 12, /* iosatp */
	};
	if (!pasids)
		return 0;
	g->pasid_root_gpa = calloc(pasids, sizeof(*g->pasid_root_gpa));
	if (!g->pasid_root_gpa)
		return -ENOMEM;
	rc = px_guest_table_alloc(pg, g, &pdt, &g->pdt_gpa);
	if (rc)
		return rc;
	for (p = 0; p <= pasids; p++) {
		/* context 0 (DPE): the table of requests without a PASID */
		gpa = g->root_gpa;
		if (p) {
			rc = px_guest_table_alloc(pg, g, &root, &gpa);
			if (rc)
				return rc;
			g->pasid_root_gpa[p - 1] = gpa;
		}
		/* re-found: the table array may have moved, the pages do not */
		pdt = px_guest_table(g, g->pdt_gpa);
		/* PC[p]: fsc (the table) before ta.V, as the IOMMU may read it at any time */
		px_guest_pte_set(&pdt[2 * p + 1], PX_GUEST_ATP_SV39 << 60 | gpa >> 12);
		px_guest_pte_set(&pdt[2 * p], 1ull | (uint64_t)(1 + p) << 12); /* V, PSCID 1 + p */
	}
	g->nr_pasids = pasids;
	data->dc_tc = 1 | 1ull << 5 | 1ull << 9;                /* V, PDTV, DPE */
	data->dc_fsc = PX_GUEST_PDTP_PD8 << 60 | g->pdt_gpa >> 12; /* pdtp */
	return 0;
}

/**
 * px_guest_map - the guest's fault handler: give @iova a guest RAM page in
 * the first stage (user, read-write, A and D set): that of PASID @pasid if
 * @pv, else the device's
 * @pg: handler
 * @g: guest
 * @pv: the fault carried a PASID
 * @pasid: which
 * @iova: the faulting address
 * @mapped: set when a leaf was written (false: one was there already)
 *
 * Return: 0, -ENOMEM, -EINVAL (not an Sv39 address, or a PASID the guest's
 * directory has no context for), or an IOAS error.
 */
int px_guest_map(struct px_pager *pg, struct px_guest *g, bool pv, uint32_t pasid, uint64_t iova,
		 bool *mapped)
{
	uint64_t *table, top = iova >> 38, gpa;
	unsigned int l;
	int rc;

	*mapped = false;
	if (top && top != (~0ull >> 38))
		return -EINVAL;
	if (pv && (pasid < 1 || pasid > g->nr_pasids))
		return -EINVAL;
	table = px_guest_table(g, pv ? g->pasid_root_gpa[pasid - 1] : g->root_gpa);
	for (l = PX_GUEST_LEVELS - 1; l > 0; l--) {
		uint64_t *ptep = &table[(iova >> (12 + 9 * l)) & (PX_GUEST_PTES - 1)];
		uint64_t pte = px_guest_pte_get(ptep);

		if (pte & PX_GUEST_PTE_V) {
			if (pte & PX_GUEST_PTE_LEAF)
				return 0; /* a superpage: nothing this guest makes */
			table = px_guest_table(g, (pte >> PX_GUEST_PPN_SHIFT) << 12);
			if (!table)
				return -EINVAL;
			continue;
		}
		rc = px_guest_table_alloc(pg, g, &table, &gpa);
		if (rc)
			return rc;
		/* the new (zeroed) table is in memory before it is linked */
		px_guest_pte_set(ptep, PX_GUEST_PTE_V | (gpa >> 12) << PX_GUEST_PPN_SHIFT);
	}
	table = &table[(iova >> 12) & (PX_GUEST_PTES - 1)];
	if (px_guest_pte_get(table) & PX_GUEST_PTE_V)
		return 0;
	/* a page the guest evicted first (backed already), else fresh guest RAM */
	if (g->nr_free) {
		gpa = g->free_gpa[--g->nr_free];
	} else {
		gpa = g->next_ram_gpa;
		g->next_ram_gpa += PX_PAGE_SIZE;
	}
	px_guest_pte_set(table, PX_GUEST_PTE_V | PX_GUEST_PTE_R | PX_GUEST_PTE_W | PX_GUEST_PTE_U |
					PX_GUEST_PTE_A | PX_GUEST_PTE_D |
					(gpa >> 12) << PX_GUEST_PPN_SHIFT);
	*mapped = true;
	return 0;
}

/* The leaf slot of @iova, or NULL if a table on the way is missing. */
static uint64_t *px_guest_leaf(const struct px_guest *g, uint64_t iova)
{
	uint64_t *table = px_guest_table(g, g->root_gpa);
	unsigned int l;

	for (l = PX_GUEST_LEVELS - 1; l > 0 && table; l--) {
		uint64_t pte = px_guest_pte_get(&table[(iova >> (12 + 9 * l)) & (PX_GUEST_PTES - 1)]);

		if (!(pte & PX_GUEST_PTE_V) || (pte & PX_GUEST_PTE_LEAF))
			return NULL;
		table = px_guest_table(g, (pte >> PX_GUEST_PPN_SHIFT) << 12);
	}
	return table ? &table[(iova >> 12) & (PX_GUEST_PTES - 1)] : NULL;
}

/**
 * px_guest_unmap - the guest evicts @iova: clears its leaf, invalidates it
 * in the IOMMU (IOMMU_HWPT_INVALIDATE on @hwpt_id, the nested HWPT) and
 * keeps its guest RAM page for the next fault
 * @pg: handler
 * @g: guest
 * @hwpt_id: the nested HWPT
 * @iova: a page address the guest mapped
 *
 * Return: 0, -ENOENT (not mapped), -ENOMEM, or the ioctl's -errno (the leaf
 * is then cleared but may still be cached: the page is not reused).
 */
int px_guest_unmap(struct px_pager *pg, struct px_guest *g, uint32_t hwpt_id, uint64_t iova)
{
	/* IOTINVAL.VMA (opcode 1, func 0), AV, PSCV with the guest's PSCID 1 */
	struct iommu_hwpt_riscv_iommu_invalidate inv = {
		.cmd = { 1ull | 1ull << 10 | 1ull << 12 | 1ull << 32, (iova >> 12) << 10 },
	};
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.data_uptr = (uint64_t)(uintptr_t)&inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_RISCV_IOMMU,
		.entry_len = sizeof(inv),
		.entry_num = 1,
	};
	uint64_t *leaf = px_guest_leaf(g, iova), pte, *n;
	int rc;

	pte = leaf ? px_guest_pte_get(leaf) : 0;
	if (!(pte & PX_GUEST_PTE_V))
		return -ENOENT;
	if (g->nr_free == g->cap_free) {
		unsigned int cap = g->cap_free ? 2 * g->cap_free : 16;

		n = realloc(g->free_gpa, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		g->free_gpa = n;
		g->cap_free = cap;
	}
	px_guest_pte_set(leaf, 0);
	rc = px_ioctl(pg->proc, pg->iommufd, IOMMU_HWPT_INVALIDATE, &cmd);
	if (rc)
		return rc;
	g->free_gpa[g->nr_free++] = (pte >> PX_GUEST_PPN_SHIFT) << 12;
	return 0;
}

/**
 * px_guest_release - after the process exited: hand the table pages back
 * @g: guest
 * @free_page: called with each page
 * @ctx: its context
 */
void px_guest_release(struct px_guest *g, px_page_free_fn free_page, void *ctx)
{
	unsigned int i;

	for (i = 0; i < g->nr_tables; i++)
		if (free_page)
			free_page(ctx, g->tables[i], 0);
	free(g->tables);
	g->tables = NULL;
	g->nr_tables = g->cap_tables = 0;
	free(g->free_gpa);
	g->free_gpa = NULL;
	g->nr_free = g->cap_free = 0;
	free(g->pasid_root_gpa);
	g->pasid_root_gpa = NULL;
	g->nr_pasids = 0;
}
