// The activation share of the tile buffers (buffer_capacity.hpp).
#include "cimsim/cim/buffer_capacity.hpp"

#include <algorithm>

namespace cimsim::cim {

BufferCapacity::BufferCapacity(const CimConfig& c, std::vector<uint64_t> gb_free)
    : reserve_(static_cast<uint64_t>(static_cast<double>(c.tile.buffer.capacity_bytes) *
                                     c.activation_reserve_fraction)),
      gb_free_(std::move(gb_free)) {}

uint64_t BufferCapacity::excess(uint64_t bytes) {
  largest_ = std::max(largest_, bytes);
  if (bytes <= reserve_) {
    return 0;
  }
  ++over_;
  return bytes - reserve_;
}

bool BufferCapacity::global_buffer_holds(uint32_t chip, uint64_t bytes) const {
  return chip < gb_free_.size() && bytes <= gb_free_[chip];
}

void BufferCapacity::spilled(uint64_t bytes, bool to_global_buffer) {
  (to_global_buffer ? to_gb_ : to_hbm_) += bytes;
}

Json BufferCapacity::metrics() const {
  return Json{{"activation_reserve_bytes", reserve_},
              {"largest_need_bytes", largest_},
              {"needs_over_reserve", over_},
              {"spilled_to_global_buffer_bytes", to_gb_},
              {"spilled_to_hbm_bytes", to_hbm_}};
}

}  // namespace cimsim::cim
