// Exact command cycles for the basic cases, derived by hand from the hbm2 timings (see
// memory_test_util.hpp for the values). Completion = column command + RL (or WL) + 2.
#include "memory_test_util.hpp"

namespace cimsim::memory {
namespace {

using test::addr;
using test::one_channel;
using test::Recorder;

struct Fixture {
  MemoryConfig cfg;
  Recorder rec;
  Controller ctl;
  explicit Fixture(const MemoryConfig& c) : cfg(c), rec(cfg), ctl(cfg, &rec) {}
  // Submits one burst at `cycle` and runs until it completes; returns its completion cycle.
  Cycle one(uint32_t bank, uint32_t row, uint32_t col, bool write, Cycle cycle) {
    ctl.advance_to(cycle);
    TxId id = ctl.submit(addr(ctl, 0, bank, row, col), 64, write, cycle);
    while (ctl.transaction(id).unissued != 0) {
      ctl.advance_to(ctl.next_wake());
    }
    Cycle done = ctl.transaction(id).completion;
    ctl.take_finished();
    ctl.release(id);
    return done;
  }
};

TEST(Timing, MissHitConflict) {
  Fixture f(one_channel());
  // Closed bank: ACT at 10, RD at 10 + tRCDRD 14 = 24, data ends 24 + 14 + 2 = 40.
  EXPECT_EQ(f.one(0, 0, 0, false, 10), 40u);
  // Row hit (open page): RD at 100, done 100 + 16.
  EXPECT_EQ(f.one(0, 0, 1, false, 100), 116u);
  // Conflict: PRE at 200 (tRAS from ACT@10 and tRTP from RD@100 long past), ACT at
  // 200 + tRP 14 = 214, RD at 214 + 14 = 228, done 244.
  EXPECT_EQ(f.one(0, 1, 0, false, 200), 244u);
  ASSERT_EQ(f.rec.log.size(), 6u) << f.rec.text();
  EXPECT_EQ(f.rec.text(),
            "ACT@10 u0 b0 r0 c0\nRD@24 u0 b0 r0 c0\nRD@100 u0 b0 r0 c1\n"
            "PRE@200 u0 b0 r0 c0\nACT@214 u0 b0 r1 c0\nRD@228 u0 b0 r1 c0\n");
  MemoryStats s = f.ctl.stats();
  EXPECT_EQ(s.row_misses, 1u);
  EXPECT_EQ(s.row_hits, 1u);
  EXPECT_EQ(s.row_conflicts, 1u);
  EXPECT_EQ(s.read_latency.max(), 44u - 0u);  // 244 - 200
  f.rec.expect_clean();
}

TEST(Timing, WriteToReadTurnaround) {
  Fixture f(one_channel());
  EXPECT_EQ(f.one(0, 0, 0, false, 0), 30u);  // ACT@0, RD@14, done 30
  // WR hit at 100 (write data 104..106); RD to the same bank group waits
  // WL 4 + burst 2 + tWTR_L 8 after the WR: 100 + 14 = 114, done 114 + 16 = 130.
  f.ctl.advance_to(100);
  TxId w = f.ctl.submit(addr(f.ctl, 0, 0, 0, 1), 64, true, 100);
  f.ctl.advance_to(101);
  TxId r = f.ctl.submit(addr(f.ctl, 0, 0, 0, 2), 64, false, 101);
  Cycle end = f.ctl.drain();
  EXPECT_EQ(f.ctl.transaction(w).completion, 106u);
  EXPECT_EQ(f.ctl.transaction(r).completion, 130u);
  EXPECT_EQ(end, 130u);
  // RD to another bank group: tWTR_S 6 instead: needs an open row there first.
  Fixture g(one_channel());
  g.one(4, 0, 0, false, 0);  // bank 4 = bank group 1: ACT@0 RD@14
  g.one(0, 0, 0, false, 4);  // bank 0 = group 0: ACT@4 (tRRD_S) RD@18
  g.ctl.advance_to(100);
  TxId w2 = g.ctl.submit(addr(g.ctl, 0, 0, 0, 1), 64, true, 100);  // WR@100 group 0
  g.ctl.advance_to(101);
  TxId r2 = g.ctl.submit(addr(g.ctl, 0, 4, 0, 1), 64, false, 101);  // RD@100+4+2+6=112
  g.ctl.drain();
  EXPECT_EQ(g.ctl.transaction(w2).completion, 106u);
  EXPECT_EQ(g.ctl.transaction(r2).completion, 128u);
  f.rec.expect_clean();
  g.rec.expect_clean();
}

TEST(Timing, FiveActivatesRespectFaw) {
  Fixture f(one_channel());
  // Five reads to closed banks, all at cycle 100. Banks 0, 4, 8, 12 sit in bank groups 0-3,
  // bank 1 in group 0 again. ACTs: 100, 104, 108, 112 (tRRD_S 4); the fifth would be legal at
  // 116 by tRRD_S and 106 by tRRD_L, but tFAW puts it at 100 + 30 = 130.
  f.ctl.advance_to(100);
  for (uint32_t bank : {0u, 4u, 8u, 12u, 1u}) {
    f.ctl.submit(addr(f.ctl, 0, bank, 0, 0), 64, false, 100);
  }
  f.ctl.drain();
  std::vector<Cycle> acts;
  for (const auto& r : f.rec.log) {
    if (r.command == Command::kAct) {
      acts.push_back(r.cycle);
    }
  }
  EXPECT_EQ(acts, (std::vector<Cycle>{100, 104, 108, 112, 130})) << f.rec.text();
  f.rec.expect_clean();
}

TEST(Timing, RefreshInTheMiddleOfAStream) {
  Fixture f(one_channel());
  // The only pseudo-channel's first refresh falls due at tREFI = 3900.
  EXPECT_EQ(f.one(0, 0, 0, false, 3800), 3830u);  // ACT@3800 RD@3814
  EXPECT_EQ(f.one(0, 0, 1, false, 3890), 3906u);  // hit: RD@3890
  // Due at 3900: no new column command. PREA at max(3900, RD@3890 + tRTP 6,
  // ACT@3800 + tRAS 34) = 3900, REFab at 3900 + tRP 14 = 3914, then the bank reopens at
  // 3914 + tRFC 260 = 4174: RD at 4188, done 4204.
  EXPECT_EQ(f.one(0, 0, 2, false, 3900), 4204u);
  std::string log = f.rec.text();
  EXPECT_NE(log.find("PREA@3900"), std::string::npos) << log;
  EXPECT_NE(log.find("REFab@3914"), std::string::npos) << log;
  EXPECT_NE(log.find("ACT@4174 u0 b0 r0"), std::string::npos) << log;
  EXPECT_NE(log.find("RD@4188"), std::string::npos) << log;
  f.rec.expect_clean();
}

TEST(Timing, IdleRefreshIsCaughtUpLazily) {
  Fixture f(one_channel());
  // Nothing happens until cycle 20000; the refreshes due at 3900, 7800, ..., 19500 (five)
  // are issued when the controller is next advanced, at their due cycles.
  f.ctl.advance_to(20000);
  std::vector<Cycle> refs;
  for (const auto& r : f.rec.log) {
    if (r.command == Command::kRefAb) {
      refs.push_back(r.cycle);
    }
  }
  EXPECT_EQ(refs, (std::vector<Cycle>{3900, 7800, 11700, 15600, 19500}));
  f.rec.expect_clean();
}

TEST(Timing, ClosedPagePolicyAutoPrecharges) {
  Fixture f(one_channel({"controller.page_policy=closed"}));
  // RDA at 14; the bank precharges itself at max(14 + tRTP, 0 + tRAS 34) = 34 and may be
  // activated again at 34 + tRP = 48 (= tRC). A second read of the same row misses again.
  EXPECT_EQ(f.one(0, 0, 0, false, 0), 30u);
  EXPECT_EQ(f.one(0, 0, 1, false, 20), 48u + 14 + 16);
  EXPECT_EQ(f.rec.text(),
            "ACT@0 u0 b0 r0 c0\nRDA@14 u0 b0 r0 c0\nACT@48 u0 b0 r0 c0\nRDA@62 u0 b0 r0 c1\n");
  f.rec.expect_clean();
}

TEST(Timing, WritesDrainBetweenWatermarks) {
  Fixture f(one_channel({"controller.write_high_watermark=4", "controller.write_low_watermark=1"}));
  // At cycle 0: three reads of bank 0 (group 0), then four writes of bank 4 (group 1). The
  // fourth write reaches the high watermark, so writes go first:
  //   ACT b4 @0, WR @14 (tRCDWR), @16, @18 (tCCD_L 2): one write left = low watermark, reads
  //   resume: ACT b0 @18 (row bus free, tRRD_S from 0 long past), RD @32 (tRCDRD; tWTR_S
  //   allows 18 + 4 + 2 + 6 = 30), @34, @36; the last write when no read is left:
  //   RD @36 + tRTW 15 = 51.
  for (uint32_t col = 0; col < 3; ++col) f.ctl.submit(addr(f.ctl, 0, 0, 0, col), 64, false, 0);
  for (uint32_t col = 0; col < 4; ++col) f.ctl.submit(addr(f.ctl, 0, 4, 0, col), 64, true, 0);
  f.ctl.drain();
  EXPECT_EQ(f.rec.text(),
            "ACT@0 u0 b4 r0 c0\nWR@14 u0 b4 r0 c0\nWR@16 u0 b4 r0 c1\nWR@18 u0 b4 r0 c2\n"
            "ACT@18 u0 b0 r0 c0\nRD@32 u0 b0 r0 c0\nRD@34 u0 b0 r0 c1\nRD@36 u0 b0 r0 c2\n"
            "WR@51 u0 b4 r0 c3\n");
  f.rec.expect_clean();
}

}  // namespace
}  // namespace cimsim::memory
