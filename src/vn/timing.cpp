#include "cimsim/vn/timing.hpp"

#include <vector>

namespace cimsim::vn {

double pipeline_span_ps(const PipelineParams& p) {
  if (p.steps == 0) {
    return 0;
  }
  const uint32_t s = std::max<uint32_t>(1, p.stages);
  // Ring of the last `s` compute end times: step k may load once step k - s has computed.
  std::vector<double> end(s, 0.0);
  double port_free = 0, prev_end = 0;
  for (uint64_t k = 0; k < p.steps; ++k) {
    double issue = k < s ? 0.0 : end[k % s];
    double transfer_start = std::max(issue, port_free);
    port_free = transfer_start + p.load_ps;
    double arrival = port_free + p.latency_ps;
    prev_end = std::max(arrival, prev_end) + p.compute_ps;
    end[k % s] = prev_end;
  }
  return prev_end;
}

}  // namespace cimsim::vn
