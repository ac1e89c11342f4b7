// SPDX-License-Identifier: Apache-2.0
//
// common/occupancy.h on its own: time-weighted average, high-water mark,
// the time-weighted distribution (exact per level below 64, a bucket per
// power of two above) and its percentiles, time at full and full episodes
// for a queue of N - 1 usable entries, stamps that arrive out of time
// order, the observer, and no allocation per change.
#include <string>
#include <utility>
#include <vector>

#include "common/occupancy.h"

// cmocka last: its fail() macro must not meet the C++ library headers.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <setjmp.h>
extern "C" { // cmocka 1.1 has no C++ guards of its own
#include <cmocka.h>
}

using prisim::occupancy_tracker;

namespace {

struct rows : prisim::occupancy_observer {
    std::vector<std::string> names;
    std::vector<std::pair<uint64_t, uint64_t>> changes; // (t, level)
    unsigned add_queue(const std::string& n) override
    {
        names.push_back(n);
        return unsigned(names.size() - 1);
    }
    void level(unsigned q, uint64_t t, uint64_t l) override
    {
        assert_int_equal(q, names.size() - 1);
        changes.push_back({t, l});
    }
};

void test_buckets(void**)
{
    // Exact below 64, then contiguous powers of two up to the largest level.
    for (uint64_t l = 0; l < 64; ++l) {
        assert_int_equal(occupancy_tracker::bucket(l), l);
        assert_int_equal(occupancy_tracker::bucket_lo(unsigned(l)), l);
        assert_int_equal(occupancy_tracker::bucket_hi(unsigned(l)), l);
    }
    assert_int_equal(occupancy_tracker::bucket(64), 64);
    assert_int_equal(occupancy_tracker::bucket(127), 64);
    assert_int_equal(occupancy_tracker::bucket(128), 65);
    assert_int_equal(occupancy_tracker::bucket_lo(65), 128);
    assert_int_equal(occupancy_tracker::bucket_hi(65), 255);
    assert_int_equal(occupancy_tracker::bucket(~0ull), occupancy_tracker::k_buckets - 1);
    assert_int_equal(occupancy_tracker::bucket_hi(occupancy_tracker::k_buckets - 1), ~0ull);
    for (unsigned b = 1; b < occupancy_tracker::k_buckets; ++b) {
        assert_int_equal(occupancy_tracker::bucket_lo(b), occupancy_tracker::bucket_hi(b - 1) + 1);
        assert_int_equal(occupancy_tracker::bucket(occupancy_tracker::bucket_lo(b)), b);
        assert_int_equal(occupancy_tracker::bucket(occupancy_tracker::bucket_hi(b)), b);
    }
}

void test_average_and_distribution(void**)
{
    occupancy_tracker o;
    o.set_capacity(3); // a PQ of 4 records holds 3
    // level 0 [0, 100), 2 [100, 300), 3 [300, 400), 1 [400, 1000)
    o.set(2, 100);
    o.set(3, 300);
    o.set(1, 400);
    assert_int_equal(o.hwm(), 3);
    assert_int_equal(o.level(), 1);
    const double avg = (0 * 100 + 2 * 200 + 3 * 100 + 1 * 600) / 1000.0;
    assert_true(o.average(1000) > avg - 1e-12 && o.average(1000) < avg + 1e-12);
    assert_int_equal(o.time_in(0, 1000), 100);
    assert_int_equal(o.time_in(1, 1000), 600);
    assert_int_equal(o.time_in(2, 1000), 200);
    assert_int_equal(o.time_in(3, 1000), 100);
    uint64_t total = 0;
    for (unsigned b = 0; b < occupancy_tracker::k_buckets; ++b) total += o.time_in(b, 1000);
    assert_int_equal(total, 1000);
    // 10 % at 0, 70 % at <= 1, 90 % at <= 2, 100 % at <= 3.
    assert_int_equal(o.percentile(10, 1000), 0);
    assert_int_equal(o.percentile(50, 1000), 1);
    assert_int_equal(o.percentile(70, 1000), 1);
    assert_int_equal(o.percentile(90, 1000), 2);
    assert_int_equal(o.percentile(99, 1000), 3);
    // Full: at 3 during [300, 400), one episode.
    assert_int_equal(o.full_ps(1000), 100);
    assert_int_equal(o.full_episodes(), 1);
    // Full again, open until now.
    o.set(3, 1000);
    o.set(3, 1100); // no change: no new episode
    assert_int_equal(o.full_episodes(), 2);
    assert_int_equal(o.full_ps(1500), 600);
    o.set(0, 1500);
    assert_int_equal(o.full_ps(2000), 600);
    assert_int_equal(o.full_episodes(), 2);
}

void test_unbounded_and_large(void**)
{
    occupancy_tracker o; // capacity 0: never full
    o.set(1000, 10);
    o.set(70, 20);
    o.set(0, 30);
    assert_int_equal(o.full_episodes(), 0);
    assert_int_equal(o.full_ps(40), 0);
    assert_int_equal(o.hwm(), 1000);
    assert_int_equal(o.time_in(occupancy_tracker::bucket(1000), 40), 10); // [512, 1023]
    assert_int_equal(o.time_in(occupancy_tracker::bucket(70), 40), 10);   // [64, 127]
    // A percentile in a power-of-two bucket is its top, at most the high-water mark.
    // 50 % at 0 (10 ps before the first change and 10 after the last), 75 % at <= 127.
    assert_int_equal(o.percentile(100, 40), 1000);
    assert_int_equal(o.percentile(76, 40), 1000);
    assert_int_equal(o.percentile(75, 40), 127);
    assert_int_equal(o.percentile(50, 40), 0);
    // A large level for long: the area does not overflow 64 bits.
    occupancy_tracker big;
    big.set(1u << 20, 0);
    big.set(0, 100000000000000ull); // 1e14 ps at 2^20
    const double want = double(1u << 20) / 2;
    assert_true(big.average(200000000000000ull) > want * 0.999999 && big.average(200000000000000ull) < want * 1.000001);
}

void test_delta(void**)
{
    occupancy_tracker o;
    o.add(1, 10);
    o.add(1, 20);
    o.add(-1, 30);
    assert_int_equal(o.level(), 1);
    assert_int_equal(o.hwm(), 2);
    o.add(-5, 40); // never below 0
    assert_int_equal(o.level(), 0);
}

void test_out_of_order(void**)
{
    // A stamp before the latest credits no time and does not move the clock
    // back: the interval in between is kept at the level then current.
    occupancy_tracker o;
    o.set_capacity(2);
    o.set(1, 100);
    o.set(2, 200);
    o.set(1, 150); // late by 50: the level drops, nothing is credited
    o.set(0, 300);
    assert_int_equal(o.time_in(0, 300), 100);
    assert_int_equal(o.time_in(1, 300), 100 + 100); // [100, 200) and [200, 300) at 1
    assert_int_equal(o.time_in(2, 300), 0);
    assert_int_equal(o.full_episodes(), 1);
    assert_int_equal(o.full_ps(300), 0);
    assert_int_equal(o.hwm(), 2);
    uint64_t total = 0;
    for (unsigned b = 0; b < occupancy_tracker::k_buckets; ++b) total += o.time_in(b, 300);
    assert_int_equal(total, 300);
    // now before the latest stamp adds nothing
    assert_int_equal(o.time_in(0, 250), 100);
}

void test_observer(void**)
{
    rows r;
    occupancy_tracker o;
    o.set(1, 5); // before observing: not reported
    o.observe(&r, "iommu0.pq");
    assert_int_equal(r.names.size(), 1);
    assert_string_equal(r.names[0].c_str(), "iommu0.pq");
    o.set(2, 10);
    o.set(2, 20); // no change, no row
    o.set(0, 15); // reported with its own stamp
    assert_int_equal(r.changes.size(), 2);
    assert_int_equal(r.changes[0].first, 10);
    assert_int_equal(r.changes[0].second, 2);
    assert_int_equal(r.changes[1].first, 15);
    assert_int_equal(r.changes[1].second, 0);
    occupancy_tracker quiet;
    quiet.set(3, 1);
    assert_int_equal(quiet.level(), 3);
}

} // namespace

// sc_main: the model library links SystemC, whose main() calls it (no
// simulation is elaborated here); a main() of our own would leave SystemC's
// reference to sc_main unresolved in builds that check it (the sanitizer build).
extern "C" int sc_main(int, char*[])
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_average_and_distribution),
        cmocka_unit_test(test_unbounded_and_large),
        cmocka_unit_test(test_delta),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_observer),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
