// SPDX-License-Identifier: Apache-2.0
//
// pq_engine: runs the Verilated rtl/pq_writer (page-request queue writer,
// riscv-iommu.md §13.1 steps 6-11) inside the SystemC IOMMU model.
//
// What it models: the cycle-by-cycle behaviour of the RTL block. The block
// is clocked in place (DESIGN.md §5): the call that hands it work (a page
// request, a pqcsr write, a pqh write, a register read that must see its
// state) evaluates it for as many cycles as that work needs, one eval() per
// clock level, and accounts the cycles as local time. The block keeps its
// own clock: the time of its next rising edge, on the IOMMU clock grid. It
// has no process, no settle cycles, and an idle block costs nothing. While
// its record write is in flight the clock is gated: the write is a direct
// transport through the owner, and the response is presented at the first
// edge after the write's annotated completion.
// Effects that leave the block (auto-responses, interrupt pulses, status
// changes) are handed to the owner after the work is done, each with the
// time of the edge that produced it, so that a pulse never holds up the
// block's own clock.
// What it does not: anything of §13.1 steps 1-5 (the owner's front end).
//
// Software inputs (pqh and pqcsr writes) carry the writer's local time and
// take effect at the first edge at or after it, whatever the order in which
// the writers ran on the host: a writer that runs ahead of simulated time
// does not change what a request that arrives earlier sees.
// pqcsr writes are presented to the RTL only in a cycle where busy = 0 (the
// RTL ignores writes while busy, which §7.1 leaves UNSPECIFIED): a write issued
// during an enable/disable transition is held until the transition ends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <systemc>

#include "common/host_ticks.h"
#include "common/local_time.h"
#include "common/ring.h"

class Vpq_writer;
class Vpq_writer_tb;
class VerilatedContext;
class VerilatedFstC;

namespace prisim::iommu {

// One page-request message that passed the device-context checks.
struct pq_request {
    uint32_t did = 0;
    bool dsv = false; // the request's DSV: a response goes back with it (§13.4)
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

// What the engine needs from its owner. Times are offsets from
// sc_time_stamp() (the TLM-2.0 annotated delay of the calling thread).
class pq_engine_client {
public:
    virtual ~pq_engine_client() = default;
    // Write a 16-byte record at `t`; on return `t` is when the write
    // completed (the owner may synchronise). Returns true on an access fault.
    virtual bool pq_mem_write(uint64_t addr, const unsigned char* data16, sc_core::sc_time& t) = 0;
    // An auto PRG Response the RTL generated (ar_* handshake) at `t` for the
    // request in flight, `req`.
    virtual void pq_auto_response(const pq_request& req, uint32_t did, bool pv, uint32_t pid,
                                  unsigned prgi, unsigned code, sc_core::sc_time& t) = 0;
    // done_o for the oldest accepted request, at the edge at_ps (absolute
    // simulated time, ps).
    virtual void pq_done(const pq_request& req, pq_cause cause, bool auto_resp, uint64_t at_ps) = 0;
    // pip_set_o pulse at `t`.
    virtual void pq_pip_set(sc_core::sc_time& t) = 0;
    // pqcsr_o or pqt_o changed at the edge at `t`.
    virtual void pq_status_changed(uint32_t old_csr, uint32_t new_csr, uint32_t old_pqt,
                                   uint32_t new_pqt, sc_core::sc_time& t) = 0;
};

// Waveforms of the block (prisim --wave-out): an FST file of its signals
// at each clock level from start_ps to end_ps (absolute simulated time).
struct wave_options {
    std::string path; // empty: no waveforms (the faster build of the block)
    uint64_t start_ps = 0;
    uint64_t end_ps = UINT64_MAX;
};

class pq_engine : public sc_core::sc_module {
public:
    pq_engine(sc_core::sc_module_name name, pq_engine_client& client, sc_core::sc_time clk_period,
              bool stop_marker_needs_pasid, bool ovf_auto_resp, const wave_options& waves = {});
    ~pq_engine() override;

    // Software-owned configuration (held in the register file). pqb changes
    // only while the queue is off; pqh is sampled from the first edge at or
    // after `t` on.
    void set_base(uint64_t ppn, unsigned log2szm1);
    void set_pqh(uint32_t pqh, const sc_core::sc_time& t);
    // A software write of pqcsr at `t` (posted: it is taken at the first
    // edge at or after `t` where the block is not busy).
    void write_csr(uint32_t value, const sc_core::sc_time& t);
    // Run one message (step 6 onwards) that arrived at `t` to completion;
    // called from a process (it may synchronise `t` first, see the .cpp).
    // On return `t` is the edge at which the RTL accepted it (the block
    // itself stays busy until its done_o; a later request waits for that).
    void submit(const pq_request& req, sc_core::sc_time& t);
    // Bring the block's state up to time `t` (e.g. before a register read):
    // finishes an enable/disable transition that ends by then.
    void catch_up(const sc_core::sc_time& t);

    // The block's outputs now (after its last edge, which may be ahead of
    // simulated time) and as they were at absolute time `at_ps`: a reader
    // that is behind the block sees the value of its own time.
    uint32_t pqcsr() const;
    uint32_t pqt() const;
    uint32_t pqcsr_at(uint64_t at_ps) const { return status_at(at_ps).csr; }
    uint32_t pqt_at(uint64_t at_ps) const { return status_at(at_ps).pqt; }
    uint64_t cycles() const { return m_cycles; }
    // Host time spent in the block: evaluation, wrapper and effects, over
    // the calls that hand it work (measured on one call in
    // sampled_ticks::k_stride, common/host_ticks.h).
    uint64_t host_ticks() const { return m_host_ticks.estimate(); } // common/host_ticks.h
    uint64_t activations() const { return m_activations; }

private:
    // One clock cycle at m_edge: drive inputs, evaluate both levels, act on
    // what the edge did.
    void cycle();
    template <class V> void cycle_on(V& t);
    template <class V> void reset(V& t);
    template <class V> void eval_at(V& t, uint64_t at_ps);
    bool busy() const;
    bool idle() const;
    void start_at_ps(uint64_t abs_ps);
    // Take the software inputs due by `upto_ps` (pqh at once, one pqcsr
    // write at a time).
    void take_inputs(uint64_t upto_ps);
    // Run the block's clock up to `until_ps`: pending inputs and
    // transitions; an idle block's clock stays gated.
    void advance_to(uint64_t until_ps);
    void run_memory_write();
    sc_core::sc_time offset_of(uint64_t edge_ps) const;

    pq_engine_client& m_client;
    uint64_t m_clk_ps;
    std::unique_ptr<VerilatedContext> m_ctx;
    std::unique_ptr<Vpq_writer> m_top;      // the block, or (with waveforms)
    std::unique_ptr<Vpq_writer_tb> m_top_w; // its traced build
    std::unique_ptr<VerilatedFstC> m_fst;
    uint64_t m_wave_start_ps = 0, m_wave_end_ps = 0, m_wave_last_ps = 0;
    bool m_wave_dumped = false;
    uint32_t m_out_csr = 0, m_out_pqt = 0;  // pqcsr_o, pqt_o after the last edge

    bool m_req_valid = false;   // a request is presented
    pq_request m_req{};         // the request presented / in flight
    bool m_inflight = false;    // accepted, waiting for done_o
    bool m_csr_valid = false;   // a pqcsr write is presented
    uint32_t m_csr_value = 0;

    enum class mem_state { idle, writing, responding };
    mem_state m_mem = mem_state::idle;
    uint64_t m_mem_addr = 0;
    unsigned char m_mem_data[16] = {};
    bool m_mem_err = false;

    uint64_t m_ppn = 0;
    unsigned m_log2szm1 = 0;
    uint32_t m_pqh = 0;
    bool m_smnp;
    bool m_ovf_ar; // ovf_auto_resp_i: Success to L=1 discarded on overflow

    uint64_t m_edge_ps = 0; // absolute time of the block's next rising edge

    struct sw_input {
        uint64_t at_ps = 0; // writer's local time
        bool csr = false;   // pqcsr write, else pqh
        uint32_t value = 0;
    };
    prisim::ring<sw_input> m_inputs; // by time

    // Output changes at edges that simulated time has not reached yet.
    struct status_point {
        uint64_t edge_ps = 0;
        uint32_t csr = 0, pqt = 0;
    };
    prisim::ring<status_point> m_hist;
    status_point m_base; // the outputs before m_hist's first change
    status_point status_at(uint64_t at_ps) const;
    void forget_past();

    uint64_t m_cycles = 0;
    uint64_t m_activations = 0;
    prisim::sampled_ticks m_host_ticks;
};

} // namespace prisim::iommu
