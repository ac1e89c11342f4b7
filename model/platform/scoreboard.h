// SPDX-License-Identifier: Apache-2.0
//
// The scoreboard: invariants checked at the end of every run (DESIGN §7).
// It reads the counters of every layer and the machine's memory directly;
// it never trusts one layer's own view of a fact another layer can confirm
// (the DMA check walks the DDT and the Sv39 tables in memory itself).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

namespace prisim::platform {

class machine;

struct check_result {
    int invariant;        // DESIGN §7 item number, 0 for run-level checks
    std::string name;
    bool ok = true;
    std::string detail;   // what was compared (always), or what broke
    std::vector<std::string> violations; // "device 00:00.1: ..." sentences
};

class scoreboard {
public:
    explicit scoreboard(machine& m) : m_m(m) {}
    // Run every check; the run ended at sim time end_ps, quiesced or not.
    void run(bool quiesced);
    // Run-level check of the software shutdown that follows the results:
    // rc is px_kernel_shutdown()'s status.
    // The shutdown phase (machine::shutdown_software): its status, the
    // software errors it logged, and the limit it ran under.
    void check_shutdown(int rc, uint64_t new_errors, const sc_core::sc_time& limit);
    bool ok() const;
    const std::vector<check_result>& results() const { return m_results; }
    nlohmann::json to_json() const;

private:
    uint64_t sw_dev(uint16_t rid, const std::string& name) const;
    check_result& add(int inv, const std::string& name);
    void check_run(bool quiesced);
    void check_responses();
    void check_credits();
    void check_pq_accounting();
    void check_dma();
    void name_injected_cause();

    machine& m_m;
    std::vector<check_result> m_results;
};

std::string rid_name(uint16_t rid);   // "00:00.1"
std::string rid_hex(uint16_t rid);    // "0001"

} // namespace prisim::platform
