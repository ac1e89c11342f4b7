// SPDX-License-Identifier: Apache-2.0
#include "iommu/iotlb.h"

namespace prisim::iommu {

namespace {
uint64_t key(bool global, const iotlb::space& sp, uint64_t va_base, unsigned log2size)
{
    const uint64_t k = (va_base >> 12) ^ (uint64_t(global ? 0xFFFFFu : sp.pscid) << 44) ^
                       (uint64_t(log2size) << 38);
    // Host spaces keep the key they always had; a VM's mixes in its GSCID.
    return sp.gv ? k ^ ((uint64_t(sp.gscid) << 1 | sp.gonly | 1) * 0x9E37'79B9'7F4A'7C15ull) : k;
}
unsigned log2size(uint64_t size) { return unsigned(__builtin_ctzll(size)); }
bool same_space(const iotlb::space& a, const iotlb::space& b)
{
    return a.gv == b.gv && (!a.gv || (a.gscid == b.gscid && a.gonly == b.gonly));
}
} // namespace

uint32_t iotlb::find(bool global, const space& sp, uint64_t va_base, unsigned l) const
{
    return m_table.find(key(global, sp, va_base, l), [&](const entry& e) {
        return e.va_base == va_base && e.size == (uint64_t(1) << l) && e.global == global &&
               same_space(e.sp, sp) && (global || e.sp.pscid == sp.pscid);
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

const iotlb::entry* iotlb::lookup(const space& sp, uint64_t iova)
{
    for (uint64_t sizes = m_sizes; sizes; sizes &= sizes - 1) {
        const unsigned l = unsigned(__builtin_ctzll(sizes));
        const uint64_t base = iova & ~((uint64_t(1) << l) - 1);
        uint32_t i = find(false, sp, base, l);
        if (i == nil && m_global_count[l]) i = find(true, sp, base, l);
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
    if (e.global) e.sp.pscid = 0;
    const unsigned l = log2size(e.size);
    if (const uint32_t same = find(e.global, e.sp, e.va_base, l); same != nil) remove(same);
    if (m_table.full()) remove(m_table.lru());
    m_table.insert(key(e.global, e.sp, e.va_base, l), e);
    ++m_count[l];
    m_sizes |= uint64_t(1) << l;
    if (e.global) ++m_global_count[l];
}

void iotlb::invalidate_vma(bool gv, uint16_t gscid, bool av, uint64_t addr, bool pscv, uint32_t pscid)
{
    if (av && pscv) {
        // One address in one address space: probe each cached page size.
        space sp;
        sp.gv = gv;
        sp.gscid = gscid;
        sp.pscid = pscid;
        for (uint64_t sizes = m_sizes; sizes; sizes &= sizes - 1) {
            const unsigned l = unsigned(__builtin_ctzll(sizes));
            if (m_count[l] == m_global_count[l]) continue;
            const uint32_t i = find(false, sp, addr & ~((uint64_t(1) << l) - 1), l);
            if (i != nil) remove(i);
        }
        return;
    }
    for (uint32_t i = m_table.mru(); i != nil;) {
        const uint32_t next = m_table.older(i);
        const entry& e = m_table[i];
        const bool keep = e.sp.gv != gv || (gv && (e.sp.gscid != gscid || e.sp.gonly)) ||
                          (pscv && (e.global || e.sp.pscid != pscid)) ||
                          (av && (addr & ~(e.size - 1)) != e.va_base);
        if (!keep) remove(i);
        i = next;
    }
}

void iotlb::invalidate_gvma(bool gv, uint16_t gscid, bool av, uint64_t addr)
{
    for (uint32_t i = m_table.mru(); i != nil;) {
        const uint32_t next = m_table.older(i);
        const entry& e = m_table[i];
        const bool keep = !e.sp.gv || (gv && e.sp.gscid != gscid) ||
                          (gv && av && e.sp.gonly && (addr & ~(e.gsize - 1)) != (e.gpa & ~(e.gsize - 1)));
        if (!keep) remove(i);
        i = next;
    }
}

void iotlb::flush()
{
    while (m_table.mru() != nil) remove(m_table.mru());
}

} // namespace prisim::iommu
