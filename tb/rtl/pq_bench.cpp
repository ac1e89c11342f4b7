// SPDX-License-Identifier: Apache-2.0
//
// Lock-step harness for rtl/pq_writer.sv; see pq_bench.h.
#include "pq_bench.h"

#include <cstdio>

#include "Vpq_writer_tb.h"
#include "vl_bench.h"

namespace pqw {

uint64_t bench_rng::next()
{
    m_s ^= m_s >> 12;
    m_s ^= m_s << 25;
    m_s ^= m_s >> 27;
    return m_s * 0x2545F4914F6CDD1Dull;
}

uint64_t make_payload(bool r, bool w, bool l, unsigned prgi, uint64_t page_addr)
{
    return (page_addr & ~uint64_t{0xFFF}) | (uint64_t{prgi & 0x1FFu} << 3) |
           (l ? PAYLOAD_L : 0) | (w ? PAYLOAD_W : 0) | (r ? PAYLOAD_R : 0);
}

uint64_t expected_record_hdr(const page_req &r)
{
    uint64_t hdr = 0;

    hdr |= uint64_t{r.did & 0xFFFFFFu} << 40;     // DID 63:40
    if (r.pv) {
        hdr |= uint64_t{1} << 32;                 // PV
        hdr |= uint64_t{r.priv ? 1u : 0u} << 33;  // PRIV, only with a PASID
        hdr |= uint64_t{r.exec ? 1u : 0u} << 34;  // EXEC, only with a PASID
    }
    hdr |= uint64_t{r.pid & 0xFFFFFu} << 12;      // PID 31:12
    return hdr;
}

pq_bench::pq_bench(const std::string &name, bool trace, uint64_t seed)
    : rng(seed), m_name(name), m_ctx(new VerilatedContext), m_ref(BENCH_MAX_LOG2SZ)
{
    m_dut = rtlbench::open_model<Vpq_writer_tb>(*m_ctx, "pq_writer", trace, "tb_pq_writer_" + name, m_trace, name);
    apply_inputs(in);
    rtlbench::reset(*m_dut);
    m_ref.reset();
    m_out = read_outputs();
}

pq_bench::~pq_bench()
{
    rtlbench::close_model(*m_dut, m_trace);
}

void pq_bench::mark_failed(const std::string &msg)
{
    if (m_failed)
        return;
    m_failed = true;
    m_failure = m_name + ": " + msg;
    std::fprintf(stderr, "%s\n", m_failure.c_str());
}

void pq_bench::apply_inputs(const pq_in &c)
{
    Vpq_writer_tb &d = *m_dut;

    d.pqb_ppn_i = c.pqb_ppn;
    d.pqb_log2szm1_i = static_cast<uint8_t>(c.pqb_log2szm1);
    d.pqh_i = c.pqh;
    d.stop_marker_needs_pasid_i = c.stop_marker_needs_pasid;
    d.ovf_auto_resp_i = c.ovf_auto_resp;
    d.csr_we_i = c.csr_we;
    d.csr_wdata_i = c.csr_wdata;
    d.req_valid_i = c.req_valid;
    d.req_did_i = c.req_did;
    d.req_pv_i = c.req_pv;
    d.req_pid_i = c.req_pid;
    d.req_priv_i = c.req_priv;
    d.req_exec_i = c.req_exec;
    d.req_payload_i = c.req_payload;
    d.req_prpr_i = c.req_prpr;
    d.mem_req_ready_i = c.mem_req_ready;
    d.mem_rsp_valid_i = c.mem_rsp_valid;
    d.mem_rsp_err_i = c.mem_rsp_err;
    d.ar_ready_i = c.ar_ready;
}

pq_out pq_bench::read_outputs() const
{
    const Vpq_writer_tb &d = *m_dut;
    pq_out o;

    o.pqcsr = d.pqcsr_o;
    o.pqt = d.pqt_o;
    o.req_ready = d.req_ready_o;
    o.mem_req_valid = d.mem_req_valid_o;
    o.mem_req_addr = d.mem_req_addr_o;
    o.mem_req_hdr = (uint64_t{d.mem_req_data_o[1]} << 32) | d.mem_req_data_o[0];
    o.mem_req_payload = (uint64_t{d.mem_req_data_o[3]} << 32) | d.mem_req_data_o[2];
    o.ar_valid = d.ar_valid_o;
    o.ar_code = d.ar_code_o;
    o.ar_prgi = d.ar_prgi_o;
    o.ar_did = d.ar_did_o;
    o.ar_pv = d.ar_pv_o;
    o.ar_pid = d.ar_pid_o;
    o.done = d.done_o;
    o.done_cause = d.done_cause_o;
    o.done_ar = d.done_ar_o;
    o.pip_set = d.pip_set_o;
    return o;
}

void pq_bench::dump(uint64_t t)
{
#if VM_TRACE
    if (m_trace)
        m_trace->dump(t);
#else
    (void)t;
#endif
}

bool pq_bench::step()
{
    if (m_failed)
        return false;

    // Inputs of this cycle: configuration from the test, request from the source,
    // handshake and response signals from the environment.
    pq_in cur = in;
    if (!reqs.empty()) {
        const page_req &r = reqs.front();
        cur.req_valid = true;
        cur.req_did = r.did;
        cur.req_pv = r.pv;
        cur.req_pid = r.pid;
        cur.req_priv = r.priv;
        cur.req_exec = r.exec;
        cur.req_payload = r.payload;
        cur.req_prpr = r.prpr;
    } else {
        cur.req_valid = false;
    }
    cur.mem_req_ready = rng.chance(mem_ready_pm);
    cur.mem_rsp_valid = !m_rsp.empty() && m_rsp.front().due <= m_cycle;
    cur.mem_rsp_err = cur.mem_rsp_valid && m_rsp.front().err;
    cur.ar_ready = rng.chance(ar_ready_pm);

    apply_inputs(cur);
    m_ctx->time(m_cycle * 10);
    m_dut->clk_i = 0;
    m_dut->eval();

    const pq_out exp = m_ref.eval(cur);
    const pq_out got = read_outputs();
    std::string what;
    if (!pq_out_equal(exp, got, &what)) {
        mark_failed("cycle " + std::to_string(m_cycle) + ": " + what);
        return false;
    }
    m_out = got;

    // Observe the handshakes and pulses of this cycle.
    if (cur.req_valid && got.req_ready) {
        accepted.push_back(reqs.front());
        reqs.pop_front();
    }
    if (got.mem_req_valid && cur.mem_req_ready) {
        bool err;
        if (!mem_err_force.empty()) {
            err = mem_err_force.front();
            mem_err_force.pop_front();
        } else {
            err = rng.chance(mem_err_pm);
        }
        const unsigned lmin = mem_lat_min ? mem_lat_min : 1;
        const unsigned lmax = mem_lat_max > lmin ? mem_lat_max : lmin;
        const uint64_t lat = lmin + rng.below(lmax - lmin + 1);
        m_rsp.push_back({m_cycle + lat, err});
        writes.push_back({m_cycle, got.mem_req_addr, got.mem_req_hdr, got.mem_req_payload, err});
    }
    if (cur.mem_rsp_valid)
        m_rsp.pop_front();
    if (got.ar_valid && cur.ar_ready)
        ars.push_back({m_cycle, got.ar_code, got.ar_prgi, got.ar_did, got.ar_pv, got.ar_pid});
    if (got.done)
        dones.push_back({m_cycle, got.done_cause, got.done_ar});
    if (got.pip_set)
        pip_cycles.push_back(m_cycle);

    // Rising edge.
    dump(m_cycle * 10);
    m_ctx->time(m_cycle * 10 + 5);
    m_dut->clk_i = 1;
    m_dut->eval();
    dump(m_cycle * 10 + 5);
    m_ref.clock(cur);

    in.csr_we = false;
    m_cycle++;
    return true;
}

bool pq_bench::run(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (!step())
            return false;
    }
    return true;
}

bool pq_bench::csr_write(uint32_t wdata)
{
    in.csr_we = true;
    in.csr_wdata = wdata;
    return step();
}

bool pq_bench::csr_write_wait(uint32_t wdata)
{
    if (!csr_write(wdata))
        return false;
    // The write is seen at the edge that ended the last cycle; busy shows from now on.
    return run_until([this] { return !(read_outputs().pqcsr & PQCSR_BUSY); }, 10000);
}

bool pq_bench::send(const page_req &r, done_ev *out)
{
    const size_t n0 = dones.size();

    reqs.push_back(r);
    if (!run_until([this, n0] { return dones.size() > n0; }, 10000))
        return false;
    *out = dones.back();
    return true;
}

}  // namespace pqw
