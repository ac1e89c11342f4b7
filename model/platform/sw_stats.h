// SPDX-License-Identifier: Apache-2.0
//
// Software statistics of one machine (hal_stat_register / hal_stat_inc /
// hal_stat_dev_inc, sw/include/prisim/hal.h).
//
// Names are interned once: registering a name gives a dense id, and the same
// name always gives the same id. Counting is then an index into flat
// vectors: one counter per id globally, one per (device slot, id) per device.
// A device slot is handed out the first time a requester ID counts something;
// the RID -> slot table is a vector indexed by RID, grown on first use. So
// counting an existing counter neither looks a name up nor allocates.
//
// A counter is reported only once it has been counted (even by 0), as
// "sw.<name>" and "sw.dev.<rid as 4 hex digits>.<name>"; registering alone
// reports nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/stats.h"

namespace prisim::platform {

class sw_stat_registry {
public:
    using id_type = uint32_t;

    // The id of name, registering it on first use (not the per-fault path).
    id_type intern(std::string_view name);
    bool valid(id_type id) const { return id < m_global.size(); } // one cell per id (a vector: cheap)
    const std::string& name(id_type id) const { return m_names[id]; }

    // id must be valid().
    void inc(id_type id, uint64_t delta)
    {
        cell& c = m_global[id];
        c.value += delta;
        c.touched = true;
    }
    // Counts globally and for the device with requester ID rid.
    void dev_inc(uint16_t rid, id_type id, uint64_t delta)
    {
        inc(id, delta);
        cell& c = m_dev[dev_slot(rid) * m_stride + id];
        c.value += delta;
        c.touched = true;
    }

    // Level statistics (hal_stat_level_add): the level of id moves by
    // delta at t_ps. A tracker per id, made on the id's first change (the
    // only allocation); every caller's changes add up.
    void level_add(id_type id, int64_t delta, uint64_t t_ps) { level_tracker(id)->add(delta, t_ps); }
    // The tracker of level id, made on first use; null if id is not valid().
    occupancy_tracker* level_tracker(id_type id)
    {
        occupancy_tracker* t = id < m_level_of_id.size() ? m_level_of_id[id] : nullptr;
        return t ? t : valid(id) ? &add_level(id) : nullptr;
    }
    // Report the changes of every level, present and future, to o, as
    // "sw.<name>" (prisim --occupancy-out).
    void observe_levels(occupancy_observer* o);
    // The level of name now (0 if it never changed).
    uint64_t level(std::string_view name) const;

    // Lookups by name (scoreboard, reporting): 0 if never counted.
    uint64_t value(std::string_view name) const;
    uint64_t dev_value(uint16_t rid, std::string_view name) const;

    // Every counted counter: "sw.<name>" by name, then "sw.dev.<rid>.<name>"
    // by RID and name; every level statistic that changed, as occupancy
    // "sw.<name>" over [0, now_ps], by name.
    void report(stat_sink& sink, uint64_t now_ps) const;

private:
    struct cell {
        uint64_t value = 0;
        bool touched = false;
    };

    size_t dev_slot(uint16_t rid)
    {
        if (rid < m_slot_of_rid.size() && m_slot_of_rid[rid]) return m_slot_of_rid[rid] - 1;
        return add_slot(rid);
    }
    size_t add_slot(uint16_t rid);
    occupancy_tracker& add_level(id_type id);
    const cell* find_dev(uint16_t rid, std::string_view name) const;

    // The ids in the order of their names (reporting).
    std::vector<id_type> ids_by_name() const;

    std::deque<std::string> m_names;                // by id (a deque: m_ids views them)
    std::unordered_map<std::string_view, id_type> m_ids; // registration and lookups only
    std::vector<cell> m_global;                     // by id
    std::vector<uint32_t> m_slot_of_rid;            // by RID: slot + 1, 0 = none yet
    std::vector<uint16_t> m_slot_rid;               // by slot: its RID
    std::vector<cell> m_dev;                        // [slot * m_stride + id]
    size_t m_stride = 0;                            // ids room per slot (>= m_names.size())
    struct level_stat {
        id_type id;
        std::unique_ptr<occupancy_tracker> tracker; // stable: an observer may hold it
    };
    std::vector<level_stat> m_levels;               // in the order of their first change
    std::vector<occupancy_tracker*> m_level_of_id;  // by id: its tracker, or null
    occupancy_observer* m_level_obs = nullptr;
};

} // namespace prisim::platform
