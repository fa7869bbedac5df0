// The von Neumann machine as a trace executor: pulls ops from the trace, maps each to kernels
// (kernels.hpp), runs them on VnMachine, and records each op's time span, action counts and
// bytes per link (the HBM's counts are snapshotted before and after the op).
//
// Fast-forward: an op whose signature (kind, shapes, data types, bytes of every tensor) and
// L2 state in role terms (for every resident block, least to most recently used: which of the
// op's tensors it belongs to and where, or "other", with its valid and dirty sectors) equal
// those of an op simulated earlier is not simulated again: time advances by the recorded
// duration, the recorded counts are charged, and the blocks the op left in L2 are installed
// again under the current op's tensors. The only state not compared is the DRAM's (open
// rows, refresh phase, address mapping of different tensors); tests/vn/test_fast_forward.cpp
// shows the result stays within 1% of full simulation. RunOptions::fast_forward=false
// simulates everything.
#pragma once

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
             const exec::RunOptions& options, std::unique_ptr<MemoryBackend> memory);
  ~VnExecutor() override;
  void start(std::unique_ptr<trace::OpSource> trace) override;
  bool done() const override;

  VnMachine& machine() { return *machine_; }
  // Bytes the machine asked the memory for (simulated ops only).
  uint64_t requested_bytes() const;
  // Bytes the memory reports on its "hbm" link (simulated ops only).
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
  stats::Counts snapshot() const;
  std::pair<uint64_t, uint64_t> memo_key(const trace::Op& op);
  int32_t role_of(uint32_t tensor) const;

  config::ConfigDoc doc_;
  MachineConfig cfg_;
  std::unique_ptr<MemoryBackend> memory_;
  std::unique_ptr<VnMachine> machine_;
  std::unique_ptr<AddressMap> map_;
  std::unique_ptr<KernelPlanner> planner_;
  std::unique_ptr<trace::OpSource> source_;
  std::exception_ptr error_;
  stats::LinkId hbm_link_ = 0;
  bool has_hbm_link_ = false;
  uint64_t op_serial_ = 0;
  std::vector<uint32_t> op_tensors_;  // tensor index per role of the current op
  std::unordered_map<uint64_t, std::unique_ptr<Memo>> memo_;
  uint64_t ff_ops_ = 0, sim_ops_ = 0, ff_ps_ = 0;
  stats::Counts attributed_hbm_;  // memory counts that simulated ops took
  std::map<std::pair<trace::PhaseKind, std::string>, OpStats> op_stats_;
  std::vector<std::string> op_order_;
  uint64_t kernels_ = 0;
};

// The "von_neumann" machine type for src/exec/machine_types.cpp.
exec::MachineType von_neumann_type();

}  // namespace cimsim::vn
