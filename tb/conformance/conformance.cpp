// SPDX-License-Identifier: Apache-2.0
//
// conformance: replays RISC-V IOMMU conformance vectors (gzip JSON Lines,
// format "prisim-oracle-vector/1", described in
// tb/conformance/vectors/riscv-iommu.md) against the IOMMU model and compares
// what it does with the reference results the vectors carry.
//
//   conformance [options] VECTORS.jsonl.gz...
//     --known-failures FILE  the cases expected to fail (one id per line, a
//                            reason after it); exit 0 iff exactly these fail
//     --case ID              run only this case (repeatable)
//     --settle-ns N          simulated time given to the IOMMU after each op
//                            (default 5000)
//     --verbose              print every mismatch of every failing case
//
// Every case gets its own IOMMU, built at elaboration in reset state with the
// case's environment (capabilities from environment.capabilities): a memory
// that is zero-filled RAM except the case's fault ranges (an access that
// overlaps one completes with an error response, which the IOMMU sees as an
// access fault) and an MSI window that records 4-byte writes; a PCIe
// endpoint that sends the case's Page Requests, ATS Translation Requests and
// Invalidation Completions and records the messages the IOMMU sends down.
// One thread runs the cases one after the other; after each op it gives the
// IOMMU --settle-ns of simulated time to finish what the op caused.
//
// Comparison (riscv-iommu.md §5): messages in order (dseg only with dsv, pid
// only with pv, itag for Invalidation Requests); MSIs as a multiset per op;
// the ATS completion (status; for SC the permission and attribute bits
// exactly, address and S only when R or W is granted, where a larger
// naturally aligned range that translates the page identically is equal);
// regs after every test op, after the last setup op and at the end; the
// final PQ/FQ/FENCE bytes. Setup ops are also held to their expect_events.
// Cases with allowed_difference are counted apart and never fail.
//
// Open point K1 (a Stop Marker without a PASID): the model reads the spec
// (a Stop Marker carries a PASID), the reference treats any L = 1, R = W = 0
// request as one. Every case that sends such a request without a PASID runs
// a second time with the reference's reading selected
// (iommu_params::stop_marker_needs_pasid = false), where it must match
// whatever its class; its result is reported under "<id>@stop-marker-any".
// Such a case is under open point K1 by what it sends, labelled or not
// (README §6 defines K1 by that request): its run under the spec's reading
// is counted as an allowed difference of class "K1", never as a failure.
//
// Exit status: 0 when the set of failing cases is exactly the known-failures
// list (empty without --known-failures), 1 otherwise, 2 on usage or input
// errors.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <systemc>

#include "iommu/riscv_iommu.h"
#include "vector_runner.h"

using sc_core::sc_time;

namespace {

using namespace prisim::conformance;

// ============================ the run ============================

struct outcome {
    const vcase* c = nullptr;
    bool sm_any = false;
    std::vector<mismatch> mis;
    std::string key() const { return sm_any ? c->id + "@stop-marker-any" : c->id; }
};

class runner : public sc_core::sc_module {
public:
    // Each run gets a bench of its own, built in reset state.
    std::vector<std::pair<std::unique_ptr<case_bench>, const vcase*>> benches;
    std::vector<outcome> results;
    sc_time settle;

    SC_HAS_PROCESS(runner);
    runner(sc_core::sc_module_name n, const std::vector<const vcase*>& cases, sc_time s)
        : sc_module(n), settle(s)
    {
        unsigned i = 0;
        for (const vcase* c : cases) {
            benches.emplace_back(std::make_unique<case_bench>(("c" + std::to_string(i++)).c_str(),
                                                              config_of(*c, false)),
                                 c);
            if (c->k1_shaped)
                benches.emplace_back(std::make_unique<case_bench>(
                                         ("c" + std::to_string(i++)).c_str(), config_of(*c, true)),
                                     c);
        }
        SC_THREAD(main);
    }

private:
    void main()
    {
        for (auto& [b, c] : benches) {
            outcome o;
            o.c = c;
            o.sm_any = b->cfg.sm_any;
            o.mis = b->run(*c, settle);
            results.push_back(std::move(o));
        }
        sc_core::sc_stop();
    }
};

struct known_failure {
    std::string reason;
    bool seen = false;
};

std::map<std::string, known_failure> read_known(const std::string& path)
{
    std::ifstream f(path);
    if (!f)
        throw input_error(path + ": cannot open");
    std::map<std::string, known_failure> k;
    std::string line;
    while (std::getline(f, line)) {
        const size_t s = line.find_first_not_of(" \t");
        if (s == std::string::npos || line[s] == '#')
            continue;
        const size_t e = line.find_first_of(" \t", s);
        const std::string id = line.substr(s, e == std::string::npos ? e : e - s);
        std::string reason = e == std::string::npos ? "" : line.substr(e);
        reason.erase(0, std::min(reason.find_first_not_of(" \t"), reason.size()));
        if (reason.empty())
            throw input_error(path + ": " + id + " has no reason");
        if (!k.emplace(id, known_failure{reason, false}).second)
            throw input_error(path + ": " + id + " listed twice");
    }
    return k;
}

void usage()
{
    std::fprintf(stderr,
                 "usage: conformance [--known-failures FILE] [--case ID]... [--settle-ns N] "
                 "[--verbose] VECTORS.jsonl.gz...\n");
}

struct tally {
    unsigned cases = 0, passed = 0, failed = 0, known = 0, allowed_match = 0, allowed_diff = 0;
};

int run(int argc, char** argv)
{
    std::vector<std::string> files;
    std::set<std::string> only;
    std::string known_path;
    uint64_t settle_ns = 5000;
    bool verbose = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw input_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--known-failures")
            known_path = value();
        else if (a == "--case")
            only.insert(value());
        else if (a == "--settle-ns") {
            const std::string v = value();
            size_t used = 0;
            try {
                settle_ns = std::stoull(v, &used, 10);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != v.size() || settle_ns == 0 || settle_ns > 1000000000)
                throw input_error("--settle-ns: a number of ns in 1..1000000000");
        } else if (a == "--verbose")
            verbose = true;
        else if (a == "-h" || a == "--help") {
            usage();
            return 0;
        } else if (!a.empty() && a[0] == '-')
            throw input_error("unknown option " + a);
        else
            files.push_back(a);
    }
    if (files.empty()) {
        usage();
        return 2;
    }
    auto known = known_path.empty() ? std::map<std::string, known_failure>{}
                                    : read_known(known_path);

    const auto t0 = std::chrono::steady_clock::now();
    std::vector<vcase> all;
    for (const auto& f : files)
        read_vectors(f, all);
    check_unique_ids(all);
    std::set<std::string> ids;
    for (const auto& c : all)
        ids.insert(c.id);
    for (const auto& id : only)
        if (!ids.count(id))
            throw input_error("--case " + id + ": no such case");

    // Cases whose environment the model cannot be are failures of their own.
    std::vector<const vcase*> runnable;
    std::vector<outcome> rejected;
    for (const auto& c : all) {
        if (!only.empty() && !only.count(c.id))
            continue;
        const std::string why = prisim::iommu::riscv_iommu::unsupported_capabilities(c.capabilities);
        if (why.empty()) {
            runnable.push_back(&c);
            continue;
        }
        outcome o;
        o.c = &c;
        o.mis.push_back({-1, "environment", "capabilities", hex(c.capabilities), why});
        rejected.push_back(std::move(o));
    }
    const auto t1 = std::chrono::steady_clock::now();

    std::vector<outcome> results;
    {
        runner r("conformance", runnable, sc_time(double(settle_ns), sc_core::SC_NS));
        sc_core::sc_start();
        results = std::move(r.results);
    }
    for (auto& o : rejected)
        results.push_back(std::move(o));
    const auto t2 = std::chrono::steady_clock::now();

    // ---- report ----
    std::map<std::string, tally> by_cat, by_class;
    tally total, sm_any;
    std::vector<const outcome*> failures;
    unsigned printed = 0;
    for (const auto& o : results) {
        const vcase& c = *o.c;
        const bool ok = o.mis.empty();
        // K1 by shape: see the top of this file
        const std::string allowed = !c.allowed.empty() ? c.allowed : c.k1_shaped ? "K1" : "";
        if (o.sm_any) {
            ++sm_any.cases;
        } else {
            ++total.cases;
            ++by_cat[c.category].cases;
            if (!allowed.empty()) {
                tally& t = by_class[allowed];
                ++t.cases;
                ++(ok ? t.allowed_match : t.allowed_diff);
                ++(ok ? by_cat[c.category].allowed_match : by_cat[c.category].allowed_diff);
                ++(ok ? total.allowed_match : total.allowed_diff);
                if (verbose && !ok) {
                    std::printf("ALLOWED %s (%s) %s\n", c.id.c_str(), allowed.c_str(),
                                c.title.c_str());
                    for (const auto& m : o.mis)
                        std::printf("    op %d %s: %s: expected %s, got %s\n", m.op,
                                    m.where.c_str(), m.field.c_str(), m.expected.c_str(),
                                    m.got.c_str());
                }
                continue;
            }
        }
        tally& t = o.sm_any ? sm_any : by_cat[c.category];
        auto k = known.find(o.key());
        if (ok) {
            ++t.passed;
            if (!o.sm_any)
                ++total.passed;
            continue;
        }
        if (k != known.end()) {
            k->second.seen = true;
            ++t.known;
            if (!o.sm_any)
                ++total.known;
        } else {
            ++t.failed;
            if (!o.sm_any)
                ++total.failed;
            failures.push_back(&o);
        }
        if (k == known.end() || verbose) {
            if (printed++ < 40 || verbose) {
                std::printf("%s %s%s (%s) %s  [%s]\n", k == known.end() ? "FAIL" : "KNOWN",
                            c.id.c_str(), o.sm_any ? " with the reference Stop Marker reading" : "",
                            c.category.c_str(), c.title.c_str(), c.origin.c_str());
                unsigned n = 0;
                for (const auto& m : o.mis) {
                    if (n++ == 6 && !verbose) {
                        std::printf("    ... %zu more\n", o.mis.size() - 6);
                        break;
                    }
                    std::printf("    op %d %s: %s: expected %s, got %s\n", m.op, m.where.c_str(),
                                m.field.c_str(), m.expected.c_str(), m.got.c_str());
                }
            }
        }
    }
    if (printed > 40 && !verbose)
        std::printf("(%u more failing cases not shown; --verbose shows them)\n", printed - 40);

    std::printf("\n%-10s %6s %6s %6s %6s %9s %9s\n", "category", "cases", "pass", "FAIL", "known",
                "allow:eq", "allow:ne");
    auto row = [](const std::string& n, const tally& t) {
        std::printf("%-10s %6u %6u %6u %6u %9u %9u\n", n.c_str(), t.cases, t.passed, t.failed,
                    t.known, t.allowed_match, t.allowed_diff);
    };
    for (const auto& [n, t] : by_cat)
        row(n, t);
    row("total", total);
    std::printf("(known: failing as listed in the known-failures file; allow:eq / allow:ne: cases "
                "with an\nallowed_difference that matched / differed, never failures)\n");
    if (!by_class.empty()) {
        std::printf("\n%-10s %6s %8s %8s   (allowed differences: matched / differed)\n", "class",
                    "cases", "matched", "differed");
        for (const auto& [n, t] : by_class)
            std::printf("%-10s %6u %8u %8u\n", n.c_str(), t.cases, t.allowed_match,
                        t.allowed_diff);
    }
    if (sm_any.cases)
        std::printf("\nCases with a Stop-Marker-shaped request without a PASID, again with the "
                    "reference's reading\n(stop_marker_needs_pasid = false): %u cases, %u pass, "
                    "%u FAIL, %u known\n",
                    sm_any.cases, sm_any.passed, sm_any.failed, sm_any.known);

    bool stale = false;
    if (total.known + sm_any.known)
        std::printf("\nKnown failures:\n");
    for (const auto& [id, k] : known)
        if (k.seen)
            std::printf("  %s: %s\n", id.c_str(), k.reason.c_str());
    for (const auto& [id, k] : known) {
        if (k.seen)
            continue;
        // Listed but not failing: fixed (or not run with --case).
        const std::string& listed = id; // (a structured binding is not captured before C++20)
        const bool ran = std::any_of(results.begin(), results.end(),
                                     [&](const outcome& o) { return o.key() == listed; });
        if (!ran && !only.empty())
            continue;
        std::printf("LISTED BUT %s: %s (%s)\n", ran ? "PASSES" : "NOT IN THE VECTORS", id.c_str(),
                    k.reason.c_str());
        stale = true;
    }
    const double parse_s = std::chrono::duration<double>(t1 - t0).count();
    const double run_s = std::chrono::duration<double>(t2 - t1).count();
    std::printf("\n%u cases (%zu runs) in %.2f s: reading %.2f s, simulation %.2f s\n",
                total.cases, results.size(), parse_s + run_s, parse_s, run_s);
    const bool pass = failures.empty() && !stale;
    std::printf("conformance: %s\n", pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}

} // namespace

int sc_main(int argc, char* argv[])
{
    // The model's warnings (illegal accesses the vectors make on purpose) are
    // not results: keep them out of the report.
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    try {
        return run(argc, argv);
    } catch (const input_error& e) {
        std::fprintf(stderr, "conformance: %s\n", e.what());
        return 2;
    }
}
