// SPDX-License-Identifier: Apache-2.0
//
// IOTLB tag store of the RISC-V IOMMU (spec digest riscv-iommu.md section 17 caches,
// section 10.2 IOTINVAL scopes).
//
// A set-associative cache of leaf translations: the block holds the tags (valid, address
// space, PTE.G, page size, virtual page), matches them, replaces by true LRU within a set
// and executes every invalidation scope. The payload of an entry (PA, PTE words, GPA) is
// not here: it lives in the owner's data RAM, indexed by the (set, way) the block reports.
//
// Geometry: MaxSets x MaxWays entries are built; the owner selects at run time
// 2^cfg_sets_log2_i sets and cfg_ways_i ways (static inputs: change them only in reset).
//
// Page sizes: a tag carries log2 of its page size (12..63: 4 KiB, 64 KiB NAPOT, 2 MiB,
// 1 GiB, 512 GiB, 256 TiB). An entry of 2^L bytes lives in set (VA >> L) mod sets. A lookup
// reads one set: the one of the page size it probes (req_log2_i), matching only entries of
// that size, or with req_anysize_i every entry of the set that covers the address (the
// owner uses it with one set: one probe then finds every page size).
//
// Address spaces: GV = 0 is the host (tagged by PSCID); GV = 1 a VM (GSCID, and PSCID unless
// the entry is G-stage only, gonly). A global entry (PTE.G) matches every PSCID of its space.
// Among several matching entries the smallest page wins, then a non-global one.
//
// Replacement: true LRU per set; each way keeps the value of a 64-bit use counter at its last
// hit or fill (unique, increasing: it cannot wrap), the victim is the smallest.
//
// Timing: one request per cycle while req_ready_o. A lookup or fill answers on rsp_* in the
// cycle after its handshake (registered), with the LRU update at the same edge. An
// invalidation sweeps one set per cycle, the first in the cycle of its handshake, and
// reports each set on inv_* in the cycle after; req_ready_o is 0 until the last set is done.
// After reset the block clears the valid bits of the active sets the same way (busy).

module iotlb #(
  parameter int unsigned MaxSetsLog2 = 10,  // up to 2^MaxSetsLog2 sets
  parameter int unsigned MaxWays     = 64   // up to MaxWays ways (1..64)
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,          // async active-low reset
  // geometry (static)
  input  logic [3:0]             cfg_sets_log2_i, // active sets = 2^v, v <= MaxSetsLog2
  input  logic [6:0]             cfg_ways_i,      // active ways, 1..MaxWays
  // request: a lookup, fill or invalidation
  input  logic                   req_valid_i,
  output logic                   req_ready_o,
  input  logic [2:0]             req_op_i,        // iotlb_op_e
  input  logic                   req_gv_i,        // space: G-stage active, gscid valid
  input  logic                   req_gonly_i,     // space: G-stage only (first stage Bare)
  input  logic [15:0]            req_gscid_i,
  input  logic [19:0]            req_pscid_i,     // lookup, fill; VMA with pscv
  input  logic                   req_global_i,    // fill: PTE.G
  input  logic [51:0]            req_vpn_i,       // virtual address >> 12
  input  logic [5:0]             req_log2_i,      // page size probed / filled / swept (12..63)
  input  logic                   req_anysize_i,   // lookup: match every page size
  input  logic                   req_av_i,        // invalidation: one address
  input  logic                   req_pscv_i,      // VMA: one PSCID
  input  logic                   req_oneset_i,    // invalidation: only the set of req_log2_i
  // lookup / fill answer
  output logic                   rsp_valid_o,
  output logic                   rsp_hit_o,       // lookup: hit; fill: a valid entry replaced
  output logic [MaxSetsLog2-1:0] rsp_set_o,
  output logic [5:0]             rsp_way_o,
  // invalidation progress: one set per cycle
  output logic                   inv_valid_o,
  output logic [MaxSetsLog2-1:0] inv_set_o,
  output logic [MaxWays-1:0]     inv_kill_o       // ways of inv_set_o invalidated
);

  ////////////////
  // parameters //
  ////////////////

  localparam int unsigned MaxSets = 1 << MaxSetsLog2;

  typedef enum logic [2:0] {
    OpLookup  = 3'd0,
    OpFill    = 3'd1,
    OpInvVma  = 3'd2,   // IOTINVAL.VMA
    OpInvGvma = 3'd3,   // IOTINVAL.GVMA
    OpFlush   = 3'd4    // every entry
  } iotlb_op_e;

  // Tag fields other than the page number (45 bits).
  typedef struct packed {
    logic        gv;
    logic        gonly;
    logic        glob;
    logic [15:0] gscid;
    logic [19:0] pscid;
    logic [5:0]  log2;
  } tag_id_t;

  // An invalidation command, held while it sweeps.
  typedef struct packed {
    logic [2:0]  op;
    logic        gv;
    logic [15:0] gscid;
    logic        av;
    logic        pscv;
    logic [19:0] pscid;
    logic [51:0] vpn;
  } inv_cmd_t;

  ///////////
  // state //
  ///////////

  // Storage (no reset: SRAM-like; the valid bits are cleared by the sweep after reset).
  logic [MaxWays-1:0] valid_q [MaxSets];
  tag_id_t            id_q    [MaxSets][MaxWays];
  logic [51:0]        vpn_q   [MaxSets][MaxWays];
  logic [63:0]        stamp_q [MaxSets][MaxWays];   // LRU: the use count at the last use

  logic [63:0]            use_q;       // uses so far: stamps are unique and increasing
  logic                   sweep_q;     // an invalidation (or the reset clear) is sweeping
  logic [MaxSetsLog2-1:0] sweep_set_q; // the set it sweeps this cycle
  logic [MaxSetsLog2-1:0] sweep_end_q; // its last set
  inv_cmd_t               cmd_q;

  logic                   rsp_valid_q, rsp_hit_q;
  logic [MaxSetsLog2-1:0] rsp_set_q;
  logic [5:0]             rsp_way_q;
  logic                   inv_valid_q;
  logic [MaxSetsLog2-1:0] inv_set_q;
  logic [MaxWays-1:0]     inv_kill_q;

  ///////////////
  // functions //
  ///////////////

  // The page-number bits an entry of 2^log2 bytes compares (bits above its page offset).
  function automatic logic [51:0] page_mask(logic [5:0] log2);
    return {52{1'b1}} << (log2 - 6'd12);
  endfunction

  // The set of an address for a page size: (VA >> log2) mod sets.
  function automatic logic [MaxSetsLog2-1:0] set_of(logic [51:0] vpn, logic [5:0] log2,
                                                    logic [MaxSetsLog2-1:0] set_mask);
    return MaxSetsLog2'(vpn >> (log2 - 6'd12)) & set_mask;
  endfunction

  // An entry of 2^log2 bytes at page number vpn holds page number addr.
  function automatic logic covers(logic [5:0] log2, logic [51:0] vpn, logic [51:0] addr);
    return ((vpn ^ addr) & page_mask(log2)) == 52'd0;
  endfunction

  // The entry belongs to the request's address space (a host space ignores GSCID, gonly).
  function automatic logic same_space(logic gv, logic gonly, logic [15:0] gscid, logic req_gv,
                                      logic req_gonly, logic [15:0] req_gscid);
    return gv == req_gv && (!req_gv || (gscid == req_gscid && gonly == req_gonly));
  endfunction

  // Whether invalidation c removes the entry (id, vpn).
  //   section 10.2 IOTINVAL.VMA: entries with a first stage of the host (GV = 0) or of VM
  //   GSCID (GV = 1); AV one page; PSCV one PSCID, global entries kept.
  //   IOTINVAL.GVMA: entries of every VM (GV = 0) or of VM GSCID; with AV, the G-stage-only
  //   entries of other pages stay (a combined entry goes: its walk used G-stage translations
  //   the cache does not record). A G-stage-only entry's page is its GPA page.
  //   Flush (and the clear after reset): every entry.
  function automatic logic kills(tag_id_t id, logic [51:0] vpn, inv_cmd_t c);
    unique case (iotlb_op_e'(c.op))
      OpInvVma:
        return id.gv == c.gv && (!c.gv || (id.gscid == c.gscid && !id.gonly)) &&
               (!c.pscv || (!id.glob && id.pscid == c.pscid)) &&
               (!c.av || covers(id.log2, vpn, c.vpn));
      OpInvGvma:
        return id.gv && (!c.gv || id.gscid == c.gscid) &&
               !(c.gv && c.av && id.gonly && !covers(id.log2, vpn, c.vpn));
      default:
        return 1'b1;
    endcase
  endfunction

  ///////////
  // logic //
  ///////////

  // The match, placement and kill logic is evaluated only at the clock edge: it is written as
  // functions called from the sequential block (blocking temporaries), not as always_comb,
  // so that the Verilated model computes it once per cycle and not at every evaluation.
  // The functions read the storage (valid_q, id_q, vpn_q, stamp_q) of one set.

  logic [MaxSetsLog2-1:0] set_mask;
  logic [6:0]             ways;
  assign set_mask = MaxSetsLog2'((1 << cfg_sets_log2_i) - 1);
  assign ways = (cfg_ways_i == 7'd0 || 32'(cfg_ways_i) > MaxWays) ? 7'(MaxWays) : cfg_ways_i;

  assign req_ready_o = !sweep_q;

  // Lookup in `set`: {hit, way} of the best matching way (smallest page, then non-global,
  // then the lowest way).
  function automatic logic [6:0] lookup_way(logic [MaxSetsLog2-1:0] set, logic gv, logic gonly,
                                            logic [15:0] gscid, logic [19:0] pscid,
                                            logic [5:0] log2, logic [51:0] vpn, logic anysize,
                                            logic [6:0] nways);
    logic       hit;
    logic [5:0] way, best_log2;
    logic       best_glob;
    hit       = 1'b0;
    way       = 6'd0;
    best_log2 = 6'd63;
    best_glob = 1'b1;
    for (int unsigned w = 0; w < MaxWays; w++) begin
      tag_id_t id;
      if (w >= 32'(nways)) break;
      // The page first: it rules out all but the matching ways, so the
      // rest is compared (and evaluated by Verilator) only for those.
      if (valid_q[set][w] && covers(id_q[set][w].log2, vpn_q[set][w], vpn)) begin
        id = id_q[set][w];
        if (same_space(id.gv, id.gonly, id.gscid, gv, gonly, gscid) &&
            (id.glob || id.pscid == pscid) && (anysize || id.log2 == log2) &&
            (!hit || id.log2 < best_log2 || (id.log2 == best_log2 && best_glob && !id.glob))) begin
          hit       = 1'b1;
          way       = 6'(w);
          best_log2 = id.log2;
          best_glob = id.glob;
        end
      end
    end
    return {hit, way};
  endfunction

  // Fill into `set`: {replace, way}: the way of the same tag if cached, else the first free
  // way, else the least recently used one; replace = a valid entry is overwritten.
  function automatic logic [6:0] fill_way(logic [MaxSetsLog2-1:0] set, tag_id_t rid,
                                          logic [51:0] vpn, logic [6:0] nways);
    logic        same, free;
    logic [5:0]  same_way, free_way, lru_way;
    logic [63:0] lru_stamp;
    same      = 1'b0;
    free      = 1'b0;
    same_way  = 6'd0;
    free_way  = 6'd0;
    lru_way   = 6'd0;
    lru_stamp = '1;
    for (int unsigned w = 0; w < MaxWays; w++) begin
      if (w >= 32'(nways)) break;
      if (!valid_q[set][w]) begin
        if (!free) free_way = 6'(w);
        free = 1'b1;
      end else begin
        if (id_q[set][w] == rid && vpn_q[set][w] == vpn) begin
          same     = 1'b1;
          same_way = 6'(w);
        end
        if (stamp_q[set][w] <= lru_stamp) begin
          lru_stamp = stamp_q[set][w];
          lru_way   = 6'(w);
        end
      end
    end
    return {same || !free, same ? same_way : free ? free_way : lru_way};
  endfunction

  // The ways of `set` that invalidation c removes.
  function automatic logic [MaxWays-1:0] kill_mask(logic [MaxSetsLog2-1:0] set, inv_cmd_t c,
                                                   logic [6:0] nways);
    logic [MaxWays-1:0] kill;
    kill = '0;
    for (int unsigned w = 0; w < MaxWays; w++) begin
      if (w >= 32'(nways)) break;
      kill[w] = valid_q[set][w] && kills(id_q[set][w], vpn_q[set][w], c);
    end
    return kill;
  endfunction

  ///////////////
  // registers //
  ///////////////

  // Control registers (reset) and storage (written here, never reset: the sweep after reset
  // clears the valid bits).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      use_q       <= '0;
      sweep_q     <= 1'b1;           // clear the valid bits of every active set
      sweep_set_q <= '0;
      sweep_end_q <= '1;
      cmd_q       <= '0;
      cmd_q.op    <= OpFlush;
      rsp_valid_q <= 1'b0;
      rsp_hit_q   <= 1'b0;
      rsp_set_q   <= '0;
      rsp_way_q   <= '0;
      inv_valid_q <= 1'b0;
      inv_set_q   <= '0;
      inv_kill_q  <= '0;
    end else begin
      logic                   take, inv_take;
      tag_id_t                rid;
      logic [MaxSetsLog2-1:0] set, inv_set, inv_end;
      inv_cmd_t               cmd;
      logic [6:0]             r;
      logic [MaxWays-1:0]     kill;
      take     = req_valid_i && !sweep_q;
      inv_take = take && (iotlb_op_e'(req_op_i) == OpInvVma ||
                          iotlb_op_e'(req_op_i) == OpInvGvma ||
                          iotlb_op_e'(req_op_i) == OpFlush);
      rid       = '0;
      rid.gv    = req_gv_i;
      rid.gonly = req_gv_i && req_gonly_i;
      rid.glob  = req_global_i;
      rid.gscid = req_gv_i ? req_gscid_i : 16'd0;
      rid.pscid = req_global_i ? 20'd0 : req_pscid_i;
      rid.log2  = req_log2_i;
      set       = set_of(req_vpn_i, req_log2_i, set_mask);

      rsp_valid_q <= 1'b0;
      rsp_hit_q   <= 1'b0;
      rsp_set_q   <= '0;
      rsp_way_q   <= '0;
      inv_valid_q <= 1'b0;
      inv_set_q   <= '0;
      inv_kill_q  <= '0;

      if (sweep_q || inv_take) begin
        // One set of an invalidation: the request's in the cycle of its handshake (its first
        // set), the held one afterwards.
        if (sweep_q) begin
          cmd     = cmd_q;
          inv_set = sweep_set_q;
          inv_end = sweep_end_q & set_mask;   // the reset clear: every active set
        end else begin
          cmd       = '0;
          cmd.op    = req_op_i;
          cmd.gv    = req_gv_i;
          cmd.gscid = req_gscid_i;
          cmd.av    = req_av_i;
          cmd.pscv  = req_pscv_i;
          cmd.pscid = req_pscid_i;
          cmd.vpn   = req_vpn_i;
          inv_set   = req_oneset_i ? set : '0;
          inv_end   = req_oneset_i ? set : set_mask;
        end
        kill = kill_mask(inv_set, cmd, ways);
        valid_q[inv_set] <= valid_q[inv_set] & ~kill;
        inv_valid_q      <= 1'b1;
        inv_set_q        <= inv_set;
        inv_kill_q       <= kill;
        sweep_q          <= inv_set != inv_end;
        sweep_set_q      <= inv_set + 1'b1;
        sweep_end_q      <= inv_end;
        cmd_q            <= cmd;
      end else if (take && iotlb_op_e'(req_op_i) == OpLookup) begin
        r = lookup_way(set, req_gv_i, req_gonly_i, req_gscid_i, req_pscid_i, req_log2_i,
                       req_vpn_i, req_anysize_i, ways);
        rsp_valid_q <= 1'b1;
        rsp_hit_q   <= r[6];
        rsp_set_q   <= set;
        rsp_way_q   <= r[5:0];
        if (r[6]) begin
          stamp_q[set][r[5:0]] <= use_q;    // most recently used
          use_q                <= use_q + 64'd1;
        end
      end else if (take && iotlb_op_e'(req_op_i) == OpFill) begin
        r = fill_way(set, rid, req_vpn_i, ways);
        valid_q[set]         <= valid_q[set] | (MaxWays'(1) << r[5:0]);
        id_q[set][r[5:0]]    <= rid;
        vpn_q[set][r[5:0]]   <= req_vpn_i;
        stamp_q[set][r[5:0]] <= use_q;
        use_q                <= use_q + 64'd1;
        rsp_valid_q          <= 1'b1;
        rsp_hit_q            <= r[6];
        rsp_set_q            <= set;
        rsp_way_q            <= r[5:0];
      end
    end
  end

  assign rsp_valid_o = rsp_valid_q;
  assign rsp_hit_o   = rsp_hit_q;
  assign rsp_set_o   = rsp_set_q;
  assign rsp_way_o   = rsp_way_q;
  assign inv_valid_o = inv_valid_q;
  assign inv_set_o   = inv_set_q;
  assign inv_kill_o  = inv_kill_q;

  ////////////////
  // assertions //
  ////////////////

  initial begin
    assert (MaxSetsLog2 >= 1 && MaxSetsLog2 <= 15) else $error("MaxSetsLog2 must be 1..15");
    assert (MaxWays >= 1 && MaxWays <= 64) else $error("MaxWays must be 1..64");
  end

  // an answer names an active way
  RspActiveWay_A: assert property (@(posedge clk_i)
      rsp_valid_o |-> (7'(rsp_way_o) < ways))
    else $error("answer outside the active ways");

  // a swept set is an active set
  InvActiveSet_A: assert property (@(posedge clk_i)
      inv_valid_o |-> ((inv_set_o & ~set_mask) == '0))
    else $error("sweep outside the active sets");

  OutputsKnown_A: assert property (@(posedge clk_i)
      !$isunknown({req_ready_o, rsp_valid_o, inv_valid_o}))
    else $error("unknown value on a control output");

endmodule
