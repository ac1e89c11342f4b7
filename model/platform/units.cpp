// SPDX-License-Identifier: Apache-2.0
#include "platform/units.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace prisim::platform {

namespace {

__extension__ typedef unsigned __int128 u128;

// "\xC2\xB5" is MICRO SIGN (U+00B5), "\xCE\xBC" GREEK SMALL LETTER MU
// (U+03BC): both are written for micro.
const unit k_units[] = {
    {"ps", dimension::time, 1},
    {"ns", dimension::time, 1000},
    {"us", dimension::time, 1000000},
    {"\xC2\xB5s", dimension::time, 1000000},
    {"\xCE\xBCs", dimension::time, 1000000},
    {"ms", dimension::time, 1000000000},
    {"s", dimension::time, 1000000000000},
    {"B", dimension::size, 1},
    {"KiB", dimension::size, uint64_t(1) << 10},
    {"MiB", dimension::size, uint64_t(1) << 20},
    {"GiB", dimension::size, uint64_t(1) << 30},
    {"KB", dimension::size, 1000},
    {"kB", dimension::size, 1000},
    {"MB", dimension::size, 1000000},
    {"GB", dimension::size, 1000000000},
    {"Hz", dimension::frequency, 1},
    {"kHz", dimension::frequency, 1000},
    {"MHz", dimension::frequency, 1000000},
    {"GHz", dimension::frequency, 1000000000},
};

// How the registry and the results name a unit that is not a suffix.
const unit k_bytes = {"bytes", dimension::size, 1};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// 10^n for n <= 38, or false.
bool pow10(unsigned n, u128& out)
{
    if (n > 38) return false;
    out = 1;
    while (n--) out *= 10;
    return true;
}

bool mul(u128 a, u128 b, u128& out)
{
    if (a && b > ~u128(0) / a) return false;
    out = a * b;
    return true;
}

} // namespace

const unit* find_unit(std::string_view symbol)
{
    for (const unit& u : k_units)
        if (symbol == u.symbol) return &u;
    return nullptr;
}

const unit* unit_of(std::string_view name)
{
    if (name == "bytes") return &k_bytes;
    return find_unit(name);
}

const char* dimension_name(dimension d)
{
    switch (d) {
    case dimension::time: return "a time";
    case dimension::size: return "a size";
    case dimension::frequency: return "a frequency";
    case dimension::none: break;
    }
    return "a plain number";
}

std::string unit_list(dimension d)
{
    std::string s;
    for (const unit& u : k_units) {
        // One spelling of micro and of kilo-bytes is enough in a list.
        if (u.dim != d || std::string_view(u.symbol) == "\xCE\xBCs" || std::string_view(u.symbol) == "kB")
            continue;
        s += (s.empty() ? "" : ", ") + std::string(u.symbol);
    }
    return s;
}

bool split_quantity(std::string_view t, quantity& q, bool allow_sign)
{
    const size_t n = t.size();
    size_t i = 0;
    while (i < n && (t[i] == ' ' || t[i] == '\t')) ++i;
    const size_t b = i;
    auto digits = [&] {
        const size_t d = i;
        while (i < n && is_digit(t[i])) ++i;
        return i > d;
    };
    if (allow_sign && i < n && t[i] == '-') ++i;
    if (!digits()) return false;
    if (i < n && t[i] == '.') {
        ++i;
        if (!digits()) return false;
    }
    // An exponent only where digits follow the 'e' (no unit starts with e).
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (t[j] == '-' || t[j] == '+')) ++j;
        if (j < n && is_digit(t[j])) {
            i = j;
            digits();
        }
    }
    q.number = std::string(t.substr(b, i - b));
    while (i < n && (t[i] == ' ' || t[i] == '\t')) ++i;
    size_t e = n;
    while (e > i && (t[e - 1] == ' ' || t[e - 1] == '\t')) --e;
    q.suffix = std::string(t.substr(i, e - i));
    q.u = nullptr;
    if (q.suffix.empty()) return true;
    // A suffix is a word: it starts with a letter or a micro sign.
    const unsigned char c = static_cast<unsigned char>(q.suffix[0]);
    if (!is_letter(q.suffix[0]) && c != 0xC2 && c != 0xCE) return false;
    q.u = find_unit(q.suffix);
    return true;
}

conversion convert_exact(const std::string& number, const unit& from, const unit& to, uint64_t& out)
{
    // number = digits x 10^exp, digits without leading or trailing zeros.
    std::string digits;
    long exp = 0;
    size_t i = 0;
    for (; i < number.size() && number[i] != 'e' && number[i] != 'E'; ++i) {
        if (number[i] == '.') continue;
        const bool fraction = number.find('.') < i;
        digits += number[i];
        if (fraction) --exp;
    }
    if (i < number.size()) {
        ++i;
        bool neg = false;
        if (number[i] == '-' || number[i] == '+') neg = number[i++] == '-';
        long e = 0;
        for (; i < number.size(); ++i) e = std::min(e * 10 + (number[i] - '0'), 100000L);
        exp += neg ? -e : e;
    }
    const size_t nz = digits.find_first_not_of('0');
    if (nz == std::string::npos) {
        out = 0;
        return conversion::ok;
    }
    digits.erase(0, nz);
    while (digits.back() == '0') {
        digits.pop_back();
        ++exp;
    }
    if (digits.size() > 36) return exp < 0 ? conversion::inexact : conversion::overflow;
    u128 num = 0;
    for (char c : digits) num = num * 10 + u128(c - '0');
    // value = num x 10^exp x from.scale / to.scale
    u128 den = to.scale, p;
    if (!mul(num, from.scale, num)) return conversion::overflow;
    if (exp >= 0) {
        if (!pow10(unsigned(exp), p) || !mul(num, p, num)) return conversion::overflow;
    } else {
        // The number has a fraction: num < 10^36 x 2^40 < 2^160, so a
        // denominator beyond 2^128 leaves a value below one and not zero.
        if (!pow10(unsigned(-exp), p) || !mul(den, p, den)) return conversion::inexact;
    }
    if (num % den) return conversion::inexact;
    const u128 q = num / den;
    if (q > u128(UINT64_MAX)) return conversion::overflow;
    out = uint64_t(q);
    return conversion::ok;
}

double convert(double value, const unit& from, const unit& to)
{
    // Where one scale divides the other, one rounding.
    if (from.scale % to.scale == 0) return value * double(from.scale / to.scale);
    if (to.scale % from.scale == 0) return value / double(to.scale / from.scale);
    return value * double(from.scale) / double(to.scale);
}

std::string parse_time_window(const std::string& flag, const std::string& text, uint64_t& start_ps,
                              uint64_t& end_ps)
{
    const std::string form = flag + " '" + text + "': expected START_US:END_US, decimal microseconds with "
                             "START below END, either side empty for the run's start or end (e.g. 100:250.5)";
    const size_t colon = text.find(':');
    if (colon == std::string::npos) return form;
    // One side: "" (open) or a plain decimal number.
    auto side = [](const std::string& s, double& v) {
        if (s.empty()) return true;
        for (char c : s)
            if (!((c >= '0' && c <= '9') || c == '.')) return false;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return ec == std::errc() && end == s.data() + s.size() && std::isfinite(v);
    };
    const std::string lo = text.substr(0, colon), hi = text.substr(colon + 1);
    double a = 0, b = 0;
    if (!side(lo, a) || !side(hi, b) || (!hi.empty() && !(a < b))) return form;
    if (b > 1.8e13) return flag + " '" + text + "': END is beyond the simulated time prisim can reach";
    start_ps = uint64_t(std::llround(a * 1e6));
    end_ps = hi.empty() ? UINT64_MAX : uint64_t(std::llround(b * 1e6));
    return "";
}

} // namespace prisim::platform
