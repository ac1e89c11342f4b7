// SPDX-License-Identifier: Apache-2.0
#include "pcie/pcie_link.h"

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
    SC_THREAD(up_thread);
    SC_THREAD(down_thread);
}

void pcie_link::map_rid(uint16_t rid, unsigned dev_out_port) { m_rid_port[rid] = dev_out_port; }

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
    auto it = m_rid_port.find(rid);
    if (it != m_rid_port.end() && it->second < unsigned(dev_out.size())) return int(it->second);
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
        enqueue(m_up, gp, delay, 0);
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
        enqueue(m_down, gp, delay, unsigned(port));
        return;
    }
    forward_nonposted(m_down, gp, delay, unsigned(port));
}

// Posted: deep copy (payload, data, byte enables, extensions) so the sender
// may reuse its buffers at once; delivered by the direction's thread.
void pcie_link::enqueue(direction& d, tlm::tlm_generic_payload& gp, const sc_time& delay,
                        unsigned port)
{
    posted_msg m;
    m.gp = std::make_unique<tlm::tlm_generic_payload>();
    m.data.assign(gp.get_data_length(), 0);
    m.gp->set_data_ptr(m.data.empty() ? nullptr : m.data.data());
    if (gp.get_byte_enable_ptr() && gp.get_byte_enable_length()) {
        m.be.assign(gp.get_byte_enable_length(), 0);
        m.gp->set_byte_enable_ptr(m.be.data());
    }
    m.gp->deep_copy_from(gp);
    m.gp->set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    m.port = port;
    // FIFO per direction even if a sender annotates a delay.
    m.due = sc_core::sc_time_stamp() + delay + m_p.latency;
    if (m.due < d.last_due) m.due = d.last_due;
    d.last_due = m.due;
    d.q.push_back(std::move(m));
    d.ev.notify(SC_ZERO_TIME);
    // Accepted by the link: for the sender the message is gone.
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void pcie_link::forward_nonposted(direction& d, tlm::tlm_generic_payload& gp, sc_time& delay,
                                  unsigned port)
{
    wait(delay + m_p.latency); // request crosses the link
    delay = SC_ZERO_TIME;
    deliver(d, gp, delay, port);
    wait(delay + m_p.latency); // completion crosses back
    delay = SC_ZERO_TIME;
}

void pcie_link::deliver(direction& d, tlm::tlm_generic_payload& gp, sc_time& delay, unsigned port)
{
    if (&d == &m_up)
        rc_out->b_transport(gp, delay);
    else
        dev_out[port]->b_transport(gp, delay);
}

void pcie_link::drain(direction& d)
{
    for (;;) {
        while (d.q.empty()) wait(d.ev);
        const sc_time now = sc_core::sc_time_stamp();
        if (d.q.front().due > now) {
            wait(d.q.front().due - now);
            continue;
        }
        posted_msg m = std::move(d.q.front());
        d.q.pop_front();
        sc_time delay = SC_ZERO_TIME; // the receiver's own time is its business
        deliver(d, *m.gp, delay, m.port);
        if (m.gp->get_response_status() < tlm::TLM_INCOMPLETE_RESPONSE) {
            ++d.c.rejected;
            std::ostringstream s;
            tlp_ext* ext = nullptr;
            m.gp->get_extension(ext);
            s << name() << ": " << d.name << "stream " << k_kind_stat[unsigned(ext->kind)]
              << " message (rid 0x" << std::hex << ext->rid << ") rejected by the receiver: "
              << m.gp->get_response_string();
            SC_REPORT_WARNING(k_msgtype, s.str().c_str());
        }
    }
}

void pcie_link::up_thread() { drain(m_up); }
void pcie_link::down_thread() { drain(m_down); }

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
