// SPDX-License-Identifier: Apache-2.0
//
// What every RTL bench in tb/rtl shares around its Verilated block: the
// command line (+trace, +seed=N, +cycles=N), building the model with an
// optional FST waveform, the reset sequence, and closing it. Included by
// the bench sources, which see Verilator's headers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif

class VerilatedFstC;

namespace rtlbench {

struct run_opts {
    bool trace = false;
    uint64_t seed = 1;
    uint64_t cycles = 200000;
};

// Parse the bench's plusargs into `o`; false (usage printed) on anything else.
inline bool parse_plusargs(int argc, char **argv, run_opts &o)
{
    auto u64 = [](const char *arg, const char *name, uint64_t *val) {
        const size_t n = std::strlen(name);
        if (std::strncmp(arg, name, n) != 0)
            return false;
        *val = std::strtoull(arg + n, nullptr, 0);
        return true;
    };
    for (int i = 1; i < argc; i++) {
        if (!std::strcmp(argv[i], "+trace"))
            o.trace = true;
        else if (!u64(argv[i], "+seed=", &o.seed) && !u64(argv[i], "+cycles=", &o.cycles)) {
            std::fprintf(stderr, "usage: %s [+trace] [+seed=N] [+cycles=N]\n", argv[0]);
            return false;
        }
    }
    return true;
}

// Build the block `Top` under `hier` in `ctx`, tracing into `<fst>.fst` when
// asked (and the build has FST support).
template <class Top>
std::unique_ptr<Top> open_model(VerilatedContext &ctx, const char *hier, bool trace,
                                const std::string &fst, std::unique_ptr<VerilatedFstC> &tracer,
                                const std::string &name)
{
    (void)name;
#if VM_TRACE
    if (trace)
        ctx.traceEverOn(true);
#endif
    std::unique_ptr<Top> dut(new Top{&ctx, hier});
#if VM_TRACE
    if (trace) {
        tracer.reset(new VerilatedFstC);
        dut->trace(tracer.get(), 99);
        tracer->open((fst + ".fst").c_str());
    }
#else
    (void)fst;
    (void)tracer;
    if (trace)
        std::fprintf(stderr, "%s: built without FST tracing, +trace ignored\n", name.c_str());
#endif
    return dut;
}

// Asynchronous reset, then one clock with reset held (inputs already applied).
template <class Top>
void reset(Top &dut)
{
    dut.clk_i = 0;
    dut.rst_ni = 0;
    dut.eval();
    dut.clk_i = 1;
    dut.eval();
    dut.clk_i = 0;
    dut.eval();
    dut.rst_ni = 1;
    dut.eval();
}

template <class Top>
void close_model(Top &dut, std::unique_ptr<VerilatedFstC> &tracer)
{
    dut.final();
#if VM_TRACE
    if (tracer)
        tracer->close();
#else
    (void)tracer;
#endif
}

}  // namespace rtlbench
