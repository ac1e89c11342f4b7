// SPDX-License-Identifier: Apache-2.0
//
// The conformance vectors (format "prisim-oracle-vector/1",
// tb/conformance/vectors/riscv-iommu.md) and one IOMMU that runs a case and
// compares it with the reference: the part of the conformance runner that
// tb/fuzz/fuzz_vectors.cpp shares with it.
//
// Parsing throws input_error, whose message names the file and line
// ("vectors.jsonl.gz:12: missing \"rid\""), for anything that is not a case
// of the format; nothing else escapes it.
#ifndef PRISIM_TB_CONFORMANCE_VECTOR_RUNNER_H
#define PRISIM_TB_CONFORMANCE_VECTOR_RUNNER_H

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "iommu/riscv_iommu.h"
#include "model/iommu/iommu_bench.h"

namespace prisim::conformance {

constexpr const char* FORMAT = "prisim-oracle-vector/1";

struct input_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Registers the vectors name, with their offset and size.
struct reg_desc {
    const char* name;
    uint32_t off;
    unsigned size;
};

using reg_values = std::vector<std::pair<const reg_desc*, uint64_t>>;

struct message {
    bool inval = false; // Invalidation_Request, else PRG_Response
    uint32_t rid = 0, dseg = 0, pid = 0, itag = 0;
    bool dsv = false, pv = false, has_itag = false;
    uint64_t payload = 0;
};

struct msi {
    uint64_t addr = 0;
    uint32_t data = 0;
    bool operator<(const msi& o) const { return addr != o.addr ? addr < o.addr : data < o.data; }
    bool operator==(const msi& o) const { return addr == o.addr && data == o.data; }
};

struct events {
    std::vector<message> messages;
    std::vector<msi> msis;
};

enum class op_kind { reg_write, page_request, ats_request, command, inval_completion };

struct op {
    op_kind kind = op_kind::reg_write;
    bool test = false;
    std::string name; // the op, and the register of a reg_write
    // reg_write
    uint32_t offset = 0;
    unsigned size = 0;
    uint64_t value = 0;
    // PCIe
    uint32_t rid = 0, dseg = 0, pid = 0;
    bool dsv = false, pv = false, priv = false, exec = false, nw = false;
    uint64_t payload = 0, iova = 0;
    // command
    uint64_t dw0 = 0, dw1 = 0;
    // expected
    events ev;
    bool has_regs = false;
    reg_values regs;
    bool has_ats = false;
    std::string ats_status;
    uint64_t ats_raw = 0;
};

struct region {
    std::string name;
    uint64_t base = 0, bytes = 0, record_size = 0;
    std::vector<std::pair<uint64_t, std::vector<uint8_t>>> records;
};

struct vcase {
    std::string id, category, kind, title, allowed; // allowed: allowed_difference.class
    bool k1_shaped = false; // sends an L = 1, R = W = 0 Page Request without a PASID
    std::string origin;                             // file:line
    uint64_t capabilities = 0, fctl = 0;
    unsigned max_ddt_mode = 0; // environment.ref_config.max_iommu_mode; 0: the model's default
    std::vector<std::pair<uint64_t, uint64_t>> fault_ranges;
    std::vector<std::pair<uint64_t, std::vector<uint8_t>>> memory;
    std::vector<op> ops;
    reg_values after_setup, final_regs;
    std::vector<region> final_memory;
};

// The largest final.memory region a case may compare, in bytes.
constexpr uint64_t MAX_REGION_BYTES = uint64_t(1) << 24;

std::string hex(uint64_t v);

// One JSON Lines record (a case); `where` prefixes the message of an error.
vcase parse_record(std::string_view text, const std::string& where);
// JSON Lines text: one case per line, blank lines skipped; errors name
// `name`:<line>.
void parse_document(std::string_view data, const std::string& name, std::vector<vcase>& out);
// A gzip JSON Lines file (a plain file also works).
void read_vectors(const std::string& path, std::vector<vcase>& out);
// Every case id once.
void check_unique_ids(const std::vector<vcase>& cases);

// One difference between the reference and the model.
struct mismatch {
    int op = -1; // -1: not an op (state after setup, final)
    std::string where, field, expected, got;
};

// What an IOMMU is built with for a case.
struct bench_config {
    uint64_t capabilities = 0;
    unsigned max_ddt_mode = 0; // 0: the model's default
    bool sm_any = false;       // the reference's Stop Marker reading
    bool operator<(const bench_config& o) const
    {
        return capabilities != o.capabilities ? capabilities < o.capabilities
               : max_ddt_mode != o.max_ddt_mode ? max_ddt_mode < o.max_ddt_mode
                                                : sm_any < o.sm_any;
    }
};

inline bench_config config_of(const vcase& c, bool sm_any)
{
    return {c.capabilities, c.max_ddt_mode, sm_any};
}

// One IOMMU in reset state with the memory, MSI window and PCIe endpoint
// around it (README.md, "How a case runs").
class case_bench : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<case_bench> reg;
    prisim::tb::bench_memory mem{"mem"};
    prisim::tb::bench_endpoint ep{"ep"};
    std::unique_ptr<prisim::iommu::riscv_iommu> iommu;
    const bench_config cfg;

    case_bench(sc_core::sc_module_name n, const bench_config& c);

    // Runs the case in the calling SystemC thread; returns its mismatches.
    std::vector<mismatch> run(const vcase& c, const sc_core::sc_time& settle);

    // For running another case on this bench (the runner builds one per
    // case; the fuzz target reuses them): queues off and idle, ddtp Off,
    // device-context cache and IOTLB invalidated, the registers at their
    // reset values, memory, MSIs and messages forgotten. Runs in a SystemC
    // thread. Returns what did not come back (empty when all did).
    std::string reset();

private:
    std::vector<mismatch> m_out;
    uint64_t m_bad_msgs = 0;
    reg_values m_reset_regs; // the registers as built

    uint64_t read_reg(const reg_desc& r);
    tlm::tlm_response_status mmio(uint32_t off, unsigned len, bool write, uint8_t* b);
    void write_reg(uint32_t off, unsigned size, uint64_t v, int idx);
    void fail(int idx, const std::string& where, const std::string& field, std::string e,
              std::string g);
    void execute(const op& o, int idx, std::string& ats_st, uint64_t& ats_raw);
    void compare_events(const op& o, int idx, size_t msg0, size_t msi0);
    void compare_regs(const reg_values& exp, int idx, const std::string& where);
    void compare_memory(const vcase& c);
};

} // namespace prisim::conformance

#endif // PRISIM_TB_CONFORMANCE_VECTOR_RUNNER_H
