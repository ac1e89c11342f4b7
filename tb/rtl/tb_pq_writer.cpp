// SPDX-License-Identifier: Apache-2.0
//
// Description: rtl/pq_writer.sv against its C++ reference, cycle by cycle, with one directed
// case per spec rule (values checked against the spec digest, not only the reference) and a
// long seeded random sequence.
//
// Usage: tb_pq_writer [+trace] [+seed=N] [+cycles=N]
//   +trace     write tb_pq_writer_<case>.fst per case (when built with FST support)
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
#include <vector>

#include "pq_bench.h"
#include "vl_bench.h"

using namespace pqw;

namespace {

using rtlbench::run_opts;

struct test_ctx {
    const char *name;
    const run_opts *opts;
    pq_bench *b;
};

constexpr uint64_t PQB_PPN = 0x80123;  // queue at 0x80123000
constexpr unsigned LOG2SZM1_4 = 1;     // N = 4 entries

int setup(void **state)
{
    test_ctx *ctx = static_cast<test_ctx *>(*state);

    ctx->b = new pq_bench(ctx->name, ctx->opts->trace, ctx->opts->seed);
    return 0;
}

int teardown(void **state)
{
    test_ctx *ctx = static_cast<test_ctx *>(*state);

    delete ctx->b;
    ctx->b = nullptr;
    return 0;
}

pq_bench *bench(void **state)
{
    return static_cast<test_ctx *>(*state)->b;
}

page_req preq(unsigned prgi, bool last, bool pv = true, bool prpr = true)
{
    page_req r;
    r.did = 0x000005;  // RID 5
    r.pv = pv;
    r.pid = 0x42;
    r.payload = make_payload(true, false, last, prgi, 0x7f0000000000ull + (prgi << 12));
    r.prpr = prpr;
    return r;
}

page_req stop_marker(bool pv)
{
    page_req r = preq(0, true, pv);
    r.payload = make_payload(false, false, true, 0, 0x1000);
    return r;
}

// Program pqb / pqh and enable the queue; fails the case if pqon does not come up.
void enable_queue(pq_bench *b, unsigned log2szm1, bool pie)
{
    b->in.pqb_ppn = PQB_PPN;
    b->in.pqb_log2szm1 = log2szm1;
    b->in.pqh = 0;
    assert_true(b->csr_write_wait(PQCSR_PQEN | (pie ? PQCSR_PIE : 0)));
    assert_int_equal(b->now().pqcsr & (PQCSR_PQON | PQCSR_BUSY), PQCSR_PQON);
}

void check_done(pq_bench *b, const page_req &r, unsigned cause, bool ar)
{
    done_ev ev;

    assert_true(b->send(r, &ev));
    if (ev.cause != cause || ev.ar != ar)
        std::fprintf(stderr, "done: cause %s ar %d, expected %s ar %d\n", cause_name(ev.cause),
                     ev.ar, cause_name(cause), ar);
    assert_int_equal(ev.cause, cause);
    assert_int_equal(ev.ar, ar);
}

// ---------------------------------------------------------------------------------------

// §1: pqcsr, pqt and the handshakes are all 0 after reset.
void test_reset_values(void **state)
{
    pq_bench *b = bench(state);

    assert_true(b->run(3));
    assert_int_equal(b->out().pqcsr, 0);
    assert_int_equal(b->out().pqt, 0);
    assert_true(b->out().req_ready);
    assert_false(b->out().mem_req_valid);
    assert_false(b->out().ar_valid);
    assert_false(b->out().done);
    assert_false(b->out().pip_set);
}

// §6.2: a queue of N entries holds N-1 records; the record format follows §12.
void test_capacity_n_minus_1(void **state)
{
    pq_bench *b = bench(state);
    page_req r;

    enable_queue(b, LOG2SZM1_4, true);
    for (unsigned i = 0; i < 3; i++) {
        r = preq(i, true, i != 2);  // the third one has no PASID
        r.priv = true;
        r.exec = (i != 0);
        check_done(b, r, CAUSE_QUEUED, false);
        assert_int_equal(b->now().pqt, i + 1);
        assert_int_equal(b->writes.size(), i + 1);
        assert_int_equal(b->writes[i].addr, (PQB_PPN << 12) | (i * 16));
        assert_int_equal(b->writes[i].hdr, expected_record_hdr(r));
        assert_int_equal(b->writes[i].payload, r.payload);
    }
    // spot-check the packing with literals: DID 5, PV, PRIV, PID 0x42; then without a
    // PASID, PRIV and EXEC read 0 (§12)
    assert_int_equal(b->writes[0].hdr, 0x0000050300042000ull);
    assert_int_equal(b->writes[2].hdr, 0x0000050000042000ull);
    assert_int_equal(b->ars.size(), 0);

    // 4th request: full, pqof, auto Success with PASID (PRPR = 1), §13.1 step 9
    check_done(b, preq(3, true), CAUSE_DROP_FULL, true);
    assert_int_equal(b->writes.size(), 3);
    assert_int_equal(b->now().pqt, 3);
    assert_true(b->now().pqcsr & PQCSR_PQOF);
    assert_int_equal(b->ars.size(), 1);
    assert_int_equal(b->ars[0].code, AR_SUCCESS);
    assert_int_equal(b->ars[0].prgi, 3);
    assert_int_equal(b->ars[0].did, 5);
    assert_true(b->ars[0].pv);
    assert_int_equal(b->ars[0].pid, 0x42);
    // pip_set: one per record plus one for pqof 0 -> 1
    assert_int_equal(b->pip_cycles.size(), 4);
}

// §13.5: pqof discards everything, even after the queue drained, until W1C.
void test_sticky_pqof(void **state)
{
    pq_bench *b = bench(state);

    enable_queue(b, LOG2SZM1_4, true);
    for (unsigned i = 0; i < 3; i++)
        check_done(b, preq(i, true), CAUSE_QUEUED, false);
    check_done(b, preq(3, true), CAUSE_DROP_FULL, true);
    const size_t pips = b->pip_cycles.size();

    b->in.pqh = 3;  // software drained everything
    assert_true(b->run(2));
    check_done(b, preq(4, true), CAUSE_DROP_OVERFLOW, true);
    assert_int_equal(b->ars.back().code, AR_SUCCESS);
    check_done(b, preq(5, false), CAUSE_DROP_OVERFLOW, false);
    check_done(b, stop_marker(true), CAUSE_DROP_OVERFLOW, false);
    assert_int_equal(b->pip_cycles.size(), pips);  // no new interrupt
    assert_int_equal(b->writes.size(), 3);
    assert_int_equal(b->now().pqt, 3);

    // W1C pqof (keep pqen and pie)
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PIE | PQCSR_PQOF));
    assert_int_equal(b->now().pqcsr, PQCSR_PQEN | PQCSR_PIE | PQCSR_PQON);
    check_done(b, preq(6, true), CAUSE_QUEUED, false);
    assert_int_equal(b->writes.back().addr, (PQB_PPN << 12) | (3 * 16));
    assert_int_equal(b->now().pqt, 0);  // wrapped
    assert_int_equal(b->pip_cycles.size(), pips + 1);
}

// Overflow policies (pcie-pri.md §9): riscv and smmuv3 auto-answer Success to every L=1
// request discarded on overflow, the one that found the queue full included; with
// ovf_auto_resp_i = 0 (vtd) they are discarded without a response. Everything else is
// the same: pqof sticky until W1C, no records written, one interrupt for pqof 0 -> 1.
void overflow_policy_case(void **state, bool ovf_auto_resp)
{
    pq_bench *b = bench(state);

    b->in.ovf_auto_resp = ovf_auto_resp;
    enable_queue(b, LOG2SZM1_4, true);
    for (unsigned i = 0; i < 3; i++)
        check_done(b, preq(i, true), CAUSE_QUEUED, false);
    check_done(b, preq(3, true), CAUSE_DROP_FULL, ovf_auto_resp);
    assert_true(b->now().pqcsr & PQCSR_PQOF);
    const size_t pips = b->pip_cycles.size();
    assert_int_equal(pips, 4);

    b->in.pqh = 3;  // software drained everything: still discarded
    assert_true(b->run(2));
    check_done(b, preq(4, true), CAUSE_DROP_OVERFLOW, ovf_auto_resp);
    check_done(b, preq(5, false), CAUSE_DROP_OVERFLOW, false);
    check_done(b, stop_marker(true), CAUSE_DROP_OVERFLOW, false);
    assert_int_equal(b->ars.size(), ovf_auto_resp ? 2 : 0);
    for (const auto &a : b->ars)
        assert_int_equal(a.code, AR_SUCCESS);
    assert_int_equal(b->pip_cycles.size(), pips);
    assert_int_equal(b->writes.size(), 3);

    // the acknowledgement (W1C pqof) ends it under every policy
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PIE | PQCSR_PQOF));
    check_done(b, preq(6, true), CAUSE_QUEUED, false);
    assert_int_equal(b->writes.size(), 4);
}

void test_overflow_policy_riscv(void **state) { overflow_policy_case(state, true); }
void test_overflow_policy_smmuv3(void **state) { overflow_policy_case(state, true); }
void test_overflow_policy_vtd(void **state) { overflow_policy_case(state, false); }

// The overflow policy leaves the other auto-responses alone: with no overflow
// response, a disabled queue and a memory fault still answer Response Failure.
void test_overflow_policy_vtd_keeps_failure(void **state)
{
    pq_bench *b = bench(state);

    b->in.ovf_auto_resp = false;
    check_done(b, preq(0, true), CAUSE_DROP_DISABLED, true);
    assert_int_equal(b->ars.back().code, AR_RESPONSE_FAILURE);
    enable_queue(b, LOG2SZM1_4, true);
    b->mem_err_force.push_back(true);
    check_done(b, preq(1, true), CAUSE_DROP_WRITE_FAULT, true);
    assert_int_equal(b->ars.back().code, AR_RESPONSE_FAILURE);
    check_done(b, preq(2, true), CAUSE_DROP_MEM_FAULT, true);
    assert_int_equal(b->ars.back().code, AR_RESPONSE_FAILURE);
}

// §13.1 step 10 and §13.5: a faulting write sets pqmf and auto-answers Response Failure;
// later messages are dropped with Response Failure until W1C.
void test_pqmf_write_fault(void **state)
{
    pq_bench *b = bench(state);

    enable_queue(b, LOG2SZM1_4, true);
    check_done(b, preq(0, true), CAUSE_QUEUED, false);

    b->mem_err_force.push_back(true);
    check_done(b, preq(1, true), CAUSE_DROP_WRITE_FAULT, true);
    assert_int_equal(b->writes.size(), 2);
    assert_true(b->writes[1].err);
    assert_int_equal(b->now().pqt, 1);  // not advanced
    assert_true(b->now().pqcsr & PQCSR_PQMF);
    assert_int_equal(b->ars.back().code, AR_RESPONSE_FAILURE);
    assert_int_equal(b->ars.back().prgi, 1);
    assert_int_equal(b->pip_cycles.size(), 2);  // record 0, then pqmf 0 -> 1

    check_done(b, preq(2, true), CAUSE_DROP_MEM_FAULT, true);
    assert_int_equal(b->ars.back().code, AR_RESPONSE_FAILURE);
    check_done(b, preq(3, false), CAUSE_DROP_MEM_FAULT, false);
    assert_int_equal(b->writes.size(), 2);
    assert_int_equal(b->pip_cycles.size(), 2);

    // a faulting L = 0 write: pqmf, no response
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PIE | PQCSR_PQMF));
    assert_int_equal(b->now().pqcsr & PQCSR_PQMF, 0);
    b->mem_err_force.push_back(true);
    const size_t ars = b->ars.size();
    check_done(b, preq(4, false), CAUSE_DROP_WRITE_FAULT, false);
    assert_int_equal(b->ars.size(), ars);
    assert_true(b->now().pqcsr & PQCSR_PQMF);

    // W1C pqmf: the next record goes to the slot that faulted
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PIE | PQCSR_PQMF));
    check_done(b, preq(5, true), CAUSE_QUEUED, false);
    assert_int_equal(b->writes.back().addr, (PQB_PPN << 12) | 16);
    assert_int_equal(b->now().pqt, 2);
}

// §13.2: L = 0 requests and Stop Markers are dropped without a response but still set
// pqof; a PASID-less "Stop Marker" is a normal request unless configured otherwise.
void test_silent_discards(void **state)
{
    pq_bench *b = bench(state);

    enable_queue(b, 0, true);  // N = 2: one usable slot
    check_done(b, preq(0, false), CAUSE_QUEUED, false);
    assert_int_equal(b->now().pqt, 1);

    check_done(b, preq(1, false), CAUSE_DROP_FULL, false);
    assert_true(b->now().pqcsr & PQCSR_PQOF);
    assert_int_equal(b->ars.size(), 0);
    assert_int_equal(b->pip_cycles.size(), 2);

    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PIE | PQCSR_PQOF));
    check_done(b, stop_marker(true), CAUSE_DROP_FULL, false);
    assert_true(b->now().pqcsr & PQCSR_PQOF);
    assert_int_equal(b->ars.size(), 0);

    // no PASID, spec default: not a Stop Marker, so it is answered
    check_done(b, stop_marker(false), CAUSE_DROP_OVERFLOW, true);
    assert_int_equal(b->ars.back().code, AR_SUCCESS);
    assert_false(b->ars.back().pv);
    // reference-model option: any L = 1, R = W = 0 message is a Stop Marker
    b->in.stop_marker_needs_pasid = false;
    check_done(b, stop_marker(false), CAUSE_DROP_OVERFLOW, false);
    assert_int_equal(b->ars.size(), 1);

    // a queued Stop Marker is a normal record
    b->in.pqh = 1;
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PIE | PQCSR_PQOF));
    const page_req sm = stop_marker(true);
    check_done(b, sm, CAUSE_QUEUED, false);
    assert_int_equal(b->writes.back().payload, sm.payload);
    assert_int_equal(b->writes.back().addr, (PQB_PPN << 12) | 16);
}

// §13.4: Success carries the PASID only with PRPR; Response Failure always carries it.
void test_pasid_rule(void **state)
{
    pq_bench *b = bench(state);
    page_req r;

    // Response Failure (queue disabled)
    r = preq(7, true, true, false);
    check_done(b, r, CAUSE_DROP_DISABLED, true);
    assert_int_equal(b->ars.back().code, AR_RESPONSE_FAILURE);
    assert_true(b->ars.back().pv);
    assert_int_equal(b->ars.back().pid, 0x42);
    r = preq(8, true, false, true);
    check_done(b, r, CAUSE_DROP_DISABLED, true);
    assert_false(b->ars.back().pv);
    assert_int_equal(b->ars.back().pid, 0);

    // Success (queue full)
    enable_queue(b, 0, false);
    check_done(b, preq(0, false), CAUSE_QUEUED, false);
    r = preq(9, true, true, false);
    check_done(b, r, CAUSE_DROP_FULL, true);
    assert_int_equal(b->ars.back().code, AR_SUCCESS);
    assert_false(b->ars.back().pv);
    assert_int_equal(b->ars.back().pid, 0);
    r = preq(10, true, true, true);
    check_done(b, r, CAUSE_DROP_OVERFLOW, true);
    assert_true(b->ars.back().pv);
    assert_int_equal(b->ars.back().pid, 0x42);
    assert_int_equal(b->ars.back().prgi, 10);
    r = preq(11, true, false, true);
    check_done(b, r, CAUSE_DROP_OVERFLOW, true);
    assert_false(b->ars.back().pv);

    // Response Failure (pqmf) with PRPR = 0 still carries the PASID
    b->in.pqh = 1;
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PQOF));
    b->mem_err_force.push_back(true);
    r = preq(12, true, true, false);
    r.did = 0xABCDEF;
    check_done(b, r, CAUSE_DROP_WRITE_FAULT, true);
    assert_int_equal(b->ars.back().code, AR_RESPONSE_FAILURE);
    assert_true(b->ars.back().pv);
    assert_int_equal(b->ars.back().did, 0xABCDEF);
}

// §7.1: enabling resets pqt and clears pqof / pqmf; busy shows for at least a cycle.
void test_enable_resets(void **state)
{
    pq_bench *b = bench(state);

    enable_queue(b, LOG2SZM1_4, false);
    for (unsigned i = 0; i < 3; i++)
        check_done(b, preq(i, true), CAUSE_QUEUED, false);
    check_done(b, preq(3, true), CAUSE_DROP_FULL, true);
    b->in.pqh = 2;
    assert_true(b->run(1));
    check_done(b, preq(4, true), CAUSE_DROP_OVERFLOW, true);  // pqof still 1
    assert_int_equal(b->now().pqcsr, PQCSR_PQEN | PQCSR_PQON | PQCSR_PQOF);

    // disable: pqt keeps its value while off
    assert_true(b->csr_write(0));
    assert_int_equal(b->now().pqcsr, PQCSR_BUSY | PQCSR_PQON | PQCSR_PQOF);
    assert_true(b->run(1));
    assert_int_equal(b->now().pqcsr, PQCSR_PQOF);
    assert_int_equal(b->now().pqt, 3);

    // enable: busy, then pqon with pqt = 0 and error bits cleared
    b->in.pqh = 0;
    assert_true(b->csr_write(PQCSR_PQEN));
    assert_int_equal(b->now().pqcsr, PQCSR_PQEN | PQCSR_BUSY | PQCSR_PQOF);
    // requests during the transition see the queue off
    check_done(b, preq(5, true), CAUSE_DROP_DISABLED, true);
    assert_int_equal(b->now().pqcsr, PQCSR_PQEN | PQCSR_PQON);
    assert_int_equal(b->now().pqt, 0);

    // pqmf is cleared the same way
    b->mem_err_force.push_back(true);
    check_done(b, preq(6, true), CAUSE_DROP_WRITE_FAULT, true);
    assert_true(b->now().pqcsr & PQCSR_PQMF);
    assert_true(b->csr_write_wait(0));
    assert_true(b->csr_write_wait(PQCSR_PQEN));
    assert_int_equal(b->now().pqcsr, PQCSR_PQEN | PQCSR_PQON);
    check_done(b, preq(7, true), CAUSE_QUEUED, false);
    assert_int_equal(b->writes.back().addr, PQB_PPN << 12);
}

// §7.1: disabling keeps busy = 1 and pqon = 1 until the in-flight write got its response.
void test_disable_in_flight(void **state)
{
    pq_bench *b = bench(state);

    enable_queue(b, LOG2SZM1_4, true);
    b->mem_lat_min = b->mem_lat_max = 20;
    b->reqs.push_back(preq(0, true));
    assert_true(b->run_until([b] { return b->writes.size() == 1; }, 100));
    const uint64_t hs = b->writes[0].cycle;

    assert_true(b->csr_write(PQCSR_PIE));
    uint64_t busy_cycles = 0;
    while (b->dones.empty()) {
        assert_int_equal(b->now().pqcsr, PQCSR_PIE | PQCSR_PQON | PQCSR_BUSY);
        assert_true(b->step());
        busy_cycles++;
        assert_true(busy_cycles < 100);
    }
    assert_int_equal(b->dones[0].cause, CAUSE_QUEUED);
    assert_true(b->dones[0].cycle > hs + 20);
    // the cycle the done pulse shows: pqt advanced, still on and busy; off right after
    assert_int_equal(b->out().pqt, 1);
    assert_int_equal(b->out().pqcsr, PQCSR_PIE | PQCSR_PQON | PQCSR_BUSY);
    assert_int_equal(b->now().pqcsr, PQCSR_PIE);
    assert_int_equal(b->pip_cycles.size(), 1);

    // disable while the write has not been accepted by memory yet: it still completes
    b->mem_lat_min = b->mem_lat_max = 1;
    assert_true(b->csr_write_wait(PQCSR_PQEN));
    b->mem_ready_pm = 0;
    b->reqs.push_back(preq(1, true));
    assert_true(b->run_until([b] { return b->now().mem_req_valid; }, 100));
    assert_true(b->csr_write(0));
    assert_true(b->run(10));
    assert_int_equal(b->now().pqcsr, PQCSR_PQON | PQCSR_BUSY);
    assert_true(b->now().mem_req_valid);
    b->mem_ready_pm = 1000;
    assert_true(b->run_until([b] { return !(b->now().pqcsr & PQCSR_BUSY); }, 100));
    assert_int_equal(b->now().pqcsr, 0);
    assert_int_equal(b->dones.back().cause, CAUSE_QUEUED);
    assert_int_equal(b->now().pqt, 1);  // pqt was reset to 0 by the enable, then advanced
}

// §13.3: requests while disabled (or while being disabled) get Response Failure;
// L = 0 ones are dropped silently.
void test_disabled_rf(void **state)
{
    pq_bench *b = bench(state);

    check_done(b, preq(1, true), CAUSE_DROP_DISABLED, true);
    assert_int_equal(b->ars.back().code, AR_RESPONSE_FAILURE);
    check_done(b, preq(2, false), CAUSE_DROP_DISABLED, false);
    check_done(b, stop_marker(true), CAUSE_DROP_DISABLED, false);
    assert_int_equal(b->ars.size(), 1);
    assert_int_equal(b->writes.size(), 0);
    assert_int_equal(b->pip_cycles.size(), 0);

    // pqen = 1 but pqon = 0 (enable in progress)
    b->in.pqb_log2szm1 = 3;
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PIE));
    assert_true(b->now().pqcsr & PQCSR_BUSY);
    check_done(b, preq(3, true), CAUSE_DROP_DISABLED, true);

    // pqen = 0 while pqon = 1 (disable in progress behind a slow write): the next request
    // is accepted in the cycle the write completes, before pqon drops
    b->mem_lat_min = b->mem_lat_max = 30;
    b->reqs.push_back(preq(4, true));
    assert_true(b->run_until([b] { return b->writes.size() == 1; }, 100));
    assert_true(b->csr_write(PQCSR_PIE));
    b->reqs.push_back(preq(5, true));
    const size_t acc = b->accepted.size();
    assert_true(b->run_until([b, acc] { return b->accepted.size() > acc; }, 100));
    assert_int_equal(b->out().pqcsr & (PQCSR_PQEN | PQCSR_PQON | PQCSR_BUSY),
                     PQCSR_PQON | PQCSR_BUSY);
    const size_t nd = b->dones.size();
    assert_true(b->run_until([b, nd] { return b->dones.size() > nd; }, 100));
    assert_int_equal(b->dones.back().cause, CAUSE_DROP_DISABLED);
    assert_true(b->dones.back().ar);
    assert_int_equal(b->ars.back().code, AR_RESPONSE_FAILURE);
    assert_int_equal(b->ars.back().prgi, 5);
    assert_int_equal(b->dones[b->dones.size() - 2].cause, CAUSE_QUEUED);
    assert_int_equal(b->writes.size(), 1);
}

// §8.1: pip_set pulses only with pie = 1, for records and for pqof / pqmf 0 -> 1.
void test_pip_only_with_pie(void **state)
{
    pq_bench *b = bench(state);

    enable_queue(b, LOG2SZM1_4, false);
    for (unsigned i = 0; i < 3; i++)
        check_done(b, preq(i, true), CAUSE_QUEUED, false);
    check_done(b, preq(3, true), CAUSE_DROP_FULL, true);
    b->in.pqh = 3;
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PQOF));
    b->mem_err_force.push_back(true);
    check_done(b, preq(4, true), CAUSE_DROP_WRITE_FAULT, true);
    assert_int_equal(b->pip_cycles.size(), 0);

    // now with pie: each event pulses once, in the cycle its done pulse shows
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PIE | PQCSR_PQMF));
    assert_int_equal(b->now().pqcsr, PQCSR_PQEN | PQCSR_PIE | PQCSR_PQON);
    check_done(b, preq(5, false), CAUSE_QUEUED, false);
    assert_int_equal(b->pip_cycles.size(), 1);
    assert_int_equal(b->pip_cycles[0], b->dones.back().cycle);
    b->mem_err_force.push_back(true);
    check_done(b, preq(6, false), CAUSE_DROP_WRITE_FAULT, false);
    assert_int_equal(b->pip_cycles.size(), 2);
    check_done(b, preq(7, true), CAUSE_DROP_MEM_FAULT, true);  // already 1: no pulse
    assert_int_equal(b->pip_cycles.size(), 2);
}

// pqcsr layout (§7): reserved bits read 0, pie is RW, writes while busy are ignored.
void test_csr_layout_and_busy_writes(void **state)
{
    pq_bench *b = bench(state);

    assert_true(b->csr_write(0xFFFFFFFFu));  // enable + pie + W1C + reserved bits
    assert_int_equal(b->now().pqcsr, PQCSR_PQEN | PQCSR_PIE | PQCSR_BUSY);
    assert_true(b->csr_write(0));  // busy: ignored
    assert_int_equal(b->now().pqcsr, PQCSR_PQEN | PQCSR_PIE | PQCSR_PQON);
    assert_true(b->csr_write(PQCSR_PQEN));
    assert_int_equal(b->now().pqcsr, PQCSR_PQEN | PQCSR_PQON);
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PIE | 0xF0FC0000u));
    assert_int_equal(b->now().pqcsr, PQCSR_PQEN | PQCSR_PIE | PQCSR_PQON);

    // disable, then try to re-enable while busy: ignored, queue goes off
    b->mem_lat_min = b->mem_lat_max = 10;
    b->reqs.push_back(preq(0, true));
    assert_true(b->run_until([b] { return b->writes.size() == 1; }, 100));
    assert_true(b->csr_write(0));
    assert_true(b->csr_write(PQCSR_PQEN | PQCSR_PIE));
    assert_int_equal(b->now().pqcsr, PQCSR_PQON | PQCSR_BUSY);
    assert_true(b->run_until([b] { return !(b->now().pqcsr & PQCSR_BUSY); }, 100));
    assert_int_equal(b->now().pqcsr, 0);
}


// pqb.LOG2SZ-1 above MaxLog2Sz-1 is treated as MaxLog2Sz-1; pqh keeps only log2(N) bits.
void test_size_clamp(void **state)
{
    pq_bench *b = bench(state);

    enable_queue(b, 31, false);   // clamped to 2^16 entries
    b->in.pqh = 0xFFFF0000u;      // same as pqh = 0
    check_done(b, preq(0, true), CAUSE_QUEUED, false);
    assert_int_equal(b->now().pqt, 1);
    b->in.pqh = 0x00010002u;      // same as pqh = 2: pqt + 1 == pqh, full
    assert_true(b->run(1));
    check_done(b, preq(1, true), CAUSE_DROP_FULL, true);
    assert_int_equal(b->now().pqt, 1);

    // pqt wraps at 2^16
    b->in.pqh = 0;
    assert_true(b->csr_write_wait(0));
    b->in.pqb_log2szm1 = 0;       // change the size while off: N = 2
    assert_true(b->csr_write_wait(PQCSR_PQEN));
    check_done(b, preq(2, true), CAUSE_QUEUED, false);
    assert_int_equal(b->now().pqt, 1);
    b->in.pqh = 1;
    check_done(b, preq(3, true), CAUSE_QUEUED, false);
    assert_int_equal(b->now().pqt, 0);
}

// Cycles per request with an always-ready memory answering one cycle after the handshake
// and an always-ready response sink. Printed and pinned (rtl/README.md quotes them).
void test_throughput(void **state)
{
    pq_bench *b = bench(state);
    const unsigned n = 40;

    enable_queue(b, 7, false);
    for (unsigned i = 0; i < n; i++)
        b->reqs.push_back(preq(i, true));
    assert_true(b->run_until([&] { return b->dones.size() == n; }, 1000));
    const uint64_t per_rec = (b->dones[n - 1].cycle - b->dones[0].cycle) / (n - 1);

    // latency 4: the memory latency adds one for one
    b->mem_lat_min = b->mem_lat_max = 4;
    for (unsigned i = 0; i < n; i++)
        b->reqs.push_back(preq(i, true));
    assert_true(b->run_until([&] { return b->dones.size() == 2 * n; }, 1000));
    const uint64_t per_rec4 = (b->dones[2 * n - 1].cycle - b->dones[n].cycle) / (n - 1);

    assert_true(b->csr_write_wait(0));
    for (unsigned i = 0; i < n; i++)
        b->reqs.push_back(preq(i, false));
    assert_true(b->run_until([&] { return b->dones.size() == 3 * n; }, 1000));
    const uint64_t per_drop = (b->dones[3 * n - 1].cycle - b->dones[2 * n].cycle) / (n - 1);

    for (unsigned i = 0; i < n; i++)
        b->reqs.push_back(preq(i, true));
    assert_true(b->run_until([&] { return b->dones.size() == 4 * n; }, 1000));
    const uint64_t per_ar = (b->dones[4 * n - 1].cycle - b->dones[3 * n].cycle) / (n - 1);

    std::printf("cycles per queued record: %" PRIu64 " (memory latency 1), %" PRIu64
                " (latency 4); per silent drop: %" PRIu64 "; per auto-answered drop: %" PRIu64
                "\n", per_rec, per_rec4, per_drop, per_ar);
    assert_int_equal(per_rec, 3);
    assert_int_equal(per_rec4, 6);
    assert_int_equal(per_drop, 1);
    assert_int_equal(per_ar, 2);
}

// ---------------------------------------------------------------------------------------
// Long random sequence: requests, memory latency and errors, a driver advancing pqh,
// pqcsr writes including disable / enable and writes while busy, response backpressure.

uint32_t queue_mask(unsigned log2szm1)
{
    unsigned v = log2szm1 & 31;

    if (v > BENCH_MAX_LOG2SZ - 1)
        v = BENCH_MAX_LOG2SZ - 1;
    return static_cast<uint32_t>((uint64_t{1} << (v + 1)) - 1);
}

page_req random_req(bench_rng &g)
{
    page_req r;
    const unsigned kind = static_cast<unsigned>(g.below(8));

    r.did = static_cast<uint32_t>(g.below(1u << 24));
    r.pv = g.chance(600);
    r.pid = static_cast<uint32_t>(g.below(1u << 20));
    r.priv = g.chance(500);
    r.exec = g.chance(500);
    r.prpr = g.chance(500);
    r.payload = g.next();
    // bias R/W/L: a quarter with R = W = 0 (Stop Marker shapes), half with L = 1
    r.payload &= ~(PAYLOAD_R | PAYLOAD_W | PAYLOAD_L);
    if (kind >= 2)
        r.payload |= g.chance(500) ? PAYLOAD_R : PAYLOAD_W;
    if (g.chance(500))
        r.payload |= PAYLOAD_L;
    return r;
}

struct random_stats {
    uint64_t cause[CAUSE_COUNT] = {};
    uint64_t cause_ar[CAUSE_COUNT] = {};
    uint64_t enables = 0;
    uint64_t disables = 0;
    uint64_t disable_in_flight = 0;
    uint64_t busy_writes = 0;
    uint64_t garbage_pqh = 0;
    uint64_t policy_flips = 0;
    uint64_t ovf_silent = 0;  // L=1 discarded on overflow without a response (vtd)
    uint64_t stop_markers = 0;
};

// Returns false (with a message on stderr) on any mismatch or missed check. Kept apart from
// the cmocka case so that no C++ object is live when an assert_* macro jumps out.
bool run_random(const test_ctx *ctx)
{
    pq_bench *b = ctx->b;
    bench_rng &g = b->rng;
    const uint64_t cycles = ctx->opts->cycles;
    random_stats st;
    std::vector<bool> need_ar;  // per accepted request
    std::vector<bool> acc_ovf_ar;  // ovf_auto_resp_i when it was accepted
    unsigned req_pm = 500, drain_pm = 100;
    size_t n_acc = 0, n_wr = 0, n_done = 0, n_ar = 0;
    bool fail = false;

    b->in.pqb_ppn = PQB_PPN;
    b->in.pqb_log2szm1 = 2;

    for (uint64_t c = 0; c < cycles && !fail; c++) {
        if (c % 4096 == 0) {
            static const unsigned ready_pm[] = {1000, 800, 300};
            static const unsigned lat_max[] = {1, 2, 5, 40};
            static const unsigned err_pm[] = {0, 0, 3, 40};
            static const unsigned arr_pm[] = {1000, 500, 100};
            static const unsigned rq_pm[] = {1000, 400, 50};
            static const unsigned dr_pm[] = {300, 60, 10};
            b->mem_ready_pm = ready_pm[g.below(3)];
            b->mem_lat_min = 1 + static_cast<unsigned>(g.below(2));
            b->mem_lat_max = lat_max[g.below(4)];
            b->mem_err_pm = err_pm[g.below(4)];
            b->ar_ready_pm = arr_pm[g.below(3)];
            req_pm = rq_pm[g.below(3)];
            drain_pm = dr_pm[g.below(3)];
        }

        const pq_out o = b->now();
        const bool busy = o.pqcsr & PQCSR_BUSY;
        const bool pqen = o.pqcsr & PQCSR_PQEN;
        const bool pqon = o.pqcsr & PQCSR_PQON;
        const uint32_t mask = queue_mask(b->in.pqb_log2szm1);

        if (b->reqs.empty() && g.chance(req_pm))
            b->reqs.push_back(random_req(g));

        // driver: consume some records (pqh moves toward pqt, never past it)
        if (pqon && g.chance(drain_pm)) {
            const uint32_t used = (o.pqt - b->in.pqh) & mask;
            b->in.pqh = (b->in.pqh + static_cast<uint32_t>(g.below(used + 1))) & mask;
        }
        // misprogramming: an arbitrary pqh must not break the block
        if (g.chance(1) && g.chance(20)) {
            b->in.pqh = static_cast<uint32_t>(g.next());
            st.garbage_pqh++;
        }
        if (g.chance(1) && g.chance(100))
            b->in.stop_marker_needs_pasid = !b->in.stop_marker_needs_pasid;
        if (g.chance(1) && g.chance(50)) {
            b->in.ovf_auto_resp = !b->in.ovf_auto_resp;
            st.policy_flips++;
        }

        // reconfigure the queue while it is off
        if (!pqen && !pqon && !busy && g.chance(20)) {
            static const unsigned sizes[] = {0, 1, 2, 3, 4, 6, 15, 31};
            b->in.pqb_log2szm1 = sizes[g.below(8)];
            b->in.pqb_ppn = g.below(uint64_t{1} << 44);
        }

        // pqcsr writes: a driver clears pqof / pqmf after a while; other writes are random
        const bool errs = o.pqcsr & (PQCSR_PQOF | PQCSR_PQMF);
        if (errs && g.chance(15)) {
            b->in.csr_we = true;
            b->in.csr_wdata = (o.pqcsr & (PQCSR_PQEN | PQCSR_PIE)) | PQCSR_PQOF | PQCSR_PQMF;
        } else if (g.chance(pqen ? 3 : 30)) {
            uint32_t w = o.pqcsr & (PQCSR_PQEN | PQCSR_PIE);
            switch (g.below(6)) {
            case 0:  // clear errors
                w |= static_cast<uint32_t>(g.below(4)) << 8;
                break;
            case 1:
                w ^= PQCSR_PIE;
                break;
            case 2:
            case 3:
                w ^= PQCSR_PQEN;
                break;
            case 4:
                w |= PQCSR_PQEN;
                break;
            default:
                w = static_cast<uint32_t>(g.next());
                break;
            }
            if (!pqen && (w & PQCSR_PQEN) && !busy) {
                b->in.pqh = 0;  // recipe: pqh = 0 before enabling
                st.enables++;
            }
            if (pqen && !(w & PQCSR_PQEN) && !busy) {
                st.disables++;
                if (o.mem_req_valid || b->writes_in_flight())
                    st.disable_in_flight++;
            }
            if (busy)
                st.busy_writes++;
            b->in.csr_we = true;
            b->in.csr_wdata = w;
        }

        const bool sm_needs_pasid = b->in.stop_marker_needs_pasid;
        const bool ovf_ar = b->in.ovf_auto_resp;
        if (!b->step()) {
            fail = true;
            break;
        }

        // Independent checks (not through the reference model).
        if (b->accepted.size() > n_acc) {
            const page_req &r = b->accepted.back();
            const bool last = r.payload & PAYLOAD_L;
            const bool sm = last && !(r.payload & (PAYLOAD_R | PAYLOAD_W)) &&
                            (r.pv || !sm_needs_pasid);
            need_ar.push_back(last && !sm);
            acc_ovf_ar.push_back(ovf_ar);
            st.stop_markers += sm;
            n_acc = b->accepted.size();
        }
        if (b->writes.size() > n_wr) {
            const rec_write &w = b->writes.back();
            const page_req &r = b->accepted.back();
            const uint64_t addr = (b->in.pqb_ppn << 12) | (uint64_t{b->out().pqt} << 4);
            if (w.hdr != expected_record_hdr(r) || w.payload != r.payload || w.addr != addr) {
                b->mark_failed("cycle " + std::to_string(w.cycle) +
                               ": record address or layout differs from spec section 12");
                fail = true;
            }
            n_wr = b->writes.size();
        }
        if (b->dones.size() > n_done) {
            const done_ev &d = b->dones.back();
            const bool ovf = d.cause == CAUSE_DROP_OVERFLOW || d.cause == CAUSE_DROP_FULL;
            const bool want_ar = need_ar[n_done] && d.cause != CAUSE_QUEUED &&
                                 (acc_ovf_ar[n_done] || !ovf);
            if (need_ar[n_done] && ovf && !acc_ovf_ar[n_done])
                st.ovf_silent++;
            if (d.ar != want_ar) {
                b->mark_failed("cycle " + std::to_string(d.cycle) + ": done_ar " +
                            std::to_string(d.ar) + " for cause " + cause_name(d.cause));
                fail = true;
            }
            if (d.ar) {
                const bool success = d.cause == CAUSE_DROP_OVERFLOW || d.cause == CAUSE_DROP_FULL;
                if (b->ars.size() != n_ar + 1 || b->ars.back().cycle + 1 != d.cycle ||
                    b->ars.back().code != (success ? AR_SUCCESS : AR_RESPONSE_FAILURE)) {
                    b->mark_failed("cycle " + std::to_string(d.cycle) + ": auto-response for " +
                                cause_name(d.cause) + " missing or wrong");
                    fail = true;
                }
                n_ar = b->ars.size();
                st.cause_ar[d.cause]++;
            }
            st.cause[d.cause]++;
            n_done = b->dones.size();
        }
        // an auto-response handshake is followed by its done pulse in the next cycle
        if (b->ars.size() > n_ar + 1 ||
            (b->ars.size() == n_ar + 1 && b->ars.back().cycle + 1 != b->cycle())) {
            b->mark_failed("cycle " + std::to_string(b->cycle()) + ": auto-response without done");
            fail = true;
        }
    }
    if (fail)
        return false;

    // drain: every accepted request gets exactly one done
    b->reqs.clear();
    b->mem_ready_pm = 1000;
    b->ar_ready_pm = 1000;
    if (!b->run(200))
        return false;
    if (b->dones.size() != b->accepted.size()) {
        std::fprintf(stderr, "random: %zu requests accepted, %zu done\n", b->accepted.size(),
                     b->dones.size());
        return false;
    }

    std::printf("random: %" PRIu64 " cycles, seed %" PRIu64 ", %zu requests, %zu writes, %zu "
                "auto-responses, %zu pip_set\n", cycles, ctx->opts->seed, b->accepted.size(),
                b->writes.size(), b->ars.size(), b->pip_cycles.size());
    for (unsigned i = 0; i < CAUSE_COUNT; i++)
        std::printf("  %-15s %8" PRIu64 " (auto-answered %" PRIu64 ")\n", cause_name(i),
                    st.cause[i], st.cause_ar[i]);
    std::printf("  enables %" PRIu64 ", disables %" PRIu64 " (%" PRIu64 " with a write in "
                "flight), pqcsr writes while busy %" PRIu64 ", garbage pqh %" PRIu64
                ", stop markers %" PRIu64 ", overflow policy flips %" PRIu64 " (L=1 discarded "
                "on overflow without a response %" PRIu64 ")\n", st.enables, st.disables,
                st.disable_in_flight, st.busy_writes, st.garbage_pqh, st.stop_markers,
                st.policy_flips, st.ovf_silent);

    // The default-length sequence must actually reach every rule (short runs, e.g. for a
    // waveform, skip this).
    if (cycles < 100000)
        return true;
    const uint64_t min = 20;
    bool covered = st.disable_in_flight >= min && st.busy_writes >= min &&
                   st.enables >= min && st.stop_markers >= min && st.ovf_silent >= min;
    for (unsigned i = 0; i < CAUSE_COUNT; i++) {
        covered = covered && st.cause[i] >= min;
        covered = covered && (st.cause_ar[i] >= min || i == CAUSE_QUEUED);
    }
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
        {"capacity_n_minus_1", test_capacity_n_minus_1},
        {"sticky_pqof", test_sticky_pqof},
        {"overflow_policy_riscv", test_overflow_policy_riscv},
        {"overflow_policy_smmuv3", test_overflow_policy_smmuv3},
        {"overflow_policy_vtd", test_overflow_policy_vtd},
        {"overflow_policy_vtd_keeps_failure", test_overflow_policy_vtd_keeps_failure},
        {"pqmf_write_fault", test_pqmf_write_fault},
        {"silent_discards", test_silent_discards},
        {"pasid_rule", test_pasid_rule},
        {"enable_resets", test_enable_resets},
        {"disable_in_flight", test_disable_in_flight},
        {"disabled_rf", test_disabled_rf},
        {"pip_only_with_pie", test_pip_only_with_pie},
        {"csr_layout_and_busy_writes", test_csr_layout_and_busy_writes},
        {"size_clamp", test_size_clamp},
        {"throughput", test_throughput},
        {"random", test_random},
    };
    constexpr size_t n = sizeof(cases) / sizeof(cases[0]);
    std::vector<test_ctx> ctxs(n);
    std::vector<CMUnitTest> tests(n);

    for (size_t i = 0; i < n; i++) {
        ctxs[i] = {cases[i].name, &opts, nullptr};
        tests[i] = {cases[i].name, cases[i].fn, setup, teardown, &ctxs[i]};
    }
    return _cmocka_run_group_tests("rtl.pq_writer", tests.data(), n, nullptr, nullptr);
}
