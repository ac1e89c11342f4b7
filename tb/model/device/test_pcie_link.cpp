// SPDX-License-Identifier: Apache-2.0
//
// Description: pcie_link alone, between two fake endpoints and a fake root
// complex: one latency per direction; posted messages handed to the
// receiver in the sender's call, annotated with their arrival time in FIFO
// order, while the sender's time does not advance; non-posted requests
// annotated with the round trip and never waited for (the initiator
// synchronises); downstream routing by destination ID; unmapped IDs and malformed
// TLPs counted and dropped; statistic names.

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "pcie/pcie_link.h"
#include "pcie/tlp.h"
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
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

const sc_time L(400, SC_NS);        // link latency under test
const sc_time SERVICE(30, SC_NS);   // the fake root complex's own time per non-posted request

struct seen {
    sc_time at;
    tlp_kind kind;
    uint16_t rid;
    uint64_t payload;
};

// A TLP as a sender builds it: payload, data and extension owned here.
struct tlp {
    tlm::tlm_generic_payload gp;
    tlp_ext* ext = new tlp_ext;
    unsigned char buf[8] = {};
    tlp(tlp_kind k, uint16_t rid, uint64_t payload, bool read = false)
    {
        gp.set_extension(ext);
        ext->kind = k;
        ext->rid = rid;
        store_le64(buf, payload);
        gp.set_command(read ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND);
        gp.set_data_ptr(buf);
        gp.set_data_length(8);
        gp.set_streaming_width(8);
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    }
};

// What a receiver keeps of a TLP: a copy, stamped with its arrival time
// (now plus the annotated delay).
seen record(const tlm::tlm_generic_payload& gp, const sc_time& delay)
{
    tlp_ext* e = nullptr;
    gp.get_extension(e);
    return {sc_core::sc_time_stamp() + delay, e ? e->kind : tlp_kind::mem_read, e ? e->rid : uint16_t(0xFFFF),
            gp.get_data_length() >= 8 ? load_le64(gp.get_data_ptr()) : 0};
}

struct fake_dev : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<fake_dev> out;
    tlm_utils::simple_target_socket<fake_dev> in;
    std::vector<seen> got;
    explicit fake_dev(sc_core::sc_module_name n) : sc_module(n), out("out"), in("in")
    {
        in.register_b_transport(this, &fake_dev::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& gp, sc_time& delay)
    {
        got.push_back(record(gp, delay));
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }
};

struct fake_rc : sc_core::sc_module {
    tlm_utils::simple_target_socket<fake_rc> in;
    tlm_utils::simple_initiator_socket<fake_rc> out;
    std::vector<seen> got;
    explicit fake_rc(sc_core::sc_module_name n) : sc_module(n), in("in"), out("out")
    {
        in.register_b_transport(this, &fake_rc::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& gp, sc_time& delay)
    {
        got.push_back(record(gp, delay));
        if (!is_posted(got.back().kind)) {
            delay += SERVICE; // loosely timed: annotated, not waited for
            store_le64(gp.get_data_ptr(), 0xC0FFEE000ull | 3); // a completion entry
        }
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }
};

struct bench {
    pcie_link link;
    fake_dev d0, d1;
    fake_rc rc;
    tb::runner run;
    explicit bench(const std::string& pre = "", link_params lp = link_params{L})
        : link((pre + "link").c_str(), lp), d0((pre + "d0").c_str()), d1((pre + "d1").c_str()),
          rc((pre + "rc").c_str()), run((pre + "run").c_str())
    {

        d0.out.bind(link.dev_in);
        d1.out.bind(link.dev_in);
        link.dev_out.bind(d0.in);
        link.dev_out.bind(d1.in);
        link.rc_out.bind(rc.in);
        rc.out.bind(link.rc_in);
        link.map_rid(0x10, 0);
        link.map_rid(0x20, 1);
    }
};

bench& B(void** state) { return *static_cast<bench*>(*state); }

// Posted upstream: the sender returns at once; each message arrives exactly
// one latency later, in order, with the content it had when it was sent.
void test_posted_upstream(void** state)
{
    bench& b = B(state);
    sc_time t0, returned[3];
    tlm::tlm_response_status st[3];
    assert_true(b.run.run([&] {
        t0 = sc_core::sc_time_stamp();
        tlp t(tlp_kind::page_request, 0x10, 0);
        for (int i = 0; i < 3; ++i) {
            // One buffer reused for all three: the receiver copies at once.
            store_le64(t.buf, pr_payload(0x1000ull * (i + 1), unsigned(i), i == 2, true, true));
            t.ext->rid = uint16_t(0x10 + i);
            t.gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
            sc_time d = sc_core::SC_ZERO_TIME;
            b.d0.out->b_transport(t.gp, d);
            returned[i] = sc_core::sc_time_stamp();
            st[i] = t.gp.get_response_status();
        }
        store_le64(t.buf, 0xDEADull);
        t.ext->rid = 0x7777;
    }));
    assert_true(tb::run_until([&] { return b.rc.got.size() >= 3; }, sc_time(5, sc_core::SC_US)));
    assert_int_equal(b.rc.got.size(), 3);
    for (int i = 0; i < 3; ++i) {
        assert_true(returned[i] == t0);
        assert_int_equal(st[i], tlm::TLM_OK_RESPONSE);
        const seen& s = b.rc.got[size_t(i)];
        assert_true(s.at == t0 + L);
        assert_int_equal(unsigned(s.kind), unsigned(tlp_kind::page_request));
        assert_int_equal(s.rid, 0x10 + i);
        assert_int_equal(pr_addr(s.payload), 0x1000ull * (i + 1));
        assert_int_equal(pr_prgi(s.payload), i);
        assert_int_equal(pr_l(s.payload), i == 2);
    }
    assert_int_equal(b.link.up_counters().messages, 3);
    assert_int_equal(b.link.up_counters().by_kind[unsigned(tlp_kind::page_request)], 3);
    b.rc.got.clear();
}

// Non-posted: the request arrives one latency later; the sender's
// b_transport returns at once (loosely timed: nothing waits in the link)
// with both crossings plus the completer's own time annotated.
void test_nonposted_round_trip(void** state)
{
    bench& b = B(state);
    sc_time t0, t1;
    uint64_t cpl = 0;
    assert_true(b.run.run([&] {
        t0 = sc_core::sc_time_stamp();
        tlp t(tlp_kind::ats_translation_req, 0x20, 0, true);
        t.ext->at = at_t::translation_req;
        t.gp.set_address(0x10000000);
        sc_time d = sc_core::SC_ZERO_TIME;
        b.d1.out->b_transport(t.gp, d);
        assert_true(sc_core::sc_time_stamp() == t0);
        t1 = sc_core::sc_time_stamp() + d;
        cpl = load_le64(t.buf);
    }));
    assert_int_equal(b.rc.got.size(), 1);
    assert_true(b.rc.got[0].at == t0 + L);
    assert_int_equal(b.rc.got[0].rid, 0x20);
    assert_true(t1 == t0 + L + SERVICE + L);
    assert_int_equal(cpl, 0xC0FFEE003ull);
    assert_int_equal(b.link.up_counters().nonposted, 1);
    b.rc.got.clear();
}

// Downstream messages are routed by destination ID, after one latency.
void test_downstream_routing(void** state)
{
    bench& b = B(state);
    sc_time t0, returned;
    assert_true(b.run.run([&] {
        t0 = sc_core::sc_time_stamp();
        tlp r(tlp_kind::prg_response, 0x20, prgr_payload(7, PRG_SUCCESS));
        tlp i(tlp_kind::inval_request, 0x10, 0x10003000ull);
        sc_time d = sc_core::SC_ZERO_TIME;
        b.rc.out->b_transport(r.gp, d);
        b.rc.out->b_transport(i.gp, d);
        returned = sc_core::sc_time_stamp();
    }));
    assert_true(tb::run_until([&] { return b.d0.got.size() + b.d1.got.size() >= 2; }, sc_time(5, sc_core::SC_US)));
    assert_true(returned == t0);
    assert_int_equal(b.d0.got.size(), 1);
    assert_int_equal(b.d1.got.size(), 1);
    assert_int_equal(unsigned(b.d1.got[0].kind), unsigned(tlp_kind::prg_response));
    assert_int_equal(prgr_prgi(b.d1.got[0].payload), 7);
    assert_true(b.d1.got[0].at == t0 + L);
    assert_int_equal(unsigned(b.d0.got[0].kind), unsigned(tlp_kind::inval_request));
    assert_int_equal(b.d0.got[0].payload, 0x10003000ull);
    assert_true(b.d0.got[0].at == t0 + L);
    b.d0.got.clear();
    b.d1.got.clear();
}

// A destination ID with no port is counted and dropped (no error report),
// and a TLP without a tlp_ext is rejected with an error status.
void test_unmapped_and_malformed(void** state)
{
    bench& b = B(state);
    tlm::tlm_response_status bad_status = tlm::TLM_OK_RESPONSE;
    assert_true(b.run.run([&] {
        tlp r(tlp_kind::prg_response, 0x30, prgr_payload(1, PRG_SUCCESS));
        sc_time d = sc_core::SC_ZERO_TIME;
        b.rc.out->b_transport(r.gp, d);
        tlm::tlm_generic_payload raw;
        unsigned char buf[8] = {};
        raw.set_command(tlm::TLM_WRITE_COMMAND);
        raw.set_data_ptr(buf);
        raw.set_data_length(8);
        b.d0.out->b_transport(raw, d);
        bad_status = raw.get_response_status();
        sc_core::wait(2 * L);
    }));
    assert_int_equal(b.d0.got.size() + b.d1.got.size(), 0);
    assert_int_equal(b.rc.got.size(), 0);
    assert_int_equal(b.link.down_counters().unroutable, 1);
    assert_int_equal(b.link.up_counters().malformed, 1);
    assert_true(bad_status < tlm::TLM_INCOMPLETE_RESPONSE);
}

// FIFO per direction: a message annotated with a shorter delay than the one
// sent before it does not overtake it.
void test_posted_fifo(void** state)
{
    bench& b = B(state);
    sc_time t0;
    assert_true(b.run.run([&] {
        t0 = sc_core::sc_time_stamp();
        tlp t(tlp_kind::page_request, 0x10, pr_payload(0x5000, 1, true, true, true));
        sc_time d(300, SC_NS); // the sender runs 300 ns ahead
        b.d0.out->b_transport(t.gp, d);
        assert_true(d == sc_time(300, SC_NS)); // posted: the sender's time does not move
        store_le64(t.buf, pr_payload(0x6000, 2, true, true, true));
        sc_time d2 = sc_core::SC_ZERO_TIME; // another sender, not ahead
        b.d1.out->b_transport(t.gp, d2);
    }));
    assert_int_equal(b.rc.got.size(), 2);
    assert_true(b.rc.got[0].at == t0 + sc_time(300, SC_NS) + L);
    assert_true(b.rc.got[1].at == b.rc.got[0].at);
    assert_int_equal(pr_addr(b.rc.got[1].payload), 0x6000);
    b.rc.got.clear();
}

void test_report_names(void** state)
{
    bench& b = B(state);
    tb::map_sink s;
    b.link.report(s, "pcie0");
    assert_int_equal(s.counters.at("pcie0.up.tlps"), 5); // 3 page requests, 1 ATS request, 1 malformed
    assert_int_equal(s.counters.at("pcie0.up.messages"), 3);
    assert_int_equal(s.counters.at("pcie0.up.nonposted"), 1);
    assert_int_equal(s.counters.at("pcie0.up.page_requests"), 3);
    assert_int_equal(s.counters.at("pcie0.up.ats_translation_reqs"), 1);
    assert_int_equal(s.counters.at("pcie0.up.malformed"), 1);
    assert_int_equal(s.counters.at("pcie0.down.tlps"), 3);
    assert_int_equal(s.counters.at("pcie0.down.prg_responses"), 2);
    assert_int_equal(s.counters.at("pcie0.down.inval_requests"), 1);
    assert_int_equal(s.counters.at("pcie0.down.unroutable"), 1);
    assert_true(s.counters.count("pcie0.up.unroutable") == 0);
}

// ---- bandwidth, topology and ordering (pcie.gen, pcie.lanes, pcie.topology)

const double RATE = 2.0; // bytes per ns under test
// A TLP with 8 data bytes: 16 header + 8 framing + 8 data = 32 bytes = 16 ns.
const sc_time SER8(16, SC_NS);

std::unique_ptr<bench> g_switched, g_ports, g_own_ports, g_own_switched;

// The rates of the generations, after encoding.
void test_link_rate(void**)
{
    assert_true(link_rate(0, 16) == 0);
    assert_true(std::abs(link_rate(1, 1) - 0.25) < 1e-9);             // 2.5 GT/s x 8/10 / 8
    assert_true(std::abs(link_rate(3, 1) - 8.0 * 128 / 130 / 8) < 1e-9);
    assert_true(std::abs(link_rate(4, 16) - 16.0 * 128 / 130 / 8 * 16) < 1e-9); // 31.5 B/ns
    assert_true(std::abs(link_rate(6, 1) - 64.0 * 242 / 256 / 8) < 1e-9);
    assert_int_equal(tlp_wire_bytes(0), 24);
    assert_int_equal(tlp_wire_bytes(8), 32);
    assert_int_equal(tlp_wire_bytes(5), 32); // whole DWs
}

// Both devices send a Page Request at once; returns when they were sent.
sc_time two_page_requests(bench& b)
{
    sc_time t0;
    assert_true(b.run.run([&] {
        t0 = sc_core::sc_time_stamp();
        tlp a(tlp_kind::page_request, 0x10, pr_payload(0x1000, 1, true, true, true));
        tlp c(tlp_kind::page_request, 0x20, pr_payload(0x2000, 2, true, true, true));
        sc_time d = sc_core::SC_ZERO_TIME;
        b.d0.out->b_transport(a.gp, d);
        d = sc_core::SC_ZERO_TIME;
        b.d1.out->b_transport(c.gp, d);
    }));
    return t0;
}

// Behind a switch: a message crosses the device's link and then the shared
// upstream link, store and forward: bytes / rate on each, then the latency.
// A second device's message waits for the shared link.
void test_bandwidth_switched(void**)
{
    bench& b = *g_switched;
    const sc_time t0 = two_page_requests(b);
    assert_int_equal(b.rc.got.size(), 2);
    assert_true(b.rc.got[0].at == t0 + 2 * SER8 + L);
    assert_true(b.rc.got[1].at == t0 + 3 * SER8 + L); // behind the first on the shared link
    b.rc.got.clear();
}

// On root ports every device has its own link: no sharing.
void test_bandwidth_root_ports(void**)
{
    bench& b = *g_ports;
    const sc_time t0 = two_page_requests(b);
    assert_int_equal(b.rc.got.size(), 2);
    assert_true(b.rc.got[0].at == t0 + SER8 + L);
    assert_true(b.rc.got[1].at == t0 + SER8 + L);
    b.rc.got.clear();
}

// A device on a link of its own kind (a device class's link): its latency
// and rate replace the link's for that device only. On root ports d1's
// Page Request takes twice the wire time and twice the latency; d0's is as
// before.
void test_own_link_root_ports(void**)
{
    bench& b = *g_own_ports;
    const sc_time t0 = two_page_requests(b);
    assert_int_equal(b.rc.got.size(), 2);
    assert_true(b.rc.got[0].at == t0 + SER8 + L);
    assert_true(b.rc.got[1].at == t0 + 2 * SER8 + 2 * L);
    // A non-posted round trip crosses d1's own link both ways.
    sc_time rt;
    assert_true(b.run.run([&] {
        sc_core::wait(sc_time(1, sc_core::SC_US));
        tlp r(tlp_kind::mem_write, 0x20, 7);
        sc_time d = sc_core::SC_ZERO_TIME;
        b.d1.out->b_transport(r.gp, d);
        rt = d;
    }));
    assert_true(rt == 2 * SER8 + 2 * L + SERVICE + 2 * L); // a write's completion carries no data
    b.rc.got.clear();
}

// Behind a switch the device's own link is the one to the switch; the shared
// upstream link keeps the link's rate, and the device's latency applies.
void test_own_link_switched(void**)
{
    bench& b = *g_own_switched;
    const sc_time t0 = two_page_requests(b);
    assert_int_equal(b.rc.got.size(), 2);
    assert_true(b.rc.got[0].at == t0 + 2 * SER8 + L);
    // d1: 32 ns on its own wire, then the shared link (free from 32 ns), then 2L.
    assert_true(b.rc.got[1].at == t0 + 2 * SER8 + SER8 + 2 * L);
    b.rc.got.clear();
}

// A read's completion carries its data back: 256 bytes take 140 ns on the
// way down. A PRG Response that leaves 1 ns after the completion left does
// not pass it, although its own crossing is shorter: it waits for the
// completion on the device's wire and arrives its own 16 ns after it.
void test_prg_response_does_not_pass_completion(void**)
{
    bench& b = *g_ports;
    sc_time t0, cpl_at;
    assert_true(b.run.run([&] {
        sc_core::wait(sc_time(1, sc_core::SC_US)); // the wires are free again
        t0 = sc_core::sc_time_stamp();
        tlm::tlm_generic_payload gp;
        tlp_ext* ext = new tlp_ext;
        ext->kind = tlp_kind::mem_read;
        ext->rid = 0x10;
        gp.set_extension(ext);
        std::vector<unsigned char> buf(256);
        gp.set_command(tlm::TLM_READ_COMMAND);
        gp.set_address(0x1000);
        gp.set_data_ptr(buf.data());
        gp.set_data_length(256);
        gp.set_streaming_width(256);
        sc_time d = sc_core::SC_ZERO_TIME;
        b.d0.out->b_transport(gp, d);
        cpl_at = sc_core::sc_time_stamp() + d;
        // The completion left the root complex at t0 + 12 + L + SERVICE
        // (request: 24 bytes); the response leaves 1 ns after that.
        const sc_time left = sc_time(12, SC_NS) + L + SERVICE;
        tlp r(tlp_kind::prg_response, 0x10, prgr_payload(3, PRG_SUCCESS));
        sc_time dr = left + sc_time(1, SC_NS);
        b.rc.out->b_transport(r.gp, dr);
    }));
    assert_true(cpl_at == t0 + sc_time(12, SC_NS) + L + SERVICE + sc_time(140, SC_NS) + L);
    assert_true(tb::run_until([&] { return b.d0.got.size() >= 1; }, sc_time(5, sc_core::SC_US)));
    assert_int_equal(b.d0.got.size(), 1);
    assert_int_equal(unsigned(b.d0.got[0].kind), unsigned(tlp_kind::prg_response));
    // On its own it would arrive at left + 1 + 16 + L, before the completion.
    assert_true(b.d0.got[0].at == cpl_at + SER8);
    b.d0.got.clear();
    b.rc.got.clear();
}

} // namespace

int sc_main(int, char*[])
{
    auto b = std::make_unique<bench>();
    g_switched = std::make_unique<bench>("sw_", link_params{L, RATE, true, sc_core::SC_ZERO_TIME});
    g_ports = std::make_unique<bench>("rp_", link_params{L, RATE, false, sc_core::SC_ZERO_TIME});
    g_own_ports = std::make_unique<bench>("op_", link_params{L, RATE, false, sc_core::SC_ZERO_TIME});
    g_own_ports->link.set_port_link(1, 2 * L, RATE / 2);
    g_own_switched = std::make_unique<bench>("os_", link_params{L, RATE, true, sc_core::SC_ZERO_TIME});
    g_own_switched->link.set_port_link(1, 2 * L, RATE / 2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_posted_upstream, b.get()),
        cmocka_unit_test_prestate(test_nonposted_round_trip, b.get()),
        cmocka_unit_test_prestate(test_downstream_routing, b.get()),
        cmocka_unit_test_prestate(test_unmapped_and_malformed, b.get()),
        cmocka_unit_test_prestate(test_report_names, b.get()),
        cmocka_unit_test_prestate(test_posted_fifo, b.get()),
        cmocka_unit_test(test_link_rate),
        cmocka_unit_test(test_bandwidth_switched),
        cmocka_unit_test(test_bandwidth_root_ports),
        cmocka_unit_test(test_prg_response_does_not_pass_completion),
        cmocka_unit_test(test_own_link_root_ports),
        cmocka_unit_test(test_own_link_switched),
    };
    return cmocka_run_group_tests_name("model.link", tests, nullptr, nullptr);
}
