// SPDX-License-Identifier: Apache-2.0
//
// lru_table: the storage of a fully associative cache with LRU replacement
// (the IOMMU's IOTLB, a device's ATC). A fixed number of slots allocated at
// construction, found through a chained hash the owner keys (it hashes its
// own key and matches entries with a predicate), and kept in LRU order on
// an intrusive list. Lookup, touch, insert and remove cost a few steps
// whatever the capacity; nothing is allocated after construction.
#pragma once

#include <cstdint>
#include <vector>

namespace prisim {

template <class Entry>
class lru_table {
public:
    static constexpr uint32_t nil = ~0u;

    explicit lru_table(unsigned capacity) : m_slots(capacity)
    {
        uint32_t nb = 8;
        while (nb < 2 * capacity) nb <<= 1;
        m_buckets.assign(nb, nil);
        for (uint32_t i = 0; i < capacity; ++i) m_slots[i].next = i + 1 < capacity ? i + 1 : nil;
        m_free = capacity ? 0 : nil;
    }

    unsigned capacity() const { return unsigned(m_slots.size()); }
    unsigned size() const { return m_used; }
    bool full() const { return m_free == nil; }

    Entry& operator[](uint32_t i) { return m_slots[i].e; }
    const Entry& operator[](uint32_t i) const { return m_slots[i].e; }

    // The slot in use, hashed under `hash`, whose entry satisfies `match`.
    template <class Match>
    uint32_t find(uint64_t hash, Match match) const
    {
        for (uint32_t i = m_buckets[bucket(hash)]; i != nil; i = m_slots[i].hnext)
            if (m_slots[i].hash == hash && match(m_slots[i].e)) return i;
        return nil;
    }

    // LRU order: most recent first; older(i) is the next less recent.
    uint32_t mru() const { return m_mru; }
    uint32_t lru() const { return m_lru; }
    uint32_t older(uint32_t i) const { return m_slots[i].next; }

    void touch(uint32_t i)
    {
        if (m_mru == i) return;
        unlink(i);
        push_front(i);
    }

    // Store `e` under `hash` in a free slot (the table must not be full),
    // most recently used.
    uint32_t insert(uint64_t hash, const Entry& e)
    {
        const uint32_t i = m_free;
        slot& s = m_slots[i];
        m_free = s.next;
        s.e = e;
        s.hash = hash;
        uint32_t& head = m_buckets[bucket(hash)];
        s.hnext = head;
        head = i;
        push_front(i);
        ++m_used;
        return i;
    }

    void remove(uint32_t i)
    {
        slot& s = m_slots[i];
        uint32_t* link = &m_buckets[bucket(s.hash)];
        while (*link != i) link = &m_slots[*link].hnext;
        *link = s.hnext;
        s.hnext = nil;
        unlink(i);
        s.next = m_free;
        m_free = i;
        --m_used;
    }

private:
    struct slot {
        Entry e{};
        uint64_t hash = 0;
        uint32_t prev = nil, next = nil; // LRU list (prev = more recent); free list uses next
        uint32_t hnext = nil;            // hash chain
    };

    uint32_t bucket(uint64_t hash) const
    {
        uint64_t z = hash * 0x9E3779B97F4A7C15ull;
        return uint32_t(z ^ (z >> 32)) & uint32_t(m_buckets.size() - 1);
    }
    void unlink(uint32_t i)
    {
        slot& s = m_slots[i];
        if (s.prev != nil) m_slots[s.prev].next = s.next; else m_mru = s.next;
        if (s.next != nil) m_slots[s.next].prev = s.prev; else m_lru = s.prev;
        s.prev = s.next = nil;
    }
    void push_front(uint32_t i)
    {
        slot& s = m_slots[i];
        s.prev = nil;
        s.next = m_mru;
        if (m_mru != nil) m_slots[m_mru].prev = i; else m_lru = i;
        m_mru = i;
    }

    std::vector<slot> m_slots;
    std::vector<uint32_t> m_buckets;
    uint32_t m_mru = nil, m_lru = nil, m_free = nil;
    unsigned m_used = 0;
};

} // namespace prisim
