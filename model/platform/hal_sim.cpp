// SPDX-License-Identifier: Apache-2.0
#include "platform/hal_sim.h"

#include "common/splitmix.h"

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
using prisim::splitmix64;
} // namespace

sw_runtime::sw_runtime(sc_core::sc_module_name name, const params& p, dram& mem, uint64_t msi_addr)
    : sc_module(name), mmio("mmio"), m_params(p), m_max_pasids(p.max_pasids()), m_mem(mem),
      m_msi_addr(msi_addr), m_inject(p)
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
    m_ncpus = unsigned(p.u64("platform.cpus"));
    m_irq_spread = p.str("platform.irq_affinity") == "spread";
    m_cpu_owner.assign(m_ncpus, nullptr);
    m_stolen.assign(m_ncpus, sc_core::SC_ZERO_TIME);
    m_cpu_busy_by.assign(m_ncpus, sc_core::SC_ZERO_TIME);
    m_irq_busy_until.assign(m_ncpus, sc_core::SC_ZERO_TIME);
    SC_HAS_PROCESS(sw_runtime);
    SC_THREAD(irq_dispatch);
}

sw_runtime::~sw_runtime() = default;

pci_function* sw_runtime::pci_by_rid(uint16_t rid)
{
    for (auto& f : m_pci)
        if (f.info.rid == rid) return &f;
    return nullptr;
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
    if (delay > lt.offset()) m_cpu_busy_by[t ? unsigned(t->cpu) : m_irq_cpu] += delay - lt.offset();
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
    m_sw_stats.report(sink, prisim::sim_now().value());
    for (const auto& [k, v] : m_platform) sink.counter("platform." + k, v);
    if (m_inject.enabled()) {
        sink.counter("platform.inject.calls", m_inject.calls());
        sink.counter("platform.inject.failures", m_inject.failures());
        for (const auto& [site, n] : m_inject.failures_by_site())
            sink.counter("platform.inject.failures." + site, n);
    }
    if (m_handler_service.count()) sink.samples("platform.handler_service", m_handler_service, "ps");
}

// ---- misc ----

// should_fail() with injection enabled (the only case that is not inline).
bool sw_runtime::injected_failure(const char* site)
{
    if (!m_inject.should_fail(site)) return false;
    log(HAL_LOG_INFO, std::string("fault injection: ") + site + " fails (failure " +
                          std::to_string(m_inject.failures()) + ", call " + std::to_string(m_inject.calls()) +
                          " matching sw.inject.site)\n");
    return true;
}

void sw_runtime::log(hal_log_level lvl, const std::string& msg)
{
    if (!log_enabled(lvl)) return;
    std::string m = msg;
    while (!m.empty() && m.back() == '\n') m.pop_back();
    if (hal_task* t = current()) m = "[" + t->name + "] " + m;
    // Stamped with the software's own time: it may run ahead of the kernel's
    // (the report handler prints sc_time_stamp() for other components).
    m += " (at " + local_now().to_string() + ")";
    switch (lvl) {
    case HAL_LOG_DEBUG:
    case HAL_LOG_INFO:
        SC_REPORT_INFO_VERB("prisim/sw", m.c_str(), info_verbosity(lvl));
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
        // With device classes, each class may set its own; software asks
        // for the most (it reads each device's from its BAR0, PXDEV_PASIDS).
        if (!std::strcmp(key, "device.pasids")) return m_max_pasids;
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
hal_paddr_t hal_page_alloc(struct hal* h) { return h->rt->mem().alloc_page(); }
void hal_page_free(struct hal* h, hal_paddr_t pa)
{
    if (pa) h->rt->mem().free_page(pa);
}
void* hal_phys_to_virt(struct hal* h, hal_paddr_t pa) { return h->rt->mem().ptr(pa); }
bool hal_phys_is_ram(struct hal* h, hal_paddr_t pa, size_t len) { return h->rt->mem().contains(pa, len); }
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
    if (!prisim::platform::sw_runtime::log_enabled(lvl)) return;
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

void hal_stat_level_add(struct hal* h, hal_stat_id id, int64_t delta) { h->rt->stat_level_add(id, delta); }

void hal_fault_stamp(struct hal* h, uint16_t rid, uint32_t pasid, uint32_t prgi, enum hal_fault_mark mark)
{
    h->rt->fault_stamp(rid, pasid, prgi, mark);
}

bool hal_should_fail(struct hal* h, const char* site) { return h->rt->should_fail(site); }

} // extern "C"
