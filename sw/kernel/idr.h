/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small id allocator (the part of xa_alloc prisim needs): ids are handed out
 * lowest-free first starting at a base, so allocation order is deterministic
 * and an id becomes reusable as soon as it is removed. Used for iommufd
 * object ids (base 1), fault cookies (base 1) and fd numbers (base 3).
 */
#ifndef PRISIM_SW_KERNEL_IDR_H
#define PRISIM_SW_KERNEL_IDR_H

#include <stdint.h>

#include "prisim/hal.h"

struct px_idr {
	void **slots;          /* slots[id - base]; NULL = free */
	uint32_t base;
	uint32_t cap;
	uint32_t lowest_free;  /* every slot below it is in use */
	uint32_t count;
};

void px_idr_init(struct px_idr *idr, uint32_t base);
void px_idr_destroy(struct px_idr *idr);
int px_idr_alloc(struct px_idr *idr, struct hal *h, const char *site, void *ptr, uint32_t *id);
void *px_idr_find(const struct px_idr *idr, uint32_t id);
void *px_idr_remove(struct px_idr *idr, uint32_t id);
void px_idr_replace(struct px_idr *idr, uint32_t id, void *ptr);
/* Next used id >= *id; returns its pointer and updates *id, or NULL at the end. */
void *px_idr_next(const struct px_idr *idr, uint32_t *id);

#define px_idr_for_each(idr, id, ptr)                                   \
	for ((id) = (idr)->base; ((ptr) = px_idr_next((idr), &(id))) != NULL; (id)++)

#endif /* PRISIM_SW_KERNEL_IDR_H */
