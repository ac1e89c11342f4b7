// SPDX-License-Identifier: Apache-2.0
//
// Device-side PRI engine of one PCIe function (spec digest pcie-pri.md sections 2-6).
//
// Keeps the credits of the Outstanding Page Request Allocation and the 512 PRG indices
// (PRGI, 9 bits): a group of N page requests is granted only when N credits and a free index
// are available (otherwise it waits and stall_o is 1); the PRG Response that carries its
// index frees the index and returns its N credits, whatever the code. It owns the PRI
// Control Enable bit and the PRI Status bits RF, UPRGI and Stopped:
//   - a response for an index that is not in use sets UPRGI (sticky, W1C) and returns
//     nothing;
//   - Response Failure (or a reserved code) sets RF (sticky, W1C) and stops PRI: no new
//     group is granted, every outstanding group is abandoned (its credits come back at
//     once) and later responses are ignored, until Enable goes 0 -> 1 or a Reset;
//   - Stopped = Enable is 0 and no group is outstanding.
// Stop Markers take no credit and no index; they are passed on only while PRI is usable.
//
// Everything a group or response does is decided in the cycle of its handshake, from the
// state at the start of that cycle; the effects show from the next cycle on.

module prg_tracker (
  input  logic        clk_i,
  input  logic        rst_ni,             // async active-low reset
  // PRI capability registers (section 5), written by the configuration space
  input  logic        ctrl_we_i,          // PRI Control write, one-cycle strobe
  input  logic [15:0] ctrl_wdata_i,       // bit 0 Enable, bit 1 Reset
  input  logic        status_we_i,        // PRI Status write, one-cycle strobe
  input  logic [15:0] status_wdata_i,     // bit 0 RF, bit 1 UPRGI: write 1 to clear
  input  logic [31:0] alloc_i,            // Outstanding Page Request Allocation
  output logic        enable_o,           // PRI Control.Enable
  output logic        rf_o,               // PRI Status.RF
  output logic        uprgi_o,            // PRI Status.UPRGI
  output logic        stopped_o,          // PRI Status.Stopped
  output logic        rf_stop_o,          // page requests stopped by Response Failure
  output logic [31:0] credits_out_o,      // page requests outstanding (credits in use)
  output logic [9:0]  groups_out_o,       // groups outstanding (indices in use)
  // a group of N page requests to send
  input  logic        grp_valid_i,
  output logic        grp_ready_o,
  input  logic [31:0] grp_npages_i,       // N, one credit per page request
  output logic [1:0]  grp_cause_o,        // outcome at the handshake (prg_grp_cause_e)
  output logic [8:0]  grp_prgi_o,         // the index granted (0 unless granted)
  output logic        stall_o,            // a usable group waits for credits or an index
  // a PRG Response received
  input  logic        rsp_valid_i,
  output logic        rsp_ready_o,
  input  logic [8:0]  rsp_prgi_i,
  input  logic [3:0]  rsp_code_i,         // 0 Success, 1 Invalid Request, others Failure
  output logic [2:0]  rsp_cause_o,        // outcome at the handshake (prg_rsp_cause_e)
  output logic [31:0] rsp_credits_o,      // credits of the matched group (0 otherwise)
  output logic        abandon_o,          // all outstanding groups abandoned this cycle
  // a Stop Marker to send
  input  logic        sm_valid_i,
  output logic        sm_ready_o,
  output logic        sm_send_o           // at the handshake: 1 = send it, 0 = dropped
);

  ////////////////
  // parameters //
  ////////////////

  localparam int unsigned NumIdx = 512;   // section 2: PRGI is 9 bits
  // the free-index search looks at the indices a word at a time
  localparam int unsigned WordW    = 32;
  localparam int unsigned NumWords = NumIdx / WordW;

  localparam int unsigned CtrlEnable = 0;
  localparam int unsigned CtrlReset  = 1;
  localparam int unsigned StatusRf    = 0;
  localparam int unsigned StatusUprgi = 1;

  localparam logic [3:0] CodeSuccess = 4'h0;
  localparam logic [3:0] CodeInvalid = 4'h1;

  // outcome of a group request
  typedef enum logic [1:0] {
    GrpNone       = 2'd0,  // no handshake this cycle
    GrpGranted    = 2'd1,  // credits taken, index allocated
    GrpRefusedOff = 2'd2,  // PRI disabled or stopped by Response Failure
    GrpRefusedSz  = 2'd3   // N = 0 or N > allocation: could never be granted
  } prg_grp_cause_e;

  // outcome of a PRG Response
  typedef enum logic [2:0] {
    RspNone       = 3'd0,  // no handshake this cycle
    RspSuccess    = 3'd1,  // group freed
    RspInvalid    = 3'd2,  // group freed
    RspFailure    = 3'd3,  // group freed, RF set, PRI stopped, all groups abandoned
    RspUnexpected = 3'd4,  // index not in use: UPRGI set
    RspIgnored    = 3'd5   // PRI stopped by Response Failure: ignored
  } prg_rsp_cause_e;

  /////////////
  // signals //
  /////////////

  logic              enable_q;
  logic              rf_q;
  logic              uprgi_q;
  logic              rf_stop_q;
  logic [NumIdx-1:0] busy_q;                // index in use (set and cleared bit by bit)
  logic [31:0]       cred_q [NumIdx];       // credits of the group at each index
  logic [8:0]        next_q;                // where the search for a free index starts
  logic [31:0]       credits_out_q;
  logic [9:0]        groups_out_q;

  logic              usable;
  logic              grp_hs, grp_fits, grp_size_ok, grant;
  logic              rsp_hs, rsp_match, rsp_fail;
  logic              ctrl_wr_reset;
  logic [32:0]       credits_sum;
  logic [31:0]       rsp_cred;            // credits of the group at rsp_prgi_i

  // free-index search: the lowest free index at or after next_q, else the lowest free one
  logic                free_lo_found;
  logic [NumWords-1:0] word_free;          // the word holds a free index
  logic [NumWords-1:0] words_after;        // words above next_q's word that hold one
  logic [WordW-1:0]    start_bits;         // next_q's word: its free indices from next_q up
  logic [3:0]          sel_word;           // the word the free index is taken from
  logic [WordW-1:0]    sel_bits;           // its free indices
  logic [4:0]          sel_bit;            // position of that index in the word
  logic [8:0]          free_idx;

  /////////////////////
  // index selection //
  /////////////////////

  // Two levels: the word holding the free index, then the lowest free index in it (binary
  // search). In order: next_q's own word from next_q's bit up, else the lowest word above it
  // that holds a free index, else the lowest word that does. Same result as a scan of the
  // 512 bits from next_q (wrapping to 0), at word width.
  always_comb begin
    for (int w = 0; w < NumWords; w++) begin
      word_free[w] = busy_q[w*WordW +: WordW] != '1;
    end
  end
  // groups_out_q counts the busy indices (asserted below): a 10-bit compare, not a 512-bit OR
  assign free_lo_found = groups_out_q != 10'(NumIdx);
  assign start_bits    = ~busy_q[{next_q[8:5], 5'd0} +: WordW] & ({WordW{1'b1}} << next_q[4:0]);
  assign words_after   = word_free & ~((NumWords'(2) << next_q[8:5]) - NumWords'(1));

  // Position of the lowest 1 of v (binary search; 31 when v is 0).
  function automatic logic [4:0] lowest_one(logic [31:0] v);
    logic [4:0] p;
    p = '0;
    if (v[15:0] == '0) begin
      p[4] = 1'b1;
      v    = v >> 16;
    end
    if (v[7:0] == '0) begin
      p[3] = 1'b1;
      v    = v >> 8;
    end
    if (v[3:0] == '0) begin
      p[2] = 1'b1;
      v    = v >> 4;
    end
    if (v[1:0] == '0) begin
      p[1] = 1'b1;
      v    = v >> 2;
    end
    if (!v[0]) begin
      p[0] = 1'b1;
    end
    return p;
  endfunction

  // the lowest word holding a free index: above next_q's word, else anywhere
  logic [NumWords-1:0] words;
  logic [4:0]          words_low;
  assign words     = (words_after != '0) ? words_after : word_free;
  assign words_low = lowest_one({{(32 - NumWords){1'b0}}, words});

  always_comb begin
    sel_word = (start_bits != '0) ? next_q[8:5] : words_low[3:0];
    sel_bits = (start_bits != '0) ? start_bits : ~busy_q[{sel_word, 5'd0} +: WordW];
    sel_bit  = lowest_one(sel_bits);
  end

  assign free_idx = {sel_word, sel_bit};

  logic unused_words_low;
  assign unused_words_low = words_low[4];  // 1 only when no word holds a free index

  //////////////
  // decoding //
  //////////////

  assign usable = enable_q && !rf_stop_q;

  // section 6: never more page requests outstanding than the allocation
  assign credits_sum = 33'(credits_out_q) + 33'(grp_npages_i);
  assign grp_fits    = (credits_sum <= 33'(alloc_i)) && free_lo_found;
  assign grp_size_ok = (grp_npages_i != '0) && (grp_npages_i <= alloc_i);

  assign grp_ready_o = !usable || !grp_size_ok || grp_fits;
  assign grp_hs      = grp_valid_i && grp_ready_o;
  assign grant       = grp_hs && usable && grp_size_ok;
  assign stall_o     = grp_valid_i && usable && grp_size_ok && !grp_fits;

  assign rsp_cred    = cred_q[rsp_prgi_i];
  assign rsp_ready_o = 1'b1;
  assign rsp_hs      = rsp_valid_i && rsp_ready_o;
  assign rsp_match   = rsp_hs && !rf_stop_q && busy_q[rsp_prgi_i];
  // section 4.1: the unused codes 0010b-1110b are treated as Response Failure
  assign rsp_fail    = rsp_match && (rsp_code_i != CodeSuccess) && (rsp_code_i != CodeInvalid);

  // section 5: Reset clears the PRI state only while PRI is disabled (Enable as it was
  // before this write)
  assign ctrl_wr_reset = ctrl_we_i && ctrl_wdata_i[CtrlReset] && !enable_q;

  ///////////////
  // registers //
  ///////////////

  // The next state is computed only at the clock edge, with blocking temporaries in the
  // sequential block rather than always_comb, so that the Verilated model computes it once
  // per cycle and not at every evaluation (as rtl/iotlb does). The handshake outcomes above
  // stay combinational: they are read in the cycle of the handshake.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      enable_q      <= 1'b0;
      rf_q          <= 1'b0;
      uprgi_q       <= 1'b0;
      rf_stop_q     <= 1'b0;
      busy_q        <= '0;
      next_q        <= '0;
      credits_out_q <= '0;
      groups_out_q  <= '0;
    end else begin
      logic        enable_d, rf_d, uprgi_d, rf_stop_d;
      logic [31:0] credits_out_d;
      logic [9:0]  groups_out_d;
      enable_d      = enable_q;
      rf_d          = rf_q;
      uprgi_d       = uprgi_q;
      rf_stop_d     = rf_stop_q;
      credits_out_d = credits_out_q;
      groups_out_d  = groups_out_q;

      // software: W1C of the status bits first, then the control write (one dword write of
      // Control and Status behaves the same)
      if (status_we_i) begin
        if (status_wdata_i[StatusRf]) begin
          rf_d = 1'b0;
        end
        if (status_wdata_i[StatusUprgi]) begin
          uprgi_d = 1'b0;
        end
      end
      if (ctrl_we_i) begin
        enable_d = ctrl_wdata_i[CtrlEnable];
        if (ctrl_wdata_i[CtrlEnable] && !enable_q) begin
          rf_stop_d = 1'b0;  // section 4.1: responses count again once PRI is re-enabled
        end
      end

      // a granted group takes its credits and the index
      if (grant) begin
        next_q        <= free_idx + 9'd1;
        credits_out_d = credits_out_d + grp_npages_i;
        groups_out_d  = groups_out_d + 10'd1;
      end

      // a response frees its group and returns its credits, whatever the code (section 6)
      if (rsp_match) begin
        credits_out_d = credits_out_d - rsp_cred;
        groups_out_d  = groups_out_d - 10'd1;
      end
      if (rsp_hs && !rf_stop_q && !busy_q[rsp_prgi_i]) begin
        uprgi_d = 1'b1;  // section 4.2
      end

      // Response Failure: set RF, stop issuing page requests; PRI Reset while disabled:
      // clear the status. Either gives every outstanding group (including one granted in
      // this cycle) up (abandon_o).
      if (rsp_fail) begin
        rf_d      = 1'b1;
        rf_stop_d = 1'b1;
      end
      if (ctrl_wr_reset) begin
        rf_d      = 1'b0;
        uprgi_d   = 1'b0;
        rf_stop_d = 1'b0;
      end
      if (abandon_o) begin
        credits_out_d = '0;
        groups_out_d  = '0;
      end

      enable_q      <= enable_d;
      rf_q          <= rf_d;
      uprgi_q       <= uprgi_d;
      rf_stop_q     <= rf_stop_d;
      if (abandon_o) begin
        busy_q <= '0;
      end else begin
        if (grant) begin
          busy_q[free_idx] <= 1'b1;
        end
        if (rsp_match) begin
          busy_q[rsp_prgi_i] <= 1'b0;
        end
      end
      credits_out_q <= credits_out_d;
      groups_out_q  <= groups_out_d;
    end
  end

  // Group credits: written when a group is granted, read only while its index is in use,
  // so they need no reset.
  always_ff @(posedge clk_i) begin
    if (grant) begin
      cred_q[free_idx] <= grp_npages_i;
    end
  end

  /////////////
  // outputs //
  /////////////

  assign enable_o      = enable_q;
  assign rf_o          = rf_q;
  assign uprgi_o       = uprgi_q;
  // section 5: Stopped is meaningful only while Enable = 0
  assign stopped_o     = !enable_q && (groups_out_q == '0);
  assign rf_stop_o     = rf_stop_q;
  assign credits_out_o = credits_out_q;
  assign groups_out_o  = groups_out_q;

  always_comb begin
    if (!grp_hs) begin
      grp_cause_o = GrpNone;
    end else if (!usable) begin
      grp_cause_o = GrpRefusedOff;
    end else if (!grp_size_ok) begin
      grp_cause_o = GrpRefusedSz;
    end else begin
      grp_cause_o = GrpGranted;
    end
  end
  assign grp_prgi_o = grant ? free_idx : 9'h000;

  always_comb begin
    if (!rsp_hs) begin
      rsp_cause_o = RspNone;
    end else if (rf_stop_q) begin
      rsp_cause_o = RspIgnored;
    end else if (!busy_q[rsp_prgi_i]) begin
      rsp_cause_o = RspUnexpected;
    end else if (rsp_fail) begin
      rsp_cause_o = RspFailure;
    end else if (rsp_code_i == CodeSuccess) begin
      rsp_cause_o = RspSuccess;
    end else begin
      rsp_cause_o = RspInvalid;
    end
  end
  assign rsp_credits_o = rsp_match ? rsp_cred : 32'h0;
  assign abandon_o     = rsp_fail || ctrl_wr_reset;

  // Section 3: a Stop Marker is a page request message without credit or response; it goes
  // out only while page requests may be issued.
  assign sm_ready_o = 1'b1;
  assign sm_send_o  = sm_valid_i && usable;

  // Control and Status bits this block does not implement, as written by software.
  logic unused_wdata;
  assign unused_wdata = ^{ctrl_wdata_i[15:2], status_wdata_i[15:2]};

  ////////////////
  // assertions //
  ////////////////

  // Invariants of the block only: nothing software or the link can send trips them.

  // the bookkeeping counters agree with the index table
  GroupsMatchBusy_A: assert property (@(posedge clk_i)
      32'(groups_out_q) == $countones(busy_q))
    else $error("groups_out differs from the number of indices in use");

  // section 6: outstanding page requests never exceed the allocation when granted
  GrantWithinAlloc_A: assert property (@(posedge clk_i)
      grant |-> (credits_sum <= 33'(alloc_i)))
    else $error("group granted beyond the allocation");

  // a granted index was free, a matched index was in use
  GrantFreeIndex_A: assert property (@(posedge clk_i)
      grant |-> !busy_q[free_idx])
    else $error("group granted an index in use");

  // credits never underflow
  NoCreditUnderflow_A: assert property (@(posedge clk_i)
      rsp_match |-> (rsp_cred <= credits_out_q + (grant ? grp_npages_i : 32'h0)))
    else $error("credit accounting underflow");

  // every outstanding group holds at least one credit
  CreditsCoverGroups_A: assert property (@(posedge clk_i)
      credits_out_q >= 32'(groups_out_q))
    else $error("fewer credits than groups outstanding");

  OutputsKnown_A: assert property (@(posedge clk_i)
      !$isunknown({grp_ready_o, grp_cause_o, stall_o, rsp_ready_o, rsp_cause_o, abandon_o,
                   sm_send_o, enable_o, rf_o, uprgi_o, stopped_o, credits_out_o,
                   groups_out_o}))
    else $error("unknown value on a control output");

endmodule
