// SPDX-License-Identifier: Apache-2.0
#include "common/occupancy.h"

namespace prisim {

double occupancy_tracker::average(uint64_t now_ps) const
{
    const uint64_t end = now_ps > m_last ? now_ps : m_last;
    if (!end) return 0.0;
    const u128 area = m_area + static_cast<u128>(m_level) * open_ps(now_ps);
    return double(area) / double(end);
}

uint64_t occupancy_tracker::full_ps(uint64_t now_ps) const
{
    return m_full_ps + (is_full(m_level) ? open_ps(now_ps) : 0);
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
