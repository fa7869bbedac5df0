// The L2 tag model (plain C++): which bytes of which tensor are on chip.
//
// Modelled: capacity, LRU replacement over blocks of `block_bytes` (default 32 KiB) with 64
// sectors each, sectored hits and misses (a read misses only the sectors not present; a
// missing sector is fetched for the bytes requested), write-back with write-allocate (a write
// makes its sectors valid and dirty without fetching), and write-back of dirty sectors when a
// block is evicted. Occupancy counts valid sectors, so small tensors do not waste capacity.
// Left out: set associativity and hashing (fully associative LRU), the two-partition
// organisation of A100/H100 L2, and tag/MSHR timing (hits on a block whose fill is still in
// flight count as hits). Timing of the data arrays is in the L2 module (modules.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace cimsim::vn {

struct AddrRange {
  uint64_t addr = 0;
  uint64_t bytes = 0;
};

class L2Cache {
 public:
  L2Cache(uint64_t capacity_bytes, uint64_t block_bytes);

  struct Result {
    uint64_t hit_bytes = 0;
    uint64_t miss_bytes = 0;
    AddrRange miss;                     // the missed bytes, merged into one range
    std::vector<AddrRange> writebacks;  // dirty data evicted (appended)
    uint64_t writeback_bytes = 0;
  };
  // `tensor` tags the blocks (fast-forward state keys).
  void read(uint64_t addr, uint64_t bytes, uint32_t tensor, Result& out);
  void write(uint64_t addr, uint64_t bytes, uint32_t tensor, Result& out);

  // A resident block, as seen by fast-forward state keys.
  struct BlockState {
    uint64_t block = 0;  // address / block_bytes
    uint32_t tensor = 0;
    uint64_t valid = 0, dirty = 0;  // sector masks
  };
  // Visits resident blocks from least to most recently used.
  void for_each_lru(const std::function<void(const BlockState&)>& fn) const;
  // The state of block number `block` (address / block_bytes), if resident.
  bool lookup(uint64_t block, BlockState& out) const;

  // Trial accesses (fast-forward): after begin_trial(), every change is journalled;
  // rollback() restores the state as it was at begin_trial(), commit() keeps the changes.
  // Costs are proportional to the blocks touched, not to the cache size.
  void begin_trial();
  void rollback();
  void commit();

  uint64_t capacity_bytes() const { return capacity_; }
  uint64_t occupied_bytes() const { return occupied_; }
  uint64_t block_bytes() const { return block_bytes_; }
  uint64_t sector_bytes() const { return sector_bytes_; }
  uint64_t dirty_bytes() const;
  size_t resident_blocks() const { return resident_; }

 private:
  struct Entry {
    uint64_t block = 0;
    uint64_t valid = 0, dirty = 0;
    uint32_t tensor = 0;
    int32_t prev = -1, next = -1;  // LRU list: head = least recent
  };
  template <bool kWrite>
  void access(uint64_t addr, uint64_t bytes, uint32_t tensor, Result& out);
  int32_t touch(uint64_t block, uint32_t tensor);
  void unlink(int32_t i);
  void push_mru(int32_t i);
  void evict_to_capacity(Result* out);
  // Journals entry i (once per trial) before it changes.
  void save(int32_t i) {
    if (trial_ && i >= 0 && static_cast<size_t>(i) < trial_size_ &&
        saved_epoch_[static_cast<size_t>(i)] != trial_epoch_) {
      saved_epoch_[static_cast<size_t>(i)] = trial_epoch_;
      saved_.emplace_back(i, entries_[static_cast<size_t>(i)]);
    }
  }

  uint64_t capacity_, block_bytes_, sector_bytes_;
  uint32_t block_shift_ = 0, sector_shift_ = 0;
  uint64_t occupied_ = 0;
  std::vector<Entry> entries_;
  std::vector<int32_t> free_;
  // Entry of every resident block, by block number (-1: not resident). Addresses are dense
  // from 0 (tensors are placed one after another), so a flat index is small and needs no
  // hashing.
  std::vector<int32_t> index_;
  size_t resident_ = 0;
  int32_t head_ = -1, tail_ = -1;

  // Trial journal.
  struct MapChange {
    uint64_t block = 0;
    int32_t index = -1;  // -1: the block was inserted; else it was erased from this index
  };
  bool trial_ = false;
  uint32_t trial_epoch_ = 0;
  size_t trial_size_ = 0;
  std::vector<uint32_t> saved_epoch_;
  std::vector<std::pair<int32_t, Entry>> saved_;
  std::vector<MapChange> map_changes_;
  std::vector<int32_t> saved_free_;
  int32_t saved_head_ = -1, saved_tail_ = -1;
  uint64_t saved_occupied_ = 0;
};

}  // namespace cimsim::vn
