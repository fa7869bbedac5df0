#include "cimsim/serve/reuse.hpp"

#include <cmath>

namespace cimsim::serve {

workload::IterationShape shape_of(const Iteration& iteration) {
  workload::IterationShape shape;
  uint64_t decodes = 0, decode_keys = 0;
  for (const auto& item : iteration.items) {
    if (item.emits_token || item.padding) ++shape.logits_rows;
    if (item.prefill) {
      shape.groups.push_back({1, item.q_tokens, item.kv_len});
      continue;
    }
    ++decodes;
    // A padding row's sequence is finished: it still computes over its last KV length.
    decode_keys += std::max<uint64_t>(item.kv_len, 1);
  }
  if (decodes > 0) {
    uint64_t mean = (decode_keys + decodes / 2) / decodes;  // nearest, ties up
    shape.groups.push_back({decodes, 1, std::max<uint64_t>(mean, 1)});
  }
  return shape;
}

namespace {

std::vector<uint64_t> key_of(const workload::IterationShape& s) {
  std::vector<uint64_t> key{s.logits_rows};
  for (const auto& g : s.groups) {
    key.push_back(g.batch);
    key.push_back(g.q);
    key.push_back(g.kv);
  }
  return key;
}

// The grid point at or below `len` and the fraction of a bucket above it.
struct Split {
  uint64_t lo = 0;
  double fraction = 0;
};
Split split(uint64_t len, uint64_t bucket) {
  if (len < bucket) return {len, 0.0};
  uint64_t lo = len / bucket * bucket;
  return {lo, static_cast<double>(len - lo) / static_cast<double>(bucket)};
}

}  // namespace

IterationCostCache::IterationCostCache(uint64_t bucket_tokens, Simulate simulate)
    : bucket_(bucket_tokens), simulate_(std::move(simulate)) {}

IterationCost IterationCostCache::lookup(const workload::IterationShape& shape) {
  auto key = key_of(shape);
  auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  ++stats_.simulated;
  IterationCost c = simulate_(shape);
  memo_.emplace(std::move(key), c);
  return c;
}

IterationCost IterationCostCache::cost(const workload::IterationShape& shape) {
  ++stats_.iterations;
  if (bucket_ == 0) {
    ++stats_.simulated;
    return simulate_(shape);
  }
  workload::IterationShape lo = shape, hi = shape;
  double weighted = 0, weight = 0;
  for (size_t i = 0; i < shape.groups.size(); ++i) {
    const auto& g = shape.groups[i];
    Split q = split(g.q, bucket_), kv = split(g.kv, bucket_);
    lo.groups[i].q = q.lo;
    lo.groups[i].kv = kv.lo;
    hi.groups[i].q = q.lo + (q.fraction > 0 ? bucket_ : 0);
    hi.groups[i].kv = kv.lo + (kv.fraction > 0 ? bucket_ : 0);
    // A chunk's keys include its new tokens: kv >= q at both grid points.
    lo.groups[i].kv = std::max(lo.groups[i].kv, lo.groups[i].q);
    hi.groups[i].kv = std::max(hi.groups[i].kv, hi.groups[i].q);
    // The fraction of this group's lengths, weighted by the new tokens it stands for.
    double f = g.q > 1 ? std::max(q.fraction, kv.fraction) : kv.fraction;
    double w = static_cast<double>(g.batch * g.q);
    weighted += f * w;
    weight += w;
  }
  const double lambda = weight > 0 ? weighted / weight : 0;
  IterationCost a = lookup(lo);
  if (lambda == 0 || key_of(lo) == key_of(hi)) return a;
  ++stats_.interpolated;
  IterationCost b = lookup(hi);
  return IterationCost{a.seconds + lambda * (b.seconds - a.seconds),
                       a.energy_j + lambda * (b.energy_j - a.energy_j)};
}

}  // namespace cimsim::serve
