// SPDX-License-Identifier: Apache-2.0
//
// Description: first-stage translation of the RISC-V IOMMU model
// (model.iommu.xlate): iosatp modes Sv39, Sv48 and Sv57 (riscv-iommu.md §17,
// §15.3) with leaves at every level, superpage alignment, canonical IOVAs,
// A/D bits (page fault without DC.tc.SADE, hardware update with it, §15.2),
// the U bit for requests without a PASID, the IOTLB holding superpages, and
// ATS completions (§14: R/W/X/Priv/Global/U, the S-encoded range of a
// superpage), and process directories (§16: PD8/PD17/PD20, a process
// context per PASID with its own PSCID, DPE, ENS/SUM, the PDT faults). Two IOMMUs are elaborated once, each with its own memory and
// endpoint (iommu_bench.h): "full" (capabilities Sv48, Sv57, AMO_HWAD) and
// "plain" (Sv39 only, no AMO_HWAD, no PD modes: Sv48, SADE and PD8 are
// misconfigurations, cause 259). "full" also has PD8, PD17 and PD20. Every assertion is on an FQ record (CAUSE, TTYP, iotval), an
// ATS completion, DMA data in memory or a PTE in memory.
#include <algorithm>
#include <cstdint>
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

// ---- memory map of each rig ----
constexpr uint64_t DDT_ROOT = 0x0010'0000; // 1LVL directory
constexpr uint64_t CQ = 0x0020'0000;       // 8 commands
constexpr uint64_t FQ = 0x0021'0000;       // 64 records
constexpr uint64_t TABLES = 0x0100'0000;   // page-table pages
constexpr uint64_t HOLE = 0x0800'0000;     // [HOLE, HOLE + 64 KiB) faults
constexpr uint32_t FQ_N = 64;
constexpr uint64_t RW = PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;

unsigned levels_of(unsigned mode) { return atp_levels(mode); }
uint64_t level_size(unsigned level) { return uint64_t(1) << (12 + 9 * level); }

using tb::pasid_prefix;

class rig : public tb::iommu_rig {
public:
    rig(sc_core::sc_module_name n, const iommu_params& p) : iommu_rig(n, p, {{HOLE, HOLE + 0xFFFF}}) {}

    // CQ and FQ on, ddtp 1LVL.
    void start() { start_queues(DDT_ROOT, CQ, 2, FQ, 5); }
    // One command into the 8-entry CQ, then time for it to run.
    void cq_submit(uint64_t dw0, uint64_t dw1 = 0)
    {
        const uint32_t cqt = r32(REG_CQT);
        mem.wr(CQ + cqt * 16, dw0);
        mem.wr(CQ + cqt * 16 + 8, dw1);
        w32(REG_CQT, (cqt + 1) & 7);
        settle();
    }

    // ---- structures ----
    // A fresh device (own DID, PSCID and root table) with DC.fsc = mode.
    struct dev {
        uint32_t did;
        unsigned mode;
        uint64_t root;
    };
    dev new_dev(unsigned mode, uint64_t tc = TC_V | TC_EN_ATS)
    {
        dev d{m_next_did++, mode, pt_alloc()};
        const uint64_t a = DDT_ROOT + uint64_t(d.did) * 32;
        mem.wr(a, tc);
        mem.wr(a + 8, 0);
        mem.wr(a + 16, uint64_t(d.did) << 12); // PSCID = DID
        mem.wr(a + 24, (uint64_t(mode) << ATP_MODE_SHIFT) | (d.root >> 12));
        return d;
    }
    uint64_t pt_alloc()
    {
        const uint64_t a = m_next_pt;
        m_next_pt += 4096;
        return a;
    }
    // The PTE at `level` for va (tables below the root built as needed);
    // returns its address after writing `pte` there.
    uint64_t map(const dev& d, uint64_t va, unsigned level, uint64_t pte)
    {
        uint64_t a = d.root;
        for (unsigned l = levels_of(d.mode) - 1; l > level; --l) {
            const uint64_t ea = a + ((va >> (12 + 9 * l)) & 0x1FF) * 8;
            uint64_t e = mem.rd(ea);
            if (!(e & PTE_V)) {
                e = ((pt_alloc() >> 12) << 10) | PTE_V;
                mem.wr(ea, e);
            }
            a = field(e, 53, 10) << 12;
        }
        const uint64_t ea = a + ((va >> (12 + 9 * level)) & 0x1FF) * 8;
        mem.wr(ea, pte);
        return ea;
    }
    static uint64_t leaf(uint64_t pa, uint64_t perms) { return ((pa >> 12) << 10) | perms | PTE_V; }

    // A device with a process directory: DC.tc.PDTV (| extra), DC.fsc =
    // pdtp of `pd_mode` rooted at a fresh page (d.root), d.mode = pd_mode.
    dev new_pdt_dev(unsigned pd_mode, uint64_t extra_tc = 0)
    {
        dev d{m_next_did++, pd_mode, pt_alloc()};
        const uint64_t a = DDT_ROOT + uint64_t(d.did) * 32;
        mem.wr(a, TC_V | TC_EN_ATS | TC_PDTV | extra_tc);
        mem.wr(a + 8, 0);
        mem.wr(a + 16, 0);
        mem.wr(a + 24, (uint64_t(pd_mode) << ATP_MODE_SHIFT) | (d.root >> 12));
        return d;
    }
    // The address of process_id's PC in d's PDT (non-leaf pages made as
    // needed, §16).
    uint64_t pc_addr(const dev& d, uint32_t pid)
    {
        uint64_t a = d.root;
        for (unsigned l = pdt_levels(d.mode) - 1; l > 0; --l) {
            const uint64_t ea = a + uint64_t(pdt_pdi(pid, l)) * 8;
            uint64_t e = mem.rd(ea);
            if (!(e & PDTE_V)) {
                e = ((pt_alloc() >> 12) << 10) | PDTE_V;
                mem.wr(ea, e);
            }
            a = field(e, 53, 10) << 12;
        }
        return a + uint64_t(pdt_pdi(pid, 0)) * 16;
    }
    // A valid PC for pid with a fresh first-stage table of `mode`; returns
    // that table as a dev (for map()).
    dev new_pc(const dev& d, uint32_t pid, unsigned mode, uint32_t pscid, uint64_t ta_bits = 0)
    {
        dev pt{d.did, mode, pt_alloc()};
        const uint64_t a = pc_addr(d, pid);
        mem.wr(a, PC_TA_V | ta_bits | (uint64_t(pscid) << 12));
        mem.wr(a + 8, (uint64_t(mode) << ATP_MODE_SHIFT) | (pt.root >> 12));
        return pt;
    }

    // ---- traffic ----
    pcie::cpl_status dma(const dev& d, uint64_t va, bool write, uint64_t& data, pasid_prefix px = {},
                         bool exec = false, bool translated = false)
    {
        pcie::tlp_ext e;
        e.kind = write ? pcie::tlp_kind::mem_write : pcie::tlp_kind::mem_read;
        e.at = translated ? pcie::at_t::translated : pcie::at_t::untranslated;
        e.exec = exec;
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
    pcie::cpl_status ats(const dev& d, uint64_t va, bool nw, pcie::ats_cpl& c, bool exec = false,
                         pasid_prefix px = {})
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::ats_translation_req;
        e.at = pcie::at_t::translation_req;
        e.rid = uint16_t(d.did);
        e.no_write = nw;
        e.exec = exec;
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
    uint32_t m_fqh = 0;
};

using tb::cause_of;
using tb::ttyp_of;

// Exactly one FQ record with these fields.
void expect_fault(rig& r, unsigned cause, unsigned ttyp, uint64_t iotval)
{
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), cause);
    assert_int_equal(ttyp_of(f[0]), ttyp);
    assert_int_equal(f[0].iotval, iotval);
}
void expect_no_fault(rig& r) { assert_int_equal(r.new_faults().size(), 0); }

// The translated-address field of an ATS completion for a page of `size`
// at pa: NAPOT-encoded with S = 1 above 4 KiB (§14, open point E1).
uint64_t napot(uint64_t pa, uint64_t size)
{
    return size > 4096 ? pa | (((size >> 1) - 1) & ~uint64_t(0xFFF)) : pa;
}

struct rigs {
    rig* full;
    rig* plain;
    rig* pd8;  // PD8 only, Sv39 only
    rig* pd17; // PD8 and PD17
};

// A VA that uses a non-zero index at every level of the mode (and stays in
// the lower, canonical half).
uint64_t probe_va(unsigned mode)
{
    const unsigned top = 12 + 9 * atp_levels(mode) - 2; // bit below the sign bit
    return (uint64_t(1) << top) | 0x0000'0040'3020'1000ull % (uint64_t(1) << top);
}

void test_leaf_every_level(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    for (unsigned mode : {unsigned(ATP_SV39), unsigned(ATP_SV48), unsigned(ATP_SV57)}) {
        for (unsigned level = 0; level < atp_levels(mode); ++level) {
            auto d = r.new_dev(mode);
            const uint64_t size = level_size(level);
            const uint64_t va = probe_va(mode) & ~(size - 1);
            // PA: aligned to the page, below PAS (56 bits), not the tables.
            const uint64_t pa = level == 0 ? 0x0300'0000 : std::max<uint64_t>(size, 0x4000'0000);
            r.map(d, va, level, rig::leaf(pa, RW));
            pcie::ats_cpl c;
            assert_int_equal(r.ats(d, va + 0x123, false, c), pcie::cpl_status::sc);
            assert_true(c.r && c.w);
            assert_false(c.x || c.u || c.priv || c.global || c.n);
            assert_int_equal(c.s, size > 4096);
            assert_int_equal(c.addr, napot(pa, size));
            // DMA to the last 8 bytes of the page lands at the same offset.
            const uint64_t off = size - 8;
            uint64_t v = 0x5A5A'0000'0000'0000ull | (mode << 8) | level;
            assert_int_equal(r.dma(d, va + off, true, v), pcie::cpl_status::sc);
            assert_int_equal(r.mem.rd(pa + off), v);
            expect_no_fault(r);
        }
    }
}

void test_superpage_iotlb(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    auto d = r.new_dev(ATP_SV48);
    const uint64_t va = 0x7F'8000'0000ull & ~(level_size(1) - 1), pa = 0x0600'0000;
    r.map(d, va, 1, rig::leaf(pa, RW));
    uint64_t v = 1;
    assert_int_equal(r.dma(d, va, true, v), pcie::cpl_status::sc);
    // A different 4 KiB page of the same 2 MiB leaf: an IOTLB hit, so the
    // only memory access is the data itself.
    const uint64_t before = r.mem.accesses;
    v = 2;
    assert_int_equal(r.dma(d, va + 0x1F'F000, true, v), pcie::cpl_status::sc);
    assert_int_equal(r.mem.accesses - before, 1);
    assert_int_equal(r.mem.rd(pa + 0x1F'F000), 2);
    expect_no_fault(r);
}

void test_misaligned_superpage(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    for (unsigned mode : {unsigned(ATP_SV39), unsigned(ATP_SV48), unsigned(ATP_SV57)}) {
        for (unsigned level = 1; level < atp_levels(mode); ++level) {
            auto d = r.new_dev(mode);
            const uint64_t va = probe_va(mode) & ~(level_size(level) - 1);
            // PPN bit 0 set: not aligned to the superpage.
            r.map(d, va, level, rig::leaf(level_size(level) + 4096, RW));
            uint64_t v = 0;
            assert_int_equal(r.dma(d, va + 8, false, v), pcie::cpl_status::ur);
            expect_fault(r, CAUSE_READ_PAGE_FAULT, TTYP_UNTRANSLATED_READ, va + 8);
            pcie::ats_cpl c;
            assert_int_equal(r.ats(d, va, false, c), pcie::cpl_status::sc);
            assert_false(c.r || c.w);
            expect_no_fault(r); // ATS "not present" is never logged
        }
    }
}

void test_non_canonical(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    struct row {
        unsigned mode;
        uint64_t bad, good; // bad: bit VA-1 set, the bits above clear
    } rows[] = {
        {ATP_SV39, uint64_t(1) << 38, ~uint64_t(0) << 38},
        {ATP_SV48, uint64_t(1) << 47, ~uint64_t(0) << 47},
        {ATP_SV57, uint64_t(1) << 56, ~uint64_t(0) << 56},
    };
    for (const auto& w : rows) {
        auto d = r.new_dev(w.mode);
        r.map(d, w.good, 0, rig::leaf(0x0310'0000, RW));
        uint64_t v = 7;
        assert_int_equal(r.dma(d, w.bad, true, v), pcie::cpl_status::ur);
        expect_fault(r, CAUSE_WRITE_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, w.bad);
        assert_int_equal(r.dma(d, w.good, true, v), pcie::cpl_status::sc);
        expect_no_fault(r);
        pcie::ats_cpl c;
        assert_int_equal(r.ats(d, w.bad, false, c), pcie::cpl_status::sc);
        assert_false(c.r || c.w);
        expect_no_fault(r);
    }
    // 2^38 is outside Sv39 but a plain Sv48 address.
    auto d = r.new_dev(ATP_SV48);
    r.map(d, uint64_t(1) << 38, 0, rig::leaf(0x0312'0000, RW));
    uint64_t v = 9;
    assert_int_equal(r.dma(d, uint64_t(1) << 38, true, v), pcie::cpl_status::sc);
    assert_int_equal(r.mem.rd(0x0312'0000), 9);
}

void test_mode_capabilities(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    // capabilities say what the rigs advertise.
    assert_true(s.full->r64(REG_CAPABILITIES) & CAP_SV48);
    assert_true(s.full->r64(REG_CAPABILITIES) & CAP_SV57);
    assert_true(s.full->r64(REG_CAPABILITIES) & CAP_AMO_HWAD);
    assert_false(s.plain->r64(REG_CAPABILITIES) & (CAP_SV48 | CAP_SV57 | CAP_AMO_HWAD));
    // An iosatp mode, or SADE, the capabilities do not offer: DC misconfigured.
    rig& r = *s.plain;
    struct row {
        unsigned mode;
        uint64_t tc;
    } rows[] = {{ATP_SV48, TC_V | TC_EN_ATS}, {ATP_SV57, TC_V | TC_EN_ATS}, {11, TC_V | TC_EN_ATS},
                {ATP_SV39, TC_V | TC_EN_ATS | TC_SADE}, {ATP_SV39, TC_V | TC_EN_ATS | TC_GADE}};
    for (const auto& w : rows) {
        auto d = r.new_dev(w.mode, w.tc);
        uint64_t v = 0;
        assert_int_equal(r.dma(d, 0x1000, false, v), pcie::cpl_status::ur);
        expect_fault(r, CAUSE_DDT_MISCONFIGURED, TTYP_UNTRANSLATED_READ, 0x1000);
        pcie::ats_cpl c;
        assert_int_equal(r.ats(d, 0x1000, false, c), pcie::cpl_status::ur);
        expect_fault(r, CAUSE_DDT_MISCONFIGURED, TTYP_ATS_TRANSLATION, 0x1000);
    }
    // The full rig takes each of them (mode 11 stays reserved).
    auto d = s.full->new_dev(11);
    uint64_t v = 0;
    assert_int_equal(s.full->dma(d, 0x1000, false, v), pcie::cpl_status::ur);
    expect_fault(*s.full, CAUSE_DDT_MISCONFIGURED, TTYP_UNTRANSLATED_READ, 0x1000);
    auto e = s.full->new_dev(ATP_SV57, TC_V | TC_EN_ATS | TC_SADE);
    s.full->map(e, 0x1000, 0, rig::leaf(0x0320'0000, RW));
    assert_int_equal(s.full->dma(e, 0x1000, false, v), pcie::cpl_status::sc);
    expect_no_fault(*s.full);
}

// Without SADE (either rig): A = 0 is a page fault, D = 0 faults a write,
// and the PTE in memory stays as it was.
void test_ad_fault(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    for (rig* r : {s.plain, s.full}) {
        auto d = r->new_dev(ATP_SV39);
        const uint64_t va_a = 0x4000'0000, va_d = 0x4000'1000;
        const uint64_t pte_a = rig::leaf(0x0330'0000, PTE_R | PTE_W | PTE_U);          // A = D = 0
        const uint64_t pte_d = rig::leaf(0x0331'0000, PTE_R | PTE_W | PTE_U | PTE_A); // D = 0
        const uint64_t at_a = r->map(d, va_a, 0, pte_a), at_d = r->map(d, va_d, 0, pte_d);
        uint64_t v = 0;
        assert_int_equal(r->dma(d, va_a, false, v), pcie::cpl_status::ur);
        expect_fault(*r, CAUSE_READ_PAGE_FAULT, TTYP_UNTRANSLATED_READ, va_a);
        assert_int_equal(r->dma(d, va_a, true, v), pcie::cpl_status::ur);
        expect_fault(*r, CAUSE_WRITE_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, va_a);
        assert_int_equal(r->dma(d, va_d, true, v), pcie::cpl_status::ur);
        expect_fault(*r, CAUSE_WRITE_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, va_d);
        assert_int_equal(r->dma(d, va_d, false, v), pcie::cpl_status::sc);
        expect_no_fault(*r);
        pcie::ats_cpl c;
        assert_int_equal(r->ats(d, va_a, false, c), pcie::cpl_status::sc);
        assert_false(c.r || c.w); // A = 0: not present
        assert_int_equal(r->ats(d, va_d, false, c), pcie::cpl_status::sc);
        assert_true(c.r);
        assert_false(c.w); // D = 0: read only (open point K5)
        expect_no_fault(*r);
        assert_int_equal(r->mem.rd(at_a), pte_a);
        assert_int_equal(r->mem.rd(at_d), pte_d);
    }
}

// With SADE (AMO_HWAD): the walker sets A, and D on a granted write, in
// memory, at the cost of one more memory access; a denied access sets
// nothing.
void test_ad_hardware_update(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    for (unsigned mode : {unsigned(ATP_SV39), unsigned(ATP_SV48), unsigned(ATP_SV57)}) {
        auto d = r.new_dev(mode, TC_V | TC_EN_ATS | TC_SADE);
        const uint64_t base = 0x5000'0000;
        const uint64_t clean = PTE_R | PTE_W | PTE_U;
        const uint64_t at0 = r.map(d, base, 0, rig::leaf(0x0340'0000, clean));
        // DMA read: A set, D not; DC load (1) + walk (levels) + A update
        // (1) + data (1).
        uint64_t before = r.mem.accesses, v = 0;
        assert_int_equal(r.dma(d, base, false, v), pcie::cpl_status::sc);
        assert_int_equal(r.mem.accesses - before, atp_levels(mode) + 3);
        assert_int_equal(r.mem.rd(at0), rig::leaf(0x0340'0000, clean | PTE_A));
        // DMA write to the now cached (A = 1, D = 0) page: walked again, D set.
        v = 0x77;
        assert_int_equal(r.dma(d, base + 8, true, v), pcie::cpl_status::sc);
        assert_int_equal(r.mem.rd(at0), rig::leaf(0x0340'0000, clean | PTE_A | PTE_D));
        assert_int_equal(r.mem.rd(0x0340'0008), 0x77);
        // And now it hits: the data access only.
        before = r.mem.accesses;
        assert_int_equal(r.dma(d, base + 16, true, v), pcie::cpl_status::sc);
        assert_int_equal(r.mem.accesses - before, 1);
        expect_no_fault(r);

        // A write to a read-only page: a page fault, A stays 0.
        const uint64_t ro = rig::leaf(0x0341'0000, PTE_R | PTE_U);
        const uint64_t at1 = r.map(d, base + 0x1000, 0, ro);
        assert_int_equal(r.dma(d, base + 0x1000, true, v), pcie::cpl_status::ur);
        expect_fault(r, CAUSE_WRITE_PAGE_FAULT, TTYP_UNTRANSLATED_WRITE, base + 0x1000);
        assert_int_equal(r.mem.rd(at1), ro);
        // A supervisor page (U = 0) for a request without PASID: nothing set.
        const uint64_t sup = rig::leaf(0x0342'0000, PTE_R | PTE_W);
        const uint64_t at2 = r.map(d, base + 0x2000, 0, sup);
        assert_int_equal(r.dma(d, base + 0x2000, false, v), pcie::cpl_status::ur);
        expect_fault(r, CAUSE_READ_PAGE_FAULT, TTYP_UNTRANSLATED_READ, base + 0x2000);
        assert_int_equal(r.mem.rd(at2), sup);

        // ATS with NW = 1: A only, W not granted (D = 0); with NW = 0: A | D, W.
        const uint64_t at3 = r.map(d, base + 0x3000, 0, rig::leaf(0x0343'0000, clean));
        const uint64_t at4 = r.map(d, base + 0x4000, 0, rig::leaf(0x0344'0000, clean));
        pcie::ats_cpl c;
        assert_int_equal(r.ats(d, base + 0x3000, true, c), pcie::cpl_status::sc);
        assert_true(c.r);
        assert_false(c.w);
        assert_int_equal(r.mem.rd(at3), rig::leaf(0x0343'0000, clean | PTE_A));
        assert_int_equal(r.ats(d, base + 0x4000, false, c), pcie::cpl_status::sc);
        assert_true(c.r && c.w);
        assert_int_equal(c.addr, 0x0344'0000);
        assert_int_equal(r.mem.rd(at4), rig::leaf(0x0344'0000, clean | PTE_A | PTE_D));
        expect_no_fault(r);
    }
}

// The A/D store writes the leaf as it was loaded plus A/D: a G bit of the
// leaf stays, a G bit inherited from a non-leaf entry is not copied down.
void test_ad_update_keeps_leaf(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    auto d = r.new_dev(ATP_SV39, TC_V | TC_EN_ATS | TC_SADE);
    const uint64_t own = rig::leaf(0x0350'0000, PTE_R | PTE_W | PTE_U | PTE_G);
    const uint64_t at_own = r.map(d, 0x6000'0000, 0, own);
    const uint64_t inherited = rig::leaf(0x0351'0000, PTE_R | PTE_W | PTE_U);
    const uint64_t at_inh = r.map(d, 0x8000'0000, 0, inherited);
    const uint64_t root_e = d.root + ((0x8000'0000ull >> 30) & 0x1FF) * 8;
    r.mem.wr(root_e, r.mem.rd(root_e) | PTE_G); // global pointer above the second leaf
    uint64_t v = 0;
    assert_int_equal(r.dma(d, 0x6000'0000, false, v), pcie::cpl_status::sc);
    assert_int_equal(r.dma(d, 0x8000'0000, true, v), pcie::cpl_status::sc);
    assert_int_equal(r.mem.rd(at_own), own | PTE_A);
    assert_int_equal(r.mem.rd(at_inh), inherited | PTE_A | PTE_D);
    expect_no_fault(r);
}

// ATS completion bits (§14): X never without PASID, U/Priv/Global/N 0 for
// requests without a PASID, superpage ranges S-encoded, X-only pages not
// present.
void test_ats_bits(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    auto d = r.new_dev(ATP_SV48);
    const uint64_t va = 0x0000'4000'0000'0000ull; // bit 46: level-3 index 128
    r.map(d, va, 2, rig::leaf(0x8000'0000, RW | PTE_X | PTE_G));
    pcie::ats_cpl c;
    assert_int_equal(r.ats(d, va + 0x1234'5000, false, c, true), pcie::cpl_status::sc);
    assert_true(c.r && c.w && c.s);
    assert_false(c.x || c.u || c.priv || c.global || c.n); // exec/G need a PASID
    assert_int_equal(c.addr, 0x8000'0000 | 0x1FFF'F000);    // 1 GiB range
    // Execute-only: not expressible in ATS, so not present.
    r.map(d, va + level_size(2), 2, rig::leaf(0xC000'0000, PTE_X | PTE_U | PTE_A));
    assert_int_equal(r.ats(d, va + level_size(2), false, c, true), pcie::cpl_status::sc);
    assert_false(c.r || c.w || c.x);
    // Read-only: R without W.
    r.map(d, va + 2 * level_size(2), 2, rig::leaf(0x1'0000'0000, PTE_R | PTE_U | PTE_A));
    assert_int_equal(r.ats(d, va + 2 * level_size(2), false, c), pcie::cpl_status::sc);
    assert_true(c.r);
    assert_false(c.w);
    // U = 0 page for a request without PASID (a user-mode request): not present.
    r.map(d, va + 3 * level_size(2), 2, rig::leaf(0x1'4000'0000, PTE_R | PTE_W | PTE_A | PTE_D));
    assert_int_equal(r.ats(d, va + 3 * level_size(2), false, c), pcie::cpl_status::sc);
    assert_false(c.r || c.w);
    expect_no_fault(r);
    // A walk that reads a table in the hole: Completer Abort, cause 7 (write
    // requested) or 5 (NW = 1), TTYP 8, logged.
    auto e = r.new_dev(ATP_SV48);
    r.map(e, 0x1000, 3, (HOLE >> 12 << 10) | PTE_V); // root entry -> the hole
    assert_int_equal(r.ats(e, 0x1000, false, c), pcie::cpl_status::ca);
    expect_fault(r, CAUSE_WRITE_ACCESS_FAULT, TTYP_ATS_TRANSLATION, 0x1000);
    assert_int_equal(r.ats(e, 0x1000, true, c), pcie::cpl_status::ca);
    expect_fault(r, CAUSE_READ_ACCESS_FAULT, TTYP_ATS_TRANSLATION, 0x1000);
}

// §16 and §"Process to translate an IOVA" steps 7, 10-16: with DC.tc.PDTV
// each PASID is translated by its process context's first stage, found
// through a PD8, PD17 or PD20 directory; each PC's PSCID tags its IOTLB
// entries, so one IOVA maps differently per PASID.
void test_pdt_modes(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    const uint64_t va = 0x4000'0000;
    const uint32_t pids[] = {0x5A, 0x1'2345, 0xF'EDCB};
    const unsigned modes[] = {PDTP_PD8, PDTP_PD17, PDTP_PD20};
    for (unsigned i = 0; i < 3; ++i) {
        auto d = r.new_pdt_dev(modes[i]);
        const uint32_t pid = pids[i];
        auto pt = r.new_pc(d, pid, ATP_SV39, 0x100 + i);
        auto pt2 = r.new_pc(d, pid ^ 1, ATP_SV48, 0x200 + i);
        const uint64_t pa = 0x9000'0000 + uint64_t(i) * 0x10'0000;
        r.map(pt, va, 0, rig::leaf(pa, RW));
        r.map(pt2, va, 0, rig::leaf(pa + 0x8000, RW));
        pcie::ats_cpl c;
        assert_int_equal(r.ats(d, va, false, c, false, {true, pid}), pcie::cpl_status::sc);
        assert_true(c.r && c.w);
        assert_int_equal(c.addr, pa);
        assert_int_equal(r.ats(d, va, false, c, false, {true, pid ^ 1}), pcie::cpl_status::sc);
        assert_int_equal(c.addr, pa + 0x8000);
        // Again, from the IOTLB: still one translation per PSCID.
        assert_int_equal(r.ats(d, va, true, c, false, {true, pid}), pcie::cpl_status::sc);
        assert_int_equal(c.addr, pa);
        // Untranslated DMA with the PASID lands at its PA.
        uint64_t data = 0x1122'3344'5566'7788ull + i;
        assert_int_equal(r.dma(d, va + 8, true, data, {true, pid ^ 1}), pcie::cpl_status::sc);
        assert_int_equal(r.mem.rd(pa + 0x8008), 0x1122'3344'5566'7788ull + i);
        expect_no_fault(r);
    }
}

// PDTV without a PASID: Bare unless DPE, which uses process_id 0; a
// process_id wider than the mode resolves is disallowed (260, logged).
void test_pdt_default_and_width(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    pcie::ats_cpl c;
    auto d = r.new_pdt_dev(PDTP_PD8);
    r.new_pc(d, 0, ATP_SV39, 0x300);
    assert_int_equal(r.ats(d, 0x7777'7000, false, c), pcie::cpl_status::sc);
    assert_true(c.r && c.w);
    assert_int_equal(c.addr, 0x7777'7000); // Bare: identity
    auto e = r.new_pdt_dev(PDTP_PD8, TC_DPE);
    auto pt = r.new_pc(e, 0, ATP_SV39, 0x301);
    r.map(pt, 0x7777'7000, 0, rig::leaf(0xA000'0000, RW));
    assert_int_equal(r.ats(e, 0x7777'7000, false, c), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0xA000'0000);
    expect_no_fault(r);
    assert_int_equal(r.ats(e, 0x1000, false, c, false, {true, 0x100}), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_TTYPE_DISALLOWED, TTYP_ATS_TRANSLATION, 0x1000);
    uint64_t data = 0;
    assert_int_equal(r.dma(e, 0x1000, false, data, {true, 0x100}), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_TTYPE_DISALLOWED, TTYP_UNTRANSLATED_READ, 0x1000);
}

// The PDT's faults (§11.2, §14): not valid (266) answers ATS Success with
// R = W = 0 and logs nothing, but aborts DMA with a record; a reserved bit
// in a non-leaf entry or a misconfigured PC (267) and a load access fault
// (265) are Completer Abort, logged.
void test_pdt_faults(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    pcie::ats_cpl c;
    auto d = r.new_pdt_dev(PDTP_PD17);
    r.new_pc(d, 0x101, ATP_SV39, 0x400);
    // Another PC in the same leaf page, not valid; a PASID whose level-1
    // entry is not valid.
    assert_int_equal(r.ats(d, 0x2000, false, c, false, {true, 0x102}), pcie::cpl_status::sc);
    assert_false(c.r || c.w);
    assert_int_equal(r.ats(d, 0x2000, false, c, false, {true, 0x1'0000}), pcie::cpl_status::sc);
    assert_false(c.r || c.w);
    expect_no_fault(r);
    uint64_t data = 0;
    assert_int_equal(r.dma(d, 0x2000, false, data, {true, 0x102}), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_PDT_INVALID, TTYP_UNTRANSLATED_READ, 0x2000);
    // A reserved bit in the level-1 entry of 0x101.
    const uint64_t l1 = d.root + uint64_t(pdt_pdi(0x101, 1)) * 8;
    const uint64_t good = r.mem.rd(l1);
    r.mem.wr(l1, good | bit(5));
    assert_int_equal(r.ats(d, 0x2000, false, c, false, {true, 0x101}), pcie::cpl_status::ca);
    expect_fault(r, CAUSE_PDT_MISCONFIGURED, TTYP_ATS_TRANSLATION, 0x2000);
    r.mem.wr(l1, good);
    // A PC whose fsc.MODE is not a first-stage mode, and one with a reserved ta bit.
    const uint64_t pc = r.pc_addr(d, 0x101);
    const uint64_t fsc = r.mem.rd(pc + 8);
    r.mem.wr(pc + 8, (fsc & ATP_PPN) | (uint64_t(7) << ATP_MODE_SHIFT));
    assert_int_equal(r.ats(d, 0x2000, false, c, false, {true, 0x101}), pcie::cpl_status::ca);
    expect_fault(r, CAUSE_PDT_MISCONFIGURED, TTYP_ATS_TRANSLATION, 0x2000);
    r.mem.wr(pc + 8, fsc);
    r.mem.wr(pc, r.mem.rd(pc) | bit(40));
    assert_int_equal(r.dma(d, 0x2000, false, data, {true, 0x101}), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_PDT_MISCONFIGURED, TTYP_UNTRANSLATED_READ, 0x2000);
    // A directory in the hole: load access fault.
    auto h = r.new_pdt_dev(PDTP_PD8);
    r.mem.wr(DDT_ROOT + uint64_t(h.did) * 32 + 24, (uint64_t(PDTP_PD8) << ATP_MODE_SHIFT) | (HOLE >> 12));
    assert_int_equal(r.ats(h, 0x3000, true, c, false, {true, 1}), pcie::cpl_status::ca);
    expect_fault(r, CAUSE_PDT_LOAD_FAULT, TTYP_ATS_TRANSLATION, 0x3000);
}

// ENS and SUM (§16): a supervisor request needs PC.ta.ENS (else 260, UR);
// with ENS it may use U = 0 pages, and U = 1 pages only with SUM.
void test_pdt_ens_sum(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    pcie::ats_cpl c;
    auto d = r.new_pdt_dev(PDTP_PD8);
    auto user_only = r.new_pc(d, 1, ATP_SV39, 0x500);
    r.map(user_only, 0x5000, 0, rig::leaf(0xB000'0000, RW));
    assert_int_equal(r.ats(d, 0x5000, false, c, false, {true, 1, true}), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_TTYPE_DISALLOWED, TTYP_ATS_TRANSLATION, 0x5000);
    auto ens = r.new_pc(d, 2, ATP_SV39, 0x501, PC_TA_ENS);
    r.map(ens, 0x5000, 0, rig::leaf(0xB100'0000, PTE_R | PTE_W | PTE_A | PTE_D)); // U = 0
    r.map(ens, 0x6000, 0, rig::leaf(0xB200'0000, RW));                           // U = 1
    assert_int_equal(r.ats(d, 0x5000, false, c, false, {true, 2, true}), pcie::cpl_status::sc);
    assert_true(c.r && c.w && c.priv);
    assert_int_equal(c.addr, 0xB100'0000);
    assert_int_equal(r.ats(d, 0x6000, false, c, false, {true, 2, true}), pcie::cpl_status::sc);
    assert_false(c.r || c.w); // U = 1 without SUM
    auto sum = r.new_pc(d, 3, ATP_SV39, 0x502, PC_TA_ENS | PC_TA_SUM);
    r.map(sum, 0x6000, 0, rig::leaf(0xB300'0000, RW));
    assert_int_equal(r.ats(d, 0x6000, false, c, false, {true, 3, true}), pcie::cpl_status::sc);
    assert_true(c.r && c.w);
    assert_int_equal(c.addr, 0xB300'0000);
    expect_no_fault(r);
}

// Execute requests (a read with Execute Requested in its PASID prefix,
// §11.2): a page without X is an instruction page fault (12), a table load
// that faults an instruction access fault (1), both with TTYP 1
// (untranslated execute); a translated read or execute from a device whose
// DC is not valid reports TTYP 6 / 5 (cause 258).
void test_exec_faults(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    auto d = r.new_pdt_dev(PDTP_PD8);
    auto pt = r.new_pc(d, 1, ATP_SV39, 0x600);
    r.map(pt, 0x7000, 0, rig::leaf(0xB400'0000, RW));                   // no X
    r.map(pt, 0x8000, 0, rig::leaf(0xB500'0000, RW | PTE_X));
    uint64_t data = 0;
    assert_int_equal(r.dma(d, 0x7000, false, data, {true, 1}, true), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_INSN_PAGE_FAULT, TTYP_UNTRANSLATED_EXEC, 0x7000);
    r.mem.wr(0xB500'0000, 0x5EC);
    assert_int_equal(r.dma(d, 0x8000, false, data, {true, 1}, true), pcie::cpl_status::sc);
    assert_int_equal(data, 0x5EC);
    expect_no_fault(r);
    // the same page read without Execute Requested is a plain read
    assert_int_equal(r.dma(d, 0x7000, false, data, {true, 1}), pcie::cpl_status::sc);
    expect_no_fault(r);
    // a non-leaf entry pointing into the hole: the walk's load faults
    auto holed = r.new_pc(d, 2, ATP_SV39, 0x601);
    r.map(holed, 0x9000, 2, (HOLE >> 12 << 10) | PTE_V);
    assert_int_equal(r.dma(d, 0x9000, false, data, {true, 2}, true), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_INSN_ACCESS_FAULT, TTYP_UNTRANSLATED_EXEC, 0x9000);
    // translated requests from a device without a valid DC: TTYP 6, then 5
    rig::dev none{100, ATP_SV39, 0}; // a DID the 1LVL directory resolves, its DC never written
    assert_int_equal(r.dma(none, 0x1000, false, data, {true, 1}, false, true), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_DDT_INVALID, TTYP_TRANSLATED_READ, 0x1000);
    assert_int_equal(r.dma(none, 0x1000, false, data, {true, 1}, true, true), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_DDT_INVALID, TTYP_TRANSLATED_EXEC, 0x1000);
}

// DC.tc.DTF (§11.2's "reported if DTF = 1" column): the translation faults
// of a device with DTF write no record (the requests still fail as without
// it: UR or CA); a misconfigured DC (259) is reported whatever its DTF.
void test_dtf_suppression(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->full;
    pcie::ats_cpl c;
    uint64_t data = 0;
    // first stage: read and write page faults, an access fault in the walk
    auto d = r.new_dev(ATP_SV39, TC_V | TC_EN_ATS | TC_DTF);
    r.map(d, 0xA000, 0, rig::leaf(0xB600'0000, PTE_R | PTE_U | PTE_A)); // read-only
    assert_int_equal(r.dma(d, 0xB000, false, data), pcie::cpl_status::ur);  // 13
    assert_int_equal(r.dma(d, 0xA000, true, data), pcie::cpl_status::ur);   // 15
    r.map(d, 0x4000'0000, 1, (HOLE >> 12 << 10) | PTE_V);
    assert_int_equal(r.dma(d, 0x4000'0000, false, data), pcie::cpl_status::ur); // 5
    assert_int_equal(r.ats(d, 0x4000'0000, true, c), pcie::cpl_status::ca);      // 5, CA
    expect_no_fault(r);
    // process directory: a PC not valid (266), an execute page fault (12)
    auto p = r.new_pdt_dev(PDTP_PD8, TC_DTF);
    auto pt = r.new_pc(p, 1, ATP_SV39, 0x610);
    r.map(pt, 0x7000, 0, rig::leaf(0xB700'0000, RW));
    assert_int_equal(r.dma(p, 0x7000, false, data, {true, 2}), pcie::cpl_status::ur);       // 266
    assert_int_equal(r.dma(p, 0x7000, false, data, {true, 1}, true), pcie::cpl_status::ur); // 12
    // a transaction type the DC disallows: a supervisor request without ENS (260)
    assert_int_equal(r.ats(p, 0x7000, false, c, false, {true, 1, true}), pcie::cpl_status::ur);
    expect_no_fault(r);
    // a misconfigured DC with DTF is reported: a reserved tc bit (259)
    auto m = r.new_dev(ATP_SV39, TC_V | TC_EN_ATS | TC_DTF | bit(40));
    assert_int_equal(r.dma(m, 0x1000, false, data), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_DDT_MISCONFIGURED, TTYP_UNTRANSLATED_READ, 0x1000);
}

// Without PD8/PD17/PD20 in capabilities, a DC selecting one is
// misconfigured (§15.4 #8: cause 259, UR).
void test_pdt_not_advertised(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->plain;
    pcie::ats_cpl c;
    auto d = r.new_pdt_dev(PDTP_PD8);
    assert_int_equal(r.ats(d, 0x1000, false, c, false, {true, 1}), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_DDT_MISCONFIGURED, TTYP_ATS_TRANSLATION, 0x1000);
    // A Bare pdtp needs no capability: every request is Bare.
    auto b = r.new_pdt_dev(PDTP_BARE);
    assert_int_equal(r.ats(b, 0x1000, false, c, false, {true, 1}), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0x1000);
    expect_no_fault(r);
}

// §16 process-context checks against the capabilities: a PC whose
// fsc.MODE is Sv48 or Sv57 where only Sv39 is advertised, or that sets a
// reserved fsc bit (59:44), is misconfigured (267; ATS CA, DMA UR); Sv39
// works on the same PDT.
void test_pc_fsc_rules(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->pd8;
    pcie::ats_cpl c;
    auto d = r.new_pdt_dev(PDTP_PD8);
    auto pt = r.new_pc(d, 1, ATP_SV39, 0x500);
    r.map(pt, 0x5000, 0, rig::leaf(0x0600'0000, RW));
    assert_int_equal(r.ats(d, 0x5000, false, c, false, {true, 1}), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0x0600'0000);
    const uint64_t pc = r.pc_addr(d, 1);
    const uint64_t fsc = r.mem.rd(pc + 8);
    uint64_t data = 0;
    // Each change of the PC is followed by IODIR.INVAL_PDT (the PC cache).
    const uint64_t inval = CMD_IODIR | (uint64_t(IODIR_INVAL_PDT) << CMD_FUNC3_SHIFT) | IODIR_DV |
                           (uint64_t(d.did) << IODIR_DID_SHIFT) | (uint64_t(1) << 12);
    for (uint64_t bad : {(fsc & ATP_PPN) | (uint64_t(ATP_SV48) << ATP_MODE_SHIFT),
                         (fsc & ATP_PPN) | (uint64_t(ATP_SV57) << ATP_MODE_SHIFT), fsc | bit(44),
                         fsc | bit(59)}) {
        r.mem.wr(pc + 8, bad);
        r.cq_submit(inval);
        assert_int_equal(r.ats(d, 0x5000, false, c, false, {true, 1}), pcie::cpl_status::ca);
        expect_fault(r, CAUSE_PDT_MISCONFIGURED, TTYP_ATS_TRANSLATION, 0x5000);
        assert_int_equal(r.dma(d, 0x5000, false, data, {true, 1}), pcie::cpl_status::ur);
        expect_fault(r, CAUSE_PDT_MISCONFIGURED, TTYP_UNTRANSLATED_READ, 0x5000);
    }
    r.mem.wr(pc + 8, fsc);
    r.cq_submit(inval);
    assert_int_equal(r.ats(d, 0x5000, false, c, false, {true, 1}), pcie::cpl_status::sc);
    expect_no_fault(r);
}

// §10.3 IODIR.INVAL_PDT: DV = 1 and a PID no wider than the widest PD mode
// advertised (8 bits with PD8 alone, 17 with PD17, 20 with PD20); a wider
// one is cmd_ill with cqh left on the command. The same widths in the PDT
// modes themselves: a process_id wider than pdtp.MODE resolves is 260.
void test_iodir_pdt_width(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    struct {
        rig* r;
        uint32_t widest_ok;
    } cases[] = {{s.pd8, 0xFF}, {s.pd17, 0x1'FFFF}, {s.full, 0xF'FFFF}};
    for (const auto& k : cases) {
        rig& r = *k.r;
        const uint64_t cmd = CMD_IODIR | (uint64_t(IODIR_INVAL_PDT) << CMD_FUNC3_SHIFT) | IODIR_DV |
                             (uint64_t(3) << IODIR_DID_SHIFT);
        r.cq_submit(cmd | (uint64_t(k.widest_ok) << 12));
        assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CMD_ILL, 0);
        if (k.widest_ok < 0xF'FFFF) {
            const uint32_t h = r.r32(REG_CQH);
            r.cq_submit(cmd | (uint64_t(k.widest_ok + 1) << 12));
            assert_true(r.r32(REG_CQCSR) & CQCSR_CMD_ILL);
            assert_int_equal(r.r32(REG_CQH), h);
            // recovery: turn the command into an IOFENCE.C and clear cmd_ill
            r.mem.wr(CQ + uint64_t(h) * 16, CMD_IOFENCE);
            r.mem.wr(CQ + uint64_t(h) * 16 + 8, 0);
            r.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CMD_ILL);
            r.settle();
            assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CMD_ILL, 0);
            assert_int_equal(r.r32(REG_CQH), r.r32(REG_CQT));
        }
    }
    // PD17's directory resolves 17 bits: process_id 2^17 is 260 (UR).
    rig& r = *s.pd17;
    pcie::ats_cpl c;
    auto d = r.new_pdt_dev(PDTP_PD17);
    assert_int_equal(r.ats(d, 0x1000, false, c, false, {true, 0x2'0000}), pcie::cpl_status::ur);
    expect_fault(r, CAUSE_TTYPE_DISALLOWED, TTYP_ATS_TRANSLATION, 0x1000);
}

// The process-context cache (§10.4): a PC changed in memory without
// IODIR.INVAL_PDT is still used as cached (its PSCID and root: the IOTLB
// entry of the old PSCID answers); IODIR.INVAL_PDT of (DID, PID) makes the
// next request load the new PC; IODIR.INVAL_DDT of the DID drops its PCs
// too; another PID's entry is kept.
void test_pdtc(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->pd8;
    pcie::ats_cpl c;
    auto d = r.new_pdt_dev(PDTP_PD8);
    auto old_pt = r.new_pc(d, 7, ATP_SV39, 0x700);
    r.map(old_pt, 0x7000, 0, rig::leaf(0x0700'0000, RW));
    auto other = r.new_pc(d, 8, ATP_SV39, 0x800);
    r.map(other, 0x7000, 0, rig::leaf(0x0800'0000, RW));
    assert_int_equal(r.ats(d, 0x7000, false, c, false, {true, 7}), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0x0700'0000);
    assert_int_equal(r.ats(d, 0x7000, false, c, false, {true, 8}), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0x0800'0000);
    // PID 7's PC now names another PSCID and table: not seen until invalidated.
    const uint64_t pc = r.pc_addr(d, 7);
    rig::dev new_pt{d.did, ATP_SV39, r.pt_alloc()};
    r.map(new_pt, 0x7000, 0, rig::leaf(0x0701'0000, RW));
    r.mem.wr(pc, PC_TA_V | (uint64_t(0x701) << 12));
    r.mem.wr(pc + 8, (uint64_t(ATP_SV39) << ATP_MODE_SHIFT) | (new_pt.root >> 12));
    assert_int_equal(r.ats(d, 0x7000, false, c, false, {true, 7}), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0x0700'0000);
    const uint64_t inval_pdt = CMD_IODIR | (uint64_t(IODIR_INVAL_PDT) << CMD_FUNC3_SHIFT) | IODIR_DV |
                               (uint64_t(d.did) << IODIR_DID_SHIFT);
    r.cq_submit(inval_pdt | (uint64_t(7) << 12));
    assert_int_equal(r.ats(d, 0x7000, false, c, false, {true, 7}), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0x0701'0000);
    // PID 8 kept its entry: a change to its PC stays unseen ...
    const uint64_t pc8 = r.pc_addr(d, 8);
    r.mem.wr(pc8, 0); // not valid in memory
    assert_int_equal(r.ats(d, 0x7000, false, c, false, {true, 8}), pcie::cpl_status::sc);
    assert_int_equal(c.addr, 0x0800'0000);
    // ... until IODIR.INVAL_DDT of the device drops its PCs: not valid, R = W = 0.
    r.cq_submit(CMD_IODIR | (uint64_t(IODIR_INVAL_DDT) << CMD_FUNC3_SHIFT) | IODIR_DV |
                (uint64_t(d.did) << IODIR_DID_SHIFT));
    assert_int_equal(r.ats(d, 0x7000, false, c, false, {true, 8}), pcie::cpl_status::sc);
    assert_false(c.r || c.w);
    expect_no_fault(r);
}

class top : public sc_core::sc_module {
public:
    std::unique_ptr<rig> full, plain, pd8, pd17;
    int result = -1;

    SC_HAS_PROCESS(top);
    top(sc_core::sc_module_name n, const iommu_params& pf, const iommu_params& pp) : sc_module(n)
    {
        full = std::make_unique<rig>("full", pf);
        plain = std::make_unique<rig>("plain", pp);
        iommu_params p8, p17;
        p8.pd8 = true;
        p17.pd8 = p17.pd17 = true;
        pd8 = std::make_unique<rig>("pd8", p8);
        pd17 = std::make_unique<rig>("pd17", p17);
        SC_THREAD(main);
        set_stack_size(4 << 20);
    }
    // The Verilated blocks inside go in the order they were made.
    ~top() override
    {
        full.reset();
        plain.reset();
        pd8.reset();
        pd17.reset();
    }

private:
    void main()
    {
        full->start();
        plain->start();
        pd8->start();
        pd17->start();
        rigs s{full.get(), plain.get(), pd8.get(), pd17.get()};
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_prestate(test_mode_capabilities, &s),
            cmocka_unit_test_prestate(test_leaf_every_level, &s),
            cmocka_unit_test_prestate(test_superpage_iotlb, &s),
            cmocka_unit_test_prestate(test_misaligned_superpage, &s),
            cmocka_unit_test_prestate(test_non_canonical, &s),
            cmocka_unit_test_prestate(test_ad_fault, &s),
            cmocka_unit_test_prestate(test_ad_hardware_update, &s),
            cmocka_unit_test_prestate(test_ad_update_keeps_leaf, &s),
            cmocka_unit_test_prestate(test_ats_bits, &s),
            cmocka_unit_test_prestate(test_pdt_modes, &s),
            cmocka_unit_test_prestate(test_pdt_default_and_width, &s),
            cmocka_unit_test_prestate(test_pdt_faults, &s),
            cmocka_unit_test_prestate(test_pdt_ens_sum, &s),
            cmocka_unit_test_prestate(test_pdt_not_advertised, &s),
            cmocka_unit_test_prestate(test_exec_faults, &s),
            cmocka_unit_test_prestate(test_dtf_suppression, &s),
            cmocka_unit_test_prestate(test_pc_fsc_rules, &s),
            cmocka_unit_test_prestate(test_iodir_pdt_width, &s),
            cmocka_unit_test_prestate(test_pdtc, &s),
        };
        result = cmocka_run_group_tests_name("model.iommu.xlate", tests, nullptr, nullptr);
        sc_core::sc_stop();
    }
};

} // namespace

int sc_main(int, char*[])
{
    iommu_params pf, pp;
    pf.sv48 = pf.sv57 = pf.amo_hwad = true;
    pf.pd8 = pf.pd17 = pf.pd20 = true;
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_LOG);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    top t("tb", pf, pp);
    sc_core::sc_start();
    return t.result;
}
