// SPDX-License-Identifier: Apache-2.0
#include "kernel/idr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PX_IDR_MIN_CAP 16u

/**
 * px_idr_init - initialise an empty id table
 * @idr: table
 * @base: smallest id handed out (must be >= 1 when 0 is to mean "none")
 */
void px_idr_init(struct px_idr *idr, uint32_t base)
{
	memset(idr, 0, sizeof(*idr));
	idr->base = base;
}

/**
 * px_idr_destroy - free the table storage (not the stored objects)
 * @idr: table
 */
void px_idr_destroy(struct px_idr *idr)
{
	free(idr->slots);
	idr->slots = NULL;
	idr->cap = 0;
	idr->count = 0;
	idr->lowest_free = 0;
}

static int px_idr_grow(struct px_idr *idr, struct hal *h, const char *site)
{
	uint64_t ncap = idr->cap ? (uint64_t)idr->cap * 2 : PX_IDR_MIN_CAP;
	void **n;

	if ((uint64_t)idr->base + idr->cap > UINT32_MAX)
		return -ENOSPC;
	if (ncap + idr->base - 1 > UINT32_MAX)
		ncap = (uint64_t)UINT32_MAX - idr->base + 1;
	if (hal_should_fail(h, site))
		return -ENOMEM;
	n = realloc(idr->slots, ncap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(n + idr->cap, 0, (ncap - idr->cap) * sizeof(*n));
	idr->slots = n;
	idr->cap = (uint32_t)ncap;
	return 0;
}

/**
 * px_idr_alloc - store @ptr under the lowest free id
 * @idr: table
 * @h: machine (for the fault-injection point)
 * @site: fault-injection site name of a table growth
 * @ptr: non-NULL value to store
 * @id: returns the id
 *
 * Return: 0, -ENOMEM when the table could not grow, -ENOSPC when ids ran out.
 */
int px_idr_alloc(struct px_idr *idr, struct hal *h, const char *site, void *ptr, uint32_t *id)
{
	uint32_t i = idr->lowest_free;
	int rc;

	while (i < idr->cap && idr->slots[i])
		i++;
	if (i >= idr->cap) {
		rc = px_idr_grow(idr, h, site);
		if (rc)
			return rc;
		if (i >= idr->cap)
			return -ENOSPC;
	}
	idr->slots[i] = ptr;
	idr->lowest_free = i + 1;
	idr->count++;
	*id = idr->base + i;
	return 0;
}

static bool px_idr_index(const struct px_idr *idr, uint32_t id, uint32_t *idx)
{
	if (id < idr->base || id - idr->base >= idr->cap)
		return false;
	*idx = id - idr->base;
	return true;
}

/**
 * px_idr_find - look up an id
 * @idr: table
 * @id: id
 *
 * Return: the stored pointer or NULL.
 */
void *px_idr_find(const struct px_idr *idr, uint32_t id)
{
	uint32_t i;

	return px_idr_index(idr, id, &i) ? idr->slots[i] : NULL;
}

/**
 * px_idr_remove - free an id
 * @idr: table
 * @id: id
 *
 * Return: the pointer that was stored, or NULL if the id was not in use.
 */
void *px_idr_remove(struct px_idr *idr, uint32_t id)
{
	uint32_t i;
	void *p;

	if (!px_idr_index(idr, id, &i) || !idr->slots[i])
		return NULL;
	p = idr->slots[i];
	idr->slots[i] = NULL;
	idr->count--;
	if (i < idr->lowest_free)
		idr->lowest_free = i;
	return p;
}

/**
 * px_idr_replace - change the pointer stored under an id that is in use
 * @idr: table
 * @id: id
 * @ptr: new non-NULL value
 */
void px_idr_replace(struct px_idr *idr, uint32_t id, void *ptr)
{
	uint32_t i;

	if (px_idr_index(idr, id, &i) && idr->slots[i] && ptr)
		idr->slots[i] = ptr;
}

/**
 * px_idr_next - find the first used id at or above *id
 * @idr: table
 * @id: in: where to start; out: the id found
 *
 * Return: its pointer, or NULL when there is none.
 */
void *px_idr_next(const struct px_idr *idr, uint32_t *id)
{
	uint32_t i;

	if (*id < idr->base)
		*id = idr->base;
	for (i = *id - idr->base; i < idr->cap; i++) {
		if (idr->slots[i]) {
			*id = idr->base + i;
			return idr->slots[i];
		}
	}
	return NULL;
}
