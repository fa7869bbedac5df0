// Long idle stretches cost nothing, and change nothing.
//
// A memory trace whose requests are far apart (up to 10^19 cycles, the largest cycle a trace
// line may hold) used to make the controller issue every refresh of the idle time one by
// one: hours of wall time for a two-line trace, found by the bad-input catalogue. Idle
// channels now count those refreshes in closed form (Channel::skip_idle_refreshes) unless a
// command sink - the timing checker, a command log - watches every command. These tests
// check the closed form gives exactly the statistics and energy of issuing every refresh,
// and that the extreme trace finishes at once.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cimsim/memory/config.hpp"
#include "cimsim/memory/memtrace.hpp"
#include "process.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

using memory::ReplayOptions;
using memory::ReplayResult;
using memory::TraceRequest;

// Bursts of requests over a few banks and rows, separated by idle gaps of many refresh
// intervals, some ending with rows left open.
std::vector<TraceRequest> gappy_trace(uint64_t gap) {
  std::vector<TraceRequest> trace;
  uint64_t cycle = 0;
  uint32_t x = 12345;
  for (int burst = 0; burst < 12; ++burst) {
    for (int i = 0; i < 40; ++i) {
      x = x * 1103515245u + 12345u;
      uint64_t address =
          (static_cast<uint64_t>(x % 4096) << 14 | (x >> 20) % 64 * 64) % (uint64_t{8} << 30);
      trace.push_back(TraceRequest{address, (x >> 9) % 3 == 0, cycle});
      cycle += 1 + (x >> 12) % 7;
    }
    cycle += gap + static_cast<uint64_t>(burst) * 977;
  }
  return trace;
}

Json report_of(const memory::MemoryConfig& config, const ReplayResult& r) {
  // The same report for both runs: without the timing-check section, which differs by design.
  return memory::memtrace_report(config, "trace", r, false);
}

class LongIdle : public ::testing::TestWithParam<const char*> {};

TEST_P(LongIdle, ClosedFormRefreshGivesTheSameResultAsIssuingEveryRefresh) {
  std::vector<config::Assignment> sets;
  sets.push_back(
      config::parse_assignment(std::string("memory.controller.refresh=\"") + GetParam() + "\""));
  memory::MemoryConfig config = memory::load_memory_config("hbm2", sets);
  for (uint64_t gap : {uint64_t{50000}, uint64_t{3000000}}) {
    SCOPED_TRACE("gap " + std::to_string(gap));
    std::vector<TraceRequest> trace = gappy_trace(gap);
    for (bool stall : {true, false}) {
      ReplayOptions every;  // the timing checker watches every command: nothing skipped
      every.check_timing = true;
      every.stall_on_full = stall;
      ReplayOptions fast;
      fast.stall_on_full = stall;
      ReplayResult a = memory::replay_requests(config, trace, every);
      ReplayResult b = memory::replay_requests(config, trace, fast);
      EXPECT_EQ(a.violation_count, 0u);
      EXPECT_GT(a.stats.command(memory::Command::kRefAb) + a.stats.command(memory::Command::kRefPb),
                100u);
      EXPECT_EQ(report_of(config, a).dump(1), report_of(config, b).dump(1));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Refresh, LongIdle, ::testing::Values("all_bank", "per_bank"));

TEST(LongIdleCli, TraceWithTheLargestCycleFinishesAtOnce) {
  std::string dir = make_temp_dir();
  write_file(dir + "/m.trc", "0x0 READ 0\n0x40 WRITE 5\n0x0 READ 9999999999999999999\n");
  ProcessResult r =
      run_with_timeout(cimsim_command({"memtrace", "--memory", "hbm3", "--trace", dir + "/m.trc",
                                       "--out", dir + "/r.json", "-q"}),
                       120);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(r.seconds, 30);
  Json report = Json::parse(read_file(dir + "/r.json"));
  EXPECT_EQ(report.dump().find("null"), std::string::npos) << "a non-finite value in the report";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cimsim::test
