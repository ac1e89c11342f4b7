/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the fuzz targets (C and C++): a reader that takes
 * little-endian integers from the input and returns 0 once it is used up,
 * and FUZZ_CHECK, which aborts with a message when an invariant is broken
 * (libFuzzer reports the abort as a crash and saves the input).
 */
#ifndef PRISIM_TB_FUZZ_UTIL_H
#define PRISIM_TB_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The entry points libFuzzer calls (replay_main.c calls them without it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline struct fz fz_init(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };

	return f;
}

static inline bool fz_empty(const struct fz *f)
{
	return f->n == 0;
}

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint64_t fz_le(struct fz *f, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)fz_u8(f) << (8 * i);
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	return (uint16_t)fz_le(f, 2);
}

static inline uint32_t fz_u32(struct fz *f)
{
	return (uint32_t)fz_le(f, 4);
}

static inline uint64_t fz_u64(struct fz *f)
{
	return fz_le(f, 8);
}

/* Copy up to n bytes into buf; the rest of buf is filled with fill. */
static inline void fz_bytes(struct fz *f, void *buf, size_t n, uint8_t fill)
{
	uint8_t *b = (uint8_t *)buf;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = f->n ? fz_u8(f) : fill;
}

#define FUZZ_CHECK(cond, ...)                                                        \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: invariant '%s' broken: ", __FILE__,  \
				__LINE__, #cond);                                    \
			fprintf(stderr, __VA_ARGS__);                                \
			fputc('\n', stderr);                                         \
			abort();                                                     \
		}                                                                    \
	} while (0)

/*
 * Clear AddressSanitizer's redzones below the caller's frame: that part of
 * the stack is dead, but ASan may have left stale redzones there. It unwinds
 * a C++ exception with __asan_handle_no_return, which it ignores ("False
 * positive error reports may follow") when it does not know the thread's
 * stack bounds, as under SystemC's coroutines; libFuzzer's alarm handler,
 * run on that part of the stack later, then trips over them (a false
 * stack-buffer-overflow in clock_gettime). The C++ targets call it around
 * each input.
 */
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#ifdef FUZZ_ASAN
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
__attribute__((noinline, unused)) static void fuzz_clear_dead_stack(void)
{
	char *const frame = (char *)__builtin_frame_address(0);
	const size_t span = 256 * 1024;

	__asan_unpoison_memory_region(frame - span, span);
}
#else
static inline void fuzz_clear_dead_stack(void)
{
}
#endif

#ifdef __cplusplus
}

// Clears the dead stack below LLVMFuzzerTestOneInput before and after it.
struct fuzz_stack_guard {
	fuzz_stack_guard() { fuzz_clear_dead_stack(); }
	~fuzz_stack_guard() { fuzz_clear_dead_stack(); }
	fuzz_stack_guard(const fuzz_stack_guard &) = delete;
	fuzz_stack_guard &operator=(const fuzz_stack_guard &) = delete;
};
#endif

#endif /* PRISIM_TB_FUZZ_UTIL_H */
