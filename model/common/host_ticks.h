// SPDX-License-Identifier: Apache-2.0
//
// host_ticks: host-time accounting cheap enough to wrap every call into a
// Verilated block (host.json's rtl_* figures, docs/results.md). A tick is the
// time-stamp counter where the host has one (x86: constant-rate on every
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

// Adds the ticks of a scope to `acc`.
class tick_scope {
public:
    explicit tick_scope(uint64_t& acc) : m_acc(acc), m_t0(host_ticks()) {}
    ~tick_scope() { m_acc += host_ticks() - m_t0; }
    tick_scope(const tick_scope&) = delete;
    tick_scope& operator=(const tick_scope&) = delete;

private:
    uint64_t& m_acc;
    uint64_t m_t0;
};

} // namespace prisim
