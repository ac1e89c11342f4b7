// SPDX-License-Identifier: Apache-2.0
//
// The HAL (sw/include/prisim/hal.h) implemented on SystemC: the bridge
// between the C software stack and the model (DESIGN §4).
//
// What it models: platform.cpus CPUs that run software tasks (SystemC
// threads), one task per CPU at a time. A task holds a CPU while it runs and
// while it charges modelled cost (hal_charge); it gives the CPU up when it
// blocks. Kernel tasks take a CPU before waiting user tasks, and a user task
// yields to a kernel task waiting for its CPU at its next charge (preemption
// at charge boundaries). Each interrupt is delivered to one CPU
// (platform.irq_affinity) and steals its entry cost from whatever task holds
// that CPU; its thread runs on that CPU. MMIO goes over the system bus; an
// access stalls the CPU for the bus latency.
// Time is loosely timed (DESIGN.md §5, common/local_time.h): a task's
// charges and MMIO stalls advance its local time; it synchronises (wait())
// when the quantum (run.quantum_ns) runs out, before it blocks or gives up
// the CPU. Its MMIO accesses and wake-ups carry its local time as their
// annotated delay, so they take effect at the right simulated time without
// a wait. Interrupt context has a local time of its own.
// What it does not: caches, scheduling quanta or priorities within a class,
// load balancing of a queued task onto another CPU's pin (docs/user-guide.md,
// CPUs).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "common/local_time.h"
#include "common/ring.h"
#include "common/fault_stages.h"
#include "common/stats.h"
#include "platform/fault_inject.h"
#include "platform/sw_stats.h"
#include "platform/task_event.h"
#include "prisim/hal.h"

namespace prisim::platform {

class params;
class dram;
class fault_socket;

struct pci_function {
    hal_pci_dev_info info;
    std::function<uint32_t(unsigned off, unsigned size)> cfg_read;
    std::function<void(unsigned off, unsigned size, uint32_t val)> cfg_write;
};

class sw_runtime;

} // namespace prisim::platform

// The C-visible machine handle.
struct hal {
    prisim::platform::sw_runtime* rt;
};

struct hal_task {
    prisim::platform::sw_runtime* rt;
    std::string name;
    hal_task_kind kind;
    void (*fn)(void*);
    void* arg;
    sc_core::sc_event handoff; // CPU handed to this task
    prisim::local_time lt;     // the task's local time
    int cpu = -1;              // the CPU it holds, or -1
    int pin = -1;              // the only CPU it may run on, or -1 for any
    bool done = false;
};

struct hal_waitq {
    prisim::platform::sw_runtime* rt;
    prisim::platform::task_event ev;
};

struct hal_mutex {
    prisim::platform::sw_runtime* rt;
    hal_task* owner = nullptr;
    prisim::platform::task_event released;
};

namespace prisim::platform {

class sw_runtime : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<sw_runtime> mmio; // CPU -> system bus

    sw_runtime(sc_core::sc_module_name name, const params& p, dram& mem, uint64_t msi_addr);
    ~sw_runtime() override;

    struct hal* hal_handle() { return &m_hal; }
    void add_iommu(const hal_iommu_info& info) { m_iommus.push_back(info); }
    void add_pci(pci_function f) { m_pci.push_back(std::move(f)); }
    // Start fn(arg) as a kernel task at time zero (boot).
    void start_boot(void (*fn)(void*), void* arg);
    // Called by the MSI controller: the interrupt arrives `delay` from now.
    void raise_irq(unsigned irq, const sc_core::sc_time& delay);
    // Interrupt numbers for `n` wires of a wired interrupt controller, and
    // the level of such an interrupt's wire at a time (ps): a handler that
    // is done with a wire still high sees its interrupt raised again (level
    // semantics; a threaded handler's wire stays masked until its thread is
    // done, as with IRQF_ONESHOT).
    unsigned wired_irq_alloc(unsigned n);
    void set_wired_level(std::function<bool(unsigned irq, uint64_t at_ps)> level) { m_wired_level = std::move(level); }

    // Software counters by name (without "sw."), globally and per device.
    uint64_t sw_stat(std::string_view name) const;
    uint64_t sw_dev_stat(uint16_t rid, std::string_view name) const;
    // A level statistic (hal_stat_level_add) now: 0 if it never changed.
    uint64_t sw_level(std::string_view name) const { return m_sw_stats.level(name); }
    // Every counter under its results.json name: sw.<name>,
    // sw.dev.<rid>.<name> and the platform's own platform.<name>.
    void report(stat_sink& sink) const;
    // Busy time of all CPUs together, and of one.
    uint64_t cpu_busy_ps() const
    {
        uint64_t sum = 0;
        for (const auto& b : m_cpu_busy_by) sum += b.value();
        return sum;
    }
    unsigned ncpus() const { return m_ncpus; }
    uint64_t cpu_busy_ps(unsigned cpu) const { return m_cpu_busy_by[cpu].value(); }
    uint64_t tasks_created() const { return m_tasks.size(); }
    uint64_t log_errors() const { return m_log_errors; }
    // Fault injection into the software stack (sw.inject.*).
    const fault_inject& inject() const { return m_inject; }
    bool should_fail(const char* site) { return m_inject.enabled() && injected_failure(site); }

    // ---- HAL implementation (called through the C entry points) ----
    const params& cfg() const { return m_params; }
    dram& mem() { return m_mem; }
    const std::vector<hal_iommu_info>& iommus() const { return m_iommus; }
    const std::vector<pci_function>& pci() const { return m_pci; }
    pci_function* pci_by_rid(uint16_t rid);

    uint64_t mmio_read(uint64_t addr, unsigned size);
    void mmio_write(uint64_t addr, unsigned size, uint64_t val);

    // The task of the running process (nullptr outside tasks): the last
    // answer again while the same process runs, else a look-up.
    hal_task* current()
    {
        const sc_core::sc_object* p = prisim::sim_context()->get_curr_proc_info()->process_handle;
        if (p == m_last_proc && p) return m_last_task;
        return current_lookup(p);
    }
    // The local time offset of the calling context (a task or interrupt context).
    sc_core::sc_time& offset_here();
    sc_core::sc_time local_now() { return prisim::sim_now() + offset_here(); }
    // Notify `ev` at the caller's local time (held back while no task
    // waits for it: task_event.h).
    void notify_here(task_event& ev);
    // Bring simulated time up to the caller's local time.
    void sync_here() { prisim::synchronise_to_observe(offset_here()); }
    hal_task* create_task(hal_task_kind kind, const char* name, void (*fn)(void*), void* arg);
    void charge(sc_core::sc_time d);
    void charge_cost(hal_cost c);
    void sleep(sc_core::sc_time d);
    int wait_event(hal_waitq* wq, bool (*cond)(void*), void* arg, uint64_t timeout_ps);
    void mutex_lock(hal_mutex* m);
    void mutex_unlock(hal_mutex* m);
    int queue_work(void (*fn)(void*), void* arg);
    int flush_work();
    int msi_alloc(unsigned* irq, uint64_t* addr, uint32_t* data);
    int request_irq(unsigned irq, hal_irq_fn hard, hal_irq_fn thread, void* arg, const char* name);
    void free_irq(unsigned irq);
    hal_stat_id stat_register(const char* name) { return m_sw_stats.intern(name); }
    void stat_inc(hal_stat_id id, uint64_t delta)
    {
        if (!m_sw_stats.valid(id)) bad_stat_id(id);
        m_sw_stats.inc(id, delta);
    }
    void stat_dev_inc(uint16_t rid, hal_stat_id id, uint64_t delta)
    {
        if (!m_sw_stats.valid(id)) bad_stat_id(id);
        m_sw_stats.dev_inc(rid, id, delta);
    }
    // hal_stat_level_add: stamped with the caller's local time.
    void stat_level_add(hal_stat_id id, int64_t delta)
    {
        occupancy_tracker* t = m_sw_stats.level_tracker(id);
        if (!t) bad_stat_id(id);
        t->add(delta, uint64_t(local_now().value()));
    }
    // Software level statistics to `o` (prisim --occupancy-out).
    void observe_levels(prisim::occupancy_observer* o) { m_sw_stats.observe_levels(o); }
    void log(hal_log_level lvl, const std::string& msg);
    // Whether a message of lvl is reported at the run's verbosity (warnings
    // and errors always are). The report handler would drop the others only
    // after looking up their message type, and hal_log after formatting them.
    static bool log_enabled(hal_log_level lvl)
    {
        if (lvl != HAL_LOG_DEBUG && lvl != HAL_LOG_INFO) return true;
        return sc_core::sc_report_handler::get_verbosity_level() >= info_verbosity(lvl);
    }
    // The SystemC verbosity a debug or info message is reported at.
    static int info_verbosity(hal_log_level lvl)
    {
        return lvl == HAL_LOG_DEBUG ? sc_core::SC_DEBUG : sc_core::SC_MEDIUM;
    }
    // Fault stage stamps (hal_fault_stamp) go to `st` (null: dropped).
    void set_fault_stages(prisim::fault_stages* st) { m_stages = st; }
    void fault_stamp(uint16_t rid, uint32_t pasid, uint32_t prgi, hal_fault_mark mark)
    {
        // The HAL's marks are fault_mark's drained .. answered, in order.
        static_assert(unsigned(prisim::fault_mark::answered) - unsigned(prisim::fault_mark::drained) + 1 ==
                      HAL_FAULT__COUNT);
        if (m_stages && unsigned(mark) < HAL_FAULT__COUNT)
            m_stages->mark(rid, pasid, prgi, prisim::fault_mark(unsigned(prisim::fault_mark::drained) + mark),
                           uint64_t(local_now().value()));
    }
    // The host channel (hal_host_chan_*): the --fault-socket connection, if
    // any, owned by the caller. Failures are logged as errors here.
    void set_host_channel(fault_socket* chan) { m_chan = chan; }
    bool chan_open() const;
    int chan_read(void* buf, size_t len);
    int chan_write(const void* buf, size_t len);
    void chan_close();
    uint64_t param_u64(const char* key);
    const char* param_str(const char* key);

private:
    bool mmio_access(tlm::tlm_command cmd, uint64_t addr, unsigned size, unsigned char* buf);
    hal_task* current_lookup(const sc_core::sc_object* p);
    void task_body(hal_task* t);
    // Take a CPU for t (a task, not interrupt context), waiting if none is free.
    void cpu_acquire(hal_task* t)
    {
        if (t && t->cpu < 0) cpu_wait_for(t);
    }
    void cpu_wait_for(hal_task* t);
    void cpu_release(hal_task* t);
    static bool may_run_on(const hal_task* t, unsigned cpu);
    bool take_idle_cpu(hal_task* t);
    hal_task* dequeue_for(prisim::ring<hal_task*>& q, unsigned cpu);
    bool kernel_waits_for(unsigned cpu) const;
    bool is_worker(const hal_task* t) const;
    // Give up the CPU, wait for ev (or timeout), take the CPU again.
    bool block_on(hal_task* t, task_event& ev, const sc_core::sc_time* timeout);
    void irq_dispatch();
    void worker_main();
    static void worker_trampoline(void* self);
    static void irq_thread_trampoline(void* desc);
    sc_core::sc_time sample_handler_service();
    uint64_t next_random();

    struct irq_desc {
        sw_runtime* rt;
        unsigned irq;
        hal_irq_fn hard = nullptr, thread = nullptr;
        void* arg = nullptr;
        std::string name;
        bool pending = false;
        bool running = false;       // thread_fn is executing
        task_event idle;            // thread_fn returned
        hal_waitq wq;
        hal_task* task = nullptr;
        unsigned cpu = 0;           // the CPU it is delivered to (platform.irq_affinity)
        unsigned unhandled = 0;     // wired: raised again in a row with no handler taking it
        bool disabled = false;      // wired: stuck high with nobody handling it (see irq_level_recheck)
    };

    const params& m_params;
    // device.pasids as the software reads it: the most of any device's spec,
    // worked out once with the machine's configuration (not while it boots).
    const uint64_t m_max_pasids;
    dram& m_mem;
    uint64_t m_msi_addr;
    struct hal m_hal;
    std::vector<hal_iommu_info> m_iommus;
    std::vector<pci_function> m_pci;

    std::vector<std::unique_ptr<hal_task>> m_tasks;
    std::map<const sc_core::sc_object*, hal_task*> m_task_of; // lookup only
    const sc_core::sc_object* m_last_proc = nullptr;         // one-entry cache of m_task_of
    hal_task* m_last_task = nullptr;
    sc_core::sc_time m_quantum;
    prisim::local_time m_irq_lt;           // interrupt context
    tlm::tlm_generic_payload m_mmio_gp;    // one blocking initiator at a time: one payload
    unsigned m_ncpus = 1;                       // platform.cpus
    std::vector<hal_task*> m_cpu_owner;         // by CPU: the task running there
    prisim::ring<hal_task*> m_cpu_wait_kernel, m_cpu_wait_user;
    std::vector<sc_core::sc_time> m_stolen;     // by CPU: interrupt time not yet charged
    std::vector<sc_core::sc_time> m_cpu_busy_by; // by CPU
    sc_core::sc_time m_cost[HAL_COST__COUNT];
    enum class dist_kind { fixed, exponential, lognormal, iaa } m_handler_dist;
    double m_handler_mean_ns, m_handler_sigma; // handler service time
    prisim::sample_set m_handler_service;      // every draw, for the statistics

    std::map<unsigned, std::unique_ptr<irq_desc>> m_irqs;
    unsigned m_next_irq = 32;
    std::function<bool(unsigned irq, uint64_t at_ps)> m_wired_level; // null: no wired interrupts
    unsigned m_wired_first = 0, m_wired_end = 0; // [first, end): wired interrupt numbers
    bool wired(unsigned irq) const { return irq >= m_wired_first && irq < m_wired_end; }
    void irq_level_recheck(irq_desc* d, hal_irq_ret r);
    prisim::ring<std::pair<sc_core::sc_time, unsigned>> m_irq_fifo; // by arrival time
    sc_core::sc_event m_irq_ev;
    bool m_irq_spread = true;                   // platform.irq_affinity
    unsigned m_irqs_requested = 0;
    unsigned m_irq_cpu = 0;                     // the CPU of the running hard handler
    std::vector<sc_core::sc_time> m_irq_busy_until; // by CPU: the last hard handler's end

    struct work_item {
        void (*fn)(void*);
        void* arg;
        uint64_t seq;
    };
    prisim::ring<work_item> m_work;
    hal_waitq m_work_wq;
    hal_waitq m_work_flush_wq;                    // a work finished (flush_work)
    uint64_t m_work_queued = 0;                   // the next work's seq
    std::vector<uint64_t> m_work_running;         // seqs of the works running now
    std::vector<hal_task*> m_workers;
    unsigned m_workers_idle = 0;

    [[noreturn]] static void bad_stat_id(hal_stat_id id);
    // Heterogeneous lookup: counting an existing key neither formats nor
    // allocates.
    using counter_map = std::map<std::string, uint64_t, std::less<>>;
    static void bump(counter_map& m, std::string_view key, uint64_t delta);
    prisim::fault_stages* m_stages = nullptr;
    sw_stat_registry m_sw_stats;              // software, by interned id
    counter_map m_platform;                   // the platform's own
    uint64_t m_rng[4];
    uint64_t m_log_errors = 0;
    fault_inject m_inject;
    bool injected_failure(const char* site); // should_fail() with injection enabled
    fault_socket* m_chan = nullptr;
    uint64_t m_spawned = 0;
};

} // namespace prisim::platform
