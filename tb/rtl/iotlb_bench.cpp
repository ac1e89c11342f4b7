// SPDX-License-Identifier: Apache-2.0
//
// Lock-step harness for rtl/iotlb.sv; see iotlb_bench.h.
#include "iotlb_bench.h"

#include <cinttypes>
#include <cstdio>

#include "Viotlb_tb.h"
#include "vl_bench.h"

namespace iotlbt {

uint64_t bench_rng::next()
{
    m_s ^= m_s >> 12;
    m_s ^= m_s << 25;
    m_s ^= m_s >> 27;
    return m_s * 0x2545F4914F6CDD1Dull;
}

iotlb_bench::iotlb_bench(const std::string &name, bool trace, uint64_t seed, unsigned sets_log2,
                         unsigned ways)
    : rng(seed), m_name(name), m_ctx(new VerilatedContext), m_ref(sets_log2, ways)
{
    m_dut = rtlbench::open_model<Viotlb_tb>(*m_ctx, "iotlb", trace, "tb_iotlb_" + name, m_trace,
                                            name);
    m_dut->cfg_sets_log2_i = static_cast<uint8_t>(sets_log2);
    m_dut->cfg_ways_i = static_cast<uint8_t>(ways);
    apply(iotlb_in{});
    rtlbench::reset(*m_dut);
    m_ref.reset();
}

iotlb_bench::~iotlb_bench()
{
    rtlbench::close_model(*m_dut, m_trace);
}

void iotlb_bench::mark_failed(const std::string &msg)
{
    if (m_failed)
        return;
    m_failed = true;
    std::fprintf(stderr, "%s: cycle %" PRIu64 ": %s\n", m_name.c_str(), m_cycle, msg.c_str());
}

void iotlb_bench::apply(const iotlb_in &c)
{
    Viotlb_tb &d = *m_dut;
    d.req_valid_i = c.req_valid;
    d.req_op_i = static_cast<uint8_t>(c.op);
    d.req_gv_i = c.gv;
    d.req_gonly_i = c.gonly;
    d.req_gscid_i = c.gscid;
    d.req_pscid_i = c.pscid & 0xFFFFF;
    d.req_global_i = c.global;
    d.req_vpn_i = c.vpn & ((uint64_t(1) << 52) - 1);
    d.req_log2_i = static_cast<uint8_t>(c.log2);
    d.req_anysize_i = c.anysize;
    d.req_av_i = c.av;
    d.req_pscv_i = c.pscv;
    d.req_oneset_i = c.oneset;
}

iotlb_out iotlb_bench::read() const
{
    const Viotlb_tb &d = *m_dut;
    iotlb_out o;
    o.req_ready = d.req_ready_o;
    o.rsp_valid = d.rsp_valid_o;
    o.rsp_hit = d.rsp_hit_o;
    o.rsp_set = d.rsp_set_o;
    o.rsp_way = d.rsp_way_o;
    o.inv_valid = d.inv_valid_o;
    o.inv_set = d.inv_set_o;
    o.inv_kill = d.inv_kill_o;
    return o;
}

bool iotlb_bench::compare(const iotlb_out &w, const iotlb_out &g, bool regs)
{
    char buf[160];
    auto chk = [&](const char *sig, uint64_t want, uint64_t got) {
        if (want == got)
            return true;
        std::snprintf(buf, sizeof buf, "%s: expected 0x%" PRIx64 ", got 0x%" PRIx64, sig, want,
                      got);
        mark_failed(buf);
        return false;
    };
    if (!chk("req_ready_o", w.req_ready, g.req_ready))
        return false;
    if (!regs)
        return true;
    return chk("rsp_valid_o", w.rsp_valid, g.rsp_valid) && chk("rsp_hit_o", w.rsp_hit, g.rsp_hit) &&
           chk("rsp_set_o", w.rsp_set, g.rsp_set) && chk("rsp_way_o", w.rsp_way, g.rsp_way) &&
           chk("inv_valid_o", w.inv_valid, g.inv_valid) &&
           chk("inv_set_o", w.inv_set, g.inv_set) &&
           (!m_cleared || chk("inv_kill_o", w.inv_kill, g.inv_kill));
}

bool iotlb_bench::step(const iotlb_in &in)
{
    if (m_failed)
        return false;
    apply(in);
    m_dut->clk_i = 0;
    m_dut->eval();
    if (m_trace)
        m_trace->dump(m_time);
    m_time += 5;
    if (!compare(m_ref.out(), read(), false))
        return false;
    m_ref.clock(in);
    m_dut->clk_i = 1;
    m_dut->eval();
    if (m_trace)
        m_trace->dump(m_time);
    m_time += 5;
    ++m_cycle;
    const bool ok = compare(m_ref.out(), read(), true);
    if (m_ref.out().req_ready)
        m_cleared = true;
    return ok;
}

bool iotlb_bench::wait_ready(uint64_t limit)
{
    for (uint64_t i = 0; i < limit; ++i) {
        if (m_ref.out().req_ready && read().req_ready)
            return true;
        if (!step(iotlb_in{}))
            return false;
    }
    mark_failed("not ready in time");
    return false;
}

bool iotlb_bench::request(const iotlb_in &in, iotlb_out *o)
{
    iotlb_in r = in;
    r.req_valid = true;
    if (!wait_ready() || !step(r))
        return false;
    *o = read();
    return true;
}

bool iotlb_bench::invalidate(const iotlb_in &in, std::vector<sweep_ev> *sweeps, uint64_t *cycles)
{
    iotlb_in r = in;
    r.req_valid = true;
    if (!wait_ready())
        return false;
    sweeps->clear();
    *cycles = 0;
    bool first = true;
    do {
        if (!step(first ? r : iotlb_in{}))
            return false;
        first = false;
        ++*cycles;
        const iotlb_out o = read();
        if (o.inv_valid)
            sweeps->push_back({o.inv_set, o.inv_kill});
    } while (!read().req_ready);
    return true;
}

} // namespace iotlbt
