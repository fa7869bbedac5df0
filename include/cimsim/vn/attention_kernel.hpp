// The GPU attention-kernel axis (`machine.attention`): how a fused attention op of the trace
// becomes kernels. One implementation per file (src/vn/attention_*.cpp), registered by name
// with the parameters it declares itself (config/registry.hpp):
//
//   "attention": "flash"                                    the implementation's defaults
//   "attention": {"name": "flash", "split_kv": 0}            with parameters
//
// An implementation is handed the op and the planner (the machine config, the address map,
// the GEMM and streaming-kernel builders) and appends the op's kernels in launch order. A
// kernel that can apply RoPE to Q and K on load and append the new K/V rows to the cache
// itself (as flash-attn's flash_attn_with_kvcache does) says so, and is then handed those
// ops too when the machine fuses them (fusion "rope_attention"). It may also check its
// parameters against the rest of the machine when the config is parsed.
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

// Ops of the trace the attention kernel runs as part of itself.
struct AttentionFusion {
  // RoPE of Q and K: the kernel reads the op's unrotated inputs and rotates them on load.
  const trace::Op* rope = nullptr;
  // The KV-cache append before the attention: the kernel reads the new K/V rows from the
  // op's inputs (not from the cache) and writes them to the cache.
  const trace::Op* kv_write = nullptr;
  bool any() const { return rope != nullptr || kv_write != nullptr; }
};

class AttentionKernel {
 public:
  virtual ~AttentionKernel() = default;
  // Appends the kernels of one fused attention op (inputs Q, K, V; output O), with `fused`
  // ops folded in (only if fuses_rope_and_append()). The planner has checked that the machine
  // has a unit for the op's data type.
  virtual void plan(const trace::Op& op, const AttentionFusion& fused, KernelPlanner& planner,
                    std::vector<KernelPlan>& out) const = 0;
  // Whether plan() accepts a RoPE and a KV-cache append to fold in.
  virtual bool fuses_rope_and_append() const { return false; }
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
