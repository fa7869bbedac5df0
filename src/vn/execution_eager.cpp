// Execution "eager": the host launches every kernel itself (a CUDA stream without graphs, a
// CPU runtime forking a parallel region per kernel). The host spends launch_ns per kernel; the
// GPU waits gap_ns between consecutive kernels. Short kernels make the host the bottleneck.
#include "cimsim/vn/execution.hpp"

namespace cimsim::vn {
namespace {
struct EagerParams {
  double launch_ns = 0;  // host time to issue one kernel
  double gap_ns = 0;     // GPU idle between two consecutive kernels
};
}  // namespace
}  // namespace cimsim::vn

namespace cimsim::config {
template <>
struct Describe<vn::EagerParams> {
  static constexpr const char* doc = "kernels launched one by one by the host";
  static void fields(Fields<vn::EagerParams>& f) {
    f.optional("launch_ns", &vn::EagerParams::launch_ns, "host time to issue one kernel, in ns",
               in_range(0, 1e9));
    f.optional("gap_ns", &vn::EagerParams::gap_ns,
               "GPU idle time between two consecutive kernels of the stream, in ns",
               in_range(0, 1e9));
  }
};
}  // namespace cimsim::config

namespace cimsim::vn {
CIMSIM_REGISTER(ExecutionAxis, EagerParams, "eager",
                "the host issues every kernel (launch_ns each); the GPU idles gap_ns between "
                "kernels",
                [](const EagerParams& p) {
                  return std::make_unique<HostQueue>(0.0, p.launch_ns * 1e3, p.gap_ns * 1e3);
                });
}  // namespace cimsim::vn
