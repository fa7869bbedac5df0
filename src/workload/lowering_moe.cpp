// The mixture-of-experts FFN of a layer (Mixtral's sparse MoE block):
//
//   L3.moe.router   matmul x[rows, d] x W[d, experts] -> logits
//   L3.moe.route    moe_route: softmax over the experts, top-k, the k weights renormalised,
//                   and each expert's tokens gathered into L3.moe.e<j>.in [n_j, d]
//   L3.moe.e<j>.*   the FFN of every expert j that received n_j > 0 tokens (ascending j)
//   L3.moe.combine  moe_combine: each token's k expert outputs scaled and summed -> [B, q, d]
//
// n_j comes from the expert router (routing.hpp), so the trace fixes the routing for every
// machine. A GPU reads only these experts' weights (one GEMM set per expert; grouped GEMM in
// one kernel would be a refinement of the machine, not of the trace).
#include "lowering.hpp"

namespace cimsim::workload::detail {

using trace::DType;
using trace::Op;
using trace::OpKind;
using trace::Tensor;

Tensor Lowering::moe_ffn(std::vector<Op>& out, const std::string& p, uint32_t index,
                         const Tensor& x) {
  const ModelConfig& m = w_.model;
  const auto layer = static_cast<int32_t>(index);
  const uint64_t batch = w_.run.batch, q = plan_.q, d = m.d_model, e = m.experts,
                 k = m.experts_per_token;
  const std::string moe = p + ".moe";

  Tensor logits = linear(out, moe + ".router", moe + ".router", layer, x, rows_, d, e,
                         {batch, q, e}, trace::TpRole::none);

  std::vector<uint64_t> tokens(e, rows_);  // bound_only: every expert sees every token
  if (!bound_only_) {
    tokens = router_.counts(index, plan_.first_position(), plan_.kv_len);
  }
  Op& route = emit(out, OpKind::moe_route, moe + ".route", layer);
  route.rows = {rows_, e};
  // Per token: softmax over the experts (5 each), top-k by k passes of compares (k each),
  // the k chosen weights summed and divided by the sum (2 each).
  route.flops = add(mul(add(kSoftmaxFlops, k), rows_, e), mul(2, k, rows_));
  route.inputs = {logits, x};
  route.outputs = {activation(moe + ".route.weights", {batch, q, k}),
                   activation(moe + ".route.experts", {batch, q, k}, DType::int32)};
  for (uint64_t j = 0; j < e; ++j) {
    if (tokens[j] > 0) {
      route.outputs.push_back(activation(moe + ".e" + std::to_string(j) + ".in", {tokens[j], d}));
    }
  }
  // `route` is an element of `out`, which the expert ops below may reallocate: copy first.
  const std::vector<Tensor> routed = route.outputs;

  std::vector<Tensor> combine_in = {routed[0], routed[1]};
  size_t next_input = 2;
  for (uint64_t j = 0; j < e; ++j) {
    if (tokens[j] == 0) {
      continue;
    }
    combine_in.push_back(ffn(out, moe + ".e" + std::to_string(j), layer, routed[next_input++],
                             tokens[j], d, m.d_ff, {tokens[j]}));
  }

  Op& combine = emit(out, OpKind::moe_combine, moe + ".combine", layer);
  const uint64_t routed_rows = mul(rows_, k);
  combine.rows = {routed_rows, d};
  // Each routed row is scaled by its weight and added into its token's output row.
  combine.flops = mul(2, routed_rows, d);
  combine.inputs = std::move(combine_in);
  combine.outputs = {activation(moe + ".combine.out", {batch, q, d})};
  return combine.outputs.front();
}

}  // namespace cimsim::workload::detail
