// Ragged phases for serving (include/cimsim/workload/iteration.hpp): the usual layer with its
// attention split into groups of sequences.
#include <stdexcept>

#include "cimsim/common/error.hpp"
#include "cimsim/workload/workload.hpp"
#include "lowering.hpp"

namespace cimsim::workload {

uint64_t IterationShape::tokens() const {
  uint64_t n = 0;
  for (const auto& g : groups) n = detail::add(n, detail::mul(g.batch, g.q));
  return n;
}

namespace detail {

using trace::Op;
using trace::Tensor;

void Lowering::declare_kv_pool(uint64_t positions) {
  for (auto& d : header_.kv_caches) {
    d.shape = {1, positions, w_.model.kv_heads, w_.model.head_dim};
    d.bytes = trace::dtype_bytes(d.dtype, mul(positions, w_.model.kv_heads, w_.model.head_dim));
    decls_[d.id] = d;
  }
  header_.prompt = positions;
  header_.generate = 0;
  header_.op_count = 0;
}

void Lowering::lower_ragged(trace::Phase phase, const std::vector<AttentionGroup>& groups,
                            uint64_t logits_rows, std::vector<trace::Op>& out) {
  groups_ = groups;
  logits_rows_ = logits_rows;
  PhasePlan p;
  p.phase = phase;
  for (const auto& g : groups_) {
    if (g.batch == 0 || g.q == 0 || g.kv < g.q) {
      throw std::logic_error("ragged phase: an attention group without tokens or keys");
    }
    p.q = add(p.q, mul(g.batch, g.q));
  }
  // Routing (a mixture of experts) draws the iteration's tokens as positions 0..q-1 of one
  // sequence: which experts a serving token reaches depends only on its place in the batch.
  p.kv_len = p.q;
  for (uint32_t b = 0; b < blocks_per_phase(); ++b) lower_block(p, b, out);
  groups_.clear();
  logits_rows_ = 0;
}

Tensor Lowering::ragged_attention(std::vector<Op>& out, const std::string& p, int32_t layer,
                                  const Tensor& tq, const Tensor& tk, const Tensor& tv,
                                  uint64_t heads, uint64_t kv_heads) {
  auto rows_of = [](const Tensor& t, const AttentionGroup& g) {
    Tensor s = t;  // the same tensor: the group's rows of it
    s.shape = {g.batch, g.q, t.shape.back()};
    s.bytes = trace::dtype_bytes(t.dtype, mul(g.batch, g.q, t.shape.back()));
    return s;
  };
  for (const auto& g : groups_) {
    attention_core(out, p, layer, rows_of(tq, g), rows_of(tk, g), rows_of(tv, g), heads, kv_heads,
                   g.batch, g.q, g.kv);
  }
  return activation(p + ".attn.out", {1, plan_.q, mul(heads, w_.model.head_dim)});
}

}  // namespace detail

namespace {
Workload serving_workload(Workload w) {
  // One sequence of one token: the header's shapes; declare_kv_pool then sizes the caches.
  w.run.mode = Mode::decoder;
  w.run.batch = 1;
  w.run.prompt = 1;
  w.run.generate = 1;
  return w;
}
}  // namespace

IterationLowering::IterationLowering(const Workload& w, uint64_t kv_pool_tokens)
    : lowering_(std::make_unique<detail::Lowering>(serving_workload(w))) {
  lowering_->declare_kv_pool(kv_pool_tokens);
  header_ = lowering_->header();
}

IterationLowering::~IterationLowering() = default;

void IterationLowering::lower(const IterationShape& shape, trace::Phase phase,
                              std::vector<trace::Op>& out) {
  lowering_->lower_ragged(phase, shape.groups, shape.logits_rows, out);
}

}  // namespace cimsim::workload
