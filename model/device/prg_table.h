// SPDX-License-Identifier: Apache-2.0
//
// prg_table - the records of the outstanding Page Request Groups of one
// function (pcie-pri.md §2, §4, §6): which stream's pages each group holds,
// its PASID, which send it is.
//
// The PRI engine in RTL (prg_engine, rtl/prg_tracker) decides which 9-bit
// PRG index a group gets, and when it is answered or given up; this table
// only files the device's own record at that index. Every group holds at
// least one credit and the block never grants beyond min(Allocation,
// Capacity), so no more than min(Outstanding Page Request Capacity, 512)
// groups are ever outstanding: the table keeps that many records (allocated
// at construction) and a PRG index -> record map.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace prisim::device {

class prg_table {
public:
    static constexpr unsigned k_indexes = 512;

    struct group {
        uint16_t prgi = 0;
        uint16_t stream = 0;   // the stream whose pages it holds
        uint32_t pasid = 0;
        bool pv = false;       // its requests carried a PASID
        uint64_t serial = 0;   // which send this is (PRG indexes are reused)
    };

    // Room for `groups` outstanding groups (1..512).
    explicit prg_table(unsigned groups);

    unsigned outstanding() const { return m_outstanding; }

    // A new record at index `prgi` (granted by the PRI engine); null when
    // the index is in use or every record is.
    group* open(unsigned prgi);
    // The outstanding group with this index, or null.
    group* find(unsigned prgi)
    {
        const uint16_t g = m_by_index[prgi & (k_indexes - 1)];
        return g == k_none ? nullptr : &m_groups[g];
    }
    const group* find(unsigned prgi) const
    {
        const uint16_t g = m_by_index[prgi & (k_indexes - 1)];
        return g == k_none ? nullptr : &m_groups[g];
    }
    void release(unsigned prgi);
    // Calls f(group&) for every outstanding group, in index order.
    template <class F> void for_each(F f)
    {
        for (unsigned i = 0; i < k_indexes; ++i)
            if (m_by_index[i] != k_none) f(m_groups[m_by_index[i]]);
    }

private:
    static constexpr uint16_t k_none = 0xFFFF;
    std::vector<group> m_groups;
    std::vector<uint16_t> m_free; // free records (stack)
    std::array<uint16_t, k_indexes> m_by_index;
    unsigned m_outstanding = 0;
};

} // namespace prisim::device
