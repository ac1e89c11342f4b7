// SPDX-License-Identifier: Apache-2.0
//
// The trace-file parser on its own (docs/scenario.md, "Trace replay"):
// fields, comments, blank lines, number forms, per-device grouping and page
// counts, and the line and text a malformed line is reported with.
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
#include <string>

#include <systemc>

#include "platform/params.h"
#include "platform/trace_file.h"

extern "C" {
#include <cmocka.h>
}

using namespace prisim::platform;

namespace {

void test_parse(void**)
{
    const trace_file tf = parse_trace("# header\n"
                                      "\n"
                                      "100 0 - 0x10000010 16 w   # a write\r\n"
                                      "\t150 1 0x42 4096 8 r\n"
                                      "150 0 - 268439552 4096 r\n"
                                      "200 0 - 0x10000ff8 8 w\n"
                                      "   # only a comment\n"
                                      "200 1 66 0x3000 1 w",
                                      "t.trace");
    assert_int_equal(tf.devices.size(), 2);
    const trace_device& d0 = tf.devices.at(0);
    assert_int_equal(d0.accesses->size(), 3);
    assert_int_equal(d0.first_line, 3);
    assert_false(d0.pv);
    assert_int_equal(d0.pages, 2); // 0x10000000 twice, 0x10001000 (268439552)
    assert_int_equal(d0.first_page, 0x10000);
    assert_int_equal(d0.last_page, 0x10001);
    assert_int_equal(d0.last_line, 5);
    const auto& a = (*d0.accesses)[0];
    assert_int_equal(a.time_ps, 100000);
    assert_int_equal(a.iova, 0x10000010);
    assert_int_equal(a.size, 16);
    assert_true(a.write);
    assert_false((*d0.accesses)[1].write);
    assert_int_equal((*d0.accesses)[1].size, 4096);
    const trace_device& d1 = tf.devices.at(1);
    assert_int_equal(d1.accesses->size(), 2);
    assert_true(d1.pv);
    assert_int_equal(d1.pasid, 0x42); // 66 is the same PASID
    assert_int_equal(d1.pages, 2);
    assert_true(parse_trace("", "e").devices.empty());
    assert_true(parse_trace("# nothing\n\n", "e").devices.empty());
}

// The message a malformed text gives (empty: none).
std::string error_of(const std::string& text)
{
    try {
        parse_trace(text, "t.trace");
    } catch (const config_error& e) {
        return e.what();
    }
    return "";
}

void test_errors(void**)
{
    assert_string_equal(error_of("100 0 -\n").c_str(),
                        "t.trace:1: expected address: a line is `time_ns device pasid address size rw` (got '100 0 -')");
    assert_string_equal(error_of("\n-1 0 - 0 1 w").c_str(),
                        "t.trace:2: expected time_ns: a decimal integer up to 1000000000000 (got '-1')");
    assert_string_equal(error_of("0x10 0 - 0 1 w").c_str(),
                        "t.trace:1: expected time_ns: a decimal integer up to 1000000000000 (got '0x10')");
    assert_string_equal(error_of("1 4096 - 0 1 w").c_str(),
                        "t.trace:1: expected device: a decimal device index up to 4095 (got '4096')");
    assert_string_equal(error_of("1 0 0x100000 0 1 w").c_str(),
                        "t.trace:1: expected pasid: '-' or a number up to 0xfffff (got '0x100000')");
    assert_string_equal(error_of("1 0 - 0x1g 1 w").c_str(),
                        "t.trace:1: expected address: a hexadecimal (0x) or decimal IOVA below 2^64 (got '0x1g')");
    assert_string_equal(error_of("1 0 - 0x10000000000000000 1 w").c_str(),
                        "t.trace:1: expected address: a hexadecimal (0x) or decimal IOVA below 2^64 (got '0x10000000000000000')");
    assert_string_equal(error_of("1 0 - 0 0 w").c_str(),
                        "t.trace:1: expected size: a decimal byte count from 1 to 4096 (got '0')");
    assert_string_equal(error_of("1 0 - 0xfff 2 w").c_str(),
                        "t.trace:1: expected size: at most 1 bytes at address 0xfff, so that the access stays "
                        "within its 4 KiB page (got '2')");
    assert_string_equal(error_of("1 0 - 0 1 W").c_str(), "t.trace:1: expected rw: r or w (got 'W')");
    assert_string_equal(error_of("5 0 - 0 1 w\n4 1 - 0 1 w\n4 0 - 0 1 w").c_str(),
                        "t.trace:3: expected time_ns: at least 5, the time of device 0's access on line 1 (times do "
                        "not go back) (got '4')");
    assert_string_equal(error_of("5 0 7 0 1 w\n6 0 8 0 1 w").c_str(),
                        "t.trace:2: expected pasid: 0x7 as on line 1 (a device uses one PASID) (got '8')");
    assert_string_equal(error_of("5 0 - 0 1 w r").c_str(),
                        "t.trace:1: expected the end of the line after rw (a comment starts with #) (got 'r')");
}

} // namespace

int sc_main(int, char*[])
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("system.trace_file", tests, nullptr, nullptr);
}
