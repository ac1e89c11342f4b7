// SPDX-License-Identifier: Apache-2.0
//
// request_pool - threads that carry blocking b_transport calls for
// initiators whose own process must not block.
//
// At quantum 0 the link and the host wait inside b_transport for every
// latency (common/local_time.h), so an initiator that calls it holds its
// process for the whole round trip. A pxdev has one process for all its
// streams; it hands each non-posted request to a pool thread instead, so
// that requests of different streams are in flight together as they would
// be in hardware, and the device's process stays free to take messages and
// run other streams meanwhile. The pool is shared by every initiator of the
// simulation: it holds as many threads as requests were ever in flight at
// once (they are created on demand and reused, never per request), and an
// idle device costs none.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>

namespace prisim::device {

class request_pool {
public:
    struct client {
        // The request submitted with `tag` returned; `delay` is what the
        // target annotated (the completion is back at sc_time_stamp() + delay).
        virtual void request_returned(unsigned tag, const sc_core::sc_time& delay) = 0;

    protected:
        ~client() = default;
    };

    // The pool of this simulation.
    static request_pool& get();

    // Call target.b_transport(gp, delay) from a pool thread, in the current
    // evaluation phase, then c.request_returned(tag, delay).
    void submit(tlm::tlm_fw_transport_if<>& target, tlm::tlm_generic_payload& gp, const sc_core::sc_time& delay,
                client& c, unsigned tag);

    unsigned threads() const { return unsigned(m_workers.size()); }

private:
    struct worker {
        sc_core::sc_event ev;
        tlm::tlm_fw_transport_if<>* target = nullptr;
        tlm::tlm_generic_payload* gp = nullptr;
        sc_core::sc_time delay;
        client* c = nullptr;
        unsigned tag = 0;
        bool busy = false;
    };
    void run(worker* w);

    std::vector<worker*> m_workers; // never freed: they live as long as the simulation
    std::vector<worker*> m_idle;
};

} // namespace prisim::device
