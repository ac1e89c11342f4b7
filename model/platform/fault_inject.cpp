// SPDX-License-Identifier: Apache-2.0
#include "platform/fault_inject.h"

#include <fnmatch.h>

#include <cstdio>

#include "common/splitmix.h"
#include "platform/params.h"

namespace prisim::platform {

fault_inject::fault_inject(const params& p)
{
    m_pattern = p.str("sw.inject.site");
    m_enabled = !m_pattern.empty();
    m_space = p.u64("sw.inject.space");
    m_interval = p.u64("sw.inject.interval");
    m_probability = p.u64("sw.inject.probability");
    m_times = p.u64("sw.inject.times");
    // A stream of its own (golden-ratio offset), so that enabling injection
    // leaves every other random draw of the run unchanged.
    m_rng = p.u64("seed") ^ 0x9e3779b97f4a7c15ull;
}

std::string fault_inject::check_pattern(const std::string& pattern)
{
    for (size_t i = 0; i < pattern.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(pattern[i]);
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '*' ||
                        c == '?';
        if (ok) continue;
        // The whole character (the value is UTF-8, checked at load).
        size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        std::string what = pattern.substr(i, n);
        if (c < 0x20 || c == 0x7F) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", c);
            what = hex;
        } else {
            what = "'" + what + "'";
        }
        size_t chars = 1; // characters up to this one (UTF-8 continuation bytes do not count)
        for (size_t j = 0; j < i; ++j)
            if ((static_cast<unsigned char>(pattern[j]) & 0xC0) != 0x80) ++chars;
        return what + " (character " + std::to_string(chars) +
               ") is not allowed: a site name (lower case, digits, '_', '.') or a glob of one with '*' and '?'";
    }
    return {};
}

// Linux should_fail_ex(): times, space, interval, probability, in that order.
bool fault_inject::decide(const char* site)
{
    if (m_reached.size() < 256) m_reached.emplace(site);
    if (fnmatch(m_pattern.c_str(), site, 0) != 0) return false;
    ++m_calls;
    if (m_times && m_failures >= m_times) return false;
    if (m_calls <= m_space) return false;
    if (++m_after_space % m_interval) return false;
    if (m_probability < 100 && prisim::splitmix64(m_rng) % 100 >= m_probability) return false;
    ++m_failures;
    ++m_by_site[site];
    return true;
}

} // namespace prisim::platform
