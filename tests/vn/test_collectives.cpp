// The closed forms of a node's communication (collectives.hpp), against hand-computed values:
// ring all-reduce and all-gather bytes and times for 2, 4 and 8 ranks, sends, and the ring
// topology. No SystemC kernel needed.
#include <gtest/gtest.h>

#include "cimsim/vn/collectives.hpp"

namespace cimsim::vn {
namespace {

// The 8x-a100-sxm4-80gb link: 300 GB/s per direction, 0.6 us per ring step, 6.6 us per call.
LinkParams a100_link() {
  LinkParams l;
  l.bandwidth_bytes_per_s = 300e9;
  l.latency_ps = 600e3;
  l.base_ps = 6600e3;
  l.devices = 8;
  return l;
}

TEST(Collectives, AllReduceOfOneDecodeRowFor2And4And8Ranks) {
  // Llama-2-70B's residual row at batch 1: 8192 fp16 values = 16384 bytes. Each rank sends
  // 2 (N - 1) chunks of 16384 / N bytes; time = 6.6 us + 2 (N - 1) x 0.6 us + sent / 300 GB/s.
  const LinkParams l = a100_link();
  const uint64_t s = 16384;
  struct Row {
    uint32_t n;
    uint64_t sent;
    double time_ns;
  };
  const Row rows[] = {
      {2, 2 * 8192, 6600 + 2 * 600 + 16384 / 300.0},    // 7854.61 ns
      {4, 6 * 4096, 6600 + 6 * 600 + 24576 / 300.0},    // 10281.92 ns
      {8, 14 * 2048, 6600 + 14 * 600 + 28672 / 300.0},  // 15095.57 ns
  };
  for (const Row& r : rows) {
    CommCost c = ring_all_reduce(l, r.n, s);
    EXPECT_EQ(c.sent_bytes, r.sent) << r.n;
    EXPECT_EQ(c.received_bytes, r.sent) << r.n;
    EXPECT_NEAR(c.time_ps, r.time_ns * 1e3, 1e-3) << r.n;
  }
}

TEST(Collectives, LargeAllReduceIsTwiceNMinusOneOverNOfTheDataAtTheLinkBandwidth) {
  // With no latency, the ring's bandwidth term alone: 2 (N - 1) / N x S / B.
  LinkParams l = a100_link();
  l.latency_ps = l.base_ps = 0;
  const uint64_t s = 64ull << 20;  // 64 MiB, divisible by 2, 4 and 8
  for (uint32_t n : {2u, 4u, 8u}) {
    const double expect_s = 2.0 * (n - 1) / n * static_cast<double>(s) / 300e9;
    EXPECT_NEAR(ring_all_reduce(l, n, s).time_ps, expect_s * 1e12, 1.0) << n;
    EXPECT_EQ(ring_all_reduce(l, n, s).sent_bytes, 2 * (n - 1) * (s / n)) << n;
  }
  // 8 ranks, 64 MiB: 14/8 x 67108864 B / 300 GB/s = 391.46 us.
  EXPECT_NEAR(ring_all_reduce(l, 8, s).time_ps * 1e-6, 391.4684, 1e-3);
}

TEST(Collectives, AllGatherIsHalfTheAllReducesSteps) {
  // The logits of a 32000-token vocabulary in fp16 over 8 ranks: 64000 bytes, each rank sends
  // 7 chunks of 8000; 6.6 + 7 x 0.6 us + 56000 B / 300 GB/s.
  CommCost c = ring_all_gather(a100_link(), 8, 64000);
  EXPECT_EQ(c.sent_bytes, 7u * 8000u);
  EXPECT_NEAR(c.time_ps, (6600 + 7 * 600 + 56000 / 300.0) * 1e3, 1e-3);
}

TEST(Collectives, OneRankOrNothingToSendCostsNothing) {
  EXPECT_EQ(ring_all_reduce(a100_link(), 1, 1 << 20).time_ps, 0.0);
  EXPECT_EQ(ring_all_reduce(a100_link(), 8, 0).sent_bytes, 0u);
  EXPECT_EQ(send(a100_link(), 1, 0).time_ps, 0.0);
}

TEST(Collectives, UnevenSizesSendWholeChunks) {
  // 10 bytes over 4 ranks: chunks of ceil(10 / 4) = 3 bytes, 6 steps.
  EXPECT_EQ(ring_all_reduce(a100_link(), 4, 10).sent_bytes, 18u);
}

TEST(Collectives, SendOnASwitchIsOneHopAtFullBandwidth) {
  // A pipeline stage's activations, 128 x 8192 fp16 = 2 MiB: 6.6 + 0.6 us + 2097152 / 300 GB/s.
  CommCost c = send(a100_link(), 4, 2097152);
  EXPECT_EQ(c.sent_bytes, 2097152u);
  EXPECT_NEAR(c.time_ps, (6600 + 600 + 2097152 / 300.0) * 1e3, 1e-3);
}

TEST(Collectives, RingTopologyHalvesPointToPointBandwidthAndCountsHops) {
  LinkParams l = a100_link();
  l.topology = LinkTopology::ring;
  l.base_ps = 0;
  // 3 devices apart on a ring of 8: the shorter way is 3 hops, at 150 GB/s.
  EXPECT_NEAR(send(l, 3, 300000).time_ps, (3 * 600 + 300000 / 150.0) * 1e3, 1e-3);
  // 6 apart: 2 hops the other way round.
  EXPECT_NEAR(send(l, 6, 300000).time_ps, (2 * 600 + 300000 / 150.0) * 1e3, 1e-3);
  // A collective of 4 consecutive devices of the 8: each step waits for the edge that closes
  // its ring through the other devices, min(3, 8 - 4 + 1) = 3 hops; its bandwidth is the
  // switch's (both directions of the ring carry half the data).
  CommCost c = ring_all_reduce(l, 4, 16384);
  EXPECT_NEAR(c.time_ps, (6 * 3 * 600 + 24576 / 300.0) * 1e3, 1e-3);
  // All 8 devices: the ring closes itself, one hop a step.
  EXPECT_NEAR(ring_all_reduce(l, 8, 16384).time_ps, (14 * 600 + 28672 / 300.0) * 1e3, 1e-3);
  // Two devices are neighbours both ways.
  EXPECT_NEAR(ring_all_reduce(l, 2, 16384).time_ps, (2 * 600 + 16384 / 300.0) * 1e3, 1e-3);
}

}  // namespace
}  // namespace cimsim::vn
