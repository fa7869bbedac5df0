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
//   - otherwise: the tags are rolled back and the op is simulated (and recorded as another
//     variant).
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

// What a replay stands in for: the recorded op's time, counts and bound.
struct Recording {
  uint64_t duration_ps = 0;
  stats::Counts counts;
  std::string bound;
};

class FastForwardMemo {
 public:
  // Two independent hashes: the first finds the recordings, the second checks them.
  using Key = std::pair<uint64_t, uint64_t>;

  FastForwardMemo(AddressMap& map, L2Module& l2, double peak_bytes_per_s);
  ~FastForwardMemo();

  // The op the next key(), try_replay() and remember() refer to (its tensors' roles).
  void set_op(const trace::Op& op);
  // The op's signature and the L2 state of its own tensors (and of scratch).
  Key key(const trace::Op& op) const;
  // A recording whose trial replay on the L2 tags asks the memory for exactly what it asked
  // when simulated (the tags are left as the op leaves them), or nullptr (tags unchanged).
  // `writebacks`: what the replay must write back for real (the recorded op wrote nothing
  // back).
  const Recording* try_replay(const Key& key, std::vector<AddrRange>& writebacks);
  // Records a simulated op: its L2 accesses (`log`) and the traffic they caused.
  void remember(const Key& key, const Recording& rec, const std::vector<L2Access>& log,
                const L2Traffic& traffic);
  uint64_t trials_failed() const { return trials_failed_; }

 private:
  struct Memo;
  int32_t role_of(uint32_t tensor) const;
  uint32_t tensor_of(int32_t role) const;
  static constexpr size_t kMaxVariants = 4;
  // Largest time of added write-backs at peak bandwidth, as a share of the recorded op's
  // time, that a replay may take on.
  static constexpr double kReplayWritebackShare = 0.01;

  AddressMap& map_;
  L2Module& l2_;
  double peak_bytes_per_s_;
  std::vector<uint32_t> op_tensors_;  // tensor index per role of the current op
  // Recorded ops by key; several variants per key (most recently replayed first) whose L2
  // traffic differs with what else the L2 holds.
  std::unordered_map<uint64_t, std::vector<std::unique_ptr<Memo>>> memo_;
  uint64_t trials_failed_ = 0;
};

}  // namespace cimsim::vn
