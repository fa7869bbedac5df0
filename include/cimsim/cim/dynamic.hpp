// The KV cache on the fabric: where each layer's K and V live (plain C++; placement is
// kv_placement.hpp, what computing with them costs is the dynamic-matmul policy's,
// dynamic_policy.hpp).
//
// K^T of one KV head is a head_dim x positions matrix, V a positions x head_dim matrix; the
// query heads of a group share their KV head's arrays. Appending a position writes one
// column of K^T (head_dim rows, each a partial-row write) and one row of V.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cimsim::cim {

enum class KvLevel : uint8_t { tile_buffer, global_buffer, offchip, sram_cim, crossbar };
const char* kv_level_name(KvLevel level);
// A level where the cache sits in CIM arrays that compute with it.
inline bool is_array_level(KvLevel l) {
  return l == KvLevel::sram_cim || l == KvLevel::crossbar;
}

// A layer's KV cache (or, for encoder/ENTP, its per-pass K/V scratch).
struct KvStore {
  std::string k_id, v_id;
  int32_t layer = -1;
  KvLevel level = KvLevel::offchip;
  std::vector<uint32_t> tiles;  // where it lives (buffers, arrays, crossbar pool)
  uint64_t bytes = 0;           // K + V at full length
  uint64_t positions = 0;       // capacity in positions
  uint64_t written = 0;         // positions present
  uint32_t hbm_stack = 0;       // off-chip: the stack of the layer's chip group
  uint64_t hbm_address = 0;     // off-chip: offset in that stack
  uint64_t ready_first_ps = 0, ready_last_ps = 0;  // when the written rows are there
  std::vector<uint32_t> writes_per_position;       // endurance (crossbar level)
  uint32_t max_writes() const;
};

}  // namespace cimsim::cim
