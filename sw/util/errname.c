/* SPDX-License-Identifier: Apache-2.0 */
#include "util/errname.h"

#include <errno.h>

const char *px_errname(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOTTY: return "ENOTTY";
	case E2BIG: return "E2BIG";
	case ESPIPE: return "ESPIPE";
	case EFAULT: return "EFAULT";
	case EBADF: return "EBADF";
	case ENODEV: return "ENODEV";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EAGAIN: return "EAGAIN";
	case EIO: return "EIO";
	case EOVERFLOW: return "EOVERFLOW";
	case EMFILE: return "EMFILE";
	default: return "E?";
	}
}
