// Placeholder until the workload folder lands; the lowering work replaces this file.
#include "cimsim/common/error.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::workload {
Workload load_workload(const std::string&, const std::vector<config::Assignment>&) {
  throw std::runtime_error("workloads are not implemented yet");
}
Json workload_json(const Workload&) {
  return Json::object();
}
Json workload_schema() {
  return Json::object();
}
std::unique_ptr<trace::OpSource> lower(const Workload&) {
  return nullptr;
}
ParameterCount count_parameters(const ModelConfig&) {
  return {};
}
}  // namespace cimsim::workload
