// SPDX-License-Identifier: Apache-2.0
#include "device/atc.h"

namespace prisim::device {

namespace {

uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

bool overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
    if (asize == 0 || bsize == 0) return true; // the whole address space on either side
    return a < b + bsize && b < a + asize;
}

} // namespace

atc::atc(unsigned capacity) : m_slots(capacity ? capacity : 1)
{
    size_t nb = 8;
    while (nb < 2 * m_slots.size()) nb <<= 1;
    m_buckets.assign(nb, nil);
    for (uint32_t i = 0; i < m_slots.size(); ++i) m_slots[i].next = i + 1 < m_slots.size() ? i + 1 : nil;
    m_free = 0;
}

unsigned atc::size_class(uint64_t size)
{
    return size ? unsigned(__builtin_ctzll(size)) : 0;
}

uint32_t atc::bucket(bool pv, uint32_t pasid, unsigned cls, uint64_t base) const
{
    const uint64_t key = (base >> 12) ^ (uint64_t(pasid) << 44) ^ (uint64_t(pv) << 43) ^ (uint64_t(cls) << 37);
    return uint32_t(mix(key) & (m_buckets.size() - 1));
}

uint32_t atc::find_slot(bool pv, uint32_t pasid, unsigned cls, uint64_t base) const
{
    for (uint32_t i = m_buckets[bucket(pv, pasid, cls, base)]; i != nil; i = m_slots[i].hnext) {
        const slot& s = m_slots[i];
        if (s.size_class == cls && s.e.iova == base && s.e.pv == pv && s.e.pasid == pasid) return i;
    }
    return nil;
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
    if (m_mru != i) {
        lru_unlink(i);
        lru_push_front(i);
    }
    return &m_slots[i].e;
}

const atc::entry* atc::find(bool pv, uint32_t pasid, uint64_t iova) const
{
    const uint32_t i = probe(pv, pasid, iova);
    return i == nil ? nullptr : &m_slots[i].e;
}

const atc::entry* atc::insert(const entry& ne, bool* evicted)
{
    entry e = ne;
    if (!e.pv) e.pasid = 0;
    const unsigned cls = size_class(e.size);
    if (evicted) *evicted = false;
    uint32_t i = find_slot(e.pv, e.pasid, cls, e.iova);
    if (i != nil) {
        m_slots[i].e = e; // same key: same chain, same size class
        lru_unlink(i);
        lru_push_front(i);
        return &m_slots[i].e;
    }
    if (m_free != nil) {
        i = m_free;
        m_free = m_slots[i].next;
    } else {
        i = m_lru;
        remove(i);
        m_free = m_slots[i].next; // remove() put it on the free list
        if (evicted) *evicted = true;
    }
    slot& s = m_slots[i];
    s.e = e;
    s.size_class = uint8_t(cls);
    hash_link(i);
    lru_push_front(i);
    ++m_used;
    if (m_class_count[cls]++ == 0) m_classes |= 1ull << cls;
    return &s.e;
}

unsigned atc::invalidate(bool all_pasids, bool pv, uint32_t pasid, uint64_t base, uint64_t size)
{
    if (!pv) pasid = 0;
    unsigned n = 0;
    for (uint32_t i = m_mru; i != nil;) {
        const uint32_t next = m_slots[i].next;
        const entry& e = m_slots[i].e;
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
    while (m_mru != nil) remove(m_mru);
}

const atc::entry* atc::nth_recent(unsigned n) const
{
    uint32_t i = m_mru;
    while (i != nil && n--) i = m_slots[i].next;
    return i == nil ? nullptr : &m_slots[i].e;
}

void atc::lru_unlink(uint32_t i)
{
    slot& s = m_slots[i];
    if (s.prev != nil) m_slots[s.prev].next = s.next; else m_mru = s.next;
    if (s.next != nil) m_slots[s.next].prev = s.prev; else m_lru = s.prev;
    s.prev = s.next = nil;
}

void atc::lru_push_front(uint32_t i)
{
    slot& s = m_slots[i];
    s.prev = nil;
    s.next = m_mru;
    if (m_mru != nil) m_slots[m_mru].prev = i; else m_lru = i;
    m_mru = i;
}

void atc::hash_link(uint32_t i)
{
    slot& s = m_slots[i];
    uint32_t& head = m_buckets[bucket(s.e.pv, s.e.pasid, s.size_class, s.e.iova)];
    s.hnext = head;
    head = i;
}

void atc::hash_unlink(uint32_t i)
{
    slot& s = m_slots[i];
    uint32_t* p = &m_buckets[bucket(s.e.pv, s.e.pasid, s.size_class, s.e.iova)];
    while (*p != i) p = &m_slots[*p].hnext;
    *p = s.hnext;
    s.hnext = nil;
}

// Take an entry out of the hash, the LRU list and its size class, and put it
// on the free list.
void atc::remove(uint32_t i)
{
    hash_unlink(i);
    lru_unlink(i);
    slot& s = m_slots[i];
    if (--m_class_count[s.size_class] == 0) m_classes &= ~(1ull << s.size_class);
    --m_used;
    s.next = m_free;
    m_free = i;
}

} // namespace prisim::device
