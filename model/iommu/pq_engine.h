// SPDX-License-Identifier: Apache-2.0
//
// pq_engine: clocks the Verilated rtl/pq_writer (page-request queue writer,
// riscv-iommu.md §13.1 steps 6-11) inside the SystemC IOMMU model.
//
// What it models: the cycle-by-cycle behaviour of the RTL block; its record
// writes go to memory through the owner (one outstanding write, 16 bytes,
// little-endian), its auto-responses, completion pulses and interrupt pulses
// are handed to the owner. The block is clocked only while it has work (a
// request waiting or in flight, a pqcsr write, a record write outstanding, an
// auto-response presented, busy = 1): an idle block costs no host time
// (DESIGN.md §5).
// What it does not: anything of §13.1 steps 1-5 (the owner's front end).
//
// pqcsr writes are presented to the RTL only in a cycle where busy = 0 (the
// RTL ignores writes while busy, which §7.1 leaves UNSPECIFIED): a write issued
// during an enable/disable transition takes effect when the transition ends.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include <systemc>

class Vpq_writer;
class VerilatedContext;

namespace prisim::iommu {

// One page-request message that passed the device-context checks.
struct pq_request {
    uint32_t did = 0;
    bool pv = false;
    uint32_t pid = 0;
    bool priv = false;
    bool exec = false;
    uint64_t payload = 0;
    bool prpr = false;
};

// done_cause_o of pq_writer.
enum class pq_cause : unsigned {
    queued = 0,
    drop_disabled = 1,
    drop_memfault = 2,
    drop_overflow = 3,
    drop_full = 4,
    drop_write_fault = 5,
};

// What the engine needs from its owner.
class pq_engine_client {
public:
    virtual ~pq_engine_client() = default;
    // Write a 16-byte record; may wait() for the memory latency. Returns true
    // on an access fault.
    virtual bool pq_mem_write(uint64_t addr, const unsigned char* data16) = 0;
    // An auto PRG Response the RTL generated (ar_* handshake).
    virtual void pq_auto_response(uint32_t did, bool pv, uint32_t pid, unsigned prgi,
                                  unsigned code) = 0;
    // done_o for the oldest accepted request.
    virtual void pq_done(const pq_request& req, pq_cause cause, bool auto_resp) = 0;
    // pip_set_o pulse.
    virtual void pq_pip_set() = 0;
    // pqcsr_o or pqt_o changed (observed after a clock edge).
    virtual void pq_status_changed(uint32_t old_csr, uint32_t new_csr, uint32_t old_pqt,
                                   uint32_t new_pqt) = 0;
};

class pq_engine : public sc_core::sc_module {
public:
    pq_engine(sc_core::sc_module_name name, pq_engine_client& client, sc_core::sc_time clk_period,
              bool stop_marker_needs_pasid);
    ~pq_engine() override;

    // Software-owned configuration (held in the register file).
    void set_base(uint64_t ppn, unsigned log2szm1);
    void set_pqh(uint32_t pqh);
    // A software write of pqcsr. Called from a thread, it returns once the RTL
    // has taken the write; otherwise it returns at once.
    void write_csr(uint32_t value);
    // Hand over one message (step 6 onwards). Never blocks.
    void submit(const pq_request& req);

    uint32_t pqcsr() const;
    uint32_t pqt() const;
    // Requests submitted and not yet done.
    size_t pending() const { return m_req_q.size() + m_inflight.size(); }
    uint64_t cycles() const { return m_cycles; }
    double host_seconds() const { return m_host_seconds; }

private:
    void clock_thread();
    void mem_thread();
    bool has_work() const;
    bool only_waiting_for_memory() const;
    void cycle();
    void eval_timed();

    pq_engine_client& m_client;
    sc_core::sc_time m_clk;
    std::unique_ptr<VerilatedContext> m_ctx;
    std::unique_ptr<Vpq_writer> m_top;

    std::deque<pq_request> m_req_q;    // submitted, not yet accepted
    std::deque<pq_request> m_inflight; // accepted, waiting for done_o
    std::deque<uint32_t> m_csr_q;      // pqcsr writes not yet presented
    uint64_t m_csr_issued = 0, m_csr_applied = 0;

    enum class mem_state { idle, writing, responding };
    mem_state m_mem = mem_state::idle;
    uint64_t m_mem_addr = 0;
    unsigned char m_mem_data[16] = {};
    bool m_mem_err = false;

    uint64_t m_ppn = 0;
    unsigned m_log2szm1 = 0;
    uint32_t m_pqh = 0;
    bool m_smnp;
    unsigned m_settle = 0; // extra cycles after activity
    uint64_t m_stuck = 0;  // cycles the oldest in-flight request has waited

    uint64_t m_cycles = 0;
    double m_host_seconds = 0;

    sc_core::sc_event m_work_ev;
    sc_core::sc_event m_mem_start_ev;
    sc_core::sc_event m_csr_done_ev;
};

} // namespace prisim::iommu
