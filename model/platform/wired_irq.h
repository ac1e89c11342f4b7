// SPDX-License-Identifier: Apache-2.0
//
// Wired interrupt controller (APLIC-like, level-sensitive sources). What it
// models: `lines` interrupt wires, each delivered to the CPU as interrupt
// number first_irq + line. A wire going 0 -> 1 raises its interrupt at the
// time of the change; a wire still high when its handler is done raises it
// again (sw_runtime asks level_at()), so a level that outlasts its handler,
// or that another source sharing the wire holds up, is never lost. What it
// does not: priorities, targets other than the CPUs of the runtime, MSI
// forwarding, edge-triggered sources.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <systemc>

#include "common/irq_lines.h"

namespace prisim::platform {

class wired_irq_controller : public sc_core::sc_module, public prisim::irq_lines_if {
public:
    sc_core::sc_export<prisim::irq_lines_if> lines_in;
    using raise_fn = std::function<void(unsigned irq, const sc_core::sc_time& delay)>;

    wired_irq_controller(sc_core::sc_module_name name, unsigned first_irq, unsigned lines, raise_fn raise);

    void set_level(unsigned line, bool level, const sc_core::sc_time& delay) override;
    // The level of the wire of interrupt `irq` at simulated time `at_ps`.
    bool level_at(unsigned irq, uint64_t at_ps) const;
    bool owns(unsigned irq) const { return irq >= m_first && irq - m_first < m_lines.size(); }
    unsigned first_irq() const { return m_first; }
    unsigned lines() const { return unsigned(m_lines.size()); }
    uint64_t raised() const { return m_raised; }

private:
    struct line {
        bool level = false, prev = false;
        uint64_t since_ps = 0; // level holds from here; prev before
    };
    unsigned m_first;
    std::vector<line> m_lines;
    raise_fn m_raise;
    uint64_t m_raised = 0;
};

} // namespace prisim::platform
