// SPDX-License-Identifier: Apache-2.0
//
// Page-request queue (PQ) writer of the RISC-V IOMMU.
//
// Takes one PCIe Page Request / Stop Marker at a time that already passed the device-context
// checks (spec digest riscv-iommu.md section 13.1 steps 1-5) and executes steps 6-11: drop it
// (queue disabled, pqmf, pqof, queue full), or write a 16-byte PQ record and advance pqt. It
// owns pqcsr (except the software-held pqb/pqh) and pqt, and generates the auto PRG Response
// for L=1 requests that are not Stop Markers (section 13.2/13.3/13.4).
//
// One request is processed at a time: the next one is accepted only after the previous one
// is completely done, so every check sees the effects (pqmf, pqof, pqt) of all earlier
// requests, as the spec's sequential processing requires.

module pq_writer #(
  parameter int unsigned MaxLog2Sz = 16   // largest supported queue: 2^MaxLog2Sz entries
) (
  input  logic         clk_i,
  input  logic         rst_ni,              // async active-low reset
  // software-owned configuration, held in the register file outside this block
  input  logic [43:0]  pqb_ppn_i,           // pqb.PPN
  input  logic [4:0]   pqb_log2szm1_i,      // pqb.LOG2SZ-1; above MaxLog2Sz-1 acts as MaxLog2Sz-1
  input  logic [31:0]  pqh_i,               // pqh (only bits log2(N)-1:0 are used)
  input  logic         stop_marker_needs_pasid_i,  // 1: Stop Marker needs PV (spec default)
  input  logic         ovf_auto_resp_i,     // 1: Success to L=1 discarded on overflow (RISC-V,
                                            // SMMUv3); 0: no response (VT-d as QEMU models it)
  // software write to pqcsr
  input  logic         csr_we_i,
  input  logic [31:0]  csr_wdata_i,
  output logic [31:0]  pqcsr_o,             // 0 pqen, 1 pie, 8 pqmf, 9 pqof, 16 pqon, 17 busy
  output logic [31:0]  pqt_o,               // producer index
  // one page-request message that already passed the DC checks
  input  logic         req_valid_i,
  output logic         req_ready_o,
  input  logic [23:0]  req_did_i,           // device_id (RID | DSEG<<16)
  input  logic         req_pv_i,
  input  logic [19:0]  req_pid_i,
  input  logic         req_priv_i,
  input  logic         req_exec_i,
  input  logic [63:0]  req_payload_i,       // R 0, W 1, L 2, PRGI 11:3, page address 63:12
  input  logic         req_prpr_i,          // DC.tc.PRPR of the requester
  // record write to memory
  output logic         mem_req_valid_o,
  input  logic         mem_req_ready_i,
  output logic [55:0]  mem_req_addr_o,      // (pqb.PPN << 12) | (pqt * 16)
  output logic [127:0] mem_req_data_o,      // [63:0] record header, [127:64] PAYLOAD
  input  logic         mem_rsp_valid_i,     // one cycle, >= 1 cycle after the handshake
  input  logic         mem_rsp_err_i,       // access fault / corruption on that write
  // auto-generated PRG Response
  output logic         ar_valid_o,
  input  logic         ar_ready_i,
  output logic [3:0]   ar_code_o,           // 0x0 Success, 0xF Response Failure
  output logic [8:0]   ar_prgi_o,
  output logic [23:0]  ar_did_o,
  output logic         ar_pv_o,             // section 13.4 PRPR rule
  output logic [19:0]  ar_pid_o,
  // outcome of each accepted request
  output logic         done_o,
  output logic [2:0]   done_cause_o,        // pq_cause_e
  output logic         done_ar_o,           // an auto-response was sent for it
  // interrupt request
  output logic         pip_set_o            // pie & (record written | pqof/pqmf 0 -> 1)
);

  ////////////////
  // parameters //
  ////////////////

  // derived parameter: width of the queue indices held here
  localparam int unsigned IdxW = MaxLog2Sz;
  localparam logic [4:0] MaxLog2SzM1 = 5'(MaxLog2Sz - 1);

  if (MaxLog2Sz < 1 || MaxLog2Sz > 32) begin : gen_param_check
    $error("MaxLog2Sz must be in 1..32 (pqb.LOG2SZ-1 is a 5-bit field)");
  end

  // pqcsr bit positions (section 7)
  localparam int unsigned PqcsrPqen = 0;
  localparam int unsigned PqcsrPie  = 1;
  localparam int unsigned PqcsrPqmf = 8;
  localparam int unsigned PqcsrPqof = 9;

  // PAYLOAD fields (section 12)
  localparam int unsigned PayloadR = 0;
  localparam int unsigned PayloadW = 1;
  localparam int unsigned PayloadL = 2;

  // PRG Response codes (section 13.3)
  localparam logic [3:0] ArCodeSuccess     = 4'h0;
  localparam logic [3:0] ArCodeRespFailure = 4'hF;

  // outcome of one request, reported on done_cause_o
  typedef enum logic [2:0] {
    Queued         = 3'd0,  // record written, pqt advanced
    DropDisabled   = 3'd1,  // pqen = 0 or pqon = 0 -> Response Failure
    DropMemFault   = 3'd2,  // pqmf already 1 -> Response Failure
    DropOverflow   = 3'd3,  // pqof already 1 -> Success (or none), no interrupt
    DropFull       = 3'd4,  // queue full: set pqof -> Success (or none)
    DropWriteFault = 3'd5   // record write faulted: set pqmf -> Response Failure
  } pq_cause_e;

  // request engine
  typedef enum logic [1:0] {
    StIdle,     // ready for the next request
    StWrite,    // record write request presented to memory
    StWaitRsp,  // record write accepted, waiting for its response
    StAr        // auto PRG Response presented
  } pq_state_e;

  // enable / disable sequencing (section 7.1); busy = state != CsrIdle
  typedef enum logic [1:0] {
    CsrIdle,
    CsrEnabling,
    CsrDisabling
  } pq_csr_state_e;

  /////////////
  // signals //
  /////////////

  pq_state_e     state_q;
  pq_csr_state_e csr_state_q;

  logic pqen_q;
  logic pie_q;
  logic pqmf_q;
  logic pqof_q;
  logic pqon_q;
  logic busy;

  logic [IdxW-1:0] pqt_q;

  // the request being processed
  logic [23:0] did_q;
  logic        pv_q;
  logic [19:0] pid_q;
  logic        priv_q;
  logic        exec_q;
  logic [63:0] payload_q;
  logic        prpr_q;
  logic        need_ar_q;  // L = 1 and not a Stop Marker
  pq_cause_e   cause_q;
  logic [55:0] addr_q;

  // registered outcome pulses
  logic        done_q;
  pq_cause_e   done_cause_q;
  logic        done_ar_q;
  logic        pip_set_q;

  // queue geometry
  logic [4:0]      log2szm1;
  logic [IdxW-1:0] idx_mask;
  logic [IdxW-1:0] pqt_m;
  logic [IdxW-1:0] pqh_m;
  logic [IdxW-1:0] pqt_inc;
  logic            q_full;

  ////////////////////
  // queue geometry //
  ////////////////////

  // pqb.LOG2SZ-1 beyond what is implemented is treated as the largest size (WARL in the
  // register file; the clamp keeps this block safe whatever it is given).
  if (MaxLog2Sz < 32) begin : gen_log2sz_clamp
    assign log2szm1 = (pqb_log2szm1_i > MaxLog2SzM1) ? MaxLog2SzM1 : pqb_log2szm1_i;
  end else begin : gen_log2sz_full
    assign log2szm1 = pqb_log2szm1_i;
  end

  // bits log2szm1:0 set
  assign idx_mask = IdxW'((33'(1) << (6'(log2szm1) + 6'd1)) - 33'(1));

  assign pqt_m   = pqt_q & idx_mask;
  assign pqh_m   = pqh_i[IdxW-1:0] & idx_mask;
  assign pqt_inc = (pqt_m + {{(IdxW-1){1'b0}}, 1'b1}) & idx_mask;
  // section 6.2: full when tail == head - 1 (mod N), usable capacity N - 1
  assign q_full  = (pqt_inc == pqh_m);

  if (IdxW < 32) begin : gen_pqh_unused
    // only bits log2(N)-1:0 of pqh are meaningful
    logic unused_pqh;
    assign unused_pqh = ^pqh_i[31:IdxW];
  end

  ////////////
  // engine //
  ////////////

  // The engine is evaluated only at the clock edge: its decisions are functions of the state
  // and the inputs called from the sequential block (blocking temporaries), not always_comb,
  // so that the Verilated model computes them once per cycle and not at every evaluation
  // (as rtl/iotlb does). Every output is registered or a function of the state (pqt_o also
  // of the queue size input, which masks it).

  // section 12: Stop Marker = L = 1, R = W = 0, with a PASID (configurable)
  function automatic logic req_is_stop_marker();
    return req_payload_i[PayloadL] && !req_payload_i[PayloadR] && !req_payload_i[PayloadW] &&
           (req_pv_i || !stop_marker_needs_pasid_i);
  endfunction

  // section 13.1 steps 6-9, in this order
  function automatic pq_cause_e req_drop_cause();
    if (!pqen_q || !pqon_q) begin
      return DropDisabled;
    end else if (pqmf_q) begin
      return DropMemFault;
    end else if (pqof_q) begin
      return DropOverflow;
    end else if (q_full) begin
      return DropFull;
    end
    return Queued;
  endfunction

  // The next pqt: 0 when the queue is enabled (section 7.1), + 1 when a record write
  // completed (section 13.1 step 11).
  function automatic logic [IdxW-1:0] pqt_next();
    if (state_q == StWaitRsp && mem_rsp_valid_i && !mem_rsp_err_i) begin
      return pqt_inc;
    end else if (csr_state_q == CsrEnabling) begin
      return '0;
    end
    return pqt_q;
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= StIdle;
      csr_state_q  <= CsrIdle;
      pqen_q       <= 1'b0;
      pie_q        <= 1'b0;
      pqmf_q       <= 1'b0;
      pqof_q       <= 1'b0;
      pqon_q       <= 1'b0;
      pqt_q        <= '0;
      did_q        <= '0;
      pv_q         <= 1'b0;
      pid_q        <= '0;
      priv_q       <= 1'b0;
      exec_q       <= 1'b0;
      payload_q    <= '0;
      prpr_q       <= 1'b0;
      need_ar_q    <= 1'b0;
      cause_q      <= Queued;
      addr_q       <= '0;
      done_q       <= 1'b0;
      done_cause_q <= Queued;
      done_ar_q    <= 1'b0;
      pip_set_q    <= 1'b0;
    end else begin
      logic      stop_marker, need_ar;
      pq_cause_e cause;
      stop_marker = req_is_stop_marker();
      cause       = req_drop_cause();
      // An L = 1 request that is not a Stop Marker gets an auto-response when it is dropped
      // (section 13.2), unless it was dropped on overflow and the overflow policy sends none.
      need_ar     = req_payload_i[PayloadL] && !stop_marker &&
                    (ovf_auto_resp_i || (cause != DropOverflow && cause != DropFull));

      // Registers hold unless assigned below; a later assignment wins. The outcome pulses
      // last one cycle.
      pqt_q        <= pqt_next();
      done_q       <= 1'b0;
      done_cause_q <= Queued;
      done_ar_q    <= 1'b0;
      pip_set_q    <= 1'b0;

      // software pqcsr write: pie is RW, pqmf / pqof are RW1C, pqen starts a transition;
      // section 7.1: a write while busy = 1 is UNSPECIFIED, this block ignores it
      if (csr_we_i && !busy) begin
        pie_q  <= csr_wdata_i[PqcsrPie];
        pqen_q <= csr_wdata_i[PqcsrPqen];
        if (csr_wdata_i[PqcsrPqmf]) begin
          pqmf_q <= 1'b0;
        end
        if (csr_wdata_i[PqcsrPqof]) begin
          pqof_q <= 1'b0;
        end
        if (!pqen_q && csr_wdata_i[PqcsrPqen]) begin
          csr_state_q <= CsrEnabling;
        end else if (pqen_q && !csr_wdata_i[PqcsrPqen]) begin
          csr_state_q <= CsrDisabling;
        end
      end

      unique case (csr_state_q)
        CsrIdle: begin
        end
        CsrEnabling: begin
          // section 7.1: pqen 0 -> 1 resets pqt (pqt_next) and clears the error bits
          pqon_q      <= 1'b1;
          pqmf_q      <= 1'b0;
          pqof_q      <= 1'b0;
          csr_state_q <= CsrIdle;
        end
        CsrDisabling: begin
          // stay on until the in-flight record write has got its response
          if (state_q != StWrite && state_q != StWaitRsp) begin
            pqon_q      <= 1'b0;
            csr_state_q <= CsrIdle;
          end
        end
        default: begin
          csr_state_q <= CsrIdle;
        end
      endcase

      // The hardware updates below never conflict with the software write above: pqmf /
      // pqof are only set while they are 0 (so a same-cycle W1C has nothing to clear), and
      // pqt only moves while pqon = 1 with no transition in progress or while disabling.
      unique case (state_q)
        StIdle: begin
          if (req_valid_i) begin
            did_q     <= req_did_i;
            pv_q      <= req_pv_i;
            pid_q     <= req_pid_i;
            priv_q    <= req_priv_i;
            exec_q    <= req_exec_i;
            payload_q <= req_payload_i;
            prpr_q    <= req_prpr_i;
            need_ar_q <= req_payload_i[PayloadL] && !stop_marker;
            cause_q   <= cause;
            // section 6.1: entry address = (PPN << 12) | (index * 16)
            addr_q    <= {pqb_ppn_i, 12'h000} | 56'({pqt_m, 4'h0});

            if (cause == DropFull) begin
              // section 13.1 step 9: set pqof (it was 0) and raise the PQ interrupt
              pqof_q    <= 1'b1;
              pip_set_q <= pie_q;
            end

            if (cause == Queued) begin
              state_q <= StWrite;
            end else if (need_ar) begin
              state_q <= StAr;
            end else begin
              // section 13.2: L = 0 requests and Stop Markers are dropped silently, and so
              // are L = 1 requests dropped on overflow when ovf_auto_resp_i = 0
              done_q       <= 1'b1;
              done_cause_q <= cause;
            end
          end
        end
        StWrite: begin
          if (mem_req_ready_i) begin
            state_q <= StWaitRsp;
          end
        end
        StWaitRsp: begin
          if (mem_rsp_valid_i) begin
            if (mem_rsp_err_i) begin
              // section 13.1 step 10: set pqmf (it was 0) and raise the PQ interrupt
              pqmf_q    <= 1'b1;
              pip_set_q <= pie_q;
              cause_q   <= DropWriteFault;
              if (need_ar_q) begin
                state_q <= StAr;
              end else begin
                state_q      <= StIdle;
                done_q       <= 1'b1;
                done_cause_q <= DropWriteFault;
              end
            end else begin
              // section 13.1 step 11: the record is visible (pqt_next advances pqt)
              pip_set_q    <= pie_q;
              state_q      <= StIdle;
              done_q       <= 1'b1;
              done_cause_q <= Queued;
            end
          end
        end
        StAr: begin
          if (ar_ready_i) begin
            state_q      <= StIdle;
            done_q       <= 1'b1;
            done_cause_q <= cause_q;
            done_ar_q    <= 1'b1;
          end
        end
        default: begin
          state_q <= StIdle;
        end
      endcase
    end
  end

  /////////////
  // outputs //
  /////////////

  assign busy = (csr_state_q != CsrIdle);

  always_comb begin
    pqcsr_o            = '0;
    pqcsr_o[PqcsrPqen] = pqen_q;
    pqcsr_o[PqcsrPie]  = pie_q;
    pqcsr_o[PqcsrPqmf] = pqmf_q;
    pqcsr_o[PqcsrPqof] = pqof_q;
    pqcsr_o[16]        = pqon_q;
    pqcsr_o[17]        = busy;
  end

  assign pqt_o = 32'(pqt_m);

  assign req_ready_o = (state_q == StIdle);

  // Record and response fields read 0 while their valid is 0.
  assign mem_req_valid_o = (state_q == StWrite);
  assign mem_req_addr_o  = mem_req_valid_o ? addr_q : '0;
  // section 12: PRIV and EXEC are 0 when there is no PASID; reserved bits are 0
  assign mem_req_data_o  = !mem_req_valid_o ? '0 :
                           {payload_q, did_q, 5'b00000, exec_q && pv_q, priv_q && pv_q, pv_q,
                            pid_q, 12'h000};

  assign ar_valid_o = (state_q == StAr);
  assign ar_code_o  = !ar_valid_o ? 4'h0 :
                      (cause_q == DropOverflow || cause_q == DropFull) ? ArCodeSuccess :
                                                                         ArCodeRespFailure;
  assign ar_prgi_o  = ar_valid_o ? payload_q[11:3] : 9'h000;
  assign ar_did_o   = ar_valid_o ? did_q : 24'h000000;
  // section 13.4: Success carries the PASID only if PRPR; Response Failure always does
  assign ar_pv_o    = ar_valid_o && pv_q && (prpr_q || ar_code_o == ArCodeRespFailure);
  assign ar_pid_o   = ar_pv_o ? pid_q : 20'h00000;

  assign done_o       = done_q;
  assign done_cause_o = done_cause_q;
  assign done_ar_o    = done_ar_q;
  assign pip_set_o    = pip_set_q;

  // Bits of pqcsr that are reserved or read-only, as written by software.
  logic unused_csr_wdata;
  assign unused_csr_wdata = ^{csr_wdata_i[31:10], csr_wdata_i[7:2]};

  ////////////////
  // assertions //
  ////////////////

  // Only invariants of this block and protocol rules of its wrapper are asserted: software
  // misprogramming (pqh, pqb) must never stop the simulation. No "disable iff": every
  // property also holds while the block is held in reset.

  // an auto-response belongs to a dropped request that needs one
  ArValidNeedsDrop_A: assert property (@(posedge clk_i)
      ar_valid_o |-> (need_ar_q && cause_q != Queued))
    else $error("ar_valid_o without a dropped L=1 request in flight");

  // section 7.1: no implicit access to the queue while it is off
  MemReqOnlyWhileOn_A: assert property (@(posedge clk_i)
      mem_req_valid_o |-> pqon_q)
    else $error("record write while pqon = 0");

  // a record is only written into a slot that was free: occupancy below N - 1
  PqtNeverPassesPqh_A: assert property (@(posedge clk_i)
      (req_valid_i && req_ready_o && req_drop_cause() == Queued) |->
      (((pqt_m - pqh_m) & idx_mask) != idx_mask))
    else $error("record accepted into a full queue");

  // pqt moves only when a record write completed, or when the queue is being enabled
  PqtMovesOnlyOnWrite_A: assert property (@(posedge clk_i)
      (pqt_next() != pqt_q) |-> ((state_q == StWaitRsp && mem_rsp_valid_i && !mem_rsp_err_i) ||
                            csr_state_q == CsrEnabling))
    else $error("pqt changed without a completed record write");

  // wrapper protocol: one response per accepted record write, never before it
  MemRspOnlyWhenWaiting_A: assert property (@(posedge clk_i)
      mem_rsp_valid_i |-> (state_q == StWaitRsp))
    else $error("mem_rsp_valid_i without an outstanding record write");

  // one request in flight: never a record write and an auto-response at the same time
  OneRequestInFlight_A: assert property (@(posedge clk_i)
      !(mem_req_valid_o && ar_valid_o))
    else $error("record write and auto-response both presented");

  // pqon and busy follow pqen through one transition at a time
  PqonFollowsPqen_A: assert property (@(posedge clk_i)
      !busy |-> (pqon_q == pqen_q))
    else $error("pqon differs from pqen while not busy");

  OutputsKnown_A: assert property (@(posedge clk_i)
      !$isunknown({req_ready_o, mem_req_valid_o, ar_valid_o, done_o, pip_set_o, pqcsr_o,
                   pqt_o}))
    else $error("unknown value on a control output");

endmodule
