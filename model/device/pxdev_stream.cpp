// SPDX-License-Identifier: Apache-2.0
//
// pxdev: the workload. Each stream works on one burst at a time:
//
//   idle -> translate: translation pass over the pending pages (ATC, else an
//           ATS Translation Request; the completion is taken in `translated`)
//        -> request: PRGs for the pages not present (pxdev_pri.cpp), then
//           response_wait until every group is answered -> translate again
//        -> write: write pass over the resident pages (ATC again, or a new
//           Translation Request taken in `write_translated`; a write whose
//           completion is taken in `written`) -> idle after the think time.
//
// A step that sends a non-posted request ends there; the completion is a
// step of its own at the time the target returned (at once when the target
// synchronised), so that an Invalidate Request that arrived meanwhile is
// seen while the request is in flight. DESIGN §3 steps 1, 4, 11.
#include "device/pxdev.h"

#include <cmath>

#include <algorithm>
#include <cstring>

#include "common/endian.h"
#include "common/splitmix.h"

namespace prisim::device {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using namespace prisim::pcie;

namespace {
constexpr uint64_t k_page = 4096;
} // namespace

// ---------------------------------------------------------------------------
// The pattern

namespace {

// splitmix64 finaliser over (rid, page, word): deterministic, and different
// for every device, page and word position.
// splitmix64's finaliser: a bijection that spreads every input bit.
inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// One full mix per page; word w then holds key + (w + 1) * phi, a Weyl
// sequence: the words of a page all differ (phi is odd), a word moved to
// another offset or page is wrong, and the page is built with one add per
// word.
constexpr uint64_t k_phi = 0x9E3779B97F4A7C15ull;

inline uint64_t pattern_mix(uint64_t page_hash, unsigned word_index)
{
    return page_hash + (uint64_t(word_index) + 1) * k_phi;
}

inline uint64_t page_key(uint16_t rid, uint64_t page_index)
{
    return mix64((uint64_t(rid) << 48) ^ page_index);
}

} // namespace

uint64_t pxdev::pattern_word(uint16_t rid, uint64_t page_index, unsigned word_index)
{
    return pattern_mix(page_key(rid, page_index), word_index);
}

void pxdev::pattern_fill(uint16_t rid, uint64_t page_index, uint8_t* out, unsigned len)
{
    uint64_t v = page_key(rid, page_index);
    unsigned w = 0;
    for (; 8 * w + 8 <= len; ++w) {
        v += k_phi;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        std::memcpy(out + 8 * w, &v, 8); // the host's order is the pattern's
#else
        store_le(out + 8 * w, v, 8);
#endif
    }
    if (const unsigned rest = len - 8 * w) store_le(out + 8 * w, v + k_phi, rest);
}

long pxdev::pattern_mismatch(uint16_t rid, uint64_t page_index, const uint8_t* p, unsigned len)
{
    uint64_t v = page_key(rid, page_index);
    unsigned w = 0;
    for (; 8 * w + 8 <= len; ++w) {
        v += k_phi;
        if (load_le(p + 8 * w, 8) != v) break;
    }
    const unsigned from = 8 * w;
    if (from >= len) return -1;
    uint8_t word[8];
    store_le(word, pattern_mix(page_key(rid, page_index), w), 8);
    for (unsigned off = from; off < len && off < from + 8; ++off)
        if (p[off] != word[off - from]) return long(off);
    return -1;
}

void pxdev::pattern_fill_at(uint16_t rid, uint64_t page_index, unsigned offset, uint8_t* out, unsigned len)
{
    const uint64_t key = page_key(rid, page_index);
    for (unsigned i = 0; i < len;) {
        const unsigned at = offset + i, w = at / 8, b = at % 8;
        const uint64_t v = pattern_mix(key, w) >> (8 * b);
        const unsigned n = std::min(8 - b, len - i);
        for (unsigned k = 0; k < n; ++k) out[i + k] = uint8_t(v >> (8 * k));
        i += n;
    }
}

long pxdev::pattern_mismatch_at(uint16_t rid, uint64_t page_index, unsigned offset, const uint8_t* p,
                                unsigned len)
{
    const uint64_t key = page_key(rid, page_index);
    for (unsigned i = 0; i < len; ++i) {
        const unsigned at = offset + i;
        if (p[i] != uint8_t(pattern_mix(key, at / 8) >> (8 * (at % 8)))) return long(at);
    }
    return -1;
}

uint8_t pxdev::pattern_byte(uint16_t rid, uint64_t page_index, unsigned offset)
{
    return uint8_t(pattern_word(rid, page_index, offset / 8) >> (8 * (offset % 8)));
}

// ---------------------------------------------------------------------------
// Run control

void pxdev::start_workload(const sc_time& at)
{
    if (m_running) {
        SC_REPORT_WARNING("prisim/pxdev", (std::string(name()) + ": START while the workload runs ignored").c_str());
        return;
    }
    m_done = false;
    m_error = false;
    m_run_pages_done = 0;
    uint64_t nbursts = 0, pages = 0;
    for (workload_run& w : m_w) {
        w.page_written.assign(w.p.pages, false);
        w.nbursts = (w.p.pages + w.p.prg_pages - 1) / w.p.prg_pages;
        w.next_burst = w.bursts_taken = w.bursts_finished = 0;
        w.running = false;
        nbursts += w.nbursts;
        pages += w.p.pages;
    }
    // What the device has must be enabled: ATS and PRI, or ATS alone on a
    // device without PRI; a device without ATS needs neither.
    if ((m_p.ats && !m_ats_enable) || (m_p.pri && !m_pri.enable())) {
        // Misprogrammed: visible as an error and counted failures, never a hang.
        violation(std::string("workload started with ATS Enable = ") + (m_ats_enable ? "1" : "0") +
                  (m_p.pri ? std::string(" and PRI Enable = ") + (m_pri.enable() ? "1" : "0") : std::string(" (no PRI)")) +
                  "; all " + std::to_string(nbursts) + " bursts (" + std::to_string(pages) +
                  " pages) failed without a request");
        m_c.bursts_failed += nbursts;
        m_c.pages_failed += pages;
        for (workload_run& w : m_w) w.next_burst = w.bursts_taken = w.bursts_finished = w.nbursts;
        m_error = true;
        m_done = true;
        m_done_ev.notify(SC_ZERO_TIME);
        return;
    }
    if (!m_p.pri)
        ; // no PRI: no allocation to check
    else if (m_pri_alloc == 0)
        violation("workload started with Outstanding Page Request Allocation = 0: no page request can be sent");
    else if (m_pri_alloc > m_p.pri_capacity)
        violation("Outstanding Page Request Allocation " + std::to_string(m_pri_alloc) +
                  " exceeds the Capacity " + std::to_string(m_p.pri_capacity) +
                  "; the device limits itself to the Capacity");
    if (nbursts == 0) {
        m_done = true;
        m_done_ev.notify(SC_ZERO_TIME);
        return;
    }
    m_running = true;
    m_started = true;
    m_run_start = m_run_end = at;
    // Each stream's first burst, and each workload's first arrival, after START.
    for (stream& st : m_streams) {
        st.due = at;
        st.first_touch = ~uint64_t(0);
        const sc_time& jitter = wl(st).p.start_jitter;
        if (jitter > SC_ZERO_TIME) st.due += sc_time::from_value(uint64_t(unit_random() * double(jitter.value())));
    }
    for (workload_run& w : m_w) {
        w.running = w.nbursts != 0;
        w.next_arrival = at;
        if (w.p.poisson) w.next_arrival += next_gap(w);
        if (w.traced() && w.nbursts) w.next_arrival += sc_time::from_value((*w.tr)[0].time_ps);
    }
    wake(at - prisim::sim_now());
}

// xoshiro256** of this device: the same seed and RID give the same draws.
uint64_t pxdev::next_random()
{
    auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
    uint64_t* r = m_rng;
    const uint64_t result = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;
    r[2] ^= r[0];
    r[3] ^= r[1];
    r[1] ^= r[2];
    r[0] ^= r[3];
    r[2] ^= t;
    r[3] = rotl(r[3], 45);
    return result;
}

// An exponential gap with the configured mean, in whole picoseconds.
sc_time pxdev::next_gap(workload_run& w)
{
    const double ps = -std::log(unit_random()) * double(w.p.arrival_gap.value());
    const uint64_t v = uint64_t(ps) + 1; // never 0: arrivals are distinct
    ++w.gaps;
    const double d = double(v) - w.gap_mean;
    w.gap_mean += d / double(w.gaps);
    w.gap_m2 += d * (double(v) - w.gap_mean);
    return sc_time::from_value(v);
}

// Run stream `s` at m_now until it blocks, waits for a completion or its
// next step is due later.
void pxdev::stream_step(stream& s)
{
    for (;;) {
        if (m_halted && (s.st == step::translate || s.st == step::request || s.st == step::write)) {
            s.st = step::idle; // the burst is abandoned (halt())
            return;
        }
        bool more = false;
        switch (s.st) {
        case step::idle: more = take_burst(s); break;
        case step::translate: more = translate_pass(s); break;
        case step::request: more = pri_request(s); break;
        case step::write: more = write_pass(s); break;
        case step::translated:
        case step::write_translated:
        case step::written:
            on_completion(s);
            more = true;
            break;
        case step::credit_wait:
        case step::response_wait:
            break;
        }
        if (!more || s.due > m_now) return;
    }
}

namespace {
// The Feistel network of workload_params::access_pattern::random: on the
// smallest even-width power of two >= pages, halves of `half` bits, a round
// function keyed by the seed, the RID and the round.
struct feistel {
    unsigned half = 1;
    uint64_t mask = 1;
    uint64_t seed, rid;
    feistel(const workload_params& p, uint64_t seed_, uint16_t rid_) : seed(seed_), rid(rid_)
    {
        unsigned bits = 2;
        while ((uint64_t(1) << bits) < p.pages)
            bits += 2;
        half = bits / 2;
        mask = (uint64_t(1) << half) - 1;
    }
    uint64_t operator()(uint64_t round, uint64_t x) const
    {
        uint64_t key = seed * 0x9e3779b97f4a7c15ull ^ (rid << 32) ^ (round << 56) ^ x;
        return prisim::splitmix64(key) & mask;
    }
};
} // namespace

// The page of access k (each page once): a bijection on [0, pages), in
// O(1) time and no memory.
uint64_t pxdev::page_of(const workload_params& p, uint64_t seed, uint16_t rid, uint64_t k)
{
    const uint64_t n = p.pages;
    switch (p.pattern) {
    case workload_params::access_pattern::sequential:
        return k;
    case workload_params::access_pattern::strided: {
        // Residue r = 0, 1, ... of the stride in turn; the first n mod S
        // residues have q + 1 pages, the others q.
        const uint64_t S = std::min<uint64_t>(std::max<uint64_t>(p.stride_pages, 1), n);
        const uint64_t q = n / S, m = n % S;
        if (k < m * (q + 1))
            return k / (q + 1) + (k % (q + 1)) * S;
        const uint64_t k2 = k - m * (q + 1);
        return m + k2 / q + (k2 % q) * S;
    }
    case workload_params::access_pattern::random: {
        // A 4-round Feistel network keyed by the seed and RID on the
        // smallest even-width power of two >= n, cycle-walked into [0, n).
        const feistel f(p, seed, rid);
        uint64_t x = k;
        do {
            uint64_t l = x >> f.half, r = x & f.mask;
            for (uint64_t round = 0; round < 4; ++round) {
                const uint64_t t = l ^ f(round, r);
                l = r;
                r = t;
            }
            x = (l << f.half) | r;
        } while (x >= n);
        return x;
    }
    }
    return k;
}

uint64_t pxdev::access_of(const workload_params& p, uint64_t seed, uint16_t rid, uint64_t page)
{
    const uint64_t n = p.pages;
    switch (p.pattern) {
    case workload_params::access_pattern::sequential:
        return page;
    case workload_params::access_pattern::strided: {
        // Page r + i S is the i-th of residue r, after the residues before it.
        const uint64_t S = std::min<uint64_t>(std::max<uint64_t>(p.stride_pages, 1), n);
        const uint64_t q = n / S, m = n % S, r = page % S, i = page / S;
        return r < m ? r * (q + 1) + i : m * (q + 1) + (r - m) * q + i;
    }
    case workload_params::access_pattern::random: {
        // The Feistel rounds backwards; the cycle walk backwards too (it
        // passes only through values >= n).
        const feistel f(p, seed, rid);
        uint64_t x = page;
        do {
            uint64_t l = x >> f.half, r = x & f.mask;
            for (uint64_t round = 4; round-- > 0;) {
                const uint64_t prev_l = r ^ f(round, l);
                r = l;
                l = prev_l;
            }
            x = (l << f.half) | r;
        } while (x >= n);
        return x;
    }
    }
    return page;
}

// Re-touches (fault_probability < 1; no draw otherwise): with probability
// 1 - fault_probability, a first-touch burst to touch again, drawn
// uniformly from those below the lowest one still in flight (all finished,
// so that only an eviction makes its pages fault again); ~0: a first touch.
uint64_t pxdev::retouch_burst(workload_run& w)
{
    if (w.traced() || w.p.fault_probability >= 1.0 || w.next_burst == 0) return ~uint64_t(0);
    if (unit_random() < w.p.fault_probability) return ~uint64_t(0);
    uint64_t done_below = w.next_burst;
    for (unsigned k = 0; k < w.p.streams; ++k) done_below = std::min(done_below, m_streams[w.first_stream + k].first_touch);
    if (done_below == 0) return ~uint64_t(0); // none finished yet
    return std::min(done_below - 1, uint64_t(unit_random() * double(done_below)));
}

bool pxdev::take_burst(stream& s)
{
    workload_run& w = wl(s);
    if (!m_running || m_halted || w.next_burst >= w.nbursts) return false;
    if (w.open_loop && w.next_arrival > m_now) return false; // not arrived yet (runnable() knows when)
    uint64_t b = retouch_burst(w);
    if (b == ~uint64_t(0)) {
        b = w.next_burst++;
        s.first_touch = b;
    } else {
        ++m_c.bursts_retouched;
        ++w.bursts_retouched;
    }
    ++w.bursts_taken;
    if (w.p.poisson) w.next_arrival += next_gap(w);
    s.pasid = burst_pasid(w, b, s.pv);
    note_pasid(s);
    if (w.traced()) {
        // One access: its page, the bytes it touches; the next arrives at its time.
        const trace_access& a = (*w.tr)[b];
        if (b + 1 < w.nbursts) w.next_arrival = m_run_start + sc_time::from_value((*w.tr)[b + 1].time_ps);
        s.npages = 1;
        s.pages[0] = page{};
        s.pages[0].index = b;
        s.pages[0].iova = a.iova & ~(k_page - 1);
        s.pages[0].write = a.write;
        s.pages[0].off = uint16_t(a.iova & (k_page - 1));
        s.pages[0].len = a.size;
        s.cursor = 0;
        s.rounds = 0;
        s.st = step::translate;
        s.due = m_now;
        return true;
    }
    const uint64_t first = b * w.p.prg_pages;
    s.npages = unsigned(std::min<uint64_t>(w.p.prg_pages, w.p.pages - first));
    // A read burst with probability read_percent (no draw without reads:
    // the device's other draws stay as they were).
    const bool write = !(w.p.read_percent && unit_random() * 100.0 < double(w.p.read_percent));
    for (unsigned i = 0; i < s.npages; ++i) {
        s.pages[i] = page{};
        s.pages[i].index = page_of(w.p, w.order_seed, m_p.rid, first + i);
        s.pages[i].iova = w.p.iova_base + s.pages[i].index * k_page;
        s.pages[i].write = write;
    }
    s.cursor = 0;
    s.rounds = 0;
    s.st = step::translate;
    s.due = m_now;
    return true;
}

// Translation pass: every pending page is looked up, and asked for when not
// cached. At the end the absent pages go through PRI, or the write pass
// starts.
bool pxdev::translate_pass(stream& s)
{
    if (!m_p.ats) {
        // No ATS: nothing to translate; each access is an Untranslated
        // request (write_pass).
        for (unsigned i = 0; i < s.npages; ++i)
            if (s.pages[i].st == page_state::pending) s.pages[i].st = page_state::resident;
        s.cursor = s.npages;
    }
    while (s.cursor < s.npages) {
        page& pg = s.pages[s.cursor];
        if (pg.st != page_state::pending) {
            ++s.cursor;
            continue;
        }
        if (!pg.reask && atc_lookup(s, pg)) {
            pg.st = page_state::resident;
            ++s.cursor;
            continue;
        }
        if (!send_translation_request(s, pg, step::translated)) {
            pg.st = page_state::failed;
            ++s.cursor;
            continue;
        }
        return false;
    }
    if (absent_pages(s)) {
        if (!pri_usable() || s.rounds >= wl(s).p.max_prg_attempts) {
            if (pri_usable()) ++m_c.bursts_out_of_attempts;
            fail_absent(s);
            s.cursor = 0; // nothing pending is left: on to the write pass
            return true;
        }
        s.retry = s.rounds > 0;
        ++s.rounds;
        s.st = step::request;
        return true;
    }
    s.st = step::write;
    s.cursor = 0;
    s.again = false;
    s.have_xlate = false;
    return true;
}

// Write pass: every resident page is written with its translation, looked
// up again (it may have been invalidated or evicted since); a page whose
// translation is no longer present goes back to the translation pass.
bool pxdev::write_pass(stream& s)
{
    while (s.cursor < s.npages) {
        page& pg = s.pages[s.cursor];
        if (pg.st != page_state::resident) {
            ++s.cursor;
            continue;
        }
        if (!m_p.ats) {
            send_untranslated(s, pg);
            return false;
        }
        if (!pg.write) {
            pg.st = page_state::written; // a read: translated, no DMA (reads are not modelled)
            ++s.cursor;
            continue;
        }
        if (s.have_xlate) {
            s.have_xlate = false;
            send_write(s, pg, s.xlate);
            return false;
        }
        if (!pg.reask) {
            if (const atc::entry* e = atc_lookup(s, pg)) {
                send_write(s, pg, *e);
                return false;
            }
        }
        if (!send_translation_request(s, pg, step::write_translated)) {
            pg.st = page_state::failed;
            ++s.cursor;
            continue;
        }
        return false;
    }
    if (s.again) {
        s.st = step::translate;
        s.cursor = 0;
        return true;
    }
    finish_burst(s);
    return true;
}

void pxdev::finish_burst(stream& s)
{
    uint64_t ok = 0, bad = 0;
    for (unsigned i = 0; i < s.npages; ++i) {
        const page& pg = s.pages[i];
        if (pg.st == page_state::written) {
            ++ok;
            if (!pg.write) ++m_c.pages_read;
        } else {
            ++bad;
        }
    }
    if (bad == 0)
        ++m_c.bursts_done;
    else
        ++m_c.bursts_failed;
    m_c.pages_done += ok;
    s.pages_done += ok;
    if (pasid_counters* pc = pasid_c(s)) pc->pages_done += ok;
    m_c.pages_failed += bad;
    m_run_pages_done += uint32_t(ok);
    if (bad) m_error = true;
    s.first_touch = ~uint64_t(0);
    s.st = step::idle;
    s.due = m_now;
    workload_run& w = wl(s);
    if (++w.bursts_finished == w.bursts_taken && w.next_burst == w.nbursts) {
        workload_done(w);
        return;
    }
    if (!w.p.poisson && !w.traced() && m_running && w.next_burst < w.nbursts && w.p.think_time > SC_ZERO_TIME)
        s.due = m_now + w.p.think_time;
}

// Workload `w` has finished its last burst: the PASIDs no workload can use
// any more get their Stop Markers now (device_params::stop_markers); the
// last workload done ends the device's run.
void pxdev::workload_done(workload_run& w)
{
    w.running = false;
    send_stop_markers();
    for (const workload_run& o : m_w)
        if (o.running) return;
    // Visible to the others at the device's time, not before.
    sync();
    m_run_end = m_now;
    m_running = false;
    m_done = true;
    m_done_ev.notify(SC_ZERO_TIME);
}

// ---------------------------------------------------------------------------
// Translation

const atc::entry* pxdev::atc_lookup(const stream& s, page& pg)
{
    const bool pv = m_pasid_enable && s.pv;
    if (const atc::entry* e = m_atc.lookup(pv, pv ? s.pasid : 0, pg.iova)) {
        ++m_c.atc_hits;
        return e;
    }
    ++m_c.atc_misses;
    if (!pg.missed) {
        pg.missed = true;
        pg.miss_time = m_now;
    }
    return nullptr;
}

tlm::tlm_generic_payload& pxdev::new_tlp(tlp_buf& t, tlp_kind kind, const stream* s)
{
    // pcie-pri.md §10: a PASID only when the PASID capability is enabled
    // (and the stream's burst has one).
    const bool pv = s && s->pv && kind != tlp_kind::inval_completion;
    return new_tlp(t, kind, pv, pv ? s->pasid : 0);
}

tlm::tlm_generic_payload& pxdev::new_tlp(tlp_buf& t, tlp_kind kind, bool pv, uint32_t pasid)
{
    tlm::tlm_generic_payload& gp = t.gp;
    gp.set_address(0);
    gp.set_byte_enable_ptr(nullptr);
    gp.set_byte_enable_length(0);
    gp.set_dmi_allowed(false);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    tlp_ext& e = t.ext;
    e.kind = kind;
    e.at = at_t::untranslated;
    e.rid = m_p.rid;
    e.dsv = false;
    e.dseg = 0;
    e.priv = e.exec = e.no_write = false;
    e.status = cpl_status::sc;
    e.from = origin::software;
    e.itag = 0;
    e.pv = m_pasid_enable && pv;
    e.pasid = e.pv ? pasid : 0;
    return gp;
}

// Posted: the link returns at once; the message leaves at the local time.
void pxdev::send_message(tlp_kind kind, uint64_t payload, uint8_t itag, const stream* s)
{
    new_tlp(*m_msg, kind, s);
    m_msg->ext.itag = itag;
    post_message(payload);
}

void pxdev::post_message(uint64_t payload)
{
    tlm::tlm_generic_payload& gp = m_msg->gp;
    store_le64(m_msg->data.data(), payload);
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_data_ptr(m_msg->data.data());
    gp.set_data_length(8);
    gp.set_streaming_width(8);
    sc_time delay = offset();
    up->b_transport(gp, delay);
    if (prisim::sim_now() > m_now) m_now = prisim::sim_now();
}

// An ATS Translation Request for the page (false: ATS is disabled, the page
// fails). The stream goes on in `then` with the completion.
bool pxdev::send_translation_request(stream& s, page& pg, step then)
{
    if (!m_ats_enable) {
        // ATS was disabled under the running workload: no translation.
        ++m_c.ats_errors;
        return false;
    }
    tlp_buf& t = *s.tlp;
    tlm::tlm_generic_payload& gp = new_tlp(t, tlp_kind::ats_translation_req, &s);
    t.ext.at = at_t::translation_req;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(pg.iova & ~(k_page - 1));
    gp.set_data_ptr(t.data.data());
    gp.set_data_length(8);
    gp.set_streaming_width(8);
    store_le64(t.data.data(), 0);
    ++m_c.ats_requests;
    pg.reask = false;
    s.op = op_kind::translation;
    s.op_pv = t.ext.pv;
    s.op_pasid = t.ext.pasid;
    s.op_iova = pg.iova;
    s.op_stale = false;
    s.st = then;
    dispatch(s);
    return true;
}

// The memory request of page pg's access, its address left to the caller:
// a write carries its pattern bytes (a traced write: its bytes of the
// pattern of its IOVA's page), built in m_wdata; a read (a device without
// ATS) returns as many into it, dropped. `off`: the access's offset in its page.
tlm::tlm_generic_payload& pxdev::data_tlp(stream& s, const page& pg, unsigned& off)
{
    const workload_run& w = wl(s);
    const unsigned len = w.traced() ? pg.len : w.p.bytes_per_page;
    off = w.traced() ? pg.off : 0;
    if (pg.write && w.traced())
        pattern_fill_at(m_p.rid, pg.iova / k_page, off, m_wdata.data(), len);
    else if (pg.write)
        pattern_fill(m_p.rid, pattern_page(s.w, pg.index), m_wdata.data(), len);
    tlm::tlm_generic_payload& gp = new_tlp(*s.tlp, pg.write ? tlp_kind::mem_write : tlp_kind::mem_read, &s);
    gp.set_command(pg.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    gp.set_data_ptr(len ? m_wdata.data() : nullptr);
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    return gp;
}

void pxdev::send_write(stream& s, page& pg, const atc::entry& e)
{
    tlp_buf& t = *s.tlp;
    unsigned off = 0;
    tlm::tlm_generic_payload& gp = data_tlp(s, pg, off);
    if (e.untranslated_only) {
        gp.set_address(pg.iova + off); // U = 1: this range must use Untranslated requests
        t.ext.at = at_t::untranslated;
    } else {
        gp.set_address(e.pa + (pg.iova - e.iova) + off);
        t.ext.at = at_t::translated;
    }
    ++m_c.dma_writes;
    s.op = op_kind::write;
    s.op_pv = e.pv;
    s.op_pasid = e.pasid;
    s.op_iova = pg.iova;
    s.op_stale = false;
    s.st = step::written;
    dispatch(s);
}

// A device without ATS: the access is an Untranslated request (a read as
// well as a write) that the IOMMU translates on its way to memory; a page
// it cannot translate comes back as an error completion (UR), and the
// IOMMU reports the fault (riscv-iommu.md, fault queue). A read's data
// lands in the write buffer and is dropped.
void pxdev::send_untranslated(stream& s, page& pg)
{
    unsigned off = 0;
    data_tlp(s, pg, off).set_address(pg.iova + off); // AT stays Untranslated (new_tlp)
    if (pg.write)
        ++m_c.dma_writes;
    else
        ++m_c.dma_reads;
    s.op = op_kind::none; // no translation of the device's own in use: nothing to invalidate
    s.st = step::written;
    dispatch(s);
}

// Send the stream's request. Targets only annotate (common/local_time.h):
// the call returns at once with the completion time annotated, and the
// completion is a step of this stream at that time, so requests of several
// streams are in flight together, as in hardware, at any quantum.
void pxdev::dispatch(stream& s)
{
    s.back = false;
    sc_time delay = offset();
    up->b_transport(s.tlp->gp, delay);
    take_completion(s);
    after_request(s, delay);
}

void pxdev::take_completion(stream& s)
{
    const tlp_buf& t = *s.tlp;
    s.back = true;
    s.cpl_ok = t.gp.get_response_status() == tlm::TLM_OK_RESPONSE && t.ext.status == cpl_status::sc;
    s.cpl = op_kind::translation == s.op ? load_le64(t.data.data()) : 0;
}

// A non-posted request returned with `delay`: its completion is back at
// sc_time_stamp() + delay. If that is now (the target synchronised), take it
// at once, after the messages that arrived while it was in flight;
// otherwise the completion is a step at that time.
void pxdev::after_request(stream& s, const sc_time& delay)
{
    const sc_time stamp = prisim::sim_now();
    if (m_now < stamp) m_now = stamp;
    s.due = stamp + delay;
    if (s.due > m_now) return;
    s.due = m_now;
    drain_inbox(m_now);
    on_completion(s);
}

// Translation Completion: cache it (or not) and say what it means for the page.
pxdev::xlate pxdev::take_translation(stream& s, page& pg, const atc::entry** out)
{
    s.op = op_kind::none;
    if (!s.cpl_ok) {
        ++m_c.ats_errors; // UR or CA (pcie-pri.md §7.2)
        return xlate::error;
    }
    if (s.op_stale) {
        // An Invalidate Request for this range arrived while the request
        // was in flight: the answer may predate it. Ask again.
        ++m_c.translations_discarded;
        pg.reask = true;
        return xlate::again;
    }
    const ats_cpl c = decode_ats_cpl(s.cpl);
    if (!c.u && !c.w && (pg.write || !c.r)) {
        // R = W = 0 is "not present", not an error (§7.2); a read-only
        // translation is useless to a writer and handled the same way.
        ++m_c.ats_not_present;
        // Not present (evicted, if it was written before): what a write left
        // there is gone, and the page it faults in is a fresh one, which the
        // scoreboard may check only once it is written again (the run may
        // end first).
        if (!c.r && !wl(s).traced()) wl(s).page_written[pg.index] = false;
        return xlate::not_present;
    }
    const bool cache = c.u || c.w; // the ATC keeps no permissions: only writable translations
    if (!cache) *out = nullptr;    // a traced read's read-only translation: used once
    atc::entry e;
    e.pv = s.op_pv;
    e.pasid = s.op_pasid;
    e.size = c.s ? napot_size(c.addr) : k_page;
    e.iova = e.size ? (pg.iova & ~(e.size - 1)) : 0;
    e.pa = e.size ? (c.addr & ~(e.size - 1)) : 0;
    e.untranslated_only = c.u;
    bool evicted = false;
    if (cache) *out = m_atc.insert(e, &evicted);
    if (evicted) ++m_c.atc_evictions;
    if (pg.faulted && !pg.sampled) {
        pg.sampled = true;
        ++m_c.faults;
        ++s.faults;
        if (pasid_counters* pc = pasid_c(s)) ++pc->faults;
        const bool sampled = pg.miss_time >= m_p.warmup_end; // warm-up faults are not sampled
        if (sampled) m_fault_latency.add(uint64_t((m_now - pg.miss_time).value()));
        if (m_stages)
            m_stages->complete(m_stage_index, stamps_of(pg), uint64_t(pg.miss_time.value()), uint64_t(m_now.value()),
                               pg.iova, sampled);
    }
    return xlate::present;
}

// The completion of the request in flight, at m_now.
void pxdev::on_completion(stream& s)
{
    page& pg = s.pages[s.cursor];
    const atc::entry* e = nullptr;
    switch (s.st) {
    case step::translated:
        switch (take_translation(s, pg, &e)) {
        case xlate::present: pg.st = page_state::resident; break;
        case xlate::not_present: pg.st = page_state::absent; break;
        case xlate::error: pg.st = page_state::failed; break;
        case xlate::again: break; // the same page, asked again
        }
        if (!pg.reask) ++s.cursor;
        s.st = step::translate;
        break;
    case step::write_translated:
        switch (take_translation(s, pg, &e)) {
        case xlate::present:
            s.xlate = *e; // the ATC may change before the write leaves
            s.have_xlate = true;
            break;
        case xlate::not_present:
            pg.st = page_state::pending;
            s.again = true;
            ++s.cursor;
            break;
        case xlate::error:
            pg.st = page_state::failed;
            ++s.cursor;
            break;
        case xlate::again: break;
        }
        s.st = step::write;
        break;
    case step::written:
        s.op = op_kind::none;
        if (s.cpl_ok && !pg.write) {
            pg.st = page_state::written; // an Untranslated read (no ATS)
        } else if (s.cpl_ok) {
            pg.st = page_state::written;
            wl(s).page_written[pg.index] = true; // the scoreboard checks its data
            const uint64_t n = s.tlp->gp.get_data_length();
            m_c.dma_bytes += n;
            s.dma_bytes += n;
        } else {
            ++m_c.dma_errors;
            pg.st = page_state::failed;
        }
        ++s.cursor;
        s.st = step::write;
        inval_progress(); // an invalidation may have waited for this write
        break;
    default:
        break;
    }
}

} // namespace prisim::device
