// FlashAttention-2 and FlashDecoding split-KV (attention kernel "flash2"): the bytes each
// kernel moves between SRAM and the next level against its closed form, block counts from
// flash-attn's sm80 block sizes and its num_splits_heuristic worked by hand, grouped-query
// decode reading K/V once per K/V head, and the forward rate against the paper's figure.
#include <gtest/gtest.h>

#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

// A fused attention op over activations (prefill/encoder) or a KV cache (decode), with
// `kv_heads` K/V heads.
trace::Op attention_op(const std::string& name, uint64_t heads, uint64_t kv_heads, uint64_t d,
                       uint64_t q_len, uint64_t kv_len, bool causal, trace::PhaseKind phase,
                       trace::TraceHeader& h) {
  trace::Op op;
  op.kind = trace::OpKind::attention;
  op.name = name;
  op.layer = 0;
  op.phase = trace::Phase{phase, phase == trace::PhaseKind::decode ? 1u : 0u};
  op.attn = trace::AttentionShape{1, heads, kv_heads, d, q_len, kv_len, causal};
  op.flops = 4 * heads * d * op.attn.pairs();
  op.inputs.push_back(test::tensor(name + ".q", trace::TensorKind::activation, {q_len, heads * d}));
  const bool cache = phase == trace::PhaseKind::decode;
  for (const char* s : {".k", ".v"}) {
    auto kind = cache ? trace::TensorKind::kv_cache : trace::TensorKind::activation;
    auto t = test::tensor(name + s, kind, {kv_len, kv_heads * d});
    if (cache) h.kv_caches.push_back(test::decl(t));
    op.inputs.push_back(t);
  }
  op.outputs.push_back(
      test::tensor(name + ".o", trace::TensorKind::activation, {q_len, heads * d}));
  return op;
}

double link(const Json& rep, const std::string& op, const char* l) {
  const Json& o = test::op_entry(rep, op);
  return o["bytes"][l]["read"].get<double>() + o["bytes"][l]["write"].get<double>();
}

const std::vector<std::string> kPlain = {"attention=\"flash2\"", "execution=\"eager\""};

// Per (sequence, head) with N rows, Tr = ceil(N / Bm) query blocks and e-byte elements: Q and
// O once, K and V once per query block that sees them, and the fp32 log-sum-exp.
//   non-causal: N d e (2 + 2 Tr) + 4 N;  causal (Bm = Bn): N d e (2 + Tr + 1) + 4 N.
TEST(Flash2, PrefillBytesAreTheClosedForm) {
  const uint64_t n = 512, heads = 2, e = 2;
  trace::TraceHeader h;
  std::vector<trace::Op> ops{
      attention_op("d64", heads, heads, 64, n, n, false, trace::PhaseKind::encode, h),
      attention_op("d64c", heads, heads, 64, n, n, true, trace::PhaseKind::encode, h),
      attention_op("d128", heads, heads, 128, n, n, false, trace::PhaseKind::encode, h)};
  test::Run run = test::build(test::machine_doc("a100-sxm4-80gb", kPlain), "m0");
  Json rep = test::simulate({&run}, h, ops)[0];
  // d = 64: Bm = Bn = 128, Tr = 4. d = 128: Bm = 128, Bn = 64, Tr = 4.
  const double tr = 4;
  EXPECT_DOUBLE_EQ(link(rep, "d64", "l2"), heads * (n * 64.0 * e * (2 + 2 * tr) + 4.0 * n));
  EXPECT_DOUBLE_EQ(link(rep, "d64c", "l2"), heads * (n * 64.0 * e * (2 + tr + 1) + 4.0 * n));
  EXPECT_DOUBLE_EQ(link(rep, "d128", "l2"), heads * (n * 128.0 * e * (2 + 2 * tr) + 4.0 * n));
  // One thread block per (head, query block): 2 x 4 per op.
  EXPECT_EQ(rep["metrics"]["thread_blocks"].get<uint64_t>(), 3u * heads * 4);
}

// flash-attn's num_splits_heuristic (flash_api.cpp) for a batch-1 decode step of 32 heads of
// 128 over 4096 keys on 108 SMs: 32 (sequence, head) blocks against 2 x 108 = 216 slots;
// Bn = 128 gives 32 K/V blocks. Eligible splits (each changes the blocks per split): 1, 2, 3,
// 4, 5, 6, 7, 8, 11, 16, 32; wave efficiencies 32 s / 216 / ceil(...): s = 6 -> 0.889,
// s = 7 -> 0.519, 11 -> 0.815, 16 -> 0.790, 32 -> 0.948 (the best). The smallest split
// within 85 % of 0.948 (0.806) is 6: 192 blocks and a combine kernel.
TEST(Flash2, DecodeSplitsAsFlashAttnsHeuristic) {
  const uint64_t heads = 32, d = 128, kv = 4096, e = 2;
  trace::TraceHeader h;
  std::vector<trace::Op> ops{
      attention_op("dec", heads, heads, d, 1, kv, true, trace::PhaseKind::decode, h)};
  test::Run run = test::build(test::machine_doc("a100-sxm4-80gb", kPlain), "m0");
  Json rep = test::simulate({&run}, h, ops)[0];
  EXPECT_EQ(rep["metrics"]["kernels"].get<uint64_t>(), 2u);
  // The combine streams 32 KiB per block: floor(107264 / 32768) = 3 blocks.
  EXPECT_EQ(rep["metrics"]["thread_blocks"].get<uint64_t>(), 192u + 3);
  // K and V once; Q by each split; fp32 partial O and log-sum-exp written and read back; O.
  const double splits = 6;
  const double kv_bytes = 2.0 * kv * heads * d * e;
  const double q = heads * d * e, partial = splits * heads * (d * 4.0 + 4);
  EXPECT_DOUBLE_EQ(link(rep, "dec", "l2"), kv_bytes + splits * q + 2 * partial + q);
}

// A partial block runs its whole tile on the matrix units (gemm.full_edge_tiles): one decode
// query, one head, d = 128, 128 cached keys. flash-attn's decode block is 64 rows; its split
// block of 128 keys gives one block, so one split, and the unsplit block of 64 keys gives two.
// Each runs S = Q K^T and P V over 64 rows x 64 keys x 128: 2 x 2 x 64 x 64 x 128 = 2,097,152
// MACs, where the query's row padded to the MMA's 16 (false) would issue 524,288.
double one_query_decode_macs(bool full) {
  trace::TraceHeader h;
  std::vector<trace::Op> ops{
      attention_op("dec", 1, 1, 128, 1, 128, true, trace::PhaseKind::decode, h)};
  std::vector<std::string> sets = kPlain;
  sets.push_back(std::string("gemm.full_edge_tiles=") + (full ? "true" : "false"));
  test::Run run = test::build(test::machine_doc("a100-sxm4-80gb", sets), "m0");
  Json rep = test::simulate({&run}, h, ops)[0];
  EXPECT_EQ(rep["metrics"]["thread_blocks"].get<uint64_t>(), 1u) << "one split";
  for (const auto& c : rep["components"]) {
    if (c["name"] == "sm.tensor") {
      return c["actions"]["mac_fp16"]["count"].get<double>();
    }
  }
  return 0;
}

TEST(Flash2, PartialDecodeBlockRunsItsWholeTile) {
  EXPECT_DOUBLE_EQ(one_query_decode_macs(true), 2.0 * 2 * 64 * 64 * 128);
}

TEST(Flash2, PartialDecodeBlockPadsToTheMmaWithoutFullTiles) {
  EXPECT_DOUBLE_EQ(one_query_decode_macs(false), 2.0 * 2 * 16 * 64 * 128);
}

// Grouped-query decode (32 query heads on 8 K/V heads): the 4 heads of a K/V head are the
// rows of one block (seqlenq_ngroups_swapped), so K and V are read once per K/V head. 8
// blocks against 216 slots, 32 K/V blocks: eligible splits as above; efficiencies 8 s / 216
// rounded up in waves: 16 -> 0.593, 32 -> 0.593 (the best), 11 -> 0.407, 8 -> 0.296: the
// smallest within 85 % is 16: 128 blocks.
TEST(Flash2, GroupedQueryDecodeReadsEachKvHeadOnce) {
  const uint64_t heads = 32, kvh = 8, d = 128, kv = 4096, e = 2;
  trace::TraceHeader h;
  std::vector<trace::Op> ops{
      attention_op("gqa", heads, kvh, d, 1, kv, true, trace::PhaseKind::decode, h)};
  test::Run run = test::build(test::machine_doc("a100-sxm4-80gb", kPlain), "m0");
  Json rep = test::simulate({&run}, h, ops)[0];
  // The combine: floor((264192 + 8192) / 32768) = 8 blocks.
  EXPECT_EQ(rep["metrics"]["thread_blocks"].get<uint64_t>(), 128u + 8);
  const double splits = 16;
  const double kv_bytes = 2.0 * kv * kvh * d * e;  // not x 4
  const double q = heads * d * e, partial = splits * heads * (d * 4.0 + 4);
  EXPECT_DOUBLE_EQ(link(rep, "gqa", "l2"), kv_bytes + splits * q + 2 * partial + q);
}

// The forward pass reaches 50-73 % of the A100's fp16 peak in the paper (Dao 2023, section
// 4.1 and Figure 5: up to 73 % with head dimension 128, less with 64), the softmax not
// overlapping the matmuls (FlashAttention-3, section 3.1). The kernel's rate lies there, and
// below the tensor cores' sustained rate.
TEST(Flash2, ForwardRateIsWithinThePapersRange) {
  const uint64_t n = 8192, heads = 16;
  trace::TraceHeader h;
  std::vector<trace::Op> ops{
      attention_op("a128", heads, heads, 128, n, n, false, trace::PhaseKind::encode, h),
      attention_op("a64", heads * 2, heads * 2, 64, n, n, false, trace::PhaseKind::encode, h)};
  test::Run run = test::build(test::machine_doc("a100-sxm4-80gb", kPlain), "m0");
  Json rep = test::simulate({&run}, h, ops)[0];
  const double peak = 108.0 * 1024 * 2 * 1.41e9;
  const double r128 =
      test::op_entry(rep, "a128")["flops"].get<double>() / test::op_seconds(rep, "a128") / peak;
  const double r64 =
      test::op_entry(rep, "a64")["flops"].get<double>() / test::op_seconds(rep, "a64") / peak;
  EXPECT_GT(r128, 0.50) << r128;
  EXPECT_LT(r128, 0.75) << r128;
  EXPECT_LT(r64, r128) << r64 << " vs " << r128;
  EXPECT_GT(r64, 0.35) << r64;
}

}  // namespace
}  // namespace cimsim::vn
