// Kernel fusion (`machine.fusion`): which consecutive ops of the trace the machine runs as one
// set of kernels, as inference engines fuse them (TensorRT-LLM, vLLM, FlashAttention's
// KV-cache API). The trace stays machine-independent; fusion is the machine's decision over
// its op stream. Each fusion is one file (src/vn/fusion_*.cpp) registered by name; a machine
// lists the ones it applies, tried in that order at every op of a phase.
//
// A fused group's kernels move what a fused kernel moves: an intermediate tensor that only
// the group's own ops read never goes to memory. The group's time and counts are recorded on
// one of its ops (the anchor); the others are recorded with no time and bound "fused"
// (docs/vn.md).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "cimsim/config/registry.hpp"
#include "cimsim/trace/op.hpp"

namespace cimsim::vn {

class KernelPlanner;
struct KernelPlan;
class FusionPattern;

// A run of consecutive trace ops the machine runs as one set of kernels.
struct OpGroup {
  std::vector<trace::Op> ops;              // in trace order
  size_t anchor = 0;                       // the op the group's cost is recorded on
  const FusionPattern* pattern = nullptr;  // nullptr: one op, planned by itself
  const std::string* name = nullptr;       // the pattern's registered name
  uint64_t variant = 0;                    // a choice the pattern made beyond the ops
};

// The rest of the current phase, from its front.
class OpWindow {
 public:
  explicit OpWindow(const std::deque<trace::Op>& ops) : ops_(ops) {}
  size_t size() const { return ops_.size(); }
  const trace::Op& operator[](size_t i) const { return ops_[i]; }
  // Whether an op at position `from` or later reads tensor `id`.
  bool read_from(const std::string& id, size_t from) const;

 private:
  const std::deque<trace::Op>& ops_;
};

// What a pattern found at the front of a window.
struct FusionMatch {
  size_t ops = 0;  // how many ops it fuses (below 2: no match)
  size_t anchor = 0;
  uint64_t variant = 0;
};

class FusionPattern {
 public:
  virtual ~FusionPattern() = default;
  // The ops at the front of `w` this pattern fuses, if any.
  virtual FusionMatch match(const OpWindow& w, const KernelPlanner& planner) const = 0;
  // The kernels of a group it matched.
  virtual void plan(const OpGroup& g, KernelPlanner& planner,
                    std::vector<KernelPlan>& out) const = 0;
};

struct FusionAxis : config::Axis<std::unique_ptr<FusionPattern>()> {
  static constexpr const char* key = "machine.fusion";
  static constexpr const char* doc = "ops the machine runs as one kernel";
};

// The machine's fusions, applied in order.
class Fuser {
 public:
  explicit Fuser(const std::vector<config::Choice<FusionAxis>>& fusions);
  ~Fuser();
  // Takes the next group off the front of `phase` (the rest of the current phase).
  OpGroup take(std::deque<trace::Op>& phase, const KernelPlanner& planner) const;

 private:
  std::vector<std::unique_ptr<FusionPattern>> patterns_;
  std::vector<std::string> names_;
};

// Helpers for patterns.
bool is_activation(trace::OpKind k);  // gelu, silu, relu
bool is_norm(trace::OpKind k);        // layernorm, rmsnorm

}  // namespace cimsim::vn
