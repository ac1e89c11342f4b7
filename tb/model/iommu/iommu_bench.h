// SPDX-License-Identifier: Apache-2.0
//
// The world around one riscv_iommu in a test bench: a sparse memory with an
// MSI window and fault ranges (for the `mem` socket) and a fake PCIe endpoint
// (for `pcie_up` / `pcie_down`). Used by tb/model/iommu (model.iommu),
// tb/conformance and tb/fuzz/fuzz_mmio.cpp.
//
// bench_memory: zero-filled RAM everywhere, except
// - fault ranges ([first, last], inclusive): an access that overlaps one, or
//   whose address wraps, gets TLM_ADDRESS_ERROR_RESPONSE, which the IOMMU
//   sees as an access fault;
// - the MSI window ([msi_first, msi_last]): a 4-byte write that lies in it is
//   an MSI, recorded (address, data, time) and not stored; any other access
//   there is RAM.
// A malformed request (neither read nor write, byte enables, a streaming
// width shorter than the data, no data pointer) gets
// TLM_COMMAND_ERROR_RESPONSE and is counted in `malformed`: the IOMMU never
// makes one.
//
// bench_endpoint: send() puts one TLP through `up` and returns the TLM
// status (the tlp_ext carries the completion); every message the IOMMU sends
// down is recorded with its tlp_ext, payload and time. A message without a
// tlp_ext or without 8 bytes of payload gets TLM_COMMAND_ERROR_RESPONSE and
// is counted in `malformed`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "pcie/tlp.h"

namespace prisim::tb {

inline uint64_t load_le(const unsigned char* p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

inline void store_le(unsigned char* p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; ++i)
        p[i] = static_cast<unsigned char>(v >> (8 * i));
}

class bench_memory : public sc_core::sc_module {
public:
    struct msi {
        uint64_t addr = 0;
        uint32_t data = 0;
        sc_core::sc_time at;
    };
    tlm_utils::simple_target_socket<bench_memory> tsock;
    std::vector<std::pair<uint64_t, uint64_t>> faults; // inclusive ranges
    uint64_t msi_first = 1, msi_last = 0;              // inclusive; empty when last < first
    std::vector<msi> msis;
    uint64_t accesses = 0;  // requests received
    uint64_t malformed = 0; // requests refused as malformed

    explicit bench_memory(sc_core::sc_module_name n) : sc_module(n), tsock("tsock")
    {
        tsock.register_b_transport(this, &bench_memory::b_transport);
    }

    // Backdoor access (no time, no fault ranges).
    unsigned char* ptr(uint64_t a)
    {
        auto& pg = m_pages[a >> 12];
        if (!pg)
            pg = std::make_unique<page>();
        return pg->b + (a & 0xFFF);
    }
    unsigned char peek(uint64_t a) const
    {
        auto it = m_pages.find(a >> 12);
        return it == m_pages.end() ? 0 : it->second->b[a & 0xFFF];
    }
    uint64_t rd(uint64_t a, unsigned n = 8) const
    {
        uint64_t v = 0;
        for (unsigned i = n; i-- > 0;)
            v = (v << 8) | peek(a + i);
        return v;
    }
    void wr(uint64_t a, uint64_t v, unsigned n = 8)
    {
        for (unsigned i = 0; i < n; ++i)
            *ptr(a + i) = static_cast<unsigned char>(v >> (8 * i));
    }
    // MSIs written to one doorbell address so far.
    unsigned msis_to(uint64_t addr) const
    {
        unsigned n = 0;
        for (const auto& m : msis)
            n += m.addr == addr;
        return n;
    }
    // Forget every page and every MSI recorded.
    void clear()
    {
        m_pages.clear();
        msis.clear();
    }

private:
    struct page {
        unsigned char b[4096] = {};
    };
    bool faulting(uint64_t a, unsigned n) const
    {
        const uint64_t last = n ? a + n - 1 : a;
        if (last < a)
            return true; // wraps
        for (const auto& [lo, hi] : faults)
            if (a <= hi && last >= lo)
                return true;
        return false;
    }
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&)
    {
        ++accesses;
        const uint64_t a = gp.get_address();
        const unsigned n = gp.get_data_length();
        unsigned char* d = gp.get_data_ptr();
        if (gp.get_byte_enable_ptr() || gp.get_streaming_width() < n || (!d && n) ||
            (!gp.is_read() && !gp.is_write())) {
            ++malformed;
            gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
        if (faulting(a, n)) {
            gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        if (gp.is_write() && n == 4 && a >= msi_first && a + 3 <= msi_last) {
            msis.push_back({a, uint32_t(load_le(d, 4)), sc_core::sc_time_stamp()});
            gp.set_response_status(tlm::TLM_OK_RESPONSE);
            return;
        }
        for (unsigned i = 0; i < n; ++i) {
            if (gp.is_write())
                *ptr(a + i) = d[i];
            else
                d[i] = peek(a + i);
        }
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    std::map<uint64_t, std::unique_ptr<page>> m_pages;
};

class bench_endpoint : public sc_core::sc_module {
public:
    struct msg {
        pcie::tlp_ext ext;
        uint64_t payload = 0;
        sc_core::sc_time at;
    };
    tlm_utils::simple_initiator_socket<bench_endpoint> up;
    tlm_utils::simple_target_socket<bench_endpoint> down;
    std::vector<msg> msgs;
    uint64_t malformed = 0;

    explicit bench_endpoint(sc_core::sc_module_name n) : sc_module(n), up("up"), down("down")
    {
        down.register_b_transport(this, &bench_endpoint::down_b_transport);
    }

    // One TLP from the endpoint: returns the TLM response status; `ext`
    // carries the completion status back.
    tlm::tlm_response_status send(pcie::tlp_ext& ext, tlm::tlm_command cmd, uint64_t addr,
                                  unsigned char* data, unsigned len)
    {
        tlm::tlm_generic_payload gp;
        gp.set_command(cmd);
        gp.set_address(addr);
        gp.set_data_ptr(data);
        gp.set_data_length(len);
        gp.set_streaming_width(len);
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        gp.set_extension(&ext);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        up->b_transport(gp, d);
        gp.clear_extension(&ext);
        return gp.get_response_status();
    }

private:
    void down_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&)
    {
        auto* ext = gp.get_extension<pcie::tlp_ext>();
        if (!ext || !gp.get_data_ptr() || gp.get_data_length() < 8) {
            ++malformed;
            gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
        msgs.push_back({*ext, pcie::load_le64(gp.get_data_ptr()), sc_core::sc_time_stamp()});
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }
};

} // namespace prisim::tb
