// SPDX-License-Identifier: Apache-2.0
//
// common/log_histogram.h and common/fault_stages.h on their own: bucket
// bounds and percentiles against exact nearest-rank values; a group's
// stamps matched by (rid, PASID, PRG index), split into the stages of its
// route, adding up to the fault latency; unmatched stamps counted; slots
// reused after release.
#include <algorithm>
#include <vector>

#include "common/fault_stages.h"
#include "common/log_histogram.h"

// cmocka last: its fail() macro must not meet the C++ library headers.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <setjmp.h>
extern "C" { // cmocka 1.1 has no C++ guards of its own
#include <cmocka.h>
}

using prisim::fault_mark;
using prisim::fault_route;
using prisim::fault_stage;
using prisim::fault_stages;
using prisim::log_histogram;

namespace {

uint64_t exact_rank(std::vector<uint64_t> v, double p)
{
    std::sort(v.begin(), v.end());
    size_t rank = size_t(p / 100.0 * double(v.size()) + 0.999999999);
    rank = std::clamp<size_t>(rank, 1, v.size());
    return v[rank - 1];
}

void test_histogram_buckets(void**)
{
    // Every value falls in a bucket whose largest value is >= it and
    // within 1/128 of it; buckets are contiguous.
    for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 255ull, 256ull, 1000ull, 123456789ull,
                       (1ull << 40) + 12345ull, ~0ull}) {
        const unsigned i = log_histogram::index(v);
        assert_true(i < log_histogram::k_buckets);
        const uint64_t up = log_histogram::upper(i);
        assert_true(up >= v);
        assert_true(up - v <= v / 128);
        assert_true(i == 0 || log_histogram::upper(i - 1) < v);
    }
    // Contiguous: the value after each bucket's largest opens the next.
    for (unsigned i = 1; i < log_histogram::k_buckets; ++i)
        assert_int_equal(log_histogram::index(log_histogram::upper(i - 1) + 1), i);
    assert_int_equal(log_histogram::upper(log_histogram::k_buckets - 1), ~0ull);
    assert_int_equal(log_histogram::index(255), 255);
    assert_int_equal(log_histogram::upper(255), 255);
    assert_int_equal(log_histogram::upper(log_histogram::index(300)), 301); // 256..511 in steps of 2
}

void test_histogram_percentiles(void**)
{
    log_histogram h;
    std::vector<uint64_t> v;
    uint64_t x = 12345;
    for (int i = 0; i < 10000; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const uint64_t s = 1000 + (x >> 40) % 5000000; // 1 ns .. 5 us in ps
        v.push_back(s);
        h.add(s);
    }
    assert_int_equal(h.count(), 10000);
    assert_int_equal(h.min(), *std::min_element(v.begin(), v.end()));
    assert_int_equal(h.max(), *std::max_element(v.begin(), v.end()));
    uint64_t sum = 0;
    for (uint64_t s : v) sum += s;
    assert_int_equal(h.sum(), sum);
    for (double p : {50.0, 90.0, 99.0, 99.9, 100.0}) {
        const uint64_t want = exact_rank(v, p), got = h.percentile(p);
        assert_true(got >= want);
        assert_true(got - want <= want / 128);
    }
    log_histogram m;
    m.merge(h);
    m.merge(h);
    assert_int_equal(m.count(), 20000);
    assert_int_equal(m.percentile(50), h.percentile(50));
    log_histogram empty;
    assert_int_equal(empty.percentile(50), 0);
    assert_int_equal(empty.min(), 0);
}

// A group of device 0 (rid 0x0001) with PRG index 7, PASID 5, through every
// layer at the times given; the page missed at 100 and retried at 2000.
void stamp_group(fault_stages& st, bool fd, uint32_t pasid = 5)
{
    st.open(0, 7, 5, 200);
    st.mark(1, pasid, 7, fault_mark::at_iommu, 250);
    st.mark(1, pasid, 7, fault_mark::pq_written, 300);
    st.mark(1, pasid, 7, fault_mark::drained, 450);
    if (fd) {
        st.mark(1, pasid, 7, fault_mark::queued, 500);
        st.mark(1, pasid, 7, fault_mark::read, 800);
    }
    st.mark(1, pasid, 7, fault_mark::answered, 1200);
    st.mark(1, fault_stages::k_any_pasid, 7, fault_mark::prgr_sent, 1300);
}

prisim::group_stamps respond(fault_stages& st)
{
    prisim::group_stamps g = *st.find(0, 7);
    g.set(fault_mark::response, 1500);
    st.release(0, 7);
    return g;
}

void test_routes(void**)
{
    fault_stages st;
    st.add_device(0, 0x0001, 4, 0);
    st.add_device(1, 0x0009, 4, 1);
    stamp_group(st, true);
    prisim::group_stamps g = respond(st);
    assert_null(st.find(0, 7));
    st.complete(0, g, 100, 2000, 0x1000, true);
    stamp_group(st, false);
    g = respond(st);
    st.complete(0, g, 100, 2000, 0x2000, true);
    st.complete(0, g, 100, 2000, 0x3000, false); // a warm-up fault: not counted
    const fault_stages::pool& p = st.pool_stats(0);
    assert_int_equal(p.routes[unsigned(fault_route::fd)], 1);
    assert_int_equal(p.routes[unsigned(fault_route::kernel)], 1);
    assert_int_equal(p.routes[unsigned(fault_route::other)], 0);
    auto mean = [&](fault_stage s) { return p.s[unsigned(s)].count() ? p.s[unsigned(s)].sum() : 0; };
    assert_int_equal(p.s[unsigned(fault_stage::request)].count(), 2);
    assert_int_equal(mean(fault_stage::request), 2 * 100);
    assert_int_equal(mean(fault_stage::pq_write), 2 * 100);
    assert_int_equal(mean(fault_stage::drain), 2 * 150);
    assert_int_equal(mean(fault_stage::deliver), 50);
    assert_int_equal(mean(fault_stage::read), 300);
    assert_int_equal(mean(fault_stage::answer), 400);
    assert_int_equal(mean(fault_stage::kernel), 750);
    assert_int_equal(mean(fault_stage::respond), 2 * 300);
    assert_int_equal(mean(fault_stage::retry), 2 * 500);
    // Each route's stages add up to the fault latency, 1900 ps.
    uint64_t total = 0;
    for (unsigned k = 0; k < prisim::k_fault_stages; ++k) total += p.s[k].sum();
    assert_int_equal(total, 2 * 1900);
    assert_int_equal(st.pool_stats(1).routes[unsigned(fault_route::fd)], 0);
    assert_int_equal(st.unmatched(), 0);
}

void test_unmatched(void**)
{
    fault_stages st;
    st.add_device(0, 0x0001, 2, 0);
    st.mark(1, 5, 7, fault_mark::drained, 10);    // no group outstanding
    st.mark(2, 5, 7, fault_mark::drained, 10);    // unknown device
    stamp_group(st, true, 6);                     // another PASID: every software stamp dropped
    assert_int_equal(st.unmatched(), 2 + 6);      // prgr_sent carries no PASID: it matched
    prisim::group_stamps g = respond(st);
    st.complete(0, g, 100, 2000, 0x1000, true);
    const fault_stages::pool& p = st.pool_stats(0);
    assert_int_equal(p.routes[unsigned(fault_route::other)], 1);
    assert_int_equal(p.s[unsigned(fault_stage::request)].count(), 1);
    assert_int_equal(p.s[unsigned(fault_stage::retry)].count(), 1);
    assert_int_equal(p.s[unsigned(fault_stage::drain)].count(), 0);
    // Two slots: a third group at once is not stamped; released slots return.
    st.open(0, 1, 0, 10);
    st.open(0, 2, 0, 10);
    st.open(0, 3, 0, 10);
    assert_null(st.find(0, 3));
    st.release(0, 1);
    st.open(0, 3, 0, 10);
    assert_non_null(st.find(0, 3));
}

} // namespace

// sc_main: the model library links SystemC, whose main() calls it (no
// simulation is elaborated here).
extern "C" int sc_main(int, char*[])
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_histogram_percentiles),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_unmatched),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
