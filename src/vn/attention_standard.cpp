// Attention kernel "standard": S = QK^T as a batched GEMM writing S, P = softmax(S) reading S
// and writing P, O = PV reading P: Theta(Nd + N^2) memory traffic (Dao et al. 2022,
// Theorem 2). Grouped-query heads read their shared K/V head through L2.
#include <algorithm>

#include "attention_common.hpp"
#include "cimsim/vn/attention_kernel.hpp"
#include "cimsim/vn/config.hpp"

namespace cimsim::vn {
namespace {

class StandardAttention final : public AttentionKernel {
 public:
  void plan(const trace::Op& op, const AttentionFusion& fused, KernelPlanner& planner,
            std::vector<KernelPlan>& out) const override;
};

void StandardAttention::plan(const trace::Op& op, const AttentionFusion& /*fused*/,
                             KernelPlanner& planner, std::vector<KernelPlan>& out) const {
  AddressMap& map = planner.map();
  const trace::AttentionShape a = op.attn;
  const uint64_t batch = std::max<uint64_t>(1, a.batch), heads = std::max<uint64_t>(1, a.heads);
  const uint64_t kvh = std::max<uint64_t>(1, a.kv_heads),
                 group = std::max<uint64_t>(1, heads / kvh);
  // Keys before a sliding window's reach (first_key) are neither read nor computed.
  const uint64_t d = a.head_dim, nq = a.q_len, nk = a.keys(), k0 = a.first_key();
  const trace::DType dt = op.inputs[0].dtype;
  const uint32_t e = elem_bytes(dt);
  const HeadLayout q = head_layout(map, op.inputs[0], a, heads, nq);
  const HeadLayout kk = head_layout(map, op.inputs[1], a, kvh, a.kv_len);
  const HeadLayout vv = head_layout(map, op.inputs[2], a, kvh, a.kv_len);
  const HeadLayout o = head_layout(map, op.outputs[0], a, heads, nq);
  const uint64_t s_bytes = batch * heads * nq * nk * e;
  const TensorLoc s = map.scratch("attn.S", s_bytes);
  const TensorLoc p = map.scratch("attn.P", s_bytes);
  const uint64_t per_s = nq * nk * e;

  KernelPlanner::Gemm qk;  // S = Q K^T: B is K stored [N = keys, K = d]
  qk.name = "attn_qk";
  qk.op_name = op.name;
  qk.batch = batch * heads;
  qk.m = nq;
  qk.n = nk;
  qk.k = d;
  qk.dtype = dt;
  qk.a_bytes = qk.b_bytes = qk.c_bytes = e;
  qk.a_tensor = q.tensor;
  qk.b_tensor = kk.tensor;
  qk.c_tensor = s.index;
  qk.a_base = [q, heads](uint64_t bh) { return q.at(bh / heads, bh % heads, 0); };
  qk.b_base = [kk, heads, group, k0](uint64_t bh) {
    return kk.at(bh / heads, (bh % heads) / group, k0);
  };
  qk.c_base = [s, per_s](uint64_t bh) { return s.base + bh * per_s; };
  planner.plan_gemm(qk, out);

  std::vector<Load> reads{Load{s.base, s_bytes, s.index}};
  std::vector<Load> writes{Load{p.base, s_bytes, p.index}};
  out.push_back(planner.stream_kernel("attn_softmax", reads, {}, writes,
                                      static_cast<double>(batch * heads * nq * nk),
                                      element_cost(trace::OpKind::softmax)));

  KernelPlanner::Gemm pv;  // O = P V: B is V [K = keys, N = d], read as one band per head
  pv.name = "attn_pv";
  pv.op_name = op.name;
  pv.batch = batch * heads;
  pv.m = nq;
  pv.n = d;
  pv.k = nk;
  pv.dtype = dt;
  pv.a_bytes = pv.b_bytes = pv.c_bytes = e;
  pv.a_tensor = p.index;
  pv.b_tensor = vv.tensor;
  pv.c_tensor = o.tensor;
  pv.a_base = [p, per_s](uint64_t bh) { return p.base + bh * per_s; };
  pv.b_base = [vv, heads, group, k0](uint64_t bh) {
    return vv.at(bh / heads, (bh % heads) / group, k0);
  };
  pv.c_base = [o, heads](uint64_t bh) { return o.at(bh / heads, bh % heads, 0); };
  planner.plan_gemm(pv, out);
}

}  // namespace

CIMSIM_REGISTER(AttentionAxis, config::NoParams, "standard",
                "three kernels: S = QK^T (GEMM), P = softmax(S), O = PV (GEMM); S and P "
                "through memory",
                [](const config::NoParams&) { return std::make_unique<StandardAttention>(); });

}  // namespace cimsim::vn
