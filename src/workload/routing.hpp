// Expert choice of a mixture-of-experts model (internal to the workload folder).
//
// A trace carries no activations, so a router's decisions cannot be computed; they are drawn.
// Each token (layer, sequence, position) draws experts_per_token distinct experts from a
// counter-based generator: SplitMix64 over (seed, layer, sequence, position, draw), with
// integer weights and integer arithmetic only, so the choice does not depend on the order
// in which tokens are asked for, on the platform, or on anything but those five numbers.
// Draw j picks among the experts not yet chosen for the token with probability proportional
// to their weights (uniform by default): successive sampling without replacement, as
// top-k over noisy logits would.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "cimsim/workload/workload.hpp"

namespace cimsim::workload::detail {

class ExpertRouter {
 public:
  explicit ExpertRouter(const Workload& w);

  // The experts of one token, in draw order (top_k of them), into `out`.
  void choose(uint32_t layer, uint64_t sequence, uint64_t position,
              std::vector<uint32_t>& out) const;

  // Tokens per expert from the positions [first, last) of every sequence of the batch. A
  // prefix ([0, last)) extends the layer's previous prefix, so ENTP's growing passes cost
  // only their new positions.
  const std::vector<uint64_t>& counts(uint32_t layer, uint64_t first, uint64_t last);

 private:
  void add(uint32_t layer, uint64_t first, uint64_t last, std::vector<uint64_t>& into) const;

  uint32_t experts_ = 0;
  uint32_t top_k_ = 0;
  uint64_t batch_ = 1;
  uint64_t seed_ = 0;
  std::vector<uint64_t> weights_;  // integer weight per expert
  uint64_t total_ = 0;             // their sum
  struct Prefix {
    uint64_t last = 0;
    std::vector<uint64_t> counts;
  };
  std::unordered_map<uint32_t, Prefix> prefixes_;  // looked up by layer, never iterated
  std::vector<uint64_t> range_;
  mutable std::vector<uint32_t> chosen_;
  mutable std::vector<uint64_t> left_;  // weights of the experts a token has not drawn yet
};

}  // namespace cimsim::workload::detail
