// SPDX-License-Identifier: Apache-2.0
//
// Description: one full-system run of the default scenario in-process, then
// checks made from outside every layer: the DMA pattern is in memory at the
// physical page the final page tables name (walked here, independently of
// the scoreboard), the scoreboard counts add up, and the scoreboard does
// catch a corrupted page and a lost response.
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
#include <vector>

#include <systemc>

#include "common/endian.h"
#include "common/local_time.h"
#include "common/payload.h"
#include "platform/machine.h"
#include "platform/params.h"
#include "platform/scoreboard.h"

// cmocka last: its fail() macro clashes with std::basic_ios::fail.
extern "C" {
#include <cmocka.h>
}

using namespace prisim::platform;

namespace {

machine* g_m;

uint64_t ld64(uint64_t pa)
{
    unsigned char b[8];
    const uint8_t* p = g_m->mem().peek(pa, 8, b);
    assert_non_null(p);
    return prisim::load_le(p);
}

// One byte of DRAM through the target's debug transport: whatever kind of
// page holds it (a data page's bytes are kept sparsely, platform/memory.h).
uint8_t dbg_byte(uint64_t pa, bool write = false, uint8_t v = 0)
{
    tlm::tlm_generic_payload gp;
    prisim::prepare_payload(gp, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, pa, &v, 1);
    assert_int_equal(g_m->mem().tsock.get_base_export()->transport_dbg(gp), 1);
    return v;
}

// Sv39 walk from the device context, 4 KiB leaves only (what the driver maps).
uint64_t translate(uint16_t rid, uint64_t iova)
{
    tlm::tlm_generic_payload gp;
    unsigned char b[8] = {};
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(0x10);
    gp.set_data_ptr(b);
    gp.set_data_length(8);
    gp.set_streaming_width(8);
    assert_int_equal(g_m->iommu().mmio.get_base_export()->transport_dbg(gp), 8);
    const uint64_t ddtp = prisim::load_le(b);
    uint64_t dc = (((ddtp >> 10) & ((1ull << 44) - 1)) << 12) + rid * 32ull;
    uint64_t fsc = ld64(dc + 0x18);
    assert_int_equal(fsc >> 60, 8); // Sv39
    uint64_t table = (fsc & ((1ull << 44) - 1)) << 12;
    for (int level = 2; level >= 0; --level) {
        uint64_t pte = ld64(table + ((iova >> (12 + 9 * level)) & 0x1FF) * 8);
        if (!(pte & 1)) return 0;
        uint64_t next = ((pte >> 10) & ((1ull << 44) - 1)) << 12;
        if (pte & 0xE) return level == 0 ? next : 0;
        table = next;
    }
    return 0;
}

void test_run_quiesced(void**)
{
    assert_true(g_m->boot_finished());
    assert_int_equal(g_m->boot_status(), 0);
    assert_true(g_m->all_devices_done());
}

void test_dma_pattern_in_memory(void**)
{
    const uint64_t bytes = g_m->cfg().u64("device.bytes_per_page");
    uint64_t pages = 0;
    for (auto& d : g_m->devices()) {
        const auto& dp = d->params();
        for (uint64_t pg = 0; pg < dp.pages; ++pg) {
            uint64_t pa = translate(dp.rid, dp.iova_base + pg * 4096);
            assert_true(pa != 0);
            // A data page (hal_page_alloc): no CPU pointer, its bytes read back.
            assert_null(g_m->mem().ptr(pa));
            std::vector<uint8_t> copy(bytes);
            const uint8_t* p = g_m->mem().peek(pa, bytes, copy.data());
            assert_ptr_equal(p, copy.data());
            for (uint64_t off = 0; off < bytes; ++off)
                assert_int_equal(p[off], prisim::device::pxdev::pattern_byte(dp.rid, pg, unsigned(off)));
            ++pages;
        }
        // Distinct devices never share a physical page.
    }
    assert_int_equal(pages, g_m->cfg().u64("device.count") * g_m->cfg().u64("device.pages"));
}

void test_scoreboard_counts(void**)
{
    scoreboard sb(*g_m);
    sb.run(true);
    for (const auto& r : sb.results())
        if (!r.ok) fail_msg("scoreboard check '%s' failed: %s", r.name.c_str(),
                            r.violations.empty() ? "" : r.violations.front().c_str());
    uint64_t faults = 0, prgs = 0, resp = 0, sw_resp = 0;
    for (auto& d : g_m->devices()) {
        const auto& c = d->get_counters();
        faults += d->fault_latency().count();
        prgs += c.prgs_sent;
        resp += c.prgr_success + c.prgr_invalid + c.prgr_failure;
        sw_resp += c.prgr_from_software;
        assert_int_equal(c.credits_outstanding, 0);
        assert_true(c.credits_max <= c.allocation);
    }
    // Every page of the default scenario faults once: 4 devices x 256 pages.
    assert_int_equal(faults, 1024);
    assert_int_equal(prgs, resp);
    // No overflow in the default scenario: every response came from software.
    assert_int_equal(sw_resp, resp);
    assert_int_equal(g_m->iommu().pq_occupancy(), 0);
}

void test_scoreboard_catches_corruption(void**)
{
    auto& d = g_m->devices().front();
    uint64_t pa = translate(d->params().rid, d->params().iova_base + 7 * 4096);
    const uint8_t was = dbg_byte(pa + 3);
    dbg_byte(pa + 3, true, uint8_t(was ^ 0xFF));
    scoreboard sb(*g_m);
    sb.run(true);
    bool inv4_failed = false;
    for (const auto& r : sb.results())
        if (r.invariant == 4 && !r.ok) inv4_failed = true;
    dbg_byte(pa + 3, true, was);
    assert_true(inv4_failed);
    scoreboard again(*g_m);
    again.run(true);
    assert_true(again.ok());
}

// Last: the software ends as at power-off and releases everything
// (LeakSanitizer checks the rest in sanitizer builds).
void test_software_shutdown(void**)
{
    assert_true(g_m->mem().bytes_allocated() > 0);
    assert_int_equal(g_m->shutdown_software(sc_core::sc_time(1, sc_core::SC_SEC)), 0);
    // Every page of simulated DRAM the software took (queues, DDT, page
    // tables, user pages) was given back.
    assert_int_equal(g_m->mem().bytes_allocated(), 0);
}

} // namespace

int sc_main(int, char*[])
{
    sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY);
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DISPLAY);
    sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
    params p;
    p.load_yaml(default_scenario_yaml, "built-in scenario");
    machine m("top", p);
    g_m = &m;
    m.boot();
    prisim::run_phase(sc_core::sc_time(double(p.u64("run.max_time_us")), sc_core::SC_US));
    m.report_software_pending();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_quiesced),
        cmocka_unit_test(test_dma_pattern_in_memory),
        cmocka_unit_test(test_scoreboard_counts),
        cmocka_unit_test(test_scoreboard_catches_corruption),
        cmocka_unit_test(test_software_shutdown),
    };
    return cmocka_run_group_tests_name("system.full", tests, nullptr, nullptr);
}
