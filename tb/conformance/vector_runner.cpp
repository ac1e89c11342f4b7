// SPDX-License-Identifier: Apache-2.0
//
// The conformance vectors and one IOMMU that runs a case (vector_runner.h).
#include "vector_runner.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "pcie/tlp.h"

using nlohmann::json;
using sc_core::sc_time;

namespace prisim::conformance {

// Numbers written as strings are hexadecimal ("0x..."); JSON numbers are decimal.
uint64_t num(const json& v)
{
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        // Hex digits only: std::stoull alone would also take a sign, leading
        // blanks and a second "0x".
        if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') ||
            s.find_first_not_of("0123456789abcdefABCDEF", 2) != std::string::npos)
            throw input_error("not a hexadecimal number: \"" + s + "\"");
        size_t used = 0;
        uint64_t r = 0;
        try {
            r = std::stoull(s.substr(2), &used, 16);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != s.size() - 2)
            throw input_error("not a hexadecimal number: \"" + s + "\"");
        return r;
    }
    if (v.is_number_unsigned())
        return v.get<uint64_t>();
    if (v.is_number_integer() && v.get<int64_t>() >= 0)
        return uint64_t(v.get<int64_t>());
    throw input_error("not a number: " + v.dump());
}

uint64_t num(const json& o, const char* key)
{
    auto it = o.find(key);
    if (it == o.end())
        throw input_error(std::string("missing \"") + key + "\"");
    return num(*it);
}

std::vector<uint8_t> hex_bytes(const std::string& h)
{
    if (h.size() % 2)
        throw input_error("odd-length hex string");
    std::vector<uint8_t> b(h.size() / 2);
    for (size_t i = 0; i < b.size(); ++i) {
        auto nib = [&](char c) -> unsigned {
            if (c >= '0' && c <= '9') return unsigned(c - '0');
            if (c >= 'a' && c <= 'f') return unsigned(c - 'a' + 10);
            if (c >= 'A' && c <= 'F') return unsigned(c - 'A' + 10);
            throw input_error("bad hex digit in \"" + h.substr(0, 16) + "...\"");
        };
        b[i] = uint8_t(nib(h[2 * i]) << 4 | nib(h[2 * i + 1]));
    }
    return b;
}

std::string hex(uint64_t v)
{
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

std::string hexbytes(const uint8_t* p, size_t n)
{
    std::string s;
    char b[4];
    for (size_t i = 0; i < n; ++i) {
        std::snprintf(b, sizeof b, "%02x", p[i]);
        s += b;
    }
    return s;
}

constexpr reg_desc REGS[] = {
    {"capabilities", 0x000, 8}, {"fctl", 0x008, 4},  {"ddtp", 0x010, 8},  {"cqb", 0x018, 8},
    {"cqh", 0x020, 4},          {"cqt", 0x024, 4},   {"fqb", 0x028, 8},   {"fqh", 0x030, 4},
    {"fqt", 0x034, 4},          {"pqb", 0x038, 8},   {"pqh", 0x040, 4},   {"pqt", 0x044, 4},
    {"cqcsr", 0x048, 4},        {"fqcsr", 0x04C, 4}, {"pqcsr", 0x050, 4}, {"ipsr", 0x054, 4},
    {"icvec", 0x2F8, 8},
};

const reg_desc& reg_by_name(const std::string& n)
{
    for (const auto& r : REGS)
        if (n == r.name)
            return r;
    throw input_error("unknown register \"" + n + "\"");
}

reg_values parse_regs(const json& o)
{
    reg_values r;
    for (auto it = o.begin(); it != o.end(); ++it)
        r.emplace_back(&reg_by_name(it.key()), num(it.value()));
    return r;
}

events parse_events(const json& e)
{
    events r;
    for (const auto& m : e.at("messages")) {
        message x;
        const std::string kind = m.at("kind").get<std::string>();
        if (kind == "Invalidation_Request")
            x.inval = true;
        else if (kind != "PRG_Response")
            throw input_error("unknown message kind \"" + kind + "\"");
        x.rid = uint32_t(num(m, "rid"));
        x.dsv = num(m, "dsv");
        x.dseg = uint32_t(num(m, "dseg"));
        x.pv = num(m, "pv");
        x.pid = uint32_t(num(m, "pid"));
        x.payload = num(m, "payload");
        if (m.contains("itag")) {
            x.has_itag = true;
            x.itag = uint32_t(num(m, "itag"));
        }
        r.messages.push_back(x);
    }
    for (const auto& m : e.at("msis"))
        r.msis.push_back({num(m, "addr"), uint32_t(num(m, "data"))});
    return r;
}

op parse_op(const json& j)
{
    op o;
    o.name = j.at("op").get<std::string>();
    const std::string phase = j.at("phase").get<std::string>();
    if (phase != "setup" && phase != "test")
        throw input_error("unknown phase \"" + phase + "\"");
    o.test = phase == "test";
    auto pcie_fields = [&] {
        o.rid = uint32_t(num(j, "rid"));
        o.dsv = num(j, "dsv");
        o.dseg = uint32_t(num(j, "dseg"));
    };
    auto pasid_fields = [&] {
        o.pv = num(j, "pv");
        o.pid = uint32_t(num(j, "pid"));
        o.priv = num(j, "priv");
        o.exec = num(j, "exec");
    };
    if (o.name == "reg_write") {
        o.kind = op_kind::reg_write;
        o.name += " " + j.at("reg").get<std::string>();
        o.offset = uint32_t(num(j, "offset"));
        o.size = unsigned(num(j, "size"));
        o.value = num(j, "value");
        if (o.size != 4 && o.size != 8)
            throw input_error("reg_write size " + std::to_string(o.size));
    } else if (o.name == "page_request") {
        o.kind = op_kind::page_request;
        pcie_fields();
        pasid_fields();
        o.payload = num(j, "payload");
    } else if (o.name == "ats_translation_request") {
        o.kind = op_kind::ats_request;
        pcie_fields();
        pasid_fields();
        o.nw = num(j, "nw");
        o.iova = num(j, "iova");
    } else if (o.name == "command") {
        o.kind = op_kind::command;
        o.dw0 = num(j, "dw0");
        o.dw1 = num(j, "dw1");
        if (j.contains("decoded") && j["decoded"].contains("name"))
            o.name += " " + j["decoded"]["name"].get<std::string>();
    } else if (o.name == "inval_completion") {
        o.kind = op_kind::inval_completion;
        pcie_fields();
        o.payload = (num(j, "cc") & 7) << 32 | (num(j, "itag_vector") & 0xFFFFFFFFu);
    } else {
        throw input_error("unknown op \"" + o.name + "\"");
    }
    if (o.test) {
        const json& e = j.at("expect");
        o.ev = parse_events(e);
        o.has_regs = true;
        o.regs = parse_regs(e.at("regs"));
        if (e.contains("ats_completion")) {
            const json& a = e["ats_completion"];
            o.has_ats = true;
            o.ats_status = a.at("status").get<std::string>();
            if (o.ats_status == "SC")
                o.ats_raw = num(a, "raw");
            else if (o.ats_status != "UR" && o.ats_status != "CA")
                throw input_error("unknown ATS completion status \"" + o.ats_status + "\"");
        } else if (o.kind == op_kind::ats_request) {
            throw input_error("ATS request without ats_completion");
        }
    } else if (j.contains("expect_events")) {
        o.ev = parse_events(j["expect_events"]);
    }
    return o;
}

vcase parse_case(const json& j)
{
    vcase c;
    if (j.value("format", "") != FORMAT)
        throw input_error(std::string("format is not \"") + FORMAT + "\"");
    c.id = j.at("id").get<std::string>();
    c.category = j.at("category").get<std::string>();
    c.kind = j.at("kind").get<std::string>();
    c.title = j.value("title", "");
    if (j.contains("allowed_difference") && !j["allowed_difference"].is_null())
        c.allowed = j["allowed_difference"].at("class").get<std::string>();
    const json& env = j.at("environment");
    c.capabilities = num(env, "capabilities");
    c.fctl = num(env, "fctl");
    // The deepest ddtp mode the reference accepted (a WARL choice of the
    // implementation, not a capabilities bit).
    if (env.contains("ref_config") && env["ref_config"].contains("max_iommu_mode")) {
        const std::string m = env["ref_config"]["max_iommu_mode"].get<std::string>();
        if (m == "1LVL")
            c.max_ddt_mode = prisim::iommu::DDTP_1LVL;
        else if (m == "2LVL")
            c.max_ddt_mode = prisim::iommu::DDTP_2LVL;
        else if (m == "3LVL")
            c.max_ddt_mode = prisim::iommu::DDTP_3LVL;
        else
            throw input_error("environment.ref_config.max_iommu_mode \"" + m +
                              "\" is not 1LVL, 2LVL or 3LVL");
    }
    for (const auto& r : j.at("fault_ranges"))
        c.fault_ranges.emplace_back(num(r.at(0)), num(r.at(1)));
    for (const auto& m : j.at("memory"))
        c.memory.emplace_back(num(m, "addr"), hex_bytes(m.at("hex").get<std::string>()));
    for (const auto& o : j.at("ops")) {
        c.ops.push_back(parse_op(o));
        const op& x = c.ops.back();
        if (x.kind == op_kind::page_request && !x.pv && (x.payload & 7) == 4)
            c.k1_shaped = true;
    }
    c.after_setup = parse_regs(j.at("state_after_setup"));
    const json& f = j.at("final");
    c.final_regs = parse_regs(f.at("regs"));
    for (const auto& m : f.at("memory")) {
        region r;
        r.name = m.at("region").get<std::string>();
        r.base = num(m, "base");
        r.bytes = num(m, "bytes");
        r.record_size = num(m, "record_size");
        if (!r.record_size || r.bytes % r.record_size || r.bytes > MAX_REGION_BYTES)
            throw input_error("region " + r.name + ": bad size");
        for (const auto& rec : m.at("nonzero_records")) {
            auto b = hex_bytes(rec.at("hex").get<std::string>());
            const uint64_t idx = num(rec, "index");
            if (b.size() != r.record_size || idx >= r.bytes / r.record_size)
                throw input_error("region " + r.name + ": bad record");
            r.records.emplace_back(idx, std::move(b));
        }
        c.final_memory.push_back(std::move(r));
    }
    return c;
}

vcase parse_record(std::string_view text, const std::string& where)
{
    try {
        vcase c = parse_case(json::parse(text));
        c.origin = where;
        return c;
    } catch (const json::exception& e) {
        throw input_error(where + ": " + e.what());
    } catch (const input_error& e) {
        throw input_error(where + ": " + e.what());
    }
}

void parse_document(std::string_view data, const std::string& name, std::vector<vcase>& out)
{
    size_t pos = 0;
    unsigned line = 0;
    while (pos < data.size()) {
        size_t end = data.find('\n', pos);
        if (end == std::string_view::npos)
            end = data.size();
        ++line;
        const std::string_view text = data.substr(pos, end - pos);
        pos = end + 1;
        if (text.find_first_not_of(" \t\r") == std::string_view::npos)
            continue;
        out.push_back(parse_record(text, name + ":" + std::to_string(line)));
    }
}

// Reads a gzip JSON Lines file (a plain file also works: gzread passes it through).
void read_vectors(const std::string& path, std::vector<vcase>& out)
{
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f)
        throw input_error(path + ": cannot open");
    std::string data;
    char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0)
        data.append(buf, size_t(n));
    int err = 0;
    const char* msg = gzerror(f, &err);
    const std::string why = msg ? msg : "";
    gzclose(f);
    if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
        throw input_error(path + ": " + why);
    parse_document(data, path, out);
}

void check_unique_ids(const std::vector<vcase>& cases)
{
    std::set<std::string> ids;
    for (const auto& c : cases)
        if (!ids.insert(c.id).second)
            throw input_error(c.origin + ": case id " + c.id + " given twice");
}

// ============================ the world around one IOMMU ============================

using prisim::tb::load_le;
using prisim::tb::store_le;

uint64_t le(const uint8_t* p, unsigned n) { return load_le(p, n); }
void put(uint8_t* p, uint64_t v, unsigned n) { store_le(p, v, n); }

constexpr uint64_t MSI_FIRST = 0xF000000, MSI_LAST = 0xF000FFF;

// A message the IOMMU sent down, in the vectors' terms; false if it is
// neither a PRG Response nor an Invalidation Request.
bool to_message(const prisim::tb::bench_endpoint::msg& x, message& m)
{
    using prisim::pcie::tlp_kind;
    const auto& ext = x.ext;
    if (ext.kind != tlp_kind::prg_response && ext.kind != tlp_kind::inval_request)
        return false;
    m = message{};
    m.inval = ext.kind == tlp_kind::inval_request;
    m.rid = ext.rid;
    m.dsv = ext.dsv;
    m.dseg = ext.dseg;
    m.pv = ext.pv;
    m.pid = ext.pasid;
    m.payload = x.payload;
    m.has_itag = m.inval;
    m.itag = ext.itag;
    return true;
}

std::string str(const message& m)
{
    std::string s = m.inval ? "Invalidation_Request" : "PRG_Response";
    s += " rid=" + hex(m.rid) + " dsv=" + std::to_string(m.dsv);
    if (m.dsv)
        s += " dseg=" + hex(m.dseg);
    s += " pv=" + std::to_string(m.pv);
    if (m.pv)
        s += " pid=" + hex(m.pid);
    s += " payload=" + hex(m.payload);
    if (m.inval)
        s += " itag=" + std::to_string(m.itag);
    return s;
}

std::string str(const std::vector<message>& v)
{
    if (v.empty())
        return "none";
    std::string s;
    for (const auto& m : v)
        s += (s.empty() ? "[" : "; ") + str(m);
    return s + "]";
}

std::string str(const std::vector<msi>& v)
{
    if (v.empty())
        return "none";
    std::string s;
    for (const auto& m : v)
        s += (s.empty() ? "[" : ", ") + hex(m.addr) + ":" + hex(m.data);
    return s + "]";
}

// §5 rule 1.
bool same_message(const message& e, const message& g)
{
    if (e.inval != g.inval || e.rid != g.rid || e.dsv != g.dsv || e.pv != g.pv ||
        e.payload != g.payload)
        return false;
    if (e.dsv && e.dseg != g.dseg)
        return false;
    if (e.pv && e.pid != g.pid)
        return false;
    if (e.inval && e.has_itag && e.itag != g.itag)
        return false;
    return true;
}

const char* status_name(prisim::pcie::cpl_status s)
{
    switch (s) {
    case prisim::pcie::cpl_status::sc: return "SC";
    case prisim::pcie::cpl_status::ur: return "UR";
    case prisim::pcie::cpl_status::ca: return "CA";
    }
    return "?";
}

// The translated address of the page at `iova` in a completion entry whose
// R or W is set (a range with S = 1 is NAPOT-encoded, pcie-pri.md §7.2);
// false if the encoding names no range.
bool translate_page(uint64_t raw, uint64_t iova, uint64_t& pa, uint64_t& size)
{
    const uint64_t addr = raw & ~uint64_t(0xFFF);
    size = 4096;
    if ((raw >> 11) & 1) {
        size = prisim::pcie::napot_size(addr);
        if (!size)
            return false;
    }
    pa = (addr & ~(size - 1)) | (iova & (size - 1) & ~uint64_t(0xFFF));
    return true;
}

// §5 rule 3 (and E1).
bool same_ats(const op& o, const std::string& st, uint64_t raw, std::string& why)
{
    if (st != o.ats_status) {
        why = "status";
        return false;
    }
    if (st != "SC")
        return true;
    const uint64_t exact = 0x7FF; // R 0, W 1, U 2, Exe 3, Priv 4, Global 5, AMA 8:6, CXL.io 9, N 10
    if ((raw & exact) != (o.ats_raw & exact)) {
        why = "R/W/U/Exe/Priv/Global/AMA/CXL.io/N";
        return false;
    }
    if (!(o.ats_raw & 3))
        return true; // R = W = 0: address and S are UNSPECIFIED
    if ((raw & ~exact) == (o.ats_raw & ~exact))
        return true;
    uint64_t epa = 0, gpa = 0, esz = 0, gsz = 0;
    if (!translate_page(o.ats_raw, o.iova, epa, esz) || !translate_page(raw, o.iova, gpa, gsz) ||
        epa != gpa) {
        why = "address/S";
        return false;
    }
    return true;
}

std::string ats_str(const std::string& st, uint64_t raw)
{
    return st == "SC" ? "SC raw=" + hex(raw) : st;
}

// ============================ one case ============================

case_bench::case_bench(sc_core::sc_module_name n, const bench_config& c)
    : sc_module(n), reg("reg"), cfg(c)
{
    prisim::iommu::iommu_params p;
    p.capabilities = c.capabilities;
    if (c.max_ddt_mode)
        p.max_ddt_mode = c.max_ddt_mode;
    p.stop_marker_needs_pasid = !c.sm_any;
    // The reference has no ATS.INVAL timeout: far beyond any case's length.
    p.ats_inval_timeout = sc_time(1, sc_core::SC_SEC);
    mem.msi_first = MSI_FIRST;
    mem.msi_last = MSI_LAST;
    iommu = std::make_unique<prisim::iommu::riscv_iommu>("iommu", p);
    reg.bind(iommu->mmio);
    iommu->mem.bind(mem.tsock);
    ep.up.bind(iommu->pcie_up);
    iommu->pcie_down.bind(ep.down);
}

uint64_t case_bench::read_reg(const reg_desc& r)
{
    uint8_t b[8] = {};
    if (mmio(r.off, r.size, false, b) != tlm::TLM_OK_RESPONSE)
        fail(-1, "mmio", "read " + std::string(r.name), "OK", "error response");
    return le(b, r.size);
}

tlm::tlm_response_status case_bench::mmio(uint32_t off, unsigned len, bool write, uint8_t* b)
{
    tlm::tlm_generic_payload gp;
    gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    gp.set_address(off);
    gp.set_data_ptr(b);
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time d = sc_core::SC_ZERO_TIME;
    reg->b_transport(gp, d);
    return gp.get_response_status();
}

void case_bench::write_reg(uint32_t off, unsigned size, uint64_t v, int idx)
{
    uint8_t b[8];
    put(b, v, size);
    if (mmio(off, size, true, b) != tlm::TLM_OK_RESPONSE)
        fail(idx, "mmio", "write " + hex(off), "OK", "error response");
}

void case_bench::fail(int idx, const std::string& where, const std::string& field, std::string e,
                      std::string g)
{
    m_out.push_back({idx, where, field, std::move(e), std::move(g)});
}

void case_bench::execute(const op& o, int idx, std::string& ats_st, uint64_t& ats_raw)
{
    using namespace prisim::pcie;
    tlp_ext e;
    e.rid = uint16_t(o.rid);
    e.dsv = o.dsv;
    e.dseg = uint8_t(o.dseg);
    e.pv = o.pv;
    e.pasid = o.pid;
    e.priv = o.priv;
    e.exec = o.exec;
    uint8_t b[8] = {};
    switch (o.kind) {
    case op_kind::reg_write:
        write_reg(o.offset, o.size, o.value, idx);
        return;
    case op_kind::page_request:
    case op_kind::inval_completion:
        e.kind = o.kind == op_kind::page_request ? tlp_kind::page_request
                                                 : tlp_kind::inval_completion;
        store_le64(b, o.payload);
        if (ep.send(e, tlm::TLM_WRITE_COMMAND, 0, b, 8) != tlm::TLM_OK_RESPONSE)
            fail(idx, o.name, "TLM response", "OK", "error");
        return;
    case op_kind::ats_request:
        e.kind = tlp_kind::ats_translation_req;
        e.at = at_t::translation_req;
        e.no_write = o.nw;
        if (ep.send(e, tlm::TLM_READ_COMMAND, o.iova, b, 8) != tlm::TLM_OK_RESPONSE)
            fail(idx, o.name, "TLM response", "OK", "error");
        ats_st = status_name(e.status);
        ats_raw = load_le64(b);
        return;
    case op_kind::command: {
        // §3: software's way: read cqb and cqt, store the command, bump cqt.
        const uint64_t cqb = read_reg(reg_by_name("cqb"));
        const uint32_t cqt = uint32_t(read_reg(reg_by_name("cqt")));
        const uint64_t at = (((cqb >> 10) & ((uint64_t(1) << 44) - 1)) << 12) | (uint64_t(cqt) * 16);
        put(mem.ptr(at), o.dw0, 8);
        put(mem.ptr(at + 8), o.dw1, 8);
        const uint64_t n = uint64_t(2) << (cqb & 0x1F);
        write_reg(0x024, 4, (cqt + 1) % n, idx);
        return;
    }
    }
}

void case_bench::compare_events(const op& o, int idx, size_t msg0, size_t msi0)
{
    std::vector<message> got;
    for (size_t i = msg0; i < ep.msgs.size(); ++i) {
        message m;
        if (to_message(ep.msgs[i], m))
            got.push_back(m);
        else
            ++m_bad_msgs;
    }
    bool same = got.size() == o.ev.messages.size();
    for (size_t i = 0; same && i < got.size(); ++i)
        same = same_message(o.ev.messages[i], got[i]);
    if (!same)
        fail(idx, o.name, o.test ? "messages" : "setup messages", str(o.ev.messages), str(got));
    std::vector<msi> g, x = o.ev.msis;
    for (size_t i = msi0; i < mem.msis.size(); ++i)
        g.push_back({mem.msis[i].addr, mem.msis[i].data});
    std::sort(g.begin(), g.end());
    std::sort(x.begin(), x.end());
    if (g != x)
        fail(idx, o.name, o.test ? "msis" : "setup msis", str(x), str(g));
}

void case_bench::compare_regs(const reg_values& exp, int idx, const std::string& where)
{
    for (const auto& [r, v] : exp) {
        const uint64_t g = read_reg(*r);
        if (g != v)
            fail(idx, where, r->name, hex(v), hex(g));
    }
}

void case_bench::compare_memory(const vcase& vc)
{
    for (const auto& r : vc.final_memory) {
        std::vector<uint8_t> exp(r.bytes, 0);
        for (const auto& [i, b] : r.records)
            std::copy(b.begin(), b.end(), exp.begin() + long(i * r.record_size));
        for (uint64_t i = 0; i < r.bytes / r.record_size; ++i) {
            const uint64_t a = r.base + i * r.record_size;
            std::vector<uint8_t> got(r.record_size);
            for (uint64_t k = 0; k < r.record_size; ++k)
                got[k] = mem.peek(a + k);
            const uint8_t* e = exp.data() + i * r.record_size;
            if (!std::equal(got.begin(), got.end(), e))
                fail(-1, "final", r.name + "[" + std::to_string(i) + "]",
                     hexbytes(e, r.record_size), hexbytes(got.data(), r.record_size));
        }
    }
}

std::vector<mismatch> case_bench::run(const vcase& vc, const sc_time& settle)
{
    if (m_reset_regs.empty())
        for (const auto& r : REGS)
            m_reset_regs.emplace_back(&r, read_reg(r));
    m_out.clear();
    m_bad_msgs = 0;
    mem.faults = vc.fault_ranges;
    for (const auto& [a, b] : vc.memory)
        for (size_t i = 0; i < b.size(); ++i)
            *mem.ptr(a + i) = b[i];
    if (vc.fctl != 0)
        fail(-1, "environment", "fctl", "the model's fctl (0)", hex(vc.fctl));
    int last_setup = -1;
    for (size_t i = 0; i < vc.ops.size(); ++i)
        if (!vc.ops[i].test)
            last_setup = int(i);
    if (last_setup < 0)
        compare_regs(vc.after_setup, -1, "state_after_setup");
    for (size_t i = 0; i < vc.ops.size(); ++i) {
        const op& o = vc.ops[i];
        const int idx = int(i);
        const size_t msg0 = ep.msgs.size(), msi0 = mem.msis.size();
        std::string st;
        uint64_t raw = 0;
        execute(o, idx, st, raw);
        sc_core::wait(settle);
        compare_events(o, idx, msg0, msi0);
        if (o.has_ats) {
            std::string why;
            if (!same_ats(o, st, raw, why))
                fail(idx, o.name, "ats_completion (" + why + ")", ats_str(o.ats_status, o.ats_raw),
                     ats_str(st, raw));
        }
        if (o.has_regs)
            compare_regs(o.regs, idx, o.name);
        if (idx == last_setup)
            compare_regs(vc.after_setup, -1, "state_after_setup");
    }
    compare_regs(vc.final_regs, -1, "final");
    compare_memory(vc);
    if (m_bad_msgs || ep.malformed)
        fail(-1, "final", "downstream TLPs", "PRG Responses / Invalidation Requests",
             std::to_string(m_bad_msgs + ep.malformed) + " of another kind");
    if (mem.malformed)
        fail(-1, "final", "memory requests", "reads and writes",
             std::to_string(mem.malformed) + " malformed");
    mem.clear();
    return std::move(m_out);
}


std::string case_bench::reset()
{
    using namespace prisim::iommu;
    mem.faults.clear();
    auto rd = [&](uint32_t off, unsigned n) {
        uint8_t b[8] = {};
        mmio(off, n, false, b);
        return le(b, n);
    };
    auto wr = [&](uint32_t off, unsigned n, uint64_t v) {
        uint8_t b[8];
        put(b, v, n);
        mmio(off, n, true, b);
    };
    // Every queue off; a command in execution (an ATS.INVAL waiting for an
    // ITag) keeps the command queue busy up to its timeout, 1 s here.
    auto queues_idle = [&](uint64_t limit_ns) {
        for (uint64_t ns = 1000; ns <= limit_ns; ns *= 2) {
            if (!((rd(REG_CQCSR, 4) | rd(REG_FQCSR, 4) | rd(REG_PQCSR, 4)) & (XQCSR_ON | XQCSR_BUSY)))
                return true;
            sc_core::wait(sc_time(double(ns), sc_core::SC_NS));
        }
        return false;
    };
    wr(REG_CQCSR, 4, CQCSR_ERRORS);
    wr(REG_FQCSR, 4, FQCSR_ERRORS);
    wr(REG_PQCSR, 4, PQCSR_ERRORS);
    if (!queues_idle(uint64_t(4) << 30))
        return "the queues did not turn off";
    wr(REG_DDTP, 8, DDTP_OFF);
    // Drop what the device-context cache and the IOTLB hold: IODIR.INVAL_DDT
    // and IOTINVAL.VMA of everything, then IOFENCE.C (memory is cleared
    // afterwards, so the queue may be anywhere).
    constexpr uint64_t cq = 0x1000;
    const uint64_t cmds[3] = {CMD_IODIR | (uint64_t(IODIR_INVAL_DDT) << CMD_FUNC3_SHIFT),
                              CMD_IOTINVAL | (uint64_t(IOTINVAL_VMA) << CMD_FUNC3_SHIFT),
                              CMD_IOFENCE | (uint64_t(IOFENCE_C) << CMD_FUNC3_SHIFT)};
    for (unsigned i = 0; i < 3; ++i) {
        mem.wr(cq + 16 * i, cmds[i]);
        mem.wr(cq + 16 * i + 8, 0);
    }
    wr(REG_CQB, 8, (cq >> 12) << QB_PPN_SHIFT | 1); // 4 entries
    wr(REG_CQT, 4, 0);
    wr(REG_CQCSR, 4, CQCSR_CQEN);
    wr(REG_CQT, 4, 3);
    // An ATS.INVAL of the case may hold the fence up to its timeout, which
    // the fence then reports (cmd_to) and the queue stops: clear it, and the
    // fence runs again.
    for (uint64_t ns = 1000; rd(REG_CQH, 4) != 3; ns *= 2) {
        if (ns > (uint64_t(4) << 30))
            return "the invalidation commands did not complete (cqcsr " +
                   hex(rd(REG_CQCSR, 4)) + ")";
        if (const uint32_t err = uint32_t(rd(REG_CQCSR, 4)) & CQCSR_ERRORS)
            wr(REG_CQCSR, 4, CQCSR_CQEN | err);
        sc_core::wait(sc_time(double(ns), sc_core::SC_NS));
    }
    wr(REG_CQCSR, 4, 0);
    if (!queues_idle(uint64_t(1) << 20))
        return "the command queue did not turn off";
    // cqh, fqt and pqt are the IOMMU's: they go back to 0 when a queue is
    // turned on. Each queue on (empty) and off again, at the same place.
    for (uint32_t off : {REG_CQB, REG_FQB, REG_PQB})
        wr(off, 8, (cq >> 12) << QB_PPN_SHIFT | 1);
    for (uint32_t off : {REG_CQT, REG_FQH, REG_PQH})
        wr(off, 4, 0);
    wr(REG_CQCSR, 4, CQCSR_CQEN);
    wr(REG_FQCSR, 4, FQCSR_FQEN);
    wr(REG_PQCSR, 4, PQCSR_PQEN);
    for (uint64_t ns = 1000; (rd(REG_CQCSR, 4) & rd(REG_FQCSR, 4) & rd(REG_PQCSR, 4) & XQCSR_ON) == 0;
         ns *= 2) {
        if (ns > (uint64_t(1) << 20))
            return "the queues did not turn on";
        sc_core::wait(sc_time(double(ns), sc_core::SC_NS));
    }
    wr(REG_CQCSR, 4, 0);
    wr(REG_FQCSR, 4, 0);
    wr(REG_PQCSR, 4, 0);
    if (!queues_idle(uint64_t(1) << 20))
        return "the queues did not turn off";
    for (uint32_t off : {REG_CQB, REG_FQB, REG_PQB, REG_ICVEC})
        wr(off, 8, 0);
    for (uint32_t v = 0; v < MSI_VECTORS; ++v) {
        wr(REG_MSI_CFG_TBL + 16 * v, 8, 0);
        wr(REG_MSI_CFG_TBL + 16 * v + 8, 4, 0);
        wr(REG_MSI_CFG_TBL + 16 * v + 12, 4, 0);
    }
    wr(REG_IPSR, 4, 0xF);
    mem.clear();
    ep.msgs.clear();
    ep.malformed = 0;
    mem.malformed = 0;
    std::string why;
    for (const auto& [r, v] : m_reset_regs)
        if (rd(r->off, r->size) != v)
            why += std::string(why.empty() ? "" : ", ") + r->name + " " + hex(rd(r->off, r->size)) +
                   " (reset " + hex(v) + ")";
    return why.empty() ? why : "registers not at their reset values: " + why;
}

} // namespace prisim::conformance
