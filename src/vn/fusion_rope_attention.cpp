// Fusion "rope_attention": RoPE of Q and K and the KV-cache append run inside the attention
// kernel, as flash-attn's flash_attn_with_kvcache does (rotary_cos / rotary_sin and k / v
// arguments: the new rows are rotated on load and appended to the cache by the kernel). The
// rotated Q and K never go to memory and the new K/V rows are read from the projections'
// outputs once. Applies when the machine's attention kernel can do it.
#include "cimsim/vn/fusion.hpp"
#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {
namespace {

class RopeAttention final : public FusionPattern {
 public:
  FusionMatch match(const OpWindow& w, const KernelPlanner& planner) const override {
    FusionMatch m;
    if (!planner.attention().fuses_rope_and_append()) {
      return m;
    }
    size_t i = 0;
    const trace::Op* rope = nullptr;
    const trace::Op* kv_write = nullptr;
    if (i < w.size() && w[i].kind == trace::OpKind::rope && w[i].inputs.size() == 2 &&
        w[i].outputs.size() == 2) {
      rope = &w[i++];
    }
    if (i < w.size() && w[i].kind == trace::OpKind::kv_write && w[i].inputs.size() == 2 &&
        w[i].outputs.size() == 2) {
      kv_write = &w[i++];
    }
    if ((rope == nullptr && kv_write == nullptr) || i >= w.size() ||
        w[i].kind != trace::OpKind::attention || w[i].inputs.size() < 3) {
      return m;
    }
    const trace::Op& att = w[i];
    if (rope != nullptr) {
      // Rotated Q feeds the attention; rotated K the append (or the attention); nothing else
      // reads them.
      const std::string& q = rope->outputs[0].id;
      const std::string& k = rope->outputs[1].id;
      bool k_used = kv_write != nullptr ? kv_write->inputs[0].id == k : att.inputs[1].id == k;
      if (att.inputs[0].id != q || !k_used || w.read_from(q, i + 1) || w.read_from(k, i + 1)) {
        return m;
      }
    }
    if (kv_write != nullptr && (att.inputs[1].id != kv_write->outputs[0].id ||
                                att.inputs[2].id != kv_write->outputs[1].id)) {
      return m;
    }
    m.ops = i + 1;
    m.anchor = i;
    return m;
  }

  void plan(const OpGroup& g, KernelPlanner& planner, std::vector<KernelPlan>& out) const override {
    AttentionFusion f;
    for (const auto& op : g.ops) {
      if (op.kind == trace::OpKind::rope) {
        f.rope = &op;
      } else if (op.kind == trace::OpKind::kv_write) {
        f.kv_write = &op;
      }
    }
    planner.plan_attention(g.ops[g.anchor], f, out);
  }
};

}  // namespace

CIMSIM_REGISTER(FusionAxis, config::NoParams, "rope_attention",
                "RoPE of Q and K and the KV-cache append inside the attention kernel "
                "(flash_attn_with_kvcache)",
                [](const config::NoParams&) { return std::make_unique<RopeAttention>(); });

}  // namespace cimsim::vn
