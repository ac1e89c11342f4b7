// SPDX-License-Identifier: Apache-2.0
//
// Process directories of riscv_iommu (§16): the first-stage context of a
// request with DC.tc.PDTV = 1, the PDT walk to its process context, and the
// process-context checks, and the process-context cache in front of the
// walk (valid, well-formed PCs only; IODIR.INVAL_PDT and IODIR.INVAL_DDT
// drop entries, §10.4). A walk costs one memory access per level.
#include "iommu/riscv_iommu.h"

#include "common/endian.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace prisim::iommu {

namespace {

const char* pd_name(unsigned mode)
{
    return mode == PDTP_PD8 ? "PD8" : mode == PDTP_PD17 ? "PD17" : mode == PDTP_PD20 ? "PD20" : "Bare";
}

constexpr uint64_t PDT_REPORTS_LOUD = 16;

} // namespace

void riscv_iommu::log_pdt_fault(uint32_t did, uint32_t pid, unsigned cause, const std::string& what)
{
    const unsigned k = cause >= CAUSE_PDT_LOAD_FAULT && cause <= CAUSE_PDT_MISCONFIGURED
                           ? cause - CAUSE_PDT_LOAD_FAULT
                           : 0;
    const uint64_t n = ++m_pdt_reports[k];
    std::string msg = "device_id " + hex(did) + " process_id " + hex(pid) + ": " + what + " (cause " +
                      std::to_string(cause) + ")";
    // Not valid is what a driver's unbound PASID looks like: info only.
    if (cause == CAUSE_PDT_INVALID || n > PDT_REPORTS_LOUD) {
        SC_REPORT_INFO(name(), msg.c_str());
        return;
    }
    if (n == PDT_REPORTS_LOUD)
        msg += "; further faults of this cause are logged at info level only";
    SC_REPORT_WARNING(name(), msg.c_str());
}

// §16 "Process-context configuration checks" (SXL = 0 here): the first
// rule a PC with V = 1 breaks, or nullptr.
const char* riscv_iommu::check_pc(const device_context& dc, uint64_t ta, uint64_t fsc) const
{
    if (ta & PC_TA_RESERVED)
        return "#1 ta reserved bits";
    if (fsc & IOSATP_RESERVED)
        return "#1 fsc reserved bits";
    const unsigned mode = unsigned(fsc >> ATP_MODE_SHIFT);
    if (mode != ATP_BARE && mode != ATP_SV39 && !(mode == ATP_SV48 && m_p.sv48) &&
        !(mode == ATP_SV57 && m_p.sv57))
        return "#2/#3 fsc.MODE (Bare, Sv39, or Sv48/Sv57 as capabilities advertise)";
    if (!g_active(dc) && mode != ATP_BARE && (fsc & ATP_PPN) >> (m_p.pas - 12))
        return "fsc.PPN beyond PAS"; // implementations may flag this (a GPA under a G-stage)
    return nullptr;
}

// §"Process to locate the Process-context". With iohgatp Bare, pdtp.PPN
// and pdte.PPN are physical addresses; otherwise they are GPAs, and each
// entry's address is translated by the G-stage as an implicit read before
// it is loaded (a fault there is the request's guest-page or access fault).
riscv_iommu::pc_result riscv_iommu::locate_pc(const device_context& dc, uint32_t did, uint32_t pid,
                                                sc_core::sc_time& t)
{
    pc_result r;
    const unsigned mode = unsigned(dc.fsc >> ATP_MODE_SHIFT);
    uint64_t a = (dc.fsc & ATP_PPN) << 12;
    const bool g = g_active(dc);
    auto to_spa = [&](uint64_t gpa, uint64_t& spa) {
        spa = gpa;
        return !g || implicit_g(did, dc, gpa, false, spa, r.gfault, r.iotval2, t);
    };
    for (unsigned level = pdt_levels(mode) - 1; level > 0; --level) {
        uint64_t ea = 0;
        if (!to_spa(a + uint64_t(pdt_pdi(pid, level)) * 8, ea))
            return r;
        auto where = [&] {
            return std::string(pd_name(mode)) + " PDT level-" + std::to_string(level) + " entry at " + hex(ea);
        };
        unsigned char b[8];
        if (!mem_read(mem_target::pdt, did, ea, b, 8, t)) {
            const bool poison = poisoned(mem_target::pdt); // 269
            r.cause = poison ? CAUSE_PDT_CORRUPTION : CAUSE_PDT_LOAD_FAULT;
            log_pdt_fault(did, pid, r.cause, where() + (poison ? ": data corruption" : ": load access fault"));
            return r;
        }
        const uint64_t pdte = load_le(b);
        if (!(pdte & PDTE_V)) {
            r.cause = CAUSE_PDT_INVALID;
            log_pdt_fault(did, pid, r.cause, where() + " not valid (" + hex(pdte) + ")");
            return r;
        }
        if (pdte & PDTE_RESERVED) {
            r.cause = CAUSE_PDT_MISCONFIGURED;
            log_pdt_fault(did, pid, r.cause,
                          where() + " " + hex(pdte) + " sets reserved bits " + hex(pdte & PDTE_RESERVED));
            return r;
        }
        a = field(pdte, 53, 10) << 12;
    }
    uint64_t addr = 0;
    if (!to_spa(a + uint64_t(pdt_pdi(pid, 0)) * 16, addr))
        return r;
    auto where = [&] { return std::string(pd_name(mode)) + " process context at " + hex(addr); };
    unsigned char b[16];
    if (!mem_read(mem_target::pdt, did, addr, b, 16, t)) {
        const bool poison = poisoned(mem_target::pdt);
        r.cause = poison ? CAUSE_PDT_CORRUPTION : CAUSE_PDT_LOAD_FAULT;
        log_pdt_fault(did, pid, r.cause, where() + (poison ? ": data corruption" : ": load access fault"));
        return r;
    }
    r.ta = load_le(b);
    r.fsc = load_le(b + 8);
    if (!(r.ta & PC_TA_V)) {
        r.cause = CAUSE_PDT_INVALID;
        log_pdt_fault(did, pid, r.cause, where() + " not valid (ta " + hex(r.ta) + ")");
        return r;
    }
    if (const char* rule = check_pc(dc, r.ta, r.fsc)) {
        r.cause = CAUSE_PDT_MISCONFIGURED;
        log_pdt_fault(did, pid, r.cause,
                      where() + " misconfigured (PC check " + rule + "; ta " + hex(r.ta) + " fsc " +
                          hex(r.fsc) + ")");
        return r;
    }
    return r;
}

riscv_iommu::pc_result riscv_iommu::lookup_pc(const device_context& dc, uint32_t did, uint32_t pid,
                                              sc_core::sc_time& t)
{
    wait_cycles(m_p.pdtc_hit_cycles, t); // PDT cache lookup
    for (auto& e : m_pdtc) {
        if (e.valid && e.did == did && e.pid == pid) {
            ++m_st.pdtc_hits;
            e.lru = ++m_lru_clock;
            pc_result r;
            r.ta = e.ta;
            r.fsc = e.fsc;
            return r;
        }
    }
    ++m_st.pdtc_misses;
    pc_result r = locate_pc(dc, did, pid, t);
    // Only valid, well-formed PCs are cached (as DCs are).
    if (r.cause || r.gfault != g_fault::none || m_pdtc.empty())
        return r;
    auto victim = std::min_element(m_pdtc.begin(), m_pdtc.end(), [](const pdtc_entry& a, const pdtc_entry& b) {
        if (a.valid != b.valid)
            return !a.valid;
        return a.lru < b.lru;
    });
    *victim = {true, did, pid, r.ta, r.fsc, ++m_lru_clock};
    return r;
}

// §10.4: INVAL_DDT drops every cached PC (dv = 0) or those of did; INVAL_PDT
// the PC of (did, pid).
void riscv_iommu::pdtc_invalidate(bool dv, uint32_t did, bool pv, uint32_t pid)
{
    for (auto& e : m_pdtc)
        if (!dv || (e.did == did && (!pv || e.pid == pid)))
            e.valid = false;
}

// §"Process to translate an IOVA", steps 7 (process_id width), 10-16.
void riscv_iommu::first_stage(const device_context& dc, const pcie::tlp_ext& ext, uint32_t did,
                              sc_core::sc_time& t, fs_context& c)
{
    c.dc = &dc;
    if (!(dc.tc & TC_PDTV)) {
        c.bare = unsigned(dc.fsc >> ATP_MODE_SHIFT) == ATP_BARE;
        return;
    }
    const unsigned mode = unsigned(dc.fsc >> ATP_MODE_SHIFT);
    const uint32_t pid = ext.pv ? ext.pasid & 0xFFFFF : 0;
    // Step 7: a process_id wider than pdtp.MODE resolves is disallowed
    // (a Bare pdtp resolves every one to a Bare first stage).
    if (ext.pv && mode != PDTP_BARE && (pid >> pdt_pid_bits(mode))) {
        c.cause = CAUSE_TTYPE_DISALLOWED;
        return;
    }
    // Steps 12-14: no process_id and DPE = 0, or a Bare pdtp: Bare.
    if ((!ext.pv && !(dc.tc & TC_DPE)) || mode == PDTP_BARE) {
        c.bare = true;
        return;
    }
    const pc_result pc = lookup_pc(dc, did, pid, t);
    if (pc.cause || pc.gfault != g_fault::none) {
        c.cause = pc.cause;
        c.gfault = pc.gfault;
        c.iotval2 = pc.iotval2;
        return;
    }
    // Step 16: supervisor privilege needs PC.ta.ENS.
    if (ext.pv && ext.priv && !(pc.ta & PC_TA_ENS)) {
        c.cause = CAUSE_TTYPE_DISALLOWED;
        return;
    }
    c.pc_dc = dc;
    c.pc_dc.fsc = pc.fsc;
    c.pc_dc.ta = pc.ta & TA_PSCID;
    c.dc = &c.pc_dc;
    c.sum = pc.ta & PC_TA_SUM;
    c.bare = unsigned(pc.fsc >> ATP_MODE_SHIFT) == ATP_BARE;
}

} // namespace prisim::iommu
