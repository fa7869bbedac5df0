#include "cimsim/vn/bound.hpp"

#include <algorithm>

#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {

double op_peak_flops_per_s(trace::OpKind kind, trace::DType dtype, const KernelPlanner* planner,
                           const MachineConfig& cfg) {
  const double clock = cfg.clock_ghz * 1e9;
  double peak = 0;
  if (planner != nullptr &&
      (kind == trace::OpKind::matmul || kind == trace::OpKind::batched_matmul ||
       kind == trace::OpKind::attention)) {
    peak = 2.0 * planner->peak_macs_per_cycle(dtype) * clock;
  }
  if (peak <= 0) {
    peak = cfg.compute.vector_flops_per_cycle * cfg.compute.units * clock;
  }
  return peak;
}

std::string classify_bound(double flops, double peak_flops_per_s, double hbm_bytes,
                           double peak_bytes_per_s, double seconds) {
  double t_c = flops / peak_flops_per_s;
  double t_m = hbm_bytes / peak_bytes_per_s;
  if (std::max(t_c, t_m) < 0.5 * seconds) {
    return "latency";
  }
  return t_c >= t_m ? "compute" : "memory";
}

}  // namespace cimsim::vn
