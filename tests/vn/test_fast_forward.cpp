// Fast-forward (memoised identical ops) against full simulation, and byte conservation
// between what the machine requests and what the HBM model reports.
#include <gtest/gtest.h>

#include "mini_decoder.hpp"

namespace cimsim::vn {
namespace {

double total(const Json& rep, const char* key) {
  return rep["totals"][key].get<double>();
}

TEST(FastForward, EqualsFullSimulationWithinOnePercent) {
  test::MiniDecoder m;
  m.layers = 4;
  m.generate = 6;
  // Kernels of a few microseconds at least: a replay keeps its recording's DRAM latencies
  // (open rows, refresh), which for sub-microsecond kernels are a sizeable share.
  m.d = 512;
  m.ff = 2048;
  trace::TraceHeader h;
  auto ops = test::mini_decoder(m, h);
  auto doc = test::machine_doc("a100-sxm4-80gb");
  test::Run fast = test::build(doc, "fast", true);
  test::Run full = test::build(doc, "full", false);
  auto reps = test::simulate({&fast, &full}, h, ops);
  const Json &f = reps[0], &s = reps[1];
  EXPECT_GT(f["metrics"]["fast_forward"]["ops_fast_forwarded"].get<uint64_t>(), ops.size() / 3);
  EXPECT_EQ(s["metrics"]["fast_forward"]["ops_fast_forwarded"].get<uint64_t>(), 0u);
  EXPECT_GT(f["totals"]["fast_forwarded_ops"].get<uint64_t>(), 0u);
  EXPECT_NEAR(total(f, "seconds") / total(s, "seconds"), 1.0, 0.01);
  EXPECT_NEAR(total(f, "energy_j") / total(s, "energy_j"), 1.0, 0.01);
  for (const char* link : {"hbm", "l2", "smem"}) {
    for (const char* dir : {"read", "write"}) {
      double a = test::link_bytes(f, link, dir), b = test::link_bytes(s, link, dir);
      EXPECT_NEAR(a, b, 0.01 * b + 1) << link << " " << dir;
    }
  }
  // Per phase too: time to first token and per-token latency.
  EXPECT_NEAR(f["latency"]["time_to_first_token_s"].get<double>() /
                  s["latency"]["time_to_first_token_s"].get<double>(),
              1.0, 0.01);
  EXPECT_NEAR(f["latency"]["time_per_output_token_s"].get<double>() /
                  s["latency"]["time_per_output_token_s"].get<double>(),
              1.0, 0.01);
}

// Tensor-core GEMMs of 20, 20 and 22 rows pad their rows to the MMA's 16-row steps (32), so
// their tiles, thread blocks and MACs are the same. The first leaves the split-K workspace warm,
// so the second is simulated again; the third replays an M = 20 recording (as an ENTP pass,
// one token longer, replays the last pass's GEMMs); without the padded key it would not. What the
// third's thread blocks move between shared memory and the L2 is its own: equal to full
// simulation's, byte for byte.
TEST(FastForward, GemmOfOtherRowsInTheSameMmaStepReplays) {
  trace::TraceHeader h;
  std::vector<trace::Op> ops{test::matmul("a0", 20, 2048, 2048, h, "x0", "y0"),
                             test::matmul("a", 20, 2048, 2048, h, "x", "y"),
                             test::matmul("b", 22, 2048, 2048, h, "x2", "y2")};
  auto doc = test::machine_doc("a100-sxm4-80gb");
  test::Run fast = test::build(doc, "fast", true);
  test::Run full = test::build(doc, "full", false);
  auto reps = test::simulate({&fast, &full}, h, ops);
  const Json &f = reps[0], &s = reps[1];
  EXPECT_EQ(f["metrics"]["fast_forward"]["ops_fast_forwarded"].get<uint64_t>(), 1u)
      << f["metrics"]["fast_forward"].dump();
  for (const char* link : {"l2", "smem"}) {
    for (const char* dir : {"read", "write"}) {
      EXPECT_EQ(test::link_bytes(f, link, dir), test::link_bytes(s, link, dir)) << link << dir;
    }
  }
  EXPECT_NEAR(test::op_seconds(f, "b") / test::op_seconds(s, "b"), 1.0, 0.01);
  EXPECT_NEAR(test::link_bytes(f, "hbm") / test::link_bytes(s, "hbm"), 1.0, 0.01);
}

TEST(Conservation, HbmReportsExactlyWhatTheMachineRequested) {
  test::MiniDecoder m;
  m.layers = 2;
  m.generate = 3;
  trace::TraceHeader h;
  auto ops = test::mini_decoder(m, h);
  auto doc = test::machine_doc("a100-sxm4-80gb", {"l2.capacity_bytes=1048576"});
  test::Run run = test::build(doc, "m0", false);
  Json rep = test::simulate({&run}, h, ops)[0];
  uint64_t requested = run.exec->requested_bytes();
  EXPECT_GT(requested, 0u);
  EXPECT_EQ(run.exec->memory_reported_bytes(), requested);
  // The report's HBM totals are the memory's own counts.
  EXPECT_EQ(static_cast<uint64_t>(test::link_bytes(rep, "hbm")), requested);
  // Every op's bytes add up to the totals (nothing is lost between ops).
  double sum = 0;
  for (const auto& o : rep["ops"])
    sum += o["bytes"]["hbm"]["read"].get<double>() + o["bytes"]["hbm"]["write"].get<double>();
  EXPECT_DOUBLE_EQ(sum, test::link_bytes(rep, "hbm"));
}

}  // namespace
}  // namespace cimsim::vn
