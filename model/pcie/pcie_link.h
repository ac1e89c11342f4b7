// SPDX-License-Identifier: Apache-2.0
//
// pcie_link - one PCIe hierarchy segment between endpoints and the root
// complex (the IOMMU's PCIe side). DESIGN.md §3 step 2.
//
// What it models:
//   - a fixed one-way latency per TLP, in each direction;
//   - time is loosely timed (DESIGN.md §5, model/common/local_time.h): the
//     link adds its latency to the b_transport delay and never calls wait()
//     (the initiator synchronises when its quantum runs out);
//   - posted messages (Page Request, PRG Response, Invalidate Request and
//     Completion): passed to the receiver at once, in the sender's call,
//     with the delay annotated to their arrival time, which is kept in FIFO
//     order per direction. The receiver must not act on a message before its
//     arrival time (it queues it) and must copy what it keeps: the sender
//     may reuse the payload when b_transport returns;
//   - non-posted requests (memory read, memory write, ATS Translation
//     Request): forwarded in the caller's call; the latency is added on the
//     way there and again on the way back (the completion);
//   - downstream routing by ID: a TLP from the root complex goes to the
//     device port mapped for its tlp_ext.rid (the destination ID).
//
// What it does not:
//   - bandwidth, serialisation, credits of the data link layer, replay;
//   - posted memory writes: a memory write is modelled as non-posted (the
//     writer waits for the round trip) so that a DMA error is visible to the
//     device; this over-states write latency by one link traversal;
//   - ordering between posted and non-posted traffic beyond what the shared
//     latency gives;
//   - peer-to-peer routing (everything upstream goes to the root complex).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/stats.h"
#include "pcie/tlp.h"

namespace prisim::pcie {

struct link_params {
    sc_core::sc_time latency{400, sc_core::SC_NS}; // one way, per TLP (ESTIMATE, timing-and-sizing §6)
    // Bandwidth of each link, in bytes per ns after line encoding; 0 = no
    // limit (a TLP takes no time on the wire). link_rate() computes it.
    double bytes_per_ns = 0;
    // Topology: every device on its own root port (a link each), or all
    // behind one switch whose upstream link they share.
    bool switched = true;
    sc_core::sc_time switch_latency = sc_core::SC_ZERO_TIME; // through the switch, each way
};

// Bytes per ns of a PCIe link of generation `gen` (1..6) and `lanes` lanes,
// after line encoding: 8b/10b up to 5 GT/s, 128b/130b for 8-32 GT/s, and
// the 64 GT/s FLIT mode's 242/256 (FEC and CRC). 0 for gen 0 (no limit).
double link_rate(unsigned gen, unsigned lanes);

// Bytes a TLP puts on the wire: a 4-DW header, 8 bytes of framing and
// data-link overhead (STP/sequence number, LCRC), and its data rounded up
// to whole DWs. Message and request data only; DLLPs are not modelled.
unsigned tlp_wire_bytes(unsigned data_bytes);

// True for the message kinds the link treats as posted.
inline bool is_posted(tlp_kind k)
{
    return k == tlp_kind::page_request || k == tlp_kind::prg_response ||
           k == tlp_kind::inval_request || k == tlp_kind::inval_completion;
}

class pcie_link : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<pcie_link> dev_in;     // devices -> link (upstream)
    tlm_utils::multi_passthrough_initiator_socket<pcie_link> dev_out; // link -> devices (downstream)
    tlm_utils::simple_initiator_socket<pcie_link> rc_out;            // link -> root complex
    tlm_utils::simple_target_socket<pcie_link> rc_in;                // root complex -> link

    SC_HAS_PROCESS(pcie_link);
    pcie_link(sc_core::sc_module_name name, const link_params& p);

    // Downstream routing: TLPs whose tlp_ext.rid is `rid` leave on dev_out[port].
    void map_rid(uint16_t rid, unsigned dev_out_port);
    // The device on `port` has a link of its own kind (a device class's):
    // its latency and bandwidth replace link_params' for that device's
    // link (to its root port, or to the switch; the switch's shared
    // upstream link keeps link_params'). Elaboration only.
    void set_port_link(unsigned port, const sc_core::sc_time& latency, double bytes_per_ns);

    const link_params& params() const { return m_p; }

    struct dir_counters {
        uint64_t tlps = 0;         // every TLP that entered in this direction
        uint64_t messages = 0;     // posted messages among them
        uint64_t nonposted = 0;    // non-posted requests among them
        uint64_t bytes = 0;        // data bytes carried
        uint64_t malformed = 0;    // no tlp_ext: rejected with an error response
        uint64_t unroutable = 0;   // downstream only: no port for the destination ID
        uint64_t rejected = 0;     // posted messages the receiver answered with an error
        uint64_t by_kind[7] = {};  // indexed by tlp_kind
    };
    const dir_counters& up_counters() const { return m_up.c; }
    const dir_counters& down_counters() const { return m_down.c; }

    // <p>.up.tlps, <p>.up.messages, <p>.up.nonposted, <p>.up.bytes,
    // <p>.up.malformed, <p>.up.rejected, <p>.up.<kind>s (page_requests, ...), and the same under
    // <p>.down plus <p>.down.unroutable.
    void report(prisim::stat_sink& sink, const std::string& prefix) const;

private:
    struct direction {
        explicit direction(const char* n) : name(n) {}
        const char* name;
        sc_core::sc_time last_due; // arrival time of the latest posted message
        dir_counters c;
    };
    // One wire in one direction: when it is free again.
    struct wire {
        sc_core::sc_time busy_until;
        uint64_t busy_ps = 0; // time spent sending, for the statistics
    };
    // A TLP of `bytes` ready at absolute time `ready` crosses the path to
    // or from `port`; returns its arrival time at the far end.
    // Without a bandwidth limit only the latencies count (inline: per TLP).
    sc_core::sc_time cross(bool up, unsigned port, unsigned bytes, const sc_core::sc_time& ready)
    {
        return !limited(port) ? ready + one_way(port) : cross_wires(up, port, bytes, ready);
    }
    sc_core::sc_time cross_wires(bool up, unsigned port, unsigned bytes, const sc_core::sc_time& ready);
    // The link of the device on `port`: its own (set_port_link) or link_params'.
    struct port_link {
        bool own = false;
        sc_core::sc_time latency;
        double bytes_per_ns = 0;
    };
    const port_link* own_link(unsigned port) const
    {
        return port < m_port_link.size() && m_port_link[port].own ? &m_port_link[port] : nullptr;
    }
    sc_core::sc_time latency(unsigned port) const
    {
        const port_link* l = own_link(port);
        return l ? l->latency : m_p.latency;
    }
    double rate(unsigned port) const
    {
        const port_link* l = own_link(port);
        return l ? l->bytes_per_ns : m_p.bytes_per_ns;
    }
    // A wire on the path of `port` has a bandwidth limit.
    bool limited(unsigned port) const { return rate(port) > 0 || (m_p.switched && m_p.bytes_per_ns > 0); }
    // A TLP's time on its path without a bandwidth limit.
    sc_core::sc_time one_way(unsigned port) const
    {
        return m_p.switched ? latency(port) + m_p.switch_latency : latency(port);
    }
    // `bytes_per_ns` 0: no limit, the TLP takes no time on the wire.
    sc_core::sc_time send_on(wire& w, unsigned bytes, const sc_core::sc_time& ready, double bytes_per_ns);
    wire& port_wire(bool up, unsigned port);

    void up_b_transport(int port, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    void down_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    // Common entry: returns the tlp_ext, or null after rejecting the TLP.
    tlp_ext* accept(direction& d, tlm::tlm_generic_payload& gp);
    void send_posted(direction& d, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay,
                     unsigned port);
    void forward_nonposted(direction& d, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay,
                           unsigned port);
    void deliver(direction& d, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay, unsigned port);
    // Destination port for a downstream TLP, or -1 (counted and dropped).
    int route(uint16_t rid);

    link_params m_p;
    std::vector<int> m_rid_port; // by RID: dev_out port, -1 unmapped
    std::vector<port_link> m_port_link; // by port: a device class's own link
    direction m_up{"up"};
    direction m_down{"down"};
    // Wires: per port (each device's own link, to its root port or to the
    // switch) and, switched, the shared upstream link.
    std::vector<wire> m_port_up, m_port_down;
    wire m_shared_up, m_shared_down;
    // Upstream with the root-port topology: posted messages FIFO per link.
    std::vector<sc_core::sc_time> m_last_due_up_port;
};

} // namespace prisim::pcie
