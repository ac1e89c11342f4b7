// SPDX-License-Identifier: Apache-2.0
//
// Clocking wrapper of the Verilated prg_tracker: one cycle per handshake,
// evaluated with the clock low (decisions) and at the rising edge (effects).
// The Verilated headers come first: they must not see SystemC, and they are
// not -Wextra clean.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Vprg_tracker.h"
#include "verilated.h"
#pragma GCC diagnostic pop

#include "device/prg_engine.h"

#include "common/host_ticks.h"
#include "common/rtl_reset.h"

namespace prisim::device {

// The context is set to one thread before a model is added to it: by
// default it takes the host's hardware concurrency and starts a pool of
// worker threads for it (the block is single-threaded).
prg_rtl_context::prg_rtl_context() : m_ctx(std::make_unique<VerilatedContext>()) { m_ctx->threads(1); }

prg_rtl_context::~prg_rtl_context() = default;

prg_engine::prg_engine(std::shared_ptr<prg_rtl_context> ctx, const char* name)
    : m_ctx(ctx ? std::move(ctx) : std::make_shared<prg_rtl_context>())
{
    // A model registers its scopes (with assertions) in the thread's current
    // context: make it this block's.
    Verilated::threadContextp(m_ctx->get());
    m_top = std::make_unique<Vprg_tracker>(m_ctx->get(), name);
    // Power-on reset: an asynchronous reset pulse plus one edge under reset.
    Vprg_tracker& t = *m_top;
    idle_inputs();
    t.alloc_i = 0;
    prisim::rtl_power_on_reset(t);
    m_evals += 4;
}

// Verilator erases a model's scopes (with assertions) through the thread's
// current context (Verilated::threadContextp, by default the last context
// constructed, possibly one that is already gone): make it this block's while
// its model goes, and leave none behind.
prg_engine::~prg_engine()
{
    Verilated::threadContextp(m_ctx->get());
    m_top->final();
    m_top.reset();
    Verilated::threadContextp(nullptr);
}

void prg_engine::idle_inputs()
{
    Vprg_tracker& t = *m_top;
    t.ctrl_we_i = 0;
    t.ctrl_wdata_i = 0;
    t.status_we_i = 0;
    t.status_wdata_i = 0;
    t.grp_valid_i = 0;
    t.grp_npages_i = 0;
    t.rsp_valid_i = 0;
    t.rsp_prgi_i = 0;
    t.rsp_code_i = 0;
    t.sm_valid_i = 0;
}

void prg_engine::set_alloc(uint32_t alloc)
{
    if (alloc != m_alloc) m_stalled = false;
    m_alloc = alloc;
}

// The clock is low after the reset and high after an edge: lowering it is
// no edge for the block (its registers are posedge / async-reset only).
void prg_engine::eval_low()
{
    m_top->alloc_i = m_alloc;
    m_top->clk_i = 0;
    m_top->eval();
    ++m_evals;
}

void prg_engine::edge()
{
    m_top->clk_i = 1;
    m_top->eval();
    ++m_evals;
    ++m_edges;
    m_stalled = false;
}

prg_engine::grant prg_engine::group(uint32_t npages)
{
    grant g;
    if (m_stalled && npages == m_stalled_npages) return g; // same state, same inputs: waits
    prisim::tick_scope h(m_host_ticks);
    Vprg_tracker& t = *m_top;
    idle_inputs();
    t.grp_valid_i = 1;
    t.grp_npages_i = npages;
    eval_low();
    if (!t.grp_ready_o) {
        m_stalled = true;
        m_stalled_npages = npages;
        return g;
    }
    g.cause = static_cast<grp_cause>(t.grp_cause_o);
    g.prgi = t.grp_prgi_o;
    if (g.cause == grp_cause::granted) edge(); // a refused group changes nothing
    return g;
}

prg_engine::answer prg_engine::response(unsigned prgi, unsigned code)
{
    prisim::tick_scope h(m_host_ticks);
    Vprg_tracker& t = *m_top;
    idle_inputs();
    t.rsp_valid_i = 1;
    t.rsp_prgi_i = prgi & 0x1FF;
    t.rsp_code_i = code & 0xF;
    eval_low();
    answer a;
    a.cause = static_cast<rsp_cause>(t.rsp_cause_o);
    a.credits = t.rsp_credits_o;
    a.abandon = t.abandon_o;
    if (a.cause != rsp_cause::ignored) edge(); // ignored after Response Failure: nothing changes
    return a;
}

bool prg_engine::stop_marker()
{
    prisim::tick_scope h(m_host_ticks);
    Vprg_tracker& t = *m_top;
    idle_inputs();
    t.sm_valid_i = 1;
    eval_low();
    const bool send = t.sm_send_o;
    if (send) edge(); // it leaves in this cycle; nothing in the block changes
    return send;
}

bool prg_engine::write(bool ctrl_we, uint16_t ctrl, bool status_we, uint16_t status_w1c)
{
    prisim::tick_scope h(m_host_ticks);
    Vprg_tracker& t = *m_top;
    idle_inputs();
    t.ctrl_we_i = ctrl_we;
    t.ctrl_wdata_i = ctrl;
    t.status_we_i = status_we;
    t.status_wdata_i = status_w1c;
    eval_low();
    const bool abandon = t.abandon_o;
    edge();
    return abandon;
}

bool prg_engine::enable() const { return m_top->enable_o; }
bool prg_engine::rf() const { return m_top->rf_o; }
bool prg_engine::uprgi() const { return m_top->uprgi_o; }
bool prg_engine::stopped() const { return m_top->stopped_o; }
bool prg_engine::rf_stop() const { return m_top->rf_stop_o; }
uint32_t prg_engine::credits_out() const { return m_top->credits_out_o; }
unsigned prg_engine::groups_out() const { return m_top->groups_out_o; }

} // namespace prisim::device
