/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double for the RISC-V IOMMU driver unit tests: a HAL (DRAM, MMIO,
 * PCI config, MSI, time, stats, logs), a register-level fake IOMMU that
 * executes the command queue synchronously, PCI functions with ATS/PRI
 * capabilities laid out like pxdev, and recording stubs of the io-pgfault
 * core calls the driver makes. All state lives in struct hal.
 */
#ifndef PRISIM_TB_UNIT_RISCV_RV_FAKE_H
#define PRISIM_TB_UNIT_RISCV_RV_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prisim/hal.h"

#include "iommu/iommu.h"

#include "iommu-bits.h"

#define RV_FAKE_DRAM_BASE   UINT64_C(0x80000000)
#define RV_FAKE_DRAM_SIZE   (32u << 20)
#define RV_FAKE_IOMMU_BASE  UINT64_C(0x10000000)
#define RV_FAKE_MSI_ADDR    UINT64_C(0x20000000)
#define RV_FAKE_MAX_CMDS    4096
#define RV_FAKE_MAX_STATS   512
#define RV_FAKE_MAX_TRACE   8192
#define RV_FAKE_MAX_REPORTS 256
#define RV_FAKE_MAX_IRQS    8
#define RV_FAKE_MAX_PCI     4

struct rv_fake_stat {
	char name[96];
	uint64_t value;
};

struct rv_fake_trace {
	bool write;
	unsigned int off;
	unsigned int size;
	uint64_t val;
};

/* A PCI function: 4 KiB config space with ATS @0x100, PRI @0x110, PASID @0x120. */
struct rv_fake_pci {
	bool present;
	uint16_t rid;
	uint8_t cfg[4096];
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
	/* commands executed, in order */
	struct riscv_iommu_command cmds[RV_FAKE_MAX_CMDS];
	/* IODIR.INVAL_DDT with DV: DC.tc of that device when it executed */
	uint64_t dc_tc_seen[RV_FAKE_MAX_CMDS];
	unsigned int ncmds;
	unsigned int pqh_writes, fqh_writes, cqt_writes;
};

struct rv_fake_irq {
	bool used;
	hal_irq_fn hard, thread;
	void *arg;
	char name[32];
};

struct rv_fake_report {
	struct device *dev;
	struct iopf_fault evt;
};

struct hal {
	uint8_t *dram;
	size_t brk;
	struct rv_fake_iommu iommu;
	struct rv_fake_pci pci[RV_FAKE_MAX_PCI];
	uint64_t param_cq_log2sz, param_fq_log2sz, param_pq_log2sz;
	uint64_t param_pri_alloc_max, param_pq_head_per_record;
	struct rv_fake_stat stats[RV_FAKE_MAX_STATS];
	unsigned int nstats;
	unsigned int logs[4];
	char last_log[4][512];
	struct rv_fake_trace trace[RV_FAKE_MAX_TRACE];
	unsigned int ntrace;
	struct rv_fake_irq irqs[RV_FAKE_MAX_IRQS];
	unsigned int next_irq;
	uint64_t now_ps, charged_ps, slept_ps;
	unsigned int charges[HAL_COST__COUNT];
	const char *fail_site;
	/* io-pgfault stubs */
	struct rv_fake_report reports[RV_FAKE_MAX_REPORTS];
	unsigned int nreports;
	int report_ret;
	unsigned int discard_partial_calls, add_device_calls, remove_device_calls;
	unsigned int reports_at_discard, reports_at_remove;
	bool irq_on_poll;            /* run the CQ irq thread from poll ticks */
	bool in_irq;
	unsigned int registered;
	int iopfq_dummy;
};

/* Machine with a healthy IOMMU (v1.0, Sv39, ATS, MSI) and default params. */
struct hal *rv_fake_create(void);
void rv_fake_destroy(struct hal *h);
/* Add a PCI function at rid with PRI capacity. */
struct rv_fake_pci *rv_fake_add_pci(struct hal *h, uint16_t rid, uint32_t pri_capacity);
struct rv_fake_pci *rv_fake_pci_get(struct hal *h, uint16_t rid);
/* Execute queued commands now (cq_hold mode). */
void rv_fake_cq_run(struct hal *h);
uint64_t rv_fake_stat(struct hal *h, const char *name);
/* Index of the first trace entry matching (write, off) at or after from, or -1. */
int rv_fake_trace_find(struct hal *h, unsigned int from, bool write, unsigned int off);
unsigned int rv_fake_count_cmds(struct hal *h, unsigned int opcode, unsigned int func);
/* Call the threaded handler registered for the queue's vector (civ/fiv/piv). */
void rv_fake_run_irq(struct hal *h, unsigned int vec);
void *rv_fake_phys(struct hal *h, hal_paddr_t pa);
/* Write a PQ record at pqt and advance pqt. */
void rv_fake_pq_push(struct hal *h, uint64_t hdr, uint64_t payload);
void rv_fake_fq_push(struct hal *h, uint64_t hdr, uint64_t iotval);

/* A struct device as the kernel would create it. */
void rv_fake_device_init(struct hal *h, struct device *dev, uint16_t rid,
			 struct iommu_device *iommu);

#endif /* PRISIM_TB_UNIT_RISCV_RV_FAKE_H */
