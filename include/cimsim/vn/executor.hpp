// The von Neumann machine as a trace executor: pulls ops from the trace, maps each to kernels
// (kernels.hpp), runs them on VnMachine, and records each op's time span, action counts and
// bytes per link (the HBM's counts are taken before and after the op).
//
// Fast-forward (identical repeated work: the same layer in every block, the same matmul in
// every decode step). A simulated op is recorded: its duration, action counts (the HBM's
// included), the memory traffic its L2 asked for (fills and write-backs, bytes and requests)
// and its L2 accesses in role terms (which of the op's tensors, or which scratch tensor, and
// the offset in it). A later op with the same signature (kind, shapes, data types, bytes of
// every tensor) and the same sectors of its own tensors in L2 replays a recording's accesses
// on the L2 tags (journalled, so they can be rolled back):
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
// fast path within 1% of full simulation. RunOptions::fast_forward=false simulates everything.
#pragma once

#include <array>
#include <exception>
#include <memory>
#include <string>
#include <unordered_map>

#include "cimsim/exec/executor_base.hpp"
#include "cimsim/vn/address_map.hpp"
#include "cimsim/vn/config.hpp"
#include "cimsim/vn/kernels.hpp"
#include "cimsim/vn/machine.hpp"

namespace cimsim::vn {

class VnExecutor : public exec::ExecutorBase {
 public:
  VnExecutor(const config::ConfigDoc& doc, MachineConfig cfg, const std::string& module_name,
             const exec::RunOptions& options, std::unique_ptr<memory::OffChipMemory> memory);
  ~VnExecutor() override;
  void start(std::unique_ptr<trace::OpSource> trace) override;
  bool done() const override;

  VnMachine& machine() { return *machine_; }
  // Bytes the machine asked the memory for (simulated ops only).
  uint64_t requested_bytes() const;
  // Bytes the memory reports on its off-chip link (simulated ops only).
  uint64_t memory_reported_bytes() const;

 protected:
  Json metrics() const override;
  stats::Counts unattributed() const override;

 private:
  struct Memo;
  struct OpStats {
    uint64_t count = 0, flops = 0, hbm_bytes = 0, ps = 0;
    trace::OpKind kind = trace::OpKind::matmul;
    trace::DType dtype = trace::DType::fp16;
  };
  void player();
  void run_op(const trace::Op& op);
  const stats::Counts& memory_now();
  std::pair<uint64_t, uint64_t> memo_key(const trace::Op& op);
  int32_t role_of(uint32_t tensor) const;
  uint32_t tensor_of(int32_t role) const;
  // A recorded op whose trial replay on the L2 tags asks the memory for exactly what it asked
  // when simulated (the tags are left as the op leaves them), or nullptr (tags unchanged).
  // `writebacks`: what the replay must write back for real (the recorded op wrote nothing back).
  const Memo* try_replay(const std::pair<uint64_t, uint64_t>& key,
                         std::vector<AddrRange>& writebacks);
  void remember(const std::pair<uint64_t, uint64_t>& key, const report::OpCost& cost,
                uint64_t duration_ps, const std::vector<L2Access>& log, const L2Traffic& traffic);
  static constexpr size_t kMaxVariants = 4;
  // Largest time of added write-backs at peak bandwidth, as a share of the recorded op's
  // time, that a replay may take on.
  static constexpr double kReplayWritebackShare = 0.01;

  config::ConfigDoc doc_;
  MachineConfig cfg_;
  std::unique_ptr<memory::OffChipMemory> memory_;
  std::unique_ptr<VnMachine> machine_;
  std::unique_ptr<AddressMap> map_;
  std::unique_ptr<KernelPlanner> planner_;
  std::unique_ptr<trace::OpSource> source_;
  std::exception_ptr error_;
  stats::LinkId hbm_link_ = 0;
  bool has_hbm_link_ = false;
  std::vector<uint32_t> op_tensors_;  // tensor index per role of the current op
  // Recorded ops by key; several variants per key (most recently replayed first) whose L2
  // traffic differs with what else the L2 holds.
  std::unordered_map<uint64_t, std::vector<std::unique_ptr<Memo>>> memo_;
  std::vector<L2Access> log_;
  std::vector<AddrRange> replay_writebacks_;
  std::vector<stats::ActionId> background_;
  uint64_t ff_ops_ = 0, sim_ops_ = 0, ff_ps_ = 0, ff_trials_failed_ = 0;
  uint64_t ff_with_writebacks_ = 0;
  stats::Counts attributed_hbm_;  // memory counts from the first op's start to the last's end
  stats::Counts memory_first_, memory_now_;
  double memory_now_ps_ = -1;
  std::map<std::pair<trace::PhaseKind, std::string>, OpStats> op_stats_;
  std::vector<std::string> op_order_;
  uint64_t kernels_ = 0;
};

// The "von_neumann" machine type for src/exec/machine_types.cpp.
exec::MachineType von_neumann_type();

}  // namespace cimsim::vn
