// The kernel-launch axis (`machine.execution`): how the host hands kernels to the GPU, one
// implementation per file (src/vn/execution_*.cpp), registered by name with its own costs.
//
// The host and the GPU run asynchronously on one stream. The host issues kernels ahead of the
// GPU; a kernel starts when the previous one has ended plus the GPU's own per-kernel gap
// (front end, grid launch, tail) and not before the host has issued it. At the start of each
// phase (prefill, a decode step, an ENTP pass) the host first waits for the GPU: the next
// phase needs the token the previous one produced. Left out: other streams, host work other
// than launching (sampling, detokenisation), the first-use cost of capturing a graph.
#pragma once

#include <algorithm>
#include <memory>

#include "cimsim/config/registry.hpp"

namespace cimsim::vn {

class LaunchModel {
 public:
  virtual ~LaunchModel() = default;
  // A phase starts at GPU time `gpu_now_ps` (the host has waited for the previous phase).
  virtual void begin_phase(double gpu_now_ps) = 0;
  // When the next kernel may start, the previous one having ended at `prev_end_ps`.
  virtual double kernel_start_ps(double prev_end_ps) = 0;
  // The cost one more kernel adds to a stream of kernels, for kernel-choice heuristics.
  virtual double kernel_overhead_ps() const = 0;
};

struct ExecutionAxis : config::Axis<std::unique_ptr<LaunchModel>()> {
  static constexpr const char* key = "machine.execution";
  static constexpr const char* doc = "how the host launches kernels (per kernel, or as graphs)";
};

// The common timing: the host issues kernels from `host_ps_` on, each taking `issue_ps`;
// a kernel starts after the previous one's end plus `gap_ps`, and after its issue.
class HostQueue : public LaunchModel {
 public:
  HostQueue(double phase_ps, double issue_ps, double gap_ps)
      : phase_ps_(phase_ps), issue_ps_(issue_ps), gap_ps_(gap_ps) {}
  void begin_phase(double gpu_now_ps) override {
    host_ps_ = std::max(host_ps_, gpu_now_ps) + phase_ps_;
  }
  double kernel_start_ps(double prev_end_ps) override {
    host_ps_ += issue_ps_;
    return std::max(prev_end_ps + gap_ps_, host_ps_);
  }
  double kernel_overhead_ps() const override { return std::max(gap_ps_, issue_ps_); }

 private:
  double phase_ps_, issue_ps_, gap_ps_;
  double host_ps_ = 0;
};

}  // namespace cimsim::vn
