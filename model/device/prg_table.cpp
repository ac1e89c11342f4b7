// SPDX-License-Identifier: Apache-2.0
#include "device/prg_table.h"

namespace prisim::device {

prg_table::prg_table(unsigned groups)
    : m_groups(groups == 0 ? 1 : (groups > k_indexes ? k_indexes : groups))
{
    m_by_index.fill(k_none);
    m_free.reserve(m_groups.size());
    for (size_t i = m_groups.size(); i-- > 0;) m_free.push_back(uint16_t(i));
}

prg_table::group* prg_table::open(unsigned prgi)
{
    uint16_t& slot = m_by_index[prgi & (k_indexes - 1)];
    if (slot != k_none || m_free.empty()) return nullptr;
    const uint16_t g = m_free.back();
    m_free.pop_back();
    slot = g;
    ++m_outstanding;
    m_groups[g] = group{};
    m_groups[g].prgi = uint16_t(prgi & (k_indexes - 1));
    return &m_groups[g];
}

void prg_table::release(unsigned prgi)
{
    uint16_t& g = m_by_index[prgi & (k_indexes - 1)];
    if (g == k_none) return;
    m_free.push_back(g);
    g = k_none;
    --m_outstanding;
}

} // namespace prisim::device
