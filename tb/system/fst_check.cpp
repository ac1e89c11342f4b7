// SPDX-License-Identifier: Apache-2.0
//
// Description: reads an FST file that `prisim --wave-out` wrote and checks
// it as GTKWave would see it: the pq_writer scope with its clock, record
// write and pqt signals; value changes only inside the expected window; a
// clock that toggles; record writes (mem_req_valid_o pulses) present.
// With SCOPE and PULSE (the IOTLB's file: iotlb clk_i), that scope and the
// rises of that signal instead.
//   fst_check FILE START_PS END_PS MIN_WRITES [SCOPE PULSE]
// Exit 0 when every check holds, 1 (naming the check) otherwise.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "gtkwave/fstapi.h"

namespace {

struct seen {
    std::map<fstHandle, std::string> names; // handles of the signals checked
    uint64_t first = UINT64_MAX, last = 0, changes = 0;
    uint64_t clk_rises = 0, mem_req_rises = 0;
    fstHandle clk = 0, mem_req = 0;
};

void on_change(void* arg, uint64_t time, fstHandle h, const unsigned char* value)
{
    auto* s = static_cast<seen*>(arg);
    ++s->changes;
    if (time < s->first) s->first = time;
    if (time > s->last) s->last = time;
    if (h == s->clk && value && value[0] == '1') ++s->clk_rises;
    if (h == s->mem_req && value && value[0] == '1') ++s->mem_req_rises;
}

int fail(const char* what)
{
    std::fprintf(stderr, "fst_check: %s\n", what);
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 5 && argc != 7) return fail("usage: fst_check FILE START_PS END_PS MIN_WRITES [SCOPE PULSE]");
    const char* scope = argc == 7 ? argv[5] : "pq_writer";
    const char* pulse = argc == 7 ? argv[6] : "mem_req_valid_o";
    const uint64_t start = std::strtoull(argv[2], nullptr, 10), end = std::strtoull(argv[3], nullptr, 10);
    const uint64_t min_writes = std::strtoull(argv[4], nullptr, 10);
    void* ctx = fstReaderOpen(argv[1]);
    if (!ctx) return fail("not an FST file");
    seen s;
    bool in_scope = false, pqt = argc == 7;
    while (fstHier* h = fstReaderIterateHier(ctx)) {
        if (h->htyp == FST_HT_SCOPE) in_scope = in_scope || std::strcmp(h->u.scope.name, scope) == 0;
        if (h->htyp != FST_HT_VAR || !in_scope) continue;
        const std::string n = h->u.var.name;
        if (n == "clk_i") s.clk = h->u.var.handle;
        if (n == pulse) s.mem_req = h->u.var.handle;
        if (n.rfind("pqt_o", 0) == 0) pqt = true;
    }
    if (!s.clk || !s.mem_req || !pqt) {
        fstReaderClose(ctx);
        return fail("the scope lacks clk_i, the pulse signal or (pq_writer) pqt_o");
    }
    fstReaderSetFacProcessMaskAll(ctx);
    fstReaderIterBlocks(ctx, on_change, &s, nullptr);
    fstReaderClose(ctx);
    std::printf("fst_check: %llu changes in [%llu, %llu] ps, %llu clock rises, %llu record writes\n",
                (unsigned long long)s.changes, (unsigned long long)s.first, (unsigned long long)s.last,
                (unsigned long long)s.clk_rises, (unsigned long long)s.mem_req_rises);
    if (!s.changes) return fail("no value change");
    if (s.first < start || s.last > end) return fail("value changes outside the window");
    if (s.clk_rises < 2) return fail("the clock does not toggle");
    if (s.mem_req_rises < min_writes) return fail("fewer record writes than expected");
    return 0;
}
