// SPDX-License-Identifier: Apache-2.0
//
// The simulated machine: builds and wires every component from the scenario
// (DESIGN §3): DRAM, system bus, MSI controller, the CPU running the software
// stack (sw_runtime), one RISC-V IOMMU, one PCIe link and the devices.
//
//   physical address map
//   0x0300_0000  IOMMU registers (4 KiB)
//   0x0400_0000  MSI controller doorbell (4 KiB)
//   0x4000_0000  device i BAR0 at + i * 4 KiB
//   0x8000_0000  DRAM (platform.dram_mib)
#pragma once

#include <memory>
#include <vector>

#include <systemc>

#include "common/fault_stages.h"
#include "device/pxdev.h"
#include "iommu/riscv_iommu.h"
#include "pcie/pcie_link.h"
#include "platform/bus.h"
#include "platform/hal_sim.h"
#include "platform/memory.h"
#include "platform/memory_map.h"
#include "platform/params.h"
#include "platform/wired_irq.h"

struct px_kernel; // sw/include/prisim/sw.h

namespace prisim::platform {

// What the command line adds to a scenario (not part of it: it changes no
// result).
struct machine_options {
    iommu::wave_options pq_waves;    // prisim --wave-out / --wave-window
    iommu::wave_options iotlb_waves; // the same, for rtl/iotlb (<file>.iotlb.fst)
};

class machine : public sc_core::sc_module {
public:
    machine(sc_core::sc_module_name name, const params& p, const machine_options& opt = {});
    ~machine() override;

    // Start the software: kernel boot, then the demand-paging handler.
    void boot();

    const params& cfg() const { return m_params; }
    dram& mem() { return *m_dram; }
    sw_runtime& rt() { return *m_rt; }
    iommu::riscv_iommu& iommu() { return *m_iommu; }
    pcie::pcie_link& link() { return *m_link; }
    std::vector<std::unique_ptr<device::pxdev>>& devices() { return m_devs; }
    // What each device was built from (its class), in the order of devices().
    const std::vector<device_spec>& device_specs() const { return m_specs; }
    // Each fault's latency split into stages (common/fault_stages.h).
    prisim::fault_stages& stages() { return m_stages; }
    const prisim::fault_stages& stages() const { return m_stages; }
    bool all_devices_done() const;
    int boot_status() const { return m_boot_rc; }
    bool boot_finished() const { return m_boot_done; }
    // Software-side final accounting (pending partials/groups) into stats.
    void report_software_pending();
    // After the results are taken: halt the devices' workloads, end the
    // software as at power-off (user processes exit through their release
    // paths, drivers unbind) and run the simulation until that is done, for
    // at most `limit` of simulated time. Returns px_kernel_shutdown()'s
    // status, or -ETIMEDOUT if the shutdown did not finish within `limit`.
    int shutdown_software(const sc_core::sc_time& limit);
    // Everything the software allocated has been released: it booted (or
    // failed to, cleanly) and shut down without error.
    bool software_released() const { return m_boot_done && !m_kernel && m_shutdown_rc == 0; }

private:
    static void boot_task(void* self);
    static void shutdown_task(void* self);

    const params& m_params;
    prisim::fault_stages m_stages; // before every component that stamps it
    std::unique_ptr<dram> m_dram;
    std::unique_ptr<bus> m_bus;
    std::unique_ptr<msi_controller> m_msi;
    std::unique_ptr<wired_irq_controller> m_wired; // with iommu.igs = wsi or both
    std::unique_ptr<sw_runtime> m_rt;
    std::unique_ptr<iommu::riscv_iommu> m_iommu;
    std::unique_ptr<pcie::pcie_link> m_link;
    std::vector<std::unique_ptr<device::pxdev>> m_devs;
    std::vector<device_spec> m_specs;
    ::px_kernel* m_kernel = nullptr;
    int m_boot_rc = 0;
    bool m_boot_done = false;
    struct hal_waitq* m_boot_wq = nullptr; // woken when the boot task ends
    int m_shutdown_rc = 0;
    bool m_shutdown_done = false;
};

} // namespace prisim::platform
