/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statistics helpers. Names are given without the "sw." prefix
 * ("iopf.reported"); px_stat_dev_add() emits the global counter
 * "sw.<name>" and the per-device one "sw.dev.<rid as 4 hex digits>.<name>".
 */
#ifndef PRISIM_SW_KERNEL_STAT_H
#define PRISIM_SW_KERNEL_STAT_H

#include <stdint.h>

#include "prisim/hal.h"

void px_stat_add(struct hal *h, const char *name, uint64_t delta);
void px_stat_dev_add(struct hal *h, uint16_t rid, const char *name, uint64_t delta);

#endif /* PRISIM_SW_KERNEL_STAT_H */
