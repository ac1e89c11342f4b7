// SPDX-License-Identifier: Apache-2.0
//
// fault_stages - each fault's latency split into the stages of its path
// (DESIGN §3, docs/results.md "Stage latencies").
//
// Every layer a Page Request Group crosses stamps it with the time it saw
// it: the device when it sends the group's last request (L = 1) and when
// the PRG Response arrives, the IOMMU when that request arrives, when its
// PQ record is written and when it sends the PRG Response, and the
// software (through hal_fault_stamp(), prisim/hal.h) when the driver reads
// the record, when iommufd queues the group, when the handler's read()
// takes it and when the response is sent. A group is named by (requester
// ID, PASID, PRG index), unique while it is outstanding; its stamps live in
// a slot per (device, PRG index), allocated at elaboration.
//
// When the PRG Response arrives, the device copies the group's stamps into
// each page of the group (the index may be reused before the page's retry
// completes); when a page's retried translation succeeds, complete() turns
// its miss time, the group's stamps and the retry time into one sample per
// stage, in the histograms (log_histogram.h) of the device's pool (its
// class). The stages of a fault add up to its fault latency exactly.
//
// Cost per fault: a few stores per stamp and one histogram count per
// stage; nothing is allocated, formatted or looked up by name.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/log_histogram.h"

namespace prisim {

// The boundaries of a fault's path, in order.
enum class fault_mark : uint8_t {
    miss,       // device: the page's first ATC miss
    sent,       // device: the group's L = 1 Page Request sent
    at_iommu,   // IOMMU: that request arrived (stamped only for a trace)
    pq_written, // IOMMU: its PQ record written
    drained,    // driver: the record read from the PQ
    queued,     // iommufd: the group queued on the fault object
    read,       // handler: read() took the group's last message
    answered,   // io-pgfault: the group's response sent to the driver
    prgr_sent,  // IOMMU: the PRG Response sent (stamped only for a trace)
    response,   // device: the PRG Response arrived
    retry,      // device: the retried translation succeeded
    count
};
constexpr unsigned k_fault_marks = unsigned(fault_mark::count);

// The stages of the statistics: each from one mark to the next that the
// fault's route has. `kernel` replaces deliver, read and answer for groups
// the kernel-resident handler answered (no fault object, no read()).
enum class fault_stage : uint8_t {
    request,  // miss -> sent
    pq_write, // sent -> pq_written
    drain,    // pq_written -> drained
    deliver,  // drained -> queued
    read,     // queued -> read
    answer,   // read -> answered
    kernel,   // drained -> answered (kernel-resident handler)
    respond,  // answered -> response
    retry,    // response -> retry
    count
};
constexpr unsigned k_fault_stages = unsigned(fault_stage::count);
// The results.json names, in the order above.
const char* fault_stage_name(fault_stage s);

// How a completed fault's answered group went.
enum class fault_route : uint8_t {
    fd,     // through the fault object: read() and write() by a handler
    kernel, // answered by the kernel-resident handler
    other,  // anything else (an IOMMU auto-response, a missing stamp)
    count
};
constexpr unsigned k_fault_routes = unsigned(fault_route::count);
const char* fault_route_name(fault_route r);

// The stamps of one group (ps of simulated time; `have` says which exist).
struct group_stamps {
    uint64_t t[k_fault_marks] = {};
    uint32_t pasid = 0;
    uint16_t prgi = 0;
    uint16_t have = 0;
    bool has(fault_mark m) const { return have & (1u << unsigned(m)); }
    void set(fault_mark m, uint64_t ps)
    {
        t[unsigned(m)] = ps;
        have = uint16_t(have | (1u << unsigned(m)));
    }
    uint64_t at(fault_mark m) const { return t[unsigned(m)]; }
};

// A completed fault, for a trace: its device, the group's stamps with the
// page's miss and retry added, the page's IOVA and its route.
struct fault_done {
    unsigned dev = 0;
    uint16_t rid = 0;
    uint64_t iova = 0;
    fault_route route = fault_route::other;
    const group_stamps* g = nullptr;
};

class fault_span_sink {
public:
    virtual ~fault_span_sink() = default;
    virtual void fault(const fault_done& f) = 0;
};

class fault_stages {
public:
    static constexpr unsigned k_prgis = 512; // 9-bit PRG indexes

    // The statistics of one pool of devices (a device class; all devices
    // when there are none): a histogram per stage and the routes' counts.
    struct pool {
        log_histogram s[k_fault_stages];
        uint64_t routes[k_fault_routes] = {};
        void merge(const pool& o)
        {
            for (unsigned k = 0; k < k_fault_stages; ++k) s[k].merge(o.s[k]);
            for (unsigned r = 0; r < k_fault_routes; ++r) routes[r] += o.routes[r];
        }
    };

    // Elaboration: device `dev` (0, 1, ... in order) has requester ID rid,
    // at most `groups` groups outstanding (min(PRI capacity, 512)), and
    // its faults count in pool `pool_index` (pools are numbered from 0).
    void add_device(unsigned dev, uint16_t rid, unsigned groups, unsigned pool_index);
    // A trace of every completed fault (null: none).
    void set_sink(fault_span_sink* s) { m_sink = s; }
    // A trace is being written: the marks only a trace shows (at_iommu,
    // prgr_sent) are worth stamping.
    bool tracing() const { return m_sink != nullptr; }

    // Device: its group with index prgi sends its last request at `ps`;
    // the group gets a slot, afresh. pasid is 0 for requests without one.
    void open(unsigned dev, unsigned prgi, uint32_t pasid, uint64_t ps)
    {
        dev_info& d = m_dev[dev];
        uint32_t& idx = m_by_index[size_t(dev) * k_prgis + (prgi & (k_prgis - 1))];
        if (idx == k_none) {
            if (d.free_top == 0) return ++m_unmatched, void(); // more groups than declared
            idx = m_free[d.base + --d.free_top];
        }
        group_stamps& g = m_slots[idx];
        g.have = 0;
        g.pasid = pasid;
        g.prgi = uint16_t(prgi);
        g.set(fault_mark::sent, ps);
    }
    // Any other layer: the group (rid, pasid, prgi) passed mark m at `ps`.
    // A group that is not outstanding, or whose PASID differs, is not
    // stamped (counted as unmatched). k_any_pasid: the message carries no
    // PASID to compare (a PRG Response may leave it out).
    static constexpr uint32_t k_any_pasid = 0xFFFFFFFFu;
    void mark(uint16_t rid, uint32_t pasid, unsigned prgi, fault_mark m, uint64_t ps)
    {
        const uint32_t dev = m_dev_of_rid[rid];
        const uint32_t idx = dev == k_none ? k_none : m_by_index[size_t(dev) * k_prgis + (prgi & (k_prgis - 1))];
        if (idx == k_none) return ++m_unmatched, void();
        group_stamps& g = m_slots[idx];
        if (pasid != k_any_pasid && g.pasid != pasid) return ++m_unmatched, void();
        g.set(m, ps);
    }
    // Device: the stamps of its outstanding group prgi (null if it has
    // none), to be copied to each page of the group with the response.
    const group_stamps* find(unsigned dev, unsigned prgi) const
    {
        const uint32_t idx = m_by_index[size_t(dev) * k_prgis + (prgi & (k_prgis - 1))];
        return idx == k_none ? nullptr : &m_slots[idx];
    }
    // Device: the group is no longer outstanding (answered or given up).
    void release(unsigned dev, unsigned prgi)
    {
        dev_info& d = m_dev[dev];
        uint32_t& idx = m_by_index[size_t(dev) * k_prgis + (prgi & (k_prgis - 1))];
        if (idx == k_none) return;
        m_free[d.base + d.free_top++] = idx;
        idx = k_none;
    }
    // Device: a page whose group's stamps are `g` (with the response's)
    // missed at miss_ps and its retry succeeded at retry_ps. sampled: it
    // counts in the statistics (not a warm-up fault). The trace, if any,
    // gets every completed fault.
    void complete(unsigned dev, group_stamps& g, uint64_t miss_ps, uint64_t retry_ps, uint64_t iova,
                  bool sampled);

    // The statistics of pool i (empty if no device counts in it).
    const pool& pool_stats(unsigned i) const;
    size_t pools() const { return m_pools.size(); }
    // Stamps that named no outstanding group.
    uint64_t unmatched() const { return m_unmatched; }

private:
    static constexpr uint32_t k_none = 0xFFFFFFFFu;
    struct dev_info {
        uint16_t rid = 0;
        uint32_t base = 0, groups = 0, free_top = 0; // its slots: m_slots[base .. base + groups)
        pool* stats = nullptr; // its pool
    };
    std::vector<group_stamps> m_slots;   // every device's, each device's contiguous
    std::vector<uint32_t> m_free;        // free slots (indexes into m_slots), a stack per device
    std::vector<uint32_t> m_by_index;    // devices x k_prgis: the slot of an outstanding group
    std::vector<uint32_t> m_dev_of_rid = std::vector<uint32_t>(65536, k_none);
    std::vector<dev_info> m_dev;
    std::vector<std::unique_ptr<pool>> m_pools;
    fault_span_sink* m_sink = nullptr;
    uint64_t m_unmatched = 0;
};

} // namespace prisim
