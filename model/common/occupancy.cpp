// SPDX-License-Identifier: Apache-2.0
#include "common/occupancy.h"

namespace prisim {

void occupancy_tracker::set_capacity(uint64_t capacity)
{
    m_capacity = capacity;
    m_full_at = capacity ? capacity : UINT64_MAX;
    if ((m_level >= m_full_at) != m_full) full_changed();
}

// The time of an episode is taken from the latest stamp when it starts to
// the latest when it ends: the same time the level's bucket is credited.
void occupancy_tracker::full_changed()
{
    m_full = !m_full;
    if (m_full) {
        ++m_full_episodes;
        m_full_since = m_last;
    } else {
        m_full_ps += m_last - m_full_since;
    }
}

double occupancy_tracker::average(uint64_t now_ps) const
{
    const uint64_t end = now_ps > m_last ? now_ps : m_last;
    if (!end) return 0.0;
    const u128 area = m_area + static_cast<u128>(m_level) * open_ps(now_ps);
    return double(area) / double(end);
}

uint64_t occupancy_tracker::full_ps(uint64_t now_ps) const
{
    if (!m_full) return m_full_ps;
    return m_full_ps + (m_last - m_full_since) + open_ps(now_ps);
}

uint64_t occupancy_tracker::time_in(unsigned b, uint64_t now_ps) const
{
    if (b >= k_buckets) return 0;
    return m_time[b] + (b == bucket(m_level) ? open_ps(now_ps) : 0);
}

uint64_t occupancy_tracker::percentile(double p, uint64_t now_ps) const
{
    u128 total = 0;
    for (unsigned b = 0; b < k_buckets; ++b) total += time_in(b, now_ps);
    if (!total) return 0;
    // The first bucket at which the cumulative time reaches p % of the
    // total: compared as integers (p in hundredths of a percent).
    const u128 want_num = static_cast<u128>(p * 100.0 + 0.5); // of 10000
    u128 acc = 0;
    for (unsigned b = 0; b < k_buckets; ++b) {
        acc += time_in(b, now_ps);
        if (acc * 10000 >= total * want_num && acc) {
            const uint64_t hi = bucket_hi(b);
            return hi < m_hwm ? hi : m_hwm;
        }
    }
    return m_hwm;
}

} // namespace prisim
