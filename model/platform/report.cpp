// SPDX-License-Identifier: Apache-2.0
#include "platform/report.h"

#include <charconv>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "common/version.h"
#include "platform/machine.h"
#include "platform/scoreboard.h"

namespace prisim::platform {

nlohmann::json summarize(const sample_set& s, const char* unit)
{
    nlohmann::json j;
    j["unit"] = unit;
    j["count"] = s.count();
    j["p50"] = s.percentile(50);
    j["p90"] = s.percentile(90);
    j["p99"] = s.percentile(99);
    j["max"] = s.max();
    j["min"] = s.min();
    j["mean"] = s.count() ? s.sum() / s.count() : 0; // integer mean: exact, deterministic
    return j;
}

void json_sink::samples(const std::string& name, const sample_set& s, const char* unit)
{
    m_dists[name] = summarize(s, unit);
}

nlohmann::json summarize_occupancy(const occupancy_tracker& o, uint64_t now_ps, int64_t overflows)
{
    nlohmann::json j;
    j["capacity"] = o.capacity();
    j["hwm"] = o.hwm();
    j["avg"] = o.average(now_ps);
    j["final"] = o.level();
    j["level_p50"] = o.percentile(50, now_ps);
    j["level_p90"] = o.percentile(90, now_ps);
    j["level_p99"] = o.percentile(99, now_ps);
    j["full_ps"] = o.full_ps(now_ps);
    j["full_episodes"] = o.full_episodes();
    if (overflows >= 0) j["overflow_episodes"] = overflows;
    // The time-weighted distribution: [lo, hi, ps] per bucket the queue
    // spent time in, by level.
    nlohmann::json h = nlohmann::json::array();
    for (unsigned b = 0; b < occupancy_tracker::k_buckets; ++b)
        if (uint64_t ps = o.time_in(b, now_ps))
            h.push_back({occupancy_tracker::bucket_lo(b), occupancy_tracker::bucket_hi(b), ps});
    j["time_at_level_ps"] = h;
    return j;
}

void json_sink::occupancy(const std::string& name, const occupancy_tracker& o, uint64_t now_ps, int64_t overflows)
{
    m_occ[name] = summarize_occupancy(o, now_ps, overflows);
}

namespace {
// A pool's stage histograms (a stage no fault of the pool passed is
// absent) and its route counts.
nlohmann::json stage_latency(const prisim::fault_stages::pool& p)
{
    nlohmann::json j = nlohmann::json::object();
    for (unsigned k = 0; k < prisim::k_fault_stages; ++k) {
        const prisim::log_histogram& h = p.s[k];
        const uint64_t n = h.count();
        if (!n) continue;
        j[prisim::fault_stage_name(prisim::fault_stage(k))] = {
            {"unit", "ps"},           {"count", n},                  {"min", h.min()},
            {"p50", h.percentile(50)}, {"p90", h.percentile(90)},     {"p99", h.percentile(99)},
            {"p99_9", h.percentile(99.9)}, {"max", h.max()}, {"mean", h.sum() / n}};
    }
    return j;
}

nlohmann::json stage_routes(const prisim::fault_stages::pool& p)
{
    nlohmann::json j = nlohmann::json::object();
    for (unsigned r = 0; r < prisim::k_fault_routes; ++r)
        j[prisim::fault_route_name(prisim::fault_route(r))] = p.routes[r];
    return j;
}

// Faults by the handler that answered them (sw/user/handler_sim.c,
// sw/iommu/iommu-sva.c count sw.handler.<name>.*), with the fault latency of
// the devices each served.
nlohmann::json summarize_handlers(machine& m, const nlohmann::json& counters)
{
    static const char* const names[] = {"demand_pager", "deny_outside", "slow", "kernel", "external", "host"};
    auto ctr = [&](const std::string& k) -> uint64_t {
        auto it = counters.find(k);
        return it == counters.end() ? 0 : it->get<uint64_t>();
    };
    nlohmann::json hs = nlohmann::json::object();
    for (const char* n : names) {
        const std::string base = std::string("handler.") + n + ".";
        if (!counters.contains("sw." + base + "groups")) continue;
        sample_set lat;
        uint64_t devices = 0;
        for (auto& d : m.devices()) {
            if (!ctr("sw.dev." + rid_hex(d->params().rid) + "." + base + "groups")) continue;
            ++devices;
            for (uint64_t v : d->fault_latency().values()) lat.add(v);
        }
        hs[n] = {{"groups", ctr("sw." + base + "groups")},
                 {"faults_success", ctr("sw." + base + "faults_success")},
                 {"faults_invalid", ctr("sw." + base + "faults_invalid")},
                 {"devices", devices},
                 {"fault_latency_ps", summarize(lat, "ps")}};
    }
    return hs;
}
} // namespace

nlohmann::json build_results(machine& m, const run_outcome& out)
{
    json_sink sink;
    m.iommu().report(sink, "iommu0");
    m.link().report(sink, "pcie0");
    sample_set all_lat;
    uint64_t faults = 0, prgs = 0, retries = 0, stalls = 0, pages = 0;
    nlohmann::json devs = nlohmann::json::array();
    const auto& specs = m.device_specs();
    const auto& classes = m.cfg().classes();
    // Per class: the devices' figures added up, latencies pooled.
    struct class_sum {
        sample_set lat;
        uint64_t devices = 0, faults = 0, prgs = 0, retries = 0, auto_rsp = 0, stalls = 0, pages = 0, failed = 0;
        uint64_t alloc_min = 0, alloc_max = 0, pri_capacity = 0, dma_bytes = 0;
        bool ats = true, pri = true;
        std::vector<device::pxdev::workload_counts> workloads; // with several: by workload, summed
    };
    // A count per simulated second of the run (its whole length, as
    // summary.faults_per_sim_second), rounded to an integer.
    auto per_sim_second = [&](uint64_t n) -> long long {
        return out.end_ps ? std::llround(double(n) * 1e12 / double(out.end_ps)) : 0;
    };
    std::vector<class_sum> per_class(classes.size());
    for (size_t i = 0; i < m.devices().size(); ++i) {
        auto& d = m.devices()[i];
        uint16_t rid = d->params().rid;
        std::string p = "dev." + rid_hex(rid);
        d->report(sink, p);
        const auto& c = d->get_counters();
        for (uint64_t v : d->fault_latency().values()) all_lat.add(v);
        faults += c.faults;
        prgs += c.prgs_sent;
        retries += c.prg_retries;
        stalls += c.credit_stalls;
        pages += c.pages_done;
        nlohmann::json dj;
        dj["rid"] = rid_name(rid);
        dj["faults"] = c.faults;
        dj["fault_latency_ps"] = summarize(d->fault_latency(), "ps");
        dj["prgs"] = c.prgs_sent;
        dj["prg_retries"] = c.prg_retries;
        dj["auto_responses"] = c.prgr_from_iommu_auto;
        dj["credit_stalls"] = c.credit_stalls;
        dj["credits_max"] = c.credits_max;
        dj["allocation"] = c.allocation;
        dj["pages_done"] = c.pages_done;
        dj["pages_failed"] = c.pages_failed;
        dj["faults_per_sim_second"] = per_sim_second(c.faults);
        dj["dma_bytes_per_sim_second"] = per_sim_second(c.dma_bytes);
        if (!classes.empty() && i < specs.size()) {
            dj["class"] = specs[i].class_name;
            class_sum& cs = per_class[specs[i].class_index];
            for (uint64_t v : d->fault_latency().values()) cs.lat.add(v);
            cs.alloc_min = cs.devices ? std::min<uint64_t>(cs.alloc_min, c.allocation) : c.allocation;
            cs.alloc_max = std::max<uint64_t>(cs.alloc_max, c.allocation);
            ++cs.devices;
            // the same for every device of the class; 0 without PRI
            cs.pri_capacity = specs[i].pri ? specs[i].pri_capacity : 0;
            cs.ats = specs[i].ats;
            cs.pri = specs[i].pri;
            cs.faults += c.faults;
            cs.prgs += c.prgs_sent;
            cs.retries += c.prg_retries;
            cs.auto_rsp += c.prgr_from_iommu_auto;
            cs.stalls += c.credit_stalls;
            cs.pages += c.pages_done;
            cs.failed += c.pages_failed;
            cs.dma_bytes += c.dma_bytes;
            if (d->workloads() > 1) {
                cs.workloads.resize(d->workloads());
                for (size_t w = 0; w < d->workloads(); ++w) {
                    const auto wc = d->counts_of(w);
                    cs.workloads[w].faults += wc.faults;
                    cs.workloads[w].pages_done += wc.pages_done;
                    cs.workloads[w].dma_bytes += wc.dma_bytes;
                    cs.workloads[w].credit_stalls += wc.credit_stalls;
                }
            }
        }
        devs.push_back(std::move(dj));
    }
    nlohmann::json cls = nlohmann::json::object(); // by name: "classes.<name>.<field>" in expectations
    for (size_t i = 0; i < classes.size(); ++i) {
        const class_sum& cs = per_class[i];
        auto preset = classes[i].fields.find("preset");
        nlohmann::json cj;
        cj["index"] = i; // order in the scenario
        cj["preset"] = preset == classes[i].fields.end() ? "none" : std::get<std::string>(preset->second);
        cj["devices"] = cs.devices;
        cj["ats"] = cs.ats;
        cj["pri"] = cs.pri;
        cj["pri_capacity"] = cs.pri_capacity;
        cj["allocation_min"] = cs.alloc_min;
        cj["allocation_max"] = cs.alloc_max;
        cj["faults"] = cs.faults;
        cj["fault_latency_ps"] = summarize(cs.lat, "ps");
        cj["stage_latency_ps"] = stage_latency(m.stages().pool_stats(unsigned(i)));
        cj["stage_routes"] = stage_routes(m.stages().pool_stats(unsigned(i)));
        cj["prgs"] = cs.prgs;
        cj["prg_retries"] = cs.retries;
        cj["auto_responses"] = cs.auto_rsp;
        cj["credit_stalls"] = cs.stalls;
        cj["pages_done"] = cs.pages;
        cj["pages_failed"] = cs.failed;
        cj["faults_per_sim_second"] = per_sim_second(cs.faults);
        cj["dma_bytes_per_sim_second"] = per_sim_second(cs.dma_bytes);
        for (size_t w = 0; w < cs.workloads.size() && w < classes[i].workloads.size(); ++w) {
            nlohmann::json wj;
            wj["faults"] = cs.workloads[w].faults;
            wj["pages_done"] = cs.workloads[w].pages_done;
            wj["credit_stalls"] = cs.workloads[w].credit_stalls;
            wj["dma_bytes_per_sim_second"] = per_sim_second(cs.workloads[w].dma_bytes);
            cj["workloads"][classes[i].workloads[w]] = std::move(wj);
        }
        cls[classes[i].name] = std::move(cj);
    }
    m.rt().report(sink);
    sink.counter("platform.cpu.busy_ps", m.rt().cpu_busy_ps());
    if (m.rt().ncpus() > 1)
        for (unsigned c = 0; c < m.rt().ncpus(); ++c)
            sink.counter("platform.cpu." + std::to_string(c) + ".busy_ps", m.rt().cpu_busy_ps(c));
    sink.counter("platform.dram.bytes_allocated", m.mem().bytes_allocated());

    nlohmann::json counters = sink.take_counters();
    auto ctr = [&](const std::string& k) -> uint64_t {
        auto it = counters.find(k);
        return it == counters.end() ? 0 : it->get<uint64_t>();
    };

    nlohmann::json r;
    r["schema"] = results_schema_version();
    r["generator"] = version_string();
    r["scenario"] = {{"name", m.cfg().str("name")},
                     {"seed", m.cfg().u64("seed")},
                     {"params", m.cfg().to_json()},
                     {"expect", m.cfg().expectations()}};
    nlohmann::json s;
    s["sim_time_ps"] = out.end_ps;
    s["quiesced"] = out.quiesced;
    s["devices"] = m.devices().size();
    s["pages"] = pages;
    s["faults"] = faults;
    s["fault_latency_ps"] = summarize(all_lat, "ps");
    prisim::fault_stages::pool all_stages;
    for (unsigned i = 0; i < m.stages().pools(); ++i) all_stages.merge(m.stages().pool_stats(i));
    s["stage_latency_ps"] = stage_latency(all_stages);
    s["stage_routes"] = stage_routes(all_stages);
    s["stage_stamps_unmatched"] = m.stages().unmatched();
    s["prgs"] = prgs;
    s["prg_retries"] = retries;
    s["credit_stalls"] = stalls;
    s["pq_entries"] = uint64_t(1) << m.cfg().u64("sw.driver.pq_log2sz");
    s["pq_hwm"] = ctr("iommu0.pq.occupancy_hwm");
    s["pq_overflows"] = ctr("iommu0.pq.overflows");
    s["auto_responses"] = {{"success", ctr("iommu0.auto_resp.success")},
                           {"invalid", ctr("iommu0.auto_resp.invalid")},
                           {"failure", ctr("iommu0.auto_resp.failure")}};
    s["faults_per_sim_second"] = per_sim_second(faults);
    s["handlers"] = summarize_handlers(m, counters);
    r["summary"] = std::move(s);
    r["devices"] = std::move(devs);
    if (!classes.empty())
        r["classes"] = std::move(cls);
    r["counters"] = std::move(counters);
    r["values"] = sink.take_values();
    r["distributions"] = sink.take_distributions();
    r["occupancy"] = sink.take_occupancies();
    return r;
}

void attach_verdict(nlohmann::json& r, const scoreboard& sb, const run_outcome& out)
{
    r["scoreboard"] = sb.to_json();
    r["expectations"] = {{"failed", out.failed_expectations}};
    r["ok"] = sb.ok() && out.failed_expectations.empty();
}

namespace {
enum class found { number, not_number, missing };

// The distribution fields, and the ones in the distribution's unit.
const char* const k_dist_fields[] = {"count", "min", "p50", "p90", "p99", "max", "mean"};

found number_at(const nlohmann::json& j, double& v)
{
    if (!j.is_number()) return found::not_number;
    v = j.get<double>();
    return found::number;
}

// Look up "a.b.c" as a counter, a value, a dotted path through the document
// ("summary.fault_latency_ps.p99") or a distribution field ("<dist>.<field>",
// where the distribution name has dots itself). `dist_unit` is set to the
// unit a distribution declares when the value is one of its fields.
found lookup(const nlohmann::json& r, const std::string& key, double& v, std::string& dist_unit)
{
    auto unit_of_dist = [&](const nlohmann::json* d) {
        auto u = d && d->is_object() ? d->find("unit") : nlohmann::json::const_iterator();
        if (d && d->is_object() && u != d->end() && u->is_string()) dist_unit = u->get<std::string>();
    };
    for (const char* sec : {"counters", "values"}) {
        auto s = r.find(sec);
        if (s == r.end()) continue;
        if (auto it = s->find(key); it != s->end()) return number_at(*it, v);
    }
    const nlohmann::json* j = &r;
    const nlohmann::json* parent = nullptr;
    size_t b = 0;
    for (;;) {
        const size_t e = key.find('.', b);
        const std::string part = key.substr(b, e == std::string::npos ? std::string::npos : e - b);
        auto it = j->is_object() ? j->find(part) : j->end();
        if (it == j->end()) { j = nullptr; break; }
        parent = j;
        j = &*it;
        if (e == std::string::npos) break;
        b = e + 1;
    }
    if (j) {
        unit_of_dist(parent);
        return number_at(*j, v);
    }
    const size_t dot = key.rfind('.');
    // "occupancy.<queue>.<field>", where the queue's name has dots itself.
    static const std::string occ = "occupancy.";
    if (key.compare(0, occ.size(), occ) == 0 && dot > occ.size()) {
        auto o = r.find("occupancy");
        if (o == r.end()) return found::missing;
        auto q = o->find(key.substr(occ.size(), dot - occ.size()));
        if (q == o->end() || !q->is_object()) return found::missing;
        auto field = q->find(key.substr(dot + 1));
        if (field == q->end()) return found::missing;
        return number_at(*field, v);
    }
    auto d = r.find("distributions");
    if (dot == std::string::npos || d == r.end()) return found::missing;
    auto dist = d->find(key.substr(0, dot));
    if (dist == d->end() || !dist->is_object()) return found::missing;
    auto field = dist->find(key.substr(dot + 1));
    if (field == dist->end()) return found::missing;
    unit_of_dist(&*dist);
    return number_at(*field, v);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '.' || c == '-';
}

// Expressions longer than this are refused before they are read.
constexpr size_t k_max_expectation = 1024;
} // namespace

const unit* result_unit(const std::string& key)
{
    const size_t dot = key.rfind('.');
    const std::string leaf = key.substr(dot == std::string::npos ? 0 : dot + 1);
    if (dot != std::string::npos)
        for (const char* f : k_dist_fields)
            if (leaf == f) return leaf == "count" ? nullptr : find_unit("ps");
    auto ends = [&](const char* suffix) {
        const size_t n = std::strlen(suffix);
        return leaf.size() >= n && leaf.compare(leaf.size() - n, n, suffix) == 0;
    };
    if (leaf.find("_per_") != std::string::npos) return nullptr; // a rate
    for (const char* u : {"ps", "ns", "us"})
        if (ends((std::string("_") + u).c_str())) return find_unit(u);
    if (leaf == "bytes" || ends("_bytes") || leaf.compare(0, 6, "bytes_") == 0) return unit_of("bytes");
    return nullptr;
}

std::string parse_expectation(const std::string& expr, expectation& out)
{
    if (expr.size() > k_max_expectation)
        return "expectation '" + expr.substr(0, 32) + "...' is too long (" + std::to_string(expr.size()) +
               " characters; at most " + std::to_string(k_max_expectation) + ")";
    const std::string form = "expectation '" + expr +
                             "' is not of the form '<key> <op> <number>[unit]' (op: == != < <= > >=)";
    const size_t n = expr.size();
    size_t i = 0;
    auto skip_space = [&] { while (i < n && is_space(expr[i])) ++i; };

    // <key>: [A-Za-z0-9_.-]+
    skip_space();
    size_t b = i;
    while (i < n && is_key_char(expr[i])) ++i;
    if (i == b) return form;
    out.key = expr.substr(b, i - b);

    // <op>: == != <= >= < >
    skip_space();
    b = i;
    if (i + 1 < n && expr[i + 1] == '=' &&
        (expr[i] == '=' || expr[i] == '!' || expr[i] == '<' || expr[i] == '>'))
        i += 2;
    else if (i < n && (expr[i] == '<' || expr[i] == '>'))
        i += 1;
    else
        return form;
    out.op = expr.substr(b, i - b);

    // <number>: -?[0-9]+(.[0-9]+)?([eE][-+]?[0-9]+)?, then [unit]
    quantity q;
    if (!split_quantity(std::string_view(expr).substr(i), q, true)) return form;
    const std::string& number = q.number;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), out.number);
    if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(out.number))
        return "expectation '" + expr + "': the number '" + number + "' is out of range";
    out.value = out.number;
    out.given = nullptr;
    if (q.suffix.empty()) return "";

    // [unit]: of the result's dimension, converted into its unit.
    const unit* want = result_unit(out.key);
    if (!q.u)
        return "expectation '" + expr + "': unknown unit '" + q.suffix + "'" +
               (want ? std::string("; ") + out.key + " is " + dimension_name(want->dim) + " in " + want->symbol +
                           " (units: " + unit_list(want->dim) + ")"
                     : std::string());
    if (!want)
        return "expectation '" + expr + "': " + out.key +
               " is a count or a plain number (docs/results.md, Units); a unit ('" + q.suffix +
               "') is not accepted";
    if (q.u->dim != want->dim)
        return "expectation '" + expr + "': '" + q.suffix + "' is " + dimension_name(q.u->dim) + " unit, but " +
               out.key + " is " + dimension_name(want->dim) + " in " + want->symbol + " (units: " +
               unit_list(want->dim) + ")";
    out.given = q.u;
    out.value = convert(out.number, *q.u, *want);
    if (!std::isfinite(out.value))
        return "expectation '" + expr + "': '" + number + q.suffix + "' is out of range in " + want->symbol;
    return "";
}

std::string expectation_syntax_error(const std::string& expr)
{
    expectation x;
    return parse_expectation(expr, x);
}

void evaluate_expectations(const nlohmann::json& r, const std::vector<std::string>& exprs, run_outcome& out)
{
    for (const auto& e : exprs) {
        expectation x;
        if (auto err = parse_expectation(e, x); !err.empty()) {
            out.expectation_errors.push_back(err);
            continue;
        }
        double have = 0;
        std::string dist_unit;
        switch (lookup(r, x.key, have, dist_unit)) {
        case found::number: break;
        case found::not_number:
            out.expectation_errors.push_back("expectation '" + e + "': result '" + x.key + "' is not a number");
            continue;
        case found::missing:
            out.expectation_errors.push_back("expectation '" + e + "': no result named '" + x.key + "'");
            continue;
        }
        // A distribution declares its unit: the number converts into that.
        double want = x.value;
        if (x.given && !dist_unit.empty() && result_unit(x.key)) {
            const unit* du = unit_of(dist_unit);
            if (!du || du->dim != x.given->dim) {
                out.expectation_errors.push_back("expectation '" + e + "': result '" + x.key + "' is in " +
                                                 dist_unit + ", not " + dimension_name(x.given->dim));
                continue;
            }
            want = convert(x.number, *x.given, *du);
        }
        const std::string& op = x.op;
        bool ok = op == "==" ? have == want
                : op == "!=" ? have != want
                : op == "<"  ? have < want
                : op == "<=" ? have <= want
                : op == ">"  ? have > want
                             : have >= want;
        if (!ok) {
            std::ostringstream os;
            os << "expectation '" << e << "' failed: " << x.key << " = " << have;
            // With a unit, the comparison in the result's unit.
            if (x.given) {
                const unit* ru = dist_unit.empty() ? result_unit(x.key) : unit_of(dist_unit);
                if (ru) os << " " << ru->symbol << ", not " << x.op << " " << want << " " << ru->symbol;
            }
            out.failed_expectations.push_back(os.str());
        }
    }
}

namespace {
std::string us(uint64_t ps)
{
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", double(ps) / 1e6);
    return b;
}
} // namespace

std::string format_summary(const nlohmann::json& r, const nlohmann::json& host)
{
    std::ostringstream os;
    const auto& s = r["summary"];
    char line[256];
    os << r["generator"].get<std::string>() << " -- scenario '" << r["scenario"]["name"].get<std::string>()
       << "', seed " << r["scenario"]["seed"].get<uint64_t>() << "\n";
    std::snprintf(line, sizeof line, "simulated %s us; %llu faults on %llu devices, %llu pages written\n\n",
                  us(s["sim_time_ps"].get<uint64_t>()).c_str(),
                  (unsigned long long)s["faults"].get<uint64_t>(), (unsigned long long)s["devices"].get<uint64_t>(),
                  (unsigned long long)s["pages"].get<uint64_t>());
    os << line;
    std::snprintf(line, sizeof line, "%-9s %7s %9s %9s %9s %7s %8s %9s %8s\n",
                  r.contains("classes") ? "class" : "device", "faults", "p50 us",
                  "p99 us", "max us", "PRGs", "retries", "auto-rsp", "stalls");
    os << line;
    uint64_t auto_rsp = 0;
    for (const auto& d : r["devices"]) auto_rsp += d["auto_responses"].get<uint64_t>();
    // With device classes, a row per class (its devices pooled).
    const bool by_class = r.contains("classes");
    std::vector<std::pair<std::string, const nlohmann::json*>> rows;
    if (by_class) {
        rows.resize(r["classes"].size());
        for (const auto& [name, c] : r["classes"].items())
            rows[c["index"].get<size_t>()] = {name, &c}; // in the scenario's order
    } else {
        for (const auto& d : r["devices"]) rows.push_back({d["rid"].get<std::string>(), &d});
    }
    for (const auto& [label, dp] : rows) {
        const auto& d = *dp;
        const auto& l = d["fault_latency_ps"];
        std::snprintf(line, sizeof line, "%-9s %7llu %9s %9s %9s %7llu %8llu %9llu %8llu\n",
                      label.c_str(), (unsigned long long)d["faults"].get<uint64_t>(),
                      us(l["p50"].get<uint64_t>()).c_str(), us(l["p99"].get<uint64_t>()).c_str(),
                      us(l["max"].get<uint64_t>()).c_str(), (unsigned long long)d["prgs"].get<uint64_t>(),
                      (unsigned long long)d["prg_retries"].get<uint64_t>(),
                      (unsigned long long)d["auto_responses"].get<uint64_t>(),
                      (unsigned long long)d["credit_stalls"].get<uint64_t>());
        os << line;
    }
    const auto& l = s["fault_latency_ps"];
    std::snprintf(line, sizeof line, "%-9s %7llu %9s %9s %9s %7llu %8llu %9llu %8llu\n", "all",
                  (unsigned long long)s["faults"].get<uint64_t>(), us(l["p50"].get<uint64_t>()).c_str(),
                  us(l["p99"].get<uint64_t>()).c_str(), us(l["max"].get<uint64_t>()).c_str(),
                  (unsigned long long)s["prgs"].get<uint64_t>(), (unsigned long long)s["prg_retries"].get<uint64_t>(),
                  (unsigned long long)auto_rsp, (unsigned long long)s["credit_stalls"].get<uint64_t>());
    os << line << "\n";
    const auto& ar = s["auto_responses"];
    std::snprintf(line, sizeof line,
                  "page-request queue: %llu entries, high-water %llu, overflows %llu; "
                  "auto-responses: success %llu, invalid %llu, failure %llu\n",
                  (unsigned long long)s["pq_entries"].get<uint64_t>(), (unsigned long long)s["pq_hwm"].get<uint64_t>(),
                  (unsigned long long)s["pq_overflows"].get<uint64_t>(),
                  (unsigned long long)ar["success"].get<uint64_t>(), (unsigned long long)ar["invalid"].get<uint64_t>(),
                  (unsigned long long)ar["failure"].get<uint64_t>());
    os << line;
    // Queue occupancy: high-water mark / time-weighted mean, and for the PQ
    // its time full.
    if (r.contains("occupancy") && r["occupancy"].contains("iommu0.pq")) {
        const auto& oc = r["occupancy"];
        auto hm = [&](const char* q) {
            if (!oc.contains(q)) return std::string("-");
            char b[64];
            std::snprintf(b, sizeof b, "%llu / %.2f", (unsigned long long)oc[q]["hwm"].get<uint64_t>(),
                          oc[q]["avg"].get<double>());
            return std::string(b);
        };
        const auto& pq = oc["iommu0.pq"];
        std::snprintf(line, sizeof line,
                      "occupancy (high-water / mean): PQ %s, full %s us in %llu episodes; CQ %s; "
                      "fault queue unread %s, pending %s\n",
                      hm("iommu0.pq").c_str(), us(pq["full_ps"].get<uint64_t>()).c_str(),
                      (unsigned long long)pq["full_episodes"].get<uint64_t>(), hm("iommu0.cq").c_str(),
                      hm("sw.iommufd.fault_unread").c_str(), hm("sw.iommufd.fault_pending").c_str());
        os << line;
    }
    if (s.contains("handlers")) {
        for (const auto& [name, h] : s["handlers"].items()) {
            const auto& hl = h["fault_latency_ps"];
            std::snprintf(line, sizeof line,
                          "handler %-12s %llu groups, faults: %llu success, %llu invalid; %llu devices, "
                          "fault latency p50 %s us, p99 %s us, mean %s us\n",
                          name.c_str(), (unsigned long long)h["groups"].get<uint64_t>(),
                          (unsigned long long)h["faults_success"].get<uint64_t>(),
                          (unsigned long long)h["faults_invalid"].get<uint64_t>(),
                          (unsigned long long)h["devices"].get<uint64_t>(), us(hl["p50"].get<uint64_t>()).c_str(),
                          us(hl["p99"].get<uint64_t>()).c_str(), us(hl["mean"].get<uint64_t>()).c_str());
            os << line;
        }
    }
    // Software CPU time, per CPU when there are several: a share of the
    // run, or in us where a task charged beyond the end of the run (one that
    // ran ahead when the run stopped).
    {
        const auto& ctrs = r["counters"];
        const uint64_t span = s["sim_time_ps"].get<uint64_t>();
        const uint64_t ncpus = r["scenario"]["params"]["platform.cpus"].get<uint64_t>();
        std::vector<uint64_t> busy;
        auto get = [&](const std::string& key) {
            auto it = ctrs.find(key);
            return it == ctrs.end() ? uint64_t(0) : it->get<uint64_t>();
        };
        if (ncpus > 1)
            for (uint64_t c = 0; c < ncpus; ++c) busy.push_back(get("platform.cpu." + std::to_string(c) + ".busy_ps"));
        else
            busy.push_back(get("platform.cpu.busy_ps"));
        const bool share = span && std::all_of(busy.begin(), busy.end(), [&](uint64_t b) { return b <= span; });
        std::string list;
        for (uint64_t b : busy) {
            char one[32];
            if (share)
                std::snprintf(one, sizeof one, "%.0f %%", 100.0 * double(b) / double(span));
            else
                std::snprintf(one, sizeof one, "%s us", us(b).c_str());
            list += (list.empty() ? "" : ", ") + std::string(one);
        }
        os << "cpus: " << ncpus << ", busy " << list << (share ? " of the run\n" : "\n");
    }
    if (const auto& all = r["counters"]; all.contains("platform.inject.calls")) {
        os << "fault injection: sw.inject.site '" << r["scenario"]["params"]["sw.inject.site"].get<std::string>()
           << "': " << all["platform.inject.failures"].get<uint64_t>() << " of "
           << all["platform.inject.calls"].get<uint64_t>() << " matching calls failed";
        std::string sites;
        const std::string pre = "platform.inject.failures.";
        for (const auto& [k, v] : all.items())
            if (k.compare(0, pre.size(), pre) == 0)
                sites += (sites.empty() ? "" : ", ") + k.substr(pre.size()) + " " + std::to_string(v.get<uint64_t>());
        os << (sites.empty() ? "" : " (" + sites + ")") << "\n";
    }
    const auto& checks = r["scoreboard"]["checks"];
    size_t good = 0;
    for (const auto& c : checks) good += c["ok"].get<bool>() ? 1 : 0;
    os << "scoreboard: " << good << "/" << checks.size() << " checks hold\n";
    for (const auto& c : checks) {
        os << "  [" << (c["ok"].get<bool>() ? "ok" : "FAIL") << "] ";
        int inv = c["invariant"].get<int>();
        if (inv) os << "invariant " << inv << ": ";
        os << c["name"].get<std::string>() << " -- " << c["detail"].get<std::string>() << "\n";
        for (const auto& v : c["violations"]) os << "         " << v.get<std::string>() << "\n";
    }
    for (const auto& f : r["expectations"]["failed"]) os << "  [FAIL] " << f.get<std::string>() << "\n";
    if (!host.is_null()) {
        std::snprintf(line, sizeof line,
                      "host: %.2f s wall, %.0f simulated faults per wall-second, RTL %.1f us host per fault "
                      "(%llu cycles clocked)\n",
                      host["wall_seconds"].get<double>(), host["faults_per_wall_second"].get<double>(),
                      host["rtl_host_us_per_fault"].get<double>(),
                      (unsigned long long)host["rtl_cycles"].get<uint64_t>());
        os << line;
    }
    return os.str();
}

} // namespace prisim::platform
