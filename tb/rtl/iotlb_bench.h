// SPDX-License-Identifier: Apache-2.0
//
// Lock-step harness: drives the Verilated iotlb and the C++ reference with identical inputs,
// compares every output every cycle, and offers one-operation helpers to the tests.
#ifndef PRISIM_TB_RTL_IOTLB_BENCH_H
#define PRISIM_TB_RTL_IOTLB_BENCH_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "iotlb_ref.h"

class Viotlb_tb;
class VerilatedContext;
class VerilatedFstC;

namespace iotlbt {

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

// One invalidation's effect: the ways it removed, per set swept.
struct sweep_ev {
    unsigned set;
    uint64_t kill;
};

class iotlb_bench {
public:
    // The block at 2^sets_log2 sets of `ways` ways, reset and cleared.
    iotlb_bench(const std::string &name, bool trace, uint64_t seed, unsigned sets_log2,
                unsigned ways);
    ~iotlb_bench();
    iotlb_bench(const iotlb_bench &) = delete;
    iotlb_bench &operator=(const iotlb_bench &) = delete;

    // One clock cycle with inputs `in`: compare, clock edge, compare. False on a mismatch.
    bool step(const iotlb_in &in);
    // Idle cycles until the block is ready (at most `limit`); false on a mismatch or timeout.
    bool wait_ready(uint64_t limit = 1u << 16);

    // --- one operation, from a ready block (false on a mismatch) ---
    // Lookup / fill: *o gets the answer.
    bool request(const iotlb_in &in, iotlb_out *o);
    // Invalidation: runs it to the end; *sweeps gets every set swept, *cycles its length.
    bool invalidate(const iotlb_in &in, std::vector<sweep_ev> *sweeps, uint64_t *cycles);

    const iotlb_ref &ref() const { return m_ref; }
    uint64_t cycle() const { return m_cycle; }
    bool failed() const { return m_failed; }
    bench_rng rng;

private:
    void apply(const iotlb_in &in);
    iotlb_out read() const;
    bool compare(const iotlb_out &want, const iotlb_out &got, bool regs);
    void mark_failed(const std::string &msg);

    std::string m_name;
    std::unique_ptr<VerilatedContext> m_ctx;
    std::unique_ptr<Viotlb_tb> m_dut;
    std::unique_ptr<VerilatedFstC> m_trace;
    iotlb_ref m_ref;
    uint64_t m_cycle = 0;
    uint64_t m_time = 0;
    bool m_cleared = false; // the clear after reset is over (kill masks compared from then)
    bool m_failed = false;
};

} // namespace iotlbt

#endif
