// SPDX-License-Identifier: Apache-2.0
//
// Allocation counting for prisim-bench. Defining the C allocator's entry
// points in the executable interposes them for the whole process (SystemC,
// libstdc++, yaml-cpp and the software stack included); each forwards to
// glibc's own implementation. operator new ends in malloc, so it is counted
// too. prisim_alloc_count() returns how many allocating calls (malloc,
// calloc, realloc, aligned_alloc, posix_memalign, memalign, valloc,
// pvalloc) the process has made; model/platform/main.cpp reads it around
// sc_start and writes the difference to host.json as allocations_in_run.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <malloc.h>

extern "C" {

void* __libc_malloc(size_t size);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void* __libc_valloc(size_t size);
void* __libc_pvalloc(size_t size);
void __libc_free(void* p);

uint64_t prisim_alloc_count(void);
}

namespace {

uint64_t g_allocs;

inline void count() { __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED); }

} // namespace

extern "C" {

uint64_t prisim_alloc_count(void) { return __atomic_load_n(&g_allocs, __ATOMIC_RELAXED); }

void* malloc(size_t size) noexcept
{
    count();
    return __libc_malloc(size);
}

void* calloc(size_t n, size_t size) noexcept
{
    count();
    return __libc_calloc(n, size);
}

void* realloc(void* p, size_t size) noexcept
{
    count();
    return __libc_realloc(p, size);
}

void free(void* p) noexcept { __libc_free(p); }

void* memalign(size_t alignment, size_t size) noexcept
{
    count();
    return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) noexcept
{
    count();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) noexcept
{
    count();
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void* p = __libc_memalign(alignment, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void* valloc(size_t size) noexcept
{
    count();
    return __libc_valloc(size);
}

void* pvalloc(size_t size) noexcept
{
    count();
    return __libc_pvalloc(size);
}

} // extern "C"
