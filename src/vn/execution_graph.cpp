// Execution "graph": each phase (prefill, a decode step, an ENTP pass) is one captured CUDA
// Graph. The host pays launch_ns once per graph; inside it the GPU still waits gap_ns between
// consecutive kernels (the device-side launch of each node).
#include "cimsim/vn/execution.hpp"

namespace cimsim::vn {
namespace {
struct GraphParams {
  double launch_ns = 0;  // host time to launch one graph
  double gap_ns = 0;     // GPU idle between two consecutive kernels of the graph
};
}  // namespace
}  // namespace cimsim::vn

namespace cimsim::config {
template <>
struct Describe<vn::GraphParams> {
  static constexpr const char* doc = "each phase launched as one CUDA Graph";
  static void fields(Fields<vn::GraphParams>& f) {
    f.optional("launch_ns", &vn::GraphParams::launch_ns, "host time to launch one graph, in ns",
               in_range(0, 1e9));
    f.optional("gap_ns", &vn::GraphParams::gap_ns,
               "GPU idle time between two consecutive kernels of a graph, in ns", in_range(0, 1e9));
  }
};
}  // namespace cimsim::config

namespace cimsim::vn {
CIMSIM_REGISTER(ExecutionAxis, GraphParams, "graph",
                "each phase is one CUDA Graph: launch_ns once per phase, gap_ns between kernels",
                [](const GraphParams& p) {
                  return std::make_unique<HostQueue>(p.launch_ns * 1e3, 0.0, p.gap_ns * 1e3);
                });
}  // namespace cimsim::vn
