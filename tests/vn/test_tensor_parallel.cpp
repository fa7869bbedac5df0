// One rank's ops under tensor parallelism (tensor_parallel.hpp), worked by hand on tiny lowered
// layers at T = 2: the split shapes, FLOPs and bytes of every matmul, attention and
// element-wise op, the split header, the replicated key/value head when there are fewer
// key/value heads than ranks, the all-reduces and the logits' all-gather, the mixture of
// experts' single all-reduce, and the degrees that cannot split a model.
#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "cimsim/common/error.hpp"
#include "cimsim/vn/tensor_parallel.hpp"
#include "cimsim/workload/workload.hpp"
#include "support/harness.hpp"

namespace cimsim::vn {
namespace {

using trace::Op;

struct Lowered {
  trace::TraceHeader header;
  std::vector<std::deque<Op>> phases;
};

Lowered lower_json(const std::string& model, const std::string& run = "") {
  std::string dir = cimsim::test::make_temp_dir();
  cimsim::test::write_file(dir + "/w.json",
                           R"({"name": "t", "model": )" + model +
                               R"(, "run": {"mode": "decoder", "prompt": 3, "generate": 2)" + run +
                               "}}");
  auto source = workload::lower(workload::load_workload(dir + "/w.json", {}));
  Lowered out;
  out.header = source->header();
  Op op;
  while (source->next(op)) {
    if (out.phases.empty() || out.phases.back().front().phase != op.phase) {
      out.phases.emplace_back();
    }
    out.phases.back().push_back(op);
  }
  return out;
}

std::map<std::string, Op> by_name(const std::deque<Op>& ops) {
  std::map<std::string, Op> m;
  for (const Op& op : ops) {
    m[op.name] = op;
  }
  return m;
}

std::map<std::string, trace::TensorDecl> decls(const trace::TraceHeader& h) {
  std::map<std::string, trace::TensorDecl> m;
  for (const auto& d : h.weights) {
    m[d.id] = d;
  }
  for (const auto& d : h.kv_caches) {
    m[d.id] = d;
  }
  return m;
}

// Llama-like: RMSNorm, RoPE, SwiGLU, no biases, untied LM head; 2 query heads sharing one
// key/value head, so at T = 2 each rank keeps its own copy of that head.
const char* const kLlamaish = R"({"layers": 1, "d_model": 8, "heads": 2, "kv_heads": 1,
  "head_dim": 4, "d_ff": 16, "vocab": 10, "max_context": 16, "activation": "silu",
  "ffn": "gated", "norm": "rmsnorm", "norm_placement": "pre", "position": "rope",
  "bias": false, "tie_embeddings": false})";

TEST(TensorParallel, LlamaLayerAtTwoRanksByHand) {
  Lowered l = lower_json(kLlamaish);
  TensorParallel tp(2, "m.json: machine.node.tensor_parallel");
  auto h = decls(tp.shard_header(l.header, l.phases[0]));
  // Query and FFN columns halve, the rows of o and down halve, the single key/value head is
  // replicated; the embedding and norms stay whole; the LM head's vocabulary of 10 halves.
  EXPECT_EQ(h["L0.attn.q"].shape, (std::vector<uint64_t>{8, 4}));
  EXPECT_EQ(h["L0.attn.q"].bytes, 64u);
  EXPECT_EQ(h["L0.attn.k"].shape, (std::vector<uint64_t>{8, 4}));
  EXPECT_EQ(h["L0.attn.v"].shape, (std::vector<uint64_t>{8, 4}));
  EXPECT_EQ(h["L0.attn.o"].shape, (std::vector<uint64_t>{4, 8}));
  EXPECT_EQ(h["L0.ffn.gate"].shape, (std::vector<uint64_t>{8, 8}));
  EXPECT_EQ(h["L0.ffn.up"].shape, (std::vector<uint64_t>{8, 8}));
  EXPECT_EQ(h["L0.ffn.down"].shape, (std::vector<uint64_t>{8, 8}));
  EXPECT_EQ(h["lm_head"].shape, (std::vector<uint64_t>{8, 5}));
  EXPECT_EQ(h["embed.tok"].shape, (std::vector<uint64_t>{10, 8}));
  EXPECT_EQ(h["L0.norm1.gamma"].shape, (std::vector<uint64_t>{8}));
  // KV cache [batch 1, 3 + 2 - 1 positions, 1 head, 4]: the replicated head, 32 bytes.
  EXPECT_EQ(h["L0.kv.k"].shape, (std::vector<uint64_t>{1, 4, 1, 4}));
  EXPECT_EQ(h["L0.kv.k"].bytes, 32u);
  EXPECT_EQ(tp.heads_per_rank(), 1u);
  EXPECT_EQ(tp.kv_heads_per_rank(), 1u);

  // Prefill: 3 rows.
  std::deque<Op> ops = l.phases[0];
  tp.shard_phase(ops);
  auto op = by_name(ops);
  // q: 3 x 4 x 8 MACs = 192 FLOPs (the model's 384), the rank's 64-byte weight, a 24-byte out.
  EXPECT_EQ(op["L0.attn.q"].mm.n, 4u);
  EXPECT_EQ(op["L0.attn.q"].flops, 192u);
  EXPECT_EQ(tp.model_flops(op["L0.attn.q"].id), 384u);
  EXPECT_EQ(op["L0.attn.q"].inputs[1].bytes, 64u);
  EXPECT_EQ(op["L0.attn.q"].outputs[0].shape, (std::vector<uint64_t>{1, 3, 4}));
  EXPECT_EQ(op["L0.attn.q"].outputs[0].bytes, 24u);
  // k: the replicated head, the whole projection on each rank.
  EXPECT_EQ(op["L0.attn.k"].mm.n, 4u);
  EXPECT_EQ(op["L0.attn.k"].flops, 192u);
  // RoPE over the rank's q (4) and k (4) columns: 3 x 8 x 3 FLOPs = 72 (the model's 108).
  EXPECT_EQ(op["L0.rope"].rows.cols, 8u);
  EXPECT_EQ(op["L0.rope"].flops, 72u);
  // Attention: 1 head, 6 causal pairs x (4 x 4 + 5) = 126 FLOPs (the model's 252).
  EXPECT_EQ(op["L0.attn"].attn.heads, 1u);
  EXPECT_EQ(op["L0.attn"].attn.kv_heads, 1u);
  EXPECT_EQ(op["L0.attn"].flops, 126u);
  EXPECT_EQ(op["L0.attn"].outputs[0].shape, (std::vector<uint64_t>{1, 3, 4}));
  // The cache rows it reads: 3 positions x 1 head x 4 x 2 bytes.
  EXPECT_EQ(op["L0.attn"].inputs[1].bytes, 24u);
  // o reads its 4 rows: 3 x 8 x 4 MACs = 192 FLOPs, the rank's [4, 8] weight.
  EXPECT_EQ(op["L0.attn.o"].mm.k, 4u);
  EXPECT_EQ(op["L0.attn.o"].flops, 192u);
  EXPECT_EQ(op["L0.attn.o"].inputs[1].bytes, 64u);
  // The FFN: gate and up 8 columns (384 FLOPs each), SiLU and the product over 3 x 8
  // (96 and 24), down 8 rows (384).
  EXPECT_EQ(op["L0.ffn.gate"].flops, 384u);
  EXPECT_EQ(op["L0.ffn.up"].mm.n, 8u);
  EXPECT_EQ(op["L0.ffn.act"].rows.cols, 8u);
  EXPECT_EQ(op["L0.ffn.act"].flops, 96u);
  EXPECT_EQ(op["L0.ffn.mul"].flops, 24u);
  EXPECT_EQ(op["L0.ffn.down"].mm.k, 8u);
  EXPECT_EQ(op["L0.ffn.down"].flops, 384u);
  // Replicated: the norms and residual adds do all of their work on every rank.
  EXPECT_EQ(op["L0.add1"].flops, 24u);
  EXPECT_EQ(op["L0.norm2"].flops, 96u);
  // LM head: 5 of the 10 vocabulary columns of the last row: 2 x 5 x 8 = 80 FLOPs.
  EXPECT_EQ(op["lm_head"].mm.n, 5u);
  EXPECT_EQ(op["lm_head"].flops, 80u);
  EXPECT_EQ(op["lm_head"].inputs[1].bytes, 80u);

  // Collectives: the partial sums of o and down are all-reduced (3 x 8 fp16 = 48 bytes)
  // before the residual adds read them; the logits (1 x 10 fp16) are all-gathered.
  const auto& before_add1 = tp.before(op["L0.add1"].id);
  ASSERT_EQ(before_add1.size(), 1u);
  EXPECT_EQ(before_add1[0].kind, TpCollective::Kind::all_reduce);
  EXPECT_EQ(before_add1[0].producer, "L0.attn.o");
  EXPECT_EQ(before_add1[0].bytes, 48u);
  ASSERT_EQ(tp.before(op["L0.add2"].id).size(), 1u);
  EXPECT_EQ(tp.before(op["L0.add2"].id)[0].producer, "L0.ffn.down");
  const auto& after_head = tp.after(op["lm_head"].id);
  ASSERT_EQ(after_head.size(), 1u);
  EXPECT_EQ(after_head[0].kind, TpCollective::Kind::all_gather);
  EXPECT_EQ(after_head[0].bytes, 20u);
  size_t collectives = 0;
  for (const Op& o : ops) {
    collectives += tp.before(o.id).size() + tp.after(o.id).size();
  }
  EXPECT_EQ(collectives, 3u);

  // Decode step 1: attention over 4 keys, 1 head: 4 x 21 = 84 FLOPs.
  std::deque<Op> step = l.phases[1];
  tp.shard_phase(step);
  EXPECT_EQ(by_name(step)["L0.attn"].flops, 84u);
  EXPECT_EQ(by_name(step)["L0.attn.o"].flops, 2u * 8 * 4);
}

TEST(TensorParallel, BiasesAndATiedHeadByHand) {
  // GPT-2-like: LayerNorm, learned positions, GELU MLP, biases, the LM head reads the tied
  // token embedding; 2 heads and 2 key/value heads: one of each per rank.
  Lowered l = lower_json(R"({"layers": 1, "d_model": 8, "heads": 2, "kv_heads": 2,
    "head_dim": 4, "d_ff": 16, "vocab": 10, "max_context": 16, "activation": "gelu",
    "ffn": "mlp", "norm": "layernorm", "norm_placement": "pre", "position": "learned",
    "bias": true, "tie_embeddings": true})");
  TensorParallel tp(2, "here");
  auto h = decls(tp.shard_header(l.header, l.phases[0]));
  EXPECT_EQ(h["L0.attn.q.bias"].shape, (std::vector<uint64_t>{4}));  // split with its columns
  EXPECT_EQ(h["L0.attn.k"].shape, (std::vector<uint64_t>{8, 4}));
  EXPECT_EQ(h["L0.attn.o.bias"].shape, (std::vector<uint64_t>{8}));  // added after the reduce
  EXPECT_EQ(h["L0.ffn.down.bias"].shape, (std::vector<uint64_t>{8}));
  EXPECT_EQ(h["embed.tok"].shape, (std::vector<uint64_t>{10, 8}));  // the embedding reads it all
  EXPECT_EQ(h["L0.kv.v"].shape, (std::vector<uint64_t>{1, 4, 1, 4}));

  std::deque<Op> ops = l.phases[0];
  tp.shard_phase(ops);
  auto op = by_name(ops);
  // q: 2 x 3 x 4 x 8 + 3 x 4 (its half of the bias) = 204; bias 8 bytes.
  EXPECT_EQ(op["L0.attn.q"].flops, 204u);
  EXPECT_EQ(op["L0.attn.q"].inputs[2].bytes, 8u);
  // o: 2 x 3 x 8 x 4 + 3 x 8 (the whole bias, once the sum is complete) = 216.
  EXPECT_EQ(op["L0.attn.o"].flops, 216u);
  // up 8 columns with bias: 384 + 24; GELU over 3 x 8: 9 x 24 = 216; down 8 rows: 384 + 24.
  EXPECT_EQ(op["L0.ffn.up"].flops, 408u);
  EXPECT_EQ(op["L0.ffn.act"].flops, 216u);
  EXPECT_EQ(op["L0.ffn.down"].flops, 408u);
  // The tied head reads 5 of the table's 10 rows: 80 of its 160 bytes, 80 FLOPs.
  EXPECT_EQ(op["lm_head"].inputs[1].id, "embed.tok");
  EXPECT_EQ(op["lm_head"].inputs[1].bytes, 80u);
  EXPECT_EQ(op["lm_head"].flops, 80u);
  EXPECT_EQ(op["embed"].inputs[1].bytes, 48u);  // 3 token rows, whole
}

TEST(TensorParallel, MixtureOfExpertsReducesOnceAfterTheCombine) {
  Lowered l = lower_json(R"({"layers": 1, "d_model": 8, "heads": 2, "kv_heads": 2,
    "head_dim": 4, "d_ff": 8, "vocab": 10, "max_context": 16, "activation": "silu",
    "ffn": "gated", "norm": "rmsnorm", "norm_placement": "pre", "position": "rope",
    "bias": false, "tie_embeddings": true, "experts": 2, "experts_per_token": 1})");
  TensorParallel tp(2, "here");
  auto h = decls(tp.shard_header(l.header, l.phases[0]));
  EXPECT_EQ(h["L0.moe.router"].shape, (std::vector<uint64_t>{8, 2}));
  EXPECT_EQ(h["L0.moe.e1.up"].shape, (std::vector<uint64_t>{8, 4}));
  EXPECT_EQ(h["L0.moe.e1.down"].shape, (std::vector<uint64_t>{4, 8}));
  std::deque<Op> ops = l.phases[0];
  tp.shard_phase(ops);
  std::vector<std::string> reduced;
  for (const Op& o : ops) {
    for (const auto& c : tp.before(o.id)) {
      reduced.push_back(c.producer + " before " + o.name);
    }
  }
  EXPECT_EQ(reduced, (std::vector<std::string>{"L0.attn.o before L0.add1",
                                               "L0.moe.combine before L0.add2"}));
}

TEST(TensorParallel, DegreesThatCannotSplitTheModelNameTheKey) {
  Lowered l = lower_json(kLlamaish);
  TensorParallel four(4, "m.json: machine.node.tensor_parallel");
  try {
    four.shard_header(l.header, l.phases[0]);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("m.json: machine.node.tensor_parallel"),
              std::string::npos);
    EXPECT_NE(std::string(e.what()).find("2 attention heads"), std::string::npos) << e.what();
  }
  // 4 heads of 2 and 4 key/value heads split 4 ways, but an FFN of width 6 does not.
  Lowered odd = lower_json(R"({"layers": 1, "d_model": 8, "heads": 4, "kv_heads": 4,
    "head_dim": 2, "d_ff": 6, "vocab": 10, "max_context": 16, "activation": "gelu",
    "ffn": "mlp", "norm": "layernorm", "norm_placement": "pre", "position": "learned",
    "bias": false, "tie_embeddings": true})");
  TensorParallel tp4(4, "here");
  try {
    tp4.shard_header(odd.header, odd.phases[0]);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("divisor of 6"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("L0.ffn.up"), std::string::npos) << e.what();
  }
  // 3 key/value heads over 2 ranks: neither split nor replicated evenly.
  Lowered three = lower_json(R"({"layers": 1, "d_model": 12, "heads": 6, "kv_heads": 3,
    "head_dim": 2, "d_ff": 8, "vocab": 10, "max_context": 16, "activation": "gelu",
    "ffn": "mlp", "norm": "layernorm", "norm_placement": "pre", "position": "learned",
    "bias": false, "tie_embeddings": true})");
  TensorParallel tp2(2, "here");
  EXPECT_THROW(tp2.shard_header(three.header, three.phases[0]), InputError);
}

}  // namespace
}  // namespace cimsim::vn
