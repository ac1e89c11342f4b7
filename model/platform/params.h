// SPDX-License-Identifier: Apache-2.0
//
// Scenario parameters: one registry of every key with its type, default,
// allowed range, unit and description (DESIGN §6). A scenario YAML file and
// `--set key=value` both go through it, so an unknown key or an out-of-range
// value is always reported with the key's name and what is allowed.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace prisim::platform {

// A configuration problem: exit status 2, message names the key.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class ptype { u64, f64, boolean, choice };

struct param_def {
    std::string key;
    ptype type;
    std::string def;          // default, as text
    double min = 0, max = 0;  // u64 / f64 range (inclusive)
    std::vector<std::string> choices;
    std::string unit;
    std::string help;
    std::string source;       // SRC / ESTIMATE / DERIVED label (timing-and-sizing.md §0)
};

using param_value = std::variant<uint64_t, double, bool, std::string>;

class params {
public:
    params();

    const std::vector<param_def>& defs() const { return m_defs; }
    bool known(const std::string& key) const { return m_index.count(key) != 0; }

    // Apply a scenario document. Keys are nested maps; `expect` is a list of
    // expressions. Throws config_error naming the offending key.
    void load_yaml(const std::string& text, const std::string& origin);
    // Apply one override ("key=value" already split).
    void set(const std::string& key, const std::string& value, const std::string& origin);
    void add_expectation(const std::string& expr) { m_expect.push_back(expr); }
    void clear_expectations() { m_expect.clear(); }
    // The rules that involve more than one key, checked once every file and
    // override is applied. Throws config_error naming the keys.
    void validate() const;

    uint64_t u64(const std::string& key) const;
    double f64(const std::string& key) const;
    bool flag(const std::string& key) const;
    const std::string& str(const std::string& key) const;
    const std::vector<std::string>& expectations() const { return m_expect; }

    // Effective values, sorted by key (results.json "scenario.params").
    nlohmann::json to_json() const;
    // The reference table for docs/scenario.md.
    // With `builtin`, a key whose value there differs from the registry
    // default says so.
    std::string markdown(const params* builtin = nullptr) const;

private:
    void add(param_def d);
    const param_def& def(const std::string& key) const;
    param_value parse(const param_def& d, const std::string& text, const std::string& origin) const;
    std::string suggest(const std::string& key) const;

    std::vector<param_def> m_defs;
    std::map<std::string, size_t> m_index;
    std::map<std::string, param_value> m_values;
    std::vector<std::string> m_expect;
};

// The scenario the binary runs when given none.
extern const char* const default_scenario_yaml;

} // namespace prisim::platform
