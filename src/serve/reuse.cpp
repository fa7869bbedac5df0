#include "cimsim/serve/reuse.hpp"

#include <algorithm>
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
  std::stable_sort(shape.groups.begin(), shape.groups.end(),
                   [](const workload::AttentionGroup& a, const workload::AttentionGroup& b) {
                     return a.q != b.q ? a.q > b.q : a.kv > b.kv;
                   });
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

IterationCostCache::IterationCostCache(uint64_t bucket_tokens, uint64_t bucket_seqs,
                                       Simulate simulate)
    : bucket_(bucket_tokens), bucket_seqs_(bucket_seqs), simulate_(std::move(simulate)) {}

IterationCost IterationCostCache::lookup(const workload::IterationShape& shape) {
  auto key = key_of(shape);
  auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  ++stats_.simulated;
  IterationCost c = simulate_(shape);
  memo_.emplace(std::move(key), c);
  return c;
}

namespace {

// One length of a shape that lies between grid points: which group, what it moves (a fresh
// prompt's q and kv move together) and the fraction of a bucket above the grid point.
struct Dim {
  size_t group = 0;
  enum Field { batch, q, kv, prompt } field = kv;
  double fraction = 0;
};

}  // namespace

IterationCost IterationCostCache::cost(const workload::IterationShape& shape) {
  ++stats_.iterations;
  if (bucket_ == 0) {
    ++stats_.simulated;
    return simulate_(shape);
  }
  workload::IterationShape lo = shape;
  std::vector<Dim> dims;
  for (size_t i = 0; i < shape.groups.size(); ++i) {
    const auto& g = shape.groups[i];
    auto& l = lo.groups[i];
    if (g.q > 1 && g.q == g.kv) {  // a whole prompt
      Split p = split(g.q, bucket_);
      l.q = l.kv = p.lo;
      if (p.fraction > 0) dims.push_back({i, Dim::prompt, p.fraction});
      continue;
    }
    if (g.q > 1) {  // a chunk or a recompute over earlier keys
      Split q = split(g.q, bucket_);
      l.q = q.lo;
      if (q.fraction > 0) dims.push_back({i, Dim::q, q.fraction});
    } else {  // the decode group: its sequence count is bucketed too
      Split n = split(g.batch, bucket_seqs_);
      l.batch = n.lo;
      lo.logits_rows -= g.batch - n.lo;
      if (n.fraction > 0) dims.push_back({i, Dim::batch, n.fraction});
    }
    Split kv = split(g.kv, bucket_);
    l.kv = std::max(kv.lo, l.q);
    if (kv.fraction > 0) dims.push_back({i, Dim::kv, kv.fraction});
  }
  const IterationCost base = lookup(lo);
  if (dims.empty()) return base;
  // First order: each fractional length moves from its grid point to the next one on its
  // own; the others stay at theirs.
  ++stats_.interpolated;
  IterationCost c = base;
  for (const Dim& d : dims) {
    workload::IterationShape up = lo;
    auto& g = up.groups[d.group];
    switch (d.field) {
      case Dim::prompt:
        g.q += bucket_;
        g.kv += bucket_;
        break;
      case Dim::q:
        g.q += bucket_;
        g.kv = std::max(g.kv, g.q);
        break;
      case Dim::kv:
        g.kv += bucket_;
        break;
      case Dim::batch:
        g.batch += bucket_seqs_;
        up.logits_rows += bucket_seqs_;
        break;
    }
    const IterationCost next = lookup(up);
    c.seconds += d.fraction * (next.seconds - base.seconds);
    c.energy_j += d.fraction * (next.energy_j - base.energy_j);
  }
  return c;
}

}  // namespace cimsim::serve
