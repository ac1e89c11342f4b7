// SPDX-License-Identifier: Apache-2.0
//
// Description: memory faults injected on purpose (iommu_params.inject,
// model.iommu.inject). One IOMMU per target and kind, each with its own
// memory and endpoint (iommu_bench.h), a 1LVL directory whose device 1 has
// EN_ATS, EN_PRI and an Sv39 table mapping one page. Each case makes one
// access fail and asserts what the spec says follows (riscv-iommu.md):
//   ddt   access fault: cause 257 for the Page Request (TTYP 9, iotval 4),
//         auto Response Failure (§13.3); corrupt (a reserved DC.tc bit):
//         cause 259, Response Failure; the next request is queued.
//   pgtbl access fault: ATS Translation Request -> CA, cause 5, TTYP 8
//         (§14); corrupt (a reserved PTE bit): an Untranslated read is a
//         read page fault, cause 13, TTYP 2, UR; the next walk succeeds.
//   cq    access fault: cqmf, cqh stays (§7.2), W1C fetches it again;
//         corrupt (an opcode bit): cmd_ill, W1C runs the command.
//   fq    access fault: fqmf, no record, later records dropped until the
//         W1C (§11.3); corrupt: the record's CAUSE has its top bit set.
//   pq    access fault: pqmf, no record, Response Failure, sticky until the
//         W1C (§13.1 step 10, §13.5); corrupt: the record carries a
//         reserved header bit.
//   msi   access fault: the MSI is not sent, a record with cause 273, TTYP
//         0, iotval = msi_addr (§8.3).
//   poison (a load's data marked corrupt, §11.2): ddt -> cause 268 on a
//         Page Request, Response Failure, and on an ATS Translation
//         Request CA; pdt -> 269, CA; pgtbl -> 274, CA on ATS and UR on an
//         Untranslated read; cq -> cqmf; each time the next access is good.
//   and the device filter: only device 2's accesses count.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

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
constexpr uint64_t DDT_ROOT = 0x0010'0000;
constexpr uint64_t CQ = 0x0020'0000; // 8 commands
constexpr uint64_t FQ = 0x0021'0000; // 64 records
constexpr uint64_t PQ = 0x0022'0000; // 64 records
constexpr uint64_t PT = 0x0030'0000; // Sv39: root, level 1, level 0
constexpr uint64_t PDT = 0x0040'0000; // PD8 directory of device 3
constexpr uint64_t MSI_ADDR = 0x0050'0000;
constexpr uint64_t VA = 0x1000'0000, PA = 0x0060'0000;
constexpr uint32_t FQ_N = 64, PQ_N = 64;
constexpr uint32_t PASID = 0x42;
constexpr unsigned PIV = 1, FIV = 2;

class rig : public tb::iommu_rig {
public:
    rig(sc_core::sc_module_name n, const iommu_params& p) : iommu_rig(n, p, {})
    {
        mem.msi_first = MSI_ADDR;
        mem.msi_last = MSI_ADDR + 0xFFF;
    }

    // Queues on with interrupts (PQ on vector 1, FQ on 2), 1LVL directory
    // with devices 1 and 2 (EN_ATS, EN_PRI, Sv39), VA -> PA mapped.
    void start()
    {
        w64(REG_CQB, (CQ >> 12) << QB_PPN_SHIFT | 2);
        w32(REG_CQT, 0);
        w32(REG_CQCSR, CQCSR_CQEN);
        w64(REG_FQB, (FQ >> 12) << QB_PPN_SHIFT | 5);
        w32(REG_FQH, 0);
        w32(REG_FQCSR, FQCSR_FQEN | FQCSR_FIE);
        w64(REG_PQB, (PQ >> 12) << QB_PPN_SHIFT | 5);
        w32(REG_PQH, 0);
        w32(REG_PQCSR, PQCSR_PQEN | PQCSR_PIE);
        w64(REG_ICVEC, uint64_t(PIV) << ICVEC_PIV | uint64_t(FIV) << ICVEC_FIV);
        for (unsigned v : {PIV, FIV}) {
            w64(REG_MSI_CFG_TBL + 16 * v, MSI_ADDR);
            w32(REG_MSI_CFG_TBL + 16 * v + 8, 0x100 + v);
            w32(REG_MSI_CFG_TBL + 16 * v + 12, 0);
        }
        // Sv39: VA -> PA, user read/write, A and D set
        mem.wr(PT + ((VA >> 30) & 0x1FF) * 8, PTE_V | ((PT + 0x1000) >> 12 << 10));
        mem.wr(PT + 0x1000 + ((VA >> 21) & 0x1FF) * 8, PTE_V | ((PT + 0x2000) >> 12 << 10));
        mem.wr(PT + 0x2000 + ((VA >> 12) & 0x1FF) * 8,
               PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D | (PA >> 12 << 10));
        for (uint32_t did : {1u, 2u}) {
            const uint64_t dc = DDT_ROOT + did * 32;
            mem.wr(dc, TC_V | TC_EN_ATS | TC_EN_PRI);
            mem.wr(dc + 8, 0);
            mem.wr(dc + 16, 0);
            mem.wr(dc + 24, uint64_t(ATP_SV39) << ATP_MODE_SHIFT | PT >> 12);
        }
        // Device 3: a PD8 process directory whose PC for PASID uses the
        // same table (read by the rigs built with pd8 only).
        const uint64_t dc3 = DDT_ROOT + 3 * 32;
        mem.wr(dc3, TC_V | TC_EN_ATS | TC_PDTV);
        mem.wr(dc3 + 8, 0);
        mem.wr(dc3 + 16, 0);
        mem.wr(dc3 + 24, uint64_t(PDTP_PD8) << ATP_MODE_SHIFT | PDT >> 12);
        mem.wr(PDT + PASID * 16, PC_TA_V | uint64_t(5) << 12);
        mem.wr(PDT + PASID * 16 + 8, uint64_t(ATP_SV39) << ATP_MODE_SHIFT | PT >> 12);
        w64(REG_DDTP, DDTP_1LVL | (DDT_ROOT >> 12 << DDTP_PPN_SHIFT));
        settle();
    }
    void settle(sc_time t = sc_time(5, SC_US)) { wait(t); }

    void cq_submit(uint64_t dw0, uint64_t dw1 = 0)
    {
        const uint32_t cqt = r32(REG_CQT);
        mem.wr(CQ + cqt * 16, dw0);
        mem.wr(CQ + cqt * 16 + 8, dw1);
        w32(REG_CQT, (cqt + 1) & 7);
        settle();
    }
    void page_request(uint32_t did, uint32_t prgi)
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::page_request;
        e.rid = uint16_t(did);
        e.pv = true;
        e.pasid = PASID;
        unsigned char b[8];
        pcie::store_le64(b, pcie::pr_payload(VA, prgi, true, true, true));
        assert_int_equal(ep.send(e, tlm::TLM_WRITE_COMMAND, 0, b, 8), tlm::TLM_OK_RESPONSE);
        settle();
    }
    // ATS Translation Request for read (NW = 1): status and completion.
    pcie::cpl_status ats(uint32_t did, uint64_t va, pcie::ats_cpl* c = nullptr, bool pv = false)
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::ats_translation_req;
        e.at = pcie::at_t::translation_req;
        e.rid = uint16_t(did);
        e.no_write = true;
        e.pv = pv;
        e.pasid = PASID;
        unsigned char b[8] = {};
        assert_int_equal(ep.send(e, tlm::TLM_READ_COMMAND, va, b, 8), tlm::TLM_OK_RESPONSE);
        settle();
        if (c)
            *c = pcie::decode_ats_cpl(pcie::load_le64(b));
        return e.status;
    }
    pcie::cpl_status dma_read(uint32_t did, uint64_t addr)
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::mem_read;
        e.at = pcie::at_t::untranslated;
        e.rid = uint16_t(did);
        unsigned char b[8] = {};
        ep.send(e, tlm::TLM_READ_COMMAND, addr, b, 8);
        settle();
        return e.status;
    }

    std::vector<fault_record> new_faults() { return take_faults(FQ, FQ_N, m_fqh); }
    std::vector<pq_record> new_requests() { return take_requests(PQ, PQ_N, m_pqh); }
    std::vector<tb::bench_endpoint::msg> new_msgs() { return take_msgs(m_msgs); }

private:
    uint32_t m_fqh = 0, m_pqh = 0;
    size_t m_msgs = 0;
};

using tb::cause_of;
using tb::did_of;
using tb::ttyp_of;

// A Page Request of did gets one auto-response with `code`.
void expect_auto(rig& r, unsigned code)
{
    const auto m = r.new_msgs();
    assert_int_equal(m.size(), 1);
    assert_int_equal(m[0].ext.from, pcie::origin::iommu_auto);
    assert_int_equal(pcie::prgr_code(m[0].payload), code);
}

// A Page Request of did is queued and nothing else happens.
void expect_queued(rig& r, uint32_t did, uint32_t prgi)
{
    r.page_request(did, prgi);
    const auto q = r.new_requests();
    assert_int_equal(q.size(), 1);
    assert_int_equal(did_of(q[0].hdr), did);
    assert_true(r.new_faults().empty());
    assert_true(r.new_msgs().empty());
}

struct rigs {
    rig *ddt_af, *ddt_cor, *pt_af, *pt_cor, *cq_af, *cq_cor, *fq_af, *fq_cor, *pq_af, *pq_cor,
        *msi_af, *ddt_dev2, *pdt_af, *pdt_cor, *ddt_poi, *pdt_poi, *pt_poi, *cq_poi;
};

// §11.2 causes 268, 269, 274: poisoned DDT, PDT and page-table data.
void test_ddt_poison(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->ddt_poi;
    r.start();
    r.page_request(1, 7);
    assert_true(r.new_requests().empty());
    auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_DDT_CORRUPTION);
    assert_int_equal(ttyp_of(f[0]), TTYP_MESSAGE);
    expect_auto(r, pcie::PRG_RESPONSE_FAILURE);
    assert_int_equal(r.iommu->per_device().at(1).auto_resp_failure_injected, 1);
    // times = 2: another device's ATS Translation Request, CA (§14 does
    // not list 268; the reference model's choice)
    assert_int_equal(r.ats(3, VA, nullptr, true), pcie::cpl_status::ca);
    f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_DDT_CORRUPTION);
    assert_int_equal(ttyp_of(f[0]), TTYP_ATS_TRANSLATION);
    expect_queued(r, 1, 8); // the next load is good
}

void test_pdt_poison(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->pdt_poi;
    r.start();
    assert_int_equal(r.ats(3, VA, nullptr, true), pcie::cpl_status::ca);
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_PDT_CORRUPTION);
    assert_int_equal(ttyp_of(f[0]), TTYP_ATS_TRANSLATION);
    assert_int_equal(r.ats(3, VA, nullptr, true), pcie::cpl_status::sc);
}

void test_pgtbl_poison(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->pt_poi;
    r.start();
    assert_int_equal(r.ats(1, VA), pcie::cpl_status::ca);
    auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_PT_CORRUPTION);
    assert_int_equal(ttyp_of(f[0]), TTYP_ATS_TRANSLATION);
    assert_int_equal(f[0].iotval, VA);
    assert_int_equal(r.dma_read(1, VA), pcie::cpl_status::ur); // times = 2
    f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_PT_CORRUPTION);
    assert_int_equal(ttyp_of(f[0]), TTYP_UNTRANSLATED_READ);
    // The poison is not remembered: the next walk translates.
    assert_int_equal(r.dma_read(1, VA), pcie::cpl_status::sc);
    assert_true(r.new_faults().empty());
}

void test_cq_poison(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->cq_poi;
    r.start();
    r.cq_submit(CMD_IOTINVAL | (uint64_t(IOTINVAL_VMA) << CMD_FUNC3_SHIFT));
    assert_true(r.r32(REG_CQCSR) & CQCSR_CQMF);
    assert_int_equal(r.r32(REG_CQH), 0);
    r.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CQMF);
    r.settle();
    assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CQMF, 0);
    assert_int_equal(r.r32(REG_CQH), 1);
}

// §"Process to locate the Process-context": a PC load access fault on an
// ATS Translation Request with a PASID: CA, cause 265; the next lookup is
// good.
void test_pdt_access_fault(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->pdt_af;
    r.start();
    assert_int_equal(r.ats(3, VA, nullptr, true), pcie::cpl_status::ca);
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_PDT_LOAD_FAULT);
    assert_int_equal(ttyp_of(f[0]), TTYP_ATS_TRANSLATION);
    assert_int_equal(did_of(f[0].hdr), 3);
    assert_int_equal(r.iommu->injected_for(3), 1);
    pcie::ats_cpl c;
    assert_int_equal(r.ats(3, VA, &c, true), pcie::cpl_status::sc);
    assert_true(c.r);
    assert_int_equal(c.addr, PA);
}

// A reserved PC.ta bit (63) read: the PC is misconfigured, 267, CA.
void test_pdt_corrupt(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->pdt_cor;
    r.start();
    assert_int_equal(r.ats(3, VA, nullptr, true), pcie::cpl_status::ca);
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_PDT_MISCONFIGURED);
    assert_int_equal(r.mem.rd(PDT + PASID * 16) >> 63, 0);
    assert_int_equal(r.ats(3, VA, nullptr, true), pcie::cpl_status::sc);
}

// §13.3: DDT entry load access fault -> 257, Response Failure.
void test_ddt_access_fault(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->ddt_af;
    r.start();
    r.page_request(1, 7);
    assert_true(r.new_requests().empty());
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_DDT_LOAD_FAULT);
    assert_int_equal(ttyp_of(f[0]), TTYP_MESSAGE);
    assert_int_equal(did_of(f[0].hdr), 1);
    assert_int_equal(f[0].iotval, MSG_CODE_PAGE_REQUEST);
    expect_auto(r, pcie::PRG_RESPONSE_FAILURE);
    assert_int_equal(r.iommu->injected(), 1);
    assert_int_equal(r.iommu->injected_for(1), 1);
    assert_int_equal(r.iommu->per_device().at(1).auto_resp_failure_injected, 1);
    expect_queued(r, 1, 8); // times = 1: the next load is good
    assert_int_equal(r.iommu->injected(), 1);
}

// A reserved DC.tc bit (63) read: the DC is misconfigured, 259 (§15.4 #1).
void test_ddt_corrupt(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->ddt_cor;
    r.start();
    r.page_request(1, 7);
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_DDT_MISCONFIGURED);
    assert_int_equal(did_of(f[0].hdr), 1);
    expect_auto(r, pcie::PRG_RESPONSE_FAILURE);
    // memory itself was not changed, and the bad DC was not cached
    assert_int_equal(r.mem.rd(DDT_ROOT + 32) >> 63, 0);
    expect_queued(r, 1, 8);
}

// §14: a PTE load access fault on an ATS Translation Request: CA, cause 5.
void test_pgtbl_access_fault(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->pt_af;
    r.start();
    assert_int_equal(r.ats(1, VA), pcie::cpl_status::ca);
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_READ_ACCESS_FAULT);
    assert_int_equal(ttyp_of(f[0]), TTYP_ATS_TRANSLATION);
    assert_int_equal(f[0].iotval, VA);
    assert_int_equal(r.iommu->injected_for(1), 1);
    pcie::ats_cpl c; // times = 1: the next walk is good
    assert_int_equal(r.ats(1, VA, &c), pcie::cpl_status::sc);
    assert_true(c.r);
    assert_int_equal(c.addr, PA);
}

// A reserved PTE bit (54) read: a read page fault, cause 13, on an
// Untranslated read (UR); the next walk sees the PTE as it is.
void test_pgtbl_corrupt(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->pt_cor;
    r.start();
    assert_int_equal(r.dma_read(1, VA), pcie::cpl_status::ur);
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_READ_PAGE_FAULT);
    assert_int_equal(ttyp_of(f[0]), TTYP_UNTRANSLATED_READ);
    assert_int_equal(f[0].iotval, VA);
    assert_int_equal(r.dma_read(1, VA), pcie::cpl_status::sc);
    assert_true(r.new_faults().empty());
    assert_int_equal(r.iommu->injected(), 1);
}

// §7.2: a command fetch fault sets cqmf with cqh on the command; the W1C
// fetches it again.
void test_cq_access_fault(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->cq_af;
    r.start();
    r.cq_submit(CMD_IOTINVAL | (uint64_t(IOTINVAL_VMA) << CMD_FUNC3_SHIFT));
    assert_true(r.r32(REG_CQCSR) & CQCSR_CQMF);
    assert_int_equal(r.r32(REG_CQH), 0);
    r.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CQMF);
    r.settle();
    assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CQMF, 0);
    assert_int_equal(r.r32(REG_CQH), 1);
    assert_int_equal(r.iommu->injected(), 1);
}

// A corrupted opcode (bit 6) is an unknown command: cmd_ill, cqh stays; the
// W1C runs the command as it is in memory.
void test_cq_corrupt(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->cq_cor;
    r.start();
    r.cq_submit(CMD_IOTINVAL | (uint64_t(IOTINVAL_VMA) << CMD_FUNC3_SHIFT));
    assert_true(r.r32(REG_CQCSR) & CQCSR_CMD_ILL);
    assert_int_equal(r.r32(REG_CQH), 0);
    r.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CMD_ILL);
    r.settle();
    assert_int_equal(r.r32(REG_CQCSR) & CQCSR_CMD_ILL, 0);
    assert_int_equal(r.r32(REG_CQH), 1);
}

// §11.3: a record store fault sets fqmf (and fip); the record and every
// later one are dropped until software clears fqmf.
void test_fq_access_fault(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->fq_af;
    r.start();
    r.mem.wr(DDT_ROOT + 3 * 32, 0); // device 3: DC not valid -> 258 records
    r.page_request(3, 1);
    assert_true(r.r32(REG_FQCSR) & FQCSR_FQMF);
    assert_true(r.r32(REG_IPSR) & IPSR_FIP);
    assert_true(r.new_faults().empty());
    assert_int_equal(r.iommu->injected_for(3), 1);
    r.page_request(3, 2); // dropped: fqmf is sticky
    assert_true(r.new_faults().empty());
    r.w32(REG_FQCSR, FQCSR_FQEN | FQCSR_FIE | FQCSR_FQMF);
    r.page_request(3, 3);
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_DDT_INVALID);
}

// The stored record's CAUSE gets its top bit (11): 258 reads 2306, a custom cause.
void test_fq_corrupt(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->fq_cor;
    r.start();
    r.mem.wr(DDT_ROOT + 3 * 32, 0);
    r.page_request(3, 1);
    auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_DDT_INVALID | 0x800);
    assert_int_equal(did_of(f[0].hdr), 3);
    r.page_request(3, 2);
    f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_DDT_INVALID);
}

// §13.1 step 10, §13.5: a record store fault sets pqmf and answers Response
// Failure, no FQ record; every request after it is answered Response
// Failure too until software clears pqmf.
void test_pq_access_fault(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->pq_af;
    r.start();
    r.page_request(1, 1);
    assert_true(r.r32(REG_PQCSR) & PQCSR_PQMF);
    assert_true(r.new_requests().empty());
    assert_true(r.new_faults().empty());
    expect_auto(r, pcie::PRG_RESPONSE_FAILURE);
    r.page_request(2, 2); // sticky: another device's request too
    expect_auto(r, pcie::PRG_RESPONSE_FAILURE);
    assert_int_equal(r.iommu->injected(), 1);
    assert_int_equal(r.iommu->injected_for(1), 1);
    assert_int_equal(r.iommu->per_device().at(1).auto_resp_failure_injected, 1);
    assert_int_equal(r.iommu->per_device().at(2).auto_resp_failure_injected, 1);
    r.w32(REG_PQCSR, PQCSR_PQEN | PQCSR_PIE | PQCSR_PQMF);
    r.settle();
    expect_queued(r, 1, 3);
}

// The stored record carries reserved header bit 35; its fields are intact.
void test_pq_corrupt(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->pq_cor;
    r.start();
    r.page_request(1, 5);
    const auto q = r.new_requests();
    assert_int_equal(q.size(), 1);
    assert_int_equal(q[0].hdr >> 35 & 1, 1);
    assert_int_equal(did_of(q[0].hdr), 1);
    assert_int_equal(pcie::pr_prgi(q[0].payload), 5);
    assert_true(r.new_msgs().empty());
}

// §8.3: the PQ's MSI write faults: no MSI, a record with cause 273, TTYP 0,
// iotval = msi_addr; the record's own MSI (FQ vector) goes out.
void test_msi_access_fault(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->msi_af;
    r.start();
    const size_t msis = r.mem.msis.size();
    r.page_request(1, 1);
    assert_int_equal(r.new_requests().size(), 1);
    assert_true(r.r32(REG_IPSR) & IPSR_PIP);
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_MSI_WRITE_FAULT);
    assert_int_equal(ttyp_of(f[0]), TTYP_NONE);
    assert_int_equal(f[0].iotval, MSI_ADDR);
    assert_int_equal(r.mem.msis.size(), msis + 1);
    assert_int_equal(r.mem.msis.back().data, 0x100 + FIV);
    assert_int_equal(r.iommu->injected(), 1);
    assert_int_equal(r.iommu->injected_for(1), 0); // made on no device's behalf
}

// Only accesses on behalf of device 2 count: device 1 is untouched.
void test_device_filter(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->ddt_dev2;
    r.start();
    expect_queued(r, 1, 1);
    r.page_request(2, 2);
    const auto f = r.new_faults();
    assert_int_equal(f.size(), 1);
    assert_int_equal(cause_of(f[0]), CAUSE_DDT_LOAD_FAULT);
    assert_int_equal(did_of(f[0].hdr), 2);
    expect_auto(r, pcie::PRG_RESPONSE_FAILURE);
    assert_int_equal(r.iommu->injected_for(1), 0);
    assert_int_equal(r.iommu->injected_for(2), 1);
}

iommu_params with(mem_target t, bool corrupt, bool any = true, uint32_t dev = 0, bool poison = false,
                  uint64_t times = 1)
{
    iommu_params p;
    p.inject.times = times;
    p.inject.target = t;
    p.inject.corrupt = corrupt;
    p.inject.poison = poison;
    p.inject.any_device = any;
    p.inject.device = dev;
    p.pd8 = true;
    return p;
}

class top : public sc_core::sc_module {
public:
    int result = 1;
    SC_HAS_PROCESS(top);
    explicit top(sc_core::sc_module_name n) : sc_module(n)
    {
        auto add = [&](const char* name, const iommu_params& p) {
            m_rigs.push_back(std::make_unique<rig>(name, p));
            return m_rigs.back().get();
        };
        m_s.ddt_af = add("ddt_af", with(mem_target::ddt, false));
        m_s.ddt_cor = add("ddt_cor", with(mem_target::ddt, true));
        m_s.pt_af = add("pt_af", with(mem_target::pgtbl, false));
        m_s.pt_cor = add("pt_cor", with(mem_target::pgtbl, true));
        m_s.cq_af = add("cq_af", with(mem_target::cq, false));
        m_s.cq_cor = add("cq_cor", with(mem_target::cq, true));
        m_s.fq_af = add("fq_af", with(mem_target::fq, false));
        m_s.fq_cor = add("fq_cor", with(mem_target::fq, true));
        m_s.pq_af = add("pq_af", with(mem_target::pq, false));
        m_s.pq_cor = add("pq_cor", with(mem_target::pq, true));
        m_s.msi_af = add("msi_af", with(mem_target::msi, false));
        m_s.ddt_dev2 = add("ddt_dev2", with(mem_target::ddt, false, false, 2));
        m_s.pdt_af = add("pdt_af", with(mem_target::pdt, false));
        m_s.pdt_cor = add("pdt_cor", with(mem_target::pdt, true));
        m_s.ddt_poi = add("ddt_poi", with(mem_target::ddt, false, true, 0, true, 2));
        m_s.pdt_poi = add("pdt_poi", with(mem_target::pdt, false, true, 0, true));
        m_s.pt_poi = add("pt_poi", with(mem_target::pgtbl, false, true, 0, true, 2));
        m_s.cq_poi = add("cq_poi", with(mem_target::cq, false, true, 0, true));
        SC_THREAD(main);
        set_stack_size(4 << 20);
    }
    // The Verilated blocks inside go in the order they were made.
    ~top() override
    {
        for (auto& r : m_rigs)
            r.reset();
    }

private:
    std::vector<std::unique_ptr<rig>> m_rigs;
    rigs m_s{};

    void main()
    {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_prestate(test_ddt_access_fault, &m_s),
            cmocka_unit_test_prestate(test_ddt_corrupt, &m_s),
            cmocka_unit_test_prestate(test_pgtbl_access_fault, &m_s),
            cmocka_unit_test_prestate(test_pgtbl_corrupt, &m_s),
            cmocka_unit_test_prestate(test_cq_access_fault, &m_s),
            cmocka_unit_test_prestate(test_cq_corrupt, &m_s),
            cmocka_unit_test_prestate(test_fq_access_fault, &m_s),
            cmocka_unit_test_prestate(test_fq_corrupt, &m_s),
            cmocka_unit_test_prestate(test_pq_access_fault, &m_s),
            cmocka_unit_test_prestate(test_pq_corrupt, &m_s),
            cmocka_unit_test_prestate(test_msi_access_fault, &m_s),
            cmocka_unit_test_prestate(test_device_filter, &m_s),
            cmocka_unit_test_prestate(test_pdt_access_fault, &m_s),
            cmocka_unit_test_prestate(test_pdt_corrupt, &m_s),
            cmocka_unit_test_prestate(test_ddt_poison, &m_s),
            cmocka_unit_test_prestate(test_pdt_poison, &m_s),
            cmocka_unit_test_prestate(test_pgtbl_poison, &m_s),
            cmocka_unit_test_prestate(test_cq_poison, &m_s),
        };
        result = cmocka_run_group_tests_name("model.iommu.inject", tests, nullptr, nullptr);
        sc_core::sc_stop();
    }
};

} // namespace

int sc_main(int, char*[])
{
    // The fault lines the model logs are expected: show none.
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_LOG);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    top t("tb");
    sc_core::sc_start();
    return t.result;
}
