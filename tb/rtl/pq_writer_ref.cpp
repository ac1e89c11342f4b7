// SPDX-License-Identifier: Apache-2.0
//
// Cycle-accurate C++ reference of rtl/pq_writer.sv; see pq_writer_ref.h.
#include "pq_writer_ref.h"

#include <cinttypes>
#include <cstdio>

namespace pqw {

namespace {

constexpr uint64_t PPN_MASK = (uint64_t{1} << 44) - 1;
constexpr uint32_t DID_MASK = 0xFFFFFF;
constexpr uint32_t PID_MASK = 0xFFFFF;

}  // namespace

const char *cause_name(unsigned cause)
{
    switch (cause) {
    case CAUSE_QUEUED:
        return "Queued";
    case CAUSE_DROP_DISABLED:
        return "DropDisabled";
    case CAUSE_DROP_MEM_FAULT:
        return "DropMemFault";
    case CAUSE_DROP_OVERFLOW:
        return "DropOverflow";
    case CAUSE_DROP_FULL:
        return "DropFull";
    case CAUSE_DROP_WRITE_FAULT:
        return "DropWriteFault";
    default:
        return "?";
    }
}

bool pq_out_equal(const pq_out &e, const pq_out &g, std::string *what)
{
    struct field {
        const char *name;
        uint64_t exp;
        uint64_t got;
    };
    const field fields[] = {
        {"pqcsr_o", e.pqcsr, g.pqcsr},
        {"pqt_o", e.pqt, g.pqt},
        {"req_ready_o", e.req_ready, g.req_ready},
        {"mem_req_valid_o", e.mem_req_valid, g.mem_req_valid},
        {"mem_req_addr_o", e.mem_req_addr, g.mem_req_addr},
        {"mem_req_data_o[63:0]", e.mem_req_hdr, g.mem_req_hdr},
        {"mem_req_data_o[127:64]", e.mem_req_payload, g.mem_req_payload},
        {"ar_valid_o", e.ar_valid, g.ar_valid},
        {"ar_code_o", e.ar_code, g.ar_code},
        {"ar_prgi_o", e.ar_prgi, g.ar_prgi},
        {"ar_did_o", e.ar_did, g.ar_did},
        {"ar_pv_o", e.ar_pv, g.ar_pv},
        {"ar_pid_o", e.ar_pid, g.ar_pid},
        {"done_o", e.done, g.done},
        {"done_cause_o", e.done_cause, g.done_cause},
        {"done_ar_o", e.done_ar, g.done_ar},
        {"pip_set_o", e.pip_set, g.pip_set},
    };
    for (const field &f : fields) {
        if (f.exp != f.got) {
            char buf[160];
            std::snprintf(buf, sizeof(buf), "%s expected 0x%" PRIx64 " got 0x%" PRIx64,
                          f.name, f.exp, f.got);
            *what = buf;
            return false;
        }
    }
    return true;
}

pq_writer_ref::pq_writer_ref(unsigned max_log2sz) : m_max_log2sz(max_log2sz)
{
    reset();
}

void pq_writer_ref::reset()
{
    m_phase = phase::idle;
    m_csr_phase = csr_phase::none;
    m_pqen = m_pie = m_pqmf = m_pqof = m_pqon = false;
    m_pqt = 0;
    m_req = page_req{};
    m_need_ar = false;
    m_cause = CAUSE_QUEUED;
    m_addr = 0;
    m_done = false;
    m_done_cause = CAUSE_QUEUED;
    m_done_ar = false;
    m_pip_set = false;
}

// N = 2^(LOG2SZ-1 + 1), with LOG2SZ-1 limited to what is implemented (§6.1, WARL).
uint32_t pq_writer_ref::index_mask(const pq_in &in) const
{
    unsigned log2szm1 = in.pqb_log2szm1 & 31;
    if (log2szm1 > m_max_log2sz - 1)
        log2szm1 = m_max_log2sz - 1;
    return static_cast<uint32_t>((uint64_t{1} << (log2szm1 + 1)) - 1);
}

pq_out pq_writer_ref::eval(const pq_in &in) const
{
    pq_out o;

    o.pqcsr = (m_pqen ? PQCSR_PQEN : 0) | (m_pie ? PQCSR_PIE : 0) |
              (m_pqmf ? PQCSR_PQMF : 0) | (m_pqof ? PQCSR_PQOF : 0) |
              (m_pqon ? PQCSR_PQON : 0) | (busy() ? PQCSR_BUSY : 0);
    o.pqt = m_pqt & index_mask(in);
    o.req_ready = m_phase == phase::idle;

    if (m_phase == phase::write) {
        o.mem_req_valid = true;
        o.mem_req_addr = m_addr;
        // §12: PRIV / EXEC only with a PASID
        o.mem_req_hdr = (uint64_t{m_req.did} << 40) |
                        (uint64_t{m_req.pv && m_req.exec} << 34) |
                        (uint64_t{m_req.pv && m_req.priv} << 33) | (uint64_t{m_req.pv} << 32) |
                        (uint64_t{m_req.pid} << 12);
        o.mem_req_payload = m_req.payload;
    }

    if (m_phase == phase::respond) {
        bool success = m_cause == CAUSE_DROP_OVERFLOW || m_cause == CAUSE_DROP_FULL;

        o.ar_valid = true;
        o.ar_code = success ? AR_SUCCESS : AR_RESPONSE_FAILURE;
        o.ar_prgi = static_cast<uint32_t>((m_req.payload >> 3) & 0x1FF);
        o.ar_did = m_req.did;
        // §13.4: Success carries the PASID only with PRPR; Response Failure always
        o.ar_pv = m_req.pv && (m_req.prpr || !success);
        o.ar_pid = o.ar_pv ? m_req.pid : 0;
    }

    o.done = m_done;
    o.done_cause = m_done_cause;
    o.done_ar = m_done_ar;
    o.pip_set = m_pip_set;
    return o;
}

void pq_writer_ref::clock(const pq_in &in)
{
    const uint32_t mask = index_mask(in);
    const uint32_t pqt = m_pqt & mask;
    const uint32_t pqh = in.pqh & mask;
    const bool was_busy = busy();
    const bool old_pqen = m_pqen;
    const bool old_pie = m_pie;
    const bool old_pqmf = m_pqmf;
    const bool old_pqof = m_pqof;
    const bool old_pqon = m_pqon;
    const phase old_phase = m_phase;

    m_done = false;
    m_done_cause = CAUSE_QUEUED;
    m_done_ar = false;
    m_pip_set = false;

    // pqcsr write; ignored while busy (§7.1 leaves it UNSPECIFIED)
    if (in.csr_we && !was_busy) {
        const bool en = in.csr_wdata & PQCSR_PQEN;

        m_pie = in.csr_wdata & PQCSR_PIE;
        m_pqen = en;
        if (in.csr_wdata & PQCSR_PQMF)
            m_pqmf = false;
        if (in.csr_wdata & PQCSR_PQOF)
            m_pqof = false;
        if (!old_pqen && en)
            m_csr_phase = csr_phase::enabling;
        else if (old_pqen && !en)
            m_csr_phase = csr_phase::disabling;
    }

    // enable / disable in progress (§7.1)
    if (was_busy) {
        if (m_csr_phase == csr_phase::enabling) {
            m_pqon = true;
            m_pqt = 0;
            m_pqmf = false;
            m_pqof = false;
            m_csr_phase = csr_phase::none;
        } else if (old_phase != phase::write && old_phase != phase::wait_rsp) {
            m_pqon = false;
            m_csr_phase = csr_phase::none;
        }
    }

    switch (old_phase) {
    case phase::idle: {
        if (!in.req_valid)
            break;

        const uint64_t pl = in.req_payload;
        const bool last = pl & PAYLOAD_L;
        const bool no_access = !(pl & (PAYLOAD_R | PAYLOAD_W));
        const bool stop_marker = last && no_access && (in.req_pv || !in.stop_marker_needs_pasid);
        unsigned cause;

        // §13.1 steps 6 to 9
        if (!old_pqen || !old_pqon)
            cause = CAUSE_DROP_DISABLED;
        else if (old_pqmf)
            cause = CAUSE_DROP_MEM_FAULT;
        else if (old_pqof)
            cause = CAUSE_DROP_OVERFLOW;
        else if (((pqt + 1) & mask) == pqh)
            cause = CAUSE_DROP_FULL;
        else
            cause = CAUSE_QUEUED;

        m_req.did = in.req_did & DID_MASK;
        m_req.pv = in.req_pv;
        m_req.pid = in.req_pid & PID_MASK;
        m_req.priv = in.req_priv;
        m_req.exec = in.req_exec;
        m_req.payload = pl;
        m_req.prpr = in.req_prpr;
        m_need_ar = last && !stop_marker;
        m_cause = cause;
        m_addr = ((in.pqb_ppn & PPN_MASK) << 12) | (uint64_t{pqt} << 4);

        if (cause == CAUSE_DROP_FULL) {
            m_pqof = true;
            m_pip_set = old_pie;
        }
        // Dropped on overflow: an auto-response only under a policy that sends one.
        const bool overflow = cause == CAUSE_DROP_OVERFLOW || cause == CAUSE_DROP_FULL;
        if (cause == CAUSE_QUEUED) {
            m_phase = phase::write;
        } else if (m_need_ar && (in.ovf_auto_resp || !overflow)) {
            m_phase = phase::respond;
        } else {
            m_done = true;
            m_done_cause = cause;
        }
        break;
    }
    case phase::write:
        if (in.mem_req_ready)
            m_phase = phase::wait_rsp;
        break;
    case phase::wait_rsp:
        if (!in.mem_rsp_valid)
            break;
        if (in.mem_rsp_err) {
            // §13.1 step 10
            m_pqmf = true;
            m_pip_set = old_pie;
            m_cause = CAUSE_DROP_WRITE_FAULT;
            if (m_need_ar) {
                m_phase = phase::respond;
            } else {
                m_phase = phase::idle;
                m_done = true;
                m_done_cause = CAUSE_DROP_WRITE_FAULT;
            }
        } else {
            // §13.1 step 11
            m_pqt = (pqt + 1) & mask;
            m_pip_set = old_pie;
            m_phase = phase::idle;
            m_done = true;
            m_done_cause = CAUSE_QUEUED;
        }
        break;
    case phase::respond:
        if (in.ar_ready) {
            m_phase = phase::idle;
            m_done = true;
            m_done_cause = m_cause;
            m_done_ar = true;
        }
        break;
    }
}

}  // namespace pqw
