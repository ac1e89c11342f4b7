/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel memory allocation with a fault-injection point (the counterpart of
 * kzalloc + failslab): every allocation names its site, so a fail-nth sweep
 * (hal_should_fail) can make any one of them fail.
 *
 * struct px_kmem_cache is the counterpart of a kmem_cache: a free list of
 * same-size objects for allocations on the fault path. A freed object goes
 * back on the list and the next allocation reuses it, so once the list holds
 * as many objects as were ever in use at once, allocating and freeing touch
 * no heap. The cache is embedded in the context that owns the objects
 * (no global caches: two machines may coexist) and must outlive them;
 * px_kmem_cache_destroy() frees the list. As with failslab, every
 * allocation consults hal_should_fail(site), whether or not the free list
 * serves it.
 */
#ifndef PRISIM_SW_KERNEL_KALLOC_H
#define PRISIM_SW_KERNEL_KALLOC_H

#include <stdlib.h>

#include "prisim/hal.h"

static inline void *px_kzalloc(struct hal *h, size_t size, const char *site)
{
	if (hal_should_fail(h, site))
		return NULL;
	return calloc(1, size);
}

static inline void px_kfree(void *p)
{
	free(p);
}

struct px_kmem_cache {
	struct hal *hal;
	const char *site;      /* fault-injection site, also its name in logs */
	size_t size;           /* object size */
	void *free_list;       /* free objects, linked through their first word */
	unsigned int nr_free;
	unsigned int nr_active; /* allocated and not freed yet */
};

void px_kmem_cache_init(struct px_kmem_cache *c, struct hal *h, size_t size, const char *site);
void *px_kmem_cache_zalloc(struct px_kmem_cache *c);
void px_kmem_cache_free(struct px_kmem_cache *c, void *obj);
void px_kmem_cache_destroy(struct px_kmem_cache *c);

#endif /* PRISIM_SW_KERNEL_KALLOC_H */
