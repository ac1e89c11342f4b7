// SPDX-License-Identifier: Apache-2.0
//
// rtl_power_on_reset: the reset every Verilated block of the model gets at
// construction, clocked in place: an asynchronous reset pulse plus one
// clock edge under reset, leaving the clock low and reset released (four
// evaluations, no simulated time). V is a Verilated top with clk_i, rst_ni.
#pragma once

namespace prisim {

template <class V>
void rtl_power_on_reset(V& t)
{
    t.clk_i = 0;
    t.rst_ni = 1;
    t.eval();
    t.rst_ni = 0;
    t.eval();
    t.clk_i = 1;
    t.eval();
    t.clk_i = 0;
    t.rst_ni = 1;
    t.eval();
}

} // namespace prisim
