// The lowering's state machine (internal to the workload folder): a Workload becomes its
// operation trace one block at a time. lowering.cpp has the blocks and the dense layer,
// lowering_moe.cpp the mixture-of-experts FFN.
//
// The per-op emitters take their shapes as arguments (rows, widths, output shapes) rather
// than reading the model, so a lowering of a shard of a layer (tensor parallelism) can call
// them with the sharded widths.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/workload/iteration.hpp"
#include "internal.hpp"
#include "routing.hpp"

namespace cimsim::workload::detail {

// FLOPs per element of the non-matmul ops (docs/trace-format.md derives each).
constexpr uint64_t kLayerNormFlops = 7;  // mean, subtract, square, sum, scale, gamma, beta
constexpr uint64_t kRmsNormFlops = 4;    // square, sum, scale, gamma
constexpr uint64_t kSoftmaxFlops = 5;    // max, subtract, exp, sum, divide
constexpr uint64_t kGeluFlops = 9;       // tanh form: x*x*x, *a, +x, *c, tanh, +1, *x, *0.5
constexpr uint64_t kSiluFlops = 4;       // negate, exp, +1, divide
constexpr uint64_t kReluFlops = 1;       // max
constexpr uint64_t kRopeFlops = 3;       // per rotated pair: 4 multiplies and 2 adds
constexpr uint64_t kAddFlops = 1;        // add, mul and each extra embedding table

inline uint64_t mul(uint64_t a, uint64_t b) {
  return checked_mul(a, b, "trace size");
}
inline uint64_t mul(uint64_t a, uint64_t b, uint64_t c) {
  return mul(mul(a, b), c);
}
inline uint64_t mul(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  return mul(mul(a, b, c), d);
}
inline uint64_t add(uint64_t a, uint64_t b) {
  return checked_add(a, b, "trace size");
}

// What one phase processes: q new positions per sequence, the last q of kv_len.
struct PhasePlan {
  trace::Phase phase;
  uint64_t q = 0;       // new positions per sequence
  uint64_t kv_len = 0;  // key positions per sequence once this phase's K/V exist
  uint64_t first_position() const { return kv_len - q; }
};

class Lowering final : public trace::OpSource {
 public:
  // bound_only: every expert of a mixture of experts is taken to receive every token (the
  // largest shapes and op count any routing can give), so that size checks need no routing.
  explicit Lowering(const Workload& w, bool bound_only = false);
  const trace::TraceHeader& header() const override { return header_; }
  bool next(trace::Op& op) override;

  uint64_t phase_count() const { return phase_count_; }
  uint32_t blocks_per_phase() const { return w_.model.layers + 2; }
  PhasePlan plan(uint64_t phase_index) const;
  // Appends the ops of block `block` (0: embedding, 1..L: layer block-1, L+1: final).
  void lower_block(const PhasePlan& p, uint32_t block, std::vector<trace::Op>& out);

  // Serving (lowering_ragged.cpp): the KV caches become one pool of `positions` positions, and
  // a ragged phase runs its token-parallel ops over every group's tokens at once and its
  // attention per group; logits for `logits_rows` sequences.
  void declare_kv_pool(uint64_t positions);
  void lower_ragged(trace::Phase phase, const std::vector<AttentionGroup>& groups,
                    uint64_t logits_rows, std::vector<trace::Op>& out);

 private:
  bool decoder() const { return w_.run.mode == Mode::decoder; }
  bool lm_head() const { return w_.run.mode != Mode::encoder; }
  bool moe() const { return w_.model.experts > 0; }
  uint64_t ops_in_phase(const PhasePlan& p, ExpertRouter* router) const;
  uint64_t ffn_op_count() const;

  trace::Op& emit(std::vector<trace::Op>& out, trace::OpKind kind, std::string name, int32_t layer);
  trace::Tensor activation(std::string id, std::vector<uint64_t> shape, trace::DType dtype) const;
  trace::Tensor activation(std::string id, std::vector<uint64_t> shape) const;
  trace::Tensor weight(const std::string& id) const;
  trace::Tensor cache(const std::string& id, uint64_t batch, uint64_t positions) const;
  static trace::Tensor part(trace::Tensor t, uint64_t elements);

  void embedding(std::vector<trace::Op>& out);
  void layer(std::vector<trace::Op>& out, uint32_t index);
  void final_block(std::vector<trace::Op>& out);
  trace::Tensor norm(std::vector<trace::Op>& out, const std::string& name, int32_t layer,
                     const trace::Tensor& in, uint64_t rows, std::vector<uint64_t> out_shape);
  // A matmul with its tensor-parallel role (trace/op.hpp: column, row or none).
  trace::Tensor linear(std::vector<trace::Op>& out, const std::string& name,
                       const std::string& weight_id, int32_t layer, const trace::Tensor& in,
                       uint64_t rows, uint64_t k, uint64_t n, std::vector<uint64_t> out_shape,
                       trace::TpRole tp);
  trace::Tensor elementwise(std::vector<trace::Op>& out, trace::OpKind kind,
                            const std::string& name, int32_t layer,
                            const std::vector<trace::Tensor>& in, uint64_t rows, uint64_t cols);
  // The attention of `heads` query heads over `kv_heads` key/value heads (the model's, or a
  // shard's).
  trace::Tensor attention(std::vector<trace::Op>& out, const std::string& p, int32_t layer,
                          const trace::Tensor& x, uint64_t heads, uint64_t kv_heads);
  // The attention proper (KV append, then the fused op or its split form) of `batch`
  // sequences of `q` new positions each over `kv` keys, given the (rotated) Q, K and V.
  trace::Tensor attention_core(std::vector<trace::Op>& out, const std::string& p, int32_t layer,
                               const trace::Tensor& tq, const trace::Tensor& tk,
                               const trace::Tensor& tv, uint64_t heads, uint64_t kv_heads,
                               uint64_t batch, uint64_t q, uint64_t kv);
  // attention_core once per group of a ragged phase, on that group's rows of Q, K and V.
  trace::Tensor ragged_attention(std::vector<trace::Op>& out, const std::string& p, int32_t layer,
                                 const trace::Tensor& tq, const trace::Tensor& tk,
                                 const trace::Tensor& tv, uint64_t heads, uint64_t kv_heads);
  // One FFN over `rows` token rows of `x`: ops and weights named `prefix`.gate/.up/.act/
  // .mul/.down; `lead` is the output shape without its last (width) dimension.
  trace::Tensor ffn(std::vector<trace::Op>& out, const std::string& prefix, int32_t layer,
                    const trace::Tensor& x, uint64_t rows, uint64_t d, uint64_t f,
                    const std::vector<uint64_t>& lead);
  // The mixture-of-experts FFN (lowering_moe.cpp): router, moe_route, each expert that
  // received tokens, moe_combine.
  trace::Tensor moe_ffn(std::vector<trace::Op>& out, const std::string& p, uint32_t index,
                        const trace::Tensor& x);

  Workload w_;
  bool bound_only_ = false;
  trace::TraceHeader header_;
  std::unordered_map<std::string, trace::TensorDecl> decls_;  // weights and caches by id
  uint64_t phase_count_ = 0;
  ExpertRouter router_;

  // The phase being lowered and the residual stream between blocks.
  PhasePlan plan_;
  uint64_t rows_ = 0;  // batch x q token rows
  trace::Tensor x_;
  uint64_t next_id_ = 0;
  // A ragged phase (serving): its attention groups and logit rows; empty/0 otherwise.
  std::vector<AttentionGroup> groups_;
  uint64_t logits_rows_ = 0;

  // next(): the current block's ops and where the cursor is.
  std::vector<trace::Op> buffer_;
  size_t buffer_pos_ = 0;
  uint64_t phase_index_ = 0;
  uint32_t block_index_ = 0;
};

}  // namespace cimsim::workload::detail
