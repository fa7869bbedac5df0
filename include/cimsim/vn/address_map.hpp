// Where every tensor lives in HBM. Weights and KV caches (from the trace header) get fixed
// addresses at start; activations get an address the first time an op names them (the same
// id reuses its address, as a caching allocator would); machine-internal scratch (standard
// attention's S and P, FlashAttention's l and m, split-K partials) is allocated by name and
// grows when a larger one is needed. Every tensor starts on an L2-block boundary, so no L2
// block holds two tensors. The activation region wraps around when it is full.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cimsim/trace/source.hpp"

namespace cimsim::vn {

struct TensorLoc {
  uint32_t index = 0;  // dense id, tags L2 blocks
  uint64_t base = 0;
  uint64_t size = 0;
};

class AddressMap {
 public:
  AddressMap(uint64_t capacity_bytes, uint64_t align_bytes);
  // Places the header's weights and KV caches; an InputError if they do not fit. With
  // `stage`, the tensors of stage s start at s x `stride` (each pipeline stage in its own
  // device's memory, node.hpp) and activations follow the last stage's.
  void place_header(const trace::TraceHeader& header, const std::string& where,
                    const std::function<uint32_t(const trace::TensorDecl&)>& stage = {},
                    uint64_t stride = 0);
  const TensorLoc& tensor(const trace::Tensor& t);
  const TensorLoc& scratch(const std::string& name, uint64_t bytes);
  const TensorLoc* find(const std::string& id) const;
  const TensorLoc& at(uint32_t index) const { return locs_[index]; }
  bool is_scratch(uint32_t index) const { return index < scratch_.size() && scratch_[index]; }
  // Indices of the scratch tensors, in order of creation.
  const std::vector<uint32_t>& scratch_indices() const { return scratch_list_; }
  // The scratch tensors asked for since the last begin_use() (what one op's kernels use).
  void begin_use() { used_scratch_.clear(); }
  const std::vector<uint32_t>& used_scratch() const { return used_scratch_; }
  uint64_t fixed_bytes() const { return fixed_end_; }
  size_t size() const { return locs_.size(); }

 private:
  const TensorLoc& allocate(const std::string& key, uint64_t bytes);
  uint64_t capacity_, align_;
  uint64_t fixed_end_ = 0, next_ = 0;
  std::unordered_map<std::string, size_t> by_id_;
  std::vector<TensorLoc> locs_;
  std::vector<bool> scratch_;
  std::vector<uint32_t> scratch_list_;
  std::vector<uint32_t> used_scratch_;
};

}  // namespace cimsim::vn
