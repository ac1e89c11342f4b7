// SPDX-License-Identifier: Apache-2.0
//
// Lock-step harness for rtl/prg_tracker.sv; see prg_bench.h.
#include "prg_bench.h"

#include <cstdio>

#include "Vprg_tracker_tb.h"
#include "vl_bench.h"

namespace prgt {

uint64_t bench_rng::next()
{
    m_s ^= m_s >> 12;
    m_s ^= m_s << 25;
    m_s ^= m_s >> 27;
    return m_s * 0x2545F4914F6CDD1Dull;
}

prg_bench::prg_bench(const std::string &name, bool trace, uint64_t seed)
    : rng(seed), m_name(name), m_ctx(new VerilatedContext)
{
    m_dut = rtlbench::open_model<Vprg_tracker_tb>(*m_ctx, "prg_tracker", trace, "tb_prg_tracker_" + name, m_trace, name);
    apply_inputs(in);
    rtlbench::reset(*m_dut);
    m_ref.reset();
    m_out = read_outputs();
}

prg_bench::~prg_bench()
{
    rtlbench::close_model(*m_dut, m_trace);
}

void prg_bench::mark_failed(const std::string &msg)
{
    if (m_failed)
        return;
    m_failed = true;
    std::fprintf(stderr, "%s: %s\n", m_name.c_str(), msg.c_str());
}

void prg_bench::apply_inputs(const prg_in &c)
{
    Vprg_tracker_tb &d = *m_dut;

    d.ctrl_we_i = c.ctrl_we;
    d.ctrl_wdata_i = c.ctrl_wdata;
    d.status_we_i = c.status_we;
    d.status_wdata_i = c.status_wdata;
    d.alloc_i = c.alloc;
    d.grp_valid_i = c.grp_valid;
    d.grp_npages_i = c.grp_npages;
    d.rsp_valid_i = c.rsp_valid;
    d.rsp_prgi_i = static_cast<uint16_t>(c.rsp_prgi & 0x1FF);
    d.rsp_code_i = static_cast<uint8_t>(c.rsp_code & 0xF);
    d.sm_valid_i = c.sm_valid;
}

prg_out prg_bench::read_outputs() const
{
    const Vprg_tracker_tb &d = *m_dut;
    prg_out o;

    o.enable = d.enable_o;
    o.rf = d.rf_o;
    o.uprgi = d.uprgi_o;
    o.stopped = d.stopped_o;
    o.rf_stop = d.rf_stop_o;
    o.credits_out = d.credits_out_o;
    o.groups_out = d.groups_out_o;
    o.grp_ready = d.grp_ready_o;
    o.grp_cause = d.grp_cause_o;
    o.grp_prgi = d.grp_prgi_o;
    o.stall = d.stall_o;
    o.rsp_ready = d.rsp_ready_o;
    o.rsp_cause = d.rsp_cause_o;
    o.rsp_credits = d.rsp_credits_o;
    o.abandon = d.abandon_o;
    o.sm_ready = d.sm_ready_o;
    o.sm_send = d.sm_send_o;
    return o;
}

prg_out prg_bench::now() const
{
    return m_ref.eval(in);
}

bool prg_bench::step()
{
    if (m_failed)
        return false;

    const prg_in cur = in;
    apply_inputs(cur);
    m_ctx->time(m_cycle * 10);
    m_dut->clk_i = 0;
    m_dut->eval();

    const prg_out exp = m_ref.eval(cur);
    const prg_out got = read_outputs();
    std::string what;
    if (!prg_out_equal(exp, got, &what)) {
        mark_failed("cycle " + std::to_string(m_cycle) + ": " + what);
        return false;
    }
    m_out = got;

    if (cur.grp_valid && got.grp_ready) {
        grps.push_back({m_cycle, got.grp_cause, got.grp_prgi, cur.grp_npages});
        in.grp_valid = false;
    }
    if (got.stall)
        stall_cycles++;
    if (cur.rsp_valid && got.rsp_ready)
        rsps.push_back({m_cycle, cur.rsp_prgi, cur.rsp_code, got.rsp_cause, got.rsp_credits});
    if (got.abandon)
        abandons.push_back(m_cycle);
    if (cur.sm_valid && got.sm_ready)
        (got.sm_send ? sm_sent : sm_dropped)++;

    // Rising edge.
#if VM_TRACE
    if (m_trace)
        m_trace->dump(m_cycle * 10);
#endif
    m_ctx->time(m_cycle * 10 + 5);
    m_dut->clk_i = 1;
    m_dut->eval();
#if VM_TRACE
    if (m_trace)
        m_trace->dump(m_cycle * 10 + 5);
#endif
    m_ref.clock(cur);

    in.ctrl_we = false;
    in.status_we = false;
    in.rsp_valid = false;
    in.sm_valid = false;
    m_cycle++;
    return true;
}

bool prg_bench::run(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (!step())
            return false;
    }
    return true;
}

bool prg_bench::ctrl_write(uint16_t wdata)
{
    in.ctrl_we = true;
    in.ctrl_wdata = wdata;
    return step();
}

bool prg_bench::status_w1c(uint16_t bits)
{
    in.status_we = true;
    in.status_wdata = bits;
    return step();
}

bool prg_bench::send_group(uint32_t n, grp_ev *ev, uint64_t *waited, uint64_t limit)
{
    const size_t n0 = grps.size();

    in.grp_valid = true;
    in.grp_npages = n;
    for (uint64_t i = 0; i < limit; i++) {
        if (!step())
            return false;
        if (grps.size() > n0) {
            *ev = grps.back();
            if (waited)
                *waited = i;
            return true;
        }
    }
    in.grp_valid = false;
    if (waited) {
        *waited = limit;
        *ev = {m_cycle, GRP_NONE, 0, n};
        return true;  // the caller expected (or checks) the stall
    }
    mark_failed("group of " + std::to_string(n) + " not taken in " + std::to_string(limit) +
                " cycles");
    return false;
}

bool prg_bench::respond(unsigned prgi, unsigned code, rsp_ev *ev)
{
    in.rsp_valid = true;
    in.rsp_prgi = prgi;
    in.rsp_code = code;
    if (!step())
        return false;
    *ev = rsps.back();
    return true;
}

}  // namespace prgt
