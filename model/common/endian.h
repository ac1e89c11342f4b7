// SPDX-License-Identifier: Apache-2.0
//
// Little-endian byte order of registers, in-memory structures and TLP
// payloads (riscv-iommu.md §1: registers are little-endian always).
#pragma once

#include <cstdint>
#include <cstring>

namespace prisim {

// The len (1..8) bytes at p as a little-endian integer.
inline uint64_t load_le(const unsigned char* p, unsigned len = 8)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    // Whole words (the common case: queue records, PTEs, registers) as one load.
    if (len == 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        return v;
    }
    if (len == 4) {
        uint32_t v;
        std::memcpy(&v, p, 4);
        return v;
    }
#endif
    uint64_t v = 0;
    for (unsigned i = len; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

// The low len (1..8) bytes of v to p, little-endian.
inline void store_le(unsigned char* p, uint64_t v, unsigned len = 8)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (len == 8) {
        std::memcpy(p, &v, 8);
        return;
    }
    if (len == 4) {
        const uint32_t w = static_cast<uint32_t>(v);
        std::memcpy(p, &w, 4);
        return;
    }
#endif
    for (unsigned i = 0; i < len; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

} // namespace prisim
