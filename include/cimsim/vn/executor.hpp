// The von Neumann machine as a trace executor (the trace player): pulls ops from the trace,
// maps each to kernels (kernels.hpp), runs them on VnMachine, and records each op's time
// span, action counts and bytes per link (the HBM's counts are taken before and after the
// op). Repeated work is replayed from the fast-forward memo (fast_forward.hpp) unless
// RunOptions::fast_forward is false; each simulated op is classified by what bound it
// (bound.hpp); the metrics carry the roofline (roofline.hpp).
#pragma once

#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cimsim/exec/executor_base.hpp"
#include "cimsim/vn/address_map.hpp"
#include "cimsim/vn/config.hpp"
#include "cimsim/vn/fast_forward.hpp"
#include "cimsim/vn/kernels.hpp"
#include "cimsim/vn/machine.hpp"
#include "cimsim/vn/node.hpp"
#include "cimsim/vn/roofline.hpp"

namespace cimsim::vn {

class VnExecutor : public exec::ExecutorBase {
 public:
  VnExecutor(const config::ConfigDoc& doc, MachineConfig cfg, const std::string& module_name,
             const exec::RunOptions& options, std::unique_ptr<memory::OffChipMemory> memory);
  ~VnExecutor() override;
  void start(std::unique_ptr<trace::OpSource> trace) override;
  bool done() const override;
  // HBM holds the weights and the KV cache: utilization x capacity (of every device a node
  // uses) less the weights (as vLLM's gpu_memory_utilization sizes its KV cache).
  std::optional<uint64_t> kv_budget_bytes(uint64_t weight_bytes, double utilization) const override;

  VnMachine& machine() { return *machine_; }
  // Bytes the machine asked the memory for (simulated ops only).
  uint64_t requested_bytes() const;
  // Bytes the memory reports on its off-chip link (simulated ops only).
  uint64_t memory_reported_bytes() const;

 protected:
  Json metrics() const override;
  std::optional<Budget> budget(const Json& /*section*/) const override {
    const double devices = node_ ? node_->devices_used() : 1;  // a node's budget is all of them
    return Budget{cfg_.area_mm2 * devices, cfg_.process_nm, cfg_.tdp_w * devices, "", 0};
  }
  stats::Counts unattributed() const override;

 private:
  void player();
  // Runs a group of ops (one op, or ops the machine fuses) and records each of them.
  void run_group(const OpGroup& group);
  const stats::Counts& memory_now();
  // Several devices (node.hpp; executor_node.cpp): the next op from the trace (the ops the
  // node read ahead first), the first phase's header placement, a phase cut into pipeline
  // stages with its communications, one communication, an op's record with the node's counts.
  bool pull(trace::Op& op);
  void make_node();
  void start_node();
  void run_node_phase(std::deque<trace::Op>& phase);
  void run_comm(const NodeComm& c);
  void record_op(const trace::Op& op, const report::OpCost& cost);

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
  std::unique_ptr<FastForwardMemo> memo_;
  std::unique_ptr<LaunchModel> launch_;
  std::unique_ptr<Fuser> fuser_;
  double gpu_end_ps_ = 0;      // when the last kernel ended
  double launch_idle_ps_ = 0;  // GPU idle between kernels (gaps, waiting for the host)
  uint64_t phases_ = 0;
  std::map<std::string, uint64_t> fused_groups_;  // by fusion name
  std::vector<L2Access> log_;
  std::vector<AddrRange> replay_writebacks_;
  std::vector<stats::ActionId> background_;
  uint64_t ff_ops_ = 0, sim_ops_ = 0, ff_ps_ = 0;
  uint64_t ff_with_writebacks_ = 0, ff_near_traffic_ = 0;
  stats::Counts attributed_hbm_;  // memory counts from the first op's start to the last's end
  stats::Counts memory_first_, memory_now_;
  double memory_now_ps_ = -1;
  OpStatsMap op_stats_;
  std::vector<std::string> op_order_;
  uint64_t kernels_ = 0;
  std::unique_ptr<Node> node_;
  std::deque<trace::Op> pending_;  // ops the node read ahead of the player
};

// The "von_neumann" machine type for src/exec/machine_types.cpp.
exec::MachineType von_neumann_type();

}  // namespace cimsim::vn
