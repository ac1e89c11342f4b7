// SPDX-License-Identifier: Apache-2.0
#include "platform/memory.h"

#include <algorithm>
#include <cstring>
#include <sys/mman.h>

namespace prisim::platform {

dram::dram(sc_core::sc_module_name name, uint64_t base, uint64_t size)
    : sc_module(name), tsock("tsock"), m_base(base), m_size(size)
{
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        SC_REPORT_FATAL("prisim/dram", "cannot reserve host memory for simulated DRAM");
    m_mem = static_cast<uint8_t*>(p);
    madvise(p, size, MADV_HUGEPAGE);
    m_free[0] = size;
    m_dirty.assign(((size >> 12) + 64) / 64, 0);
    tsock.register_b_transport(this, &dram::b_transport);
    tsock.register_get_direct_mem_ptr(this, &dram::get_direct_mem_ptr);
    tsock.register_transport_dbg(this, &dram::transport_dbg);
}

dram::~dram()
{
    if (m_mem) munmap(m_mem, m_size);
}

uint64_t dram::pa_of(const void* p) const
{
    auto q = static_cast<const uint8_t*>(p);
    if (q < m_mem || q >= m_mem + m_size) return 0;
    return m_base + uint64_t(q - m_mem);
}

uint64_t dram::alloc(uint64_t size, uint64_t align)
{
    if (size == 0 || align == 0 || (align & (align - 1))) return 0;
    size = (size + 7) & ~uint64_t(7);
    for (auto it = m_free.begin(); it != m_free.end(); ++it) {
        uint64_t off = it->first, len = it->second;
        uint64_t start = ((m_base + off + align - 1) & ~(align - 1)) - m_base;
        if (start < off || start - off + size > len) continue;
        // Reuse the free block's node for what remains of it: no allocation
        // in the common case (the block is cut from its start).
        auto node = m_free.extract(it);
        if (start > off) {
            node.mapped() = start - off;
            m_free.insert(std::move(node));
            if (start + size < off + len) insert_free(start + size, off + len - (start + size));
        } else if (start + size < off + len) {
            node.key() = start + size;
            node.mapped() = off + len - (start + size);
            m_free.insert(std::move(node));
        } else {
            m_spare.push_back(std::move(node));
        }
        // Clear only what may hold old data; the rest was never written.
        for (uint64_t o = start; o < start + size;) {
            const uint64_t page = o >> 12;
            const uint64_t end = std::min(start + size, (page + 1) << 12);
            if (dirty(page)) {
                std::memset(m_mem + o, 0, end - o);
                m_cleared += end - o;
            }
            o = end;
        }
        mark_dirty(start, size); // the CPU gets a pointer to it
        m_allocated += size;
        return m_base + start;
    }
    return 0;
}

void dram::mark_dirty(uint64_t off, uint64_t len)
{
    if (!len) return;
    for (uint64_t p = off >> 12; p <= (off + len - 1) >> 12; ++p) m_dirty[p >> 6] |= uint64_t(1) << (p & 63);
}

void dram::free(uint64_t pa, uint64_t size)
{
    if (!contains(pa, size) || size == 0) return;
    size = (size + 7) & ~uint64_t(7);
    uint64_t off = pa - m_base;
    m_allocated -= size;
    auto next = m_free.lower_bound(off);
    if (next != m_free.end() && off + size == next->first) {
        size += next->second;
        auto merged = next++;
        m_spare.push_back(m_free.extract(merged));
    }
    if (next != m_free.begin()) {
        auto prev = std::prev(next);
        if (prev->first + prev->second == off) {
            prev->second += size;
            return;
        }
    }
    insert_free(off, size);
}

void dram::insert_free(uint64_t off, uint64_t len)
{
    if (m_spare.empty()) {
        m_free.emplace(off, len);
        return;
    }
    auto node = std::move(m_spare.back());
    m_spare.pop_back();
    node.key() = off;
    node.mapped() = len;
    m_free.insert(std::move(node));
}

void dram::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&)
{
    uint64_t pa = gp.get_address();
    unsigned len = gp.get_data_length();
    if (gp.get_byte_enable_ptr()) {
        gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return;
    }
    if (!contains(pa, len)) {
        gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    if (gp.is_read())
        std::memcpy(gp.get_data_ptr(), m_mem + (pa - m_base), len);
    else if (gp.is_write()) {
        std::memcpy(m_mem + (pa - m_base), gp.get_data_ptr(), len);
        mark_dirty(pa - m_base, len);
    }
    gp.set_dmi_allowed(true);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool dram::get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi)
{
    if (!contains(gp.get_address())) return false;
    // Read access only: writes keep going through b_transport, which tracks
    // the pages that may hold data (an allocation clears only those).
    dmi.set_dmi_ptr(m_mem);
    dmi.set_start_address(m_base);
    dmi.set_end_address(m_base + m_size - 1);
    dmi.allow_read();
    return true;
}

unsigned dram::transport_dbg(tlm::tlm_generic_payload& gp)
{
    uint64_t pa = gp.get_address();
    unsigned len = gp.get_data_length();
    if (!contains(pa, len)) return 0;
    if (gp.is_read())
        std::memcpy(gp.get_data_ptr(), m_mem + (pa - m_base), len);
    else {
        std::memcpy(m_mem + (pa - m_base), gp.get_data_ptr(), len);
        mark_dirty(pa - m_base, len);
    }
    return len;
}

} // namespace prisim::platform
