// SPDX-License-Identifier: Apache-2.0
//
// Clocking wrapper of the Verilated pq_writer. Each clock: drive the inputs,
// evaluate with clk low (combinational outputs settle), sample every
// handshake and pulse as the rising edge will see it, evaluate with clk high,
// act on what was sampled, wait one clock period.
// The Verilated headers come first: they must not see SystemC (they would
// take their notion of time from it), and they are not -Wextra clean.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Vpq_writer.h"
#include "Vpq_writer_tb.h"
#include "verilated.h"
#include "verilated_fst_c.h"
#pragma GCC diagnostic pop

#include "iommu/pq_engine.h"

#include <string>
#include <type_traits>

#include "common/host_ticks.h"
#include "common/rtl_reset.h"

#include "iommu/iommu_defs.h"

namespace prisim::iommu {

namespace {
// A single call that needs more cycles than this means the RTL or this
// wrapper broke the protocol (a request takes a handful).
constexpr uint64_t STUCK_CYCLES = 1'000'000;

} // namespace

pq_engine::pq_engine(sc_core::sc_module_name name, pq_engine_client& client,
                     sc_core::sc_time clk_period, bool stop_marker_needs_pasid, bool ovf_auto_resp,
                     const wave_options& waves)
    : sc_module(name), m_client(client), m_clk_ps(clk_period.value()), m_smnp(stop_marker_needs_pasid),
      m_ovf_ar(ovf_auto_resp)
{
    if (m_clk_ps == 0)
        SC_REPORT_FATAL(this->name(), "clock period must be > 0");
    m_ctx = std::make_unique<VerilatedContext>();
    if (waves.path.empty()) {
        m_top = std::make_unique<Vpq_writer>(m_ctx.get(), "pq_writer");
        reset(*m_top);
        return;
    }
    // Waveforms: the build of the block with tracing (and its assertions),
    // dumped at each clock level inside the window.
    m_wave_start_ps = waves.start_ps;
    m_wave_end_ps = waves.end_ps;
    m_ctx->traceEverOn(true);
    m_top_w = std::make_unique<Vpq_writer_tb>(m_ctx.get(), "pq_writer");
    m_fst = std::make_unique<VerilatedFstC>();
    m_top_w->trace(m_fst.get(), 99);
    m_fst->open(waves.path.c_str());
    if (!m_fst->isOpen())
        SC_REPORT_FATAL(this->name(), ("cannot write the waveform file '" + waves.path + "'").c_str());
    reset(*m_top_w);
}

// Power-on reset: an asynchronous reset pulse plus one clock edge under
// reset. Takes no simulated time.
template <class V>
void pq_engine::reset(V& t)
{
    prisim::rtl_power_on_reset(t);
    ++m_cycles;
    m_out_csr = m_base.csr = t.pqcsr_o;
    m_out_pqt = m_base.pqt = t.pqt_o;
    if constexpr (std::is_same_v<V, Vpq_writer_tb>) {
        if (m_wave_start_ps == 0) { // the state after reset, at time 0
            m_fst->dump(0);
            m_wave_dumped = true;
        }
    }
}

// One evaluation; with waveforms, the values are dumped at `at_ps` when it
// lies in the window (times only increase: a clock gated while idle leaves
// a gap).
template <class V>
void pq_engine::eval_at(V& t, uint64_t at_ps)
{
    t.eval();
    if constexpr (std::is_same_v<V, Vpq_writer_tb>) {
        if (at_ps >= m_wave_start_ps && at_ps <= m_wave_end_ps && (!m_wave_dumped || at_ps > m_wave_last_ps)) {
            m_fst->dump(at_ps);
            m_wave_last_ps = at_ps;
            m_wave_dumped = true;
        }
    }
}

pq_engine::~pq_engine()
{
    // Verilator erases a model's scopes through the thread's current context
    // (Verilated::threadContextp, by default the last context constructed:
    // with one context per block instance, possibly one already gone). Make
    // it this block's while its model goes, and leave none behind.
    Verilated::threadContextp(m_ctx.get());
    if (m_top) m_top->final();
    if (m_top_w) {
        m_top_w->final();
        m_fst->close();
    }
    m_fst.reset();
    m_top_w.reset();
    m_top.reset();
    Verilated::threadContextp(nullptr);
}

void pq_engine::set_base(uint64_t ppn, unsigned log2szm1)
{
    m_ppn = ppn & bits(43, 0);
    m_log2szm1 = log2szm1 & 0x1F;
}

uint32_t pq_engine::pqcsr() const { return m_out_csr; }

pq_engine::status_point pq_engine::status_at(uint64_t at_ps) const
{
    for (size_t i = m_hist.size(); i > 0; --i)
        if (m_hist[i - 1].edge_ps <= at_ps)
            return m_hist[i - 1];
    return m_base;
}

void pq_engine::forget_past()
{
    const uint64_t now = prisim::sim_now().value();
    while (!m_hist.empty() && m_hist.front().edge_ps <= now) {
        m_base = m_hist.front();
        m_hist.pop_front();
    }
}
uint32_t pq_engine::pqt() const { return m_out_pqt; }

bool pq_engine::busy() const { return m_out_csr & XQCSR_BUSY; }

sc_core::sc_time pq_engine::offset_of(uint64_t edge_ps) const
{
    const uint64_t now = prisim::sim_now().value();
    return sc_core::sc_time::from_value(edge_ps > now ? edge_ps - now : 0);
}

// Work that arrives at `abs` starts at the first edge at or after it (the
// clock was gated while idle), or when the block is free.
void pq_engine::start_at_ps(uint64_t abs_ps)
{
    const uint64_t a = (abs_ps + m_clk_ps - 1) / m_clk_ps * m_clk_ps;
    if (a > m_edge_ps)
        m_edge_ps = a;
}


bool pq_engine::idle() const
{
    return !busy() && !m_csr_valid && !m_req_valid && !m_inflight && m_mem == mem_state::idle;
}

void pq_engine::take_inputs(uint64_t upto_ps)
{
    while (!m_inputs.empty() && m_inputs.front().at_ps <= upto_ps) {
        const sw_input& in = m_inputs.front();
        if (in.csr) {
            if (m_csr_valid)
                return; // the previous write is not taken yet
            m_csr_valid = true;
            m_csr_value = in.value;
        } else {
            m_pqh = in.value;
        }
        m_inputs.pop_front();
    }
}

void pq_engine::advance_to(uint64_t until_ps)
{
    uint64_t n = 0;
    for (;;) {
        if (idle()) {
            // Gated clock: a pqh write changes a level input at once; a
            // pqcsr write starts the clock at its edge.
            while (!m_inputs.empty() && m_inputs.front().at_ps <= until_ps && !m_inputs.front().csr) {
                m_pqh = m_inputs.front().value;
                m_inputs.pop_front();
            }
            if (m_inputs.empty() || m_inputs.front().at_ps > until_ps)
                return;
            start_at_ps(m_inputs.front().at_ps);
        }
        if (m_edge_ps > until_ps)
            return;
        cycle();
        if (++n == STUCK_CYCLES) {
            SC_REPORT_ERROR(name(), "pq_writer still busy after a million cycles");
            m_csr_valid = false;
            return;
        }
    }
}

void pq_engine::catch_up(const sc_core::sc_time& t)
{
    forget_past();
    if (idle() && m_inputs.empty())
        return; // clock gated, nothing changes
    prisim::tick_scope h(m_host_ticks); // a sampled call (common/host_ticks.h)
    ++m_activations;
    advance_to((prisim::sim_now() + t).value());
}

void pq_engine::set_pqh(uint32_t pqh, const sc_core::sc_time& t)
{
    m_inputs.insert_ordered({(prisim::sim_now() + t).value(), false, pqh},
                            [](const sw_input& a, const sw_input& b) { return a.at_ps < b.at_ps; });
}

void pq_engine::write_csr(uint32_t value, const sc_core::sc_time& t)
{
    m_inputs.insert_ordered({(prisim::sim_now() + t).value(), true, value},
                            [](const sw_input& a, const sw_input& b) { return a.at_ps < b.at_ps; });
}

void pq_engine::submit(const pq_request& req, sc_core::sc_time& t)
{
    // The block takes software's pqh and pqcsr writes at its clock edges:
    // it must not start a request ahead of a write still to come from a
    // process that is behind (the caller's local time is synchronised if
    // another process is due before it).
    prisim::synchronise_to_observe(t);
    prisim::tick_scope h(m_host_ticks); // a sampled call (common/host_ticks.h)
    ++m_activations;
    forget_past();
    const uint64_t arrival = (prisim::sim_now() + t).value();
    advance_to(arrival); // what software did before the request arrived
    start_at_ps(arrival);
    m_req = req;
    m_req_valid = true;
    uint64_t accepted = m_edge_ps, n = 0;
    while (m_req_valid || m_inflight || m_mem != mem_state::idle) {
        const uint64_t edge = m_edge_ps;
        const bool waiting = m_req_valid;
        cycle();
        if (waiting && !m_req_valid)
            accepted = edge;
        if (m_mem == mem_state::writing)
            run_memory_write();
        if (++n == STUCK_CYCLES) {
            SC_REPORT_ERROR(name(), ("pq_writer has not completed a request in " +
                                     std::to_string(STUCK_CYCLES) + " cycles")
                                        .c_str());
            m_req_valid = m_inflight = false;
            m_mem = mem_state::idle;
        }
    }
    t = offset_of(accepted);
}

// The record write: a direct transport at the edge that issued it. The
// block's clock is gated until the write completes; the response is
// presented at the first edge after that.
void pq_engine::run_memory_write()
{
    const uint64_t issued = m_edge_ps - m_clk_ps;
    sc_core::sc_time t = offset_of(issued);
    m_mem_err = m_client.pq_mem_write(m_mem_addr, m_mem_data, t);
    m_mem = mem_state::responding;
    start_at_ps((prisim::sim_now() + t).value());
}

void pq_engine::cycle()
{
    if (m_top)
        cycle_on(*m_top);
    else
        cycle_on(*m_top_w);
}

template <class V>
void pq_engine::cycle_on(V& t)
{

    take_inputs(m_edge_ps);

    // ---- drive inputs ----
    t.pqb_ppn_i = m_ppn;
    t.pqb_log2szm1_i = static_cast<CData>(m_log2szm1);
    t.pqh_i = m_pqh;
    t.stop_marker_needs_pasid_i = m_smnp;
    t.ovf_auto_resp_i = m_ovf_ar;
    const bool csr = m_csr_valid && !(t.pqcsr_o & XQCSR_BUSY);
    t.csr_we_i = csr;
    t.csr_wdata_i = csr ? m_csr_value : 0;
    const bool req = m_req_valid;
    t.req_valid_i = req;
    if (req) {
        const pq_request& r = m_req;
        t.req_did_i = r.did & 0xFFFFFF;
        t.req_pv_i = r.pv;
        t.req_pid_i = r.pid & 0xFFFFF;
        t.req_priv_i = r.priv;
        t.req_exec_i = r.exec;
        t.req_payload_i = r.payload;
        t.req_prpr_i = r.prpr;
    }
    const bool rsp = m_mem == mem_state::responding;
    t.mem_req_ready_i = m_mem == mem_state::idle;
    t.mem_rsp_valid_i = rsp;
    t.mem_rsp_err_i = rsp && m_mem_err;
    t.ar_ready_i = 1;

    // ---- clk low: sample what the rising edge sees ----
    t.clk_i = 0;
    eval_at(t, m_edge_ps >= m_clk_ps / 2 ? m_edge_ps - m_clk_ps / 2 : 0);
    const bool req_fire = req && t.req_ready_o;
    const bool mem_fire = t.mem_req_valid_o && t.mem_req_ready_i;
    if (mem_fire) {
        m_mem_addr = t.mem_req_addr_o;
        for (unsigned w = 0; w < 4; ++w)
            for (unsigned b = 0; b < 4; ++b)
                m_mem_data[w * 4 + b] = static_cast<unsigned char>(t.mem_req_data_o[w] >> (8 * b));
    }
    const bool ar_fire = t.ar_valid_o && t.ar_ready_i;
    const uint32_t ar_did = t.ar_did_o;
    const bool ar_pv = t.ar_pv_o;
    const uint32_t ar_pid = t.ar_pid_o;
    const unsigned ar_prgi = t.ar_prgi_o;
    const unsigned ar_code = t.ar_code_o;
    const uint32_t old_csr = t.pqcsr_o;
    const uint32_t old_pqt = t.pqt_o;

    // ---- rising edge ----
    t.clk_i = 1;
    eval_at(t, m_edge_ps);
    ++m_cycles;
    const uint64_t edge = m_edge_ps;
    m_edge_ps += m_clk_ps;
    // done_o and pip_set_o are registered one-cycle pulses: taken as the
    // edge sets them, so the block is not clocked again just to see them.
    const bool done = t.done_o;
    const auto done_cause = static_cast<pq_cause>(t.done_cause_o);
    const bool done_ar = t.done_ar_o;
    const bool pip = t.pip_set_o;

    // ---- act on the edge (effects leave the block without waiting) ----
    if (csr)
        m_csr_valid = false;
    if (req_fire) {
        m_req_valid = false;
        m_inflight = true;
    }
    if (rsp)
        m_mem = mem_state::idle;
    if (mem_fire)
        m_mem = mem_state::writing;
    if (ar_fire) {
        sc_core::sc_time at = offset_of(edge);
        m_client.pq_auto_response(m_req, ar_did, ar_pv, ar_pid, ar_prgi, ar_code, at);
    }
    if (done) {
        if (!m_inflight) {
            SC_REPORT_ERROR(name(), "pq_writer signalled done_o with no request in flight");
        } else {
            m_inflight = false;
            m_client.pq_done(m_req, done_cause, done_ar, edge);
        }
    }
    if (pip) {
        sc_core::sc_time at = offset_of(edge);
        m_client.pq_pip_set(at);
    }
    m_out_csr = t.pqcsr_o;
    m_out_pqt = t.pqt_o;
    if (t.pqcsr_o != old_csr || t.pqt_o != old_pqt) {
        m_hist.push_back({edge, t.pqcsr_o, t.pqt_o});
        sc_core::sc_time at = offset_of(edge);
        m_client.pq_status_changed(old_csr, t.pqcsr_o, old_pqt, t.pqt_o, at);
    }
}

} // namespace prisim::iommu
