// The activation share of the tile buffers (plain C++).
//
// Each tile buffer keeps activation_reserve_fraction of its capacity for activations; the rest
// may hold KV caches (kv_placement.hpp checks that share when it places them). What an op must
// hold in a tile's reserve at once: a streaming op (a matmul strip, a vector op) one row in
// and one row out, as rows stream through the layers' pipeline (a row-split strip's reducer
// also one row of partial sums per strip sending to it); attention the K and V it reads on
// that tile, whole (every query row reads all of them), plus a row of Q and of output, unless
// K and V are read in place from the KV share or sit in CIM arrays. What exceeds the reserve
// spills: written to the chip's global buffer (when it has room beside the KV caches) or to
// its stack's HBM, and read back, at their bandwidth, latency and energy. With
// activation_overflow "error" the run stops instead (exit 2, naming the buffer's capacity).
//
// Left out: the bytes of earlier ops still waiting in a buffer (a residual kept for a later
// add): the check is per op. When the tiles become event-driven (issue #16) need() is where a
// request would wait for credits of this reserve.
#pragma once

#include <cstdint>
#include <vector>

#include "cimsim/cim/config.hpp"
#include "cimsim/common/json.hpp"

namespace cimsim::cim {

class BufferCapacity {
 public:
  BufferCapacity(const CimConfig& config, std::vector<uint64_t> global_buffer_free);
  uint64_t reserve_bytes() const { return reserve_; }
  // The part of `bytes` one tile cannot hold at once (0 when it fits); counts the op.
  uint64_t excess(uint64_t bytes);
  // Whether `bytes` spilled from a chip fit its global buffer beside the KV caches.
  bool global_buffer_holds(uint32_t chip, uint64_t bytes) const;
  void spilled(uint64_t bytes, bool to_global_buffer);
  Json metrics() const;

 private:
  uint64_t reserve_ = 0;
  std::vector<uint64_t> gb_free_;  // per chip, after the KV caches
  uint64_t largest_ = 0, over_ = 0, to_gb_ = 0, to_hbm_ = 0;
};

}  // namespace cimsim::cim
