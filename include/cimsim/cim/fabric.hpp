// The CIM fabric: the executor of machine type "cim".
//
// Structure (SystemC): the fabric module runs the trace in one SC_THREAD; it owns the tiles
// (tile.hpp), the routers of every chip's mesh and the chip network (noc.hpp), all bound by
// TLM sockets, and the off-chip memory (a memory::MemorySystem). Everything the fabric asks
// of a tile or the network is a b_transport whose answer is a window of simulated time
// (loosely timed, with each resource keeping the time until which it is reserved); only the
// off-chip memory blocks the thread, because its contention has to be exact.
//
// Run: at start() the fabric reads the trace header and the first phase (which uses every
// weight), maps the weights (mapper.hpp), sizes the system, places the KV caches
// (dynamic.hpp), builds the modules and, in the thread, programs every weight (recorded as
// setup, outside the inference totals; inference time starts when programming ends). Then
// each op in trace order becomes tile jobs and transfers:
//   matmul with a weight  bit-serial MVMs on the weight's strips (every replica takes its
//                         share of the rows), inputs multicast from where the producer left
//                         them, partial sums reduced in the tile (or between tiles)
//   norms, softmax, activations, add, mul, rope   vector units where the input lies
//   embedding             rows gathered from the table in off-chip memory
//   attention, batched_matmul, kv_write, kv_read  dynamic_matmul policy and KV placement
// Ops are issued as soon as their inputs are ready, not when the previous op ends, so the
// layers of a prefill or an ENTP pass overlap as ISAAC's inter-layer pipeline does; a phase
// (decode step, ENTP pass) starts when the previous phase ends (its token is needed).
//
// Weights that do not fit (fixed chips) are reprogrammed from off-chip memory whenever an op
// needs a strip whose PEs hold something else; every write is counted (time, energy, wear).
// Fast-forward: tiles, mesh and crossbars are always simulated in full (an op is a few
// closed-form tile jobs). Only long off-chip streams (the initial weight load, weight
// reloads, KV caches in off-chip memory) take a fast path: a warm-up and a measured sample
// go through the memory model, the rest is charged at the measured rate; such ops are marked
// fast_forwarded, a test bounds the error at 1%, and RunOptions::fast_forward = false
// streams every byte through the memory model.
#pragma once

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <deque>
#include <memory>
#include <string>
#include <systemc>
#include <unordered_map>
#include <vector>

#include "cimsim/cim/config.hpp"
#include "cimsim/cim/dynamic.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/cim/mapper.hpp"
#include "cimsim/cim/noc.hpp"
#include "cimsim/cim/tile.hpp"
#include "cimsim/exec/executor_base.hpp"
#include "cimsim/memory/offchip.hpp"

namespace cimsim::cim {

class Fabric : public sc_core::sc_module, public exec::ExecutorBase {
 public:
  SC_HAS_PROCESS(Fabric);
  Fabric(const sc_core::sc_module_name& module_name, const CimConfig& config, Json config_json,
         const std::string& report_name, exec::RunOptions options,
         const memory::OffChipFactory& memory, ConfigWhere where = {});
  ~Fabric() override;

  void start(std::unique_ptr<trace::OpSource> trace) override;
  // A KV pool lives in the off-chip memory (the weights are in the crossbars): utilization x
  // its capacity. Tile and global buffers are left to activations (conservative).
  std::optional<uint64_t> kv_budget_bytes(uint64_t weight_bytes, double utilization) const override;

  // Inspection (tests, after start()).
  const Mapping& mapping() const { return mapping_; }
  const Topology& topology() const { return *topo_; }
  const std::vector<KvStore>& kv_stores() const { return stores_; }

 protected:
  Json metrics() const override;
  stats::Counts unattributed() const override;

 private:
  // Where an activation lies: parts in tile buffers, and when it is available.
  struct Part {
    uint32_t tile = 0;
    uint64_t bytes = 0;
  };
  struct Loc {
    std::vector<Part> parts;
    Window window;
    uint64_t bytes = 0;
  };
  struct StripRef {
    uint32_t weight = 0, replica = 0, strip = 0;
  };

  // setup (fabric.cpp)
  void plan(const trace::TraceHeader& header);
  void build_modules();
  void place_kv(const trace::TraceHeader& header);
  void run();
  void program_all();
  void finish_op(const trace::Op& op, uint64_t start_ps, uint64_t end_ps, const std::string& bound);

  // plumbing (fabric_ops.cpp)
  Window tile_job(uint32_t tile, TileJob& job);
  Window send(uint32_t from, uint32_t to, uint64_t bytes, const Window& ready);
  // Gathers `src` (its parts scaled by `fraction`) and delivers bytes[i] to dst[i];
  // broadcast: the destinations need the same data (else each its own share).
  std::vector<Window> deliver(const Loc& src, const std::vector<uint32_t>& dst,
                              const std::vector<uint64_t>& bytes, double fraction, bool broadcast);
  // A blocking off-chip read or write of `bytes` starting no earlier than ready_ps; returns
  // when it completes. Long streams take the fast path (see fabric_ops.cpp).
  uint64_t hbm(uint64_t bytes, bool write, uint64_t ready_ps, uint64_t address);
  void hbm_stream(uint64_t bytes, bool write, uint64_t& addr);
  static constexpr uint64_t kStreamSample = uint64_t{256} << 10;
  Window global_buffer(uint32_t chip, uint64_t bytes, const Window& ready, bool write);
  Loc input_loc(const trace::Tensor& t) const;
  std::pair<uint32_t, uint32_t> physical(uint64_t vpe) const;  // tile, pe in tile
  uint32_t gateway_tile(uint32_t chip) const { return chip * cfg_.chip.tiles; }

  // ops (fabric_ops.cpp)
  void op_matmul(const trace::Op& op);
  void op_vector(const trace::Op& op);
  void op_embedding(const trace::Op& op);
  std::vector<uint64_t> ensure_programmed(uint32_t weight, uint32_t replica);
  void digital_matmul(const trace::Op& op, uint64_t macs);

  // attention and KV (fabric_attention.cpp)
  void op_attention(const trace::Op& op);
  void op_kv_write(const trace::Op& op);
  void op_kv_read(const trace::Op& op);
  void op_batched_matmul(const trace::Op& op);
  KvStore* store_for(const trace::Op& op);
  // One dynamic operand (k x n per instance, `instances` of them in parallel) in CIM arrays:
  // writing new columns (K^T style) or rows (V style), then `vectors` inputs per instance.
  struct ArrayCost {
    uint64_t write_ps = 0, mvm_ps = 0, arrays = 0, cells_written = 0;
  };
  ArrayCost array_matmul(uint64_t k, uint64_t n, uint64_t vectors, uint64_t instances,
                         uint64_t new_cols, uint64_t new_rows);
  Window reserve_arrays(const std::vector<uint32_t>& tiles, const Window& in, uint64_t round_ps,
                        uint64_t rounds);
  uint64_t arrays_available(const std::vector<uint32_t>& tiles) const;
  Loc kv_source(KvStore& store, uint64_t bytes, uint64_t ready_ps);
  std::vector<uint32_t> tiles_of(const Loc& loc) const;

  CimConfig cfg_;
  ConfigWhere where_;  // names the config file in errors found when the trace is known
  std::unique_ptr<memory::OffChipMemory> mem_;
  tlm_utils::simple_initiator_socket<Fabric> mem_socket_;
  tlm_utils::multi_passthrough_initiator_socket<Fabric> tile_socket_;

  std::unique_ptr<trace::OpSource> trace_;
  std::deque<trace::Op> first_phase_;
  trace::TraceHeader header_;
  uint32_t act_bits_ = 16, weight_bits_ = 16;

  Mapping mapping_;
  std::vector<StripRef> strip_refs_;              // global strip id -> strip
  std::vector<std::vector<uint64_t>> strip_ids_;  // [weight][replica] -> first global id
  std::unique_ptr<Topology> topo_;
  Actions ids_;
  NocContext noc_ctx_;
  TileContext tile_ctx_;
  std::vector<std::unique_ptr<Tile>> tiles_;
  std::vector<std::unique_ptr<Router>> routers_;
  std::unique_ptr<ChipNetwork> chip_net_;
  std::unique_ptr<ArrayModel> arrays_;  // sram_cim or write_xbar

  std::vector<KvStore> stores_;
  std::unordered_map<std::string, size_t> store_index_;
  std::vector<uint32_t> pool_tiles_;                                // write_xbar pool tiles
  std::unordered_map<int32_t, std::vector<uint32_t>> layer_tiles_;  // tiles of a layer's weights
  uint64_t pool_cells_ = 0, pool_cell_writes_ = 0;
  std::vector<int64_t> pe_owner_;      // physical PE -> global strip id (-1: empty)
  std::vector<uint32_t> pe_programs_;  // physical PE -> times programmed
  std::vector<uint64_t> gb_free_;      // per chip
  std::vector<uint64_t> embedding_address_;
  uint64_t next_address_ = 0;

  std::unordered_map<std::string, Loc> live_;
  trace::Phase phase_;
  bool have_phase_ = false;
  uint64_t phase_start_ps_ = 0, phase_end_ps_ = 0;
  uint64_t t0_ps_ = 0;
  stats::Counts cur_;
  stats::Counts mem_seen_;          // memory counts already attributed
  stats::Counts ff_counts_;         // memory counts charged by the fast path, not yet recorded
  std::vector<bool> hbm_scalable_;  // memory actions the fast path extrapolates
  stats::LinkId hbm_link_ = 0;
  uint64_t ff_bytes_ = 0;
  uint64_t ff_ops_ = 0;
  bool op_fast_forwarded_ = false;
  tlm::tlm_generic_payload job_payload_, mem_payload_;

  // metrics
  struct Stats {
    uint64_t setup_cells = 0, setup_bytes = 0, setup_ps = 0;
    uint64_t reprogrammed_strips = 0, reprogrammed_cells = 0, reprogrammed_bytes = 0;
    uint64_t dynamic_cells = 0, dynamic_bits = 0, dynamic_rows = 0, dynamic_rounds = 0;
    uint64_t digital_fallback_ops = 0;
  } stats_;
};

}  // namespace cimsim::cim
