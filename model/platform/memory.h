// SPDX-License-Identifier: Apache-2.0
//
// Simulated DRAM. What it models: a byte-addressable physical window
// [base, base + size) behind a TLM-2.0 target socket, with an allocator for
// the HAL (physically contiguous, aligned, zeroed) and zero-copy CPU
// pointers (the IOMMU reads the very bytes software wrote). The backing store
// is one anonymous reservation, so only touched pages cost host memory, and
// memory that was never written is known to be zero: an allocation clears
// only the 4 KiB pages that were written or handed out before.
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
    // CPU pointer for pa (nullptr outside DRAM).
    uint8_t* ptr(uint64_t pa) const { return contains(pa) ? m_mem + (pa - m_base) : nullptr; }
    uint64_t pa_of(const void* p) const;

    // First-fit allocator over the window. Returns the physical address or 0.
    uint64_t alloc(uint64_t size, uint64_t align);
    void free(uint64_t pa, uint64_t size);
    uint64_t bytes_allocated() const { return m_allocated; }
    // Bytes an allocation had to clear (pages written or handed out before).
    uint64_t bytes_cleared() const { return m_cleared; }

private:
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
    unsigned transport_dbg(tlm::tlm_generic_payload& gp);

    uint64_t m_base, m_size;
    uint8_t* m_mem = nullptr;
    std::map<uint64_t, uint64_t> m_free; // offset -> length, coalesced
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
};

} // namespace prisim::platform
