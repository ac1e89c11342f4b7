// SPDX-License-Identifier: Apache-2.0
//
// One access of a replayed trace (docs/scenario.md, "Trace replay"): what a
// pxdev does instead of its generated workload when device_params::trace is
// set. Reading trace files is the platform's (platform/trace_file.h).
#pragma once

#include <cstdint>
#include <vector>

namespace prisim::device {

struct trace_access {
    uint64_t time_ps = 0; // arrival, after START (non-decreasing)
    uint64_t iova = 0;    // the first byte accessed
    uint16_t size = 0;    // bytes, 1..4096, within the 4 KiB page of iova
    bool write = false;   // a write (DMA of the pattern) or a read (translation only)
};

using trace = std::vector<trace_access>;

} // namespace prisim::device
