// SPDX-License-Identifier: Apache-2.0
//
// Reusing one tlm_generic_payload per blocking initiator (nothing allocated
// per transaction): every attribute a previous use may have left is set.
#pragma once

#include <cstdint>

#include <tlm>

namespace prisim {

inline tlm::tlm_generic_payload& prepare_payload(tlm::tlm_generic_payload& gp, tlm::tlm_command cmd,
                                                 uint64_t addr, unsigned char* data, unsigned len)
{
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(data);
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    gp.set_byte_enable_ptr(nullptr);
    gp.set_byte_enable_length(0);
    gp.set_dmi_allowed(false);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    return gp;
}

} // namespace prisim
