// Mixture of experts: the weights a layer declares, the FLOPs and weight bytes of a tiny MoE
// layer worked out by hand, the expert choice (deterministic, seeded, distribution-weighted)
// and a tiny MoE model on both machines.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "cimsim/common/error.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/trace/trace_io.hpp"
#include "support/harness.hpp"
#include "tiny_models.hpp"

namespace cimsim::test {
namespace {

// One layer, d_model 8, 2 heads of 4, SwiGLU experts of width 12, 4 experts, top-2, no
// biases, untied 16-token vocabulary. Prompt 3, 2 generated tokens: a prefill of 3 rows and
// one decode step of 1 row.
workload::Workload tiny_moe() {
  workload::Workload w = tiny_llama();
  w.name = "tiny-moe";
  auto& m = w.model;
  m.layers = 1;
  m.d_model = 8;
  m.heads = 2;
  m.kv_heads = 2;
  m.head_dim = 4;
  m.d_ff = 12;
  m.vocab = 16;
  m.experts = 4;
  m.experts_per_token = 2;
  w.run.batch = 1;
  w.run.prompt = 3;
  w.run.generate = 2;
  return w;
}

bool is_moe_op(const trace::Op& op) {
  return op.name.rfind("L0.moe.", 0) == 0;
}

uint64_t weight_bytes(const trace::Op& op) {
  uint64_t b = 0;
  for (const auto& t : op.inputs) {
    b += t.kind == trace::TensorKind::weight ? t.bytes : 0;
  }
  return b;
}

TEST(Moe, EveryExpertIsDeclaredAndTheDenseFfnIsNot) {
  auto decls = workload::model_weights(tiny_moe().model, trace::DType::fp16);
  std::map<std::string, std::vector<uint64_t>> shape;
  for (const auto& d : decls) {
    shape[d.id] = d.shape;
  }
  EXPECT_EQ(shape.count("L0.ffn.up"), 0u);
  EXPECT_EQ(shape["L0.moe.router"], (std::vector<uint64_t>{8, 4}));
  for (int e = 0; e < 4; ++e) {
    const std::string p = "L0.moe.e" + std::to_string(e);
    EXPECT_EQ(shape[p + ".gate"], (std::vector<uint64_t>{8, 12}));
    EXPECT_EQ(shape[p + ".up"], (std::vector<uint64_t>{8, 12}));
    EXPECT_EQ(shape[p + ".down"], (std::vector<uint64_t>{12, 8}));
  }
}

// Embedding 16x8, per layer norm 8 + q, k, v, o 8x8 each + norm 8 + router 8x4 + 4 experts of
// 3 x 8x12, final norm 8, LM head 8x16. Active: two of the four experts.
TEST(Moe, ParameterCountsTotalAndActive) {
  const uint64_t expert = uint64_t{3} * 8 * 12;
  const uint64_t layer = uint64_t{8} + uint64_t{4} * 64 + 8 + 32 + 4 * expert;
  const uint64_t total = uint64_t{16} * 8 + layer + 8 + uint64_t{8} * 16;
  auto p = workload::count_parameters(tiny_moe().model);
  EXPECT_EQ(p.total, total);
  EXPECT_EQ(p.total, 1720u);
  EXPECT_EQ(p.active, total - 2 * expert);
  EXPECT_EQ(p.non_embedding, total - uint64_t{16} * 8 - uint64_t{8} * 16);
  // A dense model: active = total.
  auto dense = workload::count_parameters(tiny_llama().model);
  EXPECT_EQ(dense.active, dense.total);
}

// The decode step routes one token to two experts. By hand (rows m = 1, d = 8, 4 experts,
// k = 2, f = 12):
//   router    2 m E d = 64 FLOPs, weight 8x4 fp16 = 64 B
//   route     m ((5 + k) E + 2 k) = 32
//   expert    gate and up 2 m d f = 192 each, silu 4 m f = 48, mul m f = 12, down 192:
//             636 FLOPs and 3 x 8x12 x 2 B = 576 B, twice
//   combine   2 m k d = 32
TEST(Moe, DecodeStepFlopsAndWeightBytesByHand) {
  auto ops = lower_all(tiny_moe());
  uint64_t flops = 0, bytes = 0, experts = 0;
  for (const auto& op : ops) {
    if (op.phase.kind != trace::PhaseKind::decode || !is_moe_op(op)) {
      continue;
    }
    flops += op.flops;
    bytes += weight_bytes(op);
    experts += op.name.size() > 10 && op.name.compare(op.name.size() - 5, 5, ".down") == 0;
    if (op.kind == trace::OpKind::moe_route) {
      EXPECT_EQ(op.flops, 32u);
      EXPECT_EQ(op.rows.rows, 1u);
      EXPECT_EQ(op.rows.cols, 4u);
    }
    if (op.kind == trace::OpKind::moe_combine) {
      EXPECT_EQ(op.flops, 32u);
      EXPECT_EQ(op.rows.rows, 2u);  // routed rows: 1 token x 2 experts
    }
  }
  EXPECT_EQ(experts, 2u);
  EXPECT_EQ(flops, 64u + 32 + 2 * 636 + 32);
  EXPECT_EQ(bytes, 64u + 2 * 576);
}

// The prefill routes 3 tokens x 2 = 6 rows: the experts' FLOPs are 636 per routed row
// whichever experts get them; weight bytes are 576 per expert that received a token.
TEST(Moe, PrefillFlopsAndWeightBytesByHand) {
  const workload::Workload w = tiny_moe();
  auto ops = lower_all(w);
  std::vector<uint64_t> counts = workload::expert_token_counts(w, 0, 0, 3);
  uint64_t active = 0;
  for (uint64_t n : counts) {
    active += n > 0 ? 1 : 0;
  }
  uint64_t flops = 0, bytes = 0, rows = 0;
  for (const auto& op : ops) {
    if (op.phase.kind != trace::PhaseKind::prefill || !is_moe_op(op)) {
      continue;
    }
    flops += op.flops;
    bytes += weight_bytes(op);
    const size_t e = op.name.find(".e");
    if (op.kind == trace::OpKind::matmul && e != std::string::npos &&
        op.name.compare(op.name.size() - 3, 3, ".up") == 0) {
      uint64_t j = std::stoull(op.name.substr(e + 2));
      EXPECT_EQ(op.mm.m, counts.at(j)) << op.name;
      rows += op.mm.m;
    }
  }
  EXPECT_EQ(rows, 6u);
  EXPECT_EQ(flops, 2u * 3 * 4 * 8 + 3 * (7 * 4 + 4) + 6 * 636 + 2 * 3 * 2 * 8);
  EXPECT_EQ(bytes, 64 + 576 * active);
}

// The ops of the MoE FFN in order, and the expert inputs gathered by moe_route.
TEST(Moe, OpOrderAndTensors) {
  auto ops = lower_all(tiny_moe());
  std::vector<std::string> names;
  for (const auto& op : ops) {
    if (op.phase.kind == trace::PhaseKind::decode && is_moe_op(op)) {
      names.push_back(op.name);
    }
  }
  ASSERT_EQ(names.size(), 3u + 2 * 5);
  EXPECT_EQ(names.front(), "L0.moe.router");
  EXPECT_EQ(names[1], "L0.moe.route");
  EXPECT_EQ(names.back(), "L0.moe.combine");
  auto decode = phase_ops(ops, trace::Phase{trace::PhaseKind::decode, 1});
  const trace::Op& route = decode.at("L0.moe.route");
  ASSERT_EQ(route.outputs.size(), 4u);  // weights, expert ids, two experts' inputs
  EXPECT_EQ(route.outputs[0].shape, (std::vector<uint64_t>{1, 1, 2}));
  EXPECT_EQ(route.outputs[1].dtype, trace::DType::int32);
  EXPECT_EQ(route.outputs[2].shape, (std::vector<uint64_t>{1, 8}));
  const trace::Op& add2 = decode.at("L0.add2");
  EXPECT_EQ(add2.inputs[1].id, "L0.moe.combine.out");
}

// Every op count the header promises is what the lowering emits, in every mode.
TEST(Moe, HeaderOpCountMatchesInEveryMode) {
  for (auto mode : {workload::Mode::decoder, workload::Mode::encoder, workload::Mode::entp}) {
    workload::Workload w = tiny_mixtral();
    w.run.mode = mode;
    auto source = workload::lower(w);
    uint64_t promised = source->header().op_count;
    EXPECT_EQ(collect(*source).size(), promised);
  }
}

TEST(Moe, ExpertChoiceIsDeterministicAndSumsToTokensTimesK) {
  workload::Workload w = tiny_moe();
  w.run.batch = 3;
  auto a = workload::expert_token_counts(w, 0, 0, 100);
  auto b = workload::expert_token_counts(w, 0, 0, 100);
  EXPECT_EQ(a, b);
  EXPECT_EQ(std::accumulate(a.begin(), a.end(), uint64_t{0}), 3u * 100 * 2);
  // A range is the difference of prefixes: a token's experts depend on its position only.
  auto head = workload::expert_token_counts(w, 0, 0, 40);
  auto tail = workload::expert_token_counts(w, 0, 40, 100);
  for (size_t e = 0; e < a.size(); ++e) {
    EXPECT_EQ(head[e] + tail[e], a[e]);
  }
  // Another seed, another layer: another routing.
  workload::Workload other = w;
  other.run.expert_seed = 2;
  EXPECT_NE(workload::expert_token_counts(other, 0, 0, 100), a);
  EXPECT_NE(workload::expert_token_counts(w, 1, 0, 100), a);
  // Two lowerings are identical op by op.
  EXPECT_EQ(lower_all(tiny_mixtral()), lower_all(tiny_mixtral()));
}

// Draws are distinct per token: with k = E every expert gets every token exactly once.
TEST(Moe, ExpertsOfATokenAreDistinct) {
  workload::Workload w = tiny_moe();
  w.model.experts_per_token = 4;
  auto c = workload::expert_token_counts(w, 0, 0, 50);
  EXPECT_EQ(c, (std::vector<uint64_t>{50, 50, 50, 50}));
}

// Uniform by default: 20000 tokens x 2 draws over 4 experts, 10000 each expected; the
// binomial standard deviation is ~87, so 3% (300) is over 3 sigma.
TEST(Moe, UniformByDefault) {
  auto c = workload::expert_token_counts(tiny_moe(), 0, 0, 20000);
  for (uint64_t n : c) {
    EXPECT_NEAR(static_cast<double>(n), 10000.0, 300.0);
  }
}

TEST(Moe, DistributionSteersTheChoice) {
  workload::Workload w = tiny_moe();
  w.run.expert_distribution = {1, 0, 0, 1};
  EXPECT_EQ(workload::expert_token_counts(w, 0, 0, 30), (std::vector<uint64_t>{30, 0, 0, 30}));
  // Top-1 with odds 3 : 1 over experts 0 and 1: expert 0 takes ~75% of 8000 tokens.
  w.model.experts_per_token = 1;
  w.run.expert_distribution = {3, 1, 0, 0};
  auto c = workload::expert_token_counts(w, 0, 0, 8000);
  EXPECT_EQ(c[2] + c[3], 0u);
  EXPECT_EQ(c[0] + c[1], 8000u);
  EXPECT_NEAR(static_cast<double>(c[0]), 6000.0, 200.0);  // sigma ~39
}

class MoeFiles : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const Json& j) {
    std::string p = dir_ + "/w.json";
    write_file(p, j.dump());
    return p;
  }
  Json tiny() const { return workload::workload_json(tiny_moe()); }
  std::string error(const Json& j) {
    try {
      workload::load_workload(file(j), {});
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  std::string dir_;
};

TEST_F(MoeFiles, BadExpertSettings) {
  Json j = tiny();
  j["model"]["experts_per_token"] = 5;
  EXPECT_EQ(error(j), dir_ +
                          "/w.json: workload.model.experts_per_token: expected an integer in "
                          "[1, experts = 4], got 5");
  j = tiny();
  j["run"]["expert_distribution"] = {1, 2, 3};
  EXPECT_EQ(error(j), dir_ +
                          "/w.json: workload.run.expert_distribution: expected one weight per "
                          "expert (model.experts = 4), got 3");
  j = tiny();
  j["run"]["expert_distribution"] = {0, 1, 0, 0};
  EXPECT_EQ(error(j), dir_ +
                          "/w.json: workload.run.expert_distribution: each token picks "
                          "model.experts_per_token = 2 distinct experts: expected at least "
                          "that many positive weights, got 1");
  j = tiny();
  j["run"]["expert_distribution"] = {1, -1, 1, 1};
  EXPECT_EQ(error(j), dir_ +
                          "/w.json: workload.run.expert_distribution[1]: expected a finite "
                          "number >= 0, got -1");
  j = tiny();
  j["model"]["experts"] = 0;
  EXPECT_EQ(error(j), dir_ +
                          "/w.json: workload.model.experts_per_token: a dense model (experts = "
                          "0) routes to no expert: expected 0, got 2");
}

// A tiny MoE model on both machines; both execute moe_route and moe_combine.
TEST_F(MoeFiles, RunsOnBothMachines) {
  Json j = workload::workload_json(tiny_mixtral());
  const std::string report = dir_ + "/r.json";
  CommandResult r = run_cimsim({"run", "--machine", "a100-sxm4-80gb", "--machine", "isaac",
                                "--workload", file(j), "--out", report, "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json rep = Json::parse(read_file(report));
  ASSERT_EQ(rep["machines"].size(), 2u);
  for (const auto& m : rep["machines"]) {
    for (const std::string kind : {"moe_route", "moe_combine"}) {
      uint64_t count = 0, cycles = 0;
      for (const auto& k : m["op_kinds"]) {
        if (k["kind"] == kind) {
          count = k["count"].get<uint64_t>();
          cycles = k["busy_cycles"].get<uint64_t>();
        }
      }
      EXPECT_EQ(count, 2u * 3) << m["name"] << " " << kind;  // 2 layers x 3 phases
      EXPECT_GT(cycles, 0u) << m["name"] << " " << kind;
    }
  }
}

}  // namespace
}  // namespace cimsim::test
