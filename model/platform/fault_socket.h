// SPDX-License-Identifier: Apache-2.0
//
// The host side of the external fault handler (prisim --fault-socket PATH,
// docs/external-handler.md): a Unix-domain stream socket, listened on at
// PATH, with one accepted connection. It moves bytes only; the frames
// (sw/include/prisim/fault_socket.h) are the software's business, which
// reaches this through the HAL's host channel (hal_host_chan_*).
//
// Every wait is bounded in host time: the accept by its own limit, each
// read by the run's deadline (--max-wall). Simulated time does not move
// while a read waits: the whole simulation waits with it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace prisim::platform {

class fault_socket {
public:
    using clock = std::chrono::steady_clock;

    // Listen at path (a stale socket there is replaced), accept one
    // connection within accept_wait, then remove the path. Throws
    // config_error naming --fault-socket when that fails.
    fault_socket(const std::string& path, clock::duration accept_wait);
    ~fault_socket();
    fault_socket(const fault_socket&) = delete;
    fault_socket& operator=(const fault_socket&) = delete;

    // Reads give up at `deadline`, `max_wall_s` being the limit the
    // message names (no deadline: wait as long as it takes).
    void set_deadline(clock::time_point deadline, double max_wall_s);

    bool is_open() const { return m_fd >= 0; }
    const std::string& path() const { return m_path; }
    // Host seconds spent waiting in reads (host.json).
    double wait_seconds() const { return m_wait_s; }

    // Read exactly len bytes / write all of them. 0, or -errno with `why`
    // naming the problem (-EPIPE closed by the peer, -ETIMEDOUT deadline,
    // -EIO another error, -ENOTCONN not open); the socket is closed then.
    int read(void* buf, size_t len, std::string& why);
    int write(const void* buf, size_t len, std::string& why);
    void close();

private:
    std::string m_path;
    int m_fd = -1;
    bool m_has_deadline = false;
    clock::time_point m_deadline;
    double m_max_wall_s = 0;
    double m_wait_s = 0;
};

} // namespace prisim::platform
