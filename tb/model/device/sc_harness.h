// SPDX-License-Identifier: Apache-2.0
//
// Small helpers for SystemC tests driven by cmocka: the simulation is
// elaborated once in sc_main, then each cmocka test advances it. Test code
// that must wait in simulated time runs as a job inside a SystemC thread
// (runner); cmocka assertions are made only outside it, after sc_start
// returns, never inside a SystemC process.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <systemc>

#include "common/stats.h"

namespace prisim::tb {

// Simulate until cond() holds or `limit` of simulated time has passed.
inline bool run_until(const std::function<bool()>& cond, sc_core::sc_time limit,
                      sc_core::sc_time step = sc_core::sc_time(100, sc_core::SC_NS))
{
    const sc_core::sc_time end = sc_core::sc_time_stamp() + limit;
    while (!cond() && sc_core::sc_time_stamp() < end) sc_core::sc_start(step);
    return cond();
}

class runner : public sc_core::sc_module {
public:
    SC_HAS_PROCESS(runner);
    explicit runner(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(main); }

    // Run `job` inside a SystemC thread (it may wait); simulate until it
    // returns. Returns false if it did not return within `limit`.
    bool run(std::function<void()> job, sc_core::sc_time limit = sc_core::sc_time(10, sc_core::SC_MS))
    {
        // The first call runs initialisation, so that the thread is waiting.
        if (sc_core::sc_get_status() == sc_core::SC_ELABORATION) sc_core::sc_start(sc_core::SC_ZERO_TIME);
        m_job = std::move(job);
        m_busy = true;
        m_ev.notify(sc_core::SC_ZERO_TIME);
        return run_until([this] { return !m_busy; }, limit, sc_core::sc_time(10, sc_core::SC_NS));
    }

private:
    void main()
    {
        for (;;) {
            wait(m_ev);
            m_job();
            m_busy = false;
        }
    }
    std::function<void()> m_job;
    bool m_busy = false;
    sc_core::sc_event m_ev;
};

// Collects reported statistics by name.
struct map_sink : prisim::stat_sink {
    std::map<std::string, uint64_t> counters;
    std::map<std::string, double> values;
    std::map<std::string, uint64_t> sample_counts;
    void counter(const std::string& n, uint64_t v) override { counters[n] = v; }
    void value(const std::string& n, double v) override { values[n] = v; }
    void samples(const std::string& n, const prisim::sample_set& s, const char*) override
    {
        sample_counts[n] = s.count();
    }
    void occupancy(const std::string&, const prisim::occupancy_tracker&, uint64_t, int64_t) override {}
};

} // namespace prisim::tb
