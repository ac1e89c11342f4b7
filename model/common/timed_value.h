// SPDX-License-Identifier: Apache-2.0
//
// timed_value: a register value as a process that runs ahead of simulated
// time has changed it (DESIGN.md §5). The writer records each change at its
// own local time; a reader at local time t sees the value as of t, not the
// writer's latest, so that a reader behind the writer never sees the future.
// Changes at or before simulated time are folded into the base value: no
// reader can be behind simulated time.
#pragma once

#include <cstdint>

#include "ring.h"

namespace prisim {

template <class T>
class timed_value {
public:
    explicit timed_value(T v = T{}) : m_base(v) {}

    // The value changes to `v` at `at_ps` (non-decreasing per writer).
    void set(uint64_t at_ps, T v, uint64_t now_ps)
    {
        forget_past(now_ps);
        if (!m_hist.empty() && m_hist[m_hist.size() - 1].first >= at_ps)
            m_hist[m_hist.size() - 1] = {m_hist[m_hist.size() - 1].first, v};
        else
            m_hist.push_back({at_ps, v});
    }
    // Forget the history: the value is `v` from now on, for every reader.
    void reset(T v)
    {
        m_hist.clear();
        m_base = v;
    }
    // The value as of `at_ps`.
    T at(uint64_t at_ps) const
    {
        for (size_t i = m_hist.size(); i > 0; --i)
            if (m_hist[i - 1].first <= at_ps) return m_hist[i - 1].second;
        return m_base;
    }
    // The latest value, whatever its time.
    T latest() const { return m_hist.empty() ? m_base : m_hist[m_hist.size() - 1].second; }

private:
    void forget_past(uint64_t now_ps)
    {
        while (!m_hist.empty() && m_hist.front().first <= now_ps) {
            m_base = m_hist.front().second;
            m_hist.pop_front();
        }
    }

    T m_base;
    prisim::ring<std::pair<uint64_t, T>> m_hist;
};

} // namespace prisim
