// Refactoring guard: digests of the complete command logs, completion cycles and memtrace
// reports for a fixed set of workloads, compared against values computed with the controller
// as it was before the speed work of branch hbm-perf (commit b61c219).
//
// These digests prove nothing about correctness on their own: they only say "the output did
// not change". Correctness is established by the hand-computed tests (test_timing.cpp,
// test_behaviour.cpp), the independent timing checker (run here on every workload as well)
// and the path-equivalence tests (test_paths.cpp). What the digests add is that an
// optimisation of the controller (caching, batching, data layout) changes no command, cycle or
// reported figure anywhere in a broad set of configurations. A deliberate change of the
// model's behaviour must re-derive the hand-computed expectations first and only then update
// these values (CIMSIM_GOLDEN_DUMP=DIR writes the logs as text for a diff against the old code).
// The report digests were re-taken when the policies moved behind the registry (their JSON
// form in the report's config echo changed: "scheduler": {"name": "fr_fcfs", "row_hit_cap":
// 16}, "hash": "none"); every command log and every other report field stayed identical.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "cimsim/memory/address_map.hpp"
#include "cimsim/memory/memtrace.hpp"
#include "memory_test_util.hpp"

namespace cimsim::memory {
namespace {

using test::preset;

// FNV-1a, 64 bit: stable across platforms and standard libraries.
struct Digest {
  uint64_t h = 1469598103934665603ull;
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) {
      h = (h ^ b[i]) * 1099511628211ull;
    }
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      unsigned char c = static_cast<unsigned char>(v >> (8 * i));
      bytes(&c, 1);
    }
  }
};

// Hashes every command (and checks it with the independent checker); optionally keeps text.
class Log : public CommandSink {
 public:
  explicit Log(const MemoryConfig& c, bool keep) : checker(c), keep_(keep) {}
  void on_command(const CommandRecord& r) override {
    checker.on_command(r);
    digest.u64(r.cycle);
    digest.u64(static_cast<uint64_t>(r.command));
    digest.u64(r.unit);
    digest.u64(r.bank);
    digest.u64(r.row);
    digest.u64(r.column);
    ++commands;
    if (keep_) {
      text += std::to_string(r.cycle) + " " + command_name(r.command) + " u" +
              std::to_string(r.unit) + " b" + std::to_string(r.bank) + " r" +
              std::to_string(r.row) + " c" + std::to_string(r.column) + "\n";
    }
  }
  TimingChecker checker;
  Digest digest;
  uint64_t commands = 0;
  std::string text;

 private:
  bool keep_;
};

const char* dump_dir() {
  return std::getenv("CIMSIM_GOLDEN_DUMP");
}

void dump(const std::string& name, const std::string& what, const std::string& text) {
  if (dump_dir() != nullptr) {
    std::ofstream(std::string(dump_dir()) + "/" + name + "." + what) << text;
  }
}

uint64_t lcg(uint64_t& x) {
  x = x * 6364136223846793005ull + 1442695040888963407ull;
  return x >> 11;
}

// ---- trace replays --------------------------------------------------------------------------

enum class Pattern {
  kStream,  // consecutive bursts from address 0
  kRandom,  // uniform over the capacity
  kHot,     // random unit, bank and column, but only 3 rows per bank: hits, misses, conflicts
};

struct TraceCase {
  const char* name;
  const char* memory;
  std::vector<std::string> sets;
  Pattern pattern;
  int requests;
  int write_percent;
  Cycle gap;  // cycles between requests (0: all at cycle 0, one per cycle by back-pressure)
  bool stall_on_full;
  uint64_t log_digest;
  uint64_t report_digest;
};

// Named in test listings (ctest) by its name, not by gtest's dump of the struct's bytes.
void PrintTo(const TraceCase& tc, std::ostream* os) {
  *os << tc.name;
}

std::vector<TraceRequest> make_trace(const MemoryConfig& c, const TraceCase& tc) {
  AddressMap map(c);
  const uint64_t burst = map.burst_bytes();
  const uint64_t slots = map.capacity_bytes() / burst;
  const uint32_t columns = c.organisation.columns / c.organisation.burst_length;
  std::vector<TraceRequest> out;
  uint64_t x = 12345;
  for (int i = 0; i < tc.requests; ++i) {
    uint64_t address = 0;
    switch (tc.pattern) {
      case Pattern::kStream:
        address = static_cast<uint64_t>(i) % slots * burst;
        break;
      case Pattern::kRandom:
        address = lcg(x) % slots * burst;
        break;
      case Pattern::kHot: {
        DecodedAddress d;
        d.unit = static_cast<uint32_t>(lcg(x) % c.units());
        d.bank = static_cast<uint32_t>(lcg(x) % c.banks_per_unit());
        d.row = static_cast<uint32_t>(lcg(x) % 3 * 1000);
        d.column = static_cast<uint32_t>(lcg(x) % columns);
        address = map.encode(d);
        break;
      }
    }
    bool write = static_cast<int>(lcg(x) % 100) < tc.write_percent;
    out.push_back(TraceRequest{address, write, static_cast<Cycle>(i) * tc.gap});
  }
  return out;
}

class Traces : public ::testing::TestWithParam<TraceCase> {};

TEST_P(Traces, CommandsAndReportAreUnchanged) {
  const TraceCase& tc = GetParam();
  MemoryConfig c = preset(tc.memory, tc.sets);
  Log log(c, dump_dir() != nullptr);
  ReplayOptions options;
  options.stall_on_full = tc.stall_on_full;
  options.sink = &log;
  ReplayResult r = replay_requests(c, make_trace(c, tc), options);
  EXPECT_EQ(log.checker.violation_count(), 0u);
  std::string report = memtrace_report(c, "golden", r, false).dump(2);
  Digest rd;
  rd.bytes(report.data(), report.size());
  dump(tc.name, "log", log.text);
  dump(tc.name, "report", report);
  RecordProperty("commands", std::to_string(log.commands));
  EXPECT_EQ(log.digest.h, tc.log_digest) << tc.name;
  EXPECT_EQ(rd.h, tc.report_digest) << tc.name;
}

const std::vector<std::string> kHotWatermarks = {"controller.scheduler.row_hit_cap=4",
                                                 "controller.write_high_watermark=12",
                                                 "controller.write_low_watermark=4"};

INSTANTIATE_TEST_SUITE_P(
    Golden, Traces,
    ::testing::Values(TraceCase{"hbm2_stream",
                                "hbm2",
                                {},
                                Pattern::kStream,
                                40000,
                                0,
                                1,
                                true,
                                18229326575444489048ull,
                                13452903471776518219ull},
                      TraceCase{"hbm2_random",
                                "hbm2",
                                {},
                                Pattern::kRandom,
                                40000,
                                0,
                                1,
                                true,
                                11751810786619176188ull,
                                7726853467632971336ull},
                      TraceCase{"hbm2_random_mixed",
                                "hbm2",
                                {},
                                Pattern::kRandom,
                                40000,
                                30,
                                1,
                                true,
                                1188086068179712908ull,
                                2179912471776658266ull},
                      TraceCase{"hbm2_hot_mixed",
                                "hbm2",
                                {},
                                Pattern::kHot,
                                40000,
                                30,
                                1,
                                true,
                                7535715847919266520ull,
                                18404566166294499161ull},
                      TraceCase{"hbm2e_stream",
                                "hbm2e",
                                {},
                                Pattern::kStream,
                                40000,
                                0,
                                1,
                                true,
                                16476724181899969079ull,
                                16216787398509109776ull},
                      TraceCase{"hbm2e_random_mixed",
                                "hbm2e",
                                {},
                                Pattern::kRandom,
                                40000,
                                25,
                                0,
                                true,
                                5574187642328876555ull,
                                15512809500062094877ull},
                      TraceCase{"hbm3_random_mixed",
                                "hbm3",
                                {},
                                Pattern::kRandom,
                                30000,
                                30,
                                2,
                                true,
                                4406039228638322434ull,
                                3573476961255184228ull},
                      TraceCase{"hbm3_hot_mixed",
                                "hbm3",
                                {},
                                Pattern::kHot,
                                30000,
                                40,
                                1,
                                true,
                                9514126063673444632ull,
                                10007831265348668046ull},
                      TraceCase{"hbm2_closed_random_mixed",
                                "hbm2",
                                {"controller.page_policy=closed"},
                                Pattern::kRandom,
                                20000,
                                30,
                                1,
                                true,
                                8526384509154475589ull,
                                16631666070498957546ull},
                      TraceCase{"hbm2_closed_hot",
                                "hbm2",
                                {"controller.page_policy=closed"},
                                Pattern::kHot,
                                20000,
                                30,
                                1,
                                true,
                                14977184431047225755ull,
                                8485114209448858341ull},
                      TraceCase{"hbm2_open_adaptive_hot",
                                "hbm2",
                                {"controller.page_policy=open_adaptive"},
                                Pattern::kHot,
                                30000,
                                30,
                                1,
                                true,
                                11737760289152138410ull,
                                2564153437048780933ull},
                      TraceCase{"hbm2e_closed_adaptive_hot",
                                "hbm2e",
                                {"controller.page_policy=closed_adaptive"},
                                Pattern::kHot,
                                30000,
                                30,
                                1,
                                true,
                                7335893104890169449ull,
                                12806692282444798883ull},
                      TraceCase{"hbm2_per_bank_refresh_hot",
                                "hbm2",
                                {"controller.refresh=per_bank"},
                                Pattern::kHot,
                                30000,
                                30,
                                2,
                                true,
                                4156092358634604755ull,
                                5020414066282883070ull},
                      TraceCase{"hbm2e_per_bank_refresh_stream",
                                "hbm2e",
                                {"controller.refresh=per_bank"},
                                Pattern::kStream,
                                40000,
                                20,
                                1,
                                true,
                                14261796262874217466ull,
                                17443016258297746269ull},
                      TraceCase{"hbm2e_fcfs_hot",
                                "hbm2e",
                                {"controller.scheduler=fcfs"},
                                Pattern::kHot,
                                20000,
                                30,
                                1,
                                true,
                                17438983480344573432ull,
                                8887963166687178650ull},
                      TraceCase{"hbm2_xor_single_bus_no_refresh_hot",
                                "hbm2",
                                {"address_mapping.hash=xor", "controller.command_bus=single",
                                 "controller.refresh=none"},
                                Pattern::kHot,
                                20000,
                                30,
                                1,
                                true,
                                15242602152307554789ull,
                                309096023661988811ull},
                      TraceCase{"hbm2_backlog_random_mixed",
                                "hbm2",
                                {},
                                Pattern::kRandom,
                                20000,
                                30,
                                0,
                                false,
                                10081026854576992536ull,
                                1266990889538994180ull},
                      TraceCase{"hbm2_cap_watermarks_hot", "hbm2", kHotWatermarks, Pattern::kHot,
                                20000, 50, 1, true, 729005999099977339ull, 1785397173536989336ull}),
    [](const ::testing::TestParamInfo<TraceCase>& info) { return std::string(info.param.name); });

// ---- large transactions through the Controller API -----------------------------------------

struct TxCase {
  const char* name;
  const char* memory;
  std::vector<std::string> sets;
  uint64_t digest;
};

void PrintTo(const TxCase& tc, std::ostream* os) {
  *os << tc.name;
}

class Transactions : public ::testing::TestWithParam<TxCase> {};

// GPU-like traffic: several weight streams read in 4 KB..1 MB pieces, activations written
// back, small scattered reads; submitted at increasing cycles with advance_to jumps.
TEST_P(Transactions, CommandsCompletionsAndStatsAreUnchanged) {
  const TxCase& tc = GetParam();
  MemoryConfig c = preset(tc.memory, tc.sets);
  Log log(c, dump_dir() != nullptr);
  Controller ctl(c, &log);
  const uint64_t burst = c.burst_bytes();
  const uint64_t capacity = c.capacity_bytes();
  uint64_t x = 99;
  Cycle now = 0;
  std::vector<uint64_t> stream_at = {0, capacity / 4, capacity / 2, capacity / 4 * 3};
  std::vector<TxId> ids;
  for (int i = 0; i < 120; ++i) {
    now += lcg(x) % 3000;
    ctl.advance_to(now);
    uint64_t kind = lcg(x) % 10;
    uint64_t address = 0, bytes = 0;
    bool write = false;
    if (kind < 6) {  // weight stream piece
      uint64_t s = lcg(x) % stream_at.size();
      bytes = uint64_t{4096} << (lcg(x) % 9);  // 4 KB .. 1 MB
      address = stream_at[s];
      stream_at[s] += bytes;
    } else if (kind < 8) {  // activation write-back
      bytes = burst * (1 + lcg(x) % 256);
      address = lcg(x) % (capacity - bytes) / burst * burst;
      write = true;
    } else {  // scattered small reads, some unaligned
      bytes = 1 + lcg(x) % (4 * burst);
      address = lcg(x) % (capacity - bytes);
    }
    ids.push_back(ctl.submit(address, bytes, write, now));
    if (i % 7 == 0) {
      now = ctl.next_wake();
      if (now != kNever) {
        ctl.advance_to(now);
      } else {
        now = ctl.now();
      }
    }
  }
  ctl.drain();
  EXPECT_EQ(log.checker.violation_count(), 0u);
  Digest d = log.digest;
  for (TxId id : ids) {
    d.u64(ctl.transaction(id).completion);
  }
  ReplayResult r;
  r.requests = ids.size();
  r.stats = ctl.stats();
  r.last_completion = r.stats.last_completion;
  std::string report = memtrace_report(c, "golden", r, false).dump(2);
  d.bytes(report.data(), report.size());
  dump(tc.name, "log", log.text);
  dump(tc.name, "report", report);
  RecordProperty("commands", std::to_string(log.commands));
  EXPECT_EQ(d.h, tc.digest) << tc.name;
}

INSTANTIATE_TEST_SUITE_P(
    Golden, Transactions,
    ::testing::Values(
        TxCase{"hbm2", "hbm2", {}, 14914789036245717328ull},
        TxCase{"hbm2e", "hbm2e", {}, 5222491756423323408ull},
        TxCase{"hbm3_closed", "hbm3", {"controller.page_policy=closed"}, 2033144584120469579ull},
        TxCase{
            "hbm2e_per_bank", "hbm2e", {"controller.refresh=per_bank"}, 14439822249475645671ull}),
    [](const ::testing::TestParamInfo<TxCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace cimsim::memory
