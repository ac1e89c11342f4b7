// SPDX-License-Identifier: Apache-2.0
//
// Description: the software runtime's CPUs (model/platform/hal_sched.cpp)
// through the HAL's C entry points: tasks on several CPUs run side by side,
// a kernel task preempts a user task of its own CPU, interrupts go to the
// CPU platform.irq_affinity names and their threads run there, and the
// unbound workqueue spreads work items over one worker per CPU while
// hal_flush_work() waits for every one of them. Three runtimes coexist in
// one simulation (1 CPU; 4 CPUs spreading interrupts; 4 CPUs with every
// interrupt on CPU 0). Every software cost but the ones a test charges is 0,
// so that times are exact.
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "../device/sc_harness.h"
#include "platform/hal_sim.h"
#include "platform/memory.h"
#include "platform/params.h"

// cmocka last: its fail() macro clashes with std::basic_ios::fail.
extern "C" {
#include <cmocka.h>
}

using namespace prisim::platform;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

constexpr uint64_t US = 1000000; // ps

// MMIO goes nowhere in these tests: a target that answers OK. Its idle
// initiator socket fills the DRAM's target socket, which nothing uses.
struct null_target : sc_core::sc_module {
    tlm_utils::simple_target_socket<null_target> tsock;
    tlm_utils::simple_initiator_socket<null_target> isock;
    explicit null_target(sc_core::sc_module_name n) : sc_module(n), tsock("tsock"), isock("isock")
    {
        tsock.register_b_transport(this, &null_target::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& gp, sc_time&) { gp.set_response_status(tlm::TLM_OK_RESPONSE); }
};

struct rig {
    params p;
    std::unique_ptr<dram> mem;
    std::unique_ptr<sw_runtime> rt;
    std::unique_ptr<null_target> bus;
    struct hal* h() { return rt->hal_handle(); }
};

rig* g_rig; // [4]: 1 CPU; 4 CPUs, spread; 4 CPUs, cpu0; 4 CPUs, wake-ups cost
enum { ONE = 0, FOUR = 1, FOUR_CPU0 = 2, FOUR_WAKEUP = 3 };

void build(rig& r, const char* name, unsigned cpus, const char* affinity, const char* wakeup_ns = "0")
{
    static const char* const costs[] = {
        "sw.cost.irq_entry_ns",  "sw.cost.pq_record_ns",    "sw.cost.fq_record_ns",    "sw.cost.cq_submit_ns",
        "sw.cost.iopf_group_ns", "sw.cost.wakeup_ns",       "sw.cost.syscall_ns",      "sw.cost.fd_read_msg_ns",
        "sw.cost.fd_write_msg_ns", "sw.cost.map_page_ns",   "sw.cost.cfg_access_ns",
    };
    for (const char* k : costs) r.p.set(k, "0", "test");
    r.p.set("sw.cost.wakeup_ns", wakeup_ns, "test");
    r.p.set("platform.cpus", std::to_string(cpus), "test");
    r.p.set("platform.irq_affinity", affinity, "test");
    const std::string n(name);
    r.mem = std::make_unique<dram>((n + "_dram").c_str(), 0x80000000ull, 16ull << 20);
    r.rt = std::make_unique<sw_runtime>((n + "_cpu").c_str(), r.p, *r.mem, 0x28000000ull);
    r.bus = std::make_unique<null_target>((n + "_bus").c_str());
    r.rt->mmio.bind(r.bus->tsock);
    r.bus->isock.bind(r.mem->tsock);
}

// ---- a task that charges, then records when and where it finished ----

struct job {
    struct hal* h;
    uint64_t charge_ps;
    unsigned repeat = 1;
    uint64_t end_ps = 0;
    int cpu = -1;
    bool done = false;
};

void job_fn(void* arg)
{
    auto* j = static_cast<job*>(arg);
    for (unsigned i = 0; i < j->repeat; ++i) hal_charge_ps(j->h, j->charge_ps);
    j->end_ps = hal_now_ps(j->h);
    j->cpu = hal_current(j->h)->cpu;
    j->done = true;
}

bool all_done(const std::vector<std::unique_ptr<job>>& js)
{
    for (const auto& j : js)
        if (!j->done) return false;
    return true;
}

std::vector<std::unique_ptr<job>> start_jobs(rig& r, hal_task_kind kind, unsigned n, uint64_t ps, unsigned repeat = 1)
{
    std::vector<std::unique_ptr<job>> js;
    for (unsigned i = 0; i < n; ++i) {
        js.push_back(std::make_unique<job>());
        js.back()->h = r.h();
        js.back()->charge_ps = ps;
        js.back()->repeat = repeat;
        assert_non_null(hal_task_create(r.h(), kind, "job", job_fn, js.back().get()));
    }
    return js;
}

uint64_t now_ps() { return sc_core::sc_time_stamp().value(); }

// Run on until simulated time has passed every job's end: a job that ran
// ahead reports done at its local time and holds its CPU until then, so the
// next test would find the CPU taken.
void run_past(const std::vector<std::unique_ptr<job>>& js)
{
    uint64_t end = 0;
    for (const auto& j : js) end = std::max(end, j->end_ps);
    if (end >= now_ps()) sc_core::sc_start(sc_time::from_value(end - now_ps()) + sc_time(1, SC_NS));
}

void test_tasks_share_one_cpu(void**)
{
    const uint64_t t0 = now_ps();
    auto js = start_jobs(g_rig[ONE], HAL_TASK_KERNEL, 4, 1 * US);
    assert_true(prisim::tb::run_until([&] { return all_done(js); }, sc_time(100, SC_US)));
    // One after the other, in the order they became runnable.
    for (unsigned i = 0; i < 4; ++i) {
        assert_int_equal(js[i]->end_ps - t0, (i + 1) * US);
        assert_int_equal(js[i]->cpu, 0);
    }
    run_past(js);
}

void test_tasks_run_side_by_side(void**)
{
    const uint64_t t0 = now_ps();
    auto js = start_jobs(g_rig[FOUR], HAL_TASK_KERNEL, 6, 1 * US);
    assert_true(prisim::tb::run_until([&] { return all_done(js); }, sc_time(100, SC_US)));
    // Four at once on CPUs 0-3; the other two take the first CPUs given up.
    bool used[4] = {};
    for (unsigned i = 0; i < 4; ++i) {
        assert_int_equal(js[i]->end_ps - t0, 1 * US);
        assert_in_range(js[i]->cpu, 0, 3);
        assert_false(used[js[i]->cpu]);
        used[js[i]->cpu] = true;
    }
    assert_int_equal(js[4]->end_ps - t0, 2 * US);
    assert_int_equal(js[5]->end_ps - t0, 2 * US);
    run_past(js);
}

void test_kernel_task_preempts_a_user_task(void**)
{
    rig& r = g_rig[FOUR];
    const uint64_t t0 = now_ps();
    // Four user tasks keep the four CPUs busy for 10 us in 1 us charges.
    auto users = start_jobs(r, HAL_TASK_USER, 4, 1 * US, 10);
    prisim::tb::run_until([] { return false; }, sc_time(2500, SC_NS));
    // A kernel task becomes runnable at 2.5 us: the first user task to
    // charge after that (at 3 us) gives it its CPU.
    auto kern = start_jobs(r, HAL_TASK_KERNEL, 1, 1 * US);
    assert_true(prisim::tb::run_until([&] { return all_done(users) && all_done(kern); }, sc_time(100, SC_US)));
    assert_int_equal(kern[0]->end_ps - t0, 4 * US);
    unsigned delayed = 0;
    for (const auto& u : users) {
        if (u->end_ps - t0 == 11 * US)
            ++delayed;
        else
            assert_int_equal(u->end_ps - t0, 10 * US);
    }
    assert_int_equal(delayed, 1);
    run_past(users);
    run_past(kern);
}

// ---- interrupts ----

struct irq_rec {
    struct hal* h;
    uint64_t thread_end_ps = 0;
    int thread_cpu = -1;
    bool ran = false;
};

hal_irq_ret hard_fn(void*, unsigned) { return HAL_IRQ_WAKE_THREAD; }

hal_irq_ret thread_fn(void* arg, unsigned)
{
    auto* r = static_cast<irq_rec*>(arg);
    hal_charge_ps(r->h, 1 * US);
    r->thread_end_ps = hal_now_ps(r->h);
    r->thread_cpu = hal_current(r->h)->cpu;
    r->ran = true;
    return HAL_IRQ_HANDLED;
}

// Request four threaded interrupts on `r`, raise them all at once; returns
// the records once every thread ran.
std::vector<std::unique_ptr<irq_rec>> four_irqs(rig& r, uint64_t& t0)
{
    std::vector<std::unique_ptr<irq_rec>> recs;
    std::vector<unsigned> irqs;
    for (unsigned i = 0; i < 4; ++i) {
        unsigned irq;
        uint64_t addr;
        uint32_t data;
        assert_int_equal(hal_msi_alloc(r.h(), &irq, &addr, &data), 0);
        recs.push_back(std::make_unique<irq_rec>());
        recs.back()->h = r.h();
        assert_int_equal(hal_request_threaded_irq(r.h(), irq, hard_fn, thread_fn, recs.back().get(), "t"), 0);
        irqs.push_back(irq);
    }
    sc_core::sc_start(sc_time(10, SC_NS)); // the threads park on their queues
    t0 = now_ps();
    for (unsigned irq : irqs) r.rt->raise_irq(irq, sc_core::SC_ZERO_TIME);
    assert_true(prisim::tb::run_until(
        [&] {
            for (const auto& x : recs)
                if (!x->ran) return false;
            return true;
        },
        sc_time(100, SC_US)));
    return recs;
}

void test_irqs_spread_over_cpus(void**)
{
    uint64_t t0 = 0;
    auto recs = four_irqs(g_rig[FOUR], t0);
    for (unsigned i = 0; i < 4; ++i) {
        assert_int_equal(recs[i]->thread_cpu, int(i)); // round-robin in request order
        assert_int_equal(recs[i]->thread_end_ps - t0, 1 * US);
    }
}

void test_irqs_on_cpu0(void**)
{
    uint64_t t0 = 0;
    auto recs = four_irqs(g_rig[FOUR_CPU0], t0);
    std::vector<uint64_t> ends;
    for (const auto& x : recs) {
        assert_int_equal(x->thread_cpu, 0); // the thread follows its interrupt
        ends.push_back(x->thread_end_ps - t0);
    }
    std::sort(ends.begin(), ends.end());
    for (unsigned i = 0; i < 4; ++i) assert_int_equal(ends[i], (i + 1) * US);
}

// ---- the unbound workqueue ----

struct wq_test {
    struct hal* h;
    unsigned works = 0, finished = 0, at_flush = 0;
    uint64_t flush_ps = 0;
    int flush_rc = 1, queue_rc = 0;
    bool done = false;
};

void work_fn(void* arg)
{
    auto* w = static_cast<wq_test*>(arg);
    hal_charge_ps(w->h, 1 * US);
    ++w->finished;
}

void flusher(void* arg)
{
    auto* w = static_cast<wq_test*>(arg);
    const uint64_t t0 = hal_now_ps(w->h);
    for (unsigned i = 0; i < w->works; ++i)
        if (int rc = hal_queue_work(w->h, work_fn, w)) w->queue_rc = rc;
    w->flush_rc = hal_flush_work(w->h);
    w->at_flush = w->finished;
    w->flush_ps = hal_now_ps(w->h) - t0;
    w->done = true;
}

uint64_t run_works(rig& r, unsigned n, wq_test& w)
{
    w.h = r.h();
    w.works = n;
    assert_non_null(hal_task_create(r.h(), HAL_TASK_KERNEL, "flusher", flusher, &w));
    assert_true(prisim::tb::run_until([&] { return w.done; }, sc_time(100, SC_US)));
    assert_int_equal(w.queue_rc, 0);
    assert_int_equal(w.flush_rc, 0);
    assert_int_equal(w.at_flush, n); // flush returned only once every item ran
    return w.flush_ps;
}

void test_workqueue_one_cpu(void**)
{
    wq_test w;
    // One worker, one item after the other; the flusher holds no CPU while
    // it waits.
    assert_int_equal(run_works(g_rig[ONE], 8, w), 8 * US);
}

void test_workqueue_unbound(void**)
{
    wq_test w;
    // The flusher's CPU is free while it waits: four workers, two rounds.
    assert_int_equal(run_works(g_rig[FOUR], 8, w), 2 * US);
}

void test_workqueue_workers_race_for_items(void**)
{
    // Four workers, then idle: one item wakes all four; each charges its
    // wake-up before it looks at the queue again, and only the first finds
    // the item there.
    wq_test first, second;
    run_works(g_rig[FOUR_WAKEUP], 8, first);
    prisim::tb::run_until([] { return false; }, sc_time(10, SC_US));
    const uint64_t ps = run_works(g_rig[FOUR_WAKEUP], 1, second);
    assert_int_equal(ps, 1 * US + 2 * 100000); // a worker's wake-up, the item, the flusher's wake-up
}

} // namespace

int sc_main(int, char*[])
{
    rig rigs[4];
    g_rig = rigs;
    build(g_rig[ONE], "one", 1, "spread");
    build(g_rig[FOUR], "four", 4, "spread");
    build(g_rig[FOUR_CPU0], "four_cpu0", 4, "cpu0");
    build(g_rig[FOUR_WAKEUP], "four_wakeup", 4, "spread", "100");
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tasks_share_one_cpu),
        cmocka_unit_test(test_tasks_run_side_by_side),
        cmocka_unit_test(test_kernel_task_preempts_a_user_task),
        cmocka_unit_test(test_irqs_spread_over_cpus),
        cmocka_unit_test(test_irqs_on_cpu0),
        cmocka_unit_test(test_workqueue_one_cpu),
        cmocka_unit_test(test_workqueue_unbound),
        cmocka_unit_test(test_workqueue_workers_race_for_items),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
