// SPDX-License-Identifier: Apache-2.0
#include "platform/sw_stats.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace prisim::platform {

namespace {
constexpr size_t min_stride = 64;
}

sw_stat_registry::id_type sw_stat_registry::intern(std::string_view name)
{
    auto it = m_ids.find(name);
    if (it != m_ids.end()) return it->second;

    const auto id = static_cast<id_type>(m_names.size());
    m_names.emplace_back(name);
    m_ids.emplace(std::string_view(m_names.back()), id);
    m_global.emplace_back();
    if (m_names.size() > m_stride) {
        // Re-lay the per-device counters out with room for more ids.
        size_t stride = std::max(min_stride, m_stride * 2);
        std::vector<cell> dev(m_slot_rid.size() * stride);
        for (size_t s = 0; s < m_slot_rid.size(); ++s)
            std::copy_n(m_dev.begin() + static_cast<std::ptrdiff_t>(s * m_stride), m_stride,
                        dev.begin() + static_cast<std::ptrdiff_t>(s * stride));
        m_dev = std::move(dev);
        m_stride = stride;
    }
    return id;
}

size_t sw_stat_registry::add_slot(uint16_t rid)
{
    if (rid >= m_slot_of_rid.size()) m_slot_of_rid.resize(size_t(rid) + 1, 0);
    const size_t slot = m_slot_rid.size();
    m_slot_rid.push_back(rid);
    m_slot_of_rid[rid] = static_cast<uint32_t>(slot + 1);
    m_dev.resize(m_slot_rid.size() * m_stride);
    return slot;
}

occupancy_tracker& sw_stat_registry::add_level(id_type id)
{
    if (id >= m_level_of_id.size()) m_level_of_id.resize(m_names.size(), nullptr);
    m_levels.push_back({id, std::make_unique<occupancy_tracker>()});
    occupancy_tracker& t = *m_levels.back().tracker;
    m_level_of_id[id] = &t;
    if (m_level_obs) t.observe(m_level_obs, "sw." + m_names[id]);
    return t;
}

void sw_stat_registry::observe_levels(occupancy_observer* o)
{
    m_level_obs = o;
    for (auto& l : m_levels) l.tracker->observe(o, "sw." + m_names[l.id]);
}

uint64_t sw_stat_registry::level(std::string_view name) const
{
    auto it = m_ids.find(name);
    if (it == m_ids.end() || it->second >= m_level_of_id.size() || !m_level_of_id[it->second]) return 0;
    return m_level_of_id[it->second]->level();
}

uint64_t sw_stat_registry::value(std::string_view name) const
{
    auto it = m_ids.find(name);
    return it == m_ids.end() ? 0 : m_global[it->second].value;
}

const sw_stat_registry::cell* sw_stat_registry::find_dev(uint16_t rid, std::string_view name) const
{
    if (rid >= m_slot_of_rid.size() || !m_slot_of_rid[rid]) return nullptr;
    auto it = m_ids.find(name);
    if (it == m_ids.end()) return nullptr;
    return &m_dev[(m_slot_of_rid[rid] - 1) * m_stride + it->second];
}

uint64_t sw_stat_registry::dev_value(uint16_t rid, std::string_view name) const
{
    const cell* c = find_dev(rid, name);
    return c ? c->value : 0;
}

std::vector<sw_stat_registry::id_type> sw_stat_registry::ids_by_name() const
{
    std::vector<id_type> ids(m_names.size());
    std::iota(ids.begin(), ids.end(), id_type(0));
    std::sort(ids.begin(), ids.end(), [this](id_type a, id_type b) { return m_names[a] < m_names[b]; });
    return ids;
}

void sw_stat_registry::report(stat_sink& sink, uint64_t now_ps) const
{
    // Everything is emitted in name order, whatever the order of registration.
    const std::vector<id_type> ids = ids_by_name();
    for (id_type id : ids)
        if (m_global[id].touched) sink.counter("sw." + m_names[id], m_global[id].value);
    for (id_type id : ids)
        if (id < m_level_of_id.size() && m_level_of_id[id])
            sink.occupancy("sw." + m_names[id], *m_level_of_id[id], now_ps);

    std::vector<size_t> slots(m_slot_rid.size());
    std::iota(slots.begin(), slots.end(), size_t(0));
    std::sort(slots.begin(), slots.end(),
              [this](size_t a, size_t b) { return m_slot_rid[a] < m_slot_rid[b]; });
    char prefix[24];
    for (size_t s : slots) {
        std::snprintf(prefix, sizeof prefix, "sw.dev.%04x.", unsigned(m_slot_rid[s]));
        for (id_type id : ids) {
            const cell& c = m_dev[s * m_stride + id];
            if (c.touched) sink.counter(prefix + m_names[id], c.value);
        }
    }
}

} // namespace prisim::platform
