// Reuse of iteration costs: iterations of the same shape are simulated once.
//
// An iteration's shape (workload/iteration.hpp) is what its ops depend on: the attention
// groups (one per prefill item, one for all decode steps) and the logit rows. shape_of()
// forms it from a scheduled iteration:
//   - each prefill item (a whole prompt, a chunk, a recompute): a group {1, q, kv};
//   - every decode step (padding rows of a static batch included): one group {n, 1, kv} with
//     kv = the decode sequences' mean KV length, rounded to the nearest token. A paged
//     attention kernel's time and traffic are linear in the keys it reads, so n sequences at
//     the mean length read the same keys as the n real lengths (docs/serving.md).
// IterationCostCache then costs a shape:
//   - reuse off: every iteration is simulated at its exact shape;
//   - reuse on: every length L (a prompt's length, a chunk's q and kv, the decode group's kv)
//     is split into the grid point below it, lo = floor(L / B) x B with B = bucket_tokens,
//     and the fraction f = (L - lo) / B; the decode group's sequence count likewise on a grid
//     of bucket_seqs. Values under their bucket stay exact. The iteration then costs
//        cost(lo) + sum_j f_j x (cost(lo with length j one bucket up) - cost(lo)),
//     first-order interpolation from the grid shape below (exact for costs linear in each
//     length; the error is the cross terms, of order f_i f_j x a bucket's share). Each grid
//     shape is simulated once and cached (keyed by its group list and logit rows), so a run
//     simulates only the grid shapes it visits. tests/serve/test_reuse.cpp bounds the error
//     against reuse off (docs/serving.md states the bound).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "cimsim/serve/batching.hpp"
#include "cimsim/serve/serving.hpp"
#include "cimsim/workload/iteration.hpp"

namespace cimsim::serve {

// The ops-level shape of a scheduled iteration: prefill items first (longest first: their
// order does not change the work), then the decode group.
workload::IterationShape shape_of(const Iteration& iteration);

struct ReuseStats {
  uint64_t iterations = 0;  // costed
  uint64_t simulated = 0;   // grid (or exact) shapes simulated
  uint64_t interpolated = 0;  // iterations costed between grid shapes
};

class IterationCostCache {
 public:
  using Simulate = std::function<IterationCost(const workload::IterationShape&)>;
  // bucket_tokens == 0: no reuse (every iteration simulated as it is).
  IterationCostCache(uint64_t bucket_tokens, uint64_t bucket_seqs, Simulate simulate);
  IterationCost cost(const workload::IterationShape& shape);
  const ReuseStats& stats() const { return stats_; }

 private:
  IterationCost lookup(const workload::IterationShape& shape);
  uint64_t bucket_;
  uint64_t bucket_seqs_;
  Simulate simulate_;
  std::map<std::vector<uint64_t>, IterationCost> memo_;
  ReuseStats stats_;
};

}  // namespace cimsim::serve
