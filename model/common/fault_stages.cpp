// SPDX-License-Identifier: Apache-2.0
#include "common/fault_stages.h"

#include <algorithm>
#include <memory>

namespace prisim {

const char* fault_stage_name(fault_stage s)
{
    static const char* const names[k_fault_stages] = {"request", "pq_write", "drain",   "deliver", "read",
                                                      "answer",  "kernel",   "respond", "retry"};
    return unsigned(s) < k_fault_stages ? names[unsigned(s)] : "?";
}

const char* fault_route_name(fault_route r)
{
    static const char* const names[k_fault_routes] = {"fd", "kernel", "other"};
    return unsigned(r) < k_fault_routes ? names[unsigned(r)] : "?";
}

void fault_stages::add_device(unsigned dev, uint16_t rid, unsigned groups, unsigned pool_index)
{
    if (dev >= m_dev.size()) {
        m_dev.resize(dev + 1);
        m_by_index.resize(m_dev.size() * k_prgis, k_none);
    }
    groups = std::min(std::max(groups, 1u), k_prgis);
    dev_info& d = m_dev[dev];
    d.rid = rid;
    d.base = uint32_t(m_slots.size());
    d.groups = groups;
    d.free_top = groups;
    m_slots.resize(m_slots.size() + groups);
    m_free.resize(m_slots.size());
    for (unsigned i = 0; i < groups; ++i) m_free[d.base + i] = d.base + (groups - 1 - i);
    while (m_pools.size() <= pool_index) m_pools.push_back(std::make_unique<pool>());
    d.stats = m_pools[pool_index].get();
    m_dev_of_rid[rid] = dev;
}

const fault_stages::pool& fault_stages::pool_stats(unsigned i) const
{
    static const pool empty;
    return i < m_pools.size() ? *m_pools[i] : empty;
}

void fault_stages::complete(unsigned dev, group_stamps& g, uint64_t miss_ps, uint64_t retry_ps, uint64_t iova,
                            bool sampled)
{
    using m = fault_mark;
    const uint64_t* t = g.t;
    const uint64_t sent = t[unsigned(m::sent)], pq = t[unsigned(m::pq_written)], dr = t[unsigned(m::drained)],
                   qu = t[unsigned(m::queued)], rd = t[unsigned(m::read)], an = t[unsigned(m::answered)],
                   rs = t[unsigned(m::response)];
    // The route, from the marks the group has; its stamps must run forward
    // in time along it (stamps that do not are taken as route other: none
    // is expected).
    constexpr unsigned core = (1u << unsigned(m::pq_written)) | (1u << unsigned(m::drained)) |
                              (1u << unsigned(m::answered));
    constexpr unsigned fdq = (1u << unsigned(m::queued)) | (1u << unsigned(m::read));
    fault_route route = fault_route::other;
    if ((g.have & core) == core && miss_ps <= sent && sent <= pq && pq <= dr && dr <= an && an <= rs &&
        rs <= retry_ps) {
        if ((g.have & fdq) == fdq) {
            if (dr <= qu && qu <= rd && rd <= an) route = fault_route::fd;
        } else if (!(g.have & fdq)) {
            route = fault_route::kernel;
        }
    }
    if (sampled) {
        pool& p = *m_dev[dev].stats;
        ++p.routes[unsigned(route)];
        // Route other: only what the device saw itself.
        if (sent >= miss_ps) p.s[unsigned(fault_stage::request)].add(sent - miss_ps);
        if (retry_ps >= rs) p.s[unsigned(fault_stage::retry)].add(retry_ps - rs);
        if (route != fault_route::other) {
            p.s[unsigned(fault_stage::pq_write)].add(pq - sent);
            p.s[unsigned(fault_stage::drain)].add(dr - pq);
            if (route == fault_route::fd) {
                p.s[unsigned(fault_stage::deliver)].add(qu - dr);
                p.s[unsigned(fault_stage::read)].add(rd - qu);
                p.s[unsigned(fault_stage::answer)].add(an - rd);
            } else {
                p.s[unsigned(fault_stage::kernel)].add(an - dr);
            }
            p.s[unsigned(fault_stage::respond)].add(rs - an);
        }
    }
    if (m_sink) {
        g.set(m::miss, miss_ps);
        g.set(m::retry, retry_ps);
        fault_done f;
        f.dev = dev;
        f.rid = m_dev[dev].rid;
        f.iova = iova;
        f.route = route;
        f.g = &g;
        m_sink->fault(f);
    }
}

} // namespace prisim
