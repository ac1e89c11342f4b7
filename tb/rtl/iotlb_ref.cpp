// SPDX-License-Identifier: Apache-2.0
#include "iotlb_ref.h"

#include <algorithm>

namespace iotlbt {

tag tag_of(const iotlb_in &in)
{
    tag t;
    t.gv = in.gv;
    t.gonly = in.gv && in.gonly;
    t.gscid = in.gv ? in.gscid : 0;
    t.global = in.global;
    t.pscid = in.global ? 0 : in.pscid;
    t.log2 = in.log2;
    t.vpn = in.vpn;
    return t;
}

bool covers(unsigned log2, uint64_t vpn, uint64_t addr)
{
    const unsigned sh = log2 - 12;
    return sh >= 52 || ((vpn ^ addr) & ((uint64_t(1) << 52) - 1)) >> sh == 0;
}

bool kills(const tag &t, const iotlb_in &c)
{
    switch (c.op) {
    case OP_INV_VMA: // first-stage entries of the host or of VM gscid
        if (t.gv != c.gv || (c.gv && (t.gscid != c.gscid || t.gonly)))
            return false;
        if (c.pscv && (t.global || t.pscid != c.pscid))
            return false; // PSCV = 1 keeps global entries
        return !c.av || covers(t.log2, t.vpn, c.vpn);
    case OP_INV_GVMA: // every entry with G-stage information
        if (!t.gv || (c.gv && t.gscid != c.gscid))
            return false;
        return !(c.gv && c.av && t.gonly && !covers(t.log2, t.vpn, c.vpn));
    default:
        return true;
    }
}

bool matches(const tag &t, const iotlb_in &in)
{
    if (t.gv != in.gv || (in.gv && (t.gscid != in.gscid || t.gonly != in.gonly)))
        return false;
    if (!t.global && t.pscid != in.pscid)
        return false;
    if (!in.anysize && t.log2 != in.log2)
        return false;
    return covers(t.log2, t.vpn, in.vpn);
}

iotlb_ref::iotlb_ref(unsigned sets_log2, unsigned ways) : m_sets_log2(sets_log2), m_ways(ways)
{
    m_sets.resize(sets());
    for (set_state &s : m_sets)
        s.way.resize(ways);
    reset();
}

void iotlb_ref::reset()
{
    m_out = iotlb_out{};
    m_sweeping = m_clearing = true;
    m_sweep_set = 0;
    m_sweep_end = sets() - 1;
    m_cmd = iotlb_in{};
    m_cmd.op = OP_FLUSH;
}

unsigned iotlb_ref::set_of(uint64_t vpn, unsigned log2) const
{
    const unsigned sh = log2 - 12;
    const uint64_t pn = sh >= 64 ? 0 : vpn >> sh;
    return unsigned(pn & (sets() - 1));
}

unsigned iotlb_ref::count() const
{
    unsigned n = 0;
    for (const set_state &s : m_sets)
        n += unsigned(s.recency.size());
    return n;
}

iotlb_out iotlb_ref::out() const
{
    iotlb_out o = m_out;
    o.req_ready = !m_sweeping;
    return o;
}

void iotlb_ref::touch(set_state &s, unsigned w)
{
    s.recency.erase(std::remove(s.recency.begin(), s.recency.end(), w), s.recency.end());
    s.recency.insert(s.recency.begin(), w);
}

void iotlb_ref::sweep(unsigned set, const iotlb_in &cmd, bool clear)
{
    set_state &s = m_sets[set];
    uint64_t kill = 0;
    for (unsigned w = 0; w < m_ways; ++w) {
        way_state &e = s.way[w];
        if (!e.valid || !(clear || kills(e.t, cmd)))
            continue;
        e.valid = false;
        kill |= uint64_t(1) << w;
        s.recency.erase(std::remove(s.recency.begin(), s.recency.end(), w), s.recency.end());
    }
    m_out.inv_valid = true;
    m_out.inv_set = set;
    m_out.inv_kill = kill;
}

void iotlb_ref::clock(const iotlb_in &in)
{
    m_out = iotlb_out{};
    if (m_sweeping) {
        sweep(m_sweep_set, m_cmd, m_clearing);
        if (m_sweep_set == m_sweep_end)
            m_sweeping = m_clearing = false;
        else
            ++m_sweep_set;
        return; // not ready: the request waits
    }
    if (!in.req_valid)
        return;
    const unsigned set = set_of(in.vpn, in.log2);
    set_state &s = m_sets[set];
    switch (in.op) {
    case OP_LOOKUP: {
        // The smallest page wins, then a non-global entry; else the first way.
        int best = -1;
        for (unsigned w = 0; w < m_ways; ++w) {
            const way_state &e = s.way[w];
            if (!e.valid || !matches(e.t, in))
                continue;
            if (best < 0) {
                best = int(w);
                continue;
            }
            const tag &b = s.way[unsigned(best)].t;
            if (e.t.log2 < b.log2 || (e.t.log2 == b.log2 && b.global && !e.t.global))
                best = int(w);
        }
        m_out.rsp_valid = true;
        m_out.rsp_set = set;
        if (best >= 0) {
            m_out.rsp_hit = true;
            m_out.rsp_way = unsigned(best);
            touch(s, unsigned(best));
        }
        return;
    }
    case OP_FILL: {
        const tag t = tag_of(in);
        int w = -1;
        for (unsigned i = 0; i < m_ways && w < 0; ++i)
            if (s.way[i].valid && s.way[i].t == t)
                w = int(i);
        bool replaced = w >= 0;
        for (unsigned i = 0; i < m_ways && w < 0; ++i)
            if (!s.way[i].valid)
                w = int(i);
        if (w < 0) { // full: the least recently used way
            w = int(s.recency.back());
            replaced = true;
        }
        s.way[unsigned(w)].valid = true;
        s.way[unsigned(w)].t = t;
        touch(s, unsigned(w));
        m_out.rsp_valid = true;
        m_out.rsp_hit = replaced;
        m_out.rsp_set = set;
        m_out.rsp_way = unsigned(w);
        return;
    }
    default: {
        m_cmd = in;
        const bool one = in.oneset;
        const unsigned first = one ? set : 0, last = one ? set : sets() - 1;
        sweep(first, in, false);
        if (first != last) {
            m_sweeping = true;
            m_sweep_set = first + 1;
            m_sweep_end = last;
        }
        return;
    }
    }
}

} // namespace iotlbt
