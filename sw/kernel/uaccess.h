/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Copies between kernel and simulated-user memory. A simulated process lives
 * in the host address space, so a copy is a memcpy; a NULL user pointer or an
 * injected fault ("uaccess.copy_to_user" / "uaccess.copy_from_user", in the
 * spirit of fail_usercopy) gives -EFAULT, so the error paths of every caller
 * are reachable in unit tests.
 */
#ifndef PRISIM_SW_KERNEL_UACCESS_H
#define PRISIM_SW_KERNEL_UACCESS_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "prisim/hal.h"

/*
 * The user address @off bytes into @buf. User pointers are addresses: the
 * sum is taken on integers, so a NULL buffer at offset 0 stays NULL (and
 * the copy gives -EFAULT) without pointer arithmetic on NULL, which C leaves
 * undefined.
 */
static inline void *px_user_ptr(const void *buf, size_t off)
{
	return (void *)((uintptr_t)buf + off);
}

static inline int px_copy_to_user(struct hal *h, void *to, const void *from, size_t n)
{
	if (!n)
		return 0;
	if (!to || hal_should_fail(h, "uaccess.copy_to_user"))
		return -EFAULT;
	memcpy(to, from, n);
	return 0;
}

static inline int px_copy_from_user(struct hal *h, void *to, const void *from, size_t n)
{
	if (!n)
		return 0;
	if (!from || hal_should_fail(h, "uaccess.copy_from_user"))
		return -EFAULT;
	memcpy(to, from, n);
	return 0;
}

#endif /* PRISIM_SW_KERNEL_UACCESS_H */
