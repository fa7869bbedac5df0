// Reuse of iteration costs: a serving run simulates a few iteration shapes on the machine and
// costs every iteration from them.
//
// An iteration's shape (workload/iteration.hpp) is what its ops depend on: the attention
// groups and the logit rows. shape_of() forms it from a scheduled iteration:
//   - each prefill item (a whole prompt, a chunk, a recompute): a group {1, q, kv}, longest
//     first;
//   - every decode step (padding rows of a static batch included): one group {n, 1, kv} with
//     kv = the decode sequences' mean KV length, rounded to the nearest token: a paged
//     attention kernel's time and traffic are linear in the keys it reads, so n sequences at
//     the mean length read what the n real lengths read (docs/serving.md).
//
// With reuse off, every iteration is simulated as it is (one phase on the machine). With reuse
// on, an iteration's cost is the sum of parts, each simulated as a phase of its own and cached:
//   tokens(T)      the token-parallel ops of the layers and the embedding (norms,
//                  projections, RoPE, FFN or MoE, residual adds) over T tokens;
//   logits(L)      the final block (final norm, LM head) over L logit rows;
//   attention(g)   the KV append and attention of one group g = {batch, q, kv};
// (machines run an iteration's ops one after the other, so the parts add, less what each cut
// between two phases adds: the phase start, e.g. a launch or a host wait, and fusion across
// the cut, e.g. RoPE inside the attention kernel. That is measured once per machine on a
// one-sequence decode step, simulated whole and in parts, and subtracted per cut). Each part is
// interpolated to first order between points of a geometric grid: a value v lies between
// grid points lo <= v < hi = lo + step, step = max(base, 2^floor(log2 v) / steps_per_octave),
// so the grid is exact below 2 x steps_per_octave x base and has steps_per_octave points per
// doubling above; base = bucket_tokens for token counts and lengths, bucket_seqs for sequence
// counts and logit rows. A part with fractional dimensions costs
//     cost(lo) + sum_j f_j x (cost(lo with dimension j at its next grid point) - cost(lo)),
// f_j = (v_j - lo_j) / step_j: exact for costs linear in each dimension, the error being the
// cross terms and the curvature within a step. tests/serve/test_serve_cli.cpp bounds the
// error against reuse off (docs/serving.md states the bound).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "cimsim/serve/batching.hpp"
#include "cimsim/serve/serving.hpp"
#include "cimsim/workload/iteration.hpp"

namespace cimsim::serve {

workload::IterationShape shape_of(const Iteration& iteration);

// What of an iteration a simulation runs.
enum class IterationPart : uint8_t { whole, tokens, logits, attention };

struct ReuseGrid {
  uint64_t bucket_tokens = 16;
  uint64_t bucket_seqs = 4;
  uint64_t steps_per_octave = 2;
  // The grid point at or below v and the next one above it.
  std::pair<uint64_t, uint64_t> around(uint64_t v, uint64_t base) const;
};

struct ReuseStats {
  uint64_t iterations = 0;    // costed
  uint64_t simulated = 0;     // phases simulated (whole iterations or parts)
  uint64_t interpolated = 0;  // parts costed between grid points
};

class IterationCostCache {
 public:
  using Simulate =
      std::function<IterationCost(const workload::IterationShape&, IterationPart part)>;
  // No grid: every iteration simulated whole, as it is.
  IterationCostCache(std::optional<ReuseGrid> grid, Simulate simulate);
  IterationCost cost(const workload::IterationShape& shape);
  const ReuseStats& stats() const { return stats_; }

 private:
  struct Point {
    std::vector<uint64_t> values;  // the part's dimensions
    std::vector<uint64_t> bases;   // their grid bases
  };
  IterationCost part_cost(
      IterationPart part, const Point& p,
      const std::function<workload::IterationShape(const std::vector<uint64_t>&)>& shape_at);
  IterationCost lookup(IterationPart part, const workload::IterationShape& shape);

  std::optional<ReuseGrid> grid_;
  std::optional<IterationCost> cut_;  // what one cut between parts adds (see above)
  Simulate simulate_;
  std::map<std::pair<IterationPart, std::vector<uint64_t>>, IterationCost> memo_;
  ReuseStats stats_;
};

}  // namespace cimsim::serve
