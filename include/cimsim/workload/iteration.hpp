// One iteration of a serving run as ops: a batch of sequences, some feeding a prompt (or a
// chunk of one), some decoding one token, each with its own KV length.
//
// The lowering is the model's usual layer (src/workload/lowering.cpp) with two changes:
//   - token-parallel ops (embedding, norms, Q/K/V/O projections, RoPE, FFN or MoE, residual
//     adds) run once over the sum of the iteration's tokens, as an inference engine
//     flattens its batch into one token dimension;
//   - attention (with its KV append) runs once per AttentionGroup: `batch` sequences of `q`
//     new tokens each over `kv` keys (the new ones included). src/serve forms the groups.
// The LM head produces logits only for the sequences that emit a token. The KV caches of the
// trace header are one pool of `kv_pool_tokens` positions per layer (the paged cache's
// blocks; a sequence's K/V are addressed from the pool's start, block scatter not modelled).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cimsim/trace/op.hpp"
#include "cimsim/trace/source.hpp"

namespace cimsim::workload {

struct Workload;
namespace detail {
class Lowering;
}

struct AttentionGroup {
  uint64_t batch = 1;  // sequences
  uint64_t q = 0;      // new tokens per sequence
  uint64_t kv = 0;     // keys per sequence, the new ones included
  bool operator==(const AttentionGroup& o) const {
    return batch == o.batch && q == o.q && kv == o.kv;
  }
};

struct IterationShape {
  std::vector<AttentionGroup> groups;
  uint64_t logits_rows = 0;  // sequences that emit a token
  uint64_t tokens() const;   // sum of batch x q
};

class IterationLowering {
 public:
  // The workload's model and dtypes (its run settings are not used). Causal decoding.
  IterationLowering(const Workload& w, uint64_t kv_pool_tokens);
  ~IterationLowering();
  IterationLowering(const IterationLowering&) = delete;
  IterationLowering& operator=(const IterationLowering&) = delete;

  // Weights (the LM head included) and the KV pool; op_count is 0 (not known in advance).
  const trace::TraceHeader& header() const { return header_; }
  // Appends the ops of one iteration, every one in `phase`.
  void lower(const IterationShape& shape, trace::Phase phase, std::vector<trace::Op>& out);

 private:
  std::unique_ptr<detail::Lowering> lowering_;
  trace::TraceHeader header_;
};

}  // namespace cimsim::workload
