// Fusion "add_norm": a residual add and the norm of its sum as one kernel (TensorRT's
// skipLayerNorm plugin, vLLM's fused_add_rms_norm, TensorRT-LLM's residual + norm). It reads
// the add's two inputs and the norm's weights and writes the norm's output, and the sum too
// if a later op of the phase reads it (the residual stream of a pre-norm model); the sum is
// never read back from memory.
#include "cimsim/vn/fusion.hpp"
#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {
namespace {

class AddNorm final : public FusionPattern {
 public:
  FusionMatch match(const OpWindow& w, const KernelPlanner&) const override {
    FusionMatch m;
    if (w.size() < 2 || w[0].kind != trace::OpKind::add || w[0].inputs.size() != 2 ||
        w[0].outputs.empty() || !is_norm(w[1].kind) || w[1].inputs.empty() ||
        w[1].outputs.empty() || w[1].inputs[0].id != w[0].outputs[0].id ||
        w[1].rows.cols != w[0].rows.cols) {
      return m;
    }
    m.ops = 2;
    m.variant = w.read_from(w[0].outputs[0].id, 2) ? 1 : 0;  // the sum is written
    return m;
  }

  void plan(const OpGroup& g, KernelPlanner& planner, std::vector<KernelPlan>& out) const override {
    const trace::Op& add = g.ops[0];
    const trace::Op& norm = g.ops[1];
    std::vector<Load> reads{planner.whole(add.inputs[0]), planner.whole(add.inputs[1])};
    std::vector<Load> bcast;
    for (size_t i = 1; i < norm.inputs.size(); ++i) {
      bcast.push_back(planner.whole(norm.inputs[i]));  // gamma, beta
    }
    std::vector<Load> writes{planner.whole(norm.outputs[0])};
    if (g.variant == 1) {
      writes.push_back(planner.whole(add.outputs[0]));
    }
    const ElementCost ca = element_cost(add.kind), cn = element_cost(norm.kind);
    const double add_elems = static_cast<double>(add.rows.rows * add.rows.cols);
    const double norm_elems = static_cast<double>(norm.rows.rows * norm.rows.cols);
    // Costs per element of the add; the norm may cover fewer rows (the last position only).
    const double share = add_elems > 0 ? norm_elems / add_elems : 0;
    out.push_back(planner.stream_kernel(
        std::string("add_") + config::enum_name(norm.kind), reads, bcast, writes, add_elems,
        ElementCost{ca.flops + share * cn.flops, ca.sfu + share * cn.sfu}));
  }
};

}  // namespace

CIMSIM_REGISTER(FusionAxis, config::NoParams, "add_norm",
                "a residual add and the norm of its sum as one kernel",
                [](const config::NoParams&) { return std::make_unique<AddNorm>(); });

}  // namespace cimsim::vn
