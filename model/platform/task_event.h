// SPDX-License-Identifier: Apache-2.0
//
// An event software tasks block on (sw_runtime::block_on) and wake each
// other with (notify_here): wait queues, a mutex's release, an interrupt
// thread going idle.
//
// Most of its notifications find no task waiting: a mutex unlocked that
// nobody wanted, a wake-up of a queue whose consumer is still busy. Sent
// to the kernel, each would cost a scheduler round for nothing, and a timed
// one, pending, would also make every thread that runs ahead synchronise
// before its time (others_due_within). So a notification is held back
// while no task waits, and sent only when a task starts waiting before it
// has expired - exactly as if it had been sent at once: the kernel then
// holds the same pending notification, at the same time, for every task
// it could wake (IEEE 1666-2011 §5.10.8: an earlier pending notification
// overrides a later one; a delta one overrides a timed one; a timed one
// expires as its time step starts, a delta one as its evaluation phase
// ends).
#pragma once

#include <cstdint>

#include <systemc>

#include "common/local_time.h"

namespace prisim::platform {

class task_event {
public:
    // Notify at now + delay (zero: a delta notification).
    void notify(const sc_core::sc_time& delay)
    {
        const bool live = pending();
        // Sent when a task waits, or when the kernel already holds the
        // pending one (it keeps the earlier of the two itself).
        m_sent = m_waiters || (live && m_sent);
        if (m_sent) m_ev.notify(delay);
        // The notification the kernel would hold now.
        const sc_core::sc_time& now = prisim::sim_now();
        if (delay == sc_core::SC_ZERO_TIME) {
            m_kind = kind::delta;
            m_at = now;
            m_delta = sc_core::sc_delta_count();
        } else if (!live || (m_kind == kind::timed && now + delay < m_at)) {
            m_kind = kind::timed;
            m_at = now + delay;
        }
    }

    // The calling task waits for the event (wait(event()) or with a
    // timeout) between begin_wait() and end_wait().
    void begin_wait()
    {
        if (m_waiters++ == 0 && !m_sent && pending()) {
            m_ev.notify(m_kind == kind::delta ? sc_core::SC_ZERO_TIME : m_at - prisim::sim_now());
            m_sent = true;
        }
    }
    void end_wait() { --m_waiters; }

    sc_core::sc_event& event() { return m_ev; }

private:
    // The last notification has not fired yet.
    bool pending() const
    {
        switch (m_kind) {
        case kind::delta: return prisim::sim_now() == m_at && sc_core::sc_delta_count() == m_delta;
        case kind::timed: return prisim::sim_now() < m_at;
        default: return false;
        }
    }

    enum class kind : uint8_t { none, delta, timed };
    sc_core::sc_event m_ev;
    sc_core::sc_time m_at;
    uint64_t m_delta = 0;
    unsigned m_waiters = 0;
    kind m_kind = kind::none;
    bool m_sent = false; // the kernel holds the pending notification
};

} // namespace prisim::platform
