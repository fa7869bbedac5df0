// A thread block's main loop as one batched event equals the same loop simulated step by step
// (one event and one transfer per K step through the DMA engine, crossbar, L2 and memory).
#include <gtest/gtest.h>

#include <cmath>

#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

// Runs the same trace on a batched and a step-by-step machine in one simulation.
std::pair<Json, Json> both(const std::vector<std::string>& sets, double bytes_per_s,
                           double latency_ns, const std::vector<trace::Op>& ops,
                           const trace::TraceHeader& h) {
  auto doc = test::machine_doc("a100-sxm4-80gb", sets);
  test::Run batched = test::build(doc, "batched", false, bytes_per_s, latency_ns);
  test::Run step = test::build(doc, "step", false, bytes_per_s, latency_ns);
  step.exec->machine().set_step_mode(true);
  auto reps = test::simulate({&batched, &step}, h, ops);
  EXPECT_GT(step.fixed->transactions, batched.fixed->transactions);  // really step by step
  return {reps[0], reps[1]};
}

const std::vector<std::string> kOneTile = {
    "gemm.tiles=[{\"bm\":128,\"bn\":256,\"bk\":32,\"stages\":3}]", "gemm.max_split_k=1",
    "execution=\"eager\""};

TEST(TileBatching, MemoryBoundSingleBlockEqualsStepByStep) {
  trace::TraceHeader h;
  std::vector<trace::Op> ops{test::matmul("mm", 128, 256, 4096, h)};
  auto [b, s] = both(kOneTile, 50e9, 400, ops, h);
  double tb = b["totals"]["seconds"].get<double>(), ts = s["totals"]["seconds"].get<double>();
  EXPECT_NEAR(tb, ts, 128 * 2e-12) << tb << " vs " << ts;  // 128 steps, 1 ps rounding each
  EXPECT_EQ(test::link_bytes(b, "hbm"), test::link_bytes(s, "hbm"));
  EXPECT_EQ(test::link_bytes(b, "l2"), test::link_bytes(s, "l2"));
}

TEST(TileBatching, ComputeBoundSingleBlockEqualsStepByStep) {
  trace::TraceHeader h;
  std::vector<trace::Op> ops{test::matmul("mm", 128, 256, 4096, h)};
  auto [b, s] = both(kOneTile, 20e12, 50, ops, h);
  double tb = b["totals"]["seconds"].get<double>(), ts = s["totals"]["seconds"].get<double>();
  EXPECT_NEAR(tb, ts, 128 * 2e-12) << tb << " vs " << ts;
  // Compute-bound: first stage + 128 steps of 128x256x32 MACs at 1024 MAC/cycle (1.41 GHz).
  double steps_ps = 128 * (128.0 * 256 * 32 / 1024) * (1000 / 1.41);
  EXPECT_GT(tb, steps_ps * 1e-12);
}

TEST(TileBatching, ManyBlocksUnderContentionStayClose) {
  trace::TraceHeader h;
  std::vector<trace::Op> ops{test::matmul("mm", 2048, 2048, 2048, h)};
  auto [b, s] = both({"execution=\"eager\""}, 1.5e12, 300, ops, h);
  double tb = b["totals"]["seconds"].get<double>(), ts = s["totals"]["seconds"].get<double>();
  EXPECT_NEAR(tb / ts, 1.0, 0.03) << tb << " vs " << ts;
}

}  // namespace
}  // namespace cimsim::vn
