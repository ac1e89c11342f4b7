// SPDX-License-Identifier: Apache-2.0
//
// occupancy_csv - the level of every observed queue over simulated time, as
// CSV (prisim --occupancy-out, docs/user-guide.md "Queue occupancy").
//
//   time_ps,queue,level
//   1234000,iommu0.pq,1
//
// One row per change of a level, in the order the simulation made the
// changes (deterministic: the same scenario and seed give the same bytes).
// Each row carries the stamp the change was made with: a loosely timed
// process stamps with its local time, so within a queue a row may be
// stamped slightly before the previous one (docs/user-guide.md, "Time").
// Every queue is at level 0 at time 0. With a window [start, end], only
// the changes stamped within it are written, and a queue's first row in
// the window is preceded by one at `start` with the level it had then
// (when start > 0). Written as the run goes, through a buffered stream.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/occupancy.h"

namespace prisim::platform {

class occupancy_csv : public prisim::occupancy_observer {
public:
    static constexpr uint64_t k_no_end = UINT64_MAX;
    // Open `path` for writing; throws config_error naming --occupancy-out
    // if it cannot be. The window is in ps of simulated time.
    occupancy_csv(const std::string& path, uint64_t start_ps = 0, uint64_t end_ps = k_no_end);
    ~occupancy_csv() override;
    occupancy_csv(const occupancy_csv&) = delete;
    occupancy_csv& operator=(const occupancy_csv&) = delete;

    unsigned add_queue(const std::string& name) override;
    void level(unsigned queue, uint64_t t_ps, uint64_t level) override;
    // Close the file; false on a write error.
    bool finish();
    uint64_t rows() const { return m_rows; }

private:
    struct queue {
        std::string name;
        uint64_t level = 0;   // as of its latest change
        bool in_window = false; // a row of it was written
    };
    std::FILE* m_f = nullptr;
    uint64_t m_start, m_end;
    uint64_t m_rows = 0;
    std::vector<queue> m_queues;
    std::vector<char> m_buf; // the stream's buffer
};

} // namespace prisim::platform
