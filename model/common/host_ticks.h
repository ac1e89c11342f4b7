// SPDX-License-Identifier: Apache-2.0
//
// host_ticks: host-time accounting of the calls into a Verilated block
// (host.json's rtl_* figures, docs/results.md), on a sample of them. A tick
// is the time-stamp counter where the host has one (x86: constant-rate on every
// current CPU, about 20 cycles to read), else a steady_clock nanosecond.
// Ticks become seconds by the rate main.cpp measures over the run (ticks
// across sc_start / its wall time), so no frequency is assumed.
#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace prisim {

inline uint64_t host_ticks()
{
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count());
#endif
}

// Host time in the calls into one block, measured on a sample of them: one
// call in k_stride reads the counter at entry and exit (a read costs about
// as much as a tenth of a scheduler round, and a block is called several
// times per fault), and the total is scaled by calls / calls sampled.
// Calls are sampled by count, not by time: deterministic, and the stride is
// prime, so that no periodic pattern of calls (a lookup, a fill, a lookup)
// is sampled at one phase only.
class sampled_ticks {
public:
    static constexpr uint32_t k_stride = 11;

    // Estimated ticks in every call so far.
    uint64_t estimate() const
    {
        return m_sampled ? uint64_t(double(m_ticks) * double(m_calls) / double(m_sampled)) : 0;
    }

private:
    friend class tick_scope;
    uint64_t m_ticks = 0;   // in the sampled calls
    uint64_t m_calls = 0;   // every call
    uint64_t m_sampled = 0; // calls sampled
    uint32_t m_phase = 0;   // calls since the last sample
};

// Counts one call into a block, and measures it if it is sampled.
class tick_scope {
public:
    explicit tick_scope(sampled_ticks& acc) : m_acc(acc)
    {
        ++acc.m_calls;
        if (acc.m_phase == 0) {
            m_t0 = host_ticks();
            m_on = true;
        }
        if (++acc.m_phase == sampled_ticks::k_stride) acc.m_phase = 0;
    }
    ~tick_scope()
    {
        if (m_on) {
            m_acc.m_ticks += host_ticks() - m_t0;
            ++m_acc.m_sampled;
        }
    }
    tick_scope(const tick_scope&) = delete;
    tick_scope& operator=(const tick_scope&) = delete;

private:
    sampled_ticks& m_acc;
    uint64_t m_t0 = 0;
    bool m_on = false;
};

} // namespace prisim
