// SPDX-License-Identifier: Apache-2.0
#include "platform/bus.h"

#include <cstring>
#include <sstream>

namespace prisim::platform {

bus::bus(sc_core::sc_module_name name) : sc_module(name), tsock("tsock"), isock("isock")
{
    tsock.register_b_transport(this, &bus::b_transport);
    tsock.register_transport_dbg(this, &bus::transport_dbg);
    tsock.register_get_direct_mem_ptr(this, &bus::get_direct_mem_ptr);
}

bool bus::get_direct_mem_ptr(int, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi)
{
    const window* w = decode(gp.get_address());
    if (!w || w->rebase) return false;
    if (!isock[w->port]->get_direct_mem_ptr(gp, dmi)) return false;
    // Clip to the window.
    if (dmi.get_start_address() < w->base) dmi.set_start_address(w->base);
    if (dmi.get_end_address() > w->base + w->size - 1) dmi.set_end_address(w->base + w->size - 1);
    dmi.set_read_latency(dmi.get_read_latency() + w->latency);
    dmi.set_write_latency(dmi.get_write_latency() + w->latency);
    return true;
}

void bus::map(uint64_t base, uint64_t size, unsigned port, sc_core::sc_time latency, bool rebase,
              const std::string& what)
{
    for (const auto& w : m_windows)
        if (base < w.base + w.size && w.base < base + size)
            SC_REPORT_FATAL("prisim/bus", ("window '" + what + "' overlaps '" + w.what + "'").c_str());
    m_windows.push_back({base, size, port, latency, rebase, what});
}

const bus::window* bus::decode(uint64_t addr) const
{
    for (const auto& w : m_windows)
        if (addr >= w.base && addr - w.base < w.size) return &w;
    return nullptr;
}

void bus::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay)
{
    uint64_t addr = gp.get_address();
    const window* w = decode(addr);
    if (!w || addr - w->base + gp.get_data_length() > w->size) {
        ++m_unmapped;
        gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    // The target sees the access when it is issued; the window's latency is
    // the initiator's stall for the whole access, added on the way back.
    if (w->rebase) gp.set_address(addr - w->base);
    isock[w->port]->b_transport(gp, delay);
    gp.set_address(addr);
    delay += w->latency;
}

unsigned bus::transport_dbg(int, tlm::tlm_generic_payload& gp)
{
    uint64_t addr = gp.get_address();
    const window* w = decode(addr);
    if (!w) return 0;
    if (w->rebase) gp.set_address(addr - w->base);
    unsigned n = isock[w->port]->transport_dbg(gp);
    gp.set_address(addr);
    return n;
}

msi_controller::msi_controller(sc_core::sc_module_name name, raise_fn raise)
    : sc_module(name), tsock("tsock"), m_raise(std::move(raise))
{
    tsock.register_b_transport(this, &msi_controller::b_transport);
}

void msi_controller::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay)
{
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    if (!gp.is_write() || gp.get_address() != 0 || gp.get_data_length() != 4) {
        std::ostringstream os;
        os << "ignored MSI access at offset 0x" << std::hex << gp.get_address() << " of "
           << std::dec << gp.get_data_length() << " bytes";
        SC_REPORT_WARNING("prisim/msi", os.str().c_str());
        return;
    }
    const unsigned char* d = gp.get_data_ptr();
    unsigned irq = unsigned(d[0]) | unsigned(d[1]) << 8 | unsigned(d[2]) << 16 | unsigned(d[3]) << 24;
    ++m_messages;
    m_raise(irq, delay); // the interrupt is raised when the write arrives
}

} // namespace prisim::platform
