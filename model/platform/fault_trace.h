// SPDX-License-Identifier: Apache-2.0
//
// fault_trace - each fault's spans across the layers, as a Chrome /
// Perfetto trace-event JSON file (prisim --trace-out, docs/trace.md).
//
// A process per device, a thread (track) per layer: device, link, IOMMU,
// driver, iommufd, handler. Each completed fault adds one complete event
// ("ph": "X") per stage of its path, on the track of the layer that spent
// that time; the spans of a fault are contiguous (each starts where the
// previous ended) and carry its rid, PASID, PRG index, IOVA, route and a
// sequence number. Spans of concurrent faults overlap: a layer's track is
// split into lanes (more threads of the same name) so that the spans on
// one thread never overlap, as the format requires of complete events.
//
// The file is written as the run goes (a fault when its retry succeeds),
// through a buffered stream; nothing is kept but the lanes' end times. A
// window limits it to the faults that overlap [start, end] of simulated
// time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/fault_stages.h"

namespace prisim::platform {

class fault_trace : public prisim::fault_span_sink {
public:
    static constexpr uint64_t k_no_end = UINT64_MAX;
    // Open `path` for writing; throws config_error naming --trace-out if
    // it cannot be. The window is in ps of simulated time.
    fault_trace(const std::string& path, uint64_t start_ps = 0, uint64_t end_ps = k_no_end);
    ~fault_trace() override;
    fault_trace(const fault_trace&) = delete;
    fault_trace& operator=(const fault_trace&) = delete;

    // Name device `dev`'s process and its layers' tracks (before the run).
    void add_device(unsigned dev, uint16_t rid);
    void fault(const prisim::fault_done& f) override;
    // End the JSON document and close the file; false on a write error.
    bool finish();
    uint64_t faults_written() const { return m_faults; }

private:
    enum layer : unsigned { device, link, iommu, driver, iommufd, handler, k_layers };
    static constexpr unsigned k_lanes = 64; // per device and layer; the last one takes what is left

    unsigned lane_for(unsigned dev, layer l, uint64_t start, uint64_t end);
    void span(const prisim::fault_done& f, layer l, const char* name, uint64_t start, uint64_t end);
    void thread_name(unsigned dev, layer l, unsigned lane);

    std::FILE* m_f = nullptr;
    std::string m_path;
    uint64_t m_start, m_end;
    bool m_first = true;
    uint64_t m_faults = 0;
    std::vector<uint64_t> m_lane_end; // devices x layers x lanes: where the lane's last span ends
    std::vector<uint8_t> m_lane_named; // the same: its thread has its name
    std::vector<char> m_buf;           // the stream's buffer
};

} // namespace prisim::platform
