// A serving iteration as ops (workload/iteration.hpp), worked out by hand on the tiny Llama
// (1 layer, d_model 8, 4 heads of 2 over 2 KV heads, d_ff 12, vocab 7, fp16): a prompt of 5
// tokens and 3 decode steps at 7 keys each, logits for 4 sequences.
#include <gtest/gtest.h>

#include "cimsim/workload/iteration.hpp"
#include "tiny_models.hpp"

namespace cimsim::workload {
namespace {

std::vector<trace::Op> lower(const IterationShape& s, uint64_t pool = 64) {
  IterationLowering l(test::tiny_llama(), pool);
  std::vector<trace::Op> ops;
  l.lower(s, trace::Phase{trace::PhaseKind::prefill, 1}, ops);
  return ops;
}

TEST(IterationLowering, TokenParallelOpsOverAllTokensAttentionPerGroup) {
  IterationShape s;
  s.groups = {{1, 5, 5}, {3, 1, 7}};
  s.logits_rows = 4;
  EXPECT_EQ(s.tokens(), 8u);
  std::vector<trace::Op> ops = lower(s);
  // embed, norm1, q, k, v, rope, 2 x (kv_write, attn), o, add1, norm2, gate, up, act, mul,
  // down, add2, final.norm, lm_head.
  ASSERT_EQ(ops.size(), 21u);
  std::vector<const trace::Op*> attn, writes;
  for (const auto& op : ops) {
    EXPECT_EQ(op.phase, (trace::Phase{trace::PhaseKind::prefill, 1}));
    if (op.name == "L0.attn.q") {
      EXPECT_EQ(op.mm.m, 8u);  // every token of the iteration
    }
    if (op.name == "L0.ffn.down") {
      EXPECT_EQ(op.mm.m, 8u);
      EXPECT_EQ(op.flops, 2u * 8 * 8 * 12);
    }
    if (op.name == "lm_head") {
      EXPECT_EQ(op.mm.m, 4u);  // the sequences that emit a token
      EXPECT_EQ(op.flops, 2u * 4 * 7 * 8);
    }
    if (op.kind == trace::OpKind::attention) attn.push_back(&op);
    if (op.kind == trace::OpKind::kv_write) writes.push_back(&op);
  }
  ASSERT_EQ(attn.size(), 2u);
  ASSERT_EQ(writes.size(), 2u);
  // The prompt: causal, 5 x 6 / 2 = 15 pairs per head; each pair 4 x head_dim + 5 FLOPs.
  EXPECT_EQ(attn[0]->attn.batch, 1u);
  EXPECT_EQ(attn[0]->attn.q_len, 5u);
  EXPECT_EQ(attn[0]->flops, 4u * 15 * (4 * 2 + 5));
  // The decode group: 3 sequences of one query over 7 keys.
  EXPECT_EQ(attn[1]->attn.batch, 3u);
  EXPECT_EQ(attn[1]->attn.q_len, 1u);
  EXPECT_EQ(attn[1]->attn.kv_len, 7u);
  EXPECT_EQ(attn[1]->flops, 3u * 4 * 7 * (4 * 2 + 5));
  // K/V appended: new tokens x 2 KV heads x head_dim 2 x 2 bytes, each of K and V; the decode
  // attention reads 3 x 7 keys' K.
  EXPECT_EQ(writes[0]->outputs[0].bytes, 5u * 2 * 2 * 2);
  EXPECT_EQ(writes[1]->outputs[0].bytes, 3u * 2 * 2 * 2);
  EXPECT_EQ(attn[1]->inputs[1].bytes, 3u * 7 * 2 * 2 * 2);
}

TEST(IterationLowering, HeaderDeclaresTheKvPool) {
  IterationLowering l(test::tiny_llama(), 48);
  const trace::TraceHeader& h = l.header();
  ASSERT_EQ(h.kv_caches.size(), 2u);  // K and V of the one layer
  EXPECT_EQ(h.kv_caches[0].shape, (std::vector<uint64_t>{1, 48, 2, 2}));
  EXPECT_EQ(h.kv_caches[0].bytes, 48u * 2 * 2 * 2);
  bool head = false;
  for (const auto& w : h.weights) head = head || w.id == "lm_head";
  EXPECT_TRUE(head);
}

TEST(IterationLowering, MixtureOfExpertsRoutesTheIterationsTokens) {
  Workload w = test::tiny_mixtral();
  IterationLowering l(w, 32);
  IterationShape s;
  s.groups = {{2, 1, 4}};
  s.logits_rows = 2;
  std::vector<trace::Op> ops;
  l.lower(s, trace::Phase{trace::PhaseKind::decode, 1}, ops);
  // Two tokens, top-2 of 4 experts each: 4 rows through the experts' down projections per
  // layer, 2 layers.
  uint64_t expert_rows = 0;
  for (const auto& op : ops) {
    const std::string& n = op.name;
    if (op.kind == trace::OpKind::matmul && n.size() > 5 && n.substr(n.size() - 5) == ".down") {
      expert_rows += op.mm.m;
    }
  }
  EXPECT_EQ(expert_rows, 2u * 2 * 2);
}

}  // namespace
}  // namespace cimsim::workload
