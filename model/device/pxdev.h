// SPDX-License-Identifier: Apache-2.0
//
// pxdev - the prisim test endpoint: a PCIe function with an address
// translation cache (ATC), a DMA engine running a demand-paged workload, and
// ATS, PRI and PASID extended capabilities. DESIGN.md §3 steps 1, 4 and 11.
//
// What it models:
//   - PCI configuration space: type-0 header (vendor/device ID, command,
//     BAR0) and the ATS (PXDEV_CFG_ATS), PRI (PXDEV_CFG_PRI) and PASID
//     (PXDEV_CFG_PASID) extended capabilities with their registers
//     (pcie-pri.md §5, §7.1); RO fields ignore writes, RF/UPRGI are RW1C;
//   - BAR0 (sw/include/prisim/hw/pxdev.h): ID, CTRL.START, STATUS, PAGES_DONE;
//   - a workload of `pages` pages from `iova_base`, cut into bursts of
//     `prg_pages` pages and worked on by `streams` concurrent streams; each
//     page is translated (ATC, else an ATS Translation Request), requested
//     through PRI when not present, and then written with a checkable pattern
//     by a Translated memory write; or a replayed trace (device/trace.h):
//     each access arrives at its time, a free stream translates its page
//     the same way, and a write access writes its bytes of the pattern (a
//     read is translated only); several such workloads at once
//     (device_params::more_workloads), each with its own streams, pages,
//     order, arrivals and PASIDs, on the one PRI engine, ATC and link;
//   - the ATC (atc.h): LRU, keyed by (PASID, untranslated range), NAPOT
//     (S = 1) ranges, Untranslated-only (U = 1) entries;
//   - the PRI engine, in RTL (rtl/prg_tracker, Verilated and clocked in
//     place by prg_engine.h): Outstanding Page Request Allocation as credits
//     (never exceeded), 9-bit PRG indexes, the matching of PRG Responses,
//     PRI Control.Enable and Status RF / UPRGI / Stopped; around it, in
//     C++: a group larger than the allocation is split, streams get credits
//     in the order they asked, the pages of each group (prg_table.h), and
//     PRG Response handling per code (pcie-pri.md §4.1: Success -> retry,
//     Invalid Request -> fail, Response Failure or a reserved code -> RF, PRI
//     stopped, later responses ignored), UPRGI on a response for no
//     outstanding group (§4.2); on Response Failure (or PRI Reset) the other
//     outstanding groups are given up at once, so each credit still comes
//     back exactly once;
//   - ATS invalidation: Invalidate Requests (address, S range, G, PASID)
//     remove ATC entries, in arrival order; the completion (ITag bit, CC = 1)
//     is sent only after every write in flight that used a removed
//     translation has completed, and a translation completion that raced
//     with the invalidation is discarded (DESIGN §7 item 5);
//   - its own protocol checks, kept as sentences in violations().
//
// Time (DESIGN §5, common/local_time.h): loosely timed. One SC_THREAD runs
// the device. Every stream is a state machine with the time its next step is
// due; the thread runs the earliest step (messages that have arrived first,
// then streams by index), at that time as its local time, and calls wait()
// only when nothing is due within the quantum, to block, or before it
// reports the workload done. A TLP goes up with the local offset as its
// b_transport delay; a non-posted request is in flight from the step that
// sends it to the step, at the time the target returned, that takes its
// completion. Downstream messages (PRG Response, Invalidate Request) are
// copied into a time-ordered inbox when the link hands them over and acted
// on at their arrival time. Targets never wait in b_transport, so requests
// of several streams are in flight together at any quantum.
//
// What it does not:
//   - Stop Markers other than at the end of the workload
//     (device_params::stop_markers), Execute/Privileged Mode requests,
//     multi-translation ATS requests, DMA reads (a traced read is a
//     translation only);
//   - PASID on its requests unless the PASID capability is enabled and the
//     workload has PASIDs (device_params::pasids: burst b uses PASID
//     1 + b % pasids; else device_params::pasid, if set). PRG indexes are per
//     function, unique across PASIDs; a PRG Response is matched by its
//     index and must carry the group's PASID (PRG Response PASID Required);
//   - Bus Master Enable gating, legacy capabilities, interrupts, SR-IOV;
//   - a response timeout unless device_params::prg_timeout is set: PCIe
//     defines none, so a PRG that is never answered keeps its stream waiting
//     (prgs_outstanding shows it). With it, a group unanswered that long is
//     given up and its pages translated again (prg_timeouts counts them);
//   - any time spent inside the device: only the link and the host cost time,
//     plus the per-stream think time between bursts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/fault_stages.h"
#include "common/local_time.h"
#include "common/ring.h"
#include "common/stats.h"
#include "device/atc.h"
#include "device/prg_engine.h"
#include "device/prg_table.h"
#include "device/trace.h"
#include "pcie/tlp.h"

namespace prisim::device {

// Configuration-space identity (not in prisim/hw/pxdev.h, which only has BAR0
// and the capability offsets).
// 0x1234 is the placeholder vendor ID conventionally used by emulated test
// devices; the device ID spells "px".
constexpr uint16_t PXDEV_VENDOR_ID = 0x1234;
constexpr uint16_t PXDEV_DEVICE_ID = 0x7078;

// One workload of a device: what its streams do. device_params holds the
// device's first; device_params::more_workloads any others, which run
// alongside it on the same PRI engine, ATC and link.
struct workload_params {
    std::string name;                  // with several: results dev.<rid>.workload.<name>.*
    unsigned streams = 4;              // DMA streams working concurrently (faults in flight)
    uint64_t iova_base = 0x10000000;   // workload IOVA range start (page aligned)
    uint64_t pages = 256;              // pages the workload touches, each once (one pass)
    unsigned prg_pages = 1;            // pages per Page Request Group (a burst)
    unsigned bytes_per_page = 256;     // pattern bytes written at the start of each page (<= 4096)
    sc_core::sc_time think_time{50, sc_core::SC_NS}; // per stream, between bursts
    unsigned max_prg_attempts = 64;    // per burst; beyond that the burst fails (counted)
    // Without `pasids`: the one PASID of the workload (a trace's), used
    // when it is not 0 or pasid_valid is set.
    uint32_t pasid = 0;
    bool pasid_valid = false;
    // PASIDs of the generated workload: 0 = none; N > 0: burst b uses PASID
    // 1 + b % N (its translation requests, page requests and writes carry it
    // while the PASID capability is enabled).
    unsigned pasids = 0;
    // Workload arrivals: closed loop (a stream takes the next burst when it
    // is done, after think_time) or open loop (bursts arrive at the device
    // as a Poisson process with this mean gap; a stream takes the oldest
    // that has arrived).
    bool poisson = false;
    sc_core::sc_time arrival_gap{1, sc_core::SC_US};
    // Percent of the generated bursts that are reads (drawn per burst): a
    // read translates its pages, faulting them in as a write does, but
    // writes nothing (reads are not modelled as DMA, as a traced read).
    unsigned read_percent = 0;
    // The order the generated workload touches its pages in (each once):
    // page k in access order k (sequential), the pages k mod stride = 0
    // first, then 1, ... (strided, stride_pages apart), or a pseudo-random
    // permutation of them keyed by seed and the RID (random).
    enum class access_pattern : uint8_t { sequential, strided, random };
    access_pattern pattern = access_pattern::sequential;
    uint64_t stride_pages = 16;
    // Re-touches: a burst takes the next pages of the order (first touch)
    // with this probability, else the pages of a burst taken before, drawn
    // uniformly; the workload ends once every page was touched. 1: each
    // page once, and no draw.
    double fault_probability = 1.0;
    sc_core::sc_time start_jitter = sc_core::SC_ZERO_TIME; // each stream starts at U[0, jitter) after START
    // Trace replay: when set, the workload is these accesses instead of
    // `pages` pages from `iova_base` (pages, prg_pages, bytes_per_page,
    // think_time, poisson and arrival_gap are not used); access i arrives at
    // START + time_ps and is one burst of one page.
    std::shared_ptr<const trace> replay;
};

struct device_params : workload_params {
    uint16_t rid = 0;                  // requester ID (bus/dev/fn)
    uint32_t pri_capacity = 64;        // Outstanding Page Request Capacity (RO)
    unsigned atc_entries = 32;         // LRU (at least 1)
    // PRG Response timeout: a group unanswered this long after it was sent
    // is given up (credits and PRG index back) and its pages are translated
    // again, as after Success. Zero: none (PCIe defines none).
    sc_core::sc_time prg_timeout = sc_core::SC_ZERO_TIME;
    unsigned invalidate_queue_depth = 0; // ATS cap field (0 encodes 32)
    // Capabilities (pcie-pri.md §1). ats = false: no ATS capability; every
    // access is an Untranslated request that the IOMMU translates, reads
    // included (they are DMA then). pri = false: no PRI capability; a page
    // that is not present fails, so software maps (pins) the workload's
    // pages before START, as BAR0's PXDEV_RANGE_* list them. PRI needs
    // ATS: pri without ats is refused (the device drops its PRI, warned).
    bool ats = true, pri = true;
    // The Verilator context of the PRI engine's block, shared by the
    // devices of a platform (host memory); null: the device's own.
    std::shared_ptr<prg_rtl_context> rtl_context;
    unsigned pasid_width = 20;         // the PASID capability's Max PASID Width
    // Stop Markers (pcie-pri.md §3): once no workload of the device can use
    // a PASID any more, the device says so with one Stop Marker for it (a
    // Page Request with L = 1, R = W = 0, no credit, no response), in PASID
    // order, at the end of the workload that used it last. Only with the
    // PASID capability enabled, and only while PRI can be used (held
    // otherwise, and counted).
    bool stop_markers = false;
    sc_core::sc_time warmup_end = sc_core::SC_ZERO_TIME;    // faults that miss before this are not sampled
    uint64_t seed = 1;                                       // of the arrival and start draws
    sc_core::sc_time quantum = sc_core::SC_ZERO_TIME; // temporal decoupling; 0 = fully synchronised
    // The device's further workloads (streams numbered after the first's).
    std::vector<workload_params> more_workloads;
};

class pxdev : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<pxdev> up;  // TLPs to the link
    tlm_utils::simple_target_socket<pxdev> down;   // messages from the link
    tlm_utils::simple_target_socket<pxdev> bar;    // BAR0, gp address = offset

    SC_HAS_PROCESS(pxdev);
    pxdev(sc_core::sc_module_name name, const device_params& p);

    const device_params& params() const { return m_p; }

    // PCI configuration space (4 KiB). Sizes 1, 2, 4, naturally aligned;
    // anything else reads all ones / is ignored, with a warning.
    uint32_t cfg_read(unsigned off, unsigned size);
    void cfg_write(unsigned off, unsigned size, uint32_t val);

    // The checkable pattern (DESIGN §7 item 4) of workload page `page_index`
    // (IOVA = iova_base + page_index * 4096), 8 bytes at a time: word
    // `word_index` is bytes 8 * word_index .. 8 * word_index + 7, little-endian.
    static uint64_t pattern_word(uint16_t rid, uint64_t page_index, unsigned word_index);
    // The page the k-th access of a generated workload touches (each page
    // once: device_params::pattern); a bijection on [0, p.pages).
    // The random order is keyed by `seed` and `rid` (the device's, for its
    // first workload).
    static uint64_t page_of(const workload_params& p, uint64_t seed, uint16_t rid, uint64_t k);
    static uint64_t page_of(const device_params& p, uint64_t k) { return page_of(p, p.seed, p.rid, k); }
    // Its inverse: the access that touches workload page `page`.
    static uint64_t access_of(const workload_params& p, uint64_t seed, uint16_t rid, uint64_t page);
    static uint64_t access_of(const device_params& p, uint64_t page) { return access_of(p, p.seed, p.rid, page); }
    // The first `len` bytes of the page's pattern (len need not be a
    // multiple of 8), as the device writes them.
    static void pattern_fill(uint16_t rid, uint64_t page_index, uint8_t* out, unsigned len);
    // The page_index of page `index` of workload `w` (the first's: index).
    static uint64_t pattern_page(size_t w, uint64_t index) { return (uint64_t(w) << 40) | index; }
    // One byte of it (for checks that look at a single byte).
    // The first byte of `p` (len bytes) that differs from that pattern, or -1.
    static long pattern_mismatch(uint16_t rid, uint64_t page_index, const uint8_t* p, unsigned len);
    static uint8_t pattern_byte(uint16_t rid, uint64_t page_index, unsigned offset);
    // Bytes offset .. offset + len - 1 of the page's pattern (a traced
    // write: page_index is its IOVA / 4096), and the first of them that
    // differs in `p`, or -1.
    static void pattern_fill_at(uint16_t rid, uint64_t page_index, unsigned offset, uint8_t* out, unsigned len);
    static long pattern_mismatch_at(uint16_t rid, uint64_t page_index, unsigned offset, const uint8_t* p,
                                    unsigned len);

    bool done() const { return m_done; } // workload finished (all bursts completed or failed)
    // The device's active time: from START to the end of its workload (to
    // now while it runs; zero if it never started one).
    sc_core::sc_time active_time() const;
    // Stop the workload where it stands: no burst is taken and no request
    // issued from now on; what is in flight completes (PRG Responses still
    // return their credits). For the end of a run that did not quiesce, so
    // that a livelocked workload does not keep the shutdown phase busy.
    void halt() { m_halted = true; }
    sc_core::sc_event& done_event() { return m_done_ev; }

    struct counters {
        uint64_t bursts_done = 0, bursts_failed = 0, pages_done = 0, pages_failed = 0;
        uint64_t pages_read = 0; // of pages_done, reads (translated, no DMA)
        uint64_t bursts_out_of_attempts = 0; // failed at device.max_prg_attempts
        uint64_t bursts_retouched = 0;       // bursts that touched a taken burst's pages again (fault_probability)
        uint64_t faults = 0; // pages that missed and were faulted in (the warm-up's too)
        uint64_t ats_requests = 0, ats_not_present = 0, ats_errors = 0;
        uint64_t page_requests = 0, prgs_sent = 0;          // Page Request messages, Stop Markers included; PRGs sent (their L = 1 requests)
        uint64_t stop_markers_sent = 0, stop_markers_held = 0; // device_params::stop_markers; held: PRI could not be used
        uint64_t prgr_success = 0, prgr_invalid = 0, prgr_failure = 0; // by code (reserved codes count as failure)
        uint64_t prgr_from_iommu_auto = 0, prgr_from_software = 0;    // by tlp_ext.from, of the responses counted by code
        uint64_t prgr_unexpected = 0;      // UPRGI events (response for no outstanding PRG)
        uint64_t prgr_unexpected_from_software = 0; // of those, sent by software (tlp_ext.from)
        uint64_t prgr_ignored_rf = 0;      // responses ignored because PRI is stopped by Response Failure
        uint64_t prg_retries = 0;          // PRGs sent again after a Success that did not make the page resident
        uint64_t credit_stalls = 0;        // times a stream waited for credits or a free PRG index
        uint32_t credits_outstanding = 0, credits_max = 0, allocation = 0;
        uint64_t prgs_outstanding = 0;     // at the time of the call
        bool pri_response_failure = false; // PRI Status.RF set
        uint64_t dma_writes = 0, dma_errors = 0, atc_hits = 0, atc_misses = 0, invalidations = 0;
        uint64_t dma_bytes = 0;            // bytes of the memory writes that completed successfully
        uint64_t dma_reads = 0;            // Untranslated memory reads (only a device without ATS reads by DMA)
        // Beyond the platform's list:
        uint64_t prgs_abandoned = 0;       // outstanding PRGs dropped by Response Failure or PRI Reset (credits returned)
        uint64_t prg_timeouts = 0;         // PRGs given up after device_params::prg_timeout (credits returned)
        uint64_t inval_completions = 0;    // Invalidate Completions sent
        uint64_t atc_evictions = 0;        // LRU replacements
        uint64_t translations_discarded = 0; // completions that raced with an invalidation of their range
        uint64_t malformed_messages = 0;   // downstream TLPs the device could not use
    };
    const counters& get_counters() const { return m_c; }
    // Its PRI engine's RTL (host.json): cycles clocked (edges), host ticks.
    uint64_t rtl_cycles() const { return m_pri.edges(); }
    uint64_t rtl_host_ticks() const { return m_pri.host_ticks(); }
    // Its workloads: the first (params()'s), then params().more_workloads,
    // as run (normalised: a traced one has pages = its accesses).
    size_t workloads() const { return m_w.size(); }
    const workload_params& workload(size_t w) const { return m_w[w].p; }
    // A workload's streams' counts, summed.
    struct workload_counts {
        uint64_t faults = 0, pages_done = 0, dma_bytes = 0, credit_stalls = 0;
    };
    workload_counts counts_of(size_t w) const;
    // True once the DMA of page `index` of workload `w` completed, and no
    // read faulted it in again since (scoreboard item 4 checks exactly these
    // pages); with a trace, once access `index` did.
    bool page_written(uint64_t index, size_t w = 0) const
    {
        const std::vector<bool>& pw = m_w[w].page_written;
        return index < pw.size() && pw[index];
    }
    // ps, per faulting page: first ATC miss -> the translation that succeeded after PRI.
    const prisim::sample_set& fault_latency() const { return m_fault_latency; }
    // Stamp each group's stages in `st` as device number `index` (the
    // platform's order; common/fault_stages.h). Elaboration only.
    void set_fault_stages(prisim::fault_stages* st, unsigned index)
    {
        m_stages = st;
        m_stage_index = index;
    }
    // Protocol invariant breaches the device itself observed, as sentences naming the device.
    const std::vector<std::string>& violations() const { return m_violations; }
    // The first PRG Response for no outstanding PRG (UPRGI), as a sentence,
    // or empty. Not a violation of the device's own: the host sent it, and
    // whether a rule explains it is the scoreboard's call (invariant 1).
    const std::string& first_uprgi() const { return m_first_uprgi; }
    // Every counter as <p>.<name>, latency as <p>.fault_latency (ps); each
    // stream's as <p>.stream.<i>.{faults,pages_done,dma_bytes,credit_stalls}
    // and the value <p>.stream.<i>.dma_bytes_per_us over active_time().
    void report(prisim::stat_sink& sink, const std::string& prefix) const;

    // PASID of page `index` of workload `w` (workload_params::pasids: that
    // of the burst whose access touches it, whatever the pattern), valid if pv.
    uint32_t page_pasid(uint64_t index, bool& pv, size_t w = 0) const;
    // Per PASID 1 .. pasids (index pasid - 1): pages written, faults, PRGs sent.
    struct pasid_counters {
        uint64_t pages_done = 0, faults = 0, prgs_sent = 0;
    };
    const std::vector<pasid_counters>& get_pasid_counters() const { return m_pasid_c; }

    // Test and debug view of the ATC: is `iova` translated for `pasid` (or
    // for requests without PASID when pv is false)?
    bool atc_contains(uint64_t iova, bool pv = false, uint32_t pasid = 0) const;

private:
    // ---- workload (pxdev_stream.cpp) ----
    enum class page_state : uint8_t {
        pending,   // to translate
        absent,    // translated "not present": goes through PRI
        requested, // in a PRG waiting for its response
        resident,  // translation present: to write
        written,
        failed,
    };
    struct page {
        uint64_t index = 0, iova = 0;
        sc_core::sc_time miss_time; // first ATC miss (valid when missed)
        uint16_t prgi = 0;          // its PRG while requested
        page_state st = page_state::pending;
        bool missed = false;   // first ATC miss seen
        bool faulted = false;  // a Page Request was sent for it
        bool sampled = false;  // its fault latency is recorded
        bool reask = false;    // its last translation raced with an invalidation: ask again, no ATC lookup
        bool write = true;     // a write (every generated page; a traced access may be a read)
        uint16_t off = 0, len = 0; // traced: the bytes accessed in the page
    };
    // What a stream does next (pxdev_stream.cpp has the transitions).
    enum class step : uint8_t {
        idle,             // between bursts: takes the next one when the run has one left
        translate,        // translation pass over the pending pages
        translated,       // a Translation Completion of the translation pass is back
        request,          // sending PRGs for the absent pages
        credit_wait,      // queued for credits or a PRG index (blocked)
        response_wait,    // waiting for the PRG Responses of its groups (blocked)
        write,            // write pass over the resident pages
        write_translated, // a Translation Completion of the write pass is back
        written,          // a write completion is back
    };
    enum class op_kind : uint8_t { none, translation, write };
    // A TLP owned by the device and reused: one per stream (its non-posted
    // requests) and one for the messages the process sends.
    struct tlp_buf {
        tlm::tlm_generic_payload gp;
        pcie::tlp_ext ext;
        std::vector<unsigned char> data;
        tlp_buf() { gp.set_extension(&ext); }
        ~tlp_buf() { gp.clear_extension(&ext); } // a member, not the payload's to delete
    };
    struct stream {
        uint16_t id = 0;
        step st = step::idle;
        bool pv = false;         // the burst's requests carry `pasid`
        uint32_t pasid = 0;
        sc_core::sc_time due;    // when the step is due (runnable steps)
        page* pages = nullptr;   // min(prg_pages, pages) entries, owned by m_pages
        unsigned npages = 0, cursor = 0, rounds = 0, groups_out = 0;
        bool retry = false;      // the PRGs of this round are retries
        bool again = false;      // the write pass sent a page back to translation
        uint16_t w = 0;          // its workload (m_w)
        uint64_t first_touch = ~uint64_t(0); // the first-touch burst it works on (~0: none, or a re-touch)
        int next_waiter = -1;    // credit queue link
        tlp_buf* tlp = nullptr;
        // The non-posted request in flight, for invalidation.
        op_kind op = op_kind::none;
        bool op_pv = false, op_stale = false;
        uint32_t op_pasid = 0;
        uint64_t op_iova = 0;
        // Its completion (valid once back).
        bool back = false;
        bool cpl_ok = false;
        uint64_t cpl = 0;
        // A translation the write pass got for the page at cursor.
        bool have_xlate = false;
        atc::entry xlate;
        // Its statistics (report(): <p>.stream.<id>.*).
        uint64_t faults = 0, pages_done = 0, dma_bytes = 0, credit_stalls = 0;
    };

    // A workload as it runs (m_w; its streams are m_streams[first_stream ..
    // first_stream + p.streams - 1]).
    struct workload_run {
        workload_params p;                 // normalised
        const device::trace* tr = nullptr; // p.replay (sc_object has a member named trace)
        unsigned first_stream = 0;
        uint64_t order_seed = 0; // of its random access order (the device's seed for the first)
        // First-touch bursts: how many, the next; bursts taken (re-touches
        // too) and finished.
        uint64_t nbursts = 0, next_burst = 0, bursts_taken = 0, bursts_finished = 0;
        bool running = false;
        // Open loop: when burst next_burst arrives.
        sc_core::sc_time next_arrival;
        bool open_loop = false; // poisson or traced: bursts wait for next_arrival
        // Inter-arrival gaps seen (Welford), for the statistics.
        uint64_t gaps = 0;
        double gap_mean = 0, gap_m2 = 0;
        std::vector<bool> page_written; // per page, this run
        uint64_t bursts_retouched = 0;
        bool traced() const { return tr != nullptr; }
        // Can a burst of it (still to come) carry `pasid`?
        bool may_use(uint32_t pasid) const;
    };
    workload_run& wl(const stream& s) { return m_w[s.w]; }
    const workload_run& wl(const stream& s) const { return m_w[s.w]; }
    // PASID of burst b of workload w (1 + b % pasids), valid if pv.
    static uint32_t burst_pasid(const workload_run& w, uint64_t burst, bool& pv);
    void main_thread();
    void stream_step(stream& s);
    bool runnable(const stream& s, sc_core::sc_time& at) const;
    void make_ready(stream& s);
    bool take_burst(stream& s);
    uint64_t retouch_burst(workload_run& w);
    void workload_done(workload_run& w);
    sc_core::sc_time next_gap(workload_run& w);
    bool translate_pass(stream& s);
    bool write_pass(stream& s);
    void finish_burst(stream& s);
    void start_workload(const sc_core::sc_time& at);

    enum class xlate { present, not_present, error, again };
    const atc::entry* atc_lookup(const stream& s, page& pg);
    bool send_translation_request(stream& s, page& pg, step then);
    void send_write(stream& s, page& pg, const atc::entry& e);
    void send_untranslated(stream& s, page& pg);
    tlm::tlm_generic_payload& data_tlp(stream& s, const page& pg, unsigned& off);
    void dispatch(stream& s);
    void take_completion(stream& s);
    void after_request(stream& s, const sc_core::sc_time& delay);
    void on_completion(stream& s);
    xlate take_translation(stream& s, page& pg, const atc::entry** out);

    // A TLP of `kind`, with the PASID prefix of `s` (none: no stream's).
    tlm::tlm_generic_payload& new_tlp(tlp_buf& t, pcie::tlp_kind kind, const stream* s = nullptr);
    // ... with this PASID prefix (if pv and the PASID capability is enabled).
    tlm::tlm_generic_payload& new_tlp(tlp_buf& t, pcie::tlp_kind kind, bool pv, uint32_t pasid);
    void send_message(pcie::tlp_kind kind, uint64_t payload, uint8_t itag = 0, const stream* s = nullptr);
    void post_message(uint64_t payload); // m_msg, made by new_tlp: send it up
    // device_params::stop_markers: note a PASID the workload uses; at its
    // end, one Stop Marker per PASID noted.
    void note_pasid(const stream& s);
    void send_stop_markers();
    sc_core::sc_time offset() const { return m_now - prisim::sim_now(); }
    void sync(); // wait until simulated time reaches the local time

    // ---- PRI (pxdev_pri.cpp) ----
    bool pri_usable() const; // the block's Enable and not stopped by Response Failure
    uint32_t pri_limit() const;
    void pri_counters();
    bool pri_request(stream& s);
    void pri_grant();
    void send_group(stream& s, unsigned n, unsigned prgi);
    unsigned absent_pages(const stream& s) const;
    void fail_absent(stream& s);
    // stamps: the group's (fault_stages::find), copied to its pages with
    // the response's arrival at resp_ps, when m_stages is set.
    void answer_group(prg_table::group& g, bool success, const prisim::group_stamps* stamps = nullptr,
                      uint64_t resp_ps = 0);
    void release_group(unsigned prgi);
    void abandon_outstanding(const char* why);

    // ---- downstream messages: the inbox (pxdev.cpp), invalidation (pxdev_inval.cpp) ----
    struct down_msg {
        sc_core::sc_time arrival;
        uint64_t payload = 0;
        uint32_t pasid = 0;
        pcie::tlp_kind kind = pcie::tlp_kind::prg_response;
        pcie::origin from = pcie::origin::software;
        uint8_t itag = 0;
        bool pv = false;
    };
    struct inval_req {
        uint64_t payload = 0, base = 0, size = 0;
        uint32_t pasid = 0;
        uint8_t itag = 0;
        bool pv = false, all = false, started = false;
    };
    void handle_arrivals();
    void drain_inbox(const sc_core::sc_time& until);
    void on_prg_response(const down_msg& m);
    void on_inval_request(const down_msg& m);
    void inval_progress();
    unsigned inval_queue_depth() const { return m_p.invalidate_queue_depth ? m_p.invalidate_queue_depth : 32; }

    void down_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

    // ---- config space and BAR0 (pxdev_cfg.cpp) ----
    void bar_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    uint32_t bar_read32(unsigned off) const;
    void bar_write32(unsigned off, uint32_t val, const sc_core::sc_time& delay);
    uint32_t cfg_read32(unsigned off) const;
    bool cfg_absent(unsigned off) const;
    void cfg_write32(unsigned off, uint32_t val, uint32_t byte_mask);
    void write_ats_ctrl(uint16_t v);
    void write_pri_ctrl(bool ctrl_we, uint16_t ctrl, bool status_we, uint16_t w1c);

    void violation(const std::string& what);
    std::string who() const; // "device 00:00.1 (top.dev0)"
    void wake(const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) { m_wake_ev.notify(delay); }

    device_params m_p;
    std::vector<workload_run> m_w; // m_p's workload, then m_p.more_workloads
    counters m_c;
    std::vector<pasid_counters> m_pasid_c; // the most pasids of a workload entries
    std::vector<uint32_t> m_pasids_used;   // sorted (device_params::stop_markers only)
    pasid_counters* pasid_c(const stream& s)
    {
        return s.pv && m_w[s.w].p.pasids && s.pasid >= 1 && s.pasid <= m_pasid_c.size() ? &m_pasid_c[s.pasid - 1]
                                                                                          : nullptr;
    }
    prisim::sample_set m_fault_latency;
    prisim::fault_stages* m_stages = nullptr; // per-stage latencies (null: not kept)
    unsigned m_stage_index = 0;
    std::vector<std::string> m_violations;
    std::string m_first_uprgi;

    // config space state
    uint16_t m_command = 0;
    uint32_t m_bar0 = 0;
    bool m_ats_enable = false;
    uint32_t m_range_sel = 0; // BAR0 PXDEV_RANGE_SEL
    uint8_t m_stu = 0;
    uint32_t m_pri_alloc = 0; // PRI Enable, RF, UPRGI, Stopped: m_pri's
    bool m_pasid_enable = false;

    // BAR0 and run state
    uint32_t m_ctrl = 0;
    bool m_running = false, m_done = false, m_error = false, m_halted = false;
    uint32_t m_run_pages_done = 0;
    sc_core::sc_time m_run_start, m_run_end;
    bool m_started = false; // a workload with bursts was started
    // The draws of this device (all its workloads').
    uint64_t m_rng[4] = {};
    uint64_t next_random();
    double unit_random() { return (double(next_random() >> 11) + 0.5) / 9007199254740992.0; } // (0, 1)
    sc_core::sc_event m_done_ev;

    // the process
    prisim::local_time m_lt;  // quantum; offset of the step being run
    sc_core::sc_time m_now;   // local time of the step being run (never goes back)
    sc_core::sc_event m_wake_ev; // something for the process: a message, START, a config write
    std::vector<stream> m_streams;
    std::vector<page> m_pages; // per stream min(prg_pages, pages) of its workload
    // Per page (same index), the stamps of its last answered group (kept
    // apart: a page is reset for every burst, its stamps need not be).
    std::vector<prisim::group_stamps> m_page_stamps;
    prisim::group_stamps& stamps_of(const page& pg) { return m_page_stamps[size_t(&pg - m_pages.data())]; }
    int m_wait_head = -1, m_wait_tail = -1; // credit queue (streams, in the order they asked)

    // upstream TLPs
    std::unique_ptr<tlp_buf[]> m_tlps; // one per stream, then the messages'
    tlp_buf* m_msg = nullptr;
    // The data of the write being sent, shared by the streams: a target
    // takes it during b_transport (loosely timed), and the device's one
    // process sends one request at a time; so host memory per stream does
    // not grow with device.bytes_per_page.
    std::vector<unsigned char> m_wdata;

    // PRI engine: the block (credits, PRG indices, responses, Enable, RF,
    // UPRGI, Stopped) and the records of its outstanding groups
    prg_engine m_pri;
    prg_table m_prg;
    // PRG Response timeouts (device_params::prg_timeout): the groups in the
    // order they were sent, which is their deadlines' order. An entry whose
    // group was answered meanwhile is stale (its index is free or has another
    // serial) and is skipped.
    struct prg_deadline {
        sc_core::sc_time at;
        uint64_t serial = 0;
        uint16_t prgi = 0;
    };
    prisim::ring<prg_deadline> m_deadlines{16};
    uint64_t m_prg_serial = 0;
    bool next_deadline(sc_core::sc_time& at);
    bool deadline_stale(const prg_deadline& d) const;
    void prg_timed_out();
    // The process waits for the earliest deadline through this event, not
    // with a timeout beside m_wake_ev: a timeout cut short by a message stays
    // in the kernel's queue of timed events until its time, and deadlines
    // lie a whole response timeout ahead (a retry storm would pile up one
    // per message). Notified at the earliest deadline (a later notification
    // is ignored while one is pending); deadline_timer() wakes the process.
    sc_core::sc_event m_deadline_ev;
    void deadline_timer() { wake(); }

    // ATC
    atc m_atc;

    // downstream messages, by arrival time; Invalidate Requests being worked on, in order
    prisim::ring<down_msg> m_inbox{4};
    prisim::ring<inval_req> m_inval_q{4};
};

} // namespace prisim::device
