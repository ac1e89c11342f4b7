// SPDX-License-Identifier: Apache-2.0
//
// Queue side of riscv_iommu: fault queue writer (§11), interrupts and MSIs
// (§8), outbound messages, the page-request front end (§13.1 steps 1-5) and
// the glue to pq_engine (steps 6-11), the command queue (§10).
#include "iommu/riscv_iommu.h"

#include "common/endian.h"
#include "common/local_time.h"
#include "common/payload.h"

#include <cstdio>
#include <string>

namespace prisim::iommu {

namespace {

} // namespace

// ============================ fault queue (§11) ============================

void riscv_iommu::report_fault(const fault_info& f, bool dtf, const sc_core::sc_time& t)
{
    if (dtf && !cause_ignores_dtf(f.cause))
        return; // DC.tc.DTF: translation faults are not reported
    fault_record r{};
    r.hdr = fault_hdr(f.cause, f.ttyp, f.did, f.pv, f.pv ? f.pid : 0, f.pv && f.priv);
    r.iotval = f.iotval;
    r.iotval2 = f.iotval2;
    m_fq_pending.push_back({r, prisim::sim_now() + t});
    m_fq_ev.notify(t);
}

// Fault records are rare: this writer keeps to simulated time (it waits
// for each record's time and each write).
void riscv_iommu::fq_thread()
{
    for (;;) {
        while (m_fq_pending.empty())
            sc_core::wait(m_fq_ev);
        if (m_fq_pending.front().at > prisim::sim_now()) {
            sc_core::wait(m_fq_pending.front().at - prisim::sim_now());
            continue;
        }
        const fault_record r = m_fq_pending.front().r;
        m_fq_pending.pop_front();
        sc_core::sc_time t = sc_core::SC_ZERO_TIME;
        if (!(m_fqcsr & FQCSR_FQEN) || (m_fqcsr & FQCSR_ERRORS)) {
            // Queue off, or §11.3: after fqof/fqmf everything is discarded
            // until software clears the bit.
            ++m_st.fq_dropped;
            continue;
        }
        const uint64_t mask = qmask(m_fqb);
        const uint32_t idx = m_fqt;
        if (((idx + 1) & mask) == m_fqh) {
            m_fqcsr |= FQCSR_FQOF;
            ++m_st.fq_overflows;
            ++m_st.fq_dropped;
            if (m_fqcsr & FQCSR_FIE)
                set_ipsr(IPSR_FIP, t);
            continue;
        }
        unsigned char b[FQ_ENTRY_SIZE];
        store_le(b, r.hdr, 8);
        store_le(b + 8, r.custom, 8);
        store_le(b + 16, r.iotval, 8);
        store_le(b + 24, r.iotval2, 8);
        ++m_fq_writing;
        // TTYP 0 (the IOMMU's own, e.g. an MSI write): its DID means nothing.
        const uint32_t did = field(r.hdr, 39, 34) == TTYP_NONE ? NO_DEVICE
                                                               : uint32_t(field(r.hdr, 63, 40));
        const bool ok =
            mem_write(mem_target::fq, did, qaddr(m_fqb, idx, FQ_ENTRY_SIZE), b, FQ_ENTRY_SIZE, t);
        synchronise(t);
        --m_fq_writing;
        if (!ok) {
            m_fqcsr |= FQCSR_FQMF; // §11.3: this and later records dropped until W1C
            ++m_st.fq_dropped;
        } else {
            if (m_fqt == idx) // not reset by an fqen 0 -> 1 meanwhile
                m_fqt = static_cast<uint32_t>((idx + 1) & mask);
            ++m_st.fq_records_written;
        }
        if (m_fqcsr & FQCSR_FIE)
            set_ipsr(IPSR_FIP, t);
    }
}

// ============================ interrupts (§8) ============================

namespace {
unsigned ipsr_index(uint32_t bit)
{
    return bit == IPSR_CIP ? 0 : bit == IPSR_FIP ? 1 : bit == IPSR_PMIP ? 2 : 3;
}
} // namespace

void riscv_iommu::ipsr_edge(uint32_t bit, const sc_core::sc_time& t)
{
    if (wsi_mode()) {
        wire_sync(t); // §8.1: the level of the bit drives its wire
        return;
    }
    unsigned shift = bit == IPSR_CIP ? ICVEC_CIV : bit == IPSR_FIP ? ICVEC_FIV
                   : bit == IPSR_PIP ? ICVEC_PIV : ICVEC_PMIV;
    raise_msi(static_cast<unsigned>((m_icvec >> shift) & 0xF), t);
}

void riscv_iommu::set_ipsr(uint32_t bit, const sc_core::sc_time& t)
{
    ipsr_bit_time& bt = m_ipsr_time[ipsr_index(bit)];
    const uint64_t at = (prisim::sim_now() + t).value();
    if (m_ipsr & bit) {
        // MSIs are edges: only a 0 -> 1 transition sends one. Remember
        // when, in case a clear earlier in simulated time comes later.
        if (bt.nabsorbed == ipsr_bit_time::k_absorbed) {
            // Full: forget the earliest (at worst a later edge, never none).
            unsigned lo = 0;
            for (unsigned i = 1; i < bt.nabsorbed; ++i)
                if (bt.absorbed_ps[i] < bt.absorbed_ps[lo]) lo = i;
            bt.absorbed_ps[lo] = bt.absorbed_ps[--bt.nabsorbed];
        }
        bt.absorbed_ps[bt.nabsorbed++] = at;
        return;
    }
    m_ipsr |= bit;
    bt.edge_ps = at;
    bt.nabsorbed = 0;
    ipsr_edge(bit, t);
}

void riscv_iommu::clear_ipsr(uint32_t bit, const sc_core::sc_time& t)
{
    if (!(m_ipsr & bit))
        return;
    ipsr_bit_time& bt = m_ipsr_time[ipsr_index(bit)];
    const uint64_t now = prisim::sim_now().value();
    const uint64_t at = now + t.value();
    if (bt.edge_ps > at)
        return; // set after this clear
    uint64_t first = 0;
    for (unsigned i = 0; i < bt.nabsorbed; ++i)
        if (bt.absorbed_ps[i] > at && (first == 0 || bt.absorbed_ps[i] < first))
            first = bt.absorbed_ps[i];
    if (!first) {
        bt.nabsorbed = 0;
        m_ipsr &= ~bit;
        wire_sync(t);
        return;
    }
    if (wsi_mode()) {
        // The wire drops with the clear and rises again with the set.
        m_ipsr &= ~bit;
        wire_sync(t);
        m_ipsr |= bit;
    }
    // Cleared at `at`, set again at `first`: that set is the edge; the sets
    // after it found the bit 1 again.
    unsigned n = 0;
    for (unsigned i = 0; i < bt.nabsorbed; ++i)
        if (bt.absorbed_ps[i] > first)
            bt.absorbed_ps[n++] = bt.absorbed_ps[i];
    bt.nabsorbed = n;
    bt.edge_ps = first;
    ipsr_edge(bit, sc_core::sc_time::from_value(first - now));
}

void riscv_iommu::update_cip(const sc_core::sc_time& t)
{
    if ((m_cqcsr & CQCSR_CIE) && (m_cqcsr & (CQCSR_ERRORS | CQCSR_FENCE_W_IP)))
        set_ipsr(IPSR_CIP, t);
}

uint32_t riscv_iommu::wire_levels() const
{
    if (!wsi_mode())
        return 0;
    uint32_t lv = 0;
    for (auto [bit, shift] : {std::pair{IPSR_CIP, ICVEC_CIV}, std::pair{IPSR_FIP, ICVEC_FIV},
                              std::pair{IPSR_PMIP, ICVEC_PMIV}, std::pair{IPSR_PIP, ICVEC_PIV}})
        if (m_ipsr & bit)
            lv |= 1u << ((m_icvec >> shift) & 0xF);
    return lv;
}

// The wires are level-sensitive (§8.1): each change reaches the interrupt
// controller at local time `t`, like an MSI, without holding anyone up.
void riscv_iommu::wire_sync(const sc_core::sc_time& t)
{
    const uint32_t lv = wire_levels();
    const uint32_t changed = lv ^ m_wires;
    if (!changed)
        return;
    m_wires = lv;
    for (unsigned v = 0; v < MSI_VECTORS; ++v) {
        if (!((changed >> v) & 1))
            continue;
        const bool up = (lv >> v) & 1;
        m_st.wsi_asserted += up;
        if (wsi.size())
            wsi->set_level(v, up, t);
    }
}

// The MSI is a posted write at `t` from whichever activity raised it: it
// never holds that activity up.
void riscv_iommu::raise_msi(unsigned vec, const sc_core::sc_time& t)
{
    if (m_msi_ctl[vec] & MSI_VEC_CTL_M) {
        // §8.3: suppressed but remembered, sent when unmasked.
        m_msi_pending[vec] = true;
        ++m_st.msi_deferred;
        return;
    }
    const uint64_t addr = m_msi_addr[vec];
    unsigned char b[4];
    store_le(b, m_msi_data[vec], 4);
    bool ok;
    if (m_inj_target == mem_target::msi) [[unlikely]]
        ok = inject_check(mem_target::msi, NO_DEVICE, true, addr, 4) == inject_action::none &&
             post_write(addr, b, 4, t);
    else
        ok = post_write(addr, b, 4, t);
    if (ok) {
        ++m_st.msi_sent;
        return;
    }
    // §8.3: the IOMMU's own MSI write faulted: the message is lost; a fault
    // record, cause 273, TTYP 0, iotval = msi_addr_v.
    ++m_st.msi_faults;
    fault_info f;
    f.cause = CAUSE_MSI_WRITE_FAULT;
    f.ttyp = TTYP_NONE;
    f.iotval = addr;
    report_fault(f, false, t);
}

// ============================ outbound messages ============================

riscv_iommu::out_mm::~out_mm()
{
    for (auto& t : m_all)
        t->clear_extension(&t->ext);
}

riscv_iommu::out_txn* riscv_iommu::out_mm::alloc()
{
    if (m_free.empty()) {
        m_all.push_back(std::make_unique<out_txn>());
        m_all.back()->set_mm(this);
        return m_all.back().get();
    }
    out_txn* t = m_free.back();
    m_free.pop_back();
    return t;
}

void riscv_iommu::out_mm::free(tlm::tlm_generic_payload* gp)
{
    auto* t = static_cast<out_txn*>(gp);
    t->clear_extension(&t->ext);
    m_free.push_back(t);
}

void riscv_iommu::send_down(const out_msg& m, const sc_core::sc_time& at)
{
    out_txn* t = m_out_mm.alloc();
    prepare_payload(*t, tlm::TLM_WRITE_COMMAND, 0, t->data, 8);
    pcie::store_le64(t->data, m.payload);
    t->ext = pcie::tlp_ext{};
    t->ext.kind = m.kind;
    t->ext.rid = m.rid;
    t->ext.dsv = m.dsv;
    t->ext.dseg = m.dseg;
    t->ext.pv = m.pv;
    t->ext.pasid = m.pv ? m.pasid : 0;
    t->ext.from = m.from;
    t->ext.itag = static_cast<uint8_t>(m.itag & 0x1F);
    t->set_extension(&t->ext);
    t->acquire();
    // Posted: the link hands it on with its arrival time and returns at once.
    sc_core::sc_time d = at;
    pcie_down->b_transport(*t, d);
    if (!t->is_response_ok())
        SC_REPORT_WARNING(name(), (std::string("the link refused a ") +
                                   (m.kind == pcie::tlp_kind::prg_response
                                        ? "PRG Response" : "Invalidate Request") +
                                   " for RID " + std::to_string(m.rid))
                                      .c_str());
    t->release();
}

// ============================ page requests (§13) ============================

bool riscv_iommu::is_stop_marker(bool pv, uint64_t payload) const
{
    // §12: L = 1, R = W = 0, with a PASID (configurable, default per spec).
    return pcie::pr_l(payload) && !pcie::pr_r(payload) && !pcie::pr_w(payload) &&
           (pv || !m_p.stop_marker_needs_pasid);
}

void riscv_iommu::count_auto_response(uint32_t did, unsigned code)
{
    dev_counters& d = dev(did);
    if (code == pcie::PRG_SUCCESS) {
        ++d.auto_resp_success;
        ++m_st.ar_success;
    } else if (code == pcie::PRG_INVALID_REQUEST) {
        ++d.auto_resp_invalid;
        ++m_st.ar_invalid;
    } else {
        ++d.auto_resp_failure;
        ++m_st.ar_failure;
    }
}

// The front end for inbound posted messages: each is handled at its arrival
// time, or when the previous one is done, whichever is later. The process
// runs ahead of simulated time by up to the quantum.
void riscv_iommu::msg_thread()
{
    sc_core::sc_time busy_until = sc_core::SC_ZERO_TIME; // the front end is busy until then
    for (;;) {
        if (m_in_q.empty()) {
            sc_core::wait(m_in_ev);
            continue;
        }
        // Each message is taken at its arrival time exactly: by then every
        // process has run up to that time, so what it sees (DC, pqh, the
        // queue's state) is what was written before it arrived. Its handling
        // then runs ahead while the front end is busy.
        const sc_core::sc_time now = prisim::sim_now();
        if (m_in_q.front().at > now) {
            sc_core::wait(m_in_q.front().at - now, m_in_ev); // an earlier message may still arrive
            continue;
        }
        const in_msg m = m_in_q.front();
        m_in_q.pop_front();
        sc_core::sc_time t = busy_until > now ? busy_until - now : sc_core::SC_ZERO_TIME;
        if (t != sc_core::SC_ZERO_TIME && t >= m_p.quantum)
            synchronise(t);
        if (m.is_pr)
            handle_page_request(m.pr, t);
        else
            handle_inval_completion(m.ext, m.payload, t);
        busy_until = prisim::sim_now() + t;
    }
}

// §13.1 steps 1-5; the rest is rtl/pq_writer's.
void riscv_iommu::handle_page_request(const page_req& pr, sc_core::sc_time& t)
{
    const uint32_t did = pr.did();
    fault_info f;
    f.ttyp = TTYP_MESSAGE;
    f.did = did;
    f.pv = pr.pv;
    f.pid = pr.pasid;
    f.priv = pr.priv;
    f.iotval = MSG_CODE_PAGE_REQUEST;

    unsigned code = pcie::PRG_SUCCESS;
    unsigned arc = AR_NR;
    bool dtf = false, prpr = false;
    const uint64_t injected_before = m_inj_total;
    ctx_result ctx = locate_context(did, t);
    f.cause = ctx.cause;
    switch (ctx.cause) {
    case 0:
        if (ctx.bare) {
            f.cause = CAUSE_TTYPE_DISALLOWED; // step 2
            code = pcie::PRG_INVALID_REQUEST;
            arc = AR_MODE_BARE;
            break;
        }
        prpr = ctx.dc.tc & TC_PRPR;
        dtf = ctx.dc.tc & TC_DTF;
        if (!(ctx.dc.tc & TC_EN_PRI)) {
            // Step 5: Invalid Request, not Response Failure (PRI is shared by
            // a PF and its VFs).
            f.cause = CAUSE_TTYPE_DISALLOWED;
            code = pcie::PRG_INVALID_REQUEST;
            arc = AR_EN_PRI_OFF;
        }
        break;
    case CAUSE_ALL_INBOUND_DISALLOWED: // step 1
        code = pcie::PRG_RESPONSE_FAILURE;
        arc = AR_MODE_OFF;
        break;
    case CAUSE_TTYPE_DISALLOWED: // step 3: device_id too wide
        code = pcie::PRG_INVALID_REQUEST;
        arc = AR_DID_TOO_WIDE;
        break;
    case CAUSE_DDT_LOAD_FAULT: // step 4
    case CAUSE_DDT_CORRUPTION: // the same load, its data poisoned
        code = pcie::PRG_RESPONSE_FAILURE;
        arc = AR_DDT_LOAD_FAULT;
        break;
    case CAUSE_DDT_INVALID:
        code = pcie::PRG_RESPONSE_FAILURE;
        arc = AR_DC_INVALID;
        break;
    default:
        code = pcie::PRG_RESPONSE_FAILURE;
        arc = AR_DC_MISCONFIGURED;
        break;
    }

    if (arc == AR_NR) {
        pq_request q;
        q.did = did;
        q.dsv = pr.dsv;
        q.pv = pr.pv;
        q.pid = pr.pasid;
        q.priv = pr.priv;
        q.exec = pr.exec;
        q.payload = pr.payload;
        q.prpr = prpr;
        m_pq->submit(q, t);
        return;
    }

    report_fault(f, dtf, t);
    dev_counters& d = dev(did);
    if (!pcie::pr_l(pr.payload)) {
        ++d.discarded_l0; // §13.2: silently discarded, no response
        ++m_st.pq_discard_l0;
        return;
    }
    if (is_stop_marker(pr.pv, pr.payload)) {
        ++d.discarded_stop_marker;
        ++m_st.pq_discard_stop_marker;
        return;
    }
    // §13.4: Success/Invalid carry the PASID only with PRPR (0 when no DC was
    // found); Response Failure always does.
    out_msg m;
    m.kind = pcie::tlp_kind::prg_response;
    m.rid = pr.rid;
    m.dsv = pr.dsv;
    m.dseg = pr.dseg;
    m.pv = pr.pv && (code == pcie::PRG_RESPONSE_FAILURE || prpr);
    m.pasid = pr.pasid;
    m.payload = pcie::prgr_payload(pcie::pr_prgi(pr.payload), code, pr.rid);
    m.from = pcie::origin::iommu_auto;
    send_down(m, t);
    count_auto_response(did, code);
    ++m_st.ar_cause[arc];
    if (code == pcie::PRG_RESPONSE_FAILURE && m_inj_total != injected_before)
        ++d.auto_resp_failure_injected; // the DC lookup met an injected fault
}

// ---- pq_engine_client ----

bool riscv_iommu::pq_mem_write(uint64_t addr, const unsigned char* data16, sc_core::sc_time& t)
{
    // §13.1 step 10: a fault here sets pqmf and answers Response Failure (rtl/pq_writer).
    return !mem_write(mem_target::pq, uint32_t(load_le(data16) >> 40), addr, data16, PQ_ENTRY_SIZE, t);
}

void riscv_iommu::pq_auto_response(const pq_request& req, uint32_t did, bool pv, uint32_t pid,
                                   unsigned prgi, unsigned code, sc_core::sc_time& t)
{
    out_msg m;
    m.kind = pcie::tlp_kind::prg_response;
    m.rid = static_cast<uint16_t>(did & 0xFFFF);
    m.dseg = static_cast<uint8_t>(did >> 16);
    // §13.4: the response goes to the requester with its DSV/DSEG as they
    // came (DSV = 1 with segment 0 is not the same message as DSV = 0).
    m.dsv = req.dsv;
    m.pv = pv;
    m.pasid = pid;
    // The reference model puts the RID in payload bits 63:48 (§13.4).
    m.payload = pcie::prgr_payload(prgi, code, m.rid);
    m.from = pcie::origin::iommu_auto;
    send_down(m, t);
    count_auto_response(did, code);
}

void riscv_iommu::pq_done(const pq_request& req, pq_cause cause, bool auto_resp, uint64_t at_ps)
{
    dev_counters& d = dev(req.did);
    unsigned arc = AR_NR;
    switch (cause) {
    case pq_cause::queued:
        ++d.pq_records_written;
        ++m_st.pq_records_written;
        if (m_stages && pcie::pr_l(req.payload))
            m_stages->mark(uint16_t(req.did & 0xFFFF), req.pv ? req.pid : 0, pcie::pr_prgi(req.payload),
                           prisim::fault_mark::pq_written, at_ps);
        return;
    case pq_cause::drop_disabled:
        ++m_st.pq_drop_disabled;
        arc = AR_PQ_DISABLED;
        break;
    case pq_cause::drop_memfault:
        ++m_st.pq_drop_memfault;
        arc = AR_PQ_MEMFAULT;
        break;
    case pq_cause::drop_overflow:
        ++m_st.pq_drop_overflow;
        arc = AR_PQ_OVERFLOW;
        break;
    case pq_cause::drop_full:
        ++m_st.pq_drop_full;
        arc = AR_PQ_FULL;
        break;
    case pq_cause::drop_write_fault:
        ++m_st.pq_drop_write_fault;
        arc = AR_PQ_WRITE_FAULT;
        break;
    }
    if (auto_resp) {
        ++m_st.ar_cause[arc];
        // pqmf set by an injected fault (sticky until software clears it).
        if ((cause == pq_cause::drop_write_fault || cause == pq_cause::drop_memfault) &&
            m_inj_target == mem_target::pq && m_inj_total)
            ++d.auto_resp_failure_injected;
    } else if (!pcie::pr_l(req.payload)) {
        ++d.discarded_l0;
        ++m_st.pq_discard_l0;
    } else if (m_p.pq_ovf_policy == pq_overflow_policy::vtd &&
               (cause == pq_cause::drop_overflow || cause == pq_cause::drop_full) &&
               !is_stop_marker(req.pv, req.payload)) {
        ++d.discarded_no_response;
        ++m_st.pq_discard_no_response;
    } else {
        ++d.discarded_stop_marker;
        ++m_st.pq_discard_stop_marker;
    }
}

void riscv_iommu::pq_pip_set(sc_core::sc_time& t) { set_ipsr(IPSR_PIP, t); }

void riscv_iommu::pq_status_changed(uint32_t old_csr, uint32_t new_csr, uint32_t old_pqt,
                                    uint32_t new_pqt, sc_core::sc_time& t)
{
    if (!(old_csr & PQCSR_PQOF) && (new_csr & PQCSR_PQOF))
        ++m_st.pq_overflows;
    if (old_pqt != new_pqt)
        pq_occupancy_update(t);
    // §8.1: pip is a level condition on pqof/pqmf (e.g. pie set while pqof is
    // 1), taken on the settled state: while an enable is in progress (busy)
    // the error bits that the same pqen 0 -> 1 write clears (§7.1) still
    // show, and they are no condition for pip.
    if (!(new_csr & XQCSR_BUSY) && (new_csr & PQCSR_PIE) && (new_csr & PQCSR_ERRORS))
        set_ipsr(IPSR_PIP, t);
}

// ============================ command queue (§10) ============================

// The command engine: runs ahead of simulated time while it has commands
// (at quantum 0 it waits for each latency; see riscv_iommu.h); when it runs
// dry it stays busy until its local time before it takes the next doorbell.
void riscv_iommu::cq_thread()
{
    sc_core::sc_time t = sc_core::SC_ZERO_TIME;
    for (;;) {
        // Doorbells up to the engine's local time.
        const uint64_t local = (prisim::sim_now() + t).value();
        while (!m_cqt_writes.empty() && m_cqt_writes.front().first <= local) {
            m_cqt_hw = m_cqt_writes.front().second;
            cq_occupancy_update(m_cqt_writes.front().first); // at the doorbell's time
            m_cqt_writes.pop_front();
        }
        if (cq_run_one(t, false) == cq_step::ran)
            continue;
        const sc_core::sc_time now = prisim::sim_now();
        m_cq_busy_until = now + t;
        m_cq_idle = m_cqt_writes.empty();
        if (!m_cqt_writes.empty())
            sc_core::wait(sc_core::sc_time::from_value(m_cqt_writes.front().first) - now, m_cq_ev);
        else
            sc_core::wait(m_cq_ev);
        m_cq_idle = false;
        // A doorbell served in the storing process may have moved it on.
        const sc_core::sc_time later = prisim::sim_now();
        t = m_cq_busy_until > later ? m_cq_busy_until - later : sc_core::SC_ZERO_TIME;
    }
}

// A cqt store while the engine is idle: execute what the store published
// now, as an LT target does, annotating the engine's local time instead of
// waking cq_thread for it (a scheduler round per doorbell). The effects carry
// their times: cqh as software reads it, a PRG Response leaving through the
// link, an MSI, the IOFENCE.C store. A command that may wait is handed to
// cq_thread at the engine's local time.
void riscv_iommu::cq_doorbell(const sc_core::sc_time& t)
{
    const bool was_target = m_in_target;
    m_in_target = true; // annotate, never wait
    const sc_core::sc_time now = prisim::sim_now();
    sc_core::sc_time lt = now + t > m_cq_busy_until ? t : m_cq_busy_until - now;
    m_cqt_hw = m_cqt;
    cq_occupancy_update((now + t).value());
    cq_step s;
    while ((s = cq_run_one(lt, true)) == cq_step::ran) {
    }
    m_cq_busy_until = now + lt;
    m_in_target = was_target;
    if (s == cq_step::blocked)
        m_cq_ev.notify(lt);
}

bool riscv_iommu::cq_may_block(const command& c) const
{
    const unsigned opcode = c.dw0 & CMD_OPCODE;
    const unsigned func3 = field(c.dw0, 9, 7);
    if (opcode == CMD_ATS)
        return func3 == ATS_INVAL; // waits for a free ITag
    if (opcode == CMD_IOFENCE)
        return itag_busy() ||
               ((c.dw0 & IOFENCE_AV) && (!store_deferrable(field(c.dw1, 61, 0) << 2, 4) ||
                                         m_inj_target == mem_target::cq));
    return false;
}

riscv_iommu::cq_step riscv_iommu::cq_run_one(sc_core::sc_time& t, bool on_doorbell)
{
    if (!(m_cqcsr & CQCSR_CQEN) || (m_cqcsr & CQCSR_ERRORS) || m_cqh == m_cqt_hw)
        return cq_step::idle;
    const sc_core::sc_time start = t;
    m_cq_active = true;
    const uint32_t idx = m_cqh;
    unsigned char b[CQ_ENTRY_SIZE];
    if (!mem_read(mem_target::cq, NO_DEVICE, qaddr(m_cqb, idx, CQ_ENTRY_SIZE), b, CQ_ENTRY_SIZE, t)) {
        m_cqcsr |= CQCSR_CQMF; // §7.2: cqh stays on the command
    } else {
        command c;
        c.dw0 = load_le(b);
        c.dw1 = load_le(b + 8);
        if (on_doorbell && cq_may_block(c)) {
            m_cq_active = false;
            t = start;
            return cq_step::blocked;
        }
        wait_cycles(1, t); // decode
        switch (execute(c, t)) {
        case cmd_result::done:
            ++m_st.cq_commands;
            if (m_cqh == idx) { // not reset by a cqen 0 -> 1 meanwhile
                m_cqh = static_cast<uint32_t>((idx + 1) & qmask(m_cqb));
                const uint64_t now = prisim::sim_now().value();
                m_cqh_reg.set(now + t.value(), m_cqh, now);
                cq_occupancy_update(now + t.value());
            }
            break;
        case cmd_result::illegal:
            ++m_st.cq_illegal;
            m_cqcsr |= CQCSR_CMD_ILL;
            cq_error_log("cqcsr.cmd_ill: the command is illegal (a reserved opcode, func3 or bit, or a field "
                         "out of range)", idx, c);
            break;
        case cmd_result::mem_fault:
            m_cqcsr |= CQCSR_CQMF;
            cq_error_log("cqcsr.cqmf: the command's memory access faulted (an IOFENCE.C store)", idx, c);
            break;
        case cmd_result::timeout:
            m_cqcsr |= CQCSR_CMD_TO;
            cq_error_log("cqcsr.cmd_to: an ATS.INVAL it waits for timed out", idx, c);
            break;
        }
    }
    update_cip(t);
    m_cq_active = false;
    return cq_step::ran;
}

// One line per CQ error naming the command (§6.1: the CQ stops at cqh until
// software clears the bit): a warning for the first 16 of a run, then info,
// as the DDT faults are logged.
void riscv_iommu::cq_error_log(const char* what, uint32_t idx, const command& c)
{
    const unsigned n = ++m_cq_errors_logged;
    char b[96];
    std::snprintf(b, sizeof b, " (cqh %u: opcode %u func3 %u, 0x%016llx 0x%016llx)", unsigned(idx),
                  unsigned(c.dw0 & CMD_OPCODE), unsigned(field(c.dw0, 9, 7)),
                  static_cast<unsigned long long>(c.dw0), static_cast<unsigned long long>(c.dw1));
    std::string msg = std::string("cq: ") + what + b;
    constexpr unsigned loud = 16; // as DDT_REPORTS_LOUD (iommu_xlate.cpp)
    if (n > loud) {
        SC_REPORT_INFO(name(), msg.c_str());
        return;
    }
    if (n == loud)
        msg += "; further CQ errors are logged at info level only";
    SC_REPORT_WARNING(name(), msg.c_str());
}

bool riscv_iommu::store_deferrable(uint64_t addr, unsigned len) const
{
    return m_dmi_valid && addr >= m_dmi.get_start_address() &&
           addr + len - 1 <= m_dmi.get_end_address();
}

void riscv_iommu::store_method()
{
    const uint64_t now = prisim::sim_now().value();
    while (!m_stores.empty() && m_stores.front().at_ps <= now) {
        const timed_store st = m_stores.front();
        m_stores.pop_front();
        store_le(m_store_buf, st.data, 4);
        tlm::tlm_generic_payload& gp =
            prepare_payload(m_store_gp, tlm::TLM_WRITE_COMMAND, st.addr, m_store_buf, 4);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        mem->b_transport(gp, d);
        if (!gp.is_response_ok())
            SC_REPORT_ERROR(name(), "IOFENCE.C store to DRAM refused");
    }
    if (!m_stores.empty())
        m_store_ev.notify(sc_core::sc_time::from_value(m_stores.front().at_ps - now));
}

bool riscv_iommu::itag_busy() const
{
    for (const auto& t : m_itags)
        if (t.busy)
            return true;
    return false;
}

void riscv_iommu::itag_expire()
{
    const sc_core::sc_time now = prisim::sim_now();
    for (auto& t : m_itags) {
        if (t.busy && t.deadline <= now) {
            t.busy = false;
            m_ats_timed_out = true;
            ++m_st.ats_inval_timeouts;
        }
    }
}

// Wait until an ITag is freed by a completion or by its timeout (blocking:
// the local time `t` is synchronised first).
void riscv_iommu::itag_wait_next(sc_core::sc_time& t)
{
    synchronise(t);
    sc_core::sc_time next = sc_core::SC_ZERO_TIME;
    bool any = false;
    for (const auto& t : m_itags) {
        if (t.busy && (!any || t.deadline < next)) {
            next = t.deadline;
            any = true;
        }
    }
    const sc_core::sc_time now = prisim::sim_now();
    sc_core::wait(next > now ? next - now : sc_core::SC_ZERO_TIME, m_itag_ev);
    itag_expire();
}

riscv_iommu::cmd_result riscv_iommu::cmd_iofence(const command& c, sc_core::sc_time& t)
{
    // Completion: all earlier commands completed. Only ATS.INVAL completes
    // asynchronously.
    while (itag_busy())
        itag_wait_next(t);
    if (m_ats_timed_out) {
        m_ats_timed_out = false; // reported once; cqh stays on the fence
        return cmd_result::timeout;
    }
    if (c.dw0 & IOFENCE_AV) {
        const uint64_t addr = field(c.dw1, 61, 0) << 2;
        // Software polls this word: it must not see it before its time.
        // (Not when it may be an injected fault: that is known only at the store.)
        if (t != sc_core::SC_ZERO_TIME && store_deferrable(addr, 4) &&
            m_inj_target != mem_target::cq) {
            // DRAM: written at that time by store_method; the engine goes on.
            m_stores.insert_ordered({uint64_t((prisim::sim_now() + t).value()), addr,
                                     static_cast<uint32_t>(c.dw0 >> 32)},
                                    [](const timed_store& a, const timed_store& b) {
                                        return a.at_ps < b.at_ps;
                                    });
            m_store_ev.notify(sc_core::sc_time::from_value(m_stores.front().at_ps) -
                              prisim::sim_now());
            account(t, m_p.mem_latency + m_dmi.get_write_latency());
        } else {
            unsigned char b[4];
            store_le(b, c.dw0 >> 32, 4);
            synchronise(t);
            if (!mem_write(mem_target::cq, NO_DEVICE, addr, b, 4, t))
                return cmd_result::mem_fault; // §10.3: cqmf, cqh stays on the fence
        }
    }
    // PR/PW: every earlier request is already globally visible here.
    if (c.dw0 & IOFENCE_WSI) {
        // §10.3: completion sets fence_w_ip, which raises cip with cie.
        m_cqcsr |= CQCSR_FENCE_W_IP;
        update_cip(t);
    }
    ++m_st.cq_iofence_c;
    return cmd_result::done;
}

riscv_iommu::cmd_result riscv_iommu::execute(const command& c, sc_core::sc_time& t)
{
    const unsigned opcode = c.dw0 & CMD_OPCODE;
    const unsigned func3 = field(c.dw0, 9, 7);
    switch (opcode) {
    case CMD_IOTINVAL: {
        // NL and S are reserved: capabilities.NL = capabilities.S = 0.
        if (func3 > IOTINVAL_GVMA || (c.dw0 & (IOTINVAL_RSVD0 | IOTINVAL_NL)) ||
            (c.dw1 & (IOTINVAL_RSVD1 | IOTINVAL_S)))
            return cmd_result::illegal;
        if (func3 == IOTINVAL_GVMA) {
            if (c.dw0 & IOTINVAL_PSCV)
                return cmd_result::illegal;
            iotlb_inval_gvma(t, c.dw0 & IOTINVAL_GV, static_cast<uint32_t>(field(c.dw0, 59, 44)),
                             c.dw0 & IOTINVAL_AV, field(c.dw1, 61, 10) << 12);
            ++m_st.cq_iotinval_gvma;
            return cmd_result::done;
        }
        iotlb_inval_vma(t, c.dw0 & IOTINVAL_GV, static_cast<uint32_t>(field(c.dw0, 59, 44)),
                        c.dw0 & IOTINVAL_AV, field(c.dw1, 61, 10) << 12, c.dw0 & IOTINVAL_PSCV,
                        static_cast<uint32_t>(field(c.dw0, 31, 12)));
        ++m_st.cq_iotinval_vma;
        return cmd_result::done;
    }
    case CMD_IOFENCE:
        // WSI is reserved with fctl.WSI = 0.
        if (func3 != IOFENCE_C || (c.dw0 & IOFENCE_RSVD0) ||
            ((c.dw0 & IOFENCE_WSI) && !wsi_mode()) ||
            (c.dw1 & IOFENCE_RSVD1))
            return cmd_result::illegal;
        return cmd_iofence(c, t);
    case CMD_IODIR: {
        if (func3 > IODIR_INVAL_PDT || (c.dw0 & IODIR_RSVD0) || c.dw1)
            return cmd_result::illegal;
        const bool dv = c.dw0 & IODIR_DV;
        const uint32_t did = static_cast<uint32_t>(c.dw0 >> IODIR_DID_SHIFT);
        const uint32_t pid = static_cast<uint32_t>(field(c.dw0, 31, 12));
        // DID must not be wider than the ddtp mode allows.
        // (Off and Bare have no directory, hence no width: open point K10.)
        const unsigned mode = m_ddtp & DDTP_MODE;
        if (dv && mode >= DDTP_1LVL && (did >> ddt_did_bits(mode, m_ext_dc)))
            return cmd_result::illegal;
        if (func3 == IODIR_INVAL_DDT) {
            if (pid)
                return cmd_result::illegal; // PID is reserved for INVAL_DDT
            for (auto& e : m_ddtc)
                if (!dv || e.did == did)
                    e.valid = false;
            pdtc_invalidate(dv, did, false, 0); // and the device's PCs (all with DV = 0)
        } else {
            // INVAL_PDT: DV must be 1; PID no wider than the widest PD
            // mode advertised (PD8's 8 bits without any).
            const unsigned pid_bits = m_p.pd20 ? 20 : m_p.pd17 ? 17 : 8;
            if (!dv || (pid >> pid_bits))
                return cmd_result::illegal;
            pdtc_invalidate(true, did, true, pid);
        }
        ++m_st.cq_iodir;
        return cmd_result::done;
    }
    case CMD_ATS: {
        if (func3 > ATS_PRGR || (c.dw0 & ATS_RSVD0))
            return cmd_result::illegal;
        out_msg m;
        m.rid = static_cast<uint16_t>(c.dw0 >> ATS_RID_SHIFT);
        m.dsv = c.dw0 & ATS_DSV;
        m.dseg = static_cast<uint8_t>(c.dw0 >> ATS_DSEG_SHIFT);
        m.pv = c.dw0 & ATS_PV;
        m.pasid = static_cast<uint32_t>(field(c.dw0, 31, 12));
        m.payload = c.dw1; // ATS.PRGR: bits 63:48 (legacy destination ID) pass as given
        m.from = pcie::origin::software;
        if (func3 == ATS_PRGR) {
            m.kind = pcie::tlp_kind::prg_response;
            if (m_stages && m_stages->tracing()) // a boundary only the trace shows
                m_stages->mark(m.rid, m.pv ? m.pasid : prisim::fault_stages::k_any_pasid,
                               pcie::prgr_prgi(m.payload), prisim::fault_mark::prgr_sent,
                               uint64_t((prisim::sim_now() + t).value()));
            send_down(m, t);
            ++m_st.cq_ats_prgr;
            return cmd_result::done;
        }
        // ATS.INVAL: take an ITag; the CQ stalls while none is free.
        for (;;) {
            itag_expire();
            unsigned i = 0;
            while (i < m_itags.size() && m_itags[i].busy)
                ++i;
            if (i < m_itags.size()) {
                itag& it = m_itags[i];
                it.busy = true;
                it.rid = m.rid;
                it.dsv = m.dsv;
                it.dseg = m.dseg;
                it.received = 0;
                it.deadline = prisim::sim_now() + t + m_p.ats_inval_timeout;
                m.itag = i;
                break;
            }
            itag_wait_next(t);
        }
        m.kind = pcie::tlp_kind::inval_request;
        send_down(m, t);
        ++m_st.cq_ats_inval;
        return cmd_result::done;
    }
    default:
        return cmd_result::illegal;
    }
}

void riscv_iommu::handle_inval_completion(const pcie::tlp_ext& ext, uint64_t payload,
                                          const sc_core::sc_time& at)
{
    ++m_st.ats_inval_completions;
    const uint32_t vec = pcie::inval_cpl_itags(payload);
    const unsigned cc = pcie::inval_cpl_cc(payload);
    for (unsigned i = 0; i < 32; ++i) {
        if (!(vec & (1u << i)))
            continue;
        if (i >= m_itags.size() || !m_itags[i].busy || m_itags[i].rid != ext.rid ||
            (m_itags[i].dsv && (!ext.dsv || ext.dseg != m_itags[i].dseg))) {
            ++m_st.ats_inval_unexpected;
            SC_REPORT_WARNING(name(), ("unexpected Invalidate Completion for ITag " +
                                       std::to_string(i) + " from RID " + std::to_string(ext.rid))
                                          .c_str());
            continue;
        }
        // Completions are counted modulo 8; CC = 0 means 8 (reference model).
        itag& it = m_itags[i];
        it.received = (it.received + 1) & 7;
        if (it.received == cc)
            it.busy = false;
    }
    m_itag_ev.notify(at);
}

} // namespace prisim::iommu
