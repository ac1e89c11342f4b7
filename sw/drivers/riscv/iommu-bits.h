/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RISC-V IOMMU 1.0: register map, field masks, in-memory formats (commands,
 * fault and page-request records, device context, Sv39 PTEs) and the command
 * builders. Section numbers refer to spec/riscv-iommu.md.
 *
 * Masks are 64-bit values built with RV_BIT()/RV_GENMASK(); RV_FIELD_PREP()
 * and RV_FIELD_GET() shift a value into and out of a mask. Bit numbers of the
 * second command / record doubleword are given relative to that doubleword
 * (absolute bit 64 is bit 0 of dword1).
 */
#ifndef PRISIM_DRIVERS_RISCV_IOMMU_BITS_H
#define PRISIM_DRIVERS_RISCV_IOMMU_BITS_H

#include <stdbool.h>
#include <stdint.h>

#define RV_BIT(n)         (UINT64_C(1) << (n))
#define RV_GENMASK(h, l)  ((~UINT64_C(0) >> (63 - (h))) & (~UINT64_C(0) << (l)))
#define RV_FIELD_PREP(mask, val) \
	((((uint64_t)(val)) << __builtin_ctzll(mask)) & (uint64_t)(mask))
#define RV_FIELD_GET(mask, reg) \
	((((uint64_t)(reg)) & (uint64_t)(mask)) >> __builtin_ctzll(mask))

#define RISCV_IOMMU_PAGE_SHIFT 12
#define RISCV_IOMMU_PAGE_SIZE  (UINT64_C(1) << RISCV_IOMMU_PAGE_SHIFT)
#define RISCV_IOMMU_REG_SIZE   0x1000u

/* ---- §2 register map ------------------------------------------------------ */

#define RISCV_IOMMU_REG_CAPABILITIES 0x000u /* 64 */
#define RISCV_IOMMU_REG_FCTL         0x008u /* 32 */
#define RISCV_IOMMU_REG_DDTP         0x010u /* 64 */
#define RISCV_IOMMU_REG_CQB          0x018u /* 64 */
#define RISCV_IOMMU_REG_CQH          0x020u /* 32, RO */
#define RISCV_IOMMU_REG_CQT          0x024u /* 32 */
#define RISCV_IOMMU_REG_FQB          0x028u /* 64 */
#define RISCV_IOMMU_REG_FQH          0x030u /* 32 */
#define RISCV_IOMMU_REG_FQT          0x034u /* 32, RO */
#define RISCV_IOMMU_REG_PQB          0x038u /* 64 */
#define RISCV_IOMMU_REG_PQH          0x040u /* 32 */
#define RISCV_IOMMU_REG_PQT          0x044u /* 32, RO */
#define RISCV_IOMMU_REG_CQCSR        0x048u /* 32 */
#define RISCV_IOMMU_REG_FQCSR        0x04Cu /* 32 */
#define RISCV_IOMMU_REG_PQCSR        0x050u /* 32 */
#define RISCV_IOMMU_REG_IPSR         0x054u /* 32, RW1C */
#define RISCV_IOMMU_REG_ICVEC        0x2F8u /* 64 */
#define RISCV_IOMMU_REG_MSI_CFG_TBL  0x300u /* 16 x 16 B */

/* §8.3 msi_cfg_tbl entry v */
#define RISCV_IOMMU_MSI_VECTORS            16u
#define RISCV_IOMMU_REG_MSI_ADDR(v)        (RISCV_IOMMU_REG_MSI_CFG_TBL + 16u * (v))
#define RISCV_IOMMU_REG_MSI_DATA(v)        (RISCV_IOMMU_REG_MSI_CFG_TBL + 16u * (v) + 0x8u)
#define RISCV_IOMMU_REG_MSI_VEC_CTL(v)     (RISCV_IOMMU_REG_MSI_CFG_TBL + 16u * (v) + 0xCu)
#define RISCV_IOMMU_MSI_ADDR_MASK          RV_GENMASK(55, 2)
#define RISCV_IOMMU_MSI_VEC_CTL_M          RV_BIT(0)

/* ---- §3 capabilities ------------------------------------------------------- */

#define RISCV_IOMMU_CAPABILITIES_VERSION   RV_GENMASK(7, 0)
#define RISCV_IOMMU_VERSION_1_0            0x10u
#define RISCV_IOMMU_CAPABILITIES_SV32      RV_BIT(8)
#define RISCV_IOMMU_CAPABILITIES_SV39      RV_BIT(9)
#define RISCV_IOMMU_CAPABILITIES_SV48      RV_BIT(10)
#define RISCV_IOMMU_CAPABILITIES_SV57      RV_BIT(11)
#define RISCV_IOMMU_CAPABILITIES_SVPBMT    RV_BIT(15)
#define RISCV_IOMMU_CAPABILITIES_SV39X4    RV_BIT(17)
#define RISCV_IOMMU_CAPABILITIES_SV48X4    RV_BIT(18)
#define RISCV_IOMMU_CAPABILITIES_SV57X4    RV_BIT(19)
#define RISCV_IOMMU_CAPABILITIES_MSI_FLAT  RV_BIT(22)
#define RISCV_IOMMU_CAPABILITIES_AMO_HWAD  RV_BIT(24)
#define RISCV_IOMMU_CAPABILITIES_ATS       RV_BIT(25)
#define RISCV_IOMMU_CAPABILITIES_T2GPA     RV_BIT(26)
#define RISCV_IOMMU_CAPABILITIES_END       RV_BIT(27)
#define RISCV_IOMMU_CAPABILITIES_IGS       RV_GENMASK(29, 28)
#define RISCV_IOMMU_CAPABILITIES_HPM       RV_BIT(30)
#define RISCV_IOMMU_CAPABILITIES_DBG       RV_BIT(31)
#define RISCV_IOMMU_CAPABILITIES_PAS       RV_GENMASK(37, 32)
#define RISCV_IOMMU_CAPABILITIES_PD8       RV_BIT(38)
#define RISCV_IOMMU_CAPABILITIES_PD17      RV_BIT(39)
#define RISCV_IOMMU_CAPABILITIES_PD20      RV_BIT(40)
#define RISCV_IOMMU_CAPABILITIES_NL        RV_BIT(42)
#define RISCV_IOMMU_CAPABILITIES_S         RV_BIT(43)

enum riscv_iommu_igs {
	RISCV_IOMMU_IGS_MSI = 0,
	RISCV_IOMMU_IGS_WSI = 1,
	RISCV_IOMMU_IGS_BOTH = 2,
};

/* ---- §4 fctl ------------------------------------------------------------- */

#define RISCV_IOMMU_FCTL_BE   RV_BIT(0)
#define RISCV_IOMMU_FCTL_WSI  RV_BIT(1)
#define RISCV_IOMMU_FCTL_GXL  RV_BIT(2)

/* ---- §5 ddtp -------------------------------------------------------------- */

#define RISCV_IOMMU_DDTP_IOMMU_MODE RV_GENMASK(3, 0)
#define RISCV_IOMMU_DDTP_BUSY       RV_BIT(4)
#define RISCV_IOMMU_DDTP_PPN        RV_GENMASK(53, 10)

enum riscv_iommu_ddtp_mode {
	RISCV_IOMMU_DDTP_MODE_OFF = 0,
	RISCV_IOMMU_DDTP_MODE_BARE = 1,
	RISCV_IOMMU_DDTP_MODE_1LVL = 2,
	RISCV_IOMMU_DDTP_MODE_2LVL = 3,
	RISCV_IOMMU_DDTP_MODE_3LVL = 4,
};

/* device_id bits resolvable by a 1LVL DDT (§5): base 7, extended 6 */
#define RISCV_IOMMU_DDT_1LVL_BITS_BASE 7u
#define RISCV_IOMMU_DDT_1LVL_BITS_EXT  6u

/* §15.1 non-leaf DDT entry: V, PPN of the next-level table */
#define RISCV_IOMMU_DDTE_V        RV_BIT(0)
#define RISCV_IOMMU_DDTE_PPN      RV_GENMASK(53, 10)
/* entries of a non-leaf table (one 4 KiB page) */
#define RISCV_IOMMU_DDT_NL_ENTRIES 512u

/*
 * §5: device_id bits a directory mode resolves (base format 7/16/24,
 * extended 6/15/24); 0 for Off, Bare and reserved modes.
 */
static inline unsigned int riscv_iommu_ddt_did_bits(unsigned int mode, bool ext)
{
	switch (mode) {
	case RISCV_IOMMU_DDTP_MODE_1LVL: return ext ? 6u : 7u;
	case RISCV_IOMMU_DDTP_MODE_2LVL: return ext ? 15u : 16u;
	case RISCV_IOMMU_DDTP_MODE_3LVL: return 24u;
	default: return 0;
	}
}

/*
 * §15.1 DDI[level] of a device_id: base 6:0 / 15:7 / 23:16, extended
 * 5:0 / 14:6 / 23:15. Level 0 indexes the leaf table of DCs.
 */
static inline uint32_t riscv_iommu_ddt_ddi(uint32_t did, unsigned int level, bool ext)
{
	unsigned int w0 = ext ? 6u : 7u;

	if (level == 0)
		return did & ((1u << w0) - 1u);
	if (level == 1)
		return (did >> w0) & (RISCV_IOMMU_DDT_NL_ENTRIES - 1u);
	return (did >> (w0 + 9u)) & ((1u << (24u - w0 - 9u)) - 1u);
}

/* ---- §6 queue base and index registers ----------------------------------- */

#define RISCV_IOMMU_QUEUE_LOG2SZ  RV_GENMASK(4, 0) /* LOG2SZ - 1 */
#define RISCV_IOMMU_QUEUE_PPN     RV_GENMASK(53, 10)

#define RISCV_IOMMU_CQ_ENTRY_SIZE 16u
#define RISCV_IOMMU_FQ_ENTRY_SIZE 32u
#define RISCV_IOMMU_PQ_ENTRY_SIZE 16u

/* ---- §7 queue CSRs --------------------------------------------------------- */

#define RISCV_IOMMU_CQCSR_CQEN        RV_BIT(0)
#define RISCV_IOMMU_CQCSR_CIE         RV_BIT(1)
#define RISCV_IOMMU_CQCSR_CQMF        RV_BIT(8)
#define RISCV_IOMMU_CQCSR_CMD_TO      RV_BIT(9)
#define RISCV_IOMMU_CQCSR_CMD_ILL     RV_BIT(10)
#define RISCV_IOMMU_CQCSR_FENCE_W_IP  RV_BIT(11)
#define RISCV_IOMMU_CQCSR_CQON        RV_BIT(16)
#define RISCV_IOMMU_CQCSR_BUSY        RV_BIT(17)

#define RISCV_IOMMU_FQCSR_FQEN        RV_BIT(0)
#define RISCV_IOMMU_FQCSR_FIE         RV_BIT(1)
#define RISCV_IOMMU_FQCSR_FQMF        RV_BIT(8)
#define RISCV_IOMMU_FQCSR_FQOF        RV_BIT(9)
#define RISCV_IOMMU_FQCSR_FQON        RV_BIT(16)
#define RISCV_IOMMU_FQCSR_BUSY        RV_BIT(17)

#define RISCV_IOMMU_PQCSR_PQEN        RV_BIT(0)
#define RISCV_IOMMU_PQCSR_PIE         RV_BIT(1)
#define RISCV_IOMMU_PQCSR_PQMF        RV_BIT(8)
#define RISCV_IOMMU_PQCSR_PQOF        RV_BIT(9)
#define RISCV_IOMMU_PQCSR_PQON        RV_BIT(16)
#define RISCV_IOMMU_PQCSR_BUSY        RV_BIT(17)

/* The layouts of the three CSRs share en/ie/on/busy positions. */
#define RISCV_IOMMU_QUEUE_ENABLE      RV_BIT(0)
#define RISCV_IOMMU_QUEUE_INTR_ENABLE RV_BIT(1)
#define RISCV_IOMMU_QUEUE_ACTIVE      RV_BIT(16)
#define RISCV_IOMMU_QUEUE_BUSY        RV_BIT(17)

/* ---- §8 interrupts ------------------------------------------------------- */

#define RISCV_IOMMU_IPSR_CIP   RV_BIT(0)
#define RISCV_IOMMU_IPSR_FIP   RV_BIT(1)
#define RISCV_IOMMU_IPSR_PMIP  RV_BIT(2)
#define RISCV_IOMMU_IPSR_PIP   RV_BIT(3)

#define RISCV_IOMMU_ICVEC_CIV  RV_GENMASK(3, 0)
#define RISCV_IOMMU_ICVEC_FIV  RV_GENMASK(7, 4)
#define RISCV_IOMMU_ICVEC_PMIV RV_GENMASK(11, 8)
#define RISCV_IOMMU_ICVEC_PIV  RV_GENMASK(15, 12)

/* ---- §10 commands ---------------------------------------------------------- */

struct riscv_iommu_command {
	uint64_t dword0;
	uint64_t dword1;
};
_Static_assert(sizeof(struct riscv_iommu_command) == RISCV_IOMMU_CQ_ENTRY_SIZE,
	       "CQ entry is 16 bytes");

#define RISCV_IOMMU_CMD_OPCODE RV_GENMASK(6, 0)
#define RISCV_IOMMU_CMD_FUNC   RV_GENMASK(9, 7)

/* §10.2 IOTINVAL (opcode 1) */
#define RISCV_IOMMU_CMD_IOTINVAL_OPCODE     1u
#define RISCV_IOMMU_CMD_IOTINVAL_FUNC_VMA   0u
#define RISCV_IOMMU_CMD_IOTINVAL_FUNC_GVMA  1u
#define RISCV_IOMMU_CMD_IOTINVAL_AV         RV_BIT(10)
#define RISCV_IOMMU_CMD_IOTINVAL_PSCID      RV_GENMASK(31, 12)
#define RISCV_IOMMU_CMD_IOTINVAL_PSCV       RV_BIT(32)
#define RISCV_IOMMU_CMD_IOTINVAL_GV         RV_BIT(33)
#define RISCV_IOMMU_CMD_IOTINVAL_NL         RV_BIT(34)
#define RISCV_IOMMU_CMD_IOTINVAL_GSCID      RV_GENMASK(59, 44)
/* dword1 */
#define RISCV_IOMMU_CMD_IOTINVAL_S          RV_BIT(9)       /* absolute bit 73 */
#define RISCV_IOMMU_CMD_IOTINVAL_ADDR       RV_GENMASK(61, 10) /* ADDR[63:12], bits 125:74 */

/* §10.3 IOFENCE (opcode 2) */
#define RISCV_IOMMU_CMD_IOFENCE_OPCODE      2u
#define RISCV_IOMMU_CMD_IOFENCE_FUNC_C      0u
#define RISCV_IOMMU_CMD_IOFENCE_AV          RV_BIT(10)
#define RISCV_IOMMU_CMD_IOFENCE_WSI         RV_BIT(11)
#define RISCV_IOMMU_CMD_IOFENCE_PR          RV_BIT(12)
#define RISCV_IOMMU_CMD_IOFENCE_PW          RV_BIT(13)
#define RISCV_IOMMU_CMD_IOFENCE_DATA        RV_GENMASK(63, 32)
/* dword1 */
#define RISCV_IOMMU_CMD_IOFENCE_ADDR        RV_GENMASK(61, 0) /* ADDR[63:2] */

/* §10.4 IODIR (opcode 3) */
#define RISCV_IOMMU_CMD_IODIR_OPCODE        3u
#define RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_DDT 0u
#define RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT 1u
#define RISCV_IOMMU_CMD_IODIR_PID           RV_GENMASK(31, 12)
#define RISCV_IOMMU_CMD_IODIR_DV            RV_BIT(33)
#define RISCV_IOMMU_CMD_IODIR_DID           RV_GENMASK(63, 40)

/* §10.5 ATS (opcode 4) */
#define RISCV_IOMMU_CMD_ATS_OPCODE          4u
#define RISCV_IOMMU_CMD_ATS_FUNC_INVAL      0u
#define RISCV_IOMMU_CMD_ATS_FUNC_PRGR       1u
#define RISCV_IOMMU_CMD_ATS_PID             RV_GENMASK(31, 12)
#define RISCV_IOMMU_CMD_ATS_PV              RV_BIT(32)
#define RISCV_IOMMU_CMD_ATS_DSV             RV_BIT(33)
#define RISCV_IOMMU_CMD_ATS_RID             RV_GENMASK(55, 40)
#define RISCV_IOMMU_CMD_ATS_DSEG            RV_GENMASK(63, 56)
/* dword1 = PAYLOAD; ATS.INVAL payload (PCIe Invalidate Request body) */
#define RISCV_IOMMU_CMD_ATS_INVAL_G         RV_BIT(0)
#define RISCV_IOMMU_CMD_ATS_INVAL_S         RV_BIT(11)
#define RISCV_IOMMU_CMD_ATS_INVAL_ADDR      RV_GENMASK(63, 12)
/* "whole address space": S = 1 and address 0x7FFF_FFFF_FFFF_F000 (PCIe) */
#define RISCV_IOMMU_CMD_ATS_INVAL_ALL \
	(UINT64_C(0x7FFFFFFFFFFFF000) | RISCV_IOMMU_CMD_ATS_INVAL_S)
/* ATS.PRGR payload (PCIe PRG Response body) */
#define RISCV_IOMMU_CMD_ATS_PRGR_PRG_INDEX  RV_GENMASK(40, 32)
#define RISCV_IOMMU_CMD_ATS_PRGR_RESP_CODE  RV_GENMASK(47, 44)
#define RISCV_IOMMU_CMD_ATS_PRGR_DST_ID     RV_GENMASK(63, 48) /* legacy, write 0 */

/* PCIe PRG Response codes (pcie-pri.md §4.1) */
enum riscv_iommu_prgr_code {
	RISCV_IOMMU_PRGR_SUCCESS = 0x0,
	RISCV_IOMMU_PRGR_INVALID = 0x1,
	RISCV_IOMMU_PRGR_FAILURE = 0xF,
};

static inline void riscv_iommu_cmd_iotinval_vma(struct riscv_iommu_command *cmd)
{
	cmd->dword0 = RV_FIELD_PREP(RISCV_IOMMU_CMD_OPCODE, RISCV_IOMMU_CMD_IOTINVAL_OPCODE) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_FUNC, RISCV_IOMMU_CMD_IOTINVAL_FUNC_VMA);
	cmd->dword1 = 0;
}

/* Limit an IOTINVAL to one IOVA (AV = 1). */
/* IOTINVAL.GVMA: second-stage (and combined) entries; GV/GSCID via set_gscid. */
static inline void riscv_iommu_cmd_iotinval_gvma(struct riscv_iommu_command *cmd)
{
	cmd->dword0 = RV_FIELD_PREP(RISCV_IOMMU_CMD_OPCODE, RISCV_IOMMU_CMD_IOTINVAL_OPCODE) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_FUNC, RISCV_IOMMU_CMD_IOTINVAL_FUNC_GVMA);
	cmd->dword1 = 0;
}

/* Limit an IOTINVAL to one guest soft-context (GV = 1). */
static inline void riscv_iommu_cmd_inval_set_gscid(struct riscv_iommu_command *cmd,
						   uint32_t gscid)
{
	cmd->dword0 = (cmd->dword0 & ~RISCV_IOMMU_CMD_IOTINVAL_GSCID) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_IOTINVAL_GSCID, gscid) |
		      RISCV_IOMMU_CMD_IOTINVAL_GV;
}

static inline void riscv_iommu_cmd_inval_set_addr(struct riscv_iommu_command *cmd,
						  uint64_t iova)
{
	cmd->dword0 |= RISCV_IOMMU_CMD_IOTINVAL_AV;
	cmd->dword1 = (cmd->dword1 & ~RISCV_IOMMU_CMD_IOTINVAL_ADDR) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_IOTINVAL_ADDR, iova >> RISCV_IOMMU_PAGE_SHIFT);
}

/* Limit an IOTINVAL to one process soft-context (PSCV = 1). */
static inline void riscv_iommu_cmd_inval_set_pscid(struct riscv_iommu_command *cmd,
						   uint32_t pscid)
{
	cmd->dword0 = (cmd->dword0 & ~RISCV_IOMMU_CMD_IOTINVAL_PSCID) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_IOTINVAL_PSCID, pscid) |
		      RISCV_IOMMU_CMD_IOTINVAL_PSCV;
}

/* IOFENCE.C; with addr != 0 it stores data (4 bytes) at addr on completion. */
static inline void riscv_iommu_cmd_iofence_c(struct riscv_iommu_command *cmd, uint64_t addr,
					     uint32_t data)
{
	cmd->dword0 = RV_FIELD_PREP(RISCV_IOMMU_CMD_OPCODE, RISCV_IOMMU_CMD_IOFENCE_OPCODE) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_FUNC, RISCV_IOMMU_CMD_IOFENCE_FUNC_C) |
		      RISCV_IOMMU_CMD_IOFENCE_PR | RISCV_IOMMU_CMD_IOFENCE_PW;
	cmd->dword1 = 0;
	if (addr) {
		cmd->dword0 |= RISCV_IOMMU_CMD_IOFENCE_AV |
			       RV_FIELD_PREP(RISCV_IOMMU_CMD_IOFENCE_DATA, data);
		cmd->dword1 = RV_FIELD_PREP(RISCV_IOMMU_CMD_IOFENCE_ADDR, addr >> 2);
	}
}

/* IODIR.INVAL_DDT: one device (dv) or every cached DDT/PDT entry (!dv). */
static inline void riscv_iommu_cmd_iodir_inval_ddt(struct riscv_iommu_command *cmd, bool dv,
						   uint32_t did)
{
	cmd->dword0 = RV_FIELD_PREP(RISCV_IOMMU_CMD_OPCODE, RISCV_IOMMU_CMD_IODIR_OPCODE) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_FUNC, RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_DDT);
	if (dv)
		cmd->dword0 |= RISCV_IOMMU_CMD_IODIR_DV |
			       RV_FIELD_PREP(RISCV_IOMMU_CMD_IODIR_DID, did);
	cmd->dword1 = 0;
}

/* IODIR.INVAL_PDT: the process context of (did, pid); DV must be 1 (§10.4). */
static inline void riscv_iommu_cmd_iodir_inval_pdt(struct riscv_iommu_command *cmd, uint32_t did,
						   uint32_t pid)
{
	cmd->dword0 = RV_FIELD_PREP(RISCV_IOMMU_CMD_OPCODE, RISCV_IOMMU_CMD_IODIR_OPCODE) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_FUNC, RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT) |
		      RISCV_IOMMU_CMD_IODIR_DV | RV_FIELD_PREP(RISCV_IOMMU_CMD_IODIR_DID, did) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_IODIR_PID, pid);
	cmd->dword1 = 0;
}

/*
 * Common ATS command destination: the requester id and, when it carries a
 * segment (did >> 16 != 0), DSV/DSEG. A PASID is added with
 * riscv_iommu_cmd_ats_set_pid().
 */
static inline void riscv_iommu_cmd_ats(struct riscv_iommu_command *cmd, unsigned int func,
				       uint32_t did, uint64_t payload)
{
	cmd->dword0 = RV_FIELD_PREP(RISCV_IOMMU_CMD_OPCODE, RISCV_IOMMU_CMD_ATS_OPCODE) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_FUNC, func) |
		      RV_FIELD_PREP(RISCV_IOMMU_CMD_ATS_RID, did & 0xFFFFu);
	if (did >> 16)
		cmd->dword0 |= RISCV_IOMMU_CMD_ATS_DSV |
			       RV_FIELD_PREP(RISCV_IOMMU_CMD_ATS_DSEG, did >> 16);
	cmd->dword1 = payload;
}

static inline void riscv_iommu_cmd_ats_set_pid(struct riscv_iommu_command *cmd, uint32_t pasid)
{
	cmd->dword0 |= RISCV_IOMMU_CMD_ATS_PV | RV_FIELD_PREP(RISCV_IOMMU_CMD_ATS_PID, pasid);
}

static inline uint64_t riscv_iommu_prgr_payload(uint32_t prgi, enum riscv_iommu_prgr_code code)
{
	return RV_FIELD_PREP(RISCV_IOMMU_CMD_ATS_PRGR_PRG_INDEX, prgi) |
	       RV_FIELD_PREP(RISCV_IOMMU_CMD_ATS_PRGR_RESP_CODE, code);
}

/* ATS.PRGR: legacy destination ID (payload 63:48) left 0 per the current spec. */
static inline void riscv_iommu_cmd_ats_prgr(struct riscv_iommu_command *cmd, uint32_t did,
					    uint32_t prgi, enum riscv_iommu_prgr_code code)
{
	riscv_iommu_cmd_ats(cmd, RISCV_IOMMU_CMD_ATS_FUNC_PRGR, did,
			    riscv_iommu_prgr_payload(prgi, code));
}

static inline void riscv_iommu_cmd_ats_inval(struct riscv_iommu_command *cmd, uint32_t did,
					     uint64_t payload)
{
	riscv_iommu_cmd_ats(cmd, RISCV_IOMMU_CMD_ATS_FUNC_INVAL, did, payload);
}

/* ---- §11 fault-queue record ---------------------------------------------- */

struct riscv_iommu_fq_record {
	uint64_t hdr;
	uint64_t _reserved; /* 95:64 custom, 127:96 reserved */
	uint64_t iotval;
	uint64_t iotval2;
};
_Static_assert(sizeof(struct riscv_iommu_fq_record) == RISCV_IOMMU_FQ_ENTRY_SIZE,
	       "FQ record is 32 bytes");

#define RISCV_IOMMU_FQ_HDR_CAUSE  RV_GENMASK(11, 0)
#define RISCV_IOMMU_FQ_HDR_PID    RV_GENMASK(31, 12)
#define RISCV_IOMMU_FQ_HDR_PV     RV_BIT(32)
#define RISCV_IOMMU_FQ_HDR_PRIV   RV_BIT(33)
#define RISCV_IOMMU_FQ_HDR_TTYP   RV_GENMASK(39, 34)
#define RISCV_IOMMU_FQ_HDR_DID    RV_GENMASK(63, 40)

/*
 * §11.2 CAUSE codes: X(code, NAME, "description"). The enum and the name
 * table are generated from this list so they cannot drift apart.
 */
#define RISCV_IOMMU_FQ_CAUSES(X)                                                       \
	X(1,   INST_FAULT,         "instruction access fault")                       \
	X(4,   RD_ADDR_MISALIGNED, "read address misaligned")                        \
	X(5,   RD_FAULT,           "read access fault")                              \
	X(6,   WR_ADDR_MISALIGNED, "write/AMO address misaligned")                   \
	X(7,   WR_FAULT,           "write/AMO access fault")                         \
	X(12,  INST_FAULT_S,       "instruction page fault")                         \
	X(13,  RD_FAULT_S,         "read page fault")                                \
	X(15,  WR_FAULT_S,         "write/AMO page fault")                           \
	X(20,  INST_FAULT_VS,      "instruction guest-page fault")                   \
	X(21,  RD_FAULT_VS,        "read guest-page fault")                          \
	X(23,  WR_FAULT_VS,        "write/AMO guest-page fault")                     \
	X(256, DMA_DISABLED,       "all inbound transactions disallowed")            \
	X(257, DDT_LOAD_FAULT,     "DDT entry load access fault")                    \
	X(258, DDT_INVALID,        "DDT entry not valid")                            \
	X(259, DDT_MISCONFIGURED,  "DDT entry misconfigured")                        \
	X(260, TTYP_BLOCKED,       "transaction type disallowed")                    \
	X(261, MSI_LOAD_FAULT,     "MSI PTE load access fault")                      \
	X(262, MSI_INVALID,        "MSI PTE not valid")                              \
	X(263, MSI_MISCONFIGURED,  "MSI PTE misconfigured")                          \
	X(264, MRIF_FAULT,         "MRIF access fault")                              \
	X(265, PDT_LOAD_FAULT,     "PDT entry load access fault")                    \
	X(266, PDT_INVALID,        "PDT entry not valid")                            \
	X(267, PDT_MISCONFIGURED,  "PDT entry misconfigured")                        \
	X(268, DDT_CORRUPTED,      "DDT data corruption")                            \
	X(269, PDT_CORRUPTED,      "PDT data corruption")                            \
	X(270, MSI_PT_CORRUPTED,   "MSI PT data corruption")                         \
	X(271, MRIF_CORRUPTED,    "MSI MRIF data corruption")                       \
	X(272, INTERNAL_DP_ERROR,  "internal data path error")                       \
	X(273, MSI_WR_FAULT,       "IOMMU MSI write access fault")                   \
	X(274, PT_CORRUPTED,       "first/second-stage PT data corruption")

enum riscv_iommu_fq_cause {
#define RISCV_IOMMU_FQ_CAUSE_ENUM(code, name, desc) RISCV_IOMMU_FQ_CAUSE_##name = code,
	RISCV_IOMMU_FQ_CAUSES(RISCV_IOMMU_FQ_CAUSE_ENUM)
#undef RISCV_IOMMU_FQ_CAUSE_ENUM
};

/* §11.1 TTYP: X(code, NAME, "description") */
#define RISCV_IOMMU_FQ_TTYPES(X)                                                        \
	X(0, NONE,            "none")                                                 \
	X(1, UADDR_INST_FETCH, "untranslated read for execute")                       \
	X(2, UADDR_RD,        "untranslated read")                                    \
	X(3, UADDR_WR,        "untranslated write/AMO")                               \
	X(5, TADDR_INST_FETCH, "translated read for execute")                         \
	X(6, TADDR_RD,        "translated read")                                      \
	X(7, TADDR_WR,        "translated write/AMO")                                 \
	X(8, PCIE_ATS_REQ,    "PCIe ATS translation request")                         \
	X(9, PCIE_MSG_REQ,    "PCIe message request")

enum riscv_iommu_fq_ttyp {
#define RISCV_IOMMU_FQ_TTYP_ENUM(code, name, desc) RISCV_IOMMU_FQ_TTYP_##name = code,
	RISCV_IOMMU_FQ_TTYPES(RISCV_IOMMU_FQ_TTYP_ENUM)
#undef RISCV_IOMMU_FQ_TTYP_ENUM
};

/* ---- §12 page-request-queue record ------------------------------------- */

struct riscv_iommu_pq_record {
	uint64_t hdr;
	uint64_t payload;
};
_Static_assert(sizeof(struct riscv_iommu_pq_record) == RISCV_IOMMU_PQ_ENTRY_SIZE,
	       "PQ record is 16 bytes");

#define RISCV_IOMMU_PQ_HDR_PID      RV_GENMASK(31, 12)
#define RISCV_IOMMU_PQ_HDR_PV       RV_BIT(32)
#define RISCV_IOMMU_PQ_HDR_PRIV     RV_BIT(33)
#define RISCV_IOMMU_PQ_HDR_EXEC     RV_BIT(34)
#define RISCV_IOMMU_PQ_HDR_DID      RV_GENMASK(63, 40)
#define RISCV_IOMMU_PQ_HDR_RESERVED (RV_GENMASK(11, 0) | RV_GENMASK(39, 35))
#define RISCV_IOMMU_PQ_PAYLOAD_R    RV_BIT(0)
#define RISCV_IOMMU_PQ_PAYLOAD_W    RV_BIT(1)
#define RISCV_IOMMU_PQ_PAYLOAD_L    RV_BIT(2)
#define RISCV_IOMMU_PQ_PAYLOAD_PRGI RV_GENMASK(11, 3)
#define RISCV_IOMMU_PQ_PAYLOAD_ADDR RV_GENMASK(63, 12)

/* ---- §15 device context ------------------------------------------------------ */

struct riscv_iommu_dc {
	uint64_t tc;
	uint64_t iohgatp;
	uint64_t ta;
	uint64_t fsc;
	/* extended format (capabilities.MSI_FLAT = 1) only */
	uint64_t msiptp;
	uint64_t msi_addr_mask;
	uint64_t msi_addr_pattern;
	uint64_t _reserved;
};

#define RISCV_IOMMU_DC_SIZE_BASE 32u
#define RISCV_IOMMU_DC_SIZE_EXT  64u

#define RISCV_IOMMU_DC_TC_V       RV_BIT(0)
#define RISCV_IOMMU_DC_TC_EN_ATS  RV_BIT(1)
#define RISCV_IOMMU_DC_TC_EN_PRI  RV_BIT(2)
#define RISCV_IOMMU_DC_TC_T2GPA   RV_BIT(3)
#define RISCV_IOMMU_DC_TC_DTF     RV_BIT(4)
#define RISCV_IOMMU_DC_TC_PDTV    RV_BIT(5)
#define RISCV_IOMMU_DC_TC_PRPR    RV_BIT(6)
#define RISCV_IOMMU_DC_TC_GADE    RV_BIT(7)
#define RISCV_IOMMU_DC_TC_SADE    RV_BIT(8)
#define RISCV_IOMMU_DC_TC_DPE     RV_BIT(9)
#define RISCV_IOMMU_DC_TC_SBE     RV_BIT(10)
#define RISCV_IOMMU_DC_TC_SXL     RV_BIT(11)

#define RISCV_IOMMU_DC_IOHGATP_PPN   RV_GENMASK(43, 0)
#define RISCV_IOMMU_DC_IOHGATP_GSCID RV_GENMASK(59, 44)
#define RISCV_IOMMU_DC_IOHGATP_MODE  RV_GENMASK(63, 60)

#define RISCV_IOMMU_DC_TA_PSCID      RV_GENMASK(31, 12)

#define RISCV_IOMMU_DC_FSC_PPN       RV_GENMASK(43, 0)
#define RISCV_IOMMU_DC_FSC_MODE      RV_GENMASK(63, 60)

enum riscv_iommu_atp_mode {
	RISCV_IOMMU_ATP_MODE_BARE = 0,
	RISCV_IOMMU_ATP_MODE_SV39 = 8,
	RISCV_IOMMU_ATP_MODE_SV48 = 9,
	RISCV_IOMMU_ATP_MODE_SV57 = 10,
};

#define RISCV_IOMMU_PSCID_BITS 20u

/* ---- §16 process directory (DC.tc.PDTV = 1: DC.fsc is pdtp) ---------------- */

enum riscv_iommu_pdtp_mode {
	RISCV_IOMMU_PDTP_MODE_BARE = 0,
	RISCV_IOMMU_PDTP_MODE_PD8 = 1,
	RISCV_IOMMU_PDTP_MODE_PD17 = 2,
	RISCV_IOMMU_PDTP_MODE_PD20 = 3,
};

/* non-leaf PDT entry: V, PPN of the next table (reserved 9:1, 63:54) */
#define RISCV_IOMMU_PDTE_V     RV_BIT(0)
#define RISCV_IOMMU_PDTE_PPN   RV_GENMASK(53, 10)
#define RISCV_IOMMU_PDT_NL_ENTRIES 512u
#define RISCV_IOMMU_PDT_PCS    256u   /* process contexts per leaf table */

/* Process context (16 bytes): ta then fsc (an iosatp). */
struct riscv_iommu_pc {
	uint64_t ta;
	uint64_t fsc;
};

#define RISCV_IOMMU_PC_TA_V     RV_BIT(0)
#define RISCV_IOMMU_PC_TA_ENS   RV_BIT(1)
#define RISCV_IOMMU_PC_TA_SUM   RV_BIT(2)
#define RISCV_IOMMU_PC_TA_PSCID RV_GENMASK(31, 12)
#define RISCV_IOMMU_PC_FSC_PPN  RV_GENMASK(43, 0)
#define RISCV_IOMMU_PC_FSC_MODE RV_GENMASK(63, 60)

/* process_id bits a pdtp.MODE resolves: 8, 17, 20 */
static inline unsigned int riscv_iommu_pdt_pid_bits(unsigned int mode)
{
	return mode == RISCV_IOMMU_PDTP_MODE_PD8 ? 8u : mode == RISCV_IOMMU_PDTP_MODE_PD17 ? 17u :
	       mode == RISCV_IOMMU_PDTP_MODE_PD20 ? 20u : 0u;
}

/* PDI[level] of a process_id: [7:0], [16:8], [19:17] */
static inline uint32_t riscv_iommu_pdt_pdi(uint32_t pid, unsigned int level)
{
	return level == 0 ? pid & 0xFFu : level == 1 ? (pid >> 8) & 0x1FFu : (pid >> 17) & 0x7u;
}

/* ---- §17 Sv39 page-table entries (RISC-V privileged spec) ------------------ */

#define RISCV_IOMMU_PTE_V    RV_BIT(0)
#define RISCV_IOMMU_PTE_R    RV_BIT(1)
#define RISCV_IOMMU_PTE_W    RV_BIT(2)
#define RISCV_IOMMU_PTE_X    RV_BIT(3)
#define RISCV_IOMMU_PTE_U    RV_BIT(4)
#define RISCV_IOMMU_PTE_G    RV_BIT(5)
#define RISCV_IOMMU_PTE_A    RV_BIT(6)
#define RISCV_IOMMU_PTE_D    RV_BIT(7)
#define RISCV_IOMMU_PTE_PPN  RV_GENMASK(53, 10)
#define RISCV_IOMMU_PTE_LEAF (RISCV_IOMMU_PTE_R | RISCV_IOMMU_PTE_W | RISCV_IOMMU_PTE_X)

#define RISCV_IOMMU_SV39_LEVELS    3u
#define RISCV_IOMMU_SV39_VA_BITS   39u
#define RISCV_IOMMU_PTES_PER_TABLE 512u

/* ---- PCIe extended capabilities used by the driver (pcie-pri.md §5, §7.1) -- */

#define PCI_EXT_CAP_START        0x100u
#define PCI_EXT_CAP_ID(hdr)      ((hdr) & 0xFFFFu)
#define PCI_EXT_CAP_NEXT(hdr)    (((hdr) >> 20) & 0xFFCu)
#define PCI_EXT_CAP_ID_ATS       0x0Fu
#define PCI_EXT_CAP_ID_PRI       0x13u

#define PCI_ATS_CAP              0x04u /* 16 */
#define PCI_ATS_CTRL             0x06u /* 16 */
#define PCI_ATS_CTRL_ENABLE      (1u << 15)
#define PCI_ATS_CTRL_STU(x)      ((x) & 0x1Fu)

#define PCI_EXT_CAP_ID_PASID     0x1Bu

#define PCI_PASID_CAP            0x04u /* 16 */
#define PCI_PASID_CAP_EXEC       (1u << 1)
#define PCI_PASID_CAP_PRIV       (1u << 2)
#define PCI_PASID_MAX_WIDTH(cap) (((cap) >> 8) & 0x1Fu)
#define PCI_PASID_CTRL           0x06u /* 16 */
#define PCI_PASID_CTRL_ENABLE    (1u << 0)

#define PCI_PRI_CTRL             0x04u /* 16 */
#define PCI_PRI_CTRL_ENABLE      (1u << 0)
#define PCI_PRI_CTRL_RESET       (1u << 1)
#define PCI_PRI_STATUS           0x06u /* 16 */
#define PCI_PRI_STATUS_RF        (1u << 0)
#define PCI_PRI_STATUS_UPRGI     (1u << 1)
#define PCI_PRI_STATUS_STOPPED   (1u << 8)
#define PCI_PRI_STATUS_PASID     (1u << 15) /* PRG Response PASID Required */
#define PCI_PRI_MAX_REQ          0x08u /* 32, Outstanding Page Request Capacity */
#define PCI_PRI_ALLOC_REQ        0x0Cu /* 32, Outstanding Page Request Allocation */

#endif /* PRISIM_DRIVERS_RISCV_IOMMU_BITS_H */
