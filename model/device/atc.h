// SPDX-License-Identifier: Apache-2.0
//
// atc - the address translation cache of the pxdev endpoint (pcie-pri.md
// §7.2, §7.3).
//
// What it models:
//   - entries keyed by (PASID valid, PASID, untranslated range); a range is
//     4 KiB (S = 0) or a NAPOT range of any power-of-two size >= 8 KiB
//     (S = 1), or the whole address space (size 0);
//   - a translated base and the U (Untranslated access only) bit per entry;
//   - LRU replacement at a fixed capacity;
//   - invalidation by range (overlap), by PASID or for every PASID.
//
// How: common/lru_table keyed by (pv, PASID, size, base), with a bitmask of
// the range sizes present (a lookup probes one hash bucket per size in use);
// nothing is allocated after construction. Invalidation is a scan of the
// entries in use (it is rare and may cover any range).
//
// What it does not: the R/W/Exe/Priv/Global/N/AMA attributes (the device
// only caches translations that allow writing), STU (sizes below 4 KiB).
#pragma once

#include <cstdint>

#include "common/lru_table.h"

namespace prisim::device {

using prisim::lru_table;

class atc {
public:
    struct entry {
        uint64_t iova = 0;  // untranslated base (aligned to the size)
        uint64_t pa = 0;    // translated base
        uint64_t size = 0;  // bytes, a power of two >= 4 KiB; 0 = the whole address space
        uint32_t pasid = 0; // 0 unless pv
        bool pv = false;
        bool untranslated_only = false; // U = 1
    };

    // At least one entry.
    explicit atc(unsigned capacity);

    // The entry translating `iova` for (pv, pasid), made most recently used;
    // null on a miss. The pointer is valid until the next insert, invalidate
    // or clear.
    const entry* lookup(bool pv, uint32_t pasid, uint64_t iova);
    // The same without touching the LRU order.
    const entry* find(bool pv, uint32_t pasid, uint64_t iova) const;

    // Cache a translation of the range [iova, iova + size) (iova aligned to
    // size, size a power of two >= 4 KiB or 0). An entry for the same key is
    // replaced, else a free entry is used, else the least recently used one
    // (then *evicted is set). The entry becomes most recently used.
    const entry* insert(const entry& e, bool* evicted = nullptr);

    // Remove the entries of (pv, pasid) - or of every PASID when
    // all_pasids - that overlap [base, base + size) (size 0: everything).
    // Returns how many were removed.
    unsigned invalidate(bool all_pasids, bool pv, uint32_t pasid, uint64_t base, uint64_t size);
    void clear();

    unsigned size() const { return m_table.size(); }
    unsigned capacity() const { return m_table.capacity(); }
    // The n-th entry from the most recently used one (n < size()), for
    // tests and debugging.
    const entry* nth_recent(unsigned n) const;

private:
    static constexpr uint32_t nil = lru_table<entry>::nil;
    static unsigned size_class(uint64_t size);
    uint32_t find_slot(bool pv, uint32_t pasid, unsigned cls, uint64_t base) const;
    uint32_t probe(bool pv, uint32_t pasid, uint64_t iova) const;
    void remove(uint32_t i);

    lru_table<entry> m_table;
    uint64_t m_classes = 0;          // bit c: some entry has size class c
    uint32_t m_class_count[64] = {}; // entries per size class
};

} // namespace prisim::device
