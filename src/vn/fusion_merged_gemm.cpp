// Fusion "merged_gemm": consecutive matmuls that read the same input (the Q, K and V
// projections; the gate and up projections of a gated FFN) run as one GEMM over their
// concatenated weights, each band of columns written to its own output (vLLM's
// QKVParallelLinear and MergedColumnParallelLinear; TensorRT-LLM's fused QKV GEMM). The input
// is read once instead of once per projection, and one kernel replaces several.
#include "cimsim/vn/fusion.hpp"
#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {
namespace {

bool same_input(const trace::Op& a, const trace::Op& b) {
  return b.kind == trace::OpKind::matmul && b.weight() != nullptr && !b.inputs.empty() &&
         b.inputs[0].id == a.inputs[0].id && b.inputs[0].dtype == a.inputs[0].dtype &&
         b.mm.batch == a.mm.batch && b.mm.m == a.mm.m && b.mm.k == a.mm.k &&
         b.weight()->dtype == a.weight()->dtype && !b.outputs.empty() &&
         b.outputs[0].dtype == a.outputs[0].dtype;
}

class MergedGemm final : public FusionPattern {
 public:
  FusionMatch match(const OpWindow& w, const KernelPlanner&) const override {
    FusionMatch m;
    if (w.size() < 2 || w[0].kind != trace::OpKind::matmul || w[0].weight() == nullptr ||
        w[0].inputs.empty() || w[0].outputs.empty()) {
      return m;
    }
    size_t n = 1;
    while (n < w.size() && same_input(w[0], w[n])) {
      ++n;
    }
    m.ops = n;
    return m;
  }

  void plan(const OpGroup& g, KernelPlanner& planner, std::vector<KernelPlan>& out) const override {
    KernelPlanner::Gemm merged = planner.gemm_of(g.ops[0]);
    merged.n = 0;
    for (const auto& op : g.ops) {
      KernelPlanner::Gemm part = planner.gemm_of(op);
      merged.columns.push_back(KernelPlanner::Columns{merged.n, part.n, part.b_tensor,
                                                      part.c_tensor, part.b_base, part.c_base});
      merged.n += part.n;
    }
    planner.plan_gemm(merged, out);
  }
};

}  // namespace

CIMSIM_REGISTER(FusionAxis, config::NoParams, "merged_gemm",
                "matmuls reading the same input (Q, K, V; gate and up) as one GEMM over the "
                "concatenated weights",
                [](const config::NoParams&) { return std::make_unique<MergedGemm>(); });

}  // namespace cimsim::vn
