// SPDX-License-Identifier: Apache-2.0
//
// irq_lines_if: level-sensitive interrupt wires from a device to an
// interrupt controller (the RISC-V IOMMU's wired interrupts, fctl.WSI = 1:
// riscv-iommu.md §8.1). A wire is not a transaction, so it is a SystemC
// interface bound through sc_port / sc_export rather than a TLM socket; a
// level change carries the caller's annotated delay like any other output
// of a temporally decoupled process (DESIGN §5): the line has the new level
// from now + delay on.
#pragma once

#include <systemc>

namespace prisim {

class irq_lines_if : public virtual sc_core::sc_interface {
public:
    virtual void set_level(unsigned line, bool level, const sc_core::sc_time& delay) = 0;
};

} // namespace prisim
