// SPDX-License-Identifier: Apache-2.0
//
// iotlb: the IOMMU's translation cache (riscv-iommu.md §17, invalidation
// scopes §10.2).
//
// What it models: a fully associative cache of leaf translations with LRU
// replacement, each entry a page of 4 KiB, 64 KiB (Svnapot), 2 MiB, 1 GiB,
// 512 GiB or 256 TiB (superpages). An entry belongs to an address space
// (`space`): a host one (GV = 0: iohgatp Bare) tagged by PSCID, or a VM's
// (GV = 1) tagged by GSCID and PSCID; PTE.G makes a first-stage entry match
// every PSCID of its host or VM. A VM entry is either combined (first stage
// and G-stage: IOVA to SPA, the smaller of the two leaves) or G-stage only
// (first stage Bare: GPA to SPA).
// How: common/lru_table keyed by (space, page base, page size); a lookup
// probes only the page sizes that are cached.
#pragma once

#include <cstdint>

#include "common/lru_table.h"

namespace prisim::iommu {

class iotlb {
public:
    // The address space a request translates in.
    struct space {
        bool gv = false;     // G-stage active (iohgatp not Bare): gscid is valid
        bool gonly = false;  // first stage Bare under a G-stage (pscid unused)
        uint16_t gscid = 0;
        uint32_t pscid = 0;
    };
    struct entry {
        space sp;
        bool global = false; // PTE.G: matches every PSCID of its space
        uint64_t va_base = 0, size = 0, pa_base = 0;
        uint64_t pte = 0;    // first-stage leaf (gv && gonly: unused)
        uint64_t gpte = 0;   // G-stage leaf (gv)
        uint64_t gpa = 0;    // GPA of va_base (gv)
        uint64_t gsize = 0;  // size of the G-stage leaf gpa lies in (gv)
    };

    explicit iotlb(unsigned capacity) : m_table(capacity) {}

    unsigned capacity() const { return m_table.capacity(); }
    unsigned size() const { return m_table.size(); }

    // The entry translating `iova` in `sp` (most recently used now), or null.
    const entry* lookup(const space& sp, uint64_t iova);
    // Insert (replacing an entry for the same page, else the least recently
    // used one when full). size must be a power of two >= 4 KiB.
    void fill(const entry& e);
    // IOTINVAL.VMA (§10.2): entries with a first stage of the host address
    // spaces (gv = 0) or of VM gscid (gv = 1); av selects one address, pscv
    // one PSCID (global entries are kept when pscv = 1).
    void invalidate_vma(bool gv, uint16_t gscid, bool av, uint64_t addr, bool pscv, uint32_t pscid);
    // IOTINVAL.GVMA (§10.2): entries of every VM (gv = 0) or of VM gscid;
    // with av, G-stage-only entries whose G-stage leaf holds GPA addr and
    // every combined entry of gscid (their table walks used G-stage
    // translations the cache does not record).
    void invalidate_gvma(bool gv, uint16_t gscid, bool av, uint64_t addr);
    void flush();

private:
    static constexpr uint32_t nil = lru_table<entry>::nil;
    uint32_t find(bool global, const space& sp, uint64_t va_base, unsigned log2size) const;
    void remove(uint32_t i);

    lru_table<entry> m_table;
    uint32_t m_count[64] = {};        // cached entries per log2 page size
    uint32_t m_global_count[64] = {}; // of which global
    uint64_t m_sizes = 0;             // bit l: entries of 2^l bytes are cached
};

} // namespace prisim::iommu
