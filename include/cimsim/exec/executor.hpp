// The one interface both machines implement: "execute this operation trace".
//
// An executor is built during SystemC elaboration (it creates its modules), is handed its
// own stream of the trace before sc_start(), runs while the kernel runs, and afterwards
// produces its section of the report. Several executors can be elaborated in one process and
// simulated in one sc_start() (a side-by-side run); they do not interact.
//
// Machines know nothing of model presets: everything they need is in the trace header
// (the weights to place, the KV caches) and the ops.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/config/json_file.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/config/registry.hpp"
#include "cimsim/trace/source.hpp"

namespace cimsim::report {
struct OpCost;
}

namespace cimsim::exec {

struct RunOptions {
  // Identical repeated work (same op shape and machine state) may be replayed from a memo
  // instead of simulated again; false simulates everything (--no-fast-forward).
  bool fast_forward = true;
  // Run the DRAM timing checker on every command the memory issues (slow; tests use it).
  bool check_memory_timing = false;
  // Called after each op completes (cheap; may be empty).
  std::function<void(const std::string& machine, uint64_t ops_done, uint64_t ops_total)>
      on_progress;
  // Called with every finished op, what it cost and the dynamic energy of its actions (a
  // serving run costs its iterations from these; may be empty).
  std::function<void(const trace::Op& op, const report::OpCost& cost, double dynamic_energy_j)>
      on_op;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Hands over the trace to execute; called once, after elaboration and before sc_start().
  virtual void start(std::unique_ptr<trace::OpSource> trace) = 0;
  // True once every op of the trace has completed.
  virtual bool done() const = 0;
  // After the simulation: this machine's report section (report/recorder.hpp layout plus
  // "name", "type", "config" and machine-specific "metrics").
  virtual Json report() const = 0;
  // Bytes of the machine's memory a KV cache may use beside `weight_bytes` of weights when
  // `utilization` of the memory may be taken (a serving run sizes its KV pool from it);
  // nullopt if the machine cannot say. Asked after elaboration, before start().
  virtual std::optional<uint64_t> kv_budget_bytes(uint64_t weight_bytes, double utilization) const {
    (void)weight_bytes;
    (void)utilization;
    return std::nullopt;
  }
  // Static (leakage) power of every declared component, in watts; known once started.
  virtual double static_power_w() const { return 0; }
};

// A kind of machine selected by the "type" key of a machine config.
struct MachineType {
  std::string name;                                            // "von_neumann", "cim"
  std::string summary;                                         // one line for `cimsim info`
  std::function<Json()> schema;                                // JSON Schema of a config file
  std::function<void(config::ConfigDoc&)> resolve_references;  // inline referenced presets
  std::function<void(const config::ConfigDoc&)> validate;      // parse strictly, throw on error
  std::function<std::unique_ptr<Executor>(const config::ConfigDoc&, const std::string& name,
                                          const RunOptions&)>
      build;  // elaborates the machine's SystemC modules
};

// The registry axis of machine types. A machine folder registers its type in one file
// (src/vn/machine_type.cpp, src/cim/machine_type.cpp); the registry fills in `name` and
// `summary` from the registration:
//   CIMSIM_REGISTER(exec::MachineTypeAxis, config::NoParams, "cim", "one line", make_type);
struct MachineTypeAxis : config::Axis<MachineType()> {
  static constexpr const char* key = "machine.type";
  static constexpr const char* doc = "kind of machine (\"type\" of a machine config)";
};

// Every registered machine type, by name.
const std::vector<MachineType>& machine_types();

// The type named by doc.root["type"]; an InputError if it is missing or unknown.
const MachineType& machine_type_of(const config::ConfigDoc& doc);

// Loads a machine config by preset name or path, inlines referenced presets, applies the
// --set assignments whose root is "machine", and validates it. Without `applied`, every such
// assignment must name a setting of this machine's type; with it (side-by-side runs, where
// a setting may exist on one machine only), assignments this type lacks are skipped and
// applied[i] tells which were used.
config::ConfigDoc load_machine(const std::string& name_or_file,
                               const std::vector<config::Assignment>& sets,
                               std::vector<bool>* applied = nullptr);

// Elaborates every machine, runs them all in one sc_start(), and returns their reports in
// order. Each machine pulls its own stream from `trace`.
std::vector<Json> run_machines(const std::vector<config::ConfigDoc>& machines,
                               const trace::OpSourceFactory& trace, const RunOptions& options);

}  // namespace cimsim::exec
