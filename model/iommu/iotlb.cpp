// SPDX-License-Identifier: Apache-2.0
#include "iommu/iotlb.h"

namespace prisim::iommu {

namespace {
unsigned log2u(uint64_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        ++n;
    }
    return n;
}
} // namespace

iotlb::iotlb(unsigned capacity) : m_slots(capacity)
{
    uint32_t nb = 1;
    while (nb < 2 * capacity) nb <<= 1;
    m_buckets.assign(nb, NIL);
    m_mask = nb - 1;
    for (uint32_t i = 0; i < capacity; ++i) m_slots[i].next = i + 1 < capacity ? i + 1 : NIL;
    m_free = capacity ? 0 : NIL;
}

uint32_t iotlb::bucket_of(bool global, uint32_t pscid, uint64_t va_base, unsigned log2size) const
{
    uint64_t k = (va_base >> 12) * 0x9E3779B97F4A7C15ull;
    k ^= (uint64_t(global ? 0xFFFFFFFFu : pscid) << 8 | log2size) * 0xC2B2AE3D27D4EB4Full;
    k ^= k >> 29;
    return uint32_t(k) & m_mask;
}

uint32_t iotlb::find(bool global, uint32_t pscid, uint64_t va_base, unsigned log2size) const
{
    for (uint32_t i = m_buckets[bucket_of(global, pscid, va_base, log2size)]; i != NIL; i = m_slots[i].hnext) {
        const slot& s = m_slots[i];
        if (s.log2size == log2size && s.e.va_base == va_base && s.e.global == global &&
            (global || s.e.pscid == pscid))
            return i;
    }
    return NIL;
}

void iotlb::unlink_lru(uint32_t i)
{
    slot& s = m_slots[i];
    if (s.prev != NIL) m_slots[s.prev].next = s.next;
    else m_head = s.next;
    if (s.next != NIL) m_slots[s.next].prev = s.prev;
    else m_tail = s.prev;
    s.prev = s.next = NIL;
}

void iotlb::push_front(uint32_t i)
{
    slot& s = m_slots[i];
    s.prev = NIL;
    s.next = m_head;
    if (m_head != NIL) m_slots[m_head].prev = i;
    m_head = i;
    if (m_tail == NIL) m_tail = i;
}

void iotlb::remove(uint32_t i)
{
    slot& s = m_slots[i];
    uint32_t* link = &m_buckets[bucket_of(s.e.global, s.e.pscid, s.e.va_base, s.log2size)];
    while (*link != i) link = &m_slots[*link].hnext;
    *link = s.hnext;
    s.hnext = NIL;
    unlink_lru(i);
    if (--m_count[s.log2size] == 0) m_sizes &= ~(uint64_t(1) << s.log2size);
    if (s.e.global) --m_global_count[s.log2size];
    s.valid = false;
    --m_used;
    s.next = m_free;
    m_free = i;
}

const iotlb::entry* iotlb::lookup(uint32_t pscid, uint64_t iova)
{
    if (!m_used) return nullptr;
    for (uint64_t sizes = m_sizes; sizes; sizes &= sizes - 1) {
        const unsigned l = unsigned(__builtin_ctzll(sizes));
        const uint64_t base = iova & ~((uint64_t(1) << l) - 1);
        uint32_t i = find(false, pscid, base, l);
        if (i == NIL && m_global_count[l]) i = find(true, 0, base, l);
        if (i == NIL) continue;
        if (m_head != i) {
            unlink_lru(i);
            push_front(i);
        }
        return &m_slots[i].e;
    }
    return nullptr;
}

void iotlb::fill(const entry& e)
{
    if (m_slots.empty()) return;
    const unsigned l = log2u(e.size);
    const uint32_t same = find(e.global, e.pscid, e.va_base, l);
    if (same != NIL) remove(same);
    if (m_free == NIL) remove(m_tail);
    const uint32_t i = m_free;
    slot& s = m_slots[i];
    m_free = s.next;
    s.e = e;
    if (e.global) s.e.pscid = 0;
    s.valid = true;
    s.log2size = uint8_t(l);
    uint32_t& b = m_buckets[bucket_of(e.global, s.e.pscid, e.va_base, l)];
    s.hnext = b;
    b = i;
    push_front(i);
    ++m_count[l];
    m_sizes |= uint64_t(1) << l;
    if (e.global) ++m_global_count[l];
    ++m_used;
}

void iotlb::invalidate_vma(bool av, uint64_t addr, bool pscv, uint32_t pscid)
{
    if (!m_used) return;
    if (av && pscv) {
        // One address in one address space: probe each cached page size.
        for (uint64_t sizes = m_sizes; sizes; sizes &= sizes - 1) {
            const unsigned l = unsigned(__builtin_ctzll(sizes));
            if (m_count[l] == m_global_count[l]) continue;
            const uint32_t i = find(false, pscid, addr & ~((uint64_t(1) << l) - 1), l);
            if (i != NIL) remove(i);
        }
        return;
    }
    for (uint32_t i = 0; i < m_slots.size(); ++i) {
        const slot& s = m_slots[i];
        if (!s.valid) continue;
        if (pscv && (s.e.global || s.e.pscid != pscid)) continue;
        if (av && (addr & ~(s.e.size - 1)) != s.e.va_base) continue;
        remove(i);
    }
}

void iotlb::flush()
{
    for (uint32_t i = 0; i < m_slots.size(); ++i)
        if (m_slots[i].valid) remove(i);
}

} // namespace prisim::iommu
