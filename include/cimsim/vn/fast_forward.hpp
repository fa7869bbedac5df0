// Fast-forward memo of the von Neumann machine: identical repeated work (the same layer in
// every block, the same matmul in every decode step) is simulated once and replayed.
//
// A simulated op is recorded: its duration, action counts (the HBM's included), the memory
// traffic its L2 asked for (fills and write-backs, bytes and requests) and its L2 accesses in
// role terms (which of the op's tensors, or which scratch tensor, and the offset in it). A
// later op with the same signature (kind, shapes, data types, bytes of every tensor) and the
// same sectors of its own tensors in L2 replays a recording's accesses on the L2 tags
// (journalled, so they can be rolled back):
//   - the same fills and write-backs as recorded: the recorded time and counts stand in for
//     the op (its DRAM traffic is not simulated);
//   - the same fills, the recording wrote nothing back, and this op's write-backs would take
//     at most kReplayWritebackShare of its time at peak bandwidth: as above, plus those
//     write-backs sent to the memory for real and their time at peak bandwidth;
//   - fills and write-backs that differ from the recording's by at most kReplayTrafficShare
//     of its bytes, or whose difference takes at most that share of its time at peak
//     bandwidth (a large weight of which a few rows were already on chip, as the tied
//     embedding the LM head reads in each ENTP pass; dirty data of other ops evicted on the
//     way): the recording stands in, its
//     HBM bytes corrected to what the L2 asked for and the difference's time at peak
//     bandwidth added or taken off (the DRAM's action counts stay the recording's);
//   - otherwise: the tags are rolled back and the op is simulated (and recorded as another
//     variant).
// The first hash of a key holds the ops' signatures and a coarse picture of the L2 state of
// their tensors (the resident share of each, in 1/32 steps); the second the exact sectors.
// Recordings are looked up by the first and tried on the tags in turn (exact match first).
// The L2 contents therefore stay what full simulation would leave (up to the interleaving of
// concurrent accesses) and bytes on every link match it; time and energy differ only by the
// DRAM's state (open rows, refresh phase, bank mapping of different addresses), which
// replays do not reproduce. tests/vn/test_fast_forward.cpp and test_cli_run.cpp hold the
// fast path within 1% of full simulation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cimsim/stats/registry.hpp"
#include "cimsim/trace/op.hpp"
#include "cimsim/vn/address_map.hpp"
#include "cimsim/vn/modules.hpp"

namespace cimsim::vn {

// What a replay stands in for: the recorded op's time (each kernel's, from its start to its
// end; the launch model places them again on replay), counts and bound.
struct Recording {
  std::vector<uint64_t> kernel_ps;
  stats::Counts counts;
  std::string bound;
  // A group keyed by its matmul's padded rows (FastForwardMemo::matmul_rows; 0: not so
  // keyed): the rows it was simulated with and what its thread blocks counted whatever their
  // timing (VnMachine::plan_counts), which a replay for other rows exchanges for its own.
  uint64_t m_rows = 0;
  stats::Counts plan;
  uint64_t duration_ps() const {
    uint64_t t = 0;
    for (uint64_t k : kernel_ps) {
      t += k;
    }
    return t;
  }
};

class FastForwardMemo {
 public:
  // Two independent hashes: the first finds the recordings, the second checks them.
  using Key = std::pair<uint64_t, uint64_t>;

  // `gemv_max_rows`, `m_quantum`: a matmul of more rows than gemv_max_rows runs on the matrix
  // units, its rows padded to m_quantum (the MMA's M); such groups are keyed by the padded M.
  FastForwardMemo(AddressMap& map, L2Module& l2, double peak_bytes_per_s,
                  uint64_t gemv_max_rows = 0, uint64_t m_quantum = 1);
  ~FastForwardMemo();

  // The ops (one, or a fused group) the next key(), try_replay() and remember() refer to (the
  // roles of their tensors), and the scratch tensors their kernels use.
  void set_ops(const std::vector<trace::Op>& ops, const std::vector<uint32_t>& scratch);
  // The rows of the group's tensor-core matmul (more than gemv_max_rows), or 0: such a
  // group is keyed by its rows rounded up to m_quantum.
  uint64_t matmul_rows(const std::vector<trace::Op>& ops) const;
  // The ops' signatures, `variant` (a fusion's choice) and the L2 state of their own tensors
  // (and of scratch).
  Key key(const std::vector<trace::Op>& ops, uint64_t variant) const;
  // A recording whose trial replay on the L2 tags asks the memory for exactly what it asked
  // when simulated (the tags are left as the op leaves them), or nullptr (tags unchanged).
  // `writebacks`: what the replay must write back for real (the recorded op wrote nothing
  // back).
  // What a replay asks of the memory beyond the recording (0 unless within
  // kReplayTrafficShare).
  struct TrafficDelta {
    int64_t fill_bytes = 0, writeback_bytes = 0;
  };
  const Recording* try_replay(const Key& key, std::vector<AddrRange>& writebacks,
                              TrafficDelta& delta);
  // Records a simulated op: its L2 accesses (`log`) and the traffic they caused.
  void remember(const Key& key, const Recording& rec, const std::vector<L2Access>& log,
                const L2Traffic& traffic);
  uint64_t trials_failed() const { return trials_failed_; }

 private:
  struct Memo;
  int32_t role_of(uint32_t tensor) const;
  uint32_t tensor_of(int32_t role) const;
  static constexpr size_t kMaxVariants = 6;
  // Largest time of added write-backs at peak bandwidth, as a share of the recorded op's
  // time, that a replay may take on.
  static constexpr double kReplayWritebackShare = 0.01;
  // Largest difference of a replay's memory traffic (fills and write-backs) from the
  // recording's, as a share of its bytes or of its time at peak bandwidth.
  static constexpr double kReplayTrafficShare = 0.005;

  AddressMap& map_;
  L2Module& l2_;
  double peak_bytes_per_s_;
  uint64_t gemv_max_rows_;
  uint64_t m_quantum_;
  std::vector<uint32_t> op_tensors_;  // tensor index per role of the current op
  std::vector<uint32_t> scratch_;     // scratch tensors the current op's kernels use
  // Recorded ops by key; several variants per key (most recently replayed first) whose L2
  // traffic differs with what else the L2 holds.
  std::unordered_map<uint64_t, std::vector<std::unique_ptr<Memo>>> memo_;
  uint64_t trials_failed_ = 0;
};

}  // namespace cimsim::vn
