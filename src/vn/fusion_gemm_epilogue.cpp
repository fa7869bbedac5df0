// Fusion "gemm_epilogue": an activation (GELU, SiLU, ReLU) of a matmul's output, which only
// the activation reads, is applied in the GEMM's epilogue (CUTLASS epilogue functors; cuBLASLt
// CUBLASLT_EPILOGUE_BIAS / GELU_BIAS; TensorRT-LLM's fused bias + activation). The bias is
// already part of the trace's matmul. The GEMM writes the activation's output; the
// pre-activation tensor never goes to memory.
#include "cimsim/vn/fusion.hpp"
#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {
namespace {

class GemmEpilogue final : public FusionPattern {
 public:
  FusionMatch match(const OpWindow& w, const KernelPlanner&) const override {
    FusionMatch m;
    if (w.size() < 2 || w[0].kind != trace::OpKind::matmul || w[0].weight() == nullptr ||
        w[0].outputs.empty() || !is_activation(w[1].kind) || w[1].inputs.size() != 1 ||
        w[1].outputs.empty() || w[1].inputs[0].id != w[0].outputs[0].id ||
        w[1].outputs[0].bytes != w[0].outputs[0].bytes || w.read_from(w[0].outputs[0].id, 2)) {
      return m;
    }
    m.ops = 2;
    return m;
  }

  void plan(const OpGroup& g, KernelPlanner& planner, std::vector<KernelPlan>& out) const override {
    KernelPlanner::Gemm gemm = planner.gemm_of(g.ops[0]);
    const trace::Op& act = g.ops[1];
    const Load o = planner.whole(act.outputs[0]);
    const uint64_t per = gemm.m * gemm.n * gemm.c_bytes;
    gemm.c_tensor = o.tensor;
    gemm.c_base = [o, per](uint64_t b) { return o.addr + b * per; };
    const ElementCost a = element_cost(act.kind);
    gemm.epilogue = ElementCost{gemm.epilogue.flops + a.flops, gemm.epilogue.sfu + a.sfu};
    planner.plan_gemm(gemm, out);
  }
};

}  // namespace

CIMSIM_REGISTER(FusionAxis, config::NoParams, "gemm_epilogue",
                "an activation of a matmul's output applied in the GEMM epilogue (bias is "
                "part of the matmul)",
                [](const config::NoParams&) { return std::make_unique<GemmEpilogue>(); });

}  // namespace cimsim::vn
