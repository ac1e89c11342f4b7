// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: the scenario loader (model/platform/params.{h,cpp}) and the
// expectation syntax (model/platform/report.h), the way prisim's main()
// uses them before a run.
//
// Input: up to three parts separated by NUL bytes:
//   <scenario YAML> \0 <--set lines "key=value"> \0 <--expect lines>
// The YAML goes to params::load_yaml(); each set line is split at its first
// '=' like the command line and goes to params::set(); then validate(); each
// expect line goes to add_expectation(); then every expectation gets
// parse_expectation() and expectation_syntax_error() (they must agree), and
// those without an error are evaluated against a small results document.
// Then every key is read back with the accessor of its type, and the
// parameters are turned into JSON and the Markdown table.
//
// Invariants: config_error is the only exception that may escape (prisim
// turns it into exit status 2 with a message); it names a key or the
// origin. Anything else (another exception type, a crash, an abort) is a
// finding. A value accepted by set() is within the range the registry
// states for its key. The effective scenario printed as YAML
// (params::to_yaml(), prisim --print-scenario, with the well-formed
// expectations) loads again, to the same values, classes and expectations
// (on one input in four: printing and loading every key costs more than
// the rest of the target). A scenario loads to the same values, or fails, with "---" in front
// (check_single_parse).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "platform/params.h"
#include "platform/report.h"

using prisim::platform::config_error;
using prisim::platform::params;
using prisim::platform::ptype;

// The platform library links SystemC, whose main() calls sc_main; libFuzzer
// (or replay_main.c) has main().
extern "C" int sc_main(int, char*[]) { return 0; }

namespace {

std::vector<std::string> lines(const std::string& s)
{
    std::vector<std::string> out;
    size_t b = 0;
    while (b < s.size()) {
        size_t e = s.find('\n', b);
        if (e == std::string::npos)
            e = s.size();
        out.push_back(s.substr(b, e - b));
        b = e + 1;
    }
    return out;
}

// A results document of the shape build_results() produces, small.
const nlohmann::json& results()
{
    static const nlohmann::json r = nlohmann::json::parse(R"({
        "schema": 1,
        "counters": {"iommu0.pq.records_written": 12, "sw.pq.records_read": 12},
        "values": {"iommu0.pq.occupancy_avg": 0.5},
        "distributions": {"fault_latency_ps": {"count": 12, "p50": 1000, "p99": 5000, "max": 6000},
                          "dev.0001.fault_latency_ps": {"count": 3, "p99": 4000}},
        "summary": {"faults": 12, "pq_overflows": 0, "fault_latency_ps": {"p99": 5000}},
        "ok": true
    })");
    return r;
}

void check_read_back(const params& p)
{
    for (const auto& d : p.defs()) {
        switch (d.type) {
        case ptype::u64: {
            const double v = double(p.u64(d.key));
            FUZZ_CHECK(v >= d.min && v <= d.max, "%s = %.17g outside [%g, %g]", d.key.c_str(), v,
                       d.min, d.max);
            break;
        }
        case ptype::f64: {
            const double v = p.f64(d.key);
            FUZZ_CHECK(std::isfinite(v) && v >= d.min && v <= d.max, "%s = %g outside [%g, %g]",
                       d.key.c_str(), v, d.min, d.max);
            break;
        }
        case ptype::boolean:
            (void)p.flag(d.key);
            break;
        case ptype::choice:
            (void)p.str(d.key);
            break;
        }
    }
}

// params::load_yaml skips its document-counting parse when the text has no
// document marker and loads as a block map. Prefixing "---" makes it count:
// the two must agree, on the values or on failing (on one input in four,
// the input's lane 0: the second load costs as much as the first).
void check_single_parse(const std::string& yaml)
{
    if (yaml.empty() || yaml.compare(0, 3, "\xEF\xBB\xBF") == 0 || params::has_document_markers(yaml))
        return; // counted either way (and a marker after "---" would mean another document)
    params a, b;
    bool a_ok = true, b_ok = true;
    try {
        a.load_yaml(yaml, "fuzz.yaml");
    } catch (const config_error&) {
        a_ok = false;
    }
    try {
        b.load_yaml("---\n" + yaml, "fuzz.yaml");
    } catch (const config_error&) {
        b_ok = false;
    }
    FUZZ_CHECK(a_ok == b_ok, "the scenario %s alone but %s after '---'", a_ok ? "loads" : "fails",
               b_ok ? "loads" : "fails");
    if (a_ok)
        FUZZ_CHECK(a.to_json() == b.to_json(), "the scenario loads to other values after '---'");
}

// lane: one of 4, from a hash of the whole input; the two checks that load
// a second scenario run on one lane each, so that most inputs cost one load.
void run(const std::string& yaml, const std::string& sets, const std::string& expects, unsigned lane)
{
    if (lane == 0)
        check_single_parse(yaml);
    params p;
    try {
        p.load_yaml(yaml, "fuzz.yaml");
        for (const auto& s : lines(sets)) {
            const auto eq = s.find('=');
            if (eq == std::string::npos || eq == 0)
                continue; // prisim refuses it before params sees it
            p.set(s.substr(0, eq), s.substr(eq + 1), "--set");
        }
        p.validate();
        for (const auto& e : lines(expects))
            p.add_expectation(e);
    } catch (const config_error& e) {
        FUZZ_CHECK(std::strlen(e.what()) > 0, "empty config_error");
        return;
    }
    check_read_back(p);
    std::vector<std::string> valid;
    for (const auto& e : p.expectations()) {
        prisim::platform::expectation x;
        const std::string err = prisim::platform::parse_expectation(e, x);
        FUZZ_CHECK(err == prisim::platform::expectation_syntax_error(e),
                   "parse_expectation and expectation_syntax_error disagree on '%s'", e.c_str());
        if (!err.empty())
            continue; // prisim exits 2 with this message
        FUZZ_CHECK(std::isfinite(x.value) && !x.key.empty() && !x.op.empty(),
                   "accepted expectation '%s' parsed to '%s' '%s' %g", e.c_str(), x.key.c_str(),
                   x.op.c_str(), x.value);
        valid.push_back(e);
    }
    prisim::platform::run_outcome out;
    prisim::platform::evaluate_expectations(results(), valid, out);
    FUZZ_CHECK(out.failed_expectations.size() + out.expectation_errors.size() <= valid.size(),
               "more verdicts than expectations");
    (void)p.to_json().dump();
    (void)p.markdown();
    if (lane != 1)
        return;
    // prisim prints only once every expectation is well formed.
    p.clear_expectations();
    for (const auto& e : valid) p.add_expectation(e);
    const std::string printed = p.to_yaml("fuzz");
    params back;
    try {
        back.load_yaml(printed, "printed");
    } catch (const config_error& e) {
        FUZZ_CHECK(false, "the printed scenario does not load: %s", e.what());
    }
    FUZZ_CHECK(back.to_json() == p.to_json(), "the printed scenario loads to other values");
    FUZZ_CHECK(back.expectations() == p.expectations(), "the printed scenario loads to other expectations");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const fuzz_stack_guard stack_guard;
    const std::string in(reinterpret_cast<const char*>(data), size);
    const size_t a = in.find('\0');
    const size_t b = a == std::string::npos ? a : in.find('\0', a + 1);
    const std::string yaml = in.substr(0, a);
    const std::string sets = a == std::string::npos ? "" : in.substr(a + 1, b - a - 1);
    const std::string expects = b == std::string::npos ? "" : in.substr(b + 1);
    run(yaml, sets, expects, unsigned(std::hash<std::string>{}(in) % 4));
    return 0;
}
