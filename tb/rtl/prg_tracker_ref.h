// SPDX-License-Identifier: Apache-2.0
//
// Cycle-accurate C++ reference of rtl/prg_tracker.sv.
//
// What it models: the device-side PRI engine of one function (spec digest pcie-pri.md
// sections 2-6): the credits of the Outstanding Page Request Allocation, the 512 PRG indices
// handed out round robin (as the device model's C++ engine did before the block replaced
// it), PRG Responses matched by index,
// Unexpected PRG Index, Response Failure stopping PRI until re-enable or Reset, Stopped, and
// the Stop Marker gate. It is written as the sequence of events of one cycle (software
// writes, the group request, the response), the way the device model handles them, not as
// a copy of the RTL's next-state logic.
//
// What it does not: the pages of a group (the environment sends the page requests), PASIDs,
// the configuration-space layout around the PRI registers.
#ifndef PRISIM_TB_RTL_PRG_TRACKER_REF_H
#define PRISIM_TB_RTL_PRG_TRACKER_REF_H

#include <array>
#include <cstdint>
#include <string>

namespace prgt {

constexpr unsigned NUM_PRGI = 512;  // §2: 9-bit PRG index

// PRI Control / Status bits (§5)
constexpr uint16_t CTRL_ENABLE = 1u << 0;
constexpr uint16_t CTRL_RESET = 1u << 1;
constexpr uint16_t STATUS_RF = 1u << 0;
constexpr uint16_t STATUS_UPRGI = 1u << 1;

// PRG Response codes (§4.1)
constexpr unsigned CODE_SUCCESS = 0x0;
constexpr unsigned CODE_INVALID = 0x1;
constexpr unsigned CODE_FAILURE = 0xF;

// grp_cause_o
enum grp_cause : unsigned {
    GRP_NONE = 0,
    GRP_GRANTED = 1,
    GRP_REFUSED_OFF = 2,
    GRP_REFUSED_SIZE = 3,
    GRP_CAUSE_COUNT = 4,
};

// rsp_cause_o
enum rsp_cause : unsigned {
    RSP_NONE = 0,
    RSP_SUCCESS = 1,
    RSP_INVALID = 2,
    RSP_FAILURE = 3,
    RSP_UNEXPECTED = 4,
    RSP_IGNORED = 5,
    RSP_CAUSE_COUNT = 6,
};

const char *grp_cause_name(unsigned c);
const char *rsp_cause_name(unsigned c);

// All inputs of the block (clk_i and rst_ni excluded).
struct prg_in {
    bool ctrl_we = false;
    uint16_t ctrl_wdata = 0;
    bool status_we = false;
    uint16_t status_wdata = 0;
    uint32_t alloc = 0;
    bool grp_valid = false;
    uint32_t grp_npages = 0;
    bool rsp_valid = false;
    unsigned rsp_prgi = 0;
    unsigned rsp_code = 0;
    bool sm_valid = false;
};

// All outputs of the block.
struct prg_out {
    bool enable = false;
    bool rf = false;
    bool uprgi = false;
    bool stopped = false;
    bool rf_stop = false;
    uint32_t credits_out = 0;
    uint32_t groups_out = 0;
    bool grp_ready = false;
    unsigned grp_cause = 0;
    unsigned grp_prgi = 0;
    bool stall = false;
    bool rsp_ready = false;
    unsigned rsp_cause = 0;
    uint32_t rsp_credits = 0;
    bool abandon = false;
    bool sm_ready = false;
    bool sm_send = false;
};

// Compare two output sets; on the first difference fill *what with "signal expected got".
bool prg_out_equal(const prg_out &expected, const prg_out &got, std::string *what);

class prg_tracker_ref {
public:
    prg_tracker_ref() { reset(); }

    void reset();
    // Outputs during the current cycle, for these inputs.
    prg_out eval(const prg_in &in) const;
    // Rising clock edge with these inputs.
    void clock(const prg_in &in);

private:
    // The decisions of one cycle, from the state at its start.
    struct decision {
        bool usable;
        bool size_ok;
        bool fits;
        int free_index;  // the index a grant takes, -1 if none is free
        unsigned grp_cause;
        unsigned rsp_cause;
    };
    decision decide(const prg_in &in) const;
    int find_free() const;

    bool m_enable, m_rf, m_uprgi, m_rf_stop;
    // group at each index: 0 = index free, otherwise its credits (every group holds >= 1)
    std::array<uint32_t, NUM_PRGI> m_group;
    unsigned m_next;
    uint64_t m_credits_out;
    unsigned m_groups_out;
};

}  // namespace prgt

#endif  // PRISIM_TB_RTL_PRG_TRACKER_REF_H
