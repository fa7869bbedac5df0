// Op dispatch: each op of the trace becomes tile jobs and transfers (plain C++ over the
// fabric's plumbing, fabric_io.hpp; the fabric's SC_THREAD calls it op by op).
//
//   matmul with a weight  bit-serial MVMs on the weight's strips (every replica takes its
//                         share of the rows), inputs multicast from where the producer left
//                         them, partial sums reduced in the tile (or between tiles)
//   norms, softmax, activations, add, mul, rope   vector units where the input lies
//   embedding             rows gathered from the table in off-chip memory
//   attention, batched_matmul   the dynamic-matmul policy (dynamic_policy.hpp), beside the
//                         KV cache (kv_placement.hpp) when there is one
//   kv_write, kv_read     the KV cache where it lives
// Ops are issued as soon as their inputs are ready, not when the previous op ends, so the
// layers of a prefill or an ENTP pass overlap as ISAAC's inter-layer pipeline does; a phase
// (decode step, ENTP pass) starts when the previous phase ends (its token is needed).
// Weights that do not fit (fixed chips) are reprogrammed from off-chip memory whenever an op
// needs a strip whose PEs hold something else; every write is counted (time, energy, wear).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cimsim/cim/buffer_capacity.hpp"
#include "cimsim/cim/fabric_io.hpp"
#include "cimsim/cim/fabric_plan.hpp"
#include "cimsim/cim/kv_placement.hpp"
#include "cimsim/report/recorder.hpp"

namespace cimsim::cim {

// Where finished ops go (the executor's recorder).
class OpRecorder {
 public:
  virtual ~OpRecorder() = default;
  virtual void record_op(const trace::Op& op, const report::OpCost& cost) = 0;
  virtual void record_setup(const std::string& label, const report::OpCost& cost) = 0;
};

struct FabricOpStats {
  uint64_t setup_cells = 0, setup_bytes = 0, setup_ps = 0;
  uint64_t reprogrammed_strips = 0, reprogrammed_cells = 0, reprogrammed_bytes = 0;
  uint64_t digital_fallback_ops = 0;
  uint64_t fast_forwarded_ops = 0;
  uint64_t max_programs_per_pe = 0;
};

class FabricOps {
 public:
  FabricOps(const CimConfig& config, const FabricPlan& plan, KvPlacement& kv, FabricIo& io,
            DynamicPolicy& policy, OpRecorder& recorder, ConfigWhere where);

  // The initial weight load (setup, outside the inference totals); inference starts after it.
  void program_all();
  // Runs one op of the trace.
  void run(const trace::Op& op);
  // Inference time so far (the end of the last phase).
  uint64_t elapsed_ps() const { return phase_end_ps_ - t0_ps_; }
  FabricOpStats stats() const;
  const BufferCapacity& buffers() const { return buffers_; }

 private:
  void op_matmul(const trace::Op& op);
  void op_vector(const trace::Op& op);
  void op_embedding(const trace::Op& op);
  void op_attention(const trace::Op& op);
  void op_kv_write(const trace::Op& op);
  void op_kv_read(const trace::Op& op);
  void op_batched_matmul(const trace::Op& op);
  void digital_matmul(const trace::Op& op, uint64_t macs);
  std::vector<uint64_t> ensure_programmed(uint32_t weight, uint32_t replica);
  std::vector<uint64_t> load_strips(const std::vector<uint64_t>& strips, uint64_t ready_ps);
  void finish_op(const trace::Op& op, uint64_t start_ps, uint64_t end_ps, const std::string& bound);

  Loc input_loc(const trace::Tensor& t) const;
  Loc kv_source(KvStore& store, uint64_t bytes, uint64_t ready_ps);
  std::vector<uint32_t> tiles_of(const Loc& loc) const;
  void publish(const trace::Op& op, const Loc& out, bool activations_only);
  // An op needs `need` bytes of a tile's activation reserve at once, `times` over (rows): the
  // excess spills (and is read back) before `ready` is of use, or the run stops.
  Window hold(const trace::Op& op, uint32_t tile, uint64_t need, uint64_t times,
              const Window& ready);

  const CimConfig& cfg_;
  const FabricPlan& plan_;
  KvPlacement& kv_;
  FabricIo& io_;
  DynamicPolicy& policy_;
  OpRecorder& recorder_;
  ConfigWhere where_;
  BufferCapacity buffers_;

  std::unordered_map<std::string, Loc> live_;  // this phase's activations
  trace::Phase phase_;
  bool have_phase_ = false;
  uint64_t phase_start_ps_ = 0, phase_end_ps_ = 0, t0_ps_ = 0;
  std::vector<int64_t> pe_owner_;      // physical PE -> global strip id (-1: empty)
  std::vector<uint32_t> pe_programs_;  // physical PE -> times programmed
  FabricOpStats stats_;
};

}  // namespace cimsim::cim
