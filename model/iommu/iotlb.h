// SPDX-License-Identifier: Apache-2.0
//
// iotlb: the IOMMU's first-stage translation cache (riscv-iommu.md §17,
// invalidation scopes §10.2).
//
// What it models: a fully associative cache of leaf translations with LRU
// replacement, each entry a page of 4 KiB, 64 KiB (Svnapot), 2 MiB, 1 GiB,
// 512 GiB or 256 TiB (Sv48/Sv57 superpages) tagged by PSCID, or global (PTE.G: matches every PSCID). Entries of host
// address spaces only (GV = 0): there is no G-stage.
// How: common/lru_table keyed by (tag, page base, page size); a lookup
// probes only the page sizes that are cached.
#pragma once

#include <cstdint>

#include "common/lru_table.h"

namespace prisim::iommu {

class iotlb {
public:
    struct entry {
        uint32_t pscid = 0;
        bool global = false; // PTE.G: matches every PSCID
        uint64_t va_base = 0, size = 0, pa_base = 0, pte = 0;
    };

    explicit iotlb(unsigned capacity) : m_table(capacity) {}

    unsigned capacity() const { return m_table.capacity(); }
    unsigned size() const { return m_table.size(); }

    // The entry translating `iova` for `pscid` (most recently used now), or null.
    const entry* lookup(uint32_t pscid, uint64_t iova);
    // Insert (replacing an entry for the same page, else the least recently
    // used one when full). size must be a power of two >= 4 KiB.
    void fill(const entry& e);
    // IOTINVAL.VMA with GV = 0 (§10.2): av selects one address, pscv one
    // PSCID (global entries are kept when pscv = 1).
    void invalidate_vma(bool av, uint64_t addr, bool pscv, uint32_t pscid);
    void flush();

private:
    static constexpr uint32_t nil = lru_table<entry>::nil;
    uint32_t find(bool global, uint32_t pscid, uint64_t va_base, unsigned log2size) const;
    void remove(uint32_t i);

    lru_table<entry> m_table;
    uint32_t m_count[64] = {};        // cached entries per log2 page size
    uint32_t m_global_count[64] = {}; // of which global
    uint64_t m_sizes = 0;             // bit l: entries of 2^l bytes are cached
};

} // namespace prisim::iommu
