// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: the input of the conformance vector runner (tb/conformance):
// JSON Lines text in the format "prisim-oracle-vector/1", parsed and run by
// the runner's own code (tb/conformance/vector_runner.h).
//
// An input is a document of one or more lines, each a case. It is parsed as
// the runner reads a file (parse_document, then check_unique_ids); a
// malformed input must end in input_error with a message, nothing else. The
// cases of an accepted input run one after the other against the IOMMU
// model, each also with the reference's Stop Marker reading when it sends a
// Stop-Marker-shaped request without a PASID, as the runner runs them;
// mismatches are results, not findings. A case whose capabilities the model
// cannot have is rejected before it runs, as the runner does.
//
// SystemC elaborates once (LLVMFuzzerInitialize): one bench (IOMMU, memory,
// endpoint) for each of a fixed set of configurations - the vectors'
// capabilities, with MSI_FLAT, and with PAS 32, each with a deepest ddtp
// mode of 1LVL, 2LVL and 3LVL and with either Stop Marker reading. A case
// runs on the bench of its configuration (one outside the set is parsed but
// not run); after it, case_bench::reset() brings the bench back to its
// reset state, and its registers must then read their reset values. What
// the model counts, and simulated time, carry over, so a finding may need
// the inputs before it (libFuzzer's -runs/-seed replay the same sequence).
//
// Findings: a crash, a sanitizer report, an exception other than
// input_error from parsing or any exception from a run, an input_error
// without a message, SC_REPORT_ERROR or SC_REPORT_FATAL from the model, a
// bench that does not come back to reset, a run that does not finish.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <systemc>

#include "fuzz_util.h"
#include "iommu/iommu_defs.h"
#include "vector_runner.h"

using namespace prisim::conformance;
using sc_core::sc_time;

// SystemC's main() calls sc_main; libFuzzer (or replay_main.c) has main().
int sc_main(int, char*[]) { return 0; }

namespace {

// The runner's default --settle-ns.
const sc_time SETTLE(5000, sc_core::SC_NS);
// environment.capabilities of tb/conformance/vectors/riscv-iommu.jsonl.gz.
constexpr uint64_t VECTOR_CAPS = 0x0000003802000210;
constexpr uint64_t CAP_MSI_FLAT_BIT = uint64_t(1) << 22;
constexpr uint64_t PAS_MASK = uint64_t(0x3F) << 32;

// The benches, and a thread that runs one input's cases.
class fuzz_top : public sc_core::sc_module {
public:
    std::map<bench_config, std::unique_ptr<case_bench>> benches;
    std::function<void()> job;
    bool busy = false;

    SC_HAS_PROCESS(fuzz_top);
    explicit fuzz_top(sc_core::sc_module_name n) : sc_module(n)
    {
        unsigned i = 0;
        for (uint64_t caps : {VECTOR_CAPS, VECTOR_CAPS | CAP_MSI_FLAT_BIT,
                              (VECTOR_CAPS & ~PAS_MASK) | uint64_t(32) << 32})
            for (unsigned mode : {0u, unsigned(prisim::iommu::DDTP_1LVL),
                                  unsigned(prisim::iommu::DDTP_2LVL),
                                  unsigned(prisim::iommu::DDTP_3LVL)})
                for (bool sm_any : {false, true}) {
                    const bench_config c{caps, mode, sm_any};
                    benches[c] = std::make_unique<case_bench>(("b" + std::to_string(i++)).c_str(), c);
                }
        SC_THREAD(main);
        set_stack_size(4 << 20);
    }

    void start() { m_ev.notify(sc_core::SC_ZERO_TIME); busy = true; }

private:
    void main()
    {
        for (;;) {
            wait(m_ev);
            job();
            busy = false;
            sc_core::sc_pause();
        }
    }
    sc_core::sc_event m_ev;
};

fuzz_top* g_top;

void report_handler(const sc_core::sc_report& r, const sc_core::sc_actions&)
{
    // The model's warnings are its documented reactions to illegal
    // accesses, which the vectors make on purpose (the runner hides them).
    if (r.get_severity() == sc_core::SC_ERROR || r.get_severity() == sc_core::SC_FATAL) {
        std::fprintf(stderr, "SC_REPORT_%s: %s: %s\n",
                     r.get_severity() == sc_core::SC_FATAL ? "FATAL" : "ERROR", r.get_msg_type(),
                     r.get_msg());
        std::abort();
    }
}

// Run the job in the bench thread; simulate until it returns.
void run(std::function<void()> job)
{
    g_top->job = std::move(job);
    g_top->start();
    sc_core::sc_start(sc_time(1000, sc_core::SC_SEC));
    FUZZ_CHECK(!g_top->busy, "the bench thread did not finish");
}

void run_case(const vcase& c, bool sm_any)
{
    auto it = g_top->benches.find(config_of(c, sm_any));
    if (it == g_top->benches.end())
        return; // a configuration without a bench
    case_bench& b = *it->second;
    std::string why;
    run([&] {
        try {
            b.run(c, SETTLE);
        } catch (const std::exception& e) {
            FUZZ_CHECK(false, "case %s: exception from the run: %s", c.id.c_str(), e.what());
        }
        why = b.reset();
    });
    FUZZ_CHECK(why.empty(), "after case %s: bench not back to reset: %s", c.id.c_str(),
               why.c_str());
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    sc_core::sc_report_handler::set_handler(report_handler);
    for (auto sev : {sc_core::SC_INFO, sc_core::SC_WARNING, sc_core::SC_ERROR, sc_core::SC_FATAL})
        sc_core::sc_report_handler::set_actions(sev, sc_core::SC_DISPLAY);
    g_top = new fuzz_top("top");
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const fuzz_stack_guard stack_guard;
    std::vector<vcase> cases;
    try {
        parse_document(std::string_view(reinterpret_cast<const char*>(data), size), "input",
                       cases);
        check_unique_ids(cases);
    } catch (const input_error& e) {
        FUZZ_CHECK(std::strncmp(e.what(), "input:", 6) == 0 && std::strlen(e.what()) > 8,
                   "input_error without a place or a reason: \"%s\"", e.what());
        return 0;
    }
    for (const vcase& c : cases) {
        if (!prisim::iommu::riscv_iommu::unsupported_capabilities(c.capabilities).empty())
            continue; // the runner fails it without running it
        run_case(c, false);
        if (c.k1_shaped)
            run_case(c, true);
    }
    return 0;
}
