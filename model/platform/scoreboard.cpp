// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cerrno>
#include "platform/scoreboard.h"

#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

#include "common/endian.h"
#include "platform/machine.h"

namespace prisim::platform {

std::string rid_name(uint16_t rid)
{
    char b[16];
    std::snprintf(b, sizeof b, "%02x:%02x.%x", rid >> 8, (rid >> 3) & 0x1F, rid & 7);
    return b;
}

std::string rid_hex(uint16_t rid)
{
    char b[8];
    std::snprintf(b, sizeof b, "%04x", rid);
    return b;
}

uint64_t scoreboard::sw_dev(uint16_t rid, const std::string& name) const
{
    return m_m.rt().sw_dev_stat(rid, name);
}

check_result& scoreboard::add(int inv, const std::string& name)
{
    m_results.push_back({inv, name, true, "", {}});
    return m_results.back();
}

bool scoreboard::ok() const
{
    for (const auto& r : m_results)
        if (!r.ok) return false;
    return true;
}

void scoreboard::run(bool quiesced)
{
    m_results.clear();
    check_run(quiesced);
    check_responses();
    check_credits();
    check_pq_accounting();
    check_dma();
    name_injected_cause();
}

// A run that injected memory faults (iommu.inject.*) and failed names them
// as the likely cause, once, in the first failed check.
void scoreboard::name_injected_cause()
{
    const auto& io = m_m.iommu();
    if (!io.injected())
        return;
    for (auto& r : m_results) {
        if (r.ok)
            continue;
        const auto& ip = io.inject();
        r.violations.push_back("cause: " + std::to_string(io.injected()) + " injected " +
                               (ip.corrupt ? "data corruption(s)" : "access fault(s)") + " on " +
                               iommu::mem_target_name(ip.target) +
                               " accesses (iommu.inject.*) not fully recovered from");
        return;
    }
}

namespace {
void fail(check_result& r, const std::string& sentence)
{
    r.ok = false;
    r.violations.push_back(sentence);
}
} // namespace

// Run-level: software booted, every workload finished, nothing logged an error.
void scoreboard::check_run(bool quiesced)
{
    auto& r = add(0, "run completes");
    if (!m_m.boot_finished())
        fail(r, "software boot did not finish before run.max_time_us");
    else if (m_m.boot_status() != 0)
        fail(r, "software boot failed (rc " + std::to_string(m_m.boot_status()) + ")");
    if (!quiesced) {
        fail(r, "the run did not quiesce before run.max_time_us");
        // The one configuration known never to finish (docs/user-guide.md,
        // "a sizing rule"): named, so that the failure explains itself.
        // The largest group a device sends: a burst (fewer pages if the
        // workload is smaller), split to fit the PRI allocation.
        const params& c = m_m.cfg();
        const uint64_t log2sz = c.u64("sw.driver.pq_log2sz");
        const uint64_t usable = (uint64_t(1) << log2sz) - 1;
        const uint64_t ndev = m_m.devices().size();
        uint64_t prg = 0;
        for (auto& d : m_m.devices()) {
            const auto& dp = d->params();
            for (size_t w = 0; w < d->workloads(); ++w)
                prg = std::max(prg, std::min({uint64_t(d->workload(w).prg_pages), d->workload(w).pages,
                                              c.pri_allocation(dp.pri_capacity, ndev)}));
        }
        if (prg > usable)
            fail(r, "cause: a Page Request Group of " + std::to_string(prg) +
                        " requests (device.prg_pages, within the PRI allocation) never fits the page-request queue's " +
                        std::to_string(usable) +
                        " usable entries (sw.driver.pq_log2sz = " + std::to_string(log2sz) +
                        "): every group overflows and is retried, a livelock");
    }
    uint64_t pages = 0, reads = 0, failed = 0, detached_failed = 0, vevent_failed = 0, aborted_failed = 0,
             injected_failed = 0;
    for (auto& d : m_m.devices()) {
        const auto& c = d->get_counters();
        const uint16_t rid = d->params().rid;
        std::string dn = "device " + rid_name(rid);
        pages += c.pages_done;
        reads += c.pages_read;
        failed += c.pages_failed;
        if (!d->done()) fail(r, dn + ": workload did not finish");
        // Rule (detach with faults pending, sw.user.detach_after): a device
        // its handler detached on purpose ends with failed pages by design.
        // The kernel answered its pending groups INVALID (the device does
        // not retry an Invalid Request) and the detach disabled its PRI and
        // ATS, so its later bursts fail without a request. Those failures
        // are legitimate once every group the handler held was answered by
        // the kernel (iommufd auto-responses >= groups held); otherwise the
        // detach left a group unanswered and the failures count.
        const uint64_t held = sw_dev(rid, "user.groups_held");
        const uint64_t kernel_inval = sw_dev(rid, "iommufd.auto_responses");
        const bool detached = sw_dev(rid, "user.devices_detached") != 0;
        if (detached && kernel_inval < held)
            fail(r, dn + ": detached with " + std::to_string(held) + " group(s) held, but the kernel answered only " +
                        std::to_string(kernel_inval) + " INVALID");
        // Rule (vEVENTQ device, sw.user.vevent_depth): the handler attached
        // the device to a nesting-parent HWPT, which has no fault queue, so
        // its DC does not enable PRI and the IOMMU answers each of its Page
        // Request Groups Invalid itself (and reports the request in a
        // fault-queue record, the vEVENTQ's events). Its failed bursts are
        // legitimate when each got such an Invalid Request: failed bursts
        // <= the IOMMU's Invalid auto-responses for it.
        const bool vevents = sw_dev(rid, "user.vevent_devices") != 0;
        uint64_t iommu_inval = 0;
        if (auto it = m_m.iommu().per_device().find(rid); it != m_m.iommu().per_device().end())
            iommu_inval = it->second.auto_resp_invalid;
        if (vevents && c.bursts_failed > iommu_inval)
            fail(r, dn + ": the vEVENTQ device has " + std::to_string(c.bursts_failed) +
                        " failed bursts but only " + std::to_string(iommu_inval) + " Invalid auto-responses");
        // Rule A (aborted group): a group io-pgfault could not allocate, with
        // fault injection on (sw.inject.*), is answered FAILURE through the
        // abort path (linux-iopf.md §1.2 step 6); the device stops PRI
        // (Response Failure) and its later bursts fail without a request.
        // Legitimate when every Response Failure it got is such an answer.
        const uint64_t aborted = sw_dev(rid, "iopf.abort_failure");
        const bool rule_a = c.pri_response_failure && m_m.rt().inject().failures() &&
                            c.prgr_failure <= aborted;
        // Rule I (injected memory faults, iommu.inject.*): a device's failed
        // bursts are explained by the faults injected on its behalf when
        // either (a) it was stopped by Response Failure and every Response
        // Failure the IOMMU sent it answered a request whose DC lookup met
        // an injected fault, or whose record met a PQ memory fault an
        // injected fault set (pqmf is sticky), software having sent it none
        // - with PRI disabled, every later burst fails, as after a detach;
        // or (b) it was not stopped and failed at most one burst per fault
        // injected on its behalf (a DDT or page-table fault fails the ATS
        // Translation Request of one page: UR or CA).
        uint64_t inj = 0, inj_rf = 0, auto_rf = 0;
        if (auto it = m_m.iommu().per_device().find(rid); it != m_m.iommu().per_device().end()) {
            inj = it->second.injected;
            inj_rf = it->second.auto_resp_failure_injected;
            auto_rf = it->second.auto_resp_failure;
        }
        const bool injected_ok =
            c.pri_response_failure
                ? inj_rf && inj_rf == auto_rf && sw_dev(rid, "prgr.sent.failure") == 0
                : inj && c.bursts_failed <= inj;
        if (detached && kernel_inval >= held)
            detached_failed += c.pages_failed;
        else if (rule_a)
            aborted_failed += c.pages_failed;
        else if (vevents && c.bursts_failed <= iommu_inval)
            vevent_failed += c.pages_failed;
        else if ((c.pages_failed || c.bursts_failed) && injected_ok)
            injected_failed += c.pages_failed;
        else if (c.pages_failed || c.bursts_failed)
            fail(r, dn + ": " + std::to_string(c.pages_failed) + " pages / " +
                        std::to_string(c.bursts_failed) + " bursts failed" +
                        (c.bursts_out_of_attempts
                             ? " (" + std::to_string(c.bursts_out_of_attempts) +
                                   " of them went round device.max_prg_attempts = " +
                                   std::to_string(d->params().max_prg_attempts) +
                                   (d->workloads() > 1 ? " or its workloads'" : "") +
                                   " times: a retry storm, the PQ overflowing for longer)"
                             : std::string()));
        for (const auto& v : d->violations()) fail(r, v);
    }
    if (uint64_t e = m_m.rt().log_errors())
        fail(r, "software logged " + std::to_string(e) + " error(s) (see stderr)");
    // A read (device.read_percent, a trace) translates its page and writes nothing.
    r.detail = std::to_string(pages - reads) + " pages written, " +
               (reads ? std::to_string(reads) + " read, " : std::string()) + std::to_string(failed) + " failed";
    if (detached_failed)
        r.detail += " (" + std::to_string(detached_failed) + " of a device detached with faults pending)";
    if (vevent_failed)
        r.detail += " (" + std::to_string(vevent_failed) + " of a device without PRI in its DC, events on a vEVENTQ)";
    if (aborted_failed)
        r.detail += " (" + std::to_string(aborted_failed) +
                    " of devices stopped by Response Failure after an injected group-allocation failure)";
    if (injected_failed)
        r.detail += " (" + std::to_string(injected_failed) + " explained by injected memory faults)";
}

// Invariant 1: every L=1 Page Request that is not a Stop Marker gets exactly
// one PRG Response, unless PRI was stopped by Response Failure.
// Under iommu.pq_overflow_policy = vtd the IOMMU answers nothing it discards
// on overflow; the rule becomes: every PRG gets exactly one response or is
// given up by the device's response timeout, and the PRGs given up are
// exactly the L=1 requests the IOMMU discarded without a response (a timeout
// of a group that software or the IOMMU did answer is a failure, and so is a
// response that arrives after it: an Unexpected PRG Index).
// A PRG that io-pgfault answered early, at a non-last request that found no
// handler, gets a second response at its last request (rule E, below).
void scoreboard::check_responses()
{
    auto& r = add(1, "one PRG Response per PRG");
    uint64_t prgs = 0, resp = 0, from_sw = 0, from_auto = 0, rf = 0, timeouts = 0, uprgi_early = 0;
    auto& iommu_dev = m_m.iommu().per_device();
    for (auto& d : m_m.devices()) {
        const auto& c = d->get_counters();
        uint16_t rid = d->params().rid;
        std::string dn = "device " + rid_name(rid);
        uint64_t got = c.prgr_success + c.prgr_invalid + c.prgr_failure;
        prgs += c.prgs_sent;
        resp += got;
        timeouts += c.prg_timeouts;
        from_sw += c.prgr_from_software;
        from_auto += c.prgr_from_iommu_auto;
        if (c.pri_response_failure) {
            ++rf;
            continue; // counted separately: later responses are ignored by design
        }
        // Rule E (early answer): io-pgfault answers a request that finds no
        // handler INVALID at once, a non-last one too (linux-iopf.md §1.2
        // step 2), and then the last request of the same PRG again: the
        // second response finds no outstanding PRG (UPRGI). Accepted up to
        // the early answers software counted for the device; any other
        // UPRGI is a second response or a stray one.
        const uint64_t early = sw_dev(rid, "iopf.no_handler_early");
        if (c.prgr_unexpected > early || c.prgr_unexpected_from_software < c.prgr_unexpected)
            fail(r, dn + ": " + std::to_string(c.prgr_unexpected) +
                        " PRG Response(s) for no outstanding PRG (a second response, or a stray one)" +
                        (early ? ", " + std::to_string(early) + " explained by early INVALID answers" : "") + "; " +
                        d->first_uprgi());
        else
            uprgi_early += c.prgr_unexpected;
        if (c.prgs_outstanding)
            fail(r, dn + ": " + std::to_string(c.prgs_outstanding) + " PRG(s) never answered");
        if (got + c.prg_timeouts != c.prgs_sent)
            fail(r, dn + ": sent " + std::to_string(c.prgs_sent) + " PRGs, got " + std::to_string(got) +
                        " responses" +
                        (c.prg_timeouts ? " and gave up " + std::to_string(c.prg_timeouts) + " after the timeout"
                                        : std::string()));
        if (c.prgr_from_software + c.prgr_from_iommu_auto != got)
            fail(r, dn + ": responses by origin (" + std::to_string(c.prgr_from_software) + " software + " +
                        std::to_string(c.prgr_from_iommu_auto) + " auto) do not add up to " +
                        std::to_string(got));
        auto it = iommu_dev.find(rid);
        // Every group given up is one whose L=1 request the IOMMU discarded
        // without a response, and every such request's group was given up.
        const uint64_t unanswered = it == iommu_dev.end() ? 0 : it->second.discarded_no_response;
        if (c.prg_timeouts != unanswered)
            fail(r, dn + ": gave up " + std::to_string(c.prg_timeouts) +
                        " PRG(s) after the response timeout, but the IOMMU discarded " + std::to_string(unanswered) +
                        " L=1 request(s) without a response");
        // The IOMMU's auto-responses must all have reached the device.
        uint64_t autos = it == iommu_dev.end() ? 0
                         : it->second.auto_resp_success + it->second.auto_resp_invalid +
                               it->second.auto_resp_failure;
        if (autos != c.prgr_from_iommu_auto)
            fail(r, dn + ": IOMMU sent " + std::to_string(autos) + " auto-responses, device got " +
                        std::to_string(c.prgr_from_iommu_auto));
        uint64_t sw_sent = sw_dev(rid, "prgr.sent.success") + sw_dev(rid, "prgr.sent.invalid") +
                           sw_dev(rid, "prgr.sent.failure");
        if (sw_sent != c.prgr_from_software + c.prgr_unexpected_from_software)
            fail(r, dn + ": driver sent " + std::to_string(sw_sent) + " ATS.PRGR, device got " +
                        std::to_string(c.prgr_from_software) +
                        (c.prgr_unexpected_from_software
                             ? " for outstanding PRGs and " + std::to_string(c.prgr_unexpected_from_software) +
                                   " for none"
                             : std::string()));
    }
    r.detail = std::to_string(prgs) + " PRGs, " + std::to_string(resp) + " responses (" +
               std::to_string(from_sw) + " software, " + std::to_string(from_auto) + " auto)" +
               (rf ? ", " + std::to_string(rf) + " device(s) stopped by Response Failure" : "") +
               (timeouts ? ", " + std::to_string(timeouts) + " given up after the response timeout" : "") +
               (uprgi_early ? ", " + std::to_string(uprgi_early) +
                                  " second response(s) after an early INVALID (rule E, UPRGI set)"
                            : "");
}

// Invariant 2: never more outstanding page requests than the allocation; all
// credits back at quiesce.
void scoreboard::check_credits()
{
    auto& r = add(2, "credits within allocation, all returned");
    uint64_t stalls = 0;
    for (auto& d : m_m.devices()) {
        const auto& c = d->get_counters();
        std::string dn = "device " + rid_name(d->params().rid);
        stalls += c.credit_stalls;
        if (c.credits_max > c.allocation)
            fail(r, dn + ": " + std::to_string(c.credits_max) + " page requests outstanding, allocation " +
                        std::to_string(c.allocation));
        if (c.credits_outstanding && !c.pri_response_failure)
            fail(r, dn + ": " + std::to_string(c.credits_outstanding) + " credits not returned");
    }
    r.detail = std::to_string(stalls) + " credit stalls";
}

// Invariant 3: every PQ record is accounted for, by cause, and every Page
// Request the IOMMU received was queued, auto-answered or discarded by rule.
void scoreboard::check_pq_accounting()
{
    auto& r = add(3, "every page request and PQ record accounted for");
    auto& idev = m_m.iommu().per_device();
    uint64_t records = 0, delivered = 0, discarded = 0;
    for (auto& d : m_m.devices()) {
        uint16_t rid = d->params().rid;
        const auto& c = d->get_counters();
        std::string dn = "device " + rid_name(rid);
        auto it = idev.find(rid);
        iommu::riscv_iommu::dev_counters ic;
        if (it != idev.end()) ic = it->second;
        // Link: nothing lost between device and IOMMU.
        if (ic.pr_received != c.page_requests)
            fail(r, dn + ": sent " + std::to_string(c.page_requests) + " page requests, IOMMU received " +
                        std::to_string(ic.pr_received));
        // IOMMU: received = queued + auto-answered + discarded by rule (L=0,
        // Stop Marker, and under the vtd overflow policy an L=1 request
        // discarded on overflow without a response).
        uint64_t iommu_acc = ic.pq_records_written + ic.auto_resp_success + ic.auto_resp_invalid +
                             ic.auto_resp_failure + ic.discarded_l0 + ic.discarded_stop_marker +
                             ic.discarded_no_response;
        if (iommu_acc != ic.pr_received)
            fail(r, dn + ": IOMMU received " + std::to_string(ic.pr_received) + " page requests but accounts for " +
                        std::to_string(iommu_acc) + " (records + auto-responses + discards)");
        // Driver: every record written was read.
        uint64_t read = sw_dev(rid, "pq.records_read");
        if (read != ic.pq_records_written)
            fail(r, dn + ": IOMMU wrote " + std::to_string(ic.pq_records_written) + " PQ records, driver read " +
                        std::to_string(read));
        // Driver -> io-pgfault.
        uint64_t reported = sw_dev(rid, "iopf.reported");
        uint64_t sm = sw_dev(rid, "pq.stop_markers_dropped");
        if (read != reported + sm)
            fail(r, dn + ": driver read " + std::to_string(read) + " records but reported " +
                        std::to_string(reported) + " + dropped " + std::to_string(sm) + " Stop Markers");
        // io-pgfault: reported = delivered in groups + discarded by a named rule + still partial.
        uint64_t del = sw_dev(rid, "iopf.requests_delivered");
        uint64_t disc = sw_dev(rid, "iopf.partials_discarded") + sw_dev(rid, "iopf.no_handler_invalid") +
                        sw_dev(rid, "iopf.partials_dropped_nomem") + sw_dev(rid, "iopf.requests_aborted");
        uint64_t pend = sw_dev(rid, "iopf.partials_pending");
        if (reported != del + disc + pend)
            fail(r, dn + ": io-pgfault got " + std::to_string(reported) + " requests; delivered " +
                        std::to_string(del) + ", discarded " + std::to_string(disc) + ", pending " +
                        std::to_string(pend));
        if (uint64_t g = sw_dev(rid, "iopf.groups_pending"))
            fail(r, dn + ": " + std::to_string(g) + " group(s) still waiting for a response at the end");
        records += ic.pq_records_written;
        delivered += del;
        discarded += disc + sm;
    }
    if (uint32_t occ = m_m.iommu().pq_occupancy())
        fail(r, "iommu0: " + std::to_string(occ) + " PQ record(s) never drained");
    r.detail = std::to_string(records) + " PQ records: " + std::to_string(delivered) + " delivered, " +
               std::to_string(discarded) + " discarded by rule";
}

namespace {
uint64_t ld64(machine& m, uint64_t pa, bool& ok)
{
    unsigned char b[8];
    const uint8_t* p = m.mem().peek(pa, 8, b);
    if (!p) {
        ok = false;
        return 0;
    }
    return load_le(p);
}

// Address of rid's device context in the directory ddtp names (§15.1), or
// 0 with `why` set; `ext`: extended-format (64-byte) DCs.
uint64_t find_dc(machine& m, uint64_t ddtp, bool ext, uint32_t rid, std::string& why)
{
    using namespace prisim::iommu;
    const unsigned mode = unsigned(ddtp & DDTP_MODE);
    if (mode < DDTP_1LVL || mode > DDTP_3LVL) {
        why = "ddtp.iommu_mode is " + std::to_string(mode) + ", not a directory mode";
        return 0;
    }
    if (rid >> ddt_did_bits(mode, ext)) {
        why = "device_id wider than ddtp.iommu_mode resolves";
        return 0;
    }
    uint64_t a = field(ddtp, 53, 10) << 12;
    for (unsigned level = ddt_levels(mode) - 1; level > 0; --level) {
        bool ok = true;
        const uint64_t ddte = ld64(m, a + uint64_t(ddt_ddi(rid, level, ext)) * 8, ok);
        if (!ok || !(ddte & DDTE_V)) {
            why = "no valid level-" + std::to_string(level) + " directory entry";
            return 0;
        }
        a = field(ddte, 53, 10) << 12;
    }
    return a + uint64_t(ddt_ddi(rid, 0, ext)) * (ext ? DC_SIZE_EXT : DC_SIZE_BASE);
}
} // namespace

// Invariant 4: the pattern each device wrote is at the physical page its final
// translation names. The translation is re-derived from memory: ddtp -> DC ->
// iosatp -> Sv39/Sv48/Sv57 walk (riscv-iommu.md §5, §15, §17), in any
// directory mode, leaves at any level; with iohgatp, every first-stage table
// address and the final address through the G-stage walk.
void scoreboard::check_dma()
{
    auto& r = add(4, "DMA data at the translated physical page");
    bool any_written = false;
    for (auto& d : m_m.devices()) any_written |= d->get_counters().pages_done != 0;
    if (!any_written) {
        // No device wrote a page (the run ended before the software set up
        // the translations, or every page failed): nothing to check, and
        // "run completes" says why.
        r.detail = "no page written, nothing to check";
        return;
    }
    tlm::tlm_generic_payload gp;
    unsigned char buf[8] = {};
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(0x10); // ddtp
    gp.set_data_ptr(buf);
    gp.set_data_length(8);
    gp.set_streaming_width(8);
    if (m_m.iommu().mmio.get_base_export()->transport_dbg(gp) != 8) {
        fail(r, "iommu0: ddtp cannot be read through the debug port");
        return;
    }
    const uint64_t ddtp = load_le(buf);
    gp.set_address(0x0); // capabilities: MSI_FLAT selects the DC format
    if (m_m.iommu().mmio.get_base_export()->transport_dbg(gp) != 8) {
        fail(r, "iommu0: capabilities cannot be read through the debug port");
        return;
    }
    const bool ext_dc = load_le(buf) & iommu::CAP_MSI_FLAT;
    uint64_t pages_checked = 0, bad = 0, unmapped = 0, pasid_pages = 0;
    for (auto& d : m_m.devices()) {
        const auto& dp = d->params();
        std::string dn = "device " + rid_name(dp.rid), why;
        bool ok = true;
        const uint64_t dc = find_dc(m_m, ddtp, ext_dc, dp.rid, why);
        ok = dc != 0;
        uint64_t tc = ok ? ld64(m_m, dc, ok) : 0;
        uint64_t fsc = ok ? ld64(m_m, dc + 0x18, ok) : 0;
        const uint64_t iohgatp = ok ? ld64(m_m, dc + 0x08, ok) : 0;
        if (d->get_counters().pages_done == 0) continue; // nothing written by this device
        const bool pdtv = tc & iommu::TC_PDTV;
        const unsigned levels = pdtv ? 0 : iommu::atp_levels(unsigned(fsc >> 60));
        // A G-stage (iohgatp Sv39x4/Sv48x4/Sv57x4: the same depths, a 16 KiB
        // root with 2 more index bits) under a Bare or paged first stage.
        const unsigned glevels = iommu::atp_levels(unsigned(iohgatp >> 60));
        const bool bare = !pdtv && (fsc >> 60) == 0;
        if (!ok || !(tc & 1) || (!pdtv && !levels && !(bare && glevels))) {
            fail(r, dn + ": no valid Sv39/Sv48/Sv57 device context to check against" +
                        (why.empty() ? std::string() : " (" + why + ")"));
            continue;
        }
        // The system-physical address of guest-physical `gpa` (itself
        // without a G-stage); false if the G-stage does not map it.
        auto gwalk = [&](uint64_t gpa, uint64_t& spa) {
            if (!glevels) {
                spa = gpa;
                return true;
            }
            uint64_t a = (iohgatp & ((1ull << 44) - 1)) << 12;
            for (int level = int(glevels) - 1; level >= 0 && ok; --level) {
                const uint64_t mask = level == int(glevels) - 1 ? 0x7FF : 0x1FF;
                const uint64_t pte = ld64(m_m, a + ((gpa >> (12 + 9 * level)) & mask) * 8, ok);
                if (!(pte & 1)) return false;
                const uint64_t ppn = (pte >> 10) & ((1ull << 44) - 1);
                if (pte & 0xE) {
                    const uint64_t span = 1ull << (12 + 9 * level);
                    spa = (ppn << 12) + (gpa & (span - 1));
                    return true;
                }
                a = ppn << 12;
            }
            return false;
        };
        uint64_t dev_bad = 0;
        // With a process directory (DC.tc.PDTV), the first stage of
        // process_id `pid` (0 without a PASID: DPE) is its process
        // context's iosatp (riscv-iommu.md §16): its root and levels, or
        // false if the directory has no valid context for it.
        // Under a G-stage (a guest's own directory, nested) its addresses are
        // GPAs, each read through the G-stage.
        auto pc_space = [&](uint32_t pid, uint64_t& root, unsigned& lv) {
            const unsigned mode = unsigned(fsc >> 60);
            uint64_t a = (fsc & ((1ull << 44) - 1)) << 12, spa = 0;
            for (unsigned level = iommu::pdt_levels(mode); level-- > 1;) {
                if (!gwalk(a + uint64_t(iommu::pdt_pdi(pid, level)) * 8, spa)) return false;
                const uint64_t pdte = ld64(m_m, spa, ok);
                if (!ok || !(pdte & 1)) return false;
                a = iommu::field(pdte, 53, 10) << 12;
            }
            if (!iommu::pdt_levels(mode)) return false;
            if (!gwalk(a + uint64_t(iommu::pdt_pdi(pid, 0)) * 16, spa)) return false;
            const uint64_t ta = ld64(m_m, spa, ok), pfsc = ld64(m_m, spa + 8, ok);
            lv = iommu::atp_levels(unsigned(pfsc >> 60));
            if (!ok || !(ta & 1) || !lv) return false;
            root = (pfsc & ((1ull << 44) - 1)) << 12;
            return true;
        };
        // The physical address `iova` of workload page `pg` translates to,
        // by a walk of the first-stage table in memory (its PASID's, with
        // a process directory).
        bool walked_pv = false; // the last walk went through a PASID's process context
        auto walk = [&](size_t w, uint64_t pg, uint64_t iova, uint64_t& pa) {
            uint64_t root = (fsc & ((1ull << 44) - 1)) << 12;
            unsigned lv = levels;
            walked_pv = false;
            if (pdtv) {
                bool pv = false;
                const uint32_t pasid = d->page_pasid(pg, pv, w);
                walked_pv = pv;
                if (!pc_space(pv ? pasid : 0, root, lv)) return false;
            }
            if (bare) return gwalk(iova, pa); // G-stage only
            uint64_t a = root;
            for (int level = int(lv) - 1; level >= 0 && ok; --level) {
                uint64_t ta = 0;
                if (!gwalk(a + ((iova >> (12 + 9 * level)) & 0x1FF) * 8, ta)) break;
                uint64_t pte = ld64(m_m, ta, ok);
                if (!(pte & 1)) break;
                uint64_t ppn = (pte >> 10) & ((1ull << 44) - 1);
                if (pte & 0xE) { // leaf (superpages keep the low VPN bits)
                    uint64_t span = 1ull << (12 + 9 * level);
                    return gwalk((ppn << 12) + (iova & (span - 1)), pa);
                }
                a = ppn << 12;
            }
            return false;
        };
        auto hex = [](uint64_t v) { std::ostringstream o; o << std::hex << v; return o.str(); };
        const uint64_t evicted_all = m_m.rt().sw_dev_stat(dp.rid, "user.pages_evicted");
        const uint64_t evict_failed = m_m.rt().sw_dev_stat(dp.rid, "user.evict_failures");
        const uint64_t evicted = evicted_all > evict_failed ? evicted_all - evict_failed : 0;
        uint64_t untranslated = 0;
        std::vector<uint8_t> bytes;
        for (size_t w = 0; w < d->workloads(); ++w) {
        const device::workload_params& wp = d->workload(w);
        const device::trace* tr = wp.replay.get();
        const uint64_t n = tr ? tr->size() : wp.pages;
        const std::string wn = d->workloads() > 1 ? "workload " + wp.name + " " : "";
        for (uint64_t pg = 0; pg < n; ++pg) {
            // Pages whose DMA did not complete are the run-level check's
            // business; this invariant is about where written data landed.
            // A traced device: each write access, its bytes (reads write nothing).
            if (!d->page_written(pg, w)) continue;
            if (tr && !(*tr)[pg].write) continue;
            const uint64_t iova = tr ? (*tr)[pg].iova : wp.iova_base + pg * 4096;
            const unsigned len = tr ? (*tr)[pg].size : wp.bytes_per_page;
            uint64_t pa = 0;
            if (!walk(w, pg, iova, pa)) {
                // The handler may have evicted it since (sw.user.resident_pages):
                // at most as many pages as it unmapped have no translation.
                if (++untranslated <= evicted) continue;
                if (++dev_bad <= 3) fail(r, dn + ": IOVA 0x" + hex(iova) + " has no translation");
                continue;
            }
            auto what = [&] {
                return tr ? wn + "access " + std::to_string(pg) + " (IOVA 0x" + hex(iova) + ")"
                          : wn + "page " + std::to_string(pg);
            };
            // Data pages are kept sparsely: a copy (platform/memory.h).
            bytes.resize(len);
            const uint8_t* p = m_m.mem().peek(pa, len, bytes.data());
            if (!p) {
                if (++dev_bad <= 3) fail(r, dn + ": " + what() + " maps outside DRAM");
                continue;
            }
            ++pages_checked;
            if (walked_pv) ++pasid_pages;
            const long off = tr ? device::pxdev::pattern_mismatch_at(dp.rid, iova / 4096, unsigned(iova % 4096), p, len)
                                : device::pxdev::pattern_mismatch(dp.rid, device::pxdev::pattern_page(w, pg), p, len);
            if (off >= 0 && ++dev_bad <= 3)
                fail(r, dn + ": " + what() + " byte " + std::to_string(off) + " differs from the pattern");
        }
        }
        // Per PASID: the pages each PASID wrote add up to the device's.
        // (Those of its workloads with PASIDs, when it has several.)
        const auto& pcs = d->get_pasid_counters();
        if (!pcs.empty()) {
            uint64_t sum = 0, want = 0;
            for (const auto& pc : pcs) sum += pc.pages_done;
            for (size_t w = 0; w < d->workloads(); ++w)
                if (d->workload(w).pasids) want += d->counts_of(w).pages_done;
            if (sum != want)
                fail(r, dn + ": its PASIDs wrote " + std::to_string(sum) + " pages, its workloads with PASIDs " +
                            std::to_string(want));
        }
        unmapped += std::min(untranslated, evicted);
        bad += dev_bad;
        if (dev_bad > 3) fail(r, dn + ": " + std::to_string(dev_bad) + " bad pages in all");
    }
    r.detail = std::to_string(pages_checked) + " pages checked, " + std::to_string(bad) + " bad";
    if (unmapped) r.detail += ", " + std::to_string(unmapped) + " evicted by the handler (not checked)";
    if (pasid_pages) r.detail += ", " + std::to_string(pasid_pages) + " of them with a PASID, each through its process context";
}

void scoreboard::check_shutdown(int rc, uint64_t new_errors, const sc_core::sc_time& limit)
{
    auto& r = add(0, "software shuts down");
    if (rc == -ETIMEDOUT)
        fail(r, "the software did not shut down within run.max_time_us (" +
                    std::to_string(uint64_t(limit.to_seconds() * 1e6 + 0.5)) + " us of simulated time)");
    else if (rc != 0)
        fail(r, "px_kernel_shutdown returned " + std::to_string(rc) + " (see stderr)");
    if (new_errors)
        fail(r, "software logged " + std::to_string(new_errors) + " error(s) while shutting down (see stderr)");
    if (r.ok) r.detail = "processes exited, drivers unbound, memory released";
}

nlohmann::json scoreboard::to_json() const
{
    nlohmann::json a = nlohmann::json::array();
    for (const auto& c : m_results)
        a.push_back({{"invariant", c.invariant}, {"name", c.name}, {"ok", c.ok}, {"detail", c.detail},
                     {"violations", c.violations}});
    return {{"ok", ok()}, {"checks", a}};
}

} // namespace prisim::platform
