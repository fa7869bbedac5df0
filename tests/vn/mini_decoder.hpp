// A small hand-built decoder trace (GPT-2 style, pre-LN, learned positions) for tests that
// need repeated layers and decode steps: prefill of P tokens, then G-1 decode steps that
// append to and read the KV cache. Test-only; the real lowering lives in src/workload.
#pragma once

#include <string>
#include <vector>

#include "vn_test_util.hpp"

namespace cimsim::vn::test {

struct MiniDecoder {
  uint64_t layers = 2, d = 256, heads = 4, ff = 1024, vocab = 4096, prompt = 64, generate = 4;
};

inline trace::Op row_op(trace::OpKind kind, const std::string& name, int32_t layer, uint64_t rows,
                        uint64_t cols, std::vector<trace::Tensor> in,
                        std::vector<trace::Tensor> out) {
  trace::Op op;
  op.kind = kind;
  op.name = name;
  op.layer = layer;
  op.rows = trace::RowShape{rows, cols};
  op.flops = rows * cols * 4;
  op.inputs = std::move(in);
  op.outputs = std::move(out);
  return op;
}

inline std::vector<trace::Op> mini_decoder(const MiniDecoder& m, trace::TraceHeader& h) {
  using trace::TensorKind;
  std::vector<trace::Op> ops;
  const uint64_t dh = m.d / m.heads, max_len = m.prompt + m.generate;
  auto act = [](const std::string& id, uint64_t r, uint64_t c) {
    return tensor(id, TensorKind::activation, {r, c});
  };
  for (uint64_t step = 0; step < m.generate; ++step) {
    trace::Phase ph{step == 0 ? trace::PhaseKind::prefill : trace::PhaseKind::decode,
                    static_cast<uint32_t>(step)};
    uint64_t t = step == 0 ? m.prompt : 1, kv = step == 0 ? m.prompt : m.prompt + step;
    auto push = [&](trace::Op op) {
      op.phase = ph;
      ops.push_back(op);
    };
    for (uint64_t l = 0; l < m.layers; ++l) {
      std::string L = "L" + std::to_string(l) + ".";
      int32_t li = static_cast<int32_t>(l);
      auto gamma = tensor(L + "ln1.g", TensorKind::weight, {m.d});
      if (step == 0) h.weights.push_back(decl(gamma, li));
      push(row_op(trace::OpKind::layernorm, L + "ln1", li, t, m.d, {act("x", t, m.d), gamma},
                  {act("h", t, m.d)}));
      for (const char* p : {"q", "k", "v"}) {
        auto op = matmul(L + "attn." + p, t, m.d, m.d, h, "h", std::string(p) + "_new",
                         trace::DType::fp16, L + "attn." + p + ".w");
        op.layer = li;
        push(op);
      }
      trace::Op kvw;
      kvw.kind = trace::OpKind::kv_write;
      kvw.name = L + "kv_write";
      kvw.layer = li;
      kvw.attn = trace::AttentionShape{1, m.heads, m.heads, dh, t, kv, true};
      kvw.inputs = {act("k_new", t, m.d), act("v_new", t, m.d)};
      kvw.outputs = {tensor(L + "kv.k", TensorKind::kv_cache, {t, m.d}),
                     tensor(L + "kv.v", TensorKind::kv_cache, {t, m.d})};
      if (step == 0) {
        h.kv_caches.push_back(decl(tensor(L + "kv.k", TensorKind::kv_cache, {max_len, m.d}), li));
        h.kv_caches.push_back(decl(tensor(L + "kv.v", TensorKind::kv_cache, {max_len, m.d}), li));
      }
      push(kvw);
      trace::Op att;
      att.kind = trace::OpKind::attention;
      att.name = L + "attn";
      att.layer = li;
      att.attn = trace::AttentionShape{1, m.heads, m.heads, dh, t, kv, true};
      att.flops = 4 * m.heads * dh * att.attn.pairs();
      att.inputs = {act("q_new", t, m.d), tensor(L + "kv.k", TensorKind::kv_cache, {kv, m.d}),
                    tensor(L + "kv.v", TensorKind::kv_cache, {kv, m.d})};
      att.outputs = {act("ctx", t, m.d)};
      push(att);
      auto o = matmul(L + "attn.o", t, m.d, m.d, h, "ctx", "attn_out", trace::DType::fp16,
                      L + "attn.o.w");
      o.layer = li;
      push(o);
      push(row_op(trace::OpKind::add, L + "res1", li, t, m.d,
                  {act("x", t, m.d), act("attn_out", t, m.d)}, {act("x", t, m.d)}));
      auto g2 = tensor(L + "ln2.g", TensorKind::weight, {m.d});
      if (step == 0) h.weights.push_back(decl(g2, li));
      push(row_op(trace::OpKind::layernorm, L + "ln2", li, t, m.d, {act("x", t, m.d), g2},
                  {act("h", t, m.d)}));
      auto f1 =
          matmul(L + "mlp.fc1", t, m.ff, m.d, h, "h", "f", trace::DType::fp16, L + "mlp.fc1.w");
      f1.layer = li;
      push(f1);
      push(row_op(trace::OpKind::gelu, L + "gelu", li, t, m.ff, {act("f", t, m.ff)},
                  {act("g", t, m.ff)}));
      auto f2 = matmul(L + "mlp.fc2", t, m.d, m.ff, h, "g", "mlp_out", trace::DType::fp16,
                       L + "mlp.fc2.w");
      f2.layer = li;
      push(f2);
      push(row_op(trace::OpKind::add, L + "res2", li, t, m.d,
                  {act("x", t, m.d), act("mlp_out", t, m.d)}, {act("x", t, m.d)}));
    }
    auto head = matmul("lm_head", 1, m.vocab, m.d, h, "x", "logits", trace::DType::fp16, "wte");
    head.layer = static_cast<int32_t>(m.layers);
    push(head);
  }
  h.layers = static_cast<uint32_t>(m.layers);
  h.prompt = m.prompt;
  h.generate = m.generate;
  h.mode = "decoder";
  return ops;
}

}  // namespace cimsim::vn::test
