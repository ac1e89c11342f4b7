// SPDX-License-Identifier: Apache-2.0
//
// Lock-step harness: drives the Verilated pq_writer and the C++ reference with identical
// inputs, compares every output every cycle, and plays the environment (request source,
// memory with latency and errors, auto-response sink) for the tests.
#ifndef PRISIM_TB_RTL_PQ_BENCH_H
#define PRISIM_TB_RTL_PQ_BENCH_H

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "pq_writer_ref.h"

class Vpq_writer_tb;
class VerilatedContext;
class VerilatedFstC;

namespace pqw {

// Must match the MaxLog2Sz the bench's model is Verilated with (the RTL default).
constexpr unsigned BENCH_MAX_LOG2SZ = 16;


// PAYLOAD for a page request: R/W/L bits, PRG index, page address (§12).
uint64_t make_payload(bool r, bool w, bool l, unsigned prgi, uint64_t page_addr);

struct rec_write {
    uint64_t cycle;
    uint64_t addr;
    uint64_t hdr;
    uint64_t payload;
    bool err;  // the memory answered this write with an error
};

struct auto_rsp {
    uint64_t cycle;
    unsigned code;
    unsigned prgi;
    uint32_t did;
    bool pv;
    uint32_t pid;
};

struct done_ev {
    uint64_t cycle;
    unsigned cause;
    bool ar;
};

// Simple deterministic generator (xorshift64*), one per bench.
class bench_rng {
public:
    explicit bench_rng(uint64_t seed) : m_s(seed ? seed : 0x9E3779B97F4A7C15ull) {}
    uint64_t next();
    // uniform in [0, n)
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }
    // true with probability permille / 1000
    bool chance(unsigned permille) { return below(1000) < permille; }

private:
    uint64_t m_s;
};

class pq_bench {
public:
    pq_bench(const std::string &name, bool trace, uint64_t seed);
    ~pq_bench();
    pq_bench(const pq_bench &) = delete;
    pq_bench &operator=(const pq_bench &) = delete;

    // One clock cycle: drive, compare, observe, clock edge. False on the first mismatch.
    bool step();
    // n cycles; false on a mismatch.
    bool run(uint64_t n);
    // Step until pred() holds (checked before each cycle) or limit cycles passed.
    template <typename Pred> bool run_until(Pred pred, uint64_t limit)
    {
        for (uint64_t i = 0; i < limit; i++) {
            if (pred())
                return true;
            if (!step())
                return false;
        }
        if (pred())
            return true;
        mark_failed("timeout after " + std::to_string(limit) + " cycles");
        return false;
    }

    // --- directed helpers (each returns false on mismatch or timeout) ---
    // Present a pqcsr write in the next cycle.
    bool csr_write(uint32_t wdata);
    // Write pqcsr and wait for busy = 0.
    bool csr_write_wait(uint32_t wdata);
    // Send one request and run until its done pulse; *out gets the outcome.
    bool send(const page_req &r, done_ev *out);

    // --- environment, changed freely by tests ---
    pq_in in;                     // persistent configuration inputs (pqb, pqh, ...)
    std::deque<page_req> reqs;    // request source, presented in order
    unsigned mem_ready_pm = 1000; // per-mille chance mem_req_ready_i is 1 in a cycle
    unsigned mem_lat_min = 1;     // response latency after the handshake, cycles (>= 1)
    unsigned mem_lat_max = 1;
    unsigned mem_err_pm = 0;      // per-mille chance a write is answered with an error
    std::deque<bool> mem_err_force; // forced error flags for the next writes (front first)
    unsigned ar_ready_pm = 1000;  // per-mille chance ar_ready_i is 1 in a cycle

    // --- observation ---
    uint64_t cycle() const { return m_cycle; }
    const pq_out &out() const { return m_out; }  // outputs of the last cycle stepped
    // Outputs at the start of the next cycle (state after the last edge, last inputs).
    pq_out now() const { return read_outputs(); }
    std::vector<rec_write> writes;
    std::vector<auto_rsp> ars;
    std::vector<done_ev> dones;
    std::vector<uint64_t> pip_cycles;
    std::vector<page_req> accepted;   // requests in acceptance order
    uint64_t writes_in_flight() const { return m_rsp.size(); }

    bool failed() const { return m_failed; }
    const std::string &failure() const { return m_failure; }
    void mark_failed(const std::string &msg);

    bench_rng rng;

private:
    struct pending_rsp {
        uint64_t due;
        bool err;
    };

    void apply_inputs(const pq_in &cur);
    pq_out read_outputs() const;
    void dump(uint64_t t);

    std::string m_name;
    std::unique_ptr<VerilatedContext> m_ctx;
    std::unique_ptr<Vpq_writer_tb> m_dut;
    std::unique_ptr<VerilatedFstC> m_trace;
    pq_writer_ref m_ref;

    uint64_t m_cycle = 0;
    pq_out m_out;
    std::deque<pending_rsp> m_rsp;
    bool m_failed = false;
    std::string m_failure;
};

// Independent packing of a PQ record header (§12), for checks that do not use the reference.
uint64_t expected_record_hdr(const page_req &r);

}  // namespace pqw

#endif  // PRISIM_TB_RTL_PQ_BENCH_H
