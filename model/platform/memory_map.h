// SPDX-License-Identifier: Apache-2.0
//
// The machine's physical memory map (system bus addresses).
#pragma once

#include <cstdint>

namespace prisim::platform {

constexpr uint64_t IOMMU_BASE = 0x03000000; // the IOMMU's 4 KiB register page
constexpr uint64_t MSI_BASE = 0x04000000;   // the MSI controller's doorbell page
constexpr uint64_t BAR_BASE = 0x40000000;   // device BARs
constexpr uint64_t DRAM_BASE = 0x80000000;  // DRAM, platform.dram_mib long

} // namespace prisim::platform
