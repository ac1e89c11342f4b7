// SPDX-License-Identifier: Apache-2.0
//
// Units in scenario values and expectations (docs/scenario.md, "Units"): a
// decimal number with an optional unit suffix ("250ns", "1.5 us", "4KiB",
// "2GHz"), converted into the unit a scenario key or a result is kept in.
// A key's value must come out a whole number of its unit, exactly; an
// expectation's number is converted as a double.
//
// Dimensions and their units (case matters):
//   time       ps ns us µs (also μs) ms s          base: ps
//   size       B KiB MiB GiB, KB (kB) MB GB        base: bytes (KB, MB, GB: powers of ten)
//   frequency  Hz kHz MHz GHz                      base: Hz
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace prisim::platform {

enum class dimension { none, time, size, frequency };

struct unit {
    const char* symbol; // as written: "us", "KiB"
    dimension dim;
    uint64_t scale;     // in the dimension's base unit: ps, bytes, Hz
};

// The unit a suffix names, or nullptr.
const unit* find_unit(std::string_view symbol);
// The unit a scenario key's registry entry (param_def::unit: "us", "MiB",
// "bytes", "MHz") or a result is kept in; nullptr for counts ("entries",
// "pages", "") and anything else without a dimension.
const unit* unit_of(std::string_view name);
// "a time", "a size", "a frequency".
const char* dimension_name(dimension d);
// The suffixes a dimension accepts, for messages: "ps, ns, us, µs, ms, s".
std::string unit_list(dimension d);

// A value split into its number and its suffix.
struct quantity {
    std::string number;      // -?[0-9]+(.[0-9]+)?([eE][-+]?[0-9]+)?
    std::string suffix;      // as written, spaces trimmed; "" without one
    const unit* u = nullptr; // the unit the suffix names; nullptr if none or unknown
};

// Split `text` into a decimal number and an optional suffix (a space may
// separate them). False if it does not start with a number, or the number
// is followed by something that is not a unit-like word.
// With `allow_sign`, a leading '-' belongs to the number.
bool split_quantity(std::string_view text, quantity& q, bool allow_sign = false);

enum class conversion { ok, inexact, overflow };
// number (a non-negative decimal as split_quantity() accepts it) in `from`,
// converted exactly into `to` (same dimension): ok and `out` set, inexact
// if the result is not a whole number of `to`, overflow if it exceeds
// 2^64 - 1.
conversion convert_exact(const std::string& number, const unit& from, const unit& to, uint64_t& out);
// `value` in `from` as a double in `to` (same dimension).
double convert(double value, const unit& from, const unit& to);

// A window of simulated time given to a command-line flag as START_US:END_US
// (decimal microseconds; an empty side is the start or the end of the run):
// "" and [start_ps, end_ps], or a message naming `flag` (end_ps is
// UINT64_MAX when the end is open).
std::string parse_time_window(const std::string& flag, const std::string& text, uint64_t& start_ps,
                              uint64_t& end_ps);

} // namespace prisim::platform
