// SPDX-License-Identifier: Apache-2.0
//
// Cycle-accurate C++ reference of rtl/pq_writer.sv.
//
// What it models: the page-request queue engine of the RISC-V IOMMU, steps 6-11 of the
// page-request handling (spec digest riscv-iommu.md §13.1), pqcsr enable/disable (§7.1) and
// error bits (§7.2), the PQ record format (§12), the auto PRG Response rules (§13.2-§13.4)
// and the PQ interrupt request (§8.1). Same inputs and outputs as the RTL, evaluated per
// rising clock edge.
//
// What it does not: anything before step 6 (DDT lookup, EN_PRI), ipsr/MSI delivery, the
// register file that holds pqb and pqh.
#ifndef PRISIM_TB_RTL_PQ_WRITER_REF_H
#define PRISIM_TB_RTL_PQ_WRITER_REF_H

#include <cstdint>
#include <string>

namespace pqw {

// pqcsr bits (§7)
constexpr uint32_t PQCSR_PQEN = 1u << 0;
constexpr uint32_t PQCSR_PIE = 1u << 1;
constexpr uint32_t PQCSR_PQMF = 1u << 8;
constexpr uint32_t PQCSR_PQOF = 1u << 9;
constexpr uint32_t PQCSR_PQON = 1u << 16;
constexpr uint32_t PQCSR_BUSY = 1u << 17;

// PAYLOAD bits (§12)
constexpr uint64_t PAYLOAD_R = 1u << 0;
constexpr uint64_t PAYLOAD_W = 1u << 1;
constexpr uint64_t PAYLOAD_L = 1u << 2;

// PRG Response codes (§13.3)
constexpr unsigned AR_SUCCESS = 0x0;
constexpr unsigned AR_RESPONSE_FAILURE = 0xF;

// done_cause_o values
enum pq_cause : unsigned {
    CAUSE_QUEUED = 0,
    CAUSE_DROP_DISABLED = 1,
    CAUSE_DROP_MEM_FAULT = 2,
    CAUSE_DROP_OVERFLOW = 3,
    CAUSE_DROP_FULL = 4,
    CAUSE_DROP_WRITE_FAULT = 5,
    CAUSE_COUNT = 6,
};

const char *cause_name(unsigned cause);

// All inputs of the block (clk_i and rst_ni excluded).
// The fields of one page-request message on the req_* ports.
struct page_req {
    uint32_t did = 0;
    bool pv = false;
    uint32_t pid = 0;
    bool priv = false;
    bool exec = false;
    uint64_t payload = 0;
    bool prpr = false;
};

struct pq_in {
    uint64_t pqb_ppn = 0;
    uint32_t pqb_log2szm1 = 0;
    uint32_t pqh = 0;
    bool stop_marker_needs_pasid = true;
    bool ovf_auto_resp = true;  // Success to L=1 discarded on overflow (0: none, VT-d policy)
    bool csr_we = false;
    uint32_t csr_wdata = 0;
    bool req_valid = false;
    uint32_t req_did = 0;
    bool req_pv = false;
    uint32_t req_pid = 0;
    bool req_priv = false;
    bool req_exec = false;
    uint64_t req_payload = 0;
    bool req_prpr = false;
    bool mem_req_ready = false;
    bool mem_rsp_valid = false;
    bool mem_rsp_err = false;
    bool ar_ready = false;
};

// All outputs of the block. mem_req_data is split into its two doublewords.
struct pq_out {
    uint32_t pqcsr = 0;
    uint32_t pqt = 0;
    bool req_ready = false;
    bool mem_req_valid = false;
    uint64_t mem_req_addr = 0;
    uint64_t mem_req_hdr = 0;      // mem_req_data_o[63:0]
    uint64_t mem_req_payload = 0;  // mem_req_data_o[127:64]
    bool ar_valid = false;
    uint32_t ar_code = 0;
    uint32_t ar_prgi = 0;
    uint32_t ar_did = 0;
    bool ar_pv = false;
    uint32_t ar_pid = 0;
    bool done = false;
    uint32_t done_cause = 0;
    bool done_ar = false;
    bool pip_set = false;
};

// Compare two output sets; on the first difference fill *what with "signal expected got".
bool pq_out_equal(const pq_out &expected, const pq_out &got, std::string *what);

class pq_writer_ref {
public:
    explicit pq_writer_ref(unsigned max_log2sz);

    void reset();
    // Outputs during the current cycle (the block is Moore apart from pqt's size mask).
    pq_out eval(const pq_in &in) const;
    // Rising clock edge with these inputs.
    void clock(const pq_in &in);

private:
    enum class phase { idle, write, wait_rsp, respond };
    enum class csr_phase { none, enabling, disabling };


    uint32_t index_mask(const pq_in &in) const;
    bool busy() const { return m_csr_phase != csr_phase::none; }

    unsigned m_max_log2sz;

    phase m_phase;
    csr_phase m_csr_phase;
    bool m_pqen, m_pie, m_pqmf, m_pqof, m_pqon;
    uint32_t m_pqt;  // masked to the implemented index width
    page_req m_req;
    bool m_need_ar;
    unsigned m_cause;
    uint64_t m_addr;

    bool m_done;
    unsigned m_done_cause;
    bool m_done_ar;
    bool m_pip_set;
};

}  // namespace pqw

#endif  // PRISIM_TB_RTL_PQ_WRITER_REF_H
