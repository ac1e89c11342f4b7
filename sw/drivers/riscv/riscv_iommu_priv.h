/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RISC-V IOMMU driver: internal structures and cross-file functions.
 * Not included outside sw/drivers/riscv (and its unit tests).
 *
 * Lock order (all are struct hal_mutex, held across blocking HAL calls):
 *   domain->pgtbl_lock -> iommu->dc_lock -> iommu->pq_lock -> iommu->cq_lock
 * cq_lock is innermost: nothing is taken while it is held. The PQ thread
 * holds pq_lock while it reports faults; the core may answer synchronously
 * (page_response -> cq_lock), which respects the order.
 */
#ifndef PRISIM_DRIVERS_RISCV_IOMMU_PRIV_H
#define PRISIM_DRIVERS_RISCV_IOMMU_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prisim/hal.h"
#include "prisim/uapi/iommufd.h"
#include "iommu/iommu.h"
#include "util/list.h"

#include "iommu-bits.h"

/* Devices probed at once per IOMMU (slots of riscv_iommu.devs). */
#define RISCV_IOMMU_MAX_DEVS     4096u
/* PSCIDs handed out per IOMMU (the field has 20 bits; one per paging domain,
 * so at least one per device of the largest machine, 4096). */
#define RISCV_IOMMU_MAX_PSCIDS   65536u
/* GSCIDs handed out per IOMMU (16 bits; one per second-stage domain, 0 unused). */
#define RISCV_IOMMU_MAX_GSCIDS   65536u
/* Queue sizes accepted from the scenario: 2^1 .. 2^20 entries. */
#define RISCV_IOMMU_QUEUE_LOG2SZ_MIN 1u
#define RISCV_IOMMU_QUEUE_LOG2SZ_MAX 20u
/* Above this many pages, iotlb sync invalidates the whole PSCID instead. */
#define RISCV_IOMMU_IOTINVAL_MAX_PAGES 64u

/*
 * Polling: exponential back-off from POLL_MIN_PS to POLL_MAX_PS per try. The
 * first POLL_SPIN_PS of a wait busy-wait (charged as CPU time); after that the
 * poller sleeps between tries so that other tasks, notably the CQ interrupt
 * thread that may have to recover the queue being waited on, get the CPU.
 * A long wait polls at 1/POLL_LONG_DIV of the time waited so far, so that
 * even the longest timeout below costs about a thousand polls.
 */
#define RISCV_IOMMU_POLL_MIN_PS        UINT64_C(20000)      /* 20 ns */
#define RISCV_IOMMU_POLL_SPIN_MAX_PS   UINT64_C(160000)     /* 160 ns while spinning */
#define RISCV_IOMMU_POLL_MAX_PS        UINT64_C(1000000)    /* 1 us while sleeping */
#define RISCV_IOMMU_POLL_SPIN_PS       UINT64_C(20000000)   /* 20 us */
#define RISCV_IOMMU_POLL_LONG_DIV      64u
/*
 * Timeouts in simulated time, Linux's (drivers/iommu/riscv/iommu.h): they
 * bound waits on hardware that stopped answering, never a slow but working
 * configuration (a run as a whole is bounded by run.max_time_us).
 */
#define RISCV_IOMMU_QCSR_TIMEOUT_PS     UINT64_C(150000000000)   /* 150 ms: xqon/busy */
#define RISCV_IOMMU_QUEUE_TIMEOUT_PS    UINT64_C(150000000000)   /* 150 ms: CQ ring space */
#define RISCV_IOMMU_DDTP_TIMEOUT_PS     UINT64_C(10000000000000) /* 10 s: ddtp.busy */
#define RISCV_IOMMU_IOTINVAL_TIMEOUT_PS UINT64_C(90000000000000) /* 90 s: IOFENCE.C */
/* Consecutive CQ errors at one cqh before the CQ is left stopped. */
#define RISCV_IOMMU_CQ_MAX_RETRIES     4u
/* Overflow/memory-fault recovery rounds per PQ/FQ thread run. */
#define RISCV_IOMMU_QUEUE_MAX_ROUNDS   16u

struct riscv_iommu;

/*
 * Driver statistics: X(field, "name"). Each is counted as "sw.<name>", and
 * those with a device also as "sw.dev.<rid>.<name>" (see README.md).
 */
#define RISCV_IOMMU_STATS(X)                                        \
	X(pq_irqs,                 "pq.irqs")                       \
	X(pq_batches,              "pq.batches")                    \
	X(pq_records_read,         "pq.records_read")               \
	X(pq_stop_markers_dropped, "pq.stop_markers_dropped")       \
	X(pq_unknown_rid,          "pq.unknown_rid")                \
	X(pq_reported,             "pq.reported")                   \
	X(pq_report_failed,        "pq.report_failed")              \
	X(pq_overflows_handled,    "pq.overflows_handled")          \
	X(pq_recovery_cut,         "pq.recovery_cut")               \
	X(pq_memfaults_handled,    "pq.memfaults_handled")          \
	X(pq_reserved_bits,        "pq.reserved_bits")              \
	X(fq_irqs,                 "fq.irqs")                       \
	X(fq_records_read,         "fq.records_read")               \
	X(fq_vevents,              "fq.vevents")                    \
	X(fq_overflows,            "fq.overflows")                  \
	X(fq_memfaults,            "fq.memfaults")                  \
	X(fq_msi_faults,           "fq.msi_faults")                 \
	X(cq_irqs,                 "cq.irqs")                       \
	X(cq_commands,             "cq.commands")                   \
	X(cq_fences,               "cq.fences")                     \
	X(cq_fence_wait_ns,        "cq.fence_wait_ns")              \
	X(cq_full_waits,           "cq.full_waits")                 \
	X(cq_timeouts,             "cq.timeouts")                   \
	X(cq_errors,               "cq.errors")                     \
	X(cq_cmd_ill,              "cq.cmd_ill")                    \
	X(cq_cqmf,                 "cq.cqmf")                       \
	X(cq_cmd_to,               "cq.cmd_to")                     \
	X(cq_skipped,              "cq.skipped")                    \
	X(cq_retried,              "cq.retried")                    \
	X(prgr_sent_success,       "prgr.sent.success")             \
	X(prgr_sent_invalid,       "prgr.sent.invalid")             \
	X(prgr_sent_failure,       "prgr.sent.failure")

/* Number of CAUSE codes in RISCV_IOMMU_FQ_CAUSES. */
enum {
	RISCV_IOMMU_FQ_NR_CAUSES = 0
#define RISCV_IOMMU_FQ_CAUSE_COUNT(code, name, desc) + 1
	RISCV_IOMMU_FQ_CAUSES(RISCV_IOMMU_FQ_CAUSE_COUNT)
#undef RISCV_IOMMU_FQ_CAUSE_COUNT
};

/* Statistics ids, registered at probe (riscv_iommu_stats_register). */
struct riscv_iommu_stats {
#define RISCV_IOMMU_STAT_FIELD(field, name) hal_stat_id field;
	RISCV_IOMMU_STATS(RISCV_IOMMU_STAT_FIELD)
#undef RISCV_IOMMU_STAT_FIELD
	/* "fq.cause.<code>" of each CAUSE code, in RISCV_IOMMU_FQ_CAUSES order */
	hal_stat_id fq_cause[RISCV_IOMMU_FQ_NR_CAUSES];
};

/* One memory-resident queue (CQ, FQ or PQ) and its registers (§6, §7). */
struct riscv_iommu_queue {
	const char *name;          /* "cq", "fq", "pq" */
	void *base;                /* CPU view of the ring (simulated DRAM) */
	hal_paddr_t pa;
	size_t bytes;              /* allocation size */
	unsigned int log2sz;
	uint32_t mask;             /* entries - 1 */
	unsigned int entry_size;
	unsigned int qbr, qhr, qtr, qcr; /* base, head, tail, csr register offsets */
	uint32_t head;             /* CQ: last cqh read; FQ/PQ: software head */
	uint32_t tail;             /* CQ: software tail */
	uint32_t ipsr_bit;         /* cip / fip / pip */
	unsigned int vec;          /* icvec vector */
	unsigned int irq;          /* platform interrupt number */
	uint64_t msi_addr;
	uint32_t msi_data;
	bool irq_requested;
	bool enabled;
	char irq_name[32];
};

/* Per-device state (dev->iommu_priv). */
struct riscv_iommu_device {
	struct riscv_iommu *iommu;
	struct device *dev;
	uint32_t did;                    /* device_id = RID */
	struct riscv_iommu_dc *dc;       /* its DC in the directory */
	struct riscv_iommu_domain *domain; /* attached RID domain; under dc_lock */
	struct list_head domain_node;    /* on domain->devices; under dc_lock */
	unsigned int ats_cap;            /* config offsets; 0 if absent */
	unsigned int pri_cap;
	bool iopf_enabled;               /* DC gets EN_PRI; on the iopf queue */
	bool prpr;                       /* device needs PASID in PRG Responses */
	/* PASIDs (pdt.c): dev->max_pasids > 0 when both sides support them */
	unsigned int pasid_cap;          /* config offset; 0 if absent */
	unsigned int pdt_mode;           /* RISCV_IOMMU_PDTP_MODE_PD* chosen at probe */
	void *pdt;                       /* process directory root; NULL: DC without PDTV */
	hal_paddr_t pdt_pa;
	unsigned int pdt_pages;          /* tables below the root */
	struct list_head pasids;         /* riscv_iommu_pasid.dev_node; dc_lock */
};

/* One (device, PASID) attach: PC[pasid] of rdev's directory names rd. */
struct riscv_iommu_pasid {
	struct riscv_iommu_device *rdev;
	struct riscv_iommu_domain *rd;
	uint32_t pasid;
	struct list_head dev_node;       /* on rdev->pasids; dc_lock */
	struct list_head domain_node;    /* on rd->pasids; dc_lock */
};

/*
 * A domain of this IOMMU, one of three kinds:
 * - first stage (paging): an Sv39/Sv48/Sv57 table and a PSCID;
 * - second stage (paging, IOMMU_HWPT_ALLOC_NEST_PARENT): an
 *   Sv39x4/Sv48x4/Sv57x4 table (16 KiB root) and a GSCID;
 * - nested (nested.c): the user's first stage (fsc, PSCID) on a second-stage
 *   parent, whose GSCID it shares; no table of its own.
 */
enum riscv_iommu_domain_kind {
	RISCV_IOMMU_DOMAIN_S1,
	RISCV_IOMMU_DOMAIN_G,
	RISCV_IOMMU_DOMAIN_NESTED,
};

struct riscv_iommu_domain {
	struct iommu_domain domain;
	struct riscv_iommu *iommu;
	enum riscv_iommu_domain_kind kind;
	struct hal_mutex *pgtbl_lock;    /* protects the table pages */
	uint64_t *pgd;                   /* root table (level levels - 1); NULL when nested */
	unsigned int levels;             /* iommu->pgtbl_levels when allocated */
	hal_paddr_t pgd_pa;
	uint32_t pscid;                  /* S1: ours; nested: the user's */
	uint32_t gscid;                  /* G: ours; nested: the parent's */
	uint64_t fsc;                    /* nested: the user's iosatp, or pdtp with pdtv */
	bool sade;                       /* nested: the user asked for first-stage A/D updates */
	bool pdtv, dpe;                  /* nested: the user's process directory (tc.PDTV, tc.DPE) */
	struct riscv_iommu_domain *parent; /* nested: the second stage */
	struct list_head children;       /* G: its nested domains (nested_node); dc_lock */
	struct list_head nested_node;
	struct list_head devices;        /* riscv_iommu_device.domain_node; dc_lock */
	struct list_head pasids;         /* riscv_iommu_pasid.domain_node; dc_lock */
};

struct riscv_iommu {
	struct iommu_device iommu;       /* registered with the core; priv = this */
	struct hal *hal;
	hal_paddr_t base;
	unsigned int index;
	char name[24];                   /* "riscv-iommu<N>" */
	uint64_t caps;
	unsigned int dc_size;            /* 32 (base) or 64 (extended) */
	bool wsi;                        /* wired interrupts (fctl.WSI = 1), else MSIs */
	unsigned int ddt_mode;           /* RISCV_IOMMU_DDTP_MODE_{1,2,3}LVL in use */
	unsigned int did_bits;           /* device_id bits ddt_mode resolves */

	struct riscv_iommu_queue cmdq;
	struct riscv_iommu_queue fltq;
	struct riscv_iommu_queue priq;

	struct hal_mutex *cq_lock;       /* protects cmdq.tail/head, ring slots, fence_seq */
	struct hal_mutex *cq_err_lock;   /* serialises CQ error recovery (its IRQ thread, and the
					  * FQ thread after a lost MSI) and cq_err_head/streak */
	uint32_t *fence_word;            /* IOFENCE.C AV target (DMA) */
	hal_paddr_t fence_pa;
	uint32_t fence_seq;              /* last sequence number issued */
	uint32_t cq_err_head;            /* cqh of the last CQ error */
	unsigned int cq_err_streak;      /* consecutive errors at cq_err_head */
	uint32_t cq_err_fence;           /* the fence word at that error: if it moved on,
					  * the queue made progress (a wrap back to the same
					  * cqh is a new error, not the same one again) */
	uint64_t pq_overflows;           /* for rate-limited messages */
	uint64_t pq_busy_exits;          /* recoveries cut short, for the same */
	uint64_t fq_records;

	struct hal_mutex *pq_lock;       /* serialises PQ draining */
	bool pq_head_per_record;         /* sw.driver.pq_head_per_record */
	/*
	 * How this IOMMU behaves on PQ overflow, and so how we recover
	 * (iommu.pq_overflow_policy, read as a platform quirk would be: the
	 * RISC-V registers do not say it). pqof and its W1C are the indication
	 * and the acknowledgement under all three.
	 */
	enum riscv_iommu_pq_ovf_policy {
		RISCV_IOMMU_PQ_OVF_RISCV,    /* auto-Success; drain until empty, discard, W1C */
		RISCV_IOMMU_PQ_OVF_SMMUV3,   /* auto-Success; up to pqt, discard, pqh + W1C */
		RISCV_IOMMU_PQ_OVF_VTD,      /* no response; discard + W1C only when empty */
	} pq_ovf_policy;
	unsigned int pgtbl_levels;       /* first-stage levels: 3 Sv39, 4 Sv48, 5 Sv57 */
	bool superpages;                 /* sw.driver.superpages: 2 MiB leaves where aligned */
	bool t2gpa;                      /* sw.driver.t2gpa: DC.tc.T2GPA under a G-stage */
	uint64_t pri_alloc_max;          /* sw.driver.pri_alloc_max */
	enum riscv_iommu_pri_alloc_policy {
		RISCV_IOMMU_PRI_ALLOC_CAP,   /* min(capacity, pri_alloc_max) */
		RISCV_IOMMU_PRI_ALLOC_FIXED, /* pri_alloc_fixed */
		RISCV_IOMMU_PRI_ALLOC_QUEUE, /* min(capacity, usable PQ entries) */
		RISCV_IOMMU_PRI_ALLOC_SHARE, /* min(capacity, usable PQ entries / PRI devices) */
	} pri_alloc_policy;              /* sw.driver.pri_alloc_policy */
	uint64_t pri_alloc_fixed;        /* sw.driver.pri_alloc_fixed */

	struct hal_mutex *dc_lock;       /* protects the DDT, devs[], rdev->domain */
	void *ddt;                       /* device directory root (one page) */
	hal_paddr_t ddt_pa;
	unsigned int ddt_pages;          /* non-leaf and leaf tables below the root */
	/*
	 * probed devices, in no order; slots at and above nr_dev_slots are NULL.
	 * Grown on demand up to RISCV_IOMMU_MAX_DEVS, so that a small machine
	 * does not clear 32 KiB at probe.
	 */
	struct riscv_iommu_device **devs;
	unsigned int nr_dev_slots, cap_dev_slots;

	uint64_t pscid_map[RISCV_IOMMU_MAX_PSCIDS / 64]; /* bit set = in use */
	uint64_t gscid_map[RISCV_IOMMU_MAX_GSCIDS / 64]; /* bit set = in use */

	char iopfq_name[32];

	struct riscv_iommu_stats stats;
};

static inline struct riscv_iommu *to_riscv_iommu(struct iommu_device *iommu)
{
	return container_of(iommu, struct riscv_iommu, iommu);
}

static inline struct riscv_iommu_domain *to_riscv_domain(struct iommu_domain *d)
{
	return container_of(d, struct riscv_iommu_domain, domain);
}

static inline struct riscv_iommu_device *dev_to_riscv(struct device *dev)
{
	return (struct riscv_iommu_device *)dev->iommu_priv;
}

/* ---- register access: every MMIO access of the driver goes through here -- */

static inline uint32_t riscv_iommu_readl(struct riscv_iommu *iommu, unsigned int off)
{
	return hal_mmio_read32(iommu->hal, iommu->base + off);
}

static inline uint64_t riscv_iommu_readq(struct riscv_iommu *iommu, unsigned int off)
{
	return hal_mmio_read64(iommu->hal, iommu->base + off);
}

static inline void riscv_iommu_writel(struct riscv_iommu *iommu, unsigned int off, uint32_t v)
{
	hal_mmio_write32(iommu->hal, iommu->base + off, v);
}

static inline void riscv_iommu_writeq(struct riscv_iommu *iommu, unsigned int off, uint64_t v)
{
	hal_mmio_write64(iommu->hal, iommu->base + off, v);
}

/* ---- in-memory structures are little-endian (fctl.BE = 0) ----------------- */

static inline uint64_t riscv_iommu_cpu_to_le64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static inline uint64_t riscv_iommu_le64_to_cpu(uint64_t v)
{
	return riscv_iommu_cpu_to_le64(v);
}

static inline uint32_t riscv_iommu_le32_to_cpu(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

/* ---- iommu.c --------------------------------------------------------------- */

#define riscv_iommu_log(iommu, lvl, fmt, ...) \
	hal_log((iommu)->hal, (lvl), "%s: " fmt, (iommu)->name, ##__VA_ARGS__)
#define riscv_iommu_err(iommu, fmt, ...)  riscv_iommu_log(iommu, HAL_LOG_ERROR, fmt, ##__VA_ARGS__)
#define riscv_iommu_warn(iommu, fmt, ...) riscv_iommu_log(iommu, HAL_LOG_WARN, fmt, ##__VA_ARGS__)
#define riscv_iommu_info(iommu, fmt, ...) riscv_iommu_log(iommu, HAL_LOG_INFO, fmt, ##__VA_ARGS__)
#define riscv_iommu_dbg(iommu, fmt, ...)  riscv_iommu_log(iommu, HAL_LOG_DEBUG, fmt, ##__VA_ARGS__)

#define RISCV_IOMMU_NO_DID UINT32_MAX
void riscv_iommu_stat_did(struct riscv_iommu *iommu, uint32_t did, hal_stat_id id,
			  uint64_t delta);
void riscv_iommu_stat(struct riscv_iommu *iommu, const struct riscv_iommu_device *rdev,
		      hal_stat_id id, uint64_t delta);
uint64_t riscv_iommu_poll_delay(struct riscv_iommu *iommu, uint64_t waited_ps,
				uint64_t *interval_ps);
enum hal_log_level riscv_iommu_noisy_level(struct riscv_iommu *iommu, uint64_t *count,
					   const char *what);
/* Repeated events: the first ones are warnings, later ones debug messages. */
#define RISCV_IOMMU_NOISY_WARN 16u

/* ---- cmdq.c ---------------------------------------------------------------- */

int riscv_iommu_cmd_send(struct riscv_iommu *iommu, const struct riscv_iommu_command *cmds,
			 unsigned int n);
int riscv_iommu_cmd_sync(struct riscv_iommu *iommu);
int riscv_iommu_cmd_send_sync(struct riscv_iommu *iommu,
			      const struct riscv_iommu_command *cmds, unsigned int n);
enum hal_irq_ret riscv_iommu_cmdq_irq(void *arg, unsigned int irq);
enum hal_irq_ret riscv_iommu_cmdq_irq_thread(void *arg, unsigned int irq);

/* ---- pq.c ------------------------------------------------------------------ */

/* A decoded PQ record (§12). */
struct riscv_iommu_pq_req {
	uint32_t did;
	uint32_t pid;
	bool pv, priv, exec;
	bool r, w, l;
	uint32_t prgi;
	uint64_t addr;       /* page address */
};

void riscv_iommu_pq_decode(const struct riscv_iommu_pq_record *rec,
			   struct riscv_iommu_pq_req *req);
bool riscv_iommu_pq_is_stop_marker(const struct riscv_iommu_pq_req *req);
void riscv_iommu_pq_to_fault(const struct riscv_iommu_pq_record *rec, struct iopf_fault *evt);
enum riscv_iommu_prgr_code riscv_iommu_prgr_code(enum iommu_page_response_code code);
int riscv_iommu_prgr_send(struct riscv_iommu *iommu, uint32_t did, bool pv, uint32_t pasid,
			  uint32_t prgi, enum riscv_iommu_prgr_code code);
void riscv_iommu_priq_process(struct riscv_iommu *iommu);
enum hal_irq_ret riscv_iommu_priq_irq(void *arg, unsigned int irq);
enum hal_irq_ret riscv_iommu_priq_irq_thread(void *arg, unsigned int irq);
int riscv_iommu_page_response(struct device *dev, struct iopf_fault *evt,
			      struct iommu_page_response *msg);

/* ---- fq.c ------------------------------------------------------------------ */

const char *riscv_iommu_fq_cause_name(unsigned int cause);
void riscv_iommu_fq_stats_register(struct riscv_iommu *iommu);
const char *riscv_iommu_fq_ttyp_name(unsigned int ttyp);
void riscv_iommu_fltq_process(struct riscv_iommu *iommu);
enum hal_irq_ret riscv_iommu_fltq_irq(void *arg, unsigned int irq);
enum hal_irq_ret riscv_iommu_fltq_irq_thread(void *arg, unsigned int irq);

/* ---- device.c -------------------------------------------------------------- */

int riscv_iommu_probe_device(struct device *dev);
void riscv_iommu_release_device(struct device *dev);
int riscv_iommu_attach_dev(struct iommu_domain *domain, struct device *dev);
int riscv_iommu_dev_enable_iopf(struct device *dev);
void riscv_iommu_dev_disable_iopf(struct device *dev);
struct riscv_iommu_device *riscv_iommu_find_dev(struct riscv_iommu *iommu, uint32_t did);
struct riscv_iommu_dc *riscv_iommu_get_dc(struct riscv_iommu *iommu, uint32_t did, bool alloc,
					  bool *allocated);
void riscv_iommu_ddt_free(struct riscv_iommu *iommu);
uint64_t riscv_iommu_ats_inval_payload(uint64_t iova, uint64_t size);
void riscv_iommu_domain_detach_all(struct riscv_iommu_domain *rd);

int riscv_iommu_dc_update(struct riscv_iommu_device *rdev, bool flush_atc);
unsigned int riscv_iommu_pci_find_ext_cap(struct hal *h, uint16_t rid, uint16_t id);

/* ---- pdt.c ----------------------------------------------------------------- */

void riscv_iommu_pdt_probe(struct riscv_iommu_device *rdev);
void riscv_iommu_pdt_release(struct riscv_iommu_device *rdev);
uint64_t riscv_iommu_pdt_dc_fsc(const struct riscv_iommu_device *rdev);
uint32_t riscv_iommu_pdt_pc0_pscid(const struct riscv_iommu_device *rdev, bool *valid);
void riscv_iommu_pdt_write_pc0(struct riscv_iommu_device *rdev);
int riscv_iommu_set_dev_pasid(struct iommu_domain *domain, struct device *dev, uint32_t pasid,
			      struct iommu_domain *old);
void riscv_iommu_remove_dev_pasid(struct device *dev, uint32_t pasid,
				  struct iommu_domain *domain);
void riscv_iommu_domain_remove_pasids(struct riscv_iommu_domain *rd);

/* ---- pgtbl.c --------------------------------------------------------------- */

struct iommu_domain *riscv_iommu_domain_alloc_paging(struct device *dev);
struct riscv_iommu_domain *riscv_iommu_domain_new(struct riscv_iommu *iommu,
						  enum riscv_iommu_domain_kind kind, int *err);
struct iommu_domain *riscv_iommu_domain_alloc_paging_flags(struct device *dev, uint32_t flags,
							   int *err);
int riscv_iommu_pscid_alloc(struct riscv_iommu *iommu, uint32_t *pscid);
void riscv_iommu_pscid_free(struct riscv_iommu *iommu, uint32_t pscid);
uint64_t riscv_iommu_pte_read(struct hal *h, hal_paddr_t pa, bool *ok);
uint64_t riscv_iommu_leaf(struct riscv_iommu_domain *rd, uint64_t iova, hal_paddr_t *pa);
void riscv_iommu_inval_cmd(const struct riscv_iommu_domain *rd, struct riscv_iommu_command *cmd);
int riscv_iommu_batch_room(struct riscv_iommu *iommu, struct riscv_iommu_command *cmds,
			   unsigned int *n);
int riscv_iommu_ats_inval_devices(struct riscv_iommu *iommu, struct list_head *devices,
				  uint64_t payload, struct riscv_iommu_command *cmds, unsigned int *n);
uint64_t riscv_iommu_iohgatp(const struct riscv_iommu_domain *g);

/* ---- nested.c -------------------------------------------------------------- */

struct iommu_domain *riscv_iommu_domain_alloc_nested(struct device *dev,
						     struct iommu_domain *parent,
						     uint32_t data_type, const void *data,
						     size_t len, int *err);

#endif /* PRISIM_DRIVERS_RISCV_IOMMU_PRIV_H */
