// SPDX-License-Identifier: Apache-2.0
//
// C++ reference of rtl/prg_tracker.sv; see prg_tracker_ref.h.
#include "prg_tracker_ref.h"

#include <cstdio>

namespace prgt {

const char *grp_cause_name(unsigned c)
{
    static const char *const names[GRP_CAUSE_COUNT] = {"none", "granted", "refused_off",
                                                       "refused_size"};
    return c < GRP_CAUSE_COUNT ? names[c] : "?";
}

const char *rsp_cause_name(unsigned c)
{
    static const char *const names[RSP_CAUSE_COUNT] = {"none",    "success",    "invalid",
                                                       "failure", "unexpected", "ignored"};
    return c < RSP_CAUSE_COUNT ? names[c] : "?";
}

bool prg_out_equal(const prg_out &e, const prg_out &g, std::string *what)
{
    char buf[128];
#define PRGT_CMP(f)                                                                      \
    if (e.f != g.f) {                                                                    \
        std::snprintf(buf, sizeof buf, "%s expected 0x%llx got 0x%llx", #f,              \
                      static_cast<unsigned long long>(e.f),                              \
                      static_cast<unsigned long long>(g.f));                             \
        *what = buf;                                                                     \
        return false;                                                                    \
    }
    PRGT_CMP(enable)
    PRGT_CMP(rf)
    PRGT_CMP(uprgi)
    PRGT_CMP(stopped)
    PRGT_CMP(rf_stop)
    PRGT_CMP(credits_out)
    PRGT_CMP(groups_out)
    PRGT_CMP(grp_ready)
    PRGT_CMP(grp_cause)
    PRGT_CMP(grp_prgi)
    PRGT_CMP(stall)
    PRGT_CMP(rsp_ready)
    PRGT_CMP(rsp_cause)
    PRGT_CMP(rsp_credits)
    PRGT_CMP(abandon)
    PRGT_CMP(sm_ready)
    PRGT_CMP(sm_send)
#undef PRGT_CMP
    return true;
}

void prg_tracker_ref::reset()
{
    m_enable = m_rf = m_uprgi = m_rf_stop = false;
    m_group.fill(0);
    m_next = 0;
    m_credits_out = 0;
    m_groups_out = 0;
}

// Round robin: the first free index from the one after the last allocated, a scan of the
// 512 (the RTL searches a word at a time).
int prg_tracker_ref::find_free() const
{
    if (m_groups_out == NUM_PRGI)
        return -1;
    unsigned i = m_next;
    while (m_group[i] != 0)
        i = (i + 1) % NUM_PRGI;
    return int(i);
}

prg_tracker_ref::decision prg_tracker_ref::decide(const prg_in &in) const
{
    decision d;

    // Page requests may be issued while PRI is enabled and not stopped by Response Failure.
    d.usable = m_enable && !m_rf_stop;
    // §6: a group needs one credit per page request and never more than the allocation;
    // a group larger than the allocation could never be sent.
    d.size_ok = in.grp_npages >= 1 && in.grp_npages <= in.alloc;
    d.free_index = find_free();
    d.fits = m_credits_out + in.grp_npages <= in.alloc && d.free_index >= 0;

    d.grp_cause = GRP_NONE;
    if (in.grp_valid) {
        if (!d.usable)
            d.grp_cause = GRP_REFUSED_OFF;
        else if (!d.size_ok)
            d.grp_cause = GRP_REFUSED_SIZE;
        else if (d.fits)
            d.grp_cause = GRP_GRANTED;
        // else: waits (no handshake)
    }

    d.rsp_cause = RSP_NONE;
    if (in.rsp_valid) {
        if (m_rf_stop)
            d.rsp_cause = RSP_IGNORED;  // §4.1: ignored until PRI is re-enabled
        else if (m_group[in.rsp_prgi % NUM_PRGI] == 0)
            d.rsp_cause = RSP_UNEXPECTED;  // §4.2
        else if (in.rsp_code == CODE_SUCCESS)
            d.rsp_cause = RSP_SUCCESS;
        else if (in.rsp_code == CODE_INVALID)
            d.rsp_cause = RSP_INVALID;
        else
            d.rsp_cause = RSP_FAILURE;  // 1111b and the unused codes
    }
    return d;
}

prg_out prg_tracker_ref::eval(const prg_in &in) const
{
    const decision d = decide(in);
    prg_out o;

    o.enable = m_enable;
    o.rf = m_rf;
    o.uprgi = m_uprgi;
    o.stopped = !m_enable && m_groups_out == 0;  // §5
    o.rf_stop = m_rf_stop;
    o.credits_out = uint32_t(m_credits_out);
    o.groups_out = m_groups_out;
    o.grp_ready = !d.usable || !d.size_ok || d.fits;
    o.grp_cause = d.grp_cause;
    o.grp_prgi = d.grp_cause == GRP_GRANTED ? unsigned(d.free_index) : 0;
    o.stall = in.grp_valid && d.usable && d.size_ok && !d.fits;
    o.rsp_ready = true;
    o.rsp_cause = d.rsp_cause;
    const bool matched =
        d.rsp_cause == RSP_SUCCESS || d.rsp_cause == RSP_INVALID || d.rsp_cause == RSP_FAILURE;
    o.rsp_credits = matched ? m_group[in.rsp_prgi % NUM_PRGI] : 0;
    o.abandon = d.rsp_cause == RSP_FAILURE ||
                (in.ctrl_we && (in.ctrl_wdata & CTRL_RESET) && !m_enable);
    o.sm_ready = true;
    o.sm_send = in.sm_valid && d.usable;
    return o;
}

void prg_tracker_ref::clock(const prg_in &in)
{
    const decision d = decide(in);
    const bool was_enabled = m_enable;

    // Software: the W1C status bits, then the control write.
    if (in.status_we) {
        if (in.status_wdata & STATUS_RF)
            m_rf = false;
        if (in.status_wdata & STATUS_UPRGI)
            m_uprgi = false;
    }
    if (in.ctrl_we) {
        const bool en = in.ctrl_wdata & CTRL_ENABLE;
        if (en && !was_enabled)
            m_rf_stop = false;  // re-enable ends the Response Failure stop
        m_enable = en;
    }

    // The group: take its credits and its index.
    if (d.grp_cause == GRP_GRANTED) {
        const unsigned i = unsigned(d.free_index);
        m_group[i] = in.grp_npages;
        m_next = (i + 1) % NUM_PRGI;
        m_credits_out += in.grp_npages;
        m_groups_out++;
    }

    // The response.
    const unsigned prgi = in.rsp_prgi % NUM_PRGI;
    switch (d.rsp_cause) {
    case RSP_SUCCESS:
    case RSP_INVALID:
    case RSP_FAILURE:
        // §6: the credits come back whatever the code
        m_credits_out -= m_group[prgi];
        m_group[prgi] = 0;
        m_groups_out--;
        break;
    case RSP_UNEXPECTED:
        m_uprgi = true;
        break;
    default:
        break;
    }
    if (d.rsp_cause == RSP_FAILURE) {
        // §4.1: set RF, stop issuing page requests; the outstanding groups' responses will
        // be ignored, so their credits come back now.
        m_rf = true;
        m_rf_stop = true;
        m_group.fill(0);
        m_credits_out = 0;
        m_groups_out = 0;
    }

    // §5: Reset, while PRI was disabled, clears the status and the outstanding requests.
    if (in.ctrl_we && (in.ctrl_wdata & CTRL_RESET) && !was_enabled) {
        m_rf = m_uprgi = m_rf_stop = false;
        m_group.fill(0);
        m_credits_out = 0;
        m_groups_out = 0;
    }
}

}  // namespace prgt
