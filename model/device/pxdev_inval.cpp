// SPDX-License-Identifier: Apache-2.0
//
// pxdev: ATS invalidation (pcie-pri.md §7.3, DESIGN §7 item 5).
//
// Invalidate Requests are worked on in arrival order. Starting one removes
// the ATC entries of its range, drops a translation a stream holds for a
// write it has not sent yet, and marks the Translation Requests in flight
// for the range: their completions may predate the invalidation and are
// discarded. Its completion is sent once no write that may use a removed
// translation is in flight.
//
// "In flight" is in the device's local time: from the step that sent the
// request to the step that takes its completion, at the time the target
// returned. Meanwhile a pool thread carries the call (quantum 0), or the call
// has returned with the completion time annotated (a quantum); if a target
// synchronises inside the call, the messages that arrived meanwhile are
// taken before the completion. Messages go before steps at equal times. So
// no translation is used after the Invalidate Completion that removed it
// (DESIGN §7 item 5).
#include "device/pxdev.h"

namespace prisim::device {

using namespace prisim::pcie;

namespace {

constexpr uint64_t k_page = 4096;

bool in_range(uint64_t a, uint64_t base, uint64_t size) { return size == 0 || (a >= base && a - base < size); }

} // namespace

void pxdev::on_inval_request(const down_msg& m)
{
    ++m_c.invalidations;
    if (m_inval_q.size() >= inval_queue_depth())
        violation("Invalidate Request (ITag " + std::to_string(m.itag) + ") beyond the Invalidate Queue Depth " +
                  std::to_string(inval_queue_depth()) + "; the host must not have more outstanding");
    inval_req r;
    r.itag = m.itag;
    r.pv = m.pv;
    r.pasid = m.pasid;
    r.payload = m.payload;
    m_inval_q.push_back(r);
}

void pxdev::inval_progress()
{
    while (!m_inval_q.empty()) {
        inval_req& r = m_inval_q.front();
        // Without a PASID, or with G, every PASID's entries for the range go
        // (a superset of the PCIe rule: over-invalidation is always safe).
        auto hit = [&r](bool pv, uint32_t pasid, uint64_t iova) {
            return (r.all || (pv && pasid == r.pasid)) && in_range(iova, r.base, r.size);
        };
        if (!r.started) {
            r.started = true;
            r.size = inval_s(r.payload) ? napot_size(inval_addr(r.payload)) : k_page;
            r.base = r.size ? (inval_addr(r.payload) & ~(r.size - 1)) : 0;
            r.all = !r.pv || inval_g(r.payload);
            m_atc.invalidate(r.all, r.pv, r.pasid, r.base, r.size);
            for (stream& s : m_streams) {
                if (s.op == op_kind::translation && hit(s.op_pv, s.op_pasid, s.op_iova)) s.op_stale = true;
                // A translation taken for a write that has not left yet is gone too.
                if (s.have_xlate && hit(s.xlate.pv, s.xlate.pasid, s.pages[s.cursor].iova)) s.have_xlate = false;
            }
        }
        // Writes already sent with a removed translation complete first.
        for (const stream& s : m_streams)
            if (s.op == op_kind::write && hit(s.op_pv, s.op_pasid, s.op_iova)) return;
        send_message(tlp_kind::inval_completion, inval_cpl_payload(1u << r.itag, 1), r.itag); // CC = 1
        ++m_c.inval_completions;
        m_inval_q.pop_front();
    }
}

} // namespace prisim::device
