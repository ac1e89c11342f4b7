// SPDX-License-Identifier: Apache-2.0
//
// Lock-step harness: drives the Verilated prg_tracker and the C++ reference with identical
// inputs, compares every output every cycle, and records the handshakes for the tests.
#ifndef PRISIM_TB_RTL_PRG_BENCH_H
#define PRISIM_TB_RTL_PRG_BENCH_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "prg_tracker_ref.h"

class Vprg_tracker_tb;
class VerilatedContext;
class VerilatedFstC;

namespace prgt {

struct grp_ev {
    uint64_t cycle;
    unsigned cause;
    unsigned prgi;
    uint32_t npages;
};

struct rsp_ev {
    uint64_t cycle;
    unsigned prgi;
    unsigned code;
    unsigned cause;
    uint32_t credits;
};

// Simple deterministic generator (xorshift64*), one per bench.
class bench_rng {
public:
    explicit bench_rng(uint64_t seed) : m_s(seed ? seed : 0x9E3779B97F4A7C15ull) {}
    uint64_t next();
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }
    bool chance(unsigned permille) { return below(1000) < permille; }

private:
    uint64_t m_s;
};

class prg_bench {
public:
    prg_bench(const std::string &name, bool trace, uint64_t seed);
    ~prg_bench();
    prg_bench(const prg_bench &) = delete;
    prg_bench &operator=(const prg_bench &) = delete;

    // One clock cycle with the inputs in `in`: compare, observe, clock edge. The one-cycle
    // strobes (ctrl_we, status_we, rsp_valid, sm_valid) are cleared afterwards, and so is
    // grp_valid once its handshake happened. False on the first mismatch.
    bool step();
    bool run(uint64_t n);

    // --- directed helpers (false on a mismatch or timeout) ---
    bool ctrl_write(uint16_t wdata);
    bool status_w1c(uint16_t bits);
    // Present a group of n pages until its handshake (at most `limit` cycles); *ev gets the
    // outcome, *waited the cycles it stalled.
    bool send_group(uint32_t n, grp_ev *ev, uint64_t *waited = nullptr, uint64_t limit = 100);
    // One response in the next cycle; *ev gets the outcome.
    bool respond(unsigned prgi, unsigned code, rsp_ev *ev);

    prg_in in;

    uint64_t cycle() const { return m_cycle; }
    const prg_out &out() const { return m_out; }  // outputs of the last cycle stepped
    prg_out now() const;                          // outputs for the current inputs
    std::vector<grp_ev> grps;    // every group handshake
    std::vector<rsp_ev> rsps;    // every response handshake
    std::vector<uint64_t> abandons;
    uint64_t stall_cycles = 0;
    uint64_t sm_sent = 0, sm_dropped = 0;

    bool failed() const { return m_failed; }
    void mark_failed(const std::string &msg);

    bench_rng rng;

private:
    void apply_inputs(const prg_in &cur);
    prg_out read_outputs() const;

    std::string m_name;
    std::unique_ptr<VerilatedContext> m_ctx;
    std::unique_ptr<Vprg_tracker_tb> m_dut;
    std::unique_ptr<VerilatedFstC> m_trace;
    prg_tracker_ref m_ref;

    uint64_t m_cycle = 0;
    prg_out m_out;
    bool m_failed = false;
};

}  // namespace prgt

#endif  // PRISIM_TB_RTL_PRG_BENCH_H
