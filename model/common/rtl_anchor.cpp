// SPDX-License-Identifier: Apache-2.0
// The Verilated blocks are added to prisim_rtl by verilate(); this file keeps
// the library non-empty and records which blocks are linked in.
namespace prisim {
const char* rtl_blocks() { return "pq_writer prg_tracker"; }
} // namespace prisim
