#include "cimsim/vn/address_map.hpp"

#include <algorithm>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::vn {

namespace {
uint64_t round_up(uint64_t v, uint64_t a) {
  return ceil_div(v, a) * a;
}
uint64_t shape_bytes(const trace::Tensor& t) {
  return t.shape.empty() ? 0 : trace::dtype_bytes(t.dtype, trace::shape_elements(t.shape));
}
}  // namespace

AddressMap::AddressMap(uint64_t capacity_bytes, uint64_t align_bytes)
    : capacity_(capacity_bytes), align_(align_bytes) {}

void AddressMap::place_header(const trace::TraceHeader& header, const std::string& where,
                              const std::function<uint32_t(const trace::TensorDecl&)>& stage,
                              uint64_t stride) {
  std::vector<uint64_t> next(1, next_);  // by stage
  auto place = [&](const trace::TensorDecl& d) {
    if (by_id_.count(d.id) != 0) {
      return;
    }
    const uint32_t s = stage ? stage(d) : 0;
    if (next.size() <= s) {
      next.resize(s + 1, 0);
    }
    uint64_t& at = next[s];
    at = std::max(at, checked_mul(s, stride, "HBM footprint"));
    TensorLoc loc{static_cast<uint32_t>(locs_.size()), at, std::max<uint64_t>(d.bytes, 1)};
    at = checked_add(at, round_up(loc.size, align_), "HBM footprint");
    by_id_.emplace(d.id, locs_.size());
    locs_.push_back(loc);
  };
  for (const auto& w : header.weights) {
    place(w);
  }
  for (const auto& kv : header.kv_caches) {
    place(kv);
  }
  next_ = *std::max_element(next.begin(), next.end());
  fixed_end_ = next_;
  if (fixed_end_ > capacity_) {
    throw InputError(where, "the trace's weights and KV caches need " + std::to_string(fixed_end_) +
                                " bytes of HBM, more than the memory's capacity of " +
                                std::to_string(capacity_) + " bytes");
  }
}

const TensorLoc& AddressMap::allocate(const std::string& key, uint64_t bytes) {
  uint64_t size = round_up(std::max<uint64_t>(bytes, 1), align_);
  if (next_ + size > capacity_) {
    next_ = fixed_end_;  // wrap the activation region
  }
  if (next_ + size > capacity_) {
    throw InputError("activation " + quote_for_message(key) + " of " + std::to_string(bytes) +
                     " bytes does not fit in HBM beside the weights and KV caches");
  }
  TensorLoc loc{static_cast<uint32_t>(locs_.size()), next_, bytes};
  next_ += size;
  auto it = by_id_.find(key);
  if (it != by_id_.end()) {
    loc.index = locs_[it->second].index;  // a grown tensor keeps its identity
    locs_[it->second] = loc;
    return locs_[it->second];
  }
  by_id_.emplace(key, locs_.size());
  locs_.push_back(loc);
  return locs_.back();
}

const TensorLoc& AddressMap::tensor(const trace::Tensor& t) {
  auto it = by_id_.find(t.id);
  uint64_t need = std::max(t.bytes, shape_bytes(t));
  if (it != by_id_.end() && locs_[it->second].size >= need) {
    return locs_[it->second];
  }
  if (it != by_id_.end() && locs_[it->second].base < fixed_end_) {
    return locs_[it->second];
  }
  return allocate(t.id, need);
}

const TensorLoc& AddressMap::scratch(const std::string& name, uint64_t bytes) {
  std::string key = "\x01scratch." + name;
  auto it = by_id_.find(key);
  if (it != by_id_.end() && locs_[it->second].size >= bytes) {
    const TensorLoc& loc = locs_[it->second];
    if (std::find(used_scratch_.begin(), used_scratch_.end(), loc.index) == used_scratch_.end()) {
      used_scratch_.push_back(loc.index);
    }
    return loc;
  }
  const TensorLoc& loc = allocate(key, bytes);
  used_scratch_.push_back(loc.index);
  if (scratch_.size() <= loc.index) {
    scratch_.resize(loc.index + 1, false);
  }
  if (!scratch_[loc.index]) {
    scratch_list_.push_back(loc.index);
  }
  scratch_[loc.index] = true;
  return loc;
}

const TensorLoc* AddressMap::find(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &locs_[it->second];
}

}  // namespace cimsim::vn
