// SPDX-License-Identifier: Apache-2.0
//
// The software runtime's scheduling half (hal_sim.h): simulated CPUs and the
// tasks that run on them, blocking and waking, mutexes, the unbound
// workqueue, interrupts, and the modelled cost of software (hal_charge).
#include "platform/hal_sim.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cctype>
#include <string>

#include "platform/params.h"
#include "sysc/kernel/sc_dynamic_processes.h"

namespace prisim::platform {

using sc_core::sc_time;
using sc_core::SC_NS;

namespace {
// Stack of a software task. Generous: C code runs on it, and sanitizers
// enlarge frames.
constexpr size_t TASK_STACK = 4u << 20;

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
} // namespace
// ---- RNG (xoshiro256**): deterministic across hosts ----
uint64_t sw_runtime::next_random()
{
    uint64_t* s = m_rng;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

sc_time sw_runtime::sample_handler_service()
{
    const double mean = m_handler_mean_ns;
    // u in (0, 1)
    auto unit = [this] { return (double(next_random() >> 11) + 0.5) / 9007199254740992.0; };
    double ns = mean;
    if (m_handler_dist == dist_kind::exponential) {
        ns = -mean * std::log(unit());
    } else if (m_handler_dist == dist_kind::iaa) {
        // Intel IAA on Sapphire Rapids, kernel page-request handling from
        // report to response (25,965 faults; QEMU docs/devel/migration/
        // qpl-compression.rst): 97.1 % within 1-10 us, 1.5 % within
        // 0.1-1 ms, mean 9 us, max 556 us. Fitted piecewise: 97.1 % in
        // [1, 10) us (uniform with weight 0.434, else log-uniform, which
        // gives the mean), the other 1.4 % in [10, 100) us and 1.5 % in
        // [100, 556] us, log-uniform; scaled to mean_ns (9 us: the data).
        auto log_uniform = [](double a, double b, double u) { return a * std::exp(u * std::log(b / a)); };
        const double pick = unit(), u = unit();
        double us;
        if (pick < 0.971)
            us = pick < 0.971 * 0.434 ? 1.0 + 9.0 * u : log_uniform(1.0, 10.0, u);
        else if (pick < 0.985)
            us = log_uniform(10.0, 100.0, u);
        else
            us = log_uniform(100.0, 556.0, u);
        ns = us * 1000.0 * mean / 9000.0;
    } else if (m_handler_dist == dist_kind::lognormal) {
        const double sigma = m_handler_sigma;
        double z = std::sqrt(-2.0 * std::log(unit())) * std::cos(2.0 * 3.14159265358979323846 * unit());
        double mu = std::log(mean) - sigma * sigma / 2.0; // keeps the mean at `mean`
        ns = std::exp(mu + sigma * z);
    }
    // Round to whole picoseconds so the value is exact in sc_time.
    const uint64_t ps = uint64_t(std::floor(ns * 1000.0));
    m_handler_service.add(ps);
    return sc_time::from_value(ps);
}

// ---- CPUs ----
//
// platform.cpus CPUs, each running one task at a time. A task that becomes
// runnable takes the lowest-numbered idle CPU it may run on (its pin, if
// any); otherwise it queues, kernel tasks ahead of user tasks, each class in
// FIFO order. A CPU that is given up goes to the first queued task that may
// run on it. So a CPU is idle only while no queued task may run there.

bool sw_runtime::may_run_on(const hal_task* t, unsigned cpu) { return t->pin < 0 || unsigned(t->pin) == cpu; }

bool sw_runtime::take_idle_cpu(hal_task* t)
{
    if (t->pin >= 0) {
        if (m_cpu_owner[unsigned(t->pin)]) return false;
        m_cpu_owner[unsigned(t->pin)] = t;
        t->cpu = t->pin;
        return true;
    }
    for (unsigned c = 0; c < m_ncpus; ++c) {
        if (!m_cpu_owner[c]) {
            m_cpu_owner[c] = t;
            t->cpu = int(c);
            return true;
        }
    }
    return false;
}

// cpu_acquire() for a task that holds no CPU.
void sw_runtime::cpu_wait_for(hal_task* t)
{
    if (take_idle_cpu(t)) return;
    if (t->lt.offset() != sc_core::SC_ZERO_TIME) {
        // Blocking: the wait starts at the task's local time. A CPU may
        // have been released meanwhile: look again.
        t->lt.sync();
        if (take_idle_cpu(t)) return;
    }
    (t->kind == HAL_TASK_KERNEL ? m_cpu_wait_kernel : m_cpu_wait_user).push_back(t);
    while (t->cpu < 0) wait(t->handoff);
}

// The first task of `q` that may run on `cpu`, taken off the queue.
hal_task* sw_runtime::dequeue_for(prisim::ring<hal_task*>& q, unsigned cpu)
{
    for (size_t i = 0; i < q.size(); ++i) {
        hal_task* t = q[i];
        if (may_run_on(t, cpu)) {
            q.erase(i);
            return t;
        }
    }
    return nullptr;
}

bool sw_runtime::kernel_waits_for(unsigned cpu) const
{
    for (size_t i = 0; i < m_cpu_wait_kernel.size(); ++i)
        if (may_run_on(m_cpu_wait_kernel[i], cpu)) return true;
    return false;
}

// The caller has synchronised: the CPU changes hands at simulated time now.
void sw_runtime::cpu_release(hal_task* t)
{
    if (!t || t->cpu < 0) return;
    const unsigned c = unsigned(t->cpu);
    t->cpu = -1;
    hal_task* next = dequeue_for(m_cpu_wait_kernel, c);
    if (!next) next = dequeue_for(m_cpu_wait_user, c);
    m_cpu_owner[c] = next;
    if (next) {
        next->cpu = int(c);
        next->handoff.notify(sc_core::SC_ZERO_TIME);
    }
}

// Callers loop on their condition: a context that runs ahead first only
// synchronises and returns, so that the condition is looked at again at its
// own time (a wake-up during the synchronisation is not lost).
bool sw_runtime::block_on(hal_task* t, task_event& ev, const sc_time* timeout)
{
    prisim::local_time& lt = t ? t->lt : m_irq_lt;
    if (lt.offset() != sc_core::SC_ZERO_TIME) {
        lt.sync();
        return true;
    }
    cpu_release(t);
    bool fired = true;
    ev.begin_wait();
    if (timeout) {
        sc_time start = prisim::sim_now();
        wait(*timeout, ev.event());
        fired = prisim::sim_now() - start < *timeout;
    } else {
        wait(ev.event());
    }
    ev.end_wait();
    cpu_acquire(t);
    return fired;
}

// The look-up behind current() when the running process is not the last one.
hal_task* sw_runtime::current_lookup(const sc_core::sc_object* p)
{
    auto it = m_task_of.find(p);
    hal_task* t = it == m_task_of.end() ? nullptr : it->second;
    m_last_proc = p;
    m_last_task = t;
    return t;
}

sc_time& sw_runtime::offset_here()
{
    hal_task* t = current();
    return t ? t->lt.offset() : m_irq_lt.offset();
}

void sw_runtime::notify_here(task_event& ev)
{
    ev.notify(offset_here()); // a zero offset is a delta notification
}

void sw_runtime::charge(sc_time d)
{
    hal_task* t = current();
    if (!t) {
        // Hard-interrupt context: the handler runs at once on its CPU; a
        // task that holds that CPU is delayed by as much at its next charge.
        m_cpu_busy_by[m_irq_cpu] += d;
        if (m_cpu_owner[m_irq_cpu]) m_stolen[m_irq_cpu] += d;
        m_irq_lt.advance(d);
        return;
    }
    cpu_acquire(t);
    if (t->kind == HAL_TASK_USER && !m_irq_fifo.empty() &&
        m_irq_fifo.front().first <= prisim::sim_now() + t->lt.offset()) {
        // An interrupt arrives before the task's local time: let it run (and
        // wake its thread) so that preemption happens at this charge.
        t->lt.sync();
    }
    if (t->kind == HAL_TASK_USER && kernel_waits_for(unsigned(t->cpu))) {
        t->lt.sync();
        cpu_release(t); // preempted by a runnable kernel task
        cpu_acquire(t);
    }
    const unsigned c = unsigned(t->cpu);
    m_cpu_busy_by[c] += d;
    d += m_stolen[c]; // already counted as busy when the interrupt ran
    m_stolen[c] = sc_core::SC_ZERO_TIME;
    t->lt.advance(d);
}

void sw_runtime::charge_cost(hal_cost c)
{
    if (c < 0 || c >= HAL_COST__COUNT) {
        log(HAL_LOG_ERROR, "hal_charge: unknown cost " + std::to_string(int(c)));
        return;
    }
    charge(c == HAL_COST_HANDLER_SERVICE ? sample_handler_service() : m_cost[c]);
}

void sw_runtime::sleep(sc_time d)
{
    hal_task* t = current();
    if (!t) {
        m_irq_lt.sync();
        wait(d);
        return;
    }
    t->lt.sync();
    cpu_release(t);
    wait(d);
    cpu_acquire(t);
}

// ---- tasks ----

hal_task* sw_runtime::create_task(hal_task_kind kind, const char* name, void (*fn)(void*), void* arg)
{
    auto t = std::make_unique<hal_task>();
    t->rt = this;
    t->name = name ? name : "task";
    t->kind = kind;
    t->fn = fn;
    t->arg = arg;
    // Tasks on several CPUs share the software's state (queues, locks, the
    // command queue's tail): one that ran ahead of another could publish a
    // change the other, behind it in simulated time, sees early, or take a
    // lock out of time order. So with more than one CPU tasks run fully
    // synchronised (docs/user-guide.md, CPUs).
    t->lt.set_quantum(m_ncpus > 1 ? sc_core::SC_ZERO_TIME : m_quantum);
    hal_task* raw = t.get();
    m_tasks.push_back(std::move(t));
    m_last_proc = nullptr; // a new process may reuse a dead one's address
    m_last_task = nullptr;
    sc_core::sc_spawn_options opt;
    opt.set_stack_size(TASK_STACK);
    std::string pname = std::string(basename()) + "_task" + std::to_string(m_spawned++) + "_";
    for (char c : raw->name) pname += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    sc_core::sc_process_handle h = sc_core::sc_spawn([this, raw] { task_body(raw); }, pname.c_str(), &opt);
    m_task_of[h.get_process_object()] = raw;
    return raw;
}

void sw_runtime::task_body(hal_task* t)
{
    cpu_acquire(t);
    t->fn(t->arg);
    t->done = true;
    t->lt.sync();
    cpu_release(t);
}

void sw_runtime::start_boot(void (*fn)(void*), void* arg)
{
    create_task(HAL_TASK_KERNEL, "boot", fn, arg);
}

int sw_runtime::wait_event(hal_waitq* wq, bool (*cond)(void*), void* arg, uint64_t timeout_ps)
{
    if (cond(arg)) return 0;
    hal_task* t = current();
    if (!t) {
        log(HAL_LOG_ERROR, "hal_wait_event called outside a task (interrupt context)");
        return -EINVAL;
    }
    const bool forever = timeout_ps == HAL_WAIT_FOREVER;
    sc_time deadline = local_now() + sc_time::from_value(forever ? 0 : timeout_ps);
    while (!cond(arg)) {
        if (forever) {
            block_on(t, wq->ev, nullptr);
        } else {
            t->lt.sync();
            sc_time now = prisim::sim_now();
            if (now >= deadline) return -ETIMEDOUT;
            sc_time left = deadline - now;
            block_on(t, wq->ev, &left);
        }
    }
    charge_cost(HAL_COST_WAKEUP);
    return 0;
}

void sw_runtime::mutex_lock(hal_mutex* m)
{
    hal_task* t = current();
    while (m->owner && m->owner != t) block_on(t, m->released, nullptr);
    if (m->owner == t && t) {
        log(HAL_LOG_ERROR, "hal_mutex_lock: recursive lock by task '" + t->name + "'");
        return;
    }
    m->owner = t;
}

void sw_runtime::mutex_unlock(hal_mutex* m)
{
    m->owner = nullptr;
    notify_here(m->released);
}

void sw_runtime::worker_trampoline(void* self)
{
    static_cast<sw_runtime*>(self)->worker_main();
}

// The unbound workqueue (Linux WQ_UNBOUND): work items run in FIFO order of
// queueing, each on the first idle worker; a worker is added while every
// worker is busy, up to one per CPU (a worker is a kernel task, free to run
// on any CPU). With one CPU this is one worker running items in order.
void sw_runtime::worker_main()
{
    for (;;) {
        ++m_workers_idle;
        wait_event(&m_work_wq, [](void* s) { return !static_cast<sw_runtime*>(s)->m_work.empty(); },
                   this, HAL_WAIT_FOREVER);
        --m_workers_idle;
        if (m_work.empty()) continue; // another worker took it while this one woke
        const work_item w = m_work.front();
        m_work.pop_front();
        m_work_running.push_back(w.seq);
        w.fn(w.arg);
        m_work_running.erase(std::find(m_work_running.begin(), m_work_running.end(), w.seq));
        notify_here(m_work_flush_wq.ev);
    }
}

bool sw_runtime::is_worker(const hal_task* t) const
{
    return std::find(m_workers.begin(), m_workers.end(), t) != m_workers.end();
}

// Wait until every work item queued so far has run (flush_workqueue()).
int sw_runtime::flush_work()
{
    hal_task* t = current();
    if (!t || is_worker(t)) return -EINVAL; // a worker would wait for itself
    struct cond_arg { sw_runtime* rt; uint64_t target; } a{this, m_work_queued};
    return wait_event(&m_work_flush_wq,
                      [](void* p) {
                          auto* c = static_cast<cond_arg*>(p);
                          const sw_runtime* rt = c->rt;
                          if (!rt->m_work.empty() && rt->m_work.front().seq < c->target) return false;
                          for (uint64_t seq : rt->m_work_running)
                              if (seq < c->target) return false;
                          return true;
                      },
                      &a, HAL_WAIT_FOREVER);
}

int sw_runtime::queue_work(void (*fn)(void*), void* arg)
{
    if (!fn) return -EINVAL;
    m_work.push_back({fn, arg, m_work_queued++});
    if (m_work.size() > m_workers_idle && m_workers.size() < m_ncpus)
        m_workers.push_back(create_task(HAL_TASK_KERNEL, "kworker", &worker_trampoline, this));
    notify_here(m_work_wq.ev);
    return 0;
}

// ---- interrupts ----

int sw_runtime::msi_alloc(unsigned* irq, uint64_t* addr, uint32_t* data)
{
    if (!irq || !addr || !data) return -EINVAL;
    *irq = m_next_irq++;
    *addr = m_msi_addr;
    *data = *irq;
    return 0;
}

void sw_runtime::irq_thread_trampoline(void* p)
{
    auto* d = static_cast<irq_desc*>(p);
    for (;;) {
        d->rt->wait_event(&d->wq, [](void* q) { return static_cast<irq_desc*>(q)->pending; }, d,
                          HAL_WAIT_FOREVER);
        d->pending = false;
        if (!d->thread) continue; // freed while the run was pending
        d->running = true;
        const hal_irq_ret r = d->thread(d->arg, d->irq);
        d->running = false;
        d->rt->notify_here(d->idle);
        d->rt->irq_level_recheck(d, r);
    }
}

int sw_runtime::request_irq(unsigned irq, hal_irq_fn hard, hal_irq_fn thread, void* arg, const char* name)
{
    if (!hard && !thread) return -EINVAL;
    if (m_irqs.count(irq)) return -EBUSY;
    auto d = std::make_unique<irq_desc>();
    d->rt = this;
    d->irq = irq;
    d->hard = hard;
    d->thread = thread;
    d->arg = arg;
    d->name = name ? name : "irq";
    d->wq.rt = this;
    // platform.irq_affinity: "spread" hands the vectors out round-robin in
    // the order they are requested (as the kernel's vector matrix spreads
    // them over the CPUs of the default mask); "cpu0" keeps them all there.
    d->cpu = m_irq_spread ? m_irqs_requested % m_ncpus : 0;
    ++m_irqs_requested;
    irq_desc* raw = d.get();
    m_irqs[irq] = std::move(d);
    if (thread) {
        raw->task = create_task(HAL_TASK_KERNEL, ("irq/" + std::to_string(irq) + "-" + raw->name).c_str(),
                                &irq_thread_trampoline, raw);
        raw->task->pin = int(raw->cpu); // the thread follows the interrupt's affinity
    }
    return 0;
}

void sw_runtime::free_irq(unsigned irq)
{
    auto it = m_irqs.find(irq);
    if (it == m_irqs.end()) return;
    // Like free_irq(): no handler runs after this returns. The thread task
    // stays parked on its wait queue, so the descriptor is only disarmed;
    // a run in progress is waited for.
    irq_desc* d = it->second.get();
    d->hard = nullptr;
    d->thread = nullptr;
    d->pending = false;
    hal_task* t = current();
    while (d->running && t != d->task) block_on(t, d->idle, nullptr);
}

unsigned sw_runtime::wired_irq_alloc(unsigned n)
{
    const unsigned first = m_next_irq;
    m_next_irq += n;
    if (m_wired_end == m_wired_first)
        m_wired_first = first;
    m_wired_end = m_next_irq;
    return first;
}

// A wired interrupt's handler is done (its hardirq, or its thread: the wire
// stays masked meanwhile, as with IRQF_ONESHOT). If the wire is still high
// the interrupt is taken again at once. As Linux's note_interrupt() does, a
// wire that stays high with every handler saying it was not theirs is
// switched off after many rounds, so that a stuck source cannot hold the
// simulation in an interrupt storm.
void sw_runtime::irq_level_recheck(irq_desc* d, hal_irq_ret r)
{
    constexpr unsigned k_unhandled_limit = 1000;
    if (!m_wired_level || !wired(d->irq) || d->disabled || (!d->hard && !d->thread))
        return;
    if (!m_wired_level(d->irq, uint64_t(local_now().value()))) {
        d->unhandled = 0;
        return;
    }
    if (r == HAL_IRQ_NONE && ++d->unhandled >= k_unhandled_limit) {
        d->disabled = true;
        bump(m_platform, "irq.wired_disabled", 1);
        log(HAL_LOG_WARN, "interrupt " + std::to_string(d->irq) + " (" + d->name + "): wire stuck high, " +
                              std::to_string(k_unhandled_limit) + " times unhandled: disabled");
        return;
    }
    if (r != HAL_IRQ_NONE)
        d->unhandled = 0;
    raise_irq(d->irq, offset_here());
}

void sw_runtime::raise_irq(unsigned irq, const sc_time& delay)
{
    const sc_time at = prisim::sim_now() + delay;
    m_irq_fifo.insert_ordered({at, irq}, [](const auto& a, const auto& b) { return a.first < b.first; });
    m_irq_ev.notify(delay);
}

// Interrupt context: each interrupt is taken at its arrival time, or when
// the previous handler on its CPU is done, whichever is later; the context
// runs ahead of simulated time by up to the quantum.
void sw_runtime::irq_dispatch()
{
    int last_cpu = -1; // the CPU of the handler that ran last
    for (;;) {
        const sc_time now = prisim::sim_now();
        if (last_cpu >= 0) {
            sc_time& busy = m_irq_busy_until[unsigned(last_cpu)];
            busy = std::max(busy, now + m_irq_lt.offset());
            last_cpu = -1;
        }
        m_irq_lt.offset() = sc_core::SC_ZERO_TIME;
        if (m_irq_fifo.empty()) {
            wait(m_irq_ev);
            continue;
        }
        // Each interrupt is taken at its arrival time exactly (the CPU's
        // tasks have run up to then), later if the previous handler is busy.
        if (m_irq_fifo.front().first > now) {
            wait(m_irq_fifo.front().first - now, m_irq_ev); // an earlier interrupt may still arrive
            continue;
        }
        unsigned irq = m_irq_fifo.front().second;
        m_irq_fifo.pop_front();
        auto it = m_irqs.find(irq);
        if (it == m_irqs.end() || (!it->second->hard && !it->second->thread)) {
            bump(m_platform, "irq.spurious", 1);
            log(HAL_LOG_WARN, "spurious interrupt " + std::to_string(irq));
            continue;
        }
        irq_desc* d = it->second.get();
        if (wired(irq) && (d->disabled || d->pending || d->running)) {
            // Masked: switched off, or its thread not done yet (the wire
            // stays masked until then, IRQF_ONESHOT; irq_level_recheck
            // takes it again if it is still high).
            bump(m_platform, "irq.masked", 1);
            continue;
        }
        m_irq_cpu = d->cpu;
        last_cpu = int(d->cpu);
        const sc_time& busy = m_irq_busy_until[d->cpu];
        m_irq_lt.offset() = busy > now ? busy - now : sc_core::SC_ZERO_TIME;
        bump(m_platform, "irq.delivered", 1);
        charge_cost(HAL_COST_IRQ_ENTRY); // interrupt context: stolen from the running task
        hal_irq_ret r = d->hard ? d->hard(d->arg, irq) : HAL_IRQ_WAKE_THREAD;
        if (r == HAL_IRQ_WAKE_THREAD && d->thread) {
            d->pending = true;
            notify_here(d->wq.ev);
        } else {
            irq_level_recheck(d, r);
        }
    }
}

} // namespace prisim::platform
