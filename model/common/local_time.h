// SPDX-License-Identifier: Apache-2.0
//
// Temporal decoupling (TLM-2.0 loosely timed, DESIGN.md §5).
//
// A SystemC thread that runs ahead of simulated time keeps a local time
// offset: latencies are added to it instead of being waited for, and the
// thread calls wait() only where its effect must become visible to another
// process (a queue hand-off, blocking, an interrupt) or when the offset
// reaches the quantum. A b_transport target does the same with the `delay`
// argument of its caller: the delay *is* the caller's local offset.
//
// Quantum 0 is fully synchronised: every latency is waited for at once, so a
// component behaves exactly as if it had called wait() itself.
//
// This is the equivalent of tlm_utils::tlm_quantumkeeper without its global
// quantum: every component gets its quantum from the scenario, so two
// machines with different quanta can coexist in one simulation, and a
// quantum of 0 never costs a delta cycle.
#pragma once

#include <systemc>

namespace prisim {

// The simulation context, looked up once: the model runs in SystemC's one
// context, and sc_time_stamp() pays two library calls to find it each time.
// (A plain pointer rather than a function-local static: without the static's
// guard the compiler inlines the look-up, a load and a test, at every use.)
inline sc_core::sc_simcontext* sim_context_cache = nullptr;
inline sc_core::sc_simcontext* sim_context()
{
    sc_core::sc_simcontext* c = sim_context_cache;
    if (__builtin_expect(c == nullptr, 0)) c = sim_context_cache = sc_core::sc_get_curr_simcontext();
    return c;
}

// Simulated time now (sc_time_stamp() without the look-up).
inline const sc_core::sc_time& sim_now() { return sim_context()->time_stamp(); }

// The end of the current phase of the run, in the kernel's time units
// (none: the largest value). sc_main acts there: the kernel stops at the
// last event before it, and what follows (the statistics, the shutdown
// phase) starts from that time. A thread that ran ahead past it would have
// acted in a future nothing else has reached, and would see what comes
// next late by as much: a device would complete the shutdown's Invalidate
// Requests only at its own local time. (A plain value: read on every
// others_due_within(), it needs no initialisation guard.)
inline sc_core::sc_time::value_type phase_end_value = ~sc_core::sc_time::value_type(0);

// sc_start(duration, SC_EXIT_ON_STARVATION), no thread running ahead past
// its end.
inline void run_phase(const sc_core::sc_time& duration)
{
    phase_end_value = (sim_now() + duration).value();
    sc_core::sc_start(duration, sc_core::SC_EXIT_ON_STARVATION);
}

// Is any other process due to run before the calling thread's local time
// (now + delay), or at it? If none is, no state can change before then, and
// waiting for the delay would only cost a scheduler round: a thread that
// runs ahead is then exactly where a synchronised one would be. One due at
// the same time counts: synchronised, the kernel may run it first, and a
// thread that ran ahead would always act before it (with several CPUs,
// which of two tasks takes a lock or a CPU first).
// The end of the phase counts as due (sc_main acts there).
// (sc_time_to_pending_activity() <= delay, without its look-ups.)
inline bool others_due_within(const sc_core::sc_time& delay)
{
    if (delay == sc_core::SC_ZERO_TIME) return false;
    sc_core::sc_simcontext* c = sim_context();
    if (c->pending_activity_at_current_time()) return true;
    const sc_core::sc_time until = c->time_stamp() + delay;
    if (until.value() > phase_end_value) return true;
    sc_core::sc_time next;
    return c->next_time(next) && next <= until;
}

// Add `d` to the annotated delay of the calling thread; synchronise (wait
// for the whole delay, which becomes 0) once it reaches `quantum`, if
// another process is due before then.
inline void annotate(sc_core::sc_time& delay, const sc_core::sc_time& d,
                     const sc_core::sc_time& quantum)
{
    delay += d;
    if (delay != sc_core::SC_ZERO_TIME && delay >= quantum && others_due_within(delay)) {
        sc_core::wait(delay);
        delay = sc_core::SC_ZERO_TIME;
    }
}

// Wait for an annotated delay now (before an effect another process must
// see at the right time, or before blocking).
inline void synchronise(sc_core::sc_time& delay)
{
    if (delay != sc_core::SC_ZERO_TIME) {
        sc_core::wait(delay);
        delay = sc_core::SC_ZERO_TIME;
    }
}

// Before looking at state other processes write: synchronise only if one of
// them is due to run before the caller's local time.
inline void synchronise_to_observe(sc_core::sc_time& delay)
{
    if (delay != sc_core::SC_ZERO_TIME && others_due_within(delay)) {
        sc_core::wait(delay);
        delay = sc_core::SC_ZERO_TIME;
    }
}

// The local time of one thread.
class local_time {
public:
    explicit local_time(sc_core::sc_time quantum = sc_core::SC_ZERO_TIME) : m_quantum(quantum) {}

    void set_quantum(const sc_core::sc_time& q) { m_quantum = q; }
    const sc_core::sc_time& quantum() const { return m_quantum; }

    // Offset of this thread ahead of sc_time_stamp().
    const sc_core::sc_time& offset() const { return m_offset; }
    sc_core::sc_time& offset() { return m_offset; }
    // The thread's own notion of now.
    sc_core::sc_time now() const { return sim_now() + m_offset; }

    // Account `d`; synchronise once the quantum has run out.
    void advance(const sc_core::sc_time& d) { annotate(m_offset, d, m_quantum); }
    // Take over the delay a b_transport target annotated (it is the new offset).
    void take(const sc_core::sc_time& delay)
    {
        m_offset = sc_core::SC_ZERO_TIME;
        annotate(m_offset, delay, m_quantum);
    }
    // Bring simulated time up to the local time.
    void sync() { synchronise(m_offset); }
    // The quantum has run out and another process is due before the local
    // time (the condition under which advance() synchronises).
    bool need_sync() const
    {
        return m_offset != sc_core::SC_ZERO_TIME && m_offset >= m_quantum && others_due_within(m_offset);
    }
    // Synchronise only if another process is due before the local time.
    void sync_to_observe() { synchronise_to_observe(m_offset); }

private:
    sc_core::sc_time m_quantum;
    sc_core::sc_time m_offset = sc_core::SC_ZERO_TIME;
};

} // namespace prisim
