// SPDX-License-Identifier: Apache-2.0
//
// Outputs of a run (DESIGN §6): results.json (simulated facts only, so the
// same scenario and seed give the same bytes), host.json (wall time and
// rates), and the summary table on stdout. Schema: docs/results.md.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/stats.h"
#include "platform/units.h"

namespace prisim::platform {

class machine;
class scoreboard;

// Collects every component's statistics into one JSON object.
class json_sink : public stat_sink {
public:
    void counter(const std::string& name, uint64_t v) override { m_counters[name] = v; }
    void value(const std::string& name, double v) override { m_values[name] = v; }
    void samples(const std::string& name, const sample_set& s, const char* unit) override;
    void occupancy(const std::string& name, const occupancy_tracker& o, uint64_t now_ps,
                   int64_t overflows) override;
    // What was collected, moved out (the results document takes it: a copy
    // would double the peak memory of a run with many devices).
    nlohmann::json take_counters() { return std::move(m_counters); }
    nlohmann::json take_occupancies() { return std::move(m_occ); }
    nlohmann::json take_values() { return std::move(m_values); }
    nlohmann::json take_distributions() { return std::move(m_dists); }

private:
    nlohmann::json m_counters = nlohmann::json::object();
    nlohmann::json m_values = nlohmann::json::object();
    nlohmann::json m_dists = nlohmann::json::object();
    nlohmann::json m_occ = nlohmann::json::object();
};

// A queue's occupancy as results.json's "occupancy.<name>" holds it.
nlohmann::json summarize_occupancy(const occupancy_tracker& o, uint64_t now_ps, int64_t overflows);

nlohmann::json summarize(const sample_set& s, const char* unit);

struct run_outcome {
    bool quiesced = false;
    uint64_t end_ps = 0;
    std::vector<std::string> failed_expectations;
    std::vector<std::string> expectation_errors; // malformed: exit 2
};

// Everything simulated: the body of results.json, without the verdict.
nlohmann::json build_results(machine& m, const run_outcome& out);
// The verdict: scoreboard checks, failed expectations and "ok".
void attach_verdict(nlohmann::json& results, const scoreboard& sb, const run_outcome& out);
// An expectation "<key> <op> <number>[unit]": key [A-Za-z0-9_.-]+, op one
// of == != < <= > >=, number -?[0-9]+(.[0-9]+)?([eE][-+]?[0-9]+)? within
// the range of a double, and an optional unit of the result's dimension
// (units.h: "100us", "4 KiB"), converted into the result's unit.
struct expectation {
    std::string key;
    std::string op;
    double value = 0;           // in the result's unit
    double number = 0;          // as written
    const unit* given = nullptr; // the unit written, or nullptr
};
// The unit the result `key` is kept in, from its name (docs/results.md,
// "Units"): a distribution's fields other than `count` are in the
// distribution's unit (ps: every distribution samples simulated time); a
// name ending in _ps, _ns or _us is a time in that unit, unless it is a
// rate (_per_); one whose last word is bytes (dma_bytes, bytes_allocated)
// is a size in bytes; anything else (counts, rates, ratios) has none.
const unit* result_unit(const std::string& key);
// "" and out filled if expr is a well-formed expectation, else what is wrong
// with it (the expression is at most 1024 characters).
std::string parse_expectation(const std::string& expr, expectation& out);
// "" if expr is a well-formed expectation, else what is wrong with it.
std::string expectation_syntax_error(const std::string& expr);
// Check `expect` expressions ("<key> <op> <number>") against results.
void evaluate_expectations(const nlohmann::json& results, const std::vector<std::string>& exprs,
                           run_outcome& out);
// The table printed on stdout.
std::string format_summary(const nlohmann::json& results, const nlohmann::json& host);

} // namespace prisim::platform
