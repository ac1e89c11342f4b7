// SPDX-License-Identifier: Apache-2.0
//
// Wrapper of the Verilated rtl/iotlb. Each cycle: drive the request, evaluate
// the rising edge (the block answers in registers), read the answer, drop
// the request and evaluate the falling edge (cheap: nothing is requested).
// The Verilated headers come first: they must not see SystemC, and they are
// not -Wextra clean.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Viotlb.h"
#include "Viotlb_tb.h"
#include "verilated.h"
#include "verilated_fst_c.h"
#pragma GCC diagnostic pop

#include "iommu/iotlb.h"

#include <string>
#include <type_traits>

#include <systemc>

#include "common/host_ticks.h"
#include "common/rtl_reset.h"

#include "iommu/pq_engine.h"

namespace prisim::iommu {

namespace {
// req_op_i of rtl/iotlb.sv
enum : unsigned { OP_LOOKUP = 0, OP_FILL = 1, OP_INV_VMA = 2, OP_INV_GVMA = 3, OP_FLUSH = 4 };

unsigned log2size(uint64_t size) { return unsigned(__builtin_ctzll(size)); }

// Host spaces ignore GSCID and gonly: the block is given 0 for both.
iotlb::space normal(const iotlb::space& sp)
{
    iotlb::space n = sp;
    if (!n.gv) {
        n.gscid = 0;
        n.gonly = false;
    }
    return n;
}
} // namespace

iotlb::iotlb(unsigned entries, unsigned ways, const wave_options* waves, uint64_t clk_ps)
    : m_clk_ps(clk_ps ? clk_ps : 1)
{
    if (*geometry_error(entries, ways))
        SC_REPORT_FATAL("iotlb", geometry_error(entries, ways));
    m_ways = ways ? ways : entries;
    m_sets = entries / m_ways;
    m_sets_log2 = unsigned(__builtin_ctz(m_sets));
    m_data.resize(size_t(m_sets) * m_ways);
    m_ctx = std::make_unique<VerilatedContext>();
    if (!waves || waves->path.empty()) {
        m_top = std::make_unique<Viotlb>(m_ctx.get(), "iotlb");
        reset(*m_top);
        return;
    }
    // Waveforms: the build of the block with tracing (and its assertions).
    m_wave_start_ps = waves->start_ps;
    m_wave_end_ps = waves->end_ps;
    m_ctx->traceEverOn(true);
    m_top_w = std::make_unique<Viotlb_tb>(m_ctx.get(), "iotlb");
    m_fst = std::make_unique<VerilatedFstC>();
    m_top_w->trace(m_fst.get(), 99);
    m_fst->open(waves->path.c_str());
    if (!m_fst->isOpen())
        SC_REPORT_FATAL("iotlb", ("cannot write the waveform file '" + waves->path + "'").c_str());
    reset(*m_top_w);
}

iotlb::~iotlb()
{
    if (m_top) m_top->final();
    if (m_top_w) {
        m_top_w->final();
        m_fst->close();
    }
}

// Power-on reset, then the block clears its sets (one per cycle). Takes no
// simulated time (the clear is dumped at time 0 onwards).
template <class V>
void iotlb::reset(V& t)
{
    t.cfg_sets_log2_i = uint8_t(m_sets_log2);
    t.cfg_ways_i = uint8_t(m_ways);
    t.req_valid_i = 0;
    prisim::rtl_power_on_reset(t);
    while (!t.req_ready_o)
        clock(t);
}

// One evaluation; with waveforms, dumped at `at_ps` inside the window
// (times only increase).
template <class V>
void iotlb::eval_at(V& t, uint64_t at_ps)
{
    t.eval();
    if constexpr (std::is_same_v<V, Viotlb_tb>) {
        if (at_ps >= m_wave_start_ps && at_ps <= m_wave_end_ps && (!m_wave_dumped || at_ps > m_wave_last_ps)) {
            m_fst->dump(at_ps);
            m_wave_last_ps = at_ps;
            m_wave_dumped = true;
        }
    }
}

template <class V>
void iotlb::clock(V& t)
{
    t.clk_i = 1;
    eval_at(t, m_edge_ps);
    t.req_valid_i = 0;
    t.clk_i = 0;
    eval_at(t, m_edge_ps + m_clk_ps / 2);
    m_edge_ps += m_clk_ps;
    ++m_cycles;
}

void iotlb::count(const entry& e, int d)
{
    const unsigned l = log2size(e.size);
    m_count[l] += unsigned(d);
    m_size += unsigned(d);
    if (m_count[l])
        m_sizes |= uint64_t(1) << l;
    else
        m_sizes &= ~(uint64_t(1) << l);
}

iotlb::rsp iotlb::request(unsigned op, const space& sp, bool global, uint64_t va, unsigned log2,
                          bool anysize)
{
    prisim::tick_scope h(m_host_ticks); // a sampled call (common/host_ticks.h)
    return m_top ? request_on(*m_top, op, sp, global, va, log2, anysize)
                 : request_on(*m_top_w, op, sp, global, va, log2, anysize);
}

template <class V>
iotlb::rsp iotlb::request_on(V& t, unsigned op, const space& sp, bool global, uint64_t va,
                             unsigned log2, bool anysize)
{
    t.req_valid_i = 1;
    t.req_op_i = uint8_t(op);
    t.req_gv_i = sp.gv;
    t.req_gonly_i = sp.gonly;
    t.req_gscid_i = sp.gscid;
    t.req_pscid_i = sp.pscid & 0xFFFFF;
    t.req_global_i = global;
    t.req_vpn_i = (va >> 12) & ((uint64_t(1) << 52) - 1);
    t.req_log2_i = uint8_t(log2);
    t.req_anysize_i = anysize;
    clock(t);
    return {bool(t.rsp_hit_o), t.rsp_set_o, t.rsp_way_o};
}

const iotlb::entry* iotlb::lookup(const space& s, uint64_t iova, unsigned* cycles)
{
    unsigned n = 0;
    const entry* found = nullptr;
    if (m_size) {
        const space sp = normal(s);
        if (m_sets == 1) {
            // One set: one probe matches every page size.
            const rsp r = request(OP_LOOKUP, sp, false, iova, 12, true);
            n = 1;
            if (r.hit)
                found = &m_data[r.way];
        } else {
            for (uint64_t sizes = m_sizes; sizes && !found; sizes &= sizes - 1) {
                const rsp r = request(OP_LOOKUP, sp, false, iova, unsigned(__builtin_ctzll(sizes)), false);
                ++n;
                if (r.hit)
                    found = &m_data[size_t(r.set) * m_ways + r.way];
            }
        }
    }
    if (cycles)
        *cycles = n;
    return found;
}

void iotlb::fill(const entry& ne)
{
    entry e = ne;
    e.sp = normal(e.sp);
    if (e.global)
        e.sp.pscid = 0;
    const rsp r = request(OP_FILL, e.sp, e.global, e.va_base, log2size(e.size), false);
    entry& slot = m_data[size_t(r.set) * m_ways + r.way];
    if (r.hit)
        count(slot, -1); // a valid entry replaced (the same page, or the LRU one)
    slot = e;
    count(e, +1);
}

void iotlb::sweep(unsigned op, bool gv, uint16_t gscid, bool av, uint64_t addr, bool pscv,
                  uint32_t pscid, bool oneset, unsigned log2, unsigned* cycles)
{
    prisim::tick_scope h(m_host_ticks); // a sampled call (common/host_ticks.h)
    if (m_top)
        sweep_on(*m_top, op, gv, gscid, av, addr, pscv, pscid, oneset, log2, cycles);
    else
        sweep_on(*m_top_w, op, gv, gscid, av, addr, pscv, pscid, oneset, log2, cycles);
}

template <class V>
void iotlb::sweep_on(V& t, unsigned op, bool gv, uint16_t gscid, bool av, uint64_t addr, bool pscv,
                     uint32_t pscid, bool oneset, unsigned log2, unsigned* cycles)
{
    t.req_valid_i = 1;
    t.req_op_i = uint8_t(op);
    t.req_gv_i = gv;
    t.req_gonly_i = 0;
    t.req_gscid_i = gscid;
    t.req_pscid_i = pscid & 0xFFFFF;
    t.req_global_i = 0;
    t.req_vpn_i = (addr >> 12) & ((uint64_t(1) << 52) - 1);
    t.req_log2_i = uint8_t(log2);
    t.req_anysize_i = 0;
    t.req_av_i = av;
    t.req_pscv_i = pscv;
    t.req_oneset_i = oneset;
    do {
        clock(t);
        ++*cycles;
        for (uint64_t kill = t.inv_kill_o; kill; kill &= kill - 1)
            count(m_data[size_t(t.inv_set_o) * m_ways + unsigned(__builtin_ctzll(kill))], -1);
    } while (!t.req_ready_o);
}

void iotlb::invalidate_vma(bool gv, uint16_t gscid, bool av, uint64_t addr, bool pscv, uint32_t pscid,
                           unsigned* cycles)
{
    unsigned n = 0;
    if (!gv)
        gscid = 0;
    if (av && m_sets > 1) {
        // One address: the set of each cached page size. An empty cache
        // sweeps nothing.
        for (uint64_t sizes = m_sizes; sizes; sizes &= sizes - 1)
            sweep(OP_INV_VMA, gv, gscid, av, addr, pscv, pscid, true,
                  unsigned(__builtin_ctzll(sizes)), &n);
    } else if (m_size) {
        sweep(OP_INV_VMA, gv, gscid, av, addr, pscv, pscid, false, 12, &n);
    } else {
        n = m_sets; // the block sweeps every set whatever it holds
    }
    if (cycles)
        *cycles = n;
}

void iotlb::invalidate_gvma(bool gv, uint16_t gscid, bool av, uint64_t addr, unsigned* cycles)
{
    unsigned n = 0;
    if (m_size)
        sweep(OP_INV_GVMA, gv, gscid, av, addr, false, 0, false, 12, &n);
    else
        n = m_sets;
    if (cycles)
        *cycles = n;
}

void iotlb::flush(unsigned* cycles)
{
    unsigned n = 0;
    if (m_size)
        sweep(OP_FLUSH, false, 0, false, 0, false, 0, false, 12, &n);
    else
        n = m_sets;
    if (cycles)
        *cycles = n;
}

} // namespace prisim::iommu
