// Whole-memory behaviour against the presets' own figures: streaming reaches most of the
// peak bandwidth, refresh costs about tRFC / tREFI, random access does not.
#include <set>

#include "cimsim/memory/memtrace.hpp"
#include "memory_test_util.hpp"

namespace cimsim::memory {
namespace {

using test::preset;

// Reads `bytes` from address 0 as one request at cycle 0; returns bytes / second.
double stream_bandwidth(const MemoryConfig& c, uint64_t bytes, MemoryStats* stats = nullptr,
                        std::set<uint32_t>* units = nullptr) {
  struct UnitSet : CommandSink {
    std::set<uint32_t>* units;
    void on_command(const CommandRecord& r) override {
      if (units != nullptr && is_read(r.command)) {
        units->insert(r.unit);
      }
    }
  } sink;
  sink.units = units;
  Controller ctl(c, &sink);
  TxId id = ctl.submit(0, bytes, false, 0);
  Cycle end = ctl.drain();
  EXPECT_EQ(ctl.transaction(id).completion, end);
  if (stats != nullptr) {
    *stats = ctl.stats();
  }
  return static_cast<double>(bytes) / (static_cast<double>(end) / (c.organisation.clock_ghz * 1e9));
}

class Stream : public ::testing::TestWithParam<const char*> {};

TEST_P(Stream, SequentialReadsReachMostOfPeakOnEveryChannel) {
  MemoryConfig c = preset(GetParam());
  std::set<uint32_t> units;
  MemoryStats s;
  double bw = stream_bandwidth(c, 32u << 20, &s, &units);
  double fraction = bw / c.peak_bandwidth_bytes_per_s();
  RecordProperty("fraction_of_peak", std::to_string(fraction));
  EXPECT_GE(fraction, 0.85) << GetParam();
  EXPECT_LE(fraction, 0.98) << GetParam();
  EXPECT_EQ(units.size(), c.units()) << "a sequential DMA must use every pseudo-channel";
  EXPECT_GT(s.row_hit_rate(), 0.9);
}

INSTANTIATE_TEST_SUITE_P(Presets, Stream, ::testing::Values("hbm2", "hbm2e", "hbm3"));

TEST(Refresh, OverheadIsCloseToTrfcOverTrefi) {
  // hbm2: tRFC / tREFI = 260 / 3900 = 6.7 % of the time every bank is refreshing.
  MemoryConfig with = preset("hbm2");
  MemoryConfig without = preset("hbm2", {"controller.refresh=none"});
  double a = stream_bandwidth(with, 64u << 20);
  double b = stream_bandwidth(without, 64u << 20);
  double overhead = 1.0 - a / b;
  EXPECT_NEAR(overhead, 260.0 / 3900.0, 0.02);
  // Per-bank refresh blocks one bank at a time: a stream loses less.
  double pb = stream_bandwidth(preset("hbm2", {"controller.refresh=per_bank"}), 64u << 20);
  EXPECT_GT(pb, a);
  EXPECT_LE(pb, b * 1.0001);
}

TEST(Random, UniformReadsAreSlowAndMissTheRowBuffer) {
  MemoryConfig c = preset("hbm2");
  std::vector<TraceRequest> trace;
  uint64_t x = 1;
  for (uint64_t i = 0; i < 200000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    trace.push_back(TraceRequest{(x >> 11) % c.capacity_bytes() / 64 * 64, false, 0});
  }
  // All requests at cycle 0 (the replayer still admits one per cycle): the memory is the
  // bottleneck, as for the stream.
  ReplayResult r = replay_requests(c, trace);
  double bw = 200000.0 * 64 / (static_cast<double>(r.last_completion) * 1e-9);
  double stream = stream_bandwidth(c, uint64_t{200000} * 64);
  EXPECT_LT(bw, 0.5 * stream);
  EXPECT_LT(r.stats.row_hit_rate(), 0.02);
  // tFAW caps activations at 4 per 30 cycles per channel: 8 x 4 / 30 x 64 B per ns.
  EXPECT_LE(bw, 8 * 4.0 / 30 * 64 * 1e9 * 1.001);
}

}  // namespace
}  // namespace cimsim::memory
