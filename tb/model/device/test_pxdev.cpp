// SPDX-License-Identifier: Apache-2.0
//
// Description: pxdev endpoints behind a pcie_link, against a fake root
// complex that answers ATS Translation Requests with R = W = 0 until it has
// "mapped" a page, queues Page Requests and answers each PRG with a chosen
// code after a delay, keeps memory writes in a byte map, and can inject PRG
// Responses and Invalidate Requests. Every device has its own scenario
// (table below); the tests run them one after the other on one simulation.

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

#include "device/pxdev.h"
#include "pcie/pcie_link.h"
#include "pcie/tlp.h"
#include "prisim/hw/pxdev.h"
#include "sc_harness.h"

// cmocka last: its fail() macro must not meet the C++ library headers.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <setjmp.h>
extern "C" { // cmocka 1.1 has no C++ guards of its own
#include <cmocka.h>
}

using namespace prisim;
using namespace prisim::pcie;
using prisim::device::device_params;
using prisim::device::pxdev;
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
};

struct rc_dev_state {
    uint64_t trs = 0, prs = 0, prgs = 0, responses = 0, writes = 0, bytes = 0;
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

    SC_HAS_PROCESS(fake_rc);
    explicit fake_rc(sc_core::sc_module_name n) : sc_module(n), up("up"), down("down")
    {
        up.register_b_transport(this, &fake_rc::b_transport);
        SC_THREAD(sender);
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

    void b_transport(tlm::tlm_generic_payload& gp, sc_time&)
    {
        tlp_ext* e = nullptr;
        gp.get_extension(e);
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
        const uint16_t rid = e->rid;
        rc_dev_state& s = st[rid];
        const rc_policy& pol = policy[rid];
        if (e->kind != tlp_kind::inval_completion) {
            s.with_pasid += e->pv;
            if (e->pv != pol.pasid || (e->pv && e->pasid != pol.pasid_value))
                s.errors.push_back("request kind " + std::to_string(unsigned(e->kind)) +
                                   (e->pv ? " with an unexpected PASID" : " without the PASID"));
        } else if (e->pv) {
            s.errors.push_back("Invalidate Completion with a PASID");
        }
        switch (e->kind) {
        case tlp_kind::ats_translation_req: {
            if (!s.seen_tr) {
                s.seen_tr = true;
                s.first_tr = sc_core::sc_time_stamp();
            }
            ++s.trs;
            if (e->at != at_t::translation_req) s.errors.push_back("TR without AT = translation request");
            if (pol.ats_delay > sc_core::SC_ZERO_TIME) wait(pol.ats_delay);
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
        case tlp_kind::page_request: {
            const uint64_t p = load_le64(gp.get_data_ptr());
            ++s.prs;
            s.max_outstanding = std::max(s.max_outstanding, ++s.outstanding);
            if (!pr_r(p) || !pr_w(p)) s.errors.push_back("page request without R and W");
            const unsigned prgi = pr_prgi(p);
            if (s.awaiting.count(prgi))
                s.errors.push_back("PRG index " + std::to_string(prgi) + " reused before its response");
            auto& grp = s.open[prgi];
            grp.push_back(pr_addr(p));
            if (pr_l(p)) {
                ++s.prgs;
                s.group_sizes.push_back(grp.size());
                for (uint64_t a : grp) ++s.prgs_per_page[a];
                s.awaiting.insert(prgi);
                outq.emplace(sc_core::sc_time_stamp() + pol.resp_delay,
                             out_msg{tlp_kind::prg_response, rid, prgr_payload(prgi, pol.code), 0, true, grp,
                                     e->pv && pol.echo_pasid, e->pasid});
                out_ev.notify(sc_core::SC_ZERO_TIME);
                s.open.erase(prgi);
            }
            break;
        }
        case tlp_kind::mem_write: {
            ++s.writes;
            if (e->at != at_t::translated) s.errors.push_back("memory write that is not Translated");
            if (pol.write_delay > sc_core::SC_ZERO_TIME) wait(pol.write_delay);
            for (unsigned i = 0; i < gp.get_data_length(); ++i) mem[gp.get_address() + i] = gp.get_data_ptr()[i];
            s.bytes += gp.get_data_length();
            s.last_write_done = sc_core::sc_time_stamp();
            e->status = cpl_status::sc;
            break;
        }
        case tlp_kind::inval_completion:
            s.inval_cpls.push_back(load_le64(gp.get_data_ptr()));
            s.inval_cpl_at.push_back(sc_core::sc_time_stamp());
            s.inval_cpl_itag.push_back(e->itag);
            break;
        default:
            s.errors.push_back("unexpected upstream TLP kind " + std::to_string(unsigned(e->kind)));
            break;
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
            if (m.kind == tlp_kind::prg_response) ++st[m.rid].responses;
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

enum dev_id { A, B_, C, D, D2, E, E2, F, G, H, I, J, K, K2, NDEV };

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

struct bench {
    std::vector<dev_cfg> cfg = scenarios();
    pcie_link link{"link", link_params{}};
    fake_rc rc{"rc"};
    host cpu{"cpu", NDEV};
    tb::runner run{"run"};
    std::vector<std::unique_ptr<pxdev>> dev;

    bench()
    {
        link.rc_out.bind(rc.up);
        rc.down.bind(link.rc_in);
        for (unsigned i = 0; i < NDEV; ++i) {
            dev.push_back(std::make_unique<pxdev>(cfg[i].name, cfg[i].p));
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

// Pattern bytes landed at the translated address of every page, and nowhere else.
void check_pattern(bench& b, unsigned i)
{
    const device_params& p = b.dev[i]->params();
    for (uint64_t pg = 0; pg < p.pages; ++pg) {
        auto it = b.rc.mapping.find({p.rid, p.iova_base + pg * 4096});
        assert_true(it != b.rc.mapping.end());
        for (unsigned off = 0; off < p.bytes_per_page; ++off) {
            auto m = b.rc.mem.find(it->second + off);
            assert_true(m != b.rc.mem.end());
            assert_int_equal(m->second, pxdev::pattern_byte(p.rid, pg, off));
        }
    }
    assert_int_equal(b.rcs(i).bytes, p.pages * p.bytes_per_page);
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
    int diff_dev = 0, diff_page = 0;
    for (unsigned o = 0; o < 256; ++o) {
        diff_dev += pxdev::pattern_byte(0x0008, 0, o) != pxdev::pattern_byte(0x0010, 0, o);
        diff_page += pxdev::pattern_byte(0x0008, 0, o) != pxdev::pattern_byte(0x0008, 1, o);
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
    assert_int_equal(b.dev[A]->violations().size(), 1);
    assert_true(b.dev[A]->violations()[0].find("PRG index 300") != std::string::npos);
    assert_true(b.dev[A]->violations()[0].find("UPRGI") != std::string::npos);
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
    assert_int_equal(a.violations().size(), 1); // the UPRGI one only

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
}

} // namespace

int sc_main(int, char*[])
{
    auto b = std::make_unique<bench>();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_config_space, b.get()),
        cmocka_unit_test_prestate(test_start_without_pri_enabled, b.get()),
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
        cmocka_unit_test_prestate(test_pasid, b.get()),
    };
    return cmocka_run_group_tests_name("model.device", tests, nullptr, nullptr);
}
