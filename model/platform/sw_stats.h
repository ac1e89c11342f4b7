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
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/stats.h"

namespace prisim::platform {

class sw_stat_registry {
public:
    using id_type = uint32_t;

    // The id of name, registering it on first use (not the per-fault path).
    id_type intern(std::string_view name);
    bool valid(id_type id) const { return id < m_names.size(); }
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

    // Lookups by name (scoreboard, reporting): 0 if never counted.
    uint64_t value(std::string_view name) const;
    uint64_t dev_value(uint16_t rid, std::string_view name) const;

    // Every counted counter: "sw.<name>" by name, then "sw.dev.<rid>.<name>"
    // by RID and name.
    void report(stat_sink& sink) const;

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
    const cell* find_dev(uint16_t rid, std::string_view name) const;

    std::vector<std::string> m_names;               // by id
    std::map<std::string, id_type, std::less<>> m_ids; // registration and lookups only
    std::vector<cell> m_global;                     // by id
    std::vector<uint32_t> m_slot_of_rid;            // by RID: slot + 1, 0 = none yet
    std::vector<uint16_t> m_slot_rid;               // by slot: its RID
    std::vector<cell> m_dev;                        // [slot * m_stride + id]
    size_t m_stride = 0;                            // ids room per slot (>= m_names.size())
};

} // namespace prisim::platform
