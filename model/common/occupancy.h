// SPDX-License-Identifier: Apache-2.0
//
// occupancy_tracker - the level of one queue over simulated time
// (docs/results.md, "Queue occupancy").
//
// Kept on every change of the level: the high-water mark, the time spent
// at each level (time-weighted distribution), the level-time area (for the
// time-weighted average), the time spent full and the number of times the
// queue became full. A change costs a handful of integer operations and
// never allocates: the distribution has fixed buckets, one per level
// below 64, then one per power of two ([64, 127], [128, 255], ...), so
// queues of up to 64 entries are exact and larger ones are resolved to a
// factor of two.
//
// Times are integer picoseconds. Loosely timed processes stamp changes
// with their local times, so a change may arrive stamped before the last
// one (docs/user-guide.md, "Time"): such a negative interval is ignored
// (the level changes, no time is credited, the clock does not go back).
//
// An observer (prisim --occupancy-out) can be told of each change.
#pragma once

#include <cstdint>
#include <string>

namespace prisim {

// Told of every change of the levels of the trackers it observes.
class occupancy_observer {
public:
    virtual ~occupancy_observer() = default;
    // A queue to observe: its id in level() (before its first change).
    virtual unsigned add_queue(const std::string& name) = 0;
    // Queue `queue` went to `level` at `t_ps` (the stamp as given).
    virtual void level(unsigned queue, uint64_t t_ps, uint64_t level) = 0;
};

class occupancy_tracker {
public:
    static constexpr unsigned k_exact = 64;              // levels with a bucket each
    static constexpr unsigned k_buckets = k_exact + 58;  // then [2^k, 2^(k+1) - 1], k = 6 .. 63

    // The most the queue holds; at that level it is full. 0: unbounded
    // (never full). The RISC-V IOMMU's queues hold N - 1 records (§6.2: full
    // when tail == head - 1 mod N).
    void set_capacity(uint64_t capacity);
    uint64_t capacity() const { return m_capacity; }

    // The level is `level` from `t_ps` on. The per-fault path: the time
    // since the last change goes to the level it ends; the time full is
    // added up when the queue stops being full.
    void set(uint64_t level, uint64_t t_ps)
    {
        if (t_ps > m_last) {
            const uint64_t dt = t_ps - m_last;
            m_time[m_bucket] += dt;
            m_area += static_cast<u128>(m_level) * dt;
            m_last = t_ps;
        }
        if (level == m_level) return;
        if ((level >= m_full_at) != m_full) full_changed();
        if (level > m_hwm) m_hwm = level;
        m_level = level;
        m_bucket = bucket(level);
        if (m_obs) m_obs->level(m_obs_id, t_ps, level);
    }
    // The level moves by delta (several producers adding up); it never
    // goes below 0.
    void add(int64_t delta, uint64_t t_ps)
    {
        const uint64_t l = delta < 0 && uint64_t(-delta) > m_level ? 0 : m_level + uint64_t(delta);
        set(l, t_ps);
    }

    // Report every later change to `o` as queue `name`.
    void observe(occupancy_observer* o, const std::string& name)
    {
        m_obs = o;
        if (o) m_obs_id = o->add_queue(name);
    }

    uint64_t level() const { return m_level; }
    uint64_t hwm() const { return m_hwm; }
    uint64_t full_episodes() const { return m_full_episodes; }

    // Figures over [0, now_ps]: the time since the last change counts at
    // the present level (a `now_ps` before the last change adds nothing).
    double average(uint64_t now_ps) const;
    uint64_t full_ps(uint64_t now_ps) const;
    // Time spent in bucket b (levels bucket_lo(b) .. bucket_hi(b)).
    uint64_t time_in(unsigned b, uint64_t now_ps) const;
    // The time-weighted percentile, p in (0, 100]: the smallest level L
    // such that the queue spent at least p % of [0, now_ps] at levels <= L
    // (the top of L's bucket, at most the high-water mark; 0 with no time).
    uint64_t percentile(double p, uint64_t now_ps) const;

    static unsigned bucket(uint64_t level)
    {
        return level < k_exact ? unsigned(level) : k_exact + unsigned(63 - __builtin_clzll(level)) - 6;
    }
    static uint64_t bucket_lo(unsigned b) { return b < k_exact ? b : uint64_t(1) << (b - k_exact + 6); }
    static uint64_t bucket_hi(unsigned b)
    {
        return b < k_exact ? b : b == k_buckets - 1 ? UINT64_MAX : (uint64_t(1) << (b - k_exact + 7)) - 1;
    }

private:
    __extension__ typedef unsigned __int128 u128; // level x ps does not fit 64 bits in long runs

    uint64_t open_ps(uint64_t now_ps) const { return now_ps > m_last ? now_ps - m_last : 0; }
    void full_changed(); // the level crosses m_full_at, at m_last

    uint64_t m_level = 0, m_hwm = 0, m_capacity = 0;
    unsigned m_bucket = 0;            // bucket(m_level)
    bool m_full = false;              // m_level >= m_full_at
    uint64_t m_full_at = UINT64_MAX;  // capacity, or never
    uint64_t m_last = 0;              // latest stamp seen
    uint64_t m_full_since = 0;        // m_last when it became full
    uint64_t m_full_ps = 0, m_full_episodes = 0; // full_ps: closed episodes
    u128 m_area = 0;
    occupancy_observer* m_obs = nullptr;
    unsigned m_obs_id = 0;
    uint64_t m_time[k_buckets] = {};
};

} // namespace prisim
