// SPDX-License-Identifier: Apache-2.0
//
// Description: the device directory of the RISC-V IOMMU model
// (model.iommu.ddt): ddtp 1LVL/2LVL/3LVL with base-format (32-byte) and
// extended-format (64-byte, capabilities.MSI_FLAT) device contexts
// (riscv-iommu.md §5, §15). Three IOMMUs are elaborated once, each with its
// own memory and endpoint (iommu_bench.h): base format, extended format, and
// base format with ddtp limited to 2LVL. The cmocka cases run in one SystemC
// thread:
//   device_ids on both sides of every level boundary resolve to their own DC
//   (a wrong index finds an invalid DC and faults instead); every DDT fault
//   cause (257 load access fault, 258 not valid, 259 misconfigured, each at a
//   non-leaf entry and at the leaf DC; 260 device_id too wide for the mode and
//   format) with its FQ record (CAUSE, TTYP, DID, iotval) and the
//   auto-response the spec's table names (§13.3, §13.4), also for DMA and ATS;
//   the device_id width of IODIR; ddtp WARL above the deepest mode; 64-byte
//   DC checks (msiptp, reserved fields).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
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
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

// ---- memory map of each rig ----
constexpr uint64_t DDT_ROOT = 0x0010'0000;
constexpr uint64_t CQ = 0x0020'0000; // 8 commands
constexpr uint64_t FQ = 0x0021'0000; // 64 records
constexpr uint64_t PQ = 0x0022'0000; // 64 records
constexpr uint64_t TABLES = 0x0040'0000; // directory tables below the root
constexpr uint64_t HOLE = 0x0800'0000;   // [HOLE, HOLE + 64 KiB) faults
constexpr uint64_t FAULT_BASE = 0x1'0000'0000;
constexpr uint32_t FQ_N = 64, PQ_N = 64;
constexpr uint32_t PASID = 0x42;
constexpr uint64_t TC_OK = TC_V | TC_EN_ATS | TC_EN_PRI; // fsc, iohgatp Bare

// One IOMMU with its memory, endpoint and register port.
class rig : public tb::iommu_rig {
public:
    const bool ext;

    rig(sc_core::sc_module_name n, const iommu_params& p)
        : iommu_rig(n, p, {{HOLE, HOLE + 0xFFFF}, {FAULT_BASE, ~uint64_t(0)}}), ext(p.msi_flat)
    {
    }

    // Queues on (no interrupts), ddtp Off, directory memory cleared.
    void start()
    {
        w64(REG_CQB, (CQ >> 12) << QB_PPN_SHIFT | 2); // 8
        w32(REG_CQT, 0);
        w32(REG_CQCSR, CQCSR_CQEN);
        w64(REG_FQB, (FQ >> 12) << QB_PPN_SHIFT | 5); // 64
        w32(REG_FQH, 0);
        w32(REG_FQCSR, FQCSR_FQEN);
        w64(REG_PQB, (PQ >> 12) << QB_PPN_SHIFT | 5); // 64
        w32(REG_PQH, 0);
        w32(REG_PQCSR, PQCSR_PQEN);
        settle();
        assert_true(r32(REG_CQCSR) & XQCSR_ON);
        assert_true(r32(REG_FQCSR) & XQCSR_ON);
        assert_true(r32(REG_PQCSR) & XQCSR_ON);
    }
    void settle(sc_time t = sc_time(5, SC_US)) { wait(t); }

    // ---- directory ----
    // ddtp = mode with a fresh, zeroed directory; every cached DC dropped.
    void set_mode(unsigned mode)
    {
        w64(REG_DDTP, DDTP_OFF);
        clear_tables();
        w64(REG_DDTP, mode | (DDT_ROOT >> 12 << DDTP_PPN_SHIFT));
        assert_int_equal(r64(REG_DDTP), mode | (DDT_ROOT >> 12 << DDTP_PPN_SHIFT));
        m_mode = mode;
        iodir_all();
    }
    void clear_tables()
    {
        for (uint64_t a = DDT_ROOT; a < DDT_ROOT + 4096; a += 8)
            mem.wr(a, 0);
        for (uint64_t a = TABLES; a < m_next; a += 8)
            mem.wr(a, 0);
        m_next = TABLES;
    }
    // Address of did's DC, building missing tables on the way (§15.1).
    uint64_t dc_addr(uint32_t did)
    {
        uint64_t a = DDT_ROOT;
        for (unsigned level = ddt_levels(m_mode) - 1; level > 0; --level) {
            const uint64_t ea = a + uint64_t(ddt_ddi(did, level, ext)) * 8;
            uint64_t e = mem.rd(ea);
            if (!(e & DDTE_V)) {
                e = DDTE_V | (m_next >> 12 << 10);
                m_next += 4096;
                mem.wr(ea, e);
            }
            a = field(e, 53, 10) << 12;
        }
        return a + uint64_t(ddt_ddi(did, 0, ext)) * (ext ? 64 : 32);
    }
    // Address of the non-leaf entry of did at level (>= 1) (tables must exist).
    uint64_t ddte_addr(uint32_t did, unsigned level)
    {
        dc_addr(did);
        uint64_t a = DDT_ROOT;
        for (unsigned l = ddt_levels(m_mode) - 1; l > level; --l)
            a = field(mem.rd(a + uint64_t(ddt_ddi(did, l, ext)) * 8), 53, 10) << 12;
        return a + uint64_t(ddt_ddi(did, level, ext)) * 8;
    }
    void set_dc(uint32_t did, uint64_t tc, uint64_t dw4 = 0, uint64_t dw7 = 0)
    {
        const uint64_t a = dc_addr(did);
        mem.wr(a, tc);
        for (unsigned i = 1; i < (ext ? 8u : 4u); ++i)
            mem.wr(a + 8 * i, 0);
        if (ext) {
            mem.wr(a + 32, dw4);
            mem.wr(a + 56, dw7);
        }
    }

    // ---- commands ----
    void cq_submit(uint64_t dw0, uint64_t dw1 = 0)
    {
        const uint32_t cqt = r32(REG_CQT);
        mem.wr(CQ + cqt * 16, dw0);
        mem.wr(CQ + cqt * 16 + 8, dw1);
        w32(REG_CQT, (cqt + 1) & 7);
        settle();
    }
    void iodir_all() { cq_submit(CMD_IODIR | (uint64_t(IODIR_INVAL_DDT) << CMD_FUNC3_SHIFT)); }

    // ---- traffic ----
    // A Page Request (L = 1, PRGI prgi) from device_id did (DSV when it
    // needs more than 16 bits).
    void page_request(uint32_t did, bool pv, uint32_t prgi)
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::page_request;
        e.rid = uint16_t(did);
        e.dsv = did > 0xFFFF;
        e.dseg = uint8_t(did >> 16);
        e.pv = pv;
        e.pasid = PASID;
        unsigned char b[8];
        pcie::store_le64(b, pcie::pr_payload(0x1000'0000, prgi, true, true, true));
        assert_int_equal(ep.send(e, tlm::TLM_WRITE_COMMAND, 0, b, 8), tlm::TLM_OK_RESPONSE);
        settle();
    }
    pcie::cpl_status dma_read(uint32_t did, uint64_t addr)
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::mem_read;
        e.at = pcie::at_t::untranslated;
        e.rid = uint16_t(did);
        e.dsv = did > 0xFFFF;
        e.dseg = uint8_t(did >> 16);
        unsigned char b[8] = {};
        ep.send(e, tlm::TLM_READ_COMMAND, addr, b, 8);
        settle();
        return e.status;
    }
    pcie::cpl_status ats(uint32_t did, uint64_t va)
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::ats_translation_req;
        e.at = pcie::at_t::translation_req;
        e.rid = uint16_t(did);
        e.dsv = did > 0xFFFF;
        e.dseg = uint8_t(did >> 16);
        unsigned char b[8] = {};
        assert_int_equal(ep.send(e, tlm::TLM_READ_COMMAND, va, b, 8), tlm::TLM_OK_RESPONSE);
        settle();
        return e.status;
    }

    // ---- results ----
    // The FQ records written since the last call.
    std::vector<fault_record> new_faults() { return take_faults(FQ, FQ_N, m_fqh); }
    // The PQ records written since the last call.
    std::vector<pq_record> new_requests() { return take_requests(PQ, PQ_N, m_pqh); }
    // The messages sent down since the last call.
    std::vector<tb::bench_endpoint::msg> new_msgs() { return take_msgs(m_msgs); }

private:
    unsigned m_mode = DDTP_OFF;
    uint64_t m_next = TABLES;
    uint32_t m_fqh = 0, m_pqh = 0;
    size_t m_msgs = 0;
};

using tb::cause_of;
using tb::did_of;
using tb::ttyp_of;
bool pv_of(const fault_record& r) { return (r.hdr >> 32) & 1; }

struct rigs {
    rig* base;
    rig* ext;
    rig* base2; // ddtp up to 2LVL
};

const char* mode_str(unsigned m) { return m == DDTP_1LVL ? "1LVL" : m == DDTP_2LVL ? "2LVL" : "3LVL"; }

// A Page Request from did is queued with its DID, and nothing else happens.
void expect_queued(rig& r, uint32_t did, uint32_t prgi)
{
    r.page_request(did, true, prgi);
    const auto q = r.new_requests();
    const auto f = r.new_faults();
    const auto m = r.new_msgs();
    if (q.size() != 1 || did_of(q[0].hdr) != did || !f.empty() || !m.empty())
        print_error("%s %s: device_id %#x: %zu PQ records (DID %#x), %zu faults (cause %u), "
                    "%zu messages\n",
                    r.ext ? "extended" : "base", mode_str(unsigned(r.r64(REG_DDTP) & 0xF)), did,
                    q.size(), q.empty() ? 0u : did_of(q[0].hdr), f.size(),
                    f.empty() ? 0u : cause_of(f[0]), m.size());
    assert_int_equal(q.size(), 1);
    assert_int_equal(did_of(q[0].hdr), did);
    assert_int_equal(pcie::pr_prgi(q[0].payload), prgi);
    assert_true(f.empty());
    assert_true(m.empty());
}

// A Page Request from did (with a PASID) faults with `cause` (TTYP 9,
// iotval 4, DID, PV) and is answered `code`; PASID in the answer only for
// Response Failure (no DC: PRPR taken as 0, §13.4).
void expect_pr_fault(rig& r, uint32_t did, unsigned cause, unsigned code)
{
    r.page_request(did, true, 0x1A5);
    const auto q = r.new_requests();
    const auto f = r.new_faults();
    const auto m = r.new_msgs();
    if (f.size() != 1 || cause_of(f[0]) != cause)
        print_error("device_id %#x: %zu faults, cause %u, expected %u\n", did, f.size(),
                    f.empty() ? 0u : cause_of(f[0]), cause);
    assert_true(q.empty());
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), cause);
    assert_int_equal(ttyp_of(f[0]), TTYP_MESSAGE);
    assert_int_equal(did_of(f[0].hdr), did);
    assert_true(pv_of(f[0]));
    assert_int_equal(uint32_t((f[0].hdr >> 12) & 0xFFFFF), PASID);
    assert_int_equal(f[0].iotval, MSG_CODE_PAGE_REQUEST);
    assert_int_equal(f[0].iotval2, 0);
    assert_int_equal(m.size(), 1);
    assert_int_equal(m[0].ext.kind, pcie::tlp_kind::prg_response);
    assert_int_equal(m[0].ext.rid, uint16_t(did));
    assert_int_equal(m[0].ext.dsv, did > 0xFFFF);
    if (did > 0xFFFF)
        assert_int_equal(m[0].ext.dseg, uint8_t(did >> 16));
    assert_int_equal(m[0].ext.from, pcie::origin::iommu_auto);
    assert_int_equal(pcie::prgr_code(m[0].payload), code);
    assert_int_equal(pcie::prgr_prgi(m[0].payload), 0x1A5);
    assert_int_equal(m[0].ext.pv, code == pcie::PRG_RESPONSE_FAILURE);
    if (m[0].ext.pv)
        assert_int_equal(m[0].ext.pasid, PASID);
}

// ============================ cases ============================

void test_capabilities(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    assert_int_equal(s.base->r64(REG_CAPABILITIES), 0x0000003802000210ull);
    assert_int_equal(s.ext->r64(REG_CAPABILITIES), 0x0000003802000210ull | CAP_MSI_FLAT);
    s.base->start();
    s.ext->start();
    s.base2->start();
}

// §5 DDI split: device_ids on both sides of each level boundary, at the
// edges of each index, resolve to their own DC. Only those DCs are valid,
// so a wrong index would fault (258) instead of queueing the request.
void test_levels_resolve(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    struct row {
        bool ext;
        unsigned mode;
        std::vector<uint32_t> dids;
    };
    const row rows[] = {
        {false, DDTP_1LVL, {0x00, 0x01, 0x7F}},
        {false, DDTP_2LVL, {0x00, 0x7F, 0x80, 0x81, 0x3F80, 0xFF7F, 0xFF80, 0xFFFF}},
        {false, DDTP_3LVL, {0x7F, 0x80, 0xFFFF, 0x10000, 0x1007F, 0x10080, 0xABCDEF, 0xFFFFFF}},
        {true, DDTP_1LVL, {0x00, 0x01, 0x3F}},
        {true, DDTP_2LVL, {0x3F, 0x40, 0x41, 0x7FBF, 0x7FC0, 0x7FFF}},
        {true, DDTP_3LVL, {0x3F, 0x40, 0x7FFF, 0x8000, 0x803F, 0x8040, 0xFFFF, 0x10000, 0xFFFFFF}},
    };
    for (const auto& rw : rows) {
        rig& r = rw.ext ? *s.ext : *s.base;
        r.set_mode(rw.mode);
        for (uint32_t d : rw.dids)
            r.set_dc(d, TC_OK);
        uint32_t prgi = 0;
        for (uint32_t d : rw.dids)
            expect_queued(r, d, prgi++);
        // Neighbours without a DC of their own are not valid (258).
        for (uint32_t d : rw.dids) {
            const uint32_t n = d ^ 2;
            if (std::find(rw.dids.begin(), rw.dids.end(), n) == rw.dids.end())
                expect_pr_fault(r, n, CAUSE_DDT_INVALID, pcie::PRG_RESPONSE_FAILURE);
        }
    }
}

// §5: a device_id wider than the mode resolves is cause 260, Invalid
// Request (§13.3), for each mode and DC format. 3LVL resolves all 24 bits.
void test_did_too_wide(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    struct row {
        bool ext;
        unsigned mode;
        uint32_t widest_ok, too_wide;
    };
    const row rows[] = {
        {false, DDTP_1LVL, 0x7F, 0x80},     {false, DDTP_2LVL, 0xFFFF, 0x10000},
        {true, DDTP_1LVL, 0x3F, 0x40},      {true, DDTP_2LVL, 0x7FFF, 0x8000},
        {false, DDTP_1LVL, 0x7F, 0xFFFFFF}, {true, DDTP_2LVL, 0x7FFF, 0xFFFFFF},
    };
    for (const auto& rw : rows) {
        rig& r = rw.ext ? *s.ext : *s.base;
        r.set_mode(rw.mode);
        r.set_dc(rw.widest_ok, TC_OK);
        expect_queued(r, rw.widest_ok, 3);
        const uint64_t accesses = r.mem.accesses;
        expect_pr_fault(r, rw.too_wide, CAUSE_TTYPE_DISALLOWED, pcie::PRG_INVALID_REQUEST);
        // The width check comes before any directory access (§13.1 step 3):
        // only the FQ record was written.
        assert_int_equal(r.mem.accesses - accesses, 1);
    }
    // 3LVL: every 24-bit device_id fits.
    s.base->set_mode(DDTP_3LVL);
    s.base->set_dc(0xFFFFFF, TC_OK);
    expect_queued(*s.base, 0xFFFFFF, 4);
}

// Non-leaf DDT entries (§15.1): not valid -> 258, reserved bits -> 259, a
// load access fault -> 257, at each level; then the same at the leaf DC.
// Page Requests get Response Failure with the PASID (§13.3, §13.4).
void test_ddt_faults(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    for (rig* rp : {s.base, s.ext}) {
        rig& r = *rp;
        const uint32_t did = r.ext ? 0x8A5C3 : 0x1A5C3; // DDI[2] = 1 in both formats
        for (unsigned level : {2u, 1u}) {
            r.set_mode(DDTP_3LVL);
            r.set_dc(did, TC_OK);
            expect_queued(r, did, 1);
            const uint64_t ea = r.ddte_addr(did, level);
            const uint64_t good = r.mem.rd(ea);

            r.mem.wr(ea, good & ~DDTE_V);
            r.iodir_all();
            expect_pr_fault(r, did, CAUSE_DDT_INVALID, pcie::PRG_RESPONSE_FAILURE);
            // V = 0: every other bit is don't-care.
            r.mem.wr(ea, ~DDTE_V);
            expect_pr_fault(r, did, CAUSE_DDT_INVALID, pcie::PRG_RESPONSE_FAILURE);

            for (uint64_t rsv : {bit(1), bit(9), bit(54), bit(63)}) {
                r.mem.wr(ea, good | rsv);
                expect_pr_fault(r, did, CAUSE_DDT_MISCONFIGURED, pcie::PRG_RESPONSE_FAILURE);
            }

            // The next table in a range that faults.
            r.mem.wr(ea, DDTE_V | (HOLE >> 12 << 10));
            expect_pr_fault(r, did, CAUSE_DDT_LOAD_FAULT, pcie::PRG_RESPONSE_FAILURE);

            r.mem.wr(ea, good);
            expect_queued(r, did, 2);
        }
    }
    // The leaf DC.
    rig& r = *s.base;
    r.set_mode(DDTP_2LVL);
    r.set_dc(0x1234, TC_OK);
    expect_queued(r, 0x1234, 5);
    r.set_dc(0x1234, TC_OK & ~TC_V);
    r.iodir_all();
    expect_pr_fault(r, 0x1234, CAUSE_DDT_INVALID, pcie::PRG_RESPONSE_FAILURE);
    r.set_dc(0x1234, TC_OK | bit(12)); // tc reserved
    expect_pr_fault(r, 0x1234, CAUSE_DDT_MISCONFIGURED, pcie::PRG_RESPONSE_FAILURE);
    // the leaf table in a range that faults
    r.mem.wr(r.ddte_addr(0x1234, 1), DDTE_V | (HOLE >> 12 << 10));
    expect_pr_fault(r, 0x1234, CAUSE_DDT_LOAD_FAULT, pcie::PRG_RESPONSE_FAILURE);
    // DC.tc.DTF does not hide DDT faults (§11.2): a neighbour's DC is fine,
    // but one level up is not valid.
    r.set_mode(DDTP_3LVL);
    r.set_dc(0x10000, TC_OK | TC_DTF);
    r.mem.wr(r.ddte_addr(0x10000, 1), 0);
    expect_pr_fault(r, 0x10000, CAUSE_DDT_INVALID, pcie::PRG_RESPONSE_FAILURE);
}

// The same faults on DMA and ATS Translation Requests: UR (§14), FQ
// record with the transaction's TTYP and iotval = the address.
void test_ddt_faults_dma_ats(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    rig& r = *s.ext;
    r.set_mode(DDTP_3LVL);
    r.set_dc(0x8001, TC_OK);
    r.mem.wr(r.ddte_addr(0x8001, 2), 0); // DDI[2] = 1 not valid
    assert_int_equal(r.dma_read(0x8001, 0x5000), pcie::cpl_status::ur);
    auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_DDT_INVALID);
    assert_int_equal(ttyp_of(f[0]), TTYP_UNTRANSLATED_READ);
    assert_int_equal(did_of(f[0].hdr), 0x8001);
    assert_int_equal(f[0].iotval, 0x5000);
    assert_int_equal(r.ats(0x8001, 0x7000), pcie::cpl_status::ur);
    f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_DDT_INVALID);
    assert_int_equal(ttyp_of(f[0]), TTYP_ATS_TRANSLATION);
    assert_int_equal(f[0].iotval, 0x7000);
    // too wide for 2LVL extended: 260, UR
    r.set_mode(DDTP_2LVL);
    assert_int_equal(r.ats(0x8000, 0x7000), pcie::cpl_status::ur);
    f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_TTYPE_DISALLOWED);
    assert_int_equal(did_of(f[0].hdr), 0x8000);
}

// Extended-format DCs (64 bytes, §15.1/§15.4): msiptp must stay Off (the
// model has no G-stage, so iohgatp is Bare), and the reserved bits of
// msiptp, msi_addr_mask, msi_addr_pattern and doubleword 7 must be 0.
void test_ext_dc(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    rig& r = *s.ext;
    r.set_mode(DDTP_1LVL);
    const uint32_t did = 0x21;
    r.set_dc(did, TC_OK);
    expect_queued(r, did, 6);
    // 64-byte stride: did 0x21 is at root + 0x21 * 64.
    assert_int_equal(r.dc_addr(did), DDT_ROOT + 0x21 * 64);
    const uint64_t a = r.dc_addr(did);
    struct bad {
        unsigned dw;
        uint64_t v;
    };
    const bad bads[] = {
        {4, uint64_t(MSIPTP_FLAT) << 60}, {4, uint64_t(2) << 60}, {4, bit(44)},
        {5, bit(52)},                     {6, bit(63)},          {7, 1},
    };
    for (const auto& b : bads) {
        r.set_dc(did, TC_OK);
        r.mem.wr(a + 8 * b.dw, b.v);
        r.iodir_all();
        expect_pr_fault(r, did, CAUSE_DDT_MISCONFIGURED, pcie::PRG_RESPONSE_FAILURE);
    }
    // msi_addr_mask/pattern inside 51:0 and an msiptp PPN are fine with MODE Off.
    r.set_dc(did, TC_OK);
    r.mem.wr(a + 32, 0x1234);
    r.mem.wr(a + 40, bits(51, 0));
    r.mem.wr(a + 48, bits(51, 0));
    r.iodir_all();
    expect_queued(r, did, 7);
    // The base-format IOMMU reads only 32 bytes: the same bytes after them
    // are another DC's.
    rig& b = *s.base;
    b.set_mode(DDTP_1LVL);
    b.set_dc(1, TC_OK);
    b.mem.wr(b.dc_addr(1) + 32, uint64_t(MSIPTP_FLAT) << 60); // DC 2's tc: not valid
    expect_queued(b, 1, 8);
}

// §10.4: IODIR with DV = 1 and a DID wider than the mode resolves is
// illegal; 3LVL takes every 24-bit DID.
void test_iodir_width(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    struct row {
        rig* r;
        unsigned mode;
        uint32_t ok, wide;
    };
    const row rows[] = {
        {s.base, DDTP_1LVL, 0x7F, 0x80},   {s.ext, DDTP_1LVL, 0x3F, 0x40},
        {s.base, DDTP_2LVL, 0xFFFF, 0x10000}, {s.ext, DDTP_2LVL, 0x7FFF, 0x8000},
        {s.base, DDTP_3LVL, 0xFFFFFF, 0},  {s.ext, DDTP_3LVL, 0xFFFFFF, 0},
    };
    for (const auto& rw : rows) {
        rig& r = *rw.r;
        r.set_mode(rw.mode);
        const uint64_t dv = CMD_IODIR | (uint64_t(IODIR_INVAL_DDT) << CMD_FUNC3_SHIFT) | IODIR_DV;
        r.cq_submit(dv | (uint64_t(rw.ok) << IODIR_DID_SHIFT));
        assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CMD_ILL, 0);
        assert_int_equal(r.r32(REG_CQH), r.r32(REG_CQT));
        if (!rw.wide)
            continue;
        const uint32_t cqh = r.r32(REG_CQH);
        r.cq_submit(dv | (uint64_t(rw.wide) << IODIR_DID_SHIFT));
        assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CMD_ILL, CQCSR_CMD_ILL);
        assert_int_equal(r.r32(REG_CQH), cqh); // stays on the bad command
        // skip it: overwrite with an IOFENCE.C and restart
        r.mem.wr(CQ + cqh * 16, CMD_IOFENCE);
        r.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CMD_ILL);
        r.settle();
        assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CMD_ILL, 0);
        assert_int_equal(r.r32(REG_CQH), r.r32(REG_CQT));
    }
}

// §10: every reserved bit of each command is illegal (cmd_ill, cqh left on
// the command); each is skipped by rewriting it as an IOFENCE.C, and the
// same command without the bit then completes.
void test_cmd_reserved_fields(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    rig& r = *s.base;
    r.set_mode(DDTP_1LVL);
    const uint64_t vma = CMD_IOTINVAL | (uint64_t(IOTINVAL_VMA) << CMD_FUNC3_SHIFT);
    const uint64_t gvma = CMD_IOTINVAL | (uint64_t(IOTINVAL_GVMA) << CMD_FUNC3_SHIFT);
    const uint64_t ddt = CMD_IODIR | (uint64_t(IODIR_INVAL_DDT) << CMD_FUNC3_SHIFT);
    const uint64_t prgr = CMD_ATS | (uint64_t(ATS_PRGR) << CMD_FUNC3_SHIFT) | (uint64_t(1) << ATS_RID_SHIFT);
    struct row {
        uint64_t dw0, dw1, bad0, bad1;
    } rows[] = {
        {vma, 0, bit(11), 0},       {vma, 0, bit(35), 0},  {vma, 0, bit(43), 0},
        {vma, 0, bit(60), 0},       {vma, 0, 0, bit(0)},   {vma, 0, 0, bit(8)},
        {vma, 0, 0, bit(62)},       {vma, 0, bit(34), 0},  // NL: not offered (capabilities.NL = 0)
        {vma, 0, 0, bit(9)},        // S: not offered (capabilities.S = 0)
        {gvma, 0, IOTINVAL_PSCV, 0}, // a PSCID for a G-stage invalidation
        {ddt, 0, bit(10), 0},       {ddt, 0, bit(11), 0},  {ddt, 0, bit(32), 0},
        {ddt, 0, bit(34), 0},       {ddt, 0, 0, bit(0)},   // IODIR's second doubleword is reserved
        {prgr, 0, bit(10), 0},      {prgr, 0, bit(39), 0},
        {CMD_IOFENCE, 0, bit(14), 0}, {CMD_IOFENCE, 0, 0, bit(63)},
    };
    for (const auto& w : rows) {
        const uint32_t cqh = r.r32(REG_CQH);
        r.cq_submit(w.dw0 | w.bad0, w.dw1 | w.bad1);
        assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CMD_ILL, CQCSR_CMD_ILL);
        assert_int_equal(r.r32(REG_CQH), cqh);
        r.mem.wr(CQ + cqh * 16, CMD_IOFENCE);
        r.mem.wr(CQ + cqh * 16 + 8, 0);
        r.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CMD_ILL);
        r.settle();
        assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CMD_ILL, 0);
        assert_int_equal(r.r32(REG_CQH), r.r32(REG_CQT));
        // the same command without the bit is legal
        r.cq_submit(w.dw0, w.dw1);
        assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CMD_ILL, 0);
        assert_int_equal(r.r32(REG_CQH), r.r32(REG_CQT));
    }
}

// §5: ddtp.iommu_mode is WARL; a mode deeper than iommu_params.max_ddt_mode
// is dropped with its PPN. xLVL -> another xLVL is taken, with a warning.
void test_mode_warl(void** state)
{
    rigs& s = *static_cast<rigs*>(*state);
    rig& r = *s.base2;
    const uint64_t ppn = DDT_ROOT >> 12 << DDTP_PPN_SHIFT;
    r.w64(REG_DDTP, DDTP_OFF);
    r.w64(REG_DDTP, DDTP_3LVL | ppn);
    assert_int_equal(r.r64(REG_DDTP), DDTP_OFF);
    r.w64(REG_DDTP, DDTP_2LVL | ppn);
    assert_int_equal(r.r64(REG_DDTP), DDTP_2LVL | ppn);
    const unsigned w0 = sc_core::sc_report_handler::get_count(sc_core::SC_WARNING);
    r.w64(REG_DDTP, DDTP_1LVL | ppn);
    assert_int_equal(r.r64(REG_DDTP), DDTP_1LVL | ppn);
    assert_int_equal(sc_core::sc_report_handler::get_count(sc_core::SC_WARNING) - w0, 1);
    r.w64(REG_DDTP, DDTP_OFF);
}

class top : public sc_core::sc_module {
public:
    std::vector<std::unique_ptr<rig>> rigs_; // base, ext, base2
    int result = -1;

    SC_HAS_PROCESS(top);
    top(sc_core::sc_module_name n, const iommu_params& pb, const iommu_params& pe,
        const iommu_params& p2)
        : sc_module(n)
    {
        rigs_.push_back(std::make_unique<rig>("base", pb));
        rigs_.push_back(std::make_unique<rig>("ext", pe));
        rigs_.push_back(std::make_unique<rig>("base2", p2));
        SC_THREAD(main);
        set_stack_size(4 << 20);
    }
    // The Verilated blocks inside go in the order they were made.
    ~top() override
    {
        for (auto& r : rigs_)
            r.reset();
    }

private:
    void main()
    {
        rigs s{rigs_[0].get(), rigs_[1].get(), rigs_[2].get()};
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_prestate(test_capabilities, &s),
            cmocka_unit_test_prestate(test_levels_resolve, &s),
            cmocka_unit_test_prestate(test_did_too_wide, &s),
            cmocka_unit_test_prestate(test_ddt_faults, &s),
            cmocka_unit_test_prestate(test_ddt_faults_dma_ats, &s),
            cmocka_unit_test_prestate(test_ext_dc, &s),
            cmocka_unit_test_prestate(test_cmd_reserved_fields, &s),
            cmocka_unit_test_prestate(test_iodir_width, &s),
            cmocka_unit_test_prestate(test_mode_warl, &s),
        };
        result = cmocka_run_group_tests_name("model.iommu.ddt", tests, nullptr, nullptr);
        sc_core::sc_stop();
    }
};

} // namespace

int sc_main(int, char*[])
{
    iommu_params pb, pe, p2;
    pe.msi_flat = true;
    p2.max_ddt_mode = DDTP_2LVL;
    // The fault lines the model logs are expected: count them, show none.
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_LOG);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    top t("tb", pb, pe, p2);
    sc_core::sc_start();
    return t.result;
}
