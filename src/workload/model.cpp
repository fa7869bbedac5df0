// The weights of a model: ids, shapes and layer, in the order the trace header lists them.
//
// Layouts: a linear layer's weight is [in, out] (the matmul's [k, n]), its bias [out];
// embedding tables are [rows, d_model]; norm gamma/beta are [d_model]. The tied LM head reads
// embed.tok ([vocab, d_model]) as its transpose. A mixture-of-experts layer has a router
// [d_model, experts] and, per expert j, the FFN weights L3.moe.e<j>.gate/.up/.down.
#include "cimsim/common/checked_math.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::workload {
namespace {

class WeightList {
 public:
  WeightList(trace::DType dtype, std::vector<trace::TensorDecl>& out) : dtype_(dtype), out_(out) {}

  void add(const std::string& id, std::vector<uint64_t> shape, int32_t layer,
           trace::TpRole tp = trace::TpRole::none) {
    uint64_t elements = 1;
    for (uint64_t s : shape) {
      elements = checked_mul(elements, s, "weight elements");
    }
    trace::TensorDecl d;
    d.id = id;
    d.kind = trace::TensorKind::weight;
    d.dtype = dtype_;
    d.shape = std::move(shape);
    d.bytes = trace::dtype_bytes(dtype_, elements);
    d.layer = layer;
    d.tp = tp;
    out_.push_back(std::move(d));
  }
  void norm(const ModelConfig& m, const std::string& prefix, int32_t layer) {
    add(prefix + ".gamma", {m.d_model}, layer);
    if (m.norm == Norm::layernorm) {
      add(prefix + ".beta", {m.d_model}, layer);
    }
  }
  // A column-parallel layer splits its bias with its columns; a row-parallel one adds its bias
  // once after the all-reduce, so every rank holds all of it (Megatron's RowParallelLinear).
  void linear(const std::string& id, uint64_t in, uint64_t out, int32_t layer, bool bias,
              trace::TpRole tp) {
    add(id, {in, out}, layer, tp);
    if (bias) {
      add(id + ".bias", {out}, layer,
          tp == trace::TpRole::column ? trace::TpRole::column : trace::TpRole::none);
    }
  }
  // One FFN's weights: `prefix`.gate (gated only), .up, .down.
  void ffn(const ModelConfig& m, const std::string& prefix, int32_t layer) {
    if (m.ffn == Ffn::gated) {
      linear(prefix + ".gate", m.d_model, m.d_ff, layer, m.bias, trace::TpRole::column);
    }
    linear(prefix + ".up", m.d_model, m.d_ff, layer, m.bias, trace::TpRole::column);
    linear(prefix + ".down", m.d_ff, m.d_model, layer, m.bias, trace::TpRole::row);
  }

 private:
  trace::DType dtype_;
  std::vector<trace::TensorDecl>& out_;
};

uint64_t elements(const trace::TensorDecl& d) {
  uint64_t n = 1;
  for (uint64_t s : d.shape) {
    n = checked_mul(n, s, "weight elements");
  }
  return n;
}

bool is_embedding_table(const std::string& id) {
  return id == "embed.tok" || id == "embed.pos" || id == "embed.type" || id == "lm_head";
}

}  // namespace

std::vector<trace::TensorDecl> model_weights(const ModelConfig& m, trace::DType dtype) {
  std::vector<trace::TensorDecl> out;
  WeightList w(dtype, out);
  const uint64_t d = m.d_model;
  const uint64_t q_width = checked_mul(m.heads, m.head_dim, "attention width");
  const uint64_t kv_width = checked_mul(m.kv_heads, m.head_dim, "attention width");

  w.add("embed.tok", {m.vocab, d}, -1);
  if (m.position == Position::learned) {
    w.add("embed.pos", {checked_add(m.max_context, m.position_offset, "position rows"), d}, -1);
  }
  if (m.type_vocab > 0) {
    w.add("embed.type", {m.type_vocab, d}, -1);
  }
  if (m.embedding_norm) {
    w.norm(m, "embed.norm", -1);
  }

  for (uint32_t i = 0; i < m.layers; ++i) {
    const std::string p = "L" + std::to_string(i);
    const auto layer = static_cast<int32_t>(i);
    w.norm(m, p + ".norm1", layer);
    const bool qkv_bias = m.bias || m.qkv_bias;
    w.linear(p + ".attn.q", d, q_width, layer, qkv_bias, trace::TpRole::column);
    w.linear(p + ".attn.k", d, kv_width, layer, qkv_bias, trace::TpRole::column);
    w.linear(p + ".attn.v", d, kv_width, layer, qkv_bias, trace::TpRole::column);
    w.linear(p + ".attn.o", q_width, d, layer, m.bias, trace::TpRole::row);
    w.norm(m, p + ".norm2", layer);
    if (m.experts == 0) {
      w.ffn(m, p + ".ffn", layer);
      continue;
    }
    // Every expert is declared: a CIM fabric must hold them all.
    w.linear(p + ".moe.router", d, m.experts, layer, m.bias, trace::TpRole::none);
    for (uint32_t e = 0; e < m.experts; ++e) {
      w.ffn(m, p + ".moe.e" + std::to_string(e), layer);
    }
  }

  const auto top = static_cast<int32_t>(m.layers);
  if (m.norm_placement == NormPlacement::pre) {
    w.norm(m, "final.norm", top);
  }
  if (!m.tie_embeddings) {
    w.add("lm_head", {d, m.vocab}, top, trace::TpRole::column);
  }
  return out;
}

ParameterCount count_parameters(const ModelConfig& m) {
  ParameterCount count;
  uint64_t experts = 0;  // parameters of every expert of every layer
  for (const auto& decl : model_weights(m, trace::DType::fp16)) {
    uint64_t n = elements(decl);
    count.total = checked_add(count.total, n, "parameter count");
    if (!is_embedding_table(decl.id)) {
      count.non_embedding = checked_add(count.non_embedding, n, "parameter count");
    }
    if (decl.id.find(".moe.e") != std::string::npos) {
      experts = checked_add(experts, n, "parameter count");
    }
  }
  // Experts are all the same size: a token uses experts_per_token of each layer's experts.
  uint64_t unused = m.experts > 0 ? experts / m.experts * (m.experts - m.experts_per_token) : 0;
  count.active = count.total - unused;
  return count;
}

}  // namespace cimsim::workload
