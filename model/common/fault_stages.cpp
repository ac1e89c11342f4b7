// SPDX-License-Identifier: Apache-2.0
#include "common/fault_stages.h"

#include <algorithm>

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

void fault_stages::add_device(unsigned dev, uint16_t rid, unsigned groups, size_t samples)
{
    if (!m_dev_of_rid) {
        m_dev_of_rid = std::make_unique<uint16_t[]>(65536);
        std::fill_n(m_dev_of_rid.get(), 65536, k_none);
    }
    if (dev >= m_dev.size()) {
        m_dev.resize(dev + 1);
        m_by_index.resize(m_dev.size() * k_prgis, k_none);
    }
    groups = std::min(std::max(groups, 1u), k_prgis);
    dev_stats& d = m_dev[dev];
    d.rid = rid;
    d.base = uint32_t(m_slots.size());
    d.groups = groups;
    d.free_top = groups;
    m_slots.resize(m_slots.size() + groups);
    m_free.resize(m_slots.size());
    for (unsigned i = 0; i < groups; ++i) m_free[d.base + i] = uint16_t(groups - 1 - i);
    for (sample_set& s : d.s) s.reserve(samples);
    m_dev_of_rid[rid] = uint16_t(dev);
}

namespace {
// The route of a group whose stamps are `g`, and whether its stamps run
// forward in time along it.
fault_route route_of(const group_stamps& g)
{
    using m = fault_mark;
    if (!g.has(m::pq_written) || !g.has(m::drained) || !g.has(m::answered)) return fault_route::other;
    const bool q = g.has(m::queued), r = g.has(m::read);
    if (q && r) return fault_route::fd;
    if (!q && !r) return fault_route::kernel;
    return fault_route::other;
}
} // namespace

void fault_stages::complete(unsigned dev, group_stamps& g, uint64_t miss_ps, uint64_t retry_ps, uint64_t iova,
                            bool sampled)
{
    using m = fault_mark;
    g.set(m::miss, miss_ps);
    g.set(m::retry, retry_ps);
    fault_route route = route_of(g);
    // The marks the route passes, in order; a route whose stamps go back
    // in time (none is expected) is not split.
    static const m fd_path[] = {m::miss, m::sent, m::pq_written, m::drained, m::queued,
                                m::read, m::answered, m::response, m::retry};
    static const m kernel_path[] = {m::miss, m::sent, m::pq_written, m::drained, m::answered, m::response, m::retry};
    static const fault_stage fd_stages[] = {fault_stage::request, fault_stage::pq_write, fault_stage::drain,
                                            fault_stage::deliver, fault_stage::read,     fault_stage::answer,
                                            fault_stage::respond, fault_stage::retry};
    static const fault_stage kernel_stages[] = {fault_stage::request, fault_stage::pq_write, fault_stage::drain,
                                                fault_stage::kernel,  fault_stage::respond,  fault_stage::retry};
    const m* path = route == fault_route::fd ? fd_path : kernel_path;
    const fault_stage* stages = route == fault_route::fd ? fd_stages : kernel_stages;
    const unsigned n = route == fault_route::fd ? 9 : 7;
    if (route != fault_route::other) {
        for (unsigned i = 1; i < n; ++i)
            if (g.at(path[i]) < g.at(path[i - 1])) route = fault_route::other;
    }
    if (sampled) {
        dev_stats& d = m_dev[dev];
        ++d.routes[unsigned(route)];
        if (route != fault_route::other) {
            for (unsigned i = 1; i < n; ++i) d.s[unsigned(stages[i - 1])].add(g.at(path[i]) - g.at(path[i - 1]));
        } else {
            // Only what the device saw itself: the request and the retry.
            const uint64_t sent = g.at(m::sent), resp = g.at(m::response);
            if (sent >= miss_ps) d.s[unsigned(fault_stage::request)].add(sent - miss_ps);
            if (retry_ps >= resp) d.s[unsigned(fault_stage::retry)].add(retry_ps - resp);
        }
    }
    if (m_sink) {
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
