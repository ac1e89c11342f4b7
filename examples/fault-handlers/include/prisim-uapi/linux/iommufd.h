/* SPDX-License-Identifier: Apache-2.0 */
/*
 * <linux/iommufd.h> for the sample handlers built against prisim's uAPI
 * header (sw/include/prisim/uapi/iommufd.h: Linux's layouts, checked at
 * compile time). Selected with -I; the upstream-layout copy beside it, or a
 * real kernel's header, serves the same sources.
 */
#ifndef PRISIM_EXAMPLES_LINUX_IOMMUFD_H
#define PRISIM_EXAMPLES_LINUX_IOMMUFD_H

#include "prisim/uapi/iommufd.h"

#endif
