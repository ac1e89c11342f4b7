// SPDX-License-Identifier: Apache-2.0
//
// riscv_iommu top: construction, register file (§1-§8), inbound TLP dispatch,
// memory helpers, statistics.
#include "iommu/riscv_iommu.h"

#include "common/endian.h"
#include "common/local_time.h"
#include "common/payload.h"

#include <cstdio>
#include <cstring>
#include <sstream>

namespace prisim::iommu {

namespace {

// Marks the IOMMU as serving an inbound b_transport for the scope.
struct target_scope {
    bool& flag;
    explicit target_scope(bool& f) : flag(f) { flag = true; }
    ~target_scope() { flag = false; }
};

bool is_msi_tbl(uint32_t off) { return off >= REG_MSI_CFG_TBL && off < REG_MSI_CFG_END; }

// 64-bit registers present for our capabilities (§2).
bool is_reg64(uint32_t off)
{
    switch (off) {
    case REG_CAPABILITIES:
    case REG_DDTP:
    case REG_CQB:
    case REG_FQB:
    case REG_PQB:
    case REG_ICVEC:
        return true;
    default:
        return is_msi_tbl(off) && (off & 0xF) == 0;
    }
}

// 32-bit registers present for our capabilities (§2).
bool is_reg32(uint32_t off)
{
    switch (off) {
    case REG_FCTL:
    case REG_CQH:
    case REG_CQT:
    case REG_FQH:
    case REG_FQT:
    case REG_PQH:
    case REG_PQT:
    case REG_CQCSR:
    case REG_FQCSR:
    case REG_PQCSR:
    case REG_IPSR:
        return true;
    default:
        return is_msi_tbl(off) && ((off & 0xF) == 0x8 || (off & 0xF) == 0xC);
    }
}

// A given capabilities value brings its own PAS.
iommu_params resolve(const iommu_params& p)
{
    iommu_params r = p;
    if (r.capabilities) {
        r.pas = unsigned(field(r.capabilities, 37, 32));
        r.msi_flat = r.capabilities & CAP_MSI_FLAT;
        r.sv48 = r.capabilities & CAP_SV48;
        r.sv57 = r.capabilities & CAP_SV57;
        r.sv39x4 = r.capabilities & CAP_SV39X4;
        r.sv48x4 = r.capabilities & CAP_SV48X4;
        r.sv57x4 = r.capabilities & CAP_SV57X4;
        r.amo_hwad = r.capabilities & CAP_AMO_HWAD;
        r.t2gpa = r.capabilities & CAP_T2GPA;
        r.pd8 = r.capabilities & CAP_PD8;
        r.pd17 = r.capabilities & CAP_PD17;
        r.pd20 = r.capabilities & CAP_PD20;
        r.igs = unsigned(field(r.capabilities, 29, 28));
    }
    return r;
}

} // namespace

std::string riscv_iommu::unsupported_capabilities(uint64_t caps)
{
    const uint64_t known = CAP_VERSION | CAP_SV39 | CAP_SV48 | CAP_SV57 | CAP_SV39X4 | CAP_SV48X4 |
                           CAP_SV57X4 | CAP_AMO_HWAD | CAP_ATS | CAP_T2GPA | CAP_IGS | CAP_PAS | CAP_MSI_FLAT |
                           CAP_PD8 | CAP_PD17 | CAP_PD20;
    const unsigned pas = unsigned(field(caps, 37, 32));
    std::string why;
    if ((caps & CAP_VERSION) != CAP_VERSION_1_0)
        why += " version " + hex(caps & CAP_VERSION) + " (1.0 only);";
    if (!(caps & CAP_SV39))
        why += " Sv39 missing;";
    if ((caps & CAP_SV57) && !(caps & CAP_SV48))
        why += " Sv57 without Sv48;";
    if (!(caps & CAP_ATS))
        why += " ATS missing;";
    if (field(caps, 29, 28) > IGS_BOTH)
        why += " IGS 3 (reserved);";
    if (pas < 32 || pas > 56)
        why += " PAS " + std::to_string(pas) + " (32..56);";
    if (caps & ~known)
        why += " features " + hex(caps & ~known) + " not implemented;";
    if (!why.empty())
        why.pop_back();
    return why.empty() ? why : why.substr(1);
}

riscv_iommu::riscv_iommu(sc_core::sc_module_name name, const iommu_params& p)
    : sc_module(name), mmio("mmio"), mem("mem"), pcie_up("pcie_up"), pcie_down("pcie_down"),
      wsi("wsi"), m_p(resolve(p)), m_iotlb(p.iotlb_entries, p.iotlb_ways, &p.iotlb_waves, p.clk_period.value()),
      m_inj_target(p.inject.target)
{
    SC_HAS_PROCESS(riscv_iommu);
    if (m_p.capabilities) {
        const std::string why = unsupported_capabilities(m_p.capabilities);
        if (!why.empty())
            SC_REPORT_FATAL(this->name(),
                            ("iommu_params.capabilities " + hex(m_p.capabilities) +
                             " not implemented: " + why)
                                .c_str());
    }
    if (m_p.igs > IGS_BOTH)
        SC_REPORT_FATAL(this->name(), "iommu_params.igs must be 0 (MSI), 1 (WSI) or 2 (both)");
    m_fctl = m_p.igs == IGS_WSI ? FCTL_WSI : 0; // §4: WSI-only reads fctl.WSI = 1
    if (m_p.clk_period == sc_core::SC_ZERO_TIME)
        SC_REPORT_FATAL(this->name(), "iommu_params.clk_period must be > 0");
    if (m_p.pas < 32 || m_p.pas > 56)
        SC_REPORT_FATAL(this->name(), "iommu_params.pas must be in 32..56");
    if (m_p.sv57 && !m_p.sv48)
        SC_REPORT_FATAL(this->name(), "iommu_params.sv57 requires sv48 (capabilities, §3)");
    if (m_p.pq_max_log2sz < 1 || m_p.pq_max_log2sz > 16)
        SC_REPORT_FATAL(this->name(),
                        "iommu_params.pq_max_log2sz must be in 1..16 (rtl/pq_writer MaxLog2Sz)");
    if (m_p.ats_itags < 1 || m_p.ats_itags > 32)
        SC_REPORT_FATAL(this->name(), "iommu_params.ats_itags must be in 1..32");
    if (m_p.max_ddt_mode < DDTP_1LVL || m_p.max_ddt_mode > DDTP_3LVL)
        SC_REPORT_FATAL(this->name(), "iommu_params.max_ddt_mode must be 1LVL, 2LVL or 3LVL (2..4)");
    if (m_p.inject.target == mem_target::msi && m_p.inject.corrupt)
        SC_REPORT_FATAL(this->name(), "iommu_params.inject: msi has no corrupt form (access faults only)");
    if (m_p.inject.poison && (m_p.inject.corrupt || m_p.inject.target == mem_target::fq ||
                              m_p.inject.target == mem_target::pq || m_p.inject.target == mem_target::msi))
        SC_REPORT_FATAL(this->name(), "iommu_params.inject: poison applies to the loads of ddt, pdt, pgtbl and cq");
    if (m_p.inject.target != mem_target::none && m_p.inject.nth == 0)
        SC_REPORT_FATAL(this->name(), "iommu_params.inject.nth is 1-based");
    m_ext_dc = m_p.msi_flat;

    mmio.register_b_transport(this, &riscv_iommu::mmio_b_transport);
    mmio.register_transport_dbg(this, &riscv_iommu::mmio_transport_dbg);
    pcie_up.register_b_transport(this, &riscv_iommu::pcie_b_transport);
    mem.register_invalidate_direct_mem_ptr(this, &riscv_iommu::invalidate_dmi);

    m_pq = std::make_unique<pq_engine>("pq_writer", static_cast<pq_engine_client&>(*this),
                                       m_p.clk_period, m_p.stop_marker_needs_pasid,
                                       m_p.pq_ovf_policy != pq_overflow_policy::vtd, m_p.pq_waves);
    m_ddtc.resize(m_p.ddtc_entries);
    m_pdtc.resize(m_p.pdtc_entries);
    size_t hints = 1;
    while (hints < 2 * m_ddtc.size()) hints <<= 1;
    m_ddtc_hint.assign(hints, 0);
    m_itags.resize(m_p.ats_itags);

    SC_THREAD(msg_thread);
    SC_THREAD(cq_thread);
    SC_METHOD(store_method);
    sensitive << m_store_ev;
    dont_initialize();
    SC_THREAD(fq_thread);
}

riscv_iommu::~riscv_iommu() = default;

// ============================ register file ============================

uint64_t riscv_iommu::capabilities() const
{
    if (m_p.capabilities)
        return m_p.capabilities;
    return CAP_VERSION_1_0 | CAP_SV39 | (m_p.sv48 ? CAP_SV48 : 0) | (m_p.sv57 ? CAP_SV57 : 0) |
           (m_p.amo_hwad ? CAP_AMO_HWAD : 0) | CAP_ATS | (m_p.t2gpa ? CAP_T2GPA : 0) | (uint64_t(m_p.igs) << CAP_IGS_SHIFT) |
           (m_p.msi_flat ? CAP_MSI_FLAT : 0) | (uint64_t(m_p.pas) << CAP_PAS_SHIFT) |
           (m_p.pd8 ? CAP_PD8 : 0) | (m_p.pd17 ? CAP_PD17 : 0) | (m_p.pd20 ? CAP_PD20 : 0) |
           (m_p.sv39x4 ? CAP_SV39X4 : 0) | (m_p.sv48x4 ? CAP_SV48X4 : 0) |
           (m_p.sv57x4 ? CAP_SV57X4 : 0);
}

uint32_t riscv_iommu::cqcsr_value() const
{
    const bool en = m_cqcsr & CQCSR_CQEN;
    return m_cqcsr | (en || m_cq_active ? XQCSR_ON : 0) | (!en && m_cq_active ? XQCSR_BUSY : 0);
}

uint32_t riscv_iommu::fqcsr_value() const
{
    const bool en = m_fqcsr & FQCSR_FQEN;
    return m_fqcsr | (en || m_fq_writing ? XQCSR_ON : 0) | (!en && m_fq_writing ? XQCSR_BUSY : 0);
}

// §1: 4- or 8-byte naturally aligned; 32-bit registers only as 32-bit
// accesses. An 8-byte access to a place where no register is present (HPM,
// debug, reserved) reads 0 like any absent register.
bool riscv_iommu::access_legal(uint32_t off, unsigned size) const
{
    if ((size != 4 && size != 8) || off % size)
        return false;
    if (size == 8)
        return is_reg64(off) || (!is_reg32(off) && !is_reg32(off + 4));
    return true;
}

uint64_t riscv_iommu::reg64_value(uint32_t off) const
{
    switch (off) {
    case REG_CAPABILITIES: return capabilities();
    case REG_DDTP: return m_ddtp; // busy is always 0
    case REG_CQB: return m_cqb;
    case REG_FQB: return m_fqb;
    case REG_PQB: return m_pqb;
    case REG_ICVEC: return m_icvec;
    default:
        if (is_msi_tbl(off) && msi_tbl_present())
            return m_msi_addr[(off - REG_MSI_CFG_TBL) / 16];
        return 0;
    }
}

uint32_t riscv_iommu::reg32_value(uint32_t off) const
{
    switch (off) {
    case REG_FCTL: return m_fctl; // BE = 0 and GXL = 0 read-only; WSI (§4) per IGS
    case REG_CQH: return m_cqh_reg.at(m_access_ps);
    case REG_CQT: return m_cqt;
    case REG_FQH: return m_fqh;
    case REG_FQT: return m_fqt;
    case REG_PQH: return m_pqh;
    case REG_PQT: return m_pq->pqt_at(m_access_ps);
    case REG_CQCSR: return cqcsr_value();
    case REG_FQCSR: return fqcsr_value();
    case REG_PQCSR: return m_pq->pqcsr_at(m_access_ps) & PQCSR_DEFINED;
    case REG_IPSR: return m_ipsr;
    default:
        if (is_msi_tbl(off) && msi_tbl_present()) {
            unsigned v = (off - REG_MSI_CFG_TBL) / 16;
            return (off & 0xF) == 0x8 ? m_msi_data[v] : m_msi_ctl[v];
        }
        return 0;
    }
}

uint64_t riscv_iommu::reg_read(uint32_t off, unsigned size) const
{
    if (size == 8)
        return is_reg64(off) ? reg64_value(off) : 0;
    const uint32_t base = off & ~7u;
    if (is_reg64(base))
        return (reg64_value(base) >> ((off & 4) * 8)) & 0xFFFFFFFFu;
    return reg32_value(off);
}

void riscv_iommu::reg_write(uint32_t off, unsigned size, uint64_t value, sc_core::sc_time& t)
{
    if (size == 8) {
        if (is_reg64(off))
            reg64_write(off, value, t);
        return;
    }
    const uint32_t base = off & ~7u;
    if (is_reg64(base)) {
        // One half of a 64-bit register (§1: either order works).
        const unsigned sh = (off & 4) * 8;
        uint64_t merged = (reg64_value(base) & ~(uint64_t(0xFFFFFFFFu) << sh)) |
                          ((value & 0xFFFFFFFFu) << sh);
        reg64_write(base, merged, t);
        return;
    }
    reg32_write(off, static_cast<uint32_t>(value), t);
}

void riscv_iommu::write_ddtp(uint64_t v)
{
    const unsigned old_mode = m_ddtp & DDTP_MODE;
    const unsigned mode = v & DDTP_MODE;
    if (mode > m_p.max_ddt_mode)
        return; // WARL (§5): modes deeper than max_ddt_mode, reserved and
                // custom modes are not supported; the whole write is dropped,
                // PPN included (as the reference model does): a mode probe
                // reads back what it had
    if (mode != old_mode && mode == DDTP_BARE && old_mode != DDTP_OFF) {
        // §5: -> Bare is defined only from Off.
        SC_REPORT_WARNING(name(), ("ddtp write " + hex(v) +
                                   " ignored: a change to Bare is defined only from Off")
                                      .c_str());
        return;
    }
    if (mode != old_mode && mode >= DDTP_1LVL && old_mode >= DDTP_1LVL)
        // §5: xLVL -> another xLVL is UNSPECIFIED; the model takes it.
        SC_REPORT_WARNING(name(), ("ddtp write " + hex(v) + ": a change from " +
                                   std::to_string(ddt_levels(old_mode)) + "LVL to " +
                                   std::to_string(ddt_levels(mode)) +
                                   "LVL is unspecified (go through Off or Bare); taken")
                                      .c_str());
    const uint64_t ppn = field(v, 53, 10) & ((uint64_t(1) << (m_p.pas - 12)) - 1);
    m_ddtp = mode | (ppn << DDTP_PPN_SHIFT);
}

bool riscv_iommu::write_queue_base(const char* reg, uint64_t& base, uint64_t v, bool on,
                                   unsigned max_log2sz)
{
    if (on) {
        // §6.1: UNSPECIFIED; the reference model drops the write.
        SC_REPORT_WARNING(name(), (std::string(reg) + " write " + hex(v) +
                                   " dropped: the queue is on")
                                      .c_str());
        return false;
    }
    uint64_t l = v & QB_LOG2SZM1;
    if (l > max_log2sz - 1)
        l = max_log2sz - 1; // WARL
    const uint64_t ppn = field(v, 53, 10) & ((uint64_t(1) << (m_p.pas - 12)) - 1);
    base = (ppn << QB_PPN_SHIFT) | l;
    return true;
}

void riscv_iommu::reg64_write(uint32_t off, uint64_t v, sc_core::sc_time& t)
{
    switch (off) {
    case REG_CAPABILITIES:
        return; // read-only
    case REG_DDTP:
        write_ddtp(v);
        return;
    case REG_CQB:
        // §6.1: after a base write, bits 31:LOG2SZ of the software-owned index read 0.
        if (write_queue_base("cqb", m_cqb, v, cqcsr_value() & (XQCSR_ON | XQCSR_BUSY), 32)) {
            m_cqt &= static_cast<uint32_t>(qmask(m_cqb));
            m_cqt_writes.clear();
            m_cqt_hw = m_cqt;
            m_cq_occ.set_capacity(qmask(m_cqb)); // N - 1 (§6.2: full at tail == head - 1)
            cq_occupancy_update((prisim::sim_now() + t).value());
        }
        return;
    case REG_FQB:
        if (write_queue_base("fqb", m_fqb, v, fqcsr_value() & (XQCSR_ON | XQCSR_BUSY), 32))
            m_fqh &= static_cast<uint32_t>(qmask(m_fqb));
        return;
    case REG_PQB:
        if (write_queue_base("pqb", m_pqb, v, m_pq->pqcsr() & (XQCSR_ON | XQCSR_BUSY),
                             m_p.pq_max_log2sz)) {
            m_pqh &= static_cast<uint32_t>(qmask(m_pqb));
            m_pq->set_base(field(m_pqb, 53, 10), m_pqb & QB_LOG2SZM1);
            m_pq->set_pqh(m_pqh, t);
            m_pq_occ.set_capacity(qmask(m_pqb)); // N - 1 (§6.2: full at tail == head - 1)
            pq_occupancy_update(t);
        }
        return;
    case REG_ICVEC:
        m_icvec = v & ICVEC_WRITABLE;
        wire_sync(t); // a pending bit now drives another wire
        return;
    default:
        if (is_msi_tbl(off) && msi_tbl_present())
            m_msi_addr[(off - REG_MSI_CFG_TBL) / 16] = v & MSI_ADDR_MASK;
        return;
    }
}

void riscv_iommu::reg32_write(uint32_t off, uint32_t v, sc_core::sc_time& t)
{
    switch (off) {
    case REG_CQT:
        m_cqt = v & static_cast<uint32_t>(qmask(m_cqb));
        if (m_cq_idle && m_p.quantum != sc_core::SC_ZERO_TIME) {
            cq_doorbell(t);
            return;
        }
        m_cqt_writes.insert_ordered({(prisim::sim_now() + t).value(), m_cqt},
                                    [](const auto& a, const auto& b) { return a.first < b.first; });
        m_cq_ev.notify(t);
        return;
    case REG_FQH:
        m_fqh = v & static_cast<uint32_t>(qmask(m_fqb));
        return;
    case REG_PQH:
        m_pqh = v & static_cast<uint32_t>(qmask(m_pqb));
        m_pq->set_pqh(m_pqh, t);
        pq_occupancy_update(t);
        return;
    case REG_CQCSR:
        write_cqcsr(v, t);
        return;
    case REG_FQCSR:
        write_fqcsr(v, t);
        return;
    case REG_PQCSR:
        m_pq->write_csr(v, t);
        return;
    case REG_IPSR:
        write_ipsr(v, t);
        return;
    case REG_FCTL:
        write_fctl(v);
        wire_sync(t);
        return;
    default:
        if (is_msi_tbl(off) && msi_tbl_present()) {
            unsigned vec = (off - REG_MSI_CFG_TBL) / 16;
            if ((off & 0xF) == 0x8)
                m_msi_data[vec] = v;
            else
                write_msi_vec_ctl(vec, v, t);
        }
        return; // cqh, fqt, pqt, absent registers: read-only / ignored
    }
}

void riscv_iommu::write_cqcsr(uint32_t v, sc_core::sc_time& t)
{
    const uint32_t old = m_cqcsr;
    // RW1C; fence_w_ip is reserved (reads 0, never set) with fctl.WSI = 0
    m_cqcsr &= ~(v & (CQCSR_ERRORS | CQCSR_FENCE_W_IP));
    if (!(old & CQCSR_CQEN) && (v & CQCSR_CQEN)) {
        // §7.1: cqen 0 -> 1 resets cqh and clears the error bits.
        m_cqh = 0;
        m_cqh_reg.reset(0);
        cq_occupancy_update((prisim::sim_now() + t).value());
        m_cqcsr &= ~(CQCSR_ERRORS | CQCSR_FENCE_W_IP);
    }
    m_cqcsr = (m_cqcsr & ~(CQCSR_CQEN | CQCSR_CIE)) | (v & (CQCSR_CQEN | CQCSR_CIE));
    update_cip(t);
    m_cq_ev.notify(t);
}

void riscv_iommu::write_fqcsr(uint32_t v, sc_core::sc_time& t)
{
    const uint32_t old = m_fqcsr;
    m_fqcsr &= ~(v & FQCSR_ERRORS);
    if (!(old & FQCSR_FQEN) && (v & FQCSR_FQEN)) {
        m_fqt = 0;
        m_fqcsr &= ~FQCSR_ERRORS;
    }
    m_fqcsr = (m_fqcsr & ~(FQCSR_FQEN | FQCSR_FIE)) | (v & (FQCSR_FQEN | FQCSR_FIE));
    if ((m_fqcsr & FQCSR_FIE) && (m_fqcsr & FQCSR_ERRORS))
        set_ipsr(IPSR_FIP, t);
}

void riscv_iommu::write_ipsr(uint32_t v, sc_core::sc_time& t)
{
    for (uint32_t bit : {IPSR_CIP, IPSR_FIP, IPSR_PMIP, IPSR_PIP})
        if (v & bit)
            clear_ipsr(bit, t);
    // §8.1: a set condition that still holds re-asserts the bit at once.
    update_cip(t);
    if ((m_fqcsr & FQCSR_FIE) && (m_fqcsr & FQCSR_ERRORS))
        set_ipsr(IPSR_FIP, t);
    const uint32_t pq = m_pq->pqcsr_at((prisim::sim_now() + t).value());
    if (!(pq & XQCSR_BUSY) && (pq & PQCSR_PIE) && (pq & PQCSR_ERRORS))
        set_ipsr(IPSR_PIP, t);
}

// §4: fctl.WSI is writable only with IGS = both; BE and GXL are read-only
// 0. A write while the IOMMU is not off (ddtp not Off, or a queue enabled or
// on) is UNSPECIFIED: the model ignores it and says so.
void riscv_iommu::write_fctl(uint32_t v)
{
    if (m_p.igs != IGS_BOTH || (v & FCTL_WSI) == (m_fctl & FCTL_WSI))
        return;
    const bool queue = (cqcsr_value() & (CQCSR_CQEN | XQCSR_ON | XQCSR_BUSY)) ||
                       (fqcsr_value() & (FQCSR_FQEN | XQCSR_ON | XQCSR_BUSY)) ||
                       (m_pq->pqcsr() & (PQCSR_PQEN | XQCSR_ON | XQCSR_BUSY));
    if ((m_ddtp & DDTP_MODE) != DDTP_OFF || queue) {
        SC_REPORT_WARNING(name(), ("fctl write " + hex(v) + " ignored: fctl.WSI may change only while " +
                                   "ddtp.iommu_mode is Off and every queue is off (§4)")
                                      .c_str());
        return;
    }
    m_fctl = v & FCTL_WSI;
}

void riscv_iommu::write_msi_vec_ctl(unsigned vec, uint32_t v, sc_core::sc_time& t)
{
    const bool was_masked = m_msi_ctl[vec] & MSI_VEC_CTL_M;
    m_msi_ctl[vec] = v & MSI_VEC_CTL_M;
    if (was_masked && !(v & MSI_VEC_CTL_M) && m_msi_pending[vec]) {
        // §8.3: a masked message is remembered and sent when unmasked.
        m_msi_pending[vec] = false;
        raise_msi(vec, t);
    }
}

// A register access at the caller's local time `delay`: the RTL is brought
// up to that time first, so that its registers read as they are then.
void riscv_iommu::mmio_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay)
{
    m_pq->catch_up(delay);
    m_access_ps = (prisim::sim_now() + delay).value();
    const uint64_t addr = gp.get_address();
    const unsigned len = gp.get_data_length();
    unsigned char* data = gp.get_data_ptr();
    if (addr >= REG_PAGE_SIZE || len > REG_PAGE_SIZE - addr || !data) {
        gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    const uint32_t off = static_cast<uint32_t>(addr);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    if (!access_legal(off, len) || gp.get_byte_enable_ptr() || gp.get_streaming_width() < len) {
        // §1: UNSPECIFIED; reference-model convention: reads all-ones, writes dropped.
        ++m_st.mmio_illegal;
        std::ostringstream m;
        m << "illegal register " << (gp.is_read() ? "read" : "write") << " at offset "
          << hex(off) << " size " << len << (gp.get_byte_enable_ptr() ? " with byte enables" : "")
          << (gp.is_read() ? ": reads all-ones" : ": dropped");
        SC_REPORT_WARNING(name(), m.str().c_str());
        if (gp.is_read())
            std::memset(data, 0xFF, len);
        return;
    }
    if (gp.is_read())
        store_le(data, reg_read(off, len), len);
    else if (gp.is_write())
        reg_write(off, len, load_le(data, len), delay);
}

unsigned riscv_iommu::mmio_transport_dbg(tlm::tlm_generic_payload& gp)
{
    const uint64_t addr = gp.get_address();
    const unsigned len = gp.get_data_length();
    if (!gp.is_read() || addr >= REG_PAGE_SIZE || !gp.get_data_ptr() ||
        !access_legal(static_cast<uint32_t>(addr), len))
        return 0;
    m_access_ps = ~uint64_t(0); // debug reads see the latest state
    store_le(gp.get_data_ptr(), reg_read(static_cast<uint32_t>(addr), len), len);
    return len;
}

// ============================ inbound PCIe ============================

void riscv_iommu::pcie_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay)
{
    auto* ext = gp.get_extension<pcie::tlp_ext>();
    if (!ext) {
        SC_REPORT_WARNING(name(), "inbound transaction without a pcie::tlp_ext rejected");
        gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    const bool payload8 = gp.get_data_ptr() && gp.get_data_length() >= 8;
    switch (ext->kind) {
    case pcie::tlp_kind::page_request: {
        if (!payload8 || !gp.is_write()) {
            SC_REPORT_WARNING(name(), "malformed Page Request (needs an 8-byte WRITE) rejected");
            gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
        // Posted: queue it by arrival time and return at once (msg_thread
        // handles it when it arrives).
        in_msg m;
        m.at = prisim::sim_now() + delay;
        page_req& pr = m.pr;
        pr.rid = ext->rid;
        pr.dsv = ext->dsv;
        pr.dseg = ext->dseg;
        pr.pv = ext->pv;
        pr.pasid = ext->pasid & 0xFFFFF;
        pr.priv = ext->pv && ext->priv; // §12: 0 without a PASID
        pr.exec = ext->pv && ext->exec;
        pr.payload = pcie::load_le64(gp.get_data_ptr());
        dev_counters& d = dev(pr.did());
        ++d.pr_received;
        if (pcie::pr_l(pr.payload)) {
            ++d.pr_last_received;
            if (m_stages && m_stages->tracing()) // a boundary only the trace shows
                m_stages->mark(pr.rid, pr.pv ? pr.pasid : 0, pcie::pr_prgi(pr.payload),
                               prisim::fault_mark::at_iommu, uint64_t(m.at.value()));
        }
        m_in_q.insert_ordered(m, [](const in_msg& a, const in_msg& b) { return a.at < b.at; });
        m_in_ev.notify(delay);
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    case pcie::tlp_kind::inval_completion:
        if (!payload8) {
            SC_REPORT_WARNING(name(), "malformed Invalidate Completion rejected");
            gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
        {
            in_msg m;
            m.at = prisim::sim_now() + delay;
            m.is_pr = false;
            m.ext = *ext;
            m.payload = pcie::load_le64(gp.get_data_ptr());
            m_in_q.insert_ordered(m, [](const in_msg& a, const in_msg& b) { return a.at < b.at; });
            m_in_ev.notify(delay);
        }
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    case pcie::tlp_kind::ats_translation_req: {
        // LT target: latencies are annotated on `delay`, never waited for.
        target_scope scope(m_in_target);
        if (!payload8) {
            SC_REPORT_WARNING(name(), "malformed ATS Translation Request (needs 8 bytes) rejected");
            gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
        handle_ats(gp, *ext, delay);
        return;
    }
    case pcie::tlp_kind::mem_read:
    case pcie::tlp_kind::mem_write: {
        target_scope scope(m_in_target);
        handle_dma(gp, *ext, delay);
        return;
    }
    default:
        SC_REPORT_WARNING(name(), "inbound PRG Response / Invalidate Request rejected: "
                                  "those travel from the IOMMU to devices");
        gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return;
    }
}

// ============================ memory helpers ============================

tlm::tlm_generic_payload& riscv_iommu::mem_payload(tlm::tlm_command cmd, uint64_t addr,
                                                   unsigned char* data, unsigned len)
{
    return prepare_payload(m_mem_gp, cmd, addr, data, len);
}

// One access of the IOMMU's own through `mem` as a transport (mem_access
// without DMI): mem_latency plus what the bus annotates, added to the local
// time `t`. False on any error response (an access fault).
bool riscv_iommu::mem_transport(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned len,
                                sc_core::sc_time& t)
{
    tlm::tlm_generic_payload& gp = mem_payload(cmd, addr, data, len);
    t += m_p.mem_latency;
    mem->b_transport(gp, t);
    const bool ok = gp.is_response_ok();
    if (ok && !m_dmi_asked && gp.is_dmi_allowed()) {
        m_dmi_asked = true;
        tlm::tlm_generic_payload& q = mem_payload(tlm::TLM_READ_COMMAND, addr, data, len);
        m_dmi.init();
        m_dmi_valid = mem->get_direct_mem_ptr(q, m_dmi) && m_dmi.is_read_allowed();
    }
    account(t, sc_core::SC_ZERO_TIME);
    return ok;
}

void riscv_iommu::invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end)
{
    if (m_dmi_valid && start <= m_dmi.get_end_address() && end >= m_dmi.get_start_address()) {
        m_dmi_valid = false;
        m_dmi_asked = false;
    }
}

// account() at quantum 0 outside a b_transport: as a b_transport target the
// initiator synchronises; the IOMMU's own processes synchronise for each
// latency at quantum 0 and otherwise only at hand-offs (see the header).
void riscv_iommu::account_synchronised(sc_core::sc_time& t, const sc_core::sc_time& d)
{
    annotate(t, d, m_p.quantum);
}

// ============================ fault injection ============================

const char* mem_target_name(mem_target t)
{
    static const char* const names[] = {"ddt", "pdt", "pgtbl", "cq", "fq", "pq", "msi", "none"};
    return names[static_cast<unsigned>(t)];
}

namespace {

// What `corrupt` matches: the stores of the queues the IOMMU writes, the
// loads of everything else.
bool corrupts_stores(mem_target s) { return s == mem_target::fq || s == mem_target::pq; }

// The bit `corrupt` flips in the first doubleword of the data, per target
// (docs/scenario.md, "Injected memory faults"), each one the IOMMU or the
// driver must reject by rule:
//   ddt   bit 63: reserved in a non-leaf DDT entry (63:54) and in DC.tc
//         (63:32): the entry is misconfigured, cause 259 (§15.4 #1);
//   pgtbl bit 54: the lowest reserved PTE bit (60:54): a page fault (§17,
//         privileged spec);
//   cq    bit 6: the top opcode bit: an opcode no command has, cmd_ill (§7.2);
//   fq    bit 11: the top CAUSE bit: a custom cause, 2048 + the real one (§11.2);
//   pq    bit 35: a reserved header bit (39:35) of the record (§12).
uint64_t corrupt_bit(mem_target s)
{
    switch (s) {
    case mem_target::ddt: return uint64_t(1) << 63;
    case mem_target::pdt: return uint64_t(1) << 63;
    case mem_target::pgtbl: return uint64_t(1) << 54;
    case mem_target::cq: return uint64_t(1) << 6;
    case mem_target::fq: return uint64_t(1) << 11;
    case mem_target::pq: return uint64_t(1) << 35;
    default: return 0;
    }
}

const char* target_what(mem_target s)
{
    switch (s) {
    case mem_target::ddt: return "DDT entry / device context";
    case mem_target::pdt: return "process-directory entry";
    case mem_target::pgtbl: return "page-table entry";
    case mem_target::cq: return "command-queue entry";
    case mem_target::fq: return "fault-queue record";
    case mem_target::pq: return "page-request-queue record";
    case mem_target::msi: return "MSI";
    default: return "?";
    }
}

// The largest access `corrupt` applies to (a 64-byte DC; records are 16 and 32).
constexpr unsigned CORRUPT_MAX_LEN = 64;

// Injected faults logged one by one before the rest go unlogged.
constexpr uint64_t INJECT_REPORTS = 16;

} // namespace

riscv_iommu::inject_action riscv_iommu::inject_check(mem_target s, uint32_t did, bool write,
                                                     uint64_t addr, unsigned len)
{
    const inject_params& ip = m_p.inject;
    // corrupt: the data direction of the target, and a first doubleword to
    // flip; poison: loads
    if (ip.corrupt && (write != corrupts_stores(s) || len < 8 || len > CORRUPT_MAX_LEN))
        return inject_action::none;
    if (ip.poison && write)
        return inject_action::none;
    if (!ip.any_device && did != ip.device)
        return inject_action::none;
    const uint64_t n = ++m_inj_seen;
    if (n < ip.nth || n - ip.nth >= ip.times)
        return inject_action::none;
    const uint64_t k = ++m_inj_total;
    if (did != NO_DEVICE)
        ++dev(did).injected;
    if (k <= INJECT_REPORTS) {
        std::string msg = std::string("injected ") +
                          (ip.corrupt ? "data corruption" : ip.poison ? "poisoned data" : "access fault") +
                          " (iommu.inject): " + mem_target_name(s) + " " +
                          (write ? "store of a " : "load of a ") + target_what(s) + " at " + hex(addr);
        if (did != NO_DEVICE)
            msg += " for device_id " + hex(did);
        msg += ", access " + std::to_string(n) + " of " + mem_target_name(s);
        if (k == INJECT_REPORTS)
            msg += "; further injected faults are counted, not logged";
        SC_REPORT_INFO(name(), msg.c_str());
    }
    return ip.corrupt ? inject_action::corrupt : ip.poison ? inject_action::poison : inject_action::fail;
}

// The slow path of mem_read/mem_write for the target injection names.
bool riscv_iommu::mem_injected(mem_target s, uint32_t did, bool write, uint64_t addr,
                               unsigned char* data, unsigned len, sc_core::sc_time& t)
{
    const tlm::tlm_command cmd = write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND;
    m_poisoned = false;
    switch (inject_check(s, did, write, addr, len)) {
    case inject_action::poison:
        // The data came back marked corrupt: the access took its time and
        // failed, and the fault it raises names the corruption.
        account(t, m_p.mem_latency);
        m_poisoned = true;
        return false;
    case inject_action::fail:
        // An error response from memory: it took the access's time.
        account(t, m_p.mem_latency);
        return false;
    case inject_action::corrupt:
        if (write) {
            unsigned char b[CORRUPT_MAX_LEN];
            std::memcpy(b, data, len);
            store_le(b, load_le(b) ^ corrupt_bit(s));
            return mem_access(cmd, addr, b, len, t);
        }
        if (!mem_access(cmd, addr, data, len, t))
            return false;
        store_le(data, load_le(data) ^ corrupt_bit(s));
        return true;
    case inject_action::none:
        break;
    }
    return mem_access(cmd, addr, data, len, t);
}

uint64_t riscv_iommu::injected_for(uint32_t did) const
{
    auto it = m_dev.find(did);
    return it == m_dev.end() ? 0 : it->second.injected;
}

bool riscv_iommu::post_write(uint64_t addr, const void* data, unsigned len, const sc_core::sc_time& t)
{
    // The target only reads the buffer of a write command.
    tlm::tlm_generic_payload& gp = prepare_payload(
        m_post_gp, tlm::TLM_WRITE_COMMAND, addr, static_cast<unsigned char*>(const_cast<void*>(data)), len);
    sc_core::sc_time d = t + m_p.msi_latency;
    mem->b_transport(gp, d);
    return gp.is_response_ok();
}

void riscv_iommu::wait_cycles(unsigned n, sc_core::sc_time& t)
{
    if (n)
        account(t, m_p.clk_period * double(n));
}

// ============================ observers ============================

uint32_t riscv_iommu::pq_occupancy() const
{
    return static_cast<uint32_t>((uint64_t(m_pq->pqt()) - m_pqh) & qmask(m_pqb));
}

uint64_t riscv_iommu::rtl_cycles() const { return m_pq->cycles() + m_iotlb.rtl_cycles(); }
uint64_t riscv_iommu::rtl_host_ticks() const { return m_pq->host_ticks() + m_iotlb.host_ticks(); }
uint64_t riscv_iommu::rtl_activations() const { return m_pq->activations(); }

void riscv_iommu::pq_occupancy_update(const sc_core::sc_time& t)
{
    m_pq_occ.set(pq_occupancy(), (prisim::sim_now() + t).value());
}

uint32_t riscv_iommu::cq_occupancy() const
{
    return static_cast<uint32_t>((uint64_t(m_cqt_hw) - m_cqh) & qmask(m_cqb));
}

void riscv_iommu::observe_occupancy(prisim::occupancy_observer* o, const std::string& prefix)
{
    m_pq_occ.observe(o, prefix + ".pq");
    m_cq_occ.observe(o, prefix + ".cq");
}

riscv_iommu::dev_counters& riscv_iommu::dev(uint32_t did)
{
    if (did != m_last_did || !m_last_dev) {
        m_last_dev = &m_dev[did];
        m_last_did = did;
    }
    return *m_last_dev;
}

void riscv_iommu::report(prisim::stat_sink& s, const std::string& prefix) const
{
    const std::string p = prefix + ".";
    const uint64_t now = prisim::sim_now().value();
    s.counter(p + "pq.records_written", m_st.pq_records_written);
    s.counter(p + "pq.occupancy_hwm", m_pq_occ.hwm());
    s.value(p + "pq.occupancy_avg", m_pq_occ.average(now));
    s.occupancy(prefix + ".pq", m_pq_occ, now, int64_t(m_st.pq_overflows));
    s.occupancy(prefix + ".cq", m_cq_occ, now);
    s.counter(p + "pq.overflows", m_st.pq_overflows);
    s.counter(p + "pq.drop.disabled", m_st.pq_drop_disabled);
    s.counter(p + "pq.drop.memfault", m_st.pq_drop_memfault);
    s.counter(p + "pq.drop.overflow", m_st.pq_drop_overflow);
    s.counter(p + "pq.drop.full", m_st.pq_drop_full);
    s.counter(p + "pq.drop.write_fault", m_st.pq_drop_write_fault);
    s.counter(p + "pq.discard_l0", m_st.pq_discard_l0);
    s.counter(p + "pq.discard_stop_marker", m_st.pq_discard_stop_marker);
    // Only the vtd policy discards L=1 requests without a response (the
    // other policies keep their results.json as before this counter).
    if (m_p.pq_ovf_policy == pq_overflow_policy::vtd)
        s.counter(p + "pq.discard_no_response", m_st.pq_discard_no_response);
    s.counter(p + "auto_resp.success", m_st.ar_success);
    s.counter(p + "auto_resp.invalid", m_st.ar_invalid);
    s.counter(p + "auto_resp.failure", m_st.ar_failure);
    static const char* const ar_names[AR_NR] = {
        "pq_full", "pq_overflow", "pq_disabled", "pq_memfault", "pq_write_fault", "mode_off",
        "mode_bare", "did_too_wide", "ddt_load_fault", "dc_invalid", "dc_misconfigured",
        "en_pri_off"};
    for (unsigned i = 0; i < AR_NR; ++i)
        s.counter(p + "auto_resp.cause." + ar_names[i], m_st.ar_cause[i]);
    s.counter(p + "ats.requests", m_st.ats_requests);
    s.counter(p + "ats.not_present", m_st.ats_not_present);
    s.counter(p + "ats.ur", m_st.ats_ur);
    s.counter(p + "ats.ca", m_st.ats_ca);
    s.counter(p + "ats.inval_completions", m_st.ats_inval_completions);
    s.counter(p + "ats.inval_timeouts", m_st.ats_inval_timeouts);
    s.counter(p + "ats.inval_unexpected", m_st.ats_inval_unexpected);
    s.counter(p + "dma.translated", m_st.dma_translated);
    s.counter(p + "dma.untranslated", m_st.dma_untranslated);
    s.counter(p + "dma.t2gpa", m_st.dma_t2gpa);
    s.counter(p + "ats.t2gpa", m_st.ats_t2gpa);
    s.counter(p + "dma.faults", m_st.dma_faults);
    s.counter(p + "fq.records_written", m_st.fq_records_written);
    s.counter(p + "fq.overflows", m_st.fq_overflows);
    s.counter(p + "fq.dropped", m_st.fq_dropped);
    s.counter(p + "cq.commands", m_st.cq_commands);
    s.counter(p + "cq.illegal", m_st.cq_illegal);
    s.counter(p + "cq.iotinval_vma", m_st.cq_iotinval_vma);
    s.counter(p + "cq.iotinval_gvma", m_st.cq_iotinval_gvma);
    s.counter(p + "cq.iofence_c", m_st.cq_iofence_c);
    s.counter(p + "cq.iodir", m_st.cq_iodir);
    s.counter(p + "cq.ats_prgr", m_st.cq_ats_prgr);
    s.counter(p + "cq.ats_inval", m_st.cq_ats_inval);
    s.counter(p + "msi.sent", m_st.msi_sent);
    s.counter(p + "msi.deferred", m_st.msi_deferred);
    s.counter(p + "wsi.asserted", m_st.wsi_asserted);
    s.counter(p + "msi.faults", m_st.msi_faults);
    s.counter(p + "iotlb.hits", m_st.iotlb_hits);
    s.counter(p + "iotlb.misses", m_st.iotlb_misses);
    s.counter(p + "ddtc.hits", m_st.ddtc_hits);
    s.counter(p + "ddtc.misses", m_st.ddtc_misses);
    s.counter(p + "pdtc.hits", m_st.pdtc_hits);
    s.counter(p + "pdtc.misses", m_st.pdtc_misses);
    s.counter(p + "mmio.illegal", m_st.mmio_illegal);
    s.counter(p + "rtl.pq_writer.cycles", m_pq->cycles());
    // Only a run that injects has this counter (the others keep their
    // results.json as before it).
    if (m_inj_target != mem_target::none)
        s.counter(p + "inject." + mem_target_name(m_inj_target), m_inj_total);
    for (const auto& [did, c] : m_dev) {
        char b[16];
        std::snprintf(b, sizeof b, "%04x", did);
        const std::string d = p + "dev." + b + ".";
        s.counter(d + "pr_received", c.pr_received);
        s.counter(d + "pr_last_received", c.pr_last_received);
        s.counter(d + "pq_records_written", c.pq_records_written);
        s.counter(d + "auto_resp_success", c.auto_resp_success);
        s.counter(d + "auto_resp_invalid", c.auto_resp_invalid);
        s.counter(d + "auto_resp_failure", c.auto_resp_failure);
        s.counter(d + "discarded_l0", c.discarded_l0);
        s.counter(d + "discarded_stop_marker", c.discarded_stop_marker);
        if (m_p.pq_ovf_policy == pq_overflow_policy::vtd)
            s.counter(d + "discarded_no_response", c.discarded_no_response);
        if (m_inj_target != mem_target::none) {
            s.counter(d + "injected", c.injected);
            s.counter(d + "auto_resp_failure_injected", c.auto_resp_failure_injected);
        }
    }
}

} // namespace prisim::iommu
