// SPDX-License-Identifier: Apache-2.0
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "device/request_pool.h"

#include <cstdio>

namespace prisim::device {

request_pool& request_pool::get()
{
    static request_pool* pool = new request_pool; // outlives the simulation's processes
    return *pool;
}

void request_pool::submit(tlm::tlm_fw_transport_if<>& target, tlm::tlm_generic_payload& gp,
                          const sc_core::sc_time& delay, client& c, unsigned tag)
{
    worker* w;
    bool spawn = false;
    if (!m_idle.empty()) {
        w = m_idle.back();
        m_idle.pop_back();
    } else {
        w = new worker;
        m_workers.push_back(w);
        spawn = true;
    }
    w->target = &target;
    w->gp = &gp;
    w->delay = delay;
    w->c = &c;
    w->tag = tag;
    w->busy = true;
    if (spawn) {
        char nm[32];
        std::snprintf(nm, sizeof nm, "prisim_request_%zu", m_workers.size() - 1);
        sc_core::sc_spawn([this, w] { run(w); }, sc_core::sc_gen_unique_name(nm));
    } else {
        w->ev.notify(); // runnable in this evaluation phase, like a direct call
    }
}

void request_pool::run(worker* w)
{
    for (;;) {
        while (!w->busy) sc_core::wait(w->ev);
        sc_core::sc_time d = w->delay;
        w->target->b_transport(*w->gp, d);
        w->busy = false;
        client* c = w->c;
        const unsigned tag = w->tag;
        m_idle.push_back(w);
        c->request_returned(tag, d);
    }
}

} // namespace prisim::device
