// SPDX-License-Identifier: Apache-2.0
//
// PCIe transaction types carried over TLM-2.0 generic payloads (pcie-pri.md
// §1, §2, §4, §7). A TLP is a tlm_generic_payload plus a pcie::tlp_ext:
//
//   kind                 gp command / address / data
//   ------------------   -------------------------------------------------------
//   mem_read/mem_write   READ/WRITE, address = IOVA (at = untranslated) or the
//                        translated address (at = translated), data = bytes
//   ats_translation_req  READ, address = untranslated address, 8-byte data
//                        receives the completion entry (encode_ats_cpl below);
//                        ext.cpl_status = completion status
//   page_request         WRITE, address 0, 8-byte data = PAYLOAD (LE u64):
//                        R bit 0, W bit 1, L bit 2, PRGI 11:3, page 63:12
//   prg_response         WRITE, address 0, 8-byte data = PAYLOAD (LE u64):
//                        PRGI 40:32, response code 47:44, (legacy dest id 63:48)
//   inval_request        WRITE, 8-byte data = ATS.INVAL payload,
//                        ext.itag = ITag (5 bits, header field)
//   inval_completion     WRITE, 8-byte data = ITag vector 31:0, CC 34:32
//
// Messages (page_request, prg_response, inval_*) are posted: the link returns
// at once and delivers after its latency. Reads and ATS translation requests
// are non-posted: b_transport returns with the completion.
#pragma once

#include <cstdint>
#include <cstring>

#include <tlm>

#include "common/endian.h"

namespace prisim::pcie {

enum class tlp_kind : uint8_t {
    mem_read,
    mem_write,
    ats_translation_req,
    page_request,
    prg_response,
    inval_request,
    inval_completion,
};

enum class at_t : uint8_t { untranslated = 0, translation_req = 1, translated = 2 };

// Completion status (PCIe; same values as the riscv-iommu reference model).
enum class cpl_status : uint8_t { sc = 0, ur = 1, ca = 4 };

// PRG Response codes (pcie-pri.md §4.1).
enum prg_code : uint8_t {
    PRG_SUCCESS = 0x0,
    PRG_INVALID_REQUEST = 0x1,
    PRG_RESPONSE_FAILURE = 0xF,
};

// Who produced a PRG Response. Simulation-only: lets the scoreboard attribute
// responses; a device model must not change behaviour on it.
enum class origin : uint8_t { software = 0, iommu_auto = 1 };

struct tlp_ext : tlm::tlm_extension<tlp_ext> {
    tlp_kind kind = tlp_kind::mem_read;
    at_t at = at_t::untranslated;
    uint16_t rid = 0;   // requester ID (or destination ID for routed-by-ID messages)
    bool dsv = false;   // destination segment valid
    uint8_t dseg = 0;
    bool pv = false;    // PASID prefix present
    uint32_t pasid = 0; // 20 bits
    bool priv = false;  // Privileged Mode Requested (only with PASID)
    bool exec = false;  // Execute Requested (only with PASID)
    bool no_write = false; // ATS TR: NW hint
    cpl_status status = cpl_status::sc;
    origin from = origin::software;
    uint8_t itag = 0;   // inval_request: ITag (5 bits), pcie-pri.md §7.3

    tlm::tlm_extension_base* clone() const override { return new tlp_ext(*this); }
    void copy_from(const tlm::tlm_extension_base& e) override
    {
        *this = static_cast<const tlp_ext&>(e);
    }
};

// ---- Page Request payload (pcie-pri.md §2) ----
inline uint64_t pr_payload(uint64_t page_addr, unsigned prgi, bool l, bool w, bool r)
{
    return (page_addr & ~0xFFFull) | (uint64_t(prgi & 0x1FF) << 3) | (uint64_t(l) << 2) |
           (uint64_t(w) << 1) | uint64_t(r);
}
inline bool pr_r(uint64_t p) { return p & 1; }
inline bool pr_w(uint64_t p) { return (p >> 1) & 1; }
inline bool pr_l(uint64_t p) { return (p >> 2) & 1; }
inline unsigned pr_prgi(uint64_t p) { return (p >> 3) & 0x1FF; }
inline uint64_t pr_addr(uint64_t p) { return p & ~0xFFFull; }

// ---- PRG Response payload (pcie-pri.md §4, riscv-iommu.md §10.5) ----
inline uint64_t prgr_payload(unsigned prgi, unsigned code, uint16_t dest_id = 0)
{
    return (uint64_t(dest_id) << 48) | (uint64_t(code & 0xF) << 44) |
           (uint64_t(prgi & 0x1FF) << 32);
}
inline unsigned prgr_prgi(uint64_t p) { return (p >> 32) & 0x1FF; }
inline unsigned prgr_code(uint64_t p) { return (p >> 44) & 0xF; }

// ---- ATS translation completion entry (pcie-pri.md §7.2) ----
// 64-bit little-endian: R 0, W 1, U 2, Exe 3, Priv 4, Global 5, N 10, S 11,
// Translated Address 63:12.
struct ats_cpl {
    uint64_t addr = 0; // translated address (page aligned)
    bool r = false, w = false, u = false, x = false, priv = false, global = false;
    bool n = false, s = false;
};
inline uint64_t encode_ats_cpl(const ats_cpl& c)
{
    return (c.addr & ~0xFFFull) | (uint64_t(c.s) << 11) | (uint64_t(c.n) << 10) |
           (uint64_t(c.global) << 5) | (uint64_t(c.priv) << 4) | (uint64_t(c.x) << 3) |
           (uint64_t(c.u) << 2) | (uint64_t(c.w) << 1) | uint64_t(c.r);
}
inline ats_cpl decode_ats_cpl(uint64_t v)
{
    ats_cpl c;
    c.addr = v & ~0xFFFull;
    c.r = v & 1;
    c.w = (v >> 1) & 1;
    c.u = (v >> 2) & 1;
    c.x = (v >> 3) & 1;
    c.priv = (v >> 4) & 1;
    c.global = (v >> 5) & 1;
    c.n = (v >> 10) & 1;
    c.s = (v >> 11) & 1;
    return c;
}

// ---- Invalidate Request / Completion payloads (pcie-pri.md §7.3) ----
// Request: G bit 0, S bit 11, untranslated address 63:12.
inline bool inval_g(uint64_t p) { return p & 1; }
inline bool inval_s(uint64_t p) { return (p >> 11) & 1; }
inline uint64_t inval_addr(uint64_t p) { return p & ~0xFFFull; }
// Completion: ITag vector 31:0, Completion Count 34:32 (0 encodes 8).
inline uint64_t inval_cpl_payload(uint32_t itag_vector, unsigned cc)
{
    return (uint64_t(cc & 0x7) << 32) | itag_vector;
}
inline uint32_t inval_cpl_itags(uint64_t p) { return uint32_t(p); }
inline unsigned inval_cpl_cc(uint64_t p) { return (p >> 32) & 0x7; }

// NAPOT range named by an address with S = 1 (ATS completion and Invalidate
// Request, pcie-pri.md §7.2): with X the position of the lowest 0 bit of
// address bits 63:12, the range is 2^(X+1) 4-KiB pages. Returns the size in
// bytes (0 when bits 63:12 are all ones, i.e. the whole address space).
inline uint64_t napot_size(uint64_t addr)
{
    uint64_t pfn = addr >> 12;
    unsigned x = 0;
    while (x < 52 && ((pfn >> x) & 1)) ++x;
    if (x >= 51) return 0; // 2^(X+1) pages no longer fit in 64 bits
    return 1ull << (x + 1 + 12);
}

// Little-endian helpers for 8-byte payloads in gp data.
inline uint64_t load_le64(const unsigned char* p) { return prisim::load_le(p, 8); }
inline void store_le64(unsigned char* p, uint64_t v) { prisim::store_le(p, v, 8); }

} // namespace prisim::pcie
