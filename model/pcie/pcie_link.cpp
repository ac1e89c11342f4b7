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

double link_rate(unsigned gen, unsigned lanes)
{
    // GT/s per lane and encoding efficiency, by generation.
    static const double gts[7] = {0, 2.5, 5, 8, 16, 32, 64};
    if (gen == 0 || gen > 6) return 0;
    const double eff = gen <= 2 ? 8.0 / 10.0 : gen <= 5 ? 128.0 / 130.0 : 242.0 / 256.0;
    return gts[gen] * eff / 8.0 * double(lanes); // GT/s = Gbit/s per lane: / 8 for bytes per ns
}

unsigned tlp_wire_bytes(unsigned data_bytes)
{
    return 16 + 8 + (data_bytes + 3) / 4 * 4;
}

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

void pcie_link::set_port_link(unsigned port, const sc_time& latency, double bytes_per_ns)
{
    if (m_port_link.size() <= port) m_port_link.resize(size_t(port) + 1);
    m_port_link[port] = {true, latency, bytes_per_ns};
}

pcie_link::wire& pcie_link::port_wire(bool up, unsigned port)
{
    std::vector<wire>& v = up ? m_port_up : m_port_down;
    if (v.size() <= port) v.resize(size_t(port) + 1);
    return v[port];
}

// Store and forward: the TLP starts when it is ready and the wire is free,
// and is all there `bytes` / rate later.
sc_time pcie_link::send_on(wire& w, unsigned bytes, const sc_time& ready, double bytes_per_ns)
{
    if (bytes_per_ns <= 0) return ready; // no limit on this wire
    const sc_time start = ready > w.busy_until ? ready : w.busy_until;
    const uint64_t ser_ps = uint64_t(double(bytes) * 1000.0 / bytes_per_ns + 0.5);
    w.busy_until = start + sc_time::from_value(ser_ps);
    w.busy_ps += ser_ps;
    return w.busy_until;
}

// Device port -> [switch -> shared link] -> root complex, or the reverse.
sc_time pcie_link::cross_wires(bool up, unsigned port, unsigned bytes, const sc_time& ready)
{
    sc_time t = ready;
    if (m_p.switched) {
        t = up ? send_on(port_wire(true, port), bytes, t, rate(port)) : send_on(m_shared_down, bytes, t, m_p.bytes_per_ns);
        t += m_p.switch_latency;
        t = up ? send_on(m_shared_up, bytes, t, m_p.bytes_per_ns) : send_on(port_wire(false, port), bytes, t, rate(port));
    } else {
        t = send_on(port_wire(up, port), bytes, t, rate(port));
    }
    return t + latency(port);
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

// `port`: the index of the device's binding, as for dev_out and map_rid().
void pcie_link::up_b_transport(int port, tlm::tlm_generic_payload& gp, sc_time& delay)
{
    tlp_ext* ext = accept(m_up, gp);
    if (!ext) return;
    const unsigned p = port < 0 ? 0u : unsigned(port);
    if (is_posted(ext->kind)) {
        send_posted(m_up, gp, delay, p);
        return;
    }
    forward_nonposted(m_up, gp, delay, p);
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
    const bool up = &d == &m_up;
    sc_time due = cross(up, port, tlp_wire_bytes(gp.get_data_length()), now + delay);
    // FIFO: on the one shared path, or per device link.
    if (!m_p.switched && up && m_last_due_up_port.size() <= port) m_last_due_up_port.resize(size_t(port) + 1);
    sc_time& last = m_p.switched || !up ? d.last_due : m_last_due_up_port[port];
    if (due < last) due = last;
    last = due;
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
    if (!limited(port)) { // no bandwidth limit: the latencies only
        delay += one_way(port); // request crosses the link
        deliver(d, gp, delay, port);
        delay += one_way(port); // completion crosses back
        return;
    }
    const bool up = &d == &m_up;
    const sc_time now = prisim::sim_now();
    // The request carries data only if it writes; the completion only if
    // it reads (a memory write's completion is the model's, not a TLP's:
    // on PCIe it is posted).
    const unsigned len = gp.get_data_length();
    const bool write = gp.is_write();
    delay = cross(up, port, tlp_wire_bytes(write ? len : 0), now + delay) - now; // request crosses the link
    deliver(d, gp, delay, port);
    const sc_time back = now + delay;
    // The completion crosses back, on the same wires as the messages to the
    // device: a PRG Response sent after it waits for it there and does not
    // pass it (PCIe ordering rules; spec/pcie-pri.md).
    const sc_time arrival = write ? back + latency(port) : cross(!up, port, tlp_wire_bytes(len), back);
    delay = arrival - now;
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
        bool any_rate = m_p.bytes_per_ns > 0;
        for (const port_link& l : m_port_link) any_rate = any_rate || (l.own && l.bytes_per_ns > 0);
        if (any_rate) {
            // Time the wires of this direction spent sending, all ports and
            // the shared link together.
            uint64_t busy = (d == &m_up ? m_shared_up : m_shared_down).busy_ps;
            for (const wire& w : d == &m_up ? m_port_up : m_port_down) busy += w.busy_ps;
            sink.counter(p + "wire_busy_ps", busy);
        }
        for (unsigned k = 0; k < 7; ++k) sink.counter(p + k_kind_stat[k], d->c.by_kind[k]);
    }
}

} // namespace prisim::pcie
