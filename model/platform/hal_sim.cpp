// SPDX-License-Identifier: Apache-2.0
#include "platform/hal_sim.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "common/endian.h"
#include "common/payload.h"
#include "platform/fault_socket.h"
#include "platform/memory.h"
#include "platform/params.h"

namespace prisim::platform {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_PS;

namespace {
// Stack of a software task. Generous: C code runs on it, and sanitizers
// enlarge frames.
constexpr size_t TASK_STACK = 4u << 20;

uint64_t splitmix64(uint64_t& x)
{
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
} // namespace

sw_runtime::sw_runtime(sc_core::sc_module_name name, const params& p, dram& mem, uint64_t msi_addr)
    : sc_module(name), mmio("mmio"), m_params(p), m_mem(mem), m_msi_addr(msi_addr)
{
    m_hal.rt = this;
    m_work_wq.rt = this;
    m_work_flush_wq.rt = this;
    static const char* const keys[HAL_COST__COUNT] = {
        "sw.cost.irq_entry_ns",    "sw.cost.pq_record_ns",  "sw.cost.fq_record_ns",
        "sw.cost.cq_submit_ns",    "sw.cost.iopf_group_ns", "sw.cost.wakeup_ns",
        "sw.cost.syscall_ns",      "sw.cost.fd_read_msg_ns", "sw.cost.fd_write_msg_ns",
        "sw.cost.handler.mean_ns", "sw.cost.map_page_ns",   "sw.cost.cfg_access_ns",
    };
    for (int i = 0; i < HAL_COST__COUNT; ++i)
        m_cost[i] = sc_time(double(p.u64(keys[i])), SC_NS);
    const std::string& dist = p.str("sw.cost.handler.dist");
    m_handler_dist = dist == "exponential" ? dist_kind::exponential
                   : dist == "lognormal"   ? dist_kind::lognormal
                   : dist == "iaa"         ? dist_kind::iaa
                                           : dist_kind::fixed;
    m_handler_mean_ns = double(p.u64("sw.cost.handler.mean_ns"));
    m_handler_sigma = p.f64("sw.cost.handler.sigma");
    uint64_t s = p.u64("seed");
    for (auto& r : m_rng) r = splitmix64(s);
    m_quantum = sc_time(double(p.u64("run.quantum_ns")), SC_NS);
    m_irq_lt.set_quantum(m_quantum);
    SC_HAS_PROCESS(sw_runtime);
    SC_THREAD(irq_dispatch);
}

sw_runtime::~sw_runtime() = default;

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

pci_function* sw_runtime::pci_by_rid(uint16_t rid)
{
    for (auto& f : m_pci)
        if (f.info.rid == rid) return &f;
    return nullptr;
}

// ---- CPU ----

void sw_runtime::cpu_acquire(hal_task* t)
{
    if (!t || m_cpu_owner == t) return;
    if (!m_cpu_owner) {
        m_cpu_owner = t;
        return;
    }
    if (t->lt.offset() != sc_core::SC_ZERO_TIME) {
        // Blocking: the wait starts at the task's local time. The CPU may
        // have been released meanwhile: look again.
        t->lt.sync();
        if (!m_cpu_owner) m_cpu_owner = t;
        if (m_cpu_owner == t) return;
    }
    (t->kind == HAL_TASK_KERNEL ? m_cpu_wait_kernel : m_cpu_wait_user).push_back(t);
    while (m_cpu_owner != t) wait(t->handoff);
}

// The caller has synchronised: the CPU changes hands at simulated time now.
void sw_runtime::cpu_release(hal_task* t)
{
    if (!t || m_cpu_owner != t) return;
    hal_task* next = nullptr;
    if (!m_cpu_wait_kernel.empty()) {
        next = m_cpu_wait_kernel.front();
        m_cpu_wait_kernel.pop_front();
    } else if (!m_cpu_wait_user.empty()) {
        next = m_cpu_wait_user.front();
        m_cpu_wait_user.pop_front();
    }
    m_cpu_owner = next;
    if (next) next->handoff.notify(sc_core::SC_ZERO_TIME);
}

// Callers loop on their condition: a context that runs ahead first only
// synchronises and returns, so that the condition is looked at again at its
// own time (a wake-up during the synchronisation is not lost).
bool sw_runtime::block_on(hal_task* t, sc_core::sc_event& ev, const sc_time* timeout)
{
    prisim::local_time& lt = t ? t->lt : m_irq_lt;
    if (lt.offset() != sc_core::SC_ZERO_TIME) {
        lt.sync();
        return true;
    }
    cpu_release(t);
    bool fired = true;
    if (timeout) {
        sc_time start = prisim::sim_now();
        wait(*timeout, ev);
        fired = prisim::sim_now() - start < *timeout;
    } else {
        wait(ev);
    }
    cpu_acquire(t);
    return fired;
}

hal_task* sw_runtime::current()
{
    // The running process, without building a process handle.
    const sc_core::sc_object* p = sc_core::sc_get_curr_simcontext()->get_curr_proc_info()->process_handle;
    if (p == m_last_proc && p) return m_last_task;
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

void sw_runtime::notify_here(sc_core::sc_event& ev)
{
    ev.notify(offset_here()); // a zero offset is a delta notification
}

void sw_runtime::charge(sc_time d)
{
    hal_task* t = current();
    m_cpu_busy += d;
    if (!t) {
        // Hard-interrupt context: the handler runs at once; a task that
        // holds the CPU is delayed by that much at its next charge.
        if (m_cpu_owner) m_stolen += d;
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
    if (t->kind == HAL_TASK_USER && !m_cpu_wait_kernel.empty()) {
        t->lt.sync();
        cpu_release(t); // preempted by a runnable kernel task
        cpu_acquire(t);
    }
    d += m_stolen; // already counted as busy when the interrupt ran
    m_stolen = sc_core::SC_ZERO_TIME;
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
    t->lt.set_quantum(m_quantum);
    hal_task* raw = t.get();
    m_tasks.push_back(std::move(t));
    m_last_proc = nullptr; // a new process may reuse a dead one's address
    m_last_task = nullptr;
    sc_core::sc_spawn_options opt;
    opt.set_stack_size(TASK_STACK);
    std::string pname = "task" + std::to_string(m_spawned++) + "_";
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

void sw_runtime::worker_main()
{
    for (;;) {
        wait_event(&m_work_wq, [](void* s) { return !static_cast<sw_runtime*>(s)->m_work.empty(); },
                   this, HAL_WAIT_FOREVER);
        auto w = m_work.front();
        m_work.pop_front();
        w.first(w.second);
        ++m_work_done;
        notify_here(m_work_flush_wq.ev);
    }
}

// Wait until the work queued so far has run: works run in order, one at a
// time, so it is done when as many have finished as had been queued.
int sw_runtime::flush_work()
{
    hal_task* t = current();
    if (!t || t == m_worker) return -EINVAL; // a worker would wait for itself
    const uint64_t target = m_work_queued;
    struct cond_arg { sw_runtime* rt; uint64_t target; } a{this, target};
    return wait_event(&m_work_flush_wq,
                      [](void* p) {
                          auto* c = static_cast<cond_arg*>(p);
                          return c->rt->m_work_done >= c->target;
                      },
                      &a, HAL_WAIT_FOREVER);
}

int sw_runtime::queue_work(void (*fn)(void*), void* arg)
{
    if (!fn) return -EINVAL;
    if (!m_worker) m_worker = create_task(HAL_TASK_KERNEL, "kworker", &worker_trampoline, this);
    m_work.push_back({fn, arg});
    ++m_work_queued;
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
        d->thread(d->arg, d->irq);
        d->running = false;
        d->rt->notify_here(d->idle);
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
    irq_desc* raw = d.get();
    m_irqs[irq] = std::move(d);
    if (thread)
        raw->task = create_task(HAL_TASK_KERNEL, ("irq/" + std::to_string(irq) + "-" + raw->name).c_str(),
                                &irq_thread_trampoline, raw);
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

void sw_runtime::raise_irq(unsigned irq, const sc_time& delay)
{
    const sc_time at = prisim::sim_now() + delay;
    m_irq_fifo.insert_ordered({at, irq}, [](const auto& a, const auto& b) { return a.first < b.first; });
    m_irq_ev.notify(delay);
}

// Interrupt context: each interrupt is taken at its arrival time, or when
// the previous handler is done, whichever is later; the context runs ahead
// of simulated time by up to the quantum.
void sw_runtime::irq_dispatch()
{
    sc_time busy_until = sc_core::SC_ZERO_TIME; // the last handler's end
    for (;;) {
        const sc_time now = prisim::sim_now();
        busy_until = std::max(busy_until, now + m_irq_lt.offset());
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
        m_irq_lt.offset() = busy_until - now;
        unsigned irq = m_irq_fifo.front().second;
        m_irq_fifo.pop_front();
        auto it = m_irqs.find(irq);
        if (it == m_irqs.end() || (!it->second->hard && !it->second->thread)) {
            bump(m_platform, "irq.spurious", 1);
            log(HAL_LOG_WARN, "spurious interrupt " + std::to_string(irq));
            continue;
        }
        irq_desc* d = it->second.get();
        bump(m_platform, "irq.delivered", 1);
        charge_cost(HAL_COST_IRQ_ENTRY); // interrupt context: stolen from the running task
        hal_irq_ret r = d->hard ? d->hard(d->arg, irq) : HAL_IRQ_WAKE_THREAD;
        if (r == HAL_IRQ_WAKE_THREAD && d->thread) {
            d->pending = true;
            notify_here(d->wq.ev);
        }
    }
}

// ---- MMIO ----

// One CPU load or store over the system bus at the caller's local time (the
// target takes the annotated delay into account); the CPU stalls for the
// bus latency, which advances its local time. Returns false (and logs) when
// the bus answers with an error.
bool sw_runtime::mmio_access(tlm::tlm_command cmd, uint64_t addr, unsigned size, unsigned char* buf)
{
    hal_task* t = current();
    cpu_acquire(t);
    prisim::local_time& lt = t ? t->lt : m_irq_lt;
    // A load must see what other processes did up to the CPU's own time: it
    // synchronises first. A store carries its time to the target instead.
    if (cmd == tlm::TLM_READ_COMMAND) lt.sync_to_observe();
    tlm::tlm_generic_payload& gp = prisim::prepare_payload(m_mmio_gp, cmd, addr, buf, size);
    sc_time delay = lt.offset();
    mmio->b_transport(gp, delay);
    const tlm::tlm_response_status st = gp.get_response_status();
    if (delay > lt.offset()) m_cpu_busy += delay - lt.offset();
    lt.take(delay);
    if (st == tlm::TLM_OK_RESPONSE) return true;
    char msg[96];
    gp.set_response_status(st);
    std::snprintf(msg, sizeof msg, "MMIO %s of %u bytes at 0x%llx failed (%s)",
                  cmd == tlm::TLM_READ_COMMAND ? "read" : "write", size,
                  static_cast<unsigned long long>(addr), gp.get_response_string().c_str());
    log(HAL_LOG_ERROR, msg);
    return false;
}

uint64_t sw_runtime::mmio_read(uint64_t addr, unsigned size)
{
    unsigned char buf[8] = {};
    if (!mmio_access(tlm::TLM_READ_COMMAND, addr, size, buf))
        return size == 8 ? ~0ull : 0xFFFFFFFFull; // a failed load reads all-ones
    return load_le(buf, size);
}

void sw_runtime::mmio_write(uint64_t addr, unsigned size, uint64_t val)
{
    unsigned char buf[8];
    store_le(buf, val);
    mmio_access(tlm::TLM_WRITE_COMMAND, addr, size, buf);
}

// ---- statistics ----

void sw_runtime::bump(counter_map& m, std::string_view key, uint64_t delta)
{
    auto it = m.find(key);
    if (it != m.end())
        it->second += delta;
    else
        m.emplace(std::string(key), delta);
}

void sw_runtime::bad_stat_id(hal_stat_id id)
{
    SC_REPORT_FATAL("prisim/sw", ("software counted with statistic id " + std::to_string(id) +
                                  ", which hal_stat_register() never returned").c_str());
    std::abort(); // not reached: a fatal report does not return
}

uint64_t sw_runtime::sw_stat(std::string_view name) const { return m_sw_stats.value(name); }

uint64_t sw_runtime::sw_dev_stat(uint16_t rid, std::string_view name) const
{
    return m_sw_stats.dev_value(rid, name);
}

void sw_runtime::report(stat_sink& sink) const
{
    m_sw_stats.report(sink);
    for (const auto& [k, v] : m_platform) sink.counter("platform." + k, v);
    if (m_handler_service.count()) sink.samples("platform.handler_service", m_handler_service, "ps");
}

// ---- misc ----

void sw_runtime::log(hal_log_level lvl, const std::string& msg)
{
    std::string m = msg;
    while (!m.empty() && m.back() == '\n') m.pop_back();
    if (hal_task* t = current()) m = "[" + t->name + "] " + m;
    // Stamped with the software's own time: it may run ahead of the kernel's
    // (the report handler prints sc_time_stamp() for other components).
    m += " (at " + local_now().to_string() + ")";
    switch (lvl) {
    case HAL_LOG_DEBUG:
        SC_REPORT_INFO_VERB("prisim/sw", m.c_str(), sc_core::SC_DEBUG);
        break;
    case HAL_LOG_INFO:
        SC_REPORT_INFO_VERB("prisim/sw", m.c_str(), sc_core::SC_MEDIUM);
        break;
    case HAL_LOG_WARN:
        SC_REPORT_WARNING("prisim/sw", m.c_str());
        break;
    case HAL_LOG_ERROR:
        ++m_log_errors;
        bump(m_platform, "sw_log_errors", 1);
        SC_REPORT_ERROR("prisim/sw", m.c_str());
        break;
    }
}

bool sw_runtime::chan_open() const { return m_chan && m_chan->is_open(); }

int sw_runtime::chan_read(void* buf, size_t len)
{
    if (!chan_open()) return -ENOTCONN;
    std::string why;
    const int rc = m_chan->read(buf, len, why);
    if (rc) log(HAL_LOG_ERROR, "--fault-socket: " + why);
    return rc;
}

int sw_runtime::chan_write(const void* buf, size_t len)
{
    if (!chan_open()) return -ENOTCONN;
    std::string why;
    const int rc = m_chan->write(buf, len, why);
    if (rc) log(HAL_LOG_ERROR, "--fault-socket: " + why);
    return rc;
}

void sw_runtime::chan_close()
{
    if (m_chan) m_chan->close();
}

uint64_t sw_runtime::param_u64(const char* key)
{
    try {
        return m_params.u64(key);
    } catch (const config_error& e) {
        SC_REPORT_FATAL("prisim/sw", (std::string("software asked for parameter: ") + e.what()).c_str());
    }
    return 0;
}

const char* sw_runtime::param_str(const char* key)
{
    try {
        return m_params.str(key).c_str();
    } catch (const config_error& e) {
        SC_REPORT_FATAL("prisim/sw", (std::string("software asked for parameter: ") + e.what()).c_str());
    }
    return "";
}

} // namespace prisim::platform

// ---- C entry points (hal.h) ----

using prisim::platform::sw_runtime;

extern "C" {

unsigned int hal_iommu_count(struct hal* h) { return unsigned(h->rt->iommus().size()); }
const struct hal_iommu_info* hal_iommu(struct hal* h, unsigned int idx)
{
    return idx < h->rt->iommus().size() ? &h->rt->iommus()[idx] : nullptr;
}
unsigned int hal_pci_dev_count(struct hal* h) { return unsigned(h->rt->pci().size()); }
const struct hal_pci_dev_info* hal_pci_dev(struct hal* h, unsigned int idx)
{
    return idx < h->rt->pci().size() ? &h->rt->pci()[idx].info : nullptr;
}

uint32_t hal_pci_cfg_read(struct hal* h, uint16_t rid, unsigned int off, unsigned int size)
{
    h->rt->charge_cost(HAL_COST_CFG_ACCESS);
    auto* f = h->rt->pci_by_rid(rid);
    if (!f || off >= 4096 || (size != 1 && size != 2 && size != 4)) return ~0u; // master abort
    return f->cfg_read(off, size);
}

void hal_pci_cfg_write(struct hal* h, uint16_t rid, unsigned int off, unsigned int size, uint32_t val)
{
    h->rt->charge_cost(HAL_COST_CFG_ACCESS);
    auto* f = h->rt->pci_by_rid(rid);
    if (!f || off >= 4096 || (size != 1 && size != 2 && size != 4)) return;
    f->cfg_write(off, size, val);
}

uint64_t hal_param_u64(struct hal* h, const char* key) { return h->rt->param_u64(key); }
const char* hal_param_str(struct hal* h, const char* key) { return h->rt->param_str(key); }

uint32_t hal_mmio_read32(struct hal* h, hal_paddr_t a) { return uint32_t(h->rt->mmio_read(a, 4)); }
uint64_t hal_mmio_read64(struct hal* h, hal_paddr_t a) { return h->rt->mmio_read(a, 8); }
void hal_mmio_write32(struct hal* h, hal_paddr_t a, uint32_t v) { h->rt->mmio_write(a, 4, v); }
void hal_mmio_write64(struct hal* h, hal_paddr_t a, uint64_t v) { h->rt->mmio_write(a, 8, v); }

void* hal_dma_alloc(struct hal* h, size_t size, size_t align, hal_paddr_t* pa)
{
    if (align < 8) align = 8;
    uint64_t p = h->rt->mem().alloc(size, align);
    if (!p) return nullptr;
    if (pa) *pa = p;
    return h->rt->mem().ptr(p);
}
void hal_dma_free(struct hal* h, void* cpu, size_t size)
{
    if (cpu) h->rt->mem().free(h->rt->mem().pa_of(cpu), size);
}
void* hal_phys_to_virt(struct hal* h, hal_paddr_t pa) { return h->rt->mem().ptr(pa); }
hal_paddr_t hal_virt_to_phys(struct hal* h, const void* cpu) { return h->rt->mem().pa_of(cpu); }
// A read barrier is where software looks at memory that devices write (queue
// records, fence words): the CPU synchronises so that it sees what was
// written up to its own time. Writes need nothing: memory is coherent.
void hal_wmb(struct hal*) {}
void hal_rmb(struct hal* h) { h->rt->sync_here(); }
void hal_mb(struct hal* h) { h->rt->sync_here(); }

int hal_msi_alloc(struct hal* h, unsigned int* irq, uint64_t* addr, uint32_t* data)
{
    return h->rt->msi_alloc(irq, addr, data);
}
int hal_request_threaded_irq(struct hal* h, unsigned int irq, hal_irq_fn hard, hal_irq_fn thread,
                             void* arg, const char* name)
{
    return h->rt->request_irq(irq, hard, thread, arg, name);
}
void hal_free_irq(struct hal* h, unsigned int irq) { h->rt->free_irq(irq); }

uint64_t hal_now_ps(struct hal* h) { return h->rt->local_now().value(); }
void hal_charge(struct hal* h, enum hal_cost c) { h->rt->charge_cost(c); }
void hal_charge_ps(struct hal* h, uint64_t ps) { h->rt->charge(sc_core::sc_time::from_value(ps)); }

struct hal_task* hal_task_create(struct hal* h, enum hal_task_kind kind, const char* name,
                                 void (*fn)(void*), void* arg)
{
    return fn ? h->rt->create_task(kind, name, fn, arg) : nullptr;
}
struct hal_task* hal_current(struct hal* h) { return h->rt->current(); }
void hal_sleep_ps(struct hal* h, uint64_t ps) { h->rt->sleep(sc_core::sc_time::from_value(ps)); }

struct hal_waitq* hal_waitq_create(struct hal* h)
{
    auto* wq = new hal_waitq;
    wq->rt = h->rt;
    return wq;
}
void hal_waitq_destroy(struct hal_waitq* wq) { delete wq; }
int hal_wait_event(struct hal_waitq* wq, bool (*cond)(void*), void* arg, uint64_t timeout_ps)
{
    return wq->rt->wait_event(wq, cond, arg, timeout_ps);
}
void hal_wake_up(struct hal_waitq* wq) { wq->rt->notify_here(wq->ev); }

struct hal_mutex* hal_mutex_create(struct hal* h)
{
    auto* m = new hal_mutex;
    m->rt = h->rt;
    return m;
}
void hal_mutex_destroy(struct hal_mutex* m) { delete m; }
void hal_mutex_lock(struct hal_mutex* m) { m->rt->mutex_lock(m); }
void hal_mutex_unlock(struct hal_mutex* m) { m->rt->mutex_unlock(m); }
bool hal_mutex_held(struct hal_mutex* m) { return m->owner && m->owner == m->rt->current(); }

int hal_queue_work(struct hal* h, void (*fn)(void*), void* arg) { return h->rt->queue_work(fn, arg); }
int hal_flush_work(struct hal* h) { return h->rt->flush_work(); }

void hal_log(struct hal* h, enum hal_log_level lvl, const char* fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    h->rt->log(lvl, buf);
}

hal_stat_id hal_stat_register(struct hal* h, const char* name) { return h->rt->stat_register(name); }
void hal_stat_inc(struct hal* h, hal_stat_id id, uint64_t delta) { h->rt->stat_inc(id, delta); }
void hal_stat_dev_inc(struct hal* h, uint16_t rid, hal_stat_id id, uint64_t delta)
{
    h->rt->stat_dev_inc(rid, id, delta);
}
void hal_stat_add(struct hal* h, const char* name, uint64_t delta)
{
    h->rt->stat_inc(h->rt->stat_register(name), delta);
}
void hal_stat_dev_add(struct hal* h, uint16_t rid, const char* name, uint64_t delta)
{
    h->rt->stat_dev_inc(rid, h->rt->stat_register(name), delta);
}
bool hal_host_chan_open(struct hal* h) { return h->rt->chan_open(); }
int hal_host_chan_read(struct hal* h, void* buf, size_t len) { return h->rt->chan_read(buf, len); }
int hal_host_chan_write(struct hal* h, const void* buf, size_t len) { return h->rt->chan_write(buf, len); }
void hal_host_chan_close(struct hal* h) { h->rt->chan_close(); }

bool hal_should_fail(struct hal*, const char*) { return false; }

} // extern "C"
