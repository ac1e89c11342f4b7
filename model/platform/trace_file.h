// SPDX-License-Identifier: Apache-2.0
//
// Trace files for trace replay (docs/scenario.md, "Trace replay"): UTF-8
// text, one access a line, `time_ns device pasid address size rw`. Read at
// load, before the run; a malformed line is a config_error naming the file,
// the line and what was expected there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "device/trace.h"

namespace prisim::platform {

// The accesses of one device index in a trace file, in file order.
struct trace_device {
    std::shared_ptr<device::trace> accesses = std::make_shared<device::trace>();
    uint64_t first_line = 0;     // where the device index first appears
    bool pv = false;             // its PASID, or '-' (pv = false)
    uint32_t pasid = 0;
    uint64_t pages = 0;          // distinct 4 KiB pages it touches
    uint64_t first_page = 0, last_page = 0; // lowest and highest page number
    uint64_t last_line = 0, last_address = 0; // the first access to last_page: its line and address
};

struct trace_file {
    std::string path;
    std::map<uint64_t, trace_device> devices; // by device index
};

// The largest device index, time and size a line may have.
constexpr uint64_t k_trace_max_device = 4095;
constexpr uint64_t k_trace_max_time_ns = 1000000000000ull; // 1000 s: beyond run.max_time_us
constexpr size_t k_trace_max_bytes = size_t(256) << 20;    // a larger file (/dev/zero) is refused

// Parse trace text; `origin` names it in messages (FILE:LINE: ...).
trace_file parse_trace(const std::string& text, const std::string& origin);
// Read and parse the file at `path`; `key` (the scenario key that named it)
// is in the message when the file cannot be read.
trace_file read_trace(const std::string& path, const std::string& key);

} // namespace prisim::platform
