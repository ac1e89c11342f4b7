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
    if (m_p.pri && !m_p.ats) { m_p.pri = false; fix("PRI without ATS", "no PRI capability"); }
    if (m_p.invalidate_queue_depth > 32) {
        m_p.invalidate_queue_depth = 32;
        fix("invalidate_queue_depth > 32", "32");
    }
    // Its workloads, each normalised.
    m_w.resize(1 + m_p.more_workloads.size());
    m_w[0].p = m_p;
    for (size_t i = 1; i < m_w.size(); ++i) m_w[i].p = m_p.more_workloads[i - 1];
    unsigned nstreams = 0, max_pasids = 0;
    uint64_t all_pages = 0;
    for (workload_run& w : m_w) {
        workload_params& wp = w.p;
        if (wp.streams == 0) { wp.streams = 1; fix("streams = 0", "1"); }
        if (wp.streams > 0xFFFF - nstreams) { wp.streams = 0xFFFF - nstreams; fix("streams > 65535 in all", std::to_string(wp.streams)); }
        if (wp.prg_pages == 0) { wp.prg_pages = 1; fix("prg_pages = 0", "1"); }
        if (wp.bytes_per_page > k_page) { wp.bytes_per_page = k_page; fix("bytes_per_page > 4096", "4096"); }
        if (wp.iova_base & (k_page - 1)) {
            wp.iova_base &= ~(k_page - 1);
            fix("iova_base not 4 KiB aligned", hex(wp.iova_base));
        }
        if (wp.replay) {
            // A traced workload: one burst of one page per access, arriving at
            // the trace's times.
            w.tr = wp.replay.get();
            wp.pages = w.tr->size();
            wp.prg_pages = 1;
            wp.poisson = false;
            wp.bytes_per_page = unsigned(k_page); // the largest access a stream's buffer holds
            wp.pasids = 0;                        // a trace names its own PASID
            wp.fault_probability = 1.0;
        }
        w.open_loop = wp.poisson || w.traced();
        if (wp.pasids > 0xFFFFF) { wp.pasids = 0xFFFFF; fix("pasids > 0xfffff", "0xfffff"); }
        w.first_stream = nstreams;
        // Workloads after the first: orders of their own.
        uint64_t key = m_p.seed ^ uint64_t(&w - &m_w[0]);
        w.order_seed = &w == &m_w[0] ? m_p.seed : prisim::splitmix64(key);
        nstreams += wp.streams;
        max_pasids = std::max(max_pasids, wp.pasids);
        all_pages += wp.pages;
    }
    m_pasid_c.resize(max_pasids);

    // Everything the workloads need, allocated once. A burst holds at most
    // min(prg_pages, pages) pages, so that is each stream's share (a small
    // workload with a large prg_pages must not cost prg_pages per stream).
    auto slots = [](const workload_params& wp) {
        return size_t(std::max<uint64_t>(1, std::min<uint64_t>(wp.prg_pages, wp.pages)));
    };
    size_t npages = 0;
    for (const workload_run& w : m_w) npages += size_t(w.p.streams) * slots(w.p);
    m_pages.resize(npages);
    m_page_stamps.resize(m_pages.size());
    // One latency sample per page faulted in: a pass faults each page once,
    // so steady state adds samples without allocating.
    m_fault_latency.reserve(size_t(std::min<uint64_t>(all_pages, uint64_t(1) << 24)));
    // The device's draws: its own stream from the scenario seed and its RID.
    uint64_t x = m_p.seed ^ (uint64_t(m_p.rid) * 0xD1B54A32D192ED03ull);
    for (uint64_t& r : m_rng) r = prisim::splitmix64(x);
    m_streams.resize(nstreams);
    m_tlps.reset(new tlp_buf[nstreams + 1]);
    size_t at = 0;
    unsigned wbytes = 8;
    for (size_t wi = 0; wi < m_w.size(); ++wi) {
        const workload_run& w = m_w[wi];
        for (unsigned k = 0; k < w.p.streams; ++k) {
            const unsigned i = w.first_stream + k;
            stream& st = m_streams[i];
            st.id = uint16_t(i);
            st.w = uint16_t(wi);
            st.pages = &m_pages[at];
            at += slots(w.p);
            // A stream's buffer holds a Translation Completion; the data of
            // its writes is built in m_wdata (below).
            m_tlps[i].data.assign(8, 0);
            st.tlp = &m_tlps[i];
            wbytes = std::max(wbytes, (std::max(w.p.bytes_per_page, 8u) + 7) & ~7u);
        }
    }
    m_tlps[nstreams].data.assign(8, 0); // the messages'
    m_msg = &m_tlps[nstreams];
    m_wdata.assign(wbytes, 0);

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

uint32_t pxdev::burst_pasid(const workload_run& w, uint64_t burst, bool& pv)
{
    if (w.traced() || !w.p.pasids) {
        pv = w.p.pasid_valid || w.p.pasid != 0;
        return w.p.pasid & 0xFFFFF;
    }
    pv = true;
    return uint32_t(1 + burst % w.p.pasids);
}

uint32_t pxdev::page_pasid(uint64_t index, bool& pv, size_t wi) const
{
    const workload_run& w = m_w[wi];
    return burst_pasid(w, w.traced() ? 0 : access_of(w.p, w.order_seed, m_p.rid, index) / std::max(1u, w.p.prg_pages),
                       pv);
}

bool pxdev::workload_run::may_use(uint32_t id) const
{
    if (!running) return false;
    if (!traced() && p.pasids) return id >= 1 && id <= p.pasids;
    return (p.pasid_valid || p.pasid != 0) && id == (p.pasid & 0xFFFFF);
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
    case step::idle: {
        const workload_run& w = wl(s);
        if (!m_running || m_halted || w.next_burst >= w.nbursts) return false;
        at = std::max(s.due, m_run_start);
        if (w.open_loop && w.next_arrival > at) at = w.next_arrival; // open loop: when the next burst arrives
        return true;
    }
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

pxdev::workload_counts pxdev::counts_of(size_t wi) const
{
    workload_counts c;
    const workload_run& w = m_w[wi];
    for (unsigned k = 0; k < w.p.streams; ++k) {
        const stream& st = m_streams[w.first_stream + k];
        c.faults += st.faults;
        c.pages_done += st.pages_done;
        c.dma_bytes += st.dma_bytes;
        c.credit_stalls += st.credit_stalls;
    }
    return c;
}

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
    if (!m_p.ats) PXDEV_STAT(dma_reads); // only a device without ATS reads by DMA
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
    bool retouch = false, reads = false;
    for (const workload_run& w : m_w) {
        retouch |= w.p.fault_probability < 1.0;
        reads |= w.p.read_percent || w.traced();
    }
    if (retouch) PXDEV_STAT(bursts_retouched);
    // Only with reads: device.read_percent, or a trace.
    if (reads) PXDEV_STAT(pages_read);
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
    // The open-loop arrival process as drawn: mean gap and its coefficient
    // of variation (1 for a Poisson process).
    auto arrivals = [&](const std::string& q, const workload_run& w) {
        sink.counter(q + "arrivals", w.gaps);
        sink.value(q + "arrival_gap_mean_ns", w.gap_mean / 1000.0);
        sink.value(q + "arrival_gap_cv",
                   w.gaps > 1 && w.gap_mean > 0 ? std::sqrt(w.gap_m2 / double(w.gaps - 1)) / w.gap_mean : 0.0);
    };
    if (m_w.size() == 1) {
        if (m_w[0].p.poisson) arrivals(p, m_w[0]);
        return;
    }
    // Several workloads: each its streams' sums, its own draws.
    uint64_t all_arrivals = 0;
    bool open = false;
    for (const workload_run& w : m_w) {
        const std::string q = p + "workload." + w.p.name + ".";
        const workload_counts wc = counts_of(size_t(&w - m_w.data()));
        sink.counter(q + "faults", wc.faults);
        sink.counter(q + "pages_done", wc.pages_done);
        sink.counter(q + "dma_bytes", wc.dma_bytes);
        sink.counter(q + "credit_stalls", wc.credit_stalls);
        sink.value(q + "dma_bytes_per_us", active_us > 0 ? double(wc.dma_bytes) / active_us : 0.0);
        if (w.p.fault_probability < 1.0) sink.counter(q + "bursts_retouched", w.bursts_retouched);
        if (w.p.poisson) {
            arrivals(q, w);
            all_arrivals += w.gaps;
            open = true;
        }
    }
    if (open) sink.counter(p + "arrivals", all_arrivals);
}

} // namespace prisim::device
