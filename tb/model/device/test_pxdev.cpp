// SPDX-License-Identifier: Apache-2.0
//
// Description: pxdev endpoints behind a pcie_link, against a fake root
// complex that answers ATS Translation Requests with R = W = 0 until it has
// "mapped" a page, takes Page Requests at their arrival time (the link hands
// posted messages over annotated with it) and answers each PRG with a chosen
// code after a delay, keeps memory writes in a byte map, and can inject PRG
// Responses and Invalidate Requests. Every device has its own scenario
// (table below); the tests run them one after the other on one simulation.
// A second bench runs the same scenarios with a 1 us quantum. The ATC and
// the pattern are also tested on their own.

#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/local_time.h"
#include "device/atc.h"
#include "device/pxdev.h"
#include "pcie/pcie_link.h"
#include "pcie/tlp.h"
#include "prisim/hw/pxdev.h"
#include "sc_harness.h"

// cmocka last: its fail() macro must not meet the C++ library headers.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <setjmp.h>
extern "C" { // cmocka 1.1 has no C++ guards of its own
#include <cmocka.h>
}

using namespace prisim;
using namespace prisim::pcie;
using prisim::device::device_params;
using prisim::device::pxdev;
using prisim::device::workload_params;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

const sc_time L(400, SC_NS); // link latency (the link_params default)

// Config-space registers the tests program, as software would.
constexpr unsigned ATS_CAP = PXDEV_CFG_ATS + 4, ATS_CTRL = PXDEV_CFG_ATS + 6;
constexpr unsigned PRI_CTRL = PXDEV_CFG_PRI + 4, PRI_STATUS = PXDEV_CFG_PRI + 6;
constexpr unsigned PRI_CAPACITY = PXDEV_CFG_PRI + 8, PRI_ALLOC = PXDEV_CFG_PRI + 12;
constexpr unsigned PASID_CTRL = PXDEV_CFG_PASID + 6;
constexpr uint16_t STA_RF = 1, STA_UPRGI = 2, STA_STOPPED = 1 << 8, STA_PRPR = 1 << 15;

// ---------------------------------------------------------------------------
// Fake root complex

struct rc_policy {
    unsigned code = PRG_SUCCESS;         // code of every PRG Response
    unsigned map_after = 1;              // map a page when its n-th PRG is answered (0: never)
    sc_time resp_delay{2, SC_US};        // Page Request with L = 1 -> PRG Response
    bool premapped = false;              // every page is mapped from the start
    bool ats_ur = false;                 // answer Translation Requests with UR
    sc_time ats_delay = sc_core::SC_ZERO_TIME;   // completer time per Translation Request
    sc_time write_delay = sc_core::SC_ZERO_TIME; // completer time per memory write
    bool pasid = false;                  // requests must carry PASID `pasid_value`, responses echo it
    uint32_t pasid_value = 0;
    bool echo_pasid = true;
    bool any_pasid = false;              // requests may carry any PASID, or none (several workloads)
    bool respond = true;                 // answer PRGs at all
    bool untranslated = false;           // memory requests are Untranslated (a device without ATS): mapped here
};

struct rc_dev_state {
    uint64_t trs = 0, prs = 0, prgs = 0, responses = 0, writes = 0, bytes = 0;
    uint64_t reads = 0, unmapped = 0; // Untranslated reads; Untranslated requests to no page (UR)
    uint64_t read_prs = 0; // page requests with R = 1, W = 0 (a traced read)
    int64_t outstanding = 0, max_outstanding = 0; // page requests received and not yet answered
    std::map<unsigned, std::vector<uint64_t>> open;  // PRGI -> pages of the group so far
    std::set<unsigned> awaiting;                     // closed groups not yet answered
    std::map<uint64_t, unsigned> prgs_per_page;
    std::vector<size_t> group_sizes;
    bool seen_tr = false;
    sc_time first_tr;
    std::vector<std::string> errors;
    uint64_t with_pasid = 0; // upstream requests that carried a PASID
    std::vector<uint64_t> inval_cpls;
    std::vector<sc_time> inval_cpl_at;
    std::vector<unsigned> inval_cpl_itag;
    sc_time last_write_done;
    std::vector<uint64_t> group_pages;   // first page of each PRG, in arrival order of its L = 1 request
    std::vector<sc_time> group_at;       // that arrival time
    std::vector<sc_time> response_at;    // when each PRG Response left, in order
    std::vector<uint32_t> stop_markers;  // PASID of each Stop Marker (L = 1, R = W = 0), in order
    std::vector<sc_time> stop_marker_at; // its arrival
    sc_time last_pr_at;                  // arrival of the last page request that is not a Stop Marker
};

struct fake_rc : sc_core::sc_module {
    tlm_utils::simple_target_socket<fake_rc> up;      // from link.rc_out
    tlm_utils::simple_initiator_socket<fake_rc> down; // to link.rc_in
    std::map<uint16_t, rc_policy> policy;
    std::map<uint16_t, rc_dev_state> st;
    std::map<std::pair<uint16_t, uint64_t>, uint64_t> mapping; // (rid, IOVA page) -> PA
    std::map<uint64_t, uint8_t> mem;
    uint64_t next_pa = 0x80000000;

    struct out_msg {
        tlp_kind kind;
        uint16_t rid;
        uint64_t payload;
        uint8_t itag;
        bool is_group; // a PRG Response for a group this RC received
        std::vector<uint64_t> pages;
        bool pv = false;
        uint32_t pasid = 0;
    };
    std::multimap<sc_time, out_msg> outq; // by due time, FIFO among equals
    sc_core::sc_event out_ev;

    // Posted messages from the devices, until their arrival time.
    struct in_msg {
        tlp_ext ext;
        uint64_t payload;
    };
    std::multimap<sc_time, in_msg> inq;
    sc_core::sc_event in_ev;
    sc_time quantum;

    SC_HAS_PROCESS(fake_rc);
    fake_rc(sc_core::sc_module_name n, sc_time q) : sc_module(n), up("up"), down("down"), quantum(q)
    {
        up.register_b_transport(this, &fake_rc::b_transport);
        SC_THREAD(sender);
        SC_THREAD(receiver);
    }

    uint64_t map_page(uint16_t rid, uint64_t iova)
    {
        auto k = std::make_pair(rid, iova & ~0xFFFull);
        auto it = mapping.find(k);
        if (it != mapping.end()) return it->second;
        uint64_t pa = next_pa;
        next_pa += 0x1000;
        mapping[k] = pa;
        return pa;
    }
    bool mapped(uint16_t rid, uint64_t iova) const { return mapping.count({rid, iova & ~0xFFFull}) != 0; }

    void inject(tlp_kind k, uint16_t rid, uint64_t payload, uint8_t itag = 0)
    {
        outq.emplace(sc_core::sc_time_stamp(), out_msg{k, rid, payload, itag, false, {}});
        out_ev.notify(sc_core::SC_ZERO_TIME);
    }

    void b_transport(tlm::tlm_generic_payload& gp, sc_time& delay)
    {
        tlp_ext* e = nullptr;
        gp.get_extension(e);
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
        if (e->kind == tlp_kind::page_request || e->kind == tlp_kind::inval_completion) {
            // Posted: acted on at its arrival time, from our own thread; the
            // sender reuses the payload.
            inq.emplace(sc_core::sc_time_stamp() + delay, in_msg{*e, load_le64(gp.get_data_ptr())});
            in_ev.notify(delay);
            return;
        }
        const uint16_t rid = e->rid;
        rc_dev_state& s = st[rid];
        const rc_policy& pol = policy[rid];
        check_pasid(s, pol, *e);
        switch (e->kind) {
        case tlp_kind::ats_translation_req: {
            if (!s.seen_tr) {
                s.seen_tr = true;
                s.first_tr = sc_core::sc_time_stamp() + delay;
            }
            ++s.trs;
            if (e->at != at_t::translation_req) s.errors.push_back("TR without AT = translation request");
            if (pol.ats_delay > sc_core::SC_ZERO_TIME) annotate(delay, pol.ats_delay, quantum);
            if (pol.ats_ur) {
                e->status = cpl_status::ur;
                gp.set_response_status(tlm::TLM_OK_RESPONSE);
                return;
            }
            ats_cpl c; // R = W = 0: not present
            if (pol.premapped || mapped(rid, gp.get_address())) {
                c.addr = map_page(rid, gp.get_address());
                c.r = c.w = true;
            }
            store_le64(gp.get_data_ptr(), encode_ats_cpl(c));
            e->status = cpl_status::sc;
            break;
        }
        case tlp_kind::mem_read:
        case tlp_kind::mem_write: {
            uint64_t addr = gp.get_address();
            if (pol.untranslated) {
                // The translation an IOMMU would make: the page's mapping, or UR.
                if (e->at != at_t::untranslated) s.errors.push_back("memory request that is not Untranslated");
                if (!pol.premapped && !mapped(rid, addr)) {
                    ++s.unmapped;
                    e->status = cpl_status::ur;
                    return;
                }
                addr = map_page(rid, addr) + (addr & 0xFFF);
            } else if (e->at != at_t::translated || e->kind == tlp_kind::mem_read) {
                s.errors.push_back("memory request that is not a Translated write");
            }
            if (e->kind == tlp_kind::mem_read) {
                ++s.reads;
                std::memset(gp.get_data_ptr(), 0, gp.get_data_length());
                e->status = cpl_status::sc;
                break;
            }
            ++s.writes;
            if (pol.write_delay > sc_core::SC_ZERO_TIME) annotate(delay, pol.write_delay, quantum);
            for (unsigned i = 0; i < gp.get_data_length(); ++i) mem[addr + i] = gp.get_data_ptr()[i];
            s.bytes += gp.get_data_length();
            s.last_write_done = sc_core::sc_time_stamp() + delay;
            e->status = cpl_status::sc;
            break;
        }
        default:
            s.errors.push_back("unexpected upstream TLP kind " + std::to_string(unsigned(e->kind)));
            break;
        }
    }

    void check_pasid(rc_dev_state& s, const rc_policy& pol, const tlp_ext& e)
    {
        if (e.kind != tlp_kind::inval_completion) {
            s.with_pasid += e.pv;
            if (pol.any_pasid) return;
            if (e.pv != pol.pasid || (e.pv && e.pasid != pol.pasid_value))
                s.errors.push_back("request kind " + std::to_string(unsigned(e.kind)) +
                                   (e.pv ? " with an unexpected PASID" : " without the PASID"));
        } else if (e.pv) {
            s.errors.push_back("Invalidate Completion with a PASID");
        }
    }

    // Page Requests and Invalidate Completions, at their arrival time.
    void receiver()
    {
        for (;;) {
            while (inq.empty()) wait(in_ev);
            const sc_time now = sc_core::sc_time_stamp();
            if (inq.begin()->first > now) {
                wait(inq.begin()->first - now, in_ev);
                continue;
            }
            const in_msg m = inq.begin()->second;
            inq.erase(inq.begin());
            const tlp_ext& e = m.ext;
            rc_dev_state& s = st[e.rid];
            const rc_policy& pol = policy[e.rid];
            check_pasid(s, pol, e);
            if (e.kind == tlp_kind::inval_completion) {
                s.inval_cpls.push_back(m.payload);
                s.inval_cpl_at.push_back(now);
                s.inval_cpl_itag.push_back(e.itag);
                continue;
            }
            const uint64_t p = m.payload;
            if (pr_l(p) && !pr_r(p) && !pr_w(p)) {
                // A Stop Marker (pcie-pri.md §3): no group, no credit, never answered.
                if (!e.pv) s.errors.push_back("Stop Marker without a PASID");
                s.stop_markers.push_back(e.pasid);
                s.stop_marker_at.push_back(now);
                continue;
            }
            s.last_pr_at = now;
            ++s.prs;
            s.max_outstanding = std::max(s.max_outstanding, ++s.outstanding);
            if (!pr_r(p)) s.errors.push_back("page request without R");
            if (!pr_w(p)) ++s.read_prs;
            const unsigned prgi = pr_prgi(p);
            if (s.awaiting.count(prgi))
                s.errors.push_back("PRG index " + std::to_string(prgi) + " reused before its response");
            auto& grp = s.open[prgi];
            grp.push_back(pr_addr(p));
            if (pr_l(p)) {
                ++s.prgs;
                s.group_sizes.push_back(grp.size());
                s.group_pages.push_back(grp.front());
                s.group_at.push_back(now);
                for (uint64_t a : grp) ++s.prgs_per_page[a];
                s.awaiting.insert(prgi);
                if (pol.respond) {
                    outq.emplace(now + pol.resp_delay,
                                 out_msg{tlp_kind::prg_response, e.rid, prgr_payload(prgi, pol.code), 0, true, grp,
                                         e.pv && pol.echo_pasid, e.pasid});
                    out_ev.notify(sc_core::SC_ZERO_TIME);
                }
                s.open.erase(prgi);
            }
        }
    }

    void sender()
    {
        for (;;) {
            while (outq.empty()) wait(out_ev);
            const sc_time now = sc_core::sc_time_stamp();
            if (outq.begin()->first > now) {
                wait(outq.begin()->first - now, out_ev);
                continue;
            }
            out_msg m = outq.begin()->second;
            outq.erase(outq.begin());
            if (m.is_group) {
                rc_dev_state& s = st[m.rid];
                const rc_policy& pol = policy[m.rid];
                s.outstanding -= int64_t(m.pages.size());
                s.awaiting.erase(prgr_prgi(m.payload));
                // The host maps first, then answers (DESIGN §3 step 10).
                for (uint64_t a : m.pages)
                    if (pol.code == PRG_SUCCESS && pol.map_after && s.prgs_per_page[a] >= pol.map_after)
                        map_page(m.rid, a);
            }
            if (m.kind == tlp_kind::prg_response) {
                ++st[m.rid].responses;
                st[m.rid].response_at.push_back(sc_core::sc_time_stamp());
            }
            tlm::tlm_generic_payload gp;
            auto* e = new tlp_ext;
            gp.set_extension(e);
            e->kind = m.kind;
            e->rid = m.rid;
            e->itag = m.itag;
            e->pv = m.pv;
            e->pasid = m.pasid;
            unsigned char buf[8];
            store_le64(buf, m.payload);
            gp.set_command(tlm::TLM_WRITE_COMMAND);
            gp.set_data_ptr(buf);
            gp.set_data_length(8);
            gp.set_streaming_width(8);
            sc_time d = sc_core::SC_ZERO_TIME;
            down->b_transport(gp, d);
        }
    }
};

// ---------------------------------------------------------------------------
// The bench: one link, one fake root complex, one device per scenario.

enum dev_id { A, B_, C, D, D2, E, E2, F, G, H, I, J, K, K2, Q, R, S, T, U, P, SM, SM2, RT, MW, NA, NP, NDEV };

struct dev_cfg {
    const char* name;
    device_params p;
    rc_policy pol;
    uint32_t alloc;
};

device_params dp(uint16_t rid, unsigned streams, uint64_t pages, unsigned prg_pages, unsigned atc = 32)
{
    device_params p;
    p.rid = rid;
    p.streams = streams;
    p.pages = pages;
    p.prg_pages = prg_pages;
    p.atc_entries = atc;
    return p;
}

rc_policy pol(unsigned code, unsigned map_after = 1)
{
    rc_policy r;
    r.code = code;
    r.map_after = map_after;
    return r;
}

std::vector<dev_cfg> scenarios()
{
    std::vector<dev_cfg> v(NDEV);
    v[A] = {"devA", dp(0x0008, 2, 32, 4, 64), pol(PRG_SUCCESS), 6};      // credit stalls, 2 devices at once
    v[B_] = {"devB", dp(0x0010, 3, 24, 8, 16), pol(PRG_SUCCESS), 3};     // groups split to fit 3 credits
    v[B_].p.invalidate_queue_depth = 2;
    v[B_].pol.resp_delay = sc_time(1, SC_US);
    v[C] = {"devC", dp(0x0018, 2, 8, 2), pol(PRG_INVALID_REQUEST), 8};   // Invalid Request: no retry
    v[D] = {"devD", dp(0x0020, 1, 8, 2), pol(PRG_SUCCESS, 2), 8};        // first Success does not map
    v[D2] = {"devD2", dp(0x0028, 1, 4, 2), pol(PRG_SUCCESS, 0), 8};      // never mapped: attempts run out
    v[D2].p.max_prg_attempts = 3;
    v[E] = {"devE", dp(0x0030, 2, 8, 2), pol(PRG_RESPONSE_FAILURE), 8}; // Response Failure
    v[E2] = {"devE2", dp(0x0038, 1, 4, 2), pol(0x3), 8};                // reserved code
    v[F] = {"devF", dp(0x0040, 1, 4, 1), pol(PRG_SUCCESS), 8};          // started without PRI Enable
    v[G] = {"devG", dp(0x0048, 1, 2, 2), pol(PRG_SUCCESS), 8};          // ATS UR
    v[G].pol.ats_ur = true;
    v[H] = {"devH", dp(0x0050, 1, 1, 1), pol(PRG_SUCCESS), 8};          // invalidation vs write in flight
    v[H].pol.premapped = true;
    v[H].pol.write_delay = sc_time(5, SC_US);
    v[I] = {"devI", dp(0x0058, 1, 1, 1), pol(PRG_SUCCESS), 8};          // invalidation vs translation in flight
    v[I].pol.premapped = true;
    v[I].pol.ats_delay = sc_time(5, SC_US);
    v[J] = {"devJ", dp(0x0060, 1, 4, 2), pol(PRG_SUCCESS), 8};          // PRI disabled while a PRG is out
    v[K] = {"devK", dp(0x0068, 2, 8, 2), pol(PRG_SUCCESS), 8};          // PASID enabled
    v[K].p.pasid = 0x42;
    v[K].pol.pasid = true;
    v[K].pol.pasid_value = 0x42;
    v[K2] = v[K];                                                       // PASID enabled, responses without it
    v[K2].name = "devK2";
    v[K2].p.rid = 0x0070;
    v[K2].p.pages = 2;
    v[K2].pol.echo_pasid = false;
    // Credits in the order streams asked: b0 takes 3 of 4 credits, b1 and
    // b2 (3 pages each) wait, then b3 (1 page) must not pass b2.
    v[Q] = {"devQ", dp(0x0078, 3, 10, 3), pol(PRG_SUCCESS), 4};
    v[Q].pol.resp_delay = sc_time(10, SC_US);
    v[R] = {"devR", dp(0x0080, 1, 1, 1), pol(PRG_SUCCESS), 8};          // response injected with a delay
    v[R].pol.respond = false;
    v[S] = {"devS", dp(0x0088, 2, 6, 1), pol(PRG_SUCCESS), 8};          // 100 pattern bytes: a partial last word
    v[S].p.bytes_per_page = 100;
    // Trace replay: a write and a read that fault their pages, the same
    // pages again (ATC hits), and a write of the last bytes of a third page.
    v[U] = {"devU", dp(0x0098, 2, 4, 2), pol(PRG_SUCCESS), 8};          // PRI Reset with groups out
    v[U].pol.respond = false;
    // Open loop: 4,000 one-page bursts arriving as a Poisson process with a
    // 2 us mean gap (pages premapped: the arrivals, not faults, are looked at).
    v[P] = {"devP", dp(0x00A0, 2, 4000, 1), pol(PRG_SUCCESS), 8};
    v[P].pol.premapped = true;
    v[P].p.poisson = true;
    v[P].p.arrival_gap = sc_time(2, SC_US);
    v[P].p.seed = 7;
    // Stop Markers at the end of a PASID workload: answered (SM), and after
    // Response Failure, when PRI may not be used (SM2: held).
    v[SM] = {"devSM", dp(0x00A8, 2, 8, 2), pol(PRG_SUCCESS), 4};
    v[SM].p.pasid = 0x51;
    v[SM].p.stop_markers = true;
    v[SM].pol.pasid = true;
    v[SM].pol.pasid_value = 0x51;
    v[SM2] = v[SM];
    v[SM2].name = "devSM2";
    v[SM2].p.rid = 0x00B0;
    v[SM2].pol.code = PRG_RESPONSE_FAILURE;
    // Re-touches: 200 first-touch bursts of 2 pages, each burst a first
    // touch with probability 1/4, else a finished one's pages again.
    v[RT] = {"devRT", dp(0x00B8, 3, 400, 2, 16), pol(PRG_SUCCESS), 8};
    v[RT].p.fault_probability = 0.25;
    v[RT].p.seed = 11;
    // Two workloads on one device: a short one over PASIDs 1 and 2 (one
    // stream, 2-page groups) and a longer one without a PASID (two streams,
    // 1-page groups, 1 us apart), with Stop Markers.
    v[MW] = {"devMW", dp(0x00C0, 1, 4, 2), pol(PRG_SUCCESS), 8};
    v[MW].p.name = "a";
    v[MW].p.pasids = 2;
    v[MW].p.stop_markers = true;
    v[MW].pol.any_pasid = true;
    {
        workload_params b;
        b.name = "b";
        b.streams = 2;
        b.pages = 40;
        b.prg_pages = 1;
        b.iova_base = 0x20000000;
        b.think_time = sc_time(1, SC_US);
        v[MW].p.more_workloads.push_back(b);
    }
    // Without ATS nor PRI (NA): every access Untranslated, half of the
    // bursts reads, all pages premapped. With ATS, without PRI (NP): what
    // is not mapped fails without a page request.
    v[NA] = {"devNA", dp(0x00C8, 2, 16, 2), pol(PRG_SUCCESS), 0};
    v[NA].p.ats = v[NA].p.pri = false;
    v[NA].p.read_percent = 50;
    v[NA].p.seed = 5;
    v[NA].pol.premapped = true;
    v[NA].pol.untranslated = true;
    v[NP] = {"devNP", dp(0x00D0, 1, 4, 2), pol(PRG_SUCCESS), 0};
    v[NP].p.pri = false;
    v[T] = {"devT", dp(0x0090, 2, 0, 1), pol(PRG_SUCCESS), 8};
    v[T].p.replay = std::make_shared<const device::trace>(device::trace{
        {0, 0x10000010, 16, true},
        {0, 0x10001000, 8, false},
        {50000000, 0x10000100, 8, true},
        {50000000, 0x10001008, 4, false},
        {60000000, 0x10002ff0, 16, true},
    });
    return v;
}

struct host : sc_core::sc_module {
    std::vector<std::unique_ptr<tlm_utils::simple_initiator_socket<host>>> bar;
    host(sc_core::sc_module_name n, unsigned count) : sc_module(n)
    {
        for (unsigned i = 0; i < count; ++i)
            bar.push_back(std::make_unique<tlm_utils::simple_initiator_socket<host>>(
                ("bar" + std::to_string(i)).c_str()));
    }
};

std::string prefixed(const std::string& prefix, const char* name) { return prefix + name; }

struct bench {
    std::vector<dev_cfg> cfg = scenarios();
    pcie_link link;
    fake_rc rc;
    host cpu;
    tb::runner run;
    std::vector<std::unique_ptr<pxdev>> dev;

    // Module names start with `prefix`; the devices and the root complex
    // get `quantum` (the link only annotates).
    explicit bench(const std::string& prefix = "", sc_time quantum = sc_core::SC_ZERO_TIME)
        : link(prefixed(prefix, "link").c_str(), link_params{}), rc(prefixed(prefix, "rc").c_str(), quantum),
          cpu(prefixed(prefix, "cpu").c_str(), NDEV), run(prefixed(prefix, "run").c_str())
    {
        link.rc_out.bind(rc.up);
        rc.down.bind(link.rc_in);
        for (unsigned i = 0; i < NDEV; ++i) {
            cfg[i].p.quantum = quantum;
            dev.push_back(std::make_unique<pxdev>(prefixed(prefix, cfg[i].name).c_str(), cfg[i].p));
            dev[i]->up.bind(link.dev_in);
            link.dev_out.bind(dev[i]->down);
            link.map_rid(cfg[i].p.rid, i);
            cpu.bar[i]->bind(dev[i]->bar);
            rc.policy[cfg[i].p.rid] = cfg[i].pol;
        }
    }

    uint32_t bar_rw(unsigned i, unsigned off, bool write, uint32_t val = 0)
    {
        tlm::tlm_generic_payload gp;
        unsigned char buf[4];
        for (int k = 0; k < 4; ++k) buf[k] = uint8_t(val >> (8 * k));
        gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        gp.set_address(off);
        gp.set_data_ptr(buf);
        gp.set_data_length(4);
        gp.set_streaming_width(4);
        sc_time d = sc_core::SC_ZERO_TIME;
        (*cpu.bar[i])->b_transport(gp, d);
        return uint32_t(buf[0]) | uint32_t(buf[1]) << 8 | uint32_t(buf[2]) << 16 | uint32_t(buf[3]) << 24;
    }

    // What a driver does before starting the device: allocation, then enables.
    void enable(unsigned i, bool ats = true, bool pri = true)
    {
        dev[i]->cfg_write(PRI_ALLOC, 4, cfg[i].alloc);
        if (ats) dev[i]->cfg_write(ATS_CTRL, 2, 0x8000);
        if (pri) dev[i]->cfg_write(PRI_CTRL, 2, 1);
    }
    void start(unsigned i) { bar_rw(i, PXDEV_CTRL, true, PXDEV_CTRL_START); }

    // Start devices in one job at the same instant; simulate until done.
    bool start_and_wait(std::vector<unsigned> ids, sc_time* t0 = nullptr)
    {
        bool ok = run.run([&] {
            if (t0) *t0 = sc_core::sc_time_stamp();
            for (unsigned i : ids) start(i);
        });
        return ok && tb::run_until(
                         [&] {
                             for (unsigned i : ids)
                                 if (!dev[i]->done()) return false;
                             return true;
                         },
                         sc_time(20, sc_core::SC_MS));
    }

    rc_dev_state& rcs(unsigned i) { return rc.st[cfg[i].p.rid]; }
    const pxdev::counters& c(unsigned i) { return dev[i]->get_counters(); }
    uint16_t pri_status(unsigned i) { return uint16_t(dev[i]->cfg_read(PRI_STATUS, 2)); }
};

bench& BN(void** state) { return *static_cast<bench*>(*state); }

bench* g_q1 = nullptr; // the same scenarios with a 1 us quantum
std::map<unsigned, std::map<std::string, uint64_t>> g_snap; // counts of the quantum-0 runs, by scenario

// Pattern bytes landed at the translated address of every page, and nowhere
// else; they are the bytes pattern_fill builds (what the scoreboard checks).
void check_pattern(bench& b, unsigned i, uint64_t pages_written = 0)
{
    const device_params& p = b.dev[i]->params();
    std::vector<uint8_t> want(p.bytes_per_page);
    for (uint64_t pg = 0; pg < p.pages; ++pg) {
        auto it = b.rc.mapping.find({p.rid, p.iova_base + pg * 4096});
        assert_true(it != b.rc.mapping.end());
        pxdev::pattern_fill(p.rid, pg, want.data(), p.bytes_per_page);
        for (unsigned off = 0; off < p.bytes_per_page; ++off) {
            auto m = b.rc.mem.find(it->second + off);
            assert_true(m != b.rc.mem.end());
            assert_int_equal(m->second, want[off]);
        }
        assert_true(b.rc.mem.find(it->second + p.bytes_per_page) == b.rc.mem.end());
    }
    assert_int_equal(b.rcs(i).bytes, (pages_written ? pages_written : p.pages) * p.bytes_per_page);
}

// Every counter and the fault latency count, by name.
std::map<std::string, uint64_t> counts(const pxdev& d)
{
    tb::map_sink s;
    d.report(s, "d");
    auto m = s.counters;
    for (const auto& kv : s.sample_counts) m[kv.first + ".count"] = kv.second;
    return m;
}

// The streams' counters add up to the device's; their throughput is their
// bytes over the device's active time.
void check_streams(bench& b, unsigned i)
{
    tb::map_sink s;
    b.dev[i]->report(s, "d");
    const double active_us = double(b.dev[i]->active_time().value()) / 1e6;
    assert_true(active_us > 0);
    unsigned streams = 0; // of every workload
    for (size_t w = 0; w < b.dev[i]->workloads(); ++w) streams += b.dev[i]->workload(w).streams;
    for (const char* f : {"faults", "pages_done", "dma_bytes", "credit_stalls"}) {
        uint64_t sum = 0;
        for (unsigned k = 0; k < streams; ++k) sum += s.counters.at("d.stream." + std::to_string(k) + "." + f);
        assert_int_equal(sum, s.counters.at(std::string("d.") + f));
    }
    for (unsigned k = 0; k < streams; ++k) {
        const std::string q = "d.stream." + std::to_string(k) + ".";
        const double want = double(s.counters.at(q + "dma_bytes")) / active_us;
        assert_true(std::fabs(s.values.at(q + "dma_bytes_per_us") - want) <= 1e-9 * want);
    }
}

// Credits: the root complex never saw more page requests of the device
// outstanding than its allocation; every group fits; all credits are back.
void check_credits(bench& b, unsigned i)
{
    const auto& c = b.c(i);
    const auto& s = b.rcs(i);
    assert_true(c.credits_max <= b.cfg[i].alloc);
    assert_true(s.max_outstanding <= int64_t(b.cfg[i].alloc));
    for (size_t g : s.group_sizes) assert_true(g <= b.cfg[i].alloc);
    assert_int_equal(c.credits_outstanding, 0);
    assert_int_equal(c.prgs_outstanding, 0);
    assert_true(s.errors.empty());
}

// ---------------------------------------------------------------------------
// Tests

void test_config_space(void** state)
{
    bench& b = BN(state);
    pxdev& d = *b.dev[A];
    assert_int_equal(d.cfg_read(0, 4), device::PXDEV_VENDOR_ID | (uint32_t(device::PXDEV_DEVICE_ID) << 16));
    assert_int_equal(d.cfg_read(0, 2), device::PXDEV_VENDOR_ID);
    // Extended capability chain: ATS -> PRI -> PASID -> end.
    unsigned off = 0x100;
    const uint16_t want_ids[] = {0x0F, 0x13, 0x1B};
    const unsigned want_off[] = {PXDEV_CFG_ATS, PXDEV_CFG_PRI, PXDEV_CFG_PASID};
    for (int k = 0; k < 3; ++k) {
        assert_int_equal(off, want_off[k]);
        uint32_t h = d.cfg_read(off, 4);
        assert_int_equal(h & 0xFFFF, want_ids[k]);
        assert_int_equal((h >> 16) & 0xF, 1);
        off = h >> 20;
    }
    assert_int_equal(off, 0);
    // ATS: Invalidate Queue Depth (0 encodes 32; devB has 2), Enable + STU RW.
    assert_int_equal(d.cfg_read(ATS_CAP, 2) & 0x1F, 0);
    assert_int_equal(b.dev[B_]->cfg_read(ATS_CAP, 2) & 0x1F, 2);
    d.cfg_write(ATS_CTRL, 2, 0x8003);
    assert_int_equal(d.cfg_read(ATS_CTRL, 2), 0x8003);
    d.cfg_write(ATS_CTRL, 2, 0);
    // PRI: Capacity RO, Allocation RW, Stopped while disabled and idle.
    assert_int_equal(d.cfg_read(PRI_CAPACITY, 4), 64);
    d.cfg_write(PRI_CAPACITY, 4, 5);
    assert_int_equal(d.cfg_read(PRI_CAPACITY, 4), 64);
    d.cfg_write(PRI_ALLOC, 4, 17);
    assert_int_equal(d.cfg_read(PRI_ALLOC, 4), 17);
    assert_int_equal(d.get_counters().allocation, 17);
    assert_int_equal(b.pri_status(A), STA_STOPPED);
    d.cfg_write(PRI_STATUS, 2, 0xFFFF); // RW1C bits are clear; RO bits ignore the write
    assert_int_equal(b.pri_status(A), STA_STOPPED);
    d.cfg_write(PRI_CTRL, 2, 1);
    assert_int_equal(d.cfg_read(PRI_CTRL, 2), 1);
    assert_int_equal(b.pri_status(A) & STA_STOPPED, 0);
    d.cfg_write(PRI_CTRL, 2, 0);
    // PRG Response PASID Required follows PASID Enable.
    assert_int_equal(d.cfg_read(PASID_CTRL, 2), 0);
    d.cfg_write(PASID_CTRL, 2, 1);
    assert_int_equal(b.pri_status(A) & STA_PRPR, STA_PRPR);
    d.cfg_write(PASID_CTRL, 2, 0);
    assert_int_equal(b.pri_status(A) & STA_PRPR, 0);
    // Bad accesses: clear result, no effect.
    assert_int_equal(d.cfg_read(PRI_ALLOC + 1, 2), 0xFFFFFFFFu);
    assert_int_equal(d.cfg_read(0x1000, 4), 0xFFFFFFFFu);
    // BAR0 identity and idle status.
    assert_int_equal(b.bar_rw(A, PXDEV_ID, false), PXDEV_ID_VALUE);
    assert_int_equal(b.bar_rw(A, PXDEV_STATUS, false), 0);
    // The pattern differs between devices and between pages.
    uint8_t p0[256], p1[256], p2[256];
    pxdev::pattern_fill(0x0008, 0, p0, 256);
    pxdev::pattern_fill(0x0010, 0, p1, 256);
    pxdev::pattern_fill(0x0008, 1, p2, 256);
    int diff_dev = 0, diff_page = 0;
    for (unsigned o = 0; o < 256; ++o) {
        diff_dev += p0[o] != p1[o];
        diff_page += p0[o] != p2[o];
    }
    assert_true(diff_dev > 200);
    assert_true(diff_page > 200);
}

// Software misprogramming: START without PRI Enable finishes at once, every
// burst failed, STATUS.ERROR, a violation, and no TLP on the link.
void test_start_without_pri_enabled(void** state)
{
    bench& b = BN(state);
    b.enable(F, true, false);
    assert_true(b.start_and_wait({F}));
    const auto& c = b.c(F);
    assert_int_equal(c.bursts_failed, 4);
    assert_int_equal(c.pages_failed, 4);
    assert_int_equal(c.bursts_done + c.pages_done + c.ats_requests + c.page_requests, 0);
    assert_int_equal(b.bar_rw(F, PXDEV_STATUS, false), PXDEV_STATUS_DONE | PXDEV_STATUS_ERROR);
    assert_int_equal(b.dev[F]->violations().size(), 1);
    assert_true(b.dev[F]->violations()[0].find("PRI Enable = 0") != std::string::npos);
    assert_true(b.dev[F]->violations()[0].find("devF") != std::string::npos);
    assert_true(b.rc.st.count(b.cfg[F].p.rid) == 0);
}

// A device without ATS and PRI: the capability list skips both (a null
// capability heads it), their registers read 0 and ignore writes, it starts
// with nothing enabled, and every access is an Untranslated request (reads
// by DMA too); BAR0 lists the range software must pin.
void test_no_ats_no_pri(void** state)
{
    bench& b = BN(state);
    pxdev& d = *b.dev[NA];
    const uint32_t head = d.cfg_read(PXDEV_CFG_ATS, 4);
    assert_int_equal(head & 0xFFFF, 0);               // ID 0: a null capability
    assert_int_equal(head >> 20, PXDEV_CFG_PASID);    // pointing past ATS and PRI
    assert_int_equal(d.cfg_read(PXDEV_CFG_PRI, 4), 0);
    d.cfg_write(ATS_CTRL, 2, 0x8000);
    d.cfg_write(PRI_CTRL, 2, 1);
    d.cfg_write(PRI_ALLOC, 4, 8);
    assert_int_equal(d.cfg_read(ATS_CAP, 4), 0);
    assert_int_equal(d.cfg_read(PRI_CTRL, 4), 0);
    assert_int_equal(d.cfg_read(PRI_CAPACITY, 4), 0);
    assert_int_equal(d.cfg_read(PRI_ALLOC, 4), 0);
    // BAR0: one range, the workload's pages
    assert_int_equal(b.bar_rw(NA, PXDEV_RANGES, false), 1);
    b.bar_rw(NA, PXDEV_RANGE_SEL, true, 0);
    assert_int_equal(b.bar_rw(NA, PXDEV_RANGE_BASE_LO, false), uint32_t(b.cfg[NA].p.iova_base));
    assert_int_equal(b.bar_rw(NA, PXDEV_RANGE_BASE_HI, false), uint32_t(b.cfg[NA].p.iova_base >> 32));
    assert_int_equal(b.bar_rw(NA, PXDEV_RANGE_PAGES, false), 16);
    b.bar_rw(NA, PXDEV_RANGE_SEL, true, 1);
    assert_int_equal(b.bar_rw(NA, PXDEV_RANGE_PAGES, false), 0);

    assert_true(b.start_and_wait({NA}));
    const auto& c = b.c(NA);
    const auto& r = b.rcs(NA);
    assert_true(b.dev[NA]->violations().empty());
    assert_int_equal(c.pages_done, 16);
    assert_int_equal(c.bursts_done, 8);
    assert_int_equal(c.pages_failed + c.ats_requests + c.page_requests + c.faults, 0);
    assert_int_equal(r.trs + r.prs, 0);
    assert_true(c.dma_reads > 0 && c.dma_writes > 0); // seed 5 draws both
    assert_int_equal(c.dma_reads + c.dma_writes, 16);
    assert_int_equal(r.reads, c.dma_reads);
    assert_int_equal(r.writes, c.dma_writes);
    assert_int_equal(c.pages_read, c.dma_reads);
    assert_int_equal(c.dma_bytes, c.dma_writes * b.cfg[NA].p.bytes_per_page);
    assert_true(r.errors.empty());
    tb::map_sink s;
    d.report(s, "d");
    assert_int_equal(s.counters.at("d.dma_reads"), c.dma_reads);
}

// ATS without PRI: translations are asked for and used; a page that is not
// present fails at once, with no page request (nothing can fault it in),
// and starting needs only ATS Enable.
void test_ats_without_pri(void** state)
{
    bench& b = BN(state);
    pxdev& d = *b.dev[NP];
    assert_int_equal(d.cfg_read(PXDEV_CFG_ATS, 4) & 0xFFFF, 0x0F);
    assert_int_equal(d.cfg_read(PXDEV_CFG_ATS, 4) >> 20, PXDEV_CFG_PASID); // PRI skipped
    assert_int_equal(d.cfg_read(PRI_CAPACITY, 4), 0);
    // pages 0 and 1 mapped (the first burst), 2 and 3 not
    const uint64_t base = b.cfg[NP].p.iova_base;
    b.rc.map_page(b.cfg[NP].p.rid, base);
    b.rc.map_page(b.cfg[NP].p.rid, base + 0x1000);
    b.enable(NP, true, false);
    assert_true(b.start_and_wait({NP}));
    const auto& c = b.c(NP);
    assert_true(b.dev[NP]->violations().empty());
    assert_int_equal(c.pages_done, 2);
    assert_int_equal(c.pages_failed, 2);
    assert_int_equal(c.bursts_done, 1);
    assert_int_equal(c.bursts_failed, 1);
    assert_int_equal(c.ats_not_present, 2);
    assert_int_equal(c.page_requests + c.prgs_sent + c.faults + c.bursts_out_of_attempts, 0);
    assert_int_equal(b.rcs(NP).prs, 0);
    assert_int_equal(b.rcs(NP).writes, 2);
    assert_int_equal(b.bar_rw(NP, PXDEV_STATUS, false), PXDEV_STATUS_DONE | PXDEV_STATUS_ERROR);
    // Started again without ATS Enable: a violation naming it, no PRI asked for.
    b.dev[NP]->cfg_write(ATS_CTRL, 2, 0);
    b.bar_rw(NP, PXDEV_CTRL, true, 0);
    assert_true(b.start_and_wait({NP}));
    assert_int_equal(b.dev[NP]->violations().size(), 1);
    assert_true(b.dev[NP]->violations()[0].find("ATS Enable = 0 (no PRI)") != std::string::npos);
}

// Two devices at once through one link: credits, one response per PRG,
// splitting, latency once per direction, pattern at the translated address.
void test_two_devices(void** state)
{
    bench& b = BN(state);
    b.enable(A);
    b.enable(B_);
    sc_time t0;
    assert_true(b.start_and_wait({A, B_}, &t0));

    const auto& a = b.c(A);
    assert_int_equal(a.bursts_done, 8);
    assert_int_equal(a.pages_done, 32);
    assert_int_equal(a.bursts_failed + a.pages_failed, 0);
    assert_int_equal(a.page_requests, 32);
    assert_int_equal(a.prgs_sent, 8);
    assert_int_equal(a.prgr_success, 8);
    assert_int_equal(a.prgr_from_software, 8);
    assert_int_equal(a.prg_retries, 0);
    assert_int_equal(a.ats_requests, 64); // not present, then present after Success
    assert_int_equal(a.ats_not_present, 32);
    assert_int_equal(a.dma_writes, 32);
    assert_int_equal(a.credits_max, 4);   // a second group of 4 never fits in 6
    assert_true(a.credit_stalls > 0);
    assert_int_equal(b.rcs(A).responses, 8);
    assert_int_equal(b.rcs(A).prgs, 8);
    check_credits(b, A);
    check_pattern(b, A);

    const auto& bb = b.c(B_);
    assert_int_equal(bb.pages_done, 24);
    assert_int_equal(bb.bursts_done, 3);
    assert_int_equal(bb.prgs_sent, 9); // 8 pages in 3 credits: 3 + 3 + 2, per burst
    assert_int_equal(bb.prgr_success, 9);
    assert_int_equal(bb.credits_max, 3);
    assert_true(bb.credit_stalls > 0);
    for (size_t g : b.rcs(B_).group_sizes) assert_true(g == 3 || g == 2);
    check_credits(b, B_);
    check_pattern(b, B_);

    // One link latency per direction: the first Translation Request reaches
    // the root complex L after START; the fastest fault is 4 round trips of
    // translation (2L each), one Page Request crossing, the host's delay, one
    // response crossing and the retried translation: 12L + delay.
    assert_true(b.rcs(A).first_tr == t0 + L);
    assert_int_equal(b.dev[A]->fault_latency().count(), 32);
    assert_int_equal(b.dev[A]->fault_latency().min(), (12 * L + b.cfg[A].pol.resp_delay).value());
    assert_int_equal(b.dev[B_]->fault_latency().count(), 24);

    assert_int_equal(b.bar_rw(A, PXDEV_STATUS, false), PXDEV_STATUS_DONE);
    assert_int_equal(b.bar_rw(A, PXDEV_PAGES_DONE, false), 32);
    assert_true(b.dev[A]->violations().empty());
    assert_true(b.dev[B_]->violations().empty());

    tb::map_sink s;
    b.dev[A]->report(s, "dev0");
    assert_int_equal(s.counters.at("dev0.prgs_sent"), 8);
    assert_int_equal(s.counters.at("dev0.credits_max"), 4);
    assert_int_equal(s.counters.at("dev0.allocation"), 6);
    assert_int_equal(s.sample_counts.at("dev0.fault_latency"), 32);
    g_snap[A] = counts(*b.dev[A]);
    g_snap[B_] = counts(*b.dev[B_]);
}

// Success without the page made resident: the device asks again; when the
// attempts run out the burst fails.
void test_retry_after_success(void** state)
{
    bench& b = BN(state);
    b.enable(D);
    b.enable(D2);
    assert_true(b.start_and_wait({D, D2}));
    const auto& d = b.c(D);
    assert_int_equal(d.pages_done, 8);
    assert_int_equal(d.prgs_sent, 8);
    assert_int_equal(d.prg_retries, 4);
    assert_int_equal(d.prgr_success, 8);
    assert_int_equal(d.ats_requests, 24);
    assert_int_equal(d.ats_not_present, 16);
    for (const auto& kv : b.rcs(D).prgs_per_page) assert_int_equal(kv.second, 2);
    check_credits(b, D);
    check_pattern(b, D);
    assert_int_equal(b.dev[D]->fault_latency().count(), 8);

    const auto& d2 = b.c(D2);
    assert_int_equal(d2.prgs_sent, 6); // 3 attempts for each of 2 bursts
    assert_int_equal(d2.prg_retries, 4);
    assert_int_equal(d2.bursts_failed, 2);
    assert_int_equal(d2.pages_failed, 4);
    assert_int_equal(d2.dma_writes, 0);
    assert_int_equal(d2.ats_requests, 16);
    check_credits(b, D2);
    assert_int_equal(b.bar_rw(D2, PXDEV_STATUS, false), PXDEV_STATUS_DONE | PXDEV_STATUS_ERROR);
    g_snap[D] = counts(*b.dev[D]);
    g_snap[D2] = counts(*b.dev[D2]);
}

// Invalid Request: credits back, the pages fail, nothing is asked again.
void test_no_retry_after_invalid(void** state)
{
    bench& b = BN(state);
    b.enable(C);
    assert_true(b.start_and_wait({C}));
    const auto& c = b.c(C);
    assert_int_equal(c.prgs_sent, 4);
    assert_int_equal(c.page_requests, 8);
    assert_int_equal(c.prgr_invalid, 4);
    assert_int_equal(c.prg_retries, 0);
    assert_int_equal(c.ats_requests, 8);
    assert_int_equal(c.pages_failed, 8);
    assert_int_equal(c.bursts_failed, 4);
    assert_int_equal(c.dma_writes, 0);
    for (const auto& kv : b.rcs(C).prgs_per_page) assert_int_equal(kv.second, 1);
    check_credits(b, C);
    assert_false(c.pri_response_failure);
    assert_int_equal(b.bar_rw(C, PXDEV_STATUS, false), PXDEV_STATUS_DONE | PXDEV_STATUS_ERROR);
    assert_true(b.dev[C]->violations().empty());
    g_snap[C] = counts(*b.dev[C]);
}

// Response Failure (and a reserved code): RF set, PRI stopped, no further
// Page Requests, later responses ignored until PRI is enabled again.
void test_response_failure(void** state)
{
    bench& b = BN(state);
    b.enable(E);
    b.enable(E2);
    assert_true(b.start_and_wait({E, E2}));
    const auto& e = b.c(E);
    // Both streams had a group out; the first response is RF, the second
    // arrives for a group already given up and is ignored.
    assert_int_equal(e.prgs_sent, 2);
    assert_int_equal(e.page_requests, 4);
    assert_int_equal(e.prgr_failure, 1);
    assert_int_equal(e.prgs_abandoned, 1);
    assert_true(tb::run_until([&] { return b.c(E).prgr_ignored_rf == 1; }, sc_time(10, SC_US)));
    assert_true(e.pri_response_failure);
    assert_int_equal(e.bursts_failed, 4);
    assert_int_equal(e.pages_failed, 8);
    assert_int_equal(e.credits_outstanding, 0);
    assert_int_equal(e.prgs_outstanding, 0);
    assert_int_equal(b.pri_status(E) & (STA_RF | STA_UPRGI), STA_RF);
    assert_int_equal(e.prgr_unexpected, 0);

    const auto& e2 = b.c(E2);
    assert_int_equal(e2.prgs_sent, 1);
    assert_int_equal(e2.prgr_failure, 1);
    assert_true(e2.pri_response_failure);
    assert_int_equal(e2.pages_failed, 4);
    assert_int_equal(b.pri_status(E2) & STA_RF, STA_RF);

    // A stray response while stopped: ignored, no UPRGI.
    assert_true(b.run.run([&] { b.rc.inject(tlp_kind::prg_response, b.cfg[E].p.rid, prgr_payload(0, PRG_SUCCESS)); }));
    assert_true(tb::run_until([&] { return b.c(E).prgr_ignored_rf == 2; }, sc_time(10, SC_US)));
    assert_int_equal(b.pri_status(E) & STA_UPRGI, 0);
    // RF is RW1C; PRI stays stopped until it is enabled again.
    b.dev[E]->cfg_write(PRI_STATUS, 2, STA_RF);
    assert_int_equal(b.pri_status(E) & STA_RF, 0);
    b.dev[E]->cfg_write(PRI_CTRL, 2, 0);
    assert_int_equal(b.pri_status(E) & STA_STOPPED, STA_STOPPED);
    b.dev[E]->cfg_write(PRI_CTRL, 2, 1);
    assert_true(b.run.run([&] { b.rc.inject(tlp_kind::prg_response, b.cfg[E].p.rid, prgr_payload(1, PRG_SUCCESS)); }));
    assert_true(tb::run_until([&] { return b.c(E).prgr_unexpected == 1; }, sc_time(10, SC_US)));
    assert_int_equal(b.c(E).prgr_ignored_rf, 2);
    assert_int_equal(b.pri_status(E) & STA_UPRGI, STA_UPRGI);
}

// A response for a PRG index with nothing outstanding sets UPRGI.
void test_uprgi(void** state)
{
    bench& b = BN(state);
    assert_true(b.dev[A]->done());
    assert_true(b.run.run([&] { b.rc.inject(tlp_kind::prg_response, b.cfg[A].p.rid, prgr_payload(300, PRG_SUCCESS)); }));
    assert_true(tb::run_until([&] { return b.c(A).prgr_unexpected == 1; }, sc_time(10, SC_US)));
    assert_int_equal(b.pri_status(A) & STA_UPRGI, STA_UPRGI);
    assert_int_equal(b.c(A).prgr_success, 8); // not counted as an answer
    // The host's doing, not the device's: reported for the scoreboard to judge.
    assert_true(b.dev[A]->violations().empty());
    assert_int_equal(b.c(A).prgr_unexpected_from_software, 1);
    assert_true(b.dev[A]->first_uprgi().find("PRG index 300") != std::string::npos);
    assert_true(b.dev[A]->first_uprgi().find("UPRGI") != std::string::npos);
    b.dev[A]->cfg_write(PRI_STATUS, 2, STA_UPRGI);
    assert_int_equal(b.pri_status(A) & STA_UPRGI, 0);
}

// Invalidate Requests: ATC entries of the range go, each request is
// answered with its ITag bit and CC = 1; the depth limit is checked.
void test_invalidation(void** state)
{
    bench& b = BN(state);
    pxdev& a = *b.dev[A];
    const uint64_t base = b.cfg[A].p.iova_base;
    const uint16_t rid = b.cfg[A].p.rid;
    for (uint64_t pg = 0; pg < 32; ++pg) assert_true(a.atc_contains(base + pg * 4096));
    assert_true(b.run.run([&] {
        b.rc.inject(tlp_kind::inval_request, rid, base + 3 * 4096, 5);
        // NAPOT range of 8 pages at page 8: address bits 13:12 set, S = 1.
        b.rc.inject(tlp_kind::inval_request, rid, (base + 8 * 4096) | 0x3000 | (1u << 11), 6);
    }));
    assert_true(tb::run_until([&] { return b.rcs(A).inval_cpls.size() == 2; }, sc_time(10, SC_US)));
    const auto& s = b.rcs(A);
    assert_int_equal(inval_cpl_itags(s.inval_cpls[0]), 1u << 5);
    assert_int_equal(inval_cpl_cc(s.inval_cpls[0]), 1);
    assert_int_equal(s.inval_cpl_itag[0], 5);
    assert_int_equal(inval_cpl_itags(s.inval_cpls[1]), 1u << 6);
    assert_int_equal(inval_cpl_cc(s.inval_cpls[1]), 1);
    assert_false(a.atc_contains(base + 3 * 4096));
    assert_true(a.atc_contains(base + 2 * 4096));
    assert_true(a.atc_contains(base + 4 * 4096));
    assert_true(a.atc_contains(base + 7 * 4096));
    for (uint64_t pg = 8; pg < 16; ++pg) assert_false(a.atc_contains(base + pg * 4096));
    assert_true(a.atc_contains(base + 16 * 4096));
    assert_int_equal(a.get_counters().invalidations, 2);
    assert_int_equal(a.get_counters().inval_completions, 2);
    assert_true(a.violations().empty());
    assert_false(a.first_uprgi().empty());

    // devB buffers 2: a third outstanding request is the host's violation,
    // still answered.
    const uint16_t rb = b.cfg[B_].p.rid;
    assert_true(b.run.run([&] {
        for (uint8_t t = 0; t < 3; ++t) b.rc.inject(tlp_kind::inval_request, rb, b.cfg[B_].p.iova_base, t);
    }));
    assert_true(tb::run_until([&] { return b.rcs(B_).inval_cpls.size() == 3; }, sc_time(10, SC_US)));
    assert_int_equal(b.dev[B_]->violations().size(), 1);
    assert_true(b.dev[B_]->violations()[0].find("Invalidate Queue Depth") != std::string::npos);
}

// The completion of an invalidation waits for a write already issued with
// the translation it removes (DESIGN §7 item 5).
void test_invalidation_waits_for_write(void** state)
{
    bench& b = BN(state);
    b.enable(H);
    const uint16_t rid = b.cfg[H].p.rid;
    sc_time t0;
    // Translation present at once: TR 2L, then the write leaves at t0 + 2L
    // and reaches the root complex at t0 + 3L, which holds it for 5 us.
    assert_true(b.run.run([&] {
        t0 = sc_core::sc_time_stamp();
        b.start(H);
        sc_core::wait(3 * L);
        b.rc.inject(tlp_kind::inval_request, rid, b.cfg[H].p.iova_base, 9);
    }));
    assert_true(tb::run_until([&] { return b.dev[H]->done() && b.rcs(H).inval_cpls.size() == 1; },
                              sc_time(50, SC_US)));
    const auto& s = b.rcs(H);
    const sc_time write_done = t0 + 3 * L + b.cfg[H].pol.write_delay;
    assert_true(s.last_write_done == write_done);
    // Request reaches the device at t0 + 4L; the write's completion at
    // write_done + L; only then the Invalidate Completion leaves (+ L).
    assert_true(s.inval_cpl_at[0] == write_done + 2 * L);
    assert_int_equal(inval_cpl_itags(s.inval_cpls[0]), 1u << 9);
    assert_int_equal(b.c(H).pages_done, 1);
    check_pattern(b, H);
}

// A Translation Completion that raced with an invalidation of its range is
// not cached: the device asks again.
void test_translation_raced_by_invalidation(void** state)
{
    bench& b = BN(state);
    b.enable(I);
    const uint16_t rid = b.cfg[I].p.rid;
    assert_true(b.run.run([&] {
        b.start(I);
        sc_core::wait(L); // the TR is now held by the root complex for 5 us
        b.rc.inject(tlp_kind::inval_request, rid, b.cfg[I].p.iova_base, 2);
    }));
    assert_true(tb::run_until([&] { return b.dev[I]->done(); }, sc_time(50, SC_US)));
    const auto& c = b.c(I);
    assert_int_equal(c.translations_discarded, 1);
    assert_int_equal(c.ats_requests, 2);
    assert_int_equal(c.pages_done, 1);
    assert_int_equal(b.rcs(I).inval_cpls.size(), 1);
    check_pattern(b, I);
}

// UR on a Translation Request: the page fails, no Page Request.
void test_ats_error(void** state)
{
    bench& b = BN(state);
    b.enable(G);
    assert_true(b.start_and_wait({G}));
    const auto& c = b.c(G);
    assert_int_equal(c.ats_errors, 2);
    assert_int_equal(c.pages_failed, 2);
    assert_int_equal(c.bursts_failed, 1);
    assert_int_equal(c.page_requests, 0);
    assert_int_equal(b.bar_rw(G, PXDEV_STATUS, false), PXDEV_STATUS_DONE | PXDEV_STATUS_ERROR);
}

// Clearing PRI Enable with a PRG outstanding: no new Page Requests, but the
// outstanding response still returns its credits; Stopped once idle.
void test_pri_disabled_while_outstanding(void** state)
{
    bench& b = BN(state);
    b.enable(J);
    uint16_t status_while_out = 0;
    uint64_t outstanding_then = 0;
    assert_true(b.run.run([&] {
        b.start(J);
        // Two translations (2L each), then the group leaves at 4L.
        sc_core::wait(5 * L);
        outstanding_then = b.c(J).prgs_outstanding;
        b.dev[J]->cfg_write(PRI_CTRL, 2, 0);
        status_while_out = b.pri_status(J);
    }));
    assert_int_equal(outstanding_then, 1);
    assert_int_equal(status_while_out & STA_STOPPED, 0); // not stopped while a PRG is out
    assert_true(tb::run_until([&] { return b.dev[J]->done(); }, sc_time(50, SC_US)));
    const auto& c = b.c(J);
    assert_int_equal(c.prgs_sent, 1);
    assert_int_equal(c.page_requests, 2);
    assert_int_equal(c.prgr_success, 1);
    assert_int_equal(c.bursts_done, 1);   // the answered burst completes
    assert_int_equal(c.bursts_failed, 1); // the next one may not ask
    assert_int_equal(c.pages_done, 2);
    check_credits(b, J);
    assert_int_equal(b.pri_status(J) & STA_STOPPED, STA_STOPPED);
}

// PRI Reset (pcie-pri.md §5): ignored while PRI is enabled; while disabled
// it clears UPRGI and gives the outstanding groups up at once (their credits
// back, their pages failed, Stopped); a late response for one of them is
// then unexpected.
void test_pri_reset_while_outstanding(void** state)
{
    bench& b = BN(state);
    pxdev& d = *b.dev[U];
    b.enable(U);
    assert_true(b.run.run([&] {
        b.start(U);
        // Each stream: two translations (2L each), then its group leaves at 4L.
        sc_core::wait(10 * L);
    }));
    assert_int_equal(b.c(U).prgs_outstanding, 2);
    assert_int_equal(b.c(U).credits_outstanding, 4);
    assert_true(b.run.run([&] { b.rc.inject(tlp_kind::prg_response, b.cfg[U].p.rid, prgr_payload(300, PRG_SUCCESS)); }));
    assert_true(tb::run_until([&] { return b.c(U).prgr_unexpected == 1; }, sc_time(10, SC_US)));
    assert_int_equal(b.pri_status(U) & STA_UPRGI, STA_UPRGI);

    d.cfg_write(PRI_CTRL, 2, 0x3); // Reset while enabled: ignored
    assert_int_equal(d.cfg_read(PRI_CTRL, 2), 1);
    assert_int_equal(b.c(U).prgs_outstanding, 2);
    assert_int_equal(b.pri_status(U) & STA_UPRGI, STA_UPRGI);

    d.cfg_write(PRI_CTRL, 2, 0);
    assert_int_equal(b.pri_status(U) & STA_STOPPED, 0); // groups still out
    d.cfg_write(PRI_CTRL, 2, 0x2); // Reset while disabled
    assert_int_equal(d.cfg_read(PRI_CTRL, 2), 0);  // Reset reads 0
    assert_int_equal(b.pri_status(U) & (STA_RF | STA_UPRGI | STA_STOPPED), STA_STOPPED);
    const auto& c = b.c(U);
    assert_int_equal(c.prgs_abandoned, 2);
    assert_int_equal(c.credits_outstanding, 0);
    assert_int_equal(c.prgs_outstanding, 0);
    assert_true(tb::run_until([&] { return d.done(); }, sc_time(50, SC_US)));
    assert_int_equal(c.bursts_failed, 2);
    assert_int_equal(c.pages_failed, 4);
    assert_int_equal(c.prgr_success, 0);

    // A response for a group given up by the Reset: Unexpected PRG Index.
    assert_true(b.run.run([&] { b.rc.inject(tlp_kind::prg_response, b.cfg[U].p.rid, prgr_payload(0, PRG_SUCCESS)); }));
    assert_true(tb::run_until([&] { return b.c(U).prgr_unexpected == 2; }, sc_time(10, SC_US)));
    assert_int_equal(b.pri_status(U) & STA_UPRGI, STA_UPRGI);
    assert_int_equal(b.c(U).prgr_success, 0);
    assert_true(d.violations().empty());
}

// PASID enabled: every request carries it, PRG Response PASID Required is
// set, the ATC is keyed by it; a response without it is a violation.
void test_pasid(void** state)
{
    bench& b = BN(state);
    for (unsigned i : {K, K2}) {
        b.dev[i]->cfg_write(PASID_CTRL, 2, 1);
        b.enable(i);
        assert_int_equal(b.pri_status(i) & STA_PRPR, STA_PRPR);
    }
    assert_true(b.start_and_wait({K, K2}));
    const auto& c = b.c(K);
    assert_int_equal(c.pages_done, 8);
    assert_int_equal(c.prgs_sent, 4);
    check_credits(b, K);
    check_pattern(b, K);
    const auto& s = b.rcs(K);
    assert_int_equal(s.with_pasid, s.trs + s.prs + s.writes);
    assert_true(b.dev[K]->violations().empty());
    const uint64_t iova = b.cfg[K].p.iova_base;
    assert_true(b.dev[K]->atc_contains(iova, true, 0x42));
    assert_false(b.dev[K]->atc_contains(iova, true, 0x43));
    assert_false(b.dev[K]->atc_contains(iova));

    assert_int_equal(b.c(K2).pages_done, 2); // still handled
    assert_int_equal(b.dev[K2]->violations().size(), 1);
    assert_true(b.dev[K2]->violations()[0].find("PRG Response PASID Required") != std::string::npos);
    g_snap[K] = counts(*b.dev[K]);
    g_snap[K2] = counts(*b.dev[K2]);
}

// device_params::stop_markers: once its workload is done, the device sends
// one Stop Marker for the PASID it used, after every page request for it,
// with L = 1, R = W = 0 and the PASID; it takes no credit and no PRG index,
// gets no response, and the device does not wait for one. After Response
// Failure PRI may not be used: the Stop Marker is held (counted, not sent).
void test_stop_markers(void** state)
{
    bench& b = BN(state);
    for (unsigned i : {SM, SM2}) {
        b.dev[i]->cfg_write(PASID_CTRL, 2, 1);
        b.enable(i);
    }
    assert_true(b.start_and_wait({SM, SM2}));
    const auto& c = b.c(SM);
    assert_int_equal(c.pages_done, 8);
    assert_int_equal(c.prgs_sent, 4);
    assert_int_equal(c.stop_markers_sent, 1);
    assert_int_equal(c.stop_markers_held, 0);
    assert_int_equal(c.page_requests, 8 + 1); // the Stop Marker is a Page Request message
    assert_int_equal(c.credits_outstanding, 0);
    assert_int_equal(c.prgs_outstanding, 0);
    check_credits(b, SM);
    // Posted at the end of the workload: it arrives a link latency later.
    assert_true(tb::run_until([&] { return b.rcs(SM).stop_markers.size() == 1; }, sc_time(10, SC_US)));
    const auto& s = b.rcs(SM);
    assert_true(s.errors.empty());
    assert_int_equal(s.stop_markers.size(), 1);
    assert_int_equal(s.stop_markers[0], 0x51);
    assert_true(s.stop_marker_at[0] >= s.last_pr_at);
    assert_int_equal(s.prgs, 4);      // the Stop Marker opened no group
    assert_int_equal(s.responses, 4); // and none was answered for it
    assert_int_equal(c.prgr_unexpected, 0);
    assert_true(b.dev[SM]->violations().empty());

    const auto& c2 = b.c(SM2);
    assert_true(c2.pri_response_failure);
    assert_int_equal(c2.stop_markers_sent, 0);
    assert_int_equal(c2.stop_markers_held, 1);
    assert_true(b.rcs(SM2).stop_markers.empty());
    g_snap[SM] = counts(*b.dev[SM]);
    g_snap[SM2] = counts(*b.dev[SM2]);
}

// Several streams on the one process of a device get credits in the order
// they asked: b0 takes 3 of the 4 credits; b1 and b2 (3 pages each) wait;
// b3 (1 page) asks while 1 credit is free but b2 still waits, so it waits
// behind it. The groups leave in burst order, b2 and b3 together once b1's
// response has freed the credits.
void test_credit_fifo_across_streams(void** state)
{
    bench& b = BN(state);
    b.enable(Q);
    assert_true(b.start_and_wait({Q}));
    const auto& c = b.c(Q);
    assert_int_equal(c.pages_done, 10);
    assert_int_equal(c.bursts_done, 4);
    assert_int_equal(c.prgs_sent, 4);
    assert_int_equal(c.credit_stalls, 3);
    assert_int_equal(c.credits_max, 4);
    const auto& s = b.rcs(Q);
    const uint64_t base = b.cfg[Q].p.iova_base;
    assert_int_equal(s.group_pages.size(), 4);
    for (unsigned g = 0; g < 4; ++g) assert_int_equal(s.group_pages[g], base + 3 * g * 4096);
    assert_int_equal(s.response_at.size(), 4);
    // b2 and b3 leave when b1's response reaches the device (+ L), and
    // arrive L later.
    assert_true(s.group_at[2] == s.response_at[1] + 2 * L);
    assert_true(s.group_at[3] == s.response_at[1] + 2 * L);
    assert_true(b.dev[Q]->violations().empty());
    check_credits(b, Q);
    check_pattern(b, Q);
    g_snap[Q] = counts(*b.dev[Q]);
}

// A PRG Response handed over with an annotated delay is acted on at its
// arrival time, not before, and the sender may reuse its payload at once.
void test_delayed_prg_response(void** state)
{
    bench& b = BN(state);
    b.enable(R);
    const uint16_t rid = b.cfg[R].p.rid;
    assert_true(b.run.run([&] { b.start(R); }));
    assert_true(tb::run_until([&] { return b.rcs(R).prgs == 1; }, sc_time(10, SC_US)));
    assert_int_equal(b.c(R).prgs_outstanding, 1);
    const unsigned prgi = *b.rcs(R).awaiting.begin();
    b.rc.map_page(rid, b.cfg[R].p.iova_base); // the host made the page resident
    const sc_time d(5, SC_US);
    uint64_t out_before = 0, ok_before = 0, out_after = 0, ok_after = 0;
    uint32_t credits_before = 0;
    bool accepted = false;
    sc_time sent;
    assert_true(b.run.run([&] {
        tlm::tlm_generic_payload gp;
        auto* e = new tlp_ext; // owned by gp
        gp.set_extension(e);
        e->kind = tlp_kind::prg_response;
        e->rid = rid;
        unsigned char buf[8];
        store_le64(buf, prgr_payload(prgi, PRG_SUCCESS));
        gp.set_command(tlm::TLM_WRITE_COMMAND);
        gp.set_data_ptr(buf);
        gp.set_data_length(8);
        gp.set_streaming_width(8);
        sc_time delay = d;
        sent = sc_core::sc_time_stamp();
        b.dev[R]->down.get_base_export()->b_transport(gp, delay);
        accepted = gp.get_response_status() == tlm::TLM_OK_RESPONSE;
        store_le64(buf, prgr_payload((prgi + 1) & 0x1FF, PRG_RESPONSE_FAILURE)); // reused by the sender
        sc_core::wait(d - sc_time(1, SC_NS));
        out_before = b.c(R).prgs_outstanding;
        credits_before = b.c(R).credits_outstanding;
        ok_before = b.c(R).prgr_success;
        sc_core::wait(sc_time(2, SC_NS));
        out_after = b.c(R).prgs_outstanding;
        ok_after = b.c(R).prgr_success;
    }));
    assert_true(accepted);
    assert_int_equal(out_before, 1);
    assert_int_equal(credits_before, 1);
    assert_int_equal(ok_before, 0);
    assert_int_equal(out_after, 0);
    assert_int_equal(ok_after, 1);
    assert_true(tb::run_until([&] { return b.dev[R]->done(); }, sc_time(10, SC_US)));
    const auto& c = b.c(R);
    assert_int_equal(c.pages_done, 1);
    assert_int_equal(c.prgr_failure + c.prgr_unexpected, 0);
    assert_false(c.pri_response_failure);
    // Latency: from the miss at START (its Translation Request reached the
    // root complex L later) to the retried translation, 2L after the arrival.
    assert_int_equal(b.dev[R]->fault_latency().count(), 1);
    assert_int_equal(b.dev[R]->fault_latency().min(), (sent + d + 2 * L - (b.rcs(R).first_tr - L)).value());
    check_pattern(b, R);
}

// The ATC on its own: ranges of mixed sizes found by hash, LRU order and
// replacement, invalidation by range, PASID and globally.
void test_atc(void**)
{
    using device::atc;
    auto mk = [](bool pv, uint32_t pasid, uint64_t iova, uint64_t size, uint64_t pa, bool u = false) {
        atc::entry e;
        e.pv = pv;
        e.pasid = pasid;
        e.iova = iova;
        e.size = size;
        e.pa = pa;
        e.untranslated_only = u;
        return e;
    };
    atc a(4);
    bool ev = true;
    a.insert(mk(false, 0, 0x10000, 0x1000, 0x80000000), &ev);
    assert_false(ev);
    a.insert(mk(false, 0, 0x200000, 0x200000, 0x40000000));    // 2 MiB NAPOT
    a.insert(mk(false, 0, 0x30000, 0x10000, 0x90000000, true)); // 64 KiB, U = 1
    a.insert(mk(true, 7, 0, 0, 0));                             // PASID 7: the whole address space
    assert_int_equal(a.size(), 4);
    const atc::entry* e = a.lookup(false, 0, 0x10123);
    assert_non_null(e);
    assert_int_equal(e->pa, 0x80000000);
    e = a.lookup(false, 0, 0x200000 + 0x12345);
    assert_non_null(e);
    assert_int_equal(e->iova, 0x200000);
    assert_int_equal(e->size, 0x200000);
    e = a.lookup(false, 0, 0x3F000);
    assert_non_null(e);
    assert_true(e->untranslated_only);
    assert_null(a.lookup(false, 0, 0x40000));  // just past the 64 KiB range
    assert_null(a.lookup(false, 0, 0x11000));  // just past the 4 KiB page
    assert_null(a.lookup(false, 0, 0x400000)); // just past the 2 MiB range
    assert_non_null(a.lookup(true, 7, 0xdead000));
    assert_null(a.lookup(true, 8, 0x10000));   // another PASID
    assert_true(a.find(true, 7, 0x10000) != a.find(false, 0, 0x10000)); // the whole-space entry, not the page
    assert_non_null(a.find(false, 5, 0x10000)); // without a PASID the value is ignored

    // LRU: most recent first. Last looked up: PASID 7, 64K, 2M, 4K.
    assert_int_equal(a.nth_recent(0)->pasid, 7);
    assert_int_equal(a.nth_recent(1)->size, 0x10000);
    assert_int_equal(a.nth_recent(2)->size, 0x200000);
    assert_int_equal(a.nth_recent(3)->size, 0x1000);
    assert_null(a.nth_recent(4));
    // find() does not touch the order; lookup() does.
    a.find(false, 0, 0x10000);
    assert_int_equal(a.nth_recent(3)->size, 0x1000);
    a.lookup(false, 0, 0x10000);
    assert_int_equal(a.nth_recent(0)->size, 0x1000);
    // Full: a new range replaces the least recently used (now the 2 MiB one).
    a.insert(mk(false, 0, 0x50000, 0x1000, 0x81000000), &ev);
    assert_true(ev);
    assert_null(a.find(false, 0, 0x200000));
    assert_non_null(a.find(false, 0, 0x3F000));
    assert_non_null(a.find(false, 0, 0x10000));
    assert_int_equal(a.nth_recent(0)->iova, 0x50000);
    // The same key is replaced in place: no eviction, new translation.
    a.insert(mk(false, 0, 0x50000, 0x1000, 0x82000000), &ev);
    assert_false(ev);
    assert_int_equal(a.size(), 4);
    assert_int_equal(a.find(false, 0, 0x50000)->pa, 0x82000000);

    // Invalidation by range: overlap removes, whatever the entry's size.
    assert_int_equal(a.invalidate(false, false, 0, 0x3C000, 0x1000), 1); // inside the 64K range
    assert_null(a.find(false, 0, 0x30000));
    assert_int_equal(a.invalidate(false, false, 0, 0x20000, 0x1000), 0); // between ranges
    assert_int_equal(a.invalidate(false, false, 0, 0x0, 0x20000), 1);    // 128K NAPOT covering the 4K page
    assert_null(a.find(false, 0, 0x10000));
    // By PASID: other PASIDs and requests without PASID keep theirs.
    assert_int_equal(a.invalidate(false, true, 8, 0, 0), 0);
    assert_int_equal(a.invalidate(false, true, 7, 0x123000, 0x1000), 1); // overlaps the whole-space entry
    assert_null(a.find(true, 7, 0));
    assert_non_null(a.find(false, 0, 0x50000));
    // Global.
    a.insert(mk(true, 9, 0x50000, 0x1000, 0x83000000));
    assert_int_equal(a.invalidate(true, false, 0, 0, 0), 2);
    assert_int_equal(a.size(), 0);
    assert_null(a.nth_recent(0));

    // Many sizes through a small cache: the last `capacity` inserted stay,
    // in LRU order, and every other was evicted once.
    atc b(8);
    unsigned evictions = 0;
    for (unsigned i = 0; i < 40; ++i) {
        const uint64_t size = 0x1000ull << (i % 10);
        b.insert(mk(i % 3 == 0, i % 3, uint64_t(i) << 32, size, uint64_t(i) << 40), &ev);
        evictions += ev;
    }
    assert_int_equal(evictions, 32);
    for (unsigned i = 0; i < 40; ++i) {
        const uint64_t size = 0x1000ull << (i % 10);
        const atc::entry* f = b.find(i % 3 == 0, i % 3, (uint64_t(i) << 32) + size - 1);
        if (i < 32) {
            assert_null(f);
        } else {
            assert_non_null(f);
            assert_int_equal(f->pa, uint64_t(i) << 40);
            assert_int_equal(b.nth_recent(39 - i)->pa, uint64_t(i) << 40);
        }
    }
    b.clear();
    assert_int_equal(b.size(), 0);
}

// The pattern a word at a time: pattern_fill (the writer's and the
// scoreboard's bytes) agrees with pattern_word and pattern_byte for every
// length, and a device writing 100 bytes a page (a partial last word) puts
// exactly those bytes in memory.
void test_pattern(void** state)
{
    std::vector<uint8_t> full(4096), part(4096);
    pxdev::pattern_fill(0x0123, 77, full.data(), 4096);
    for (unsigned w = 0; w < 512; ++w) {
        uint64_t v = 0;
        for (unsigned k = 8; k-- > 0;) v = (v << 8) | full[8 * w + k];
        assert_int_equal(v, pxdev::pattern_word(0x0123, 77, w));
    }
    for (unsigned len = 0; len <= 40; ++len) {
        std::fill(part.begin(), part.end(), 0xA5);
        pxdev::pattern_fill(0x0123, 77, part.data(), len);
        for (unsigned o = 0; o < len; ++o) {
            assert_int_equal(part[o], full[o]);
            assert_int_equal(part[o], pxdev::pattern_byte(0x0123, 77, o));
        }
        assert_int_equal(part[len], 0xA5); // nothing beyond len
    }
    bench& b = BN(state);
    b.enable(S);
    assert_true(b.start_and_wait({S}));
    assert_int_equal(b.c(S).pages_done, 6);
    check_pattern(b, S);
    g_snap[S] = counts(*b.dev[S]);
}

// Trace replay: each access at its time, a page request per page not
// present (R only for a read), the written bytes of the pattern of the
// IOVA's page at their offsets, reads without DMA, repeats as ATC hits.
void test_trace_replay(void** state)
{
    bench& b = BN(state);
    b.enable(T);
    sc_time t0;
    assert_true(b.start_and_wait({T}, &t0));
    const auto& c = b.c(T);
    assert_int_equal(c.pages_done, 5);
    assert_int_equal(c.pages_failed, 0);
    assert_int_equal(c.faults, 3);
    assert_int_equal(b.rcs(T).prs, 3);
    assert_int_equal(b.rcs(T).read_prs, 1);
    assert_int_equal(b.rcs(T).writes, 3);
    assert_int_equal(b.rcs(T).bytes, 16 + 8 + 16);
    assert_true(c.atc_hits >= 2);
    assert_true(b.rcs(T).errors.empty());
    // The last access arrived at 60 us: the run cannot end before.
    assert_true(sc_core::sc_time_stamp() >= t0 + sc_time(60, SC_US));
    const uint16_t rid = b.cfg[T].p.rid;
    for (const auto& a : *b.cfg[T].p.replay) {
        const uint64_t page = a.iova & ~uint64_t(4095);
        auto it = b.rc.mapping.find({rid, page});
        assert_true(it != b.rc.mapping.end());
        std::vector<uint8_t> want(a.size);
        pxdev::pattern_fill_at(rid, page / 4096, unsigned(a.iova - page), want.data(), a.size);
        for (unsigned k = 0; k < a.size; ++k) {
            auto m = b.rc.mem.find(it->second + (a.iova - page) + k);
            if (!a.write) {
                assert_true(m == b.rc.mem.end()); // a read writes nothing
                continue;
            }
            assert_true(m != b.rc.mem.end());
            assert_int_equal(m->second, want[k]);
            assert_int_equal(m->second, pxdev::pattern_byte(rid, page / 4096, unsigned(a.iova - page) + k));
        }
        if (a.write)
            assert_int_equal(pxdev::pattern_mismatch_at(rid, page / 4096, unsigned(a.iova - page), want.data(), a.size), -1);
    }
    check_credits(b, T);
    check_streams(b, T);
    assert_int_equal(c.dma_bytes, 16 + 8 + 16);
}

// device.pattern: each page once in every pattern (a bijection on
// [0, pages)); sequential in order; strided every S-th page from 0, then
// from 1, ...; random a permutation that depends on the seed and the RID,
// the same for the same pair.
void test_page_order(void**)
{
    device_params p;
    p.rid = 0x10;
    using ap = device_params::access_pattern;
    for (ap pat : {ap::sequential, ap::strided, ap::random}) {
        for (uint64_t n : {1ull, 2ull, 7ull, 16ull, 100ull, 1000ull, 4097ull, 65537ull}) {
            p.pattern = pat;
            p.pages = n;
            p.stride_pages = 16;
            std::vector<bool> seen(n, false);
            for (uint64_t k = 0; k < n; ++k) {
                const uint64_t pg = pxdev::page_of(p, k);
                assert_true(pg < n);
                assert_false(seen[pg]);
                seen[pg] = true;
                assert_int_equal(pxdev::access_of(p, pg), k); // the inverse
            }
        }
    }
    p.pages = 10;
    p.pattern = ap::sequential;
    for (uint64_t k = 0; k < 10; ++k) assert_int_equal(pxdev::page_of(p, k), k);
    p.pattern = ap::strided;
    p.stride_pages = 4; // residues 0, 1 have 3 pages, 2 and 3 have 2
    const uint64_t want[] = {0, 4, 8, 1, 5, 9, 2, 6, 3, 7};
    for (uint64_t k = 0; k < 10; ++k) assert_int_equal(pxdev::page_of(p, k), want[k]);
    p.pattern = ap::random;
    p.pages = 1000;
    std::vector<uint64_t> a, b, c;
    for (uint64_t k = 0; k < 1000; ++k) a.push_back(pxdev::page_of(p, k));
    for (uint64_t k = 0; k < 1000; ++k) b.push_back(pxdev::page_of(p, k));
    p.seed = 2;
    for (uint64_t k = 0; k < 1000; ++k) c.push_back(pxdev::page_of(p, k));
    assert_true(a == b);
    assert_true(a != c);
    unsigned in_place = 0;
    for (uint64_t k = 0; k < 1000; ++k) in_place += a[k] == k;
    assert_true(in_place < 20); // not the identity, nor close to it
}

// Poisson arrivals (open loop): over 4,000 bursts the inter-arrival gaps
// drawn have the mean asked for and a coefficient of variation of 1 (an
// exponential distribution's), each within 5 standard errors; the run lasts
// about as long as 4,000 mean gaps, and every burst was written.
void test_poisson_arrivals(void** state)
{
    bench& b = BN(state);
    b.enable(P);
    sc_time t0;
    assert_true(b.start_and_wait({P}, &t0));
    tb::map_sink s;
    b.dev[P]->report(s, "d");
    const double n = double(s.counters.at("d.arrivals"));
    assert_true(n >= 3999);
    const double mean = s.values.at("d.arrival_gap_mean_ns"), cv = s.values.at("d.arrival_gap_cv");
    print_message("[ INFO     ] %.0f arrivals: mean gap %.1f ns (2000 asked), CV %.3f\n", n, mean, cv);
    // standard errors: mean gap/sqrt(n); the CV's about sqrt(2/n) for an exponential
    assert_true(std::fabs(mean - 2000.0) < 5 * 2000.0 / std::sqrt(n));
    assert_true(std::fabs(cv - 1.0) < 5 * std::sqrt(2.0 / n));
    const double run_us = double((sc_core::sc_time_stamp() - t0).value()) / 1e6;
    assert_true(run_us > 0.9 * n * 2.0 && run_us < 1.2 * n * 2.0);
    assert_int_equal(b.c(P).pages_done, 4000);
    check_credits(b, P);
}

// device_params::fault_probability: a burst touches new pages with that
// probability, else a finished burst's pages again. Each page faults
// exactly once (nothing is unmapped here), the re-touches translate
// through the ATC or ATS without a page request, and their number is a
// negative binomial draw: 200 first touches at p = 1/4 come with 600
// re-touches on average (standard deviation sqrt(200 x 3/4) / (1/4) = 49).
void test_retouch(void** state)
{
    bench& b = BN(state);
    b.enable(RT);
    assert_true(b.start_and_wait({RT}));
    const auto& c = b.c(RT);
    print_message("[ INFO     ] %llu re-touch bursts for 200 first touches (600 expected)\n",
                  (unsigned long long)c.bursts_retouched);
    assert_true(c.bursts_retouched > 600 - 5 * 49 && c.bursts_retouched < 600 + 5 * 49);
    assert_int_equal(c.faults, 400);
    assert_int_equal(c.prgs_sent, 200);
    assert_int_equal(c.bursts_done, 200 + c.bursts_retouched);
    assert_int_equal(c.pages_done, 2 * c.bursts_done);
    assert_int_equal(c.pages_failed, 0);
    // Every re-touch found its translation without a fault: in the ATC, or
    // through an ATS request answered present.
    assert_int_equal(c.ats_not_present, 400);
    assert_true(c.atc_hits > 0);
    check_credits(b, RT);
    check_pattern(b, RT, c.pages_done);
    check_streams(b, RT);
    tb::map_sink s;
    b.dev[RT]->report(s, "d");
    assert_int_equal(s.counters.at("d.bursts_retouched"), c.bursts_retouched);
    // Not reported where nothing is re-touched (other runs keep their results).
    tb::map_sink s2;
    b.dev[A]->report(s2, "d");
    assert_true(s2.counters.find("d.bursts_retouched") == s2.counters.end());
}

// Several workloads on one device (device_params::more_workloads): each runs
// its own streams, order and PASIDs on the device's one PRI engine and ATC,
// counted apart. The first workload, the only one that uses PASIDs 1 and 2,
// ends first: their Stop Markers leave then, while the other still sends
// page requests (a PASID stopped in the middle of the device's work).
void test_workloads(void** state)
{
    bench& b = BN(state);
    b.dev[MW]->cfg_write(PASID_CTRL, 2, 1);
    b.enable(MW);
    assert_true(b.start_and_wait({MW}));
    const pxdev& d = *b.dev[MW];
    assert_int_equal(d.workloads(), 2);
    const auto wa = d.counts_of(0), wb = d.counts_of(1);
    assert_int_equal(wa.faults, 4);
    assert_int_equal(wa.pages_done, 4);
    assert_int_equal(wb.faults, 40);
    assert_int_equal(wb.pages_done, 40);
    const auto& c = b.c(MW);
    assert_int_equal(c.pages_done, 44);
    assert_int_equal(c.prgs_sent, 2 + 40);
    check_credits(b, MW);
    // Each page's pattern at its own translation, keyed by its workload.
    std::vector<uint8_t> want(256);
    for (size_t w = 0; w < 2; ++w) {
        const workload_params& wp = d.workload(w);
        for (uint64_t pg = 0; pg < wp.pages; ++pg) {
            assert_true(d.page_written(pg, w));
            auto it = b.rc.mapping.find({0x00C0, wp.iova_base + pg * 4096});
            assert_true(it != b.rc.mapping.end());
            pxdev::pattern_fill(0x00C0, pxdev::pattern_page(w, pg), want.data(), 256);
            for (unsigned off = 0; off < 256; ++off) assert_int_equal(b.rc.mem.at(it->second + off), want[off]);
        }
    }
    // Only the first workload's requests carried PASIDs: 4 translation
    // requests before the faults and 4 after, 4 page requests, 4 writes.
    const auto& s = b.rcs(MW);
    assert_int_equal(s.with_pasid, 4 + 4 + 4 + 4 + 2);
    assert_true(s.errors.empty());
    // The Stop Markers for PASIDs 1 and 2, in the middle of the device's work.
    assert_true(tb::run_until([&] { return s.stop_markers.size() == 2; }, sc_time(10, SC_US)));
    assert_int_equal(s.stop_markers[0], 1);
    assert_int_equal(s.stop_markers[1], 2);
    assert_true(s.stop_marker_at[1] < s.last_pr_at);
    assert_int_equal(c.stop_markers_sent, 2);
    tb::map_sink m;
    d.report(m, "d");
    assert_int_equal(m.counters.at("d.workload.a.faults"), 4);
    assert_int_equal(m.counters.at("d.workload.b.pages_done"), 40);
    assert_int_equal(m.counters.at("d.stream.0.pages_done"), 4); // the first workload's stream comes first
    assert_int_equal(m.counters.at("d.stream.1.pages_done") + m.counters.at("d.stream.2.pages_done"), 40);
    check_streams(b, MW);
    assert_true(d.violations().empty());
}

// The same scenarios with a 1 us quantum: the device runs ahead of
// simulated time and takes completions at their annotated time, with the
// same counts as fully synchronised.
void test_quantum_same_counts(void**)
{
    bench& q = *g_q1;
    q.enable(A);
    q.enable(B_);
    assert_true(q.start_and_wait({A, B_}));
    q.enable(D);
    q.enable(D2);
    assert_true(q.start_and_wait({D, D2}));
    q.enable(C);
    assert_true(q.start_and_wait({C}));
    for (unsigned i : {K, K2}) {
        q.dev[i]->cfg_write(PASID_CTRL, 2, 1);
        q.enable(i);
    }
    assert_true(q.start_and_wait({K, K2}));
    q.enable(Q);
    assert_true(q.start_and_wait({Q}));
    q.enable(S);
    assert_true(q.start_and_wait({S}));
    for (unsigned i : {SM, SM2}) {
        q.dev[i]->cfg_write(PASID_CTRL, 2, 1);
        q.enable(i);
    }
    assert_true(q.start_and_wait({SM, SM2}));
    for (unsigned i : {A, B_, C, D, D2, K, K2, Q, S, SM, SM2}) {
        assert_true(g_snap.count(i) == 1);
        auto got = counts(*q.dev[i]);
        auto want = g_snap[i];
        if (i == B_) {
            // devB's 3 streams share a 16-entry ATC with 24 pages in play:
            // whether a translation is still cached when its page is written
            // depends on how the streams interleave, which a quantum moves
            // (responses are taken up to a quantum late). What it asks of
            // the host and what it writes do not change.
            for (const char* k : {"d.atc_hits", "d.atc_misses", "d.atc_evictions", "d.ats_requests"})
                got.erase(k), want.erase(k);
        }
        for (const auto& kv : want) {
            if (got.at(kv.first) != kv.second)
                print_message("%s %s: %llu at quantum 0, %llu at 1 us\n", q.cfg[i].name, kv.first.c_str(),
                              (unsigned long long)kv.second, (unsigned long long)got.at(kv.first));
        }
        assert_true(got == want);
    }
    for (unsigned i : {A, B_, C, D, D2, K, Q})
        check_credits(q, i);
    for (unsigned i : {A, B_, D, K, Q, S}) check_pattern(q, i);
    for (unsigned i : {A, B_, Q, S}) check_streams(q, i); // A, B and Q stall for credits
}

} // namespace

int sc_main(int, char*[])
{
    auto b = std::make_unique<bench>();
    auto q1 = std::make_unique<bench>("q1_", sc_time(1, SC_US));
    g_q1 = q1.get();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_config_space, b.get()),
        cmocka_unit_test_prestate(test_start_without_pri_enabled, b.get()),
        cmocka_unit_test_prestate(test_no_ats_no_pri, b.get()),
        cmocka_unit_test_prestate(test_ats_without_pri, b.get()),
        cmocka_unit_test_prestate(test_two_devices, b.get()),
        cmocka_unit_test_prestate(test_retry_after_success, b.get()),
        cmocka_unit_test_prestate(test_no_retry_after_invalid, b.get()),
        cmocka_unit_test_prestate(test_response_failure, b.get()),
        cmocka_unit_test_prestate(test_uprgi, b.get()),
        cmocka_unit_test_prestate(test_invalidation, b.get()),
        cmocka_unit_test_prestate(test_invalidation_waits_for_write, b.get()),
        cmocka_unit_test_prestate(test_translation_raced_by_invalidation, b.get()),
        cmocka_unit_test_prestate(test_ats_error, b.get()),
        cmocka_unit_test_prestate(test_pri_disabled_while_outstanding, b.get()),
        cmocka_unit_test_prestate(test_pri_reset_while_outstanding, b.get()),
        cmocka_unit_test_prestate(test_pasid, b.get()),
        cmocka_unit_test_prestate(test_stop_markers, b.get()),
        cmocka_unit_test_prestate(test_credit_fifo_across_streams, b.get()),
        cmocka_unit_test_prestate(test_delayed_prg_response, b.get()),
        cmocka_unit_test(test_atc),
        cmocka_unit_test_prestate(test_pattern, b.get()),
        cmocka_unit_test_prestate(test_trace_replay, b.get()),
        cmocka_unit_test_prestate(test_poisson_arrivals, b.get()),
        cmocka_unit_test_prestate(test_retouch, b.get()),
        cmocka_unit_test_prestate(test_workloads, b.get()),
        cmocka_unit_test(test_page_order),
        cmocka_unit_test(test_quantum_same_counts),
    };
    return cmocka_run_group_tests_name("model.device", tests, nullptr, nullptr);
}
