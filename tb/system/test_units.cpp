// SPDX-License-Identifier: Apache-2.0
//
// Units in scenario values and expectations (docs/scenario.md, "Units"):
// the unit table and exact conversion on their own, then through the
// scenario keys (exact, inexact, wrong dimension, overflow, counts), the
// pcie.link shorthand, expectations with a unit, every error of a scenario
// reported at once, and --print-scenario's YAML read back to the same values.
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
#include <string>

#include <systemc>

#include "platform/params.h"
#include "platform/report.h"
#include "platform/units.h"

extern "C" {
#include <cmocka.h>
}

using namespace prisim::platform;

namespace {

// `number suffix` converted into `to`; UINT64_MAX marks inexact, UINT64_MAX
// - 1 overflow.
constexpr uint64_t INEXACT = UINT64_MAX, OVERFLOW = UINT64_MAX - 1;
uint64_t conv(const char* text, const char* to)
{
    quantity q;
    assert_true(split_quantity(text, q));
    assert_non_null(q.u);
    uint64_t v = 0;
    switch (convert_exact(q.number, *q.u, *unit_of(to), v)) {
    case conversion::ok: return v;
    case conversion::inexact: return INEXACT;
    case conversion::overflow: return OVERFLOW;
    }
    return 0;
}

void test_table(void**)
{
    assert_int_equal(find_unit("us")->scale, 1000000);
    assert_int_equal(find_unit("\xC2\xB5s")->scale, 1000000); // MICRO SIGN
    assert_int_equal(find_unit("\xCE\xBCs")->scale, 1000000); // GREEK SMALL LETTER MU
    assert_int_equal(find_unit("s")->scale, 1000000000000);
    assert_int_equal(find_unit("GiB")->scale, uint64_t(1) << 30);
    assert_int_equal(find_unit("MB")->scale, 1000000);
    assert_int_equal(find_unit("kB")->scale, 1000);
    assert_int_equal(find_unit("GHz")->scale, 1000000000);
    assert_null(find_unit("US")); // case matters
    assert_null(find_unit("mib"));
    assert_null(find_unit("bytes")); // a name, not a suffix
    assert_int_equal(unit_of("bytes")->dim, dimension::size);
    assert_null(unit_of("entries"));
    assert_null(unit_of(""));
    assert_string_equal(unit_list(dimension::time).c_str(), "ps, ns, us, \xC2\xB5s, ms, s");
}

void test_split(void**)
{
    quantity q;
    assert_true(split_quantity("250ns", q));
    assert_string_equal(q.number.c_str(), "250");
    assert_string_equal(q.suffix.c_str(), "ns");
    assert_true(split_quantity(" 1.5 \tus ", q));
    assert_string_equal(q.number.c_str(), "1.5");
    assert_string_equal(q.suffix.c_str(), "us");
    assert_true(split_quantity("2e3ps", q));
    assert_string_equal(q.number.c_str(), "2e3");
    assert_true(split_quantity("12", q));
    assert_true(q.suffix.empty());
    assert_null(q.u);
    assert_true(split_quantity("3 fortnights", q));
    assert_null(q.u);
    assert_false(split_quantity("-5us", q));
    assert_true(split_quantity("-5us", q, true));
    assert_string_equal(q.number.c_str(), "-5");
    assert_false(split_quantity("us", q));
    assert_false(split_quantity("1.us", q));
    assert_false(split_quantity("1.5.3", q));
    assert_false(split_quantity("5 # us", q));
}

void test_convert_exact(void**)
{
    assert_int_equal(conv("2ms", "us"), 2000);
    assert_int_equal(conv("1.5us", "ns"), 1500);
    assert_int_equal(conv("1500ns", "us"), INEXACT);
    assert_int_equal(conv("2000ns", "us"), 2);
    assert_int_equal(conv("0.000001s", "us"), 1);
    assert_int_equal(conv("1e-7s", "us"), INEXACT);
    assert_int_equal(conv("1e3ps", "ns"), 1);
    assert_int_equal(conv("0us", "ns"), 0);
    assert_int_equal(conv("0.0ms", "us"), 0);
    assert_int_equal(conv("1GiB", "MiB"), 1024);
    assert_int_equal(conv("1.5KiB", "bytes"), 1536);
    assert_int_equal(conv("1GB", "MiB"), INEXACT); // 953.67 MiB
    assert_int_equal(conv("1048576B", "MiB"), 1);
    assert_int_equal(conv("2GHz", "MHz"), 2000);
    assert_int_equal(conv("500kHz", "MHz"), INEXACT);
    assert_int_equal(conv("18446744073709551615ps", "ps"), UINT64_MAX);
    assert_int_equal(conv("18446744073709551616ps", "ps"), OVERFLOW);
    assert_int_equal(conv("20000000s", "ps"), OVERFLOW);
    assert_int_equal(conv("1e40s", "us"), OVERFLOW);
    assert_int_equal(conv("1e-40s", "us"), INEXACT);
    assert_int_equal(conv("100000000000000000000000000000000000000000ns", "s"), OVERFLOW);
    // trailing zeros of a long mantissa do not count against its length
    assert_int_equal(conv("1.000000000000000000000000000000000000000000000s", "ms"), 1000);
    assert_true(convert(100, *find_unit("us"), *find_unit("ps")) == 1e8);
    assert_true(convert(1, *find_unit("ps"), *find_unit("ns")) == 0.001);
    assert_true(convert(1, *find_unit("KiB"), *find_unit("KB")) == 1.024);
}

// The message `--set key=value` gives (empty: accepted).
std::string set_error(params& p, const std::string& key, const std::string& value)
{
    try {
        p.set(key, value, "--set");
    } catch (const config_error& e) {
        return e.what();
    }
    return "";
}

void test_keys(void**)
{
    params p;
    // exact
    assert_string_equal(set_error(p, "run.max_time_us", "2ms").c_str(), "");
    assert_int_equal(p.u64("run.max_time_us"), 2000);
    assert_string_equal(set_error(p, "run.quantum_ns", "0.25 us").c_str(), "");
    assert_int_equal(p.u64("run.quantum_ns"), 250);
    assert_string_equal(set_error(p, "sw.cost.handler.mean_ns", "9\xC2\xB5s").c_str(), "");
    assert_int_equal(p.u64("sw.cost.handler.mean_ns"), 9000);
    assert_string_equal(set_error(p, "platform.dram_mib", "2GiB").c_str(), "");
    assert_int_equal(p.u64("platform.dram_mib"), 2048);
    assert_string_equal(set_error(p, "device.bytes_per_page", "1KiB").c_str(), "");
    assert_int_equal(p.u64("device.bytes_per_page"), 1024);
    assert_string_equal(set_error(p, "iommu.clk_mhz", "1.5GHz").c_str(), "");
    assert_int_equal(p.u64("iommu.clk_mhz"), 1500);
    assert_string_equal(set_error(p, "class.a.think_ns", "1us").c_str(), "");
    assert_int_equal(std::get<uint64_t>(p.classes().at(0).fields.at("think_ns")), 1000);
    // plain numbers keep their meaning
    assert_string_equal(set_error(p, "run.max_time_us", "1000").c_str(), "");
    assert_int_equal(p.u64("run.max_time_us"), 1000);
    assert_string_equal(set_error(p, "device.iova_base", "0x20000000").c_str(), "");
    // inexact
    assert_string_equal(set_error(p, "run.max_time_us", "1500ns").c_str(),
                        "--set: run.max_time_us = '1500ns': not a whole number of us (the key's unit)");
    assert_string_equal(set_error(p, "platform.dram_mib", "1GB").c_str(),
                        "--set: platform.dram_mib = '1GB': not a whole number of MiB (the key's unit)");
    // wrong dimension
    assert_string_equal(set_error(p, "run.max_time_us", "2GiB").c_str(),
                        "--set: run.max_time_us = '2GiB': 'GiB' is a size unit; expected a time in us (or with a "
                        "unit: ps, ns, us, \xC2\xB5s, ms, s)");
    assert_string_equal(set_error(p, "iommu.clk_mhz", "1ns").c_str(),
                        "--set: iommu.clk_mhz = '1ns': 'ns' is a time unit; expected a frequency in MHz (or with a "
                        "unit: Hz, kHz, MHz, GHz)");
    // out of range, and beyond 64 bits
    assert_string_equal(set_error(p, "run.max_time_us", "2000s").c_str(),
                        "--set: run.max_time_us = '2000s': out of range [1, 1000000000] us (2000000000 us)");
    assert_string_equal(set_error(p, "run.quantum_ns", "1e30s").c_str(),
                        "--set: run.quantum_ns = '1e30s': out of range [0, 1000000] ns");
    assert_string_equal(set_error(p, "platform.dram_mib", "8MiB").c_str(),
                        "--set: platform.dram_mib = '8MiB': out of range [16, 16384] MiB (8 MiB)");
    // an unknown unit, a unit on a count, a malformed number
    assert_string_equal(set_error(p, "run.max_time_us", "3 fortnights").c_str(),
                        "--set: run.max_time_us = '3 fortnights': unknown unit 'fortnights'; expected a time in us "
                        "(or with a unit: ps, ns, us, \xC2\xB5s, ms, s)");
    assert_string_equal(set_error(p, "device.pages", "4KiB").c_str(),
                        "--set: device.pages = '4KiB': a count of pages: a unit suffix ('KiB') is not accepted");
    assert_string_equal(set_error(p, "device.count", "4us").c_str(),
                        "--set: device.count = '4us': a plain number: a unit suffix ('us') is not accepted");
    assert_string_equal(set_error(p, "run.max_time_us", "1.5").c_str(),
                        "--set: run.max_time_us = '1.5': expected a non-negative integer");
    assert_string_equal(set_error(p, "run.max_time_us", "-1ms").c_str(),
                        "--set: run.max_time_us = '-1ms': expected a non-negative integer");
    assert_string_equal(set_error(p, "run.max_time_us", "01ms").c_str(),
                        "--set: run.max_time_us = '01ms': leading zeros are not allowed (integers are decimal, or "
                        "hexadecimal with 0x)");
    // a refused value leaves the key as it was
    assert_int_equal(p.u64("run.max_time_us"), 1000);
}

void test_link(void**)
{
    params p;
    assert_string_equal(set_error(p, "pcie.link", "Gen4x8").c_str(), "");
    assert_string_equal(p.str("pcie.gen").c_str(), "gen4");
    assert_string_equal(p.str("pcie.lanes").c_str(), "8");
    assert_string_equal(set_error(p, "pcie.link", "gen2X16").c_str(), "");
    assert_string_equal(p.str("pcie.gen").c_str(), "gen2");
    assert_string_equal(p.str("pcie.lanes").c_str(), "16");
    for (const char* bad : {"Gen7x8", "Gen4x3", "Gen4", "x8", "Genx8", "4x8", ""})
        assert_string_equal(set_error(p, "pcie.link", bad).c_str(),
                            ("--set: pcie.link = '" + std::string(bad) +
                             "': expected Gen<1-6>x<lanes> (lanes: 1, 2, 4, 8, 16), e.g. Gen4x8; it sets pcie.gen "
                             "and pcie.lanes")
                                .c_str());
    assert_string_equal(p.str("pcie.gen").c_str(), "gen2");
    // In one file, pcie.link and pcie.gen or pcie.lanes contradict.
    params q;
    try {
        q.load_yaml("pcie:\n  lanes: 4\n  link: Gen3x8\n", "t.yaml");
        fail();
    } catch (const config_error& e) {
        assert_string_equal(e.what(), "t.yaml: line 3: 'pcie.link' and 'pcie.lanes' (line 2) both set the link: "
                                      "pcie.link sets pcie.gen and pcie.lanes");
    }
}

std::string expect_error(const std::string& e)
{
    expectation x;
    return parse_expectation(e, x);
}

void test_expectations(void**)
{
    expectation x;
    assert_string_equal(parse_expectation("summary.fault_latency_ps.p99 < 100us", x).c_str(), "");
    assert_true(x.value == 1e8);
    assert_string_equal(parse_expectation("summary.fault_latency_ps.p99 < 1.5 ms", x).c_str(), "");
    assert_true(x.value == 1.5e9);
    assert_string_equal(parse_expectation("dev.0001.arrival_gap_mean_ns > 48.5us", x).c_str(), "");
    assert_true(x.value == 48500);
    assert_string_equal(parse_expectation("dev.0001.dma_bytes == 64KiB", x).c_str(), "");
    assert_true(x.value == 65536);
    assert_string_equal(parse_expectation("platform.dram.bytes_allocated < 1 MB", x).c_str(), "");
    assert_true(x.value == 1e6);
    assert_string_equal(parse_expectation("summary.sim_time_ps >= -1s", x).c_str(), "");
    assert_true(x.value == -1e12);
    // the numeric forms as before
    assert_string_equal(parse_expectation("summary.faults >= 1024", x).c_str(), "");
    assert_true(x.value == 1024);
    assert_null(x.given);
    assert_string_equal(parse_expectation("dev.0001.arrival_gap_cv < 1.04", x).c_str(), "");
    // a unit on a count, a rate, a distribution's count
    assert_string_equal(expect_error("summary.faults > 5us").c_str(),
                        "expectation 'summary.faults > 5us': summary.faults is a count or a plain number "
                        "(docs/results.md, Units); a unit ('us') is not accepted");
    assert_string_equal(expect_error("dev.0001.stream.0.dma_bytes_per_us > 1KiB").c_str(),
                        "expectation 'dev.0001.stream.0.dma_bytes_per_us > 1KiB': dev.0001.stream.0.dma_bytes_per_us "
                        "is a count or a plain number (docs/results.md, Units); a unit ('KiB') is not accepted");
    assert_string_not_equal(expect_error("summary.fault_latency_ps.count > 1us").c_str(), "");
    // the wrong dimension, an unknown unit
    assert_string_equal(expect_error("summary.fault_latency_ps.p99 < 2GiB").c_str(),
                        "expectation 'summary.fault_latency_ps.p99 < 2GiB': 'GiB' is a size unit, but "
                        "summary.fault_latency_ps.p99 is a time in ps (units: ps, ns, us, \xC2\xB5s, ms, s)");
    assert_string_equal(expect_error("summary.sim_time_ps < 5 parsecs").c_str(),
                        "expectation 'summary.sim_time_ps < 5 parsecs': unknown unit 'parsecs'; summary.sim_time_ps "
                        "is a time in ps (units: ps, ns, us, \xC2\xB5s, ms, s)");
    assert_string_equal(expect_error("summary.faults < 5 # x").c_str(),
                        "expectation 'summary.faults < 5 # x' is not of the form '<key> <op> <number>[unit]' (op: "
                        "== != < <= > >=)");
    // the units of results (docs/results.md, Units)
    assert_string_equal(result_unit("summary.fault_latency_ps.p50")->symbol, "ps");
    assert_string_equal(result_unit("platform.handler_service.max")->symbol, "ps");
    assert_string_equal(result_unit("dev.0001.fault_latency.mean")->symbol, "ps");
    assert_string_equal(result_unit("pcie0.up.wire_busy_ps")->symbol, "ps");
    assert_string_equal(result_unit("dev.0001.arrival_gap_mean_ns")->symbol, "ns");
    assert_string_equal(result_unit("dev.0002.stream.1.dma_bytes")->symbol, "bytes");
    assert_null(result_unit("summary.fault_latency_ps.count"));
    assert_null(result_unit("summary.faults_per_sim_second"));
    assert_null(result_unit("iommu0.pq.occupancy_avg"));
    assert_null(result_unit("summary.pq_hwm"));
}

// Every value error of a file, and every rule across keys, in one pass.
void test_all_errors(void**)
{
    params p;
    try {
        p.load_yaml("run: {max_time_us: 2GiB, quantum_ns: 1.5ps}\n"
                    "device:\n  count: 9000\n  stream: 4\n  count: 3\n"
                    "nonsense: 1\n",
                    "t.yaml");
        fail();
    } catch (const config_error& e) {
        assert_int_equal(e.errors.size(), 6);
        assert_true(e.errors[0].find("t.yaml: run.max_time_us = '2GiB': 'GiB' is a size unit") == 0);
        assert_true(e.errors[1].find("t.yaml: run.quantum_ns = '1.5ps': not a whole number of ns") == 0);
        assert_true(e.errors[2].find("t.yaml: device.count = '9000': out of range") == 0);
        assert_true(e.errors[3].find("t.yaml: unknown scenario key 'device.stream'") == 0);
        assert_string_equal(e.errors[4].c_str(), "t.yaml: line 5: key 'device.count' appears twice (first at line 3)");
        assert_true(e.errors[5].find("t.yaml: unknown scenario key 'nonsense'") == 0);
        std::string all;
        for (const auto& m : e.errors) all += (all.empty() ? "" : "\n") + m;
        assert_string_equal(e.what(), all.c_str());
    }
    // Rules across keys: both broken ones are reported.
    params q;
    q.set("iommu.sv57", "true", "--set");
    q.set("pcie.link_latency_ns", "500000", "--set");
    try {
        q.validate();
        fail();
    } catch (const config_error& e) {
        assert_int_equal(e.errors.size(), 2);
        assert_true(e.errors[0].find("iommu.sv57 = true needs iommu.sv48 = true") == 0);
        assert_true(e.errors[1].find("iommu.ats_inval_timeout_us = 1000 and pcie.link_latency_ns = 500000") == 0);
    }
    // A rule on a key whose value was refused is not judged.
    params r;
    r.set("pcie.link_latency_ns", "500000", "--set");
    assert_string_not_equal(set_error(r, "iommu.ats_inval_timeout_us", "1.5us").c_str(), "");
    r.validate();
}

void test_print_scenario(void**)
{
    params p;
    p.load_yaml(default_scenario_yaml, "built-in scenario");
    p.set("run.max_time_us", "2s", "--set");
    p.set("name", "a: \"b\" # c", "--set");
    p.set("device.iova_base", "0x20000000", "--set");
    p.set("sw.cost.handler.sigma", "0.1", "--set");
    p.set("pcie.link", "Gen3x4", "--set");
    p.set("class.b.count", "2", "--set");
    p.set("class.a.think_ns", "3us", "--set");
    p.add_expectation("summary.fault_latency_ps.p99 < 100us");
    const std::string yaml = p.to_yaml("header\n\nline 3");
    assert_true(yaml.find("# header\n#\n# line 3\nname: \"a: \\\"b\\\" # c\"\nseed: 1\n") == 0);
    assert_true(yaml.find("\nrun.max_time_us: 2000000 ") != std::string::npos);
    assert_true(yaml.find("  # us\n") != std::string::npos);
    assert_true(yaml.find("\ndevice.iova_base: 0x20000000\n") != std::string::npos);
    assert_true(yaml.find("\nclass.b.count: 2\nclass.a.think_ns: 3000") != std::string::npos);
    assert_true(yaml.find("\nexpect:\n  - \"summary.faults >= 1024\"\n  - \"summary.pq_overflows == 0\"\n"
                          "  - \"summary.fault_latency_ps.p99 < 100us\"\n") != std::string::npos);
    params back;
    back.load_yaml(yaml, "printed");
    assert_string_equal(back.to_json().dump().c_str(), p.to_json().dump().c_str());
    assert_true(back.expectations() == p.expectations());
    assert_int_equal(back.classes().size(), 2);
    assert_string_equal(back.classes()[0].name.c_str(), "b"); // class order is RID order
    assert_string_equal(back.to_yaml("header\n\nline 3").c_str(), yaml.c_str());
    // Text YAML would read otherwise: escapes, and no line break from NEL,
    // U+2028 or a byte-order mark.
    for (const char* name : {"a\tb\\c\xC2\x85" "d\xE2\x80\xA8" "e\xEF\xBB\xBF" "f", "null", "~", "-x", "a: b", "#c",
                             "'q'", "\xC2\xB5s \xCE\xBC", "true", "[1]", "{a: 1}", "*x", "&y", "!t", "|", ">"}) {
        params n;
        n.set("name", name, "--set");
        params m;
        m.load_yaml(n.to_yaml(), "printed");
        assert_string_equal(m.str("name").c_str(), name);
    }
    // No expectation: an empty list.
    params e;
    assert_true(e.to_yaml().find("\nexpect: []\n") != std::string::npos);
    params e2;
    e2.load_yaml(e.to_yaml(), "printed");
    assert_true(e2.expectations().empty());
}

} // namespace

int sc_main(int, char*[])
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),        cmocka_unit_test(test_split),
        cmocka_unit_test(test_convert_exact), cmocka_unit_test(test_keys),
        cmocka_unit_test(test_link),         cmocka_unit_test(test_expectations),
        cmocka_unit_test(test_all_errors),   cmocka_unit_test(test_print_scenario),
    };
    return cmocka_run_group_tests_name("system.units", tests, nullptr, nullptr);
}
