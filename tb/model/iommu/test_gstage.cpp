// SPDX-License-Identifier: Apache-2.0
//
// Description: G-stage and nested (two-stage) translation of the RISC-V
// IOMMU model (model.iommu.gstage): iohgatp modes Sv39x4, Sv48x4 and Sv57x4
// (riscv-iommu.md §15.3, §17; privileged spec, hypervisor extension) alone
// (first stage Bare) and under an Sv39/Sv48 first stage, superpages of
// both stages, guest-page faults (causes 20/21/23, iotval2 = GPA with the
// implicit-access bits, §11.1) on the final GPA and on implicit accesses
// (first-stage PTE fetches and A/D stores, PDT/PC loads), access faults of
// the G-stage walk, GADE, the GSCID-tagged IOTLB and the IOTINVAL.GVMA /
// IOTINVAL.VMA (GV = 1) scopes (§10.2), ATS completions (§14) and the
// iohgatp device-context checks (§15.4 #11, #13), and fault injection on
// G-stage table accesses. IOMMUs: "full" (Sv48, Sv57, Sv39x4, Sv48x4,
// Sv57x4, AMO_HWAD, PD8), "plain" (Sv39 only: a G-stage mode is a
// misconfiguration), and two "full" ones with pgtbl injection. Every assertion is on an FQ
// record (CAUSE, TTYP, iotval, iotval2), an ATS completion, DMA data or a
// PTE in memory, or the number of memory accesses (IOTLB hit or miss).
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "iommu/iommu_defs.h"
#include "iommu/riscv_iommu.h"
#include "model/iommu/iommu_bench.h"
#include "pcie/tlp.h"

// cmocka last: its fail() macro would clash with std::basic_ios::fail().
#include <setjmp.h>
extern "C" {
#include <cmocka.h>

#include "model/iommu/iommu_rig.h"
}

using namespace prisim;
using namespace prisim::iommu;
using sc_core::sc_time;
using sc_core::SC_US;

namespace {

// ---- memory map of each rig (system physical addresses) ----
constexpr uint64_t DDT_ROOT = 0x0010'0000; // 1LVL directory
constexpr uint64_t CQ = 0x0020'0000;       // 8 commands
constexpr uint64_t FQ = 0x0021'0000;       // 64 records
constexpr uint64_t TABLES = 0x0100'0000;   // page-table pages of both stages
constexpr uint64_t HOLE = 0x0800'0000;     // [HOLE, HOLE + 64 KiB) faults
constexpr uint64_t GUEST = 0x4000'0000;    // GPAs of guest structures (tables, PDT)
constexpr uint32_t FQ_N = 64;
constexpr uint32_t CQ_N = 8;
constexpr uint64_t RW = PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;

uint64_t level_size(unsigned level) { return uint64_t(1) << (12 + 9 * level); }
uint64_t leaf(uint64_t pa, uint64_t perms) { return ((pa >> 12) << 10) | perms | PTE_V; }

using tb::pasid_prefix;

class rig : public tb::iommu_rig {
public:
    rig(sc_core::sc_module_name n, const iommu_params& p) : iommu_rig(n, p, {{HOLE, HOLE + 0xFFFF}}) {}

    void start() { start_queues(DDT_ROOT, CQ, 2, FQ, 5); }

    // A device: DC.iohgatp = gmode (root: 16 KiB, 16 KiB aligned) and
    // DC.fsc = fmode (its root a guest page when gmode is not Bare).
    struct dev {
        uint32_t did;
        unsigned gmode, fmode;
        uint64_t groot;   // SPA
        uint64_t froot;   // GPA (SPA without G-stage)
        uint16_t gscid;
        uint64_t dc;      // SPA of the DC
    };
    dev new_dev(unsigned gmode, unsigned fmode, uint16_t gscid, uint64_t tc = TC_V | TC_EN_ATS)
    {
        dev d{m_next_did++, gmode, fmode, 0, 0, gscid, 0};
        d.dc = DDT_ROOT + uint64_t(d.did) * 32;
        if (gmode != IOHGATP_BARE)
            d.groot = pt_alloc(4);
        if (fmode != ATP_BARE)
            d.froot = gmode != IOHGATP_BARE ? guest_page(d) : pt_alloc();
        mem.wr(d.dc, tc);
        mem.wr(d.dc + 8, gmode == IOHGATP_BARE ? 0
                                               : (uint64_t(gmode) << ATP_MODE_SHIFT) |
                                                     (uint64_t(gscid) << 44) | (d.groot >> 12));
        mem.wr(d.dc + 16, uint64_t(d.did) << 12); // PSCID = DID
        mem.wr(d.dc + 24, fmode == ATP_BARE ? 0 : (uint64_t(fmode) << ATP_MODE_SHIFT) | (d.froot >> 12));
        return d;
    }
    uint64_t pt_alloc(unsigned pages = 1)
    {
        m_next_pt = (m_next_pt + pages * 4096 - 1) & ~(uint64_t(pages) * 4096 - 1);
        const uint64_t a = m_next_pt;
        m_next_pt += pages * 4096;
        return a;
    }
    // The G-stage PTE at `level` for gpa (tables below the root made as
    // needed); returns its SPA after writing `pte` there.
    uint64_t gmap(const dev& d, uint64_t gpa, unsigned level, uint64_t pte)
    {
        uint64_t a = d.groot;
        const unsigned top = atp_levels(d.gmode) - 1;
        for (unsigned l = top; l > level; --l) {
            const uint64_t ea = a + ((gpa >> (12 + 9 * l)) & (l == top ? 0x7FF : 0x1FF)) * 8;
            uint64_t e = mem.rd(ea);
            if (!(e & PTE_V)) {
                e = ((pt_alloc() >> 12) << 10) | PTE_V;
                mem.wr(ea, e);
            }
            a = field(e, 53, 10) << 12;
        }
        const uint64_t ea = a + ((gpa >> (12 + 9 * level)) & (level == top ? 0x7FF : 0x1FF)) * 8;
        mem.wr(ea, pte);
        return ea;
    }
    // A fresh guest page for guest structures: a GPA mapped by a 4 KiB
    // G-stage leaf to a fresh SPA page (remembered for spa()).
    uint64_t guest_page(const dev& d)
    {
        const uint64_t gpa = m_next_gpa;
        m_next_gpa += 4096;
        const uint64_t spa = pt_alloc();
        gmap(d, gpa, 0, leaf(spa, RW));
        m_g2s[gpa] = spa;
        return gpa;
    }
    uint64_t spa(const dev& d, uint64_t a) const
    {
        if (d.gmode == IOHGATP_BARE)
            return a;
        return m_g2s.at(a & ~uint64_t(0xFFF)) | (a & 0xFFF);
    }
    // The first-stage PTE at `level` for va; tables are guest pages.
    // Returns the PTE's GPA (SPA without G-stage).
    uint64_t fmap(const dev& d, uint64_t va, unsigned level, uint64_t pte)
    {
        uint64_t a = d.froot;
        for (unsigned l = atp_levels(d.fmode) - 1; l > level; --l) {
            const uint64_t ea = a + ((va >> (12 + 9 * l)) & 0x1FF) * 8;
            uint64_t e = mem.rd(spa(d, ea));
            if (!(e & PTE_V)) {
                const uint64_t p = d.gmode == IOHGATP_BARE ? pt_alloc() : guest_page(d);
                e = ((p >> 12) << 10) | PTE_V;
                mem.wr(spa(d, ea), e);
            }
            a = field(e, 53, 10) << 12;
        }
        const uint64_t ea = a + ((va >> (12 + 9 * level)) & 0x1FF) * 8;
        mem.wr(spa(d, ea), pte);
        return ea;
    }

    void submit(uint64_t dw0, uint64_t dw1)
    {
        mem.wr(CQ + uint64_t(m_cqt) * 16, dw0);
        mem.wr(CQ + uint64_t(m_cqt) * 16 + 8, dw1);
        m_cqt = (m_cqt + 1) % CQ_N;
        w32(REG_CQT, m_cqt);
        settle();
        assert_int_equal(r32(REG_CQH), m_cqt);
        assert_false(r32(REG_CQCSR) & CQCSR_ERRORS);
    }

    pcie::cpl_status dma(const dev& d, uint64_t va, bool write, uint64_t& data, pasid_prefix px = {},
                         bool exec = false, bool translated = false)
    {
        pcie::tlp_ext e;
        e.exec = exec;
        e.kind = write ? pcie::tlp_kind::mem_write : pcie::tlp_kind::mem_read;
        e.at = translated ? pcie::at_t::translated : pcie::at_t::untranslated;
        e.rid = uint16_t(d.did);
        e.pv = px.pv;
        e.pasid = px.pasid;
        e.priv = px.priv;
        unsigned char b[8];
        tb::store_le(b, data, 8);
        ep.send(e, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, va, b, 8);
        data = tb::load_le(b, 8);
        settle();
        return e.status;
    }
    // Memory accesses a DMA read of va makes (1: an IOTLB hit).
    uint64_t dma_accesses(const dev& d, uint64_t va)
    {
        const uint64_t before = mem.accesses;
        uint64_t v = 0;
        assert_int_equal(dma(d, va, false, v), pcie::cpl_status::sc);
        return mem.accesses - before;
    }
    pcie::cpl_status ats(const dev& d, uint64_t va, bool nw, pcie::ats_cpl& c, pasid_prefix px = {})
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::ats_translation_req;
        e.at = pcie::at_t::translation_req;
        e.rid = uint16_t(d.did);
        e.no_write = nw;
        e.pv = px.pv;
        e.pasid = px.pasid;
        e.priv = px.priv;
        unsigned char b[8] = {};
        assert_int_equal(ep.send(e, tlm::TLM_READ_COMMAND, va, b, 8), tlm::TLM_OK_RESPONSE);
        c = pcie::decode_ats_cpl(pcie::load_le64(b));
        settle();
        return e.status;
    }
    std::vector<fault_record> new_faults() { return take_faults(FQ, FQ_N, m_fqh); }

private:
    uint32_t m_next_did = 1;
    uint64_t m_next_pt = TABLES;
    uint64_t m_next_gpa = GUEST;
    std::map<uint64_t, uint64_t> m_g2s;
    uint32_t m_fqh = 0, m_cqt = 0;
};

using tb::cause_of;
using tb::ttyp_of;

// Exactly one FQ record with these fields.
void expect_fault(rig& r, unsigned cause, unsigned ttyp, uint64_t iotval, uint64_t iotval2 = 0)
{
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), cause);
    assert_int_equal(ttyp_of(f[0]), ttyp);
    assert_int_equal(f[0].iotval, iotval);
    assert_int_equal(f[0].iotval2, iotval2);
}
void expect_no_fault(rig& r) { assert_int_equal(r.new_faults().size(), 0); }

uint64_t napot(uint64_t pa, uint64_t size)
{
    return size > 4096 ? pa | (((size >> 1) - 1) & ~uint64_t(0xFFF)) : pa;
}

struct rigs {
    rig* full;
    rig* plain;
    rig* inj_fail;    // full, and the 2nd pgtbl access fails
    rig* inj_corrupt; // full, and the 3rd pgtbl load is corrupted (bit 54)
};

const unsigned G_MODES[] = {IOHGATP_SV39X4, IOHGATP_SV48X4, IOHGATP_SV57X4};

// A GPA with its top bit (one of the root index's 2 extra bits) set and a
// non-zero index at every level.
uint64_t probe_gpa(unsigned gmode)
{
    return (uint64_t(1) << (gpa_bits(gmode) - 1)) | 0x0000'0040'3020'1000ull;
}

// First stage Bare, G-stage only: the IOVA is a GPA; a leaf at every level
// of each mode, DMA at its last bytes, ATS with the leaf's NAPOT range;
// a GPA wider than the mode is a guest-page fault (iotval2 = GPA).
void test_g_only_modes(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    for (unsigned gmode : G_MODES) {
        for (unsigned level = 0; level < atp_levels(gmode); ++level) {
            auto d = r.new_dev(gmode, ATP_BARE, uint16_t(0x100 + gmode * 8 + level));
            const uint64_t size = level_size(level);
            const uint64_t gpa = probe_gpa(gmode) & ~(size - 1);
            const uint64_t pa = level == 0 ? 0x0300'0000 : std::max<uint64_t>(size, 0x4000'0000);
            r.gmap(d, gpa, level, leaf(pa, RW));
            pcie::ats_cpl c;
            assert_int_equal(r.ats(d, gpa + 0x123, false, c), pcie::cpl_status::sc);
            assert_true(c.r && c.w);
            assert_false(c.x || c.u || c.priv || c.global || c.n);
            assert_int_equal(c.s, size > 4096);
            assert_int_equal(c.addr, napot(pa, size));
            uint64_t v = 0x6A6A'0000'0000'0000ull | (gmode << 8) | level;
            assert_int_equal(r.dma(d, gpa + size - 8, true, v), pcie::cpl_status::sc);
            assert_int_equal(r.mem.rd(pa + size - 8), v);
            expect_no_fault(r);
        }
        // Bit gpa_bits set: beyond the mode's GPA width.
        auto d = r.new_dev(gmode, ATP_BARE, 0x1F0);
        const uint64_t wide = (uint64_t(1) << gpa_bits(gmode)) | 0x2006;
        uint64_t v = 1;
        assert_int_equal(r.dma(d, wide, true, v), pcie::cpl_status::ur);
        expect_fault(r, CAUSE_WRITE_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, wide, wide & ~uint64_t(3));
        pcie::ats_cpl c;
        assert_int_equal(r.ats(d, wide, false, c), pcie::cpl_status::sc);
        assert_false(c.r || c.w);
        expect_no_fault(r); // a guest-page fault on ATS is "not present", never logged
    }
}

// G-stage leaf checks: U = 0, a misaligned superpage, reserved bits and a
// pointer at level 0 are guest-page faults; R/W/X per the leaf (ATS: the
// denied permission cleared); A = 0 without GADE faults.
void test_g_leaf_rules(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    auto d = r.new_dev(IOHGATP_SV39X4, ATP_BARE, 0x200);
    const uint64_t g = 0x1'0000'0000;
    struct row {
        uint64_t gpa;
        unsigned level;
        uint64_t pte;
    } bad[] = {
        {g, 0, leaf(0x0300'0000, PTE_R | PTE_W | PTE_A | PTE_D)},           // U = 0
        {g + level_size(1), 1, leaf(0x0020'1000, RW)},                       // misaligned 2 MiB
        {g + 2 * level_size(1), 0, leaf(0x0300'0000, RW) | bit(55)},         // reserved bit
        {g + 3 * level_size(1), 0, leaf(0x0300'0000, PTE_W | PTE_U)},        // W without R
        {g + 4 * level_size(1), 0, leaf(0x0300'0000, PTE_R | PTE_W | PTE_U)}, // A = 0, no GADE
    };
    for (const auto& b : bad) {
        r.gmap(d, b.gpa, b.level, b.pte);
        uint64_t v = 0;
        assert_int_equal(r.dma(d, b.gpa + 0x10, false, v), pcie::cpl_status::ur);
        expect_fault(r, CAUSE_READ_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_READ, b.gpa + 0x10, b.gpa + 0x10);
        pcie::ats_cpl c;
        assert_int_equal(r.ats(d, b.gpa, false, c), pcie::cpl_status::sc);
        assert_false(c.r || c.w);
        expect_no_fault(r);
    }
    // Read-only: a write is a write guest-page fault, ATS grants R only.
    const uint64_t ro = g + 5 * level_size(1);
    r.gmap(d, ro, 0, leaf(0x0301'0000, PTE_R | PTE_U | PTE_A));
    uint64_t v = 5;
    assert_int_equal(r.dma(d, ro + 0x7, true, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_WRITE_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, ro + 0x7, ro + 0x4);
    pcie::ats_cpl c;
    assert_int_equal(r.ats(d, ro, false, c), pcie::cpl_status::sc);
    assert_true(c.r);
    assert_false(c.w);
    // Read-write without D (no GADE): a write faults, ATS grants R only;
    // a read goes through.
    const uint64_t nd = g + 6 * level_size(1);
    r.gmap(d, nd, 0, leaf(0x0302'0000, PTE_R | PTE_W | PTE_U | PTE_A));
    assert_int_equal(r.dma(d, nd, true, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_WRITE_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, nd, nd);
    assert_int_equal(r.ats(d, nd, false, c), pcie::cpl_status::sc);
    assert_true(c.r);
    assert_false(c.w);
    assert_int_equal(r.dma(d, nd, false, v), pcie::cpl_status::sc);
    expect_no_fault(r);
}

// GADE (AMO_HWAD): the G-stage walker sets A, and D on a write, in memory.
void test_gade(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    auto d = r.new_dev(IOHGATP_SV48X4, ATP_BARE, 0x210, TC_V | TC_EN_ATS | TC_GADE);
    const uint64_t gpa = 0x2'0000'0000;
    const uint64_t clean = PTE_R | PTE_W | PTE_U;
    const uint64_t at = r.gmap(d, gpa, 1, leaf(0x0400'0000, clean));
    uint64_t v = 0;
    assert_int_equal(r.dma(d, gpa, false, v), pcie::cpl_status::sc);
    assert_int_equal(r.mem.rd(at), leaf(0x0400'0000, clean | PTE_A));
    v = 0x99;
    assert_int_equal(r.dma(d, gpa + 0x1000, true, v), pcie::cpl_status::sc);
    assert_int_equal(r.mem.rd(at), leaf(0x0400'0000, clean | PTE_A | PTE_D));
    assert_int_equal(r.mem.rd(0x0400'1000), 0x99);
    expect_no_fault(r);
}

// Both stages: Sv39 over Sv39x4 and Sv48 over Sv57x4, with superpages of
// either stage; the translation (and the ATS range) is the smaller leaf.
void test_nested_ok(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    struct row {
        unsigned gmode, fmode;
        unsigned flevel, glevel;
    } rows[] = {
        {IOHGATP_SV39X4, ATP_SV39, 0, 0}, {IOHGATP_SV39X4, ATP_SV39, 1, 0},
        {IOHGATP_SV39X4, ATP_SV39, 0, 1}, {IOHGATP_SV57X4, ATP_SV48, 1, 2},
        {IOHGATP_SV57X4, ATP_SV48, 2, 1},
    };
    uint16_t gscid = 0x300;
    for (const auto& w : rows) {
        auto d = r.new_dev(w.gmode, w.fmode, gscid++);
        const uint64_t fsize = level_size(w.flevel), gsize = level_size(w.glevel);
        const uint64_t va = 0x10'4030'2000ull & ~(fsize - 1);
        const uint64_t gpa = 0x80'0000'0000ull; // aligned to both
        const uint64_t spa = 0x40'0000'0000ull;
        r.fmap(d, va, w.flevel, leaf(gpa, RW));
        r.gmap(d, gpa, w.glevel, leaf(spa, RW));
        const uint64_t size = std::min(fsize, gsize);
        const uint64_t off = size - 0x10; // inside both leaves
        pcie::ats_cpl c;
        assert_int_equal(r.ats(d, va + off, false, c), pcie::cpl_status::sc);
        assert_true(c.r && c.w);
        assert_int_equal(c.addr, napot(spa + (off & ~(size - 1)), size));
        uint64_t v = 0x7700 + gscid;
        assert_int_equal(r.dma(d, va + off, true, v), pcie::cpl_status::sc);
        assert_int_equal(r.mem.rd(spa + off), v);
        // Again from the IOTLB: the data access only.
        assert_int_equal(r.dma_accesses(d, va + off), 1);
        expect_no_fault(r);
    }
}

// A first-stage fault in nested mode is a page fault (iotval2 0), and the
// first stage decides before the G-stage: an invalid first-stage leaf
// over an unmapped GPA is still cause 13/15.
void test_nested_fs_fault(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    auto d = r.new_dev(IOHGATP_SV39X4, ATP_SV39, 0x400);
    const uint64_t va = 0x1234'5000;
    r.fmap(d, va, 0, leaf(0x9'0000'0000, PTE_R | PTE_W | PTE_A | PTE_D)); // U = 0
    uint64_t v = 0;
    assert_int_equal(r.dma(d, va + 8, false, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_READ_PAGE_FAULT, TTYP_UNTRANSLATED_READ, va + 8, 0);
    r.fmap(d, va + 0x1000, 0, 0); // not valid
    assert_int_equal(r.dma(d, va + 0x1000, true, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_WRITE_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, va + 0x1000, 0);
    pcie::ats_cpl c;
    assert_int_equal(r.ats(d, va + 0x1000, false, c), pcie::cpl_status::sc);
    assert_false(c.r || c.w);
    expect_no_fault(r);
}

// A G-stage fault on the final GPA: guest-page fault by access type,
// iotval = IOVA, iotval2 = GPA (bits 1:0 clear: not implicit).
void test_nested_g_fault_final(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    auto d = r.new_dev(IOHGATP_SV39X4, ATP_SV39, 0x410);
    const uint64_t va = 0x5000'0000, gpa = 0x1'2345'6000;
    r.fmap(d, va, 0, leaf(gpa, RW)); // gpa not mapped in the G-stage
    uint64_t v = 0;
    assert_int_equal(r.dma(d, va + 0x1E, false, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_READ_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_READ, va + 0x1E, gpa + 0x1C);
    assert_int_equal(r.dma(d, va + 0x20, true, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_WRITE_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, va + 0x20, gpa + 0x20);
    pcie::ats_cpl c;
    assert_int_equal(r.ats(d, va, false, c), pcie::cpl_status::sc);
    assert_false(c.r || c.w);
    expect_no_fault(r);
    // Mapped read-only in the G-stage: cached by a read, then a write hits
    // the IOTLB entry and faults there, with the same iotval2.
    r.gmap(d, gpa, 0, leaf(0x0500'0000, PTE_R | PTE_U | PTE_A | PTE_D));
    assert_int_equal(r.dma(d, va + 0x30, false, v), pcie::cpl_status::sc);
    assert_int_equal(r.dma(d, va + 0x30, true, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_WRITE_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, va + 0x30, gpa + 0x30);
    assert_int_equal(r.ats(d, va, false, c), pcie::cpl_status::sc);
    assert_true(c.r);
    assert_false(c.w); // denied by the G-stage
    expect_no_fault(r);
    // DC.tc.DTF: guest-page faults are not reported (§11.2), the request
    // is still aborted.
    auto q = r.new_dev(IOHGATP_SV39X4, ATP_SV39, 0x411, TC_V | TC_EN_ATS | TC_DTF);
    r.fmap(q, va, 0, leaf(gpa, RW));
    assert_int_equal(r.dma(q, va, false, v), pcie::cpl_status::ur);
    expect_no_fault(r);
}

// A G-stage fault on an implicit access: the first-stage root entry's GPA
// is not mapped (iotval2 = its GPA | 1, the cause by the request's access
// type), and, with SADE, the A/D store to a leaf in a G-stage read-only
// page (iotval2 = GPA | 3). A G-stage walk that reads the hole is an
// access fault (5/7; ATS Completer Abort), iotval2 0.
void test_nested_g_fault_implicit(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    auto d = r.new_dev(IOHGATP_SV39X4, ATP_SV39, 0x420);
    const uint64_t unmapped_root = 0x7'0000'0000;
    r.mem.wr(d.dc + 24, (uint64_t(ATP_SV39) << ATP_MODE_SHIFT) | (unmapped_root >> 12));
    const uint64_t va = 0x4000'0000; // root index 1
    const uint64_t pte_gpa = unmapped_root + ((va >> 30) & 0x1FF) * 8;
    uint64_t v = 0;
    assert_int_equal(r.dma(d, va, true, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_WRITE_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, va,
                 pte_gpa | IOTVAL2_IMPLICIT);
    assert_int_equal(r.dma(d, va, false, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_READ_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_READ, va, pte_gpa | IOTVAL2_IMPLICIT);
    pcie::ats_cpl c;
    assert_int_equal(r.ats(d, va, false, c), pcie::cpl_status::sc);
    assert_false(c.r || c.w);
    expect_no_fault(r);

    // SADE: the leaf's page is G-stage read-only, so setting A is an
    // implicit write that faults.
    auto e = r.new_dev(IOHGATP_SV39X4, ATP_SV39, 0x421, TC_V | TC_EN_ATS | TC_SADE);
    const uint64_t va2 = 0x3000'0000, gpa2 = 0x2'0000'0000;
    const uint64_t leaf_gpa = r.fmap(e, va2, 0, leaf(gpa2, PTE_R | PTE_W | PTE_U));
    r.gmap(e, gpa2, 0, leaf(0x0510'0000, RW));
    const uint64_t page = leaf_gpa & ~uint64_t(0xFFF);
    r.gmap(e, page, 0, leaf(r.spa(e, page), PTE_R | PTE_U | PTE_A | PTE_D));
    assert_int_equal(r.dma(e, va2, false, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_READ_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_READ, va2,
                 leaf_gpa | IOTVAL2_IMPLICIT | IOTVAL2_IMPLICIT_WRITE);
    assert_int_equal(r.mem.rd(r.spa(e, leaf_gpa)), leaf(gpa2, PTE_R | PTE_W | PTE_U)); // A not set
    // Made writable: A is set through the G-stage, and the read succeeds.
    r.gmap(e, page, 0, leaf(r.spa(e, page), RW));
    assert_int_equal(r.dma(e, va2, false, v), pcie::cpl_status::sc);
    assert_int_equal(r.mem.rd(r.spa(e, leaf_gpa)), leaf(gpa2, PTE_R | PTE_W | PTE_U | PTE_A));
    expect_no_fault(r);

    // The G-stage root in the hole: access fault.
    auto h = r.new_dev(IOHGATP_SV39X4, ATP_BARE, 0x422);
    r.mem.wr(h.dc + 8, (uint64_t(IOHGATP_SV39X4) << ATP_MODE_SHIFT) | (uint64_t(0x422) << 44) | (HOLE >> 12));
    assert_int_equal(r.dma(h, 0x1000, false, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_READ_ACCESS_FAULT, TTYP_UNTRANSLATED_READ, 0x1000, 0);
    assert_int_equal(r.ats(h, 0x1000, false, c), pcie::cpl_status::ca);
    expect_fault(r, CAUSE_WRITE_ACCESS_FAULT, TTYP_ATS_TRANSLATION, 0x1000, 0);
}

// The IOTLB tags entries with GSCID (and PSCID): one GPA translates per
// VM; IOTINVAL.GVMA drops G-stage information by scope (§10.2), and
// IOTINVAL.VMA with GV = 1 a VM's first-stage entries.
void test_gscid_iotlb(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    const uint64_t gpa = 0x3'0000'0000, other = 0x3'0020'0000;
    auto a = r.new_dev(IOHGATP_SV39X4, ATP_BARE, 0x501);
    auto b = r.new_dev(IOHGATP_SV39X4, ATP_BARE, 0x502);
    auto n = r.new_dev(IOHGATP_SV39X4, ATP_SV39, 0x503);
    auto host = r.new_dev(IOHGATP_BARE, ATP_SV39, 0);
    r.gmap(a, gpa, 0, leaf(0x0600'0000, RW));
    r.gmap(a, other, 0, leaf(0x0601'0000, RW));
    r.gmap(b, gpa, 0, leaf(0x0602'0000, RW));
    const uint64_t va = 0x6000'0000;
    r.fmap(n, va, 0, leaf(gpa, RW));
    r.gmap(n, gpa, 0, leaf(0x0603'0000, RW));
    r.fmap(host, va, 0, leaf(0x0604'0000, RW));
    auto load_all = [&] {
        for (auto* d : {&a, &b})
            r.dma_accesses(*d, gpa);
        r.dma_accesses(a, other);
        r.dma_accesses(n, va);
        r.dma_accesses(host, va);
    };
    auto hits = [&](const rig::dev& d, uint64_t at) { return r.dma_accesses(d, at) == 1; };
    load_all();
    // Same GPA, different VMs: each its own translation.
    pcie::ats_cpl c;
    assert_int_equal(r.ats(a, gpa, false, c), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0x0600'0000);
    assert_int_equal(r.ats(b, gpa, false, c), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0x0602'0000);
    assert_true(hits(a, gpa) && hits(b, gpa) && hits(a, other) && hits(n, va) && hits(host, va));

    const uint64_t gvma = CMD_IOTINVAL | (uint64_t(IOTINVAL_GVMA) << CMD_FUNC3_SHIFT);
    auto gscid = [](uint16_t g) { return IOTINVAL_GV | (uint64_t(g) << 44); };
    // GV = 1, AV = 1: a's G-only entry for gpa, and every combined entry of
    // its GSCID (none here); a's other page, b and the rest stay.
    r.submit(gvma | gscid(0x501) | IOTINVAL_AV, (gpa >> 12) << 10);
    assert_false(hits(a, gpa));
    assert_true(hits(a, other) && hits(b, gpa) && hits(n, va) && hits(host, va));
    // GV = 1, AV = 0: everything of b's GSCID.
    r.submit(gvma | gscid(0x502), 0);
    assert_false(hits(b, gpa));
    assert_true(hits(a, other) && hits(n, va) && hits(host, va));
    // IOTINVAL.VMA GV = 0 leaves VM entries alone; GV = 1 with n's GSCID
    // and PSCID drops n's combined entry, not a's G-only ones.
    const uint64_t vma = CMD_IOTINVAL | (uint64_t(IOTINVAL_VMA) << CMD_FUNC3_SHIFT);
    r.submit(vma | (uint64_t(7) << 12) | IOTINVAL_PSCV, 0); // another host PSCID
    assert_true(hits(n, va) && hits(host, va));
    r.submit(vma | gscid(0x503) | (uint64_t(n.did) << 12) | IOTINVAL_PSCV, 0);
    assert_false(hits(n, va));
    assert_true(hits(a, other) && hits(host, va));
    // GV = 1, AV = 1 drops every combined entry of the GSCID (their walks
    // used G-stage translations the IOTLB does not keep).
    r.submit(gvma | gscid(0x503) | IOTINVAL_AV, (0x7'0000'0000ull >> 12) << 10);
    assert_false(hits(n, va));
    // GV = 0: all G-stage information of every VM; host entries stay.
    load_all();
    r.submit(gvma, 0);
    assert_false(hits(a, gpa) || hits(b, gpa) || hits(a, other) || hits(n, va));
    assert_true(hits(host, va));
    expect_no_fault(r);
}

// The iohgatp checks (§15.4): a G-stage mode not advertised (#11) or
// reserved, a root not 16 KiB aligned (#13), GADE
// without AMO_HWAD (#14): cause 259, UR. A Bare iohgatp ignores its
// other fields.
void test_dc_rules(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    assert_int_equal(s.full->r64(REG_CAPABILITIES) & (CAP_SV39X4 | CAP_SV48X4 | CAP_SV57X4),
                     CAP_SV39X4 | CAP_SV48X4 | CAP_SV57X4);
    assert_int_equal(s.plain->r64(REG_CAPABILITIES) & (CAP_SV39X4 | CAP_SV48X4 | CAP_SV57X4), 0);
    struct row {
        rig* r;
        uint64_t iohgatp;
        uint64_t tc;
    } rows[] = {
        {s.plain, uint64_t(IOHGATP_SV39X4) << ATP_MODE_SHIFT | 0x4000 >> 12, TC_V | TC_EN_ATS},
        {s.plain, uint64_t(IOHGATP_SV57X4) << ATP_MODE_SHIFT | 0x4000 >> 12, TC_V | TC_EN_ATS},
        {s.full, uint64_t(11) << ATP_MODE_SHIFT | 0x4000 >> 12, TC_V | TC_EN_ATS},
        {s.full, uint64_t(1) << ATP_MODE_SHIFT | 0x4000 >> 12, TC_V | TC_EN_ATS},
        {s.full, uint64_t(IOHGATP_SV39X4) << ATP_MODE_SHIFT | 0x5000 >> 12, TC_V | TC_EN_ATS},
        {s.full, uint64_t(IOHGATP_SV48X4) << ATP_MODE_SHIFT | 0x6000 >> 12, TC_V | TC_EN_ATS},
        {s.plain, 0, TC_V | TC_EN_ATS | TC_GADE},
    };
    for (const auto& w : rows) {
        auto d = w.r->new_dev(IOHGATP_BARE, ATP_BARE, 0, w.tc);
        w.r->mem.wr(d.dc + 8, w.iohgatp);
        uint64_t v = 0;
        assert_int_equal(w.r->dma(d, 0x1000, false, v), pcie::cpl_status::ur);
        expect_fault(*w.r, CAUSE_DDT_MISCONFIGURED, TTYP_UNTRANSLATED_READ, 0x1000);
        pcie::ats_cpl c;
        assert_int_equal(w.r->ats(d, 0x1000, false, c), pcie::cpl_status::ur);
        expect_fault(*w.r, CAUSE_DDT_MISCONFIGURED, TTYP_ATS_TRANSLATION, 0x1000);
    }
    // Bare with a GSCID and a PPN: no G-stage, the DC is well formed.
    auto d = s.plain->new_dev(IOHGATP_BARE, ATP_BARE, 0);
    s.plain->mem.wr(d.dc + 8, (uint64_t(0xABC) << 44) | 0x123);
    pcie::ats_cpl c;
    assert_int_equal(s.plain->ats(d, 0x5000, false, c), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0x5000);
    expect_no_fault(*s.plain);
}

// A process directory under a G-stage: pdtp.PPN, the PDT's entries and
// the PC's fsc are GPAs. A PC reached through the G-stage translates; a
// PC whose guest page is not mapped is a guest-page fault on an implicit
// access (DMA: iotval2 = PC GPA | 1; ATS: not present, not logged).
// §14, §15.4 #3/#6/#7 T2GPA: an ATS completion carries the GPA (4 KiB,
// the permissions of both stages), and the G-stage translates each
// Translated request: its data lands at the SPA, a G-stage denial is a
// guest-page fault (TTYP 6/7, iotval2 = GPA). Without the capability, or
// without a G-stage or EN_ATS, a DC with T2GPA is misconfigured.
void test_t2gpa(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    rig& r = *s.full;
    assert_true(r.r64(REG_CAPABILITIES) & CAP_T2GPA);
    assert_false(s.plain->r64(REG_CAPABILITIES) & CAP_T2GPA);
    auto d = r.new_dev(IOHGATP_SV39X4, ATP_SV39, 0x300, TC_V | TC_EN_ATS | TC_T2GPA);
    const uint64_t va = 0x0040'2000, gpa = 0x2'0000'5000, pa = 0x0310'0000, ro_va = 0x0040'3000,
                   ro_gpa = 0x2'0000'6000, ro_pa = 0x0311'0000;
    r.fmap(d, va, 0, leaf(gpa, RW));
    r.gmap(d, gpa, 0, leaf(pa, RW));
    r.fmap(d, ro_va, 0, leaf(ro_gpa, RW));
    r.gmap(d, ro_gpa, 0, leaf(ro_pa, PTE_R | PTE_U | PTE_A)); // the G-stage denies writes
    pcie::ats_cpl c;
    assert_int_equal(r.ats(d, va, false, c), pcie::cpl_status::sc);
    assert_true(c.r && c.w);
    assert_false(c.s);
    assert_int_equal(c.addr, gpa);
    assert_int_equal(r.ats(d, ro_va, false, c), pcie::cpl_status::sc);
    assert_true(c.r);
    assert_false(c.w);
    assert_int_equal(c.addr, ro_gpa);
    expect_no_fault(r);
    // Translated requests to the GPAs: the G-stage translates them.
    uint64_t v = 0x1122'3344'5566'7788ull;
    assert_int_equal(r.dma(d, gpa + 0x18, true, v, {}, false, true), pcie::cpl_status::sc);
    assert_int_equal(r.mem.rd(pa + 0x18), 0x1122'3344'5566'7788ull);
    v = 0;
    assert_int_equal(r.dma(d, gpa + 0x18, false, v, {}, false, true), pcie::cpl_status::sc);
    assert_int_equal(v, 0x1122'3344'5566'7788ull);
    assert_int_equal(r.dma(d, ro_gpa + 0x8, true, v, {}, false, true), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_WRITE_GUEST_PAGE_FAULT, TTYP_TRANSLATED_WRITE, ro_gpa + 0x8, ro_gpa + 0x8);
    assert_int_equal(r.mem.rd(ro_pa + 0x8), 0);
    // A GPA the G-stage does not map.
    assert_int_equal(r.dma(d, 0x2'0000'9000, false, v, {}, false, true), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_READ_GUEST_PAGE_FAULT, TTYP_TRANSLATED_READ, 0x2'0000'9000, 0x2'0000'9000);
    // Without T2GPA the same address is an SPA, not translated.
    auto n = r.new_dev(IOHGATP_SV39X4, ATP_SV39, 0x301);
    r.mem.wr(pa + 0x40, 0xABCD);
    v = 0;
    assert_int_equal(r.dma(n, pa + 0x40, false, v, {}, false, true), pcie::cpl_status::sc);
    assert_int_equal(v, 0xABCD);
    expect_no_fault(r);
    // §15.4: #7 without a G-stage, #3 without EN_ATS, #6 without the capability.
    auto bare = r.new_dev(IOHGATP_BARE, ATP_SV39, 0, TC_V | TC_EN_ATS | TC_T2GPA);
    assert_int_equal(r.ats(bare, va, false, c), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_DDT_MISCONFIGURED, TTYP_ATS_TRANSLATION, va);
    auto no_ats = r.new_dev(IOHGATP_SV39X4, ATP_SV39, 0x302, TC_V | TC_T2GPA);
    assert_int_equal(r.dma(no_ats, va, false, v), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_DDT_MISCONFIGURED, TTYP_UNTRANSLATED_READ, va);
    rig& p = *s.plain;
    auto pd = p.new_dev(IOHGATP_BARE, ATP_BARE, 0, TC_V | TC_EN_ATS | TC_T2GPA);
    assert_int_equal(p.dma(pd, va, false, v), pcie::cpl_status::ur);
    expect_fault(p, CAUSE_DDT_MISCONFIGURED, TTYP_UNTRANSLATED_READ, va);
}

void test_pdt_through_g(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    auto d = r.new_dev(IOHGATP_SV39X4, ATP_BARE, 0x600, TC_V | TC_EN_ATS | TC_PDTV);
    const uint64_t pdt = r.guest_page(d);
    r.mem.wr(d.dc + 24, (uint64_t(PDTP_PD8) << ATP_MODE_SHIFT) | (pdt >> 12));
    // The PC of PASID 5: PSCID 0x55, an Sv39 first stage rooted at a guest page.
    const uint64_t froot = r.guest_page(d);
    rig::dev pt = d;
    pt.fmode = ATP_SV39;
    pt.froot = froot;
    r.mem.wr(r.spa(d, pdt + 5 * 16), PC_TA_V | (uint64_t(0x55) << 12));
    r.mem.wr(r.spa(d, pdt + 5 * 16 + 8), (uint64_t(ATP_SV39) << ATP_MODE_SHIFT) | (froot >> 12));
    const uint64_t va = 0x7000'0000, gpa = 0x5'0000'0000;
    r.fmap(pt, va, 0, leaf(gpa, RW));
    r.gmap(d, gpa, 0, leaf(0x0700'0000, RW));
    pcie::ats_cpl c;
    assert_int_equal(r.ats(d, va, false, c, {true, 5}), pcie::cpl_status::sc);
    assert_true(c.r && c.w);
    assert_int_equal(c.addr, 0x0700'0000);
    uint64_t v = 0xAB;
    assert_int_equal(r.dma(d, va + 8, true, v, {true, 5}), pcie::cpl_status::sc);
    assert_int_equal(r.mem.rd(0x0700'0008), 0xAB);
    expect_no_fault(r);
    // An execute request whose GPA has no G-stage mapping: cause 20.
    const uint64_t xgpa = 0x5'0010'0000;
    r.fmap(pt, va + 0x2000, 0, leaf(xgpa, PTE_R | PTE_X | PTE_U | PTE_A));
    assert_int_equal(r.dma(d, va + 0x2004, false, v, {true, 5}, true), pcie::cpl_status::ur);
    {
        const auto f = r.new_faults();
        assert_int_equal(f.size(), 1);
        assert_int_equal(cause_of(f[0]), CAUSE_INSN_GUEST_PAGE_FAULT);
        assert_int_equal(ttyp_of(f[0]), TTYP_UNTRANSLATED_EXEC);
        assert_int_equal(f[0].iotval, va + 0x2004);
        assert_int_equal(f[0].iotval2, xgpa + 4);
    }
    // pdtp pointing at an unmapped GPA: the PC load's G-stage translation faults.
    const uint64_t hole_gpa = 0x6'0000'0000;
    r.mem.wr(d.dc + 24, (uint64_t(PDTP_PD8) << ATP_MODE_SHIFT) | (hole_gpa >> 12));
    r.submit(CMD_IODIR | (uint64_t(IODIR_INVAL_DDT) << CMD_FUNC3_SHIFT) | IODIR_DV |
                 (uint64_t(d.did) << IODIR_DID_SHIFT),
             0);
    assert_int_equal(r.dma(d, va + 0x1000, false, v, {true, 5}), pcie::cpl_status::ur);
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_READ_GUEST_PAGE_FAULT);
    assert_int_equal(ttyp_of(f[0]), TTYP_UNTRANSLATED_READ);
    assert_int_equal(f[0].hdr >> 32 & 1, 1); // PV
    assert_int_equal(f[0].iotval, va + 0x1000);
    assert_int_equal(f[0].iotval2, (hole_gpa + 5 * 16) | IOTVAL2_IMPLICIT);
    assert_int_equal(r.ats(d, va + 0x1000, false, c, {true, 5}), pcie::cpl_status::sc);
    assert_false(c.r || c.w);
    expect_no_fault(r);
}

// Fault injection (iommu_params.inject) reaches G-stage table accesses
// (target pgtbl): an injected load access fault is the request's access
// fault (5, iotval2 0); a corrupted leaf (reserved bit 54) a guest-page
// fault. The next walk succeeds.
void test_inject_pgtbl(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    const uint64_t gpa = 0x1'4000'0000, pa = 0x0900'0000;
    for (rig* r : {s.inj_fail, s.inj_corrupt}) {
        auto d = r->new_dev(IOHGATP_SV39X4, ATP_BARE, 0x700);
        r->gmap(d, gpa, 0, leaf(pa, RW));
        uint64_t v = 0;
        assert_int_equal(r->dma(d, gpa + 8, false, v), pcie::cpl_status::ur);
        if (r == s.inj_fail)
            expect_fault(*r, CAUSE_READ_ACCESS_FAULT, TTYP_UNTRANSLATED_READ, gpa + 8, 0);
        else
            expect_fault(*r, CAUSE_READ_GUEST_PAGE_FAULT, TTYP_UNTRANSLATED_READ, gpa + 8, gpa + 8);
        assert_int_equal(r->iommu->injected(), 1);
        v = 0x1234;
        assert_int_equal(r->dma(d, gpa + 8, true, v), pcie::cpl_status::sc);
        assert_int_equal(r->mem.rd(pa + 8), 0x1234);
        expect_no_fault(*r);
    }
}

// IOTINVAL.VMA's eight scopes (§10.2: GV, AV, PSCV) against host and VM
// entries, global (PTE.G) and not: PSCV = 1 keeps global entries, AV = 1
// keeps other pages, GV selects the host's or one GSCID's VS-stage entries.
// Each device has a private page (va) and a global page of its own (vg +
// 4 KiB x its index), so that probing one entry refills no other's.
void test_iotinval_vma_scopes(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    const uint16_t g = 0x7A0;
    const uint64_t va = 0x5000'0000, vg = 0x5020'0000;
    auto h1 = r.new_dev(IOHGATP_BARE, ATP_SV39, 0), h2 = r.new_dev(IOHGATP_BARE, ATP_SV39, 0);
    auto v1 = r.new_dev(IOHGATP_SV39X4, ATP_SV39, g), v2 = r.new_dev(IOHGATP_SV39X4, ATP_SV39, g);
    const rig::dev* devs[] = {&h1, &h2, &v1, &v2};
    auto gva = [&](unsigned i) { return vg + uint64_t(i) * 0x1000; };
    uint64_t pa = 0x0700'0000;
    for (unsigned i = 0; i < 4; ++i) {
        const rig::dev& d = *devs[i];
        for (const uint64_t a : {va, gva(i)}) {
            const uint64_t perms = a == va ? RW : RW | PTE_G;
            pa += 0x1000;
            if (d.gmode == IOHGATP_BARE) {
                r.fmap(d, a, 0, leaf(pa, perms));
            } else {
                r.fmap(d, a, 0, leaf(0x2'0000'0000 + pa, perms));
                r.gmap(d, 0x2'0000'0000 + pa, 0, leaf(pa, RW));
            }
        }
    }
    auto load = [&] {
        for (unsigned i = 0; i < 4; ++i)
            for (const uint64_t a : {va, gva(i)})
                r.dma_accesses(*devs[i], a);
    };
    // which of the 8 entries survive: bit 2i = device i's va, 2i + 1 its global page
    auto surviving = [&] {
        unsigned m = 0;
        for (unsigned i = 0; i < 4; ++i) {
            m |= unsigned(r.dma_accesses(*devs[i], va) == 1) << (2 * i);
            m |= unsigned(r.dma_accesses(*devs[i], gva(i)) == 1) << (2 * i + 1);
        }
        return m;
    };
    const uint64_t vma = CMD_IOTINVAL | (uint64_t(IOTINVAL_VMA) << CMD_FUNC3_SHIFT);
    auto pscid = [](const rig::dev& d) { return (uint64_t(d.did) << 12) | IOTINVAL_PSCV; };
    const uint64_t gv = IOTINVAL_GV | (uint64_t(g) << 44);
    struct row {
        uint64_t dw0, addr;
        unsigned left;
    } rows[] = {
        {vma, 0, 0xF0},                                          // GV0 AV0 PSCV0: every host entry
        {vma | pscid(h1), 0, 0xFE},                              // GV0 AV0 PSCV1: h1's, not global
        {vma | IOTINVAL_AV, va, 0xFA},                           // GV0 AV1 PSCV0: va, every PSCID
        {vma | IOTINVAL_AV, gva(0), 0xFD},                       // ... a global page goes too
        {vma | IOTINVAL_AV | pscid(h1), va, 0xFE},               // GV0 AV1 PSCV1: h1's va
        {vma | IOTINVAL_AV | pscid(h1), gva(0), 0xFF},           // ... not a global page
        {vma | gv, 0, 0x0F},                                     // GV1 AV0 PSCV0: the GSCID's
        {vma | gv | pscid(v1), 0, 0xEF},                         // GV1 AV0 PSCV1: v1's, not global
        {vma | gv | IOTINVAL_AV, va, 0xAF},                      // GV1 AV1 PSCV0: va in the GSCID
        {vma | gv | IOTINVAL_AV, gva(2), 0xDF},                  // ... a global page goes too
        {vma | gv | IOTINVAL_AV | pscid(v1), va, 0xEF},          // GV1 AV1 PSCV1: v1's va
        {vma | gv | IOTINVAL_AV | pscid(v1), gva(2), 0xFF},      // ... not a global page
        {vma | IOTINVAL_GV | (uint64_t(g + 1) << 44), 0, 0xFF},  // another GSCID: nothing
    };
    for (const row& w : rows) {
        load();
        assert_int_equal(surviving(), 0xFF);
        r.submit(w.dw0, (w.addr >> 12) << 10);
        assert_int_equal(surviving(), w.left);
    }
    expect_no_fault(r);
}

class top : public sc_core::sc_module {
public:
    std::unique_ptr<rig> full, plain, inj_fail, inj_corrupt;
    int result = -1;

    SC_HAS_PROCESS(top);
    top(sc_core::sc_module_name n, const iommu_params& pf, const iommu_params& pp) : sc_module(n)
    {
        full = std::make_unique<rig>("full", pf);
        plain = std::make_unique<rig>("plain", pp);
        iommu_params pi = pf;
        pi.inject.target = mem_target::pgtbl;
        pi.inject.nth = 2;
        inj_fail = std::make_unique<rig>("inj_fail", pi);
        pi.inject.corrupt = true;
        pi.inject.nth = 3;
        inj_corrupt = std::make_unique<rig>("inj_corrupt", pi);
        SC_THREAD(main);
        set_stack_size(4 << 20);
    }
    ~top() override
    {
        full.reset();
        plain.reset();
        inj_fail.reset();
        inj_corrupt.reset();
    }

private:
    void main()
    {
        full->start();
        plain->start();
        inj_fail->start();
        inj_corrupt->start();
        rigs s{full.get(), plain.get(), inj_fail.get(), inj_corrupt.get()};
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_prestate(test_dc_rules, &s),
            cmocka_unit_test_prestate(test_g_only_modes, &s),
            cmocka_unit_test_prestate(test_g_leaf_rules, &s),
            cmocka_unit_test_prestate(test_gade, &s),
            cmocka_unit_test_prestate(test_nested_ok, &s),
            cmocka_unit_test_prestate(test_nested_fs_fault, &s),
            cmocka_unit_test_prestate(test_nested_g_fault_final, &s),
            cmocka_unit_test_prestate(test_nested_g_fault_implicit, &s),
            cmocka_unit_test_prestate(test_gscid_iotlb, &s),
            cmocka_unit_test_prestate(test_iotinval_vma_scopes, &s),
            cmocka_unit_test_prestate(test_pdt_through_g, &s),
            cmocka_unit_test_prestate(test_t2gpa, &s),
            cmocka_unit_test_prestate(test_inject_pgtbl, &s),
        };
        result = cmocka_run_group_tests_name("model.iommu.gstage", tests, nullptr, nullptr);
        sc_core::sc_stop();
    }
};

} // namespace

int sc_main(int, char*[])
{
    iommu_params pf, pp;
    pf.sv48 = pf.sv57 = pf.amo_hwad = true;
    pf.sv39x4 = pf.sv48x4 = pf.sv57x4 = true;
    pf.pd8 = true;
    pf.t2gpa = true;
    // The scope tables count on every entry they load staying cached: a
    // fully associative IOTLB (a 4-way set would evict some of them).
    pf.iotlb_ways = pp.iotlb_ways = 0;
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_LOG);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    top t("tb", pf, pp);
    sc_core::sc_start();
    return t.result;
}
