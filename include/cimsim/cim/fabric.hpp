// The CIM fabric: the executor of machine type "cim".
//
// Structure (SystemC): the fabric module runs the trace in one SC_THREAD; it owns the tiles
// (tile.hpp), the routers of every chip's mesh and the chip network (noc.hpp), all bound by
// TLM sockets, and the off-chip memory (a memory::MemorySystem). Everything the fabric asks
// of a tile or the network is a b_transport whose answer is a window of simulated time
// (loosely timed, with each resource keeping the time until which it is reserved); only the
// off-chip memory blocks the thread, because its contention has to be exact.
//
// The work is split into pieces, each plain C++ behind the module:
//   planning        fabric_plan.hpp    the trace's weights, the system's size, the mapping
//   KV placement    kv_placement.hpp   where each layer's cache lives
//   op dispatch     fabric_ops.hpp     each op as tile jobs and transfers
//   plumbing        fabric_io.hpp      tile jobs, transfers, off-chip accesses, counting
//   dynamic matmuls dynamic_policy.hpp the configured policy for QK^T and PV
//   reporting       fabric_report.hpp  the report's "metrics"
// Run: at start() the fabric reads the trace header and the first phase (which uses every
// weight), plans, builds the modules, places the KV caches and declares what it counts; the
// thread then programs every weight (recorded as setup, outside the inference totals) and
// runs the ops in trace order.
//
// Fast-forward: tiles, mesh and crossbars are always simulated in full (an op is a few
// closed-form tile jobs). Only long off-chip streams (the initial weight load, weight
// reloads, KV caches in off-chip memory) take a fast path: a warm-up and a measured sample
// go through the memory model, the rest is charged at the measured rate; such ops are marked
// fast_forwarded, a test bounds the error at 1%, and RunOptions::fast_forward = false
// streams every byte through the memory model.
#pragma once

#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "cimsim/cim/config.hpp"
#include "cimsim/cim/fabric_io.hpp"
#include "cimsim/cim/fabric_ops.hpp"
#include "cimsim/cim/fabric_plan.hpp"
#include "cimsim/cim/kv_placement.hpp"
#include "cimsim/exec/executor_base.hpp"
#include "cimsim/memory/offchip.hpp"

namespace cimsim::cim {

class Fabric : public sc_core::sc_module, public exec::ExecutorBase, private OpRecorder {
 public:
  SC_HAS_PROCESS(Fabric);
  Fabric(const sc_core::sc_module_name& module_name, const CimConfig& config, Json config_json,
         const std::string& report_name, exec::RunOptions options,
         const memory::OffChipFactory& memory, ConfigWhere where = {});
  ~Fabric() override;

  void start(std::unique_ptr<trace::OpSource> trace) override;
  // The machine section (docs/report-format.md); rethrows what stopped the run.
  Json report() const override;
  // No kv_budget_bytes: the fabric sizes itself for (chips "auto") and places on chip first
  // whatever KV caches the trace declares, so a serving run states its pool (docs/serving.md).

  // Inspection (tests, after start()).
  const Mapping& mapping() const { return plan_.mapping; }
  const Topology& topology() const { return *topo_; }
  const std::vector<KvStore>& kv_stores() const { return kv_.stores; }

 protected:
  Json metrics() const override;
  std::optional<Budget> budget(const Json& section) const override;
  stats::Counts unattributed() const override;

 private:
  void build_modules();
  std::string module_base_name() const;
  void run();
  void record_op(const trace::Op& op, const report::OpCost& cost) override { record(op, cost); }
  void record_setup(const std::string& label, const report::OpCost& cost) override {
    ExecutorBase::record_setup(label, cost);
  }

  CimConfig cfg_;
  ConfigWhere where_;              // names the config file in errors found when the trace is known
  memory::OffChipFactory memory_;  // built once the system's size (its stacks) is known
  std::unique_ptr<memory::OffChipMemory> mem_;
  FabricIo io_;

  std::unique_ptr<trace::OpSource> trace_;
  std::deque<trace::Op> first_phase_;
  trace::TraceHeader header_;

  std::unique_ptr<DynamicPolicy> policy_;
  FabricPlan plan_;
  KvPlacement kv_;
  std::unique_ptr<FabricOps> ops_;

  std::unique_ptr<Topology> topo_;
  Actions ids_;
  NocContext noc_ctx_;
  TileContext tile_ctx_;
  std::vector<std::unique_ptr<Tile>> tiles_;
  std::vector<std::unique_ptr<Router>> routers_;
  std::unique_ptr<ChipNetwork> chip_net_;
  std::exception_ptr error_;  // an input error found while running (report() raises it)
};

}  // namespace cimsim::cim
