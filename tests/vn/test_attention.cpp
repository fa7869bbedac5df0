// Attention: HBM traffic of the standard and FlashAttention forms against the IO analysis of
// Dao et al. (arXiv 2205.14135, Theorem 2), and decode KV-cache reads.
#include <gtest/gtest.h>

#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

double op_bytes(const Json& rep, const std::string& name, const char* link) {
  const Json& o = test::op_entry(rep, name);
  return o["bytes"][link]["read"].get<double>() + o["bytes"][link]["write"].get<double>();
}

// A small L2 so that HBM sees what SRAM asks for (the paper's model has no L2).
const std::vector<std::string> kSmallL2 = {"l2.capacity_bytes=262144", "execution=\"eager\""};

TEST(Attention, StandardHbmBytesGrowAsNSquared) {
  auto sets = kSmallL2;
  sets.push_back("attention=\"standard\"");
  auto doc = test::machine_doc("a100-sxm4-80gb", sets);
  test::Run run = test::build(doc, "m0");
  trace::TraceHeader h;
  std::vector<trace::Op> ops;
  for (uint64_t n : {1024, 2048, 4096})
    ops.push_back(test::attention("att" + std::to_string(n), 2, 64, n, n, false, h));
  Json rep = test::simulate({&run}, h, ops)[0];
  double b1 = op_bytes(rep, "att1024", "hbm"), b2 = op_bytes(rep, "att2048", "hbm"),
         b4 = op_bytes(rep, "att4096", "hbm");
  // S and P (N^2 each, written and read) dominate for N >> d: about 4x per doubling (a
  // little more while K still fits the small L2 at the smaller N).
  EXPECT_GT(b2 / b1, 3.5);
  EXPECT_LT(b2 / b1, 4.8);
  EXPECT_GT(b4 / b2, 3.5);
  EXPECT_LT(b4 / b2, 4.8);
  // At least S written, S read, P written, P read once: 4 N^2 x 2 bytes per head.
  EXPECT_GE(b4, 4.0 * 4096 * 4096 * 2 * 2);
}

TEST(Attention, FlashMovesSeveralTimesLessAndFallsWithSram) {
  const uint64_t n = 4096, d = 64, heads = 2;
  trace::TraceHeader h;
  std::vector<trace::Op> ops{test::attention("att", heads, d, n, n, false, h)};
  std::vector<test::Run> runs;
  std::vector<std::string> names = {"std", "f32k", "f64k", "f160k"};
  std::vector<std::string> extra = {"attention=\"standard\"",
                                    R"(attention={"name":"flash","sram_bytes":32768})",
                                    R"(attention={"name":"flash","sram_bytes":65536})",
                                    R"(attention={"name":"flash","sram_bytes":163840})"};
  for (size_t i = 0; i < names.size(); ++i) {
    auto sets = kSmallL2;
    sets.push_back(extra[i]);
    runs.push_back(test::build(test::machine_doc("a100-sxm4-80gb", sets), names[i]));
  }
  auto reps = test::simulate({&runs[0], &runs[1], &runs[2], &runs[3]}, h, ops);
  double standard = op_bytes(reps[0], "att", "hbm");
  std::vector<double> hbm, sram_link;
  for (size_t i = 1; i < reps.size(); ++i) {
    hbm.push_back(op_bytes(reps[i], "att", "hbm"));
    sram_link.push_back(op_bytes(reps[i], "att", "l2"));
  }
  EXPECT_GT(standard / hbm[2], 3.0) << standard << " vs " << hbm[2];
  EXPECT_GT(sram_link[0], sram_link[1]);
  EXPECT_GT(sram_link[1], sram_link[2]);
  EXPECT_GT(hbm[0], hbm[2]);
  // Algorithm 1's traffic between SRAM and the next level, exactly: per (sequence, head)
  // K and V once; for each of Tc x Tr blocks Q_i, O_i read, O_i written, l_i and m_i read and
  // written (8 bytes a row); plus the initial write of O, l, m.
  for (size_t i = 0; i < 3; ++i) {
    uint64_t m = std::vector<uint64_t>{32768, 65536, 163840}[i] / 2;
    uint64_t bc = (m + 4 * d - 1) / (4 * d), br = std::min(bc, d);
    uint64_t tc = (n + bc - 1) / bc;
    (void)br;
    double per_head = 2.0 * n * d * 2 + static_cast<double>(tc) * (3.0 * n * d * 2 + 16.0 * n) +
                      (n * d * 2 + 8.0 * n);
    EXPECT_DOUBLE_EQ(sram_link[i], heads * per_head) << "sram " << m * 2;
  }
}

TEST(Attention, DecodeKvReadsGrowLinearlyWithContext) {
  auto doc = test::machine_doc("a100-sxm4-80gb", kSmallL2);
  test::Run run = test::build(doc, "m0");
  trace::TraceHeader h;
  std::vector<trace::Op> ops;
  const uint64_t heads = 8, d = 128;
  for (uint64_t kv : {1024, 2048, 4096}) {
    auto op = test::attention("dec", heads, d, 1, kv, true, h, true, 4096);
    op.name = "dec" + std::to_string(kv);
    ops.push_back(op);
  }
  Json rep = test::simulate({&run}, h, ops)[0];
  for (uint64_t kv : {1024, 2048, 4096}) {
    double read =
        test::op_entry(rep, "dec" + std::to_string(kv))["bytes"]["hbm"]["read"].get<double>();
    double kv_bytes = 2.0 * kv * heads * d * 2;  // K and V rows up to kv_len, all heads
    // The steps share one cache: what the small L2 kept of the previous step may hit.
    EXPECT_GE(read, kv_bytes - 262144) << kv;
    EXPECT_LE(read, kv_bytes * 1.02 + 65536) << kv;
  }
}

// FlashDecoding-style split-KV: a decode step of 32 heads (Llama-2-7B) keeps 32 of the A100's
// 108 SMs busy unless the KV sequence is split; split, it reads the same K and V. With the
// GPU-style HBM interleaving 32 streams already draw most of the HBM's bandwidth, so the split
// gains nothing there and costs at most its combining kernel; a step of 4 heads (4 streams)
// cannot, and the split makes it several times faster.
TEST(Attention, SplitKvDecodeUsesMoreUnitsAndReadsTheSameKv) {
  const uint64_t d = 128, kv = 4096, few_kv = 16384;
  trace::TraceHeader h;
  std::vector<trace::Op> ops{test::attention("dec", 32, d, 1, kv, true, h, true, kv),
                             test::attention("few", 4, d, 1, few_kv, true, h, true, few_kv)};
  test::Run plain =
      test::build(test::machine_doc("a100-sxm4-80gb", {"attention=\"flash\""}), "plain");
  test::Run split = test::build(
      test::machine_doc("a100-sxm4-80gb", {R"(attention={"name":"flash","split_kv":0})"}), "split");
  test::Run four = test::build(
      test::machine_doc("a100-sxm4-80gb", {R"(attention={"name":"flash","split_kv":4})"}), "four");
  auto reps = test::simulate({&plain, &split, &four}, h, ops);
  const double kv_bytes = 2.0 * kv * 32 * d * 2;
  for (const auto& rep : reps) {
    double read = test::op_entry(rep, "dec")["bytes"]["hbm"]["read"].get<double>();
    EXPECT_GE(read, kv_bytes);
    EXPECT_LE(read, kv_bytes * 1.02 + 262144);
  }
  // 108 / 32 -> 3 splits: 96 blocks and a combining kernel; 4 splits: 128 blocks; 4 heads:
  // 108 / 4 = 27 splits.
  const auto& plain_ops = reps[0]["metrics"];
  EXPECT_EQ(plain_ops["thread_blocks"].get<uint64_t>(), 32u + 4u);
  EXPECT_EQ(reps[1]["metrics"]["kernels"].get<uint64_t>(), 4u);
  EXPECT_GE(reps[1]["metrics"]["thread_blocks"].get<uint64_t>(), 96u + 108u);
  EXPECT_GE(reps[2]["metrics"]["thread_blocks"].get<uint64_t>(), 128u + 16u);
  // 32 streams: at least 70 % of the 2.039 TB/s peak unsplit; the split costs at most 10 %.
  double t_plain = test::op_seconds(reps[0], "dec"), t_split = test::op_seconds(reps[1], "dec"),
         t_four = test::op_seconds(reps[2], "dec");
  EXPECT_GE(kv_bytes / t_plain, 0.7 * 2.039e12) << t_plain;
  EXPECT_LT(t_split, 1.1 * t_plain) << t_split << " vs " << t_plain;
  EXPECT_LT(t_four, 1.1 * t_plain) << t_four << " vs " << t_plain;
  // 4 streams: splitting 27 ways is at least twice as fast.
  double f_plain = test::op_seconds(reps[0], "few"), f_split = test::op_seconds(reps[1], "few");
  EXPECT_LT(2 * f_split, f_plain) << f_split << " vs " << f_plain;
  // The same FLOPs are counted (the combine adds vector work only).
  EXPECT_EQ(test::op_entry(reps[0], "dec")["flops"], test::op_entry(reps[1], "dec")["flops"]);
}

}  // namespace
}  // namespace cimsim::vn
