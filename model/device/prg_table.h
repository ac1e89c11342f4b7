// SPDX-License-Identifier: Apache-2.0
//
// prg_table - the outstanding Page Request Groups of one function
// (pcie-pri.md §2, §4, §6).
//
// PRG indexes are 9 bits (512 groups in flight at most); every group holds
// at least one credit, so no more than min(Outstanding Page Request
// Capacity, 512) groups are ever outstanding. The table keeps that many
// group records (allocated at construction) and a PRG index -> record map,
// so a response for an index with no outstanding group is found in O(1).
// Indexes are handed out round robin, the next free one after the last.
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
        uint32_t credits = 0;  // Page Requests in it
        uint32_t pasid = 0;
        bool pv = false;       // its requests carried a PASID
        uint64_t serial = 0;   // which send this is (PRG indexes are reused)
    };

    // Room for `groups` outstanding groups (1..512).
    explicit prg_table(unsigned groups);

    bool full() const { return m_outstanding == m_groups.size(); }
    unsigned outstanding() const { return m_outstanding; }

    // A new group at the first free index from the one after the last
    // allocated; null when full.
    group* alloc();
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
    unsigned m_next = 0; // where the search for a free index starts
};

} // namespace prisim::device
