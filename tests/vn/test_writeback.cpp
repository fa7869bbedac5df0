// The L2 writes dirty evictions back with several writes in flight (its write-back buffer),
// so a stream of write-backs is bandwidth bound, not latency bound.
#include <gtest/gtest.h>

#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

TEST(WriteBack, SeveralInFlightDrainAtBandwidthNotLatency) {
  // A 1 MiB L2 and a matmul writing a 32 MiB output: almost all of it is written back while
  // the op runs. Memory: 2 TB/s after 400 ns.
  trace::TraceHeader h;
  std::vector<trace::Op> ops{test::matmul("mm", 4096, 4096, 64, h)};
  auto serial_doc = test::machine_doc("a100-sxm4-80gb",
                                      {"l2.capacity_bytes=1048576", "l2.writebacks_in_flight=1"});
  auto pooled_doc = test::machine_doc("a100-sxm4-80gb", {"l2.capacity_bytes=1048576"});
  test::Run serial = test::build(serial_doc, "serial", false, 2e12, 400);
  test::Run pooled = test::build(pooled_doc, "pooled", false, 2e12, 400);
  auto reps = test::simulate({&serial, &pooled}, h, ops);
  const double written = test::link_bytes(reps[1], "hbm", "write");
  EXPECT_GT(written, 30.0 * (1 << 20));
  EXPECT_EQ(test::link_bytes(reps[0], "hbm", "write"), written);
  double ts = reps[0]["totals"]["seconds"].get<double>();
  double tp = reps[1]["totals"]["seconds"].get<double>();
  // One at a time: each 32 KiB block waits out the latency (~1000 x 416 ns). 32 in flight:
  // close to the write bytes at 2 TB/s (16 us) plus launch and compute.
  EXPECT_GT(ts, 300e-6);
  EXPECT_LT(tp, 40e-6);
  EXPECT_GT(tp, written / 2e12);
}

}  // namespace
}  // namespace cimsim::vn
