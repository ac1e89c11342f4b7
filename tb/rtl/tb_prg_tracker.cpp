// SPDX-License-Identifier: Apache-2.0
//
// Description: rtl/prg_tracker.sv against its C++ reference, cycle by cycle, with one directed
// case per rule of the device-side PRI engine (values checked against the spec digest
// pcie-pri.md, not only the reference) and a long seeded random sequence.
//
// Usage: tb_prg_tracker [+trace] [+seed=N] [+cycles=N]
//   +trace     write tb_prg_tracker_<case>.fst per case
//   +seed=N    seed of the random case (default 1)
//   +cycles=N  length of the random case (default 200000)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka 1.1 has no C++ guards of its own
#include <cmocka.h>
}

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "prg_bench.h"
#include "vl_bench.h"

using namespace prgt;

namespace {

using rtlbench::run_opts;

struct test_ctx {
    const char *name;
    const run_opts *opts;
    prg_bench *b;
};

int setup(void **state)
{
    test_ctx *ctx = static_cast<test_ctx *>(*state);

    ctx->b = new prg_bench(ctx->name, ctx->opts->trace, ctx->opts->seed);
    return 0;
}

int teardown(void **state)
{
    test_ctx *ctx = static_cast<test_ctx *>(*state);

    delete ctx->b;
    ctx->b = nullptr;
    return 0;
}

prg_bench *bench(void **state)
{
    return static_cast<test_ctx *>(*state)->b;
}

// Program the allocation and set Enable.
void enable_pri(prg_bench *b, uint32_t alloc)
{
    b->in.alloc = alloc;
    assert_true(b->ctrl_write(CTRL_ENABLE));
    assert_true(b->now().enable);
    assert_false(b->now().stopped);
}

// Send a group that must be granted at once; returns its index.
unsigned grant(prg_bench *b, uint32_t n)
{
    grp_ev ev;
    uint64_t waited = 0;

    assert_true(b->send_group(n, &ev, &waited, 1));
    assert_int_equal(waited, 0);
    assert_int_equal(ev.cause, GRP_GRANTED);
    return ev.prgi;
}

void check_rsp(prg_bench *b, unsigned prgi, unsigned code, unsigned cause, uint32_t credits)
{
    rsp_ev ev;

    assert_true(b->respond(prgi, code, &ev));
    if (ev.cause != cause)
        std::fprintf(stderr, "response prgi %u code %u: %s, expected %s\n", prgi, code,
                     rsp_cause_name(ev.cause), rsp_cause_name(cause));
    assert_int_equal(ev.cause, cause);
    assert_int_equal(ev.credits, credits);
}

// ---------------------------------------------------------------------------------------

// After reset: disabled, Stopped (nothing outstanding), no status bits, no credits in use.
void test_reset_values(void **state)
{
    prg_bench *b = bench(state);

    assert_true(b->run(3));
    assert_false(b->out().enable);
    assert_true(b->out().stopped);
    assert_false(b->out().rf);
    assert_false(b->out().uprgi);
    assert_int_equal(b->out().credits_out, 0);
    assert_int_equal(b->out().groups_out, 0);
    assert_true(b->out().rsp_ready);
    assert_false(b->out().abandon);
}

// §5: Enable 0 = no page requests: a group is refused (no credit, no index), a Stop Marker
// is not sent; a group of 0 pages or larger than the allocation can never be sent.
void test_refused(void **state)
{
    prg_bench *b = bench(state);
    grp_ev ev;

    b->in.alloc = 8;
    assert_true(b->send_group(2, &ev));
    assert_int_equal(ev.cause, GRP_REFUSED_OFF);
    b->in.sm_valid = true;
    assert_true(b->step());
    assert_int_equal(b->sm_dropped, 1);
    assert_int_equal(b->now().credits_out, 0);

    enable_pri(b, 8);
    assert_true(b->send_group(0, &ev));
    assert_int_equal(ev.cause, GRP_REFUSED_SIZE);
    assert_true(b->send_group(9, &ev));
    assert_int_equal(ev.cause, GRP_REFUSED_SIZE);
    assert_int_equal(b->now().credits_out, 0);
    assert_int_equal(b->now().groups_out, 0);
    b->in.sm_valid = true;
    assert_true(b->step());
    assert_int_equal(b->sm_sent, 1);  // §3: a Stop Marker takes no credit
    assert_int_equal(b->now().credits_out, 0);

    // allocation 0: nothing can ever be sent
    b->in.alloc = 0;
    assert_true(b->send_group(1, &ev));
    assert_int_equal(ev.cause, GRP_REFUSED_SIZE);
}

// §6: one credit per page request, taken when the group is sent, never beyond the
// allocation; the response returns the group's credits whatever its code; a group that needs
// more credits than are free waits with stall_o until enough come back.
void test_credits_multi_page(void **state)
{
    prg_bench *b = bench(state);
    grp_ev ev;
    uint64_t waited = 0;

    enable_pri(b, 8);
    const unsigned g0 = grant(b, 3);
    const unsigned g1 = grant(b, 3);
    assert_int_equal(g0, 0);
    assert_int_equal(g1, 1);
    assert_int_equal(b->now().credits_out, 6);
    assert_int_equal(b->now().groups_out, 2);

    // 3 more do not fit in 8: the group waits, stall_o every cycle
    const uint64_t stalls0 = b->stall_cycles;
    assert_true(b->send_group(3, &ev, &waited, 10));
    assert_int_equal(ev.cause, GRP_NONE);
    assert_int_equal(b->stall_cycles - stalls0, 10);
    assert_int_equal(b->now().credits_out, 6);

    // 2 fit exactly: credits reach the allocation
    const unsigned g2 = grant(b, 2);
    assert_int_equal(g2, 2);
    assert_int_equal(b->now().credits_out, 8);

    // a Success returns 3, an Invalid Request 3; the credits are free in the next cycle
    check_rsp(b, g1, CODE_INVALID, RSP_INVALID, 3);
    assert_int_equal(b->now().credits_out, 5);
    assert_int_equal(b->now().groups_out, 2);

    // the waiting group of 3 now fits: granted in the cycle it is presented
    b->in.grp_valid = true;
    b->in.grp_npages = 3;
    b->in.rsp_valid = true;  // and a response in the same cycle
    b->in.rsp_prgi = g0;
    b->in.rsp_code = CODE_SUCCESS;
    assert_true(b->step());
    assert_int_equal(b->grps.back().cause, GRP_GRANTED);
    assert_int_equal(b->grps.back().prgi, 3);
    assert_int_equal(b->rsps.back().cause, RSP_SUCCESS);
    assert_int_equal(b->rsps.back().credits, 3);
    assert_int_equal(b->now().credits_out, 5);  // 5 + 3 - 3
    assert_int_equal(b->now().groups_out, 2);

    check_rsp(b, g2, CODE_SUCCESS, RSP_SUCCESS, 2);
    check_rsp(b, 3, CODE_SUCCESS, RSP_SUCCESS, 3);
    assert_int_equal(b->now().credits_out, 0);
    assert_int_equal(b->now().groups_out, 0);
}

// §2: 512 PRG indices; every one can be in use at once; with all in use a group waits even
// with credits free; indices are handed out round robin (the next free one after the last).
void test_all_512_indices(void **state)
{
    prg_bench *b = bench(state);
    grp_ev ev;
    uint64_t waited = 0;

    enable_pri(b, 2000);
    for (unsigned i = 0; i < NUM_PRGI; i++)
        assert_int_equal(grant(b, 1 + (i % 3)), i);
    assert_int_equal(b->now().groups_out, 512);
    assert_int_equal(b->now().credits_out, 171 * 1 + 171 * 2 + 170 * 3);

    assert_true(b->send_group(1, &ev, &waited, 5));
    assert_int_equal(ev.cause, GRP_NONE);
    assert_true(b->out().stall);

    // free 100: it is the only free index
    check_rsp(b, 100, CODE_SUCCESS, RSP_SUCCESS, 1 + (100 % 3));
    assert_int_equal(grant(b, 1), 100);
    // free 7 and 5: the search starts after 100 and wraps to 5
    check_rsp(b, 7, CODE_SUCCESS, RSP_SUCCESS, 1 + (7 % 3));
    check_rsp(b, 5, CODE_INVALID, RSP_INVALID, 1 + (5 % 3));
    assert_int_equal(grant(b, 1), 5);
    assert_int_equal(grant(b, 1), 7);

    // answer everything: the bookkeeping returns to 0
    for (unsigned i = 0; i < NUM_PRGI; i++)
        check_rsp(b, i, CODE_SUCCESS, RSP_SUCCESS, (i == 5 || i == 7 || i == 100) ? 1 : 1 + i % 3);
    assert_int_equal(b->now().groups_out, 0);
    assert_int_equal(b->now().credits_out, 0);

    // the next index is the one after the last allocated (7), not the lowest free one
    assert_int_equal(grant(b, 1), 8);
}

// §4.2: a response whose index has no outstanding group sets UPRGI and returns nothing;
// UPRGI is sticky until written 1; a hardware set wins over a W1C in the same cycle.
void test_uprgi(void **state)
{
    prg_bench *b = bench(state);

    enable_pri(b, 4);
    const unsigned g = grant(b, 2);
    check_rsp(b, g + 1, CODE_SUCCESS, RSP_UNEXPECTED, 0);
    assert_true(b->now().uprgi);
    assert_int_equal(b->now().credits_out, 2);
    assert_int_equal(b->now().groups_out, 1);
    assert_true(b->run(5));
    assert_true(b->now().uprgi);

    // W1C of RF alone leaves UPRGI
    assert_true(b->status_w1c(STATUS_RF));
    assert_true(b->now().uprgi);
    assert_true(b->status_w1c(STATUS_UPRGI));
    assert_false(b->now().uprgi);

    // an answered group's index is unexpected the second time
    check_rsp(b, g, CODE_SUCCESS, RSP_SUCCESS, 2);
    assert_false(b->now().uprgi);
    b->in.status_we = true;
    b->in.status_wdata = STATUS_UPRGI;
    check_rsp(b, g, CODE_SUCCESS, RSP_UNEXPECTED, 0);
    assert_true(b->now().uprgi);
    assert_int_equal(b->now().credits_out, 0);

    // a Response Failure for an unknown index is only unexpected: no RF
    check_rsp(b, 300, CODE_FAILURE, RSP_UNEXPECTED, 0);
    assert_false(b->now().rf);
    assert_false(b->now().rf_stop);
}

// §4.1: Response Failure (and the unused codes) set RF and stop page requests; the other
// outstanding groups are given up, later responses ignored; RF is W1C but the stop lasts
// until Enable goes 0 -> 1; Reset (only while disabled) clears RF, UPRGI and the stop.
void test_rf_stop_and_reset(void **state)
{
    prg_bench *b = bench(state);
    grp_ev ev;

    enable_pri(b, 16);
    const unsigned g0 = grant(b, 4);
    const unsigned g1 = grant(b, 4);
    const unsigned g2 = grant(b, 4);
    check_rsp(b, g1, CODE_FAILURE, RSP_FAILURE, 4);
    assert_int_equal(b->abandons.size(), 1);
    assert_true(b->now().rf);
    assert_true(b->now().rf_stop);
    assert_int_equal(b->now().credits_out, 0);
    assert_int_equal(b->now().groups_out, 0);

    assert_true(b->send_group(1, &ev));
    assert_int_equal(ev.cause, GRP_REFUSED_OFF);
    b->in.sm_valid = true;
    assert_true(b->step());
    assert_int_equal(b->sm_dropped, 1);
    check_rsp(b, g0, CODE_SUCCESS, RSP_IGNORED, 0);
    check_rsp(b, 400, CODE_SUCCESS, RSP_IGNORED, 0);  // ignored, not unexpected
    assert_false(b->now().uprgi);

    // W1C RF: the bit clears, PRI stays stopped
    assert_true(b->status_w1c(STATUS_RF));
    assert_false(b->now().rf);
    assert_true(b->now().rf_stop);
    assert_true(b->send_group(1, &ev));
    assert_int_equal(ev.cause, GRP_REFUSED_OFF);

    // re-enable ends the stop
    assert_true(b->ctrl_write(0));
    assert_true(b->now().stopped);
    assert_true(b->ctrl_write(CTRL_ENABLE));
    assert_false(b->now().rf_stop);
    const unsigned g3 = grant(b, 16);
    assert_int_equal(g3, g2 + 1);  // the round robin carries on

    // a reserved code (0010b-1110b) is a Response Failure
    check_rsp(b, g3, 0x2, RSP_FAILURE, 16);
    assert_true(b->now().rf);
    assert_true(b->now().rf_stop);

    // Reset while enabled does nothing
    b->in.sm_valid = false;
    assert_true(b->ctrl_write(CTRL_ENABLE | CTRL_RESET));
    assert_true(b->now().rf);
    assert_true(b->now().rf_stop);

    // disable, then Reset: RF, UPRGI and the stop are cleared; Enable stays 0
    check_rsp(b, 0, CODE_SUCCESS, RSP_IGNORED, 0);
    assert_true(b->ctrl_write(0));
    b->in.rsp_valid = false;
    assert_true(b->ctrl_write(CTRL_RESET));
    assert_int_equal(b->abandons.size(), 3);
    assert_false(b->now().rf);
    assert_false(b->now().uprgi);
    assert_false(b->now().rf_stop);
    assert_false(b->now().enable);
    assert_true(b->now().stopped);
    enable_pri(b, 16);
    grant(b, 1);

    // a Failure in the cycle a group is granted: that group is given up too
    b->in.grp_valid = true;
    b->in.grp_npages = 2;
    b->in.rsp_valid = true;
    b->in.rsp_prgi = b->grps.back().prgi;
    b->in.rsp_code = 0xE;
    assert_true(b->step());
    assert_int_equal(b->grps.back().cause, GRP_GRANTED);
    assert_int_equal(b->rsps.back().cause, RSP_FAILURE);
    assert_int_equal(b->now().groups_out, 0);
    assert_int_equal(b->now().credits_out, 0);
}

// Reset with groups outstanding (PRI disabled before their responses): the bookkeeping is
// cleared, the late responses are then unexpected.
void test_reset_outstanding(void **state)
{
    prg_bench *b = bench(state);

    enable_pri(b, 8);
    const unsigned g0 = grant(b, 5);
    assert_true(b->ctrl_write(0));
    assert_false(b->now().stopped);
    assert_true(b->ctrl_write(CTRL_RESET));
    assert_true(b->now().stopped);
    assert_int_equal(b->now().credits_out, 0);
    check_rsp(b, g0, CODE_SUCCESS, RSP_UNEXPECTED, 0);
    assert_true(b->now().uprgi);
}

// §5: Stopped = Enable 0 and no page request outstanding; responses keep being matched
// while disabled; Stopped reads 0 whenever Enable is 1.
void test_stopped(void **state)
{
    prg_bench *b = bench(state);
    grp_ev ev;

    assert_true(b->now().stopped);
    enable_pri(b, 8);
    assert_false(b->now().stopped);  // enabled, nothing outstanding
    const unsigned g0 = grant(b, 1);
    const unsigned g1 = grant(b, 2);

    assert_true(b->ctrl_write(0));
    assert_false(b->now().enable);
    assert_false(b->now().stopped);
    assert_true(b->send_group(1, &ev));
    assert_int_equal(ev.cause, GRP_REFUSED_OFF);

    check_rsp(b, g1, CODE_SUCCESS, RSP_SUCCESS, 2);
    assert_false(b->now().stopped);
    check_rsp(b, g0, CODE_INVALID, RSP_INVALID, 1);
    assert_true(b->now().stopped);
    assert_int_equal(b->now().credits_out, 0);

    // re-enable: Stopped drops at once
    assert_true(b->ctrl_write(CTRL_ENABLE));
    assert_false(b->now().stopped);
}

// Lowering the allocation below the credits in use: nothing is granted until enough come
// back; raising it lets the waiting group go.
void test_alloc_change(void **state)
{
    prg_bench *b = bench(state);
    grp_ev ev;
    uint64_t waited = 0;

    enable_pri(b, 10);
    const unsigned g0 = grant(b, 6);
    b->in.alloc = 4;
    assert_true(b->send_group(1, &ev, &waited, 3));
    assert_int_equal(ev.cause, GRP_NONE);
    b->in.alloc = 7;
    assert_true(b->send_group(1, &ev, &waited, 3));
    assert_int_equal(ev.cause, GRP_GRANTED);
    assert_int_equal(waited, 0);
    check_rsp(b, g0, CODE_SUCCESS, RSP_SUCCESS, 6);
    assert_int_equal(b->now().credits_out, 1);
}

// ---------------------------------------------------------------------------------------

struct random_stats {
    uint64_t grp[GRP_CAUSE_COUNT] = {};
    uint64_t rsp[RSP_CAUSE_COUNT] = {};
    uint64_t enables = 0, disables = 0, resets = 0, resets_ignored = 0, w1c = 0;
    uint64_t full_512 = 0, stopped_cycles = 0;
};

bool run_random(const test_ctx *ctx)
{
    prg_bench *b = ctx->b;
    const uint64_t cycles = ctx->opts->cycles;
    random_stats st;
    std::map<unsigned, uint32_t> open;  // the environment's own view: index -> pages
    uint64_t open_credits = 0;
    static const uint32_t allocs[] = {1, 2, 3, 5, 8, 16, 32, 600, 1000, 4096};

    b->in.alloc = allocs[b->rng.below(10)];
    bool drain = false;
    for (uint64_t c = 0; c < cycles && !b->failed(); c++) {
        prg_in &in = b->in;
        if (c % 4000 == 0)
            drain = !drain;
        // One phase in five floods the engine with small groups and a large allocation, so
        // that all 512 indices come into use.
        const bool flood = c % 20000 < 4000;
        if (c % 20000 == 0)
            in.alloc = 2048;

        if (!in.grp_valid && b->rng.chance(flood ? 900 : drain ? 150 : 500)) {
            in.grp_valid = true;
            const unsigned k = unsigned(b->rng.below(100));
            const uint32_t lim = in.alloc < 8 ? in.alloc : 8;
            if (k < 2)
                in.grp_npages = 0;
            else if (k < 4)
                in.grp_npages = in.alloc + 1 + uint32_t(b->rng.below(3));
            else if (k < 50 || flood)
                in.grp_npages = 1;
            else
                in.grp_npages = 1 + uint32_t(b->rng.below(lim ? lim : 1));
        }
        if (!open.empty() && b->rng.chance(flood ? 30 : drain ? 500 : 120)) {
            auto it = open.begin();
            std::advance(it, b->rng.below(open.size()));
            in.rsp_valid = true;
            in.rsp_prgi = it->first;
            const unsigned k = unsigned(b->rng.below(1000));
            in.rsp_code = k < 850 ? CODE_SUCCESS : k < 996 ? CODE_INVALID
                        : k < 998 ? CODE_FAILURE : 2 + unsigned(b->rng.below(13));
        } else if (b->rng.chance(5)) {
            in.rsp_valid = true;
            in.rsp_prgi = unsigned(b->rng.below(NUM_PRGI));
            in.rsp_code = unsigned(b->rng.below(16));
        }
        const prg_out pre = b->now();
        if (pre.enable && b->rng.chance(pre.rf_stop ? 20 : flood ? 0 : 1)) {
            in.ctrl_we = true;
            in.ctrl_wdata = b->rng.chance(200) ? CTRL_RESET : 0;  // Reset while enabled: ignored
            st.disables++;
            st.resets_ignored += in.ctrl_wdata != 0;
        } else if (!pre.enable && b->rng.chance(30)) {
            in.ctrl_we = true;
            const bool reset = b->rng.chance(300);
            in.ctrl_wdata = uint16_t((b->rng.chance(800) ? CTRL_ENABLE : 0) | (reset ? CTRL_RESET : 0));
            st.enables += (in.ctrl_wdata & CTRL_ENABLE) != 0;
            st.resets += reset;
            if (b->rng.chance(200))
                in.alloc = allocs[b->rng.below(10)];
        }
        if (b->rng.chance(10)) {
            in.status_we = true;
            in.status_wdata = uint16_t(b->rng.below(4) | (b->rng.below(2) << 8));
            st.w1c++;
        }
        if (!flood && b->rng.chance(3) && in.alloc > 1)
            in.alloc = in.alloc - 1 + uint32_t(b->rng.below(3));  // small drift, any time
        in.sm_valid = b->rng.chance(10);

        const prg_in cur = in;
        if (!b->step())
            return false;
        const prg_out &o = b->out();

        // Independent checks against the environment's own bookkeeping (§6).
        if (o.credits_out != open_credits || o.groups_out != open.size()) {
            b->mark_failed("cycle " + std::to_string(c) + ": credits/groups differ from the " +
                           "environment's count");
            return false;
        }
        if (o.stopped)
            st.stopped_cycles++;
        if (o.groups_out == NUM_PRGI)
            st.full_512++;
        if (cur.grp_valid && o.grp_ready) {
            st.grp[o.grp_cause]++;
            if (o.grp_cause == GRP_GRANTED) {
                if (open.count(o.grp_prgi) || open_credits + cur.grp_npages > cur.alloc) {
                    b->mark_failed("cycle " + std::to_string(c) + ": grant of an index in use or beyond the allocation");
                    return false;
                }
            }
        }
        if (cur.rsp_valid) {
            st.rsp[o.rsp_cause]++;
            const bool matched = o.rsp_cause == RSP_SUCCESS || o.rsp_cause == RSP_INVALID ||
                                 o.rsp_cause == RSP_FAILURE;
            const bool known = open.count(cur.rsp_prgi) != 0;
            if (matched != (known && !pre.rf_stop) ||
                (matched && o.rsp_credits != open[cur.rsp_prgi])) {
                b->mark_failed("cycle " + std::to_string(c) + ": response matched wrongly");
                return false;
            }
            if (matched) {
                open_credits -= open[cur.rsp_prgi];
                open.erase(cur.rsp_prgi);
            }
        }
        if (cur.grp_valid && o.grp_cause == GRP_GRANTED) {
            open[o.grp_prgi] = cur.grp_npages;
            open_credits += cur.grp_npages;
        }
        if (o.abandon) {
            open.clear();
            open_credits = 0;
        }
    }
    if (b->failed())
        return false;

    std::printf("random: %" PRIu64 " cycles, seed %" PRIu64 ", stall cycles %" PRIu64
                ", cycles with 512 indices in use %" PRIu64 ", Stopped cycles %" PRIu64 "\n",
                cycles, ctx->opts->seed, b->stall_cycles, st.full_512, st.stopped_cycles);
    for (unsigned i = 1; i < GRP_CAUSE_COUNT; i++)
        std::printf("  group %-13s %8" PRIu64 "\n", grp_cause_name(i), st.grp[i]);
    for (unsigned i = 1; i < RSP_CAUSE_COUNT; i++)
        std::printf("  response %-10s %8" PRIu64 "\n", rsp_cause_name(i), st.rsp[i]);
    std::printf("  enables %" PRIu64 ", disables %" PRIu64 ", resets %" PRIu64
                " (ignored while enabled %" PRIu64 "), abandons %zu, status writes %" PRIu64
                ", stop markers sent %" PRIu64 " dropped %" PRIu64 "\n",
                st.enables, st.disables, st.resets, st.resets_ignored, b->abandons.size(),
                st.w1c, b->sm_sent, b->sm_dropped);

    // The default-length sequence must reach every rule (short runs skip this).
    if (cycles < 100000)
        return true;
    const uint64_t min = 20;
    bool covered = b->stall_cycles >= min && st.full_512 >= min && st.stopped_cycles >= min &&
                   st.enables >= min && st.resets >= min && st.resets_ignored >= min &&
                   b->abandons.size() >= min && b->sm_sent >= min && b->sm_dropped >= min;
    for (unsigned i = 1; i < GRP_CAUSE_COUNT; i++)
        covered = covered && st.grp[i] >= min;
    for (unsigned i = 1; i < RSP_CAUSE_COUNT; i++)
        covered = covered && st.rsp[i] >= min;
    if (!covered)
        std::fprintf(stderr, "random: sequence did not reach every rule %" PRIu64 " times\n",
                     min);
    return covered;
}

void test_random(void **state)
{
    assert_true(run_random(static_cast<const test_ctx *>(*state)));
}

}  // namespace

int main(int argc, char **argv)
{
    run_opts opts;

    if (!rtlbench::parse_plusargs(argc, argv, opts))
        return 2;

    struct entry {
        const char *name;
        CMUnitTestFunction fn;
    };
    static const entry cases[] = {
        {"reset_values", test_reset_values},
        {"refused", test_refused},
        {"credits_multi_page", test_credits_multi_page},
        {"all_512_indices", test_all_512_indices},
        {"uprgi", test_uprgi},
        {"rf_stop_and_reset", test_rf_stop_and_reset},
        {"reset_outstanding", test_reset_outstanding},
        {"stopped", test_stopped},
        {"alloc_change", test_alloc_change},
        {"random", test_random},
    };
    constexpr size_t n = sizeof(cases) / sizeof(cases[0]);
    std::vector<test_ctx> ctxs(n);
    std::vector<CMUnitTest> tests(n);

    for (size_t i = 0; i < n; i++) {
        ctxs[i] = {cases[i].name, &opts, nullptr};
        tests[i] = {cases[i].name, cases[i].fn, setup, teardown, &ctxs[i]};
    }
    std::printf("rtl.prg_tracker: random seed %" PRIu64 "\n", opts.seed);
    return _cmocka_run_group_tests("rtl.prg_tracker", tests.data(), n, nullptr, nullptr);
}
