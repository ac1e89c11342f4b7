/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double for the RISC-V IOMMU driver unit tests, on top of the unit-test
 * HAL (tb/unit/fake_hal.h): a register-level fake IOMMU that executes the
 * command queue synchronously and raises its MSIs through the fake HAL, PCI
 * functions with ATS/PRI capabilities laid out like pxdev, and recording
 * stubs of the io-pgfault core calls the driver makes. The state of all of
 * them lives in struct rv_fake; every hal_* function is the fake HAL's.
 */
#ifndef PRISIM_TB_UNIT_RISCV_RV_FAKE_H
#define PRISIM_TB_UNIT_RISCV_RV_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prisim/hal.h"

#include "iommu/iommu.h"

#include "fake_hal.h"
#include "iommu-bits.h"

#define RV_FAKE_IOMMU_BASE  UINT64_C(0x10000000)
#define RV_FAKE_MAX_CMDS    4096
#define RV_FAKE_MAX_TRACE   8192
#define RV_FAKE_MAX_REPORTS 256
#define RV_FAKE_MAX_PCI     4

struct rv_fake;

/* One MMIO access to the IOMMU's registers. */
struct rv_fake_trace {
	bool write;
	unsigned int off;
	unsigned int size;
	uint64_t val;
};

/*
 * A PCI function: ATS @0x100, PRI @0x110, PASID @0x120 in its config space
 * (the fake HAL's bytes, with hooks for the PRI control and status).
 */
struct rv_fake_pci {
	struct rv_fake *rv;
	bool present;
	uint16_t rid;
	uint8_t *cfg;        /* FAKE_CFG_SIZE bytes: fake_hal_cfg_space() */
	bool pri_enable;
	bool prpr;           /* PRI Status "PRG Response PASID Required" */
	bool outstanding;    /* Stopped reads 0 */
	unsigned int resets; /* PRI Reset writes */
	unsigned int cmds_at_enable; /* commands executed when PRI was enabled */
};

struct rv_fake_iommu {
	uint64_t caps;
	uint32_t fctl;
	uint64_t ddtp;
	uint64_t cqb, fqb, pqb;
	uint32_t cqh, cqt, fqh, fqt, pqh, pqt;
	uint32_t cqcsr, fqcsr, pqcsr;
	uint32_t ipsr;
	uint64_t icvec;
	uint64_t icvec_mask;         /* writable icvec bits */
	unsigned int max_log2sz;     /* WARL limit of every queue base */
	uint64_t msi_addr[16];
	uint32_t msi_data[16], msi_ctl[16];
	bool never_on;               /* xqon never sets */
	bool cq_hold;                /* do not execute commands on cqt writes */
	unsigned int cq_run_after_polls; /* with cq_hold: run after N polls */
	bool fence_ignore;           /* IOFENCE.C stores nothing */
	bool cq_force_ill;           /* every command is illegal */
	unsigned int cq_fetch_faults;  /* the next N command fetches fault: cqmf */
	unsigned int cq_fetch_corrupt; /* the next N fetches read an unknown opcode: cmd_ill */
	unsigned int ncmds;
	unsigned int pqh_writes, fqh_writes, cqt_writes;
	/* a PQ record that lands at the next pqh write (during a drain) */
	bool pq_late;
	uint64_t pq_late_hdr, pq_late_payload;
	/* The logs, last (rv_fake_reset() clears their first ncmds entries). */
	/* commands executed, in order */
	struct riscv_iommu_command cmds[RV_FAKE_MAX_CMDS];
	/* IODIR.INVAL_DDT with DV: DC.tc of that device when it executed */
	uint64_t dc_tc_seen[RV_FAKE_MAX_CMDS];
};

struct rv_fake_report {
	struct device *dev;
	struct iopf_fault evt;
};

struct rv_fake {
	struct hal *hal;             /* the fake HAL (fake_hal_priv() = this) */
	struct rv_fake_pci pci[RV_FAKE_MAX_PCI];
	unsigned int ntrace;
	/* io-pgfault stubs */
	unsigned int nreports;
	int report_ret;
	unsigned int discard_partial_calls, add_device_calls, remove_device_calls;
	unsigned int reports_at_discard, reports_at_remove;
	bool pri_enabled_at_remove; /* the device's PRI was still on when it left the iopf queue */
	unsigned int registered;
	bool irq_on_poll;            /* run the CQ irq thread from poll ticks */
	bool in_irq;
	/*
	 * The logs, last (RV_FAKE_LOGS is the first): rv_fake_reset() clears
	 * their entries below ntrace, nreports and iommu.ncmds.
	 */
	struct rv_fake_trace trace[RV_FAKE_MAX_TRACE];
	struct rv_fake_report reports[RV_FAKE_MAX_REPORTS];
	struct rv_fake_iommu iommu;
};

/*
 * Machine with a healthy IOMMU (v1.0, Sv39, ATS, MSI) and default params
 * (sw.driver.*: cq_log2sz 6, fq_log2sz 4, pq_log2sz 3, pri_alloc_max 32,
 * pq_head_per_record 0; change them with fake_hal_set_param_u64()).
 */
struct rv_fake *rv_fake_create(void);
/*
 * Free the machine. Fails the running test if the driver left simulated DRAM
 * or HAL objects (mutexes, wait queues) allocated.
 */
void rv_fake_destroy(struct rv_fake *rv);
/*
 * The machine rv_fake_create() returns, again, in the same memory (for a
 * fixture that outlives one test): the PCI functions, the fake IOMMU's
 * registers and logs, the stubs' records and the fake HAL (fake_hal_reset())
 * are as created. Fails the running test, as rv_fake_destroy(), if the
 * driver left simulated DRAM or HAL objects allocated.
 */
void rv_fake_reset(struct rv_fake *rv);
/* Add a PCI function at rid with PRI capacity. */
struct rv_fake_pci *rv_fake_add_pci(struct rv_fake *rv, uint16_t rid, uint32_t pri_capacity);
struct rv_fake_pci *rv_fake_pci_get(struct rv_fake *rv, uint16_t rid);
/* Execute queued commands now (cq_hold mode). */
void rv_fake_cq_run(struct rv_fake *rv);
/* Index of the first trace entry matching (write, off) at or after from, or -1. */
int rv_fake_trace_find(struct rv_fake *rv, unsigned int from, bool write, unsigned int off);
unsigned int rv_fake_count_cmds(struct rv_fake *rv, unsigned int opcode, unsigned int func);
/*
 * The IOMMU signals vector vec (civ/fiv/piv): it writes that vector's MSI
 * (address/data of the MSI configuration table) through the fake HAL, which
 * runs the handlers requested for it. Fails the test if the vector is masked
 * or the write reaches no requested irq.
 */
void rv_fake_run_irq(struct rv_fake *rv, unsigned int vec);
/* Write a PQ record at pqt and advance pqt. */
void rv_fake_pq_push(struct rv_fake *rv, uint64_t hdr, uint64_t payload);
void rv_fake_fq_push(struct rv_fake *rv, uint64_t hdr, uint64_t iotval);

/* A struct device as the kernel would create it. */
void rv_fake_device_init(struct rv_fake *rv, struct device *dev, uint16_t rid,
			 struct iommu_device *iommu);

#endif /* PRISIM_TB_UNIT_RISCV_RV_FAKE_H */
