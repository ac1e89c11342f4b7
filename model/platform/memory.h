// SPDX-License-Identifier: Apache-2.0
//
// Simulated DRAM. What it models: a byte-addressable physical window
// [base, base + size) behind a TLM-2.0 target socket, with an allocator for
// the HAL (physically contiguous, aligned, zeroed) and zero-copy CPU
// pointers (the IOMMU reads the very bytes software wrote). The backing store
// is one anonymous reservation, so only touched pages cost host memory, and
// memory that was never written is known to be zero: an allocation clears
// only the 4 KiB pages that were written or handed out before.
//
// Data pages (alloc_page(): the HAL's hal_page_alloc) are pages the CPU never
// maps: only devices write them, through the IOMMU, and the model reads them
// back for its checks. They come from the upper seven eighths of the window
// (the sparse zone) and their bytes are kept sparsely, in 256-byte granules
// allocated on first write, so that a page a device writes 256 bytes of
// costs the host about 320 bytes instead of a 4 KiB page (docs/user-guide.md,
// "Simulated DRAM"). DMI covers the lowest eighth only; every access above
// it goes through b_transport, which finds each page's bytes where they are
// kept. Direct allocations go above the lowest eighth only once it is full,
// and data pages below the zone only once the zone is full.
// What it does not: caches, bandwidth, ECC.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace prisim::platform {

class dram : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<dram> tsock; // gp address = physical address

    dram(sc_core::sc_module_name name, uint64_t base, uint64_t size);
    ~dram() override;
    dram(const dram&) = delete;
    dram& operator=(const dram&) = delete;

    uint64_t base() const { return m_base; }
    uint64_t size() const { return m_size; }
    bool contains(uint64_t pa, uint64_t len = 1) const
    {
        return pa >= m_base && len <= m_size && pa - m_base <= m_size - len;
    }
    // CPU pointer for pa (nullptr outside DRAM and in a data page kept
    // sparsely: alloc_page()).
    uint8_t* ptr(uint64_t pa) const
    {
        return contains(pa) && !sparse((pa - m_base) >> 12) ? m_mem + (pa - m_base) : nullptr;
    }
    uint64_t pa_of(const void* p) const;

    // First-fit allocator over the window. Returns the physical address or 0.
    uint64_t alloc(uint64_t size, uint64_t align);
    void free(uint64_t pa, uint64_t size);
    uint64_t bytes_allocated() const { return m_allocated; }
    // Bytes an allocation had to clear (pages written or handed out before).
    uint64_t bytes_cleared() const { return m_cleared; }

    // One zeroed 4 KiB data page that no CPU pointer is handed out for
    // (hal_page_alloc). Returns its physical address or 0.
    uint64_t alloc_page();
    // Frees a page alloc_page() returned (free() does too, with 4096).
    void free_page(uint64_t pa);
    // The len bytes at pa without a copy where they lie in the window (a
    // pointer into it), else copied into `scratch` (len bytes); nullptr
    // outside DRAM. For the model's checks, which mostly read tables.
    const uint8_t* peek(uint64_t pa, uint64_t len, uint8_t* scratch) const
    {
        if (!contains(pa, len)) return nullptr;
        if (!any_sparse(pa - m_base, len)) return m_mem + (pa - m_base);
        copy_out(pa - m_base, scratch, len);
        return scratch;
    }
    // Host bytes the sparsely kept data pages hold (granules in use).
    uint64_t sparse_bytes() const { return m_sparse_chunks * sparse_chunk; }

    static constexpr unsigned sparse_chunk = 256; // bytes per granule

private:
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
    unsigned transport_dbg(tlm::tlm_generic_payload& gp);

    uint64_t m_base, m_size;
    uint8_t* m_mem = nullptr;                // the window (CPU pointers point into it)
    uint8_t* m_reservation = nullptr;        // the arena and the window: one mapping
    uint64_t m_reserved = 0;
    std::map<uint64_t, uint64_t> m_free; // offset -> length, coalesced
    // First fit at or above offset `from`; the offset, or m_size if none.
    uint64_t carve(uint64_t from, uint64_t size, uint64_t align);
    // Nodes of m_free not in use, kept for the next insertion: a workload
    // that frees and allocates pages in turn allocates no host memory.
    std::vector<std::map<uint64_t, uint64_t>::node_type> m_spare;
    void insert_free(uint64_t off, uint64_t len);
    uint64_t m_allocated = 0;
    uint64_t m_cleared = 0;
    // One bit per 4 KiB page: may hold non-zero bytes.
    std::vector<uint64_t> m_dirty;
    bool m_all_dirty = false; // reserved: a writable DMI pointer would set it
    void mark_dirty(uint64_t off, uint64_t len);
    bool dirty(uint64_t page) const { return m_all_dirty || (m_dirty[page >> 6] >> (page & 63)) & 1; }

    // ---- the sparse zone: data pages at or above m_zone ----
    static constexpr unsigned chunks_per_page = 4096 / sparse_chunk;
    static constexpr uint32_t no_table = 1; // index entry: a data page, nothing written yet
    uint64_t m_zone = 0;             // offset where the sparse zone starts (page aligned)
    bool sparse(uint64_t page) const
    {
        if ((page << 12) < m_zone) return false;
        return m_index_dir[zone_page(page) >> index_block_shift] && *page_index(page) != 0;
    }
    // Host arena, just below the window in the same reservation (touched
    // only where used), filled downwards from its top: index blocks (one
    // uint32 per page of the zone: 0 = not a data page, no_table, or its
    // table; index_block pages per block, allocated when a data page first
    // lies in its range), tables of chunks_per_page uint32 granule references
    // (64 bytes each) and 256-byte granules. References count 64-byte units
    // from the arena's start; 0 and 1 lie in 128 bytes at its bottom that
    // are never handed out, so neither is a table or a granule.
    static constexpr unsigned index_block_shift = 9, index_block = 1u << index_block_shift;
    std::vector<uint32_t> m_index_dir; // per index_block pages of the zone: its index block, or 0
    uint8_t* m_arena = nullptr;
    uint64_t m_arena_size = 0, m_arena_top = 0;
    uint32_t m_free_tables = 0, m_free_chunks = 0; // intrusive free lists
    uint64_t m_sparse_chunks = 0;
    // The index entry of a page of the zone whose index block exists.
    uint32_t* page_index(uint64_t page) const
    {
        const uint64_t i = zone_page(page);
        return reinterpret_cast<uint32_t*>(unit(m_index_dir[i >> index_block_shift])) + (i & (index_block - 1));
    }
    // A page's number counted from the zone's start (page at or above it).
    uint64_t zone_page(uint64_t page) const { return page - (m_zone >> 12); }
    uint8_t* unit(uint32_t ref) const { return m_arena + uint64_t(ref) * 64; }
    uint32_t arena_bump(unsigned bytes);                        // fresh (zero) arena memory
    uint32_t arena_take(uint32_t& free_list, unsigned bytes);   // from free_list, else bumped
    void sparse_write(uint64_t off, const uint8_t* src, uint64_t len);
    void sparse_read(uint64_t off, uint8_t* dst, uint64_t len) const;
    void sparse_drop(uint64_t page);
    // An access, split at the pages kept sparsely.
    void copy_in(uint64_t off, const uint8_t* src, uint64_t len);
    // Out of line: inlined into a caller with a small buffer, GCC's
    // -Wstringop-overflow loses the length's bound in the granule loop and
    // warns of 256-byte copies that cannot happen.
    [[gnu::noinline]] void copy_out(uint64_t off, uint8_t* dst, uint64_t len) const;
    bool any_sparse(uint64_t off, uint64_t len) const
    {
        if (off + len <= m_zone) return false;
        for (uint64_t p = off >> 12; p <= (off + len - 1) >> 12; ++p)
            if (sparse(p)) return true;
        return false;
    }
};

} // namespace prisim::platform
