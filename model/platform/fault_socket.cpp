// SPDX-License-Identifier: Apache-2.0
//
// The external fault handler's Unix-domain socket (fault_socket.h).
#include "platform/fault_socket.h"

#include <cerrno>
#include <cmath>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "platform/params.h"

namespace prisim::platform {

namespace {

// Milliseconds until `t` for poll(), at least 0, at most INT_MAX.
int ms_until(fault_socket::clock::time_point t)
{
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - fault_socket::clock::now()).count();
    if (left <= 0) return 0;
    return left > 0x7fffffff ? 0x7fffffff : int(left) + 1;
}

std::string seconds_text(double s)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
}

} // namespace

fault_socket::fault_socket(const std::string& path, clock::duration accept_wait) : m_path(path)
{
    const std::string flag = "--fault-socket '" + path + "': ";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty()) throw config_error("--fault-socket: the socket path is empty");
    if (path.size() >= sizeof addr.sun_path)
        throw config_error(flag + "the path is " + std::to_string(path.size()) + " bytes long; a Unix socket path holds at most " +
                           std::to_string(sizeof addr.sun_path - 1));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw config_error(flag + "the path exists and is not a socket");
        ::unlink(path.c_str()); // a stale socket of an earlier run
    }
    const int lfd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0) throw config_error(flag + "cannot create a socket: " + std::strerror(errno));
    auto fail = [&](const std::string& what) {
        const int err = errno;
        ::close(lfd);
        ::unlink(path.c_str());
        return config_error(flag + what + (err ? std::string(": ") + std::strerror(err) : ""));
    };
    if (::bind(lfd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
        const int err = errno;
        ::close(lfd);
        throw config_error(flag + "cannot listen there: " + std::strerror(err));
    }
    if (::listen(lfd, 1) < 0) throw fail("cannot listen there");
    const auto until = clock::now() + accept_wait;
    for (;;) {
        pollfd p{lfd, POLLIN, 0};
        const int rc = ::poll(&p, 1, ms_until(until));
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) throw fail("waiting for the external handler failed");
        if (rc == 0) {
            errno = 0;
            throw fail("no external handler connected within " +
                       seconds_text(std::chrono::duration<double>(accept_wait).count()) + " s");
        }
        m_fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (m_fd >= 0) break;
        if (errno != EINTR && errno != ECONNABORTED) throw fail("accepting the external handler failed");
    }
    // One connection only: nobody else can reach the simulation.
    ::close(lfd);
    ::unlink(path.c_str());
}

fault_socket::~fault_socket() { close(); }

void fault_socket::set_deadline(clock::time_point deadline, double max_wall_s)
{
    m_has_deadline = true;
    m_deadline = deadline;
    m_max_wall_s = max_wall_s;
}

void fault_socket::close()
{
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
}

int fault_socket::read(void* buf, size_t len, std::string& why)
{
    if (m_fd < 0) {
        why = "the connection is closed";
        return -ENOTCONN;
    }
    auto* p = static_cast<unsigned char*>(buf);
    const auto t0 = clock::now();
    int rc = 0;
    size_t got = 0;
    while (got < len) {
        pollfd pf{m_fd, POLLIN, 0};
        const int n = ::poll(&pf, 1, m_has_deadline ? ms_until(m_deadline) : -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            why = std::string("waiting for the external handler failed: ") + std::strerror(errno);
            rc = -EIO;
            break;
        }
        if (n == 0) {
            why = "the external handler did not answer within --max-wall " + seconds_text(m_max_wall_s) + " s";
            rc = -ETIMEDOUT;
            break;
        }
        const ssize_t r = ::recv(m_fd, p + got, len - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno != ECONNRESET) {
            why = std::string("reading from the external handler failed: ") + std::strerror(errno);
            rc = -EIO;
            break;
        }
        if (r <= 0) {
            why = got ? "the external handler closed the connection in the middle of a frame"
                      : "the external handler closed the connection";
            rc = -EPIPE;
            break;
        }
        got += size_t(r);
    }
    m_wait_s += std::chrono::duration<double>(clock::now() - t0).count();
    if (rc) close();
    return rc;
}

int fault_socket::write(const void* buf, size_t len, std::string& why)
{
    if (m_fd < 0) {
        why = "the connection is closed";
        return -ENOTCONN;
    }
    const auto* p = static_cast<const unsigned char*>(buf);
    size_t done = 0;
    while (done < len) {
        // A handler that stops reading fills the socket buffer: bounded too.
        pollfd pf{m_fd, POLLOUT, 0};
        const int n = ::poll(&pf, 1, m_has_deadline ? ms_until(m_deadline) : -1);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) {
            why = "the external handler did not take the simulator's data within --max-wall " +
                  seconds_text(m_max_wall_s) + " s";
            close();
            return -ETIMEDOUT;
        }
        // MSG_NOSIGNAL: a closed peer is an error to report, not SIGPIPE.
        const ssize_t r = ::send(m_fd, p + done, len - done, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            const int err = errno;
            why = err == EPIPE || err == ECONNRESET
                      ? "the external handler closed the connection"
                      : std::string("writing to the external handler failed: ") + std::strerror(err);
            close();
            return err == EPIPE || err == ECONNRESET ? -EPIPE : -EIO;
        }
        done += size_t(r);
    }
    return 0;
}

} // namespace prisim::platform
