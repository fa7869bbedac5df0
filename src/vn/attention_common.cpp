#include "attention_common.hpp"

namespace cimsim::vn {

HeadLayout head_layout(AddressMap& map, const trace::Tensor& t, const trace::AttentionShape& a,
                       uint64_t heads, uint64_t rows) {
  const TensorLoc& l = map.tensor(t);
  HeadLayout h;
  h.base = l.base;
  h.heads = std::max<uint64_t>(1, heads);
  h.row_bytes = std::max<uint64_t>(1, a.head_dim) * elem_bytes(t.dtype);
  h.len = rows;
  if (t.kind == trace::TensorKind::kv_cache) {
    uint64_t per = std::max<uint64_t>(1, a.batch) * h.heads * h.row_bytes;
    h.len = std::max<uint64_t>(rows, l.size / per);
  }
  h.tensor = l.index;
  return h;
}

double attention_block_macs(const MachineConfig& cfg, bool tensor, uint64_t tile_rows,
                            uint64_t tile_cols, uint64_t rows, uint64_t cols, uint64_t d) {
  if (!tensor) {
    return 2.0 * static_cast<double>(rows * cols * d);
  }
  return 2.0 * issued_tile(cfg, TileShape{tile_rows, tile_cols, 1}, rows, cols, d).macs;
}

KernelPlan combine_kernel(const KernelPlanner& planner, const std::vector<Load>& reads,
                          const std::vector<Load>& writes, double elements, uint64_t head_dim) {
  // Per partial value: scale by exp(m_s - m) and l_s, accumulate, divide; one exp per row.
  return planner.stream_kernel(
      "flash_attn_combine", reads, {}, writes, elements,
      ElementCost{3, 1.0 / static_cast<double>(std::max<uint64_t>(1, head_dim))});
}

}  // namespace cimsim::vn
