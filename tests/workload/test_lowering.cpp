// The lowering, op by op, on tiny models whose numbers are worked out by hand in the
// comments (docs/trace-format.md gives the FLOP conventions: 2 per MAC plus 1 per bias add;
// per element layernorm 7, rmsnorm 4, gelu 9, silu 4, relu 1, add/mul 1, rope 3, softmax 5;
// attention (4 head_dim + 5) per unmasked query-key pair and head).
#include <gtest/gtest.h>

#include <set>

#include "cimsim/common/error.hpp"
#include "tiny_models.hpp"

namespace cimsim::test {
namespace {

using trace::OpKind;
using trace::Phase;
using trace::PhaseKind;
using trace::TensorKind;

const Phase kPrefill{PhaseKind::prefill, 0};

std::vector<std::string> names_of_layer(const std::vector<trace::Op>& ops, const Phase& phase,
                                        int32_t layer) {
  std::vector<std::string> names;
  for (const auto& op : ops) {
    if (op.phase == phase && op.layer == layer) {
      names.push_back(op.name);
    }
  }
  return names;
}

TEST(Lowering, GptPrefillFlopsPerOp) {
  auto ops = phase_ops(lower_all(tiny_gpt()), kPrefill);
  // batch 2 x prompt 3 = 6 token rows, d_model 8, d_ff 32, vocab 11.
  EXPECT_EQ(ops.at("embed").flops, 6u * 8);  // token + position: 1 add
  EXPECT_EQ(ops.at("L0.norm1").flops, 7u * 6 * 8);
  EXPECT_EQ(ops.at("L0.attn.q").flops, 2u * 6 * 8 * 8 + 6 * 8);
  EXPECT_EQ(ops.at("L0.attn.k").flops, 2u * 6 * 8 * 8 + 6 * 8);
  EXPECT_EQ(ops.at("L0.attn.v").flops, 2u * 6 * 8 * 8 + 6 * 8);
  EXPECT_EQ(ops.at("L0.kv_write").flops, 0u);
  // Causal over 3 positions: 1 + 2 + 3 = 6 pairs per sequence and head; 2 x 2 of those.
  EXPECT_EQ(ops.at("L0.attn").flops, 6u * 2 * 2 * (4 * 4 + 5));
  EXPECT_EQ(ops.at("L0.attn.o").flops, 2u * 6 * 8 * 8 + 6 * 8);
  EXPECT_EQ(ops.at("L0.add1").flops, 6u * 8);
  EXPECT_EQ(ops.at("L0.norm2").flops, 7u * 6 * 8);
  EXPECT_EQ(ops.at("L0.ffn.up").flops, 2u * 6 * 32 * 8 + 6 * 32);
  EXPECT_EQ(ops.at("L0.ffn.act").flops, 9u * 6 * 32);
  EXPECT_EQ(ops.at("L0.ffn.down").flops, 2u * 6 * 8 * 32 + 6 * 8);
  EXPECT_EQ(ops.at("L0.add2").flops, 6u * 8);
  // The LM head and final norm see the last position of each sequence only.
  EXPECT_EQ(ops.at("final.norm").flops, 7u * 2 * 8);
  EXPECT_EQ(ops.at("lm_head").flops, 2u * 2 * 11 * 8);
  EXPECT_EQ(ops.at("lm_head").mm, (trace::MatmulShape{1, 2, 11, 8}));
  EXPECT_EQ(ops.at("lm_head").weight()->id, "embed.tok");  // tied
  EXPECT_EQ(ops.at("L0.attn.q").mm, (trace::MatmulShape{1, 6, 8, 8}));
}

TEST(Lowering, GptOpKindsLayersAndOrder) {
  auto all = lower_all(tiny_gpt());
  EXPECT_EQ(names_of_layer(all, kPrefill, -1), std::vector<std::string>{"embed"});
  EXPECT_EQ(names_of_layer(all, kPrefill, 1),
            (std::vector<std::string>{"L1.norm1", "L1.attn.q", "L1.attn.k", "L1.attn.v",
                                      "L1.kv_write", "L1.attn", "L1.attn.o", "L1.add1", "L1.norm2",
                                      "L1.ffn.up", "L1.ffn.act", "L1.ffn.down", "L1.add2"}));
  EXPECT_EQ(names_of_layer(all, kPrefill, 2), (std::vector<std::string>{"final.norm", "lm_head"}));
  auto ops = phase_ops(all, kPrefill);
  EXPECT_EQ(ops.at("embed").kind, OpKind::embedding);
  EXPECT_EQ(ops.at("L0.norm1").kind, OpKind::layernorm);
  EXPECT_EQ(ops.at("L0.ffn.act").kind, OpKind::gelu);
  EXPECT_EQ(ops.at("L0.attn").kind, OpKind::attention);
  EXPECT_EQ(ops.at("L0.add1").kind, OpKind::add);
  // Ids count up from 0 in trace order.
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].id, i);
  }
}

TEST(Lowering, GptDecodeStepsReadTheGrowingCache) {
  auto all = lower_all(tiny_gpt());
  // generate 3: the prefill yields token 1, decode steps 1 and 2 yield tokens 2 and 3.
  std::vector<std::string> phases;
  for (const auto& op : all) {
    std::string label = trace::phase_label(op.phase);
    if (phases.empty() || phases.back() != label) {
      phases.push_back(label);
    }
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"prefill", "decode.1", "decode.2"}));

  for (uint32_t step : {1u, 2u}) {
    auto ops = phase_ops(all, {PhaseKind::decode, step});
    const uint64_t kv = 3 + step;  // the prompt and the tokens fed so far, this one included
    const auto& attn = ops.at("L1.attn");
    EXPECT_EQ(attn.attn.q_len, 1u);
    EXPECT_EQ(attn.attn.kv_len, kv);
    EXPECT_TRUE(attn.attn.causal);
    EXPECT_EQ(attn.flops, kv * 2 * 2 * (4 * 4 + 5));  // 2 sequences x 2 heads
    // K and V come from the cache: kv rows x batch 2 x 2 heads x 4 dims x 2 bytes.
    ASSERT_EQ(attn.inputs.size(), 3u);
    EXPECT_EQ(attn.inputs[1].id, "L1.kv.k");
    EXPECT_EQ(attn.inputs[1].kind, TensorKind::kv_cache);
    EXPECT_EQ(attn.inputs[1].bytes, kv * 2 * 2 * 4 * 2);
    EXPECT_EQ(attn.inputs[2].id, "L1.kv.v");
    // The step appends one row per sequence.
    const auto& write = ops.at("L1.kv_write");
    EXPECT_EQ(write.outputs[0].id, "L1.kv.k");
    EXPECT_EQ(write.outputs[0].bytes, 1u * 2 * 2 * 4 * 2);
    EXPECT_EQ(write.attn.kv_len, kv);
    EXPECT_EQ(ops.at("embed").rows.rows, 2u);
    EXPECT_EQ(ops.at("embed").inputs[2].bytes, 1u * 8 * 2);  // one position row
    EXPECT_EQ(ops.at("lm_head").mm.m, 2u);                   // one new position per sequence
  }
}

TEST(Lowering, GptHeaderDeclaresWeightsAndFullLengthCaches) {
  auto source = workload::lower(tiny_gpt());
  const auto& h = source->header();
  EXPECT_EQ(h.mode, "decoder");
  EXPECT_EQ(h.layers, 2u);
  // 1 embedding + 2 layers x 13 + final norm + LM head, for the prefill and 2 decode steps.
  EXPECT_EQ(h.op_count, 3u * (1 + 2 * 13 + 2));
  EXPECT_EQ(collect(*source).size(), h.op_count);
  ASSERT_EQ(h.kv_caches.size(), 4u);
  EXPECT_EQ(h.kv_caches[0].id, "L0.kv.k");
  EXPECT_EQ(h.kv_caches[3].id, "L1.kv.v");
  // prompt 3 + generate 3 - 1 positions are ever fed in.
  EXPECT_EQ(h.kv_caches[0].shape, (std::vector<uint64_t>{2, 5, 2, 4}));
  EXPECT_EQ(h.kv_caches[0].bytes, 2u * 5 * 2 * 4 * 2);
  EXPECT_EQ(h.kv_caches[1].layer, 0);
  // Weights in layer order; the tied LM head adds none.
  int32_t last = -1;
  std::set<std::string> ids;
  for (const auto& d : h.weights) {
    EXPECT_GE(d.layer, last);
    last = d.layer;
    ids.insert(d.id);
  }
  EXPECT_EQ(ids.count("lm_head"), 0u);
  EXPECT_EQ(ids.count("L1.attn.q.bias"), 1u);
  EXPECT_EQ(ids.count("final.norm.beta"), 1u);
  EXPECT_EQ(h.weights.front().id, "embed.tok");
  EXPECT_EQ(h.weights.front().shape, (std::vector<uint64_t>{11, 8}));
  EXPECT_EQ(h.workload["run"]["prompt"], 3);
}

TEST(Lowering, LlamaSplitAttentionRopeAndGroupedQueries) {
  workload::Workload w = tiny_llama();
  w.run.attention = workload::AttentionForm::split;
  auto all = lower_all(w);
  auto ops = phase_ops(all, kPrefill);
  // prompt 4 rows, d_model 8, 4 heads and 2 KV heads of 2 dims, d_ff 12, vocab 7.
  EXPECT_EQ(ops.at("embed").flops, 0u);          // no position table
  EXPECT_EQ(ops.at("embed").inputs.size(), 2u);  // tokens, embed.tok
  EXPECT_EQ(ops.at("L0.norm1").kind, OpKind::rmsnorm);
  EXPECT_EQ(ops.at("L0.norm1").flops, 4u * 4 * 8);
  EXPECT_EQ(ops.at("L0.norm1").inputs.size(), 2u);  // x, gamma
  EXPECT_EQ(ops.at("L0.attn.q").flops, 2u * 4 * 8 * 8);
  EXPECT_EQ(ops.at("L0.attn.k").flops, 2u * 4 * 4 * 8);  // 2 KV heads x 2 dims = 4 columns
  EXPECT_EQ(ops.at("L0.attn.k").weight()->shape, (std::vector<uint64_t>{8, 4}));
  EXPECT_EQ(ops.at("L0.rope").flops, 3u * 4 * (8 + 4));
  EXPECT_EQ(ops.at("L0.kv_read").flops, 0u);
  EXPECT_EQ(ops.at("L0.kv_read").inputs[0].bytes, 4u * 2 * 2 * 2);
  // Causal over 4 positions: 10 pairs per head, 4 heads.
  EXPECT_EQ(ops.at("L0.attn.qk").kind, OpKind::batched_matmul);
  EXPECT_EQ(ops.at("L0.attn.qk").flops, 2u * 40 * 2);
  EXPECT_EQ(ops.at("L0.attn.qk").mm, (trace::MatmulShape{4, 4, 4, 2}));
  EXPECT_EQ(ops.at("L0.attn.softmax").flops, 5u * 40);
  EXPECT_EQ(ops.at("L0.attn.softmax").rows, (trace::RowShape{16, 4}));
  EXPECT_EQ(ops.at("L0.attn.pv").flops, 2u * 40 * 2);
  EXPECT_EQ(ops.at("L0.attn.pv").mm, (trace::MatmulShape{4, 4, 2, 4}));
  EXPECT_EQ(ops.at("L0.ffn.gate").flops, 2u * 4 * 12 * 8);
  EXPECT_EQ(ops.at("L0.ffn.up").flops, 2u * 4 * 12 * 8);
  EXPECT_EQ(ops.at("L0.ffn.act").kind, OpKind::silu);
  EXPECT_EQ(ops.at("L0.ffn.act").flops, 4u * 4 * 12);
  EXPECT_EQ(ops.at("L0.ffn.mul").kind, OpKind::mul);
  EXPECT_EQ(ops.at("L0.ffn.mul").flops, 4u * 12);
  EXPECT_EQ(ops.at("L0.ffn.down").flops, 2u * 4 * 8 * 12);
  EXPECT_EQ(ops.at("final.norm").flops, 4u * 1 * 8);
  EXPECT_EQ(ops.at("lm_head").flops, 2u * 1 * 7 * 8);
  EXPECT_EQ(ops.at("lm_head").weight()->id, "lm_head");  // untied
  EXPECT_EQ(
      names_of_layer(all, kPrefill, 0),
      (std::vector<std::string>{
          "L0.norm1", "L0.attn.q", "L0.attn.k", "L0.attn.v", "L0.rope", "L0.kv_write", "L0.kv_read",
          "L0.attn.qk", "L0.attn.softmax", "L0.attn.pv", "L0.attn.o", "L0.add1", "L0.norm2",
          "L0.ffn.gate", "L0.ffn.up", "L0.ffn.act", "L0.ffn.mul", "L0.ffn.down", "L0.add2"}));

  auto step = phase_ops(all, {PhaseKind::decode, 1});
  EXPECT_EQ(step.at("L0.attn.qk").flops, 2u * 5 * 4 * 2);  // 5 keys, 4 heads
  EXPECT_EQ(step.at("L0.attn.softmax").flops, 5u * 5 * 4);
  EXPECT_EQ(step.at("L0.kv_read").inputs[1].bytes, 5u * 2 * 2 * 2);
}

TEST(Lowering, SplitAndFusedAttentionCountTheSameFlops) {
  for (auto make : {tiny_gpt, tiny_llama}) {
    workload::Workload fused = make(), split = make();
    split.run.attention = workload::AttentionForm::split;
    uint64_t a = 0, b = 0;
    for (const auto& op : lower_all(fused)) {
      a += op.flops;
    }
    for (const auto& op : lower_all(split)) {
      b += op.flops;
    }
    EXPECT_EQ(a, b);
  }
}

TEST(Lowering, BertEncoderPostNormNoHead) {
  auto all = lower_all(tiny_bert());
  const Phase encode{PhaseKind::encode, 0};
  auto ops = phase_ops(all, encode);
  // prompt 5 rows; token + position + token type: 2 adds per element.
  EXPECT_EQ(ops.at("embed").flops, 2u * 5 * 8);
  EXPECT_EQ(ops.at("embed").inputs.back().id, "embed.type");
  EXPECT_EQ(ops.at("embed").inputs.back().bytes, 8u * 2);  // one token-type row
  EXPECT_EQ(ops.at("embed.norm").flops, 7u * 5 * 8);
  EXPECT_EQ(ops.at("L0.attn").flops, 25u * 2 * (4 * 4 + 5));  // bidirectional: 5 x 5 pairs
  EXPECT_FALSE(ops.at("L0.attn").attn.causal);
  EXPECT_EQ(ops.at("L0.attn").inputs[1].kind, TensorKind::activation);  // no KV cache
  EXPECT_EQ(ops.at("L0.ffn.act").flops, 9u * 5 * 32);
  EXPECT_EQ(names_of_layer(all, encode, -1), (std::vector<std::string>{"embed", "embed.norm"}));
  EXPECT_EQ(names_of_layer(all, encode, 0),
            (std::vector<std::string>{"L0.attn.q", "L0.attn.k", "L0.attn.v", "L0.attn", "L0.attn.o",
                                      "L0.add1", "L0.norm1", "L0.ffn.up", "L0.ffn.act",
                                      "L0.ffn.down", "L0.add2", "L0.norm2"}));
  EXPECT_TRUE(names_of_layer(all, encode, 1).empty());  // no final norm, no LM head
  auto source = workload::lower(tiny_bert());
  EXPECT_EQ(source->header().op_count, 14u);
  EXPECT_EQ(source->header().generate, 0u);
  EXPECT_TRUE(source->header().kv_caches.empty());
}

TEST(Lowering, EncoderWithPreNormKeepsEveryPositionThroughTheFinalNorm) {
  workload::Workload w = tiny_gpt();
  w.run.mode = workload::Mode::encoder;
  w.run.prompt = 5;
  auto ops = phase_ops(lower_all(w), {PhaseKind::encode, 0});
  EXPECT_EQ(ops.at("final.norm").rows.rows, 2u * 5);
  EXPECT_EQ(ops.count("lm_head"), 0u);
}

TEST(Lowering, EntpRerunsTheWholePrefixEachStep) {
  workload::Workload w = tiny_gpt();
  w.run.mode = workload::Mode::entp;
  w.run.batch = 1;
  w.run.prompt = 2;
  w.run.generate = 3;
  auto all = lower_all(w);
  for (uint32_t step : {1u, 2u, 3u}) {
    auto ops = phase_ops(all, {PhaseKind::entp, step});
    const uint64_t n = 2 + step - 1;  // prefix length
    EXPECT_EQ(ops.at("embed").rows.rows, n);
    EXPECT_EQ(ops.at("L0.attn").attn.q_len, n);
    EXPECT_FALSE(ops.at("L0.attn").attn.causal);
    EXPECT_EQ(ops.at("L0.attn").flops, n * n * 2 * (4 * 4 + 5));
    EXPECT_EQ(ops.at("L1.attn.q").flops, 2 * n * 8 * 8 + n * 8);
    EXPECT_EQ(ops.at("lm_head").flops, 2u * 1 * 11 * 8);  // last position only
    EXPECT_EQ(ops.count("L0.kv_write"), 0u);
  }
  auto source = workload::lower(w);
  EXPECT_TRUE(source->header().kv_caches.empty());
  EXPECT_EQ(source->header().op_count, 3u * (1 + 2 * 12 + 2));
}

TEST(Lowering, ReluAndPositionOffset) {
  workload::Workload w = tiny_gpt();
  w.model.activation = workload::Activation::relu;
  w.model.position_offset = 2;
  auto source = workload::lower(w);
  EXPECT_EQ(source->header().weights[1].id, "embed.pos");
  EXPECT_EQ(source->header().weights[1].shape, (std::vector<uint64_t>{16 + 2, 8}));
  auto ops = phase_ops(collect(*source), kPrefill);
  EXPECT_EQ(ops.at("L0.ffn.act").kind, OpKind::relu);
  EXPECT_EQ(ops.at("L0.ffn.act").flops, 1u * 6 * 32);
}

TEST(Lowering, DtypesSetTheBytes) {
  workload::Workload w = tiny_gpt();
  w.dtypes.weights = trace::DType::int8;
  w.dtypes.activations = trace::DType::fp32;
  w.dtypes.kv_cache = trace::DType::int4;
  auto source = workload::lower(w);
  EXPECT_EQ(source->header().kv_caches[0].bytes, 2u * 5 * 2 * 4 / 2);  // 4 bits each
  auto ops = phase_ops(collect(*source), kPrefill);
  const auto& q = ops.at("L0.attn.q");
  EXPECT_EQ(q.inputs[0].bytes, 6u * 8 * 4);  // fp32 activations
  EXPECT_EQ(q.inputs[1].bytes, 8u * 8 * 1);  // int8 weights
  EXPECT_EQ(q.outputs[0].dtype, trace::DType::fp32);
  EXPECT_EQ(ops.at("L0.kv_write").outputs[0].bytes, 2u * 3 * 2 * 4 / 2);
  EXPECT_EQ(ops.at("embed").inputs[0].dtype, trace::DType::int32);  // token ids
}

// The dependency rule, checked independently of the trace checker: every activation an op
// reads is the phase input "tokens" or was written by an earlier op of the same phase; every
// weight and KV cache is declared in the header.
TEST(Lowering, EveryInputIsWrittenEarlierOrDeclared) {
  workload::Workload split = tiny_llama();
  split.run.attention = workload::AttentionForm::split;
  for (const auto& w : {tiny_gpt(), tiny_llama(), tiny_bert(), split}) {
    auto source = workload::lower(w);
    std::set<std::string> declared;
    for (const auto& d : source->header().weights) {
      declared.insert(d.id);
    }
    for (const auto& d : source->header().kv_caches) {
      declared.insert(d.id);
    }
    std::set<std::string> written;
    Phase phase{PhaseKind::entp, 999};
    for (const auto& op : collect(*source)) {
      if (op.phase != phase) {
        phase = op.phase;
        written.clear();
      }
      for (const auto& t : op.inputs) {
        if (t.kind == TensorKind::activation) {
          EXPECT_TRUE(t.id == "tokens" || written.count(t.id) == 1) << op.name << " " << t.id;
        } else {
          EXPECT_EQ(declared.count(t.id), 1u) << op.name << " " << t.id;
        }
      }
      for (const auto& t : op.outputs) {
        if (t.kind == TensorKind::activation) {
          EXPECT_TRUE(written.insert(t.id).second) << t.id;
        }
      }
    }
  }
}

TEST(Lowering, RejectsAnInvalidWorkloadBuiltInCode) {
  workload::Workload w = tiny_gpt();
  w.model.head_dim = 3;
  EXPECT_THROW(workload::lower(w), InputError);
  w = tiny_gpt();
  w.run.prompt = 20;  // beyond max_context 16
  EXPECT_THROW(workload::lower(w), InputError);
  w.run.allow_context_overflow = true;
  EXPECT_NO_THROW(workload::lower(w));
}

TEST(Lowering, SizesThatOverflow64BitsAreAnInputError) {
  workload::Workload w = tiny_gpt();
  w.run.allow_context_overflow = true;
  w.run.prompt = uint64_t{1} << 40;
  w.run.batch = uint64_t{1} << 30;
  EXPECT_THROW(workload::lower(w), InputError);
}

}  // namespace
}  // namespace cimsim::test
