// The independent timing checker: clean on everything the controller issues for long
// stream, random and mixed traces under every policy, and it catches a broken scheduler and
// hand-made bad command sequences.
#include <cctype>
#include <ostream>
#include <string>

#include "cimsim/memory/memtrace.hpp"
#include "memory_test_util.hpp"

namespace cimsim::memory {
namespace {

using test::preset;

enum class Pattern { kStream, kRandom, kMixed };

std::vector<TraceRequest> make_trace(const MemoryConfig& c, Pattern p, uint64_t n, uint64_t gap) {
  std::vector<TraceRequest> t;
  t.reserve(n);
  uint64_t x = 42, burst = c.burst_bytes();
  for (uint64_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t random = (x >> 11) % c.capacity_bytes() / burst * burst;
    TraceRequest r;
    r.cycle = i * gap;
    switch (p) {
      case Pattern::kStream:
        r.address = i * burst;
        break;
      case Pattern::kRandom:
        r.address = random;
        break;
      // Mixed: a third writes; half the requests continue a stream, half jump anywhere.
      case Pattern::kMixed:
        r.address = (x >> 40) % 2 == 0 ? i * burst : random;
        r.write = (x >> 50) % 3 == 0;
        break;
    }
    t.push_back(r);
  }
  return t;
}

struct Case {
  const char* preset;
  std::vector<std::string> sets;
  Pattern pattern;
};

// Named in test listings (ctest) by what it replays ("hbm2_mixed_page_policy_closed"), not
// by gtest's dump of the struct's bytes.
std::string case_name(const Case& k) {
  static const char* const kPatterns[] = {"stream", "random", "mixed"};
  std::string name = std::string(k.preset) + "_" + kPatterns[static_cast<int>(k.pattern)];
  for (const std::string& s : k.sets) {
    name += "_" + s.substr(s.find('.') + 1);  // without the "controller." group
  }
  for (char& c : name) {
    c = std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
  }
  return name;
}
void PrintTo(const Case& k, std::ostream* os) {
  *os << case_name(k);
}

class Clean : public ::testing::TestWithParam<Case> {};

TEST_P(Clean, CheckerFindsNoViolation) {
  const Case& k = GetParam();
  MemoryConfig c = preset(k.preset, k.sets);
  ReplayOptions o;
  o.check_timing = true;
  ReplayResult r = replay_requests(c, make_trace(c, k.pattern, 120000, 1), o);
  EXPECT_EQ(r.requests, 120000u);
  EXPECT_GT(r.commands_checked, 120000u);
  EXPECT_EQ(r.violation_count, 0u);
  for (const auto& v : r.violations) {
    ADD_FAILURE() << v.message();
  }
  EXPECT_GT(r.stats.command(Command::kRefAb) + r.stats.command(Command::kRefPb), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Traces, Clean,
    ::testing::Values(Case{"hbm2", {}, Pattern::kStream}, Case{"hbm2", {}, Pattern::kRandom},
                      Case{"hbm2", {}, Pattern::kMixed}, Case{"hbm2e", {}, Pattern::kMixed},
                      Case{"hbm3", {}, Pattern::kMixed},
                      Case{"hbm2", {"controller.page_policy=closed"}, Pattern::kMixed},
                      Case{"hbm2", {"controller.page_policy=open_adaptive"}, Pattern::kMixed},
                      Case{"hbm2", {"controller.page_policy=closed_adaptive"}, Pattern::kMixed},
                      Case{"hbm2", {"controller.refresh=per_bank"}, Pattern::kMixed},
                      Case{"hbm2", {"controller.scheduler=fcfs"}, Pattern::kMixed},
                      Case{"hbm2", {"controller.command_bus=single"}, Pattern::kMixed},
                      Case{"hbm2", {"address_mapping.hash=xor"}, Pattern::kRandom}),
    [](const ::testing::TestParamInfo<Case>& info) { return case_name(info.param); });

// A deliberately broken scheduler: the controller believes a timing is shorter than it is.
// The checker, given the true timings, must notice.
void expect_caught(const char* name, const std::vector<std::string>& broken,
                   const std::string& constraint, Pattern p) {
  MemoryConfig truth = preset(name);
  MemoryConfig wrong = preset(name, broken);
  TimingChecker checker(truth);
  Controller ctl(wrong, &checker);
  for (const TraceRequest& r : make_trace(truth, p, 20000, 1)) {
    ctl.advance_to(r.cycle);
    ctl.submit(r.address, 64, r.write, r.cycle);
  }
  ctl.drain();
  ASSERT_GT(checker.violation_count(), 0u) << broken[0];
  bool named = false;
  for (const auto& v : checker.violations()) {
    named = named || v.constraint == constraint;
  }
  EXPECT_TRUE(named) << broken[0] << ": first violation " << checker.violations()[0].message();
}

TEST(BrokenScheduler, IsCaught) {
  expect_caught("hbm2", {"timing.tFAW=4"}, "tFAW", Pattern::kRandom);
  expect_caught("hbm2", {"timing.tRCDRD=10"}, "tRCDRD", Pattern::kRandom);
  expect_caught("hbm2", {"timing.tRP=10", "timing.tRC=44"}, "tRP", Pattern::kRandom);
  // hbm2e: tCCD_L 4 is longer than a burst (2 cycles), so a shorter one shows.
  expect_caught("hbm2e", {"timing.tCCD_L=2"}, "tCCD_L", Pattern::kStream);
  expect_caught("hbm2", {"timing.tWTR_S=1", "timing.tWTR_L=1"}, "tWTR_L", Pattern::kMixed);
  expect_caught("hbm2", {"timing.tRFC=100"}, "tRFC", Pattern::kStream);
}

TEST(Checker, HandMadeViolations) {
  MemoryConfig c = test::one_channel();
  auto check = [&c](const std::vector<CommandRecord>& log) { return TimingChecker::check(c, log); };
  using C = Command;
  // RD 13 cycles after ACT: tRCDRD is 14.
  auto v = check({{0, C::kAct, 0, 0, 5, 0}, {13, C::kRd, 0, 0, 5, 0}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].constraint, "tRCDRD");
  EXPECT_EQ(v[0].earliest, 14u);
  EXPECT_NE(v[0].message().find("cycle 13: RD unit 0 bank 0 violates tRCDRD"), std::string::npos)
      << v[0].message();
  // RD to a closed bank, and to the wrong row.
  EXPECT_EQ(check({{0, C::kRd, 0, 0, 0, 0}})[0].constraint, "bank state");
  EXPECT_EQ(check({{0, C::kAct, 0, 0, 1, 0}, {20, C::kRd, 0, 0, 2, 0}})[0].constraint,
            "bank state");
  // PRE 33 cycles after ACT: tRAS is 34.
  EXPECT_EQ(check({{0, C::kAct, 0, 0, 1, 0}, {33, C::kPre, 0, 0, 1, 0}})[0].constraint, "tRAS");
  // Two column commands in one cycle on one bus.
  auto bus = check({{0, C::kAct, 0, 0, 1, 0},
                    {1, C::kAct, 0, 4, 1, 0},  // tRRD_S 4 violated too
                    {20, C::kRd, 0, 0, 1, 0},
                    {20, C::kRd, 0, 4, 1, 1}});
  bool saw_bus = false, saw_rrd = false;
  for (const auto& x : bus) {
    saw_bus = saw_bus || x.constraint == "command bus";
    saw_rrd = saw_rrd || x.constraint == "tRRD_S";
  }
  EXPECT_TRUE(saw_bus);
  EXPECT_TRUE(saw_rrd);
  // A legal sequence is clean: ACT, RD at tRCDRD, RDA, ACT again after the implicit precharge
  // (max(RD + tRTP, ACT + tRAS) = 34) + tRP = 48.
  EXPECT_TRUE(check({{0, C::kAct, 0, 0, 1, 0},
                     {14, C::kRd, 0, 0, 1, 0},
                     {16, C::kRdA, 0, 0, 1, 1},
                     {48, C::kAct, 0, 0, 2, 0}})
                  .empty());
  EXPECT_EQ(
      check({{0, C::kAct, 0, 0, 1, 0}, {14, C::kRdA, 0, 0, 1, 0}, {47, C::kAct, 0, 0, 2, 0}})[0]
          .constraint,
      "tRP");
}

}  // namespace
}  // namespace cimsim::memory
