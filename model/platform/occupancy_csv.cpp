// SPDX-License-Identifier: Apache-2.0
#include "platform/occupancy_csv.h"

#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "platform/params.h"

namespace prisim::platform {

occupancy_csv::occupancy_csv(const std::string& path, uint64_t start_ps, uint64_t end_ps)
    : m_start(start_ps), m_end(end_ps)
{
    if (path.empty()) throw config_error("--occupancy-out: the file name is empty");
    m_f = std::fopen(path.c_str(), "wb");
    if (!m_f)
        throw config_error("--occupancy-out '" + path + "': cannot open for writing: " + std::strerror(errno));
    m_buf.resize(size_t(1) << 20);
    std::setvbuf(m_f, m_buf.data(), _IOFBF, m_buf.size());
    std::fputs("time_ps,queue,level\n", m_f);
}

occupancy_csv::~occupancy_csv()
{
    if (m_f) std::fclose(m_f);
}

unsigned occupancy_csv::add_queue(const std::string& name)
{
    m_queues.push_back({name});
    return unsigned(m_queues.size() - 1);
}

void occupancy_csv::level(unsigned q, uint64_t t_ps, uint64_t level)
{
    queue& qu = m_queues[q];
    const uint64_t before = qu.level;
    qu.level = level;
    if (!m_f || t_ps < m_start || t_ps > m_end) return;
    if (!qu.in_window) {
        qu.in_window = true;
        if (m_start && t_ps > m_start) {
            std::fprintf(m_f, "%" PRIu64 ",%s,%" PRIu64 "\n", m_start, qu.name.c_str(), before);
            ++m_rows;
        }
    }
    std::fprintf(m_f, "%" PRIu64 ",%s,%" PRIu64 "\n", t_ps, qu.name.c_str(), level);
    ++m_rows;
}

bool occupancy_csv::finish()
{
    if (!m_f) return true;
    const bool ok = !std::ferror(m_f);
    const bool closed = std::fclose(m_f) == 0;
    m_f = nullptr;
    return ok && closed;
}

} // namespace prisim::platform
