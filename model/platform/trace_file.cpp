// SPDX-License-Identifier: Apache-2.0
#include "platform/trace_file.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <unordered_set>
#include <vector>

#include "platform/params.h"

namespace prisim::platform {

namespace {

constexpr uint64_t k_page = 4096;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Decimal, or hexadecimal with 0x when `hex_ok`; the whole token.
bool to_u64(const std::string& t, bool hex_ok, uint64_t& v)
{
    const bool hex = hex_ok && t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
    const char* b = t.data() + (hex ? 2 : 0);
    const char* e = t.data() + t.size();
    if (b == e || *b == '+' || *b == '-') return false;
    const auto [end, ec] = std::from_chars(b, e, v, hex ? 16 : 10);
    return ec == std::errc() && end == e;
}

std::string hex(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

} // namespace

trace_file parse_trace(const std::string& text, const std::string& origin)
{
    trace_file tf;
    tf.path = origin;
    std::map<uint64_t, std::unordered_set<uint64_t>> pages; // per device, distinct pages
    std::map<uint64_t, uint64_t> last_time_line;            // per device, the line of its last access
    static const char* const k_fields[] = {"time_ns", "device", "pasid", "address", "size", "rw"};
    uint64_t line_no = 0;
    std::vector<std::string> f;
    for (size_t pos = 0; pos < text.size();) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        const std::string raw = line;
        if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        f.clear();
        for (size_t i = 0; i < line.size();) {
            while (i < line.size() && is_blank(line[i])) ++i;
            size_t j = i;
            while (j < line.size() && !is_blank(line[j])) ++j;
            if (j > i) f.push_back(line.substr(i, j - i));
            i = j;
        }
        if (f.empty()) continue;
        const std::string at = origin + ":" + std::to_string(line_no) + ": expected ";
        auto bad = [&](const std::string& what, const std::string& got) {
            return config_error(at + what + " (got '" + got + "')");
        };
        if (f.size() < 6)
            throw bad(std::string(k_fields[f.size()]) + ": a line is `time_ns device pasid address size rw`",
                      line.substr(0, line.find_last_not_of(" \t\r") + 1));
        if (f.size() > 6) throw bad("the end of the line after rw (a comment starts with #)", f[6]);
        device::trace_access a;
        uint64_t t = 0, dev = 0, pasid = 0, addr = 0, size = 0;
        if (!to_u64(f[0], false, t) || t > k_trace_max_time_ns)
            throw bad("time_ns: a decimal integer up to " + std::to_string(k_trace_max_time_ns), f[0]);
        if (!to_u64(f[1], false, dev) || dev > k_trace_max_device)
            throw bad("device: a decimal device index up to " + std::to_string(k_trace_max_device), f[1]);
        const bool pv = f[2] != "-";
        if (pv && (!to_u64(f[2], true, pasid) || pasid > 0xFFFFF))
            throw bad("pasid: '-' or a number up to 0xfffff", f[2]);
        if (!to_u64(f[3], true, addr)) throw bad("address: a hexadecimal (0x) or decimal IOVA below 2^64", f[3]);
        if (!to_u64(f[4], false, size) || size < 1 || size > k_page)
            throw bad("size: a decimal byte count from 1 to 4096", f[4]);
        if ((addr & (k_page - 1)) + size > k_page)
            throw bad("size: at most " + std::to_string(k_page - (addr & (k_page - 1))) + " bytes at address " +
                          hex(addr) + ", so that the access stays within its 4 KiB page",
                      f[4]);
        if (f[5] != "r" && f[5] != "w") throw bad("rw: r or w", f[5]);
        a.time_ps = t * 1000;
        a.iova = addr;
        a.size = uint16_t(size);
        a.write = f[5] == "w";
        auto [it, fresh] = tf.devices.try_emplace(dev);
        trace_device& d = it->second;
        if (fresh) {
            d.first_line = line_no;
            d.pv = pv;
            d.pasid = uint32_t(pasid);
            d.first_page = d.last_page = addr / k_page;
        } else {
            if (pv != d.pv || (pv && pasid != d.pasid))
                throw bad("pasid: " + (d.pv ? hex(d.pasid) : std::string("'-'")) + " as on line " +
                              std::to_string(d.first_line) + " (a device uses one PASID)",
                          f[2]);
            if (a.time_ps < d.accesses->back().time_ps)
                throw bad("time_ns: at least " + std::to_string(d.accesses->back().time_ps / 1000) +
                              ", the time of device " + std::to_string(dev) + "'s access on line " +
                              std::to_string(last_time_line[dev]) + " (times do not go back)",
                          f[0]);
        }
        last_time_line[dev] = line_no;
        d.accesses->push_back(a);
        if (pages[dev].insert(addr / k_page).second) ++d.pages;
        d.first_page = std::min(d.first_page, addr / k_page);
        if (addr / k_page > d.last_page || d.last_line == 0) {
            d.last_page = addr / k_page;
            d.last_line = line_no;
            d.last_address = addr;
        }
    }
    return tf;
}

trace_file read_trace(const std::string& path, const std::string& key)
{
    auto fail = [&](int err) {
        return config_error(key + " = '" + path + "': cannot read trace file '" + path + "': " + std::strerror(err));
    };
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw fail(errno);
    std::string text;
    char buf[1 << 16];
    size_t n;
    while (text.size() <= k_trace_max_bytes && (n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    const int err = std::ferror(f) ? (errno ? errno : EIO) : 0;
    std::fclose(f);
    if (err) throw fail(err);
    if (text.size() > k_trace_max_bytes)
        throw config_error(key + " = '" + path + "': trace file '" + path + "' is larger than " +
                           std::to_string(k_trace_max_bytes >> 20) + " MiB");
    return parse_trace(text, path);
}

} // namespace prisim::platform
