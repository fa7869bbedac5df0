// What the attention kernels (attention_*.cpp) share: where the rows of one (sequence, head)
// of Q, K, V or O live, and the kernel that combines split-KV partial results.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cimsim/trace/op.hpp"
#include "cimsim/vn/gemm_heuristic.hpp"
#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {

// Where the rows of one (sequence, head) of Q, K, V or O start.
struct HeadLayout {
  uint64_t base = 0;
  uint64_t heads = 1;  // heads of this tensor (kv_heads for K/V)
  uint64_t len = 0;    // rows allocated per (sequence, head)
  uint64_t row_bytes = 0;
  uint32_t tensor = 0;
  uint64_t at(uint64_t b, uint64_t h, uint64_t row) const {
    return base + ((b * heads + h) * len + row) * row_bytes;
  }
};

// The layout of `t` as [batch][heads][rows][head_dim]; a KV cache is allocated at its full
// length, so its rows per (sequence, head) come from its size.
HeadLayout head_layout(AddressMap& map, const trace::Tensor& t, const trace::AttentionShape& a,
                       uint64_t heads, uint64_t rows);

// MACs of S = Q K^T and P V over one block of `rows` queries and `cols` keys of head dimension
// `d`, in a kernel whose blocks are tile_rows x tile_cols: on matrix units as issued_tile
// counts them (a GPU kernel's partial block runs its whole tile: flash-attn's kBlockM rows
// even for one decode query), on SIMD units exactly.
double attention_block_macs(const MachineConfig& cfg, bool tensor, uint64_t tile_rows,
                            uint64_t tile_cols, uint64_t rows, uint64_t cols, uint64_t d);

// Split-KV combine ("flash_attn_combine"): O = sum_s exp(m_s - m) l_s O_s / sum_s exp(m_s - m)
// l_s per row. Reads the fp32 partial outputs and their row statistics (`reads`), writes O
// (`writes`); `elements` partial values of head dimension `head_dim` are combined.
KernelPlan combine_kernel(const KernelPlanner& planner, const std::vector<Load>& reads,
                          const std::vector<Load>& writes, double elements, uint64_t head_dim);

}  // namespace cimsim::vn
