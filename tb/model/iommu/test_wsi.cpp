// SPDX-License-Identifier: Apache-2.0
//
// Description: wired interrupts of the RISC-V IOMMU model (model.iommu.wsi):
// capabilities.IGS (§3), fctl.WSI (§4: read-only per IGS, writable only
// with IGS = both and only while the IOMMU is off), msi_cfg_tbl absent with
// IGS = WSI-only (§8.3), the level of each ipsr bit on the wire its icvec
// field selects (§8.1: asserted with the bit, dropped by its W1C, moved by
// an icvec write, no MSI), IOFENCE.C with WSI = 1 (§10.3: cmd_ill with
// fctl.WSI = 0; otherwise cqcsr.fence_w_ip, RW1C, and cip with cie), and
// the accepted IGS values. Three IOMMUs: "both", "wsi" (WSI-only) and
// "msi" (MSI-only, the default). Every assertion is on a register value or
// on the wire levels a recording interrupt controller saw.
#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>

#include "common/irq_lines.h"
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

namespace {

constexpr uint64_t DDT_ROOT = 0x0010'0000; // 1LVL directory, all DCs invalid
constexpr uint64_t CQ = 0x0020'0000;       // 8 commands
constexpr uint64_t FQ = 0x0021'0000;       // 64 records
constexpr uint64_t MSI_DOORBELL = 0x0F00'0000;

// A level-sensitive interrupt controller that only records.
class wire_recorder : public sc_core::sc_module, public irq_lines_if {
public:
    sc_core::sc_export<irq_lines_if> in{"in"};
    struct change {
        unsigned line;
        bool level;
    };
    std::vector<change> changes;
    uint32_t levels = 0;

    explicit wire_recorder(sc_core::sc_module_name n) : sc_module(n) { in.bind(*this); }
    void set_level(unsigned line, bool level, const sc_core::sc_time&) override
    {
        changes.push_back({line, level});
        levels = level ? levels | 1u << line : levels & ~(1u << line);
    }
};

class rig : public tb::iommu_rig {
public:
    wire_recorder wires{"wires"};

    rig(sc_core::sc_module_name n, const iommu_params& p) : iommu_rig(n, p, {})
    {
        iommu->wsi.bind(wires.in);
        mem.msi_first = MSI_DOORBELL; // an MSI written would be seen
        mem.msi_last = MSI_DOORBELL + 0xFFF;
    }

    void cq_submit(uint64_t dw0, uint64_t dw1 = 0)
    {
        const uint32_t cqt = r32(REG_CQT);
        mem.wr(CQ + cqt * 16, dw0);
        mem.wr(CQ + cqt * 16 + 8, dw1);
        w32(REG_CQT, (cqt + 1) & 7);
        settle();
    }
    // A Page Request from a device whose DC is not valid: a fault record
    // (cause 258), hence ipsr.fip with fqcsr.fie.
    void fault()
    {
        pcie::tlp_ext e;
        e.kind = pcie::tlp_kind::page_request;
        e.rid = 5;
        unsigned char b[8];
        pcie::store_le64(b, pcie::pr_payload(0x1000'0000, 1, true, true, true));
        assert_int_equal(ep.send(e, tlm::TLM_WRITE_COMMAND, 0, b, 8), tlm::TLM_OK_RESPONSE);
        settle();
    }
    void stop_queues()
    {
        w64(REG_DDTP, DDTP_OFF);
        w32(REG_CQCSR, 0);
        w32(REG_FQCSR, 0);
        settle();
    }
};

struct rigs {
    rig* both;
    rig* wsi;
    rig* msi;
};

constexpr uint64_t iofence_wsi = CMD_IOFENCE | (uint64_t(IOFENCE_C) << CMD_FUNC3_SHIFT) | IOFENCE_WSI;

void test_capabilities(void** state)
{
    auto* s = static_cast<rigs*>(*state);
    assert_int_equal(field(s->both->r64(REG_CAPABILITIES), 29, 28), IGS_BOTH);
    assert_int_equal(field(s->wsi->r64(REG_CAPABILITIES), 29, 28), IGS_WSI);
    assert_int_equal(field(s->msi->r64(REG_CAPABILITIES), 29, 28), IGS_MSI);
    // A given capabilities value may name WSI or both; 3 is reserved.
    const uint64_t base = 0x0000003802000210ull; // 1.0, Sv39, ATS, PAS 56
    assert_true(riscv_iommu::unsupported_capabilities(base | uint64_t(IGS_WSI) << 28).empty());
    assert_true(riscv_iommu::unsupported_capabilities(base | uint64_t(IGS_BOTH) << 28).empty());
    assert_false(riscv_iommu::unsupported_capabilities(base | uint64_t(3) << 28).empty());
}

// §4: WSI reads 1 with WSI-only and 0 with MSI-only whatever is written;
// with both it is writable while the IOMMU is off, and a write otherwise is
// ignored (UNSPECIFIED) with a warning.
void test_fctl(void** state)
{
    auto* s = static_cast<rigs*>(*state);
    assert_int_equal(s->wsi->r32(REG_FCTL), FCTL_WSI);
    s->wsi->w32(REG_FCTL, 0);
    assert_int_equal(s->wsi->r32(REG_FCTL), FCTL_WSI);
    s->msi->w32(REG_FCTL, FCTL_WSI | 1 | 4);
    assert_int_equal(s->msi->r32(REG_FCTL), 0);

    rig& r = *s->both;
    assert_int_equal(r.r32(REG_FCTL), 0);
    r.w32(REG_FCTL, 0xFFFF'FFFFu); // BE and GXL stay 0
    assert_int_equal(r.r32(REG_FCTL), FCTL_WSI);
    r.w32(REG_FCTL, 0);
    assert_int_equal(r.r32(REG_FCTL), 0);
    r.start_queues(DDT_ROOT, CQ, 2, FQ, 5);
    const auto w0 = sc_core::sc_report_handler::get_count(sc_core::SC_WARNING);
    r.w32(REG_FCTL, FCTL_WSI);
    assert_int_equal(r.r32(REG_FCTL), 0);
    assert_int_equal(sc_core::sc_report_handler::get_count(sc_core::SC_WARNING) - w0, 1);
    r.stop_queues();
    r.w32(REG_FCTL, FCTL_WSI);
    assert_int_equal(r.r32(REG_FCTL), FCTL_WSI);
}

// §8.3: no MSI configuration table with WSI-only.
void test_msi_table_absent(void** state)
{
    auto* s = static_cast<rigs*>(*state);
    for (rig* r : {s->wsi, s->both}) {
        r->w64(REG_MSI_CFG_TBL + 16, MSI_DOORBELL);
        r->w32(REG_MSI_CFG_TBL + 16 + 8, 0x55);
        r->w32(REG_MSI_CFG_TBL + 16 + 0xC, MSI_VEC_CTL_M);
    }
    assert_int_equal(s->wsi->r64(REG_MSI_CFG_TBL + 16), 0);
    assert_int_equal(s->wsi->r32(REG_MSI_CFG_TBL + 16 + 8), 0);
    assert_int_equal(s->wsi->r32(REG_MSI_CFG_TBL + 16 + 0xC), 0);
    // With both, the table is there even while fctl.WSI = 1.
    assert_int_equal(s->both->r64(REG_MSI_CFG_TBL + 16), MSI_DOORBELL);
    assert_int_equal(s->both->r32(REG_MSI_CFG_TBL + 16 + 8), 0x55);
    assert_int_equal(s->both->r32(REG_MSI_CFG_TBL + 16 + 0xC), MSI_VEC_CTL_M);
}

// §8.1: fip drives the wire fiv selects while it is 1; no MSI is written.
void test_wire_level(void** state)
{
    rig& r = *static_cast<rigs*>(*state)->wsi;
    r.w64(REG_ICVEC, 0x3 << ICVEC_PIV | 0x2 << ICVEC_FIV | 0x1 << ICVEC_CIV);
    r.w64(REG_MSI_CFG_TBL + 16 * 2, MSI_DOORBELL); // ignored: no table
    r.start_queues(DDT_ROOT, CQ, 2, FQ, 5);
    r.w32(REG_FQCSR, FQCSR_FQEN | FQCSR_FIE);
    r.settle();
    assert_int_equal(r.wires.levels, 0);
    r.fault();
    assert_int_equal(r.r32(REG_IPSR), IPSR_FIP);
    assert_int_equal(r.wires.levels, 1u << 2);
    assert_int_equal(r.mem.msis.size(), 0);
    // A second record while fip is 1: the wire stays up, no new change.
    const size_t n = r.wires.changes.size();
    r.fault();
    assert_int_equal(r.wires.changes.size(), n);
    // icvec moves the pending bit to another wire.
    r.w64(REG_ICVEC, 0x3 << ICVEC_PIV | 0x7 << ICVEC_FIV | 0x1 << ICVEC_CIV);
    assert_int_equal(r.wires.levels, 1u << 7);
    // W1C of fip drops it.
    r.w32(REG_IPSR, IPSR_FIP);
    assert_int_equal(r.r32(REG_IPSR), 0);
    assert_int_equal(r.wires.levels, 0);
    r.fault();
    assert_int_equal(r.wires.levels, 1u << 7);
    r.w32(REG_IPSR, IPSR_FIP);
    assert_int_equal(r.wires.levels, 0);
    unsigned rises = 0;
    for (const auto& c : r.wires.changes)
        rises += c.level;
    assert_int_equal(rises, 3);
}

// §10.3: IOFENCE.C with WSI = 1 is illegal with fctl.WSI = 0; with
// fctl.WSI = 1 it sets cqcsr.fence_w_ip (RW1C), which raises cip with cie.
void test_iofence_wsi(void** state)
{
    auto* s = static_cast<rigs*>(*state);
    rig& m = *s->msi;
    m.start_queues(DDT_ROOT, CQ, 2, FQ, 5);
    m.cq_submit(iofence_wsi);
    assert_true(m.r32(REG_CQCSR) & CQCSR_CMD_ILL);
    assert_int_equal(m.r32(REG_CQH), 0);
    assert_int_equal(m.r32(REG_CQCSR) & CQCSR_FENCE_W_IP, 0);
    m.stop_queues();

    rig& r = *s->wsi;
    r.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CIE);
    r.settle();
    assert_int_equal(r.r32(REG_CQCSR) & (CQCSR_ERRORS | CQCSR_FENCE_W_IP), 0);
    const uint32_t h = r.r32(REG_CQH);
    r.cq_submit(iofence_wsi);
    assert_int_equal(r.r32(REG_CQH), (h + 1) & 7);
    assert_true(r.r32(REG_CQCSR) & CQCSR_FENCE_W_IP);
    assert_true(r.r32(REG_IPSR) & IPSR_CIP);
    assert_int_equal(r.wires.levels, 1u << 1); // civ = 1
    // W1C of fence_w_ip, then of cip: the wire drops.
    r.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CIE | CQCSR_FENCE_W_IP);
    assert_int_equal(r.r32(REG_CQCSR) & CQCSR_FENCE_W_IP, 0);
    r.w32(REG_IPSR, IPSR_CIP);
    assert_int_equal(r.r32(REG_IPSR) & IPSR_CIP, 0);
    assert_int_equal(r.wires.levels, 0);
    // cip while fence_w_ip is still 1 comes back at once (§8.1).
    r.cq_submit(iofence_wsi);
    r.w32(REG_IPSR, IPSR_CIP);
    assert_true(r.r32(REG_IPSR) & IPSR_CIP);
    assert_int_equal(r.wires.levels, 1u << 1);
    r.w32(REG_CQCSR, CQCSR_CQEN | CQCSR_CIE | CQCSR_FENCE_W_IP);
    r.w32(REG_IPSR, IPSR_CIP);
    assert_int_equal(r.wires.levels, 0);
    // An MSI-only IOMMU never drives a wire.
    assert_int_equal(s->msi->wires.changes.size(), 0);
}

class top : public sc_core::sc_module {
public:
    std::vector<std::unique_ptr<rig>> rigs_;
    int result = -1;

    SC_HAS_PROCESS(top);
    top(sc_core::sc_module_name n) : sc_module(n)
    {
        iommu_params both, wsi, msi;
        both.igs = IGS_BOTH;
        wsi.igs = IGS_WSI;
        rigs_.push_back(std::make_unique<rig>("both", both));
        rigs_.push_back(std::make_unique<rig>("wsi", wsi));
        rigs_.push_back(std::make_unique<rig>("msi", msi));
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
            cmocka_unit_test_prestate(test_fctl, &s),
            cmocka_unit_test_prestate(test_msi_table_absent, &s),
            cmocka_unit_test_prestate(test_wire_level, &s),
            cmocka_unit_test_prestate(test_iofence_wsi, &s),
        };
        result = cmocka_run_group_tests_name("model.iommu.wsi", tests, nullptr, nullptr);
        sc_core::sc_stop();
    }
};

} // namespace

int sc_main(int, char*[])
{
    // The lines the model logs (fault records, the ignored fctl write) are
    // expected: count them, show none.
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_LOG);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    top t("tb");
    sc_core::sc_start();
    return t.result;
}
