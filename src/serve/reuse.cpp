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

std::pair<uint64_t, uint64_t> ReuseGrid::around(uint64_t v, uint64_t base) const {
  uint64_t octave = 1;
  while (octave <= v / 2) octave *= 2;  // the largest power of two <= v
  const uint64_t step = std::max(base, octave / std::max<uint64_t>(steps_per_octave, 1));
  const uint64_t lo = v / step * step;
  return {lo, lo + step};
}

IterationCostCache::IterationCostCache(std::optional<ReuseGrid> grid, Simulate simulate)
    : grid_(grid), simulate_(std::move(simulate)) {}

IterationCost IterationCostCache::lookup(IterationPart part,
                                         const workload::IterationShape& shape) {
  std::vector<uint64_t> key{shape.logits_rows};
  for (const auto& g : shape.groups) key.insert(key.end(), {g.batch, g.q, g.kv});
  auto it = memo_.find({part, key});
  if (it != memo_.end()) return it->second;
  ++stats_.simulated;
  IterationCost c = simulate_(shape, part);
  memo_.emplace(std::make_pair(part, std::move(key)), c);
  return c;
}

IterationCost IterationCostCache::part_cost(
    IterationPart part, const Point& p,
    const std::function<workload::IterationShape(const std::vector<uint64_t>&)>& shape_at) {
  std::vector<uint64_t> lo(p.values.size()), hi(p.values.size());
  std::vector<double> fraction(p.values.size(), 0.0);
  bool between = false;
  for (size_t j = 0; j < p.values.size(); ++j) {
    auto [l, h] = grid_->around(p.values[j], p.bases[j]);
    lo[j] = l == 0 ? p.values[j] : l;  // never below the first grid point
    hi[j] = h;
    if (lo[j] != p.values[j]) {
      fraction[j] = static_cast<double>(p.values[j] - l) / static_cast<double>(h - l);
      between = true;
    }
  }
  const IterationCost base = lookup(part, shape_at(lo));
  if (!between) return base;
  ++stats_.interpolated;
  IterationCost c = base;
  for (size_t j = 0; j < lo.size(); ++j) {
    if (fraction[j] == 0) continue;
    std::vector<uint64_t> up = lo;
    up[j] = hi[j];
    const IterationCost next = lookup(part, shape_at(up));
    c.seconds += fraction[j] * (next.seconds - base.seconds);
    c.energy_j += fraction[j] * (next.energy_j - base.energy_j);
  }
  return c;
}

IterationCost IterationCostCache::cost(const workload::IterationShape& shape) {
  ++stats_.iterations;
  if (!grid_) {
    ++stats_.simulated;
    return simulate_(shape, IterationPart::whole);
  }
  if (!cut_) {
    // What running the parts as separate phases adds over one phase, per cut: measured once
    // on a one-sequence decode step (every one of its parts is a grid point).
    workload::IterationShape r;
    r.groups.push_back({1, 1, grid_->bucket_tokens});
    r.logits_rows = 1;
    IterationCost whole = lookup(IterationPart::whole, r);
    IterationCost parts = lookup(IterationPart::tokens, r);
    for (IterationPart p : {IterationPart::logits, IterationPart::attention}) {
      IterationCost c = lookup(p, r);
      parts.seconds += c.seconds;
      parts.energy_j += c.energy_j;
    }
    cut_ =
        IterationCost{(parts.seconds - whole.seconds) / 2, (parts.energy_j - whole.energy_j) / 2};
  }
  const uint64_t tok = grid_->bucket_tokens, seq = grid_->bucket_seqs;
  const double cuts = static_cast<double>(shape.groups.size() + (shape.logits_rows > 0 ? 1 : 0));
  // Token-parallel part: T tokens as one sequence; logits: L rows after one token each.
  IterationCost total = part_cost(IterationPart::tokens, Point{{shape.tokens()}, {tok}},
                                  [](const std::vector<uint64_t>& v) {
                                    workload::IterationShape s;
                                    s.groups.push_back({1, v[0], v[0]});
                                    s.logits_rows = 1;
                                    return s;
                                  });
  if (shape.logits_rows > 0) {
    IterationCost l = part_cost(IterationPart::logits, Point{{shape.logits_rows}, {seq}},
                                [](const std::vector<uint64_t>& v) {
                                  workload::IterationShape s;
                                  s.groups.push_back({v[0], 1, 1});
                                  s.logits_rows = v[0];
                                  return s;
                                });
    total.seconds += l.seconds;
    total.energy_j += l.energy_j;
  }
  for (const auto& g : shape.groups) {
    IterationCost a;
    if (g.q > 1 && g.q == g.kv) {  // a whole prompt: q and kv move together
      a = part_cost(IterationPart::attention, Point{{g.batch, g.q}, {seq, tok}},
                    [](const std::vector<uint64_t>& v) {
                      workload::IterationShape s;
                      s.groups.push_back({v[0], v[1], v[1]});
                      s.logits_rows = 1;
                      return s;
                    });
    } else {
      a = part_cost(IterationPart::attention, Point{{g.batch, g.q, g.kv}, {seq, tok, tok}},
                    [](const std::vector<uint64_t>& v) {
                      workload::IterationShape s;
                      s.groups.push_back({v[0], v[1], std::max(v[2], v[1])});
                      s.logits_rows = 1;
                      return s;
                    });
    }
    total.seconds += a.seconds;
    total.energy_j += a.energy_j;
  }
  total.seconds -= cuts * cut_->seconds;
  total.energy_j -= cuts * cut_->energy_j;
  return total;
}

}  // namespace cimsim::serve
