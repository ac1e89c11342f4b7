// SPDX-License-Identifier: Apache-2.0
#include "platform/wired_irq.h"

#include <string>

#include "common/local_time.h"

namespace prisim::platform {

wired_irq_controller::wired_irq_controller(sc_core::sc_module_name name, unsigned first_irq,
                                           unsigned lines, raise_fn raise)
    : sc_module(name), lines_in("lines_in"), m_first(first_irq), m_lines(lines), m_raise(std::move(raise))
{
    lines_in.bind(*this);
}

void wired_irq_controller::set_level(unsigned n, bool level, const sc_core::sc_time& delay)
{
    if (n >= m_lines.size()) {
        SC_REPORT_WARNING(name(), ("level change on wire " + std::to_string(n) + " ignored: the controller has " +
                                   std::to_string(m_lines.size()) + " wires")
                                      .c_str());
        return;
    }
    line& l = m_lines[n];
    const uint64_t at = (prisim::sim_now() + delay).value();
    if (level == l.level)
        return;
    l.prev = l.level;
    l.level = level;
    l.since_ps = at;
    if (level) {
        ++m_raised;
        m_raise(m_first + n, delay);
    }
}

bool wired_irq_controller::level_at(unsigned irq, uint64_t at_ps) const
{
    if (!owns(irq))
        return false;
    const line& l = m_lines[irq - m_first];
    return at_ps >= l.since_ps ? l.level : l.prev;
}

} // namespace prisim::platform
