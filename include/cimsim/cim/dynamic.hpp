// Dynamic matmuls (attention's QK^T and PV, whose operands change every token) and the KV
// cache: where K and V live and what it costs to compute with them (plain C++; the fabric
// reserves the tiles).
//
// Policies (machine key dynamic_matmul):
//   digital     QK^T and PV as multiply-accumulates on the tiles' vector units; K/V read from
//               tile buffers, the global buffer or off-chip memory, wherever the cache lives.
//   sram_cim    K^T and V are written into SRAM CIM arrays (bit-serial inputs, digital adder
//               tree) at SRAM write cost; Q and the softmax probabilities are the inputs.
//   write_xbar  K^T and V are programmed into ReRAM crossbars (write-verify time and energy,
//               wear counted per cell); the MVMs then run like weight MVMs (DACs, ADCs).
// K^T of one KV head is a head_dim x positions matrix (positions x cells per value columns),
// V a positions x head_dim matrix; the query heads of a group share their KV head's arrays.
// Appending a position writes one column of K^T (head_dim rows, each a partial-row write)
// and one row of V. The CIM arrays compute every stored position (no causal skipping).
//
// KV cache placement (decoder mode; encoder and ENTP keep none): digital puts each layer's
// cache in the tile buffers of the tiles holding that layer's attention weights while their
// spare capacity (1 - activation_reserve_fraction of each buffer) lasts, then the chip's
// global buffer, then off-chip memory; sram_cim and write_xbar keep it resident in their
// arrays when all layers fit, else every attention op rewrites what it needs into a shared
// pool (round-robin, so wear spreads evenly) - and so do encoder and ENTP, whose K and V are
// new every pass.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimsim/cim/config.hpp"
#include "cimsim/cim/mvm.hpp"
#include "cimsim/trace/op.hpp"

namespace cimsim::cim {

enum class KvLevel : uint8_t { tile_buffer, global_buffer, offchip, sram_cim, crossbar };
const char* kv_level_name(KvLevel level);

// Geometry of the CIM arrays that hold one layer's K^T and V.
struct KvArrays {
  uint64_t k_arrays_per_head = 0;  // K^T: ceil(head_dim / rows) x ceil(positions x cells / cols)
  uint64_t v_arrays_per_head = 0;  // V:   ceil(positions / rows) x ceil(head_dim x cells / cols)
  uint64_t arrays_per_layer = 0;   // (K + V) x kv_heads x batch
};

// One array technology: the weight crossbars (write_xbar) or the SRAM CIM arrays.
class ArrayModel {
 public:
  ArrayModel(const CimConfig& config, DynamicMatmul policy, uint32_t value_bits,
             uint32_t input_bits);
  uint32_t rows() const { return cfg_.crossbar.rows; }
  uint32_t cols() const { return cfg_.crossbar.cols; }
  uint32_t cells_per_value() const { return cells_; }
  KvArrays geometry(uint64_t positions, uint64_t head_dim, uint64_t kv_heads, uint64_t batch) const;
  // One MVM pass of `vectors` inputs over a k x n operand spread over arrays in parallel.
  MvmTiming mvm_timing(uint64_t k, uint64_t n) const;
  MvmCounts mvm_counts(uint64_t k, uint64_t n) const;  // per input vector
  // Writing one row (all its selected cells), write-verify included.
  double row_write_ns() const;
  bool is_sram() const { return policy_ == DynamicMatmul::sram_cim; }

 private:
  DynamicMatmul policy_;
  CimConfig cfg_;  // the weight crossbar config, or one describing the SRAM arrays
  uint32_t cells_ = 1;
  MvmModel model_;
};

// A layer's KV cache (or, for encoder/ENTP, its per-pass K/V scratch).
struct KvStore {
  std::string k_id, v_id;
  int32_t layer = -1;
  KvLevel level = KvLevel::offchip;
  bool resident = true;         // arrays keep it between ops (else rewritten)
  std::vector<uint32_t> tiles;  // where it lives (buffers, arrays, crossbar pool)
  uint64_t bytes = 0;           // K + V at full length
  uint64_t positions = 0;       // capacity in positions
  uint64_t written = 0;         // positions present
  uint64_t hbm_address = 0;
  uint64_t ready_first_ps = 0, ready_last_ps = 0;  // when the written rows are there
  std::vector<uint32_t> writes_per_position;       // endurance (crossbar level)
  uint32_t max_writes() const;
};

// Operations of digital attention (QK^T, scale, softmax, PV) for a fused attention op.
struct AttentionWork {
  uint64_t macs = 0, exps = 0, adds = 0, muls = 0, divs = 0;
};
AttentionWork attention_work(const trace::AttentionShape& a);

}  // namespace cimsim::cim
