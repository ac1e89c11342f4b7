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
    uint64_t r64(uint32_t off) { return access(off, 8, false, 0); }
    uint32_t r32(uint32_t off) { return uint32_t(access(off, 4, false, 0)); }
    void w64(uint32_t off, uint64_t v) { access(off, 8, true, v); }
    void w32(uint32_t off, uint32_t v) { access(off, 4, true, v); }
};

} // namespace prisim::tb
