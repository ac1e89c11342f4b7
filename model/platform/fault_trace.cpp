// SPDX-License-Identifier: Apache-2.0
#include "platform/fault_trace.h"

#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstring>

#include "platform/params.h"
#include "platform/scoreboard.h"

namespace prisim::platform {

namespace {
const char* const k_layer_names[] = {"device", "link", "IOMMU", "driver", "iommufd", "handler"};

// ps as microseconds with six decimals: exact.
struct us_text {
    char s[32];
    explicit us_text(uint64_t ps)
    {
        std::snprintf(s, sizeof s, "%" PRIu64 ".%06" PRIu64, ps / 1000000, ps % 1000000);
    }
};
} // namespace

fault_trace::fault_trace(const std::string& path, uint64_t start_ps, uint64_t end_ps)
    : m_path(path), m_start(start_ps), m_end(end_ps)
{
    if (path.empty()) throw config_error("--trace-out: the file name is empty");
    m_f = std::fopen(path.c_str(), "wb");
    if (!m_f) throw config_error("--trace-out '" + path + "': cannot open for writing: " + std::strerror(errno));
    m_buf.resize(size_t(1) << 20);
    std::setvbuf(m_f, m_buf.data(), _IOFBF, m_buf.size());
    std::fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"prisim\",\"time_unit\":\"us\"},"
               "\"traceEvents\":[\n",
               m_f);
}

fault_trace::~fault_trace()
{
    if (m_f) std::fclose(m_f);
}

void fault_trace::add_device(unsigned dev, uint16_t rid)
{
    const size_t need = (size_t(dev) + 1) * k_layers * k_lanes;
    if (m_lane_end.size() < need) {
        m_lane_end.resize(need, 0);
        m_lane_named.resize(need, 0);
    }
    std::fprintf(m_f,
                 "%s{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":0,\"args\":{\"name\":\"dev%u %s\"}},\n"
                 "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":0,\"args\":{\"sort_index\":%u}}",
                 m_first ? "" : ",\n", dev + 1, dev, rid_name(rid).c_str(), dev + 1, dev);
    m_first = false;
    for (unsigned l = 0; l < k_layers; ++l) thread_name(dev, layer(l), 0);
}

void fault_trace::thread_name(unsigned dev, layer l, unsigned lane)
{
    const size_t i = (size_t(dev) * k_layers + l) * k_lanes + lane;
    if (m_lane_named[i]) return;
    m_lane_named[i] = 1;
    const unsigned tid = l * k_lanes + lane + 1;
    char name[32];
    if (lane)
        std::snprintf(name, sizeof name, "%s #%u", k_layer_names[l], lane + 1);
    else
        std::snprintf(name, sizeof name, "%s", k_layer_names[l]);
    std::fprintf(m_f,
                 "%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":\"%s\"}},\n"
                 "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"sort_index\":%u}}",
                 m_first ? "" : ",\n", dev + 1, tid, name, dev + 1, tid, tid);
    m_first = false;
}

// The first lane whose spans all end by `start` (spans arrive in the order
// their faults complete, not by start: a lane is free for a span only if
// everything written on it ends before the span begins). The last lane
// takes the span when none is free.
unsigned fault_trace::lane_for(unsigned dev, layer l, uint64_t start, uint64_t end)
{
    uint64_t* lanes = &m_lane_end[(size_t(dev) * k_layers + l) * k_lanes];
    unsigned lane = k_lanes - 1;
    for (unsigned i = 0; i < k_lanes; ++i) {
        if (lanes[i] <= start) {
            lane = i;
            break;
        }
    }
    if (end > lanes[lane]) lanes[lane] = end;
    return lane;
}

void fault_trace::span(const prisim::fault_done& f, layer l, const char* name, uint64_t start, uint64_t end)
{
    const unsigned lane = lane_for(f.dev, l, start, end);
    thread_name(f.dev, l, lane);
    const us_text ts(start), dur(end - start);
    std::fprintf(m_f,
                 ",\n{\"name\":\"%s\",\"cat\":\"fault\",\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":%s,\"dur\":%s,"
                 "\"args\":{\"fault\":%" PRIu64 ",\"rid\":\"%04x\",\"pasid\":%u,\"prg_index\":%u,"
                 "\"iova\":\"0x%" PRIx64 "\",\"route\":\"%s\"}}",
                 name, f.dev + 1, l * k_lanes + lane + 1, ts.s, dur.s, m_faults, unsigned(f.rid), f.g->pasid,
                 unsigned(f.g->prgi), f.iova, prisim::fault_route_name(f.route));
}

void fault_trace::fault(const prisim::fault_done& f)
{
    using m = prisim::fault_mark;
    const prisim::group_stamps& g = *f.g;
    if (!m_f || g.at(m::miss) > m_end || g.at(m::retry) < m_start) return;
    // The spans of its route, each from the previous boundary; a boundary
    // that was not stamped merges its two spans into the later one.
    struct step {
        m mark;
        layer l;
        const char* name;
    };
    static const step fd_steps[] = {
        {m::sent, device, "request"},         {m::at_iommu, link, "page request (link)"},
        {m::pq_written, iommu, "pq_write"},   {m::drained, driver, "drain"},
        {m::queued, iommufd, "deliver"},      {m::read, iommufd, "read (queued)"},
        {m::answered, handler, "answer"},     {m::prgr_sent, driver, "respond (command queue)"},
        {m::response, link, "prg response (link)"}, {m::retry, device, "retry"},
    };
    static const step kernel_steps[] = {
        {m::sent, device, "request"},          {m::at_iommu, link, "page request (link)"},
        {m::pq_written, iommu, "pq_write"},    {m::drained, driver, "drain"},
        {m::answered, handler, "kernel"},      {m::prgr_sent, driver, "respond (command queue)"},
        {m::response, link, "prg response (link)"}, {m::retry, device, "retry"},
    };
    static const step other_steps[] = {
        {m::sent, device, "request"},
        {m::response, iommu, "other (no handler)"},
        {m::retry, device, "retry"},
    };
    const step* steps = other_steps;
    size_t n = sizeof other_steps / sizeof other_steps[0];
    if (f.route == prisim::fault_route::fd) {
        steps = fd_steps;
        n = sizeof fd_steps / sizeof fd_steps[0];
    } else if (f.route == prisim::fault_route::kernel) {
        steps = kernel_steps;
        n = sizeof kernel_steps / sizeof kernel_steps[0];
    }
    uint64_t from = g.at(m::miss);
    for (size_t i = 0; i < n; ++i) {
        if (!g.has(steps[i].mark)) continue;
        uint64_t to = g.at(steps[i].mark);
        if (to < from) to = from; // an "other" route's stamps need not be ordered
        span(f, steps[i].l, steps[i].name, from, to);
        from = to;
    }
    ++m_faults;
}

bool fault_trace::finish()
{
    if (!m_f) return false;
    std::fputs("\n]}\n", m_f);
    const bool ok = !std::ferror(m_f);
    const bool closed = std::fclose(m_f) == 0;
    m_f = nullptr;
    return ok && closed;
}

} // namespace prisim::platform
