#include <systemc>

#include "cimsim/common/error.hpp"
#include "cimsim/exec/executor.hpp"

namespace cimsim::exec {

std::vector<Json> run_machines(const std::vector<config::ConfigDoc>& machines,
                               const trace::OpSourceFactory& trace, const RunOptions& options) {
  std::vector<std::unique_ptr<Executor>> executors;
  for (size_t i = 0; i < machines.size(); ++i) {
    const MachineType& type = machine_type_of(machines[i]);
    // Module names must be unique and C-identifier-like; the report uses the config's name.
    executors.push_back(type.build(machines[i], "machine" + std::to_string(i), options));
  }
  for (auto& e : executors) e->start(trace());
  sc_core::sc_start();
  std::vector<Json> reports;
  for (size_t i = 0; i < executors.size(); ++i) {
    if (!executors[i]->done()) {
      throw std::runtime_error("machine " + std::to_string(i) +
                               " stopped before finishing its trace (simulation deadlock)");
    }
    reports.push_back(executors[i]->report());
  }
  return reports;
}

}  // namespace cimsim::exec
