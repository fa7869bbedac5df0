// Megatron-LM tensor parallelism (Shoeybi et al., arXiv 1909.08053) on a von Neumann node:
// the T ranks of a tensor-parallel group do identical work on their shares of the weights, so
// the executor simulates one rank and the node multiplies its counts by T (node.hpp). This
// class turns the trace (the whole model, machine-independent) into one rank's trace, using
// the tensor-parallel roles the lowering annotates (trace/op.hpp, TpRole):
//
// - a column matmul computes n / T of its output columns (q, k, v, gate, up, MoE expert
//   gate/up, the LM head); its weight and bias are split the same way;
// - a row matmul reads its k / T slice and writes a partial sum (o, down, MoE expert down);
//   an all-reduce completes the sum before the first op that needs it whole. moe_combine only
//   adds the experts' partial outputs, so its output stays partial and is reduced once, after
//   it (as vLLM's fused MoE reduces once);
// - attention keeps heads / T query heads and kv_heads / T key/value heads; with fewer
//   key/value heads than ranks each rank keeps one, replicated (as Megatron-LM and vLLM do:
//   T must then be a multiple of kv_heads). kv_write, kv_read, RoPE and the split form's
//   batched matmuls and softmax follow their heads; KV caches are split by heads;
// - element-wise ops on a split tensor run on the rank's share; norms, residual adds, the
//   embedding and the MoE router and routing are replicated (each rank does all of them);
// - the LM head is column-parallel over the vocabulary (padded to a multiple of T, as
//   Megatron-LM pads it), followed by an all-gather of the logits. A column output no later op
//   of the phase reads is all-gathered in general.
//
// What is split needs the model's geometry: the header's workload.model gives heads,
// kv_heads and head_dim; which column weights are key/value projections follows from the
// first phase's dataflow (their outputs are read as keys or values). A degree that does not
// divide the heads, the key/value heads or a split width is an InputError naming `where`.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cimsim/trace/source.hpp"

namespace cimsim::vn {

// A collective the ranks run around one op.
struct TpCollective {
  enum class Kind : uint8_t { all_reduce, all_gather };
  Kind kind = Kind::all_reduce;
  std::string producer;  // the op that wrote the tensor (names the collective in reports)
  int32_t layer = 0;
  uint64_t bytes = 0;  // the whole tensor, as every rank holds it afterwards
};

class TensorParallel {
 public:
  TensorParallel(uint32_t ranks, std::string where);
  uint32_t ranks() const { return ranks_; }

  // One rank's header (weights and KV caches split by their roles); `first_phase` is the
  // trace's first phase, from which the key/value projections are learned.
  trace::TraceHeader shard_header(const trace::TraceHeader& h,
                                  const std::deque<trace::Op>& first_phase);
  // Rewrites one phase's ops into one rank's ops, in place, and plans the collectives.
  void shard_phase(std::deque<trace::Op>& ops);
  // The collectives to run before and after op `id` of the current phase.
  const std::vector<TpCollective>& before(uint64_t id) const { return find(before_, id); }
  const std::vector<TpCollective>& after(uint64_t id) const { return find(after_, id); }
  // The trace's (whole model's) FLOPs of op `id` of the current phase.
  uint64_t model_flops(uint64_t id) const;

  uint64_t heads_per_rank() const { return heads_r_; }
  uint64_t kv_heads_per_rank() const { return kv_heads_r_; }

 private:
  struct Split {
    std::vector<uint64_t> shape;  // the rank's shape
    bool partial = false;         // a partial sum (row matmul output) awaiting its all-reduce
    std::string producer;
    int32_t layer = 0;
  };
  [[noreturn]] void fail(const std::string& what) const;
  void learn_geometry(const trace::TraceHeader& h);
  void learn_kv_weights(const std::deque<trace::Op>& first_phase);
  std::vector<uint64_t> rank_decl_shape(const trace::TensorDecl& d, uint32_t layers) const;
  void map_tensor(trace::Tensor& t) const;
  void shard_op(trace::Op& op, const std::unordered_set<std::string>& read);
  void shard_matmul(trace::Op& op);
  void shard_heads(trace::Op& op);
  void shard_elementwise(trace::Op& op);
  void split_output(trace::Op& op, size_t i, std::vector<uint64_t> shape, bool partial);
  static const std::vector<TpCollective>& find(
      const std::unordered_map<uint64_t, std::vector<TpCollective>>& m, uint64_t id);

  uint32_t ranks_;
  std::string where_;
  uint64_t heads_ = 0, kv_heads_ = 0, head_dim_ = 0, heads_r_ = 0, kv_heads_r_ = 0;
  std::unordered_set<std::string> kv_weights_;  // key/value projections and their biases
  // Split declarations (every weight with a role, every KV cache): whole and rank shapes.
  std::unordered_map<std::string, std::vector<uint64_t>> decl_full_, decl_rank_;
  // The current phase: activations that are split or partial, collectives, model FLOPs.
  std::unordered_map<std::string, Split> split_;
  std::unordered_map<uint64_t, std::vector<TpCollective>> before_, after_;
  std::unordered_map<uint64_t, uint64_t> flops_;
};

}  // namespace cimsim::vn
