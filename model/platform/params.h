// SPDX-License-Identifier: Apache-2.0
//
// Scenario parameters: one registry of every key with its type, default,
// allowed range, unit and description (DESIGN §6). A scenario YAML file and
// `--set key=value` both go through it, so an unknown key or an out-of-range
// value is always reported with the key's name and what is allowed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace prisim::platform {

// A configuration problem: exit status 2, message names the key. One
// found while every key and rule is checked in one pass carries them all
// in `errors` (what() is them joined by newlines); the others are one
// problem that stopped reading (a file that is not YAML) and have none.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
    explicit config_error(std::vector<std::string> all);
    std::vector<std::string> errors;
};
// Every message of e: its `errors`, or its what().
std::vector<std::string> messages(const config_error& e);

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

// A device class (`class.<name>.<field>`): `count` devices that share a
// preset and per-device keys. A field the class does not set comes from its
// preset, then from the `device.<field>` key. Its workloads
// (`class.<name>.workload.<w>.<field>`, fields kept as "workload.<w>.<field>")
// in the order of their names; none: one, from the class's fields.
struct device_class {
    std::string name;
    std::map<std::string, param_value> fields; // as set: count, preset, device fields, workload.<w>.<field>
    std::vector<std::string> workloads;        // workload names, sorted
};

// One workload of a device, its keys resolved: from the workload, else its
// class, else the class's preset, else device.<field>.
struct workload_spec {
    std::string name;                // class.<name>.workload.<name>; "" for a device's only one
    uint64_t streams = 0, pages = 0, prg_pages = 0;
    uint64_t bytes_per_page = 0, think_ns = 0, iova_base = 0, max_prg_attempts = 0;
    std::string arrival;             // closed, poisson
    uint64_t arrival_gap_ns = 0, start_jitter_ns = 0;
    std::string trace;               // trace replay: the file, or "" (the generated workload)
    uint64_t pasids = 0;             // PASIDs 1 .. pasids of the workload (0: none)
    uint64_t read_percent = 0;       // percent of the generated bursts that are reads
    std::string pattern;             // sequential, strided, random
    uint64_t stride_pages = 0;
    double fault_probability = 1;    // of a burst touching new pages (else it re-touches a burst's)
};

// One device of the population, its per-device keys resolved; the fields
// of workload_spec are its first workload's.
struct device_spec : workload_spec {
    size_t class_index = 0;          // into params::classes(); 0 without classes
    std::string class_name;          // "" without classes
    uint64_t pri_capacity = 0, atc_entries = 0;
    bool ats = true, pri = true;     // its ATS and PRI capabilities (device.ats, device.pri)
    // Its PCIe link: pcie.gen / pcie.lanes / pcie.link_latency_ns, or its
    // class's class.<name>.link / link_latency_ns.
    std::string link_gen, link_lanes; // "none" or "gen<g>"; "<w>"
    uint64_t link_latency_ns = 0;
    std::vector<workload_spec> more_workloads; // its class's workloads after the first
    // Each workload, the first (this) included.
    std::vector<const workload_spec*> all_workloads() const
    {
        std::vector<const workload_spec*> v{this};
        for (const auto& w : more_workloads) v.push_back(&w);
        return v;
    }
};

struct trace_file; // platform/trace_file.h

// A device preset: measured figures with their source (docs/scenario.md).
struct device_preset {
    const char* name;
    uint64_t pri_capacity; // Outstanding Page Request Capacity
    const char* source;
};
const std::vector<device_preset>& device_presets();

class params {
public:
    params();

    const std::vector<param_def>& defs() const { return m_reg->m_defs; }
    bool known(const std::string& key) const { return m_reg->m_index.count(key) != 0; }

    // Apply a scenario document. Keys are nested maps; `expect` is a list of
    // expressions. Throws config_error naming the offending key.
    // Relative paths it names (device.trace) are relative to `dir` (the
    // scenario file's directory; "" = the working directory).
    void load_yaml(const std::string& text, const std::string& origin, const std::string& dir = "");
    // A line of `text` starts with a document marker ('---', '...') or a
    // directive ('%'): only then may a YAML stream hold several documents
    // without one following a flow node or an indented map (load_yaml).
    static bool has_document_markers(const std::string& text);
    // Apply one override ("key=value" already split). `pcie.link` is a
    // shorthand that sets pcie.gen and pcie.lanes (`Gen4x8`).
    void set(const std::string& key, const std::string& value, const std::string& origin);
    void add_expectation(const std::string& expr) { m_expect.push_back(expr); }
    void clear_expectations() { m_expect.clear(); }
    // The rules that involve more than one key, checked once every file and
    // override is applied. Throws config_error naming the keys, with every
    // rule that fails; a rule that names a key whose value was refused
    // (set() threw) is left out: it would judge a value the scenario did not ask for.
    void validate() const;

    uint64_t u64(const std::string& key) const;
    double f64(const std::string& key) const;
    bool flag(const std::string& key) const;
    const std::string& str(const std::string& key) const;
    const std::vector<std::string>& expectations() const { return m_expect; }

    // Device classes in the order they first appear; empty: `device.count`
    // devices, all alike.
    const std::vector<device_class>& classes() const { return m_classes; }
    // Every device, in RID order: the classes' devices class by class, or
    // device.count devices from the device.* keys.
    std::vector<device_spec> devices() const;
    // The PRI allocation the driver grants a device of `capacity` among
    // `ndev` devices (sw.driver.pri_alloc_policy, as riscv_iommu_pri_alloc()
    // computes it; never above the capacity).
    uint64_t pri_allocation(uint64_t capacity, uint64_t ndev) const;
    // The most PASIDs any device's workload uses (device.pasids, or a class's).
    uint64_t max_pasids() const;
    // The trace file at `path` (a device_spec::trace), read and parsed once
    // (validate() reads every one the devices name). Throws config_error.
    std::shared_ptr<const trace_file> trace_of(const std::string& path) const;

    // Effective values, sorted by key (results.json "scenario.params").
    nlohmann::json to_json() const;
    // The effective scenario as a YAML document (prisim --print-scenario):
    // every key in registry order with its unit in a comment, the device
    // classes, the expectations. Loading it gives these values again.
    // `header` is written first as comment lines.
    std::string to_yaml(const std::string& header = "") const;
    // The reference table for docs/scenario.md.
    // With `builtin`, a key whose value there differs from the registry
    // default says so.
    std::string markdown(const params* builtin = nullptr) const;

private:
    // The registry (every key's definition, and its default value) is built
    // once, in the built-in params of registry(); every params refers to it
    // and starts from its values.
    struct registry_tag {};
    explicit params(registry_tag);
    static const params& registry();
    void add(param_def d);
    const param_def& def(const std::string& key) const;
    param_value parse(const param_def& d, const std::string& text, const std::string& origin) const;
    std::string suggest(const std::string& key) const;
    void set_class_field(const std::string& key, const std::string& value, const std::string& origin);
    void set_link(const std::string& value, const std::string& origin);
    // Gen<g>x<w> (any case) as pcie.gen and pcie.lanes values; false if it is not one.
    bool parse_link(const std::string& text, std::string& gen, std::string& lanes) const;

    std::string resolve_path(const std::string& path) const;

    std::vector<device_class> m_classes;
    std::string m_dir; // while load_yaml() runs: where relative paths start
    mutable std::map<std::string, std::shared_ptr<const trace_file>> m_traces;

    const params* m_reg = this;      // holds m_defs and m_index: registry()
    std::vector<param_def> m_defs;   // only in registry()
    std::unordered_map<std::string, size_t> m_index; // key -> m_defs index
    std::map<std::string, param_value> m_values;
    std::vector<std::string> m_expect;
    std::set<std::string> m_refused; // keys whose value set() refused
};

// The scenario the binary runs when given none.
extern const char* const default_scenario_yaml;

} // namespace prisim::platform
