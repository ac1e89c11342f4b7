// SPDX-License-Identifier: Apache-2.0
//
// platform::task_event (model/platform/task_event.h): a notification made
// while no task waits is held back, and a task that starts waiting is woken
// exactly when it would have been had the notification gone to the kernel
// at once (IEEE 1666 §5.10.8).
//
// One simulation runs every case in its own stretch of time; the checks
// then read what each case recorded.
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>

#include <systemc>

#include "platform/task_event.h"

// cmocka last: its macros must not meet the C++ headers.
extern "C" {
#include <cmocka.h>
}

namespace {

using prisim::platform::task_event;
using sc_core::SC_NS;
using sc_core::sc_time;

constexpr uint64_t k_ns = 1000; // ps

// When a task woke (ns, and the delta count), and whether its timeout ran out.
struct woke {
    uint64_t at_ns = 0;
    uint64_t delta = 0;
    bool timed_out = false;
};

// wait(timeout, ev) as sw_runtime::block_on does it.
woke wait_on(task_event& ev, const sc_time& timeout)
{
    const sc_time start = sc_core::sc_time_stamp();
    ev.begin_wait();
    sc_core::wait(timeout, ev.event());
    ev.end_wait();
    woke w;
    w.at_ns = sc_core::sc_time_stamp().value() / k_ns;
    w.delta = sc_core::sc_delta_count();
    w.timed_out = sc_core::sc_time_stamp() - start >= timeout;
    return w;
}

void wait_until_ns(uint64_t ns)
{
    const sc_time t(double(ns), SC_NS);
    if (t > sc_core::sc_time_stamp()) sc_core::wait(t - sc_core::sc_time_stamp());
}

struct cases : sc_core::sc_module {
    SC_HAS_PROCESS(cases);
    explicit cases(sc_core::sc_module_name n) : sc_module(n)
    {
        SC_THREAD(notifier);
        SC_THREAD(waiter);
    }

    task_event held, expired, earlier, later, delta, delta_gone, live;
    woke r_held, r_expired, r_earlier, r_later, r_delta, r_delta_gone, r_live;
    uint64_t delta_at = 0;

    void notifier()
    {
        // Held back, then a task waits before its time: woken at 10 ns.
        held.notify(sc_time(10, SC_NS));
        // Held back and expired (5 ns, at 105) before anyone waits.
        wait_until_ns(100);
        expired.notify(sc_time(5, SC_NS));
        // Two notifications, no waiter: the earlier one stands, whichever
        // order they came in.
        wait_until_ns(200);
        earlier.notify(sc_time(20, SC_NS));
        earlier.notify(sc_time(10, SC_NS));
        wait_until_ns(300);
        later.notify(sc_time(10, SC_NS));
        later.notify(sc_time(20, SC_NS));
        // A task already waits: sent at once, as usual.
        wait_until_ns(600);
        live.notify(sc_time(7, SC_NS));
    }

    void waiter()
    {
        wait_until_ns(2);
        r_held = wait_on(held, sc_time(1000, SC_NS));
        wait_until_ns(110);
        r_expired = wait_on(expired, sc_time(50, SC_NS));
        wait_until_ns(201);
        r_earlier = wait_on(earlier, sc_time(1000, SC_NS));
        wait_until_ns(301);
        r_later = wait_on(later, sc_time(1000, SC_NS));
        // A delta notification is pending until its evaluation phase ends:
        // the task that made it and then waits is woken in the next delta.
        wait_until_ns(400);
        delta.notify(sc_core::SC_ZERO_TIME);
        delta_at = sc_core::sc_delta_count();
        r_delta = wait_on(delta, sc_time(1000, SC_NS));
        // Once a delta cycle has passed, it is gone.
        wait_until_ns(2000);
        delta_gone.notify(sc_core::SC_ZERO_TIME);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        r_delta_gone = wait_on(delta_gone, sc_time(50, SC_NS));
    }
};

// The live case's waiter: waits from 590 ns.
struct live_waiter : sc_core::sc_module {
    SC_HAS_PROCESS(live_waiter);
    live_waiter(sc_core::sc_module_name n, cases& c) : sc_module(n), m_c(c) { SC_THREAD(run); }
    void run()
    {
        wait_until_ns(590);
        m_c.r_live = wait_on(m_c.live, sc_time(1000, SC_NS));
    }
    cases& m_c;
};

cases* g_cases;

void test_held_then_waited_for(void**)
{
    assert_false(g_cases->r_held.timed_out);
    assert_int_equal(g_cases->r_held.at_ns, 10);
}

void test_expired_wakes_nobody(void**)
{
    assert_true(g_cases->r_expired.timed_out);
    assert_int_equal(g_cases->r_expired.at_ns, 160);
}

void test_earlier_notification_stands(void**)
{
    assert_false(g_cases->r_earlier.timed_out);
    assert_int_equal(g_cases->r_earlier.at_ns, 210);
    assert_false(g_cases->r_later.timed_out);
    assert_int_equal(g_cases->r_later.at_ns, 310);
}

void test_delta_pending_in_its_phase(void**)
{
    assert_false(g_cases->r_delta.timed_out);
    assert_int_equal(g_cases->r_delta.at_ns, 400);
    assert_int_equal(g_cases->r_delta.delta, g_cases->delta_at + 1);
}

void test_delta_gone_after_its_phase(void**)
{
    assert_true(g_cases->r_delta_gone.timed_out);
    assert_int_equal(g_cases->r_delta_gone.at_ns, 2050);
}

void test_sent_when_a_task_waits(void**)
{
    assert_false(g_cases->r_live.timed_out);
    assert_int_equal(g_cases->r_live.at_ns, 607);
}

} // namespace

int sc_main(int, char*[])
{
    cases c("cases");
    live_waiter lw("live_waiter", c);
    g_cases = &c;
    sc_core::sc_start(sc_time(10, sc_core::SC_US));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_held_then_waited_for),
        cmocka_unit_test(test_expired_wakes_nobody),
        cmocka_unit_test(test_earlier_notification_stands),
        cmocka_unit_test(test_delta_pending_in_its_phase),
        cmocka_unit_test(test_delta_gone_after_its_phase),
        cmocka_unit_test(test_sent_when_a_task_waits),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
