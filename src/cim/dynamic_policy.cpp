// What every dynamic-matmul policy shares: where an op runs by default, and the operation
// counts of attention done digitally.
#include "cimsim/cim/dynamic_policy.hpp"

#include <algorithm>
#include <stdexcept>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

std::vector<uint32_t> DynamicPolicy::exec_tiles(const ExecCandidates& c) const {
  // Beside the cache when it is in tile buffers or arrays; else on every tile holding the
  // layer's weights (heads spread over them); else where the input lies.
  if (c.store != nullptr &&
      (c.store->level == KvLevel::tile_buffer || is_array_level(c.store->level))) {
    return c.store->tiles;
  }
  if (c.layer != nullptr && !c.layer->empty()) {
    return *c.layer;
  }
  return c.input;
}

uint32_t DynamicPolicy::chips_for_kv(const CimConfig& c, const trace::AttentionShape*, uint64_t,
                                     uint64_t, uint64_t kv_bytes) const {
  // The KV share of every tile buffer (what the activation reserve leaves) and the global
  // buffer, chip by chip.
  auto per_tile = static_cast<uint64_t>(static_cast<double>(c.tile.buffer.capacity_bytes) *
                                        (1.0 - c.activation_reserve_fraction));
  uint64_t per_chip = per_tile * c.chip.tiles + c.chip.global_buffer.capacity_bytes;
  if (kv_bytes == 0 || per_chip == 0) {
    return 0;
  }
  return static_cast<uint32_t>(std::min<uint64_t>(UINT32_MAX, ceil_div(kv_bytes, per_chip)));
}

uint64_t DynamicPolicy::kv_misplaced(const std::vector<KvStore>& stores) const {
  return std::count_if(stores.begin(), stores.end(),
                       [](const KvStore& s) { return s.level == KvLevel::offchip; });
}

Window DynamicPolicy::kv_write(FabricServices&, KvStore& store, const trace::AttentionShape&,
                               const Window&) {
  throw std::logic_error(std::string("dynamic_matmul: no arrays to write K and V into (level ") +
                         kv_level_name(store.level) + ")");
}

AttentionWork attention_work(const trace::AttentionShape& a) {
  AttentionWork w;
  uint64_t pairs =
      checked_mul(checked_mul(a.pairs(), a.heads, "attention pairs"), a.batch, "attention pairs");
  w.macs = checked_mul(2 * pairs, a.head_dim, "attention MACs");  // QK^T and PV
  w.muls = pairs;                                                 // scale by 1/sqrt(head_dim)
  w.adds = 2 * pairs;                                             // running max and sum
  w.exps = pairs;
  w.divs = a.q_len * a.heads * a.batch;  // one reciprocal per row
  return w;
}

}  // namespace cimsim::cim
