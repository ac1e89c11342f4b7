/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Heap block counting for leak checks in unit tests (heap_count.h). The
 * link wraps malloc, calloc, realloc and free; each wrapper counts blocks
 * that are allocated and not yet freed, and every allocating call.
 */
#include <stddef.h>

#include "heap_count.h"

static long heap_live;
static long heap_calls;

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);

void *__wrap_malloc(size_t size)
{
	void *p = __real_malloc(size);

	heap_calls++;
	if (p)
		heap_live++;
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p = __real_calloc(n, size);

	heap_calls++;
	if (p)
		heap_live++;
	return p;
}

void *__wrap_realloc(void *p, size_t size)
{
	void *q = __real_realloc(p, size);

	heap_calls++;
	if (!p && q)
		heap_live++;
	else if (p && !size && !q)
		heap_live--;
	return q;
}

void __wrap_free(void *p)
{
	if (p)
		heap_live--;
	__real_free(p);
}


long heap_count_live(void)
{
	return heap_live;
}

long heap_count_calls(void)
{
	return heap_calls;
}
