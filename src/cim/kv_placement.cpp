// KV-cache placement (kv_placement.hpp).
#include "cimsim/cim/kv_placement.hpp"

#include <algorithm>

namespace cimsim::cim {

KvStore* KvPlacement::find(const trace::Op& op) {
  for (const auto& list : {&op.inputs, &op.outputs}) {
    for (const auto& t : *list) {
      if (t.kind != trace::TensorKind::kv_cache) {
        continue;
      }
      auto it = index.find(t.id);
      if (it != index.end()) {
        return &stores[it->second];
      }
    }
  }
  return nullptr;
}

KvPlacement place_kv(const CimConfig& cfg, const trace::TraceHeader& h, FabricPlan& plan,
                     const Topology& topo, const DynamicPolicy& policy) {
  KvPlacement kv;
  kv.global_buffer_free.assign(topo.chips(), cfg.chip.global_buffer.capacity_bytes);
  if (h.kv_caches.empty()) {
    return kv;
  }
  const uint32_t tiles = topo.tiles();
  std::vector<uint64_t> kv_free(
      tiles, static_cast<uint64_t>(static_cast<double>(cfg.tile.buffer.capacity_bytes) *
                                   (1.0 - cfg.activation_reserve_fraction)));
  std::vector<uint64_t>& gb_left = kv.global_buffer_free;
  // One store per layer, K and V together.
  std::unordered_map<int32_t, size_t> by_layer;
  for (const auto& d : h.kv_caches) {
    auto it = by_layer.find(d.layer);
    if (it == by_layer.end()) {
      it = by_layer.emplace(d.layer, kv.stores.size()).first;
      kv.stores.push_back(KvStore{});
      kv.stores.back().layer = d.layer;
      kv.stores.back().positions = h.prompt + h.generate;
    }
    KvStore& s = kv.stores[it->second];
    (s.k_id.empty() ? s.k_id : s.v_id) = d.id;
    s.bytes += d.bytes;
    kv.index[d.id] = it->second;
  }
  const trace::AttentionShape* attn = plan.first_attention ? &*plan.first_attention : nullptr;
  if (policy.place_in_arrays(attn, h.prompt + h.generate, tiles, kv.stores)) {
    return kv;
  }
  // Takes a store's bytes from the candidates' free KV share, in order.
  auto take = [&](KvStore& s, const std::vector<uint32_t>& cand) {
    s.level = KvLevel::tile_buffer;
    uint64_t left = s.bytes;
    for (uint32_t t : cand) {
      if (left == 0) {
        break;
      }
      uint64_t part = std::min(left, kv_free[t]);
      if (part == 0) {
        continue;
      }
      kv_free[t] -= part;
      left -= part;
      s.tiles.push_back(t);
    }
  };
  auto free_in = [&](const std::vector<uint32_t>& cand) {
    uint64_t free = 0;
    for (uint32_t t : cand) {
      free += kv_free[t];
    }
    return free;
  };
  for (auto& s : kv.stores) {
    const auto& near = plan.layer_tiles[s.layer];
    const uint32_t chip = near.empty() ? 0 : topo.chip_of(near.front());
    // Candidate buffers: the layer's own tiles, then the other tiles of its chip, nearest
    // (by tile index) first.
    std::vector<uint32_t> cand = near;
    if (!near.empty()) {
      std::vector<uint32_t> rest;
      for (uint32_t t = chip * cfg.chip.tiles; t < (chip + 1) * cfg.chip.tiles; ++t) {
        if (std::find(near.begin(), near.end(), t) == near.end()) {
          rest.push_back(t);
        }
      }
      uint32_t anchor = near.front();
      std::stable_sort(rest.begin(), rest.end(), [anchor](uint32_t a, uint32_t b) {
        return (a > anchor ? a - anchor : anchor - a) < (b > anchor ? b - anchor : anchor - b);
      });
      cand.insert(cand.end(), rest.begin(), rest.end());
    }
    if (!cand.empty() && free_in(cand) >= s.bytes) {
      take(s, cand);
      continue;
    }
    uint32_t gateway = chip * cfg.chip.tiles;
    if (gb_left[chip] >= s.bytes) {
      gb_left[chip] -= s.bytes;
      s.level = KvLevel::global_buffer;
      s.tiles.push_back(gateway);
      continue;
    }
    // Then the buffers of the other chips, nearest chip first (over the chip links).
    if (!near.empty() && topo.chips() > 1) {
      std::vector<uint32_t> chips;
      for (uint32_t c = 0; c < topo.chips(); ++c) {
        if (c != chip) {
          chips.push_back(c);
        }
      }
      std::stable_sort(chips.begin(), chips.end(), [&](uint32_t a, uint32_t b) {
        return topo.chip_hops(chip, a) < topo.chip_hops(chip, b);
      });
      std::vector<uint32_t> wide = cand;
      for (uint32_t c : chips) {
        for (uint32_t t = c * cfg.chip.tiles; t < (c + 1) * cfg.chip.tiles; ++t) {
          wide.push_back(t);
        }
      }
      if (free_in(wide) >= s.bytes) {
        take(s, wide);
        continue;
      }
    }
    s.level = KvLevel::offchip;
    s.tiles.push_back(gateway);
    s.hbm_stack = cfg.stack_of(chip);
    s.hbm_address = plan.allocate(s.hbm_stack, s.bytes);
  }
  return kv;
}

}  // namespace cimsim::cim
