// SPDX-License-Identifier: Apache-2.0
//
// Description: the RISC-V IOMMU model alone (model.iommu). One small system is
// elaborated once: a bus with sparse DRAM, an MSI-capturing window and a
// faulting window; the IOMMU; a fake endpoint on pcie_up/pcie_down; a register
// port. The cmocka cases run in order inside one SystemC thread (so they can
// wait in simulated time) and build on each other's programming:
//   reset values, register access rules, fault queue full at N-1, the
//   riscv-iommu reference-model trace (riscv-iommu.md §19), MSI masking,
//   IOFENCE.C, translated/untranslated DMA and IOTLB invalidation, ATS.INVAL
//   completion and timeout, statistics names, host time per PQ record.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/stats.h"
#include "iommu/iommu_defs.h"
#include "iommu/riscv_iommu.h"
#include "model/iommu/iommu_bench.h"
#include "pcie/tlp.h"

// cmocka last: its fail() macro would clash with std::basic_ios::fail().
// Its header declares C functions without extern "C".
#include <setjmp.h>
extern "C" {
#include <cmocka.h>
}

using namespace prisim;
using namespace prisim::iommu;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

// ---- memory map of the test system ----
constexpr uint64_t DDT = 0x0010'0000;   // 1LVL device directory
constexpr uint64_t CQ = 0x0020'0000;    // 8 commands
constexpr uint64_t FQ = 0x0021'0000;    // fault queue
constexpr uint64_t PQ = 0x0022'0000;    // page-request queue
constexpr uint64_t BIGPQ = 0x0024'0000; // 4096-entry PQ for the timing run
constexpr uint64_t PT_POOL = 0x0040'0000;
constexpr uint64_t MSI_BASE = 0x0F00'0000; // MSI doorbells (captured)
constexpr uint64_t FAULT_BASE = 0x1'0000'0000; // everything at or above faults
constexpr unsigned CIV = 1, FIV = 2, PIV = 3;
constexpr uint32_t PASID = 0x42;
constexpr uint16_t RID = 5;

using prisim::tb::load_le;
using prisim::tb::store_le;
using bench_memory = prisim::tb::bench_memory;
using bench_endpoint = prisim::tb::bench_endpoint;

uint64_t le(const unsigned char* p, unsigned n) { return load_le(p, n); }
void put(unsigned char* p, uint64_t v, unsigned n) { store_le(p, v, n); }

struct map_sink : prisim::stat_sink {
    std::map<std::string, uint64_t> counters;
    std::map<std::string, double> values;
    void counter(const std::string& n, uint64_t v) override { counters[n] = v; }
    void value(const std::string& n, double v) override { values[n] = v; }
    void samples(const std::string&, const prisim::sample_set&, const char*) override {}
    struct occ {
        uint64_t capacity, hwm, level, full_ps, full_episodes;
        int64_t overflows;
    };
    std::map<std::string, occ> queues;
    void occupancy(const std::string& n, const prisim::occupancy_tracker& o, uint64_t now_ps,
                   int64_t overflows) override
    {
        queues[n] = {o.capacity(), o.hwm(), o.level(), o.full_ps(now_ps), o.full_episodes(), overflows};
    }
};

// The system under test plus register and traffic helpers. All helpers run
// inside the test thread.
class bench : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<bench> reg;
    bench_memory bus{"bus"};
    bench_endpoint ep{"ep"};
    std::unique_ptr<riscv_iommu> iommu;
    int result = -1;

    SC_HAS_PROCESS(bench);
    explicit bench(sc_core::sc_module_name n, const iommu_params& p) : sc_module(n), reg("reg")
    {
        bus.faults = {{FAULT_BASE, ~uint64_t(0)}};
        bus.msi_first = MSI_BASE;
        bus.msi_last = MSI_BASE + 0xFFF;
        iommu = std::make_unique<riscv_iommu>("iommu", p);
        reg.bind(iommu->mmio);
        iommu->mem.bind(bus.tsock);
        ep.up.bind(iommu->pcie_up);
        iommu->pcie_down.bind(ep.down);
        SC_THREAD(main);
        set_stack_size(4 << 20);
    }

    // ---- registers ----
    tlm::tlm_response_status access(uint32_t off, unsigned len, bool write, uint64_t& v)
    {
        unsigned char b[16] = {};
        if (write)
            put(b, v, len);
        tlm::tlm_generic_payload gp;
        gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        gp.set_address(off);
        gp.set_data_ptr(b);
        gp.set_data_length(len);
        gp.set_streaming_width(len);
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_time d = sc_core::SC_ZERO_TIME;
        reg->b_transport(gp, d);
        if (!write)
            v = le(b, len);
        return gp.get_response_status();
    }
    uint64_t r64(uint32_t off)
    {
        uint64_t v = 0;
        assert_int_equal(access(off, 8, false, v), tlm::TLM_OK_RESPONSE);
        return v;
    }
    uint32_t r32(uint32_t off)
    {
        uint64_t v = 0;
        assert_int_equal(access(off, 4, false, v), tlm::TLM_OK_RESPONSE);
        return uint32_t(v);
    }
    void w64(uint32_t off, uint64_t v) { assert_int_equal(access(off, 8, true, v), tlm::TLM_OK_RESPONSE); }
    void w32(uint32_t off, uint32_t v)
    {
        uint64_t x = v;
        assert_int_equal(access(off, 4, true, x), tlm::TLM_OK_RESPONSE);
    }
    unsigned msis_to(unsigned vec) const { return bus.msis_to(MSI_BASE + 4 * vec); }
    static unsigned warnings() { return sc_core::sc_report_handler::get_count(sc_core::SC_WARNING); }

    // ---- in-memory structures ----
    void set_dc(uint32_t did, uint64_t tc, uint64_t fsc = 0, uint32_t pscid = 0)
    {
        bus.wr(DDT + did * 32 + 0, tc);
        bus.wr(DDT + did * 32 + 8, 0);
        bus.wr(DDT + did * 32 + 16, uint64_t(pscid) << 12);
        bus.wr(DDT + did * 32 + 24, fsc);
    }
    uint64_t pt_alloc()
    {
        uint64_t a = m_pt_next;
        m_pt_next += 4096;
        return a;
    }
    // Map one 4 KiB page in the Sv39 table rooted at root.
    void map(uint64_t root, uint64_t va, uint64_t pa, uint64_t perms)
    {
        uint64_t a = root;
        for (int level = 2; level > 0; --level) {
            uint64_t pte_a = a + ((va >> (12 + 9 * level)) & 0x1FF) * 8;
            uint64_t pte = bus.rd(pte_a);
            if (!(pte & PTE_V)) {
                pte = ((pt_alloc() >> 12) << 10) | PTE_V;
                bus.wr(pte_a, pte);
            }
            a = ((pte >> 10) & ((1ull << 44) - 1)) << 12;
        }
        bus.wr(a + ((va >> 12) & 0x1FF) * 8, ((pa >> 12) << 10) | perms | PTE_V);
    }
    uint64_t sv39(uint64_t root) { return (uint64_t(ATP_SV39) << 60) | (root >> 12); }

    // ---- command queue ----
    void cq_submit(uint64_t dw0, uint64_t dw1)
    {
        const uint32_t cqt = r32(REG_CQT);
        bus.wr(CQ + cqt * 16, dw0);
        bus.wr(CQ + cqt * 16 + 8, dw1);
        w32(REG_CQT, (cqt + 1) & 7);
    }
    // Wait until the CQ is empty or stopped.
    bool cq_idle(sc_time limit = sc_time(20, SC_US))
    {
        const sc_time end = sc_core::sc_time_stamp() + limit;
        while (sc_core::sc_time_stamp() < end) {
            if (r32(REG_CQH) == r32(REG_CQT) || (r32(REG_CQCSR) & CQCSR_ERRORS))
                return true;
            wait(sc_time(50, SC_NS));
        }
        return false;
    }

    // ---- traffic ----
    void page_request(uint16_t rid, bool pv, uint32_t pasid, uint64_t payload)
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::page_request;
        e.rid = rid;
        e.pv = pv;
        e.pasid = pasid;
        unsigned char b[8];
        pcie::store_le64(b, payload);
        assert_int_equal(ep.send(e, tlm::TLM_WRITE_COMMAND, 0, b, 8), tlm::TLM_OK_RESPONSE);
    }
    pcie::ats_cpl ats(uint16_t rid, uint64_t va, pcie::cpl_status& st)
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::ats_translation_req;
        e.at = pcie::at_t::translation_req;
        e.rid = rid;
        unsigned char b[8] = {};
        assert_int_equal(ep.send(e, tlm::TLM_READ_COMMAND, va, b, 8), tlm::TLM_OK_RESPONSE);
        st = e.status;
        return pcie::decode_ats_cpl(pcie::load_le64(b));
    }
    pcie::cpl_status dma(uint16_t rid, pcie::at_t at, uint64_t addr, unsigned char* data,
                         unsigned len, bool write)
    {
        pcie::tlp_ext e;
        e.kind = write ? pcie::tlp_kind::mem_write : pcie::tlp_kind::mem_read;
        e.at = at;
        e.rid = rid;
        ep.send(e, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, len);
        return e.status;
    }
    void settle(sc_time t = sc_time(5, SC_US)) { wait(t); }

    // Fault record at index i of the FQ.
    uint64_t fq_hdr(uint32_t i) { return bus.rd(FQ + i * 32); }
    uint64_t fq_iotval(uint32_t i) { return bus.rd(FQ + i * 32 + 16); }

    void main();

    uint64_t root = 0; // Sv39 root of RID 5

private:
    uint64_t m_pt_next = PT_POOL;
};

unsigned cause_of(uint64_t hdr) { return unsigned(hdr & 0xFFF); }
unsigned ttyp_of(uint64_t hdr) { return unsigned((hdr >> 34) & 0x3F); }
uint32_t did_of(uint64_t hdr) { return uint32_t(hdr >> 40); }

// ============================ cases ============================

void test_reset_values(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    // version 1.0, Sv39, ATS, IGS = MSI only, PAS = 56.
    assert_int_equal(b.r64(REG_CAPABILITIES), 0x0000003802000210ull);
    assert_int_equal(b.r32(REG_FCTL), 0);
    assert_int_equal(b.r64(REG_DDTP), 0); // Off, busy 0
    assert_int_equal(b.r32(REG_CQCSR), 0);
    assert_int_equal(b.r32(REG_FQCSR), 0);
    assert_int_equal(b.r32(REG_PQCSR), 0);
    assert_int_equal(b.r32(REG_IPSR), 0);
    assert_int_equal(b.r32(REG_CQH), 0);
    assert_int_equal(b.r32(REG_FQT), 0);
    assert_int_equal(b.r32(REG_PQT), 0);
    assert_int_equal(b.r64(REG_ICVEC), 0);
    // capabilities also readable as two halves
    assert_int_equal(b.r32(REG_CAPABILITIES), 0x02000210u);
    assert_int_equal(b.r32(REG_CAPABILITIES + 4), 0x38u);
}

// iommu_params.capabilities may name what the model implements, and only that.
void test_capabilities_param(void**)
{
    assert_true(riscv_iommu::unsupported_capabilities(0x0000003802000210ull).empty());
    assert_true(riscv_iommu::unsupported_capabilities(0x0000002E02000210ull).empty()); // PAS 46
    assert_true(riscv_iommu::unsupported_capabilities(0x0000003802400210ull).empty()); // MSI_FLAT
    assert_true(riscv_iommu::unsupported_capabilities(0x0000003802000610ull).empty()); // Sv48
    assert_true(riscv_iommu::unsupported_capabilities(0x0000003802000E10ull).empty()); // Sv48 + Sv57
    assert_true(riscv_iommu::unsupported_capabilities(0x0000003803000210ull).empty()); // AMO_HWAD
    assert_true(riscv_iommu::unsupported_capabilities(0x000001F802000210ull).empty()); // PD8, PD17, PD20
    assert_true(riscv_iommu::unsupported_capabilities(0x0000003812000210ull).empty()); // IGS = WSI
    assert_true(riscv_iommu::unsupported_capabilities(0x0000003822000210ull).empty()); // IGS = both
    // Sv57 without Sv48, IGS = 3 (reserved), version 2.0, no ATS, PAS 57, Sv32 (bit 8)
    for (uint64_t c : {0x0000003802000A10ull, 0x0000003832000210ull, 0x0000003802000220ull, 0x0000003800000210ull,
                       0x0000003902000210ull, 0x0000003802000310ull})
        assert_false(riscv_iommu::unsupported_capabilities(c).empty());
}

void test_access_rules(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    uint64_t v;
    // RO / WARL
    b.w64(REG_CAPABILITIES, ~0ull);
    assert_int_equal(b.r64(REG_CAPABILITIES), 0x0000003802000210ull);
    b.w32(REG_FCTL, 0x7); // BE, WSI, GXL are all read-only 0 here
    assert_int_equal(b.r32(REG_FCTL), 0);
    b.w64(REG_ICVEC, ~0ull);
    assert_int_equal(b.r64(REG_ICVEC), 0xFFFF); // 4 bits per field: 16 vectors
    b.w64(REG_MSI_CFG_TBL, ~0ull);
    assert_int_equal(b.r64(REG_MSI_CFG_TBL), 0x00FFFFFFFFFFFFFCull);
    b.w32(REG_MSI_CFG_TBL + 0xC, 0xFFFFFFFFu);
    assert_int_equal(b.r32(REG_MSI_CFG_TBL + 0xC), 1);
    b.w32(REG_MSI_CFG_TBL + 0xC, 0);
    b.w32(REG_CQH, 5);
    b.w32(REG_FQT, 5);
    b.w32(REG_PQT, 5);
    assert_int_equal(b.r32(REG_CQH), 0);
    assert_int_equal(b.r32(REG_FQT), 0);
    assert_int_equal(b.r32(REG_PQT), 0);

    // Illegal accesses: all-ones, writes dropped, a warning, TLM OK.
    unsigned w0 = bench::warnings();
    v = 0;
    assert_int_equal(b.access(REG_DDTP, 2, false, v), tlm::TLM_OK_RESPONSE);
    assert_int_equal(v, 0xFFFF);
    v = 0;
    assert_int_equal(b.access(REG_CQH, 8, false, v), tlm::TLM_OK_RESPONSE); // two 32-bit regs
    assert_int_equal(v, ~0ull);
    v = 0;
    assert_int_equal(b.access(REG_DDTP + 2, 4, false, v), tlm::TLM_OK_RESPONSE); // misaligned
    assert_int_equal(v, 0xFFFFFFFFu);
    v = CQCSR_CQEN;
    assert_int_equal(b.access(REG_CQCSR, 8, true, v), tlm::TLM_OK_RESPONSE);
    assert_int_equal(b.r32(REG_CQCSR), 0);
    v = 1;
    assert_int_equal(b.access(REG_IPSR, 1, true, v), tlm::TLM_OK_RESPONSE);
    assert_int_equal(bench::warnings() - w0, 5);
    // Outside the page: a bus error.
    assert_int_equal(b.access(0x1000, 4, false, v), tlm::TLM_ADDRESS_ERROR_RESPONSE);

    // Absent registers (HPM, debug): read 0, writes ignored.
    b.w32(0x58, 0xFFFFFFFFu);
    assert_int_equal(b.r32(0x58), 0);
    assert_int_equal(b.r64(0x60), 0);
    b.w64(0x258, ~0ull);
    assert_int_equal(b.r64(0x258), 0);

    // ddtp: reserved and custom modes are WARL (the whole write is dropped,
    // PPN included), busy is RO. (Modes deeper than max_ddt_mode: test_ddt.)
    for (uint64_t mode : {5, 13, 14, 15}) {
        b.w64(REG_DDTP, mode | (DDT >> 12 << 10));
        assert_int_equal(b.r64(REG_DDTP), DDTP_OFF);
    }
    b.w64(REG_DDTP, DDTP_1LVL | DDTP_BUSY | (DDT >> 12 << 10));
    assert_int_equal(b.r64(REG_DDTP), DDTP_1LVL | (DDT >> 12 << 10));
    w0 = bench::warnings();
    b.w64(REG_DDTP, DDTP_BARE); // 1LVL -> Bare: UNSPECIFIED, kept
    assert_int_equal(b.r64(REG_DDTP), DDTP_1LVL | (DDT >> 12 << 10));
    assert_int_equal(bench::warnings() - w0, 1);
    b.w64(REG_DDTP, DDTP_OFF);
    b.w64(REG_DDTP, DDTP_BARE); // Off -> Bare is fine
    assert_int_equal(b.r64(REG_DDTP), DDTP_BARE);
    b.w64(REG_DDTP, 7); // reserved
    assert_int_equal(b.r64(REG_DDTP), DDTP_BARE);
    b.w64(REG_DDTP, DDTP_OFF);

    // 64-bit register as two halves, either order.
    b.w32(REG_CQB + 4, 0x0000'0001u);
    b.w32(REG_CQB, 0x0000'0802u);
    assert_int_equal(b.r64(REG_CQB), 0x0000'0001'0000'0802ull);
    b.w32(REG_CQB, 0x0000'0C02u);
    b.w32(REG_CQB + 4, 0);
    assert_int_equal(b.r64(REG_CQB), 0x0C02);
    // Index registers: only LOG2SZ bits; after a base write the software
    // index reads 0 above LOG2SZ.
    b.w32(REG_CQT, 0xFFFF);
    assert_int_equal(b.r32(REG_CQT), 7);
    b.w64(REG_CQB, 0); // 2 entries
    assert_int_equal(b.r32(REG_CQT), 1);
    // pqb LOG2SZ-1 is WARL up to pq_max_log2sz - 1 = 15.
    b.w64(REG_PQB, 31);
    assert_int_equal(b.r64(REG_PQB), 15);
    // Base writes while the queue is on are dropped with a warning.
    b.w64(REG_CQB, (CQ >> 12 << 10) | 2); // 8 entries
    b.w32(REG_CQT, 0);
    b.w32(REG_CQCSR, CQCSR_CQEN);
    assert_int_equal(b.r32(REG_CQCSR), CQCSR_CQEN | XQCSR_ON);
    w0 = bench::warnings();
    b.w64(REG_CQB, 0x1234000);
    assert_int_equal(b.r64(REG_CQB), (CQ >> 12 << 10) | 2);
    assert_int_equal(bench::warnings() - w0, 1);
    b.w32(REG_CQCSR, 0);
    assert_int_equal(b.r32(REG_CQCSR), 0);
}

// FQ of 4 entries: the 4th record finds it full (usable capacity N - 1).
void test_fq_full_at_n_minus_1(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    b.w64(REG_MSI_CFG_TBL + 16 * FIV, MSI_BASE + 4 * FIV);
    b.w32(REG_MSI_CFG_TBL + 16 * FIV + 8, 0x100 + FIV);
    b.w64(REG_ICVEC, CIV | (FIV << 4) | (PIV << 12));
    b.w64(REG_FQB, (FQ >> 12 << 10) | 1); // 4 entries
    b.w32(REG_FQH, 0);
    b.w32(REG_FQCSR, FQCSR_FQEN | FQCSR_FIE);
    assert_int_equal(b.r32(REG_FQCSR), FQCSR_FQEN | FQCSR_FIE | XQCSR_ON);
    // ddtp Off: every ATS Translation Request is UR with cause 256.
    for (unsigned i = 0; i < 4; ++i) {
        pcie::cpl_status st;
        b.ats(RID, 0x1000 * (i + 1), st);
        assert_int_equal(st, pcie::cpl_status::ur);
    }
    b.settle();
    assert_int_equal(b.r32(REG_FQT), 3);
    assert_true(b.r32(REG_FQCSR) & FQCSR_FQOF);
    for (unsigned i = 0; i < 3; ++i) {
        assert_int_equal(cause_of(b.fq_hdr(i)), CAUSE_ALL_INBOUND_DISALLOWED);
        assert_int_equal(ttyp_of(b.fq_hdr(i)), TTYP_ATS_TRANSLATION);
        assert_int_equal(did_of(b.fq_hdr(i)), RID);
        assert_int_equal(b.fq_iotval(i), 0x1000 * (i + 1));
    }
    assert_int_equal(b.r32(REG_IPSR), IPSR_FIP);
    assert_int_equal(b.msis_to(FIV), 1);
    // fqof is sticky: with room made, records are still discarded.
    b.w32(REG_FQH, 3);
    pcie::cpl_status st;
    b.ats(RID, 0x9000, st);
    b.settle();
    assert_int_equal(b.r32(REG_FQT), 3);
    // W1C fqof, then W1C fip: nothing re-asserts it.
    b.w32(REG_FQCSR, FQCSR_FQEN | FQCSR_FIE | FQCSR_FQOF);
    b.w32(REG_IPSR, IPSR_FIP);
    assert_int_equal(b.r32(REG_IPSR), 0);
    b.ats(RID, 0xA000, st);
    b.settle();
    assert_int_equal(b.r32(REG_FQT), 0);
    assert_int_equal(cause_of(b.fq_hdr(3)), CAUSE_ALL_INBOUND_DISALLOWED);
    assert_int_equal(b.msis_to(FIV), 2);
    // Re-enable with 8 entries for the following cases.
    b.w32(REG_FQCSR, 0);
    b.w64(REG_FQB, (FQ >> 12 << 10) | 2);
    b.w32(REG_FQH, 0);
    b.w32(REG_FQCSR, FQCSR_FQEN | FQCSR_FIE);
    assert_int_equal(b.r32(REG_FQT), 0);
    b.w32(REG_IPSR, IPSR_FIP);
}

const uint64_t VA_UNMAPPED = 0x4000'0000;

// riscv-iommu.md §19: RID 5, PASID 0x42, PRPR = 1, PQ of 4 entries.
void test_reference_trace(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    b.root = b.pt_alloc();
    b.set_dc(RID, TC_V | TC_EN_ATS | TC_EN_PRI | TC_PRPR, b.sv39(b.root), 7);
    b.set_dc(6, TC_V | TC_EN_ATS);  // EN_PRI = 0, PRPR = 0
    b.set_dc(7, TC_EN_ATS);         // V = 0
    b.w64(REG_DDTP, DDTP_1LVL | (DDT >> 12 << 10));
    for (unsigned v : {CIV, FIV, PIV}) {
        b.w64(REG_MSI_CFG_TBL + 16 * v, MSI_BASE + 4 * v);
        b.w32(REG_MSI_CFG_TBL + 16 * v + 8, 0x100 + v);
    }
    b.w64(REG_PQB, (PQ >> 12 << 10) | 1); // 4 entries
    b.w32(REG_PQH, 0);
    b.w32(REG_PQCSR, PQCSR_PQEN | PQCSR_PIE);
    b.settle(sc_time(100, SC_NS));
    assert_int_equal(b.r32(REG_PQCSR), PQCSR_PQEN | PQCSR_PIE | XQCSR_ON);
    b.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CIE);
    const uint32_t fqt0 = b.r32(REG_FQT);

    // ATS TR to an unmapped VA: Success, R = W = 0, no FQ record, no pip.
    pcie::cpl_status st;
    pcie::ats_cpl c = b.ats(RID, VA_UNMAPPED, st);
    assert_int_equal(st, pcie::cpl_status::sc);
    assert_false(c.r);
    assert_false(c.w);
    b.settle();
    assert_int_equal(b.r32(REG_FQT), fqt0);
    assert_int_equal(b.r32(REG_IPSR), 0);

    // Untranslated write to the same VA: UR, FQ cause 15, TTYP 3, iotval = VA.
    unsigned char data[8] = {};
    assert_int_equal(b.dma(RID, pcie::at_t::untranslated, VA_UNMAPPED, data, 8, true),
                     pcie::cpl_status::ur);
    b.settle();
    assert_int_equal(b.r32(REG_FQT), fqt0 + 1);
    assert_int_equal(cause_of(b.fq_hdr(fqt0)), CAUSE_WRITE_PAGE_FAULT);
    assert_int_equal(ttyp_of(b.fq_hdr(fqt0)), TTYP_UNTRANSLATED_WRITE);
    assert_int_equal(b.fq_iotval(fqt0), VA_UNMAPPED);
    b.w32(REG_FQH, fqt0 + 1);
    b.w32(REG_IPSR, IPSR_FIP);

    // 3 Page Requests, PRGI 0..2, L = 1: queued at 0..2, one MSI.
    const unsigned pip_msis = b.msis_to(PIV);
    for (unsigned i = 0; i < 3; ++i)
        b.page_request(RID, true, PASID, pcie::pr_payload(0x10000 * (i + 1), i, true, true, true));
    b.settle();
    assert_int_equal(b.r32(REG_PQT), 3);
    for (unsigned i = 0; i < 3; ++i) {
        const uint64_t hdr = b.bus.rd(PQ + 16 * i);
        assert_int_equal(hdr, (uint64_t(RID) << 40) | (1ull << 32) | (uint64_t(PASID) << 12));
        assert_int_equal(b.bus.rd(PQ + 16 * i + 8),
                         pcie::pr_payload(0x10000 * (i + 1), i, true, true, true));
    }
    assert_int_equal(b.msis_to(PIV) - pip_msis, 1);
    assert_true(b.r32(REG_IPSR) & IPSR_PIP);
    assert_int_equal(b.iommu->pq_occupancy(), 3);

    // 4th (PRGI 3): queue full -> pqof, auto Success 0x0005000300000000 with PASID.
    const size_t m0 = b.ep.msgs.size();
    b.page_request(RID, true, PASID, pcie::pr_payload(0x40000, 3, true, true, true));
    b.settle();
    assert_true(b.r32(REG_PQCSR) & PQCSR_PQOF);
    assert_int_equal(b.ep.msgs.size(), m0 + 1);
    const auto& ar = b.ep.msgs.back();
    assert_int_equal(ar.ext.kind, pcie::tlp_kind::prg_response);
    assert_int_equal(ar.payload, 0x0005000300000000ull);
    assert_int_equal(ar.ext.rid, RID);
    assert_true(ar.ext.pv);
    assert_int_equal(ar.ext.pasid, PASID);
    assert_int_equal(ar.ext.from, pcie::origin::iommu_auto);

    // 5th while pqof: auto Success, no new interrupt.
    b.page_request(RID, true, PASID, pcie::pr_payload(0x50000, 4, true, true, true));
    b.settle();
    assert_int_equal(b.ep.msgs.size(), m0 + 2);
    assert_int_equal(pcie::prgr_code(b.ep.msgs.back().payload), pcie::PRG_SUCCESS);
    assert_int_equal(pcie::prgr_prgi(b.ep.msgs.back().payload), 4);
    assert_int_equal(b.msis_to(PIV) - pip_msis, 1);

    // L = 0 request and Stop Marker while pqof: dropped, no message.
    b.page_request(RID, true, PASID, pcie::pr_payload(0x60000, 5, false, true, true));
    b.page_request(RID, true, PASID, pcie::pr_payload(0, 6, true, false, false));
    b.settle();
    assert_int_equal(b.ep.msgs.size(), m0 + 2);
    const auto& d = b.iommu->per_device().at(RID);
    assert_int_equal(d.discarded_l0, 1);
    assert_int_equal(d.discarded_stop_marker, 1);
    assert_int_equal(d.auto_resp_success, 2);
    assert_int_equal(d.pq_records_written, 3);
    assert_int_equal(d.pr_received, 7);

    // Recovery: pqh = pqt, W1C pqof, W1C pip; a new request is queued with a new MSI.
    b.w32(REG_PQH, b.r32(REG_PQT));
    b.w32(REG_PQCSR, PQCSR_PQEN | PQCSR_PIE | PQCSR_PQOF);
    b.w32(REG_IPSR, IPSR_PIP);
    assert_false(b.r32(REG_PQCSR) & PQCSR_PQOF);
    assert_int_equal(b.r32(REG_IPSR) & IPSR_PIP, 0);
    b.page_request(RID, true, PASID, pcie::pr_payload(0x70000, 7, true, true, true));
    b.settle();
    assert_int_equal(b.r32(REG_PQT), 0); // wrapped: record at index 3
    assert_int_equal(b.bus.rd(PQ + 16 * 3 + 8), pcie::pr_payload(0x70000, 7, true, true, true));
    assert_int_equal(b.msis_to(PIV) - pip_msis, 2);
    b.w32(REG_PQH, 0);
    b.w32(REG_IPSR, IPSR_PIP);

    // CQ: ATS.PRGR (PRGI 5, Success) -> payload 0x0000000500000000, software origin.
    b.cq_submit(CMD_ATS | (uint64_t(ATS_PRGR) << 7) | (uint64_t(PASID) << 12) | ATS_PV |
                    (uint64_t(RID) << 40),
                pcie::prgr_payload(5, pcie::PRG_SUCCESS));
    assert_true(b.cq_idle());
    b.settle(sc_time(100, SC_NS));
    assert_int_equal(b.ep.msgs.back().payload, 0x0000000500000000ull);
    assert_int_equal(b.ep.msgs.back().ext.from, pcie::origin::software);
    assert_int_equal(b.ep.msgs.back().ext.rid, RID);
    assert_int_equal(b.ep.msgs.back().ext.pasid, PASID);

    // CQ: IOTINVAL.GVMA with PSCV = 1 -> cmd_ill (cqcsr = 0x10403), cqh stays, MSI on civ.
    const uint32_t cqh = b.r32(REG_CQH);
    const unsigned civ_msis = b.msis_to(CIV);
    b.cq_submit(CMD_IOTINVAL | (uint64_t(IOTINVAL_GVMA) << 7) | IOTINVAL_PSCV, 0);
    assert_true(b.cq_idle());
    b.settle(sc_time(200, SC_NS));
    assert_int_equal(b.r32(REG_CQCSR), 0x10403);
    assert_int_equal(b.r32(REG_CQH), cqh);
    assert_true(b.r32(REG_IPSR) & IPSR_CIP);
    assert_int_equal(b.msis_to(CIV) - civ_msis, 1);
    // Recovery: replace the command by a legal one, W1C cmd_ill and cip.
    b.bus.wr(CQ + cqh * 16, CMD_IOTINVAL | (uint64_t(IOTINVAL_GVMA) << 7));
    b.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CIE | CQCSR_CMD_ILL);
    b.w32(REG_IPSR, IPSR_CIP);
    assert_true(b.cq_idle());
    assert_int_equal(b.r32(REG_CQH), (cqh + 1) & 7);
    assert_int_equal(b.r32(REG_CQCSR), CQCSR_CQEN | CQCSR_CIE | XQCSR_ON);

    // EN_PRI = 0, PRPR = 0: Invalid Request without PASID; FQ 260, TTYP 9, iotval 4.
    uint32_t fqt = b.r32(REG_FQT);
    b.page_request(6, true, PASID, pcie::pr_payload(0x1000, 9, true, true, true));
    b.settle();
    auto m = b.ep.msgs.back();
    assert_int_equal(m.ext.rid, 6);
    assert_int_equal(pcie::prgr_code(m.payload), pcie::PRG_INVALID_REQUEST);
    assert_false(m.ext.pv);
    assert_int_equal(b.r32(REG_FQT), (fqt + 1) & 7);
    assert_int_equal(cause_of(b.fq_hdr(fqt)), CAUSE_TTYPE_DISALLOWED);
    assert_int_equal(ttyp_of(b.fq_hdr(fqt)), TTYP_MESSAGE);
    assert_int_equal(b.fq_iotval(fqt), MSG_CODE_PAGE_REQUEST);

    // DC V = 0: Response Failure with PASID; FQ 258, TTYP 9.
    fqt = b.r32(REG_FQT);
    b.page_request(7, true, PASID, pcie::pr_payload(0x1000, 10, true, true, true));
    b.settle();
    m = b.ep.msgs.back();
    assert_int_equal(m.ext.rid, 7);
    assert_int_equal(pcie::prgr_code(m.payload), pcie::PRG_RESPONSE_FAILURE);
    assert_true(m.ext.pv);
    assert_int_equal(m.ext.pasid, PASID);
    assert_int_equal(cause_of(b.fq_hdr(fqt)), CAUSE_DDT_INVALID);
    assert_int_equal(ttyp_of(b.fq_hdr(fqt)), TTYP_MESSAGE);

    // pqen = 0: Response Failure, no FQ record.
    b.w32(REG_PQCSR, 0);
    b.settle(sc_time(100, SC_NS));
    assert_int_equal(b.r32(REG_PQCSR), 0);
    fqt = b.r32(REG_FQT);
    b.page_request(RID, true, PASID, pcie::pr_payload(0x1000, 11, true, true, true));
    b.settle();
    m = b.ep.msgs.back();
    assert_int_equal(pcie::prgr_code(m.payload), pcie::PRG_RESPONSE_FAILURE);
    assert_int_equal(pcie::prgr_prgi(m.payload), 11);
    assert_true(m.ext.pv);
    assert_int_equal(b.r32(REG_FQT), fqt);
    b.w32(REG_FQH, fqt);
    b.w32(REG_IPSR, IPSR_FIP);

    // device_id wider than 1LVL allows: Invalid Request (no DC: PRPR = 0), FQ 260.
    b.page_request(0x85, true, PASID, pcie::pr_payload(0x1000, 12, true, true, true));
    b.settle();
    m = b.ep.msgs.back();
    assert_int_equal(m.ext.rid, 0x85);
    assert_int_equal(pcie::prgr_code(m.payload), pcie::PRG_INVALID_REQUEST);
    assert_false(m.ext.pv);
    assert_int_equal(cause_of(b.fq_hdr(fqt)), CAUSE_TTYPE_DISALLOWED);
    assert_int_equal(did_of(b.fq_hdr(fqt)), 0x85);
    b.w32(REG_FQH, b.r32(REG_FQT));
    b.w32(REG_IPSR, IPSR_FIP);

    // Device counters add up: records + auto-responses + discards = received.
    for (auto& [did, c] : b.iommu->per_device())
        assert_int_equal(c.pq_records_written + c.auto_resp_success + c.auto_resp_invalid +
                             c.auto_resp_failure + c.discarded_l0 + c.discarded_stop_marker,
                         c.pr_received);
}

void test_msi_masking(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    b.w32(REG_PQH, 0);
    b.w32(REG_PQCSR, PQCSR_PQEN | PQCSR_PIE);
    b.settle(sc_time(100, SC_NS));
    b.w32(REG_IPSR, IPSR_PIP);
    b.w32(REG_MSI_CFG_TBL + 16 * PIV + 0xC, MSI_VEC_CTL_M); // mask
    const unsigned n = b.msis_to(PIV);
    b.page_request(RID, false, 0, pcie::pr_payload(0x1000, 1, true, true, true));
    b.settle();
    assert_int_equal(b.r32(REG_PQT), 1);
    assert_true(b.r32(REG_IPSR) & IPSR_PIP);
    assert_int_equal(b.msis_to(PIV), n); // suppressed, remembered
    b.w32(REG_MSI_CFG_TBL + 16 * PIV + 0xC, 0); // unmask: the pending message goes out
    b.settle(sc_time(1, SC_US));
    assert_int_equal(b.msis_to(PIV), n + 1);
    assert_int_equal(b.bus.msis.back().data, 0x100 + PIV);
    // A masked vector without a pending message sends nothing on unmask.
    b.w32(REG_MSI_CFG_TBL + 16 * PIV + 0xC, MSI_VEC_CTL_M);
    b.w32(REG_MSI_CFG_TBL + 16 * PIV + 0xC, 0);
    b.settle(sc_time(1, SC_US));
    assert_int_equal(b.msis_to(PIV), n + 1);
    // A faulting MSI write: FQ cause 273, TTYP 0, iotval = msi_addr.
    b.w32(REG_PQH, 1);
    b.w32(REG_IPSR, IPSR_PIP);
    b.w64(REG_MSI_CFG_TBL + 16 * PIV, FAULT_BASE);
    const uint32_t fqt = b.r32(REG_FQT);
    b.page_request(RID, false, 0, pcie::pr_payload(0x2000, 2, true, true, true));
    b.settle();
    assert_int_equal(b.r32(REG_PQT), 2);
    assert_int_equal(b.r32(REG_FQT), (fqt + 1) & 7);
    assert_int_equal(cause_of(b.fq_hdr(fqt)), CAUSE_MSI_WRITE_FAULT);
    assert_int_equal(ttyp_of(b.fq_hdr(fqt)), TTYP_NONE);
    assert_int_equal(b.fq_iotval(fqt), FAULT_BASE);
    b.w64(REG_MSI_CFG_TBL + 16 * PIV, MSI_BASE + 4 * PIV);
    b.w32(REG_FQH, b.r32(REG_FQT));
    b.w32(REG_PQH, 2);
    b.w32(REG_IPSR, IPSR_PIP | IPSR_FIP);
}

void test_iofence(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    const uint64_t target = 0x0005'0000;
    b.bus.wr(target, 0, 4);
    b.cq_submit(CMD_IOFENCE | IOFENCE_AV | IOFENCE_PR | IOFENCE_PW | (0xCAFEBABEull << 32),
                target >> 2);
    assert_true(b.cq_idle());
    assert_int_equal(b.bus.rd(target, 4), 0xCAFEBABEu);
    assert_int_equal(b.r32(REG_CQCSR) & CQCSR_ERRORS, 0);
    // A faulting store: cqmf, cqh stays on the fence, cip.
    const uint32_t cqh = b.r32(REG_CQH);
    b.cq_submit(CMD_IOFENCE | IOFENCE_AV | (1ull << 32), FAULT_BASE >> 2);
    assert_true(b.cq_idle());
    b.settle(sc_time(200, SC_NS));
    assert_true(b.r32(REG_CQCSR) & CQCSR_CQMF);
    assert_int_equal(b.r32(REG_CQH), cqh);
    assert_true(b.r32(REG_IPSR) & IPSR_CIP);
    // WSI = 1 is reserved with fctl.WSI = 0: illegal.
    b.bus.wr(CQ + cqh * 16, CMD_IOFENCE | IOFENCE_WSI);
    b.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CIE | CQCSR_CQMF);
    assert_true(b.cq_idle());
    assert_true(b.r32(REG_CQCSR) & CQCSR_CMD_ILL);
    b.bus.wr(CQ + cqh * 16, CMD_IOFENCE);
    b.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CIE | CQCSR_CMD_ILL);
    b.w32(REG_IPSR, IPSR_CIP);
    assert_true(b.cq_idle());
    assert_int_equal(b.r32(REG_CQCSR) & CQCSR_ERRORS, 0);
}

void test_dma(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    const uint64_t va = 0x0000'0040'1234'5000ull & ((1ull << 38) - 1); // in the lower half
    const uint64_t pa = 0x0060'0000, pa2 = 0x0061'0000;
    b.map(b.root, va, pa, PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    map_sink s0;
    b.iommu->report(s0, "i");

    // ATS TR: R/W with the physical address.
    pcie::cpl_status st;
    pcie::ats_cpl c = b.ats(RID, va, st);
    assert_int_equal(st, pcie::cpl_status::sc);
    assert_true(c.r && c.w);
    assert_false(c.s);
    assert_int_equal(c.addr, pa);
    // Translated write lands at the PA.
    unsigned char data[64];
    for (unsigned i = 0; i < 64; ++i)
        data[i] = uint8_t(0xA0 + i);
    assert_int_equal(b.dma(RID, pcie::at_t::translated, c.addr + 0x80, data, 64, true),
                     pcie::cpl_status::sc);
    assert_int_equal(std::memcmp(b.bus.ptr(pa + 0x80), data, 64), 0);
    // Untranslated read through the walk (IOTLB hit now).
    unsigned char back[64] = {};
    assert_int_equal(b.dma(RID, pcie::at_t::untranslated, va + 0x80, back, 64, false),
                     pcie::cpl_status::sc);
    assert_int_equal(std::memcmp(back, data, 64), 0);
    map_sink s1;
    b.iommu->report(s1, "i");
    assert_true(s1.counters["i.iotlb.hits"] > s0.counters["i.iotlb.hits"]);
    assert_int_equal(s1.counters["i.dma.translated"] - s0.counters["i.dma.translated"], 1);

    // Remap without invalidation: the IOTLB still holds the old PA; after
    // IOTINVAL.VMA (AV, PSCV) the new one is used.
    b.map(b.root, va, pa2, PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    c = b.ats(RID, va, st);
    assert_int_equal(c.addr, pa);
    b.cq_submit(CMD_IOTINVAL | IOTINVAL_AV | IOTINVAL_PSCV | (7ull << 12), (va >> 12) << 10);
    assert_true(b.cq_idle());
    c = b.ats(RID, va, st);
    assert_int_equal(c.addr, pa2);

    // Permission rules: U = 0 page without PASID -> R = W = 0; D = 0 -> no W.
    b.map(b.root, va + 0x1000, pa, PTE_R | PTE_W | PTE_A | PTE_D);
    c = b.ats(RID, va + 0x1000, st);
    assert_false(c.r || c.w);
    b.map(b.root, va + 0x2000, pa, PTE_R | PTE_W | PTE_U | PTE_A);
    c = b.ats(RID, va + 0x2000, st);
    assert_true(c.r);
    assert_false(c.w);

    // Translated request from a DC with EN_ATS = 0: UR, FQ cause 260, TTYP 7.
    b.set_dc(9, TC_V, b.sv39(b.root), 7);
    const uint32_t fqt = b.r32(REG_FQT);
    assert_int_equal(b.dma(9, pcie::at_t::translated, pa, data, 8, true), pcie::cpl_status::ur);
    b.settle();
    assert_int_equal(cause_of(b.fq_hdr(fqt)), CAUSE_TTYPE_DISALLOWED);
    assert_int_equal(ttyp_of(b.fq_hdr(fqt)), TTYP_TRANSLATED_WRITE);
    // A PTE load access fault on an ATS TR: Completer Abort, FQ cause 7, TTYP 8.
    const uint64_t bad_root = FAULT_BASE;
    b.set_dc(10, TC_V | TC_EN_ATS, b.sv39(0x1000), 3);
    b.bus.wr(DDT + 10 * 32 + 24, (uint64_t(ATP_SV39) << 60) | (bad_root >> 12));
    c = b.ats(10, va, st);
    assert_int_equal(st, pcie::cpl_status::ca);
    b.settle();
    assert_int_equal(cause_of(b.fq_hdr((fqt + 1) & 7)), CAUSE_WRITE_ACCESS_FAULT);
    assert_int_equal(ttyp_of(b.fq_hdr((fqt + 1) & 7)), TTYP_ATS_TRANSLATION);
    b.w32(REG_FQH, b.r32(REG_FQT));
    b.w32(REG_IPSR, IPSR_FIP);
}

void test_ats_inval(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    const size_t m0 = b.ep.msgs.size();
    const uint64_t payload = 0x4000'0000ull; // address, G = 0, S = 0
    b.cq_submit(CMD_ATS | (uint64_t(ATS_INVAL) << 7) | (uint64_t(RID) << 40), payload);
    b.cq_submit(CMD_IOFENCE, 0);
    b.settle(sc_time(2, SC_US));
    assert_int_equal(b.ep.msgs.size(), m0 + 1);
    const auto req = b.ep.msgs.back();
    assert_int_equal(req.ext.kind, pcie::tlp_kind::inval_request);
    assert_int_equal(req.payload, payload);
    // The fence waits for the completion.
    assert_int_not_equal(b.r32(REG_CQH), b.r32(REG_CQT));
    pcie::tlp_ext e;
    e.kind = pcie::tlp_kind::inval_completion;
    e.rid = RID;
    unsigned char d[8];
    pcie::store_le64(d, pcie::inval_cpl_payload(1u << req.ext.itag, 1));
    assert_int_equal(b.ep.send(e, tlm::TLM_WRITE_COMMAND, 0, d, 8), tlm::TLM_OK_RESPONSE);
    assert_true(b.cq_idle());
    assert_int_equal(b.r32(REG_CQH), b.r32(REG_CQT));
    assert_int_equal(b.r32(REG_CQCSR) & CQCSR_ERRORS, 0);
    // No completion: the fence reports cmd_to after the timeout, cqh on the fence.
    b.cq_submit(CMD_ATS | (uint64_t(ATS_INVAL) << 7) | (uint64_t(RID) << 40), payload);
    b.cq_submit(CMD_IOFENCE, 0);
    const uint32_t fence = (b.r32(REG_CQT) + 7) & 7;
    b.settle(sc_time(30, SC_US)); // timeout is 20 us in this bench
    assert_true(b.r32(REG_CQCSR) & CQCSR_CMD_TO);
    assert_int_equal(b.r32(REG_CQH), fence);
    b.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CIE | CQCSR_CMD_TO);
    b.w32(REG_IPSR, IPSR_CIP);
    assert_true(b.cq_idle());
    assert_int_equal(b.r32(REG_CQH), b.r32(REG_CQT));
}

void test_stats(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    map_sink s;
    b.iommu->report(s, "iommu0");
    const char* names[] = {
        "pq.records_written", "pq.occupancy_hwm", "pq.overflows", "pq.drop.disabled",
        "pq.drop.memfault", "pq.drop.overflow", "pq.drop.full", "pq.drop.write_fault",
        "pq.discard_l0", "pq.discard_stop_marker", "auto_resp.success", "auto_resp.invalid",
        "auto_resp.failure", "auto_resp.cause.pq_full", "auto_resp.cause.pq_overflow",
        "auto_resp.cause.pq_disabled", "auto_resp.cause.pq_memfault",
        "auto_resp.cause.pq_write_fault", "auto_resp.cause.mode_off", "auto_resp.cause.mode_bare",
        "auto_resp.cause.did_too_wide", "auto_resp.cause.ddt_load_fault",
        "auto_resp.cause.dc_invalid", "auto_resp.cause.dc_misconfigured",
        "auto_resp.cause.en_pri_off", "ats.requests", "ats.not_present", "ats.ur", "ats.ca",
        "dma.translated", "dma.untranslated", "dma.faults", "fq.records_written",
        "fq.overflows", "cq.commands", "cq.illegal", "cq.iotinval_vma", "cq.iotinval_gvma",
        "cq.iofence_c", "cq.iodir", "cq.ats_prgr", "cq.ats_inval", "msi.sent", "msi.deferred",
        "msi.faults", "iotlb.hits", "iotlb.misses", "ddtc.hits", "ddtc.misses",
        "rtl.pq_writer.cycles", "dev.0005.pr_received", "dev.0005.pq_records_written",
        "dev.0007.auto_resp_failure", "dev.0085.auto_resp_invalid"};
    for (const char* n : names)
        assert_true(s.counters.count(std::string("iommu0.") + n) == 1);
    assert_true(s.values.count("iommu0.pq.occupancy_avg") == 1);
    auto& c = s.counters;
    assert_int_equal(c["iommu0.pq.overflows"], 1);
    assert_int_equal(c["iommu0.pq.drop.full"], 1);
    assert_int_equal(c["iommu0.pq.drop.overflow"], 3);
    assert_int_equal(c["iommu0.auto_resp.cause.pq_full"], 1);
    assert_int_equal(c["iommu0.auto_resp.cause.pq_overflow"], 1);
    assert_int_equal(c["iommu0.auto_resp.cause.pq_disabled"], 1);
    assert_int_equal(c["iommu0.auto_resp.cause.en_pri_off"], 1);
    assert_int_equal(c["iommu0.auto_resp.cause.dc_invalid"], 1);
    assert_int_equal(c["iommu0.pq.occupancy_hwm"], 3);
    // The PQ of 4 records holds 3 (§6.2): it was full, and its one pqof
    // episode is its overflow episode. The CQ saw commands.
    assert_true(s.queues.count("iommu0.pq") == 1 && s.queues.count("iommu0.cq") == 1);
    const auto& pq = s.queues["iommu0.pq"];
    assert_int_equal(pq.capacity, 3);
    assert_int_equal(pq.hwm, 3);
    assert_true(pq.full_episodes >= 1);
    assert_true(pq.full_ps > 0);
    assert_int_equal(pq.overflows, 1);
    const auto& cq = s.queues["iommu0.cq"];
    assert_true(cq.capacity > 0);
    assert_true(cq.hwm >= 1);
    assert_int_equal(cq.overflows, -1);
    assert_int_equal(c["iommu0.cq.illegal"], 2);
    assert_int_equal(c["iommu0.cq.ats_inval"], 2);
    assert_int_equal(c["iommu0.msi.deferred"], 1);
    assert_int_equal(c["iommu0.msi.faults"], 1);
    assert_int_equal(c["iommu0.auto_resp.cause.did_too_wide"], 1);
    assert_int_equal(c["iommu0.dev.0007.auto_resp_failure"], 1);
    assert_true(c["iommu0.rtl.pq_writer.cycles"] > 0);
    assert_true(c["iommu0.ddtc.hits"] > 0);
}

// §10.4 ATS.INVAL with the model's 2 ITags: a third invalidation holds the
// CQ (cqh on it) until a completion frees an ITag; an ITag is freed only
// when as many completions as their CC field says have arrived (counted
// modulo 8, CC = 0 meaning 8); a completion for an ITag not in use, or
// from another RID, is counted as unexpected and changes nothing; the
// fence after them completes without cmd_to.
void test_ats_inval_itags(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    map_sink s0;
    b.iommu->report(s0, "iommu0");
    const uint64_t unexpected0 = s0.counters["iommu0.ats.inval_unexpected"];
    const size_t m0 = b.ep.msgs.size();
    const uint64_t inval = CMD_ATS | (uint64_t(ATS_INVAL) << 7) | (uint64_t(RID) << 40);
    const uint32_t h0 = b.r32(REG_CQH);
    for (uint64_t a : {0x4000'0000ull, 0x4000'1000ull, 0x4000'2000ull})
        b.cq_submit(inval, a);
    b.settle(sc_time(5, SC_US));
    assert_int_equal(b.ep.msgs.size(), m0 + 2); // the third waits for an ITag
    assert_int_equal(b.r32(REG_CQH), (h0 + 2) & 7);
    const unsigned t0 = b.ep.msgs[m0].ext.itag, t1 = b.ep.msgs[m0 + 1].ext.itag;
    assert_int_not_equal(t0, t1);
    auto complete = [&](uint16_t rid, uint32_t itags, unsigned cc) {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::inval_completion;
        e.rid = rid;
        unsigned char d[8];
        pcie::store_le64(d, pcie::inval_cpl_payload(itags, cc));
        assert_int_equal(b.ep.send(e, tlm::TLM_WRITE_COMMAND, 0, d, 8), tlm::TLM_OK_RESPONSE);
        b.settle(sc_time(2, SC_US));
    };
    // The first of two completions for t0: still busy.
    complete(RID, 1u << t0, 2);
    assert_int_equal(b.ep.msgs.size(), m0 + 2);
    // From another RID: unexpected, t1 stays busy.
    complete(RID + 1, 1u << t1, 1);
    assert_int_equal(b.ep.msgs.size(), m0 + 2);
    // The second for t0 frees it: the third invalidation goes out on it.
    complete(RID, 1u << t0, 2);
    assert_int_equal(b.ep.msgs.size(), m0 + 3);
    assert_int_equal(b.ep.msgs[m0 + 2].ext.itag, t0);
    assert_int_equal(b.ep.msgs[m0 + 2].payload, 0x4000'2000ull);
    assert_int_equal(b.r32(REG_CQH), (h0 + 3) & 7);
    // An ITag not in use: unexpected.
    complete(RID, 1u << 5, 1);
    // Both outstanding in one completion (its ITag vector), then a fence.
    complete(RID, (1u << t0) | (1u << t1), 1);
    b.cq_submit(CMD_IOFENCE, 0);
    assert_true(b.cq_idle());
    assert_int_equal(b.r32(REG_CQH), b.r32(REG_CQT));
    assert_int_equal(b.r32(REG_CQCSR) & CQCSR_ERRORS, 0);
    map_sink s1;
    b.iommu->report(s1, "iommu0");
    assert_int_equal(s1.counters["iommu0.ats.inval_unexpected"] - unexpected0, 2);
}

// §7.1 cqcsr.busy: clearing cqen while a fetched IOFENCE.C waits for an
// ATS.INVAL leaves the CQ on and busy until that command completes (the
// model completes fetched commands); then cqon and busy read 0 and
// nothing more is fetched. cqen 0 -> 1 resets cqh and turns it on again.
void test_cq_busy(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    const size_t m0 = b.ep.msgs.size();
    b.cq_submit(CMD_ATS | (uint64_t(ATS_INVAL) << 7) | (uint64_t(RID) << 40), 0x4000'0000ull);
    b.cq_submit(CMD_IOFENCE, 0);
    b.settle(sc_time(2, SC_US));
    assert_int_equal(b.ep.msgs.size(), m0 + 1);
    const uint32_t fence = (b.r32(REG_CQT) + 7) & 7;
    assert_int_equal(b.r32(REG_CQH), fence);
    b.w32(REG_CQCSR, CQCSR_CIE); // cqen 1 -> 0
    uint32_t cs = b.r32(REG_CQCSR);
    assert_true(cs & XQCSR_ON);
    assert_true(cs & XQCSR_BUSY);
    assert_int_equal(cs & CQCSR_CQEN, 0);
    // The completion lets the fence finish; then the queue is off.
    pcie::tlp_ext e;
    e.kind = pcie::tlp_kind::inval_completion;
    e.rid = RID;
    unsigned char d[8];
    pcie::store_le64(d, pcie::inval_cpl_payload(1u << b.ep.msgs.back().ext.itag, 1));
    assert_int_equal(b.ep.send(e, tlm::TLM_WRITE_COMMAND, 0, d, 8), tlm::TLM_OK_RESPONSE);
    b.settle(sc_time(2, SC_US));
    cs = b.r32(REG_CQCSR);
    assert_int_equal(cs & (XQCSR_ON | XQCSR_BUSY | CQCSR_ERRORS), 0);
    assert_int_equal(b.r32(REG_CQH), (fence + 1) & 7);
    // Off: a command written now is not fetched.
    b.cq_submit(CMD_IOFENCE, 0);
    b.settle(sc_time(2, SC_US));
    assert_int_equal(b.r32(REG_CQH), (fence + 1) & 7);
    // Back on from an empty queue: cqh = cqt = 0.
    b.w32(REG_CQT, 0);
    b.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CIE);
    b.settle();
    cs = b.r32(REG_CQCSR);
    assert_true(cs & XQCSR_ON);
    assert_int_equal(cs & XQCSR_BUSY, 0);
    assert_int_equal(b.r32(REG_CQH), 0);
    b.cq_submit(CMD_IOFENCE, 0);
    assert_true(b.cq_idle());
    assert_int_equal(b.r32(REG_CQH), 1);
}

// §7.1 fqcsr.busy: clearing fqen while a fault record's store is in flight
// leaves the FQ on and busy until the store completes (the record is
// written and fqt advances); then fqon and busy read 0, and a later fault is
// not recorded. Found by clearing fqen a little later each round.
void test_fq_busy(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    bool seen_busy = false;
    for (unsigned ns = 0; ns < 400 && !seen_busy; ns += 10) {
        b.w32(REG_FQH, b.r32(REG_FQT));
        b.w32(REG_FQCSR, FQCSR_FQEN);
        b.settle();
        const uint32_t t0 = b.r32(REG_FQT);
        pcie::cpl_status st;
        b.ats(0x77, 0x1000, st); // no valid DC: a fault record
        wait(sc_time(ns, sc_core::SC_NS));
        b.w32(REG_FQCSR, 0);
        const uint32_t cs = b.r32(REG_FQCSR);
        if (cs & XQCSR_BUSY) {
            seen_busy = true;
            assert_true(cs & XQCSR_ON);
            b.settle();
            assert_int_equal(b.r32(REG_FQCSR) & (XQCSR_ON | XQCSR_BUSY), 0);
            assert_int_equal(b.r32(REG_FQT), (t0 + 1) & 7); // the store completed
        } else {
            assert_int_equal(cs & XQCSR_ON, 0);
        }
        b.settle();
    }
    assert_true(seen_busy);
    // Off: a fault is not recorded.
    const uint32_t t1 = b.r32(REG_FQT);
    pcie::cpl_status st;
    b.ats(0x77, 0x2000, st);
    b.settle();
    assert_int_equal(b.r32(REG_FQT), t1);
    b.w32(REG_FQH, t1);
    b.w32(REG_FQCSR, FQCSR_FQEN | FQCSR_FIE);
    b.w32(REG_IPSR, IPSR_FIP);
}

// Host time per PQ record: 2000 requests into a 4096-entry queue.
void test_host_time(void** state)
{
    bench& b = *static_cast<bench*>(*state);
    b.w32(REG_PQCSR, 0);
    b.settle(sc_time(100, SC_NS));
    b.w64(REG_PQB, (BIGPQ >> 12 << 10) | 11);
    b.w32(REG_PQH, 0);
    b.w32(REG_PQCSR, PQCSR_PQEN);
    b.settle(sc_time(100, SC_NS));
    map_sink s0;
    b.iommu->report(s0, "i");
    const uint64_t c0 = b.iommu->rtl_cycles();
    const uint64_t h0 = b.iommu->rtl_host_ticks();
    const unsigned n = 2000;
    for (unsigned i = 0; i < n; ++i)
        b.page_request(RID, true, PASID, pcie::pr_payload(0x1000ull * i, i & 0x1FF, true, true, true));
    b.settle(sc_time(n * 200, SC_NS));
    map_sink s1;
    b.iommu->report(s1, "i");
    const uint64_t recs = s1.counters["i.pq.records_written"] - s0.counters["i.pq.records_written"];
    assert_int_equal(recs, n);
    assert_int_equal(b.r32(REG_PQT), n);
    const double per = double(b.iommu->rtl_host_ticks() - h0) / double(recs);
    const uint64_t cyc = b.iommu->rtl_cycles() - c0;
    std::printf("[ INFO     ] pq_writer: %u records, %llu cycles (%.1f per record), "
                "host %.0f ticks per record (common/host_ticks.h)\n",
                n, static_cast<unsigned long long>(cyc), double(cyc) / n, per);
    // Idle costs nothing: no cycles while nothing happens.
    const uint64_t c1 = b.iommu->rtl_cycles();
    b.settle(sc_time(10, SC_US));
    assert_int_equal(b.iommu->rtl_cycles(), c1);
}

void bench::main()
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_reset_values, this),
        cmocka_unit_test(test_capabilities_param),
        cmocka_unit_test_prestate(test_access_rules, this),
        cmocka_unit_test_prestate(test_fq_full_at_n_minus_1, this),
        cmocka_unit_test_prestate(test_reference_trace, this),
        cmocka_unit_test_prestate(test_msi_masking, this),
        cmocka_unit_test_prestate(test_iofence, this),
        cmocka_unit_test_prestate(test_dma, this),
        cmocka_unit_test_prestate(test_ats_inval, this),
        cmocka_unit_test_prestate(test_stats, this),
        cmocka_unit_test_prestate(test_ats_inval_itags, this),
        cmocka_unit_test_prestate(test_cq_busy, this),
        cmocka_unit_test_prestate(test_fq_busy, this),
        cmocka_unit_test_prestate(test_host_time, this),
    };
    result = cmocka_run_group_tests_name("model.iommu", tests, nullptr, nullptr);
    sc_core::sc_stop();
}

} // namespace

int sc_main(int, char*[])
{
    iommu_params p;
    p.ats_inval_timeout = sc_time(20, SC_US);
    // Illegal-access warnings are expected; count them, print them once each.
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_LOG);
    bench b("tb", p);
    sc_core::sc_start();
    return b.result;
}
