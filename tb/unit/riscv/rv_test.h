/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of the RISC-V IOMMU driver unit tests (cmocka). */
#ifndef PRISIM_TB_UNIT_RISCV_RV_TEST_H
#define PRISIM_TB_UNIT_RISCV_RV_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rv_fake.h"
#include "riscv_iommu.h"
#include "riscv_iommu_priv.h"

/* One probed IOMMU on a fake machine. */
struct rv_env {
	struct rv_fake *rv;
	struct hal *h;            /* rv->hal */
	struct riscv_iommu *iommu;
};

static inline struct riscv_iommu *rv_probe(struct hal *h)
{
	struct iommu_device *out = NULL;

	assert_int_equal(riscv_iommu_probe(h, hal_iommu(h, 0), &out), 0);
	assert_non_null(out);
	return to_riscv_iommu(out);
}

static inline void rv_env_up(struct rv_env *e)
{
	e->rv = rv_fake_create();
	e->h = e->rv->hal;
	e->iommu = rv_probe(e->h);
}

static inline void rv_env_down(struct rv_env *e)
{
	riscv_iommu_remove(&e->iommu->iommu);
	rv_fake_destroy(e->rv);
}

/* A PCI function with ATS + PRI, probed on the IOMMU. */
static inline void rv_add_dev(struct rv_env *e, struct device *dev, uint16_t rid,
			      uint32_t pri_capacity)
{
	rv_fake_add_pci(e->rv, rid, pri_capacity);
	rv_fake_device_init(e->rv, dev, rid, &e->iommu->iommu);
	assert_int_equal(e->iommu->iommu.ops->probe_device(dev), 0);
}

static inline const struct riscv_iommu_dc *rv_dc(struct rv_env *e, uint16_t rid)
{
	return (const struct riscv_iommu_dc *)((const char *)e->iommu->ddt +
					       (size_t)rid * e->iommu->dc_size);
}

static inline const struct riscv_iommu_command *rv_cmd(struct rv_fake *rv, unsigned int i)
{
	assert_true(i < rv->iommu.ncmds);
	return &rv->iommu.cmds[i];
}

static inline unsigned int rv_cmd_op(const struct riscv_iommu_command *c)
{
	return (unsigned int)RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, c->dword0);
}

static inline unsigned int rv_cmd_func(const struct riscv_iommu_command *c)
{
	return (unsigned int)RV_FIELD_GET(RISCV_IOMMU_CMD_FUNC, c->dword0);
}

static inline unsigned int rv_vec_piv(struct rv_fake *rv)
{
	return (unsigned int)RV_FIELD_GET(RISCV_IOMMU_ICVEC_PIV, rv->iommu.icvec);
}

static inline unsigned int rv_vec_fiv(struct rv_fake *rv)
{
	return (unsigned int)RV_FIELD_GET(RISCV_IOMMU_ICVEC_FIV, rv->iommu.icvec);
}

static inline unsigned int rv_vec_civ(struct rv_fake *rv)
{
	return (unsigned int)RV_FIELD_GET(RISCV_IOMMU_ICVEC_CIV, rv->iommu.icvec);
}

#endif /* PRISIM_TB_UNIT_RISCV_RV_TEST_H */
