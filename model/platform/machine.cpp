// SPDX-License-Identifier: Apache-2.0
#include "platform/machine.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <new>

#include "common/local_time.h"
#include "platform/trace_file.h"
#include "prisim/hw/pxdev.h"
#include "prisim/sw.h"

namespace prisim::platform {

using sc_core::sc_time;
using sc_core::SC_NS;

namespace {
sc_time ns(uint64_t v) { return sc_time(double(v), SC_NS); }

// The devices' PRG Response timeout: device.prg_timeout_us; 0 is none,
// except under the vtd overflow policy, whose IOMMU answers nothing it drops:
// there a device that waited forever would hang the run.
constexpr uint64_t k_vtd_prg_timeout_us = 10000;
sc_time prg_timeout(const params& p)
{
    uint64_t us = p.u64("device.prg_timeout_us");
    if (us == 0 && p.str("iommu.pq_overflow_policy") == "vtd") us = k_vtd_prg_timeout_us;
    return sc_time(double(us), sc_core::SC_US);
}
} // namespace

namespace {
// Bytes per ns of a link of pcie.gen `gen` ("none": no limit) and pcie.lanes `lanes`.
double link_bytes_per_ns(const std::string& gen, const std::string& lanes)
{
    return gen == "none" ? 0.0 : pcie::link_rate(unsigned(gen[3] - '0'), unsigned(std::stoul(lanes)));
}
} // namespace

machine::machine(sc_core::sc_module_name name, const params& p, const machine_options& opt)
    : sc_module(name), m_params(p)
{
    const uint64_t dram_size = p.u64("platform.dram_mib") << 20;
    const sc_time mmio_lat = ns(p.u64("platform.mmio_latency_ns"));
    const sc_time link_lat = ns(p.u64("pcie.link_latency_ns"));

    m_dram = std::make_unique<dram>("dram", DRAM_BASE, dram_size);
    m_bus = std::make_unique<bus>("bus");
    m_rt = std::make_unique<sw_runtime>("cpu", p, *m_dram, MSI_BASE);
    m_msi = std::make_unique<msi_controller>(
        "msi", [this](unsigned irq, const sc_time& delay) { m_rt->raise_irq(irq, delay); });
    const sc_time quantum = ns(p.u64("run.quantum_ns"));

    iommu::iommu_params ip;
    ip.clk_period = sc_time(1e6 / double(p.u64("iommu.clk_mhz")), sc_core::SC_PS);
    ip.mem_latency = ns(p.u64("iommu.mem_latency_ns"));
    ip.msi_latency = ns(p.u64("iommu.msi_latency_ns"));
    ip.iotlb_entries = unsigned(p.u64("iommu.iotlb_entries"));
    ip.iotlb_ways = unsigned(p.u64("iommu.iotlb_ways"));
    ip.iotlb_hit_cycles = unsigned(p.u64("iommu.iotlb_hit_cycles"));
    ip.ddtc_entries = unsigned(p.u64("iommu.ddtc_entries"));
    ip.ddtc_hit_cycles = unsigned(p.u64("iommu.ddtc_hit_cycles"));
    ip.pdtc_entries = unsigned(p.u64("iommu.pdtc_entries"));
    ip.pdtc_hit_cycles = unsigned(p.u64("iommu.pdtc_hit_cycles"));
    ip.stop_marker_needs_pasid = p.flag("iommu.stop_marker_needs_pasid");
    const std::string& ovf = p.str("iommu.pq_overflow_policy");
    ip.pq_ovf_policy = ovf == "vtd"      ? iommu::pq_overflow_policy::vtd
                       : ovf == "smmuv3" ? iommu::pq_overflow_policy::smmuv3
                                         : iommu::pq_overflow_policy::riscv;
    ip.msi_flat = p.flag("iommu.msi_flat");
    ip.pas = unsigned(p.u64("iommu.pas"));
    ip.t2gpa = p.flag("iommu.t2gpa");
    ip.sv48 = p.flag("iommu.sv48");
    ip.sv57 = p.flag("iommu.sv57");
    ip.amo_hwad = p.flag("iommu.amo_hwad");
    ip.sv39x4 = p.flag("iommu.sv39x4"), ip.sv48x4 = p.flag("iommu.sv48x4"), ip.sv57x4 = p.flag("iommu.sv57x4");
    ip.pd8 = p.flag("iommu.pd8");
    ip.pd17 = p.flag("iommu.pd17");
    ip.pd20 = p.flag("iommu.pd20");
    {
        const std::string& igs = p.str("iommu.igs");
        ip.igs = igs == "wsi" ? iommu::IGS_WSI : igs == "both" ? iommu::IGS_BOTH : iommu::IGS_MSI;
    }
    const std::string& max_ddt = p.str("iommu.max_ddt_mode");
    ip.max_ddt_mode = max_ddt == "1lvl"   ? iommu::DDTP_1LVL
                      : max_ddt == "2lvl" ? iommu::DDTP_2LVL
                                          : iommu::DDTP_3LVL;
    ip.ats_inval_timeout = sc_time(double(p.u64("iommu.ats_inval_timeout_us")), sc_core::SC_US);
    ip.quantum = quantum;
    ip.pq_waves = opt.pq_waves;
    ip.iotlb_waves = opt.iotlb_waves;
    const std::string& target = p.str("iommu.inject.target");
    for (unsigned i = 0; i < iommu::MEM_TARGETS; ++i)
        if (target == iommu::mem_target_name(iommu::mem_target(i)))
            ip.inject.target = iommu::mem_target(i);
    ip.inject.corrupt = p.str("iommu.inject.kind") == "corrupt";
    ip.inject.poison = p.str("iommu.inject.kind") == "poison";
    ip.inject.nth = p.u64("iommu.inject.nth");
    ip.inject.times = p.u64("iommu.inject.times");
    ip.inject.any_device = p.u64("iommu.inject.rid") == 0;
    ip.inject.device = uint32_t(p.u64("iommu.inject.rid"));
    m_iommu = std::make_unique<iommu::riscv_iommu>("iommu0", ip);

    pcie::link_params lp;
    lp.latency = link_lat;
    lp.bytes_per_ns = link_bytes_per_ns(p.str("pcie.gen"), p.str("pcie.lanes"));
    lp.switched = p.str("pcie.topology") == "switch";
    lp.switch_latency = ns(p.u64("pcie.switch_latency_ns"));
    m_link = std::make_unique<pcie::pcie_link>("pcie0", lp);

    // System bus: initiators are the CPU and the IOMMU's memory port.
    m_rt->mmio.bind(m_bus->tsock);
    m_iommu->mem.bind(m_bus->tsock);
    unsigned port = 0;
    m_bus->isock.bind(m_dram->tsock);
    m_bus->map(DRAM_BASE, dram_size, port++, sc_core::SC_ZERO_TIME, false, "dram");
    m_bus->isock.bind(m_iommu->mmio);
    m_bus->map(IOMMU_BASE, 0x1000, port++, mmio_lat, true, "iommu0 registers");
    m_bus->isock.bind(m_msi->tsock);
    m_bus->map(MSI_BASE, 0x1000, port++, sc_core::SC_ZERO_TIME, true, "msi controller");

    m_link->rc_out.bind(m_iommu->pcie_up);
    m_iommu->pcie_down.bind(m_link->rc_in);
    if (ip.igs != iommu::IGS_MSI) {
        // Wired interrupts: the IOMMU's 16 vectors on 16 level-sensitive wires.
        const unsigned nwires = iommu::MSI_VECTORS;
        m_wired = std::make_unique<wired_irq_controller>(
            "wired_irq", m_rt->wired_irq_alloc(nwires), nwires,
            [this](unsigned irq, const sc_time& delay) { m_rt->raise_irq(irq, delay); });
        m_iommu->wsi.bind(m_wired->lines_in);
        m_rt->set_wired_level([w = m_wired.get()](unsigned irq, uint64_t at) { return w->level_at(irq, at); });
        m_rt->add_iommu({IOMMU_BASE, 0, m_wired->first_irq(), nwires});
    } else {
        m_rt->add_iommu({IOMMU_BASE, 0, 0, 0});
    }
    m_iommu->set_fault_stages(&m_stages);
    m_rt->set_fault_stages(&m_stages);

    m_specs = p.devices();
    const unsigned n = unsigned(m_specs.size());
    // The devices' PRI blocks share one Verilator context (host memory per device).
    const auto rtl_context = std::make_shared<device::prg_rtl_context>();
    for (unsigned i = 0; i < n; ++i) {
        const device_spec& ds = m_specs[i];
        device::device_params dp;
        dp.rid = uint16_t(1 + i * p.u64("device.rid_stride"));
        dp.pri_capacity = uint32_t(ds.pri_capacity);
        dp.atc_entries = unsigned(ds.atc_entries);
        dp.ats = ds.ats;
        dp.pri = ds.pri;
        // A workload's keys (the device's first, then its class's others).
        auto workload_of = [&](const workload_spec& ws, device::workload_params& wp) {
            wp.name = ws.name;
            wp.streams = unsigned(ws.streams);
            wp.iova_base = ws.iova_base;
            wp.pages = ws.pages;
            wp.prg_pages = unsigned(ws.prg_pages);
            wp.bytes_per_page = unsigned(ws.bytes_per_page);
            wp.think_time = ns(ws.think_ns);
            wp.read_percent = unsigned(ws.read_percent);
            wp.pattern = ws.pattern == "strided"  ? device::workload_params::access_pattern::strided
                         : ws.pattern == "random" ? device::workload_params::access_pattern::random
                                                  : device::workload_params::access_pattern::sequential;
            wp.stride_pages = ws.stride_pages;
            wp.fault_probability = ws.fault_probability;
            wp.max_prg_attempts = unsigned(ws.max_prg_attempts);
            wp.poisson = ws.arrival == "poisson";
            wp.arrival_gap = ns(ws.arrival_gap_ns);
            wp.start_jitter = ns(ws.start_jitter_ns);
            wp.pasids = unsigned(ws.pasids);
            if (!ws.trace.empty()) {
                // Trace replay: this device's lines of the file (none: it stays idle).
                const std::shared_ptr<const trace_file> tf = p.trace_of(ws.trace);
                auto it = tf->devices.find(i);
                if (it != tf->devices.end()) {
                    wp.replay = it->second.accesses;
                    wp.pasid = it->second.pasid;
                    wp.pasid_valid = it->second.pv;
                } else {
                    wp.replay = std::make_shared<const device::trace>();
                }
            }
        };
        workload_of(ds, dp);
        for (const workload_spec& ws : ds.more_workloads) {
            dp.more_workloads.emplace_back();
            workload_of(ws, dp.more_workloads.back());
        }
        dp.stop_markers = p.flag("device.stop_markers");
        dp.prg_timeout = prg_timeout(p);
        dp.warmup_end = sc_time(double(p.u64("run.warmup_us")), sc_core::SC_US);
        dp.seed = p.u64("seed");
        dp.quantum = quantum;
        char nm[16];
        std::snprintf(nm, sizeof nm, "dev%u", i);
        dp.rtl_context = rtl_context;
        auto d = std::make_unique<device::pxdev>(nm, dp);
        d->up.bind(m_link->dev_in);
        m_link->dev_out.bind(d->down);
        m_link->map_rid(dp.rid, i);
        // A device class's own link (class.<name>.link, .link_latency_ns).
        const sc_time dev_lat = ns(ds.link_latency_ns);
        const double dev_rate = link_bytes_per_ns(ds.link_gen, ds.link_lanes);
        if (dev_lat != lp.latency || dev_rate != lp.bytes_per_ns) m_link->set_port_link(i, dev_lat, dev_rate);
        // A BAR behind the root port: an MMIO access crosses the link twice.
        m_bus->isock.bind(d->bar);
        uint64_t bar = BAR_BASE + uint64_t(i) * 0x1000;
        m_bus->map(bar, PXDEV_BAR0_SIZE, port++, 2 * dev_lat, true, std::string(nm) + " BAR0");
        // Stage stamps: a slot per group it may have outstanding; its
        // stage statistics pooled by class (one pool without classes).
        m_stages.add_device(i, dp.rid, std::min<unsigned>(unsigned(ds.pri_capacity), prisim::fault_stages::k_prgis),
                            p.classes().empty() ? 0u : unsigned(ds.class_index));
        d->set_fault_stages(&m_stages, i);
        device::pxdev* raw = d.get();
        m_rt->add_pci({{dp.rid, 0, bar, PXDEV_BAR0_SIZE},
                       [raw](unsigned off, unsigned size) { return raw->cfg_read(off, size); },
                       [raw](unsigned off, unsigned size, uint32_t v) { raw->cfg_write(off, size, v); }});
        m_devs.push_back(std::move(d));
    }
}

machine::~machine()
{
    if (m_boot_wq) hal_waitq_destroy(m_boot_wq);
}

void machine::boot_task(void* self)
{
    auto* m = static_cast<machine*>(self);
    m->m_boot_rc = px_kernel_boot(m->m_rt->hal_handle(), &m->m_kernel);
    if (m->m_boot_rc == 0) m->m_boot_rc = px_user_spawn_handlers(m->m_kernel);
    m->m_boot_done = true;
    hal_wake_up(m->m_boot_wq);
}

void machine::boot()
{
    m_boot_wq = hal_waitq_create(m_rt->hal_handle());
    if (!m_boot_wq) throw std::bad_alloc();
    m_rt->start_boot(&boot_task, this);
}

bool machine::all_devices_done() const
{
    for (const auto& d : m_devs)
        if (!d->done()) return false;
    return true;
}

void machine::shutdown_task(void* self)
{
    auto* m = static_cast<machine*>(self);
    // A boot still running when the run ended (its memory accesses are
    // slow, or the limit short) is let finish: it owns what it allocated.
    hal_wait_event(m->m_boot_wq, [](void* a) { return static_cast<machine*>(a)->m_boot_done; }, m,
                   HAL_WAIT_FOREVER);
    m->m_shutdown_rc = m->m_kernel ? px_kernel_shutdown(m->m_kernel) : 0;
    // px_kernel_shutdown frees the kernel on success and on -EBUSY only.
    if (m->m_shutdown_rc == 0 || m->m_shutdown_rc == -EBUSY) m->m_kernel = nullptr;
    m->m_shutdown_done = true;
    sc_core::sc_pause(); // the phase is over, whatever else is still scheduled
}

int machine::shutdown_software(const sc_core::sc_time& limit)
{
    // A workload that did not finish (a livelock, the time limit) would
    // keep the machine busy: the devices stop issuing requests first.
    for (auto& d : m_devs) d->halt();
    if (!m_kernel && m_boot_done) return 0;
    m_rt->create_task(HAL_TASK_KERNEL, "shutdown", &shutdown_task, this);
    prisim::run_phase(limit);
    return m_shutdown_done ? m_shutdown_rc : -ETIMEDOUT;
}

void machine::report_software_pending()
{
    if (m_kernel) px_kernel_report_pending(m_kernel);
}

} // namespace prisim::platform
