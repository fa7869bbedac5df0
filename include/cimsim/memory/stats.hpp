// What the memory counted: commands, row-buffer outcomes, background state and latencies.
// Plain counters the controller bumps while it issues commands; energy is applied later
// (memory/energy.hpp turns counts into registry actions).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "cimsim/memory/command.hpp"

namespace cimsim::memory {

// Latencies in memory cycles: exact (one bin per cycle) up to kExactLimit, then one bin per
// power of two, so percentiles are exact for any realistic latency and memory stays small.
class LatencyHistogram {
 public:
  static constexpr uint64_t kExactLimit = 1 << 16;
  void add(uint64_t cycles) {
    if (cycles < exact_.size()) {
      ++exact_[cycles];
    } else {
      add_rare(cycles);
    }
    ++count_;
    sum_ += cycles;
    max_ = cycles > max_ ? cycles : max_;
  }
  void merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // Smallest latency L such that at least q (0..1] of the samples are <= L; 0 if empty.
  uint64_t percentile(double q) const;

 private:
  void add_rare(uint64_t cycles);  // a bin not yet allocated, or beyond kExactLimit
  std::vector<uint64_t> exact_;
  std::array<uint64_t, 64> log2_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  __uint128_t sum_ = 0;
};

struct MemoryStats {
  std::array<uint64_t, kCommandKinds> commands{};  // indexed by Command
  uint64_t read_bursts = 0;
  uint64_t write_bursts = 0;
  uint64_t row_hits = 0;       // column command to an already open row
  uint64_t row_misses = 0;     // bank was closed: ACT then column command
  uint64_t row_conflicts = 0;  // another row was open: PRE, ACT, column command
  uint64_t active_cycles = 0;  // sum over pseudo-channels of cycles with at least one row open
  uint64_t read_requests = 0;  // transactions (b_transport calls or trace lines) completed
  uint64_t write_requests = 0;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  Cycle last_completion = 0;      // cycle the last data beat of any request moved
  LatencyHistogram read_latency;  // arrival to last data beat, per request
  LatencyHistogram write_latency;

  uint64_t command(Command c) const { return commands[static_cast<int>(c)]; }
  double row_hit_rate() const;  // hits / column commands
};

}  // namespace cimsim::memory
