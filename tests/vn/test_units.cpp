// Plain C++ parts of the von Neumann machine, against hand-computed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "cimsim/vn/kernels.hpp"
#include "cimsim/vn/l2_cache.hpp"
#include "cimsim/vn/timing.hpp"
#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

TEST(BandwidthPipe, ServesFirstComeFirstServed) {
  BandwidthPipe p(2.0);  // 2 bytes per ps
  EXPECT_DOUBLE_EQ(p.reserve(0, 100), 50);
  EXPECT_DOUBLE_EQ(p.reserve(10, 100), 100);  // queued behind the first
  EXPECT_DOUBLE_EQ(p.reserve(500, 10), 505);  // idle pipe starts at once
}

TEST(TilePipeline, ComputeBoundHidesLoadsAfterTheFirst) {
  // l=10, latency=5, c=30, 8 steps, 2 stages: first data at 15, then 8 x 30 of compute.
  PipelineParams p{8, 2, 10, 5, 30};
  EXPECT_DOUBLE_EQ(pipeline_span_ps(p), 15 + 8 * 30);
}

TEST(TilePipeline, MemoryBoundStreamsAtThePortRate) {
  // l=30 >> c=5 with enough stages that buffers never stall the port: n*l + latency + c.
  PipelineParams p{10, 8, 30, 4, 5};
  EXPECT_DOUBLE_EQ(pipeline_span_ps(p), 10 * 30 + 4 + 5);
}

TEST(TilePipeline, LatencyBoundWithFewStages) {
  // Single buffer: every step waits for its own load: n * (l + latency + c).
  PipelineParams p{4, 1, 10, 20, 5};
  EXPECT_DOUBLE_EQ(pipeline_span_ps(p), 4 * (10 + 20 + 5));
  // Two buffers, latency dominant: steady period (l + latency + c) / 2 per step after the
  // first two loads, which go out together. Worked by hand:
  // A0=30 E0=35 | A1=40 E1=45 | I2=E0=35 A2=65 E2=70 | I3=E1=45 A3=75 E3=80.
  PipelineParams q{4, 2, 10, 20, 5};
  EXPECT_DOUBLE_EQ(pipeline_span_ps(q), 80);
}

TEST(L2Cache, HitsMissesAndSectors) {
  L2Cache c(1 << 20, 32768);  // 1 MiB, 32 KiB blocks of 512 B sectors
  L2Cache::Result r;
  c.read(0, 1000, 1, r);
  EXPECT_EQ(r.miss_bytes, 1000u);
  EXPECT_EQ(r.hit_bytes, 0u);
  L2Cache::Result r2;
  c.read(0, 1024, 1, r2);  // sectors 0 and 1 are now valid
  EXPECT_EQ(r2.hit_bytes, 1024u);
  L2Cache::Result r3;
  c.read(1024, 1024, 1, r3);  // sectors 2, 3 missing
  EXPECT_EQ(r3.miss_bytes, 1024u);
  EXPECT_EQ(c.occupied_bytes(), 2048u);
}

TEST(L2Cache, LruEvictionWritesBackDirtyData) {
  L2Cache c(4 * 32768, 32768);  // four blocks
  L2Cache::Result w;
  c.write(0, 32768, 1, w);      // block 0 dirty
  EXPECT_EQ(w.miss_bytes, 0u);  // write-allocate without fetch
  for (uint64_t b = 1; b <= 3; ++b) {
    L2Cache::Result r;
    c.read(b * 32768, 32768, 2, r);
    EXPECT_TRUE(r.writebacks.empty());
  }
  L2Cache::Result r;
  c.read(4 * 32768, 32768, 2, r);  // evicts block 0 (least recent)
  ASSERT_EQ(r.writebacks.size(), 1u);
  EXPECT_EQ(r.writebacks[0].addr, 0u);
  EXPECT_EQ(r.writeback_bytes, 32768u);
  L2Cache::Result again;
  c.read(0, 32768, 1, again);
  EXPECT_EQ(again.miss_bytes, 32768u);
}

TEST(L2Cache, StreamLargerThanCapacityNeverHits) {
  L2Cache c(1 << 20, 32768);
  for (int pass = 0; pass < 2; ++pass) {
    L2Cache::Result r;
    for (uint64_t a = 0; a < (uint64_t{4} << 20); a += 65536) c.read(a, 65536, 1, r);
    EXPECT_EQ(r.hit_bytes, 0u) << "pass " << pass;  // LRU with a cyclic stream > capacity
  }
}

namespace {
std::vector<std::array<uint64_t, 4>> lru_state(const L2Cache& c) {
  std::vector<std::array<uint64_t, 4>> out;
  c.for_each_lru([&](const L2Cache::BlockState& b) {
    out.push_back({b.block, b.tensor, b.valid, b.dirty});
  });
  return out;
}
}  // namespace

TEST(L2Cache, TrialRollsBackToTheExactStateAndCommitKeepsIt) {
  L2Cache c(uint64_t{8} * 32768, 32768);  // eight blocks
  uint64_t seed = 12345;
  auto rnd = [&seed](uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  auto churn = [&](int n) {
    L2Cache::Result r;
    for (int i = 0; i < n; ++i) {
      uint64_t addr = rnd(24) * 32768 + rnd(64) * 512, bytes = 1 + rnd(40000);
      if (rnd(3) == 0) {
        c.write(addr, bytes, static_cast<uint32_t>(rnd(4)), r);
      } else {
        c.read(addr, bytes, static_cast<uint32_t>(rnd(4)), r);
      }
    }
  };
  churn(200);
  for (int round = 0; round < 20; ++round) {
    auto before = lru_state(c);
    uint64_t occupied = c.occupied_bytes();
    c.begin_trial();
    churn(50);
    c.rollback();
    EXPECT_EQ(lru_state(c), before) << "round " << round;
    EXPECT_EQ(c.occupied_bytes(), occupied);
    // The same accesses give the same results after a rollback as the first time.
    uint64_t s = seed;
    c.begin_trial();
    churn(50);
    auto tried = lru_state(c);
    c.rollback();
    seed = s;
    churn(50);
    EXPECT_EQ(lru_state(c), tried) << "round " << round;
    c.begin_trial();
    churn(10);
    auto kept = lru_state(c);
    c.commit();
    EXPECT_EQ(lru_state(c), kept);
  }
}

// Algorithm 1's block sizes (Bc = ceil(M / 4d), Br = min(Bc, d)) as they show in its kernel:
// one CTA per head, Tc x Tr steps, K_j loads of Bc rows.
TEST(FlashBlocks, Algorithm1BlockSizes) {
  config::ConfigDoc doc = test::machine_doc("a100-sxm4-80gb", {"attention=\"flash\""});
  MachineConfig cfg = parse_machine(doc);
  AddressMap map(uint64_t{1} << 36, 32768);
  KernelPlanner planner(cfg, map, 2e12, [](const std::string& p) { return p; });
  trace::TraceHeader h;
  // M = 167936 B / 2 B = 83968 elements; d = 64: Bc = ceil(83968 / 256) = 328, Br = 64;
  // d = 128: Bc = 164, Br = 128.
  struct Case {
    uint64_t d, bc, br;
  };
  for (Case c : {Case{64, 328, 64}, Case{128, 164, 128}}) {
    const uint64_t n = 4096;
    auto op = test::attention("att" + std::to_string(c.d), 2, c.d, n, n, false, h);
    std::vector<KernelPlan> kernels = planner.plan(op);
    ASSERT_EQ(kernels.size(), 1u);
    EXPECT_EQ(kernels[0].ctas, 2u);  // one per head
    CtaWork w;
    kernels[0].cta(0, w);
    uint64_t tc = (n + c.bc - 1) / c.bc, tr = n / c.br;
    EXPECT_EQ(w.steps, tc * tr) << c.d;
    EXPECT_EQ(w.loads[0].bytes, c.bc * c.d * 2) << c.d;  // K_0
    EXPECT_EQ(w.loads[2].bytes, c.br * c.d * 2) << c.d;  // Q_0
  }
}

TEST(GemmMapper, TilesFitSharedMemoryAndCoverTheOutput) {
  config::ConfigDoc doc = test::machine_doc("a100-sxm4-80gb");
  MachineConfig cfg = parse_machine(doc);
  AddressMap map(uint64_t{1} << 36, 32768);
  KernelPlanner planner(cfg, map, 2e12, [](const std::string& p) { return p; });
  trace::TraceHeader h;
  auto op = test::matmul("mm", 1000, 3000, 512, h);
  auto kernels = planner.plan(op);
  ASSERT_FALSE(kernels.empty());
  // The output bytes the CTAs store add up to M x N (or the partials of a split-K).
  uint64_t stored = 0, loaded_b = 0;
  CtaWork w;
  for (uint64_t i = 0; i < kernels[0].ctas; ++i) {
    w.clear();
    kernels[0].cta(i, w);
    for (const auto& s : w.stores) stored += s.bytes;
    loaded_b += w.loads[1].bytes;
  }
  if (kernels.size() == 1) {
    EXPECT_EQ(stored, 1000u * 3000 * 2);
  }
  // Every CTA row reads the whole weight panel once per tile row.
  EXPECT_EQ(loaded_b % (3000u * 512 * 2), 0u);
}

}  // namespace
}  // namespace cimsim::vn
