// SPDX-License-Identifier: Apache-2.0
//
// Simulated DRAM (model/platform/memory.*): direct allocations (CPU
// pointers, zeroed, the lowest eighth first), data pages (alloc_page: no CPU
// pointer, the rest first, bytes kept in 256-byte granules), accesses
// through b_transport and the debug transport that cross granules and pages
// of both kinds, DMI limited to the lowest eighth, freeing and reuse (a
// reused page or granule reads zero), and the fallbacks when either part is
// full.
// The transports are called directly: no simulation runs.
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>

#include "common/payload.h"
#include "platform/memory.h"

// cmocka last: its fail() macro clashes with std::basic_ios::fail.
extern "C" {
#include <cmocka.h>
}

using prisim::platform::dram;

namespace {

constexpr uint64_t BASE = 0x80000000ull;
constexpr uint64_t SIZE = 16ull << 20; // the smallest platform.dram_mib
constexpr uint64_t ZONE = BASE + SIZE / 8; // data pages from here up

dram* g_mem;

// One access through the target socket; returns the response status.
tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t pa, uint8_t* data, unsigned len,
                                bool* dmi_allowed = nullptr)
{
    tlm::tlm_generic_payload gp;
    prisim::prepare_payload(gp, cmd, pa, data, len);
    sc_core::sc_time t = sc_core::SC_ZERO_TIME;
    g_mem->tsock.get_base_export()->b_transport(gp, t);
    if (dmi_allowed) *dmi_allowed = gp.is_dmi_allowed();
    return gp.get_response_status();
}

void write(uint64_t pa, const std::vector<uint8_t>& v)
{
    std::vector<uint8_t> b(v);
    assert_int_equal(access(tlm::TLM_WRITE_COMMAND, pa, b.data(), unsigned(b.size())), tlm::TLM_OK_RESPONSE);
}

std::vector<uint8_t> read(uint64_t pa, unsigned len)
{
    std::vector<uint8_t> b(len, 0xEE);
    assert_int_equal(access(tlm::TLM_READ_COMMAND, pa, b.data(), len), tlm::TLM_OK_RESPONSE);
    // The model's own read path agrees with the transport.
    std::vector<uint8_t> c(len, 0xDD);
    const uint8_t* p = g_mem->peek(pa, len, c.data());
    assert_non_null(p);
    assert_memory_equal(b.data(), p, len);
    return b;
}

std::vector<uint8_t> ramp(unsigned len, uint8_t seed)
{
    std::vector<uint8_t> v(len);
    for (unsigned i = 0; i < len; ++i) v[i] = uint8_t(seed + i * 7 + 1);
    return v;
}

bool all_zero(const std::vector<uint8_t>& v)
{
    for (uint8_t b : v)
        if (b) return false;
    return true;
}

void test_direct_allocation_lowest_eighth_zeroed(void**)
{
    const uint64_t pa = g_mem->alloc(8192, 4096);
    assert_true(pa >= BASE && pa + 8192 <= ZONE);
    uint8_t* p = g_mem->ptr(pa);
    assert_non_null(p);
    for (unsigned i = 0; i < 8192; ++i) assert_int_equal(p[i], 0);
    // The CPU's bytes are the ones a transport sees (zero-copy), and the
    // model's checks read them in place.
    uint8_t scratch[8];
    assert_ptr_equal(g_mem->peek(pa + 16, 8, scratch), p + 16);
    p[100] = 0x5A;
    assert_int_equal(read(pa + 100, 1)[0], 0x5A);
    write(pa + 4000, ramp(200, 3)); // crosses a page
    assert_memory_equal(p + 4000, ramp(200, 3).data(), 200);
    g_mem->free(pa, 8192);
    // Written before, so cleared when handed out again.
    const uint64_t again = g_mem->alloc(8192, 4096);
    assert_int_equal(again, pa);
    assert_true(all_zero(read(again, 8192)));
    g_mem->free(again, 8192);
    assert_int_equal(g_mem->bytes_allocated(), 0);
}

void test_data_page_sparse_granules(void**)
{
    const uint64_t pa = g_mem->alloc_page();
    assert_true(pa >= ZONE && pa + 4096 <= BASE + SIZE);
    assert_int_equal(pa % 4096, 0);
    assert_null(g_mem->ptr(pa));        // no CPU pointer
    assert_null(g_mem->ptr(pa + 4095));
    uint8_t scratch[8];
    assert_ptr_equal(g_mem->peek(pa + 16, 8, scratch), scratch); // a copy
    assert_int_equal(g_mem->bytes_allocated(), 4096);
    assert_true(all_zero(read(pa, 4096)));
    assert_int_equal(g_mem->sparse_bytes(), 0); // reading keeps nothing

    // 256 bytes at the start: one granule.
    write(pa, ramp(256, 1));
    assert_int_equal(g_mem->sparse_bytes(), dram::sparse_chunk);
    assert_memory_equal(read(pa, 256).data(), ramp(256, 1).data(), 256);
    // Across a granule boundary: one more granule; bytes around it stay.
    write(pa + 250, ramp(20, 9));
    assert_int_equal(g_mem->sparse_bytes(), 2 * dram::sparse_chunk);
    std::vector<uint8_t> want = ramp(256, 1);
    want.resize(512, 0);
    for (unsigned i = 0; i < 20; ++i) want[250 + i] = ramp(20, 9)[i];
    assert_memory_equal(read(pa, 512).data(), want.data(), 512);
    // The rest of the page still reads zero, also in a read spanning
    // granules that hold nothing.
    assert_true(all_zero(read(pa + 512, 4096 - 512)));
    // The last byte of the page.
    write(pa + 4095, {0x77});
    assert_int_equal(read(pa + 4095, 1)[0], 0x77);
    assert_int_equal(g_mem->sparse_bytes(), 3 * dram::sparse_chunk);

    // Freed: its granules go back; the next data page (the same one) is zero.
    g_mem->free_page(pa);
    assert_int_equal(g_mem->sparse_bytes(), 0);
    assert_int_equal(g_mem->bytes_allocated(), 0);
    const uint64_t again = g_mem->alloc_page();
    assert_int_equal(again, pa);
    assert_true(all_zero(read(again, 4096)));
    // A reused granule is cleared before it is handed out.
    write(again + 300, {1, 2, 3});
    std::vector<uint8_t> g = read(again + 256, 256);
    for (unsigned i = 0; i < 256; ++i) assert_int_equal(g[i], i >= 44 && i < 47 ? i - 43 : 0);
    g_mem->free_page(again);
    assert_int_equal(g_mem->sparse_bytes(), 0);
}

void test_access_across_page_kinds(void**)
{
    // Two data pages side by side, then an access spanning both.
    const uint64_t a = g_mem->alloc_page(), b = g_mem->alloc_page();
    assert_int_equal(b, a + 4096);
    write(a + 4000, ramp(200, 5));
    assert_memory_equal(read(a + 4000, 200).data(), ramp(200, 5).data(), 200);
    assert_memory_equal(read(b, 104).data(), ramp(200, 5).data() + 96, 104);
    // A direct allocation next to a data page: only possible in the zone,
    // where direct allocations go once the lowest eighth is full; an access
    // spanning both is split at the page.
    g_mem->free_page(b);
    const uint64_t low = g_mem->alloc(ZONE - BASE, 4096); // the whole lowest eighth
    assert_int_equal(low, BASE);
    const uint64_t d = g_mem->alloc(4096, 4096);
    assert_int_equal(d, b); // first fit above the lowest eighth: the page just freed
    assert_non_null(g_mem->ptr(d));
    write(a + 4090, ramp(12, 2));
    assert_memory_equal(g_mem->ptr(d), ramp(12, 2).data() + 6, 6);
    assert_memory_equal(read(a + 4090, 12).data(), ramp(12, 2).data(), 12);
    // The debug transport takes the same path.
    std::vector<uint8_t> v = ramp(16, 4);
    tlm::tlm_generic_payload gp;
    prisim::prepare_payload(gp, tlm::TLM_WRITE_COMMAND, a + 4088, v.data(), 16);
    assert_int_equal(g_mem->tsock.get_base_export()->transport_dbg(gp), 16);
    assert_memory_equal(read(a + 4088, 16).data(), v.data(), 16);
    assert_memory_equal(g_mem->ptr(d), v.data() + 8, 8);
    g_mem->free(d, 4096);
    g_mem->free(low, ZONE - BASE);
    g_mem->free_page(a);
    assert_int_equal(g_mem->bytes_allocated(), 0);
    assert_int_equal(g_mem->sparse_bytes(), 0);
}

void test_dmi_lowest_eighth_only(void**)
{
    tlm::tlm_generic_payload gp;
    tlm::tlm_dmi dmi;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(BASE + 4096);
    assert_true(g_mem->tsock.get_base_export()->get_direct_mem_ptr(gp, dmi));
    assert_int_equal(dmi.get_start_address(), BASE);
    assert_int_equal(dmi.get_end_address(), ZONE - 1);
    assert_true(dmi.is_read_allowed());
    assert_false(dmi.is_write_allowed());
    dmi.init();
    gp.set_address(ZONE);
    assert_false(g_mem->tsock.get_base_export()->get_direct_mem_ptr(gp, dmi));
    // The hint says the same.
    uint8_t b[4];
    bool allowed = false;
    assert_int_equal(access(tlm::TLM_READ_COMMAND, BASE, b, 4, &allowed), tlm::TLM_OK_RESPONSE);
    assert_true(allowed);
    assert_int_equal(access(tlm::TLM_READ_COMMAND, ZONE + 8, b, 4, &allowed), tlm::TLM_OK_RESPONSE);
    assert_false(allowed);
}

void test_data_pages_fall_back_below_the_zone(void**)
{
    // Fill the zone with data pages; the next one is an ordinary page of
    // the lowest eighth, kept in place (a CPU pointer exists, though none is
    // handed out) and written and read like any.
    std::vector<uint64_t> pages;
    for (uint64_t i = 0; i < (BASE + SIZE - ZONE) / 4096; ++i) {
        const uint64_t pa = g_mem->alloc_page();
        assert_true(pa >= ZONE);
        pages.push_back(pa);
    }
    const uint64_t low = g_mem->alloc_page();
    assert_true(low >= BASE && low < ZONE);
    assert_non_null(g_mem->ptr(low));
    write(low + 10, ramp(30, 6));
    assert_memory_equal(g_mem->ptr(low) + 10, ramp(30, 6).data(), 30);
    assert_int_equal(g_mem->sparse_bytes(), 0);
    g_mem->free_page(low);
    for (uint64_t pa : pages) g_mem->free_page(pa);
    assert_int_equal(g_mem->bytes_allocated(), 0);
}

void test_errors(void**)
{
    uint8_t b[8] = {};
    assert_int_equal(access(tlm::TLM_READ_COMMAND, BASE - 8, b, 8), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    assert_int_equal(access(tlm::TLM_WRITE_COMMAND, BASE + SIZE - 4, b, 8), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    assert_null(g_mem->peek(BASE + SIZE - 4, 8, b));
    assert_null(g_mem->ptr(BASE + SIZE));
    // Freeing what is not a page is ignored.
    g_mem->free_page(BASE + SIZE);
    g_mem->free_page(ZONE + 8);
    assert_int_equal(g_mem->bytes_allocated(), 0);
    // Exhausted: 0, not a page of the other kind's memory twice over.
    const uint64_t all = g_mem->alloc(SIZE, 4096);
    assert_int_equal(all, BASE);
    assert_int_equal(g_mem->alloc_page(), 0);
    assert_int_equal(g_mem->alloc(8, 8), 0);
    g_mem->free(all, SIZE);
}

} // namespace

int sc_main(int, char*[])
{
    dram mem("dram", BASE, SIZE);
    g_mem = &mem;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct_allocation_lowest_eighth_zeroed),
        cmocka_unit_test(test_data_page_sparse_granules),
        cmocka_unit_test(test_access_across_page_kinds),
        cmocka_unit_test(test_dmi_lowest_eighth_only),
        cmocka_unit_test(test_data_pages_fall_back_below_the_zone),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
