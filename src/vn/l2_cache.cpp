#include "cimsim/vn/l2_cache.hpp"

#include <algorithm>
#include <stdexcept>

namespace cimsim::vn {

namespace {
uint32_t log2_exact(uint64_t v) {
  uint32_t s = 0;
  while ((uint64_t{1} << s) < v) {
    ++s;
  }
  if ((uint64_t{1} << s) != v) {
    throw std::logic_error("L2 block size is not a power of two");
  }
  return s;
}
// Set bits of x, inline (SWAR): __builtin_popcountll without -mpopcnt is a call into
// libgcc, on the path of every access.
uint64_t bits_set(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555u);
  x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Fu;
  return (x * 0x0101010101010101u) >> 56;
}
uint64_t sector_mask(uint32_t first, uint32_t last) {  // sectors [first, last] inclusive
  uint64_t hi = last >= 63 ? ~uint64_t{0} : ((uint64_t{1} << (last + 1)) - 1);
  uint64_t lo = (uint64_t{1} << first) - 1;
  return hi & ~lo;
}
}  // namespace

L2Cache::L2Cache(uint64_t capacity_bytes, uint64_t block_bytes)
    : capacity_(capacity_bytes), block_bytes_(block_bytes), sector_bytes_(block_bytes / 64) {
  block_shift_ = log2_exact(block_bytes);
  sector_shift_ = log2_exact(sector_bytes_);
}

void L2Cache::unlink(int32_t i) {
  Entry& e = entries_[i];
  save(i);
  save(e.prev);
  save(e.next);
  if (e.prev >= 0) {
    entries_[e.prev].next = e.next;
  } else {
    head_ = e.next;
  }
  if (e.next >= 0) {
    entries_[e.next].prev = e.prev;
  } else {
    tail_ = e.prev;
  }
  e.prev = e.next = -1;
}

void L2Cache::push_mru(int32_t i) {
  save(i);
  save(tail_);
  Entry& e = entries_[i];
  e.prev = tail_;
  e.next = -1;
  if (tail_ >= 0) {
    entries_[tail_].next = i;
  } else {
    head_ = i;
  }
  tail_ = i;
}

int32_t L2Cache::touch(uint64_t block, uint32_t tensor) {
  int32_t i = block < index_.size() ? index_[block] : -1;
  if (i >= 0) {
    save(i);
    if (i != tail_) {
      unlink(i);
      push_mru(i);
    }
  } else {
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
      save(i);
    } else {
      i = static_cast<int32_t>(entries_.size());
      entries_.emplace_back();
    }
    Entry& e = entries_[i];
    e = Entry{};
    e.block = block;
    if (block >= index_.size()) {
      index_.resize(std::max<size_t>(block + 1, index_.size() * 2), -1);
    }
    index_[block] = i;
    ++resident_;
    if (trial_) {
      map_changes_.push_back(MapChange{block, -1});
    }
    push_mru(i);
  }
  entries_[i].tensor = tensor;
  return i;
}

void L2Cache::evict_to_capacity(Result* out) {
  while (occupied_ > capacity_ && head_ >= 0 && head_ != tail_) {
    int32_t i = head_;
    Entry& e = entries_[i];
    uint64_t dirty = bits_set(e.dirty) << sector_shift_;
    if (dirty > 0 && out != nullptr) {
      // One write-back per block, from its first to its last dirty sector.
      uint32_t first = static_cast<uint32_t>(__builtin_ctzll(e.dirty));
      out->writebacks.push_back(
          AddrRange{(e.block << block_shift_) + (uint64_t{first} << sector_shift_), dirty});
      out->writeback_bytes += dirty;
    }
    occupied_ -= bits_set(e.valid) << sector_shift_;
    unlink(i);
    index_[e.block] = -1;
    --resident_;
    if (trial_) {
      map_changes_.push_back(MapChange{e.block, i});
    }
    free_.push_back(i);
  }
}

template <bool kWrite>
void L2Cache::access(uint64_t addr, uint64_t bytes, uint32_t tensor, Result& out) {
  if (bytes == 0) {
    return;
  }
  uint64_t end = addr + bytes;
  uint64_t miss_lo = UINT64_MAX, miss_hi = 0;
  for (uint64_t b = addr >> block_shift_; (b << block_shift_) < end; ++b) {
    uint64_t block_lo = b << block_shift_;
    uint64_t lo = std::max(addr, block_lo), hi = std::min(end, block_lo + block_bytes_);
    uint32_t s0 = static_cast<uint32_t>((lo - block_lo) >> sector_shift_);
    uint32_t s1 = static_cast<uint32_t>((hi - 1 - block_lo) >> sector_shift_);
    uint64_t mask = sector_mask(s0, s1);
    int32_t i = touch(b, tensor);
    Entry& e = entries_[i];
    uint64_t missing = mask & ~e.valid;
    if (kWrite) {
      e.dirty |= mask;
      out.hit_bytes += hi - lo;
    } else if (missing == 0) {
      out.hit_bytes += hi - lo;
    } else if (missing == mask) {
      out.miss_bytes += hi - lo;
      miss_lo = std::min(miss_lo, lo);
      miss_hi = std::max(miss_hi, hi);
    } else {
      // Partly present: count whole sectors, clipped to the request.
      uint64_t miss = 0;
      for (uint32_t s = s0; s <= s1; ++s) {
        if ((missing >> s & 1) == 0) {
          continue;
        }
        uint64_t slo = std::max(lo, block_lo + (uint64_t{s} << sector_shift_));
        uint64_t shi = std::min(hi, block_lo + (uint64_t{s + 1} << sector_shift_));
        miss += shi - slo;
        miss_lo = std::min(miss_lo, slo);
        miss_hi = std::max(miss_hi, shi);
      }
      out.miss_bytes += miss;
      out.hit_bytes += (hi - lo) - miss;
    }
    occupied_ += bits_set(missing) << sector_shift_;
    e.valid |= mask;
    evict_to_capacity(&out);
  }
  if (miss_hi > 0) {
    uint64_t total = out.miss.bytes + (miss_hi - miss_lo);
    out.miss.addr = out.miss.bytes == 0 ? miss_lo : std::min(out.miss.addr, miss_lo);
    out.miss.bytes = total;
  }
}

void L2Cache::read(uint64_t addr, uint64_t bytes, uint32_t tensor, Result& out) {
  access<false>(addr, bytes, tensor, out);
}
void L2Cache::write(uint64_t addr, uint64_t bytes, uint32_t tensor, Result& out) {
  access<true>(addr, bytes, tensor, out);
}

uint64_t L2Cache::dirty_bytes() const {
  uint64_t d = 0;
  for (int32_t i = head_; i >= 0; i = entries_[i].next) {
    d += bits_set(entries_[i].dirty) << sector_shift_;
  }
  return d;
}

void L2Cache::for_each_lru(const std::function<void(const BlockState&)>& fn) const {
  for (int32_t i = head_; i >= 0; i = entries_[i].next) {
    const Entry& e = entries_[i];
    fn(BlockState{e.block, e.tensor, e.valid, e.dirty});
  }
}

bool L2Cache::lookup(uint64_t block, BlockState& out) const {
  int32_t i = block < index_.size() ? index_[block] : -1;
  if (i < 0) {
    return false;
  }
  const Entry& e = entries_[static_cast<size_t>(i)];
  out = BlockState{e.block, e.tensor, e.valid, e.dirty};
  return true;
}

void L2Cache::begin_trial() {
  trial_ = true;
  if (++trial_epoch_ == 0) {  // wrapped: no entry may look saved
    std::fill(saved_epoch_.begin(), saved_epoch_.end(), 0);
    trial_epoch_ = 1;
  }
  trial_size_ = entries_.size();
  if (saved_epoch_.size() < trial_size_) {
    saved_epoch_.resize(trial_size_, 0);
  }
  saved_.clear();
  map_changes_.clear();
  saved_free_ = free_;
  saved_head_ = head_;
  saved_tail_ = tail_;
  saved_occupied_ = occupied_;
}

void L2Cache::rollback() {
  for (auto it = map_changes_.rbegin(); it != map_changes_.rend(); ++it) {
    index_[it->block] = it->index;
    if (it->index < 0) {
      --resident_;
    } else {
      ++resident_;
    }
  }
  for (const auto& [i, e] : saved_) {
    entries_[static_cast<size_t>(i)] = e;
  }
  entries_.resize(trial_size_);
  free_ = saved_free_;
  head_ = saved_head_;
  tail_ = saved_tail_;
  occupied_ = saved_occupied_;
  commit();
}

void L2Cache::commit() {
  trial_ = false;
  saved_.clear();
  map_changes_.clear();
}

}  // namespace cimsim::vn
