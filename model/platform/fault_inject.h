// SPDX-License-Identifier: Apache-2.0
//
// Fault injection into the software stack (the sw.inject.* keys): decides
// whether a fault-injection site of the C stack (hal_should_fail(), every
// allocation of sw/kernel/kalloc.h and the other points that name a site)
// fails this time. The attributes follow Linux's fault-injection framework
// (Documentation/fault-injection/fault-injection.rst) as failslab has them:
// a site filter, then `space`, `interval`, `probability` and `times`, applied
// in that order to each call the filter matches.
//
// Deterministic: the probability draws come from a generator of their own,
// seeded from the scenario seed, so a run with injection is reproducible and
// one without injection draws nothing.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace prisim::platform {

class params;

class fault_inject {
public:
    explicit fault_inject(const params& p);

    bool enabled() const { return m_enabled; }
    // True if this call at `site` is to fail. Cheap when disabled.
    bool should_fail(const char* site)
    {
        return m_enabled && decide(site);
    }

    uint64_t calls() const { return m_calls; }       // calls the site filter matched
    uint64_t failures() const { return m_failures; } // of them, made to fail
    const std::map<std::string, uint64_t>& failures_by_site() const { return m_by_site; }
    // Every site reached while enabled, matched or not (for the warning when
    // the filter matched none).
    const std::set<std::string>& sites_reached() const { return m_reached; }
    const std::string& pattern() const { return m_pattern; }

    // A site filter: a site name, or a glob (`*`, `?`) over names such as
    // `iopf.group_alloc`. Empty if valid, else why not.
    static std::string check_pattern(const std::string& pattern);

private:
    bool decide(const char* site);

    bool m_enabled = false;
    std::string m_pattern;
    uint64_t m_space = 0, m_interval = 1, m_probability = 100, m_times = 1;
    uint64_t m_rng = 0;
    uint64_t m_calls = 0, m_failures = 0, m_after_space = 0;
    std::map<std::string, uint64_t> m_by_site;
    std::set<std::string> m_reached;
};

} // namespace prisim::platform
