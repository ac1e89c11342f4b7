/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prisim hardware abstraction layer (DESIGN §4).
 *
 * The only view of the machine that code under sw/ has. model/platform
 * implements it on SystemC (a task is a SystemC thread, a blocking wait is a
 * wait()); tb/unit/fake_hal.c implements it for unit tests. Porting the
 * software stack to another platform means replacing this and nothing else.
 *
 * Conventions: functions returning int give 0 or a negative errno. All
 * simulated times are in picoseconds (uint64_t). Nothing here is reentrant
 * across hosts threads: the simulation is single-threaded and cooperative, so
 * code between two blocking calls runs atomically with respect to other tasks.
 */
#ifndef PRISIM_HAL_H
#define PRISIM_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hal;            /* one simulated machine (opaque) */
struct hal_task;       /* a software context: kernel thread or user process */
struct hal_waitq;      /* a wait queue */
struct hal_mutex;      /* a sleeping lock (held across blocking calls) */

typedef uint64_t hal_paddr_t;

/* ---- machine description ------------------------------------------------ */

struct hal_iommu_info {
	hal_paddr_t base;      /* 4 KiB register page */
	unsigned int index;    /* 0 .. hal_iommu_count() - 1 */
	/*
	 * Wired interrupts (the device tree's "interrupts"): the IOMMU's wire v
	 * (interrupt vector v of icvec, fctl.WSI = 1) is interrupt
	 * wired_irq_base + v, for v < nr_wired_irqs; level-triggered. 0 wires:
	 * the IOMMU is not wired to an interrupt controller.
	 */
	unsigned int wired_irq_base;
	unsigned int nr_wired_irqs;
};

struct hal_pci_dev_info {
	uint16_t rid;          /* requester ID (bus/dev/fn), == RISC-V device_id */
	unsigned int iommu;    /* index of the IOMMU that translates for it */
	hal_paddr_t bar0;      /* device register BAR (see model/device docs) */
	uint64_t bar0_size;
};

unsigned int hal_iommu_count(struct hal *h);
const struct hal_iommu_info *hal_iommu(struct hal *h, unsigned int idx);
unsigned int hal_pci_dev_count(struct hal *h);
const struct hal_pci_dev_info *hal_pci_dev(struct hal *h, unsigned int idx);

/*
 * PCI configuration space of a device (sideband, no simulated latency beyond
 * HAL_COST_CFG_ACCESS). size is 1, 2 or 4; off < 4096.
 */
uint32_t hal_pci_cfg_read(struct hal *h, uint16_t rid, unsigned int off, unsigned int size);
void hal_pci_cfg_write(struct hal *h, uint16_t rid, unsigned int off, unsigned int size,
		       uint32_t val);

/*
 * Software tunables (queue sizes, PRI allocation requests, ...) come from the
 * scenario. key is a dotted scenario key such as "sw.driver.pq_log2sz"; the
 * platform registers every key with its default and range, so an unknown key
 * here is a programming error and aborts the run with a message.
 */
uint64_t hal_param_u64(struct hal *h, const char *key);
const char *hal_param_str(struct hal *h, const char *key);

/* ---- MMIO (little-endian registers, blocking, charges the access latency) */

uint32_t hal_mmio_read32(struct hal *h, hal_paddr_t addr);
uint64_t hal_mmio_read64(struct hal *h, hal_paddr_t addr);
void hal_mmio_write32(struct hal *h, hal_paddr_t addr, uint32_t val);
void hal_mmio_write64(struct hal *h, hal_paddr_t addr, uint64_t val);

/* ---- simulated DRAM ------------------------------------------------------ */

/*
 * Allocate size bytes of physically contiguous, zeroed simulated DRAM aligned
 * to align (a power of two >= 8). Returns the CPU pointer (the very bytes the
 * IOMMU and devices access: zero-copy) and stores the physical address in *pa.
 * NULL when memory is exhausted.
 */
void *hal_dma_alloc(struct hal *h, size_t size, size_t align, hal_paddr_t *pa);
void hal_dma_free(struct hal *h, void *cpu, size_t size);
/*
 * One zeroed 4 KiB page of simulated DRAM that the CPU never maps: data only
 * devices read and write (through the IOMMU), such as a process's page the
 * handler maps for a fault. Like a highmem page, it has no CPU pointer
 * (hal_phys_to_virt() returns NULL for it), which lets the platform keep
 * its bytes sparsely. Returns its physical address, 0 when memory is
 * exhausted.
 */
hal_paddr_t hal_page_alloc(struct hal *h);
void hal_page_free(struct hal *h, hal_paddr_t pa);
/*
 * CPU pointer for a physical address inside simulated DRAM, or NULL (outside
 * DRAM, or in a page from hal_page_alloc()).
 */
void *hal_phys_to_virt(struct hal *h, hal_paddr_t pa);
hal_paddr_t hal_virt_to_phys(struct hal *h, const void *cpu);
/* Whether [pa, pa + len) lies in simulated DRAM (pfn_valid()). */
bool hal_phys_is_ram(struct hal *h, hal_paddr_t pa, size_t len);

/* Ordering barriers (the model is sequentially consistent; these mark intent
 * and are where a port to real hardware needs fences). */
void hal_wmb(struct hal *h);
void hal_rmb(struct hal *h);
void hal_mb(struct hal *h);

/* ---- interrupts ----------------------------------------------------------- */

enum hal_irq_ret { HAL_IRQ_NONE = 0, HAL_IRQ_HANDLED = 1, HAL_IRQ_WAKE_THREAD = 2 };
typedef enum hal_irq_ret (*hal_irq_fn)(void *arg, unsigned int irq);

/*
 * Allocate an MSI interrupt number and the address/data pair a device must
 * write to raise it.
 */
int hal_msi_alloc(struct hal *h, unsigned int *irq, uint64_t *msi_addr, uint32_t *msi_data);
/*
 * Threaded interrupt (request_threaded_irq): hardirq runs on the CPU when the
 * MSI arrives (after HAL_COST_IRQ_ENTRY); if it returns HAL_IRQ_WAKE_THREAD,
 * thread_fn runs later in a dedicated kernel task. Further interrupts while
 * thread_fn is pending or running are coalesced into one more run.
 */
int hal_request_threaded_irq(struct hal *h, unsigned int irq, hal_irq_fn hardirq,
			     hal_irq_fn thread_fn, void *arg, const char *name);
/* Release irq: when it returns, no handler of irq runs or will run (a
 * thread_fn in progress is waited for, a pending one is dropped). */
void hal_free_irq(struct hal *h, unsigned int irq);

/* ---- time and cost ------------------------------------------------------- */

/* Simulated time now, in picoseconds. */
uint64_t hal_now_ps(struct hal *h);

enum hal_cost {
	HAL_COST_IRQ_ENTRY,       /* hard interrupt entry + exit */
	HAL_COST_PQ_RECORD,       /* driver: decode one PQ record */
	HAL_COST_FQ_RECORD,       /* driver: decode one FQ record */
	HAL_COST_CQ_SUBMIT,       /* driver: build one command + doorbell */
	HAL_COST_IOPF_GROUP,      /* io-pgfault: build and dispatch one group */
	HAL_COST_WAKEUP,          /* waking a blocked task (scheduler) */
	HAL_COST_SYSCALL,         /* syscall entry + exit */
	HAL_COST_FD_READ_MSG,     /* read(): copy one fault message */
	HAL_COST_FD_WRITE_MSG,    /* write(): handle one response */
	HAL_COST_HANDLER_SERVICE, /* user handler: service one fault (distribution) */
	HAL_COST_MAP_PAGE,        /* kernel: install one PTE */
	HAL_COST_CFG_ACCESS,      /* PCI config access */
	HAL_COST__COUNT
};

/* Charge the modelled cost of an operation to the calling task's CPU. */
void hal_charge(struct hal *h, enum hal_cost cost);
/* Charge an explicit amount (e.g. a poll interval). */
void hal_charge_ps(struct hal *h, uint64_t ps);

/* ---- tasks, wait queues, locks ------------------------------------------- */

enum hal_task_kind { HAL_TASK_KERNEL, HAL_TASK_USER };

/* Start fn(arg) in a new software context; it starts at the current time. */
struct hal_task *hal_task_create(struct hal *h, enum hal_task_kind kind, const char *name,
				 void (*fn)(void *arg), void *arg);
/* The calling task, or NULL if called outside any task (e.g. at boot). */
struct hal_task *hal_current(struct hal *h);
/* Give up the CPU for delay_ps without charging it as busy time. */
void hal_sleep_ps(struct hal *h, uint64_t delay_ps);

struct hal_waitq *hal_waitq_create(struct hal *h);
void hal_waitq_destroy(struct hal_waitq *wq);
/*
 * Block until cond(arg) is true (checked before blocking and after each
 * wake-up). timeout_ps == HAL_WAIT_FOREVER waits forever. Returns 0 when cond
 * became true, -ETIMEDOUT on timeout.
 */
#define HAL_WAIT_FOREVER UINT64_MAX
int hal_wait_event(struct hal_waitq *wq, bool (*cond)(void *arg), void *arg,
		   uint64_t timeout_ps);
/* Wake every task blocked on wq (they re-check their conditions). */
void hal_wake_up(struct hal_waitq *wq);

struct hal_mutex *hal_mutex_create(struct hal *h);
void hal_mutex_destroy(struct hal_mutex *m);
void hal_mutex_lock(struct hal_mutex *m);
void hal_mutex_unlock(struct hal_mutex *m);
/* For lockdep-style assertions: true if the calling task holds m. */
bool hal_mutex_held(struct hal_mutex *m);

/* Run fn(arg) later in a kernel worker task (workqueue). */
int hal_queue_work(struct hal *h, void (*fn)(void *arg), void *arg);
/*
 * flush_workqueue(): wait until every work queued before this call has run
 * (a task only; 0, or -EINVAL from interrupt context or a worker itself).
 */
int hal_flush_work(struct hal *h);

/* ---- host channel: an external process (prisim --fault-socket) ----------- */

/*
 * A byte stream to a process on the host, which the platform connected
 * before the run (prisim: the --fault-socket connection; its framing is
 * prisim/fault_socket.h, the software's business). A read blocks the host,
 * not the simulation: simulated time stands still until it returns, so a
 * run is deterministic given the bytes it reads. The platform bounds the
 * wait in host time (prisim --max-wall) and reports every failure itself,
 * naming its cause; the software only stops using the channel.
 */
/* true if a channel is connected and has not failed or been closed. */
bool hal_host_chan_open(struct hal *h);
/*
 * Read exactly len bytes / write all len bytes.
 * Return: 0, -ENOTCONN (no channel, or closed), -EPIPE (the peer closed
 * it), -ETIMEDOUT (the host-time limit passed), -EIO (another host
 * error). After an error the channel is closed.
 */
int hal_host_chan_read(struct hal *h, void *buf, size_t len);
int hal_host_chan_write(struct hal *h, const void *buf, size_t len);
/* Close the channel (the peer sees the end of the stream). */
void hal_host_chan_close(struct hal *h);

/* ---- observability -------------------------------------------------------- */

enum hal_log_level { HAL_LOG_DEBUG, HAL_LOG_INFO, HAL_LOG_WARN, HAL_LOG_ERROR };
void hal_log(struct hal *h, enum hal_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Software statistics. A counter has a stable dotted name without a prefix
 * ("pq.records_read"); results.json files it as "sw.<name>", and the count
 * for the device with requester ID rid as "sw.dev.<rid as 4 hex
 * digits>.<name>". Counters only ever grow, and appear in the results once
 * they were counted (even by 0).
 *
 * hal_stat_register() interns a name and returns its id; registering the
 * same name again returns the same id, and ids stay valid for the machine's
 * lifetime. Register at setup (driver probe, context creation) and keep the
 * ids in the context struct that counts: the per-fault path then counts
 * with hal_stat_inc() / hal_stat_dev_inc(), which never look a name up (the
 * platform may allocate only the first time a device counts anything).
 * hal_stat_dev_inc() counts the event globally and for device rid.
 * Counting with an id that hal_stat_register() did not return is a
 * programming error and aborts the run.
 */
typedef uint32_t hal_stat_id;

hal_stat_id hal_stat_register(struct hal *h, const char *name);
void hal_stat_inc(struct hal *h, hal_stat_id id, uint64_t delta);
void hal_stat_dev_inc(struct hal *h, uint16_t rid, hal_stat_id id, uint64_t delta);
/*
 * Register and count in one call, for rare events only (end-of-run reports,
 * error paths with names built at run time): they look the name up.
 */
void hal_stat_add(struct hal *h, const char *name, uint64_t delta);
void hal_stat_dev_add(struct hal *h, uint16_t rid, const char *name, uint64_t delta);

/*
 * Level statistics: the occupancy of a software queue (the fault objects'
 * groups waiting to be read). The level of id moves by delta (the level of
 * every caller adds up: one statistic covers every fault object of the
 * machine); the platform stamps
 * the change with the caller's simulated time and reports the queue's
 * time-weighted occupancy as "sw.<name>" (docs/results.md, "Queue
 * occupancy"). id comes from hal_stat_register(); a level never goes below
 * 0. Cheap (no lookup by name; the platform may allocate on an id's first
 * change only): for the per-fault path.
 */
void hal_stat_level_add(struct hal *h, hal_stat_id id, int64_t delta);

/*
 * Fault stage stamps (docs/results.md, "Stage latencies"). The software
 * layers say when a Page Request Group passed them; the platform stamps it
 * with the caller's simulated time and splits each fault's latency into
 * stages. A group is named by (rid, pasid, prgi): pasid is 0 when its
 * requests carried no PASID, prgi the 9-bit PRG index (the grpid). One
 * stamp per group and mark; a group the platform does not know is
 * ignored. Cheap (no lookup by name, no allocation): for the per-fault
 * path. A port to other hardware may make it a no-op.
 */
enum hal_fault_mark {
	HAL_FAULT_DRAINED,  /* driver: read the group's last (L=1) PQ record */
	HAL_FAULT_QUEUED,   /* iommufd: queued the group on a fault object */
	HAL_FAULT_READ,     /* iommufd: read() copied the group to its handler */
	HAL_FAULT_ANSWERED, /* io-pgfault: sent the group's response to the driver */
	HAL_FAULT__COUNT
};
void hal_fault_stamp(struct hal *h, uint16_t rid, uint32_t pasid, uint32_t prgi,
		     enum hal_fault_mark mark);

/*
 * Fault-injection hook in the spirit of iommufd_should_fail() and Linux's
 * should_fail(): returns true when the platform wants the allocation or
 * reference point called `site` to fail. The unit-test HAL drives fail-nth
 * sweeps with it; the simulator follows the scenario's sw.inject.* keys
 * (false for every call when sw.inject.site is empty, the default).
 */
bool hal_should_fail(struct hal *h, const char *site);

#ifdef __cplusplus
}
#endif

#endif /* PRISIM_HAL_H */
