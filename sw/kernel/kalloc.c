// SPDX-License-Identifier: Apache-2.0
/* Object caches (kalloc.h). */
#include "kernel/kalloc.h"

#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* A cached object is off limits until it is allocated again. */
#define px_kmem_poison(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define px_kmem_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define px_kmem_poison(p, n)   ((void)(p), (void)(n))
#define px_kmem_unpoison(p, n) ((void)(p), (void)(n))
#endif

/**
 * px_kmem_cache_init - set up an empty cache
 * @c: cache (embedded in its owner)
 * @h: machine (for the fault-injection point)
 * @size: object size
 * @site: fault-injection site of every allocation (a string that outlives @c)
 */
void px_kmem_cache_init(struct px_kmem_cache *c, struct hal *h, size_t size, const char *site)
{
	*c = (struct px_kmem_cache){
		.hal = h,
		.site = site,
		.size = size < sizeof(void *) ? sizeof(void *) : size,
	};
}

/**
 * px_kmem_cache_zalloc - allocate one zeroed object
 * @c: cache
 *
 * Reuses a freed object if there is one, else allocates a new one.
 *
 * Return: the object, or NULL (injected failure or no memory).
 */
void *px_kmem_cache_zalloc(struct px_kmem_cache *c)
{
	void *obj;

	if (hal_should_fail(c->hal, c->site))
		return NULL;
	obj = c->free_list;
	if (obj) {
		px_kmem_unpoison(obj, c->size);
		memcpy(&c->free_list, obj, sizeof(void *));
		c->nr_free--;
		memset(obj, 0, c->size);
	} else {
		obj = calloc(1, c->size);
		if (!obj)
			return NULL;
	}
	c->nr_active++;
	return obj;
}

/**
 * px_kmem_cache_free - give an object back to its cache
 * @c: the cache it came from
 * @obj: object (NULL is ignored)
 */
void px_kmem_cache_free(struct px_kmem_cache *c, void *obj)
{
	if (!obj)
		return;
	memcpy(obj, &c->free_list, sizeof(void *));
	px_kmem_poison(obj, c->size);
	c->free_list = obj;
	c->nr_free++;
	c->nr_active--;
}

/**
 * px_kmem_cache_destroy - free every cached object
 * @c: cache
 *
 * Objects still allocated are a bug of the owner: logged, and left alone.
 */
void px_kmem_cache_destroy(struct px_kmem_cache *c)
{
	void *obj, *next;

	if (c->nr_active)
		hal_log(c->hal, HAL_LOG_ERROR, "kmem_cache %s: %u objects in use at destroy\n",
			c->site, c->nr_active);
	for (obj = c->free_list; obj; obj = next) {
		px_kmem_unpoison(obj, c->size);
		memcpy(&next, obj, sizeof(next));
		free(obj);
	}
	c->free_list = NULL;
	c->nr_free = 0;
}
