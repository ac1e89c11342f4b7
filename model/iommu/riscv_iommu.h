// SPDX-License-Identifier: Apache-2.0
//
// riscv_iommu: a register-compatible RISC-V IOMMU 1.0 with ATS and PRI, in
// SystemC/TLM-2.0 (spec digest: shared/spec/riscv-iommu.md, cited as §n).
//
// What it models:
// - The register page (§1-§8) of an IOMMU whose capabilities are: version
//   1.0, Sv39, ATS (with PRI), IGS = MSI only, PAS, MSI_FLAT, Sv48, Sv57 and
//   AMO_HWAD from the parameters (iommu_params.capabilities or
//   .pas/.msi_flat/.sv48/.sv57/.sv39x4/.sv48x4/.sv57x4/.amo_hwad/.pd8/.pd17/.pd20) and nothing else (no HPM, no debug interface, no QoS IDs,
//   little-endian only).
//   Access rules of §1, including the illegal-access convention of the
//   reference model (reads all-ones, writes dropped) with a warning.
// - Device directory: Off, Bare, 1LVL, 2LVL and 3LVL (up to
//   iommu_params.max_ddt_mode), 32-byte or (MSI_FLAT) 64-byte device
//   contexts, a DDT cache of leaf DCs keyed by device_id, the §15.4
//   misconfiguration checks that apply.
// - Process directories (PD8/PD17/PD20 from the parameters, iommu_pdt.cpp):
//   with DC.tc.PDTV = 1 a request's process_id (0 with DPE when it has
//   none) selects a process context, whose fsc and PSCID translate it;
//   ENS and SUM as §16 says. Process contexts are not cached.
// - Sv39/Sv48/Sv57 first-stage walks of DC.fsc (iosatp) with leaves at
//   every level, A/D as page faults or (DC.tc.SADE) hardware updates, an
//   IOTLB (iotlb.h: the Verilated rtl/iotlb tag store, set-associative, true LRU per set, tags address space + page + size), ATS Translation Requests (§14), Translated and
//   Untranslated DMA passed on to memory at the physical address.
// - Sv39x4/Sv48x4/Sv57x4 G-stage walks of DC.iohgatp, alone (first stage
//   Bare) or nested under the first stage (every first-stage table, PDT
//   and PC address and the final GPA translated), guest-page faults with
//   iotval2, GADE; IOTLB entries tagged with the GSCID, IOTINVAL.GVMA.
// - Command queue (IOTINVAL.VMA/GVMA, IOFENCE.C, IODIR, ATS.INVAL with ITag
//   tracking and timeout, ATS.PRGR), fault queue, MSI interrupts with masking.
// - Page Requests: §13.1 steps 1-5 here, steps 6-11 in the Verilated
//   rtl/pq_writer (pq_engine), auto-responses per §13.3/§13.4.
// - Memory faults on purpose (iommu_params.inject): every access of its own
//   is tagged with the structure it touches (mem_target) and can be made to
//   fail with an access fault or corrupted data; the consequences are the
//   spec's for a real fault of that structure.
// - Time: loosely timed with temporal decoupling (DESIGN.md §5,
//   common/local_time.h). Every memory access the IOMMU makes costs
//   mem_latency (plus what the bus annotates) and cache hits cost cycles;
//   they are added to the annotated delay of the transaction (ATS, DMA,
//   register access) or to the local time of the IOMMU's own process (page
//   requests, commands). With a quantum of 0 that process waits for every
//   latency; with any other quantum it waits only at hand-offs: before a
//   write that software polls (the IOFENCE.C word), before it blocks, and
//   when it takes a message that arrived while it was busy a quantum or more
//   ahead. What software reads of its progress (cqh, pqt, pqcsr) is served
//   as of the load's own time. Inbound posted messages (Page Requests, Invalidate
//   Completions) are handled at their arrival time, in order, by one
//   process. MSIs and outbound messages are posted: they leave with their
//   time annotated and never hold up the sender. The RTL is clocked in place
//   by the call that hands it work (pq_engine).
//
// What it does not model:
// - MSI page tables (msiptp must be Off), Sv32, Sv32x4, T2GPA,
//   Svpbmt, big-endian structures, wired interrupts, HPM, the debug
//   translation interface.
// - Requests carrying a PASID through a DC with PDTV = 0 are "transaction type
//   disallowed" (cause 260), as the spec's translation process says; Page
//   Requests are not affected (they need no process context).
// - Contention: walks, fetches and writes of different requesters overlap in
//   time; there are no walk slots or port widths.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/fault_stages.h"
#include "common/ring.h"
#include "common/local_time.h"
#include "common/stats.h"
#include "common/timed_value.h"
#include "iommu/iommu_defs.h"
#include "common/irq_lines.h"
#include "iommu/iotlb.h"
#include "iommu/pq_engine.h"
#include "pcie/tlp.h"

namespace prisim::iommu {

// The structure an access of the IOMMU's own touches (fault injection,
// iommu_params.inject; docs/scenario.md, "Injected memory faults"). `none`
// is no access: the value that disables injection.
enum class mem_target : uint8_t { ddt, pdt, pgtbl, cq, fq, pq, msi, none };
constexpr unsigned MEM_TARGETS = 7; // the named ones
const char* mem_target_name(mem_target t);
constexpr uint32_t NO_DEVICE = ~0u; // an access made on no device's behalf (cq, msi)

// Make chosen memory accesses of the IOMMU fail on purpose: the nth to
// nth + times - 1 accesses to `target` that match (on behalf of device_id
// `device` unless any_device), as an access fault or as corrupted data.
// `corrupt` matches the loads of ddt/pdt/pgtbl/cq and the stores of fq/pq
// (the data the IOMMU reads, or the record it writes); msi has no corrupt
// form. The model has no process directory and no MSI page table: pdt never
// matches.
struct inject_params {
    mem_target target = mem_target::none;
    bool corrupt = false; // false: access fault
    // A load answered with a data-corruption error (poisoned data, an
    // uncorrectable ECC error): causes 268 (ddt), 269 (pdt), 274 (pgtbl),
    // cqmf (cq). Loads only; excludes `corrupt`.
    bool poison = false;
    uint64_t nth = 1;     // 1-based
    uint64_t times = 1;
    bool any_device = true;
    uint32_t device = 0;
};

struct iommu_params {
    sc_core::sc_time clk_period{1, sc_core::SC_NS};   // IOMMU clock (RTL and cycle-counted latencies)
    sc_core::sc_time mem_latency{80, sc_core::SC_NS}; // each memory access the IOMMU makes
    sc_core::sc_time msi_latency{80, sc_core::SC_NS}; // MSI write to the interrupt controller
    unsigned iotlb_entries = 64;                       // sets x ways
    unsigned iotlb_ways = 4;                           // 0: fully associative (one set)
    unsigned iotlb_hit_cycles = 3;
    unsigned ddtc_entries = 8;
    unsigned ddtc_hit_cycles = 3;
    // Process-context cache (keyed by device_id and process_id; §10.4:
    // IODIR.INVAL_PDT drops one, IODIR.INVAL_DDT a device's or all).
    unsigned pdtc_entries = 8;
    unsigned pdtc_hit_cycles = 3;
    unsigned pq_max_log2sz = 16;         // pq_writer MaxLog2Sz: pqb.LOG2SZ-1 is WARL up to this - 1
    bool stop_marker_needs_pasid = true; // riscv-iommu.md §12 note
    // What the PQ does on overflow (pcie-pri.md §9, docs/user-guide.md):
    // riscv and smmuv3 auto-answer Success to discarded L=1 requests, vtd
    // sends no response (as QEMU's VT-d model). pqof and its W1C are the
    // indication and the acknowledgement under all three.
    pq_overflow_policy pq_ovf_policy = pq_overflow_policy::riscv;
    unsigned pas = 56;                   // capabilities.PAS
    // The value `capabilities` reads (§3). 0: version 1.0, Sv39, ATS, IGS =
    // MSI, PAS = `pas`, MSI_FLAT = `msi_flat`. Otherwise it may name only
    // what the model implements (riscv_iommu::unsupported_capabilities says
    // what it does not), and its PAS and MSI_FLAT fields replace `pas` and
    // `msi_flat`.
    uint64_t capabilities = 0;
    // capabilities.Sv48 / Sv57 (§3: Sv57 requires Sv48): first-stage modes
    // iosatp.MODE may select besides Sv39; a DC selecting one that is not
    // advertised is misconfigured (§15.4 #9).
    bool sv48 = false;
    bool sv57 = false;
    // capabilities.Sv39x4 / Sv48x4 / Sv57x4: G-stage modes iohgatp.MODE may
    // select besides Bare (§15.3); a DC selecting one not advertised is
    // misconfigured (§15.4 #11). Each is independent of the others and of
    // the first-stage modes. GSCIDs are 16 bits wide.
    bool sv39x4 = false;
    bool sv48x4 = false;
    bool sv57x4 = false;
    // capabilities.AMO_HWAD: DC.tc.SADE may be set, and then the first-stage
    // walker sets PTE A/D itself (one extra memory access) instead of
    // faulting (§15.2, §15.4 #14).
    bool amo_hwad = false;
    // capabilities.T2GPA: DC.tc.T2GPA may be set (with a G-stage, §15.4
    // #6/#7); ATS completions then return the GPA, and the G-stage
    // translates the device's Translated requests (§14).
    bool t2gpa = false;
    // capabilities.MSI_FLAT: 64-byte (extended) device contexts. The model
    // has no MSI page tables, so a DC must keep msiptp.MODE = Off (§15.4
    // #12 and the recommendation after it), with a G-stage too.
    bool msi_flat = false;
    // capabilities.PD8 / PD17 / PD20: the process-directory modes DC.fsc
    // (pdtp) may select with DC.tc.PDTV = 1 (§16); a DC selecting one not
    // advertised is misconfigured (§15.4 #8).
    bool pd8 = false;
    bool pd17 = false;
    bool pd20 = false;
    // capabilities.IGS (§3, §8): 0 = MSI only, 1 = WSI only (wired
    // interrupts: fctl.WSI reads 1, msi_cfg_tbl reads 0), 2 = both
    // (fctl.WSI writable while the IOMMU is off, §4).
    unsigned igs = 0;
    // The deepest ddtp.iommu_mode a write may select (§5, WARL): DDTP_1LVL,
    // DDTP_2LVL or DDTP_3LVL. A write of a deeper mode is dropped as a whole.
    unsigned max_ddt_mode = DDTP_3LVL;
    // ATS.INVAL: ITags in the pool (the reference model has 2) and the time
    // after which an outstanding invalidation counts as timed out (ESTIMATE:
    // PCIe allows up to 90 s; a simulation wants a bound it reaches).
    unsigned ats_itags = 2;
    sc_core::sc_time ats_inval_timeout{1, sc_core::SC_MS};
    sc_core::sc_time quantum = sc_core::SC_ZERO_TIME; // temporal decoupling; 0 = fully synchronised
    wave_options pq_waves;                             // FST of rtl/pq_writer (prisim --wave-out)
    wave_options iotlb_waves;                          // FST of rtl/iotlb (prisim --wave-out)
    inject_params inject;                              // memory faults made on purpose
};

class riscv_iommu : public sc_core::sc_module, private pq_engine_client {
public:
    tlm_utils::simple_target_socket<riscv_iommu> mmio;         // register page; address = offset 0..0xFFF
    tlm_utils::simple_initiator_socket<riscv_iommu> mem;       // system bus: DRAM and MSI controller
    tlm_utils::simple_target_socket<riscv_iommu> pcie_up;      // inbound TLPs from the PCIe link
    tlm_utils::simple_initiator_socket<riscv_iommu> pcie_down; // PRG Responses, Invalidate Requests
    // Wired interrupts (fctl.WSI = 1, §8.1): line v is the level of the
    // ipsr bits whose icvec field selects vector v. May stay unbound (an
    // IOMMU with IGS = MSI only, or a test that reads ipsr instead).
    sc_core::sc_port<prisim::irq_lines_if, 1, sc_core::SC_ZERO_OR_MORE_BOUND> wsi;

    riscv_iommu(sc_core::sc_module_name name, const iommu_params& p);
    ~riscv_iommu() override;

    // Why `caps` cannot be this model's capabilities register (empty if it
    // can): the model implements version 1.0, Sv39, Sv48, Sv57 (with Sv48),
    // AMO_HWAD, ATS (with PRI), IGS = MSI, MSI_FLAT and a PAS of 32..56, and
    // nothing else.
    static std::string unsupported_capabilities(uint64_t caps);

    // Statistics under prefix (e.g. "iommu0"); names in README.md.
    void report(prisim::stat_sink& sink, const std::string& prefix) const;
    // Stamp page-request groups in `st` (common/fault_stages.h): a last
    // request's arrival, its PQ record written, a PRG Response sent by
    // ATS.PRGR. Elaboration only.
    void set_fault_stages(prisim::fault_stages* st) { m_stages = st; }

    // Per device_id counters the scoreboard reads.
    struct dev_counters {
        uint64_t pr_received = 0, pr_last_received = 0, pq_records_written = 0,
                 auto_resp_success = 0, auto_resp_invalid = 0, auto_resp_failure = 0,
                 discarded_l0 = 0, discarded_stop_marker = 0;
        // L=1 requests (not Stop Markers) discarded on overflow with no
        // response: only under pq_overflow_policy::vtd.
        uint64_t discarded_no_response = 0;
        // Injected faults on its behalf, and Response Failure auto-responses
        // they explain (iommu_params.inject).
        uint64_t injected = 0, auto_resp_failure_injected = 0;
    };
    const std::map<uint32_t, dev_counters>& per_device() const { return m_dev; }
    uint32_t pq_occupancy() const;     // (pqt - pqh) mod N now
    uint32_t cq_occupancy() const;     // (cqt - cqh) mod N as the command engine sees it
    // Report every change of the PQ and CQ occupancy to `o`, as
    // "<prefix>.pq" and "<prefix>.cq" (prisim --occupancy-out). Elaboration only.
    void observe_occupancy(prisim::occupancy_observer* o, const std::string& prefix);
    // Faults injected so far (iommu_params.inject), in all and on behalf of
    // each device_id; and the auto Response Failures a device got for a
    // cause an injected fault produced (a DDT load fault or corrupted DC, a
    // PQ memory fault).
    uint64_t injected() const { return m_inj_total; }
    uint64_t injected_for(uint32_t did) const;
    const inject_params& inject() const { return m_p.inject; }
    uint64_t rtl_cycles() const;       // cycles the pq_writer and the IOTLB were clocked
    uint64_t rtl_host_ticks() const;   // host time spent in them (common/host_ticks.h; host.json only)
    uint64_t rtl_activations() const;  // calls that clocked the pq_writer

private:
    // ---------------- register file (riscv_iommu.cpp) ----------------
    void mmio_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    unsigned mmio_transport_dbg(tlm::tlm_generic_payload& gp);
    bool access_legal(uint32_t off, unsigned size) const;
    uint64_t reg_read(uint32_t off, unsigned size) const;
    void reg_write(uint32_t off, unsigned size, uint64_t value, sc_core::sc_time& t);
    uint64_t reg64_value(uint32_t off) const;
    uint32_t reg32_value(uint32_t off) const;
    void reg64_write(uint32_t off, uint64_t value, sc_core::sc_time& t);
    void reg32_write(uint32_t off, uint32_t value, sc_core::sc_time& t);
    void write_ddtp(uint64_t v);
    bool write_queue_base(const char* reg, uint64_t& base, uint64_t v, bool on, unsigned max_log2sz);
    void write_cqcsr(uint32_t v, sc_core::sc_time& t);
    void write_fqcsr(uint32_t v, sc_core::sc_time& t);
    void write_ipsr(uint32_t v, sc_core::sc_time& t);
    void write_msi_vec_ctl(unsigned vec, uint32_t v, sc_core::sc_time& t);
    uint32_t cqcsr_value() const;
    uint32_t fqcsr_value() const;
    uint64_t capabilities() const;

    static uint64_t qmask(uint64_t base) { return (uint64_t(2) << (base & QB_LOG2SZM1)) - 1; }
    static uint64_t qaddr(uint64_t base, uint64_t idx, unsigned entry)
    {
        return (field(base, 53, 10) << 12) | (idx * entry);
    }

    // ---------------- inbound PCIe (riscv_iommu.cpp dispatch) ----------------
    void pcie_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

    // ---------------- memory helpers ----------------
    // Access through `mem` at local time `t`: adds mem_latency and what the
    // bus annotates to `t`. In the IOMMU's own processes it synchronises
    // when the quantum runs out; as the target of a b_transport (ATS, DMA)
    // it only annotates: the initiator synchronises.
    // Returns false on an error response (access fault). A read within the
    // DMI region (table walks, command fetches) is a copy, here; every other
    // access is a transport (mem_transport).
    bool mem_access(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned len,
                    sc_core::sc_time& t)
    {
        if (cmd == tlm::TLM_READ_COMMAND && m_dmi_valid && addr >= m_dmi.get_start_address() && len &&
            addr + len - 1 <= m_dmi.get_end_address()) {
            const unsigned char* src = m_dmi.get_dmi_ptr() + (addr - m_dmi.get_start_address());
            if (len == 8)
                std::memcpy(data, src, 8); // a PTE or a DC/PC word: no library call
            else
                std::memcpy(data, src, len);
            account(t, m_p.mem_latency + m_dmi.get_read_latency());
            return true;
        }
        return mem_transport(cmd, addr, data, len, t);
    }
    bool mem_transport(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned len,
                       sc_core::sc_time& t);
    // An access to structure `s` on behalf of device_id `did` (NO_DEVICE:
    // none). Injection costs one compare when it is not configured for `s`.
    bool mem_read(mem_target s, uint32_t did, uint64_t addr, void* data, unsigned len,
                  sc_core::sc_time& t)
    {
        if (s == m_inj_target) [[unlikely]]
            return mem_injected(s, did, false, addr, static_cast<unsigned char*>(data), len, t);
        return mem_access(tlm::TLM_READ_COMMAND, addr, static_cast<unsigned char*>(data), len, t);
    }
    bool mem_write(mem_target s, uint32_t did, uint64_t addr, const void* data, unsigned len,
                   sc_core::sc_time& t)
    {
        // The target only reads the buffer of a write command.
        auto* d = static_cast<unsigned char*>(const_cast<void*>(data));
        if (s == m_inj_target) [[unlikely]]
            return mem_injected(s, did, true, addr, d, len, t);
        return mem_access(tlm::TLM_WRITE_COMMAND, addr, d, len, t);
    }
    // ---------------- fault injection (riscv_iommu.cpp) ----------------
    enum class inject_action { none, fail, corrupt, poison };
    // The last access to the injection target came back poisoned: the
    // fault it raises is a data-corruption cause (268, 269, 274), taken
    // (and cleared) where the access fault becomes a cause.
    bool m_poisoned = false;
    bool poisoned(mem_target s) { return s == m_inj_target && std::exchange(m_poisoned, false); }
    // 274 after a poisoned page-table load, else 1/5/7 (g_fault_cause).
    unsigned pt_access_cause(bool exec, bool write)
    {
        return poisoned(mem_target::pgtbl) ? unsigned(CAUSE_PT_CORRUPTION) : g_fault_cause(g_fault::access, exec, write);
    }
    // Whether this access to `s` is one iommu_params.inject names; counts
    // and logs it if so.
    inject_action inject_check(mem_target s, uint32_t did, bool write, uint64_t addr, unsigned len);
    bool mem_injected(mem_target s, uint32_t did, bool write, uint64_t addr, unsigned char* data,
                      unsigned len, sc_core::sc_time& t);
    // A posted write (MSI): leaves at `t`, arrives msi_latency later, never
    // waits; false on an error response.
    bool post_write(uint64_t addr, const void* data, unsigned len, const sc_core::sc_time& t);
    void wait_cycles(unsigned n, sc_core::sc_time& t);
    tlm::tlm_generic_payload& mem_payload(tlm::tlm_command cmd, uint64_t addr, unsigned char* data,
                                          unsigned len);

    // ---------------- translation (iommu_xlate.cpp) ----------------
    struct dc_result {
        unsigned cause = 0; // 0 = DC found and valid
        device_context dc{};
    };
    // The DC of did into dc (from the DDT cache, else walked): 0 or the fault cause.
    unsigned lookup_dc(uint32_t did, device_context& dc, sc_core::sc_time& t);
    dc_result walk_ddt(uint32_t did, sc_core::sc_time& t);
    const char* check_dc(const device_context& dc) const;
    // One line naming the DDT structure at fault (warning; info for an
    // entry that is merely not valid, a normal state of a blocked device).
    void log_ddt_fault(uint32_t did, unsigned cause, const std::string& what);
    void log_pdt_fault(uint32_t did, uint32_t pid, unsigned cause, const std::string& what);
    bool ext_dc() const { return m_ext_dc; }
    unsigned dc_size() const { return m_ext_dc ? DC_SIZE_EXT : DC_SIZE_BASE; }
    // Early checks shared by every inbound transaction kind: ddtp mode,
    // device_id width, DC. Sets bare = true if the IOMMU is in Bare mode.
    struct ctx_result {
        unsigned cause = 0;
        bool bare = false;
        device_context dc{};
    };
    ctx_result locate_context(uint32_t did, sc_core::sc_time& t);

    // The first-stage context of a request (§"Process to translate an
    // IOVA", steps 10-16): DC.fsc and DC.ta with PDTV = 0; with PDTV = 1,
    // Bare for a request without a process_id (DPE = 0) or a Bare pdtp,
    // else the process context of its process_id (process_id 0 with DPE).
    // `dc` is what translate_fs walks: the DC itself, or `pc_dc`, a copy of
    // it with the PC's fsc and its PSCID in ta (made only for a PC).
    // A G-stage translation that failed (privileged spec, hypervisor
    // extension; §11.1): a guest-page fault or an access fault. Its cause
    // follows the request's access type (g_fault_cause).
    enum class g_fault : uint8_t { none, guest_page, access };
    // 20/21/23 for a guest-page fault, 1/5/7 for an access fault.
    static unsigned g_fault_cause(g_fault f, bool exec, bool write);
    struct fs_context {
        unsigned cause = 0;  // 260 (process_id too wide, supervisor without ENS), 265-267
        // The G-stage translation of a PDT entry or PC address failed
        // (iohgatp not Bare: pdtp.PPN and the PDT's PPNs are GPAs).
        g_fault gfault = g_fault::none;
        uint64_t iotval2 = 0;
        bool bare = false;   // first stage Bare: the IOVA is the address
        bool sum = false;    // PC.ta.SUM
        const device_context* dc = nullptr;
        device_context pc_dc;
        fs_context() = default;
        fs_context(const fs_context&) = delete;
        fs_context& operator=(const fs_context&) = delete;
    };
    // Fills `c` in place (c.dc may point into it: not to be copied).
    void first_stage(const device_context& dc, const pcie::tlp_ext& ext, uint32_t did, sc_core::sc_time& t,
                     fs_context& c);
    // §"Process to locate the Process-context" (iommu_pdt.cpp): walk the
    // PDT of pdtp by PDI[i], load and check the PC. Not cached.
    struct pc_result {
        unsigned cause = 0; // 265 load access fault, 266 not valid, 267 misconfigured
        g_fault gfault = g_fault::none; // or the G-stage translation of a PDT address failed
        uint64_t iotval2 = 0;
        uint64_t ta = 0, fsc = 0;
    };
    pc_result locate_pc(const device_context& dc, uint32_t did, uint32_t pid, sc_core::sc_time& t);
    const char* check_pc(const device_context& dc, uint64_t ta, uint64_t fsc) const;

    // The G-stage "leaf" of a DC whose iohgatp is Bare: grants everything.
    static constexpr uint64_t G_BARE_PTE = PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D;
    struct walk_result {
        enum kind { ok, page_fault, access_fault, guest_page_fault } status = ok;
        uint64_t pa_base = 0;  // physical base of the page
        uint64_t size = 4096;
        uint64_t pte = 0;      // leaf PTE (permission bits; G also set by a global non-leaf)
        uint64_t pte_addr = 0; // where the leaf PTE is (0 after an IOTLB hit)
        uint64_t pte_mem = 0;  // the leaf PTE as loaded from pte_addr
        uint64_t pte_gpa = 0;  // the GPA of pte_addr (G-stage active)
        bool fs_bare = false;  // no first stage: pte is meaningless
        uint64_t gpte = G_BARE_PTE; // G-stage leaf (every permission with iohgatp Bare)
        uint64_t gpa = 0;      // the GPA the IOVA translates to (G-stage active)
        uint64_t gsize = 0;    // size of the G-stage leaf gpa lies in
        uint64_t iotval2 = 0;  // guest_page_fault: §11.1
    };
    // What a request asks of a first-stage leaf.
    struct fs_access {
        bool write = false; // write/AMO, or an ATS request with NW = 0
        bool exec = false;  // read for execute
        bool ats = false;   // ATS: read is the access; write only adds D where W = 1
        bool umode = true;  // no PASID, or PASID with Privileged Mode Requested = 0
        bool sum = false;   // PC.ta.SUM (0 without a process context)
    };
    // Translation of iova through the first stage of `dc` (DC.fsc = iosatp,
    // or a PC's copy; none if fs_bare) and the G-stage of DC.iohgatp:
    // canonical check, IOTLB, walks, A/D (fault, or hardware update with
    // SADE/GADE). Page faults, guest-page faults and access faults are
    // returned, never reported. A first-stage leaf that denies the access
    // is returned as it is (status ok) without its G-stage translation: the
    // caller's checks (fs_grants, g_grants) order the faults.
    // `did`: the device the walk is for (fault injection only).
    walk_result translate_fs(uint32_t did, const device_context& dc, bool fs_bare, uint64_t iova,
                             const fs_access& a, sc_core::sc_time& t);
    // First-stage walk; with a G-stage every table address is a GPA,
    // translated as an implicit access (a fault there: guest_page_fault
    // with iotval2 bit 0, or access_fault).
    walk_result walk_fs(uint32_t did, const device_context& dc, unsigned mode, uint64_t root_ppn,
                        uint64_t iova, sc_core::sc_time& t);
    // What a G-stage translation is for.
    struct g_access {
        bool write = false;    // a store (data, or the A/D update of a first-stage PTE)
        bool exec = false;     // read for execute
        bool implicit = false; // a first-stage PTE, PDT entry or PC access
        bool ats = false;      // ATS: R is the access; the caller folds W/X into the completion
    };
    static bool g_active(const device_context& dc) { return (dc.iohgatp >> ATP_MODE_SHIFT) != IOHGATP_BARE; }
    // G-stage translation of gpa (Sv39x4/Sv48x4/Sv57x4): GPA width, walk,
    // U = 1, permission (not for ATS), A/D (guest-page fault, or hardware
    // update with GADE). ok: pa_base/size/pte of the leaf.
    walk_result translate_g(uint32_t did, const device_context& dc, uint64_t gpa, const g_access& a,
                            sc_core::sc_time& t);
    walk_result walk_g(uint32_t did, unsigned mode, uint64_t root_ppn, uint64_t gpa, sc_core::sc_time& t);
    // The system physical address of gpa for an implicit access, into
    // `spa`; on a fault false, with the fault and iotval2.
    bool implicit_g(uint32_t did, const device_context& dc, uint64_t gpa, bool write, uint64_t& spa,
                    g_fault& f, uint64_t& iotval2, sc_core::sc_time& t);
    // The U/SUM/privilege rule of a leaf for a request (§14, privileged spec).
    static bool fs_user_ok(uint64_t pte, const fs_access& a);
    // The leaf grants the access (U rule and R, W or X; A/D aside).
    static bool fs_permits(uint64_t pte, const fs_access& a);
    // A translation's first stage (none: granted) / G-stage grants the
    // access, A/D included (a DMA write needs D; an ATS request only A).
    static bool fs_grants(const walk_result& w, const fs_access& a);
    static bool g_grants(uint64_t gpte, const fs_access& a);
    // Sets `bits` (A, or A | D) in the leaf PTE at w.pte_addr: one memory
    // access (an atomic OR in hardware), through the G-stage as an implicit
    // write when it is active. False on a fault, which w.status says.
    bool fs_set_ad(uint32_t did, const device_context& dc, walk_result& w, uint64_t bits,
                   sc_core::sc_time& t);

    void iotlb_fill(const iotlb::space& sp, const walk_result& w, uint64_t iova);
    // Waveforms only: tell the IOTLB the time of the work it is handed next.
    void iotlb_at(const sc_core::sc_time& t);
    void iotlb_inval_vma(sc_core::sc_time& t, bool gv, uint32_t gscid, bool av, uint64_t addr, bool pscv,
                         uint32_t pscid);
    void iotlb_inval_gvma(sc_core::sc_time& t, bool gv, uint32_t gscid, bool av, uint64_t addr);
    void iotlb_flush(sc_core::sc_time& t);

    void handle_ats(tlm::tlm_generic_payload& gp, pcie::tlp_ext& ext, sc_core::sc_time& t);
    void handle_dma(tlm::tlm_generic_payload& gp, pcie::tlp_ext& ext, sc_core::sc_time& t);

    // ---------------- queues, MSI, page requests (iommu_queues.cpp) ----------------
    struct fault_info {
        unsigned cause = 0;
        unsigned ttyp = 0;
        uint32_t did = 0;
        bool pv = false;
        uint32_t pid = 0;
        bool priv = false;
        uint64_t iotval = 0, iotval2 = 0;
    };
    // Queue a fault record at local time `t` (the FQ writer writes it then).
    void report_fault(const fault_info& f, bool dtf, const sc_core::sc_time& t);
    void fq_thread();

    void set_ipsr(uint32_t bit, const sc_core::sc_time& t);
    void clear_ipsr(uint32_t bit, const sc_core::sc_time& t); // W1C at local time t
    void ipsr_edge(uint32_t bit, const sc_core::sc_time& t);  // the MSI of a 0 -> 1 edge
    void update_cip(const sc_core::sc_time& t);
    void raise_msi(unsigned vec, const sc_core::sc_time& t);
    bool wsi_mode() const { return m_fctl & FCTL_WSI; }
    bool msi_tbl_present() const { return m_p.igs != IGS_WSI; } // §8.3: absent when WSI-only
    uint32_t wire_levels() const; // bit v: wire v asserted (0 unless fctl.WSI = 1)
    void wire_sync(const sc_core::sc_time& t); // drive the wires that changed, at local time t
    void write_fctl(uint32_t v);

    struct out_msg {
        pcie::tlp_kind kind = pcie::tlp_kind::prg_response;
        uint16_t rid = 0;
        bool dsv = false;
        uint8_t dseg = 0;
        bool pv = false;
        uint32_t pasid = 0;
        uint64_t payload = 0;
        pcie::origin from = pcie::origin::software;
        unsigned itag = 0;
    };
    // Posted: leaves at `t` through pcie_down, never waits.
    void send_down(const out_msg& m, const sc_core::sc_time& t);

    struct page_req {
        uint16_t rid = 0;
        bool dsv = false;
        uint8_t dseg = 0;
        bool pv = false;
        uint32_t pasid = 0;
        bool priv = false, exec = false;
        uint64_t payload = 0;
        uint32_t did() const { return dsv ? (uint32_t(dseg) << 16) | rid : rid; }
    };
    enum ar_cause : unsigned {
        AR_PQ_FULL, AR_PQ_OVERFLOW, AR_PQ_DISABLED, AR_PQ_MEMFAULT, AR_PQ_WRITE_FAULT,
        AR_MODE_OFF, AR_MODE_BARE, AR_DID_TOO_WIDE, AR_DDT_LOAD_FAULT, AR_DC_INVALID,
        AR_DC_MISCONFIGURED, AR_EN_PRI_OFF, AR_NR
    };
    // Inbound posted messages, handled at their arrival time in order.
    struct in_msg {
        sc_core::sc_time at; // arrival (absolute)
        bool is_pr = true;   // else an Invalidate Completion
        page_req pr;         // is_pr
        pcie::tlp_ext ext;   // !is_pr: rid, dsv, dseg
        uint64_t payload = 0;
    };
    void msg_thread();
    void handle_page_request(const page_req& pr, sc_core::sc_time& t);
    bool is_stop_marker(bool pv, uint64_t payload) const;
    void count_auto_response(uint32_t did, unsigned code);
    dev_counters& dev(uint32_t did);

    void cq_thread();
    // One step of the command engine at local time `t`: the command at cqh,
    // read, executed and retired. `on_doorbell` is the engine run by a cqt
    // store (never waits): a command that may have to (ATS.INVAL, an
    // IOFENCE.C behind ATS.INVALs or whose store cannot be deferred) is left
    // at cqh for cq_thread, and `t` is as before.
    enum class cq_step { ran, idle, blocked };
    cq_step cq_run_one(sc_core::sc_time& t, bool on_doorbell);
    bool cq_may_block(const command& c) const;
    void cq_doorbell(const sc_core::sc_time& t);
    enum class cmd_result { done, illegal, mem_fault, timeout };
    cmd_result execute(const command& c, sc_core::sc_time& t);
    cmd_result cmd_iofence(const command& c, sc_core::sc_time& t);
    void handle_inval_completion(const pcie::tlp_ext& ext, uint64_t payload, const sc_core::sc_time& t);
    bool itag_busy() const;
    void itag_expire();
    void itag_wait_next(sc_core::sc_time& t);

    // pq_engine_client
    bool pq_mem_write(uint64_t addr, const unsigned char* data16, sc_core::sc_time& t) override;
    void pq_auto_response(const pq_request& req, uint32_t did, bool pv, uint32_t pid,
                          unsigned prgi, unsigned code, sc_core::sc_time& t) override;
    void pq_done(const pq_request& req, pq_cause cause, bool auto_resp, uint64_t at_ps) override;
    void pq_pip_set(sc_core::sc_time& t) override;
    void pq_status_changed(uint32_t old_csr, uint32_t new_csr, uint32_t old_pqt,
                           uint32_t new_pqt, sc_core::sc_time& t) override;
    void pq_occupancy_update(const sc_core::sc_time& t);
    void cq_occupancy_update(uint64_t at_ps)
    {
        m_cq_occ.set((uint64_t(m_cqt_hw) - m_cqh) & qmask(m_cqb), at_ps);
    }

    // ---------------- state ----------------
    const iommu_params m_p;
    std::unique_ptr<pq_engine> m_pq;
    prisim::fault_stages* m_stages = nullptr; // per-stage latencies (null: not kept)

    uint64_t m_ddtp = 0;
    bool m_ext_dc = false; // capabilities.MSI_FLAT: 64-byte DCs, extended DDI split
    uint64_t m_ddt_reports[4] = {}; // DDT fault lines logged, by cause - 257 (and 260)
    uint64_t m_pdt_reports[3] = {}; // PDT fault lines logged, by cause - 265
    uint64_t m_cqb = 0, m_fqb = 0, m_pqb = 0;
    uint32_t m_cqh = 0, m_cqt = 0, m_fqh = 0, m_fqt = 0, m_pqh = 0;
    // cqh as software reads it: the command engine runs ahead of simulated
    // time, and a load sees cqh as of the load's own time.
    prisim::timed_value<uint32_t> m_cqh_reg;
    // cqt as the command engine has seen it: a doorbell written at a local
    // time ahead of the engine's takes effect at that time.
    uint32_t m_cqt_hw = 0;
    prisim::ring<std::pair<uint64_t, uint32_t>> m_cqt_writes; // (time ps, cqt), by time
    uint32_t m_cqcsr = 0, m_fqcsr = 0; // RW and RW1C bits; on/busy are derived
    uint32_t m_ipsr = 0;
    // ipsr in time (§8.1 edges): processes that run ahead set bits before
    // software, behind them in simulated time, clears them. Per bit, the
    // time of the set that made it 1 (its MSI was sent) and the times of
    // later sets that found it 1 already; a W1C at time t keeps a bit set
    // after t, and turns the first set after t that found it 1 into the
    // edge (and the MSI) it is at t's order.
    struct ipsr_bit_time {
        static constexpr unsigned k_absorbed = 16;
        uint64_t edge_ps = 0;
        uint64_t absorbed_ps[k_absorbed];
        unsigned nabsorbed = 0;
    } m_ipsr_time[4];
    uint64_t m_icvec = 0;
    uint32_t m_fctl = 0;  // WSI only (BE and GXL are 0); reset: 1 when IGS = WSI-only
    uint32_t m_wires = 0; // the levels last driven on `wsi`, bit per vector
    uint64_t m_msi_addr[MSI_VECTORS] = {};
    uint32_t m_msi_data[MSI_VECTORS] = {};
    uint32_t m_msi_ctl[MSI_VECTORS] = {};
    bool m_msi_pending[MSI_VECTORS] = {};

    // DDT cache (keyed by device_id) and IOTLB
    struct ddtc_entry {
        bool valid = false;
        uint32_t did = 0;
        device_context dc{};
        uint64_t lru = 0;
    };
    std::vector<ddtc_entry> m_ddtc;
    std::vector<uint32_t> m_ddtc_hint; // by device_id hash: the slot that last held it
    struct pdtc_entry {
        bool valid = false;
        uint32_t did = 0, pid = 0;
        uint64_t ta = 0, fsc = 0;
        uint64_t lru = 0;
    };
    std::vector<pdtc_entry> m_pdtc; // fully associative, LRU
    // A valid, well-formed PC of (did, pid): from the cache, else walked
    // (and cached when it is good).
    pc_result lookup_pc(const device_context& dc, uint32_t did, uint32_t pid, sc_core::sc_time& t);
    void pdtc_invalidate(bool dv, uint32_t did, bool pv, uint32_t pid);
    iotlb m_iotlb;
    uint64_t m_lru_clock = 0;

    // command queue
    bool m_cq_active = false; // a command is being executed
    sc_core::sc_event m_cq_ev;
    // While cq_thread waits for a doorbell with nothing queued (m_cq_idle),
    // a cqt store runs the engine at once in the storing process, from the
    // store's time or m_cq_busy_until, whichever is later (quantum > 0).
    bool m_cq_idle = false;
    sc_core::sc_time m_cq_busy_until = sc_core::SC_ZERO_TIME;
    // IOFENCE.C stores due after the engine's progress in simulated time:
    // software polls the word and must not see it before the fence's local
    // time, so store_method writes it then (a store to DRAM only).
    struct timed_store {
        uint64_t at_ps = 0;
        uint64_t addr = 0;
        uint32_t data = 0;
    };
    prisim::ring<timed_store> m_stores;
    sc_core::sc_event m_store_ev;
    tlm::tlm_generic_payload m_store_gp;
    unsigned char m_store_buf[4] = {};
    bool store_deferrable(uint64_t addr, unsigned len) const;
    void cq_error_log(const char* what, uint32_t idx, const command& c);
    unsigned m_cq_errors_logged = 0;
    void store_method();
    struct itag {
        bool busy = false;
        uint16_t rid = 0;
        bool dsv = false;
        uint8_t dseg = 0;
        unsigned received = 0;
        sc_core::sc_time deadline;
    };
    std::vector<itag> m_itags;
    bool m_ats_timed_out = false;
    sc_core::sc_event m_itag_ev;

    // fault queue
    struct pending_fault {
        fault_record r;
        sc_core::sc_time at;
    };
    prisim::ring<pending_fault> m_fq_pending;
    unsigned m_fq_writing = 0;
    sc_core::sc_event m_fq_ev;

    // outbound messages: pooled payloads with a memory manager (a receiver
    // that keeps a posted message may acquire it)
    struct out_txn : tlm::tlm_generic_payload {
        unsigned char data[8] = {};
        pcie::tlp_ext ext;
    };
    class out_mm : public tlm::tlm_mm_interface {
    public:
        ~out_mm() override;
        out_txn* alloc();
        void free(tlm::tlm_generic_payload* gp) override;

    private:
        std::vector<std::unique_ptr<out_txn>> m_all;
        std::vector<out_txn*> m_free;
    };
    out_mm m_out_mm;

    // the IOMMU's own memory accesses: one reusable payload (accesses never
    // nest: a posted write uses its own)
    tlm::tlm_generic_payload m_mem_gp, m_post_gp;
    // Direct read access to memory (TLM DMI), when the memory grants it:
    // table walks and command fetches read it without a transport.
    tlm::tlm_dmi m_dmi;
    bool m_dmi_valid = false, m_dmi_asked = false;
    void invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end);
    bool m_in_target = false; // serving an inbound b_transport: never wait
    uint64_t m_access_ps = 0; // time of the register access being served
    void account(sc_core::sc_time& t, const sc_core::sc_time& d)
    {
        if (m_in_target || m_p.quantum != sc_core::SC_ZERO_TIME)
            t += d;
        else
            account_synchronised(t, d);
    }
    void account_synchronised(sc_core::sc_time& t, const sc_core::sc_time& d);

    // inbound posted messages, by arrival time
    prisim::ring<in_msg> m_in_q;
    sc_core::sc_event m_in_ev;

    // ---------------- fault injection ----------------
    const mem_target m_inj_target;  // m_p.inject.target: none unless configured
    uint64_t m_inj_seen = 0;        // accesses that matched target, kind and device
    uint64_t m_inj_total = 0;       // of them, injected

    // ---------------- statistics ----------------
    std::map<uint32_t, dev_counters> m_dev;
    uint32_t m_last_did = ~0u;          // one-entry lookup cache into m_dev
    dev_counters* m_last_dev = nullptr;
    occupancy_tracker m_pq_occ, m_cq_occ;
    struct stats {
        uint64_t pq_records_written = 0, pq_overflows = 0;
        uint64_t pq_drop_disabled = 0, pq_drop_memfault = 0, pq_drop_overflow = 0,
                 pq_drop_full = 0, pq_drop_write_fault = 0;
        uint64_t pq_discard_l0 = 0, pq_discard_stop_marker = 0, pq_discard_no_response = 0;
        uint64_t ar_success = 0, ar_invalid = 0, ar_failure = 0;
        uint64_t ar_cause[AR_NR] = {};
        uint64_t ats_requests = 0, ats_not_present = 0, ats_ur = 0, ats_ca = 0;
        uint64_t dma_translated = 0, dma_untranslated = 0, dma_faults = 0, dma_t2gpa = 0, ats_t2gpa = 0;
        uint64_t fq_records_written = 0, fq_overflows = 0, fq_dropped = 0;
        uint64_t cq_commands = 0, cq_illegal = 0, cq_iotinval_vma = 0, cq_iotinval_gvma = 0,
                 cq_iofence_c = 0, cq_iodir = 0, cq_ats_prgr = 0, cq_ats_inval = 0;
        uint64_t ats_inval_completions = 0, ats_inval_timeouts = 0, ats_inval_unexpected = 0;
        uint64_t msi_sent = 0, msi_deferred = 0, msi_faults = 0, wsi_asserted = 0;
        uint64_t iotlb_hits = 0, iotlb_misses = 0, ddtc_hits = 0, ddtc_misses = 0, pdtc_hits = 0,
                 pdtc_misses = 0;
        uint64_t mmio_illegal = 0;
    } m_st;
};

} // namespace prisim::iommu
