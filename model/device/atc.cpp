// SPDX-License-Identifier: Apache-2.0
#include "device/atc.h"

namespace prisim::device {

namespace {

bool overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
    if (asize == 0 || bsize == 0) return true; // the whole address space on either side
    return a < b + bsize && b < a + asize;
}

uint64_t key(bool pv, uint32_t pasid, unsigned cls, uint64_t base)
{
    return (base >> 12) ^ (uint64_t(pasid) << 44) ^ (uint64_t(pv) << 43) ^ (uint64_t(cls) << 37);
}

} // namespace

atc::atc(unsigned capacity) : m_table(capacity ? capacity : 1) {}

// log2 of the range size; 0 stands for the whole address space.
unsigned atc::size_class(uint64_t size)
{
    return size ? unsigned(__builtin_ctzll(size)) : 0;
}

uint32_t atc::find_slot(bool pv, uint32_t pasid, unsigned cls, uint64_t base) const
{
    return m_table.find(key(pv, pasid, cls, base), [&](const entry& e) {
        return size_class(e.size) == cls && e.iova == base && e.pv == pv && e.pasid == pasid;
    });
}

// Probe the size classes in use, the smallest range first and the whole
// address space last.
uint32_t atc::probe(bool pv, uint32_t pasid, uint64_t iova) const
{
    if (!pv) pasid = 0;
    for (uint64_t m = m_classes & ~1ull; m; m &= m - 1) {
        const unsigned cls = unsigned(__builtin_ctzll(m));
        const uint32_t i = find_slot(pv, pasid, cls, iova & ~((1ull << cls) - 1));
        if (i != nil) return i;
    }
    return (m_classes & 1) ? find_slot(pv, pasid, 0, 0) : nil;
}

const atc::entry* atc::lookup(bool pv, uint32_t pasid, uint64_t iova)
{
    const uint32_t i = probe(pv, pasid, iova);
    if (i == nil) return nullptr;
    m_table.touch(i);
    return &m_table[i];
}

const atc::entry* atc::find(bool pv, uint32_t pasid, uint64_t iova) const
{
    const uint32_t i = probe(pv, pasid, iova);
    return i == nil ? nullptr : &m_table[i];
}

const atc::entry* atc::insert(const entry& ne, bool* evicted)
{
    entry e = ne;
    if (!e.pv) e.pasid = 0;
    const unsigned cls = size_class(e.size);
    if (evicted) *evicted = false;
    uint32_t i = find_slot(e.pv, e.pasid, cls, e.iova);
    if (i != nil) {
        m_table[i] = e; // same key: same chain, same size class
        m_table.touch(i);
        return &m_table[i];
    }
    if (m_table.full()) {
        remove(m_table.lru());
        if (evicted) *evicted = true;
    }
    i = m_table.insert(key(e.pv, e.pasid, cls, e.iova), e);
    if (m_class_count[cls]++ == 0) m_classes |= 1ull << cls;
    return &m_table[i];
}

unsigned atc::invalidate(bool all_pasids, bool pv, uint32_t pasid, uint64_t base, uint64_t size)
{
    if (!pv) pasid = 0;
    unsigned n = 0;
    for (uint32_t i = m_table.mru(); i != nil;) {
        const uint32_t next = m_table.older(i);
        const entry& e = m_table[i];
        if ((all_pasids || (e.pv == pv && e.pasid == pasid)) && overlaps(e.iova, e.size, base, size)) {
            remove(i);
            ++n;
        }
        i = next;
    }
    return n;
}

void atc::clear()
{
    while (m_table.mru() != nil) remove(m_table.mru());
}

const atc::entry* atc::nth_recent(unsigned n) const
{
    uint32_t i = m_table.mru();
    while (i != nil && n--) i = m_table.older(i);
    return i == nil ? nullptr : &m_table[i];
}

// Take an entry out of the table and its size class.
void atc::remove(uint32_t i)
{
    const unsigned cls = size_class(m_table[i].size);
    if (--m_class_count[cls] == 0) m_classes &= ~(1ull << cls);
    m_table.remove(i);
}

} // namespace prisim::device
