// SPDX-License-Identifier: Apache-2.0
#include "pcie/pcie_link.h"

#include "common/local_time.h"

#include <sstream>

namespace prisim::pcie {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

constexpr const char* k_msgtype = "prisim/pcie_link";

const char* const k_kind_stat[7] = {
    "mem_reads",     "mem_writes",     "ats_translation_reqs", "page_requests",
    "prg_responses", "inval_requests", "inval_completions",
};

} // namespace

pcie_link::pcie_link(sc_core::sc_module_name name, const link_params& p)
    : sc_module(name), dev_in("dev_in"), dev_out("dev_out"), rc_out("rc_out"), rc_in("rc_in"), m_p(p)
{
    dev_in.register_b_transport(this, &pcie_link::up_b_transport);
    rc_in.register_b_transport(this, &pcie_link::down_b_transport);
}

void pcie_link::map_rid(uint16_t rid, unsigned dev_out_port)
{
    if (m_rid_port.size() <= rid) m_rid_port.resize(size_t(rid) + 1, -1);
    m_rid_port[rid] = int(dev_out_port);
}

tlp_ext* pcie_link::accept(direction& d, tlm::tlm_generic_payload& gp)
{
    ++d.c.tlps;
    tlp_ext* ext = nullptr;
    gp.get_extension(ext);
    if (!ext || unsigned(ext->kind) >= 7) {
        ++d.c.malformed;
        gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        std::ostringstream m;
        m << name() << ": " << d.name << "stream TLP without a valid tlp_ext (address 0x" << std::hex
          << gp.get_address() << ") rejected";
        SC_REPORT_WARNING(k_msgtype, m.str().c_str());
        return nullptr;
    }
    ++d.c.by_kind[unsigned(ext->kind)];
    d.c.bytes += gp.get_data_length();
    if (is_posted(ext->kind))
        ++d.c.messages;
    else
        ++d.c.nonposted;
    return ext;
}

int pcie_link::route(uint16_t rid)
{
    if (rid < m_rid_port.size() && m_rid_port[rid] >= 0 && m_rid_port[rid] < int(dev_out.size()))
        return m_rid_port[rid];
    ++m_down.c.unroutable;
    std::ostringstream m;
    m << name() << ": downstream TLP for unmapped destination ID 0x" << std::hex << rid << " dropped";
    SC_REPORT_WARNING(k_msgtype, m.str().c_str());
    return -1;
}

void pcie_link::up_b_transport(int, tlm::tlm_generic_payload& gp, sc_time& delay)
{
    tlp_ext* ext = accept(m_up, gp);
    if (!ext) return;
    if (is_posted(ext->kind)) {
        send_posted(m_up, gp, delay, 0);
        return;
    }
    forward_nonposted(m_up, gp, delay, 0);
}

void pcie_link::down_b_transport(tlm::tlm_generic_payload& gp, sc_time& delay)
{
    tlp_ext* ext = accept(m_down, gp);
    if (!ext) return;
    int port = route(ext->rid);
    if (port < 0) {
        // Dropped as a switch would (Unsupported Request); the sender sees it
        // only in the status of a non-posted request.
        gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    if (is_posted(ext->kind)) {
        send_posted(m_down, gp, delay, unsigned(port));
        return;
    }
    forward_nonposted(m_down, gp, delay, unsigned(port));
}

// Posted: handed to the receiver now, annotated with its arrival time, in
// FIFO order per direction. The sender's own time does not advance: for it
// the message is gone once the link accepted it.
void pcie_link::send_posted(direction& d, tlm::tlm_generic_payload& gp, sc_time& delay,
                            unsigned port)
{
    const sc_time now = prisim::sim_now();
    sc_time due = now + delay + m_p.latency;
    if (due < d.last_due) due = d.last_due;
    d.last_due = due;
    sc_time arrival = due - now;
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    deliver(d, gp, arrival, port);
    if (gp.get_response_status() < tlm::TLM_INCOMPLETE_RESPONSE) {
        ++d.c.rejected;
        std::ostringstream s;
        tlp_ext* ext = nullptr;
        gp.get_extension(ext);
        s << name() << ": " << d.name << "stream " << k_kind_stat[unsigned(ext->kind)]
          << " message (rid 0x" << std::hex << ext->rid << ") rejected by the receiver: "
          << gp.get_response_string();
        SC_REPORT_WARNING(k_msgtype, s.str().c_str());
    }
    // Accepted by the link whatever the receiver said: posted messages get
    // no completion.
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void pcie_link::forward_nonposted(direction& d, tlm::tlm_generic_payload& gp, sc_time& delay,
                                  unsigned port)
{
    delay += m_p.latency; // request crosses the link
    deliver(d, gp, delay, port);
    delay += m_p.latency; // completion crosses back
}

void pcie_link::deliver(direction& d, tlm::tlm_generic_payload& gp, sc_time& delay, unsigned port)
{
    if (&d == &m_up)
        rc_out->b_transport(gp, delay);
    else
        dev_out[port]->b_transport(gp, delay);
}

void pcie_link::report(prisim::stat_sink& sink, const std::string& prefix) const
{
    for (const direction* d : {&m_up, &m_down}) {
        const std::string p = prefix + "." + d->name + ".";
        sink.counter(p + "tlps", d->c.tlps);
        sink.counter(p + "messages", d->c.messages);
        sink.counter(p + "nonposted", d->c.nonposted);
        sink.counter(p + "bytes", d->c.bytes);
        sink.counter(p + "malformed", d->c.malformed);
        sink.counter(p + "rejected", d->c.rejected);
        if (d == &m_down) sink.counter(p + "unroutable", d->c.unroutable);
        for (unsigned k = 0; k < 7; ++k) sink.counter(p + k_kind_stat[k], d->c.by_kind[k]);
    }
}

} // namespace prisim::pcie
