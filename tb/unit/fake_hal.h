/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A HAL for unit tests, without SystemC (DESIGN §4). Everything is
 * synchronous and deterministic:
 * - tasks run their function at creation (FAKE_TASK_SYNC) or never
 *   (FAKE_TASK_NEVER, the default: they are only recorded);
 * - hal_wait_event() returns 0 if the condition holds, else -ETIMEDOUT at
 *   once, whatever the timeout;
 * - MMIO goes to a callback the test installs;
 * - DRAM is one malloc'd arena handed out in 4 KiB pages, physical address
 *   = FAKE_DRAM_BASE + offset;
 * - params come from a table the test fills (an unknown key aborts, as on
 *   the platform); statistics go to fixed tables the test queries by name;
 * - hal_should_fail() fails the n-th call after fake_hal_fail_nth(h, n);
 * - an MSI is delivered when a fake device calls fake_hal_msi_write():
 *   the hard handler, then (on HAL_IRQ_WAKE_THREAD) the thread, at once.
 * Time advances by FAKE_CHARGE_PS per hal_charge() and by the amount given to
 * hal_charge_ps() and hal_sleep_ps(); a poll hook lets fake hardware make
 * progress while the software polls.
 */
#ifndef PRISIM_TB_UNIT_FAKE_HAL_H
#define PRISIM_TB_UNIT_FAKE_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prisim/hal.h"

#define FAKE_DRAM_BASE   0x80000000ull
#ifndef FAKE_DRAM_SIZE
#define FAKE_DRAM_SIZE   (16u << 20)  /* a build may choose a smaller arena */
#endif
#define FAKE_CHARGE_PS   1000u
#define FAKE_CFG_SIZE    4096u          /* config space of one PCI device */
#define FAKE_MSI_ADDR    0xfee00000ull  /* every MSI: data = irq number */

/* Tasks run never, at creation, or at the next hal_flush_work() (a workqueue's work). */
enum fake_task_mode { FAKE_TASK_NEVER, FAKE_TASK_SYNC, FAKE_TASK_DEFER };

typedef uint64_t (*fake_mmio_read_fn)(void *arg, hal_paddr_t addr, unsigned int size);
typedef void (*fake_mmio_write_fn)(void *arg, hal_paddr_t addr, uint64_t val, unsigned int size);
/*
 * Config-space hooks of one device, for registers with side effects or live
 * values (plain bytes need none). The read hook runs before the bytes are
 * read and may refresh them (fake_hal_cfg_space()); the write hook returns
 * true when it consumed the write, false to have val stored as is.
 */
typedef void (*fake_cfg_read_fn)(void *arg, uint16_t rid, unsigned int off, unsigned int size);
typedef bool (*fake_cfg_write_fn)(void *arg, uint16_t rid, unsigned int off, unsigned int size,
				  uint32_t val);

/*
 * The host channel (hal_host_chan_*): closed until fake_hal_host_chan_open();
 * reads return the bytes fed, in order, and -EPIPE (closing it) past them;
 * writes are kept for fake_hal_host_chan_out(). At most FAKE_CHAN_BYTES
 * each way.
 */
#define FAKE_CHAN_BYTES 8192u
void fake_hal_host_chan_open(struct hal *h);
void fake_hal_host_chan_feed(struct hal *h, const void *buf, size_t len);
const uint8_t *fake_hal_host_chan_out(struct hal *h, size_t *len);

struct hal *fake_hal_create(void);
void fake_hal_destroy(struct hal *h);
/*
 * The machine fake_hal_create() returns, again, for a fixture that outlives
 * one test (a fuzz target's input): machine description, params, statistics
 * (their names too), IRQs, tasks, hooks, fault injection, time, accounting
 * and logs are forgotten; the DRAM arena is kept. Aborts if a DRAM page or
 * a HAL object (mutex, waitq) is still allocated.
 */
void fake_hal_reset(struct hal *h);
/*
 * One pointer of the test's own, for code that gets only the struct hal *
 * (e.g. stubs of the layers above the code under test).
 */
void fake_hal_set_priv(struct hal *h, void *priv);
void *fake_hal_priv(struct hal *h);

/* Machine description */
unsigned int fake_hal_add_iommu(struct hal *h, hal_paddr_t base);
/* Wire IOMMU idx's interrupt vectors 0..n-1 to irqs first..first+n-1
 * (hal_iommu_info.wired_irq_base / nr_wired_irqs). */
void fake_hal_set_iommu_wires(struct hal *h, unsigned int idx, unsigned int first, unsigned int n);
unsigned int fake_hal_add_pci_dev(struct hal *h, uint16_t rid, unsigned int iommu,
				  hal_paddr_t bar0, uint64_t bar0_size);
/* Set bytes of a device's config space directly (no cost, no callback). */
void fake_hal_cfg_set(struct hal *h, uint16_t rid, unsigned int off, unsigned int size,
		      uint32_t val);
/* The FAKE_CFG_SIZE bytes of a device's config space, or NULL if no such rid. */
uint8_t *fake_hal_cfg_space(struct hal *h, uint16_t rid);
/* Install config-space hooks for the device at rid (NULL: none). */
void fake_hal_set_pci_cfg(struct hal *h, uint16_t rid, fake_cfg_read_fn rd, fake_cfg_write_fn wr,
			  void *arg);
void fake_hal_set_mmio(struct hal *h, fake_mmio_read_fn rd, fake_mmio_write_fn wr, void *arg);

/* Params and stats */
void fake_hal_set_param_u64(struct hal *h, const char *key, uint64_t val);
void fake_hal_set_param_str(struct hal *h, const char *key, const char *val);
/*
 * Counters by their results.json name ("sw.<name>", "sw.dev.<rid as 4 hex
 * digits>.<name>"): the value (0 if never counted), whether it was counted
 * at all, and a reset of every counter (registered ids stay valid).
 */
uint64_t fake_hal_stat(struct hal *h, const char *name);
bool fake_hal_stat_exists(struct hal *h, const char *name);
void fake_hal_stats_clear(struct hal *h);
/*
 * Level statistics (hal_stat_level_add) by their results.json name
 * ("sw.<name>"): the level now and its high-water mark (0 if it never
 * changed). A level that would go below 0 aborts the test; the levels are
 * state and fake_hal_stats_clear() keeps them.
 */
uint64_t fake_hal_stat_level(struct hal *h, const char *name);
uint64_t fake_hal_stat_level_hwm(struct hal *h, const char *name);

/* Fault injection: fail the n-th hal_should_fail() call from now (0: never). */
void fake_hal_fail_nth(struct hal *h, unsigned int n);
/* Only sites starting with prefix count (NULL: all). */
void fake_hal_fail_filter(struct hal *h, const char *prefix);
unsigned int fake_hal_fail_calls(struct hal *h);   /* counted calls since armed */
bool fake_hal_failed(struct hal *h);               /* the n-th call happened */
const char *fake_hal_failed_site(struct hal *h);

/* Tasks, IRQs, waits */
void fake_hal_set_task_mode(struct hal *h, enum fake_task_mode mode);
/* hal_flush_work() calls so far. */
unsigned int fake_hal_flushes(struct hal *h);
/* FAKE_TASK_DEFER tasks not run yet. */
unsigned int fake_hal_deferred(struct hal *h);
unsigned int fake_hal_task_count(struct hal *h);
/*
 * Run the handlers of irq now (hard handler, then the thread on
 * HAL_IRQ_WAKE_THREAD), counting one HAL_COST_IRQ_ENTRY. False, and nothing
 * runs, if irq is not requested.
 */
bool fake_hal_raise_irq(struct hal *h, unsigned int irq);
/*
 * A device's MSI write: raises irq data if addr is FAKE_MSI_ADDR (as
 * hal_msi_alloc() hands out). False if the write raised nothing.
 */
bool fake_hal_msi_write(struct hal *h, uint64_t addr, uint32_t data);
bool fake_hal_irq_requested(struct hal *h, unsigned int irq);
unsigned int fake_hal_wakeups(struct hal *h);
/*
 * Run fn(arg) once, the next time a task would block in hal_wait_event()
 * (its condition is false): it stands for "another task runs meanwhile".
 * The wait then ends with 0 only if the waitq was woken and the condition
 * holds; otherwise -ETIMEDOUT (on the platform: a lost wake-up).
 */
void fake_hal_set_wait_hook(struct hal *h, void (*fn)(void *arg), void *arg);
/*
 * Run fn(arg) after every hal_charge_ps() and hal_sleep_ps(), once the time
 * has advanced: the caller polls or sleeps, so fake hardware and interrupt
 * handlers may make progress meanwhile (NULL: none).
 */
void fake_hal_set_poll_hook(struct hal *h, void (*fn)(void *arg), void *arg);
/*
 * Run fn(arg) after every hal_charge(cost) of that cost, e.g. at the entry
 * of every syscall (HAL_COST_SYSCALL): "another task runs just before this
 * call goes on" (NULL: none).
 */
void fake_hal_set_charge_hook(struct hal *h, enum hal_cost cost, void (*fn)(void *arg),
			      void *arg);

/* Accounting */
uint64_t fake_hal_charges(struct hal *h, enum hal_cost cost);
uint64_t fake_hal_charged_ps(struct hal *h);        /* sum of hal_charge_ps() */
uint64_t fake_hal_slept_ps(struct hal *h);          /* sum of hal_sleep_ps() */
unsigned int fake_hal_timed_waits(struct hal *h);   /* hal_wait_event() calls with a timeout */
unsigned int fake_hal_dma_live(struct hal *h);      /* pages allocated */
unsigned int fake_hal_objects_live(struct hal *h);  /* waitqs + mutexes */
unsigned int fake_hal_log_count(struct hal *h, enum hal_log_level lvl);
/* The last message logged at lvl ("" if none), truncated to 511 characters. */
const char *fake_hal_last_log(struct hal *h, enum hal_log_level lvl);
void fake_hal_set_verbose(struct hal *h, bool verbose);

#endif /* PRISIM_TB_UNIT_FAKE_HAL_H */
