// SPDX-License-Identifier: Apache-2.0
#include "platform/memory.h"

#include <algorithm>
#include <cstring>
#include <sys/mman.h>

namespace prisim::platform {

namespace {

constexpr uint64_t huge_page = uint64_t(2) << 20;

} // namespace

// One anonymous reservation, committed only where touched and advised for
// transparent huge pages (the host then backs it a 2 MiB block per first
// touch instead of a 4 KiB page):
//
//   [ 2 MiB slack | arena (grows down) | window | 2 MiB slack ]
//                                      ^ window start: 1 MiB past a 2 MiB boundary
//
// The window's start sits in the middle of a 2 MiB block whose lower half is
// the top of the arena. A short run's first tables (the window's start) and
// its first data granules (the arena's top) thus share one huge page, as
// they shared one when data pages were kept in the window.
dram::dram(sc_core::sc_module_name name, uint64_t base, uint64_t size)
    : sc_module(name), tsock("tsock"), m_base(base), m_size(size)
{
    // The sparse zone: the lowest eighth is for what the CPU maps (queues,
    // tables: a few pages, and one table page per 512 data pages), the rest
    // for data pages. The arena is reserved for the worst case (every page of
    // the zone a data page written whole, and its index blocks).
    m_zone = (size / 8) & ~uint64_t(4095);
    const uint64_t zone_pages = (size - m_zone) >> 12;
    m_index_dir.assign(zone_pages / index_block + 1, 0);
    m_arena_size = 128 + m_index_dir.size() * index_block * 4 + zone_pages * (4 * chunks_per_page + 4096);
    m_arena_size = (m_arena_size + huge_page - 1) & ~(huge_page - 1);
    if (m_arena_size / 64 > UINT32_MAX)
        SC_REPORT_FATAL("prisim/dram", "simulated DRAM too large for the sparse zone's references");
    const uint64_t window = (size + huge_page - 1) & ~(huge_page - 1);
    m_reserved = m_arena_size + window + 2 * huge_page;
    void* p = mmap(nullptr, m_reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) SC_REPORT_FATAL("prisim/dram", "cannot reserve host memory for simulated DRAM");
    m_reservation = static_cast<uint8_t*>(p);
    madvise(p, m_reserved, MADV_HUGEPAGE);
    const uintptr_t at = reinterpret_cast<uintptr_t>(p) + m_arena_size + huge_page / 2;
    const uintptr_t mem = ((at + huge_page - 1) & ~uintptr_t(huge_page - 1)) + huge_page / 2;
    m_mem = reinterpret_cast<uint8_t*>(mem);
    m_arena = m_mem - m_arena_size;
    m_arena_top = m_arena_size; // the bump goes down from the window's start
    m_free[0] = size;
    m_dirty.assign(((size >> 12) + 64) / 64, 0);
    tsock.register_b_transport(this, &dram::b_transport);
    tsock.register_get_direct_mem_ptr(this, &dram::get_direct_mem_ptr);
    tsock.register_transport_dbg(this, &dram::transport_dbg);
}

dram::~dram()
{
    if (m_reservation) munmap(m_reservation, m_reserved);
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
    uint64_t start = carve(0, size, align);
    if (start == m_size) return 0;
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

uint64_t dram::alloc_page()
{
    // The sparse zone first; below it, an ordinary page (a CPU pointer is
    // never asked for it, but it is kept in the window like any other).
    uint64_t start = carve(m_zone, 4096, 4096);
    if (start == m_size) return alloc(4096, 4096);
    uint32_t& block = m_index_dir[zone_page(start >> 12) >> index_block_shift];
    if (!block) block = arena_bump(index_block * 4); // index blocks are never freed
    *page_index(start >> 12) = no_table; // zero: its bytes are kept nowhere yet
    m_allocated += 4096;
    return m_base + start;
}

void dram::free_page(uint64_t pa)
{
    if (!contains(pa, 4096) || (pa - m_base) & 4095) return;
    free(pa, 4096);
}

uint64_t dram::carve(uint64_t from, uint64_t size, uint64_t align)
{
    // The free block holding `from`, if any, then those above it.
    auto it = m_free.upper_bound(from);
    if (it != m_free.begin() && std::prev(it)->first + std::prev(it)->second > from) --it;
    for (; it != m_free.end(); ++it) {
        uint64_t off = it->first, len = it->second;
        const uint64_t lo = std::max(off, from);
        uint64_t start = ((m_base + lo + align - 1) & ~(align - 1)) - m_base;
        if (start < lo || start - off + size > len) continue;
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
        return start;
    }
    return m_size;
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
    // Data pages give their granules back: whatever is allocated there
    // next reads zero.
    if (off + size > m_zone)
        for (uint64_t p = std::max(off, m_zone) >> 12; p <= (off + size - 1) >> 12; ++p)
            if (sparse(p)) sparse_drop(p);
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

// ---- data pages kept sparsely ----

uint32_t dram::arena_bump(unsigned bytes)
{
    // The reservation holds the worst case, so the bump cannot run out (nor
    // reach references 0 and 1, which mean none and no_table).
    m_arena_top -= bytes;
    return uint32_t(m_arena_top / 64);
}

uint32_t dram::arena_take(uint32_t& free_list, unsigned bytes)
{
    if (!free_list) return arena_bump(bytes);
    const uint32_t ref = free_list;
    std::memcpy(&free_list, unit(ref), 4);
    std::memset(unit(ref), 0, bytes); // fresh arena memory is zero already
    return ref;
}

void dram::sparse_write(uint64_t off, const uint8_t* src, uint64_t len)
{
    uint32_t* index = page_index(off >> 12);
    if (*index == no_table) *index = arena_take(m_free_tables, 4 * chunks_per_page);
    uint32_t* table = reinterpret_cast<uint32_t*>(unit(*index));
    for (uint64_t done = 0; done < len;) {
        const uint64_t o = off + done;
        const unsigned c = unsigned(o & 4095) / sparse_chunk;
        const uint64_t n = std::min<uint64_t>(len - done, sparse_chunk - (o & (sparse_chunk - 1)));
        if (!table[c]) {
            table[c] = arena_take(m_free_chunks, sparse_chunk);
            ++m_sparse_chunks;
        }
        std::memcpy(unit(table[c]) + (o & (sparse_chunk - 1)), src + done, n);
        done += n;
    }
}

void dram::sparse_read(uint64_t off, uint8_t* dst, uint64_t len) const
{
    const uint32_t t = *page_index(off >> 12);
    const uint32_t* table = t == no_table ? nullptr : reinterpret_cast<const uint32_t*>(unit(t));
    for (uint64_t done = 0; done < len;) {
        const uint64_t o = off + done;
        const unsigned c = unsigned(o & 4095) / sparse_chunk;
        const uint64_t n = std::min<uint64_t>(len - done, sparse_chunk - (o & (sparse_chunk - 1)));
        if (table && table[c])
            std::memcpy(dst + done, unit(table[c]) + (o & (sparse_chunk - 1)), n);
        else
            std::memset(dst + done, 0, n); // never written
        done += n;
    }
}

void dram::sparse_drop(uint64_t page)
{
    uint32_t* index = page_index(page);
    if (*index != no_table) {
        uint32_t* table = reinterpret_cast<uint32_t*>(unit(*index));
        for (unsigned c = 0; c < chunks_per_page; ++c)
            if (table[c]) {
                std::memcpy(unit(table[c]), &m_free_chunks, 4);
                m_free_chunks = table[c];
                --m_sparse_chunks;
            }
        std::memcpy(table, &m_free_tables, 4);
        m_free_tables = *index;
    }
    *index = 0;
}

void dram::copy_in(uint64_t off, const uint8_t* src, uint64_t len)
{
    for (uint64_t done = 0; done < len;) {
        const uint64_t o = off + done;
        const uint64_t n = std::min<uint64_t>(len - done, 4096 - (o & 4095));
        if (sparse(o >> 12)) {
            sparse_write(o, src + done, n);
        } else {
            std::memcpy(m_mem + o, src + done, n);
            mark_dirty(o, n);
        }
        done += n;
    }
}

void dram::copy_out(uint64_t off, uint8_t* dst, uint64_t len) const
{
    for (uint64_t done = 0; done < len;) {
        const uint64_t o = off + done;
        const uint64_t n = std::min<uint64_t>(len - done, 4096 - (o & 4095));
        if (sparse(o >> 12))
            sparse_read(o, dst + done, n);
        else
            std::memcpy(dst + done, m_mem + o, n);
        done += n;
    }
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
    const uint64_t off = pa - m_base;
    if (gp.is_read())
        copy_out(off, gp.get_data_ptr(), len);
    else if (gp.is_write())
        copy_in(off, gp.get_data_ptr(), len);
    gp.set_dmi_allowed(off < m_zone);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool dram::get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi)
{
    if (!contains(gp.get_address()) || gp.get_address() - m_base >= m_zone) return false;
    // Read access only: writes keep going through b_transport, which tracks
    // the pages that may hold data (an allocation clears only those). The
    // lowest eighth only: the data pages above it are kept elsewhere.
    dmi.set_dmi_ptr(m_mem);
    dmi.set_start_address(m_base);
    dmi.set_end_address(m_base + m_zone - 1);
    dmi.allow_read();
    return true;
}

unsigned dram::transport_dbg(tlm::tlm_generic_payload& gp)
{
    uint64_t pa = gp.get_address();
    unsigned len = gp.get_data_length();
    if (!contains(pa, len)) return 0;
    if (gp.is_read())
        copy_out(pa - m_base, gp.get_data_ptr(), len);
    else
        copy_in(pa - m_base, gp.get_data_ptr(), len);
    return len;
}

} // namespace prisim::platform
