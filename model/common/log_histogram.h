// SPDX-License-Identifier: Apache-2.0
//
// log_histogram - a distribution of non-negative integers in bounded
// memory, for statistics sampled on the per-fault path.
//
// Log-linear buckets: values below 256 each have their own; above, every
// power of two is split into 128 equal buckets, so a bucket is at most
// 1/128 (0.8 %) of its values wide. Adding a sample is a few instructions
// and never allocates; the memory (7,424 counts) does not grow with the
// samples. count, sum (so the mean), min and max are exact; a percentile
// is the nearest-rank sample's bucket, reported as the largest value that
// bucket holds, clipped to [min, max] (so it is within 0.8 % above the
// exact nearest-rank value, and exact below 256).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

namespace prisim {

class log_histogram {
public:
    static constexpr unsigned k_sub_bits = 7;
    static constexpr unsigned k_sub = 1u << k_sub_bits;
    static constexpr unsigned k_buckets = (64 - k_sub_bits + 1) * k_sub;

    log_histogram() : m_bins(new uint64_t[k_buckets]()) {}
    log_histogram(log_histogram&&) = default;
    log_histogram& operator=(log_histogram&&) = default;

    void add(uint64_t v)
    {
        ++m_bins[index(v)];
        m_sum += v;
        if (v > m_max) m_max = v;
        if (v < m_min) m_min = v;
    }
    // Adds every sample of `o`.
    void merge(const log_histogram& o)
    {
        if (o.m_min > o.m_max) return; // empty
        for (unsigned i = 0; i < k_buckets; ++i) m_bins[i] += o.m_bins[i];
        m_sum += o.m_sum;
        m_min = std::min(m_min, o.m_min);
        m_max = std::max(m_max, o.m_max);
    }

    // The samples (summed over the buckets: adding does not count them).
    uint64_t count() const
    {
        if (m_min > m_max) return 0;
        uint64_t n = 0;
        for (unsigned i = 0; i < k_buckets; ++i) n += m_bins[i];
        return n;
    }
    uint64_t sum() const { return m_sum; }
    uint64_t min() const { return m_min > m_max ? 0 : m_min; }
    uint64_t max() const { return m_max; }
    // Nearest rank, p in [0, 100] (the rank as sample_set::percentile).
    uint64_t percentile(double p) const
    {
        const uint64_t n = count();
        if (!n) return 0;
        uint64_t rank = static_cast<uint64_t>(p / 100.0 * double(n) + 0.999999999);
        rank = std::clamp<uint64_t>(rank, 1, n);
        uint64_t seen = 0;
        for (unsigned i = 0; i < k_buckets; ++i) {
            seen += m_bins[i];
            if (seen >= rank) return std::clamp(upper(i), min(), m_max);
        }
        return m_max;
    }

    static unsigned index(uint64_t v)
    {
        // e = floor(log2(v | 127)) >= 6; shift 0 keeps v < 256 exact: v
        // itself (buckets 0..255), then 128 per power of two.
        const unsigned e = 63u - unsigned(__builtin_clzll(v | (k_sub - 1)));
        const unsigned shift = e < k_sub_bits ? 0 : e - k_sub_bits;
        return unsigned(v >> shift) + shift * k_sub;
    }
    // The largest value bucket i holds.
    static uint64_t upper(unsigned i)
    {
        if (i < 2 * k_sub) return i;
        const unsigned shift = i / k_sub - 1;
        const uint64_t lower = uint64_t(k_sub + i % k_sub) << shift;
        return lower + ((uint64_t(1) << shift) - 1);
    }

private:
    std::unique_ptr<uint64_t[]> m_bins;
    uint64_t m_sum = 0, m_min = UINT64_MAX, m_max = 0; // m_min > m_max: empty
};

} // namespace prisim
