// SPDX-License-Identifier: Apache-2.0
//
// System interconnect. What it models: address decoding from any number of
// initiators (CPU, IOMMU DMA port) to targets (DRAM, IOMMU registers, device
// BARs, MSI controller), with a fixed latency per target window (the
// initiator's stall for the access, annotated on the way back: the target
// sees the access at the time it is issued), and
// TLM_ADDRESS_ERROR_RESPONSE for an unmapped address. Addresses are rebased:
// a target sees offsets within its window, except DRAM, which is mapped with
// rebase off and sees physical addresses. What it does not: contention.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

namespace prisim::platform {

class bus : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<bus> tsock;
    tlm_utils::multi_passthrough_initiator_socket<bus> isock;

    explicit bus(sc_core::sc_module_name name);
    // Map initiator port `port` (in order of isock binding) at [base, base+size).
    void map(uint64_t base, uint64_t size, unsigned port, sc_core::sc_time latency, bool rebase,
             const std::string& what);
    uint64_t unmapped_accesses() const { return m_unmapped; }

private:
    struct window {
        uint64_t base, size;
        unsigned port;
        sc_core::sc_time latency;
        bool rebase;
        std::string what;
    };
    const window* decode(uint64_t addr) const;
    void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    unsigned transport_dbg(int id, tlm::tlm_generic_payload& gp);
    // DMI is passed through for un-rebased windows (DRAM), with the window's
    // latency as the access latency.
    bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);

    std::vector<window> m_windows;
    uint64_t m_unmapped = 0;
};

// MSI controller (an IMSIC-like doorbell page): a 4-byte write of the
// interrupt number to offset 0 raises that interrupt at the write's arrival
// time (now plus its annotated delay). Writes elsewhere or of
// another size are ignored with a warning.
class msi_controller : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<msi_controller> tsock;
    using raise_fn = std::function<void(unsigned irq, const sc_core::sc_time& delay)>;

    msi_controller(sc_core::sc_module_name name, raise_fn raise);
    uint64_t messages() const { return m_messages; }

private:
    void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    raise_fn m_raise;
    uint64_t m_messages = 0;
};

} // namespace prisim::platform
