// SPDX-License-Identifier: Apache-2.0
//
// pxdev: PCI configuration space (type-0 header, ATS, PRI and PASID
// extended capabilities, pcie-pri.md §5, §7.1) and BAR0
// (sw/include/prisim/hw/pxdev.h). Both are accessed from other processes;
// what the device's process must act on wakes it.
#include "device/pxdev.h"

#include <algorithm>
#include <cstdio>

#include "prisim/hw/pxdev.h"

namespace prisim::device {

using sc_core::sc_time;

namespace {

constexpr const char* k_msgtype = "prisim/pxdev";

// Extended capability IDs (pcie-pri.md §1) and register offsets inside them.
constexpr uint16_t k_cap_ats = 0x0F, k_cap_pri = 0x13, k_cap_pasid = 0x1B;
constexpr unsigned k_ats_cap = PXDEV_CFG_ATS + 0x4;       // capability 15:0, control 31:16
constexpr unsigned k_pri_ctrl = PXDEV_CFG_PRI + 0x4;      // control 15:0, status 31:16
constexpr unsigned k_pri_capacity = PXDEV_CFG_PRI + 0x8;
constexpr unsigned k_pri_alloc = PXDEV_CFG_PRI + 0xC;
constexpr unsigned k_pasid_cap = PXDEV_CFG_PASID + 0x4;   // capability 15:0, control 31:16

constexpr uint16_t k_ats_ctrl_enable = 1u << 15;
constexpr uint16_t k_pri_ctrl_enable = 1u << 0; // Reset (bit 1) goes to the PRI engine as written
constexpr uint16_t k_pri_sta_rf = 1u << 0, k_pri_sta_uprgi = 1u << 1, k_pri_sta_stopped = 1u << 8,
                   k_pri_sta_prpr = 1u << 15;

uint32_t ext_header(uint16_t id, unsigned next) { return id | (1u << 16) | (uint32_t(next) << 20); }

// Merge the bytes of `val` selected by `mask` into `old`.
uint32_t merge(uint32_t old, uint32_t val, uint32_t mask) { return (old & ~mask) | (val & mask); }

std::string hex(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

} // namespace

// ---------------------------------------------------------------------------
// Configuration space

// A capability the device lacks (device_params::ats, pri) reads 0 and
// ignores writes; the list skips it. Offset 0x100 heads the list whatever
// is present: without ATS it holds a null capability (ID 0) that only
// points on (PCIe Base §7.6.3).
bool pxdev::cfg_absent(unsigned off) const
{
    return (!m_p.ats && off >= PXDEV_CFG_ATS + 4 && off < PXDEV_CFG_PRI) ||
           (!m_p.pri && off >= PXDEV_CFG_PRI && off < PXDEV_CFG_PASID);
}

uint32_t pxdev::cfg_read32(unsigned off) const
{
    if (cfg_absent(off)) return 0;
    switch (off) {
    case 0x00: return PXDEV_VENDOR_ID | (uint32_t(PXDEV_DEVICE_ID) << 16);
    case 0x04: return m_command;                 // status: no legacy capabilities
    case 0x08: return 0xFF000001u;               // class FF (unassigned), revision 1
    case 0x0C: return 0;                         // header type 0
    case 0x10: return m_bar0;                    // 32-bit memory BAR, 4 KiB
    case 0x2C: return PXDEV_VENDOR_ID | (uint32_t(PXDEV_DEVICE_ID) << 16);
    case PXDEV_CFG_ATS: return ext_header(m_p.ats ? k_cap_ats : 0, m_p.pri ? PXDEV_CFG_PRI : PXDEV_CFG_PASID);
    case k_ats_cap: {
        uint32_t cap = (m_p.invalidate_queue_depth & 0x1F) // 0 encodes 32
                       | (1u << 5)                          // Page Aligned Request
                       | (1u << 6);                         // Global Invalidate Supported
        uint32_t ctrl = (m_ats_enable ? k_ats_ctrl_enable : 0) | (m_stu & 0x1F);
        return cap | (ctrl << 16);
    }
    case PXDEV_CFG_PRI: return ext_header(k_cap_pri, PXDEV_CFG_PASID);
    case k_pri_ctrl: {
        // Enable, RF, UPRGI and Stopped are the PRI engine's (rtl/prg_tracker):
        // its registered outputs, read without clocking it. Reset reads 0;
        // Stopped is disabled and nothing outstanding (pcie-pri.md §5).
        uint32_t ctrl = m_pri.enable() ? k_pri_ctrl_enable : 0;
        uint32_t sta = (m_pri.rf() ? k_pri_sta_rf : 0) | (m_pri.uprgi() ? k_pri_sta_uprgi : 0) |
                       (m_pri.stopped() ? k_pri_sta_stopped : 0);
        if (m_pasid_enable) sta |= k_pri_sta_prpr;
        return ctrl | (sta << 16);
    }
    case k_pri_capacity: return m_p.pri_capacity;
    case k_pri_alloc: return m_pri_alloc;
    case PXDEV_CFG_PASID: return ext_header(k_cap_pasid, 0);
    case k_pasid_cap: return ((m_p.pasid_width & 0x1F) << 8) | (uint32_t(m_pasid_enable) << 16);
    default: return 0;
    }
}

void pxdev::cfg_write32(unsigned off, uint32_t val, uint32_t m)
{
    if (cfg_absent(off)) return;
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
        // One cycle of the PRI engine: the Status W1C (RF, UPRGI; the rest is
        // RO) and the Control write together, as one dword write.
        if (m) write_pri_ctrl(m & 0xFFFFu, uint16_t(merge(m_pri.enable() ? 1 : 0, val, m & 0xFFFF)),
                              m & 0xFFFF0000u, uint16_t((val >> 16) & (m >> 16)));
        break;
    case k_pri_alloc:
        m_pri_alloc = merge(m_pri_alloc, val, m);
        m_c.allocation = m_pri_alloc;
        m_pri.set_alloc(pri_limit()); // alloc_i: min(Allocation, Capacity)
        wake(); // queued streams may fit now
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
        // Translations cached under the old enable are gone, with those a
        // stream holds for a write that has not left yet.
        m_atc.clear();
        for (stream& s : m_streams) s.have_xlate = false;
    }
    m_ats_enable = en;
}

void pxdev::write_pri_ctrl(bool ctrl_we, uint16_t ctrl, bool status_we, uint16_t w1c)
{
    // The block: Enable; Reset while disabled clears RF, UPRGI, the
    // Response-Failure stop and every outstanding group (pcie-pri.md §5, the
    // exact list unverified); Enable 0 -> 1 ends the Response-Failure stop.
    const bool abandon = m_pri.write(ctrl_we, ctrl, status_we, w1c);
    pri_counters();
    if (abandon && m_prg.outstanding()) abandon_outstanding("PRI Reset");
    if (ctrl_we) wake(); // queued streams re-check
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
    case PXDEV_PASIDS: return uint32_t(m_pasid_c.size()); // the most of a workload
    case PXDEV_RANGES: return uint32_t(m_w.size());
    case PXDEV_RANGE_SEL: return m_range_sel;
    case PXDEV_RANGE_BASE_LO:
    case PXDEV_RANGE_BASE_HI:
    case PXDEV_RANGE_PAGES: {
        // A generated workload's pages; a traced one lists none (its
        // accesses are scattered), nor does a selector beyond the last.
        const workload_run* w = m_range_sel < m_w.size() && !m_w[m_range_sel].traced() ? &m_w[m_range_sel] : nullptr;
        if (!w) return 0;
        if (off == PXDEV_RANGE_PAGES) return uint32_t(w->p.pages);
        return uint32_t(off == PXDEV_RANGE_BASE_LO ? w->p.iova_base : w->p.iova_base >> 32);
    }
    default: return 0;
    }
}

// `delay`: the access takes effect at sc_time_stamp() + delay.
void pxdev::bar_write32(unsigned off, uint32_t val, const sc_time& delay)
{
    if (off == PXDEV_RANGE_SEL) {
        m_range_sel = val;
        return;
    }
    if (off != PXDEV_CTRL) return; // everything else is RO
    uint32_t old = m_ctrl;
    m_ctrl = val & PXDEV_CTRL_START;
    if (!(old & PXDEV_CTRL_START) && (val & PXDEV_CTRL_START)) start_workload(prisim::sim_now() + delay);
}

void pxdev::bar_b_transport(tlm::tlm_generic_payload& gp, sc_time& delay)
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
            bar_write32(dw, v, delay);
        }
        done += n;
    }
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

} // namespace prisim::device
