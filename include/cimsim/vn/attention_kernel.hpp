// The GPU attention-kernel axis (`machine.attention`): how a fused attention op of the trace
// becomes kernels. One implementation per file (src/vn/attention_*.cpp), registered by name
// with the parameters it declares itself (config/registry.hpp):
//
//   "attention": "flash"                                    the implementation's defaults
//   "attention": {"name": "flash", "split_kv": 0}            with parameters
//
// An implementation is handed the op and the planner (the machine config, the address map,
// the GEMM and streaming-kernel builders) and appends the op's kernels in launch order. It may
// also check its parameters against the rest of the machine when the config is parsed.
// What each kernel moves and computes is described where it is implemented (docs/vn.md).
#pragma once

#include <memory>
#include <vector>

#include "cimsim/config/registry.hpp"

namespace cimsim::trace {
struct Op;
}

namespace cimsim::vn {

class KernelPlanner;
struct KernelPlan;
struct MachineConfig;

class AttentionKernel {
 public:
  virtual ~AttentionKernel() = default;
  // Appends the kernels of one fused attention op (inputs Q, K, V; output O). The planner has
  // checked that the machine has a unit for the op's data type.
  virtual void plan(const trace::Op& op, KernelPlanner& planner,
                    std::vector<KernelPlan>& out) const = 0;
  // Checks the parameters against the machine (an InputError through `check`, whose path is
  // the machine config's root).
  virtual void check(const MachineConfig& machine, const config::Check& check) const {
    (void)machine;
    (void)check;
  }
};

struct AttentionAxis : config::Axis<std::unique_ptr<AttentionKernel>()> {
  static constexpr const char* key = "machine.attention";
  static constexpr const char* doc = "GPU kernels that run a fused attention op";
};

}  // namespace cimsim::vn
