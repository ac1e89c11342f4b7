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
//     by a Translated memory write;
//   - the ATC: fully associative, LRU, keyed by (PASID, untranslated range),
//     NAPOT (S = 1) ranges, Untranslated-only (U = 1) entries;
//   - the PRI engine: Outstanding Page Request Allocation as credits (never
//     exceeded; a group larger than the allocation is split), 9-bit PRG
//     indexes (at most 512 groups in flight), PRG Response handling per code
//     (pcie-pri.md §4.1: Success -> retry, Invalid Request -> fail, Response
//     Failure or a reserved code -> RF, PRI stopped, later responses ignored),
//     UPRGI on a response for no outstanding group (§4.2); on Response
//     Failure (or PRI Reset) the other outstanding groups are given up at
//     once, so each credit still comes back exactly once;
//   - ATS invalidation: Invalidate Requests (address, S range, G, PASID)
//     remove ATC entries; the completion (ITag bit, CC = 1) is sent only after
//     every in-flight write that used a removed translation has completed, and
//     a translation completion that raced with the invalidation is discarded
//     (DESIGN §7 item 5);
//   - its own protocol checks, kept as sentences in violations().
//
// What it does not:
//   - Stop Markers (the workload never gives up a PASID), Execute/Privileged
//     Mode requests, multi-translation ATS requests, reads;
//   - PASID on its requests unless the PASID capability is enabled (the
//     workload then uses device_params::pasid);
//   - Bus Master Enable gating, legacy capabilities, interrupts, SR-IOV;
//   - a response timeout: PCIe defines none, so a PRG that is never answered
//     keeps its stream waiting (prgs_outstanding shows it);
//   - any time spent inside the device: only the link and the host cost time,
//     plus the per-stream think time between bursts.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <list>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/stats.h"
#include "pcie/tlp.h"

namespace prisim::device {

// Configuration-space identity (not in prisim/hw/pxdev.h, which only has BAR0
// and the capability offsets).
// 0x1234 is the placeholder vendor ID conventionally used by emulated test
// devices; the device ID spells "px".
constexpr uint16_t PXDEV_VENDOR_ID = 0x1234;
constexpr uint16_t PXDEV_DEVICE_ID = 0x7078;

struct device_params {
    uint16_t rid = 0;                  // requester ID (bus/dev/fn)
    uint32_t pri_capacity = 64;        // Outstanding Page Request Capacity (RO)
    unsigned atc_entries = 32;         // fully associative, LRU (at least 1)
    unsigned streams = 4;              // DMA streams working concurrently (faults in flight)
    uint64_t iova_base = 0x10000000;   // workload IOVA range start (page aligned)
    uint64_t pages = 256;              // pages the workload touches, each once (one pass)
    unsigned prg_pages = 1;            // pages per Page Request Group (a burst)
    unsigned bytes_per_page = 256;     // pattern bytes written at the start of each page (<= 4096)
    sc_core::sc_time think_time{50, sc_core::SC_NS}; // per stream, between bursts
    unsigned max_prg_attempts = 64;    // per burst; beyond that the burst fails (counted)
    unsigned invalidate_queue_depth = 0; // ATS cap field (0 encodes 32)
    uint32_t pasid = 0;                // PASID the workload uses when the PASID capability is enabled
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

    // The checkable pattern (DESIGN §7 item 4): byte at `offset` of workload
    // page `page_index` (IOVA = iova_base + page_index * 4096).
    static uint8_t pattern_byte(uint16_t rid, uint64_t page_index, unsigned offset);

    bool done() const { return m_done; } // workload finished (all bursts completed or failed)
    sc_core::sc_event& done_event() { return m_done_ev; }

    struct counters {
        uint64_t bursts_done = 0, bursts_failed = 0, pages_done = 0, pages_failed = 0;
        uint64_t ats_requests = 0, ats_not_present = 0, ats_errors = 0;
        uint64_t page_requests = 0, prgs_sent = 0;          // PRGs = L=1 requests (no Stop Markers are sent here)
        uint64_t prgr_success = 0, prgr_invalid = 0, prgr_failure = 0; // by code (reserved codes count as failure)
        uint64_t prgr_from_iommu_auto = 0, prgr_from_software = 0;    // by tlp_ext.from, of the responses counted by code
        uint64_t prgr_unexpected = 0;      // UPRGI events (response for no outstanding PRG)
        uint64_t prgr_ignored_rf = 0;      // responses ignored because PRI is stopped by Response Failure
        uint64_t prg_retries = 0;          // PRGs sent again after a Success that did not make the page resident
        uint64_t credit_stalls = 0;        // times a stream waited for credits or a free PRG index
        uint32_t credits_outstanding = 0, credits_max = 0, allocation = 0;
        uint64_t prgs_outstanding = 0;     // at the time of the call
        bool pri_response_failure = false; // PRI Status.RF set
        uint64_t dma_writes = 0, dma_errors = 0, atc_hits = 0, atc_misses = 0, invalidations = 0;
        // Beyond the platform's list:
        uint64_t prgs_abandoned = 0;       // outstanding PRGs dropped by Response Failure or PRI Reset (credits returned)
        uint64_t inval_completions = 0;    // Invalidate Completions sent
        uint64_t atc_evictions = 0;        // LRU replacements
        uint64_t translations_discarded = 0; // completions that raced with an invalidation of their range
        uint64_t malformed_messages = 0;   // downstream TLPs the device could not use
    };
    const counters& get_counters() const { return m_c; }
    // True once the DMA of workload page `index` completed (scoreboard item 4
    // checks exactly these pages).
    bool page_written(uint64_t index) const
    {
        return index < m_page_written.size() && m_page_written[index];
    }
    // ps, per faulting page: first ATC miss -> the translation that succeeded after PRI.
    const prisim::sample_set& fault_latency() const { return m_fault_latency; }
    // Protocol invariant breaches the device itself observed, as sentences naming the device.
    const std::vector<std::string>& violations() const { return m_violations; }
    // Every counter as <p>.<name>, latency as <p>.fault_latency (ps).
    void report(prisim::stat_sink& sink, const std::string& prefix) const;

    // Test and debug view of the ATC: is `iova` translated for `pasid` (or
    // for requests without PASID when pv is false)?
    bool atc_contains(uint64_t iova, bool pv = false, uint32_t pasid = 0) const;

private:
    // ---- workload ----
    enum class page_state : uint8_t { pending, resident, written, failed };
    struct page {
        uint64_t index = 0, iova = 0;
        page_state st = page_state::pending;
        bool missed = false;   // first ATC miss seen (miss_time valid)
        bool faulted = false;  // a Page Request was sent for it
        bool sampled = false;  // its fault latency is recorded
        sc_core::sc_time miss_time;
    };
    enum class xlate { present, not_present, error };
    struct atc_entry {
        bool pv = false;
        uint32_t pasid = 0;
        uint64_t iova = 0, size = 0, pa = 0;
        bool untranslated_only = false;
        uint64_t lru = 0;
    };
    struct prg_ticket {
        bool answered = false;
        bool abandoned = false;
        unsigned code = 0;
        std::vector<size_t> pages; // indexes into the burst's page vector
    };
    struct prg_slot {
        bool busy = false;
        bool pv = false;      // its requests carried a PASID
        uint32_t pasid = 0;
        uint32_t credits = 0;
        prg_ticket* ticket = nullptr;
    };
    struct range_use { // a translation request or a write in flight
        bool pv;
        uint32_t pasid;
        uint64_t iova;
        bool stale;
    };
    struct inval_req {
        uint8_t itag;
        bool pv;
        uint32_t pasid;
        uint64_t payload;
    };

    void stream_main(unsigned id);
    bool run_burst(uint64_t b);
    void start_workload();
    void finish_burst(bool ok, uint64_t pages_ok, uint64_t pages_bad);

    xlate translate(page& pg, const atc_entry** out);
    bool dma_write(page& pg, const atc_entry& e);
    void request_pages(std::vector<page>& pgs, const std::vector<size_t>& np, bool retry);
    void apply_response(std::vector<page>& pgs, const prg_ticket& t);

    // ATC
    const atc_entry* atc_lookup(bool pv, uint32_t pasid, uint64_t iova);
    const atc_entry* atc_insert(const atc_entry& e);
    unsigned atc_invalidate(bool all_pasids, bool pv, uint32_t pasid, uint64_t base, uint64_t size);
    static bool in_range(uint64_t a, uint64_t base, uint64_t size)
    {
        return size == 0 || (a >= base && a - base < size);
    }

    // PRI
    bool pri_usable() const { return m_pri_enable && !m_pri_stopped_rf; }
    uint32_t pri_limit() const;
    int find_free_prgi() const;
    void send_page_request(uint64_t addr, unsigned prgi, bool last);
    void on_prg_response(const pcie::tlp_ext& ext, uint64_t payload);
    void abandon_outstanding(const char* why);
    void release_slot(unsigned prgi);

    // Invalidation
    void on_inval_request(const pcie::tlp_ext& ext, uint64_t payload);
    void inval_main();
    unsigned inval_queue_depth() const { return m_p.invalidate_queue_depth ? m_p.invalidate_queue_depth : 32; }

    // Sockets
    void down_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    void bar_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    uint32_t bar_read32(unsigned off) const;
    void bar_write32(unsigned off, uint32_t val);

    // Config space
    uint32_t cfg_read32(unsigned off) const;
    void cfg_write32(unsigned off, uint32_t val, uint32_t byte_mask);
    void write_ats_ctrl(uint16_t v);
    void write_pri_ctrl(uint16_t v);

    void fill_ext(pcie::tlp_ext& ext, pcie::tlp_kind kind) const;
    void violation(const std::string& what);
    void notify_all();

    device_params m_p;
    counters m_c;
    prisim::sample_set m_fault_latency;
    std::vector<std::string> m_violations;

    // config space state
    uint16_t m_command = 0;
    uint32_t m_bar0 = 0;
    bool m_ats_enable = false;
    uint8_t m_stu = 0;
    bool m_pri_enable = false;
    bool m_pri_rf = false, m_pri_uprgi = false; // PRI Status bits
    bool m_pri_stopped_rf = false;              // PRI stopped by Response Failure until re-enabled or reset
    uint32_t m_pri_alloc = 0;
    bool m_pasid_enable = false;

    // BAR0 and run state
    uint32_t m_ctrl = 0;
    bool m_running = false, m_done = false, m_error = false;
    uint32_t m_run_pages_done = 0;
    uint64_t m_nbursts = 0, m_next_burst = 0, m_bursts_finished = 0;
    sc_core::sc_event m_run_ev, m_done_ev;

    // PRI engine
    std::array<prg_slot, 512> m_prg{};
    unsigned m_next_prgi = 0;
    sc_core::sc_event m_credit_ev; // credits or a PRG index freed, PRI state changed
    std::vector<bool> m_page_written; // per workload page, this run
    std::deque<uint64_t> m_credit_waiters; // streams waiting for credits, in arrival order
    uint64_t m_credit_tickets = 0;
    sc_core::sc_event m_prg_ev;    // some PRG answered or abandoned

    // ATC and in-flight uses of translations
    std::vector<atc_entry> m_atc;
    uint64_t m_lru_clock = 0;
    std::list<range_use> m_tr_inflight, m_dma_inflight;
    sc_core::sc_event m_dma_done_ev;

    // Invalidate Requests, in arrival order; the head is being worked on.
    std::deque<inval_req> m_inval_q;
    sc_core::sc_event m_inval_ev;
};

} // namespace prisim::device
