// SPDX-License-Identifier: Apache-2.0
//
// RISC-V IOMMU 1.0 architectural constants: register offsets, register and
// in-memory structure bit fields, fault causes, transaction types, command
// encodings (spec digest riscv-iommu.md §2-§17). Names follow the spec and
// Linux drivers/iommu/riscv/iommu-bits.h.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace prisim::iommu {

// "0x..." for messages.
inline std::string hex(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

constexpr uint64_t bit(unsigned n) { return uint64_t(1) << n; }
// Mask of bits hi:lo (inclusive).
constexpr uint64_t bits(unsigned hi, unsigned lo)
{
    return (hi - lo + 1 >= 64 ? ~uint64_t(0) : ((uint64_t(1) << (hi - lo + 1)) - 1)) << lo;
}
constexpr uint64_t field(uint64_t v, unsigned hi, unsigned lo) { return (v & bits(hi, lo)) >> lo; }

// ---- register map (§2) ----
enum reg_offset : uint32_t {
    REG_CAPABILITIES = 0x000,
    REG_FCTL = 0x008,
    REG_DDTP = 0x010,
    REG_CQB = 0x018,
    REG_CQH = 0x020,
    REG_CQT = 0x024,
    REG_FQB = 0x028,
    REG_FQH = 0x030,
    REG_FQT = 0x034,
    REG_PQB = 0x038,
    REG_PQH = 0x040,
    REG_PQT = 0x044,
    REG_CQCSR = 0x048,
    REG_FQCSR = 0x04C,
    REG_PQCSR = 0x050,
    REG_IPSR = 0x054,
    REG_ICVEC = 0x2F8,
    REG_MSI_CFG_TBL = 0x300, // 16 entries of 16 bytes
    REG_MSI_CFG_END = 0x400,
    REG_PAGE_SIZE = 0x1000,
};
constexpr unsigned MSI_VECTORS = 16;

// ---- capabilities (§3) ----
constexpr uint64_t CAP_VERSION_1_0 = 0x10;
constexpr uint64_t CAP_SV39 = bit(9);
constexpr uint64_t CAP_SV48 = bit(10); // requires Sv39
constexpr uint64_t CAP_SV57 = bit(11); // requires Sv48
// G-stage modes iohgatp.MODE may select (§3, §15.3).
constexpr uint64_t CAP_SV39X4 = bit(17);
constexpr uint64_t CAP_SV48X4 = bit(18);
constexpr uint64_t CAP_SV57X4 = bit(19);
constexpr uint64_t CAP_MSI_FLAT = bit(22); // also selects the 64-byte extended DC
// Process-directory modes pdtp.MODE may select (§16).
constexpr uint64_t CAP_PD8 = bit(38);
constexpr uint64_t CAP_PD17 = bit(39);
constexpr uint64_t CAP_PD20 = bit(40);
constexpr uint64_t CAP_AMO_HWAD = bit(24); // hardware A/D updates (DC.tc.SADE/GADE allowed)
constexpr uint64_t CAP_ATS = bit(25);
constexpr uint64_t CAP_T2GPA = bit(26); // DC.tc.T2GPA allowed: ATS completions return GPAs
constexpr unsigned CAP_IGS_SHIFT = 28; // 0 = MSI only
constexpr uint64_t CAP_IGS = bits(29, 28);
enum igs_value : unsigned { IGS_MSI = 0, IGS_WSI = 1, IGS_BOTH = 2 };
constexpr uint32_t FCTL_WSI = 1u << 1; // §4: wired interrupts
constexpr unsigned CAP_PAS_SHIFT = 32;
constexpr uint64_t CAP_PAS = bits(37, 32);
constexpr uint64_t CAP_VERSION = bits(7, 0);

// ---- page-request queue overflow policy (pcie-pri.md §9) ----
// The overflow behaviour of an IOMMU family, mapped onto pqcsr.pqof (the
// indication) and its W1C (the acknowledgement). riscv and smmuv3 differ
// only in the driver's recovery; vtd sends no auto-response.
enum class pq_overflow_policy : unsigned { riscv = 0, smmuv3 = 1, vtd = 2 };

// ---- ddtp (§5) ----
enum ddtp_mode : unsigned { DDTP_OFF = 0, DDTP_BARE = 1, DDTP_1LVL = 2, DDTP_2LVL = 3, DDTP_3LVL = 4 };
constexpr uint64_t DDTP_MODE = bits(3, 0);
constexpr uint64_t DDTP_BUSY = bit(4);
constexpr unsigned DDTP_PPN_SHIFT = 10;
constexpr uint64_t DDTP_PPN = bits(53, 10);

// ---- device directory (§5, §15.1) ----
// Non-leaf DDT entry: V, PPN of the next-level table.
constexpr uint64_t DDTE_V = bit(0);
constexpr uint64_t DDTE_PPN = bits(53, 10);
constexpr uint64_t DDTE_RESERVED = bits(9, 1) | bits(63, 54);
// device_id bits a ddtp mode resolves (§5): base format 7/16/24, extended
// (MSI_FLAT) 6/15/24; 0 for Off, Bare and the reserved modes.
constexpr unsigned ddt_did_bits(unsigned mode, bool ext)
{
    switch (mode) {
    case DDTP_1LVL: return ext ? 6 : 7;
    case DDTP_2LVL: return ext ? 15 : 16;
    case DDTP_3LVL: return 24;
    default: return 0;
    }
}
// Levels of the directory walk for a ddtp mode (1LVL: 1).
constexpr unsigned ddt_levels(unsigned mode) { return mode >= DDTP_1LVL ? mode - DDTP_1LVL + 1 : 0; }
// DDI[level] of a device_id (§15.1): base 6:0 / 15:7 / 23:16, extended 5:0 /
// 14:6 / 23:15.
constexpr uint32_t ddt_ddi(uint32_t did, unsigned level, bool ext)
{
    const unsigned lo0 = ext ? 6 : 7; // width of DDI[0]
    if (level == 0)
        return did & ((1u << lo0) - 1);
    if (level == 1)
        return (did >> lo0) & 0x1FF;
    return (did >> (lo0 + 9)) & ((1u << (24 - lo0 - 9)) - 1);
}

// ---- queue base registers cqb/fqb/pqb (§6.1) ----
constexpr uint64_t QB_LOG2SZM1 = bits(4, 0);
constexpr unsigned QB_PPN_SHIFT = 10;
constexpr uint64_t QB_PPN = bits(53, 10);

// ---- queue CSRs (§7) ----
constexpr uint32_t CQCSR_CQEN = 1u << 0;
constexpr uint32_t CQCSR_CIE = 1u << 1;
constexpr uint32_t CQCSR_CQMF = 1u << 8;
constexpr uint32_t CQCSR_CMD_TO = 1u << 9;
constexpr uint32_t CQCSR_CMD_ILL = 1u << 10;
constexpr uint32_t CQCSR_FENCE_W_IP = 1u << 11;
constexpr uint32_t CQCSR_ERRORS = CQCSR_CQMF | CQCSR_CMD_TO | CQCSR_CMD_ILL;
constexpr uint32_t FQCSR_FQEN = 1u << 0;
constexpr uint32_t FQCSR_FIE = 1u << 1;
constexpr uint32_t FQCSR_FQMF = 1u << 8;
constexpr uint32_t FQCSR_FQOF = 1u << 9;
constexpr uint32_t FQCSR_ERRORS = FQCSR_FQMF | FQCSR_FQOF;
constexpr uint32_t PQCSR_PQEN = 1u << 0;
constexpr uint32_t PQCSR_PIE = 1u << 1;
constexpr uint32_t PQCSR_PQMF = 1u << 8;
constexpr uint32_t PQCSR_PQOF = 1u << 9;
constexpr uint32_t PQCSR_ERRORS = PQCSR_PQMF | PQCSR_PQOF;
constexpr uint32_t XQCSR_ON = 1u << 16;
constexpr uint32_t XQCSR_BUSY = 1u << 17;
// Bits of pqcsr defined by the spec (everything else reads 0).
constexpr uint32_t PQCSR_DEFINED =
    PQCSR_PQEN | PQCSR_PIE | PQCSR_PQMF | PQCSR_PQOF | XQCSR_ON | XQCSR_BUSY;

// ---- ipsr and icvec (§8) ----
constexpr uint32_t IPSR_CIP = 1u << 0;
constexpr uint32_t IPSR_FIP = 1u << 1;
constexpr uint32_t IPSR_PMIP = 1u << 2;
constexpr uint32_t IPSR_PIP = 1u << 3;
enum icvec_field : unsigned { ICVEC_CIV = 0, ICVEC_FIV = 4, ICVEC_PMIV = 8, ICVEC_PIV = 12 };
constexpr uint64_t ICVEC_WRITABLE = 0xFFFF; // 4 bits per field: 16 vectors

// ---- msi_cfg_tbl (§8.3) ----
constexpr uint64_t MSI_ADDR_MASK = bits(55, 2);
constexpr uint32_t MSI_VEC_CTL_M = 1u << 0;

// ---- fault causes (§11.2) ----
enum fault_cause : uint16_t {
    CAUSE_INSN_ACCESS_FAULT = 1,
    CAUSE_READ_ACCESS_FAULT = 5,
    CAUSE_WRITE_ACCESS_FAULT = 7,
    CAUSE_INSN_PAGE_FAULT = 12,
    CAUSE_READ_PAGE_FAULT = 13,
    CAUSE_WRITE_PAGE_FAULT = 15,
    CAUSE_INSN_GUEST_PAGE_FAULT = 20,
    CAUSE_READ_GUEST_PAGE_FAULT = 21,
    CAUSE_WRITE_GUEST_PAGE_FAULT = 23,
    CAUSE_ALL_INBOUND_DISALLOWED = 256,
    CAUSE_DDT_LOAD_FAULT = 257,
    CAUSE_DDT_INVALID = 258,
    CAUSE_DDT_MISCONFIGURED = 259,
    CAUSE_TTYPE_DISALLOWED = 260,
    CAUSE_PDT_LOAD_FAULT = 265,
    CAUSE_PDT_INVALID = 266,
    CAUSE_PDT_MISCONFIGURED = 267,
    CAUSE_DDT_CORRUPTION = 268, // a DDT entry or DC load returned poisoned data
    CAUSE_PDT_CORRUPTION = 269,
    CAUSE_MSI_WRITE_FAULT = 273,
    CAUSE_PT_CORRUPTION = 274, // first- or second-stage page-table data
};
// Causes still reported when DC.tc.DTF = 1 (§11.2 "Reported if DTF = 1").
constexpr bool cause_ignores_dtf(unsigned cause)
{
    return (cause >= 256 && cause <= 259) || cause == 268 || cause == 272 || cause == 273;
}

// ---- transaction types (§11.1) ----
enum ttyp : uint8_t {
    TTYP_NONE = 0,
    TTYP_UNTRANSLATED_EXEC = 1,
    TTYP_UNTRANSLATED_READ = 2,
    TTYP_UNTRANSLATED_WRITE = 3,
    TTYP_TRANSLATED_EXEC = 5,
    TTYP_TRANSLATED_READ = 6,
    TTYP_TRANSLATED_WRITE = 7,
    TTYP_ATS_TRANSLATION = 8,
    TTYP_MESSAGE = 9,
};
constexpr uint64_t MSG_CODE_PAGE_REQUEST = 0x04; // iotval of TTYP 9 faults

// ---- in-memory records ----
// Fault record (§11), 32 bytes, little-endian doublewords.
struct fault_record {
    uint64_t hdr;      // 11:0 CAUSE, 31:12 PID, 32 PV, 33 PRIV, 39:34 TTYP, 63:40 DID
    uint64_t custom;   // 95:64 custom, 127:96 reserved
    uint64_t iotval;
    uint64_t iotval2;
};
static_assert(sizeof(fault_record) == 32, "fault record is 32 bytes");

inline uint64_t fault_hdr(unsigned cause, unsigned ttyp, uint32_t did, bool pv, uint32_t pid,
                          bool priv)
{
    return (uint64_t(cause) & 0xFFF) | (uint64_t(pid & 0xFFFFF) << 12) | (uint64_t(pv) << 32) |
           (uint64_t(priv) << 33) | (uint64_t(ttyp & 0x3F) << 34) |
           (uint64_t(did & 0xFFFFFF) << 40);
}

// Page-request record (§12), 16 bytes: written by rtl/pq_writer.
struct pq_record {
    uint64_t hdr;     // 31:12 PID, 32 PV, 33 PRIV, 34 EXEC, 63:40 DID
    uint64_t payload; // R 0, W 1, L 2, PRGI 11:3, page 63:12
};
static_assert(sizeof(pq_record) == 16, "PQ record is 16 bytes");

// Command (§10), 16 bytes.
struct command {
    uint64_t dw0;
    uint64_t dw1;
};
static_assert(sizeof(command) == 16, "command is 16 bytes");

// Device context (§15.1): the base format is the first 32 bytes
// (capabilities.MSI_FLAT = 0); the extended format (MSI_FLAT = 1) all 64.
struct device_context {
    uint64_t tc;
    uint64_t iohgatp;
    uint64_t ta;
    uint64_t fsc;
    uint64_t msiptp;           // extended format only
    uint64_t msi_addr_mask;    // extended format only
    uint64_t msi_addr_pattern; // extended format only
    uint64_t reserved;         // extended format only
};
static_assert(sizeof(device_context) == 64, "extended-format DC is 64 bytes");

constexpr unsigned CQ_ENTRY_SIZE = 16;
constexpr unsigned FQ_ENTRY_SIZE = 32;
constexpr unsigned PQ_ENTRY_SIZE = 16;
constexpr unsigned DC_SIZE_BASE = 32;
constexpr unsigned DC_SIZE_EXT = 64;

// ---- DC.tc (§15.2) ----
constexpr uint64_t TC_V = bit(0);
constexpr uint64_t TC_EN_ATS = bit(1);
constexpr uint64_t TC_EN_PRI = bit(2);
constexpr uint64_t TC_T2GPA = bit(3);
constexpr uint64_t TC_DTF = bit(4);
constexpr uint64_t TC_PDTV = bit(5);
constexpr uint64_t TC_PRPR = bit(6);
constexpr uint64_t TC_GADE = bit(7);
constexpr uint64_t TC_SADE = bit(8);
constexpr uint64_t TC_DPE = bit(9);
constexpr uint64_t TC_SBE = bit(10);
constexpr uint64_t TC_SXL = bit(11);
constexpr uint64_t TC_RESERVED = bits(23, 12) | bits(63, 32);

// ---- DC.iohgatp, DC.ta, DC.fsc (§15.3) ----
constexpr unsigned ATP_MODE_SHIFT = 60;
constexpr uint64_t ATP_PPN = bits(43, 0);
constexpr uint64_t IOHGATP_GSCID = bits(59, 44);
constexpr uint64_t IOSATP_RESERVED = bits(59, 44);
enum atp_mode : unsigned { ATP_BARE = 0, ATP_SV39 = 8, ATP_SV48 = 9, ATP_SV57 = 10 };
// Levels of a first-stage mode (Sv39 3, Sv48 4, Sv57 5; §17); 0 if not a paged mode.
constexpr unsigned atp_levels(unsigned mode)
{
    return mode == ATP_SV39 ? 3 : mode == ATP_SV48 ? 4 : mode == ATP_SV57 ? 5 : 0;
}
// iohgatp.MODE with fctl.GXL = 0 (§15.3): Bare, Sv39x4, Sv48x4, Sv57x4
// (the same encodings as iosatp's Sv39/Sv48/Sv57).
enum iohgatp_mode : unsigned { IOHGATP_BARE = 0, IOHGATP_SV39X4 = 8, IOHGATP_SV48X4 = 9, IOHGATP_SV57X4 = 10 };
// GPA bits of a G-stage mode (privileged spec, hypervisor extension):
// 41, 50, 59 = the first-stage VA width plus the 2 extra bits of the
// 16 KiB root table's index; 0 if not a paged mode.
constexpr unsigned gpa_bits(unsigned mode)
{
    return mode == IOHGATP_SV39X4 ? 41 : mode == IOHGATP_SV48X4 ? 50 : mode == IOHGATP_SV57X4 ? 59 : 0;
}
// iotval2 of a guest-page fault (§11.1): bits 63:2 = GPA >> 2, bit 0 =
// caused by an implicit access for first-stage translation, bit 1 = that
// implicit access was a write.
constexpr uint64_t IOTVAL2_IMPLICIT = bit(0);
constexpr uint64_t IOTVAL2_IMPLICIT_WRITE = bit(1);
// DC.fsc with PDTV = 1 is pdtp (§15.3): MODE 63:60, PPN 43:0.
enum pdtp_mode : unsigned { PDTP_BARE = 0, PDTP_PD8 = 1, PDTP_PD17 = 2, PDTP_PD20 = 3 };
// Levels of a process directory (§16): PD8 1, PD17 2, PD20 3; 0 for Bare.
constexpr unsigned pdt_levels(unsigned mode) { return mode <= PDTP_PD20 ? mode : 0; }
// The widest process_id a mode resolves: 8, 17 or 20 bits.
constexpr unsigned pdt_pid_bits(unsigned mode)
{
    return mode == PDTP_PD8 ? 8 : mode == PDTP_PD17 ? 17 : mode == PDTP_PD20 ? 20 : 0;
}
// PDI[i] of a process_id (§16): 7:0, 16:8, 19:17.
constexpr unsigned pdt_pdi(uint32_t pid, unsigned level)
{
    return level == 0 ? pid & 0xFF : level == 1 ? (pid >> 8) & 0x1FF : (pid >> 17) & 0x7;
}
// Non-leaf PDT entry (§16): V 0, PPN 53:10, the rest reserved.
constexpr uint64_t PDTE_V = bit(0);
constexpr uint64_t PDTE_RESERVED = bits(9, 1) | bits(63, 54);
// Process context (§16): ta = V 0, ENS 1, SUM 2, PSCID 31:12; fsc = iosatp.
constexpr uint64_t PC_TA_V = bit(0);
constexpr uint64_t PC_TA_ENS = bit(1);
constexpr uint64_t PC_TA_SUM = bit(2);
constexpr uint64_t PC_TA_RESERVED = bits(11, 3) | bits(63, 32);
constexpr uint64_t TA_PSCID = bits(31, 12);
constexpr uint64_t TA_RCID = bits(51, 40);
constexpr uint64_t TA_MCID = bits(63, 52);
// With capabilities.QOSID = 0, RCID and MCID are reserved too (QoS ID extension).
constexpr uint64_t TA_RESERVED = bits(11, 0) | bits(39, 32) | TA_RCID | TA_MCID;
// Extended-format fields (§15.3): msiptp MODE 63:60 (0 Off, 1 Flat), PPN
// 43:0; msi_addr_mask / msi_addr_pattern bits 51:0.
enum msiptp_mode : unsigned { MSIPTP_OFF = 0, MSIPTP_FLAT = 1 };
constexpr uint64_t MSIPTP_RESERVED = bits(59, 44);
constexpr uint64_t MSI_ADDR_RESERVED = bits(63, 52);

// ---- Sv39/Sv48/Sv57 PTE (§17, privileged spec) ----
constexpr uint64_t PTE_V = bit(0);
constexpr uint64_t PTE_R = bit(1);
constexpr uint64_t PTE_W = bit(2);
constexpr uint64_t PTE_X = bit(3);
constexpr uint64_t PTE_U = bit(4);
constexpr uint64_t PTE_G = bit(5);
constexpr uint64_t PTE_A = bit(6);
constexpr uint64_t PTE_D = bit(7);
constexpr uint64_t PTE_PPN = bits(53, 10);
constexpr uint64_t PTE_RESERVED = bits(60, 54);
constexpr uint64_t PTE_PBMT = bits(62, 61); // Svpbmt not implemented: reserved
constexpr uint64_t PTE_N = bit(63);         // Svnapot (mandatory)

// ---- commands (§10) ----
enum cmd_opcode : unsigned {
    CMD_IOTINVAL = 1,
    CMD_IOFENCE = 2,
    CMD_IODIR = 3,
    CMD_ATS = 4,
};
enum cmd_func3 : unsigned {
    IOTINVAL_VMA = 0,
    IOTINVAL_GVMA = 1,
    IOFENCE_C = 0,
    IODIR_INVAL_DDT = 0,
    IODIR_INVAL_PDT = 1,
    ATS_INVAL = 0,
    ATS_PRGR = 1,
};
constexpr uint64_t CMD_OPCODE = bits(6, 0);
constexpr unsigned CMD_FUNC3_SHIFT = 7;
constexpr uint64_t CMD_FUNC3 = bits(9, 7);
// IOTINVAL (§10.2), dw0 / dw1
constexpr uint64_t IOTINVAL_AV = bit(10);
constexpr uint64_t IOTINVAL_PSCID = bits(31, 12);
constexpr uint64_t IOTINVAL_PSCV = bit(32);
constexpr uint64_t IOTINVAL_GV = bit(33);
constexpr uint64_t IOTINVAL_NL = bit(34);
constexpr uint64_t IOTINVAL_GSCID = bits(59, 44);
constexpr uint64_t IOTINVAL_RSVD0 = bit(11) | bits(43, 35) | bits(63, 60);
constexpr uint64_t IOTINVAL_S = bit(9);             // bit 73
constexpr uint64_t IOTINVAL_ADDR = bits(61, 10);    // bits 125:74 = ADDR[63:12]
constexpr uint64_t IOTINVAL_RSVD1 = bits(8, 0) | bits(63, 62);
// IOFENCE.C (§10.3)
constexpr uint64_t IOFENCE_AV = bit(10);
constexpr uint64_t IOFENCE_WSI = bit(11);
constexpr uint64_t IOFENCE_PR = bit(12);
constexpr uint64_t IOFENCE_PW = bit(13);
constexpr uint64_t IOFENCE_RSVD0 = bits(31, 14);
constexpr uint64_t IOFENCE_ADDR = bits(61, 0);      // bits 125:64 = ADDR[63:2]
constexpr uint64_t IOFENCE_RSVD1 = bits(63, 62);
// IODIR (§10.4)
constexpr uint64_t IODIR_PID = bits(31, 12);
constexpr uint64_t IODIR_DV = bit(33);
constexpr uint64_t IODIR_RSVD0 = bits(11, 10) | bit(32) | bits(39, 34);
constexpr unsigned IODIR_DID_SHIFT = 40;
// ATS.INVAL / ATS.PRGR (§10.5)
constexpr uint64_t ATS_PID = bits(31, 12);
constexpr uint64_t ATS_PV = bit(32);
constexpr uint64_t ATS_DSV = bit(33);
constexpr uint64_t ATS_RSVD0 = bits(11, 10) | bits(39, 34);
constexpr unsigned ATS_RID_SHIFT = 40;
constexpr unsigned ATS_DSEG_SHIFT = 56;

} // namespace prisim::iommu
