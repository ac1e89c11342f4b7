// SPDX-License-Identifier: Apache-2.0
//
// Translation side of riscv_iommu: device-context lookup (DDT cache, §15),
// Sv39/Sv48/Sv57 first-stage walks (§17) with superpages, A/D faults or
// hardware updates (SADE), the IOTLB, ATS Translation Requests (§14),
// Translated and Untranslated DMA.
#include "iommu/riscv_iommu.h"

#include "common/endian.h"
#include "common/local_time.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace prisim::iommu {

namespace {

uint32_t device_id(const pcie::tlp_ext& ext)
{
    return ext.dsv ? (uint32_t(ext.dseg) << 16) | ext.rid : ext.rid;
}

const char* mode_name(unsigned mode)
{
    switch (mode) {
    case DDTP_1LVL: return "1LVL";
    case DDTP_2LVL: return "2LVL";
    case DDTP_3LVL: return "3LVL";
    default: return "?";
    }
}

// Fault lines logged per cause before the rest go to info level only.
constexpr uint64_t DDT_REPORTS_LOUD = 16;

} // namespace

// ============================ device context ============================

// §15.4 checks that apply to these capabilities (END = QOSID = 0; Sv48,
// Sv57, Sv39x4, Sv48x4, Sv57x4, AMO_HWAD, T2GPA, MSI_FLAT and
// PD8/PD17/PD20 optional).
// Returns the first rule the DC breaks (cause 259), or nullptr if it is well
// formed.
const char* riscv_iommu::check_dc(const device_context& dc) const
{
    const uint64_t tc = dc.tc;
    if (tc & TC_RESERVED)
        return "#1 tc reserved bits"; // bits 31:24 are custom and ignored
    if (!(tc & TC_EN_ATS) && (tc & (TC_T2GPA | TC_EN_PRI)))
        return "#3/#4 T2GPA or EN_PRI without EN_ATS";
    if (!(tc & TC_EN_PRI) && (tc & TC_PRPR))
        return "#5 PRPR without EN_PRI";
    if ((tc & TC_T2GPA) && !m_p.t2gpa)
        return "#6 T2GPA (capabilities.T2GPA = 0)";
    if ((tc & TC_T2GPA) && !(dc.iohgatp >> ATP_MODE_SHIFT))
        return "#7 T2GPA with iohgatp.MODE Bare";
    if ((tc & (TC_SADE | TC_GADE)) && !m_p.amo_hwad)
        return "#14 SADE/GADE (capabilities.AMO_HWAD = 0)";
    if (tc & TC_SBE)
        return "#15/#17 SBE (END = 0, fctl.BE = 0)";
    if (tc & TC_SXL)
        return "#16 SXL (fctl.GXL = 0, not writable)";
    const unsigned fsc_mode = unsigned(dc.fsc >> ATP_MODE_SHIFT);
    // With a G-stage, pdtp.PPN and iosatp.PPN are GPAs: the G-stage
    // translation bounds them, not PAS.
    const bool g = g_active(dc);
    if (dc.fsc & IOSATP_RESERVED)
        return "#1 fsc reserved bits";
    if (tc & TC_PDTV) {
        if (!(fsc_mode == PDTP_BARE || (fsc_mode == PDTP_PD8 && m_p.pd8) ||
              (fsc_mode == PDTP_PD17 && m_p.pd17) || (fsc_mode == PDTP_PD20 && m_p.pd20)))
            return "#8 pdtp.MODE (Bare, or PD8/PD17/PD20 as capabilities advertise)";
        if (!g && fsc_mode != PDTP_BARE && (dc.fsc & ATP_PPN) >> (m_p.pas - 12))
            return "pdtp.PPN beyond PAS"; // implementations may flag this
    } else {
        if (fsc_mode != ATP_BARE && fsc_mode != ATP_SV39 &&
            !(fsc_mode == ATP_SV48 && m_p.sv48) && !(fsc_mode == ATP_SV57 && m_p.sv57))
            return m_p.sv57   ? "#9 iosatp.MODE (Bare, Sv39, Sv48 or Sv57)"
                   : m_p.sv48 ? "#9 iosatp.MODE (Bare, Sv39 or Sv48; capabilities.Sv57 = 0)"
                              : "#9 iosatp.MODE (Bare or Sv39; capabilities.Sv48 = Sv57 = 0)";
        if (tc & TC_DPE)
            return "#10 DPE without PDTV";
        if (!g && fsc_mode != ATP_BARE && (dc.fsc & ATP_PPN) >> (m_p.pas - 12))
            return "iosatp.PPN beyond PAS"; // implementations may flag this
    }
    // iohgatp (§15.3): with MODE Bare its other fields are ignored.
    const unsigned g_mode = unsigned(dc.iohgatp >> ATP_MODE_SHIFT);
    if (g_mode != IOHGATP_BARE) {
        if (!((g_mode == IOHGATP_SV39X4 && m_p.sv39x4) || (g_mode == IOHGATP_SV48X4 && m_p.sv48x4) ||
              (g_mode == IOHGATP_SV57X4 && m_p.sv57x4)))
            return "#11 iohgatp.MODE (Bare, or Sv39x4/Sv48x4/Sv57x4 as capabilities advertise)";
        if (dc.iohgatp & 3)
            return "#13 iohgatp.PPN: G-stage root not 16 KiB aligned";
        if ((dc.iohgatp & ATP_PPN) >> (m_p.pas - 12))
            return "iohgatp.PPN beyond PAS"; // implementations may flag this
    }
    if (dc.ta & TA_RESERVED)
        return "#1 ta reserved bits (RCID/MCID included: QOSID = 0)";
    if (m_ext_dc) {
        // Extended format. With a Bare iohgatp msiptp.MODE should be Off
        // (§15.4, recommendation after #18); the model has no MSI page
        // tables, so it takes Off only under a G-stage too. Other modes
        // break #12.
        if ((dc.msiptp >> ATP_MODE_SHIFT) != MSIPTP_OFF)
            return g ? "msiptp.MODE not Off (MSI page tables are not implemented)"
                     : "#12 msiptp.MODE not Off (iohgatp is Bare)";
        if ((dc.msiptp & MSIPTP_RESERVED) || (dc.msi_addr_mask & MSI_ADDR_RESERVED) ||
            (dc.msi_addr_pattern & MSI_ADDR_RESERVED) || dc.reserved)
            return "#1 msiptp/msi_addr_mask/msi_addr_pattern/doubleword 7 reserved bits";
    }
    return nullptr;
}

void riscv_iommu::log_ddt_fault(uint32_t did, unsigned cause, const std::string& what)
{
    const unsigned k = cause >= CAUSE_DDT_LOAD_FAULT && cause <= CAUSE_TTYPE_DISALLOWED
                           ? cause - CAUSE_DDT_LOAD_FAULT
                           : 0;
    const uint64_t n = ++m_ddt_reports[k];
    std::string msg = "device_id " + hex(did) + ": " + what + " (cause " + std::to_string(cause) + ")";
    if (cause == CAUSE_DDT_INVALID || n > DDT_REPORTS_LOUD) {
        SC_REPORT_INFO(name(), msg.c_str());
        return;
    }
    if (n == DDT_REPORTS_LOUD)
        msg += "; further faults of this cause are logged at info level only";
    SC_REPORT_WARNING(name(), msg.c_str());
}

// §"Process to locate the Device-context": walk ddtp.iommu_mode's levels
// with DDI[i] of device_id (§15.1), then load and check the leaf DC. Every
// load is one memory access. Only the leaf DC is cached (lookup_dc).
riscv_iommu::dc_result riscv_iommu::walk_ddt(uint32_t did, sc_core::sc_time& t)
{
    dc_result r;
    const unsigned mode = m_ddtp & DDTP_MODE;
    const bool ext = m_ext_dc;
    uint64_t a = field(m_ddtp, 53, 10) << 12;
    for (unsigned level = ddt_levels(mode) - 1; level > 0; --level) {
        const uint64_t ea = a + uint64_t(ddt_ddi(did, level, ext)) * 8;
        unsigned char b[8];
        auto where = [&] {
            return std::string(mode_name(mode)) + " DDT level-" + std::to_string(level) +
                   " entry at " + hex(ea);
        };
        if (!mem_read(mem_target::ddt, did, ea, b, 8, t)) {
            // §11.2 cause 257: UR (§14), Response Failure to a Page Request
            // (§13.3); 268 for poisoned data
            const bool poison = poisoned(mem_target::ddt);
            r.cause = poison ? CAUSE_DDT_CORRUPTION : CAUSE_DDT_LOAD_FAULT;
            log_ddt_fault(did, r.cause, where() + (poison ? ": data corruption" : ": load access fault"));
            return r;
        }
        const uint64_t ddte = load_le(b);
        if (!(ddte & DDTE_V)) {
            r.cause = CAUSE_DDT_INVALID;
            log_ddt_fault(did, r.cause, where() + " not valid (" + hex(ddte) + ")");
            return r;
        }
        if (ddte & DDTE_RESERVED) {
            r.cause = CAUSE_DDT_MISCONFIGURED;
            log_ddt_fault(did, r.cause, where() + " " + hex(ddte) + " sets reserved bits " +
                                            hex(ddte & DDTE_RESERVED));
            return r;
        }
        a = field(ddte, 53, 10) << 12;
    }
    const unsigned size = dc_size();
    const uint64_t addr = a + uint64_t(ddt_ddi(did, 0, ext)) * size;
    auto where = [&] { return std::string(ext ? "extended" : "base") + "-format DC at " + hex(addr); };
    unsigned char b[DC_SIZE_EXT];
    if (!mem_read(mem_target::ddt, did, addr, b, size, t)) {
        const bool poison = poisoned(mem_target::ddt);
        r.cause = poison ? CAUSE_DDT_CORRUPTION : CAUSE_DDT_LOAD_FAULT;
        log_ddt_fault(did, r.cause, where() + (poison ? ": data corruption" : ": load access fault"));
        return r;
    }
    r.dc.tc = load_le(b);
    r.dc.iohgatp = load_le(b + 8);
    r.dc.ta = load_le(b + 16);
    r.dc.fsc = load_le(b + 24);
    if (ext) {
        r.dc.msiptp = load_le(b + 32);
        r.dc.msi_addr_mask = load_le(b + 40);
        r.dc.msi_addr_pattern = load_le(b + 48);
        r.dc.reserved = load_le(b + 56);
    }
    if (!(r.dc.tc & TC_V)) {
        r.cause = CAUSE_DDT_INVALID;
        log_ddt_fault(did, r.cause, where() + " not valid (tc " + hex(r.dc.tc) + ")");
        return r;
    }
    if (const char* rule = check_dc(r.dc)) {
        r.cause = CAUSE_DDT_MISCONFIGURED;
        log_ddt_fault(did, r.cause,
                      where() + " misconfigured (DC check " + rule + "; tc " + hex(r.dc.tc) +
                          " iohgatp " + hex(r.dc.iohgatp) + " ta " + hex(r.dc.ta) + " fsc " +
                          hex(r.dc.fsc) + (ext ? " msiptp " + hex(r.dc.msiptp) : std::string()) +
                          ")");
        return r;
    }
    return r;
}

unsigned riscv_iommu::lookup_dc(uint32_t did, device_context& dc, sc_core::sc_time& t)
{
    wait_cycles(m_p.ddtc_hit_cycles, t); // DDT cache lookup
    // Fully associative: the hint finds the usual slot at once, a scan the rest.
    uint32_t& hint = m_ddtc_hint[did & (m_ddtc_hint.size() - 1)];
    ddtc_entry* hit = nullptr;
    if (hint < m_ddtc.size() && m_ddtc[hint].valid && m_ddtc[hint].did == did) {
        hit = &m_ddtc[hint];
    } else {
        for (auto& e : m_ddtc) {
            if (e.valid && e.did == did) {
                hit = &e;
                hint = uint32_t(&e - m_ddtc.data());
                break;
            }
        }
    }
    if (hit) {
        ++m_st.ddtc_hits;
        hit->lru = ++m_lru_clock;
        dc = hit->dc;
        return 0;
    }
    ++m_st.ddtc_misses;
    const dc_result r = walk_ddt(did, t);
    dc = r.dc;
    if (r.cause)
        return r.cause;
    // Only valid, well-formed DCs are cached.
    if (!m_ddtc.empty()) {
        auto victim = std::min_element(m_ddtc.begin(), m_ddtc.end(),
                                       [](const ddtc_entry& a, const ddtc_entry& b) {
                                           if (a.valid != b.valid)
                                               return !a.valid;
                                           return a.lru < b.lru;
                                       });
        victim->valid = true;
        victim->did = did;
        victim->dc = r.dc;
        victim->lru = ++m_lru_clock;
        hint = uint32_t(victim - m_ddtc.begin());
    }
    return 0;
}

riscv_iommu::ctx_result riscv_iommu::locate_context(uint32_t did, sc_core::sc_time& t)
{
    ctx_result r;
    const unsigned mode = m_ddtp & DDTP_MODE;
    if (mode == DDTP_OFF) {
        r.cause = CAUSE_ALL_INBOUND_DISALLOWED;
        return r;
    }
    if (mode == DDTP_BARE) {
        r.bare = true;
        return r;
    }
    if (did >> ddt_did_bits(mode, m_ext_dc)) {
        // §5: a device_id wider than the mode resolves is "transaction type
        // disallowed".
        r.cause = CAUSE_TTYPE_DISALLOWED;
        log_ddt_fault(did, r.cause,
                      std::string("wider than ddtp ") + mode_name(mode) + " resolves with " +
                          (m_ext_dc ? "extended" : "base") + "-format DCs (" +
                          std::to_string(ddt_did_bits(mode, m_ext_dc)) + " bits)");
        return r;
    }
    r.cause = lookup_dc(did, r.dc, t);
    return r;
}

// ============================ IOTLB ============================

void riscv_iommu::iotlb_at(const sc_core::sc_time& t)
{
    if (m_iotlb.traced())
        m_iotlb.at((prisim::sim_now() + t).value());
}

void riscv_iommu::iotlb_fill(const iotlb::space& sp, const walk_result& w, uint64_t iova)
{
    iotlb::entry e;
    e.sp = sp;
    e.global = !w.fs_bare && (w.pte & PTE_G);
    e.size = w.size;
    e.va_base = iova & ~(w.size - 1);
    e.pa_base = w.pa_base;
    e.pte = w.pte;
    e.gpte = w.gpte;
    e.gpa = w.gpa & ~(w.size - 1);
    e.gsize = w.gsize;
    m_iotlb.fill(e);
}

// An invalidation sweeps the IOTLB one set per cycle; the first set is swept
// in the command's own execution cycle, the others add to it.
namespace {
unsigned sweep_extra(unsigned sets_swept) { return sets_swept > 1 ? sets_swept - 1 : 0; }
} // namespace

// §10.2 IOTINVAL.VMA scopes: GV = 0 the host address spaces' entries,
// GV = 1 those of GSCID's VM that have a first stage.
void riscv_iommu::iotlb_inval_vma(sc_core::sc_time& t, bool gv, uint32_t gscid, bool av,
                                  uint64_t addr, bool pscv, uint32_t pscid)
{
    unsigned n = 0;
    iotlb_at(t);
    m_iotlb.invalidate_vma(gv, uint16_t(gscid), av, addr, pscv, pscid, &n);
    wait_cycles(sweep_extra(n), t);
}

// §10.2 IOTINVAL.GVMA scopes: every entry that holds G-stage information.
void riscv_iommu::iotlb_inval_gvma(sc_core::sc_time& t, bool gv, uint32_t gscid, bool av,
                                   uint64_t addr)
{
    unsigned n = 0;
    iotlb_at(t);
    m_iotlb.invalidate_gvma(gv, uint16_t(gscid), av, addr, &n);
    wait_cycles(sweep_extra(n), t);
}

void riscv_iommu::iotlb_flush(sc_core::sc_time& t)
{
    unsigned n = 0;
    iotlb_at(t);
    m_iotlb.flush(&n);
    wait_cycles(sweep_extra(n), t);
}

// ============================ page-table walks (§17) ============================

namespace {

enum class pte_kind { pointer, leaf, fault };

// Privileged spec, "Virtual Address Translation Process" steps 3-6 for the
// PTE found at `level` (shared by both stages): a pointer to the next
// level, a leaf (its size in `size`), or a (guest-)page fault: not valid,
// W without R, a reserved or PBMT bit, D/A/U/N in a pointer, Svnapot other
// than 64 KiB at level 0 (PPN[3:0] = 1000), a misaligned superpage.
[[gnu::always_inline]] inline pte_kind pte_decode(uint64_t pte, int level, uint64_t& size)
{
    if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) || (pte & (PTE_RESERVED | PTE_PBMT)))
        return pte_kind::fault;
    const uint64_t ppn = field(pte, 53, 10);
    if (!(pte & (PTE_R | PTE_X)))
        return pte & (PTE_D | PTE_A | PTE_U | PTE_N) ? pte_kind::fault : pte_kind::pointer;
    size = uint64_t(1) << (12 + 9 * level);
    if (pte & PTE_N) {
        if (level != 0 || (ppn & 0xF) != 0x8)
            return pte_kind::fault;
        size = 64 * 1024;
    } else if (level > 0 && (ppn & ((uint64_t(1) << (9 * level)) - 1))) {
        return pte_kind::fault; // misaligned superpage
    }
    return pte_kind::leaf;
}

} // namespace

unsigned riscv_iommu::g_fault_cause(g_fault f, bool exec, bool write)
{
    if (f == g_fault::guest_page)
        return exec ? CAUSE_INSN_GUEST_PAGE_FAULT
                    : write ? CAUSE_WRITE_GUEST_PAGE_FAULT : CAUSE_READ_GUEST_PAGE_FAULT;
    return exec ? CAUSE_INSN_ACCESS_FAULT : write ? CAUSE_WRITE_ACCESS_FAULT : CAUSE_READ_ACCESS_FAULT;
}

// Privileged spec for Sv39 (3 levels), Sv48 (4) and Sv57 (5): 9 VPN bits
// per level, a leaf at any level (a superpage: 2 MiB, 1 GiB, 512 GiB, 256
// TiB) whose PPN bits below its level must be 0, Svnapot 64 KiB at level
// 0. A/D and permissions are the caller's (translate_fs); this only finds
// the leaf. With a G-stage each table address is a GPA (§"Two-stage
// address translation"), translated as an implicit read.
riscv_iommu::walk_result riscv_iommu::walk_fs(uint32_t did, const device_context& dc, unsigned mode,
                                              uint64_t root_ppn, uint64_t iova, sc_core::sc_time& t)
{
    walk_result w;
    const bool g = g_active(dc);
    uint64_t a = root_ppn << 12;
    uint64_t global = 0;
    for (int level = int(atp_levels(mode)) - 1; level >= 0; --level) {
        const uint64_t vpn = (iova >> (12 + 9 * level)) & 0x1FF;
        const uint64_t gpa = a + vpn * 8;
        uint64_t pa = gpa;
        if (g) {
            g_fault f = g_fault::none;
            if (!implicit_g(did, dc, gpa, false, pa, f, w.iotval2, t)) {
                w.status = f == g_fault::guest_page ? walk_result::guest_page_fault
                                                    : walk_result::access_fault;
                return w;
            }
        }
        unsigned char b[8];
        if (!mem_read(mem_target::pgtbl, did, pa, b, 8, t)) {
            w.status = walk_result::access_fault; // cause 5/7/1 (§11.2): CA for ATS (§14)
            return w;
        }
        const uint64_t pte = load_le(b);
        uint64_t size = 0;
        switch (pte_decode(pte, level, size)) {
        case pte_kind::fault:
            w.status = walk_result::page_fault;
            return w;
        case pte_kind::pointer:
            // G here makes everything below global.
            global |= pte & PTE_G;
            a = field(pte, 53, 10) << 12;
            continue;
        case pte_kind::leaf:
            w.pa_base = (field(pte, 53, 10) << 12) & ~(size - 1);
            w.size = size;
            w.pte = pte | global;
            w.pte_addr = pa;
            w.pte_gpa = gpa;
            w.pte_mem = pte;
            return w;
        }
    }
    w.status = walk_result::page_fault; // a pointer at level 0
    return w;
}

// Privileged spec, hypervisor extension, for Sv39x4/Sv48x4/Sv57x4: as the
// first stage, except that the root table is 16 KiB (its index has 2 more
// bits, GPA bits 40:30 / 49:39 / 58:48) and leaves are never global. Every
// access is pgtbl's (fault injection). The leaf's status page_fault here
// is the caller's guest-page fault.
riscv_iommu::walk_result riscv_iommu::walk_g(uint32_t did, unsigned mode, uint64_t root_ppn,
                                             uint64_t gpa, sc_core::sc_time& t)
{
    walk_result w;
    uint64_t a = root_ppn << 12;
    const int top = int(atp_levels(mode)) - 1;
    for (int level = top; level >= 0; --level) {
        const uint64_t vpn = (gpa >> (12 + 9 * level)) & (level == top ? 0x7FF : 0x1FF);
        const uint64_t pa = a + vpn * 8;
        unsigned char b[8];
        if (!mem_read(mem_target::pgtbl, did, pa, b, 8, t)) {
            w.status = walk_result::access_fault;
            return w;
        }
        const uint64_t pte = load_le(b);
        uint64_t size = 0;
        switch (pte_decode(pte, level, size)) {
        case pte_kind::fault:
            w.status = walk_result::page_fault;
            return w;
        case pte_kind::pointer:
            a = field(pte, 53, 10) << 12;
            continue;
        case pte_kind::leaf:
            w.pa_base = (field(pte, 53, 10) << 12) & ~(size - 1);
            w.size = size;
            w.pte = pte;
            w.pte_addr = pa;
            w.pte_mem = pte;
            return w;
        }
    }
    w.status = walk_result::page_fault;
    return w;
}

riscv_iommu::walk_result riscv_iommu::translate_g(uint32_t did, const device_context& dc,
                                                  uint64_t gpa, const g_access& a,
                                                  sc_core::sc_time& t)
{
    const unsigned mode = unsigned(dc.iohgatp >> ATP_MODE_SHIFT);
    walk_result w;
    auto guest_page_fault = [&] {
        // §11.1: iotval2 = GPA with bits 1:0 replaced by implicit / implicit write.
        w.status = walk_result::guest_page_fault;
        w.iotval2 = (gpa & ~uint64_t(3)) | (a.implicit ? IOTVAL2_IMPLICIT : 0) |
                    (a.implicit && a.write ? IOTVAL2_IMPLICIT_WRITE : 0);
        return w;
    };
    // GPA bits above the mode's width (41, 50, 59) must be 0.
    if (gpa >> gpa_bits(mode))
        return guest_page_fault();
    w = walk_g(did, mode, dc.iohgatp & ATP_PPN, gpa, t);
    if (w.status == walk_result::page_fault)
        return guest_page_fault();
    if (w.status != walk_result::ok)
        return w; // access fault: iotval2 = 0
    // G-stage accesses are user-mode accesses: U must be 1.
    if (!(w.pte & PTE_U))
        return guest_page_fault();
    const bool permitted = a.exec                ? (w.pte & PTE_X)
                           : a.write && !a.ats ? (w.pte & PTE_W)
                                               : (w.pte & PTE_R);
    if (!permitted && !a.ats)
        return guest_page_fault();
    // §15.2 GADE: the IOMMU sets A, and D for a write the leaf permits, with
    // one store; without it A = 0, or D = 0 on a store, is a guest-page
    // fault (ATS: W is not granted).
    if ((dc.tc & TC_GADE) && permitted) {
        uint64_t set = w.pte & PTE_A ? 0 : PTE_A;
        if (a.write && (w.pte & PTE_W) && !(w.pte & PTE_D))
            set |= PTE_A | PTE_D;
        if (set) {
            unsigned char b[8];
            store_le(b, w.pte_mem | set);
            if (!mem_write(mem_target::pgtbl, did, w.pte_addr, b, 8, t)) {
                w.status = walk_result::access_fault;
                return w;
            }
            w.pte |= set;
            w.pte_mem |= set;
        }
    }
    if (!(w.pte & PTE_A) || (a.write && !a.ats && !(w.pte & PTE_D)))
        return guest_page_fault();
    return w;
}

bool riscv_iommu::implicit_g(uint32_t did, const device_context& dc, uint64_t gpa, bool write,
                             uint64_t& spa, g_fault& f, uint64_t& iotval2, sc_core::sc_time& t)
{
    g_access a;
    a.write = write;
    a.implicit = true;
    const walk_result g = translate_g(did, dc, gpa, a, t);
    if (g.status != walk_result::ok) {
        f = g.status == walk_result::guest_page_fault ? g_fault::guest_page : g_fault::access;
        iotval2 = g.iotval2;
        return false;
    }
    spa = g.pa_base | (gpa & (g.size - 1));
    return true;
}

// §14 / privileged spec: a user-mode request needs U = 1; a privileged one
// may use a U = 1 page only with SUM, and never execute it.
bool riscv_iommu::fs_user_ok(uint64_t pte, const fs_access& a)
{
    if (a.umode)
        return pte & PTE_U;
    return !(pte & PTE_U) || (a.sum && !a.exec);
}

bool riscv_iommu::fs_permits(uint64_t pte, const fs_access& a)
{
    if (!fs_user_ok(pte, a))
        return false;
    if (a.exec)
        return pte & PTE_X;
    if (a.write && !a.ats)
        return pte & PTE_W;
    return pte & PTE_R;
}

bool riscv_iommu::fs_grants(const walk_result& w, const fs_access& a)
{
    return w.fs_bare || ((w.pte & PTE_A) && fs_permits(w.pte, a) &&
                         (!a.write || a.ats || (w.pte & PTE_D)));
}

bool riscv_iommu::g_grants(uint64_t gpte, const fs_access& a)
{
    const bool perm = a.exec ? (gpte & PTE_X) : a.write && !a.ats ? (gpte & PTE_W) : (gpte & PTE_R);
    return perm && (gpte & PTE_U) && (gpte & PTE_A) && (!a.write || a.ats || (gpte & PTE_D));
}

bool riscv_iommu::fs_set_ad(uint32_t did, const device_context& dc, walk_result& w, uint64_t bits,
                            sc_core::sc_time& t)
{
    uint64_t pa = w.pte_addr;
    if (g_active(dc)) {
        // The A/D store is an implicit write through the G-stage.
        g_fault f = g_fault::none;
        if (!implicit_g(did, dc, w.pte_gpa, true, pa, f, w.iotval2, t)) {
            w.status = f == g_fault::guest_page ? walk_result::guest_page_fault
                                                : walk_result::access_fault;
            return false;
        }
    }
    unsigned char b[8];
    store_le(b, w.pte_mem | bits); // the leaf as loaded (G may come from a non-leaf)
    if (!mem_write(mem_target::pgtbl, did, pa, b, 8, t)) {
        w.status = walk_result::access_fault;
        return false;
    }
    w.pte |= bits;
    w.pte_mem |= bits;
    return true;
}

riscv_iommu::walk_result riscv_iommu::translate_fs(uint32_t did, const device_context& dc,
                                                   bool fs_bare, uint64_t iova,
                                                   const fs_access& acc, sc_core::sc_time& t)
{
    walk_result w;
    const unsigned mode = unsigned(dc.fsc >> ATP_MODE_SHIFT);
    if (!fs_bare) {
        // Privileged spec: bits 63:VA-1 must all equal bit VA-1 (VA = 39, 48, 57).
        const unsigned va_bits = 12 + 9 * atp_levels(mode);
        const uint64_t top = iova >> (va_bits - 1);
        if (top != 0 && top != (~uint64_t(0) >> (va_bits - 1))) {
            w.status = walk_result::page_fault;
            return w;
        }
    }
    const bool g = g_active(dc);
    const bool sade = dc.tc & TC_SADE;
    const bool gade = g && (dc.tc & TC_GADE);
    iotlb::space sp;
    sp.gv = g;
    sp.gonly = fs_bare;
    sp.gscid = g ? uint16_t(field(dc.iohgatp, 59, 44)) : 0;
    sp.pscid = fs_bare ? 0 : static_cast<uint32_t>(field(dc.ta, 31, 12));
    // IOTLB lookup: the first probe costs the hit latency, each further one
    // (another cached page size, with several sets) a cycle.
    unsigned probes = 0;
    iotlb_at(t);
    const iotlb::entry* e = m_iotlb.lookup(sp, iova, &probes);
    wait_cycles(m_p.iotlb_hit_cycles + (probes > 1 ? probes - 1 : 0), t);
    if (e) {
        // A cached leaf without D that a write may now dirty (SADE, GADE) is
        // walked again so D is set in memory.
        const bool dirty_fs = sade && !fs_bare && (e->pte & PTE_W) && !(e->pte & PTE_D);
        const bool dirty_g = gade && (e->gpte & PTE_W) && !(e->gpte & PTE_D);
        if (!(acc.write && (dirty_fs || dirty_g))) {
            ++m_st.iotlb_hits;
            w.pa_base = e->pa_base;
            w.size = e->size;
            w.pte = e->pte;
            w.fs_bare = fs_bare;
            w.gpte = e->gpte;
            w.gpa = e->gpa | (iova & (e->size - 1));
            w.gsize = e->gsize;
            return w;
        }
    }
    ++m_st.iotlb_misses;
    if (fs_bare) {
        // G-stage only: the IOVA is the GPA.
        w.fs_bare = true;
        w.pte = 0;
    } else {
        w = walk_fs(did, dc, mode, dc.fsc & ATP_PPN, iova, t);
        if (w.status != walk_result::ok)
            return w;
        // §15.2 SADE: the IOMMU sets A, and D for a write it grants, atomically
        // (only for an access the leaf permits, as the privileged spec says);
        // without it A = 0, or D = 0 on a write, is the caller's page fault.
        if (sade && fs_permits(w.pte, acc)) {
            uint64_t set = w.pte & PTE_A ? 0 : PTE_A;
            if (acc.write && (w.pte & PTE_W) && !(w.pte & PTE_D))
                set |= PTE_A | PTE_D;
            if (set && !fs_set_ad(did, dc, w, set, t))
                return w;
        }
    }
    if (g) {
        // The first stage decides first: a denied access is its page fault,
        // before the G-stage translates the GPA (privileged spec).
        if (!fs_grants(w, acc))
            return w;
        const uint64_t gpa = fs_bare ? iova : w.pa_base | (iova & (w.size - 1));
        g_access ga;
        ga.write = acc.write;
        ga.exec = acc.exec;
        ga.ats = acc.ats;
        const walk_result gw = translate_g(did, dc, gpa, ga, t);
        if (gw.status != walk_result::ok) {
            w.status = gw.status;
            w.iotval2 = gw.iotval2;
            return w;
        }
        // One translation of the smaller of the two leaves.
        const uint64_t s = fs_bare ? gw.size : std::min(w.size, gw.size);
        w.gpa = gpa;
        w.gsize = gw.size;
        w.gpte = gw.pte;
        w.pa_base = (gw.pa_base | (gpa & (gw.size - 1))) & ~(s - 1);
        w.size = s;
    }
    // Only leaves with A = 1 are cached.
    if ((fs_bare || (w.pte & PTE_A)) && (w.gpte & PTE_A)) {
        iotlb_at(t);
        iotlb_fill(sp, w, iova);
    }
    return w;
}

// ============================ ATS (§14) ============================

void riscv_iommu::handle_ats(tlm::tlm_generic_payload& gp, pcie::tlp_ext& ext, sc_core::sc_time& t)
{
    ++m_st.ats_requests;
    const uint64_t iova = gp.get_address();
    const uint32_t did = device_id(ext);
    const bool is_write = !ext.no_write;
    fault_info f;
    f.ttyp = TTYP_ATS_TRANSLATION;
    f.did = did;
    f.pv = ext.pv;
    f.pid = ext.pasid & 0xFFFFF;
    f.priv = ext.pv && ext.priv;
    f.iotval = iova;
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    pcie::store_le64(gp.get_data_ptr(), 0);

    ctx_result ctx = locate_context(did, t);
    unsigned cause = ctx.cause;
    bool dtf = false;
    if (!cause && ctx.bare)
        cause = CAUSE_TTYPE_DISALLOWED; // §5: Bare passes only Untranslated requests
    if (!cause) {
        dtf = ctx.dc.tc & TC_DTF;
        if (!(ctx.dc.tc & TC_EN_ATS))
            cause = CAUSE_TTYPE_DISALLOWED;
        else if (ext.pv && !(ctx.dc.tc & TC_PDTV))
            cause = CAUSE_TTYPE_DISALLOWED; // a process_id needs a process directory
    }
    fs_context fc;
    if (!cause) {
        first_stage(ctx.dc, ext, did, t, fc);
        if (fc.cause == CAUSE_TTYPE_DISALLOWED)
            cause = fc.cause; // process_id too wide, or supervisor without PC.ta.ENS
    }
    if (cause == CAUSE_DDT_CORRUPTION) {
        // 268: not in §14's table; Completer Abort, as the reference model.
        f.cause = cause;
        report_fault(f, dtf, t);
        ext.status = pcie::cpl_status::ca;
        ++m_st.ats_ca;
        return;
    }
    if (cause) {
        // 256-260: Unsupported Request, always logged (DTF suppresses 260).
        f.cause = cause;
        report_fault(f, dtf, t);
        ext.status = pcie::cpl_status::ur;
        ++m_st.ats_ur;
        return;
    }
    if (fc.cause == CAUSE_PDT_INVALID || fc.gfault == g_fault::guest_page) {
        // §14: PDT entry not valid, or a guest-page fault translating a PDT
        // address, is Success with R = W = 0, not logged.
        ++m_st.ats_not_present;
        pcie::store_le64(gp.get_data_ptr(), pcie::encode_ats_cpl(pcie::ats_cpl{}));
        ext.status = pcie::cpl_status::sc;
        return;
    }
    if (fc.cause || fc.gfault == g_fault::access) {
        // 265 / 267, or an access fault translating a PDT address (5/7 as
        // for a page-table walk, K6): a configuration error, Completer
        // Abort (§14).
        f.cause = fc.cause ? fc.cause : pt_access_cause(false, is_write);
        report_fault(f, dtf, t);
        ext.status = pcie::cpl_status::ca;
        ++m_st.ats_ca;
        return;
    }

    pcie::ats_cpl c;
    const bool umode = !ext.pv || !ext.priv;
    if (fc.bare && !g_active(*fc.dc)) {
        // No translation at all: identity with full permissions.
        c.addr = iova & ~uint64_t(0xFFF);
        c.r = c.w = true;
        c.x = ext.pv && ext.exec;
    } else {
        fs_access acc;
        acc.write = is_write;
        acc.ats = true;
        acc.umode = umode;
        acc.sum = fc.sum;
        walk_result w = translate_fs(did, *fc.dc, fc.bare, iova, acc, t);
        if (w.status == walk_result::access_fault) {
            // PTE load (or A/D update) access fault, in either stage:
            // configuration error, Completer Abort (§14).
            f.cause = pt_access_cause(false, is_write); // 274 for poisoned data
            report_fault(f, dtf, t);
            ext.status = pcie::cpl_status::ca;
            ++m_st.ats_ca;
            return;
        }
        if (w.status == walk_result::ok) {
            const uint64_t pte = w.pte;
            // §14: no PASID (or not privileged) => user access, U must be 1;
            // privileged access to a U page needs SUM (0 without a PC). A = 0
            // (not set by SADE/GADE) is not present; W only with D = 1, which
            // SADE/GADE set when the request asks for write (NW = 0), in both
            // stages. X only with R and when execute was requested (§14).
            // A permission one stage denies is denied (§14).
            if (fs_grants(w, acc) && g_grants(w.gpte, acc)) {
                const uint64_t gpte = w.gpte;
                c.r = true;
                c.w = (w.fs_bare || ((pte & PTE_W) && (pte & PTE_D))) && (gpte & PTE_W) &&
                      (gpte & PTE_D);
                fs_access x = acc;
                x.exec = true;
                c.x = ext.pv && ext.exec && (w.fs_bare || fs_permits(pte, x)) && (gpte & PTE_X);
                c.global = ext.pv && !w.fs_bare && (pte & PTE_G);
                c.addr = w.pa_base;
                if (ctx.dc.tc & TC_T2GPA) {
                    // §14 T2GPA: the GPA of the page, its permissions those
                    // of both stages; 4 KiB (the G-stage translates each
                    // Translated request anew, so no larger size is owed)
                    c.addr = (w.fs_bare ? iova : w.gpa) & ~uint64_t(0xFFF);
                    ++m_st.ats_t2gpa;
                } else if (w.size > 4096) {
                    // E1: the leaf's size, NAPOT-encoded (S = 1).
                    c.s = true;
                    c.addr |= ((w.size >> 1) - 1) & ~uint64_t(0xFFF);
                }
            }
        }
        // page fault or guest-page fault: Success with R = W = 0, never logged
    }
    if (!c.r && !c.w) {
        c = pcie::ats_cpl{};
        ++m_st.ats_not_present;
    }
    c.priv = ext.pv && ext.priv;
    pcie::store_le64(gp.get_data_ptr(), pcie::encode_ats_cpl(c));
    ext.status = pcie::cpl_status::sc;
}

// ============================ DMA ============================

void riscv_iommu::handle_dma(tlm::tlm_generic_payload& gp, pcie::tlp_ext& ext, sc_core::sc_time& t)
{
    const bool is_write = gp.is_write();
    const bool translated = ext.at == pcie::at_t::translated;
    const bool exec = !is_write && ext.pv && ext.exec;
    const uint64_t iova = gp.get_address();
    const unsigned len = gp.get_data_length();
    const uint32_t did = device_id(ext);
    fault_info f;
    f.ttyp = translated ? (is_write ? TTYP_TRANSLATED_WRITE
                                    : exec ? TTYP_TRANSLATED_EXEC : TTYP_TRANSLATED_READ)
                        : (is_write ? TTYP_UNTRANSLATED_WRITE
                                    : exec ? TTYP_UNTRANSLATED_EXEC : TTYP_UNTRANSLATED_READ);
    f.did = did;
    f.pv = ext.pv;
    f.pid = ext.pasid & 0xFFFFF;
    f.priv = ext.pv && ext.priv;
    f.iotval = iova;
    ext.status = pcie::cpl_status::sc;
    gp.set_response_status(tlm::TLM_OK_RESPONSE);

    if (ext.at == pcie::at_t::translation_req || !gp.get_data_ptr() ||
        (!gp.is_read() && !gp.is_write())) {
        SC_REPORT_WARNING(name(), "malformed memory request rejected");
        gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        ext.status = pcie::cpl_status::ur;
        return;
    }

    auto fail = [&](unsigned cause, bool dtf, uint64_t at) {
        f.cause = cause;
        f.iotval = at;
        report_fault(f, dtf, t);
        ++m_st.dma_faults;
        ext.status = pcie::cpl_status::ur;
    };
    // Forward [off, off + n) of the request to memory at pa.
    auto forward = [&](uint64_t pa, unsigned off, unsigned n) {
        tlm::tlm_generic_payload& m = mem_payload(gp.get_command(), pa, gp.get_data_ptr() + off, n);
        if (off == 0 && n == len && gp.get_byte_enable_ptr()) {
            m.set_byte_enable_ptr(gp.get_byte_enable_ptr());
            m.set_byte_enable_length(gp.get_byte_enable_length());
        }
        t += m_p.mem_latency;
        mem->b_transport(m, t);
        const bool ok = m.is_response_ok();
        const tlm::tlm_response_status st = m.get_response_status();
        account(t, sc_core::SC_ZERO_TIME);
        if (!ok) {
            gp.set_response_status(st);
            ext.status = pcie::cpl_status::ur;
            return false;
        }
        return true;
    };

    ctx_result ctx = locate_context(did, t);
    unsigned cause = ctx.cause;
    bool dtf = false;
    if (!cause && ctx.bare && translated)
        cause = CAUSE_TTYPE_DISALLOWED;
    if (!cause && !ctx.bare) {
        dtf = ctx.dc.tc & TC_DTF;
        const unsigned pd = unsigned(ctx.dc.fsc >> ATP_MODE_SHIFT);
        if (translated && !(ctx.dc.tc & TC_EN_ATS))
            cause = CAUSE_TTYPE_DISALLOWED;
        else if (ext.pv && !(ctx.dc.tc & TC_PDTV))
            cause = CAUSE_TTYPE_DISALLOWED;
        else if (translated && ext.pv && pd != PDTP_BARE && ((ext.pasid & 0xFFFFF) >> pdt_pid_bits(pd)))
            cause = CAUSE_TTYPE_DISALLOWED; // step 7: wider than pdtp.MODE resolves
    }
    if (cause) {
        fail(cause, dtf, iova);
        return;
    }
    fs_context fc;
    if (translated) {
        ++m_st.dma_translated;
        if (!(ctx.dc.tc & TC_T2GPA)) {
            forward(iova, 0, len); // T2GPA = 0: the address is the physical address
            return;
        }
        // T2GPA = 1 (§14): the address is a GPA from a completion; the
        // G-stage translates it, as a first stage Bare would let it.
        ++m_st.dma_t2gpa;
        fc.bare = true;
        fc.dc = &ctx.dc;
    } else {
        ++m_st.dma_untranslated;
        if (ctx.bare) {
            forward(iova, 0, len);
            return;
        }
        first_stage(ctx.dc, ext, did, t, fc);
    }
    if (fc.cause) {
        fail(fc.cause, dtf, iova); // 260, 265-267: the request is aborted
        return;
    }
    if (fc.gfault != g_fault::none) {
        // The G-stage translation of a PDT address failed.
        f.iotval2 = fc.iotval2;
        fail(fc.gfault == g_fault::access ? pt_access_cause(exec, is_write)
                                          : g_fault_cause(fc.gfault, exec, is_write),
             dtf, iova);
        return;
    }
    if (fc.bare && !g_active(*fc.dc)) {
        forward(iova, 0, len);
        return;
    }
    const bool umode = !ext.pv || !ext.priv;
    fs_access acc;
    acc.write = is_write;
    acc.exec = exec;
    acc.umode = umode;
    acc.sum = fc.sum;
    unsigned off = 0;
    while (off < len || (len == 0 && off == 0)) {
        const uint64_t va = iova + off;
        walk_result w = translate_fs(did, *fc.dc, fc.bare, va, acc, t);
        if (w.status == walk_result::access_fault) {
            fail(pt_access_cause(exec, is_write), dtf, va);
            return;
        }
        if (w.status == walk_result::guest_page_fault) {
            f.iotval2 = w.iotval2;
            fail(g_fault_cause(g_fault::guest_page, exec, is_write), dtf, va);
            return;
        }
        // A = 0 (or D = 0 on a write) left by translate_fs: no SADE. The
        // first stage's denial is a page fault, then the G-stage's a
        // guest-page fault on the final GPA (a cached translation).
        if (w.status != walk_result::ok || !fs_grants(w, acc)) {
            fail(exec ? CAUSE_INSN_PAGE_FAULT
                      : is_write ? CAUSE_WRITE_PAGE_FAULT : CAUSE_READ_PAGE_FAULT,
                 dtf, va);
            return;
        }
        if (!g_grants(w.gpte, acc)) {
            f.iotval2 = w.gpa & ~uint64_t(3);
            fail(g_fault_cause(g_fault::guest_page, exec, is_write), dtf, va);
            return;
        }
        const uint64_t in_page = va & (w.size - 1);
        const unsigned n =
            static_cast<unsigned>(std::min<uint64_t>(len - off, w.size - in_page));
        if (!forward(w.pa_base | in_page, off, n))
            return;
        if (n == 0)
            break;
        off += n;
    }
}

} // namespace prisim::iommu
