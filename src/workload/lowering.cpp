// Lowering: a Workload becomes its operation trace, generated lazily one block at a time.
//
// A phase (prefill, one decode step, the encoder pass, one ENTP step) is lowered as blocks:
// the embedding (layer -1), each Transformer layer, and the final block (final norm and LM
// head, layer n_layers). Only the current block's ops (a few dozen) are ever held, so memory
// is flat however many steps the trace has. docs/trace-format.md describes every op; the FLOP
// constants below are the documented per-element conventions.
//
// Not modelled: dropout (inference), the attention scale 1/sqrt(head_dim) (foldable into
// W_q), masking (masked pairs are skipped; a sliding window's keys outside it are not even
// read), sampling, detokenisation, BERT's pooler and MLM head, and RoPE's sin/cos tables
// (precomputed; RoPE scaling only changes those tables).
#include "lowering.hpp"

#include "cimsim/common/error.hpp"

namespace cimsim::workload {
namespace detail {

using trace::DType;
using trace::Op;
using trace::OpKind;
using trace::PhaseKind;
using trace::Tensor;
using trace::TensorKind;

namespace {
uint64_t elements(const std::vector<uint64_t>& shape) {
  uint64_t n = 1;
  for (uint64_t s : shape) {
    n = mul(n, s);
  }
  return n;
}
}  // namespace

uint64_t Lowering::ffn_op_count() const {
  return w_.model.ffn == Ffn::gated ? 5 : 3;
}

uint64_t Lowering::ops_in_phase(const PhasePlan& p, ExpertRouter* router) const {
  const Workload& w = w_;
  uint64_t layer_ops = 2 /*norms*/ + 3 /*q k v*/ + 1 /*o*/ + 2 /*adds*/;
  layer_ops += w.model.position == Position::rope ? 1 : 0;
  layer_ops += decoder() ? 1 : 0;                                                      // kv_write
  layer_ops += w.run.attention == AttentionForm::fused ? 1 : 3 + (decoder() ? 1 : 0);  // kv_read
  uint64_t layers_ops = 0;
  if (!moe()) {
    layers_ops = mul(w.model.layers, add(layer_ops, ffn_op_count()));
  } else {
    // Router, moe_route and moe_combine, and one FFN per expert that received tokens.
    layers_ops = mul(w.model.layers, add(layer_ops, 3));
    uint64_t expert_ffns = 0;
    if (router == nullptr) {
      expert_ffns = mul(w.model.layers, w.model.experts);
    } else {
      for (uint32_t l = 0; l < w.model.layers; ++l) {
        for (uint64_t n : router->counts(l, p.first_position(), p.kv_len)) {
          expert_ffns += n > 0 ? 1 : 0;
        }
      }
    }
    layers_ops = add(layers_ops, mul(expert_ffns, ffn_op_count()));
  }
  uint64_t embed = 1 + (w.model.embedding_norm ? 1 : 0);
  uint64_t final_ops = (w.model.norm_placement == NormPlacement::pre ? 1 : 0) + (lm_head() ? 1 : 0);
  return add(add(embed, layers_ops), final_ops);
}

Lowering::Lowering(const Workload& w, bool bound_only)
    : w_(w), bound_only_(bound_only), router_(w) {
  const RunSettings& r = w_.run;
  if (r.mode == Mode::encoder) {
    w_.run.generate = 0;
  }
  phase_count_ = r.mode == Mode::encoder ? 1 : r.generate;

  header_.model = w_.name;
  header_.mode = config::enum_name(r.mode);
  header_.batch = r.batch;
  header_.prompt = r.prompt;
  header_.generate = w_.run.generate;
  header_.layers = w_.model.layers;
  header_.workload = workload_json(w_);
  for (auto& d : model_weights(w_.model, w_.dtypes.weights)) {
    if (d.id == "lm_head" && !lm_head()) {
      continue;
    }
    header_.weights.push_back(std::move(d));
  }
  if (decoder()) {
    // The cache holds every position that is fed in: the prompt and G-1 generated tokens.
    uint64_t positions = add(r.prompt, r.generate - 1);
    for (uint32_t i = 0; i < w_.model.layers; ++i) {
      for (const char* which : {"k", "v"}) {
        trace::TensorDecl d;
        d.id = "L" + std::to_string(i) + ".kv." + which;
        d.kind = TensorKind::kv_cache;
        d.dtype = w_.dtypes.kv_cache;
        d.shape = {r.batch, positions, w_.model.kv_heads, w_.model.head_dim};
        d.bytes = trace::dtype_bytes(d.dtype, elements(d.shape));
        d.layer = static_cast<int32_t>(i);
        header_.kv_caches.push_back(std::move(d));
      }
    }
  }
  if (!moe() || bound_only_) {
    header_.op_count = mul(phase_count_, ops_in_phase(plan(0), nullptr));
  } else {
    // The op count depends on which experts receive tokens: route every phase once (with a
    // router of its own, so that the lowering's prefix counts start afresh).
    ExpertRouter counting(w_);
    for (uint64_t i = 0; i < phase_count_; ++i) {
      header_.op_count = add(header_.op_count, ops_in_phase(plan(i), &counting));
    }
  }
  for (const auto& d : header_.weights) {
    decls_.emplace(d.id, d);
  }
  for (const auto& d : header_.kv_caches) {
    decls_.emplace(d.id, d);
  }
}

PhasePlan Lowering::plan(uint64_t i) const {
  const uint64_t prompt = w_.run.prompt;
  PhasePlan p;
  switch (w_.run.mode) {
    case Mode::decoder:
      if (i == 0) {
        p.phase = {PhaseKind::prefill, 0};
        p.q = p.kv_len = prompt;
      } else {
        // Decode step i feeds generated token i (position P+i-1) and yields token i+1.
        p.phase = {PhaseKind::decode, static_cast<uint32_t>(i)};
        p.q = 1;
        p.kv_len = add(prompt, i);
      }
      break;
    case Mode::encoder:
      p.phase = {PhaseKind::encode, 0};
      p.q = p.kv_len = prompt;
      break;
    case Mode::entp:
      // ENTP step i+1 runs over the whole prefix: the prompt and the i tokens so far.
      p.phase = {PhaseKind::entp, static_cast<uint32_t>(i + 1)};
      p.q = p.kv_len = add(prompt, i);
      break;
  }
  return p;
}

bool Lowering::next(Op& op) {
  while (buffer_pos_ == buffer_.size()) {
    if (phase_index_ == phase_count_) {
      return false;
    }
    buffer_.clear();
    buffer_pos_ = 0;
    lower_block(plan(phase_index_), block_index_, buffer_);
    if (++block_index_ == blocks_per_phase()) {
      block_index_ = 0;
      ++phase_index_;
    }
  }
  op = std::move(buffer_[buffer_pos_++]);
  return true;
}

void Lowering::lower_block(const PhasePlan& p, uint32_t block, std::vector<Op>& out) {
  plan_ = p;
  rows_ = mul(w_.run.batch, p.q);
  if (block == 0) {
    embedding(out);
  } else if (block <= w_.model.layers) {
    layer(out, block - 1);
  } else {
    final_block(out);
  }
}

// ---- tensors and ops -------------------------------------------------------------------

Op& Lowering::emit(std::vector<Op>& out, OpKind kind, std::string name, int32_t layer) {
  Op& op = out.emplace_back();
  op.id = next_id_++;
  op.kind = kind;
  op.name = std::move(name);
  op.layer = layer;
  op.phase = plan_.phase;
  return op;
}

Tensor Lowering::activation(std::string id, std::vector<uint64_t> shape) const {
  return activation(std::move(id), std::move(shape), w_.dtypes.activations);
}

Tensor Lowering::activation(std::string id, std::vector<uint64_t> shape, DType dtype) const {
  Tensor t;
  t.id = std::move(id);
  t.kind = TensorKind::activation;
  t.dtype = dtype;
  t.bytes = trace::dtype_bytes(t.dtype, elements(shape));
  t.shape = std::move(shape);
  return t;
}

Tensor Lowering::weight(const std::string& id) const {
  const trace::TensorDecl& d = decls_.at(id);
  Tensor t;
  t.id = d.id;
  t.kind = d.kind;
  t.dtype = d.dtype;
  t.shape = d.shape;
  t.bytes = d.bytes;
  return t;
}

Tensor Lowering::cache(const std::string& id, uint64_t batch, uint64_t positions) const {
  const ModelConfig& m = w_.model;
  return part(weight(id), mul(batch, positions, m.kv_heads, m.head_dim));
}

Tensor Lowering::part(Tensor t, uint64_t n) {
  t.bytes = trace::dtype_bytes(t.dtype, n);
  return t;
}

Tensor Lowering::norm(std::vector<Op>& out, const std::string& name, int32_t layer,
                      const Tensor& in, uint64_t rows, std::vector<uint64_t> out_shape) {
  const uint64_t d = w_.model.d_model;
  const bool ln = w_.model.norm == Norm::layernorm;
  Op& op = emit(out, ln ? OpKind::layernorm : OpKind::rmsnorm, name, layer);
  op.rows = {rows, d};
  op.flops = mul(ln ? kLayerNormFlops : kRmsNormFlops, rows, d);
  op.inputs = {part(in, mul(rows, d)), weight(name + ".gamma")};
  if (ln) {
    op.inputs.push_back(weight(name + ".beta"));
  }
  op.outputs = {activation(name + ".out", std::move(out_shape))};
  return op.outputs.front();
}

Tensor Lowering::linear(std::vector<Op>& out, const std::string& name, const std::string& weight_id,
                        int32_t layer, const Tensor& in, uint64_t rows, uint64_t k, uint64_t n,
                        std::vector<uint64_t> out_shape, trace::TpRole tp) {
  // The model's weight list decides which linear layers have a bias (model.cpp).
  const bool bias = decls_.count(weight_id + ".bias") > 0;
  Op& op = emit(out, OpKind::matmul, name, layer);
  op.mm = {1, rows, n, k};
  op.tp = tp;
  op.flops = add(mul(2, rows, n, k), bias ? mul(rows, n) : 0);
  op.inputs = {part(in, mul(rows, k)), weight(weight_id)};
  if (bias) {
    op.inputs.push_back(weight(weight_id + ".bias"));
  }
  op.outputs = {activation(name + ".out", std::move(out_shape))};
  return op.outputs.front();
}

Tensor Lowering::elementwise(std::vector<Op>& out, OpKind kind, const std::string& name,
                             int32_t layer, const std::vector<Tensor>& in, uint64_t rows,
                             uint64_t cols) {
  uint64_t per_element = kAddFlops;
  if (kind == OpKind::gelu) {
    per_element = kGeluFlops;
  }
  if (kind == OpKind::silu) {
    per_element = kSiluFlops;
  }
  if (kind == OpKind::relu) {
    per_element = kReluFlops;
  }
  Op& op = emit(out, kind, name, layer);
  op.rows = {rows, cols};
  op.flops = mul(per_element, rows, cols);
  op.inputs = in;
  op.outputs = {activation(name + ".out", in.front().shape)};
  return op.outputs.front();
}

// ---- blocks ----------------------------------------------------------------------------

void Lowering::embedding(std::vector<Op>& out) {
  const ModelConfig& m = w_.model;
  const uint64_t batch = w_.run.batch, q = plan_.q, d = m.d_model;
  Op& op = emit(out, OpKind::embedding, "embed", -1);
  op.rows = {rows_, d};
  Tensor tokens;
  tokens.id = "tokens";
  tokens.kind = TensorKind::activation;
  tokens.dtype = DType::int32;
  tokens.shape = {batch, q};
  tokens.bytes = trace::dtype_bytes(DType::int32, rows_);
  // Bytes are the rows gathered: one token row per token, one position row per position
  // (shared by the sequences of the batch), one token-type row (single-segment input).
  op.inputs = {tokens, part(weight("embed.tok"), mul(rows_, d))};
  uint64_t tables = 1;
  if (m.position == Position::learned) {
    op.inputs.push_back(part(weight("embed.pos"), mul(q, d)));
    ++tables;
  }
  if (m.type_vocab > 0) {
    op.inputs.push_back(part(weight("embed.type"), d));
    ++tables;
  }
  op.flops = mul(tables - 1, kAddFlops, rows_, d);
  op.outputs = {activation("embed.out", {batch, q, d})};
  x_ = op.outputs.front();
  if (m.embedding_norm) {
    x_ = norm(out, "embed.norm", -1, x_, rows_, {batch, q, d});
  }
}

Tensor Lowering::attention(std::vector<Op>& out, const std::string& p, int32_t layer,
                           const Tensor& x, uint64_t heads, uint64_t kv_heads) {
  const ModelConfig& m = w_.model;
  const uint64_t batch = w_.run.batch, q = plan_.q, kv = plan_.kv_len, d = m.d_model;
  const uint64_t q_width = mul(heads, m.head_dim), kv_width = mul(kv_heads, m.head_dim);
  // Q, K and V (and RoPE) are token-parallel: one matmul over every row of the phase.
  const auto column = trace::TpRole::column;
  Tensor tq = linear(out, p + ".attn.q", p + ".attn.q", layer, x, rows_, d, q_width,
                     {batch, q, q_width}, column);
  Tensor tk = linear(out, p + ".attn.k", p + ".attn.k", layer, x, rows_, d, kv_width,
                     {batch, q, kv_width}, column);
  Tensor tv = linear(out, p + ".attn.v", p + ".attn.v", layer, x, rows_, d, kv_width,
                     {batch, q, kv_width}, column);

  if (m.position == Position::rope) {
    Op& op = emit(out, OpKind::rope, p + ".rope", layer);
    op.rows = {rows_, add(q_width, kv_width)};
    op.flops = mul(kRopeFlops, rows_, op.rows.cols);
    op.inputs = {tq, tk};
    op.outputs = {activation(p + ".rope.q", tq.shape), activation(p + ".rope.k", tk.shape)};
    tq = op.outputs[0];
    tk = op.outputs[1];
  }
  if (!groups_.empty()) {
    return ragged_attention(out, p, layer, tq, tk, tv, heads, kv_heads);
  }
  return attention_core(out, p, layer, tq, tk, tv, heads, kv_heads, batch, q, kv);
}

Tensor Lowering::attention_core(std::vector<Op>& out, const std::string& p, int32_t layer,
                                const Tensor& tq, const Tensor& tk, const Tensor& tv,
                                uint64_t heads, uint64_t kv_heads, uint64_t batch, uint64_t q,
                                uint64_t kv) {
  const ModelConfig& m = w_.model;
  const uint64_t q_width = mul(heads, m.head_dim);
  trace::AttentionShape shape;
  shape.batch = batch;
  shape.heads = heads;
  shape.kv_heads = kv_heads;
  shape.head_dim = m.head_dim;
  shape.q_len = q;
  shape.kv_len = kv;
  shape.causal = decoder();
  // A sliding window limits causal attention; bidirectional passes (encoder, ENTP) see all.
  shape.window = decoder() ? m.sliding_window : 0;
  const uint64_t keys_read = shape.keys();  // the keys any query sees: the rest is not read
  const uint64_t pairs = mul(batch, heads, shape.pairs());  // over sequences and heads

  Tensor keys = tk, values = tv;
  if (decoder()) {
    Op& op = emit(out, OpKind::kv_write, p + ".kv_write", layer);
    op.attn = shape;
    op.inputs = {tk, tv};
    op.outputs = {cache(p + ".kv.k", batch, q), cache(p + ".kv.v", batch, q)};
    keys = cache(p + ".kv.k", batch, keys_read);
    values = cache(p + ".kv.v", batch, keys_read);
  }

  if (w_.run.attention == AttentionForm::fused) {
    Op& op = emit(out, OpKind::attention, p + ".attn", layer);
    op.attn = shape;
    op.flops = mul(pairs, add(mul(4, m.head_dim), kSoftmaxFlops));
    op.inputs = {tq, keys, values};
    op.outputs = {activation(p + ".attn.out", {batch, q, q_width})};
    return op.outputs.front();
  }

  if (decoder()) {
    Op& op = emit(out, OpKind::kv_read, p + ".kv_read", layer);
    op.attn = shape;
    op.inputs = {keys, values};
    op.outputs = {activation(p + ".kv_read.k", {batch, keys_read, kv_heads, m.head_dim}),
                  activation(p + ".kv_read.v", {batch, keys_read, kv_heads, m.head_dim})};
    keys = op.outputs[0];
    values = op.outputs[1];
  }
  // Grouped-query heads share their K/V head: the operands are read once, not per head.
  Op& qk = emit(out, OpKind::batched_matmul, p + ".attn.qk", layer);
  qk.mm = {mul(batch, heads), q, keys_read, m.head_dim};
  qk.flops = mul(2, pairs, m.head_dim);
  qk.inputs = {tq, keys};
  qk.outputs = {activation(p + ".attn.qk.out", {batch, heads, q, keys_read})};
  Tensor scores = qk.outputs.front();

  Op& sm = emit(out, OpKind::softmax, p + ".attn.softmax", layer);
  sm.rows = {mul(batch, heads, q), keys_read};
  sm.flops = mul(kSoftmaxFlops, pairs);
  sm.inputs = {scores};
  sm.outputs = {activation(p + ".attn.softmax.out", scores.shape)};
  Tensor probs = sm.outputs.front();

  Op& pv = emit(out, OpKind::batched_matmul, p + ".attn.pv", layer);
  pv.mm = {mul(batch, heads), q, m.head_dim, keys_read};
  pv.flops = mul(2, pairs, m.head_dim);
  pv.inputs = {probs, values};
  pv.outputs = {activation(p + ".attn.pv.out", {batch, q, q_width})};
  return pv.outputs.front();
}

Tensor Lowering::ffn(std::vector<Op>& out, const std::string& prefix, int32_t layer,
                     const Tensor& x, uint64_t rows, uint64_t d, uint64_t f,
                     const std::vector<uint64_t>& lead) {
  const ModelConfig& m = w_.model;
  OpKind act = OpKind::gelu;
  if (m.activation == Activation::relu) {
    act = OpKind::relu;
  }
  if (m.activation == Activation::silu) {
    act = OpKind::silu;
  }
  std::vector<uint64_t> wide = lead, narrow = lead;
  wide.push_back(f);
  narrow.push_back(d);
  Tensor hidden;
  if (m.ffn == Ffn::gated) {
    Tensor gate = linear(out, prefix + ".gate", prefix + ".gate", layer, x, rows, d, f, wide,
                         trace::TpRole::column);
    Tensor up = linear(out, prefix + ".up", prefix + ".up", layer, x, rows, d, f, wide,
                       trace::TpRole::column);
    Tensor a = elementwise(out, act, prefix + ".act", layer, {gate}, rows, f);
    hidden = elementwise(out, OpKind::mul, prefix + ".mul", layer, {a, up}, rows, f);
  } else {
    Tensor up = linear(out, prefix + ".up", prefix + ".up", layer, x, rows, d, f, wide,
                       trace::TpRole::column);
    hidden = elementwise(out, act, prefix + ".act", layer, {up}, rows, f);
  }
  return linear(out, prefix + ".down", prefix + ".down", layer, hidden, rows, f, d, narrow,
                trace::TpRole::row);
}

void Lowering::layer(std::vector<Op>& out, uint32_t index) {
  const ModelConfig& m = w_.model;
  const std::string p = "L" + std::to_string(index);
  const auto layer = static_cast<int32_t>(index);
  const uint64_t d = m.d_model, q_width = mul(m.heads, m.head_dim);
  const std::vector<uint64_t> hidden = {w_.run.batch, plan_.q, d};
  const Tensor x = x_;
  auto feed_forward = [&](const Tensor& in) {
    return moe() ? moe_ffn(out, p, index, in)
                 : ffn(out, p + ".ffn", layer, in, rows_, d, m.d_ff, {w_.run.batch, plan_.q});
  };
  auto residual = [&](const std::string& name, const Tensor& a, const Tensor& b) {
    return elementwise(out, OpKind::add, name, layer, {a, b}, rows_, d);
  };
  if (m.norm_placement == NormPlacement::pre) {
    Tensor h = norm(out, p + ".norm1", layer, x, rows_, hidden);
    Tensor a = attention(out, p, layer, h, m.heads, m.kv_heads);
    Tensor o = linear(out, p + ".attn.o", p + ".attn.o", layer, a, rows_, q_width, d, hidden,
                      trace::TpRole::row);
    Tensor x1 = residual(p + ".add1", x, o);
    Tensor h2 = norm(out, p + ".norm2", layer, x1, rows_, hidden);
    x_ = residual(p + ".add2", x1, feed_forward(h2));
  } else {
    Tensor a = attention(out, p, layer, x, m.heads, m.kv_heads);
    Tensor o = linear(out, p + ".attn.o", p + ".attn.o", layer, a, rows_, q_width, d, hidden,
                      trace::TpRole::row);
    Tensor x1 = residual(p + ".add1", x, o);
    Tensor h1 = norm(out, p + ".norm1", layer, x1, rows_, hidden);
    Tensor x2 = residual(p + ".add2", h1, feed_forward(h1));
    x_ = norm(out, p + ".norm2", layer, x2, rows_, hidden);
  }
}

void Lowering::final_block(std::vector<Op>& out) {
  const ModelConfig& m = w_.model;
  // A ragged iteration needs logits for the sequences that emit a token only.
  const uint64_t batch = logits_rows_ > 0 ? logits_rows_ : w_.run.batch, d = m.d_model;
  const auto top = static_cast<int32_t>(m.layers);
  // Logits are needed at the last position of each sequence only; the encoder keeps every
  // position's final hidden state.
  const uint64_t rows = lm_head() ? batch : rows_;
  const uint64_t positions = lm_head() ? 1 : plan_.q;
  if (m.norm_placement == NormPlacement::pre) {
    x_ = norm(out, "final.norm", top, x_, rows, {batch, positions, d});
  }
  if (lm_head()) {
    linear(out, "lm_head", m.tie_embeddings ? "embed.tok" : "lm_head", top, x_, rows, d, m.vocab,
           {batch, 1, m.vocab}, trace::TpRole::column);
  }
}

void check_sizes(const Workload& w) {
  Lowering lowering(w, true);
  if (lowering.phase_count() == 0) {
    return;
  }
  std::vector<Op> scratch;
  for (uint64_t phase : {uint64_t{0}, lowering.phase_count() - 1}) {
    PhasePlan p = lowering.plan(phase);
    for (uint32_t b = 0; b < lowering.blocks_per_phase(); ++b) {
      scratch.clear();
      lowering.lower_block(p, b, scratch);
    }
  }
}

uint64_t count_ops(const Workload& w) {
  return Lowering(w, true).header().op_count;
}

}  // namespace detail

std::unique_ptr<trace::OpSource> lower(const Workload& w) {
  detail::validate(w);
  return std::make_unique<detail::Lowering>(w);
}

}  // namespace cimsim::workload
