// Request latencies of a trace replay, against the command log. A request enters the memory
// at max(its cycle, the previous request's entry + 1) when the replayer does not stall on
// full queues; its latency runs from there to the end of its data: RL (WL for a write) plus
// the burst after its column command. The controller keeps the submission cycle of a burst
// queued at once in the queue itself and gives a burst that waits in the backlog a
// transaction entry instead; requests all at cycle 0 overflow the queues (both ways are
// taken), requests spaced out do not (only the first).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "cimsim/memory/address_map.hpp"
#include "cimsim/memory/memtrace.hpp"
#include "memory_test_util.hpp"

namespace cimsim::memory {
namespace {

using test::preset;

struct Expected {
  std::vector<uint64_t> latencies;
  uint64_t sum = 0;
};

// The q-quantile as LatencyHistogram::percentile defines it: the smallest latency L with at
// least q of the samples <= L.
uint64_t quantile(std::vector<uint64_t> v, double q) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::max<size_t>(rank, 1) - 1];
}

void expect_histogram(const LatencyHistogram& h, const Expected& e, const char* what) {
  ASSERT_FALSE(e.latencies.empty()) << what;
  EXPECT_EQ(h.count(), e.latencies.size()) << what;
  EXPECT_EQ(h.mean(), static_cast<double>(e.sum) / static_cast<double>(e.latencies.size())) << what;
  EXPECT_EQ(h.max(), *std::max_element(e.latencies.begin(), e.latencies.end())) << what;
  EXPECT_EQ(h.percentile(0.5), quantile(e.latencies, 0.5)) << what;
  EXPECT_EQ(h.percentile(0.99), quantile(e.latencies, 0.99)) << what;
}

class ReplayLatency : public ::testing::TestWithParam<Cycle> {};

TEST_P(ReplayLatency, IsFromEntryToTheEndOfTheDataInTheCommandLog) {
  const Cycle spacing = GetParam();
  const MemoryConfig c = preset("hbm2");
  const AddressMap map(c);
  // Random bursts, each (pseudo-channel, bank, row, column) at most once, so that every
  // column command names its request; one in four is a write.
  using Where = std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>;
  std::map<Where, size_t> index;
  std::vector<TraceRequest> trace;
  uint64_t x = 7;
  while (trace.size() < 20000) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t address = (x >> 11) % c.capacity_bytes() / 64 * 64;
    const DecodedAddress d = map.decode(address);
    if (index.emplace(Where{d.unit, d.bank, d.row, d.column}, trace.size()).second) {
      trace.push_back(TraceRequest{address, (x >> 7) % 4 == 0, trace.size() * spacing});
    }
  }
  std::vector<Cycle> entry(trace.size());
  for (size_t i = 0; i < trace.size(); ++i) {
    entry[i] = i == 0 ? trace[i].cycle : std::max(trace[i].cycle, entry[i - 1] + 1);
  }

  test::Recorder log(c);
  ReplayOptions options;
  options.stall_on_full = false;
  options.sink = &log;
  const ReplayResult r = replay_requests(c, trace, options);
  log.expect_clean();

  Expected reads, writes;
  std::set<size_t> seen;
  for (const CommandRecord& k : log.log) {
    if (!is_column(k.command)) {
      continue;
    }
    const auto it = index.find(Where{k.unit, k.bank, k.row, k.column});
    ASSERT_NE(it, index.end()) << "a column command no request asked for";
    const size_t i = it->second;
    ASSERT_TRUE(seen.insert(i).second) << "request " << i << " served twice";
    const bool write = is_write(k.command);
    ASSERT_EQ(write, trace[i].write);
    const Cycle end = k.cycle + (write ? c.timing.WL : c.timing.RL) + c.burst_cycles();
    Expected& e = write ? writes : reads;
    e.latencies.push_back(end - entry[i]);
    e.sum += end - entry[i];
  }
  ASSERT_EQ(seen.size(), trace.size());
  expect_histogram(r.stats.read_latency, reads, "reads");
  expect_histogram(r.stats.write_latency, writes, "writes");
  EXPECT_EQ(r.stats.read_requests + r.stats.write_requests, trace.size());
  EXPECT_EQ(r.stats.read_bytes + r.stats.write_bytes, trace.size() * 64);
  if (spacing == 0) {
    // One request per cycle is more than random bursts can be served at (about 0.77 per
    // cycle on hbm2): the last ones wait hundreds of cycles in the backlog.
    EXPECT_GT(*std::max_element(reads.latencies.begin(), reads.latencies.end()), 1000u);
  }
}

INSTANTIATE_TEST_SUITE_P(Spacing, ReplayLatency, ::testing::Values(Cycle{0}, Cycle{4}),
                         [](const ::testing::TestParamInfo<Cycle>& p) {
                           return p.param == 0 ? std::string("AllAtCycle0")
                                               : "EveryCycles" + std::to_string(p.param);
                         });

}  // namespace
}  // namespace cimsim::memory
