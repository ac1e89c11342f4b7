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
#include "verilated.h"
#pragma GCC diagnostic pop

#include "iommu/pq_engine.h"

#include <chrono>
#include <string>

#include "iommu/iommu_defs.h"

namespace prisim::iommu {

namespace {
// Cycles kept clocking after the last activity, so that registered outputs
// (done_o, pqt_o) of the last transition are observed.
constexpr unsigned SETTLE_CYCLES = 2;
// A request that is not done after this many cycles means the RTL or this
// wrapper broke the protocol.
constexpr uint64_t STUCK_CYCLES = 10'000'000;
} // namespace

pq_engine::pq_engine(sc_core::sc_module_name name, pq_engine_client& client,
                     sc_core::sc_time clk_period, bool stop_marker_needs_pasid)
    : sc_module(name), m_client(client), m_clk(clk_period), m_smnp(stop_marker_needs_pasid)
{
    SC_HAS_PROCESS(pq_engine);
    m_ctx = std::make_unique<VerilatedContext>();
    m_top = std::make_unique<Vpq_writer>(m_ctx.get(), "pq_writer");

    // Power-on reset: an asynchronous reset pulse plus one clock edge under
    // reset. Takes no simulated time.
    Vpq_writer& t = *m_top;
    t.clk_i = 0;
    t.rst_ni = 1;
    eval_timed();
    t.rst_ni = 0;
    eval_timed();
    t.clk_i = 1;
    eval_timed();
    t.clk_i = 0;
    t.rst_ni = 1;
    eval_timed();
    ++m_cycles;

    SC_THREAD(clock_thread);
    SC_THREAD(mem_thread);
}

pq_engine::~pq_engine()
{
    m_top->final();
}

void pq_engine::eval_timed()
{
    auto t0 = std::chrono::steady_clock::now();
    m_top->eval();
    m_host_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void pq_engine::set_base(uint64_t ppn, unsigned log2szm1)
{
    m_ppn = ppn & bits(43, 0);
    m_log2szm1 = log2szm1 & 0x1F;
}

void pq_engine::set_pqh(uint32_t pqh) { m_pqh = pqh; }

void pq_engine::write_csr(uint32_t value)
{
    m_csr_q.push_back(value);
    const uint64_t ticket = ++m_csr_issued;
    m_work_ev.notify(sc_core::SC_ZERO_TIME);
    if (sc_core::sc_get_current_process_handle().proc_kind() != sc_core::SC_THREAD_PROC_)
        return;
    while (m_csr_applied < ticket)
        sc_core::wait(m_csr_done_ev);
}

void pq_engine::submit(const pq_request& req)
{
    m_req_q.push_back(req);
    m_work_ev.notify(sc_core::SC_ZERO_TIME);
}

uint32_t pq_engine::pqcsr() const { return m_top->pqcsr_o; }
uint32_t pq_engine::pqt() const { return m_top->pqt_o; }

bool pq_engine::has_work() const
{
    const Vpq_writer& t = *m_top;
    return !m_req_q.empty() || !m_inflight.empty() || !m_csr_q.empty() ||
           m_mem != mem_state::idle || (t.pqcsr_o & XQCSR_BUSY) || t.ar_valid_o ||
           t.mem_req_valid_o || m_settle > 0;
}

// Only the memory response can change the block's state: it cannot take a
// request (one in flight at a time), no CSR write is waiting and every
// pulse has settled. Clocking it through the write latency would cost host
// time and change nothing, so the clock is gated until something arrives.
bool pq_engine::only_waiting_for_memory() const
{
    const Vpq_writer& t = *m_top;
    return m_mem == mem_state::writing && m_csr_q.empty() && m_settle == 0 && !t.req_ready_o &&
           !t.ar_valid_o && !t.mem_req_valid_o;
}

void pq_engine::clock_thread()
{
    for (;;) {
        if (!has_work() || only_waiting_for_memory()) {
            sc_core::wait(m_work_ev);
            // Start on the IOMMU clock grid.
            const sc_core::sc_time phase =
                sc_core::sc_time::from_value(sc_core::sc_time_stamp().value() % m_clk.value());
            if (phase != sc_core::SC_ZERO_TIME)
                sc_core::wait(m_clk - phase);
            continue;
        }
        cycle();
        sc_core::wait(m_clk);
    }
}

void pq_engine::cycle()
{
    Vpq_writer& t = *m_top;

    // ---- drive inputs ----
    t.pqb_ppn_i = m_ppn;
    t.pqb_log2szm1_i = static_cast<CData>(m_log2szm1);
    t.pqh_i = m_pqh;
    t.stop_marker_needs_pasid_i = m_smnp;
    const bool csr = !m_csr_q.empty() && !(t.pqcsr_o & XQCSR_BUSY);
    t.csr_we_i = csr;
    t.csr_wdata_i = csr ? m_csr_q.front() : 0;
    const bool req = !m_req_q.empty();
    t.req_valid_i = req;
    if (req) {
        const pq_request& r = m_req_q.front();
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
    auto h0 = std::chrono::steady_clock::now();
    t.clk_i = 0;
    t.eval();
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
    const bool done = t.done_o;
    const auto done_cause = static_cast<pq_cause>(t.done_cause_o);
    const bool done_ar = t.done_ar_o;
    const bool pip = t.pip_set_o;
    const uint32_t old_csr = t.pqcsr_o;
    const uint32_t old_pqt = t.pqt_o;

    // ---- rising edge ----
    t.clk_i = 1;
    t.eval();
    m_host_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - h0).count();
    ++m_cycles;

    // ---- act on the edge ----
    const bool active = csr || req_fire || mem_fire || rsp || ar_fire || done || pip;
    if (csr) {
        m_csr_q.pop_front();
        ++m_csr_applied;
        m_csr_done_ev.notify(sc_core::SC_ZERO_TIME);
    }
    if (req_fire) {
        m_inflight.push_back(m_req_q.front());
        m_req_q.pop_front();
    }
    if (rsp)
        m_mem = mem_state::idle;
    if (mem_fire) {
        m_mem = mem_state::writing;
        m_mem_start_ev.notify(sc_core::SC_ZERO_TIME);
    }
    if (ar_fire)
        m_client.pq_auto_response(ar_did, ar_pv, ar_pid, ar_prgi, ar_code);
    if (done) {
        if (m_inflight.empty()) {
            SC_REPORT_ERROR(name(), "pq_writer signalled done_o with no request in flight");
        } else {
            pq_request r = m_inflight.front();
            m_inflight.pop_front();
            m_client.pq_done(r, done_cause, done_ar);
        }
        m_stuck = 0;
    }
    if (pip)
        m_client.pq_pip_set();
    if (t.pqcsr_o != old_csr || t.pqt_o != old_pqt)
        m_client.pq_status_changed(old_csr, t.pqcsr_o, old_pqt, t.pqt_o);

    if (active)
        m_settle = SETTLE_CYCLES;
    else if (m_settle > 0)
        --m_settle;
    if (!m_inflight.empty() && ++m_stuck == STUCK_CYCLES)
        SC_REPORT_ERROR(name(), ("pq_writer has not completed a request in " +
                                 std::to_string(STUCK_CYCLES) + " cycles")
                                    .c_str());
}

void pq_engine::mem_thread()
{
    for (;;) {
        sc_core::wait(m_mem_start_ev);
        if (m_mem != mem_state::writing)
            continue;
        m_mem_err = m_client.pq_mem_write(m_mem_addr, m_mem_data);
        m_mem = mem_state::responding;
        m_work_ev.notify(sc_core::SC_ZERO_TIME);
    }
}

} // namespace prisim::iommu
