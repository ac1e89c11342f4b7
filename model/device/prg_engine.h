// SPDX-License-Identifier: Apache-2.0
//
// prg_engine: runs the Verilated rtl/prg_tracker, the device-side PRI engine
// of one function (pcie-pri.md §2-§6), inside pxdev.
//
// What it models: the block's decisions, cycle for cycle. It owns the
// credits of the Outstanding Page Request Allocation, the 512 PRG indices,
// the matching of PRG Responses to their groups, PRI Control.Enable and PRI
// Status RF, UPRGI and Stopped; pxdev keeps what the block does not (the
// pages of each group, retries, statistics).
//
// Clocked in place (DESIGN.md §5): no process, no settle cycles. Each call
// that hands the block something (a group, a response, a PRI Control /
// Status write) is one clock cycle: the inputs are driven with the clock
// low and evaluated once (the block decides combinationally, from its state
// at the start of the cycle: grp_ready_o, grp_cause_o, grp_prgi_o,
// rsp_cause_o, rsp_credits_o, abandon_o), then one rising edge commits the
// decision (a second evaluation). A cycle whose decision changes no state (a
// group that waits for credits or is refused, a response ignored after
// Response Failure) is not clocked: its edge would leave every register as
// it is. A group that waited is not presented again until the block has
// been clocked or the allocation changed: its answer would be the same.
// Reading the registers (status, counters) reads the block's outputs
// without evaluating it. An idle block costs nothing.
//
// Time: the handshake cycle takes no simulated time. pxdev models no time
// inside the device (only the link and the host cost time), and the block
// decides in the cycle of the handshake, so the group leaves, or the
// response takes effect, at the time the device acted, as before the block
// was used; consecutive handshakes of one activation see each other's
// effects in order, as consecutive cycles would.
#pragma once

#include <cstdint>
#include <memory>

#include "common/host_ticks.h"

class Vprg_tracker;
class VerilatedContext;

namespace prisim::device {

// grp_cause_o at the handshake; `stall` = no handshake (grp_ready_o = 0).
enum class grp_cause : uint8_t { stall = 0, granted = 1, refused_off = 2, refused_size = 3 };
// rsp_cause_o at the handshake.
enum class rsp_cause : uint8_t { none = 0, success = 1, invalid = 2, failure = 3, unexpected = 4, ignored = 5 };

// A Verilator context for the blocks of several devices (one per platform):
// a context costs about 1.5 KiB of host memory, the block itself 2.6 KiB.
// One thread (the blocks are evaluated by their devices' processes).
class prg_rtl_context {
public:
    prg_rtl_context();
    ~prg_rtl_context();
    prg_rtl_context(const prg_rtl_context&) = delete;
    prg_rtl_context& operator=(const prg_rtl_context&) = delete;
    VerilatedContext* get() const { return m_ctx.get(); }

private:
    std::unique_ptr<VerilatedContext> m_ctx;
};

class prg_engine {
public:
    // ctx: a context shared with other blocks (kept alive while this one
    // lives), or null for one of its own. name: the model's instance name.
    explicit prg_engine(std::shared_ptr<prg_rtl_context> ctx = nullptr, const char* name = "prg_tracker");
    ~prg_engine();
    prg_engine(const prg_engine&) = delete;
    prg_engine& operator=(const prg_engine&) = delete;

    // alloc_i: the Outstanding Page Request Allocation the block works with
    // (the configuration space passes min(Allocation, Capacity)). A level
    // input, seen from the next cycle.
    void set_alloc(uint32_t alloc);

    struct grant {
        grp_cause cause = grp_cause::stall;
        unsigned prgi = 0; // when granted
    };
    // A group of n page requests presented for one cycle.
    grant group(uint32_t npages);

    struct answer {
        rsp_cause cause = rsp_cause::none;
        uint32_t credits = 0; // returned by the matched group
        bool abandon = false; // every outstanding group was given up
    };
    // A PRG Response (index, Response Code) taken in one cycle.
    answer response(unsigned prgi, unsigned code);

    // A Stop Marker presented for one cycle (pcie-pri.md §3): true if the
    // block passes it on (PRI enabled and not stopped by Response Failure).
    // It takes no credit and no PRG index, and no response will match it.
    bool stop_marker();

    // A PRI Control and/or Status write (one configuration write), one
    // cycle. Returns abandon_o: the outstanding groups were given up (Reset).
    bool write(bool ctrl_we, uint16_t ctrl, bool status_we, uint16_t status_w1c);

    // Registered outputs, after the last edge.
    bool enable() const;
    bool rf() const;
    bool uprgi() const;
    bool stopped() const;
    bool rf_stop() const;
    uint32_t credits_out() const;
    unsigned groups_out() const;

    uint64_t evals() const { return m_evals; }
    uint64_t edges() const { return m_edges; }
    uint64_t host_ticks() const { return m_host_ticks.estimate(); } // common/host_ticks.h

private:
    void eval_low();  // inputs driven, clock low: the cycle's decisions
    void edge();      // rising edge: the decisions take effect
    void idle_inputs();

    std::shared_ptr<prg_rtl_context> m_ctx;
    std::unique_ptr<Vprg_tracker> m_top;
    uint32_t m_alloc = 0;
    // The last group that waited (no handshake), while no edge and no
    // allocation change happened since: presenting it again gives the same.
    bool m_stalled = false;
    uint32_t m_stalled_npages = 0;
    uint64_t m_evals = 0, m_edges = 0;
    prisim::sampled_ticks m_host_ticks; // host time in the calls that clock the block
};

} // namespace prisim::device
