// SPDX-License-Identifier: Apache-2.0
//
// Cycle-accurate C++ reference of rtl/iotlb.sv.
//
// What it models: the IOTLB's tag store (spec digest riscv-iommu.md section 17) as a list of
// sets, each an array of ways and a recency list (most recent first, true LRU); lookups,
// fills and the invalidation scopes of IOTINVAL.VMA / IOTINVAL.GVMA (section 10.2) with the
// rules of model/iommu/iotlb.cpp's fully associative cache, the set of a page of 2^L bytes
// being (VA >> L) mod sets; the timing of the block (answers in the cycle after the
// handshake, invalidations one set per cycle, the clear after reset).
// It is written from those rules, not as a copy of the RTL's next-state logic (no use
// stamps: an explicit recency list).
//
// What it does not: the payload of an entry (the owner's data RAM).
#ifndef PRISIM_TB_RTL_IOTLB_REF_H
#define PRISIM_TB_RTL_IOTLB_REF_H

#include <cstdint>
#include <vector>

namespace iotlbt {

enum op : unsigned {
    OP_LOOKUP = 0,
    OP_FILL = 1,
    OP_INV_VMA = 2,
    OP_INV_GVMA = 3,
    OP_FLUSH = 4,
};

// All inputs of the block (clk_i, rst_ni and the static geometry excluded).
struct iotlb_in {
    bool req_valid = false;
    unsigned op = OP_LOOKUP;
    bool gv = false, gonly = false;
    uint16_t gscid = 0;
    uint32_t pscid = 0;      // 20 bits
    bool global = false;
    uint64_t vpn = 0;        // 52 bits
    unsigned log2 = 12;      // 12..63
    bool anysize = false, av = false, pscv = false, oneset = false;
};

struct iotlb_out {
    bool req_ready = false;
    bool rsp_valid = false, rsp_hit = false;
    unsigned rsp_set = 0, rsp_way = 0;
    bool inv_valid = false;
    unsigned inv_set = 0;
    uint64_t inv_kill = 0;
};

// One entry's tag.
struct tag {
    bool gv = false, gonly = false, global = false;
    uint16_t gscid = 0;
    uint32_t pscid = 0;
    unsigned log2 = 12;
    uint64_t vpn = 0;
    bool operator==(const tag &o) const
    {
        return gv == o.gv && gonly == o.gonly && global == o.global && gscid == o.gscid &&
               pscid == o.pscid && log2 == o.log2 && vpn == o.vpn;
    }
};

// The tag a request fills (PSCID 0 when global; GSCID, gonly 0 in a host space).
tag tag_of(const iotlb_in &in);
// Whether an entry of 2^log2 bytes at page vpn holds page addr.
bool covers(unsigned log2, uint64_t vpn, uint64_t addr);
// The section 10.2 rules: whether the invalidation `in` removes entry `t`.
bool kills(const tag &t, const iotlb_in &in);
// Whether a lookup `in` matches entry `t` (space, PSCID or global, size, address).
bool matches(const tag &t, const iotlb_in &in);

class iotlb_ref {
public:
    iotlb_ref(unsigned sets_log2, unsigned ways);

    void reset();                          // asynchronous reset (starts the clear)
    iotlb_out out() const;                 // outputs of the current cycle
    void clock(const iotlb_in &in);        // one rising edge with these inputs

    unsigned sets() const { return 1u << m_sets_log2; }
    unsigned ways() const { return m_ways; }
    unsigned set_of(uint64_t vpn, unsigned log2) const;
    // Introspection for the tests.
    bool valid(unsigned set, unsigned way) const { return m_sets[set].way[way].valid; }
    const tag &entry(unsigned set, unsigned way) const { return m_sets[set].way[way].t; }
    unsigned count() const;

private:
    struct way_state {
        bool valid = false;
        tag t;
    };
    struct set_state {
        std::vector<way_state> way;
        std::vector<unsigned> recency; // valid ways, most recently used first
    };
    void touch(set_state &s, unsigned w);
    void sweep(unsigned set, const iotlb_in &cmd, bool clear);

    unsigned m_sets_log2, m_ways;
    std::vector<set_state> m_sets;
    iotlb_out m_out;
    bool m_sweeping = false, m_clearing = false;
    unsigned m_sweep_set = 0, m_sweep_end = 0;
    iotlb_in m_cmd;
};

} // namespace iotlbt

#endif
