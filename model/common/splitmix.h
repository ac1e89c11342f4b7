// SPDX-License-Identifier: Apache-2.0
//
// splitmix64 (Steele, Lea, Flood 2014): the next value of the sequence
// whose state is `x`, advancing it. The generator every seeded draw of the
// model starts from: the software's random streams, each device's own, and
// fault injection's.
#pragma once

#include <cstdint>

namespace prisim {

inline uint64_t splitmix64(uint64_t& x)
{
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

} // namespace prisim
