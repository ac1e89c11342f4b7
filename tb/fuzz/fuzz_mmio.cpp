// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: the register page of the RISC-V IOMMU model
// (model/iommu/riscv_iommu.{h,cpp}, its `mmio` socket), with the command,
// fault and page-request engines it starts.
//
// The system is elaborated once (LLVMFuzzerInitialize): a bus with sparse
// DRAM below 16 MiB, an MSI window and an error window above; the IOMMU; a
// PCIe endpoint on pcie_up/pcie_down; a register port driven by a SystemC
// thread, as the CPU's accesses are. Each input first puts the IOMMU back
// into a reset-like state (queues off, ddtp Off, device-context cache and
// IOTLB invalidated, bases, indexes, icvec and MSI table 0, DRAM cleared,
// everything it started allowed to finish), then
// runs a sequence of operations decoded from the bytes:
//   register access: offset (also past the 4 KiB page), size (0-5, 8, 16,
//     4096 or 4097 bytes), read or write, value, local-time delay, and
//     sometimes byte enables, a short streaming width or no data pointer;
//   debug read (transport_dbg) of an offset and size;
//   DRAM write of 8 bytes (device contexts, commands, page tables);
//   wait for some simulated time (the engines run);
//   a Page Request from the endpoint.
//
// Invariants (docs/registers.md, "Access rules"): an access inside the page
// gets TLM_OK_RESPONSE, one outside it (or without data) an address error;
// an illegal access reads all-ones; capabilities and fctl read their fixed
// values; a write never changes capabilities. SC_REPORT_ERROR is counted
// (prisim shows it and goes on); SC_REPORT_FATAL aborts, which is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "fuzz_util.h"
#include "iommu/iommu_defs.h"
#include "iommu/riscv_iommu.h"
#include "model/iommu/iommu_bench.h"
#include "pcie/tlp.h"

using namespace prisim::iommu;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

// SystemC's main() calls sc_main; libFuzzer (or replay_main.c) has main().
int sc_main(int, char*[]) { return 0; }

namespace {

constexpr uint64_t DRAM_END = 16u << 20;            // sparse DRAM below
constexpr uint64_t MSI_BASE = 0x0F00'0000;         // MSI doorbells
constexpr uint64_t ERR_BASE = 0x1'0000'0000;       // access errors at and above
constexpr uint64_t RESET_CQ = 0xF0'0000;           // the reset's command queue

using prisim::tb::load_le;
using prisim::tb::store_le;

uint64_t le(const unsigned char* p, unsigned n) { return load_le(p, n); }
void put(unsigned char* p, uint64_t v, unsigned n) { store_le(p, v, n); }

// The system, and a thread that runs one input's operations.
class fuzz_top : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<fuzz_top> reg;
    prisim::tb::bench_memory bus{"bus"};
    prisim::tb::bench_endpoint ep{"ep"};
    std::unique_ptr<riscv_iommu> iommu;
    std::function<void()> job;
    bool busy = false;

    SC_HAS_PROCESS(fuzz_top);
    explicit fuzz_top(sc_core::sc_module_name n) : sc_module(n), reg("reg")
    {
        // DRAM below DRAM_END, the MSI window up to ERR_BASE, errors in
        // between and above.
        bus.faults = {{DRAM_END, MSI_BASE - 1}, {ERR_BASE, ~uint64_t(0)}};
        bus.msi_first = MSI_BASE;
        bus.msi_last = ERR_BASE - 1;
        iommu_params p;
        p.quantum = sc_time(150, SC_NS); // as the default scenario
        iommu = std::make_unique<riscv_iommu>("iommu", p);
        reg.bind(iommu->mmio);
        iommu->mem.bind(bus.tsock);
        ep.up.bind(iommu->pcie_up);
        iommu->pcie_down.bind(ep.down);
        SC_THREAD(main);
        set_stack_size(4 << 20);
    }

    void start() { m_ev.notify(sc_core::SC_ZERO_TIME); busy = true; }

    // One register access as the CPU makes it: returns the response status.
    tlm::tlm_response_status access(uint32_t addr, unsigned len, bool write, uint64_t& v,
                                    sc_time delay = sc_core::SC_ZERO_TIME, bool no_data = false,
                                    bool byte_enables = false, unsigned width = 0,
                                    const unsigned char* wdata = nullptr)
    {
        // Exactly len bytes, so an access past the buffer is caught.
        std::unique_ptr<unsigned char[]> b(new unsigned char[len ? len : 1]());
        unsigned char be[16];
        std::memset(be, 0xFF, sizeof be);
        if (write) {
            if (wdata)
                std::memcpy(b.get(), wdata, len);
            else
                put(b.get(), v, len < 8 ? len : 8);
        }
        tlm::tlm_generic_payload gp;
        gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        gp.set_address(addr);
        gp.set_data_ptr(no_data ? nullptr : b.get());
        gp.set_data_length(len);
        gp.set_streaming_width(width ? width : len);
        if (byte_enables) {
            gp.set_byte_enable_ptr(be);
            gp.set_byte_enable_length(len < 16 ? len : 16);
        }
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        reg->b_transport(gp, delay);
        if (!write && !no_data)
            v = le(b.get(), len < 8 ? len : 8);
        return gp.get_response_status();
    }
    // A register access of the harness itself (the reset, the checks): 4 or
    // 8 bytes from a stack buffer of exactly that size (AddressSanitizer's
    // redzones catch an access past it) instead of a heap block each.
    tlm::tlm_response_status reg_access(uint32_t addr, unsigned len, bool write, uint64_t& v)
    {
        unsigned char b4[4] = {}, b8[8] = {};
        unsigned char* b = len == 8 ? b8 : b4;
        FUZZ_CHECK(len == 4 || len == 8, "harness access of %u bytes", len);
        if (write)
            put(b, v, len);
        tlm::tlm_generic_payload gp;
        gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        gp.set_address(addr);
        gp.set_data_ptr(b);
        gp.set_data_length(len);
        gp.set_streaming_width(len);
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_time delay = sc_core::SC_ZERO_TIME;
        reg->b_transport(gp, delay);
        if (!write)
            v = le(b, len);
        return gp.get_response_status();
    }
    uint64_t rd(uint32_t off, unsigned len)
    {
        uint64_t v = 0;
        FUZZ_CHECK(reg_access(off, len, false, v) == tlm::TLM_OK_RESPONSE, "read of %#x failed", off);
        return v;
    }
    void wr(uint32_t off, unsigned len, uint64_t v)
    {
        FUZZ_CHECK(reg_access(off, len, true, v) == tlm::TLM_OK_RESPONSE, "write of %#x failed", off);
    }
    // A register's value without simulated time or side effects (transport_dbg).
    uint64_t peek(uint32_t off, unsigned len)
    {
        unsigned char b[8] = {};
        FUZZ_CHECK(dbg_read(off, len, b) == len, "debug read of %#x failed", off);
        return le(b, len);
    }
    unsigned dbg_read(uint32_t addr, unsigned len, unsigned char* buf)
    {
        tlm::tlm_generic_payload gp;
        gp.set_command(tlm::TLM_READ_COMMAND);
        gp.set_address(addr);
        gp.set_data_ptr(buf);
        gp.set_data_length(len);
        gp.set_streaming_width(len);
        return reg->transport_dbg(gp);
    }
    void page_request(uint16_t rid, bool pv, uint32_t pasid, uint64_t payload, bool dsv,
                      uint8_t dseg)
    {
        prisim::pcie::tlp_ext e;
        e.kind = prisim::pcie::tlp_kind::page_request;
        e.rid = rid;
        e.pv = pv;
        e.pasid = pasid;
        e.dsv = dsv;
        e.dseg = dseg;
        unsigned char b[8];
        prisim::pcie::store_le64(b, payload);
        const tlm::tlm_response_status st = ep.send(e, tlm::TLM_WRITE_COMMAND, 0, b, 8);
        FUZZ_CHECK(st == tlm::TLM_OK_RESPONSE, "page request refused");
    }

private:
    void main()
    {
        for (;;) {
            wait(m_ev);
            job();
            busy = false;
            sc_core::sc_pause();
        }
    }
    sc_core::sc_event m_ev;
};

fuzz_top* g_top;
unsigned g_errors;

void report_handler(const sc_core::sc_report& r, const sc_core::sc_actions& a)
{
    if (r.get_severity() == sc_core::SC_FATAL) {
        std::fprintf(stderr, "SC_REPORT_FATAL: %s: %s\n", r.get_msg_type(), r.get_msg());
        std::abort();
    }
    if (r.get_severity() == sc_core::SC_ERROR) {
        ++g_errors;
        if (std::getenv("FUZZ_VERBOSE"))
            std::fprintf(stderr, "SC_REPORT_ERROR: %s: %s\n", r.get_msg_type(), r.get_msg());
    }
    (void)a; // warnings and infos: the model's documented reactions, not findings
}

// Run the job in the register thread; simulate until it returns (the
// thread pauses the simulation then).
void run(std::function<void()> job)
{
    g_top->job = std::move(job);
    g_top->start();
    sc_core::sc_start(sc_time(10, sc_core::SC_SEC));
    FUZZ_CHECK(!g_top->busy, "register thread did not finish");
}

// Back to a reset-like state: queues off (waiting for busy to clear), the
// engines idle, every register the fuzzer may have written at its reset
// value, DRAM cleared.
void reset_iommu()
{
    run([] {
        fuzz_top& t = *g_top;
        t.wr(REG_CQCSR, 4, CQCSR_ERRORS);
        t.wr(REG_FQCSR, 4, FQCSR_ERRORS);
        t.wr(REG_PQCSR, 4, PQCSR_ERRORS);
        // A command in execution (an ATS.INVAL waiting for an ITag) keeps
        // the CQ busy until it times out, 1 ms.
        for (int i = 0; i < 3000; ++i) {
            const uint32_t on = (t.rd(REG_CQCSR, 4) | t.rd(REG_FQCSR, 4) | t.rd(REG_PQCSR, 4)) &
                                (XQCSR_ON | XQCSR_BUSY);
            if (!on)
                break;
            sc_core::wait(sc_time(1, SC_US));
        }
        t.wr(REG_DDTP, 8, DDTP_OFF);
        // Drop what the device-context cache and the IOTLB hold from the
        // last input: IODIR.INVAL_DDT and IOTINVAL.VMA of everything, then
        // IOFENCE.C, from a queue above the memory the inputs write.
        const uint64_t cmds[3][2] = {{CMD_IODIR | (uint64_t(IODIR_INVAL_DDT) << CMD_FUNC3_SHIFT), 0},
                                     {CMD_IOTINVAL | (uint64_t(IOTINVAL_VMA) << CMD_FUNC3_SHIFT), 0},
                                     {CMD_IOFENCE | (uint64_t(IOFENCE_C) << CMD_FUNC3_SHIFT), 0}};
        for (unsigned i = 0; i < 3; ++i) {
            put(t.bus.ptr(RESET_CQ + 16 * i), cmds[i][0], 8);
            put(t.bus.ptr(RESET_CQ + 16 * i + 8), cmds[i][1], 8);
        }
        t.wr(REG_CQB, 8, (RESET_CQ >> 12) << QB_PPN_SHIFT | 1); // 4 entries
        FUZZ_CHECK(t.rd(REG_CQB, 8) == ((RESET_CQ >> 12) << QB_PPN_SHIFT | 1),
                   "reset: the command queue did not turn off (cqcsr %#x)", unsigned(t.rd(REG_CQCSR, 4)));
        t.wr(REG_CQCSR, 4, CQCSR_CQEN);
        t.wr(REG_CQT, 4, 3);
        // An ATS.INVAL of the last input may hold the fence up to its
        // timeout, which the fence then reports (cmd_to): clear it, and the
        // fence runs again.
        for (int i = 0; i < 3000 && t.rd(REG_CQH, 4) != 3; ++i) {
            if (const uint32_t err = uint32_t(t.rd(REG_CQCSR, 4)) & CQCSR_ERRORS)
                t.wr(REG_CQCSR, 4, CQCSR_CQEN | err);
            sc_core::wait(sc_time(1, SC_US));
        }
        FUZZ_CHECK(t.rd(REG_CQH, 4) == 3, "reset: invalidation commands did not complete (cqcsr %#x)",
                   unsigned(t.rd(REG_CQCSR, 4)));
        t.wr(REG_CQCSR, 4, 0);
        for (int i = 0; i < 1000 && (t.rd(REG_CQCSR, 4) & (XQCSR_ON | XQCSR_BUSY)); ++i)
            sc_core::wait(sc_time(100, SC_NS));
        t.wr(REG_CQB, 8, 0);
        t.wr(REG_FQB, 8, 0);
        t.wr(REG_PQB, 8, 0);
        t.wr(REG_CQT, 4, 0);
        t.wr(REG_FQH, 4, 0);
        t.wr(REG_PQH, 4, 0);
        t.wr(REG_ICVEC, 8, 0);
        // The MSI table: only the words the last input changed (most
        // inputs change none) are written back to 0.
        for (uint32_t v = 0; v < MSI_VECTORS; ++v) {
            const uint32_t e = REG_MSI_CFG_TBL + 16 * v;
            if (t.peek(e, 8))
                t.wr(e, 8, 0);
            if (t.peek(e + 8, 4))
                t.wr(e + 8, 4, 0);
            if (t.peek(e + 12, 4))
                t.wr(e + 12, 4, 0);
        }
        t.wr(REG_IPSR, 4, 0xF);
    });
    // Whatever the engines still had in flight (an ATS.INVAL times out
    // after 1 ms) runs out; an idle model has no events.
    sc_core::sc_start(sc_time(2, sc_core::SC_MS), sc_core::SC_EXIT_ON_STARVATION);
    g_top->bus.clear();
    g_top->ep.msgs.clear();
}

// The registers present for the model's capabilities (docs/registers.md).
bool is_reg32(uint32_t off)
{
    static const uint32_t regs[] = {REG_FCTL,  REG_CQH,   REG_CQT,   REG_FQH,  REG_FQT, REG_PQH,
                                    REG_PQT,   REG_CQCSR, REG_FQCSR, REG_PQCSR, REG_IPSR};
    for (uint32_t r : regs)
        if (off == r)
            return true;
    return off >= REG_MSI_CFG_TBL && off < REG_MSI_CFG_END && (off % 16 == 8 || off % 16 == 12);
}

bool is_reg64(uint32_t off)
{
    return off == REG_CAPABILITIES || off == REG_DDTP || off == REG_CQB || off == REG_FQB ||
           off == REG_PQB || off == REG_ICVEC ||
           (off >= REG_MSI_CFG_TBL && off < REG_MSI_CFG_END && off % 16 == 0);
}

// The access rules: 4 or 8 bytes, naturally aligned; a 32-bit register only
// as a 32-bit access (an 8-byte access elsewhere reads an absent register).
bool reg_access_legal(uint32_t off, unsigned len)
{
    if ((len != 4 && len != 8) || off % len)
        return false;
    return len == 4 || is_reg64(off) || (!is_reg32(off) && !is_reg32(off + 4));
}

void op_access(fuzz_top& t, struct fz* f)
{
    static const unsigned sizes[] = {4, 8, 4, 8, 1, 2, 3, 16, 0, 4096, 4097, 5};
    const uint8_t flags = fz_u8(f);
    const unsigned len = flags & 0x80 ? sizes[fz_u8(f) % 12] : (flags & 1 ? 8 : 4);
    // Mostly inside the page, sometimes past it.
    uint32_t addr = fz_u16(f);
    if (!(flags & 0x40))
        addr &= 0xFFF;
    const bool write = flags & 2;
    uint64_t v = fz_u64(f);
    const sc_time delay(double(fz_u8(f)) * 10, SC_NS);
    const bool no_data = (flags & 0x3C) == 0x3C;
    const bool be = (flags & 0x3C) == 0x38;
    const unsigned width = (flags & 0x3C) == 0x34 && len > 1 ? len / 2 : 0;
    std::vector<unsigned char> wdata;
    if (write && len > 8) {
        wdata.resize(len);
        fz_bytes(f, wdata.data(), len, 0);
    }

    const uint64_t caps = t.rd(REG_CAPABILITIES, 8);
    const tlm::tlm_response_status st =
        t.access(addr, len, write, v, delay, no_data, be, width, wdata.empty() ? nullptr : wdata.data());
    const bool inside = addr < REG_PAGE_SIZE && len <= REG_PAGE_SIZE - addr && !no_data;
    FUZZ_CHECK(st == (inside ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE),
               "%s of %u bytes at %#x: response %d", write ? "write" : "read", len, addr, int(st));
    const bool legal = inside && reg_access_legal(addr, len) && !be && !width;
    if (inside && !legal && !write && len)
        FUZZ_CHECK(v == (len >= 8 ? ~uint64_t(0) : (uint64_t(1) << (8 * len)) - 1),
                   "illegal read of %u bytes at %#x gave %#llx", len, addr,
                   static_cast<unsigned long long>(v));
    if (legal && !write && addr == REG_CAPABILITIES)
        FUZZ_CHECK(v == (len == 8 ? caps : caps & 0xFFFFFFFFu), "capabilities read %#llx",
                   static_cast<unsigned long long>(v));
    if (legal && !write && addr == REG_FCTL && len == 4)
        FUZZ_CHECK(v == 0, "fctl read %#llx", static_cast<unsigned long long>(v));
    FUZZ_CHECK(t.rd(REG_CAPABILITIES, 8) == caps, "capabilities changed");
}

void op_dbg(fuzz_top& t, struct fz* f)
{
    const uint32_t addr = fz_u16(f) & 0x1FFF;
    const unsigned len = fz_u8(f) % 17;
    std::unique_ptr<unsigned char[]> b(new unsigned char[len ? len : 1]());
    const unsigned n = t.dbg_read(addr, len, b.get());
    FUZZ_CHECK(n == 0 || n == len, "transport_dbg returned %u of %u", n, len);
    FUZZ_CHECK(n == (addr < REG_PAGE_SIZE && reg_access_legal(addr, len) ? len : 0),
               "transport_dbg read %u bytes at %#x", len, addr);
}

void op_mem(fuzz_top& t, struct fz* f)
{
    // 8 bytes anywhere in the first MiB (where the fuzzer points bases).
    const uint64_t a = (fz_u32(f) & 0xFFFF8u);
    put(t.bus.ptr(a), fz_u64(f), 8);
}

void op_page_request(fuzz_top& t, struct fz* f)
{
    const uint8_t b = fz_u8(f);
    const uint16_t rid = fz_u16(f);
    const uint32_t pasid = fz_u32(f);
    const uint64_t payload = fz_u64(f);
    t.page_request(b & 0x10 ? rid : rid & 0x7F, b & 1, pasid, payload, b & 2, b & 4 ? b : 0);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    sc_core::sc_report_handler::set_handler(report_handler);
    for (auto sev : {sc_core::SC_INFO, sc_core::SC_WARNING, sc_core::SC_ERROR, sc_core::SC_FATAL})
        sc_core::sc_report_handler::set_actions(sev, sc_core::SC_DISPLAY);
    sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
    g_top = new fuzz_top("top");
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const fuzz_stack_guard stack_guard;
    reset_iommu();
    struct fz f = fz_init(data, size);
    run([&f] {
        fuzz_top& t = *g_top;
        for (unsigned ops = 0; ops < 256 && !fz_empty(&f); ++ops) {
            switch (fz_u8(&f) % 8) {
            case 0:
            case 1:
            case 2:
            case 3:
                op_access(t, &f);
                break;
            case 4:
                op_dbg(t, &f);
                break;
            case 5:
                op_mem(t, &f);
                break;
            case 6:
                sc_core::wait(sc_time(double(fz_u16(&f)) * 10, SC_NS));
                break;
            case 7:
                op_page_request(t, &f);
                break;
            }
        }
    });
    FUZZ_CHECK(!g_top->bus.malformed, "the IOMMU made a malformed memory request");
    FUZZ_CHECK(!g_top->ep.malformed, "the IOMMU sent a malformed message down");
    return 0;
}
