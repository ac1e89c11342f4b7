// SPDX-License-Identifier: Apache-2.0
//
// Description: rtl/iotlb.sv against its C++ reference, cycle by cycle, with directed cases
// for the invalidation scopes of spec digest riscv-iommu.md section 10.2 (expected survivors
// as constants, the same table as the model's test_iotinval_vma_scopes), LRU replacement,
// superpage sets and timing, and a long seeded random mix of lookups, fills and every
// invalidation scope at several geometries. With one set the block must behave as a fully
// associative LRU cache: the random case checks every lookup against one as well.
//
// Usage: tb_iotlb [+trace] [+seed=N] [+cycles=N]
//   +trace     write tb_iotlb_<case>.fst per case
//   +seed=N    seed of the random cases (default 1)
//   +cycles=N  length of the random mix, over all geometries (default 200000)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka 1.1 has no C++ guards of its own
#include <cmocka.h>
}

#include <cinttypes>
#include <cstdio>
#include <list>
#include <vector>

#include "iotlb_bench.h"
#include "vl_bench.h"

using namespace iotlbt;

namespace {

using rtlbench::run_opts;

struct test_ctx {
    const char *name;
    const run_opts *opts;
};

const run_opts &opts(void **state)
{
    return *static_cast<test_ctx *>(*state)->opts;
}
const char *case_name(void **state)
{
    return static_cast<test_ctx *>(*state)->name;
}

iotlb_in fill_req(bool gv, uint16_t gscid, bool gonly, uint32_t pscid, bool global,
                  uint64_t va, unsigned log2)
{
    iotlb_in in;
    in.op = OP_FILL;
    in.gv = gv;
    in.gscid = gscid;
    in.gonly = gonly;
    in.pscid = pscid;
    in.global = global;
    in.log2 = log2;
    in.vpn = (va >> 12) & ~((uint64_t(1) << (log2 - 12)) - 1);
    return in;
}

iotlb_in lookup_req(bool gv, uint16_t gscid, bool gonly, uint32_t pscid, uint64_t va,
                    unsigned log2, bool anysize)
{
    iotlb_in in;
    in.op = OP_LOOKUP;
    in.gv = gv;
    in.gscid = gscid;
    in.gonly = gonly;
    in.pscid = pscid;
    in.vpn = va >> 12;
    in.log2 = log2;
    in.anysize = anysize;
    return in;
}

iotlb_in inval_req(unsigned op, bool gv, uint16_t gscid, bool av, uint64_t addr, bool pscv,
                   uint32_t pscid)
{
    iotlb_in in;
    in.op = op;
    in.gv = gv;
    in.gscid = gscid;
    in.av = av;
    in.vpn = addr >> 12;
    in.log2 = 12;
    in.pscv = pscv;
    in.pscid = pscid;
    return in;
}

// ---------------------------------------------------------------------------------------

// After reset the block clears its active sets, one per cycle, then is ready and empty.
void test_reset_clear(void **state)
{
    iotlb_bench b(case_name(state), opts(state).trace, opts(state).seed, 4, 4);
    uint64_t busy = 0;
    while (!b.ref().out().req_ready) {
        assert_true(b.step(iotlb_in{}));
        ++busy;
    }
    assert_int_equal(busy, 16);
    iotlb_out o;
    assert_true(b.request(lookup_req(false, 0, false, 1, 0x1000, 12, false), &o));
    assert_true(o.rsp_valid);
    assert_false(o.rsp_hit);
    assert_int_equal(b.ref().count(), 0);
}

// Section 10.2: the eight IOTINVAL.VMA scopes and the IOTINVAL.GVMA scopes on two host
// address spaces (PSCID 1, 2) and two of one VM (GSCID 0x7A0, PSCID 3, 4), each with a
// private page and a global page of its own, plus a G-stage-only entry of the VM. Bit 2i is
// space i's private page, 2i + 1 its global page, bit 8 the G-stage-only entry.
void test_inval_scopes(void **state)
{
    const uint16_t g = 0x7A0;
    const uint64_t va = 0x5000'0000, vg = 0x5020'0000, gpa = 0x9000'0000;
    struct space {
        bool gv;
        uint32_t pscid;
    } sp[4] = {{false, 1}, {false, 2}, {true, 3}, {true, 4}};
    auto gva = [&](unsigned i) { return vg + uint64_t(i) * 0x1000; };
    for (const unsigned sets_log2 : {0u, 3u}) {
        iotlb_bench b(case_name(state), opts(state).trace, opts(state).seed, sets_log2, 16);
        assert_true(b.wait_ready());
        auto load = [&] {
            iotlb_out o;
            for (unsigned i = 0; i < 4; ++i) {
                assert_true(b.request(fill_req(sp[i].gv, g, false, sp[i].pscid, false, va, 12), &o));
                assert_true(b.request(fill_req(sp[i].gv, g, false, sp[i].pscid, true, gva(i), 12), &o));
            }
            assert_true(b.request(fill_req(true, g, true, 0, false, gpa, 21), &o));
        };
        auto present = [&](bool gv, uint32_t pscid, bool gonly, uint64_t a, unsigned log2) {
            iotlb_out o;
            assert_true(b.request(lookup_req(gv, g, gonly, pscid, a, log2, sets_log2 == 0), &o));
            return o.rsp_hit;
        };
        auto surviving = [&] {
            unsigned m = 0;
            for (unsigned i = 0; i < 4; ++i) {
                m |= unsigned(present(sp[i].gv, sp[i].pscid, false, va, 12)) << (2 * i);
                m |= unsigned(present(sp[i].gv, sp[i].pscid, false, gva(i), 12)) << (2 * i + 1);
            }
            return m | unsigned(present(true, 0, true, gpa + 0x3000, 21)) << 8;
        };
        struct row {
            iotlb_in cmd;
            unsigned left;
        } rows[] = {
            {inval_req(OP_INV_VMA, false, 0, false, 0, false, 0), 0x1F0},    // GV0 AV0 PSCV0
            {inval_req(OP_INV_VMA, false, 0, false, 0, true, 1), 0x1FE},     // GV0 AV0 PSCV1
            {inval_req(OP_INV_VMA, false, 0, true, va, false, 0), 0x1FA},    // GV0 AV1 PSCV0
            {inval_req(OP_INV_VMA, false, 0, true, gva(0), false, 0), 0x1FD},
            {inval_req(OP_INV_VMA, false, 0, true, va, true, 1), 0x1FE},     // GV0 AV1 PSCV1
            {inval_req(OP_INV_VMA, false, 0, true, gva(0), true, 1), 0x1FF}, // not a global one
            {inval_req(OP_INV_VMA, true, g, false, 0, false, 0), 0x10F},     // GV1 AV0 PSCV0
            {inval_req(OP_INV_VMA, true, g, false, 0, true, 3), 0x1EF},      // GV1 AV0 PSCV1
            {inval_req(OP_INV_VMA, true, g, true, va, false, 0), 0x1AF},     // GV1 AV1 PSCV0
            {inval_req(OP_INV_VMA, true, g, true, gva(2), false, 0), 0x1DF},
            {inval_req(OP_INV_VMA, true, g, true, va, true, 3), 0x1EF},      // GV1 AV1 PSCV1
            {inval_req(OP_INV_VMA, true, g, true, gva(2), true, 3), 0x1FF},
            {inval_req(OP_INV_VMA, true, g + 1, false, 0, false, 0), 0x1FF}, // another GSCID
            {inval_req(OP_INV_GVMA, false, 0, false, 0, false, 0), 0x00F},   // every VM
            {inval_req(OP_INV_GVMA, true, g, false, 0, false, 0), 0x00F},    // the GSCID
            {inval_req(OP_INV_GVMA, true, g + 1, false, 0, false, 0), 0x1FF},
            {inval_req(OP_INV_GVMA, true, g, true, gpa + 0x1F'F000, false, 0), 0x00F}, // its GPA
            {inval_req(OP_INV_GVMA, true, g, true, va, false, 0), 0x10F},    // another GPA
            {inval_req(OP_FLUSH, false, 0, false, 0, false, 0), 0x000},
        };
        for (const row &w : rows) {
            load();
            assert_int_equal(surviving(), 0x1FF);
            std::vector<sweep_ev> sw;
            uint64_t cycles = 0;
            assert_true(b.invalidate(w.cmd, &sw, &cycles));
            assert_int_equal(cycles, 1u << sets_log2); // one set per cycle
            if (surviving() != w.left)
                std::fprintf(stderr, "sets 2^%u: row op %u gv %d av %d pscv %d: left 0x%x, "
                             "expected 0x%x\n", sets_log2, w.cmd.op, w.cmd.gv, w.cmd.av,
                             w.cmd.pscv, surviving(), w.left);
            assert_int_equal(surviving(), w.left);
        }
        // AV with one set: the owner sweeps only the set of each page size it caches.
        load();
        iotlb_in c = inval_req(OP_INV_VMA, false, 0, true, va, false, 0);
        c.oneset = true;
        std::vector<sweep_ev> sw;
        uint64_t cycles = 0;
        assert_true(b.invalidate(c, &sw, &cycles));
        assert_int_equal(cycles, 1);
        assert_int_equal(sw.size(), 1);
        assert_int_equal(sw[0].set, b.ref().set_of(va >> 12, 12));
        assert_int_equal(surviving(), 0x1FA);
    }
}

// True LRU in a set: the way least recently looked up or filled is replaced; a fill of a
// page already cached rewrites its way.
void test_lru(void **state)
{
    iotlb_bench b(case_name(state), opts(state).trace, opts(state).seed, 0, 4);
    assert_true(b.wait_ready());
    iotlb_out o;
    for (unsigned i = 0; i < 4; ++i) {
        assert_true(b.request(fill_req(false, 0, false, 1, false, 0x1000 * (i + 1), 12), &o));
        assert_false(o.rsp_hit);
        assert_int_equal(o.rsp_way, i);
    }
    assert_true(b.request(lookup_req(false, 0, false, 1, 0x1000, 12, true), &o)); // way 0
    assert_true(o.rsp_hit);
    assert_int_equal(o.rsp_way, 0);
    assert_true(b.request(fill_req(false, 0, false, 1, false, 0x9000, 12), &o)); // evicts way 1
    assert_true(o.rsp_hit);
    assert_int_equal(o.rsp_way, 1);
    assert_true(b.request(fill_req(false, 0, false, 1, false, 0x3000, 12), &o)); // same page
    assert_true(o.rsp_hit);
    assert_int_equal(o.rsp_way, 2);
    assert_true(b.request(fill_req(false, 0, false, 1, false, 0xA000, 12), &o)); // way 3 now LRU
    assert_int_equal(o.rsp_way, 3);
    assert_true(b.request(lookup_req(false, 0, false, 1, 0x2000, 12, true), &o));
    assert_false(o.rsp_hit);
}

// Superpages: an entry of 2^L bytes lives in set (VA >> L) mod sets; a probe of another size
// misses it, anysize (one set) finds every size; the smallest page wins, then non-global.
void test_superpages(void **state)
{
    {
        iotlb_bench b(case_name(state), opts(state).trace, opts(state).seed, 4, 4);
        assert_true(b.wait_ready());
        iotlb_out o;
        const uint64_t va = 0x1234'5678'9000ull;
        for (const unsigned l : {16u, 21u, 30u, 39u, 48u}) {
            assert_true(b.request(fill_req(false, 0, false, 1, false, va, l), &o));
            assert_int_equal(o.rsp_set, (va >> l) & 15);
            assert_true(b.request(lookup_req(false, 0, false, 1, va, 12, false), &o));
            assert_false(o.rsp_hit); // only a 4 KiB entry answers a 4 KiB probe
            assert_true(b.request(lookup_req(false, 0, false, 1, va, l, false), &o));
            assert_true(o.rsp_hit);
            assert_int_equal(o.rsp_set, (va >> l) & 15);
        }
    }
    iotlb_bench b(case_name(state), opts(state).trace, opts(state).seed, 0, 8);
    assert_true(b.wait_ready());
    iotlb_out o;
    assert_true(b.request(fill_req(false, 0, false, 1, true, 0x4000'0000, 30), &o));  // 1 GiB G
    assert_true(b.request(fill_req(false, 0, false, 1, false, 0x4000'0000, 30), &o)); // 1 GiB
    assert_true(b.request(fill_req(false, 0, false, 1, true, 0x4020'0000, 21), &o));  // 2 MiB G
    assert_true(b.request(lookup_req(false, 0, false, 1, 0x4020'1000, 12, true), &o));
    assert_true(o.rsp_hit);
    assert_int_equal(o.rsp_way, 2);  // the smallest page
    assert_true(b.request(lookup_req(false, 0, false, 1, 0x4060'0000, 12, true), &o));
    assert_int_equal(o.rsp_way, 1);  // non-global over global
    assert_true(b.request(lookup_req(false, 0, false, 2, 0x4060'0000, 12, true), &o));
    assert_int_equal(o.rsp_way, 0);  // another PSCID: the global one
}

// A fully associative LRU cache with model/iommu/iotlb.cpp's rules, for the one-set check.
class fa_lru {
public:
    explicit fa_lru(unsigned cap) : m_cap(cap) {}
    const tag *lookup(const iotlb_in &in)
    {
        auto best = m_l.end();
        for (auto it = m_l.begin(); it != m_l.end(); ++it) {
            if (!matches(*it, in))
                continue;
            if (best == m_l.end() || it->log2 < best->log2 ||
                (it->log2 == best->log2 && best->global && !it->global))
                best = it;
        }
        if (best == m_l.end())
            return nullptr;
        m_l.splice(m_l.begin(), m_l, best);
        return &m_l.front();
    }
    void fill(const iotlb_in &in)
    {
        const tag t = tag_of(in);
        m_l.remove_if([&](const tag &e) { return e == t; });
        if (m_l.size() == m_cap)
            m_l.pop_back();
        m_l.push_front(t);
    }
    void invalidate(const iotlb_in &in)
    {
        m_l.remove_if([&](const tag &e) { return kills(e, in); });
    }
    size_t size() const { return m_l.size(); }

private:
    unsigned m_cap;
    std::list<tag> m_l; // most recent first
};

struct geometry {
    unsigned sets_log2, ways, share; // share: parts of +cycles
};

// A long seeded mix at one geometry. Returns false on a mismatch.
bool random_mix(void **state, const geometry &geo, uint64_t cycles, unsigned counts[8])
{
    iotlb_bench b(case_name(state), opts(state).trace, opts(state).seed + geo.sets_log2 * 131 + geo.ways,
                  geo.sets_log2, geo.ways);
    if (!b.wait_ready())
        return false;
    const bool one_set = geo.sets_log2 == 0;
    fa_lru fa(geo.ways);
    // data RAM shadow: the tag each (set, way) was filled with
    std::vector<tag> ram(size_t(b.ref().sets()) * geo.ways);
    static const unsigned sizes[] = {12, 12, 12, 12, 12, 16, 21, 21, 30, 39, 48};
    bench_rng &r = b.rng;
    std::vector<iotlb_in> recent; // fills, for lookups that hit
    auto pick_space = [&](iotlb_in &in) {
        in.gv = r.chance(500);
        in.gscid = uint16_t(5 + r.below(2));
        in.gonly = in.gv && r.chance(250);
        in.pscid = in.gonly ? 0 : uint32_t(1 + r.below(3));
    };
    // Addresses in a 64 MiB window (conflicts at every size), now and then far away.
    auto pick_va = [&] {
        const uint64_t base = r.chance(50) ? (r.below(1u << 20) << 26) : 0x40'0000'0000ull;
        return base + (r.below(1u << 14) << 12);
    };
    while (b.cycle() < cycles) {
        // Per mille: invalidations (rarer with many sets: each sweeps them all), then lookups
        // and fills 55 : 30.
        const unsigned inv_pm = geo.sets_log2 > 4 ? 15 : 150;
        const unsigned k = unsigned(r.below(1000));
        const unsigned lkp_end = 1000 - (1000 - inv_pm) * 30 / 85, fill_end = 1000;
        iotlb_out o;
        if (k >= inv_pm && k < lkp_end) {
            iotlb_in in;
            pick_space(in);
            in = lookup_req(in.gv, in.gscid, in.gonly, in.pscid, pick_va(),
                            sizes[r.below(11)], one_set || r.chance(100));
            if (!recent.empty() && r.chance(300)) { // a page filled lately
                in = recent[r.below(recent.size())];
                in.op = OP_LOOKUP;
                in.vpn |= r.below(uint64_t(1) << (in.log2 - 12));
                in.anysize = one_set;
            }
            if (!b.request(in, &o))
                return false;
            ++counts[o.rsp_hit ? 0 : 1];
            if (one_set) {
                const tag *want = fa.lookup(in);
                if (bool(want) != o.rsp_hit ||
                    (want && !(*want == ram[o.rsp_way]))) {
                    std::fprintf(stderr, "cycle %" PRIu64 ": one set differs from a fully "
                                 "associative LRU cache (hit %d, expected %d)\n", b.cycle(),
                                 o.rsp_hit, want != nullptr);
                    return false;
                }
            }
        } else if (k >= inv_pm && k < fill_end) {
            iotlb_in in;
            pick_space(in);
            in = fill_req(in.gv, in.gscid, in.gonly, in.pscid, !in.gonly && r.chance(150),
                          pick_va(), sizes[r.below(11)]);
            if (!recent.empty() && r.chance(100)) // the same page again
                in = recent[r.below(recent.size())];
            if (!b.request(in, &o))
                return false;
            ++counts[o.rsp_hit ? 2 : 3];
            ram[size_t(o.rsp_set) * geo.ways + o.rsp_way] = tag_of(in);
            if (recent.size() < 64)
                recent.push_back(in);
            else
                recent[r.below(64)] = in;
            if (one_set)
                fa.fill(in);
        } else {
            const unsigned op = r.chance(200) ? OP_FLUSH : r.chance(600) ? OP_INV_VMA : OP_INV_GVMA;
            iotlb_in in = inval_req(op, r.chance(500), uint16_t(5 + r.below(2)), r.chance(500),
                                    pick_va(), op == OP_INV_VMA && r.chance(500),
                                    uint32_t(1 + r.below(3)));
            if (in.av && op == OP_INV_VMA && r.chance(500)) { // the owner's one-set sweep
                in.oneset = true;
                in.log2 = sizes[r.below(11)];
            }
            std::vector<sweep_ev> sw;
            uint64_t n = 0;
            const unsigned before = b.ref().count();
            if (!b.invalidate(in, &sw, &n))
                return false;
            const unsigned want_n = in.oneset ? 1 : b.ref().sets();
            if (n != want_n || sw.size() != want_n) {
                std::fprintf(stderr, "invalidation took %" PRIu64 " cycles, expected %u\n", n,
                             want_n);
                return false;
            }
            unsigned killed = 0;
            for (const sweep_ev &e : sw)
                killed += unsigned(__builtin_popcountll(e.kill));
            if (before - killed != b.ref().count())
                return false;
            ++counts[op == OP_FLUSH ? 4 : op == OP_INV_VMA ? 5 : 6];
            if (killed)
                ++counts[7];
            if (one_set) {
                fa.invalidate(in);
                if (fa.size() != b.ref().count()) {
                    std::fprintf(stderr, "cycle %" PRIu64 ": %u entries left, a fully "
                                 "associative cache keeps %zu\n", b.cycle(), b.ref().count(),
                                 fa.size());
                    return false;
                }
            }
        }
    }
    return !b.failed();
}

void test_random(void **state)
{
    static const geometry geos[] = {
        {0, 64, 4}, // the fully associative default of earlier versions
        {0, 1, 1}, {0, 7, 2}, {4, 4, 4}, {3, 8, 2}, {6, 2, 3}, {10, 64, 4},
    };
    unsigned share = 0;
    for (const geometry &g : geos)
        share += g.share;
    static const char *names[8] = {"lookup hits", "lookup misses", "fills replacing",
                                   "fills into a free way", "flushes", "VMA", "GVMA",
                                   "invalidations that removed entries"};
    for (const geometry &g : geos) {
        unsigned counts[8] = {};
        const uint64_t n = opts(state).cycles * g.share / share;
        std::printf("rtl.iotlb random: %u sets x %u ways, %" PRIu64 " cycles\n",
                    1u << g.sets_log2, g.ways, n);
        assert_true(random_mix(state, g, n, counts));
        // Each kind of invalidation sweeps up to 1024 sets: fewer of them fit in the cycles.
        for (unsigned i = 0; i < 8; ++i) {
            const unsigned least = i >= 4 && i <= 6 ? (g.sets_log2 > 4 ? 1 : 3) : 20;
            if (counts[i] < least)
                std::fprintf(stderr, "%u x %u: only %u %s\n", 1u << g.sets_log2, g.ways,
                             counts[i], names[i]);
            assert_true(counts[i] >= least);
        }
    }
}

} // namespace

int main(int argc, char **argv)
{
    run_opts opts;

    if (!rtlbench::parse_plusargs(argc, argv, opts))
        return 2;

    struct entry {
        const char *name;
        CMUnitTestFunction fn;
    };
    static const entry cases[] = {
        {"reset_clear", test_reset_clear},
        {"inval_scopes", test_inval_scopes},
        {"lru", test_lru},
        {"superpages", test_superpages},
        {"random", test_random},
    };
    constexpr size_t n = sizeof(cases) / sizeof(cases[0]);
    std::vector<test_ctx> ctxs(n);
    std::vector<CMUnitTest> tests(n);

    for (size_t i = 0; i < n; i++) {
        ctxs[i] = {cases[i].name, &opts};
        tests[i] = {cases[i].name, cases[i].fn, nullptr, nullptr, &ctxs[i]};
    }
    std::printf("rtl.iotlb: random seed %" PRIu64 "\n", opts.seed);
    return _cmocka_run_group_tests("rtl.iotlb", tests.data(), n, nullptr, nullptr);
}
