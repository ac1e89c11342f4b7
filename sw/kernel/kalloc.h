/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel memory allocation with a fault-injection point (the counterpart of
 * kzalloc + failslab): every allocation names its site, so a fail-nth sweep
 * (hal_should_fail) can make any one of them fail.
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

#endif /* PRISIM_SW_KERNEL_KALLOC_H */
