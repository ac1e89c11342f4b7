// SPDX-License-Identifier: Apache-2.0
#include "iommu/iotlb.h"

namespace prisim::iommu {

namespace {
uint64_t key(bool global, uint32_t pscid, uint64_t va_base, unsigned log2size)
{
    return (va_base >> 12) ^ (uint64_t(global ? 0xFFFFFu : pscid) << 44) ^ (uint64_t(log2size) << 38);
}
unsigned log2size(uint64_t size) { return unsigned(__builtin_ctzll(size)); }
} // namespace

uint32_t iotlb::find(bool global, uint32_t pscid, uint64_t va_base, unsigned l) const
{
    return m_table.find(key(global, pscid, va_base, l), [&](const entry& e) {
        return e.va_base == va_base && e.size == (uint64_t(1) << l) && e.global == global &&
               (global || e.pscid == pscid);
    });
}

void iotlb::remove(uint32_t i)
{
    const entry& e = m_table[i];
    const unsigned l = log2size(e.size);
    if (--m_count[l] == 0) m_sizes &= ~(uint64_t(1) << l);
    if (e.global) --m_global_count[l];
    m_table.remove(i);
}

const iotlb::entry* iotlb::lookup(uint32_t pscid, uint64_t iova)
{
    for (uint64_t sizes = m_sizes; sizes; sizes &= sizes - 1) {
        const unsigned l = unsigned(__builtin_ctzll(sizes));
        const uint64_t base = iova & ~((uint64_t(1) << l) - 1);
        uint32_t i = find(false, pscid, base, l);
        if (i == nil && m_global_count[l]) i = find(true, 0, base, l);
        if (i == nil) continue;
        m_table.touch(i);
        return &m_table[i];
    }
    return nullptr;
}

void iotlb::fill(const entry& ne)
{
    if (!m_table.capacity()) return;
    entry e = ne;
    if (e.global) e.pscid = 0;
    const unsigned l = log2size(e.size);
    if (const uint32_t same = find(e.global, e.pscid, e.va_base, l); same != nil) remove(same);
    if (m_table.full()) remove(m_table.lru());
    m_table.insert(key(e.global, e.pscid, e.va_base, l), e);
    ++m_count[l];
    m_sizes |= uint64_t(1) << l;
    if (e.global) ++m_global_count[l];
}

void iotlb::invalidate_vma(bool av, uint64_t addr, bool pscv, uint32_t pscid)
{
    if (av && pscv) {
        // One address in one address space: probe each cached page size.
        for (uint64_t sizes = m_sizes; sizes; sizes &= sizes - 1) {
            const unsigned l = unsigned(__builtin_ctzll(sizes));
            if (m_count[l] == m_global_count[l]) continue;
            const uint32_t i = find(false, pscid, addr & ~((uint64_t(1) << l) - 1), l);
            if (i != nil) remove(i);
        }
        return;
    }
    for (uint32_t i = m_table.mru(); i != nil;) {
        const uint32_t next = m_table.older(i);
        const entry& e = m_table[i];
        const bool keep = (pscv && (e.global || e.pscid != pscid)) ||
                          (av && (addr & ~(e.size - 1)) != e.va_base);
        if (!keep) remove(i);
        i = next;
    }
}

void iotlb::flush()
{
    while (m_table.mru() != nil) remove(m_table.mru());
}

} // namespace prisim::iommu
