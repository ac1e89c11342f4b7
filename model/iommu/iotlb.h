// SPDX-License-Identifier: Apache-2.0
//
// iotlb: the IOMMU's translation cache (riscv-iommu.md §17, invalidation
// scopes §10.2), backed by the Verilated rtl/iotlb tag store.
//
// What it models: a set-associative cache of leaf translations with true LRU
// replacement per set (2^k sets of w ways; one set is fully associative),
// each entry a page of 4 KiB, 64 KiB (Svnapot), 2 MiB, 1 GiB, 512 GiB or
// 256 TiB (superpages). An entry belongs to an address space (`space`): a
// host one (GV = 0: iohgatp Bare) tagged by PSCID, or a VM's (GV = 1) tagged
// by GSCID and PSCID; PTE.G makes a first-stage entry match every PSCID of
// its host or VM. A VM entry is either combined (first stage and G-stage:
// IOVA to SPA, the smaller of the two leaves) or G-stage only (first stage
// Bare: GPA to SPA; its GPA page is its IOVA page).
// How: the RTL block holds the tags, matches them, replaces and
// invalidates; this wrapper keeps the payload (the `entry`) in a data RAM
// indexed by the block's (set, way), and counts the cached entries per page
// size. The block is clocked in place (DESIGN.md §5): each call evaluates it
// for the cycles its work takes (one per lookup probe or fill, one per set
// an invalidation sweeps) and reports them; the caller accounts them as the
// IOMMU's local time. No process, no settle cycles; the block keeps no
// notion of time (its LRU order is the order of uses); with waveforms
// (prisim --wave-out) the traced build is dumped on a clock that starts each
// call at the caller's time (at()).
// Superpages: an entry of 2^L bytes lives in set (IOVA >> L) mod sets. With
// one set, one probe finds every size; otherwise a lookup probes each page
// size cached, smallest first, one cycle each.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/host_ticks.h"

class Viotlb;
class Viotlb_tb;
class VerilatedContext;
class VerilatedFstC;

namespace prisim::iommu {

struct wave_options; // pq_engine.h

class iotlb {
public:
    // The RTL's maxima (rtl/iotlb.sv parameters MaxSetsLog2, MaxWays).
    static constexpr unsigned max_sets_log2 = 10;
    static constexpr unsigned max_ways = 64;

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
        uint64_t gpa = 0;    // GPA of va_base (gv; gonly: va_base)
        uint64_t gsize = 0;  // size of the G-stage leaf gpa lies in (gv; gonly: size)
    };

    // `entries` = sets x ways; ways = 0: fully associative (one set). The
    // geometry must be valid (geometry_error() empty). With `waves` (a
    // path), the traced build of the block dumps its signals at each clock
    // level inside the window, on a clock of period clk_ps.
    iotlb(unsigned entries, unsigned ways, const wave_options* waves = nullptr, uint64_t clk_ps = 1000);
    ~iotlb();
    iotlb(const iotlb&) = delete;
    iotlb& operator=(const iotlb&) = delete;

    // Why `entries` x `ways` is not a geometry the RTL supports (empty: it is).
    static const char* geometry_error(uint64_t entries, uint64_t ways)
    {
        if (ways == 0)
            return entries <= max_ways ? "" : "fully associative (iommu.iotlb_ways = 0) holds at most 64 entries";
        if (ways > max_ways)
            return "at most 64 ways";
        if (entries % ways)
            return "iommu.iotlb_entries must be a multiple of iommu.iotlb_ways";
        const uint64_t sets = entries / ways;
        if (sets & (sets - 1))
            return "the number of sets (iommu.iotlb_entries / iommu.iotlb_ways) must be a power of two";
        if (sets > (uint64_t(1) << max_sets_log2))
            return "at most 1024 sets (iommu.iotlb_entries / iommu.iotlb_ways)";
        return "";
    }

    unsigned capacity() const { return m_sets * m_ways; }
    unsigned size() const { return m_size; }
    unsigned sets() const { return m_sets; }
    unsigned ways() const { return m_ways; }

    // The entry translating `iova` in `sp` (most recently used now), or
    // null. *cycles: the block's cycles (one per probe; 0 when empty).
    const entry* lookup(const space& sp, uint64_t iova, unsigned* cycles = nullptr);
    // Insert (replacing an entry for the same page, else a free way, else
    // the least recently used way of its set). size must be a power of two
    // >= 4 KiB. One cycle.
    void fill(const entry& e);
    // IOTINVAL.VMA (§10.2): entries with a first stage of the host address
    // spaces (gv = 0) or of VM gscid (gv = 1); av selects one address, pscv
    // one PSCID (global entries are kept when pscv = 1). *cycles: the sets
    // swept (with av and several sets: one per cached page size).
    void invalidate_vma(bool gv, uint16_t gscid, bool av, uint64_t addr, bool pscv, uint32_t pscid,
                        unsigned* cycles = nullptr);
    // IOTINVAL.GVMA (§10.2): entries of every VM (gv = 0) or of VM gscid;
    // with av, G-stage-only entries whose G-stage leaf holds GPA addr and
    // every combined entry of gscid (their table walks used G-stage
    // translations the cache does not record). *cycles: every set.
    void invalidate_gvma(bool gv, uint16_t gscid, bool av, uint64_t addr,
                         unsigned* cycles = nullptr);
    void flush(unsigned* cycles = nullptr);

    uint64_t rtl_cycles() const { return m_cycles; }
    uint64_t host_ticks() const { return m_host_ticks.estimate(); } // common/host_ticks.h
    // Waveforms only: the absolute simulated time (ps) of the next call's
    // work; its cycles are dumped from the first clock edge at or after it
    // (and after the last one dumped: the file's time only increases).
    void at(uint64_t now_ps)
    {
        if (now_ps > m_edge_ps) m_edge_ps = (now_ps + m_clk_ps - 1) / m_clk_ps * m_clk_ps;
    }
    bool traced() const { return m_fst != nullptr; }

private:
    struct rsp {
        bool hit;
        unsigned set, way;
    };
    // One request cycle; the answer of a lookup or fill.
    rsp request(unsigned op, const space& sp, bool global, uint64_t va, unsigned log2,
                bool anysize);
    template <class V>
    rsp request_on(V& t, unsigned op, const space& sp, bool global, uint64_t va, unsigned log2,
                   bool anysize);
    // One invalidation to its end (the block sweeps one set per cycle).
    void sweep(unsigned op, bool gv, uint16_t gscid, bool av, uint64_t addr, bool pscv,
               uint32_t pscid, bool oneset, unsigned log2, unsigned* cycles);
    template <class V>
    void sweep_on(V& t, unsigned op, bool gv, uint16_t gscid, bool av, uint64_t addr, bool pscv,
                  uint32_t pscid, bool oneset, unsigned log2, unsigned* cycles);
    template <class V> void reset(V& t);
    template <class V> void clock(V& t);
    template <class V> void eval_at(V& t, uint64_t at_ps);
    void count(const entry& e, int d);

    unsigned m_sets, m_sets_log2, m_ways;
    std::unique_ptr<VerilatedContext> m_ctx;
    std::unique_ptr<Viotlb> m_top;      // the block, or (with waveforms)
    std::unique_ptr<Viotlb_tb> m_top_w; // its traced build
    std::unique_ptr<VerilatedFstC> m_fst;
    uint64_t m_clk_ps, m_edge_ps = 0;   // the clock (waveforms only)
    uint64_t m_wave_start_ps = 0, m_wave_end_ps = 0, m_wave_last_ps = 0;
    bool m_wave_dumped = false;
    std::vector<entry> m_data; // data RAM: [set * ways + way]
    unsigned m_size = 0;
    uint32_t m_count[64] = {}; // cached entries per log2 page size
    uint64_t m_sizes = 0;      // bit l: entries of 2^l bytes are cached
    uint64_t m_cycles = 0;
    prisim::sampled_ticks m_host_ticks; // host time in the calls that clock the block
};

} // namespace prisim::iommu
