// SPDX-License-Identifier: Apache-2.0
//
// A register-level rig for the IOMMU model's cmocka tests: the IOMMU with
// its memory (tb::bench_memory) and PCIe endpoint (tb::bench_endpoint)
// bound, and register accesses through its MMIO socket that assert an OK
// response. Include after <cmocka.h>.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "iommu/riscv_iommu.h"
#include "model/iommu/iommu_bench.h"

namespace prisim::tb {

// A request's PASID TLP prefix: none, or pasid (with Privileged Mode Requested).
struct pasid_prefix {
    bool pv = false;
    uint32_t pasid = 0;
    bool priv = false;
};

class iommu_rig : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<iommu_rig> reg;
    bench_memory mem{"mem"};
    bench_endpoint ep{"ep"};
    std::unique_ptr<iommu::riscv_iommu> iommu;

    // `faults`: address ranges [first, last] where memory answers an error.
    iommu_rig(sc_core::sc_module_name n, const iommu::iommu_params& p,
              std::vector<std::pair<uint64_t, uint64_t>> faults)
        : sc_module(n), reg("reg")
    {
        mem.faults = std::move(faults);
        iommu = std::make_unique<iommu::riscv_iommu>("iommu", p);
        reg.bind(iommu->mmio);
        iommu->mem.bind(mem.tsock);
        ep.up.bind(iommu->pcie_up);
        iommu->pcie_down.bind(ep.down);
    }

    uint64_t access(uint32_t off, unsigned len, bool write, uint64_t v)
    {
        unsigned char b[8] = {};
        if (write)
            store_le(b, v, len);
        tlm::tlm_generic_payload gp;
        gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        gp.set_address(off);
        gp.set_data_ptr(b);
        gp.set_data_length(len);
        gp.set_streaming_width(len);
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        reg->b_transport(gp, d);
        assert_int_equal(gp.get_response_status(), tlm::TLM_OK_RESPONSE);
        return load_le(b, len);
    }
    void settle(sc_core::sc_time t = sc_core::sc_time(5, sc_core::SC_US)) { wait(t); }

    // CQ at cq (2^(cq_log2szm1 + 1) entries) and FQ at fq on, ddtp 1LVL at
    // ddt_root; the fault queue must be on afterwards.
    void start_queues(uint64_t ddt_root, uint64_t cq, unsigned cq_log2szm1, uint64_t fq,
                      unsigned fq_log2szm1)
    {
        w64(iommu::REG_CQB, (cq >> 12) << iommu::QB_PPN_SHIFT | cq_log2szm1);
        w32(iommu::REG_CQT, 0);
        w32(iommu::REG_CQCSR, iommu::CQCSR_CQEN);
        w64(iommu::REG_FQB, (fq >> 12) << iommu::QB_PPN_SHIFT | fq_log2szm1);
        w32(iommu::REG_FQH, 0);
        w32(iommu::REG_FQCSR, iommu::FQCSR_FQEN);
        w64(iommu::REG_DDTP, iommu::DDTP_1LVL | (ddt_root >> 12 << iommu::DDTP_PPN_SHIFT));
        settle();
        assert_true(r32(iommu::REG_FQCSR) & iommu::XQCSR_ON);
    }

    uint64_t r64(uint32_t off) { return access(off, 8, false, 0); }
    uint32_t r32(uint32_t off) { return uint32_t(access(off, 4, false, 0)); }
    void w64(uint32_t off, uint64_t v) { access(off, 8, true, v); }
    void w32(uint32_t off, uint32_t v) { access(off, 4, true, v); }

    // The FQ records (queue at `base`, n entries) from `head` to fqt; head
    // follows and fqh is written back.
    std::vector<iommu::fault_record> take_faults(uint64_t base, uint32_t n, uint32_t& head)
    {
        std::vector<iommu::fault_record> v;
        const uint32_t t = r32(iommu::REG_FQT);
        for (; head != t; head = (head + 1) % n) {
            const uint64_t a = base + uint64_t(head) * 32;
            v.push_back({mem.rd(a), mem.rd(a + 8), mem.rd(a + 16), mem.rd(a + 24)});
        }
        w32(iommu::REG_FQH, head);
        return v;
    }
    // The same for the PQ.
    std::vector<iommu::pq_record> take_requests(uint64_t base, uint32_t n, uint32_t& head)
    {
        std::vector<iommu::pq_record> v;
        const uint32_t t = r32(iommu::REG_PQT);
        for (; head != t; head = (head + 1) % n)
            v.push_back({mem.rd(base + uint64_t(head) * 16), mem.rd(base + uint64_t(head) * 16 + 8)});
        w32(iommu::REG_PQH, head);
        return v;
    }
    // The messages the endpoint got after the first `seen`; seen follows.
    std::vector<bench_endpoint::msg> take_msgs(size_t& seen)
    {
        std::vector<bench_endpoint::msg> v(ep.msgs.begin() + long(seen), ep.msgs.end());
        seen = ep.msgs.size();
        return v;
    }
};

// Fault-record fields (§11). (No overloads: tests include this inside
// extern "C", after <cmocka.h>.)
inline unsigned cause_of(const iommu::fault_record& r) { return unsigned(r.hdr & 0xFFF); }
inline unsigned ttyp_of(const iommu::fault_record& r) { return unsigned((r.hdr >> 34) & 0x3F); }
inline uint32_t did_of(uint64_t hdr) { return uint32_t(hdr >> 40); }

} // namespace prisim::tb
