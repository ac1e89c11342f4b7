// SPDX-License-Identifier: Apache-2.0
//
// The SystemC floor: the host cost of one timed notify and thread resume,
// the kernel's cheapest unit of timed work ("raw event", docs/bench.md).
// Two SC_THREADs pass one token: each resumed thread does
// `other.notify(1, SC_NS); wait(mine);`, so every resume advances simulated
// time by 1 ns and costs one timed notification, one time step and one
// context switch. The run stops after N resumes in total.
//
// usage: prisim-floor [N]      (default 2000000)
// stdout: {"resumes": N, "wall_seconds": x, "ns_per_resume": y}
// Wall time is measured around sc_start only.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <systemc>

namespace {

class ping_pong : public sc_core::sc_module {
public:
    SC_HAS_PROCESS(ping_pong);
    ping_pong(const sc_core::sc_module_name& name, uint64_t resumes)
        : sc_core::sc_module(name), m_target(resumes)
    {
        SC_THREAD(ping);
        SC_THREAD(pong);
    }

    uint64_t resumes() const { return m_done; }

private:
    // ping serves first; pong waits for the first ball.
    void ping() { play(m_ev_pong, m_ev_ping); }
    void pong()
    {
        if (m_target == 0) return;
        wait(m_ev_pong);
        if (++m_done < m_target) play(m_ev_ping, m_ev_pong);
    }

    void play(sc_core::sc_event& other, sc_core::sc_event& mine)
    {
        while (m_done < m_target) {
            other.notify(1, sc_core::SC_NS);
            wait(mine);
            ++m_done;
        }
    }

    sc_core::sc_event m_ev_ping, m_ev_pong;
    const uint64_t m_target;
    uint64_t m_done = 0;
};

} // namespace

int sc_main(int argc, char* argv[])
{
    uint64_t n = 2000000;
    if (argc > 2 || (argc == 2 && !std::strcmp(argv[1], "--help"))) {
        std::fprintf(stderr, "usage: prisim-floor [RESUMES]   (default 2000000)\n");
        return 2;
    }
    if (argc == 2) {
        char* end = nullptr;
        n = std::strtoull(argv[1], &end, 10);
        if (!*argv[1] || *end || argv[1][0] == '-') {
            std::fprintf(stderr, "prisim-floor: '%s': expected a non-negative integer\n", argv[1]);
            return 2;
        }
    }

    ping_pong top("top", n);
    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    if (top.resumes() != n) {
        std::fprintf(stderr, "prisim-floor: %" PRIu64 " resumes, expected %" PRIu64 "\n",
                     top.resumes(), n);
        return 1;
    }
    std::printf("{\"resumes\": %" PRIu64 ", \"wall_seconds\": %.9g, \"ns_per_resume\": %.6g}\n", n,
                wall, n ? wall * 1e9 / double(n) : 0.0);
    return 0;
}

// SystemC prints its banner on stdout when the kernel starts; stdout carries
// the JSON only, so switch it off first.
int main(int argc, char* argv[])
{
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    return sc_core::sc_elab_and_sim(argc, argv);
}
