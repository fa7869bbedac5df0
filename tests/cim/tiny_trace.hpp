// Hand-built traces of small GPT-style models for the CIM tests, following the trace contract
// (docs/trace-format.md: op names, tensor ids, phases, kv_write before attention, the LM head
// on the last position). Independent of the lowering so the fabric's tests stand alone.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cimsim/trace/source.hpp"
#include "support/vector_source.hpp"

namespace cimsim::test {

struct TinyModel {
  uint32_t layers = 2;
  uint64_t d = 256, heads = 4, kv_heads = 4, head_dim = 64, d_ff = 1024, vocab = 1000;
};
enum class TinyMode { decoder, encoder, entp };
struct TinyRun {
  TinyMode mode = TinyMode::decoder;
  uint64_t prompt = 16, generate = 4, batch = 1;
};

class TinyTrace {
 public:
  TinyTrace(TinyModel m, TinyRun r) : m_(m), r_(r) {}

  std::unique_ptr<VectorSource> source() const {
    return std::make_unique<VectorSource>(header(), ops());
  }

  trace::TraceHeader header() const {
    trace::TraceHeader h;
    h.model = "tiny";
    h.mode = r_.mode == TinyMode::decoder   ? "decoder"
             : r_.mode == TinyMode::encoder ? "encoder"
                                            : "entp";
    h.batch = r_.batch;
    h.prompt = r_.prompt;
    h.generate = r_.mode == TinyMode::encoder ? 0 : r_.generate;
    h.layers = m_.layers;
    h.weights.push_back(decl("embed.tok", {m_.vocab, m_.d}, -1));
    h.weights.push_back(decl("embed.pos", {4096, m_.d}, -1));
    for (uint32_t l = 0; l < m_.layers; ++l) {
      std::string p = "L" + std::to_string(l);
      int32_t li = static_cast<int32_t>(l);
      h.weights.push_back(decl(p + ".norm1.gamma", {m_.d}, li));
      h.weights.push_back(decl(p + ".attn.q", {m_.d, m_.heads * m_.head_dim}, li));
      h.weights.push_back(decl(p + ".attn.k", {m_.d, m_.kv_heads * m_.head_dim}, li));
      h.weights.push_back(decl(p + ".attn.v", {m_.d, m_.kv_heads * m_.head_dim}, li));
      h.weights.push_back(decl(p + ".attn.o", {m_.heads * m_.head_dim, m_.d}, li));
      h.weights.push_back(decl(p + ".norm2.gamma", {m_.d}, li));
      h.weights.push_back(decl(p + ".ffn.up", {m_.d, m_.d_ff}, li));
      h.weights.push_back(decl(p + ".ffn.down", {m_.d_ff, m_.d}, li));
      if (r_.mode == TinyMode::decoder) {
        uint64_t len = r_.prompt + r_.generate - 1;
        auto k = decl(p + ".kv.k", {r_.batch, len, m_.kv_heads, m_.head_dim}, li);
        k.kind = trace::TensorKind::kv_cache;
        auto v = k;
        v.id = p + ".kv.v";
        h.kv_caches.push_back(k);
        h.kv_caches.push_back(v);
      }
    }
    h.weights.push_back(decl("final.norm.gamma", {m_.d}, static_cast<int32_t>(m_.layers)));
    return h;
  }

  std::vector<trace::Op> ops() const {
    std::vector<trace::Op> out;
    if (r_.mode == TinyMode::decoder) {
      phase(out, trace::Phase{trace::PhaseKind::prefill, 0}, r_.prompt, r_.prompt, true);
      for (uint64_t j = 1; j < r_.generate; ++j) {
        phase(out, trace::Phase{trace::PhaseKind::decode, static_cast<uint32_t>(j)}, 1,
              r_.prompt + j, true);
      }
    } else if (r_.mode == TinyMode::encoder) {
      phase(out, trace::Phase{trace::PhaseKind::encode, 0}, r_.prompt, r_.prompt, false);
    } else {
      for (uint64_t j = 1; j <= r_.generate; ++j) {
        uint64_t len = r_.prompt + j - 1;
        phase(out, trace::Phase{trace::PhaseKind::entp, static_cast<uint32_t>(j)}, len, len, true);
      }
    }
    for (size_t i = 0; i < out.size(); ++i) {
      out[i].id = i;
    }
    return out;
  }

 private:
  static trace::TensorDecl decl(const std::string& id, std::vector<uint64_t> shape, int32_t layer) {
    trace::TensorDecl d;
    d.id = id;
    d.shape = shape;
    uint64_t n = 1;
    for (auto s : shape) {
      n *= s;
    }
    d.bytes = 2 * n;
    d.layer = layer;
    return d;
  }
  static trace::Tensor act(const std::string& id, uint64_t elements) {
    trace::Tensor t;
    t.id = id;
    t.bytes = 2 * elements;
    t.shape = {elements};
    return t;
  }
  static trace::Tensor weight(const std::string& id, std::vector<uint64_t> shape, uint64_t bytes) {
    trace::Tensor t;
    t.id = id;
    t.kind = trace::TensorKind::weight;
    t.shape = shape;
    t.bytes = bytes;
    return t;
  }

  void phase(std::vector<trace::Op>& out, trace::Phase ph, uint64_t q, uint64_t kv_len,
             bool lm_head) const {
    const uint64_t B = r_.batch, rows = B * q, d = m_.d;
    const bool dec = r_.mode == TinyMode::decoder;
    auto op = [&](trace::OpKind kind, const std::string& name, int32_t layer) {
      trace::Op o;
      o.kind = kind;
      o.name = name;
      o.layer = layer;
      o.phase = ph;
      return o;
    };
    auto rowop = [&](trace::OpKind kind, const std::string& name, int32_t layer,
                     std::vector<trace::Tensor> in, uint64_t r, uint64_t c) {
      auto o = op(kind, name, layer);
      o.rows = trace::RowShape{r, c};
      o.inputs = std::move(in);
      o.outputs = {act(name + ".out", r * c)};
      o.flops = r * c;
      out.push_back(o);
    };
    auto matmul = [&](const std::string& name, int32_t layer, const std::string& x,
                      const std::string& w, uint64_t m, uint64_t k, uint64_t n) {
      auto o = op(trace::OpKind::matmul, name, layer);
      o.mm = trace::MatmulShape{1, m, n, k};
      o.inputs = {act(x, m * k), weight(w, {k, n}, 2 * k * n)};
      o.outputs = {act(name + ".out", m * n)};
      o.flops = 2 * m * n * k;
      out.push_back(o);
    };
    {
      auto o = op(trace::OpKind::embedding, "embed", -1);
      o.rows = trace::RowShape{rows, d};
      o.inputs = {act("tokens", rows), weight("embed.tok", {m_.vocab, d}, 2 * rows * d),
                  weight("embed.pos", {4096, d}, 2 * q * d)};
      o.outputs = {act("embed.out", rows * d)};
      out.push_back(o);
    }
    std::string x = "embed.out";
    for (uint32_t l = 0; l < m_.layers; ++l) {
      std::string p = "L" + std::to_string(l);
      auto li = static_cast<int32_t>(l);
      rowop(trace::OpKind::layernorm, p + ".norm1", li, {act(x, rows * d)}, rows, d);
      uint64_t qd = m_.heads * m_.head_dim, kvd = m_.kv_heads * m_.head_dim;
      matmul(p + ".attn.q", li, p + ".norm1.out", p + ".attn.q", rows, d, qd);
      matmul(p + ".attn.k", li, p + ".norm1.out", p + ".attn.k", rows, d, kvd);
      matmul(p + ".attn.v", li, p + ".norm1.out", p + ".attn.v", rows, d, kvd);
      trace::AttentionShape a{B, m_.heads, m_.kv_heads, m_.head_dim, q, kv_len, dec};
      trace::Tensor kc, vc;
      if (dec) {
        uint64_t len = r_.prompt + r_.generate - 1;
        kc = act(p + ".kv.k", 0);
        kc.kind = trace::TensorKind::kv_cache;
        kc.shape = {B, len, m_.kv_heads, m_.head_dim};
        vc = kc;
        vc.id = p + ".kv.v";
        auto w = op(trace::OpKind::kv_write, p + ".kv_write", li);
        w.attn = a;
        w.inputs = {act(p + ".attn.k.out", rows * kvd), act(p + ".attn.v.out", rows * kvd)};
        kc.bytes = vc.bytes = 2 * rows * kvd;
        w.outputs = {kc, vc};
        out.push_back(w);
        kc.bytes = vc.bytes = 2 * B * kv_len * kvd;
      }
      auto at = op(trace::OpKind::attention, p + ".attn", li);
      at.attn = a;
      at.inputs = {act(p + ".attn.q.out", rows * qd)};
      if (dec) {
        at.inputs.push_back(kc);
        at.inputs.push_back(vc);
      } else {
        at.inputs.push_back(act(p + ".attn.k.out", rows * kvd));
        at.inputs.push_back(act(p + ".attn.v.out", rows * kvd));
      }
      at.outputs = {act(p + ".attn.out", rows * qd)};
      at.flops = B * m_.heads * a.pairs() * (4 * m_.head_dim + 5);
      out.push_back(at);
      matmul(p + ".attn.o", li, p + ".attn.out", p + ".attn.o", rows, qd, d);
      rowop(trace::OpKind::add, p + ".add1", li,
            {act(x, rows * d), act(p + ".attn.o.out", rows * d)}, rows, d);
      rowop(trace::OpKind::layernorm, p + ".norm2", li, {act(p + ".add1.out", rows * d)}, rows, d);
      matmul(p + ".ffn.up", li, p + ".norm2.out", p + ".ffn.up", rows, d, m_.d_ff);
      rowop(trace::OpKind::gelu, p + ".ffn.act", li, {act(p + ".ffn.up.out", rows * m_.d_ff)}, rows,
            m_.d_ff);
      matmul(p + ".ffn.down", li, p + ".ffn.act.out", p + ".ffn.down", rows, m_.d_ff, d);
      rowop(trace::OpKind::add, p + ".add2", li,
            {act(p + ".add1.out", rows * d), act(p + ".ffn.down.out", rows * d)}, rows, d);
      x = p + ".add2.out";
    }
    auto L = static_cast<int32_t>(m_.layers);
    uint64_t last = lm_head ? B : rows;
    rowop(trace::OpKind::layernorm, "final.norm", L, {act(x, last * d)}, last, d);
    if (lm_head) {
      matmul("lm_head", L, "final.norm.out", "embed.tok", B, d, m_.vocab);
    }
  }

  TinyModel m_;
  TinyRun r_;
};

// One attention op alone: batch 1, 2 heads (2 KV heads) of 64 dimensions, `queries` queries
// (the last of 8 positions), causal; Q, K and V are activations present when the phase starts.
inline std::unique_ptr<VectorSource> one_attention(uint64_t queries = 1) {
  trace::TraceHeader h;
  h.model = "tiny";
  h.mode = "decoder";
  h.batch = 1;
  h.prompt = 7;
  h.generate = 2;
  h.layers = 1;
  trace::Op op;
  op.kind = trace::OpKind::attention;
  op.name = "L0.attn";
  op.layer = 0;
  op.phase = trace::Phase{trace::PhaseKind::decode, 1};
  op.attn = trace::AttentionShape{1, 2, 2, 64, queries, 8, true};
  auto act = [](const std::string& id, uint64_t bytes) {
    trace::Tensor t;
    t.id = id;
    t.bytes = bytes;
    return t;
  };
  op.inputs = {act("q", queries * 2 * 64 * 2), act("k", 8 * 2 * 64 * 2), act("v", 8 * 2 * 64 * 2)};
  op.outputs = {act("out", queries * 2 * 64 * 2)};
  return std::make_unique<VectorSource>(h, std::vector<trace::Op>{op});
}

}  // namespace cimsim::test
