// SPDX-License-Identifier: Apache-2.0
//
// Outputs of a run (DESIGN §6): results.json (simulated facts only, so the
// same scenario and seed give the same bytes), host.json (wall time and
// rates), and the summary table on stdout. Schema: docs/results.md.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/stats.h"

namespace prisim::platform {

class machine;
class scoreboard;

// Collects every component's statistics into one JSON object.
class json_sink : public stat_sink {
public:
    void counter(const std::string& name, uint64_t v) override { m_counters[name] = v; }
    void value(const std::string& name, double v) override { m_values[name] = v; }
    void samples(const std::string& name, const sample_set& s, const char* unit) override;
    nlohmann::json counters() const { return m_counters; }
    nlohmann::json values() const { return m_values; }
    nlohmann::json distributions() const { return m_dists; }

private:
    nlohmann::json m_counters = nlohmann::json::object();
    nlohmann::json m_values = nlohmann::json::object();
    nlohmann::json m_dists = nlohmann::json::object();
};

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
// An expectation "<key> <op> <number>": key [A-Za-z0-9_.-]+, op one of
// == != < <= > >=, number -?[0-9]+(.[0-9]+)?([eE][-+]?[0-9]+)? within the
// range of a double.
struct expectation {
    std::string key;
    std::string op;
    double value = 0;
};
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
