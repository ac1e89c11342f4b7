/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A mock IOMMU driver for unit tests (like iommufd's selftest mock): it
 * registers an iommu_device with a real iopf_queue, records every page
 * response, keeps domain mappings in a list, and lets a test make attach or
 * IOPF enable fail.
 */
#ifndef PRISIM_TB_UNIT_MOCK_IOMMU_H
#define PRISIM_TB_UNIT_MOCK_IOMMU_H

#include "iommu/iommu.h"

/* vIOMMU type the mock backs (IOMMU_VIOMMU_TYPE_RISCV_IOMMU, prisim/uapi/iommufd.h). */
#define MOCK_VIOMMU_TYPE 0x5256494fu

struct mock_resp {
	uint16_t rid;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t code;
	uint32_t req_flags;   /* flags of the request passed to page_response */
	uint64_t req_addr;
};

struct mock_map {
	uint64_t iova;
	hal_paddr_t pa;
	uint64_t size;
	uint32_t prot;
};

struct mock_iommu;

struct mock_domain {
	struct iommu_domain domain;
	struct mock_iommu *m;
	struct mock_map *maps;
	unsigned int nr_maps, cap_maps;
	unsigned int sync_calls;
};

struct mock_iommu {
	struct iommu_device iommu;
	struct iommu_ops ops;          /* per instance, so a test can drop an op */
	struct hal *hal;
	struct mock_resp *resp;
	unsigned int nr_resp, cap_resp;
	unsigned int probe_calls, release_calls, attach_calls, block_calls;
	unsigned int enable_iopf_calls, disable_iopf_calls;
	int attach_err;                /* returned once by the next non-NULL attach */
	int enable_iopf_err;           /* returned once by the next dev_enable_iopf */
	int probe_err;                 /* returned by probe_device */
	uint32_t max_pasids;           /* given to each device at probe (default 256) */
	unsigned int set_pasid_calls, remove_pasid_calls;
	int set_pasid_err;             /* returned once by the next set_dev_pasid */
	unsigned int domains_live;
	/* Nested domains' stage1_translate answers this, with s1_gpa. */
	int s1_rc;
	uint64_t s1_gpa;
	unsigned int s1_calls;
	/* Nested domains' cache_invalidate_user: entries taken (an entry whose
	 * cmd[0] is MOCK_INVAL_BAD is refused with -EINVAL). */
	unsigned int inval_entries;
};

#define MOCK_INVAL_BAD 0xbadu

struct mock_iommu *mock_iommu_create(struct hal *h);
void mock_iommu_destroy(struct mock_iommu *m);
/* px_iommu_probe_t / px_iommu_remove_t for px_kernel_boot_with(). */
int mock_iommu_probe(struct hal *h, const struct hal_iommu_info *info, struct iommu_device **out);
void mock_iommu_remove(struct iommu_device *iommu);

static inline struct mock_iommu *to_mock(struct iommu_device *iommu)
{
	return container_of(iommu, struct mock_iommu, iommu);
}

static inline struct mock_domain *to_mock_domain(struct iommu_domain *d)
{
	return container_of(d, struct mock_domain, domain);
}

/* Responses matching rid and grpid (and code, unless code < 0). */
unsigned int mock_count_resp(const struct mock_iommu *m, uint16_t rid, uint32_t grpid, int code);
const struct mock_map *mock_find_map(const struct mock_domain *d, uint64_t iova);

#endif /* PRISIM_TB_UNIT_MOCK_IOMMU_H */
