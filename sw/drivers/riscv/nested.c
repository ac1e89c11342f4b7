// SPDX-License-Identifier: Apache-2.0
/*
 * RISC-V IOMMU driver: nested domains. The user (a VMM, for its guest) owns
 * the first stage: IOMMU_HWPT_ALLOC with IOMMU_HWPT_DATA_RISCV_IOMMU hands
 * in the guest's device context (struct iommu_hwpt_riscv_iommu), of which
 * the host takes the first-stage fields (fsc as iosatp, ta.PSCID, SADE) and
 * owns the rest. The second stage is the nesting parent's table (pgtbl.c,
 * a G domain), whose GSCID the nested domain shares; the DC of a device
 * attached to it says iohgatp = the parent's, fsc/ta = the user's
 * (riscv-iommu.md §3.1.3; the IOMMU model walks both stages, §17).
 *
 * The guest's tables live in guest-physical memory and are the guest's to
 * change: the host never writes them. stage1_translate walks them in
 * software, through the parent, so that io-pgfault can tell a fault of the
 * first stage (the user's, reported to the nested HWPT's fault queue) from
 * one of the second (the host's, reported to the parent's handler): a PRI
 * Page Request carries only the IOVA (and the PASID).
 *
 * The user may own the process directory too (tc.PDTV, fsc = pdtp, a GPA):
 * then each PASID's first stage is the iosatp of its process context in
 * the user's PDT, which the walk reads through the parent as well, and the
 * user invalidates a process context it changed with IODIR.INVAL_PDT
 * (IOMMU_HWPT_INVALIDATE), sent for every device attached. PASID faults of
 * such a device have no attach of their own: io-pgfault routes them to the
 * RID's nested attach (iommu_ops.user_pasid_table).
 */
#include <errno.h>
#include <stdlib.h>

#include "riscv_iommu_priv.h"

#define NESTED_LEVEL_SHIFT(l) (RISCV_IOMMU_PAGE_SHIFT + 9u * (l))

/* tc bits the host owns and sets itself: the user's values are ignored. */
#define NESTED_TC_HOST                                                                  \
	(RISCV_IOMMU_DC_TC_EN_ATS | RISCV_IOMMU_DC_TC_EN_PRI | RISCV_IOMMU_DC_TC_T2GPA |   \
	 RISCV_IOMMU_DC_TC_DTF | RISCV_IOMMU_DC_TC_PRPR | RISCV_IOMMU_DC_TC_GADE)

/*
 * Whether the parent's G-stage grants @perm at @gpa (a table read: R), as
 * the IOMMU checks a G leaf; the leaves this driver writes have U, A and D.
 * Its translation in *spa.
 */
static bool riscv_iommu_g_grants(struct riscv_iommu_domain *g, uint64_t gpa, uint32_t perm,
				 hal_paddr_t *spa)
{
	uint64_t pte = riscv_iommu_leaf(g, gpa, spa);

	return pte && (pte & RISCV_IOMMU_PTE_U) &&
	       (!(perm & IOMMU_FAULT_PERM_READ) || (pte & RISCV_IOMMU_PTE_R)) &&
	       (!(perm & IOMMU_FAULT_PERM_WRITE) || (pte & RISCV_IOMMU_PTE_W)) &&
	       (!(perm & IOMMU_FAULT_PERM_EXEC) || (pte & RISCV_IOMMU_PTE_X));
}

/*
 * Walk first-stage table @atp (an iosatp) for @iova (riscv-iommu.md §17 with
 * the privileged spec's Sv39/Sv48/Sv57 rules): a leaf needs U (the request
 * is a user-mode access: no PASID, or a PASID without Privileged Mode); A
 * (and D for a write) must be set unless the user enabled hardware A/D
 * updates (SADE). Every table read, and the final address, goes through the
 * parent: a page it does not map, or maps without the access, is -EFAULT
 * with *gpa.
 */
static int riscv_iommu_nested_walk(struct riscv_iommu_domain *rd, uint64_t atp, uint64_t iova,
				   uint32_t perm, uint64_t *gpa)
{
	struct riscv_iommu_domain *g = rd->parent;
	struct hal *h = rd->iommu->hal;
	unsigned int mode = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_DC_FSC_MODE, atp);
	unsigned int levels, l, va_bits;
	uint64_t a, top;

	hal_paddr_t spa;

	if (mode == RISCV_IOMMU_ATP_MODE_BARE) {
		*gpa = iova;
		return riscv_iommu_g_grants(g, iova, perm, &spa) ? 0 : -EFAULT;
	}
	if (mode < RISCV_IOMMU_ATP_MODE_SV39 || mode > RISCV_IOMMU_ATP_MODE_SV57)
		return -ENOENT; /* a mode the IOMMU faults on (a PC's fsc is the user's) */
	levels = mode - RISCV_IOMMU_ATP_MODE_SV39 + RISCV_IOMMU_SV39_LEVELS;
	va_bits = NESTED_LEVEL_SHIFT(levels);
	top = iova >> (va_bits - 1);
	if (top && top != ~UINT64_C(0) >> (va_bits - 1))
		return -ENOENT;
	a = RV_FIELD_GET(RISCV_IOMMU_DC_FSC_PPN, atp) << RISCV_IOMMU_PAGE_SHIFT;
	for (l = levels; l-- > 0;) {
		uint64_t pte_gpa = a + ((iova >> NESTED_LEVEL_SHIFT(l)) & 511) * sizeof(uint64_t);
		uint64_t pte, ppn, span;
		bool ok;

		if (!riscv_iommu_g_grants(g, pte_gpa, IOMMU_FAULT_PERM_READ, &spa)) {
			*gpa = pte_gpa & ~(uint64_t)(RISCV_IOMMU_PAGE_SIZE - 1);
			return -EFAULT;
		}
		pte = riscv_iommu_pte_read(h, spa, &ok);
		if (!ok || !(pte & RISCV_IOMMU_PTE_V) ||
		    (pte & (RISCV_IOMMU_PTE_R | RISCV_IOMMU_PTE_W)) == RISCV_IOMMU_PTE_W)
			return -ENOENT;
		ppn = RV_FIELD_GET(RISCV_IOMMU_PTE_PPN, pte);
		if (!(pte & RISCV_IOMMU_PTE_LEAF)) {
			a = ppn << RISCV_IOMMU_PAGE_SHIFT;
			continue;
		}
		span = UINT64_C(1) << NESTED_LEVEL_SHIFT(l);
		if ((ppn << RISCV_IOMMU_PAGE_SHIFT) & (span - 1))
			return -ENOENT; /* misaligned superpage */
		if (!(pte & RISCV_IOMMU_PTE_U) ||
		    ((perm & IOMMU_FAULT_PERM_READ) && !(pte & RISCV_IOMMU_PTE_R)) ||
		    ((perm & IOMMU_FAULT_PERM_WRITE) && !(pte & RISCV_IOMMU_PTE_W)) ||
		    ((perm & IOMMU_FAULT_PERM_EXEC) && !(pte & RISCV_IOMMU_PTE_X)))
			return -ENOENT;
		if (!rd->sade && (!(pte & RISCV_IOMMU_PTE_A) ||
				  ((perm & IOMMU_FAULT_PERM_WRITE) && !(pte & RISCV_IOMMU_PTE_D))))
			return -ENOENT;
		*gpa = (ppn << RISCV_IOMMU_PAGE_SHIFT) | (iova & (span - 1));
		return riscv_iommu_g_grants(g, *gpa, perm, &spa) ? 0 : -EFAULT;
	}
	return -ENOENT; /* a pointer at level 0 */
}

/*
 * The iosatp of process_id @pid in the user's process directory (pdtp
 * rd->fsc, §"Process to locate the Process-context"), every directory read
 * going through the parent: 0 and *atp; -ENOENT: no valid context (a fault
 * for the user); -EFAULT and *gpa: the parent does not map that directory
 * page.
 */
static int riscv_iommu_nested_pc(struct riscv_iommu_domain *rd, uint32_t pid, uint64_t *atp,
				 uint64_t *gpa)
{
	struct riscv_iommu_domain *g = rd->parent;
	struct hal *h = rd->iommu->hal;
	unsigned int mode = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_DC_FSC_MODE, rd->fsc);
	unsigned int level = mode - RISCV_IOMMU_PDTP_MODE_PD8;
	uint64_t a = RV_FIELD_GET(RISCV_IOMMU_DC_FSC_PPN, rd->fsc) << RISCV_IOMMU_PAGE_SHIFT;
	uint64_t ta, gpa_pc;
	hal_paddr_t spa;
	bool ok;

	if (pid >> riscv_iommu_pdt_pid_bits(mode))
		return -ENOENT; /* wider than the directory resolves */
	for (; level > 0; level--) {
		uint64_t e_gpa = a + (uint64_t)riscv_iommu_pdt_pdi(pid, level) * sizeof(uint64_t), e;

		if (!riscv_iommu_g_grants(g, e_gpa, IOMMU_FAULT_PERM_READ, &spa)) {
			*gpa = e_gpa & ~(uint64_t)(RISCV_IOMMU_PAGE_SIZE - 1);
			return -EFAULT;
		}
		e = riscv_iommu_pte_read(h, spa, &ok);
		if (!ok || !(e & RISCV_IOMMU_PTE_V))
			return -ENOENT;
		a = RV_FIELD_GET(RISCV_IOMMU_PTE_PPN, e) << RISCV_IOMMU_PAGE_SHIFT;
	}
	gpa_pc = a + (uint64_t)riscv_iommu_pdt_pdi(pid, 0) * 2 * sizeof(uint64_t); /* 16-byte PCs */
	if (!riscv_iommu_g_grants(g, gpa_pc, IOMMU_FAULT_PERM_READ, &spa)) {
		*gpa = gpa_pc & ~(uint64_t)(RISCV_IOMMU_PAGE_SIZE - 1);
		return -EFAULT;
	}
	ta = riscv_iommu_pte_read(h, spa, &ok);
	if (!ok || !(ta & RISCV_IOMMU_PC_TA_V))
		return -ENOENT;
	*atp = riscv_iommu_pte_read(h, spa + sizeof(uint64_t), &ok);
	return ok ? 0 : -ENOENT;
}

/*
 * Translate the request's address through both stages: the DC's iosatp, or
 * with the user's process directory the iosatp of its PASID's process
 * context (process_id 0 without a PASID, when tc.DPE allows it).
 */
static int riscv_iommu_nested_stage1(struct iommu_domain *domain,
				     const struct iommu_fault_page_request *prm, uint64_t *gpa)
{
	struct riscv_iommu_domain *rd = to_riscv_domain(domain);
	uint64_t atp = rd->fsc;
	int rc;

	if (rd->pdtv) {
		const bool pv = prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;

		if (!pv && !rd->dpe)
			return -ENOENT;
		rc = riscv_iommu_nested_pc(rd, pv ? prm->pasid : 0, &atp, gpa);
		if (rc)
			return rc;
	}
	return riscv_iommu_nested_walk(rd, atp, prm->addr, prm->perm, gpa);
}

/* The bits of an IOTINVAL.VMA the guest may set (struct iommu_hwpt_riscv_iommu_invalidate). */
#define NESTED_INVAL_DW0                                                                     \
	(RISCV_IOMMU_CMD_OPCODE | RISCV_IOMMU_CMD_FUNC | RISCV_IOMMU_CMD_IOTINVAL_AV |        \
	 RISCV_IOMMU_CMD_IOTINVAL_PSCID | RISCV_IOMMU_CMD_IOTINVAL_PSCV)
#define NESTED_INVAL_DW1 RISCV_IOMMU_CMD_IOTINVAL_ADDR
/* ... of an IODIR.INVAL_PDT (the user's DV and DID are replaced by each device's). */
#define NESTED_INVAL_PDT_DW0                                                                  \
	(RISCV_IOMMU_CMD_OPCODE | RISCV_IOMMU_CMD_FUNC | RISCV_IOMMU_CMD_IODIR_PID |          \
	 RISCV_IOMMU_CMD_IODIR_DV | RISCV_IOMMU_CMD_IODIR_DID)

/*
 * The user's IODIR.INVAL_PDT of process_id @pid (with its own process
 * directory): for each device attached, IODIR.INVAL_PDT with the device's
 * DID, then ATS.INVAL of everything of that PASID (a changed process
 * context may change every translation of it). dc_lock held.
 */
static int riscv_iommu_nested_inval_pdt(struct riscv_iommu_domain *rd, uint32_t pid,
					struct riscv_iommu_command *cmds, unsigned int *n)
{
	struct riscv_iommu *iommu = rd->iommu;
	struct riscv_iommu_device *rdev;
	int ret;

	list_for_each_entry(rdev, &rd->devices, domain_node) {
		ret = riscv_iommu_batch_room(iommu, cmds, n);
		if (ret)
			return ret;
		riscv_iommu_cmd_iodir_inval_pdt(&cmds[(*n)++], rdev->did, pid);
		if (!rdev->dev->ats_enabled)
			continue;
		ret = riscv_iommu_batch_room(iommu, cmds, n);
		if (ret)
			return ret;
		riscv_iommu_cmd_ats_inval(&cmds[*n], rdev->did, RISCV_IOMMU_CMD_ATS_INVAL_ALL);
		riscv_iommu_cmd_ats_set_pid(&cmds[(*n)++], pid);
	}
	return 0;
}

/*
 * The user's IOTINVAL.VMA commands (IOMMU_HWPT_INVALIDATE), in order: each
 * is checked (an IOTINVAL.VMA, no GV or GSCID of its own, no reserved bit:
 * else -EINVAL, and the commands before it are still carried out), sent
 * with GV = 1 and the parent's GSCID, and followed by ATS.INVAL to the
 * domain's ATS devices, of the address's page with AV or of everything;
 * one IOFENCE.C closes the batch. With its own process directory the user
 * may also send IODIR.INVAL_PDT (riscv_iommu_nested_inval_pdt).
 */
static int riscv_iommu_nested_invalidate(struct iommu_domain *domain,
					 struct iommu_user_data_array *array)
{
	struct riscv_iommu_domain *rd = to_riscv_domain(domain);
	struct riscv_iommu *iommu = rd->iommu;
	struct riscv_iommu_command cmds[16];
	unsigned int n = 0;
	uint32_t i;
	int ret = 0, sent;

	for (i = 0; i < array->entry_num; i++) {
		struct iommu_hwpt_riscv_iommu_invalidate inv;
		uint64_t dw0, dw1, payload;

		ret = iommu_copy_struct_from_user_array(iommu->hal, &inv, array,
							IOMMU_HWPT_INVALIDATE_DATA_RISCV_IOMMU, i,
							sizeof(inv));
		if (ret)
			break;
		dw0 = riscv_iommu_le64_to_cpu(inv.cmd[0]);
		dw1 = riscv_iommu_le64_to_cpu(inv.cmd[1]);
		if (rd->pdtv && RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, dw0) == RISCV_IOMMU_CMD_IODIR_OPCODE &&
		    RV_FIELD_GET(RISCV_IOMMU_CMD_FUNC, dw0) == RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT) {
			if ((dw0 & ~NESTED_INVAL_PDT_DW0) || dw1) {
				ret = -EINVAL;
				break;
			}
			hal_mutex_lock(iommu->dc_lock);
			ret = riscv_iommu_nested_inval_pdt(
				rd, (uint32_t)RV_FIELD_GET(RISCV_IOMMU_CMD_IODIR_PID, dw0), cmds, &n);
			hal_mutex_unlock(iommu->dc_lock);
			if (ret)
				break;
			continue;
		}
		if (RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, dw0) != RISCV_IOMMU_CMD_IOTINVAL_OPCODE ||
		    RV_FIELD_GET(RISCV_IOMMU_CMD_FUNC, dw0) != RISCV_IOMMU_CMD_IOTINVAL_FUNC_VMA ||
		    (dw0 & ~NESTED_INVAL_DW0) || (dw1 & ~NESTED_INVAL_DW1)) {
			ret = -EINVAL;
			break;
		}
		ret = riscv_iommu_batch_room(iommu, cmds, &n);
		if (ret)
			break;
		cmds[n].dword0 = dw0;
		cmds[n].dword1 = dw1;
		riscv_iommu_cmd_inval_set_gscid(&cmds[n++], rd->gscid);
		payload = (dw0 & RISCV_IOMMU_CMD_IOTINVAL_AV) ?
				  riscv_iommu_ats_inval_payload(
					  RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_ADDR, dw1)
						  << RISCV_IOMMU_PAGE_SHIFT,
					  RISCV_IOMMU_PAGE_SIZE) :
				  RISCV_IOMMU_CMD_ATS_INVAL_ALL;
		hal_mutex_lock(iommu->dc_lock);
		ret = riscv_iommu_ats_inval_devices(iommu, &rd->devices, payload, cmds, &n);
		hal_mutex_unlock(iommu->dc_lock);
		if (ret)
			break;
	}
	/* what was queued is carried out and waited for, also after an error */
	sent = i || n ? riscv_iommu_cmd_send_sync(iommu, cmds, n) : 0;
	array->entry_num = i;
	return ret ? ret : sent;
}

static void riscv_iommu_nested_free(struct iommu_domain *domain)
{
	struct riscv_iommu_domain *rd = to_riscv_domain(domain);
	struct riscv_iommu *iommu = rd->iommu;
	struct riscv_iommu_command cmd;

	riscv_iommu_domain_detach_all(rd);
	/* The user's entries in the parent's GSCID go with it. */
	riscv_iommu_inval_cmd(rd, &cmd);
	riscv_iommu_cmd_send_sync(iommu, &cmd, 1);
	hal_mutex_lock(iommu->dc_lock);
	list_del_init(&rd->nested_node);
	hal_mutex_unlock(iommu->dc_lock);
	free(rd);
}

static const struct iommu_domain_ops riscv_iommu_nested_ops = {
	.stage1_translate = riscv_iommu_nested_stage1,
	.cache_invalidate_user = riscv_iommu_nested_invalidate,
	.free = riscv_iommu_nested_free,
};

/*
 * Whether the IOMMU advertises DC.fsc mode @mode: with PDTV a process
 * directory (PD8/17/20, not Bare), else a first stage (Sv39/48/57, or Bare).
 */
static bool riscv_iommu_fsc_mode_ok(const struct riscv_iommu *iommu, bool pdtv, unsigned int mode)
{
	static const struct {
		bool pdtv;
		unsigned int mode;
		uint64_t cap;
	} modes[] = {
		{ true, RISCV_IOMMU_PDTP_MODE_PD8, RISCV_IOMMU_CAPABILITIES_PD8 },
		{ true, RISCV_IOMMU_PDTP_MODE_PD17, RISCV_IOMMU_CAPABILITIES_PD17 },
		{ true, RISCV_IOMMU_PDTP_MODE_PD20, RISCV_IOMMU_CAPABILITIES_PD20 },
		{ false, RISCV_IOMMU_ATP_MODE_SV39, RISCV_IOMMU_CAPABILITIES_SV39 },
		{ false, RISCV_IOMMU_ATP_MODE_SV48, RISCV_IOMMU_CAPABILITIES_SV48 },
		{ false, RISCV_IOMMU_ATP_MODE_SV57, RISCV_IOMMU_CAPABILITIES_SV57 },
	};
	unsigned int i;

	if (!pdtv && mode == RISCV_IOMMU_ATP_MODE_BARE)
		return true;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i].pdtv == pdtv && modes[i].mode == mode)
			return iommu->caps & modes[i].cap;
	return false;
}

/**
 * riscv_iommu_domain_alloc_nested - iommu_ops.domain_alloc_nested
 * @dev: a device of this IOMMU
 * @parent: a second-stage domain of this IOMMU (IOMMU_HWPT_ALLOC_NEST_PARENT)
 * @data_type: must be IOMMU_HWPT_DATA_RISCV_IOMMU
 * @data: struct iommu_hwpt_riscv_iommu
 * @len: its size
 * @err: the error when NULL is returned
 *
 * The checks are those struct iommu_hwpt_riscv_iommu documents.
 *
 * Return: the domain, or NULL: -EOPNOTSUPP (another data type),
 * -EINVAL (a wrong size, parent or field), -ENOMEM.
 */
struct iommu_domain *riscv_iommu_domain_alloc_nested(struct device *dev,
						     struct iommu_domain *parent,
						     uint32_t data_type, const void *data,
						     size_t len, int *err)
{
	uint64_t tc_user = RISCV_IOMMU_DC_TC_V | RISCV_IOMMU_DC_TC_SADE | NESTED_TC_HOST;
	struct riscv_iommu_device *rdev = dev ? dev_to_riscv(dev) : NULL;
	const struct iommu_hwpt_riscv_iommu *u = data;
	struct riscv_iommu_domain *g, *rd;
	struct riscv_iommu *iommu;

	*err = -ENODEV;
	if (!rdev)
		return NULL;
	iommu = rdev->iommu;
	*err = -EOPNOTSUPP;
	if (data_type != IOMMU_HWPT_DATA_RISCV_IOMMU)
		return NULL;
	*err = -EINVAL;
	if (!data || len != sizeof(*u) || !parent || parent->iommu != &iommu->iommu ||
	    parent->type != IOMMU_DOMAIN_PAGING)
		return NULL;
	g = to_riscv_domain(parent);
	if (g->kind != RISCV_IOMMU_DOMAIN_G)
		return NULL;
	/* the user's process directory: fsc is a pdtp, DPE allowed */
	if (u->dc_tc & RISCV_IOMMU_DC_TC_PDTV)
		tc_user |= RISCV_IOMMU_DC_TC_PDTV | RISCV_IOMMU_DC_TC_DPE;
	if (!(u->dc_tc & RISCV_IOMMU_DC_TC_V) || (u->dc_tc & ~tc_user) || u->dc_iohgatp ||
	    (u->dc_ta & ~RISCV_IOMMU_DC_TA_PSCID) ||
	    ((u->dc_tc & RISCV_IOMMU_DC_TC_SADE) &&
	     !(iommu->caps & RISCV_IOMMU_CAPABILITIES_AMO_HWAD)) ||
	    !riscv_iommu_fsc_mode_ok(iommu, u->dc_tc & RISCV_IOMMU_DC_TC_PDTV,
				     (unsigned int)RV_FIELD_GET(RISCV_IOMMU_DC_FSC_MODE, u->dc_fsc)) ||
	    (u->dc_fsc & ~(RISCV_IOMMU_DC_FSC_MODE | RISCV_IOMMU_DC_FSC_PPN))) {
		riscv_iommu_warn(iommu, "%s: nested domain refused: tc %#llx iohgatp %#llx ta %#llx "
				 "fsc %#llx", dev->name, (unsigned long long)u->dc_tc,
				 (unsigned long long)u->dc_iohgatp, (unsigned long long)u->dc_ta,
				 (unsigned long long)u->dc_fsc);
		return NULL;
	}

	rd = riscv_iommu_domain_new(iommu, RISCV_IOMMU_DOMAIN_NESTED, err);
	if (!rd)
		return NULL;
	rd->levels = g->levels;
	rd->parent = g;
	rd->gscid = g->gscid;
	rd->pscid = (uint32_t)RV_FIELD_GET(RISCV_IOMMU_DC_TA_PSCID, u->dc_ta);
	rd->fsc = u->dc_fsc;
	rd->sade = u->dc_tc & RISCV_IOMMU_DC_TC_SADE;
	rd->pdtv = u->dc_tc & RISCV_IOMMU_DC_TC_PDTV;
	rd->dpe = u->dc_tc & RISCV_IOMMU_DC_TC_DPE;
	hal_mutex_lock(iommu->dc_lock);
	list_add_tail(&rd->nested_node, &g->children);
	hal_mutex_unlock(iommu->dc_lock);
	rd->domain.type = IOMMU_DOMAIN_NESTED;
	rd->domain.ops = &riscv_iommu_nested_ops;
	rd->domain.iommu = &iommu->iommu;
	return &rd->domain;
}
