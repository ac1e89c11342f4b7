// SPDX-License-Identifier: Apache-2.0
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "device/pxdev.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>

#include "prisim/hw/pxdev.h"

namespace prisim::device {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;
using namespace prisim::pcie;

namespace {

constexpr const char* k_msgtype = "prisim/pxdev";
constexpr uint64_t k_page = 4096;

// Extended capability IDs (pcie-pri.md §1) and register offsets inside them.
constexpr uint16_t k_cap_ats = 0x0F, k_cap_pri = 0x13, k_cap_pasid = 0x1B;
constexpr unsigned k_ats_cap = PXDEV_CFG_ATS + 0x4;       // capability 15:0, control 31:16
constexpr unsigned k_pri_ctrl = PXDEV_CFG_PRI + 0x4;      // control 15:0, status 31:16
constexpr unsigned k_pri_capacity = PXDEV_CFG_PRI + 0x8;
constexpr unsigned k_pri_alloc = PXDEV_CFG_PRI + 0xC;
constexpr unsigned k_pasid_cap = PXDEV_CFG_PASID + 0x4;   // capability 15:0, control 31:16

constexpr uint16_t k_ats_ctrl_enable = 1u << 15;
constexpr uint16_t k_pri_ctrl_enable = 1u << 0, k_pri_ctrl_reset = 1u << 1;
constexpr uint16_t k_pri_sta_rf = 1u << 0, k_pri_sta_uprgi = 1u << 1, k_pri_sta_stopped = 1u << 8,
                   k_pri_sta_prpr = 1u << 15;
constexpr uint32_t k_pasid_max_width = 20;

uint32_t ext_header(uint16_t id, unsigned next) { return id | (1u << 16) | (uint32_t(next) << 20); }

// Merge the bytes of `val` selected by `mask` into `old`.
uint32_t merge(uint32_t old, uint32_t val, uint32_t mask) { return (old & ~mask) | (val & mask); }

std::string hex(uint64_t v)
{
    std::ostringstream o;
    o << "0x" << std::hex << v;
    return o.str();
}

// A TLP owned by the sender for the duration of one b_transport: the
// payload deletes its tlp_ext on destruction (no memory manager).
struct tlp {
    tlm::tlm_generic_payload gp;
    tlp_ext* ext = new tlp_ext;
    unsigned char buf[8] = {};
    tlp() { gp.set_extension(ext); }
    void message(uint64_t payload)
    {
        store_le64(buf, payload);
        gp.set_command(tlm::TLM_WRITE_COMMAND);
        gp.set_address(0);
        gp.set_data_ptr(buf);
        gp.set_data_length(8);
        gp.set_streaming_width(8);
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    }
};

} // namespace

// ---------------------------------------------------------------------------
// Construction

pxdev::pxdev(sc_core::sc_module_name name, const device_params& p)
    : sc_module(name), up("up"), down("down"), bar("bar"), m_p(p)
{
    auto fix = [this](const char* what, const std::string& v) {
        SC_REPORT_WARNING(k_msgtype, (std::string(this->name()) + ": " + what + ", using " + v).c_str());
    };
    if (m_p.atc_entries == 0) { m_p.atc_entries = 1; fix("atc_entries = 0", "1"); }
    if (m_p.streams == 0) { m_p.streams = 1; fix("streams = 0", "1"); }
    if (m_p.prg_pages == 0) { m_p.prg_pages = 1; fix("prg_pages = 0", "1"); }
    if (m_p.bytes_per_page > k_page) { m_p.bytes_per_page = k_page; fix("bytes_per_page > 4096", "4096"); }
    if (m_p.iova_base & (k_page - 1)) {
        m_p.iova_base &= ~(k_page - 1);
        fix("iova_base not 4 KiB aligned", hex(m_p.iova_base));
    }
    if (m_p.invalidate_queue_depth > 32) {
        m_p.invalidate_queue_depth = 32;
        fix("invalidate_queue_depth > 32", "32");
    }
    m_atc.reserve(m_p.atc_entries);

    down.register_b_transport(this, &pxdev::down_b_transport);
    bar.register_b_transport(this, &pxdev::bar_b_transport);
    SC_THREAD(inval_main);
    for (unsigned i = 0; i < m_p.streams; ++i) {
        std::string nm = "stream" + std::to_string(i);
        sc_core::sc_spawn([this, i] { stream_main(i); }, nm.c_str());
    }
}

uint8_t pxdev::pattern_byte(uint16_t rid, uint64_t page_index, unsigned offset)
{
    // splitmix64 finaliser over (rid, page, offset): deterministic, and
    // different for every device, page and byte position.
    uint64_t z = (uint64_t(rid) << 48) ^ (page_index << 12) ^ uint64_t(offset & 0xFFF);
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return uint8_t(z ^ (z >> 24));
}

void pxdev::violation(const std::string& what)
{
    char id[16];
    std::snprintf(id, sizeof id, "%02x:%02x.%x", (m_p.rid >> 8) & 0xFF, (m_p.rid >> 3) & 0x1F, m_p.rid & 7);
    std::string s = std::string("device ") + id + " (" + name() + "): " + what;
    SC_REPORT_WARNING(k_msgtype, s.c_str());
    m_violations.push_back(std::move(s));
}

void pxdev::notify_all()
{
    m_credit_ev.notify(SC_ZERO_TIME);
    m_prg_ev.notify(SC_ZERO_TIME);
}

void pxdev::fill_ext(tlp_ext& ext, tlp_kind kind) const
{
    ext.kind = kind;
    ext.rid = m_p.rid;
    // pcie-pri.md §10: a PASID only when the PASID capability is enabled.
    if (m_pasid_enable && kind != tlp_kind::inval_completion) {
        ext.pv = true;
        ext.pasid = m_p.pasid & 0xFFFFF;
    }
}

// ---------------------------------------------------------------------------
// Configuration space

uint32_t pxdev::cfg_read32(unsigned off) const
{
    switch (off) {
    case 0x00: return PXDEV_VENDOR_ID | (uint32_t(PXDEV_DEVICE_ID) << 16);
    case 0x04: return m_command;                 // status: no legacy capabilities
    case 0x08: return 0xFF000001u;               // class FF (unassigned), revision 1
    case 0x0C: return 0;                         // header type 0
    case 0x10: return m_bar0;                    // 32-bit memory BAR, 4 KiB
    case 0x2C: return PXDEV_VENDOR_ID | (uint32_t(PXDEV_DEVICE_ID) << 16);
    case PXDEV_CFG_ATS: return ext_header(k_cap_ats, PXDEV_CFG_PRI);
    case k_ats_cap: {
        uint32_t cap = (m_p.invalidate_queue_depth & 0x1F) // 0 encodes 32
                       | (1u << 5)                          // Page Aligned Request
                       | (1u << 6);                         // Global Invalidate Supported
        uint32_t ctrl = (m_ats_enable ? k_ats_ctrl_enable : 0) | (m_stu & 0x1F);
        return cap | (ctrl << 16);
    }
    case PXDEV_CFG_PRI: return ext_header(k_cap_pri, PXDEV_CFG_PASID);
    case k_pri_ctrl: {
        uint32_t ctrl = m_pri_enable ? k_pri_ctrl_enable : 0; // Reset reads 0
        uint32_t sta = (m_pri_rf ? k_pri_sta_rf : 0) | (m_pri_uprgi ? k_pri_sta_uprgi : 0);
        // Stopped is meaningful only while disabled (pcie-pri.md §5).
        if (!m_pri_enable && m_c.prgs_outstanding == 0) sta |= k_pri_sta_stopped;
        if (m_pasid_enable) sta |= k_pri_sta_prpr;
        return ctrl | (sta << 16);
    }
    case k_pri_capacity: return m_p.pri_capacity;
    case k_pri_alloc: return m_pri_alloc;
    case PXDEV_CFG_PASID: return ext_header(k_cap_pasid, 0);
    case k_pasid_cap: return (k_pasid_max_width << 8) | (uint32_t(m_pasid_enable) << 16);
    default: return 0;
    }
}

void pxdev::cfg_write32(unsigned off, uint32_t val, uint32_t m)
{
    switch (off) {
    case 0x04:
        m_command = uint16_t(merge(m_command, val, m & 0x6)); // Memory Space, Bus Master
        break;
    case 0x10:
        m_bar0 = merge(m_bar0, val, m & 0xFFFFF000u);
        break;
    case k_ats_cap:
        if (m & 0xFFFF0000u) {
            uint32_t old = cfg_read32(k_ats_cap) >> 16;
            write_ats_ctrl(uint16_t(merge(old, val >> 16, m >> 16)));
        }
        break;
    case k_pri_ctrl:
        if (m & 0xFFFF0000u) { // status: RF and UPRGI are RW1C, the rest RO
            uint32_t w1c = (val >> 16) & (m >> 16);
            if (w1c & k_pri_sta_rf) m_pri_rf = false;
            if (w1c & k_pri_sta_uprgi) m_pri_uprgi = false;
        }
        if (m & 0xFFFFu) write_pri_ctrl(uint16_t(merge(m_pri_enable ? 1 : 0, val, m & 0xFFFF)));
        break;
    case k_pri_alloc:
        m_pri_alloc = merge(m_pri_alloc, val, m);
        m_c.allocation = m_pri_alloc;
        m_credit_ev.notify(SC_ZERO_TIME);
        break;
    case k_pasid_cap:
        if (m & 0x00FF0000u) {
            bool en = (val >> 16) & 1; // Execute/Privileged Mode Enable are RO 0 (not supported)
            if (en != m_pasid_enable && m_running)
                violation("PASID Enable changed while the workload runs");
            m_pasid_enable = en;
        }
        break;
    default:
        break; // RO or reserved: writes ignored
    }
}

void pxdev::write_ats_ctrl(uint16_t v)
{
    bool en = v & k_ats_ctrl_enable;
    m_stu = v & 0x1F;
    if (m_ats_enable && !en) {
        // Translations cached under the old enable are gone.
        m_atc.clear();
    }
    m_ats_enable = en;
}

void pxdev::write_pri_ctrl(uint16_t v)
{
    bool en = v & k_pri_ctrl_enable;
    if ((v & k_pri_ctrl_reset) && !m_pri_enable) {
        // PRI Reset while disabled: clear status and the outstanding-request
        // bookkeeping (pcie-pri.md §5; the exact list is unverified).
        m_pri_rf = m_pri_uprgi = false;
        m_pri_stopped_rf = false;
        if (m_c.prgs_outstanding) abandon_outstanding("PRI Reset");
    }
    if (en && !m_pri_enable) m_pri_stopped_rf = false; // re-enable ends the RF stop
    m_pri_enable = en;
    notify_all();
}

uint32_t pxdev::cfg_read(unsigned off, unsigned size)
{
    if (off >= 0x1000 || (size != 1 && size != 2 && size != 4) || (off & (size - 1))) {
        SC_REPORT_WARNING(k_msgtype, (std::string(name()) + ": bad config read at " + hex(off) + " size " +
                                      std::to_string(size)).c_str());
        return 0xFFFFFFFFu;
    }
    uint32_t dw = cfg_read32(off & ~3u);
    if (size == 4) return dw;
    return (dw >> (8 * (off & 3))) & ((1u << (8 * size)) - 1);
}

void pxdev::cfg_write(unsigned off, unsigned size, uint32_t val)
{
    if (off >= 0x1000 || (size != 1 && size != 2 && size != 4) || (off & (size - 1))) {
        SC_REPORT_WARNING(k_msgtype, (std::string(name()) + ": bad config write at " + hex(off) + " size " +
                                      std::to_string(size) + " ignored").c_str());
        return;
    }
    unsigned sh = 8 * (off & 3);
    uint32_t m = (size == 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1)) << sh;
    cfg_write32(off & ~3u, val << sh, m);
}

// ---------------------------------------------------------------------------
// BAR0

uint32_t pxdev::bar_read32(unsigned off) const
{
    switch (off) {
    case PXDEV_ID: return PXDEV_ID_VALUE;
    case PXDEV_CTRL: return m_ctrl;
    case PXDEV_STATUS:
        return (m_running ? PXDEV_STATUS_RUNNING : 0) | (m_done ? PXDEV_STATUS_DONE : 0) |
               (m_error ? PXDEV_STATUS_ERROR : 0);
    case PXDEV_PAGES_DONE: return m_run_pages_done;
    default: return 0;
    }
}

void pxdev::bar_write32(unsigned off, uint32_t val)
{
    if (off != PXDEV_CTRL) return; // everything else is RO
    uint32_t old = m_ctrl;
    m_ctrl = val & PXDEV_CTRL_START;
    if (!(old & PXDEV_CTRL_START) && (val & PXDEV_CTRL_START)) start_workload();
}

void pxdev::bar_b_transport(tlm::tlm_generic_payload& gp, sc_time&)
{
    const uint64_t addr = gp.get_address();
    const unsigned len = gp.get_data_length();
    unsigned char* d = gp.get_data_ptr();
    if (gp.get_byte_enable_ptr()) {
        gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return;
    }
    if (len == 0 || len > 8 || (len & (len - 1)) || (addr & (len - 1)) || addr + len > PXDEV_BAR0_SIZE ||
        !d) {
        SC_REPORT_WARNING(k_msgtype, (std::string(name()) + ": bad BAR0 access at " + hex(addr) + " size " +
                                      std::to_string(len)).c_str());
        gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    for (unsigned done = 0; done < len;) {
        unsigned off = unsigned(addr) + done;
        unsigned dw = off & ~3u, sh = off & 3u;
        unsigned n = std::min(len - done, 4 - sh);
        uint32_t v = bar_read32(dw);
        if (gp.is_read()) {
            for (unsigned i = 0; i < n; ++i) d[done + i] = uint8_t(v >> (8 * (sh + i)));
        } else if (gp.is_write()) {
            for (unsigned i = 0; i < n; ++i) {
                v &= ~(0xFFu << (8 * (sh + i)));
                v |= uint32_t(d[done + i]) << (8 * (sh + i));
            }
            bar_write32(dw, v);
        }
        done += n;
    }
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

// ---------------------------------------------------------------------------
// Workload

void pxdev::start_workload()
{
    if (m_running) {
        SC_REPORT_WARNING(k_msgtype, (std::string(name()) + ": START while the workload runs ignored").c_str());
        return;
    }
    m_done = false;
    m_error = false;
    m_run_pages_done = 0;
    m_page_written.assign(m_p.pages, false);
    m_nbursts = (m_p.pages + m_p.prg_pages - 1) / m_p.prg_pages;
    m_next_burst = 0;
    m_bursts_finished = 0;
    if (!m_ats_enable || !m_pri_enable) {
        // Misprogrammed: visible as an error and counted failures, never a hang.
        violation(std::string("workload started with ATS Enable = ") + (m_ats_enable ? "1" : "0") +
                  " and PRI Enable = " + (m_pri_enable ? "1" : "0") + "; all " + std::to_string(m_nbursts) +
                  " bursts (" + std::to_string(m_p.pages) + " pages) failed without a request");
        m_c.bursts_failed += m_nbursts;
        m_c.pages_failed += m_p.pages;
        m_bursts_finished = m_nbursts;
        m_error = true;
        m_done = true;
        m_done_ev.notify(SC_ZERO_TIME);
        return;
    }
    if (m_pri_alloc == 0)
        violation("workload started with Outstanding Page Request Allocation = 0: no page request can be sent");
    else if (m_pri_alloc > m_p.pri_capacity)
        violation("Outstanding Page Request Allocation " + std::to_string(m_pri_alloc) +
                  " exceeds the Capacity " + std::to_string(m_p.pri_capacity) +
                  "; the device limits itself to the Capacity");
    if (m_nbursts == 0) {
        m_done = true;
        m_done_ev.notify(SC_ZERO_TIME);
        return;
    }
    m_running = true;
    m_run_ev.notify(SC_ZERO_TIME);
}

void pxdev::stream_main(unsigned)
{
    for (;;) {
        while (!m_running || m_next_burst >= m_nbursts) wait(m_run_ev);
        uint64_t b = m_next_burst++;
        run_burst(b);
        if (m_running && m_next_burst < m_nbursts && m_p.think_time > SC_ZERO_TIME) wait(m_p.think_time);
    }
}

void pxdev::finish_burst(bool ok, uint64_t pages_ok, uint64_t pages_bad)
{
    if (ok)
        ++m_c.bursts_done;
    else
        ++m_c.bursts_failed;
    m_c.pages_done += pages_ok;
    m_c.pages_failed += pages_bad;
    m_run_pages_done += uint32_t(pages_ok);
    if (pages_bad) m_error = true;
    if (++m_bursts_finished == m_nbursts) {
        m_running = false;
        m_done = true;
        m_done_ev.notify(SC_ZERO_TIME);
    }
}

// One burst: translate every page; request the ones not present through PRI
// (one PRG, split if larger than the allocation) and translate them again
// after Success; then write each page. DESIGN §3 steps 1, 4, 11.
bool pxdev::run_burst(uint64_t b)
{
    const uint64_t first = b * m_p.prg_pages;
    const uint64_t n = std::min<uint64_t>(m_p.prg_pages, m_p.pages - first);
    std::vector<page> pgs(n);
    for (uint64_t i = 0; i < n; ++i) {
        pgs[i].index = first + i;
        pgs[i].iova = m_p.iova_base + (first + i) * k_page;
    }

    unsigned rounds = 0; // PRG rounds for this burst
    for (;;) {
        std::vector<size_t> np;
        for (size_t i = 0; i < n; ++i) {
            page& pg = pgs[i];
            if (pg.st != page_state::pending) continue;
            const atc_entry* e = nullptr;
            switch (translate(pg, &e)) {
            case xlate::present: pg.st = page_state::resident; break;
            case xlate::not_present: np.push_back(i); break;
            case xlate::error: pg.st = page_state::failed; break;
            }
        }
        if (!np.empty()) {
            if (!pri_usable() || rounds >= m_p.max_prg_attempts) {
                for (size_t i : np) pgs[i].st = page_state::failed;
            } else {
                request_pages(pgs, np, rounds > 0);
                ++rounds;
            }
            continue;
        }
        // Every page is resident, written or failed: write. A translation lost
        // since (invalidation, eviction) is looked up again; if it is no
        // longer present the page goes back through PRI.
        bool again = false;
        for (size_t i = 0; i < n; ++i) {
            page& pg = pgs[i];
            if (pg.st != page_state::resident) continue;
            const atc_entry* e = nullptr;
            xlate r = translate(pg, &e);
            if (r == xlate::error) {
                pg.st = page_state::failed;
            } else if (r == xlate::not_present) {
                pg.st = page_state::pending;
                again = true;
            } else {
                atc_entry copy = *e; // the ATC may change while the write is in flight
                pg.st = dma_write(pg, copy) ? page_state::written : page_state::failed;
            }
        }
        if (!again) break;
    }

    uint64_t ok = 0, bad = 0;
    for (const page& pg : pgs) {
        (pg.st == page_state::written ? ok : bad)++;
        if (pg.st == page_state::written) m_page_written[pg.index] = true;
    }
    finish_burst(bad == 0, ok, bad);
    return bad == 0;
}

pxdev::xlate pxdev::translate(page& pg, const atc_entry** out)
{
    const bool pv = m_pasid_enable;
    const uint32_t pasid = pv ? (m_p.pasid & 0xFFFFF) : 0;
    if (const atc_entry* e = atc_lookup(pv, pasid, pg.iova)) {
        ++m_c.atc_hits;
        *out = e;
        return xlate::present;
    }
    ++m_c.atc_misses;
    if (!pg.missed) {
        pg.missed = true;
        pg.miss_time = sc_core::sc_time_stamp();
    }
    for (;;) {
        if (!m_ats_enable) {
            // ATS was disabled under the running workload: no translation.
            ++m_c.ats_errors;
            return xlate::error;
        }
        tlp t;
        t.gp.set_command(tlm::TLM_READ_COMMAND);
        t.gp.set_address(pg.iova & ~(k_page - 1));
        t.gp.set_data_ptr(t.buf);
        t.gp.set_data_length(8);
        t.gp.set_streaming_width(8);
        t.gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        fill_ext(*t.ext, tlp_kind::ats_translation_req);
        t.ext->at = at_t::translation_req;
        t.ext->no_write = false;
        ++m_c.ats_requests;
        auto use = m_tr_inflight.insert(m_tr_inflight.end(), {pv, pasid, pg.iova, false});
        sc_time delay = SC_ZERO_TIME;
        up->b_transport(t.gp, delay);
        if (delay > SC_ZERO_TIME) wait(delay);
        const bool stale = use->stale;
        m_tr_inflight.erase(use);
        if (t.gp.get_response_status() != tlm::TLM_OK_RESPONSE || t.ext->status != cpl_status::sc) {
            ++m_c.ats_errors; // UR or CA (pcie-pri.md §7.2)
            return xlate::error;
        }
        if (stale) {
            // An Invalidate Request for this range arrived while the request
            // was in flight: the answer may predate it. Ask again.
            ++m_c.translations_discarded;
            continue;
        }
        const ats_cpl c = decode_ats_cpl(load_le64(t.buf));
        if (!c.u && !c.w) {
            // R = W = 0 is "not present", not an error (§7.2); a read-only
            // translation is useless to a writer and handled the same way.
            ++m_c.ats_not_present;
            return xlate::not_present;
        }
        atc_entry e;
        e.pv = pv;
        e.pasid = pasid;
        e.size = c.s ? napot_size(c.addr) : k_page;
        e.iova = e.size ? (pg.iova & ~(e.size - 1)) : 0;
        e.pa = e.size ? (c.addr & ~(e.size - 1)) : 0;
        e.untranslated_only = c.u;
        *out = atc_insert(e);
        if (pg.faulted && !pg.sampled) {
            pg.sampled = true;
            m_fault_latency.add(uint64_t((sc_core::sc_time_stamp() - pg.miss_time).value()));
        }
        return xlate::present;
    }
}

bool pxdev::dma_write(page& pg, const atc_entry& e)
{
    std::vector<unsigned char> data(m_p.bytes_per_page);
    for (unsigned off = 0; off < m_p.bytes_per_page; ++off) data[off] = pattern_byte(m_p.rid, pg.index, off);
    tlp t;
    t.gp.set_command(tlm::TLM_WRITE_COMMAND);
    t.gp.set_data_ptr(data.empty() ? nullptr : data.data());
    t.gp.set_data_length(unsigned(data.size()));
    t.gp.set_streaming_width(unsigned(data.size()));
    t.gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    fill_ext(*t.ext, tlp_kind::mem_write);
    if (e.untranslated_only) {
        t.gp.set_address(pg.iova); // U = 1: this range must use Untranslated requests
        t.ext->at = at_t::untranslated;
    } else {
        t.gp.set_address(e.pa + (pg.iova - e.iova));
        t.ext->at = at_t::translated;
    }
    ++m_c.dma_writes;
    auto use = m_dma_inflight.insert(m_dma_inflight.end(), {e.pv, e.pasid, pg.iova, false});
    sc_time delay = SC_ZERO_TIME;
    up->b_transport(t.gp, delay);
    if (delay > SC_ZERO_TIME) wait(delay);
    m_dma_inflight.erase(use);
    m_dma_done_ev.notify(SC_ZERO_TIME);
    if (t.gp.get_response_status() != tlm::TLM_OK_RESPONSE || t.ext->status != cpl_status::sc) {
        ++m_c.dma_errors;
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------
// ATC

const pxdev::atc_entry* pxdev::atc_lookup(bool pv, uint32_t pasid, uint64_t iova)
{
    for (auto& e : m_atc) {
        if (e.pv == pv && (!pv || e.pasid == pasid) && in_range(iova, e.iova, e.size)) {
            e.lru = ++m_lru_clock;
            return &e;
        }
    }
    return nullptr;
}

bool pxdev::atc_contains(uint64_t iova, bool pv, uint32_t pasid) const
{
    for (const auto& e : m_atc)
        if (e.pv == pv && (!pv || e.pasid == pasid) && in_range(iova, e.iova, e.size)) return true;
    return false;
}

const pxdev::atc_entry* pxdev::atc_insert(const atc_entry& ne)
{
    // Replace an entry for the same range, else a free slot, else the LRU one.
    atc_entry* slot = nullptr;
    for (auto& e : m_atc)
        if (e.pv == ne.pv && e.pasid == ne.pasid && e.iova == ne.iova && e.size == ne.size) slot = &e;
    if (!slot) {
        if (m_atc.size() < m_p.atc_entries) {
            m_atc.push_back(ne);
            slot = &m_atc.back();
        } else {
            slot = &*std::min_element(m_atc.begin(), m_atc.end(),
                                      [](const atc_entry& a, const atc_entry& b) { return a.lru < b.lru; });
            ++m_c.atc_evictions;
        }
    }
    *slot = ne;
    slot->lru = ++m_lru_clock;
    return slot;
}

unsigned pxdev::atc_invalidate(bool all_pasids, bool pv, uint32_t pasid, uint64_t base, uint64_t size)
{
    auto hit = [&](const atc_entry& e) {
        if (!all_pasids && !(e.pv == pv && e.pasid == pasid)) return false;
        if (size == 0 || e.size == 0) return true; // whole address space on either side
        return e.iova < base + size && base < e.iova + e.size;
    };
    size_t before = m_atc.size();
    m_atc.erase(std::remove_if(m_atc.begin(), m_atc.end(), hit), m_atc.end());
    return unsigned(before - m_atc.size());
}

// ---------------------------------------------------------------------------
// PRI engine

uint32_t pxdev::pri_limit() const { return std::min(m_pri_alloc, m_p.pri_capacity); }

int pxdev::find_free_prgi() const
{
    for (unsigned k = 0; k < m_prg.size(); ++k) {
        unsigned i = (m_next_prgi + k) % m_prg.size();
        if (!m_prg[i].busy) return int(i);
    }
    return -1;
}

void pxdev::send_page_request(uint64_t addr, unsigned prgi, bool last)
{
    tlp t;
    // Every workload access is a write: R = W = 1 (pcie-pri.md §2).
    t.message(pr_payload(addr, prgi, last, true, true));
    fill_ext(*t.ext, tlp_kind::page_request);
    ++m_c.page_requests;
    sc_time delay = SC_ZERO_TIME;
    up->b_transport(t.gp, delay);
    if (t.gp.get_response_status() != tlm::TLM_OK_RESPONSE)
        violation("the link refused a Page Request (PRG index " + std::to_string(prgi) + ")");
}

// Send PRGs for the pages `np` of a burst and wait for their responses.
// Credits: one per Page Request, taken before sending and never beyond the
// allocation (§6); a group larger than the allocation is split.
void pxdev::request_pages(std::vector<page>& pgs, const std::vector<size_t>& np, bool retry)
{
    std::vector<std::unique_ptr<prg_ticket>> tickets;
    size_t i = 0;
    while (i < np.size()) {
        // Streams get credits in the order they asked: a stream that waits
        // is queued, and nobody passes it while it waits (no starvation of
        // a stream that needs more credits than the others).
        uint64_t ticket = 0;
        size_t n = 0;
        for (;;) {
            if (!pri_usable() || pri_limit() == 0) break;
            n = std::min<size_t>(np.size() - i, pri_limit());
            const bool my_turn = ticket ? m_credit_waiters.front() == ticket : m_credit_waiters.empty();
            if (my_turn && m_c.credits_outstanding + n <= pri_limit() && find_free_prgi() >= 0) break;
            if (!ticket) {
                ticket = ++m_credit_tickets;
                m_credit_waiters.push_back(ticket);
                ++m_c.credit_stalls;
            }
            wait(m_credit_ev);
        }
        if (ticket) {
            m_credit_waiters.erase(std::find(m_credit_waiters.begin(), m_credit_waiters.end(), ticket));
            m_credit_ev.notify(SC_ZERO_TIME); // the next waiter may fit too
        }
        if (!pri_usable() || pri_limit() == 0) {
            for (; i < np.size(); ++i) pgs[np[i]].st = page_state::failed;
            break;
        }
        const unsigned prgi = unsigned(find_free_prgi());
        m_next_prgi = (prgi + 1) % m_prg.size();
        auto t = std::make_unique<prg_ticket>();
        t->pages.assign(np.begin() + long(i), np.begin() + long(i + n));
        prg_slot& s = m_prg[prgi];
        s.busy = true;
        s.pv = m_pasid_enable;
        s.pasid = m_p.pasid & 0xFFFFF;
        s.credits = uint32_t(n);
        s.ticket = t.get();
        m_c.credits_outstanding += uint32_t(n);
        m_c.credits_max = std::max(m_c.credits_max, m_c.credits_outstanding);
        ++m_c.prgs_outstanding;
        if (m_c.credits_outstanding > m_pri_alloc)
            violation(std::to_string(m_c.credits_outstanding) + " page requests outstanding, above the allocation " +
                      std::to_string(m_pri_alloc));
        for (size_t k = 0; k < n; ++k) {
            page& pg = pgs[t->pages[k]];
            pg.faulted = true;
            send_page_request(pg.iova, prgi, k + 1 == n); // L = 1 closes the group
        }
        ++m_c.prgs_sent;
        if (retry) ++m_c.prg_retries;
        tickets.push_back(std::move(t));
        i += n;
    }
    for (auto& t : tickets) {
        while (!t->answered) wait(m_prg_ev);
        apply_response(pgs, *t);
    }
}

void pxdev::apply_response(std::vector<page>& pgs, const prg_ticket& t)
{
    for (size_t i : t.pages) {
        page& pg = pgs[i];
        if (!t.abandoned && t.code == PRG_SUCCESS)
            pg.st = page_state::pending; // retry the translation (§4.1)
        else
            pg.st = page_state::failed;  // Invalid Request: no retry; RF: PRI stopped
    }
}

void pxdev::release_slot(unsigned prgi)
{
    prg_slot& s = m_prg[prgi];
    if (s.credits > m_c.credits_outstanding) {
        violation("credit accounting underflow on PRG index " + std::to_string(prgi));
        m_c.credits_outstanding = 0;
    } else {
        m_c.credits_outstanding -= s.credits;
    }
    --m_c.prgs_outstanding;
    s = prg_slot{};
}

void pxdev::abandon_outstanding(const char* why)
{
    // Responses to these groups will be ignored (RF) or are no longer
    // expected (Reset): give their credits back now, exactly once.
    for (unsigned i = 0; i < m_prg.size(); ++i) {
        prg_slot& s = m_prg[i];
        if (!s.busy) continue;
        s.ticket->answered = true;
        s.ticket->abandoned = true;
        ++m_c.prgs_abandoned;
        release_slot(i);
    }
    SC_REPORT_INFO(k_msgtype, (std::string(name()) + ": outstanding PRGs dropped after " + why).c_str());
    notify_all();
}

void pxdev::on_prg_response(const tlp_ext& ext, uint64_t payload)
{
    const unsigned prgi = prgr_prgi(payload);
    const unsigned code = prgr_code(payload);
    if (m_pri_stopped_rf) {
        ++m_c.prgr_ignored_rf; // §4.1: ignored until PRI is re-enabled
        return;
    }
    prg_slot& s = m_prg[prgi];
    if (!s.busy) {
        // §4.2: Unexpected PRG Index.
        m_pri_uprgi = true;
        ++m_c.prgr_unexpected;
        violation("PRG Response (code " + std::to_string(code) + ") for PRG index " + std::to_string(prgi) +
                  ", which has no outstanding PRG; PRI Status.UPRGI set");
        return;
    }
    if (code == PRG_SUCCESS)
        ++m_c.prgr_success;
    else if (code == PRG_INVALID_REQUEST)
        ++m_c.prgr_invalid;
    else
        ++m_c.prgr_failure; // 1111b and the unused codes 0010b-1110b
    if (ext.from == origin::iommu_auto)
        ++m_c.prgr_from_iommu_auto;
    else
        ++m_c.prgr_from_software;
    // PRG Response PASID Required (= PASID Enable here): a response to
    // requests that carried a PASID must carry the same PASID (§5).
    if (s.pv && m_pasid_enable && (!ext.pv || ext.pasid != s.pasid))
        violation("PRG Response for PRG index " + std::to_string(prgi) + (ext.pv ? " with PASID " + hex(ext.pasid) : " without a PASID") +
                  ", but its requests carried PASID " + hex(s.pasid) + " and PRG Response PASID Required is set");
    s.ticket->answered = true;
    s.ticket->code = code;
    release_slot(prgi);
    if (code != PRG_SUCCESS && code != PRG_INVALID_REQUEST) {
        // Response Failure: set RF and stop issuing page requests.
        m_pri_rf = true;
        m_pri_stopped_rf = true;
        m_c.pri_response_failure = true;
        if (code != PRG_RESPONSE_FAILURE) {
            SC_REPORT_INFO(k_msgtype, (std::string(name()) + ": reserved PRG Response code " +
                                       std::to_string(code) + " treated as Response Failure").c_str());
        }
        if (m_c.prgs_outstanding) abandon_outstanding("Response Failure");
    }
    notify_all();
}

// ---------------------------------------------------------------------------
// ATS invalidation (pcie-pri.md §7.3)

void pxdev::on_inval_request(const tlp_ext& ext, uint64_t payload)
{
    ++m_c.invalidations;
    if (m_inval_q.size() >= inval_queue_depth())
        violation("Invalidate Request (ITag " + std::to_string(ext.itag & 0x1F) + ") beyond the Invalidate Queue Depth " +
                  std::to_string(inval_queue_depth()) + "; the host must not have more outstanding");
    m_inval_q.push_back({uint8_t(ext.itag & 0x1F), ext.pv, ext.pasid & 0xFFFFF, payload});
    m_inval_ev.notify(SC_ZERO_TIME);
}

void pxdev::inval_main()
{
    for (;;) {
        while (m_inval_q.empty()) wait(m_inval_ev);
        const inval_req r = m_inval_q.front();
        const uint64_t size = inval_s(r.payload) ? napot_size(inval_addr(r.payload)) : k_page;
        const uint64_t base = size ? (inval_addr(r.payload) & ~(size - 1)) : 0;
        // Without a PASID, or with G, every PASID's entries for the range go
        // (a superset of the PCIe rule: over-invalidation is always safe).
        const bool all = !r.pv || inval_g(r.payload);
        auto hit = [&](const range_use& u) {
            return (all || (u.pv && u.pasid == r.pasid)) && in_range(u.iova, base, size);
        };
        atc_invalidate(all, r.pv, r.pasid, base, size);
        for (auto& u : m_tr_inflight)
            if (hit(u)) u.stale = true;
        // Writes already issued with a removed translation complete first.
        for (;;) {
            bool busy = false;
            for (const auto& u : m_dma_inflight) busy = busy || hit(u);
            if (!busy) break;
            wait(m_dma_done_ev);
        }
        tlp t;
        t.message(inval_cpl_payload(1u << r.itag, 1)); // one completion message: CC = 1
        fill_ext(*t.ext, tlp_kind::inval_completion);
        t.ext->itag = r.itag;
        sc_time delay = SC_ZERO_TIME;
        up->b_transport(t.gp, delay);
        ++m_c.inval_completions;
        m_inval_q.pop_front();
    }
}

// ---------------------------------------------------------------------------
// Messages from the link

void pxdev::down_b_transport(tlm::tlm_generic_payload& gp, sc_time&)
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
    const uint64_t payload = load_le64(gp.get_data_ptr());
    if (ext->kind == tlp_kind::prg_response)
        on_prg_response(*ext, payload);
    else
        on_inval_request(*ext, payload);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
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
    PXDEV_STAT(pages_done);
    PXDEV_STAT(pages_failed);
    PXDEV_STAT(ats_requests);
    PXDEV_STAT(ats_not_present);
    PXDEV_STAT(ats_errors);
    PXDEV_STAT(page_requests);
    PXDEV_STAT(prgs_sent);
    PXDEV_STAT(prgr_success);
    PXDEV_STAT(prgr_invalid);
    PXDEV_STAT(prgr_failure);
    PXDEV_STAT(prgr_from_iommu_auto);
    PXDEV_STAT(prgr_from_software);
    PXDEV_STAT(prgr_unexpected);
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
    PXDEV_STAT(atc_hits);
    PXDEV_STAT(atc_misses);
    PXDEV_STAT(invalidations);
    PXDEV_STAT(prgs_abandoned);
    PXDEV_STAT(inval_completions);
    PXDEV_STAT(atc_evictions);
    PXDEV_STAT(translations_discarded);
    PXDEV_STAT(malformed_messages);
#undef PXDEV_STAT
    sink.counter(p + "violations", m_violations.size());
    sink.samples(p + "fault_latency", m_fault_latency, "ps");
}

} // namespace prisim::device
