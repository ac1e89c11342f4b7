// SPDX-License-Identifier: Apache-2.0
#include "platform/params.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "iommu/iotlb.h"
#include "platform/fault_inject.h"
#include "platform/memory_map.h"
#include "platform/trace_file.h"
#include "platform/units.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace prisim::platform {

namespace {

constexpr double U64_MAX_D = 9.2e18; // keep ranges representable in double

std::string trim(const std::string& s)
{
    size_t b = s.find_first_not_of(" \t");
    size_t e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

size_t edit_distance(const std::string& a, const std::string& b)
{
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                               prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string fmt_num(double v)
{
    std::ostringstream os;
    // Integral values print exactly (a range such as 2^56 - 4096 must be
    // read back as the bound it is, not a rounded %g form).
    if (v == std::floor(v) && std::fabs(v) < 9.2e18)
        os << static_cast<long long>(v);
    else
        os << v;
    return os.str();
}

// Offset of the first byte that is not part of a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or
// npos if there is none.
size_t invalid_utf8_at(const std::string& s)
{
    const size_t n = s.size();
    for (size_t i = 0; i < n;) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) { ++i; continue; }
        size_t len;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF)      { len = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
        else return i;
        if (n - i < len) return i;
        for (size_t k = 1; k < len; ++k) {
            const unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return std::string::npos;
}

std::string hex_byte(char c)
{
    char b[8];
    std::snprintf(b, sizeof b, "0x%02x", static_cast<unsigned char>(c));
    return b;
}

// True if `msg` names the scenario key `key` (not as part of a longer key).
bool mentions(const std::string& msg, const std::string& key)
{
    auto key_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
    for (size_t at = msg.find(key); at != std::string::npos; at = msg.find(key, at + 1)) {
        const size_t end = at + key.size();
        const bool before = at == 0 || (!key_char(msg[at - 1]) && msg[at - 1] != '.');
        // A '.' after the key ends a sentence unless a key's next part follows.
        const bool after = end == msg.size() || (!key_char(msg[end]) && msg[end] != '.') ||
                           (msg[end] == '.' && (end + 1 == msg.size() || !key_char(msg[end + 1])));
        if (before && after) return true;
    }
    return false;
}

} // namespace

params::params() : m_reg(&registry()), m_values(registry().m_values) {}

const params& params::registry()
{
    static const params r{registry_tag{}};
    return r;
}

params::params(registry_tag)
{
    using t = ptype;
    // clang-format off
    add({"name", t::choice, "default", 0, 0, {}, "", "scenario name, echoed in the outputs", ""});
    add({"seed", t::u64, "1", 0, U64_MAX_D, {}, "", "seed of every random choice (handler service times)", ""});
    add({"run.max_time_us", t::u64, "1000000", 1, 1e9, {}, "us",
         "simulated-time limit; a run that has not quiesced by then fails invariant 1/2 (no hang)", ""});
    add({"run.warmup_us", t::u64, "0", 0, 1e9, {}, "us",
         "warm-up: faults whose translation miss is earlier than this are not sampled in the fault-latency distributions (they are still counted everywhere else)", ""});
    add({"run.quantum_ns", t::u64, "150", 0, 1e6, {}, "ns",
         "temporal-decoupling quantum: how far a process may run ahead of simulated time before it synchronises; 0 = fully synchronised. The default is the largest tested value at which the regression scenarios stay within 3 % of quantum 0 (docs/user-guide.md, Time)", "MEASURED (tb/system quantum tests)"});

    add({"platform.dram_mib", t::u64, "512", 16, 16384, {}, "MiB", "simulated DRAM size (sparse: only touched pages use host memory)", ""});
    add({"platform.cpus", t::u64, "1", 1, 256, {}, "CPUs",
         "simulated CPUs that run the software: interrupt threads, the unbound workqueue, user handler threads (docs/user-guide.md, CPUs)", ""});
    add({"platform.irq_affinity", t::choice, "spread", 0, 0, {"spread", "cpu0"}, "",
         "which CPU takes each interrupt (and runs its thread): spread = round-robin over the CPUs in the order the vectors are requested, cpu0 = all on CPU 0", "SRC (Linux irq_matrix spreading; irq_thread_check_affinity)"});
    add({"platform.mmio_latency_ns", t::u64, "50", 0, 1e6, {}, "ns", "CPU access to an on-chip register (IOMMU)", "ESTIMATE"});

    add({"iommu.clk_mhz", t::u64, "1000", 1, 10000, {}, "MHz", "IOMMU clock: RTL blocks and cycle-counted latencies", "ESTIMATE"});
    add({"iommu.mem_latency_ns", t::u64, "80", 0, 1e6, {}, "ns", "each memory access of the IOMMU (DDT, page table, queue records, commands)", "ESTIMATE"});
    add({"iommu.msi_latency_ns", t::u64, "80", 0, 1e6, {}, "ns",
         "MSI delivery: from the IOMMU's MSI write to the interrupt at the CPU (DESIGN §5); the default is one memory access, as iommu.mem_latency_ns", "ESTIMATE"});
    add({"iommu.iotlb_entries", t::u64, "64", 1, 65536, {}, "entries", "IOTLB size: sets x iommu.iotlb_ways, at most 1024 sets (rtl/iotlb)", "ESTIMATE"});
    add({"iommu.iotlb_ways", t::u64, "4", 0, 64, {}, "ways", "IOTLB associativity (true LRU per set); 0 = fully associative (one set, at most 64 entries)", "SRC (gem5 SMMUv3 main TLB, tlb_assoc = 4)"});
    add({"iommu.iotlb_hit_cycles", t::u64, "3", 0, 1000, {}, "cycles", "IOTLB hit latency: the first probe of a lookup (each further probe, another cached page size with several sets, adds a cycle)", "SRC (gem5 SMMUv3 main TLB, tlb_lat = 3)"});
    add({"iommu.ddtc_entries", t::u64, "64", 1, 65536, {}, "entries", "device-context cache size", "SRC (gem5 config cache)"});
    add({"iommu.ddtc_hit_cycles", t::u64, "3", 0, 1000, {}, "cycles", "device-context cache hit latency", "SRC (gem5 config cache)"});
    add({"iommu.pdtc_entries", t::u64, "64", 1, 65536, {}, "entries", "process-context cache size (fully associative, LRU; keyed by device_id and process_id; IODIR.INVAL_PDT and IODIR.INVAL_DDT drop entries)", "SRC (gem5 config cache: it holds SMMUv3 context descriptors, the counterpart of process contexts)"});
    add({"iommu.pdtc_hit_cycles", t::u64, "3", 0, 1000, {}, "cycles", "process-context cache hit latency", "SRC (gem5 config cache)"});
    add({"iommu.ats_inval_timeout_us", t::u64, "1000", 1, 90000000, {}, "us",
         "ATS.INVAL: an Invalidation Completion not received within this time frees its ITag and is reported as cqcsr.cmd_to at the next IOFENCE.C; at least 4 x (pcie.link_latency_ns + pcie.switch_latency_ns with pcie.topology = switch): twice the round trip",
         "ESTIMATE; PCIe allows up to 90 s (timing-and-sizing.md)"});
    add({"iommu.msi_flat", t::boolean, "false", 0, 0, {}, "",
         "capabilities.MSI_FLAT: 64-byte (extended) device contexts, whose directory index resolves one device_id bit fewer in 1LVL (6) and 2LVL (15); MSI address translation itself is not modelled (a DC must keep msiptp.MODE = Off)", "SRC (riscv-iommu.md 3, 15.1)"});
    add({"iommu.max_ddt_mode", t::choice, "3lvl", 0, 0, {"1lvl", "2lvl", "3lvl"}, "",
         "deepest device-directory mode ddtp.iommu_mode accepts (WARL: a write of a deeper mode is dropped)", "SRC (riscv-iommu.md 5)"});
    add({"iommu.sv48", t::boolean, "false", 0, 0, {}, "",
         "capabilities.Sv48: DC.fsc (iosatp) may select Sv48 (4-level first stage, 48-bit IOVAs); a DC selecting an unadvertised mode is misconfigured (cause 259)", "SRC (riscv-iommu.md 3, 15.4 #9)"});
    add({"iommu.sv57", t::boolean, "false", 0, 0, {}, "",
         "capabilities.Sv57: DC.fsc may select Sv57 (5-level first stage, 57-bit IOVAs); requires iommu.sv48", "SRC (riscv-iommu.md 3)"});
    add({"iommu.sv39x4", t::boolean, "true", 0, 0, {}, "", "capabilities.Sv39x4: DC.iohgatp may select an Sv39x4 G-stage (41-bit GPAs), alone or nested under the first stage (docs/registers.md, G-stage and nested translation); the driver's nesting parents (IOMMU_HWPT_ALLOC_NEST_PARENT) are G-stages of sw.driver.pgtbl_mode's depth, so with sv39 they need this", "SRC (riscv-iommu.md 3, 15.3, 15.4 #11)"});
    add({"iommu.sv48x4", t::boolean, "false", 0, 0, {}, "", "capabilities.Sv48x4: DC.iohgatp may select an Sv48x4 G-stage (50-bit GPAs); nesting parents need it with sw.driver.pgtbl_mode sv48", "SRC (riscv-iommu.md 3, 15.3)"});
    add({"iommu.sv57x4", t::boolean, "false", 0, 0, {}, "", "capabilities.Sv57x4: DC.iohgatp may select an Sv57x4 G-stage (59-bit GPAs); nesting parents need it with sw.driver.pgtbl_mode sv57", "SRC (riscv-iommu.md 3, 15.3)"});
    add({"iommu.pd8", t::boolean, "false", 0, 0, {}, "",
         "capabilities.PD8: DC.tc.PDTV with a 1-level process directory (process_id up to 8 bits); each PASID then has a process context with its own first stage and PSCID (docs/registers.md, Process directories)", "SRC (riscv-iommu.md 3, 16)"});
    add({"iommu.pd17", t::boolean, "false", 0, 0, {}, "",
         "capabilities.PD17: 2-level process directories (process_id up to 17 bits)", "SRC (riscv-iommu.md 3, 16)"});
    add({"iommu.pd20", t::boolean, "false", 0, 0, {}, "",
         "capabilities.PD20: 3-level process directories (process_id up to 20 bits)", "SRC (riscv-iommu.md 3, 16)"});
    add({"iommu.pas", t::u64, "56", 32, 56, {}, "bits",
         "capabilities.PAS, the physical address size: ddtp, queue bases and PPNs are WARL to it, and a DC or PC whose root table lies beyond it is misconfigured (cause 259 / 267); the machine's DRAM must lie below 2^PAS", "SRC (riscv-iommu.md 3)"});
    add({"iommu.t2gpa", t::boolean, "false", 0, 0, {}, "",
         "capabilities.T2GPA: DC.tc.T2GPA may be set (with a G-stage): ATS completions then carry the GPA, and the IOMMU translates each Translated request through the G-stage (docs/registers.md, G-stage and nested translation)", "SRC (riscv-iommu.md 3, 14, 15.4 #6 #7)"});
    add({"iommu.igs", t::choice, "msi", 0, 0, {"msi", "wsi", "both"}, "",
         "capabilities.IGS, the interrupts the IOMMU can signal: msi = MSIs only (fctl.WSI reads 0); wsi = wired only (fctl.WSI reads 1, msi_cfg_tbl reads 0; its 16 vectors are 16 level-sensitive wires to the platform's interrupt controller); both = either, fctl.WSI chooses (writable while the IOMMU is off). docs/registers.md, Interrupts", "SRC (riscv-iommu.md 3, 4, 8)"});
    add({"iommu.amo_hwad", t::boolean, "false", 0, 0, {}, "",
         "capabilities.AMO_HWAD: DC.tc.SADE may be set, and the first-stage walker then sets PTE A/D itself (one more memory access) instead of raising a page fault", "SRC (riscv-iommu.md 3, 15.2)"});
    add({"iommu.stop_marker_needs_pasid", t::boolean, "true", 0, 0, {}, "",
         "Stop Marker = L=1, R=W=0 *with* a PASID (spec); false: regardless of PASID (reference model)", "SRC"});
    add({"iommu.pq_overflow_policy", t::choice, "riscv", 0, 0, {"riscv", "smmuv3", "vtd"}, "",
         "page-request queue overflow behaviour of an IOMMU family, on the RISC-V registers (pqcsr.pqof is the indication, its W1C the acknowledgement; docs/user-guide.md): riscv = auto-Success to every discarded L=1 request, driver drains until empty, discards partial groups, W1C pqof; smmuv3 = the same on the wire, driver processes the queue up to pqt, discards partial groups, then writes pqh and W1C pqof together; vtd = discarded requests get no response (the device retries after device.prg_timeout_us), driver drains and only with pqh == pqt discards partial groups and W1C pqof. The driver reads this key as a platform quirk",
         "SRC (pcie-pri.md 9; vtd auto-response unverified, QEMU model)"});

    add({"iommu.inject.target", t::choice, "none", 0, 0, {"none", "ddt", "pdt", "pgtbl", "cq", "fq", "pq", "msi"}, "",
         "fault injection (docs/scenario.md, Injected memory faults): the structure whose memory accesses by the IOMMU fail on purpose: ddt = DDT entries and device contexts (loads), pgtbl = first-stage page-table entries (loads and A/D stores), cq = command fetches and IOFENCE.C stores, fq = fault-record stores, pq = page-request-record stores, msi = the IOMMU's MSI writes; pdt = process-directory entries and process contexts (loads; only with device.pasids > 0, which makes the driver program a process directory); none = no injection", "SRC (riscv-iommu.md 7.2, 8.3, 11.2, 13.1)"});
    add({"iommu.inject.kind", t::choice, "access_fault", 0, 0, {"access_fault", "corrupt", "poison"}, "",
         "what an injected access does: access_fault = memory answers an error (cause 257 for ddt, 265 for pdt, 5/7/1 for pgtbl, cqmf, fqmf, pqmf, cause 273 for msi); corrupt = one bit of the data is flipped: of what a ddt/pgtbl/cq load returns (a reserved DDT/DC bit: cause 259; a reserved PTE bit: a page fault; an opcode bit: cmd_ill) or of the record an fq/pq store writes (the top CAUSE bit; a reserved header bit); msi has no corrupt form; poison = a load's data comes back marked corrupt (an uncorrectable memory error): cause 268 for ddt, 269 for pdt, 274 for pgtbl, cqmf for cq; loads only (not fq, pq, msi)", "SRC (riscv-iommu.md 11.2)"});
    add({"iommu.inject.nth", t::u64, "1", 1, U64_MAX_D, {}, "",
         "the first access that fails: the nth access to iommu.inject.target (of iommu.inject.rid, if set) that the kind applies to, counted from 1 (Linux fault injection: fail-nth)", ""});
    add({"iommu.inject.times", t::u64, "1", 1, U64_MAX_D, {}, "",
         "how many consecutive matching accesses fail, from the nth on (Linux fault injection: times)", ""});
    add({"iommu.inject.rid", t::u64, "0", 0, 65535, {}, "",
         "only accesses made on behalf of the device with this RID (device_id) count and fail; 0 = any device. Applies to ddt, pgtbl, pq and device fault records of fq; cq and msi accesses are made on no device's behalf (refused)", ""});

    add({"pcie.link_latency_ns", t::u64, "400", 0, 1e6, {}, "ns", "one-way latency of the PCIe link, per TLP (class.<name>.link_latency_ns: a device class's own)", "ESTIMATE"});
    add({"pcie.gen", t::choice, "none", 0, 0, {"none", "gen1", "gen2", "gen3", "gen4", "gen5", "gen6"}, "",
         "PCIe generation of every link, for its bandwidth with pcie.lanes (2.5, 5, 8, 16, 32, 64 GT/s per lane; 8b/10b, 128b/130b, FLIT 242/256 encoding); none: no bandwidth limit, a TLP takes only the latency. A device class may have its own link (class.<name>.link)", "SRC (PCIe Base 6.0 §4.2)"});
    add({"pcie.lanes", t::choice, "16", 0, 0, {"1", "2", "4", "8", "16"}, "lanes", "width of every link (with pcie.gen)", ""});
    add({"pcie.topology", t::choice, "switch", 0, 0, {"switch", "root_ports"}, "",
         "switch: every device on its own link to one switch, whose upstream link to the root complex they all share (its bandwidth too); root_ports: every device on its own link to its own root port", ""});
    add({"pcie.switch_latency_ns", t::u64, "0", 0, 1e6, {}, "ns",
         "with pcie.topology = switch: a TLP's time through the switch, each way, on top of pcie.link_latency_ns", "ESTIMATE"});

    add({"device.count", t::u64, "4", 1, 4096, {}, "", "number of PCIe endpoints (RIDs 1 + i x device.rid_stride, i = 0..count-1); the largest RID must fit the device directory (sw.driver.ddt_mode: 127 devices in 1lvl). Not used when the scenario has device classes (class.<name>.*)", ""});
    add({"device.rid_stride", t::u64, "1", 1, 65535, {}, "",
         "distance between consecutive devices' RIDs; the largest RID must be at most 0xffff and fit the device directory sw.driver.ddt_mode builds", ""});
    add({"device.pri_capacity", t::u64, "64", 1, 65535, {}, "requests", "Outstanding Page Request Capacity of each device", "ESTIMATE"});
    add({"device.atc_entries", t::u64, "32", 1, 65536, {}, "entries", "address translation cache size", "ESTIMATE"});
    add({"device.ats", t::boolean, "true", 0, 0, {}, "",
         "the device has an ATS capability (pcie-pri.md §1). false: every access is an Untranslated request that the IOMMU translates on its way to memory (its IOTLB and walks), reads included (counted in dev.<rid>.dma_reads); needs device.pri = false, since PRI works through ATS (docs/scenario.md, Devices without PRI or ATS)", "SRC (PCIe Base 6.0 §10.4)"});
    add({"device.pri", t::boolean, "true", 0, 0, {}, "",
         "the device has a PRI capability. false: it cannot fault a page in, so the userspace handler maps (pins) every page of its workloads before starting it, as a VFIO user maps its DMA buffers, and a page found not present fails; with ATS it still asks for translations (docs/scenario.md, Devices without PRI or ATS)", "SRC (PCIe Base 6.0 §10.4)"});
    add({"device.streams", t::u64, "4", 1, 512, {}, "", "DMA streams per device (faults in flight); all devices' streams (with classes, those of all their workloads) add up to at most 2097152 (4096 x 512): each holds its burst's pages and a TLP in host memory", ""});
    add({"device.pasids", t::u64, "0", 0, 1024, {}, "",
         "PASIDs per device (class.<name>.pasids per class): 0 = none (requests carry no PASID); N > 0: burst b of a device's workload uses PASID 1 + b mod N (its ATS translation requests, page requests and DMA writes carry it), the PASID capability is enabled, and the userspace handler attaches each PASID to a HWPT and fault queue of its own (docs/scenario.md, PASIDs). Needs iommu.pd8, pd17 or pd20 resolving PASID N", ""});
    add({"device.pages", t::u64, "256", 0, 1 << 24, {}, "pages", "4 KiB pages each device's workload writes, once each, or more often with re-touches (device.fault_probability; 0: the device stays idle)", ""});
    add({"device.prg_pages", t::u64, "2", 1, 512, {}, "pages", "pages per burst, i.e. page requests per Page Request Group; a group larger than the PRI allocation the driver grants (sw.driver.pri_alloc_policy) is refused at load", ""});
    add({"device.bytes_per_page", t::u64, "256", 1, 4096, {}, "bytes", "pattern bytes written at the start of each page", ""});
    add({"device.think_ns", t::u64, "50", 0, 1e9, {}, "ns", "per-stream gap between bursts", ""});
    add({"device.pattern", t::choice, "sequential", 0, 0, {"sequential", "strided", "random"}, "",
         "the order a generated workload first touches its pages in, each page once: sequential = page 0, 1, 2, ...; strided = every device.stride_pages-th page from page 0, then from page 1, ...; random = a pseudo-random permutation keyed by seed and the RID (docs/scenario.md, Workload arrivals)", ""});
    add({"device.stride_pages", t::u64, "16", 1, 1048576, {}, "pages",
         "with device.pattern = strided: the distance between consecutive pages touched", ""});
    add({"device.read_percent", t::u64, "0", 0, 100, {}, "%",
         "percent of the generated bursts that are reads, drawn per burst: a read burst translates its pages (faulting them in as a write does) and writes nothing; reads are not modelled as DMA (docs/scenario.md, Workload). Counted in dev.<rid>.pages_read", ""});
    add({"device.fault_probability", t::f64, "1", 0.001, 1, {}, "",
         "re-touches: each generated burst touches the next pages of device.pattern's order (first touch: they fault) with this probability, else it touches again the pages of a burst taken before, drawn uniformly (they fault again only if evicted meanwhile, sw.user.resident_pages). The workload ends when every page was touched once: about device.pages / device.prg_pages / this bursts in all. 1 = each page once (docs/scenario.md, Re-touches). Counted in dev.<rid>.bursts_retouched", ""});
    add({"device.stop_markers", t::boolean, "false", 0, 1, {}, "",
         "once a device's workload is done (with several workloads: once the last that can use a PASID is), it stops using the PASIDs it used and sends one Stop Marker per PASID (a Page Request with L = 1, R = W = 0 and the PASID: no credit, no response; pcie-pri.md §3), while PRI can be used and the PASID capability is enabled. The IOMMU queues each as a PQ record (or discards it, never answering); the driver drops it. Counted in dev.<rid>.stop_markers_sent / stop_markers_held (docs/scenario.md, Stop Markers). Every device of the run", ""});
    add({"device.iova_base", t::u64, "0x10000000", 0, 72057594037927936.0 - 4096, {}, "", "first IOVA of each workload (4 KiB aligned); the workload must end within the lower half of the driver's first-stage mode (sw.driver.pgtbl_mode, as the IOMMU's capabilities allow it): iova_base + pages x 4 KiB <= 2^38 (Sv39), 2^47 (Sv48), 2^56 (Sv57)", ""});
    add({"device.arrival", t::choice, "closed", 0, 0, {"closed", "poisson"}, "",
         "how bursts arrive: closed = each stream takes the next burst when its last one is done (after device.think_ns); poisson = open loop: bursts arrive at the device as a Poisson process with mean gap device.arrival_gap_ns, whatever is in flight, and a free stream takes the oldest (device.think_ns is not used)", ""});
    add({"device.arrival_gap_ns", t::u64, "1000", 1, 1e9, {}, "ns",
         "mean gap between burst arrivals at one device when device.arrival = poisson (the fault rate is device.prg_pages per gap)", ""});
    add({"device.start_jitter_ns", t::u64, "0", 0, 1e9, {}, "ns",
         "each stream starts its first burst at a uniformly drawn time in [0, this) after the device is started, so that streams do not run in lockstep", ""});
    add({"device.trace", t::choice, "", 0, 0, {}, "",
         "trace replay: a trace file (docs/scenario.md, Trace replay; relative to the scenario file, or to the working directory when given with --set) whose accesses each device replays instead of the generated workload (device.pages, device.prg_pages, device.bytes_per_page, device.think_ns, device.arrival and device.arrival_gap_ns are then not used); empty: the generated workload", ""});
    add({"device.prg_timeout_us", t::u64, "0", 0, 1e9, {}, "us",
         "PRG Response timeout of every device: a group unanswered this long is given up (credits and PRG index back) and its pages translated again, so a dropped group is sent again; 0 = none, as PCIe defines none, except under iommu.pq_overflow_policy = vtd, where 0 means 10000 us (the IOMMU answers nothing it drops there); else at least 100. A response to a group already given up is an Unexpected PRG Index",
         "ESTIMATE (device-specific; PCIe defines none)"});
    add({"device.max_prg_attempts", t::u64, "1000", 1, 1e9, {}, "",
         "PRG rounds a burst may go through (each sends the groups of its pages still absent) before those pages count as failed. PCIe sets no limit; a burst that needs this many is in a retry storm (the PQ overflowing for longer than software takes to drain it, each dropped group answered Success and sent again at once), whose every round costs host time: the bound also bounds a storm's host cost (docs/user-guide.md, Overflow policies)",
         "ESTIMATE (a storm brake: the regression scenarios need fewer than 100)"});

    add({"sw.driver.cq_log2sz", t::u64, "13", 1, 16, {}, "log2 entries", "command queue size", "SRC (Linux RISCV_IOMMU_DEF_CQ_COUNT)"});
    add({"sw.driver.fq_log2sz", t::u64, "12", 1, 16, {}, "log2 entries", "fault queue size", "SRC (Linux RISCV_IOMMU_DEF_FQ_COUNT)"});
    add({"sw.driver.pq_log2sz", t::u64, "9", 1, 16, {}, "log2 entries", "page-request queue size (usable N-1)", "SRC-inspired (AMD PPR log 512)"});
    add({"sw.driver.irq_mode", t::choice, "auto", 0, 0, {"auto", "msi", "wsi"}, "",
         "interrupts the driver uses: auto = MSIs when capabilities.IGS offers them, else the wires (as Linux's riscv-iommu platform driver, which falls back to wired interrupts); msi or wsi = only that kind (iommu.igs must offer it)", "SRC (Linux drivers/iommu/riscv/iommu-platform.c)"});
    add({"sw.driver.t2gpa", t::boolean, "false", 0, 0, {}, "",
         "the driver sets DC.tc.T2GPA for devices attached to a G-stage (nesting parent) or nested domain, so that their ATCs hold GPAs; needs iommu.t2gpa", ""});
    add({"sw.driver.ddt_mode", t::choice, "1lvl", 0, 0, {"1lvl", "2lvl", "3lvl", "auto"}, "",
         "device-directory depth the driver builds; auto: the deepest the IOMMU accepts, as Linux does. A mode the IOMMU drops (iommu.max_ddt_mode) falls back to the next shallower one, with a warning", "SRC (Linux riscv_iommu_iodir_alloc)"});
    add({"sw.driver.pgtbl_mode", t::choice, "sv39", 0, 0, {"sv39", "sv48", "sv57", "auto"}, "",
         "first-stage mode of the driver's paging domains; auto: the deepest the IOMMU advertises, as Linux does. A mode the IOMMU does not advertise (iommu.sv48, iommu.sv57) falls back to the next shallower one, with a warning", "SRC (Linux riscv_iommu_alloc_paging_domain)"});
    add({"sw.driver.superpages", t::boolean, "false", 0, 0, {}, "",
         "map a 2 MiB leaf wherever a mapped range covers a 2 MiB-aligned IOVA and physical range (as Linux iommu_map picks the largest page size); else 4 KiB leaves only", "SRC (Linux iommu_pgsize)"});
    add({"sw.driver.pri_alloc_max", t::u64, "2048", 1, 65535, {}, "requests",
         "PRI allocation the driver grants under sw.driver.pri_alloc_policy = cap: min(device capacity, this)", "SRC (Linux VT-d PRQ depth)"});
    add({"sw.driver.pri_alloc_policy", t::choice, "cap", 0, 0, {"cap", "fixed", "queue", "share"}, "",
         "how the driver sizes each device's PRI allocation: cap = min(capacity, sw.driver.pri_alloc_max); fixed = sw.driver.pri_alloc_fixed for every device (rejected above a device's capacity); queue = min(capacity, the page-request queue's usable entries); share = min(capacity, usable entries / number of PRI-capable devices, at least 1)",
         "SRC (cap: Linux VT-d; fixed: Linux AMD 32)"});
    add({"sw.driver.pri_alloc_fixed", t::u64, "32", 1, 65535, {}, "requests",
         "the allocation under sw.driver.pri_alloc_policy = fixed", "SRC (Linux amd_iommu PRI_QUEUE 32)"});
    add({"sw.driver.pq_head_per_record", t::boolean, "false", 0, 0, {}, "",
         "write pqh after every record instead of once per batch", "SRC (Linux VT-d: per batch)"});
    add({"sw.user.batch", t::u64, "16", 1, 4096, {}, "messages", "fault messages the handler reads per read()", ""});
    add({"sw.user.threads", t::u64, "1", 1, 64, {}, "threads",
         "handler threads of the userspace handler process, all reading its one fault fd (poll, read, answer); not with --fault-socket", ""});
    add({"sw.user.resident_pages", t::u64, "0", 0, 4194304, {}, "pages",
         "eviction: the userspace handler keeps at most this many of its pages mapped per device; mapping one more first unmaps the oldest (IOMMU_IOAS_UNMAP: IOTLB and ATS invalidation) and frees it for reuse; 0 = never evict. At least device.streams x device.prg_pages; only with sw.user.threads = 1", ""});
    add({"sw.user.detach_after", t::u64, "0", 0, 1ull << 32, {}, "groups",
         "detach with faults pending: the userspace handler reads the groups of device sw.user.detach_device without "
         "answering them and, once it holds this many, detaches that device (VFIO_DEVICE_DETACH_IOMMUFD_PT); the kernel "
         "answers every group still pending INVALID, read or not. 0 = never; at most the device's streams, bursts and the groups its PRI allocation covers at once; not with --fault-socket (docs/user-guide.md, Detach with faults pending)", ""});
    add({"sw.user.detach_device", t::u64, "0", 0, 65535, {}, "",
         "with sw.user.detach_after: N of the device file /dev/vfio/devices/vfioN the handler detaches (0: the first device; beyond the devices: none)", ""});
    add({"sw.user.vevent_depth", t::u64, "0", 0, 1ull << 20, {}, "events",
         "vEVENTQ: the userspace handler attaches device sw.user.vevent_device to a nesting-parent HWPT without a fault queue, "
         "allocates a vIOMMU and a vEVENTQ of this depth on it (IOMMU_VIOMMU_ALLOC, IOMMU_VEVENTQ_ALLOC), enables the device's "
         "ATS and PRI through its VFIO config region, and reads the events next to the fault fd; the IOMMU answers that "
         "device's page requests Invalid (DC without EN_PRI) and reports each in a fault-queue record. 0 = none; "
         "with --fault-socket the events are not read (docs/user-guide.md, Events on a vEVENTQ)", ""});
    add({"sw.user.vevent_device", t::u64, "0", 0, 65535, {}, "",
         "with sw.user.vevent_depth: N of the device file /dev/vfio/devices/vfioN set up with the vEVENTQ (beyond the devices: none)", ""});
    add({"sw.user.nested_devices", t::u64, "0", 0, 65535, {}, "devices",
         "nested translation: the first N devices of the userspace handler are set up as a VMM sets up a device for "
         "its guest: a nesting-parent HWPT (the G-stage, guest-physical memory) and a nested HWPT on it whose first "
         "stage is the guest's Sv39 table (IOMMU_HWPT_DATA_RISCV_IOMMU), fault-capable with the shared queue. A "
         "first-stage fault reaches the handler, which writes the guest's PTE; the retry's G-stage fault goes to the "
         "host's handler in the kernel, which backs the page (handler.host.*). Needs the G-stage mode of "
         "sw.driver.pgtbl_mode (iommu.sv39x4/sv48x4/sv57x4), and each nested device's workload within the "
         "guest's Sv39 range (iova_base + pages x 4 KiB <= 2^38, whatever sw.driver.pgtbl_mode); with "
         "sw.user.resident_pages the guest evicts in its "
         "first stage (IOMMU_HWPT_INVALIDATE); with device.pasids the guest owns the process directory too (a PD8 "
         "directory, a table per PASID: needs iommu.pd8, at most 255 PASIDs); not with sw.user.threads > 1, "
         "sw.user.detach_after or --fault-socket (docs/user-guide.md, Nested translation)", ""});
    add({"sw.user.handler", t::choice, "demand_pager", 0, 0, {"demand_pager", "deny_outside", "slow", "kernel"}, "",
         "who answers page faults: the userspace demand pager; deny_outside (INVALID outside sw.user.allow_*); slow "
         "(the demand pager at sw.user.slow.factor times the service time); kernel (every device bound to the "
         "kernel-resident SVA handler, no trip to userspace)", ""});
    add({"sw.user.allow_base", t::u64, "0x10000000", 0, 274877906944.0, {}, "",
         "deny_outside: first IOVA it serves (faults below are answered INVALID)", ""});
    add({"sw.user.allow_pages", t::u64, "256", 0, 67108864, {}, "pages",
         "deny_outside: 4 KiB pages it serves from sw.user.allow_base (faults beyond are answered INVALID)", ""});
    add({"sw.user.slow.factor", t::u64, "10", 1, 1000, {}, "",
         "slow: draws of sw.cost.handler.* summed per fault (the mean service time times this)", ""});
    add({"sw.user.kernel_devices", t::u64, "0", 0, 127, {}, "devices",
         "the first N devices are bound to the kernel-resident SVA handler, the others served by sw.user.handler "
         "(sw.user.handler: kernel binds them all)", ""});

    // Fault injection into the software stack (docs/scenario.md, "Fault
    // injection"): the attributes of Linux's fault-injection framework.
    add({"sw.inject.site", t::choice, "", 0, 0, {}, "",
         "fault-injection site of the software stack to fail (a name such as iopf.group_alloc, or a glob such as "
         "iopf.*); empty: no injection", ""});
    add({"sw.inject.space", t::u64, "0", 0, 1ull << 40, {}, "calls",
         "calls matching sw.inject.site that pass before any may fail", ""});
    add({"sw.inject.interval", t::u64, "1", 1, 1ull << 40, {}, "calls",
         "after the space, only every Nth matching call may fail", ""});
    add({"sw.inject.probability", t::u64, "100", 0, 100, {}, "%",
         "chance that a call allowed by space and interval fails (drawn from the scenario seed)", ""});
    add({"sw.inject.times", t::u64, "1", 0, 1ull << 40, {}, "failures",
         "failures at most; 0: no limit", ""});

    add({"sw.cost.irq_entry_ns", t::u64, "1000", 0, 1e9, {}, "ns", "hard interrupt entry and exit", "ESTIMATE"});
    add({"sw.cost.wakeup_ns", t::u64, "3000", 0, 1e9, {}, "ns", "wake-up of a blocked task until it runs", "ESTIMATE (irq->thread 2-10 us)"});
    add({"sw.cost.pq_record_ns", t::u64, "200", 0, 1e9, {}, "ns", "driver: decode one PQ record", "ESTIMATE"});
    add({"sw.cost.fq_record_ns", t::u64, "200", 0, 1e9, {}, "ns", "driver: decode one FQ record", "ESTIMATE"});
    add({"sw.cost.cq_submit_ns", t::u64, "150", 0, 1e9, {}, "ns", "driver: build one command and ring the doorbell", "ESTIMATE"});
    add({"sw.cost.iopf_group_ns", t::u64, "500", 0, 1e9, {}, "ns", "io-pgfault: build and dispatch one group", "ESTIMATE"});
    add({"sw.cost.syscall_ns", t::u64, "300", 0, 1e9, {}, "ns", "syscall entry and exit", "ESTIMATE"});
    add({"sw.cost.fd_read_msg_ns", t::u64, "200", 0, 1e9, {}, "ns", "read(): copy one fault message", "ESTIMATE"});
    add({"sw.cost.fd_write_msg_ns", t::u64, "300", 0, 1e9, {}, "ns", "write(): handle one response", "ESTIMATE"});
    add({"sw.cost.map_page_ns", t::u64, "1000", 0, 1e9, {}, "ns", "kernel: install one PTE", "ESTIMATE (minor fault 1-3 us)"});
    add({"sw.cost.cfg_access_ns", t::u64, "200", 0, 1e9, {}, "ns", "PCI configuration access", "ESTIMATE"});
    add({"sw.cost.handler.dist", t::choice, "iaa", 0, 0, {"fixed", "exponential", "lognormal", "iaa"}, "",
         "distribution of the user handler's service time per fault, with mean sw.cost.handler.mean_ns; iaa: fitted to Intel IAA's measured kernel page-request handling (97.1 % in 1-10 us, 1.5 % in 0.1-1 ms, max 556 us at a 9 us mean; docs/scenario.md), scaled to the mean", ""});
    add({"sw.cost.handler.mean_ns", t::u64, "9000", 0, 1e9, {}, "ns", "mean service time per fault", "SRC (Intel IAA on Sapphire Rapids, 25,965 faults: mean 9 us; QEMU docs/devel/migration/qpl-compression.rst)"});
    add({"sw.cost.handler.sigma", t::f64, "0.5", 0.01, 4, {}, "", "lognormal shape (sigma of the underlying normal)", ""});
    // clang-format on
}

void params::add(param_def d)
{
    m_index[d.key] = m_defs.size();
    m_values[d.key] = parse(d, d.def, "built-in default");
    m_defs.push_back(std::move(d));
}

const param_def& params::def(const std::string& key) const
{
    auto it = m_reg->m_index.find(key);
    if (it == m_reg->m_index.end())
        throw config_error("unknown scenario key '" + key + "'" + suggest(key));
    return m_reg->m_defs[it->second];
}

std::string params::suggest(const std::string& key) const
{
    std::string best;
    size_t best_d = 4; // only close matches
    for (const auto& d : m_reg->m_defs) {
        // The distance is at least the difference in length.
        if ((key.size() > d.key.size() ? key.size() - d.key.size() : d.key.size() - key.size()) >= best_d)
            continue;
        size_t e = edit_distance(key, d.key);
        if (e < best_d) { best_d = e; best = d.key; }
    }
    return best.empty() ? std::string(" (see `prisim --list-params`)")
                        : " (did you mean '" + best + "'?)";
}

namespace {
// A value with a unit suffix ("250ns", "1.5 us", "4 KiB") for an integer
// key: converted exactly into the key's unit (units.h). `range` is the
// out-of-range message, `bad` makes the error naming the key and the value.
template <typename Bad>
uint64_t parse_quantity(const param_def& d, const std::string& text, const std::string& range, Bad bad)
{
    quantity q;
    if (!split_quantity(text, q) || q.suffix.empty()) throw bad("expected a non-negative integer");
    const unit* want = unit_of(d.unit);
    if (!want)
        throw bad(std::string(d.unit.empty() ? "a plain number" : "a count of " + d.unit) +
                  ": a unit suffix ('" + q.suffix + "') is not accepted");
    const std::string expected = std::string(dimension_name(want->dim)) + " in " + d.unit + " (or with a unit: " +
                                 unit_list(want->dim) + ")";
    if (!q.u) throw bad("unknown unit '" + q.suffix + "'; expected " + expected);
    if (q.u->dim != want->dim)
        throw bad("'" + q.suffix + "' is " + dimension_name(q.u->dim) + " unit; expected " + expected);
    if (q.number.size() > 1 && q.number[0] == '0' && std::isdigit(static_cast<unsigned char>(q.number[1])))
        throw bad("leading zeros are not allowed (integers are decimal, or hexadecimal with 0x)");
    uint64_t v = 0;
    switch (convert_exact(q.number, *q.u, *want, v)) {
    case conversion::ok: break;
    case conversion::inexact: throw bad("not a whole number of " + d.unit + " (the key's unit)");
    case conversion::overflow: throw bad(range);
    }
    if (double(v) < d.min || double(v) > d.max) throw bad(range + " (" + std::to_string(v) + " " + d.unit + ")");
    return v;
}
} // namespace

param_value params::parse(const param_def& d, const std::string& raw, const std::string& origin) const
{
    // Text goes to results.json, which is UTF-8; the value itself is not
    // echoed, as it could not be printed.
    if (size_t at = invalid_utf8_at(raw); at != std::string::npos)
        throw config_error(origin + ": " + d.key + ": not valid UTF-8 (byte " + hex_byte(raw[at]) +
                           " at offset " + std::to_string(at) + ")");
    const std::string text = trim(raw);
    auto bad = [&](const std::string& why) {
        return config_error(origin + ": " + d.key + " = '" + text + "': " + why);
    };
    switch (d.type) {
    case ptype::u64: {
        // Decimal, or hexadecimal with 0x. A leading zero is refused rather
        // than read as octal (C) or as decimal (YAML 1.2).
        const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
        const size_t first = hex ? 2 : 0;
        if (text.size() == first) throw bad("expected a non-negative integer");
        const std::string range = "out of range [" + fmt_num(d.min) + ", " + fmt_num(d.max) + "]" +
                                  (d.unit.empty() ? "" : " " + d.unit);
        for (size_t i = first; i < text.size(); ++i)
            if (!(hex ? std::isxdigit(static_cast<unsigned char>(text[i]))
                      : std::isdigit(static_cast<unsigned char>(text[i])))) {
                if (!hex) return parse_quantity(d, text, range, bad);
                throw bad("expected a non-negative integer");
            }
        if (!hex && text.size() > 1 && text[0] == '0')
            throw bad("leading zeros are not allowed (integers are decimal, or hexadecimal with 0x)");
        uint64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data() + first, text.data() + text.size(), v, hex ? 16 : 10);
        if (ec == std::errc::result_out_of_range) throw bad(range);
        if (ec != std::errc() || end != text.data() + text.size()) throw bad("expected a non-negative integer");
        if (double(v) < d.min || double(v) > d.max) throw bad(range);
        return v;
    }
    case ptype::f64: {
        // Decimal with an optional fraction and exponent, independent of the
        // locale; no hexadecimal, infinity or NaN.
        const std::string range = "out of range [" + fmt_num(d.min) + ", " + fmt_num(d.max) + "]";
        double v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc::result_out_of_range) throw bad(range);
        if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
            throw bad("expected a number");
        if (v < d.min || v > d.max) throw bad(range);
        return v;
    }
    case ptype::boolean:
        if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
        if (text == "false" || text == "0" || text == "no" || text == "off") return false;
        throw bad("expected true or false");
    case ptype::choice:
        if (!d.choices.empty() &&
            std::find(d.choices.begin(), d.choices.end(), text) == d.choices.end()) {
            std::string all;
            for (const auto& c : d.choices) all += (all.empty() ? "" : ", ") + c;
            throw bad("expected one of: " + all);
        }
        return text;
    }
    throw bad("internal: unknown type");
}

const std::vector<device_preset>& device_presets()
{
    // Outstanding Page Request Capacity as lspci shows it on real devices
    // (spec/timing-and-sizing.md, "Outstanding Page Request Capacity of real
    // devices").
    static const std::vector<device_preset> p = {
        {"intel-dsa", 512, "Intel DSA, Emerald Rapids (lspci; dmaengine list 2026-03-05)"},
        {"amd-renoir-igpu", 256, "AMD Renoir/Cezanne and Navi 10 iGPU; Linux grants 32 (LKML 2025-03-12)"},
        {"amd-raven-igpu", 32, "AMD Raven iGPU (ROCm/ROCm#669)"},
        {"intel-igpu", 32768, "Intel HD 615 iGPU (linux-pci 2025-10-20)"},
    };
    return p;
}

namespace {
// The per-device keys a class may set, as device.<field>.
const char* const k_class_device_fields[] = {"pri_capacity",     "atc_entries",    "streams",
                                             "pages",            "prg_pages",      "bytes_per_page",
                                             "think_ns",         "iova_base",      "max_prg_attempts",
                                             "arrival",          "arrival_gap_ns", "start_jitter_ns",
                                             "trace",            "pasids",         "read_percent",
                                             "pattern",          "stride_pages",   "fault_probability",
                                             "ats",              "pri"};
// The keys a class's workload may set (class.<name>.workload.<w>.<field>),
// as device.<field>: every per-device key but those of the device itself
// (its PRI capacity, ATC, capabilities, link).
const char* const k_workload_fields[] = {"streams",        "pages",          "prg_pages",
                                         "bytes_per_page", "think_ns",       "iova_base",
                                         "max_prg_attempts", "arrival",      "arrival_gap_ns",
                                         "start_jitter_ns", "pasids",        "read_percent",
                                         "pattern",        "stride_pages",   "fault_probability",
                                         "trace"};
constexpr uint64_t k_max_devices = 4096;
constexpr size_t k_max_workloads = 64;

bool valid_name(const std::string& n)
{
    return !n.empty() && n.size() <= 32 && std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
}
} // namespace

// class.<name>.<field> = value
void params::set_class_field(const std::string& key, const std::string& value, const std::string& origin)
{
    const size_t dot = key.find('.', 6);
    const std::string name = key.substr(6, dot == std::string::npos ? std::string::npos : dot - 6);
    if (name.empty() || dot == std::string::npos || dot + 1 >= key.size())
        throw config_error(origin + ": '" + key + "': a class key is class.<name>.<field>");
    if (!valid_name(name))
        throw config_error(origin + ": '" + key + "': a class name is 1 to 32 letters, digits, '_' or '-'");
    const std::string field = key.substr(dot + 1);
    param_def d;
    std::string workload; // class.<name>.workload.<w>.<field>: w
    if (field.compare(0, 9, "workload.") == 0) {
        const size_t wdot = field.find('.', 9);
        workload = field.substr(9, wdot == std::string::npos ? std::string::npos : wdot - 9);
        const std::string wfield = wdot == std::string::npos ? "" : field.substr(wdot + 1);
        if (!valid_name(workload) || wfield.empty())
            throw config_error(origin + ": '" + key +
                               "': a workload key is class.<name>.workload.<workload>.<field>, the workload's name "
                               "1 to 32 letters, digits, '_' or '-'");
        if (std::find(std::begin(k_workload_fields), std::end(k_workload_fields), wfield) ==
            std::end(k_workload_fields)) {
            std::string all;
            for (const char* f : k_workload_fields) all += (all.empty() ? "" : ", ") + std::string(f);
            throw config_error(origin + ": unknown workload key '" + key + "' (a workload sets: " + all + ")");
        }
        d = def("device." + wfield);
        d.key = key;
    } else if (field == "count") {
        d = {key, ptype::u64, "1", 0, double(k_max_devices), {}, "", "", ""};
    } else if (field == "preset") {
        d = {key, ptype::choice, "none", 0, 0, {"none"}, "", "", ""};
        for (const auto& pr : device_presets()) d.choices.push_back(pr.name);
    } else if (std::find(std::begin(k_class_device_fields), std::end(k_class_device_fields), field) !=
               std::end(k_class_device_fields)) {
        d = def("device." + field);
        d.key = key;
    } else if (field == "link_latency_ns") {
        d = def("pcie.link_latency_ns");
        d.key = key;
    } else if (field == "link") {
        // Gen<g>x<w>: parsed below
    } else {
        std::string all = "count, preset";
        for (const char* f : k_class_device_fields) all += std::string(", ") + f;
        all += ", link, link_latency_ns";
        throw config_error(origin + ": unknown class key '" + key + "' (a class sets: " + all + ")");
    }
    param_value v;
    if (field == "link") {
        // The class's own link, as pcie.link is every device's: Gen<g>x<w>,
        // kept as gen<g>x<w>.
        std::string gen, lanes;
        if (!parse_link(trim(value), gen, lanes))
            throw config_error(origin + ": " + key + " = '" + trim(value) +
                               "': expected Gen<1-6>x<lanes> (lanes: 1, 2, 4, 8, 16), e.g. Gen4x8");
        v = gen + "x" + lanes;
    } else {
        v = parse(d, value, origin);
    }
    const auto ends_with = [&](const char* tail) {
        const size_t n = std::strlen(tail);
        return field.size() > n && field.compare(field.size() - n, n, tail) == 0;
    };
    if (field == "trace" || (!workload.empty() && ends_with(".trace"))) v = resolve_path(std::get<std::string>(v));
    const bool is_base = field == "iova_base" || (!workload.empty() && field.size() > 10 &&
                                                  field.compare(field.size() - 10, 10, ".iova_base") == 0);
    if (is_base && (std::get<uint64_t>(v) & 0xFFF))
        throw config_error(origin + ": " + key + " = '" + value + "': must be 4 KiB aligned");
    auto it = std::find_if(m_classes.begin(), m_classes.end(), [&](const device_class& c) { return c.name == name; });
    if (it == m_classes.end()) {
        m_classes.push_back({name, {}, {}});
        it = m_classes.end() - 1;
    }
    if (!workload.empty()) {
        // In the order of their names (a printed scenario lists them so).
        auto at = std::lower_bound(it->workloads.begin(), it->workloads.end(), workload);
        if (at == it->workloads.end() || *at != workload) {
            if (it->workloads.size() == k_max_workloads)
                throw config_error(origin + ": '" + key + "': a class has at most " + std::to_string(k_max_workloads) +
                                   " workloads");
            it->workloads.insert(at, workload);
        }
    }
    it->fields[field] = std::move(v);
}

uint64_t params::max_pasids() const
{
    uint64_t n = 0;
    for (const device_spec& d : devices())
        for (const workload_spec* w : d.all_workloads()) n = std::max(n, w->pasids);
    return n;
}

uint64_t params::pri_allocation(uint64_t capacity, uint64_t ndev) const
{
    const std::string& policy = str("sw.driver.pri_alloc_policy");
    const uint64_t usable = (uint64_t(1) << u64("sw.driver.pq_log2sz")) - 1;
    const uint64_t want = policy == "fixed"   ? u64("sw.driver.pri_alloc_fixed")
                          : policy == "queue" ? usable
                          : policy == "share" ? std::max<uint64_t>(1, ndev ? usable / ndev : usable)
                                              : u64("sw.driver.pri_alloc_max");
    return std::min(capacity, want);
}

std::vector<device_spec> params::devices() const
{
    std::vector<device_spec> out;
    auto fill = [&](device_spec& s, const device_class* c) {
        const device_preset* pr = nullptr;
        if (c) {
            if (auto it = c->fields.find("preset"); it != c->fields.end())
                for (const auto& p : device_presets())
                    if (std::get<std::string>(it->second) == p.name) pr = &p;
        }
        // A field of workload `wn` ("": the class's own), else the class's.
        auto find = [&](const std::string& wn, const char* f) -> const param_value* {
            if (!c) return nullptr;
            if (!wn.empty())
                if (auto it = c->fields.find("workload." + wn + "." + f); it != c->fields.end()) return &it->second;
            if (auto it = c->fields.find(f); it != c->fields.end()) return &it->second;
            return nullptr;
        };
        auto get = [&](const std::string& wn, const char* f) -> uint64_t {
            if (const param_value* v = find(wn, f)) return std::get<uint64_t>(*v);
            if (pr && !std::strcmp(f, "pri_capacity")) return pr->pri_capacity;
            return u64(std::string("device.") + f);
        };
        auto get_f64 = [&](const std::string& wn, const char* f) -> double {
            if (const param_value* v = find(wn, f)) return std::get<double>(*v);
            return f64(std::string("device.") + f);
        };
        auto get_str = [&](const std::string& wn, const char* f) -> std::string {
            if (const param_value* v = find(wn, f)) return std::get<std::string>(*v);
            return str(std::string("device.") + f);
        };
        auto fill_workload = [&](workload_spec& w, const std::string& wn) {
            w.name = wn;
            w.arrival = get_str(wn, "arrival");
            w.arrival_gap_ns = get(wn, "arrival_gap_ns");
            w.start_jitter_ns = get(wn, "start_jitter_ns");
            w.streams = get(wn, "streams");
            w.pages = get(wn, "pages");
            w.prg_pages = get(wn, "prg_pages");
            w.bytes_per_page = get(wn, "bytes_per_page");
            w.think_ns = get(wn, "think_ns");
            w.iova_base = get(wn, "iova_base");
            w.max_prg_attempts = get(wn, "max_prg_attempts");
            // A workload's trace is its own (class.<name>.workload.<w>.trace):
            // the class's and device.trace are refused with workloads.
            if (wn.empty()) {
                w.trace = get_str(wn, "trace");
            } else if (auto it = c->fields.find("workload." + wn + ".trace"); it != c->fields.end()) {
                w.trace = std::get<std::string>(it->second);
            }
            w.pasids = get(wn, "pasids");
            w.read_percent = get(wn, "read_percent");
            w.pattern = get_str(wn, "pattern");
            w.stride_pages = get(wn, "stride_pages");
            w.fault_probability = get_f64(wn, "fault_probability");
        };
        const std::vector<std::string> none{""};
        const std::vector<std::string>& wnames = c && !c->workloads.empty() ? c->workloads : none;
        fill_workload(s, wnames[0]);
        for (size_t i = 1; i < wnames.size(); ++i) {
            s.more_workloads.emplace_back();
            fill_workload(s.more_workloads.back(), wnames[i]);
        }
        s.pri_capacity = get("", "pri_capacity");
        s.atc_entries = get("", "atc_entries");
        auto get_flag = [&](const char* f) -> bool {
            if (const param_value* v = find("", f)) return std::get<bool>(*v);
            return flag(std::string("device.") + f);
        };
        s.ats = get_flag("ats");
        s.pri = get_flag("pri");
        s.link_gen = str("pcie.gen");
        s.link_lanes = str("pcie.lanes");
        s.link_latency_ns = u64("pcie.link_latency_ns");
        if (c) {
            if (auto it = c->fields.find("link"); it != c->fields.end()) {
                const std::string& l = std::get<std::string>(it->second); // gen<g>x<w>
                const size_t x = l.find('x');
                s.link_gen = l.substr(0, x);
                s.link_lanes = l.substr(x + 1);
            }
            if (auto it = c->fields.find("link_latency_ns"); it != c->fields.end())
                s.link_latency_ns = std::get<uint64_t>(it->second);
        }
    };
    if (m_classes.empty()) {
        device_spec s;
        fill(s, nullptr);
        out.assign(u64("device.count"), s);
        return out;
    }
    for (size_t i = 0; i < m_classes.size(); ++i) {
        const device_class& c = m_classes[i];
        auto it = c.fields.find("count");
        const uint64_t n = it == c.fields.end() ? 1 : std::get<uint64_t>(it->second);
        device_spec s;
        s.class_index = i;
        s.class_name = c.name;
        fill(s, &c);
        out.insert(out.end(), n, s);
    }
    return out;
}

config_error::config_error(std::vector<std::string> all)
    : std::runtime_error([&] {
          std::string s;
          for (const auto& e : all) s += (s.empty() ? "" : "\n") + e;
          return s;
      }()),
      errors(std::move(all))
{
}

std::vector<std::string> messages(const config_error& e)
{
    return e.errors.empty() ? std::vector<std::string>{e.what()} : e.errors;
}

void params::set(const std::string& key, const std::string& value, const std::string& origin)
{
    try {
        if (key.compare(0, 6, "class.") == 0) {
            set_class_field(key, value, origin);
            return;
        }
        if (key == "pcie.link") {
            set_link(value, origin);
            return;
        }
        if (!known(key)) throw config_error(origin + ": unknown scenario key '" + key + "'" + suggest(key));
        const param_def& d = def(key);
        param_value v = parse(d, value, origin);
        if (key == "device.trace") v = resolve_path(std::get<std::string>(v));
        if (key == "device.iova_base" && (std::get<uint64_t>(v) & 0xFFF))
            throw config_error(origin + ": device.iova_base = '" + value + "': must be 4 KiB aligned");
        m_values[key] = std::move(v);
    } catch (const config_error&) {
        m_refused.insert(key == "pcie.link" ? "pcie.gen" : key);
        if (key == "pcie.link") m_refused.insert("pcie.lanes");
        throw;
    }
}

// Gen<g>x<w> (any case) -> gen<g>, <w>, both among pcie.gen's and pcie.lanes's values.
bool params::parse_link(const std::string& text, std::string& gen, std::string& lanes) const
{
    std::string low;
    for (char c : text) low += char(std::tolower(static_cast<unsigned char>(c)));
    const size_t x = low.find('x', 3);
    gen = low.compare(0, 3, "gen") == 0 && x != std::string::npos ? low.substr(0, x) : "";
    lanes = x != std::string::npos ? low.substr(x + 1) : "";
    const param_def& g = def("pcie.gen");
    const param_def& l = def("pcie.lanes");
    return gen != "gen" && !gen.empty() && gen != "none" && !lanes.empty() &&
           std::find(g.choices.begin(), g.choices.end(), gen) != g.choices.end() &&
           std::find(l.choices.begin(), l.choices.end(), lanes) != l.choices.end();
}

// pcie.link = Gen<g>x<w> (any case): pcie.gen = gen<g>, pcie.lanes = <w>.
void params::set_link(const std::string& raw, const std::string& origin)
{
    std::string text = trim(raw);
    std::string gen, lanes;
    if (!parse_link(text, gen, lanes)) {
        const param_def& l = def("pcie.lanes");
        std::string ls;
        for (const auto& c : l.choices) ls += (ls.empty() ? "" : ", ") + c;
        throw config_error(origin + ": pcie.link = '" + text + "': expected Gen<1-6>x<lanes> (lanes: " + ls +
                           "), e.g. Gen4x8; it sets pcie.gen and pcie.lanes");
    }
    m_values["pcie.gen"] = gen;
    m_values["pcie.lanes"] = lanes;
}

std::string params::resolve_path(const std::string& path) const
{
    if (path.empty() || path[0] == '/' || m_dir.empty()) return path;
    return m_dir + "/" + path;
}

std::shared_ptr<const trace_file> params::trace_of(const std::string& path) const
{
    auto it = m_traces.find(path);
    if (it != m_traces.end()) return it->second;
    // Which key named it, for the message when it cannot be read.
    std::string key = "device.trace";
    for (const auto& c : m_classes) {
        if (auto f = c.fields.find("trace"); f != c.fields.end() && std::get<std::string>(f->second) == path)
            key = "class." + c.name + ".trace";
        for (const std::string& w : c.workloads)
            if (auto f = c.fields.find("workload." + w + ".trace");
                f != c.fields.end() && std::get<std::string>(f->second) == path)
                key = "class." + c.name + ".workload." + w + ".trace";
    }
    auto tf = std::make_shared<const trace_file>(read_trace(path, key));
    m_traces[path] = tf;
    return tf;
}

void params::validate() const
{
    std::vector<std::string> errors;
    // A rule is judged only on values the scenario asked for.
    auto fail = [&](const std::string& msg) {
        for (const std::string& k : m_refused)
            if (mentions(msg, k)) return;
        errors.push_back(msg);
    };
    auto done = [&] {
        if (!errors.empty()) throw config_error(errors);
    };
    if (flag("iommu.sv57") && !flag("iommu.sv48"))
        fail("iommu.sv57 = true needs iommu.sv48 = true (capabilities: Sv57 requires Sv48)");
    if (const char* why = iommu::iotlb::geometry_error(u64("iommu.iotlb_entries"), u64("iommu.iotlb_ways")); *why)
        fail("iommu.iotlb_entries = " + std::to_string(u64("iommu.iotlb_entries")) + ", iommu.iotlb_ways = " +
             std::to_string(u64("iommu.iotlb_ways")) + ": " + why + " (rtl/iotlb)");
    if (std::string why = fault_inject::check_pattern(str("sw.inject.site")); !why.empty())
        fail("sw.inject.site = '" + str("sw.inject.site") + "': " + why);
    if (const uint64_t to = u64("device.prg_timeout_us"); to != 0 && to < 100)
        fail("device.prg_timeout_us = " + std::to_string(to) +
             ": 0 (none) or at least 100 (a shorter timeout gives up groups faster than software can answer them)");
    // Each workload writes the pages iova_base + i x 4 KiB, i < pages. The
    // IOMMU translates an SvN address only if bits 63:N-1 are equal, and the
    // driver maps only such ranges; iova_base is in the lower half, so the
    // last page must end at or below 2^(N-1) for the mode the driver uses
    // (sw.driver.pgtbl_mode, falling back to what the IOMMU advertises).
    constexpr uint64_t page = 4096;
    const std::vector<device_spec> devs = devices();
    const bool classes = !m_classes.empty();
    // The rules below look at the devices: none, or too many, and they are not judged.
    if (classes && devs.empty()) {
        fail("the device classes (class.<name>.count) add up to no device; a run needs at least one");
        return done();
    }
    if (devs.size() > k_max_devices) {
        fail("the device classes add up to " + std::to_string(devs.size()) + " devices; at most " +
             std::to_string(k_max_devices) + " are supported");
        return done();
    }
    // Host memory: each stream holds its burst's pages and a TLP; all
    // devices' streams (their workloads' with classes) add up to at most
    // what 4,096 devices of 512 streams have.
    {
        uint64_t streams = 0;
        for (const device_spec& d : devs)
            for (const workload_spec* w : d.all_workloads()) streams += w->streams;
        if (streams > k_max_devices * 512)
            fail(std::string(classes ? "the classes' devices x the streams of their workloads"
                                     : "device.count x device.streams") +
                 " = " + std::to_string(streams) + " streams; at most " + std::to_string(k_max_devices * 512) +
                 " (4096 devices x 512) in all: each holds its burst's pages and a TLP in host memory");
    }
    // Where a class's value comes from, for messages.
    auto src = [&](const device_spec& d, const char* field) {
        if (!classes) return std::string("device.") + field;
        const auto& f = m_classes[d.class_index].fields;
        return (f.count(field) ? "class." + d.class_name + "." : std::string("device.")) + field;
    };
    // ... of a workload's field.
    auto wsrc = [&](const device_spec& d, const workload_spec& w, const char* field) {
        if (classes && !w.name.empty() &&
            m_classes[d.class_index].fields.count("workload." + w.name + "." + field))
            return "class." + d.class_name + ".workload." + w.name + "." + field;
        return src(d, field);
    };
    // A class with workloads names its traces per workload
    // (class.<name>.workload.<w>.trace), not for the whole device.
    for (const device_class& c : m_classes)
        if (!c.workloads.empty()) {
            const auto t = c.fields.find("trace");
            const std::string& tr = t != c.fields.end() ? std::get<std::string>(t->second) : str("device.trace");
            if (!tr.empty())
                fail("class." + c.name + ".workload." + c.workloads[0] + ": a class with workloads replays no trace of "
                     "its own (" + (t != c.fields.end() ? "class." + c.name + ".trace" : std::string("device.trace")) +
                     " = '" + tr + "'): give the workload that replays it class." + c.name +
                     ".workload.<workload>.trace");
        }
    const std::string& want = str("sw.driver.pgtbl_mode");
    unsigned va = want == "sv39" ? 39 : want == "sv48" ? 48 : 57;
    if (va == 57 && !flag("iommu.sv57"))
        va = 48;
    if (va == 48 && !flag("iommu.sv48"))
        va = 39;
    // Trace replay: every file is read now; each line's device index must be
    // a device that replays that file, and every address within the range.
    // The first problem of a file is reported; a file that cannot be read,
    // or names a device beyond the last, leaves out the DRAM rule, which
    // counts its pages.
    bool traces_read = true;
    auto replays = [](const device_spec& d, const std::string& path) {
        for (const workload_spec* w : d.all_workloads())
            if (w->trace == path) return true;
        return false;
    };
    {
        std::map<std::string, bool> seen;
        for (const device_spec& dv : devs)
        for (const workload_spec* wt : dv.all_workloads()) {
            const std::string& path = wt->trace;
            if (path.empty() || seen[path]) continue;
            seen[path] = true;
            std::shared_ptr<const trace_file> tfp;
            try {
                tfp = trace_of(path);
            } catch (const config_error& e) {
                for (const auto& m : messages(e)) fail(m);
                traces_read = false;
                continue;
            }
            const trace_file& tf = *tfp;
            for (const auto& [idx, td] : tf.devices) {
                const std::string at = tf.path + ":" + std::to_string(td.first_line) + ": expected ";
                if (idx >= devs.size()) {
                    fail(at + "a device index below " + std::to_string(devs.size()) +
                         ", the number of devices (got '" + std::to_string(idx) + "')");
                    traces_read = false;
                    break;
                }
                if (!replays(devs[idx], path)) {
                    const std::string& other = devs[idx].trace;
                    fail(at + "a device that replays this trace; device " + std::to_string(idx) +
                         (other.empty() ? " replays none" : " replays '" + other + "'") + " (got '" +
                         std::to_string(idx) + "')");
                    break;
                }
                const uint64_t end = uint64_t(1) << (va - 1);
                if (td.last_page >= end / page) {
                    char msg[512];
                    std::snprintf(msg, sizeof msg,
                                  "%s:%" PRIu64 ": address 0x%" PRIx64
                                  " is beyond the Sv%u range (below 0x%" PRIx64
                                  ") of the driver's first-stage mode (sw.driver.pgtbl_mode, as the IOMMU "
                                  "advertises it: iommu.sv48, iommu.sv57)",
                                  tf.path.c_str(), td.last_line, td.last_address, va, end);
                    fail(msg);
                    break;
                }
            }
        }
    }
    for (size_t i = 0; i < devs.size(); ++i) {
        const device_spec& d = devs[i];
        // A traced workload's pages are a trace's (checked above and below).
        auto generated = [](const workload_spec& w) { return w.trace.empty() && w.pages; };
        if (traces_read)
            for (const workload_spec* t : d.all_workloads()) {
                if (t->trace.empty()) continue;
                const trace_file& tf = *trace_of(t->trace);
                auto td = tf.devices.find(i);
                if (td == tf.devices.end()) continue;
                const uint64_t lo = td->second.first_page * page, hi = (td->second.last_page + 1) * page;
                for (const workload_spec* g : d.all_workloads()) {
                    if (!generated(*g)) continue;
                    const uint64_t ge = g->iova_base + g->pages * page;
                    if (g->iova_base < hi && lo < ge) {
                        char msg[640];
                        std::snprintf(msg, sizeof msg,
                                      "%s and %s: device %zu's accesses in %s (their pages span [0x%" PRIx64 ", 0x%" PRIx64
                                      ")) overlap the pages of %s ([0x%" PRIx64 ", 0x%" PRIx64
                                      ")): each workload of a device writes pages of its own",
                                      wsrc(d, *t, "trace").c_str(), wsrc(d, *g, "iova_base").c_str(), i,
                                      tf.path.c_str(), lo, hi, g->name.empty() ? "the device's workload" : ("workload " + g->name).c_str(),
                                      g->iova_base, ge);
                        fail(msg);
                        break;
                    }
                }
            }
        if (i && d.class_index == devs[i - 1].class_index) continue; // once per class
        const auto all = d.all_workloads();
        // A device's workloads write pages of their own.
        for (size_t a = 0; a < all.size(); ++a)
            for (size_t b = a + 1; b < all.size(); ++b) {
                const workload_spec &x = *all[a], &y = *all[b];
                if (!generated(x) || !generated(y)) continue;
                const uint64_t xe = x.iova_base + x.pages * page, ye = y.iova_base + y.pages * page;
                if (x.iova_base < ye && y.iova_base < xe) {
                    char msg[512];
                    std::snprintf(msg, sizeof msg,
                                  "class.%s.workload.%s and .workload.%s: their pages overlap ([0x%" PRIx64
                                  ", 0x%" PRIx64 ") and [0x%" PRIx64 ", 0x%" PRIx64
                                  ")): each workload of a device writes pages of its own (iova_base, pages)",
                                  d.class_name.c_str(), x.name.c_str(), y.name.c_str(), x.iova_base, xe, y.iova_base,
                                  ye);
                    fail(msg);
                }
            }
        for (const workload_spec* wp : all) {
        const workload_spec& w = *wp;
        if (!generated(w)) continue;
        const uint64_t base = w.iova_base, pages = w.pages;
        const uint64_t end = uint64_t(1) << (va - 1);
        if (pages && (base >= end || pages > (end - base) / page)) {
            char msg[512];
            std::snprintf(msg, sizeof msg,
                          "%s = 0x%" PRIx64 " and %s = %" PRIu64
                          ": the workload's last page ends at IOVA 0x%" PRIx64 ", beyond the Sv%u range (0x%" PRIx64
                          ")%s",
                          wsrc(d, w, "iova_base").c_str(), base, wsrc(d, w, "pages").c_str(), pages,
                          base + pages * page, va, end,
                          va == 39 && want == "sv39"
                              ? ""
                              : " of sw.driver.pgtbl_mode as the IOMMU advertises it (iommu.sv48, iommu.sv57)");
            fail(msg);
        }
        }
    }
    // Simulated DRAM must hold what the run will allocate in it: every
    // workload page once mapped, the first-stage tables that map them (per
    // device a leaf table per 2 MiB and a middle table per 1 GiB of the IOVA
    // span, plus its root, and two more per level above Sv39's three), the three queues, two directory pages per device
    // (2LVL/3LVL non-leaf tables), and 1 MiB for the DDT root, fence words
    // and allocator alignment. Checked before the run: running out is
    // otherwise an INVALID answer for every fault that finds no page.
    if (traces_read) {
        const uint64_t mib = uint64_t(1) << 20, dram = u64("platform.dram_mib") * mib;
        uint64_t need = mib, all_pages = 0;
        bool traced = false;
        for (size_t i = 0; i < devs.size(); ++i) {
            const device_spec& d = devs[i];
            uint64_t dev_pages = 0, tables = 0;
            for (const workload_spec* wp : d.all_workloads()) {
                uint64_t pages = wp->pages;
                const uint64_t first = wp->iova_base & ~(page - 1);
                uint64_t span = pages ? wp->iova_base + pages * page - first : 0;
                if (!wp->trace.empty()) {
                    // A traced device maps the distinct pages it touches.
                    traced = true;
                    const trace_file& tf = *trace_of(wp->trace);
                    auto it = tf.devices.find(i);
                    pages = it == tf.devices.end() ? 0 : it->second.pages;
                    span = pages ? (it->second.last_page - it->second.first_page + 1) * page : 0;
                }
                uint64_t leaf = (span + (uint64_t(2) << 20) - 1) / (uint64_t(2) << 20) + 1;
                uint64_t mid = (span + (uint64_t(1) << 30) - 1) / (uint64_t(1) << 30) + 1;
                if (!wp->trace.empty()) { // scattered pages: at most a table per page
                    leaf = std::min(leaf, pages + 1);
                    mid = std::min(mid, pages + 1);
                }
                dev_pages += pages;
                tables += leaf + mid;
            }
            const uint64_t upper = 2 * uint64_t((va - 39) / 9);
            // With eviction the userspace handler holds at most
            // sw.user.resident_pages data pages of a device at a time (the
            // tables stay); a device of the kernel-resident handler keeps
            // every page it faulted in.
            const bool in_kernel = i < u64("sw.user.kernel_devices") || str("sw.user.handler") == "kernel";
            // A device without PRI has all its pages pinned: none is evicted.
            const uint64_t resident = in_kernel || !d.pri ? 0 : u64("sw.user.resident_pages");
            const uint64_t held = resident && resident < dev_pages ? resident : dev_pages;
            need += held * page + (tables + upper + 1 + 2) * page;
            all_pages += dev_pages;
        }
        need += (uint64_t(16) << u64("sw.driver.cq_log2sz")) + (uint64_t(32) << u64("sw.driver.fq_log2sz")) +
                (uint64_t(16) << u64("sw.driver.pq_log2sz")) + 3 * page;
        if (need > dram) {
            char msg[640];
            std::snprintf(msg, sizeof msg,
                          "platform.dram_mib = %" PRIu64 " is too small: %s = %" PRIu64
                          " pages, their page tables and the queues need at least %" PRIu64
                          " MiB of simulated DRAM; raise platform.dram_mib, lower %s, or bound the pages "
                          "mapped at once with sw.user.resident_pages",
                          u64("platform.dram_mib"),
                          classes ? (traced ? "the classes' pages (class.<name>.count x pages of its workloads, or the pages their traces touch)"
                                            : "the classes' pages (class.<name>.count x pages of its workloads)")
                                  : (traced ? "device.count x the pages device.trace touches" : "device.count x device.pages"),
                          all_pages, (need + mib - 1) / mib,
                          classes ? "the classes' pages or counts" : "device.pages or device.count");
            fail(msg);
        }
    }
    // Eviction: a device may need streams x prg_pages pages mapped at once
    // (every stream's open group); evicting below that could unmap a page a
    // group still waits for, again and again.
    if (const uint64_t resident = u64("sw.user.resident_pages")) {
        if (u64("sw.user.threads") > 1)
            fail("sw.user.resident_pages = " + std::to_string(resident) +
                 " needs sw.user.threads = 1: the handler's eviction is not shared between threads");
        for (const device_spec& d : devs) {
            if (!d.pri) continue; // pinned, never evicted
            uint64_t open = 0;
            for (const workload_spec* w : d.all_workloads()) open += w->streams * w->prg_pages;
            if (resident < open) {
                fail("sw.user.resident_pages = " + std::to_string(resident) + " is below " +
                     (d.more_workloads.empty() ? src(d, "streams") + " x " + src(d, "prg_pages")
                                               : "the sum of streams x prg_pages over class " + d.class_name + "'s workloads") +
                     " = " + std::to_string(open) +
                     (classes && d.more_workloads.empty() ? " (class " + d.class_name + ")" : std::string()) +
                     ": every stream's open group must stay mapped while it waits");
                break;
            }
        }
    }
    // Detach with faults pending: the handler holds the device's groups
    // until it has sw.user.detach_after of them. Each stream waits on at
    // least one held group, so up to device.streams of them (and no more
    // than its bursts) are always reached; more would hold the device
    // forever.
    // A sw.user.detach_device beyond the devices detaches nothing.
    if (const uint64_t after = u64("sw.user.detach_after");
        after && u64("sw.user.detach_device") < devs.size()) {
        const uint64_t idx = u64("sw.user.detach_device");
        const device_spec& d = devs[idx];
        // Over its workloads: their streams, their bursts (an idle device
        // never has a group to hold), their largest group.
        // Nor more groups than its PRI credits cover at once: a group of
        // g requests (a burst, split to fit the allocation) holds g credits
        // until it is answered (PCIe PRI: pcie-pri.md).
        const uint64_t alloc = pri_allocation(d.pri_capacity, devs.size());
        uint64_t bursts = 0, streams = 0, g = 1;
        for (const workload_spec* w : d.all_workloads()) {
            bursts += w->trace.empty() ? (w->pages + w->prg_pages - 1) / w->prg_pages : after;
            streams += w->streams;
            g = std::max<uint64_t>(g, std::min({w->prg_pages, w->pages ? w->pages : w->prg_pages, alloc}));
        }
        const uint64_t by_credits = std::max<uint64_t>(1, alloc / g);
        if (bursts && (after > streams || after > bursts || after > by_credits))
            fail("sw.user.detach_after = " + std::to_string(after) + " is above the groups device " +
                 std::to_string(idx) + " can have held at once: the least of its " +
                 (d.more_workloads.empty() ? src(d, "streams") : "workloads' streams") + " (" +
                 std::to_string(streams) + "), its bursts (" + std::to_string(bursts) +
                 ") and the groups its PRI allocation of " + std::to_string(alloc) + " covers (" +
                 std::to_string(by_credits) + "); the handler would hold its groups forever");
    }
    // A Page Request Group may hold at most the Outstanding Page Request
    // Allocation the driver grants (pcie-pri.md §6): a device whose groups
    // (device.prg_pages, or its pages if fewer) are larger could send none.
    for (const device_spec& d : devs) {
        bool bad = false;
        if (!d.pri) continue; // no groups
        for (const workload_spec* wp : d.all_workloads()) {
            const workload_spec& w = *wp;
            if (!w.trace.empty() || !w.pages) continue;
            const uint64_t g = std::min(w.prg_pages, w.pages);
            const uint64_t alloc = pri_allocation(d.pri_capacity, devs.size());
            if (g > alloc) {
                fail(wsrc(d, w, "prg_pages") + " = " + std::to_string(w.prg_pages) + ": a Page Request Group of " +
                     std::to_string(g) + " pages is larger than the PRI allocation of " + std::to_string(alloc) +
                     " the driver grants (" + src(d, "pri_capacity") + " = " + std::to_string(d.pri_capacity) +
                     ", sw.driver.pri_alloc_policy = " + str("sw.driver.pri_alloc_policy") +
                     "); a group may not exceed the allocation");
                bad = true;
                break;
            }
        }
        if (bad) break;
    }
    // Devices without PRI (device.pri = false; pcie-pri.md §1). PRI works
    // through ATS: a Page Request is answered so that the device asks for
    // the translation again. Without PRI nothing faults a page in, so the
    // userspace handler pins each workload's pages, as BAR0 lists them
    // (PXDEV_RANGE_*), in the RID's address space.
    for (size_t i = 0; i < devs.size(); ++i) {
        const device_spec& d = devs[i];
        const std::string where = classes ? " (class " + d.class_name + ")" : std::string();
        if (d.pri && !d.ats) {
            fail(src(d, "pri") + " = true with " + src(d, "ats") + " = false" + where +
                 ": PRI without ATS cannot work (a page request is answered so that the device asks for the "
                 "translation again, and only ATS asks); set " + src(d, "pri") + " = false");
            break;
        }
        if (d.pri) continue;
        std::string why;
        if (i < u64("sw.user.kernel_devices") || str("sw.user.handler") == "kernel")
            why = "it is a device of the kernel-resident handler (sw.user.handler, sw.user.kernel_devices), which "
                  "only serves faults";
        else if (i < u64("sw.user.kernel_devices") + u64("sw.user.nested_devices"))
            why = "it is nested (sw.user.nested_devices), and only the guest could map its pages";
        else if (u64("sw.user.vevent_depth") && u64("sw.user.vevent_device") == i)
            why = "it is the vEVENTQ device (sw.user.vevent_device)";
        else if (u64("sw.user.detach_after") && u64("sw.user.detach_device") == i)
            why = "it is the device detached with faults pending (sw.user.detach_device), and it has none";
        else
            for (const workload_spec* w : d.all_workloads()) {
                if (!w->trace.empty()) why = "it replays a trace (" + wsrc(d, *w, "trace") + "), whose pages are not listed in BAR0";
                else if (w->pasids) why = "its workload uses PASIDs (" + wsrc(d, *w, "pasids") + "); its pages are pinned at the RID only";
                if (!why.empty()) break;
            }
        if (!why.empty()) {
            fail(src(d, "pri") + " = false" + where + " for device " + std::to_string(i) +
                 ": the userspace handler pins a device without PRI before starting it, but " + why);
            break;
        }
    }
    // A sw.user.vevent_device beyond the devices sets up no vEVENTQ.
    if (u64("sw.user.vevent_depth") && u64("sw.user.vevent_device") < devs.size()) {
        const uint64_t idx = u64("sw.user.vevent_device");
        if (idx < u64("sw.user.kernel_devices") || str("sw.user.handler") == "kernel")
            fail("sw.user.vevent_device = " + std::to_string(idx) +
                 " is a device of the kernel-resident handler (sw.user.kernel_devices, sw.user.handler)");
        else if (u64("sw.user.detach_after") && u64("sw.user.detach_device") == idx)
            fail("sw.user.vevent_device and sw.user.detach_device name the same device: the vEVENTQ "
                 "device has no fault queue, so no group of it is ever held");
    }
    // Nesting parents (the vEVENTQ device, nested devices) are G-stages of
    // the driver's depth: the IOMMU must offer that G-stage mode.
    {
        const bool vevent = u64("sw.user.vevent_depth") && u64("sw.user.vevent_device") < devs.size();
        const uint64_t nested = u64("sw.user.nested_devices");
        // the driver's first-stage mode as the IOMMU allows it (va above)
        const std::string mode = "sv" + std::to_string(va);
        const std::string gkey = "iommu." + mode + "x4";
        if ((vevent || nested) && !flag(gkey))
            fail(std::string(vevent ? "sw.user.vevent_depth" : "sw.user.nested_devices") +
                 ": a nesting-parent HWPT is a G-stage of the driver's first-stage depth (" + mode +
                 ", from sw.driver.pgtbl_mode = " + str("sw.driver.pgtbl_mode") + "), and " + gkey +
                 " = false does not offer it");
        if (nested) {
            const bool kernel = str("sw.user.handler") == "kernel";
            if (kernel || u64("sw.user.kernel_devices") >= devs.size())
                fail("sw.user.nested_devices = " + std::to_string(nested) +
                     ": no device is left to the userspace handler (sw.user.handler, sw.user.kernel_devices)");
            if (u64("sw.user.threads") > 1 || u64("sw.user.detach_after"))
                fail("sw.user.nested_devices = " + std::to_string(nested) +
                     ": not combined with sw.user.threads > 1 or sw.user.detach_after");
            // A nested device's PASIDs are its guest's, in the guest's own PD8
            // process directory (sw/user/guest.c): PASIDs 1 .. 255, iommu.pd8.
            const uint64_t nfirst = u64("sw.user.kernel_devices");
            uint64_t guest_pasids = 0;
            for (uint64_t i = nfirst; i < devs.size() && i < nfirst + nested; ++i)
                for (const workload_spec* w : devs[size_t(i)].all_workloads())
                    guest_pasids = std::max(guest_pasids, w->pasids);
            if (guest_pasids && (guest_pasids > 255 || !flag("iommu.pd8")))
                fail("sw.user.nested_devices = " + std::to_string(nested) + " with device.pasids = " +
                     std::to_string(guest_pasids) +
                     ": a nested device's PASIDs are its guest's, in the guest's PD8 process directory; it needs "
                     "iommu.pd8 = true and at most 255 PASIDs");
            if (vevent && u64("sw.user.vevent_device") < u64("sw.user.kernel_devices") + nested)
                fail("sw.user.vevent_device and sw.user.nested_devices name the same device");
            // The guest's first stage is Sv39 (sw/user/guest.c) whatever the
            // driver's mode: a nested device's workload must end within its
            // lower half, 2^38.
            const uint64_t first = u64("sw.user.kernel_devices"), end = uint64_t(1) << 38;
            for (uint64_t i = first; i < devs.size() && i < first + nested; ++i) {
                const device_spec& d = devs[size_t(i)];
                bool beyond = false;
                for (const workload_spec* wp : d.all_workloads()) {
                const workload_spec& w = *wp;
                if (!w.trace.empty() || !w.pages) continue;
                if (w.iova_base >= end || w.pages > (end - w.iova_base) / page) {
                    char msg[512];
                    std::snprintf(msg, sizeof msg,
                                  "sw.user.nested_devices = %" PRIu64 ": device %" PRIu64 " is nested, and its workload "
                                  "(%s = 0x%" PRIx64 ", %s = %" PRIu64 ") ends at IOVA 0x%" PRIx64
                                  ", beyond the guest's Sv39 first stage (0x%" PRIx64 ")",
                                  nested, i, wsrc(d, w, "iova_base").c_str(), w.iova_base,
                                  wsrc(d, w, "pages").c_str(), w.pages, w.iova_base + w.pages * page, end);
                    fail(msg);
                    beyond = true;
                    break;
                }
                }
                if (beyond) break;
            }
        }
    }
    // The driver's PRI allocation (sw.driver.pri_alloc_policy) must be
    // one the device accepts: at most its capacity.
    if (str("sw.driver.pri_alloc_policy") == "fixed") {
        const uint64_t fixed = u64("sw.driver.pri_alloc_fixed");
        for (const device_spec& d : devs)
            if (d.pri && fixed > d.pri_capacity) {
                fail("sw.driver.pri_alloc_fixed = " + std::to_string(fixed) + " is above the " +
                                   src(d, "pri_capacity") + " of " + std::to_string(d.pri_capacity) +
                                   (classes ? " (class " + d.class_name + ")" : std::string()) +
                                   ": a PRI allocation may not exceed the device's Outstanding Page Request Capacity");
                break;
            }
    }
    // Device IDs: the largest RID must be a 16-bit RID and fit the
    // directory the driver builds (riscv-iommu.md §5: base-format DCs
    // resolve 7/16/24 bits in 1LVL/2LVL/3LVL, extended ones 6/15/24).
    {
        const uint64_t ndev = devs.size();
        const std::string count_key = classes ? "the classes' device count" : "device.count";
        const uint64_t last_rid = 1 + (ndev - 1) * u64("device.rid_stride");
        if (last_rid > 0xFFFF) {
            char msg[256];
            std::snprintf(msg, sizeof msg,
                          "%s = %" PRIu64 " and device.rid_stride = %" PRIu64
                          ": the last device's RID 0x%" PRIx64 " is wider than 16 bits",
                          count_key.c_str(), ndev, u64("device.rid_stride"), last_rid);
            fail(msg);
        }
        const std::string& mode = str("sw.driver.ddt_mode");
        const std::string& max = str("iommu.max_ddt_mode");
        const std::string& eff = mode == "auto" || mode > max ? max : mode;
        const bool ext = flag("iommu.msi_flat");
        const unsigned bits = eff == "1lvl" ? (ext ? 6 : 7) : eff == "2lvl" ? (ext ? 15 : 16) : 24;
        if (last_rid <= 0xFFFF && last_rid >> bits) {
            char msg[384];
            std::snprintf(msg, sizeof msg,
                          "%s = %" PRIu64 " and device.rid_stride = %" PRIu64
                          ": the last device's RID 0x%" PRIx64 " is wider than the %u bits a %s device "
                          "directory resolves with %s device contexts (sw.driver.ddt_mode = %s, "
                          "iommu.max_ddt_mode = %s, iommu.msi_flat = %s)",
                          count_key.c_str(), ndev, u64("device.rid_stride"), last_rid, bits, eff.c_str(),
                          ext ? "64-byte" : "32-byte", mode.c_str(), max.c_str(), ext ? "true" : "false");
            fail(msg);
        }
    }
    // PASIDs: a process directory that resolves them, served from userspace;
    // the most any device uses (device.pasids, or a class's).
    uint64_t pasids = 0;
    for (const device_spec& d : devs)
        for (const workload_spec* w : d.all_workloads()) pasids = std::max(pasids, w->pasids);
    if (pasids) {
        const unsigned bits = flag("iommu.pd20") ? 20 : flag("iommu.pd17") ? 17 : flag("iommu.pd8") ? 8 : 0;
        if (!bits)
            fail("device.pasids = " + std::to_string(pasids) +
                 " needs process directories: set iommu.pd8, iommu.pd17 or iommu.pd20");
        else if (pasids >> bits)
            fail("device.pasids = " + std::to_string(pasids) + ": PASID " + std::to_string(pasids) +
                 " is wider than the " + std::to_string(bits) + " bits of the deepest process directory advertised");
        if (str("sw.user.handler") == "kernel" || u64("sw.user.kernel_devices"))
            fail("device.pasids = " + std::to_string(pasids) +
                 ": the kernel-resident handler (sw.user.handler = kernel, sw.user.kernel_devices) binds at the RID "
                 "only; PASIDs are served by the userspace handler");
        if (u64("sw.user.detach_after") || u64("sw.user.vevent_depth") || u64("sw.user.resident_pages") ||
            u64("sw.user.threads") > 1)
            fail("device.pasids = " + std::to_string(pasids) +
                 ": not combined with sw.user.detach_after, sw.user.vevent_depth, sw.user.resident_pages or "
                 "sw.user.threads > 1");
    }
    // capabilities.PAS: the IOMMU must reach all of DRAM (its tables and
    // queues live there).
    {
        const uint64_t top = DRAM_BASE + (u64("platform.dram_mib") << 20);
        const uint64_t pas = u64("iommu.pas");
        if (pas < 64 && top > uint64_t(1) << pas) {
            char msg[256];
            std::snprintf(msg, sizeof msg,
                          "iommu.pas = %" PRIu64 " and platform.dram_mib = %" PRIu64
                          ": DRAM ends at 0x%" PRIx64 ", beyond the 0x%" PRIx64 " the IOMMU can address",
                          pas, u64("platform.dram_mib"), top, uint64_t(1) << pas);
            fail(msg);
        }
    }
    if (flag("sw.driver.t2gpa") && !flag("iommu.t2gpa"))
        fail("sw.driver.t2gpa = true needs iommu.t2gpa = true (capabilities.T2GPA): a DC with T2GPA set is "
             "otherwise misconfigured (cause 259)");
    // Interrupts: the kind the driver is told to use must be one the IOMMU signals.
    const std::string& igs = str("iommu.igs");
    const std::string& irq_mode = str("sw.driver.irq_mode");
    if ((irq_mode == "msi" && igs == "wsi") || (irq_mode == "wsi" && igs == "msi"))
        fail("sw.driver.irq_mode = " + irq_mode + " and iommu.igs = " + igs + ": the IOMMU does not signal " +
             (irq_mode == "msi" ? "MSIs" : "wired interrupts"));
    const bool wired = irq_mode == "wsi" || (irq_mode == "auto" && igs == "wsi");
    // Fault injection: a target the model has, in a form it has, of a device that exists.
    {
        const std::string& target = str("iommu.inject.target");
        if (target == "msi" && wired)
            fail("iommu.inject.target = msi with wired interrupts (iommu.igs = " + igs + ", sw.driver.irq_mode = " +
                 irq_mode + "): the IOMMU writes no MSI, so no MSI write exists to fail");
        if (target == "pdt" && !pasids)
            fail("iommu.inject.target = pdt: no process directory is read without device.pasids > 0 (the "
                 "driver programs one only for a device with a PASID attached), so no PDT access exists to fail");
        if (str("iommu.inject.kind") == "poison" && (target == "fq" || target == "pq" || target == "msi"))
            fail("iommu.inject.target = " + target + " and iommu.inject.kind = poison: poisoned data is what a "
                 "load returns, and the IOMMU only stores to " + target + "; use access_fault or corrupt");
        if (target == "msi" && str("iommu.inject.kind") == "corrupt")
            fail("iommu.inject.target = msi and iommu.inject.kind = corrupt: an MSI has no corrupt form "
                 "(its data is the interrupt's identity); use access_fault");
        if (const uint64_t rid = u64("iommu.inject.rid")) {
            if (target == "cq" || target == "msi")
                fail("iommu.inject.rid = " + std::to_string(rid) + " and iommu.inject.target = " + target +
                     ": " + target + " accesses are made on no device's behalf");
            // RIDs are 1 + i x device.rid_stride, i < the device count.
            const uint64_t stride = u64("device.rid_stride");
            if ((rid - 1) % stride != 0 || (rid - 1) / stride >= devs.size())
                fail("iommu.inject.rid = " + std::to_string(rid) + ": no device has this RID");
        }
    }
    // An Invalidation Completion takes at least the round trip over the
    // link (and through the switch, each way); a timeout below twice that
    // would fire on every ATS.INVAL.
    const bool via_switch = str("pcie.topology") == "switch";
    // The slowest link: pcie.link_latency_ns, or a class's own.
    uint64_t link_ns = u64("pcie.link_latency_ns");
    std::string link_key = "pcie.link_latency_ns";
    for (const device_spec& ds : devices())
        if (ds.link_latency_ns > link_ns) {
            link_ns = ds.link_latency_ns;
            link_key = "class." + ds.class_name + ".link_latency_ns";
        }
    const uint64_t timeout_ns = u64("iommu.ats_inval_timeout_us") * 1000;
    const uint64_t one_way_ns = link_ns + (via_switch ? u64("pcie.switch_latency_ns") : 0);
    if (timeout_ns < 4 * one_way_ns) {
        char msg[400];
        if (via_switch && u64("pcie.switch_latency_ns"))
            std::snprintf(msg, sizeof msg,
                          "iommu.ats_inval_timeout_us = %" PRIu64 ", %s = %" PRIu64
                          " and pcie.switch_latency_ns = %" PRIu64
                          ": the invalidation timeout must be at least twice the round trip through the "
                          "switch (%" PRIu64 " us); raise the timeout or lower the latencies",
                          timeout_ns / 1000, link_key.c_str(), link_ns, u64("pcie.switch_latency_ns"),
                          (4 * one_way_ns + 999) / 1000);
        else
            std::snprintf(msg, sizeof msg,
                          "iommu.ats_inval_timeout_us = %" PRIu64 " and %s = %" PRIu64
                          ": the invalidation timeout must be at least twice the link round trip (%" PRIu64
                          " us); raise the timeout or lower the latency",
                          timeout_ns / 1000, link_key.c_str(), link_ns, (4 * one_way_ns + 999) / 1000);
        fail(msg);
    }
    done();
}

namespace {
// One scenario document into params: nested maps flattened to dotted keys,
// each key at most once, `expect` a list of text.
class yaml_loader {
public:
    yaml_loader(params& p, const std::string& text, const std::string& origin)
        : m_p(p), m_text(text), m_origin(origin),
          m_bom(text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0)
    {
    }

    void check_quotes(const YAML::Node& n) const;
    // Every key of the document; a key that cannot be applied is recorded
    // in `errors` and the others are still applied.
    void flatten(const YAML::Node& n, const std::string& prefix);

    std::vector<std::string> errors;

private:
    static int line(const YAML::Node& n) { return n.Mark().line + 1; }
    std::string at(const YAML::Node& n) const { return m_origin + ": line " + std::to_string(line(n)); }
    static const char* kind(const YAML::Node& n)
    {
        return n.IsSequence() ? "a list" : n.IsMap() ? "a map" : n.IsNull() ? "empty" : "a value";
    }
    void once(std::map<std::string, int>& seen, const std::string& key, const YAML::Node& k) const
    {
        auto [it, fresh] = seen.emplace(key, line(k));
        if (!fresh)
            throw config_error(at(k) + ": key '" + key + "' appears twice (first at line " +
                               std::to_string(it->second) + ")");
    }

    params& m_p;
    const std::string& m_text;
    const std::string& m_origin;
    const size_t m_bom;                // yaml-cpp marks count from after a byte-order mark
    std::map<std::string, int> m_keys; // every flattened key of the document -> its line
};

// yaml-cpp ends a quoted scalar that is never closed at the end of the
// input without an error, so `name: "x` would swallow the rest of the file.
// Every quoted scalar must have its closing quote.
void yaml_loader::check_quotes(const YAML::Node& n) const
{
    if (n.IsMap()) {
        for (const auto& kv : n) {
            check_quotes(kv.first);
            check_quotes(kv.second);
        }
    } else if (n.IsSequence()) {
        for (const auto& e : n) check_quotes(e);
    }
    // Plain scalars have the tag "?"; quoted, block and explicitly tagged
    // ones do not.
    if (!n.IsScalar() || n.Tag() == "?" || n.Mark().is_null()) return;
    const std::string& t = m_text;
    size_t i = m_bom + size_t(n.Mark().pos);
    auto blank = [&](size_t j) { return t[j] == ' ' || t[j] == '\t' || t[j] == '\r' || t[j] == '\n'; };
    // The mark is at the node's properties (&anchor, !tag), if any.
    while (i < t.size() && (t[i] == '&' || t[i] == '!')) {
        while (i < t.size() && !blank(i)) ++i;
        while (i < t.size() && blank(i)) ++i;
    }
    if (i >= t.size() || (t[i] != '"' && t[i] != '\'')) return;
    const char q = t[i];
    for (size_t j = i + 1; j < t.size(); ++j) {
        if (q == '"' && t[j] == '\\') { ++j; continue; }
        if (t[j] != q) continue;
        if (q == '\'' && j + 1 < t.size() && t[j + 1] == '\'') { ++j; continue; } // '' is a quote
        return;
    }
    const size_t nl = t.rfind('\n', i);
    size_t col = 1; // in characters: UTF-8 continuation bytes do not count
    for (size_t j = nl == std::string::npos ? m_bom : nl + 1; j < i; ++j)
        col += (static_cast<unsigned char>(t[j]) & 0xC0) != 0x80;
    throw config_error(m_origin + ": line " + std::to_string(1 + std::count(t.begin(), t.begin() + long(i), '\n')) +
                       ", column " + std::to_string(col) + ": the quoted text is not closed");
}

void yaml_loader::flatten(const YAML::Node& n, const std::string& prefix)
{
    const std::string where = prefix.empty() ? "<top>" : prefix;
    if (!n.IsMap()) {
        errors.push_back(m_origin + ": '" + where + "' must be a map of keys");
        return;
    }
    std::map<std::string, int> here; // keys of this map, as written
    for (const auto& kv : n) {
        const YAML::Node& k = kv.first;
        const YAML::Node& v = kv.second;
        try {
            if (!k.IsScalar())
                throw config_error(at(k) + ": a key in '" + where + "' is " + kind(k) + "; keys must be text");
            const std::string key = prefix.empty() ? k.Scalar() : prefix + "." + k.Scalar();
            once(here, key, k);
            if (key == "expect") {
                if (!v.IsSequence()) throw config_error(at(k) + ": 'expect' must be a list of expressions");
                size_t i = 0;
                for (const auto& e : v) {
                    ++i;
                    if (!e.IsScalar())
                        throw config_error(at(e) + ": 'expect' item " + std::to_string(i) + " is " + kind(e) +
                                           "; expected an expression");
                    m_p.add_expectation(e.Scalar());
                }
                continue;
            }
            if (v.IsMap()) {
                flatten(v, key);
            } else if (v.IsScalar()) {
                // `a: {b: 1}` and `a.b: 2` name the same key; `pcie.link`
                // sets two others.
                once(m_keys, key, k);
                if (key == "pcie.link" || key == "pcie.gen" || key == "pcie.lanes") {
                    auto link = m_keys.find("pcie.link");
                    for (const char* other : {"pcie.gen", "pcie.lanes"}) {
                        auto o = m_keys.find(other);
                        if (link != m_keys.end() && o != m_keys.end())
                            throw config_error(at(k) + ": '" + key + "' and '" +
                                               (key == "pcie.link" ? std::string(other) : std::string("pcie.link")) +
                                               "' (line " + std::to_string(key == "pcie.link" ? o->second : link->second) +
                                               ") both set the link: pcie.link sets pcie.gen and pcie.lanes");
                    }
                }
                m_p.set(key, v.Scalar(), m_origin);
            } else {
                throw config_error(at(k) + ": '" + key + "' is " + kind(v) + "; expected a value or a map");
            }
        } catch (const config_error& e) {
            for (const auto& m : messages(e)) errors.push_back(m);
        }
    }
}

// Counts the documents of a YAML stream. yaml-cpp 0.7's LoadAll never
// returns on some malformed input: on a stray ',' at the top level the
// parser reports an empty document without consuming the token, again and
// again, and every round allocates. A document that starts where the one
// before it started is that case.
class document_counter : public YAML::EventHandler {
public:
    std::vector<YAML::Mark> starts;

    void OnDocumentStart(const YAML::Mark& m) override { starts.push_back(m); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};
} // namespace

bool params::has_document_markers(const std::string& text)
{
    for (size_t at = 0; at < text.size();) {
        if (text.compare(at, 3, "---") == 0 || text.compare(at, 3, "...") == 0 || text[at] == '%') return true;
        const size_t nl = text.find('\n', at);
        if (nl == std::string::npos) break;
        at = nl + 1;
    }
    return false;
}

void params::load_yaml(const std::string& text, const std::string& origin, const std::string& dir)
{
    struct dir_scope {
        std::string& d;
        ~dir_scope() { d.clear(); }
    } scope{m_dir};
    m_dir = dir;
    // yaml-cpp would read UTF-16 and pass invalid bytes through: a scenario
    // is UTF-8 text.
    auto line_of = [&](size_t at) {
        return std::to_string(1 + std::count(text.begin(), text.begin() + long(at), '\n'));
    };
    if (size_t at = invalid_utf8_at(text); at != std::string::npos)
        throw config_error(origin + ": line " + line_of(at) + ": not valid UTF-8 (byte " + hex_byte(text[at]) + ")");
    if (size_t at = text.find('\0'); at != std::string::npos)
        throw config_error(origin + ": line " + line_of(at) + ": a NUL byte; a scenario is UTF-8 text");
    YAML::Node doc;
    try {
        // A second document needs a line that starts with a marker ('---',
        // '...') or a directive ('%'), or must follow a flow node or an
        // indented block map (a line at column 0 after it starts a new
        // document). So a text without a marker that loads as a block map
        // whose keys start at column 0 is one document (what follows at
        // column 0 is a key of it, or an error), and the counting pass, a
        // whole second parse, is skipped. The first key's column, not the
        // node's: a tag or an anchor on a line of its own puts the node at
        // column 0 and its keys elsewhere. Anything else is counted (a stray
        // token at the top level leaves the parser stuck where it loads as
        // empty).
        bool loaded = false;
        if (!has_document_markers(text)) {
            doc = YAML::Load(text);
            loaded = doc.IsMap() && doc.Style() == YAML::EmitterStyle::Block && doc.begin() != doc.end() &&
                     doc.begin()->first.Mark().column == 0;
        }
        if (!loaded) {
            // At most three documents are looked at: one is all a scenario may
            // have, and a stuck parser shows by the third.
            std::istringstream in(text);
            YAML::Parser parser(in);
            document_counter docs;
            while (docs.starts.size() < 3 && parser.HandleNextDocument(docs)) {
                const size_t n = docs.starts.size();
                if (n >= 2 && docs.starts[n - 1].pos == docs.starts[n - 2].pos) {
                    const YAML::Mark& m = docs.starts[n - 1];
                    const char c = m.pos >= 0 && size_t(m.pos) < text.size() ? text[size_t(m.pos)] : ' ';
                    throw config_error(origin + ": line " + std::to_string(m.line + 1) + ", column " +
                                       std::to_string(m.column + 1) + ": not valid YAML" +
                                       (std::isgraph(static_cast<unsigned char>(c))
                                            ? std::string(": unexpected '") + c + "'"
                                            : std::string()));
                }
            }
            if (docs.starts.size() > 1)
                throw config_error(origin + ": more than one YAML document (---); a scenario is one document");
            doc = YAML::Load(text);
        }
    } catch (const YAML::DeepRecursion& e) {
        throw config_error(origin + ": line " + std::to_string(e.mark.line + 1) +
                           ": not valid YAML: nested too deeply");
    } catch (const YAML::Exception& e) {
        throw config_error(origin + ": not valid YAML: " + e.what());
    }
    if (doc.IsNull()) return;
    yaml_loader l(*this, text, origin);
    l.check_quotes(doc);
    l.flatten(doc, "");
    if (!l.errors.empty()) throw config_error(l.errors);
}

uint64_t params::u64(const std::string& key) const
{
    const auto& v = m_values.at(def(key).key);
    if (auto p = std::get_if<uint64_t>(&v)) return *p;
    if (auto b = std::get_if<bool>(&v)) return *b ? 1 : 0;
    throw config_error("internal: scenario key '" + key + "' is not an integer");
}

double params::f64(const std::string& key) const
{
    const auto& v = m_values.at(def(key).key);
    if (auto p = std::get_if<double>(&v)) return *p;
    if (auto p = std::get_if<uint64_t>(&v)) return double(*p);
    throw config_error("internal: scenario key '" + key + "' is not a number");
}

bool params::flag(const std::string& key) const
{
    const auto& v = m_values.at(def(key).key);
    if (auto b = std::get_if<bool>(&v)) return *b;
    throw config_error("internal: scenario key '" + key + "' is not a boolean");
}

const std::string& params::str(const std::string& key) const
{
    const auto& v = m_values.at(def(key).key);
    if (auto s = std::get_if<std::string>(&v)) return *s;
    throw config_error("internal: scenario key '" + key + "' is not text");
}

nlohmann::json params::to_json() const
{
    nlohmann::json j = nlohmann::json::object();
    for (const auto& kv : m_values) // not a structured binding: clang 14 cannot capture one
        std::visit([&](const auto& x) { j[kv.first] = x; }, kv.second);
    for (const auto& c : m_classes)
        for (const auto& kv : c.fields)
            std::visit([&](const auto& x) { j["class." + c.name + "." + kv.first] = x; }, kv.second);
    return j;
}

namespace {
// A scalar as YAML reads it back as the same text: plain where that is
// unambiguous, else double-quoted with escapes.
std::string yaml_scalar(const std::string& v)
{
    static const char* const nulls[] = {"null", "Null", "NULL", "~"};
    bool plain = !v.empty() && (std::isalnum(static_cast<unsigned char>(v[0])) || v[0] == '_' || v[0] == '/');
    for (char c : v)
        plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_./+-", c));
    for (const char* n : nulls) plain = plain && v != n;
    if (plain) return v;
    // Escaped: the quote, the backslash, control characters, and the code
    // points YAML reads as line breaks (NEL, U+2028, U+2029) or drops (a
    // byte-order mark). Other UTF-8 passes through: a scenario is UTF-8.
    std::string q = "\"";
    for (size_t i = 0; i < v.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(v[i]);
        const unsigned char c1 = i + 1 < v.size() ? static_cast<unsigned char>(v[i + 1]) : 0;
        const unsigned char c2 = i + 2 < v.size() ? static_cast<unsigned char>(v[i + 2]) : 0;
        char b[16];
        if (c == '"' || c == '\\') {
            q += '\\';
            q += char(c);
        } else if (c < 0x20 || c == 0x7F) {
            std::snprintf(b, sizeof b, "\\x%02x", c);
            q += b;
        } else if (c == 0xC2 && c1 >= 0x80 && c1 <= 0x9F) { // C1 controls, NEL among them
            std::snprintf(b, sizeof b, "\\u%04x", unsigned(c1));
            q += b;
            i += 1;
        } else if ((c == 0xE2 && c1 == 0x80 && (c2 == 0xA8 || c2 == 0xA9)) ||
                   (c == 0xEF && c1 == 0xBB && c2 == 0xBF)) {
            const unsigned cp = ((c & 0x0Fu) << 12) | ((c1 & 0x3Fu) << 6) | (c2 & 0x3Fu);
            std::snprintf(b, sizeof b, "\\u%04x", cp);
            q += b;
            i += 2;
        } else {
            q += char(c);
        }
    }
    return q + "\"";
}

// A value as the scenario writes it. Integers whose default is written in
// hexadecimal (addresses) are written so too; a number is written in the
// shortest form that reads back as the same double.
std::string yaml_value(const param_def& d, const param_value& v)
{
    if (auto u = std::get_if<uint64_t>(&v)) {
        char b[32];
        if (d.def.compare(0, 2, "0x") == 0)
            std::snprintf(b, sizeof b, "0x%" PRIx64, *u);
        else
            std::snprintf(b, sizeof b, "%" PRIu64, *u);
        return b;
    }
    if (auto f = std::get_if<double>(&v)) {
        char b[64];
        const auto r = std::to_chars(b, b + sizeof b, *f);
        return std::string(b, r.ptr);
    }
    if (auto b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    return yaml_scalar(std::get<std::string>(v));
}
} // namespace

std::string params::to_yaml(const std::string& header) const
{
    std::vector<std::pair<std::string, std::string>> lines; // "key: value", unit
    for (const auto& d : m_reg->m_defs) lines.emplace_back(d.key + ": " + yaml_value(d, m_values.at(d.key)), d.unit);
    for (const auto& c : m_classes)
        for (const auto& [field, v] : c.fields) {
            param_def d;
            if (field == "link_latency_ns")
                d = def("pcie.link_latency_ns");
            else if (field.compare(0, 9, "workload.") == 0)
                d = def("device." + field.substr(field.rfind('.') + 1));
            else if (field != "count" && field != "preset" && field != "link")
                d = def("device." + field);
            lines.emplace_back("class." + c.name + "." + field + ": " + yaml_value(d, v), d.unit);
        }
    size_t width = 0;
    for (const auto& l : lines)
        if (!l.second.empty()) width = std::max(width, std::min<size_t>(l.first.size(), 48));
    std::ostringstream os;
    std::istringstream hs(header);
    for (std::string h; std::getline(hs, h);) os << (h.empty() ? "#" : "# " + h) << "\n";
    for (const auto& [text, unit] : lines) {
        os << text;
        if (!unit.empty()) os << std::string(width > text.size() ? width - text.size() : 0, ' ') << "  # " << unit;
        os << "\n";
    }
    if (m_expect.empty()) {
        os << "expect: []\n";
    } else {
        os << "expect:\n";
        for (const auto& e : m_expect) os << "  - " << yaml_scalar(e) << "\n";
    }
    return os.str();
}

std::string params::markdown(const params* builtin) const
{
    const nlohmann::json mine = to_json(), theirs = builtin ? builtin->to_json() : nlohmann::json::object();
    std::ostringstream os;
    os << "| key | type | default | range / values | unit | source | meaning |\n"
       << "|---|---|---|---|---|---|---|\n";
    for (const auto& d : m_reg->m_defs) {
        std::string type, range;
        switch (d.type) {
        case ptype::u64: type = "integer"; range = fmt_num(d.min) + " .. " + fmt_num(d.max); break;
        case ptype::f64: type = "number"; range = fmt_num(d.min) + " .. " + fmt_num(d.max); break;
        case ptype::boolean: type = "bool"; range = "true, false"; break;
        case ptype::choice:
            type = d.choices.empty() ? "text" : "choice";
            for (const auto& c : d.choices) range += (range.empty() ? "" : ", ") + c;
            break;
        }
        // Where the built-in scenario (no scenario file) departs from the
        // registry default, say so: both are "defaults" to a user.
        std::string help = d.help;
        if (builtin && d.key != "name" && mine.value(d.key, nlohmann::json()) != theirs.value(d.key, nlohmann::json())) {
            const nlohmann::json& v = theirs[d.key];
            help += " (the built-in scenario sets " + (v.is_string() ? v.get<std::string>() : v.dump()) + ")";
        }
        os << "| `" << d.key << "` | " << type << " | `" << d.def << "` | " << range << " | "
           << d.unit << " | " << d.source << " | " << help << " |\n";
    }
    os << "\n"
       << "Values with a unit. A key whose unit is a time, a size or a frequency also takes a number with a "
          "unit suffix, converted exactly into the key's unit; the result must be a whole number of that unit "
          "and within the range (docs/scenario.md, Units):\n\n"
       << "- time: " << unit_list(dimension::time) << " (`μs` too)\n"
       << "- size: " << unit_list(dimension::size) << " (KiB, MiB, GiB powers of two; KB, MB, GB powers of ten)\n"
       << "- frequency: " << unit_list(dimension::frequency) << "\n\n"
       << "Shorthand. `pcie.link: Gen<g>x<w>` (any case, e.g. `Gen4x8`) sets `pcie.gen` to `gen<g>` and "
          "`pcie.lanes` to `<w>`; a scenario file may not set it together with either. "
          "`class.<name>.link` (same form) and `class.<name>.link_latency_ns` give a device class its own "
          "link (docs/scenario.md, device classes).\n";
    return os.str();
}

} // namespace prisim::platform
