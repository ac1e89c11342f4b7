// SPDX-License-Identifier: Apache-2.0
//
// pxdev: construction, the device's process (which step runs when), the
// inbox of downstream messages, violations and statistics.
#include "device/pxdev.h"

#include "common/splitmix.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace prisim::device {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using namespace prisim::pcie;

namespace {

constexpr const char* k_msgtype = "prisim/pxdev";
constexpr uint64_t k_page = 4096;

std::string hex(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

} // namespace

// ---------------------------------------------------------------------------
// Construction

pxdev::pxdev(sc_core::sc_module_name name, const device_params& p)
    : sc_module(name), up("up"), down("down"), bar("bar"), m_p(p),
      m_lt(p.quantum), m_pri(p.rtl_context, sc_module::name()),
      m_prg(std::min<uint32_t>(p.pri_capacity, prg_table::k_indexes)),
      m_atc(p.atc_entries)
{
    auto fix = [this](const char* what, const std::string& v) {
        SC_REPORT_WARNING(k_msgtype, (std::string(this->name()) + ": " + what + ", using " + v).c_str());
    };
    if (m_p.atc_entries == 0) { m_p.atc_entries = 1; fix("atc_entries = 0", "1"); }
    if (m_p.streams == 0) { m_p.streams = 1; fix("streams = 0", "1"); }
    if (m_p.streams > 0xFFFF) { m_p.streams = 0xFFFF; fix("streams > 65535", "65535"); }
    if (m_p.prg_pages == 0) { m_p.prg_pages = 1; fix("prg_pages = 0", "1"); }
    if (m_p.bytes_per_page > k_page) { m_p.bytes_per_page = k_page; fix("bytes_per_page > 4096", "4096"); }
    if (m_p.iova_base & (k_page - 1)) {
        m_p.iova_base &= ~(k_page - 1);
        fix("iova_base not 4 KiB aligned", hex(m_p.iova_base));
    }
    if (m_p.replay) {
        // A traced workload: one burst of one page per access, arriving at
        // the trace's times.
        m_trace = m_p.replay.get();
        m_p.pages = m_trace->size();
        m_p.prg_pages = 1;
        m_p.poisson = false;
        m_p.bytes_per_page = unsigned(k_page); // the largest access a stream's buffer holds
    }
    m_open_loop = m_p.poisson || traced();
    if (traced()) m_p.pasids = 0; // a trace names its own PASID
    if (m_p.pasids > 0xFFFFF) { m_p.pasids = 0xFFFFF; fix("pasids > 0xfffff", "0xfffff"); }
    m_pasid_c.resize(m_p.pasids);
    if (m_p.invalidate_queue_depth > 32) {
        m_p.invalidate_queue_depth = 32;
        fix("invalidate_queue_depth > 32", "32");
    }

    // Everything the workload needs, allocated once. A burst holds at most
    // min(prg_pages, pages) pages, so that is each stream's share (a small
    // workload with a large prg_pages must not cost prg_pages per stream).
    const size_t slots = size_t(std::max<uint64_t>(1, std::min<uint64_t>(m_p.prg_pages, m_p.pages)));
    m_pages.resize(size_t(m_p.streams) * slots);
    m_page_stamps.resize(m_pages.size());
    // One latency sample per page faulted in: a pass faults each page once,
    // so steady state adds samples without allocating.
    m_fault_latency.reserve(size_t(std::min<uint64_t>(m_p.pages, uint64_t(1) << 24)));
    // The device's draws: its own stream from the scenario seed and its RID.
    uint64_t x = m_p.seed ^ (uint64_t(m_p.rid) * 0xD1B54A32D192ED03ull);
    for (uint64_t& r : m_rng) r = prisim::splitmix64(x);
    m_streams.resize(m_p.streams);
    for (unsigned i = 0; i < m_p.streams; ++i) {
        m_streams[i].id = uint16_t(i);
        m_streams[i].pages = &m_pages[size_t(i) * slots];
    }
    m_tlps.reset(new tlp_buf[m_p.streams + 1]);
    for (unsigned i = 0; i <= m_p.streams; ++i) {
        // A stream's buffer holds a page's pattern or a completion; the message one 8 bytes.
        m_tlps[i].data.assign(i < m_p.streams ? (std::max(m_p.bytes_per_page, 8u) + 7) & ~7u : 8, 0);
        if (i < m_p.streams) m_streams[i].tlp = &m_tlps[i];
    }
    m_msg = &m_tlps[m_p.streams];

    down.register_b_transport(this, &pxdev::down_b_transport);
    bar.register_b_transport(this, &pxdev::bar_b_transport);
    SC_THREAD(main_thread);
    if (m_p.prg_timeout != SC_ZERO_TIME) {
        SC_METHOD(deadline_timer);
        sensitive << m_deadline_ev;
        dont_initialize();
    }
}

sc_time pxdev::active_time() const
{
    if (!m_started) return SC_ZERO_TIME;
    const sc_time end = m_running ? std::max(prisim::sim_now(), m_run_start) : m_run_end;
    return end - m_run_start;
}

std::string pxdev::who() const
{
    char id[16];
    std::snprintf(id, sizeof id, "%02x:%02x.%x", (m_p.rid >> 8) & 0xFF, (m_p.rid >> 3) & 0x1F, m_p.rid & 7);
    return std::string("device ") + id + " (" + name() + ")";
}

void pxdev::violation(const std::string& what)
{
    std::string s = who() + ": " + what;
    SC_REPORT_WARNING(k_msgtype, s.c_str());
    m_violations.push_back(std::move(s));
}

uint32_t pxdev::burst_pasid(uint64_t burst, bool& pv) const
{
    if (traced() || !m_p.pasids) {
        pv = m_p.pasid_valid || m_p.pasid != 0;
        return m_p.pasid & 0xFFFFF;
    }
    pv = true;
    return uint32_t(1 + burst % m_p.pasids);
}

uint32_t pxdev::page_pasid(uint64_t index, bool& pv) const
{
    return burst_pasid(traced() ? 0 : access_of(m_p, index) / std::max(1u, m_p.prg_pages), pv);
}

bool pxdev::atc_contains(uint64_t iova, bool pv, uint32_t pasid) const
{
    return m_atc.find(pv, pasid, iova) != nullptr;
}

// ---------------------------------------------------------------------------
// The process

// When stream `s` has a step to run, and at what time.
bool pxdev::runnable(const stream& s, sc_time& at) const
{
    switch (s.st) {
    case step::idle:
        if (!m_running || m_halted || m_next_burst >= m_nbursts) return false;
        at = std::max(s.due, m_run_start);
        if (m_open_loop && m_next_arrival > at) at = m_next_arrival; // open loop: when the next burst arrives
        return true;
    case step::credit_wait:
    case step::response_wait:
        return false;
    case step::translated:
    case step::write_translated:
    case step::written:
        if (!s.back) return false; // the request is still in flight
        at = s.due;
        return true;
    default:
        at = s.due;
        return true;
    }
}

// A blocked stream can go on, at the device's current time.
void pxdev::make_ready(stream& s)
{
    s.due = std::max(m_now, prisim::sim_now());
}

// One thread for the device: run what is due earliest, at that time, and
// wait only when nothing is due within the quantum.
void pxdev::main_thread()
{
    for (;;) {
        const sc_time stamp = prisim::sim_now();
        if (m_now < stamp) m_now = stamp;
        pri_grant(); // credits may have come back, or PRI changed

        // Messages that have arrived go first; then streams by index.
        bool any = false, msg = false, timeout = false;
        sc_time t;
        stream* next = nullptr;
        if (!m_inbox.empty()) {
            any = msg = true;
            t = m_inbox.front().arrival;
        }
        for (stream& s : m_streams) {
            sc_time at;
            if (runnable(s, at) && (!any || at < t)) {
                any = true;
                msg = false;
                t = at;
                next = &s;
            }
        }
        // A PRG Response timeout, after what is due at the same time.
        if (sc_time at; !m_deadlines.empty() && next_deadline(at) && (!any || at < t)) {
            any = timeout = true;
            msg = false;
            t = at;
        }
        if (!any) {
            // Idle: a deadline still pending is of a group answered since
            // (cancelled only here: each cancel leaves its entry in the
            // kernel's queue until its time, while a stale one left pending
            // fires once and is not re-armed).
            if (m_p.prg_timeout != SC_ZERO_TIME) m_deadline_ev.cancel();
            wait(m_wake_ev);
            continue;
        }
        if (t < m_now) t = m_now; // late (arrived while the thread was busy): now
        m_lt.offset() = t - stamp;
        // Due beyond the quantum: block until then (or until something comes
        // in) - unless no other process is due before then, in which case
        // nothing can come in and running ahead is exact.
        if (m_lt.need_sync()) {
            if (timeout) {
                m_deadline_ev.notify(m_lt.offset());
                wait(m_wake_ev);
            } else {
                wait(m_lt.offset(), m_wake_ev);
            }
            continue;
        }
        m_now = t;
        if (msg)
            handle_arrivals();
        else if (timeout)
            prg_timed_out();
        else
            stream_step(*next);
    }
}

void pxdev::sync()
{
    m_lt.offset() = offset();
    m_lt.sync();
}

// ---------------------------------------------------------------------------
// Downstream messages

void pxdev::down_b_transport(tlm::tlm_generic_payload& gp, sc_time& delay)
{
    tlp_ext* ext = nullptr;
    gp.get_extension(ext);
    const bool msg = ext && (ext->kind == tlp_kind::prg_response || ext->kind == tlp_kind::inval_request);
    if (!msg || gp.get_data_length() < 8 || !gp.get_data_ptr() || !gp.is_write()) {
        ++m_c.malformed_messages;
        violation(std::string("unusable downstream TLP (") + (ext ? "kind " + std::to_string(unsigned(ext->kind)) : "no tlp_ext") +
                  ", " + std::to_string(gp.get_data_length()) + " data bytes) dropped");
        gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return;
    }
    if (ext->rid != m_p.rid) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "message for destination ID 0x%04x delivered to RID 0x%04x", ext->rid, m_p.rid);
        violation(buf);
    }
    // Kept until its arrival time; the sender reuses the payload.
    down_msg m;
    m.arrival = prisim::sim_now() + delay;
    m.payload = load_le64(gp.get_data_ptr());
    m.kind = ext->kind;
    m.from = ext->from;
    m.itag = uint8_t(ext->itag & 0x1F);
    m.pv = ext->pv;
    m.pasid = ext->pasid & 0xFFFFF;
    m_inbox.insert_ordered(m, [](const down_msg& a, const down_msg& b) { return a.arrival < b.arrival; });
    wake(delay);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

// The messages that arrived at the time of the inbox's head, in order; then
// the Invalidate Requests among them are worked on (messages arriving
// together are outstanding together).
void pxdev::handle_arrivals()
{
    const sc_time t = m_inbox.front().arrival;
    while (!m_inbox.empty() && m_inbox.front().arrival == t) {
        const down_msg m = m_inbox.front();
        m_inbox.pop_front();
        if (m.kind == tlp_kind::prg_response)
            on_prg_response(m);
        else
            on_inval_request(m);
    }
    inval_progress();
}

// Everything that has arrived by `until`.
void pxdev::drain_inbox(const sc_time& until)
{
    while (!m_inbox.empty() && m_inbox.front().arrival <= until) handle_arrivals();
}

// ---------------------------------------------------------------------------
// Statistics

void pxdev::report(prisim::stat_sink& sink, const std::string& prefix) const
{
    const std::string p = prefix + ".";
    const counters& c = m_c;
#define PXDEV_STAT(f) sink.counter(p + #f, uint64_t(c.f))
    PXDEV_STAT(bursts_done);
    PXDEV_STAT(bursts_failed);
    PXDEV_STAT(bursts_out_of_attempts);
    PXDEV_STAT(pages_done);
    PXDEV_STAT(pages_failed);
    PXDEV_STAT(faults);
    PXDEV_STAT(ats_requests);
    PXDEV_STAT(ats_not_present);
    PXDEV_STAT(ats_errors);
    PXDEV_STAT(page_requests);
    PXDEV_STAT(prgs_sent);
    PXDEV_STAT(stop_markers_sent);
    PXDEV_STAT(stop_markers_held);
    PXDEV_STAT(prgr_success);
    PXDEV_STAT(prgr_invalid);
    PXDEV_STAT(prgr_failure);
    PXDEV_STAT(prgr_from_iommu_auto);
    PXDEV_STAT(prgr_from_software);
    PXDEV_STAT(prgr_unexpected);
    PXDEV_STAT(prgr_unexpected_from_software);
    PXDEV_STAT(prgr_ignored_rf);
    PXDEV_STAT(prg_retries);
    PXDEV_STAT(credit_stalls);
    PXDEV_STAT(credits_outstanding);
    PXDEV_STAT(credits_max);
    PXDEV_STAT(allocation);
    PXDEV_STAT(prgs_outstanding);
    PXDEV_STAT(pri_response_failure);
    PXDEV_STAT(dma_writes);
    PXDEV_STAT(dma_errors);
    PXDEV_STAT(dma_bytes);
    PXDEV_STAT(atc_hits);
    PXDEV_STAT(atc_misses);
    PXDEV_STAT(invalidations);
    PXDEV_STAT(prgs_abandoned);
    PXDEV_STAT(inval_completions);
    PXDEV_STAT(atc_evictions);
    PXDEV_STAT(translations_discarded);
    PXDEV_STAT(malformed_messages);
    // Only with a response timeout (other runs keep their results.json).
    if (m_p.prg_timeout != sc_core::SC_ZERO_TIME) PXDEV_STAT(prg_timeouts);
    if (m_p.fault_probability < 1.0) PXDEV_STAT(bursts_retouched);
    // Only with reads: device.read_percent, or a trace.
    if (m_p.read_percent || m_p.replay) PXDEV_STAT(pages_read);
#undef PXDEV_STAT
    sink.counter(p + "violations", m_violations.size());
    // Per stream; DMA throughput over the device's active time.
    const double active_us = double(active_time().value()) / 1e6;
    for (const stream& s : m_streams) {
        const std::string q = p + "stream." + std::to_string(s.id) + ".";
        sink.counter(q + "faults", s.faults);
        sink.counter(q + "pages_done", s.pages_done);
        sink.counter(q + "dma_bytes", s.dma_bytes);
        sink.counter(q + "credit_stalls", s.credit_stalls);
        sink.value(q + "dma_bytes_per_us", active_us > 0 ? double(s.dma_bytes) / active_us : 0.0);
    }
    // Per PASID (device.pasids > 0 only: other runs keep their results.json).
    for (size_t i = 0; i < m_pasid_c.size(); ++i) {
        const std::string q = p + "pasid." + std::to_string(i + 1) + ".";
        sink.counter(q + "pages_done", m_pasid_c[i].pages_done);
        sink.counter(q + "faults", m_pasid_c[i].faults);
        sink.counter(q + "prgs_sent", m_pasid_c[i].prgs_sent);
    }
    sink.samples(p + "fault_latency", m_fault_latency, "ps");
    if (m_p.poisson) {
        // The open-loop arrival process as drawn: mean gap and its
        // coefficient of variation (1 for a Poisson process).
        sink.counter(p + "arrivals", m_gaps);
        sink.value(p + "arrival_gap_mean_ns", m_gap_mean / 1000.0);
        sink.value(p + "arrival_gap_cv",
                   m_gaps > 1 && m_gap_mean > 0 ? std::sqrt(m_gap_m2 / double(m_gaps - 1)) / m_gap_mean : 0.0);
    }
}

} // namespace prisim::device
