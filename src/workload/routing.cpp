// Expert choice of a mixture-of-experts model: see routing.hpp.
#include "routing.hpp"

#include <algorithm>
#include <cmath>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::workload {
namespace detail {

namespace {

// SplitMix64's output function (Steele, Lea and Flood, OOPSLA 2014): a bijection of 64-bit
// values whose outputs pass BigCrush when fed a counter.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Integer weights: the distribution scaled so that its largest entry is 2^32 (a positive
// entry never rounds to 0), or 1 per expert when it is empty (uniform).
std::vector<uint64_t> integer_weights(const ModelConfig& m, const RunSettings& r) {
  std::vector<uint64_t> w(m.experts, 1);
  if (r.expert_distribution.empty()) {
    return w;
  }
  double top = *std::max_element(r.expert_distribution.begin(), r.expert_distribution.end());
  for (uint32_t e = 0; e < m.experts && e < r.expert_distribution.size(); ++e) {
    double p = r.expert_distribution[e];
    w[e] = p > 0
               ? std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(p / top * 4294967296.0)))
               : 0;
  }
  return w;
}

}  // namespace

ExpertRouter::ExpertRouter(const Workload& w)
    : experts_(w.model.experts),
      top_k_(w.model.experts_per_token),
      batch_(w.run.batch),
      seed_(w.run.expert_seed),
      weights_(integer_weights(w.model, w.run)) {
  for (uint64_t v : weights_) {
    total_ += v;  // at most kMaxExperts x 2^32: no overflow
  }
}

void ExpertRouter::choose(uint32_t layer, uint64_t sequence, uint64_t position,
                          std::vector<uint32_t>& out) const {
  out.clear();
  left_ = weights_;  // a chosen expert's weight drops to 0: O(experts) per draw
  uint64_t total = total_;
  const uint64_t token = mix(mix(mix(mix(seed_) ^ layer) ^ sequence) ^ position);
  for (uint32_t draw = 0; draw < top_k_ && total > 0; ++draw) {
    // An integer in [0, total); the modulo bias is below total / 2^64 <= 2^-20.
    uint64_t u = mix(token + draw) % total;
    uint32_t pick = 0;
    for (uint32_t e = 0; e < experts_; ++e) {
      if (left_[e] == 0) {
        continue;
      }
      pick = e;
      if (u < left_[e]) {
        break;
      }
      u -= left_[e];
    }
    out.push_back(pick);
    total -= left_[pick];
    left_[pick] = 0;
  }
}

void ExpertRouter::add(uint32_t layer, uint64_t first, uint64_t last,
                       std::vector<uint64_t>& into) const {
  for (uint64_t b = 0; b < batch_; ++b) {
    for (uint64_t pos = first; pos < last; ++pos) {
      choose(layer, b, pos, chosen_);
      for (uint32_t e : chosen_) {
        ++into[e];
      }
    }
  }
}

const std::vector<uint64_t>& ExpertRouter::counts(uint32_t layer, uint64_t first, uint64_t last) {
  if (first == 0) {
    Prefix& p = prefixes_[layer];
    if (p.counts.empty() || last < p.last) {
      p.counts.assign(experts_, 0);
      p.last = 0;
    }
    add(layer, p.last, last, p.counts);
    p.last = last;
    return p.counts;
  }
  range_.assign(experts_, 0);
  add(layer, first, last, range_);
  return range_;
}

}  // namespace detail

std::vector<uint64_t> expert_token_counts(const Workload& w, uint32_t layer, uint64_t first,
                                          uint64_t last) {
  detail::ExpertRouter router(w);
  return router.counts(layer, first, last);
}

}  // namespace cimsim::workload
