// Kernel fusion (machine.fusion) on a tiny layer lowered by the real lowering: kernel counts
// and the bytes between the SMs and L2 (every kernel's loads and stores) under each fusion,
// against hand-computed savings. A single 64 x 64 GEMM tile and no split-K keep the GEMMs'
// traffic easy to count: each thread block reads its A panel (16 rows x K) and B band and
// writes its C tile.
#include <gtest/gtest.h>

#include "cimsim/workload/workload.hpp"
#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

// M = 16 token rows, d = 64, e = 2 bytes; one layer, prefill only.
constexpr double kM = 16, kD = 64, kE = 2;

const char* const kTinyGpt = R"({"name": "tiny-gpt", "model": {"layers": 1, "d_model": 64,
 "heads": 2, "kv_heads": 2, "head_dim": 32, "d_ff": 256, "vocab": 64, "max_context": 64,
 "activation": "gelu", "ffn": "mlp", "norm": "layernorm", "norm_placement": "pre",
 "position": "learned", "bias": true, "tie_embeddings": true},
 "run": {"mode": "decoder", "prompt": 16, "generate": 1}})";

const char* const kTinyLlama = R"({"name": "tiny-llama", "model": {"layers": 1, "d_model": 64,
 "heads": 2, "kv_heads": 1, "head_dim": 32, "d_ff": 128, "vocab": 64, "max_context": 64,
 "activation": "silu", "ffn": "gated", "norm": "rmsnorm", "norm_placement": "pre",
 "position": "rope", "bias": false, "tie_embeddings": false},
 "run": {"mode": "decoder", "prompt": 16, "generate": 1}})";

struct Lowered {
  trace::TraceHeader header;
  std::vector<trace::Op> ops;
};

Lowered lower(const char* json) {
  std::string dir = cimsim::test::make_temp_dir();
  cimsim::test::write_file(dir + "/w.json", json);
  auto source = workload::lower(workload::load_workload(dir + "/w.json", {}));
  Lowered l;
  l.header = source->header();
  trace::Op op;
  while (source->next(op)) l.ops.push_back(op);
  return l;
}

std::vector<std::string> machine(const std::string& fusion) {
  return {"execution=\"eager\"", "attention=\"flash2\"", "gemm.max_split_k=1",
          R"(gemm.tiles=[{"bm":64,"bn":64,"bk":32,"stages":2}])", "fusion=" + fusion};
}

struct Outcome {
  double kernels = 0, l2_bytes = 0, flops = 0;
};

// Runs the workload on the A100 preset with each fusion setting.
std::vector<Outcome> run(const char* workload, const std::vector<std::string>& fusions) {
  Lowered l = lower(workload);
  std::vector<test::Run> runs;
  for (size_t i = 0; i < fusions.size(); ++i) {
    runs.push_back(test::build(test::machine_doc("a100-sxm4-80gb", machine(fusions[i])),
                               "m" + std::to_string(i)));
  }
  std::vector<test::Run*> ptrs;
  for (auto& r : runs) ptrs.push_back(&r);
  std::vector<Outcome> out;
  for (const Json& rep : test::simulate(ptrs, l.header, l.ops)) {
    out.push_back(Outcome{rep["metrics"]["kernels"].get<double>(), test::link_bytes(rep, "l2"),
                          rep["totals"]["flops"].get<double>()});
  }
  return out;
}

TEST(Fusion, TinyGptLayerKernelsAndBytes) {
  auto r = run(kTinyGpt, {"[]", R"(["gemm_epilogue"])", R"(["add_norm"])", R"(["merged_gemm"])",
                          R"(["rope_attention"])",
                          R"(["merged_gemm","gemm_epilogue","add_norm","rope_attention"])"});
  const double f = 256, kv = 64;  // d_ff; K/V width (2 heads x 32)
  // GELU in the up GEMM's epilogue: the GEMM writes GELU's output; up's output is neither
  // written nor read back: 2 M f e.
  EXPECT_EQ(r[0].kernels - r[1].kernels, 1);
  EXPECT_DOUBLE_EQ(r[0].l2_bytes - r[1].l2_bytes, 2 * kM * f * kE);
  // add1 + norm2: the sum is still written (add2 reads it) but not read back: M d e. add2 +
  // the final norm (over the last position only): the sum is read by nobody else, so it is
  // not written (M d e), and the norm does not read its last row (d e).
  EXPECT_EQ(r[0].kernels - r[2].kernels, 2);
  EXPECT_DOUBLE_EQ(r[0].l2_bytes - r[2].l2_bytes, kM * kD * kE + kM * kD * kE + kD * kE);
  // Q, K, V as one GEMM of N = 192: three 64-column blocks read A once each, as the three
  // GEMMs did: two kernels fewer, the same bytes.
  EXPECT_EQ(r[0].kernels - r[3].kernels, 2);
  EXPECT_DOUBLE_EQ(r[0].l2_bytes - r[3].l2_bytes, 0);
  // The KV-cache append inside attention: the new K and V rows are read once by the
  // attention kernel, not also by a copy kernel: 2 M kv e.
  EXPECT_EQ(r[0].kernels - r[4].kernels, 1);
  EXPECT_DOUBLE_EQ(r[0].l2_bytes - r[4].l2_bytes, 2 * kM * kv * kE);
  // All together: the savings add up.
  EXPECT_EQ(r[0].kernels - r[5].kernels, 1 + 2 + 2 + 1);
  EXPECT_DOUBLE_EQ(r[0].l2_bytes - r[5].l2_bytes, (r[0].l2_bytes - r[1].l2_bytes) +
                                                      (r[0].l2_bytes - r[2].l2_bytes) +
                                                      (r[0].l2_bytes - r[4].l2_bytes));
  for (const auto& o : r) EXPECT_EQ(o.flops, r[0].flops);
}

TEST(Fusion, TinyLlamaLayerKernelsAndBytes) {
  auto r = run(kTinyLlama, {"[]", R"(["gated_activation"])", R"(["rope_attention"])",
                            R"(["merged_gemm"])", R"(["add_norm"])"});
  const double f = 128, q = 64, kv = 32;  // d_ff; Q width (2 x 32); K/V width (1 x 32)
  // act(gate) * up as one kernel: act(gate) is neither written nor read back: 2 M f e.
  EXPECT_EQ(r[0].kernels - r[1].kernels, 1);
  EXPECT_DOUBLE_EQ(r[0].l2_bytes - r[1].l2_bytes, 2 * kM * f * kE);
  // RoPE and the append inside attention: RoPE's reads of Q and K and writes of rotated Q
  // and K, and the copy kernel's reads of rotated K and V, all go: 2 M (q + kv) e + 2 M kv e.
  EXPECT_EQ(r[0].kernels - r[2].kernels, 2);
  EXPECT_DOUBLE_EQ(r[0].l2_bytes - r[2].l2_bytes, 2 * kM * (q + kv) * kE + 2 * kM * kv * kE);
  // Q, K, V (64 + 32 + 32 columns) as one GEMM: 2 blocks of 64 columns instead of 3 blocks
  // (K and V each fit one): one A panel (M x d) less. Gate and up (128 + 128 columns): 4
  // blocks either way. Three kernels fewer.
  EXPECT_EQ(r[0].kernels - r[3].kernels, 3);
  EXPECT_DOUBLE_EQ(r[0].l2_bytes - r[3].l2_bytes, kM * kD * kE);
  // Residual add + RMSNorm, as for the tiny GPT.
  EXPECT_EQ(r[0].kernels - r[4].kernels, 2);
  EXPECT_DOUBLE_EQ(r[0].l2_bytes - r[4].l2_bytes, 2 * kM * kD * kE + kD * kE);
}

TEST(Fusion, FusedOpsAreRecordedOnTheirGroup) {
  Lowered l = lower(kTinyGpt);
  test::Run run = test::build(
      test::machine_doc("a100-sxm4-80gb", machine(R"(["merged_gemm","gemm_epilogue"])")), "m0");
  Json rep = test::simulate({&run}, l.header, l.ops)[0];
  const Json& k = test::op_entry(rep, "L0.attn.k");
  EXPECT_EQ(k["bound"]["fused"].get<int>(), 1);
  EXPECT_EQ(k["busy_seconds"].get<double>(), 0.0);
  EXPECT_GT(test::op_seconds(rep, "L0.attn.q"), 0.0);
  EXPECT_EQ(test::op_entry(rep, "L0.ffn.act")["bound"]["fused"].get<int>(), 1);
  EXPECT_EQ(rep["metrics"]["fusion"]["merged_gemm"].get<int>(), 1);
  EXPECT_EQ(rep["metrics"]["fusion"]["gemm_epilogue"].get<int>(), 1);
}

}  // namespace
}  // namespace cimsim::vn
