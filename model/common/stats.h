// SPDX-License-Identifier: Apache-2.0
//
// Statistics shared by model components. A component keeps plain counters and
// samples, and reports them by name into a stat_sink that model/platform
// implements (results.json). Names are stable dotted keys: plots and sweeps
// key on them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "common/occupancy.h"

namespace prisim {

// Every sample kept: exact percentiles, deterministic output.
class sample_set {
public:
    void add(uint64_t v) { m_v.push_back(v); m_sorted = false; }
    // Room for n samples, so that adding up to n allocates nothing.
    void reserve(size_t n) { m_v.reserve(n); }
    size_t count() const { return m_v.size(); }
    uint64_t sum() const { uint64_t s = 0; for (auto x : m_v) s += x; return s; }
    uint64_t max() const { return m_v.empty() ? 0 : *std::max_element(m_v.begin(), m_v.end()); }
    uint64_t min() const { return m_v.empty() ? 0 : *std::min_element(m_v.begin(), m_v.end()); }
    // Nearest-rank percentile, p in [0, 100].
    uint64_t percentile(double p) const
    {
        if (m_v.empty()) return 0;
        size_t rank = static_cast<size_t>(p / 100.0 * double(m_v.size()) + 0.999999999);
        if (rank < 1) rank = 1;
        if (rank > m_v.size()) rank = m_v.size();
        // The rank-th smallest: a selection, linear, where a sort is not
        // needed for anything else (the value is the same either way).
        if (!m_sorted) std::nth_element(m_v.begin(), m_v.begin() + (rank - 1), m_v.end());
        return m_v[rank - 1];
    }
    const std::vector<uint64_t>& values() const { sort(); return m_v; }

private:
    void sort() const
    {
        if (!m_sorted) { std::sort(m_v.begin(), m_v.end()); m_sorted = true; }
    }
    mutable std::vector<uint64_t> m_v;
    mutable bool m_sorted = true;
};

class stat_sink {
public:
    virtual ~stat_sink() = default;
    // A count of events ("iommu.pq.records_written").
    virtual void counter(const std::string& name, uint64_t value) = 0;
    // A measured value that is not a count (averages, ratios).
    virtual void value(const std::string& name, double v) = 0;
    // A distribution; unit is a short string ("ps", "entries").
    virtual void samples(const std::string& name, const sample_set& s, const char* unit) = 0;
    // A queue's occupancy over [0, now_ps] ("iommu0.pq"), in entries;
    // overflows: its overflow episodes, or -1 for a queue without an
    // overflow condition.
    virtual void occupancy(const std::string& name, const occupancy_tracker& o, uint64_t now_ps,
                           int64_t overflows = -1) = 0;
};

} // namespace prisim
