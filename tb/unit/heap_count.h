/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live heap blocks of everything linked into a test (the sw/ library, the
 * fake HAL, the test itself). A test that links heap_count.c must also link
 * with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free (see
 * prisim_heap_count in CMakeLists.txt); comparing heap_count_live() before
 * and after an operation proves it leaked nothing, comparing
 * heap_count_calls() (malloc, calloc and realloc calls so far) proves it
 * allocated nothing at all.
 */
#ifndef PRISIM_TB_HEAP_COUNT_H
#define PRISIM_TB_HEAP_COUNT_H

long heap_count_live(void);
long heap_count_calls(void);

#endif
