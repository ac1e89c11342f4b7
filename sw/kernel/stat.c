// SPDX-License-Identifier: Apache-2.0
#include "kernel/stat.h"

#include <stdio.h>

#define PX_STAT_NAME_MAX 96

/**
 * px_stat_add - add to the global counter "sw.<name>"
 * @h: machine
 * @name: counter name without the "sw." prefix
 * @delta: amount
 */
void px_stat_add(struct hal *h, const char *name, uint64_t delta)
{
	char buf[PX_STAT_NAME_MAX];

	snprintf(buf, sizeof(buf), "sw.%s", name);
	hal_stat_add(h, buf, delta);
}

/**
 * px_stat_dev_add - add to "sw.<name>" and to "sw.dev.<rid>.<name>"
 * @h: machine
 * @rid: PCI requester ID of the device the event belongs to
 * @name: counter name without the "sw." prefix
 * @delta: amount
 */
void px_stat_dev_add(struct hal *h, uint16_t rid, const char *name, uint64_t delta)
{
	char buf[PX_STAT_NAME_MAX];

	px_stat_add(h, name, delta);
	snprintf(buf, sizeof(buf), "sw.dev.%04x.%s", (unsigned int)rid, name);
	hal_stat_add(h, buf, delta);
}
