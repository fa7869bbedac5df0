// Fusion "gated_activation": the activation of a gated FFN and its product with the up
// projection, act(gate) * up, as one elementwise kernel (vLLM's SiluAndMul / GeluAndMul,
// TensorRT-LLM's gated activation). It reads gate and up and writes the product; act(gate)
// never goes to memory.
#include "cimsim/vn/fusion.hpp"
#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {
namespace {

class GatedActivation final : public FusionPattern {
 public:
  FusionMatch match(const OpWindow& w, const KernelPlanner&) const override {
    FusionMatch m;
    if (w.size() < 2 || !is_activation(w[0].kind) || w[0].inputs.size() != 1 ||
        w[0].outputs.empty() || w[1].kind != trace::OpKind::mul || w[1].inputs.size() != 2 ||
        w[1].outputs.empty() || w.read_from(w[0].outputs[0].id, 2)) {
      return m;
    }
    const std::string& a = w[0].outputs[0].id;
    if (w[1].inputs[0].id != a && w[1].inputs[1].id != a) {
      return m;
    }
    m.ops = 2;
    return m;
  }

  void plan(const OpGroup& g, KernelPlanner& planner, std::vector<KernelPlan>& out) const override {
    const trace::Op& act = g.ops[0];
    const trace::Op& mul = g.ops[1];
    const std::string& a = act.outputs[0].id;
    const trace::Tensor& other = mul.inputs[0].id == a ? mul.inputs[1] : mul.inputs[0];
    std::vector<Load> reads{planner.whole(act.inputs[0]), planner.whole(other)};
    std::vector<Load> writes{planner.whole(mul.outputs[0])};
    const ElementCost ca = element_cost(act.kind), cm = element_cost(mul.kind);
    out.push_back(planner.stream_kernel(std::string(config::enum_name(act.kind)) + "_and_mul",
                                        reads, {}, writes,
                                        static_cast<double>(mul.rows.rows * mul.rows.cols),
                                        ElementCost{ca.flops + cm.flops, ca.sfu + cm.sfu}));
  }
};

}  // namespace

CIMSIM_REGISTER(FusionAxis, config::NoParams, "gated_activation",
                "act(gate) * up of a gated FFN as one elementwise kernel",
                [](const config::NoParams&) { return std::make_unique<GatedActivation>(); });

}  // namespace cimsim::vn
