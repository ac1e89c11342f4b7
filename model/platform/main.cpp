// SPDX-License-Identifier: Apache-2.0
//
// prisim: run one scenario and report. Exit status (DESIGN §6): 0 every
// invariant and expectation holds, 1 one failed, 2 usage or configuration
// error.
#include <cerrno>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <systemc>

#include "common/host_ticks.h"
#include "common/local_time.h"
#include "common/version.h"
#include "platform/fault_socket.h"
#include "platform/fault_trace.h"
#include "platform/occupancy_csv.h"
#include "platform/units.h"
#include "platform/machine.h"
#include "platform/params.h"
#include "platform/report.h"
#include "platform/scoreboard.h"

using namespace prisim::platform;

// Defined only in prisim-bench (bench/alloc_count.cpp): allocating calls
// made by the process so far. Null in prisim.
extern "C" uint64_t prisim_alloc_count(void) __attribute__((weak));

namespace {

int g_verbosity = 0;

void report_handler(const sc_core::sc_report& r, const sc_core::sc_actions& a)
{
    if ((a & sc_core::SC_DISPLAY) &&
        (r.get_severity() != sc_core::SC_INFO || g_verbosity > 0)) {
        static const char* const sev[] = {"info", "warning", "error", "fatal"};
        std::cerr << "prisim: " << sev[r.get_severity()] << ": " << r.get_msg_type() << ": "
                  << r.get_msg();
        if ((r.get_time() != sc_core::SC_ZERO_TIME || sc_core::sc_is_running()) &&
            std::strcmp(r.get_msg_type(), "prisim/sw") != 0) // stamped with its own time
            std::cerr << " (at " << r.get_time() << ")";
        std::cerr << "\n";
    }
    if (a & sc_core::SC_THROW) throw r;
    if (a & sc_core::SC_ABORT) std::abort();
}

// Without --out, each run gets a directory of its own, so that no run
// overwrites another's results: prisim-out/<scenario name>-<n>, n the first
// number not taken (created atomically: parallel runs never share one).
std::string new_run_dir(const std::string& name)
{
    std::string base;
    for (char c : name)
        base += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    if (base.empty() || base[0] == '.') base = "run" + base;
    std::error_code ec;
    std::filesystem::create_directories("prisim-out", ec);
    if (ec) throw config_error("cannot create the directory 'prisim-out': " + ec.message() + " (use --out)");
    for (unsigned n = 1; n < 1000000; ++n) {
        const std::string dir = "prisim-out/" + base + "-" + std::to_string(n);
        if (std::filesystem::create_directory(dir, ec)) return dir;
        if (ec) throw config_error("cannot create the directory '" + dir + "': " + ec.message() + " (use --out)");
    }
    throw config_error("prisim-out/ holds a million runs of '" + base + "': use --out");
}

bool write_file(const std::string& path, const std::string& text)
{
    std::ofstream f(path, std::ios::binary);
    f << text;
    return bool(f);
}

// The whole scenario file. Anything readable is accepted (a pipe, /dev/null
// for the registry defaults); a directory, a read error or a file beyond
// k_max_scenario (/dev/zero) is a config_error.
constexpr size_t k_max_scenario = size_t(1) << 20;

std::string read_scenario(const std::string& path)
{
    auto fail = [&](int err) {
        return config_error("cannot read scenario file '" + path + "': " + std::strerror(err));
    };
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw fail(errno);
    std::string text;
    char buf[65536];
    size_t n;
    while (text.size() <= k_max_scenario && (n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    const int err = std::ferror(f) ? errno : 0;
    std::fclose(f);
    if (err) throw fail(err);
    if (text.size() > k_max_scenario)
        throw config_error("scenario file '" + path + "' is larger than 1 MiB");
    return text;
}

// How long prisim waits for the --fault-socket handler to connect, unless
// --max-wall is shorter.
constexpr double k_accept_wait_s = 30;

// --fault-socket replaces the userspace handler sw.user.handler names; it
// needs at least one device left to userspace.
void check_fault_socket(const params& p, const std::string& path)
{
    if (path.empty()) throw config_error("--fault-socket: the socket path is empty");
    if (p.str("sw.user.handler") == "kernel")
        throw config_error("--fault-socket: sw.user.handler is 'kernel': every device is bound to the "
                           "kernel-resident handler and none is left to the external handler");
    if (p.u64("sw.user.kernel_devices") >= p.u64("device.count"))
        throw config_error("--fault-socket: sw.user.kernel_devices = " + std::to_string(p.u64("sw.user.kernel_devices")) +
                           " binds every device to the kernel-resident handler; none is left to the external handler");
    if (p.u64("sw.user.threads") > 1)
        throw config_error("--fault-socket: sw.user.threads = " + std::to_string(p.u64("sw.user.threads")) +
                           ": the external handler is one process on one connection; set sw.user.threads = 1");
    if (p.u64("sw.user.nested_devices"))
        throw config_error("--fault-socket: sw.user.nested_devices = " + std::to_string(p.u64("sw.user.nested_devices")) +
                           ": the external handler maps pages in an IOAS and has no guest first stage to write");
}

} // namespace

int sc_main(int argc, char* argv[])
{
    CLI::App app{"prisim: full-system emulator of a PCIe IOMMU with ATS and PRI.\n"
                 "Runs one scenario (the built-in default if none is given), checks the\n"
                 "scoreboard invariants and the scenario's expectations, and reports.",
                 "prisim"};
    std::string scenario_file, out_dir, fault_socket_path, wave_out, wave_window, trace_out, trace_window;
    std::string occ_out, occ_window;
    double max_wall = 0;
    std::vector<std::string> sets, expects;
    bool list_params = false, dump_default = false, version = false, quiet = false, keep_expect = false;
    bool print_scenario = false;
    app.add_option("scenario", scenario_file, "scenario YAML file (default: the built-in scenario)");
    // One value per occurrence: a scenario file after `--set k=v` is the scenario.
    app.add_option("-s,--set", sets,
                   "override a scenario key: --set key=value (repeatable); a key with a unit takes one: "
                   "--set run.max_time_us=2ms (ps ns us µs ms s; B KiB MiB GiB, KB MB GB; Hz kHz MHz GHz); "
                   "--set pcie.link=Gen4x8 sets pcie.gen and pcie.lanes")
        ->allow_extra_args(false);
    app.add_option("-e,--expect", expects,
                   "add an expectation: --expect 'summary.pq_overflows == 0', "
                   "--expect 'summary.fault_latency_ps.p99 < 100us' (a unit converts into the result's)")
        ->allow_extra_args(false);
    app.add_option("-o,--out", out_dir, "directory for results.json and host.json, created if missing (default: a new prisim-out/<name>-<n>)");
    app.add_flag("--keep-expect", keep_expect,
                 "check the scenario's own expectations even when --set changes the scenario");
    app.add_option("--fault-socket", fault_socket_path,
                   "serve the userspace fault queue from an external process: listen on this Unix socket "
                   "path and wait for it to connect (docs/external-handler.md)");
    app.add_option("--max-wall", max_wall,
                   "host wall-clock limit, in seconds, on waiting for the --fault-socket handler: to connect, "
                   "and to answer during the run (default 0: no limit on answers, 30 s to connect)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--wave-out", wave_out,
                   "write the waveforms of the RTL block rtl/pq_writer (every signal, at each clock level) "
                   "to this FST file, and those of rtl/iotlb to FILE.iotlb.fst (FILE without .fst), for "
                   "GTKWave; the run is slower, its results the same (docs/user-guide.md)");
    app.add_option("--wave-window", wave_window,
                   "with --wave-out: only the simulated time START_US:END_US (microseconds; either may be "
                   "empty: from the start, to the end)");
    app.add_option("--trace-out", trace_out,
                   "write each fault's spans across the layers to this file, in the Chrome/Perfetto "
                   "trace-event JSON format (open it in ui.perfetto.dev; docs/trace.md)");
    app.add_option("--trace-window", trace_window,
                   "with --trace-out: only the faults that overlap this window of simulated time, "
                   "START_US:END_US in microseconds (e.g. 100:250.5)");
    app.add_option("--occupancy-out", occ_out,
                   "write the occupancy of the queues (PQ, CQ, the fault queue's unread groups) "
                   "to this CSV file, a row per change: time_ps,queue,level (docs/user-guide.md)");
    app.add_option("--occupancy-window", occ_window,
                   "with --occupancy-out: only the changes within this window of simulated time, "
                   "START_US:END_US in microseconds (e.g. 100:250.5)");
    app.add_flag("-q,--quiet", quiet, "print nothing on success");
    app.add_flag("-v,--verbose", g_verbosity, "show informational messages (repeat for debug)");
    app.add_flag("--list-params", list_params, "print every scenario key as a Markdown table and exit");
    app.add_flag("--dump-default", dump_default, "print the built-in scenario and exit");
    app.add_flag("--print-scenario", print_scenario,
                 "print the effective scenario (the file, the registry defaults, every --set and --expect) "
                 "as YAML and exit without running; running it gives the same results.json");
    app.add_flag("--version", version, "print the version and exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError& e) {
        std::cerr << "prisim: " << e.what() << "\n" << "run 'prisim --help' for usage\n";
        return 2;
    }
    if (version) {
        std::cout << prisim::version_string() << "\n";
        return 0;
    }
    if (dump_default) {
        std::cout << default_scenario_yaml;
        return 0;
    }

    params p;
    std::unique_ptr<fault_trace> trace;
    std::unique_ptr<occupancy_csv> occ_csv;
    if (list_params) {
        params builtin;
        builtin.load_yaml(default_scenario_yaml, "built-in scenario");
        std::cout << p.markdown(&builtin);
        return 0;
    }
    // Every problem of the command line and the scenario is reported, each
    // with its key, before exit 2: the file's keys, every --set, the rules
    // across keys, the expectations.
    std::vector<std::string> errors;
    auto check = [&](auto&& step) {
        try {
            step();
            return true;
        } catch (const config_error& e) {
            for (const auto& m : messages(e)) errors.push_back(m);
            return false;
        }
    };
    const bool out_given = app.count("--out") > 0;
    check([&] {
        if (app.count("scenario") && scenario_file.empty())
            throw config_error("the scenario file name is empty");
    });
    if (!print_scenario)
        check([&] {
            if (out_given && out_dir.empty()) throw config_error("--out: the directory name is empty");
            std::error_code ec;
            if (std::filesystem::exists(out_dir, ec) && !std::filesystem::is_directory(out_dir, ec))
                throw config_error("--out '" + out_dir + "': not a directory");
        });
    // A scenario file replaces the built-in scenario; keys it does not name
    // take their registry defaults. A file that cannot be read or is not
    // YAML (an error without a list) leaves nothing to judge the rules on.
    bool loaded = !(app.count("scenario") && scenario_file.empty());
    if (loaded) {
        try {
            if (scenario_file.empty())
                p.load_yaml(default_scenario_yaml, "built-in scenario");
            else
                p.load_yaml(read_scenario(scenario_file), scenario_file,
                            std::filesystem::path(scenario_file).parent_path().string());
        } catch (const config_error& e) {
            for (const auto& m : messages(e)) errors.push_back(m);
            loaded = !e.errors.empty();
        }
    }
    for (const auto& s : sets)
        check([&] {
            auto eq = s.find('=');
            if (eq == std::string::npos || eq == 0) throw config_error("--set '" + s + "': expected key=value");
            p.set(s.substr(0, eq), s.substr(eq + 1), "--set");
        });
    if (loaded) check([&] { p.validate(); });
    machine_options mopt;
    check([&] {
        if (app.count("--wave-window") && !app.count("--wave-out"))
            throw config_error("--wave-window: goes with --wave-out");
        if (!app.count("--wave-out")) return;
        if (wave_out.empty()) throw config_error("--wave-out: the file name is empty");
        if (!wave_window.empty())
            if (auto err = parse_time_window("--wave-window", wave_window, mopt.pq_waves.start_ps,
                                             mopt.pq_waves.end_ps);
                !err.empty())
                throw config_error(err);
        // Found unwritable now, not after the run.
        std::ofstream probe(wave_out, std::ios::binary | std::ios::app);
        if (!probe) throw config_error("--wave-out '" + wave_out + "': cannot write the file");
        mopt.pq_waves.path = wave_out;
        // rtl/iotlb beside it: run.fst -> run.iotlb.fst.
        const bool fst = wave_out.size() > 4 && wave_out.compare(wave_out.size() - 4, 4, ".fst") == 0;
        mopt.iotlb_waves = mopt.pq_waves;
        mopt.iotlb_waves.path = (fst ? wave_out.substr(0, wave_out.size() - 4) : wave_out) + ".iotlb.fst";
        std::ofstream probe2(mopt.iotlb_waves.path, std::ios::binary | std::ios::app);
        if (!probe2) throw config_error("--wave-out: cannot write '" + mopt.iotlb_waves.path + "' (rtl/iotlb)");
    });
    uint64_t trace_start = 0, trace_end = fault_trace::k_no_end;
    check([&] {
        if (!app.count("--trace-window")) return;
        if (!app.count("--trace-out")) throw config_error("--trace-window: needs --trace-out");
        if (auto err = parse_time_window("--trace-window", trace_window, trace_start, trace_end); !err.empty())
            throw config_error(err);
    });
    uint64_t occ_start = 0, occ_end = occupancy_csv::k_no_end;
    check([&] {
        if (!app.count("--occupancy-window")) return;
        if (!app.count("--occupancy-out")) throw config_error("--occupancy-window: needs --occupancy-out");
        if (auto err = parse_time_window("--occupancy-window", occ_window, occ_start, occ_end); !err.empty())
            throw config_error(err);
    });
    // A scenario's expectations describe that scenario: once --set changes
    // it (a sweep point, a smaller run), they are not checked unless asked;
    // --expect ones always are.
    size_t dropped = 0;
    if (!sets.empty() && !keep_expect && !p.expectations().empty()) {
        dropped = p.expectations().size();
        if (!quiet && !print_scenario)
            std::cerr << "prisim: note: the scenario's " << dropped
                      << " expectation(s) not checked: --set changed the scenario (--keep-expect checks them)\n";
        p.clear_expectations();
    }
    if (app.count("--fault-socket") && loaded) check([&] { check_fault_socket(p, fault_socket_path); });
    for (const auto& e : expects) p.add_expectation(e);
    for (const auto& e : p.expectations())
        if (auto err = expectation_syntax_error(e); !err.empty()) errors.push_back(err);
    if (!errors.empty()) {
        for (const auto& e : errors) std::cerr << "prisim: " << e << "\n";
        return 2;
    }
    if (print_scenario) {
        std::string header = "The effective scenario of " +
                             (scenario_file.empty() ? std::string("the built-in scenario") : scenario_file);
        for (const auto& s : sets) header += "\n  --set " + s;
        if (dropped)
            header += "\nThe scenario's " + std::to_string(dropped) +
                      " expectation(s) are left out: --set changed the scenario (--keep-expect keeps them).";
        header += std::string("\n(prisim --print-scenario, ") + prisim::version_string() + ")";
        std::cout << p.to_yaml(header);
        return 0;
    }
    try {
        // Opened before the run, so that a path that cannot be written fails now.
        if (app.count("--trace-out")) trace = std::make_unique<fault_trace>(trace_out, trace_start, trace_end);
        if (app.count("--occupancy-out"))
            occ_csv = std::make_unique<occupancy_csv>(occ_out, occ_start, occ_end);
        // Created before the run, so that a path that cannot be one fails now.
        if (out_given) {
            std::error_code ec;
            std::filesystem::create_directories(out_dir, ec);
            if (ec) throw config_error("--out '" + out_dir + "': cannot create the directory: " + ec.message());
        } else {
            out_dir = new_run_dir(p.str("name"));
        }
    } catch (const config_error& e) {
        std::cerr << "prisim: " << e.what() << "\n";
        return 2;
    }

    // The external handler connects before the machine is built: a run
    // without it would be a different run.
    std::unique_ptr<fault_socket> ext;
    if (!fault_socket_path.empty()) {
        try {
            const double wait_s = max_wall > 0 && max_wall < k_accept_wait_s ? max_wall : k_accept_wait_s;
            ext = std::make_unique<fault_socket>(
                fault_socket_path, std::chrono::duration_cast<fault_socket::clock::duration>(
                                       std::chrono::duration<double>(wait_s)));
        } catch (const config_error& e) {
            std::cerr << "prisim: " << e.what() << "\n";
            return 2;
        }
    }

    sc_core::sc_report_handler::set_handler(report_handler);
    sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY | sc_core::SC_LOG);
    sc_core::sc_report_handler::set_actions(sc_core::SC_FATAL, sc_core::SC_DISPLAY | sc_core::SC_THROW);
    sc_core::sc_report_handler::set_verbosity_level(g_verbosity > 1 ? sc_core::SC_DEBUG
                                                    : g_verbosity   ? sc_core::SC_MEDIUM
                                                                    : sc_core::SC_LOW);
    // Simulated time has picosecond resolution: hal_now_ps() is exact.
    sc_core::sc_set_time_resolution(1, sc_core::SC_PS);

    try {
        machine m("top", p, mopt);
        if (ext) {
            if (max_wall > 0)
                ext->set_deadline(fault_socket::clock::now() +
                                      std::chrono::duration_cast<fault_socket::clock::duration>(
                                          std::chrono::duration<double>(max_wall)),
                                  max_wall);
            m.rt().set_host_channel(ext.get());
        }
        if (trace) {
            for (size_t i = 0; i < m.devices().size(); ++i) trace->add_device(unsigned(i), m.devices()[i]->params().rid);
            m.stages().set_sink(trace.get());
        }
        if (occ_csv) {
            m.iommu().observe_occupancy(occ_csv.get(), "iommu0");
            m.rt().observe_levels(occ_csv.get());
        }
        m.boot();
        const uint64_t allocs0 = prisim_alloc_count ? prisim_alloc_count() : 0;
        // Host time in the RTL blocks (the IOMMU's and every device's), in
        // ticks; the tick rate is measured over the same interval.
        auto rtl_ticks = [&m] {
            uint64_t t = m.iommu().rtl_host_ticks();
            for (const auto& d : m.devices()) t += d->rtl_host_ticks();
            return t;
        };
        auto rtl_cycles_now = [&m] {
            uint64_t c = m.iommu().rtl_cycles();
            for (const auto& d : m.devices()) c += d->rtl_cycles();
            return c;
        };
        const uint64_t rtl_cycles0 = rtl_cycles_now(), rtl0 = rtl_ticks();
        // The run's host time starts at simulated time 0, elaboration done:
        // the kernel's end_of_elaboration and start_of_simulation callbacks
        // and every thread's coroutine (a stack mapped and touched each)
        // belong with the modules' construction, not with the run.
        // sc_start() would do this on entry (it is the Accellera kernel's
        // sc_simcontext::initialize without the initial crunch: no process
        // runs); done here, it is measured apart (elaboration_seconds).
        auto seconds_since = [](std::chrono::steady_clock::time_point t) {
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
        };
        const auto te = std::chrono::steady_clock::now();
        sc_core::sc_get_curr_simcontext()->initialize(true);
        const double elaboration = seconds_since(te);
        struct rusage ru0 {}, ru1 {};
        getrusage(RUSAGE_SELF, &ru0);
        const auto t0 = std::chrono::steady_clock::now();
        const uint64_t ticks0 = prisim::host_ticks();
        prisim::run_phase(sc_core::sc_time(double(p.u64("run.max_time_us")), sc_core::SC_US));
        const uint64_t ticks1 = prisim::host_ticks();
        const double wall = seconds_since(t0);
        getrusage(RUSAGE_SELF, &ru1);
        const double rtl_seconds = ticks1 > ticks0 ? double(rtl_ticks() - rtl0) * wall / double(ticks1 - ticks0) : 0.0;
        const uint64_t rtl_cycles = rtl_cycles_now() - rtl_cycles0;
        const uint64_t allocs1 = prisim_alloc_count ? prisim_alloc_count() : 0;

        run_outcome out;
        out.quiesced = !sc_core::sc_pending_activity();
        // A run cut by the limit ends at the limit, even when its next
        // event lies beyond it (the kernel then stops at the last one before).
        out.end_ps = sc_core::sc_time_stamp().value();
        if (!out.quiesced)
            out.end_ps = std::max<uint64_t>(
                out.end_ps, sc_core::sc_time(double(p.u64("run.max_time_us")), sc_core::SC_US).value());
        m.report_software_pending();
        if (const fault_inject& inj = m.rt().inject(); inj.enabled() && !inj.calls()) {
            std::string reached;
            for (const std::string& site : inj.sites_reached()) reached += (reached.empty() ? "" : ", ") + site;
            const std::string msg = "sw.inject.site = '" + inj.pattern() +
                                    "' matched no fault-injection site in this run; sites reached: " +
                                    (reached.empty() ? std::string("none") : reached);
            SC_REPORT_WARNING("prisim/inject", msg.c_str());
        }
        scoreboard sb(m);
        sb.run(out.quiesced);
        nlohmann::json results = build_results(m, out);
        // The time series ends where the results do: the shutdown's changes are left out.
        const bool occ_ok = !occ_csv || occ_csv->finish();
        evaluate_expectations(results, p.expectations(), out);
        // The results describe the quiesced machine; only then does the
        // software shut down, which must go cleanly (a run-level check).
        // The run limit bounds this phase too.
        const sc_core::sc_time limit(double(p.u64("run.max_time_us")), sc_core::SC_US);
        const uint64_t errors_before = m.rt().log_errors();
        const int shutdown_rc = m.shutdown_software(limit);
        sb.check_shutdown(shutdown_rc, m.rt().log_errors() - errors_before, limit);
        attach_verdict(results, sb, out);
        // The trace holds every fault that completed, the shutdown's too.
        m.stages().set_sink(nullptr);
        const bool trace_ok = !trace || trace->finish();

        const uint64_t faults = results["summary"]["faults"].get<uint64_t>();
        nlohmann::json host;
        host["faults"] = faults;
        host["elaboration_seconds"] = elaboration;
        host["wall_seconds"] = wall;
        host["faults_per_wall_second"] = wall > 0 ? double(faults) / wall : 0.0;
        host["sim_to_wall_ratio"] = wall > 0 ? double(out.end_ps) * 1e-12 / wall : 0.0;
        host["rtl_cycles"] = rtl_cycles;
        host["rtl_activations"] = m.iommu().rtl_activations();
        host["rtl_host_seconds"] = rtl_seconds;
        host["rtl_host_us_per_fault"] = faults ? rtl_seconds * 1e6 / double(faults) : 0.0;
        host["rtl_share_of_wall"] = wall > 0 ? rtl_seconds / wall : 0.0;
        if (prisim_alloc_count) host["allocations_in_run"] = allocs1 - allocs0;
        // Where the wall time went: user code, or the host kernel (mostly
        // first touches of simulated DRAM, docs/bench.md).
        auto seconds = [](const timeval& a, const timeval& b) {
            return double(b.tv_sec - a.tv_sec) + double(b.tv_usec - a.tv_usec) * 1e-6;
        };
        host["cpu_user_seconds"] = seconds(ru0.ru_utime, ru1.ru_utime);
        host["cpu_system_seconds"] = seconds(ru0.ru_stime, ru1.ru_stime);
        host["minor_page_faults"] = uint64_t(ru1.ru_minflt - ru0.ru_minflt);
        if (ext) host["fault_socket_wait_seconds"] = ext->wait_seconds();

        // If the shutdown did not complete (and its check says so), the
        // software's memory is knowingly left allocated, its tasks stopped
        // mid-call: exit without the end-of-process teardown and leak check,
        // which could only report that again. Every exit from here on.
        auto finish = [&m](int rc) {
            if (!m.software_released()) {
                std::cout.flush();
                std::cerr.flush();
                std::_Exit(rc);
            }
            return rc;
        };
        if (!write_file(out_dir + "/results.json", results.dump(2) + "\n") ||
            !write_file(out_dir + "/host.json", host.dump(2) + "\n")) {
            std::cerr << "prisim: cannot write results to '" << out_dir << "'\n";
            return finish(2);
        }
        if (!trace_ok) {
            std::cerr << "prisim: --trace-out '" << trace_out << "': cannot write the trace\n";
            return finish(2);
        }
        if (!occ_ok) {
            std::cerr << "prisim: --occupancy-out '" << occ_out << "': cannot write the file\n";
            return finish(2);
        }
        if (!out.expectation_errors.empty()) {
            for (const auto& e : out.expectation_errors) std::cerr << "prisim: " << e << "\n";
            return finish(2);
        }
        const bool ok = results["ok"].get<bool>();
        if (!quiet || !ok) std::cout << format_summary(results, host) << "results: " << out_dir << "/results.json\n";
        return finish(ok ? 0 : 1);
    } catch (const sc_core::sc_report& r) {
        std::cerr << "prisim: simulation stopped by a fatal error: " << r.get_msg() << "\n";
        return 1;
    } catch (const config_error& e) {
        std::cerr << "prisim: " << e.what() << "\n";
        return 2;
    }
}

// SystemC prints its banner on stdout when the kernel starts, before
// sc_main; stdout carries the summary only, so switch it off first.
int main(int argc, char* argv[])
{
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    return sc_core::sc_elab_and_sim(argc, argv);
}
