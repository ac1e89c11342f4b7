// SPDX-License-Identifier: Apache-2.0
//
// common/ring.h on its own: FIFO order across growth and wrap-around,
// ordered insertion (stable), erase, and remove_if keeping the order of what
// stays while the ring wraps, with nothing left behind.
#include <vector>

#include "common/ring.h"

// cmocka last: its fail() macro must not meet the C++ library headers.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <setjmp.h>
extern "C" { // cmocka 1.1 has no C++ guards of its own
#include <cmocka.h>
}

namespace {

std::vector<int> contents(const prisim::ring<int>& r)
{
    std::vector<int> v;
    for (size_t i = 0; i < r.size(); ++i) v.push_back(r[i]);
    return v;
}

void test_fifo_grows_and_wraps(void**)
{
    prisim::ring<int> r(4);
    int next_in = 0, next_out = 0;
    // Wrap a few times at size 3, then grow past 4 while wrapped.
    for (int round = 0; round < 10; ++round) {
        while (r.size() < 3) r.push_back(next_in++);
        r.pop_front();
        ++next_out;
    }
    for (int i = 0; i < 20; ++i) r.push_back(next_in++);
    assert_int_equal(r.size(), size_t(next_in - next_out));
    for (int want = next_out; !r.empty(); ++want) {
        assert_int_equal(r.front(), want);
        r.pop_front();
    }
}

void test_insert_ordered_is_stable(void**)
{
    prisim::ring<std::pair<int, int>> r(2);
    const auto less = [](const std::pair<int, int>& a, const std::pair<int, int>& b) { return a.first < b.first; };
    r.insert_ordered({5, 0}, less);
    r.insert_ordered({3, 1}, less);
    r.insert_ordered({5, 2}, less);
    r.insert_ordered({1, 3}, less);
    r.insert_ordered({3, 4}, less);
    const int want[][2] = {{1, 3}, {3, 1}, {3, 4}, {5, 0}, {5, 2}};
    assert_int_equal(r.size(), 5);
    for (size_t i = 0; i < 5; ++i) {
        assert_int_equal(r[i].first, want[i][0]);
        assert_int_equal(r[i].second, want[i][1]);
    }
    r.erase(1);
    assert_int_equal(r[1].second, 4);
    assert_int_equal(r.size(), 4);
}

void test_remove_if_keeps_order(void**)
{
    prisim::ring<int> r(8);
    // Wrapped: head in the middle of the storage.
    for (int i = 0; i < 5; ++i) r.push_back(-1);
    for (int i = 0; i < 5; ++i) r.pop_front();
    for (int i = 0; i < 8; ++i) r.push_back(i);
    r.remove_if([](int x) { return x % 3 == 0; });
    assert_true(contents(r) == (std::vector<int>{1, 2, 4, 5, 7}));
    // What stays is a FIFO as before: push and pop across the old slots.
    r.push_back(8);
    r.push_back(9);
    r.pop_front();
    assert_true(contents(r) == (std::vector<int>{2, 4, 5, 7, 8, 9}));
    r.remove_if([](int) { return true; });
    assert_true(r.empty());
    r.push_back(10);
    assert_int_equal(r.front(), 10);
    r.remove_if([](int) { return false; });
    assert_int_equal(r.size(), 1);
}

} // namespace

// sc_main: the model library links SystemC, whose main() calls it (no
// simulation is elaborated here).
extern "C" int sc_main(int, char*[])
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_grows_and_wraps),
        cmocka_unit_test(test_insert_ordered_is_stable),
        cmocka_unit_test(test_remove_if_keeps_order),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
