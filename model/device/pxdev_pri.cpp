// SPDX-License-Identifier: Apache-2.0
//
// pxdev: the device's side of its PRI engine (pcie-pri.md §2, §4, §6). The
// engine itself is the Verilated rtl/prg_tracker (prg_engine): it decides
// whether a group may go and with which PRG index (credits, the 512 indices,
// Enable, Response Failure), matches each PRG Response to its group (or sets
// UPRGI, or ignores it after Response Failure) and says when every
// outstanding group is given up. This file keeps what the block does not:
// how big each group is, the order in which streams get credits, the pages
// of each group, what a response does to them (retry or fail), response
// timeouts and the statistics.
#include "device/pxdev.h"

#include <algorithm>
#include <cstdio>

namespace prisim::device {

using namespace prisim::pcie;

namespace {
constexpr const char* k_msgtype = "prisim/pxdev";
} // namespace

uint32_t pxdev::pri_limit() const { return std::min(m_pri_alloc, m_p.pri_capacity); }

bool pxdev::pri_usable() const { return m_pri.enable() && !m_pri.rf_stop(); }

// The credits and groups outstanding, as the block counts them.
void pxdev::pri_counters()
{
    m_c.credits_outstanding = m_pri.credits_out();
    m_c.credits_max = std::max(m_c.credits_max, m_c.credits_outstanding);
    m_c.prgs_outstanding = m_pri.groups_out();
}

unsigned pxdev::absent_pages(const stream& s) const
{
    unsigned n = 0;
    for (unsigned i = 0; i < s.npages; ++i) n += s.pages[i].st == page_state::absent;
    return n;
}

void pxdev::fail_absent(stream& s)
{
    for (unsigned i = 0; i < s.npages; ++i)
        if (s.pages[i].st == page_state::absent) s.pages[i].st = page_state::failed;
}

// Send PRGs for the absent pages of the stream's burst. Credits: one per
// Page Request, taken before sending and never beyond the allocation (§6); a
// group larger than the allocation is split. The block grants a group (its
// credits and a PRG index), refuses it (PRI disabled or stopped by Response
// Failure, or no allocation: the pages fail) or makes it wait. Streams get
// credits in the order they asked: a stream that has to wait is queued, and
// nobody passes it while it waits (no starvation of a stream that needs more
// credits than the others). Returns true when the stream can go on at once.
bool pxdev::pri_request(stream& s)
{
    for (;;) {
        const unsigned remaining = absent_pages(s);
        if (remaining == 0) break;
        const unsigned n = std::min<unsigned>(remaining, pri_limit());
        if (m_wait_head < 0) {
            const prg_engine::grant g = m_pri.group(n);
            if (g.cause == grp_cause::granted) {
                send_group(s, n, g.prgi);
                continue;
            }
            if (g.cause != grp_cause::stall) {
                fail_absent(s); // refused: it could never go
                break;
            }
        } else if (!pri_usable() || n == 0) {
            // Streams wait before it, so it is not presented to the block;
            // the block's state says it would be refused.
            fail_absent(s);
            break;
        }
        if (m_now > prisim::sim_now()) {
            // About to block ahead of simulated time: if another process is
            // due before the local time, synchronise first, so that responses
            // which arrive by now (sent by processes that are behind) have
            // been taken, and ask again.
            m_lt.offset() = offset();
            m_lt.sync_to_observe();
            if (m_lt.offset() == sc_core::SC_ZERO_TIME) {
                drain_inbox(m_now);
                continue;
            }
        }
        s.next_waiter = -1;
        if (m_wait_tail >= 0)
            m_streams[unsigned(m_wait_tail)].next_waiter = s.id;
        else
            m_wait_head = s.id;
        m_wait_tail = s.id;
        ++m_c.credit_stalls;
        ++s.credit_stalls;
        s.st = step::credit_wait;
        return false;
    }
    if (s.groups_out) {
        s.st = step::response_wait;
        return false;
    }
    s.st = step::translate;
    s.cursor = 0;
    make_ready(s);
    return true;
}

// Hand credits to the queued streams, in order, while the block grants the
// head's group; when the block refuses it (PRI can no longer be used) the
// stream is let go and gives up its absent pages itself.
void pxdev::pri_grant()
{
    while (m_wait_head >= 0) {
        stream& h = m_streams[unsigned(m_wait_head)];
        const unsigned n = std::min<unsigned>(absent_pages(h), pri_limit());
        const prg_engine::grant g = m_pri.group(n);
        if (g.cause == grp_cause::stall) return;
        m_wait_head = h.next_waiter;
        if (m_wait_head < 0) m_wait_tail = -1;
        h.next_waiter = -1;
        h.st = step::request;
        make_ready(h);
        if (g.cause == grp_cause::granted) {
            send_group(h, n, g.prgi);
            pri_request(h); // the rest of its pages, as the stream itself would
        }
    }
}

// The block granted n credits and PRG index prgi: send the group.
void pxdev::send_group(stream& s, unsigned n, unsigned prgi)
{
    prg_table::group* gp = m_prg.open(prgi);
    if (!gp) {
        // The block never grants an index in use nor more groups than
        // min(Allocation, Capacity) credits allow.
        SC_REPORT_ERROR(k_msgtype, (std::string(name()) + ": prg_tracker granted PRG index " +
                                    std::to_string(prgi) + ", which the device cannot file").c_str());
        return;
    }
    prg_table::group& g = *gp;
    g.stream = s.id;
    g.pv = m_pasid_enable && s.pv;
    g.pasid = g.pv ? s.pasid : 0;
    g.serial = ++m_prg_serial;
    if (m_p.prg_timeout != sc_core::SC_ZERO_TIME) {
        // Entries of groups answered meanwhile wait in the ring until they
        // reach its head; drop them once they outnumber the groups that can
        // be outstanding, so that the ring stays bounded however many groups
        // a response timeout spans (amortised: at most 512 are live).
        if (m_deadlines.size() >= 2 * prg_table::k_indexes)
            m_deadlines.remove_if([this](const prg_deadline& d) { return deadline_stale(d); });
        m_deadlines.push_back({m_now + m_p.prg_timeout, g.serial, g.prgi});
    }
    pri_counters();
    if (m_c.credits_outstanding > m_pri_alloc)
        violation(std::to_string(m_c.credits_outstanding) + " page requests outstanding, above the allocation " +
                  std::to_string(m_pri_alloc));
    unsigned k = 0;
    for (unsigned i = 0; i < s.npages && k < n; ++i) {
        page& pg = s.pages[i];
        if (pg.st != page_state::absent) continue;
        pg.st = page_state::requested;
        pg.prgi = g.prgi;
        pg.faulted = true;
        // A write asks R = W = 1 (pcie-pri.md §2), a traced read R = 1; L = 1 closes the group.
        ++m_c.page_requests;
        const bool last = ++k == n;
        // The group's stamps start as its last request leaves (the IOMMU
        // stamps its arrival within the call).
        if (last && m_stages) m_stages->open(m_stage_index, g.prgi, g.pv ? g.pasid : 0, uint64_t(m_now.value()));
        send_message(tlp_kind::page_request, pr_payload(pg.iova, g.prgi, last, pg.write, true), 0, &s);
        if (m_msg->gp.get_response_status() != tlm::TLM_OK_RESPONSE)
            violation("the link refused a Page Request (PRG index " + std::to_string(g.prgi) + ")");
    }
    ++m_c.prgs_sent;
    if (pasid_counters* pc = pasid_c(s)) ++pc->prgs_sent;
    if (s.retry) ++m_c.prg_retries;
    ++s.groups_out;
}

// The group is answered (or given up): its pages are translated again after
// Success, otherwise they fail; its stream goes on once all its groups are.
void pxdev::answer_group(prg_table::group& g, bool success, const prisim::group_stamps* stamps, uint64_t resp_ps)
{
    stream& s = m_streams[g.stream];
    for (unsigned i = 0; i < s.npages; ++i) {
        page& pg = s.pages[i];
        if (pg.st == page_state::requested && pg.prgi == g.prgi) {
            pg.st = success ? page_state::pending : page_state::failed; // retry the translation (§4.1)
            if (success && m_stages) {
                prisim::group_stamps& st = stamps_of(pg);
                if (stamps)
                    st = *stamps;
                else
                    st.have = 0;
                st.set(prisim::fault_mark::response, resp_ps);
            }
        }
    }
    release_group(g.prgi);
    if (--s.groups_out == 0 && s.st == step::response_wait) {
        s.st = step::translate;
        s.cursor = 0;
        make_ready(s);
    }
}

// The earliest deadline of a group still waiting for its response; stale
// entries (answered or given up meanwhile) are dropped on the way.
bool pxdev::next_deadline(sc_core::sc_time& at)
{
    while (!m_deadlines.empty()) {
        const prg_deadline& d = m_deadlines.front();
        if (!deadline_stale(d)) {
            at = d.at;
            return true;
        }
        m_deadlines.pop_front();
    }
    return false;
}

// The group of this deadline was answered or given up (its index is free or
// was reused by a later send).
bool pxdev::deadline_stale(const prg_deadline& d) const
{
    const prg_table::group* g = m_prg.find(d.prgi);
    return !g || g->serial != d.serial;
}

// The group at the head of the deadlines got no PRG Response in time: as a
// device with a response timeout does, give it up (its credits and PRG index
// come back) and translate its pages again, as after Success; a page still
// not present is requested again in a new group.
void pxdev::prg_timed_out()
{
    const prg_deadline d = m_deadlines.front();
    m_deadlines.pop_front();
    prg_table::group* g = m_prg.find(d.prgi);
    if (!g || g->serial != d.serial) return;
    ++m_c.prg_timeouts;
    // The block frees the group's index and credits through its response
    // port: the device answers the group itself with Success, whose effect
    // on credits and index (§4.1, §6) is what giving it up needs. PRI is not
    // stopped here: a Response Failure would have given every group up.
    const prg_engine::answer a = m_pri.response(d.prgi, PRG_SUCCESS);
    if (a.cause != rsp_cause::success)
        SC_REPORT_ERROR(k_msgtype, (std::string(name()) + ": prg_tracker did not match PRG index " +
                                    std::to_string(d.prgi) + " at its response timeout").c_str());
    answer_group(*g, true, nullptr, uint64_t(m_now.value())); // no response: the route counts as other
}

// The group's record goes; its credits and index were freed by the block.
void pxdev::release_group(unsigned prgi)
{
    m_prg.release(prgi);
    pri_counters();
    if (m_stages) m_stages->release(m_stage_index, prgi);
}

void pxdev::abandon_outstanding(const char* why)
{
    // The block gave every outstanding group up (abandon_o): responses to
    // them will be ignored (RF) or are no longer expected (Reset), and their
    // credits are back. Their pages fail.
    m_prg.for_each([this](prg_table::group& g) {
        ++m_c.prgs_abandoned;
        answer_group(g, false);
    });
    SC_REPORT_INFO(k_msgtype, (std::string(name()) + ": outstanding PRGs dropped after " + why).c_str());
    wake();
}

void pxdev::on_prg_response(const down_msg& m)
{
    const unsigned prgi = prgr_prgi(m.payload);
    const unsigned code = prgr_code(m.payload);
    const prg_engine::answer a = m_pri.response(prgi, code);
    if (a.cause == rsp_cause::ignored) {
        ++m_c.prgr_ignored_rf; // §4.1: ignored until PRI is re-enabled
        return;
    }
    if (a.cause == rsp_cause::unexpected) {
        // §4.2: Unexpected PRG Index (the block set UPRGI).
        ++m_c.prgr_unexpected;
        if (m.from != origin::iommu_auto) ++m_c.prgr_unexpected_from_software;
        if (m_first_uprgi.empty()) {
            m_first_uprgi = who() + ": PRG Response (code " +
                            std::to_string(code) + ") for PRG index " + std::to_string(prgi) +
                            ", which has no outstanding PRG; PRI Status.UPRGI set" +
                            (m_c.prg_timeouts ? " (groups were given up after the response timeout: a response "
                                                "slower than device.prg_timeout_us arrives for no group)"
                                              : "");
            SC_REPORT_INFO(k_msgtype, m_first_uprgi.c_str());
        }
        return;
    }
    prg_table::group* g = m_prg.find(prgi);
    if (!g) {
        SC_REPORT_ERROR(k_msgtype, (std::string(name()) + ": prg_tracker matched PRG index " +
                                    std::to_string(prgi) + ", which has no record in the device").c_str());
        return;
    }
    if (a.cause == rsp_cause::success)
        ++m_c.prgr_success;
    else if (a.cause == rsp_cause::invalid)
        ++m_c.prgr_invalid;
    else
        ++m_c.prgr_failure; // 1111b and the unused codes 0010b-1110b
    if (m.from == origin::iommu_auto)
        ++m_c.prgr_from_iommu_auto;
    else
        ++m_c.prgr_from_software;
    // PRG Response PASID Required (= PASID Enable here): a response to
    // requests that carried a PASID must carry the same PASID (§5).
    if (g->pv && m_pasid_enable && (!m.pv || m.pasid != g->pasid)) {
        char pasid[16];
        std::snprintf(pasid, sizeof pasid, "0x%x", m.pasid);
        char want[16];
        std::snprintf(want, sizeof want, "0x%x", g->pasid);
        violation("PRG Response for PRG index " + std::to_string(prgi) +
                  (m.pv ? std::string(" with PASID ") + pasid : std::string(" without a PASID")) +
                  ", but its requests carried PASID " + want + " and PRG Response PASID Required is set");
    }
    answer_group(*g, a.cause == rsp_cause::success, m_stages ? m_stages->find(m_stage_index, prgi) : nullptr,
                 uint64_t(m.arrival.value()));
    if (a.cause == rsp_cause::failure) {
        // Response Failure: the block set RF and stopped page requests.
        m_c.pri_response_failure = true;
        if (code != PRG_RESPONSE_FAILURE) {
            SC_REPORT_INFO(k_msgtype, (std::string(name()) + ": reserved PRG Response code " +
                                       std::to_string(code) + " treated as Response Failure").c_str());
        }
        if (a.abandon && m_prg.outstanding()) abandon_outstanding("Response Failure");
    }
}

// ---------------------------------------------------------------------------
// Stop Markers (pcie-pri.md §3)

void pxdev::note_pasid(const stream& s)
{
    if (!m_p.stop_markers || !m_pasid_enable || !s.pv) return;
    auto it = std::lower_bound(m_pasids_used.begin(), m_pasids_used.end(), s.pasid);
    if (it == m_pasids_used.end() || *it != s.pasid) m_pasids_used.insert(it, s.pasid);
}

// A workload is done: the device stops using the PASIDs that no workload
// still running can use (the others wait for the last that can). Every page
// request for them has been sent (and here answered or given up: a stream
// ends only when its groups are), so a Stop Marker may follow at once. Each goes
// through the PRI engine, which passes it on only while PRI can be used;
// it takes no credit and no PRG index, and no response comes back.
void pxdev::send_stop_markers()
{
    size_t kept = 0;
    for (uint32_t pasid : m_pasids_used) {
        // A workload still running may use it again: not stopped yet.
        if (std::any_of(m_w.begin(), m_w.end(), [&](const workload_run& w) { return w.may_use(pasid); })) {
            m_pasids_used[kept++] = pasid;
            continue;
        }
        if (!m_pasid_enable || !m_pri.stop_marker()) {
            ++m_c.stop_markers_held;
            continue;
        }
        new_tlp(*m_msg, tlp_kind::page_request, true, pasid);
        ++m_c.page_requests;
        ++m_c.stop_markers_sent;
        post_message(pr_payload(0, 0, true, false, false)); // L = 1, R = W = 0
        if (m_msg->gp.get_response_status() != tlm::TLM_OK_RESPONSE)
            violation("the link refused a Stop Marker (PASID " + std::to_string(pasid) + ")");
    }
    m_pasids_used.resize(kept);
}

} // namespace prisim::device
