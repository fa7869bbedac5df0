// Bandwidth of the access patterns a GPU sends to its HBM (issue #14, item 3): one long stream,
// many interleaved streams of fine-grained sequential reads (decode attention reads one K/V
// stream per head), and random 32 B reads. Each pattern keeps a fixed number of bytes in
// flight, as a GPU does with its thousands of outstanding loads: by default the memory's peak
// bandwidth x 512 ns (Little's law at about the loaded latency: ~1 MiB for the A100's
// 2.039 TB/s, ~10 KiB per SM of its 108).
//
//   hbm_patterns PRESET [--set memory.PATH=VALUE ...] [--total-mib N] [--inflight-kib N]
//
// Drives the controller directly (memory/controller.hpp): a stream submits its next request
// when one of its own completes, at that completion cycle. Prints, per pattern, the achieved
// bandwidth (bytes / last completion), its fraction of the peak, and the row-buffer hit rate.
// Streams start at power-of-two strides (tensors are allocated so: a K/V cache per head).
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <queue>
#include <string>
#include <systemc>
#include <utility>
#include <vector>

#include "cimsim/common/error.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/controller.hpp"

namespace {

using cimsim::memory::Controller;
using cimsim::memory::Cycle;
using cimsim::memory::kNever;
using cimsim::memory::MemoryConfig;
using cimsim::memory::TxId;

struct Pattern {
  std::string name;
  uint32_t streams = 1;     // 0: random
  uint64_t granule = 4096;  // bytes per request
};

struct Result {
  double bytes_per_s = 0;
  double hit_rate = 0;
};

uint64_t pow2_at_least(uint64_t v) {
  uint64_t p = 1;
  while (p < v) {
    p <<= 1;
  }
  return p;
}

Result run(const MemoryConfig& c, const Pattern& p, uint64_t total, uint64_t inflight) {
  Controller ctl(c);
  const bool random = p.streams == 0;
  const uint32_t streams = random ? 1 : p.streams;
  const uint64_t per_stream = total / streams / p.granule * p.granule;
  const uint64_t stride = pow2_at_least(per_stream);
  const uint64_t depth = std::max<uint64_t>(1, inflight / p.granule / streams);
  const uint64_t slots = c.capacity_bytes() / p.granule;
  std::vector<uint64_t> issued(streams, 0);  // bytes submitted per stream
  std::vector<uint32_t> owner;               // TxId -> stream
  uint64_t x = 0x9E3779B97F4A7C15ull;        // random addresses: a fixed LCG
  Cycle now = 0;
  auto submit = [&](uint32_t s) {
    uint64_t address = 0;
    if (random) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      address = (x >> 16) % slots * p.granule;
    } else {
      address = s * stride + issued[s];
    }
    issued[s] += p.granule;
    const TxId id = ctl.submit(address, p.granule, false, now, static_cast<uint16_t>(s + 1));
    if (owner.size() <= id) {
      owner.resize(id + 1);
    }
    owner[id] = s;
  };
  for (uint32_t s = 0; s < streams; ++s) {
    for (uint64_t d = 0; d < depth && issued[s] < per_stream; ++d) {
      submit(s);
    }
  }
  // Completions in time order: a finished transaction's completion cycle is known once its
  // last burst has issued, and next_wake() bounds every completion not yet known.
  std::priority_queue<std::pair<Cycle, TxId>, std::vector<std::pair<Cycle, TxId>>, std::greater<>>
      done;
  auto collect = [&] {
    for (TxId id : ctl.take_finished()) {
      done.emplace(ctl.transaction(id).completion, id);
    }
  };
  while (!ctl.idle() || !done.empty()) {
    const Cycle w = ctl.next_wake();
    if (!done.empty() && done.top().first <= w) {
      const auto [at, id] = done.top();
      done.pop();
      const uint32_t s = owner[id];
      ctl.release(id);
      if (issued[s] < per_stream) {
        now = std::max(now, at);  // the stream learns of the completion and asks again
        ctl.advance_to(now);
        collect();
        submit(s);
      }
      continue;
    }
    now = std::max(now, w);
    ctl.advance_to(now);
    collect();
  }
  const Cycle end = ctl.drain();
  const auto st = ctl.stats();
  Result r;
  const double seconds = static_cast<double>(end) / (c.organisation.clock_ghz * 1e9);
  r.bytes_per_s = static_cast<double>(st.read_bytes) / seconds;
  r.hit_rate = st.row_hit_rate();
  return r;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  try {
    if (argc < 2) {
      std::fprintf(stderr,
                   "usage: hbm_patterns PRESET [--set memory.PATH=VALUE ...] [--total-mib N] "
                   "[--inflight-kib N]\n");
      return 2;
    }
    std::vector<cimsim::config::Assignment> sets;
    uint64_t total = uint64_t{64} << 20, inflight = 0;
    for (int i = 2; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--set" && i + 1 < argc) {
        sets.push_back(cimsim::config::parse_assignment(argv[++i]));
      } else if (a == "--total-mib" && i + 1 < argc) {
        total = std::strtoull(argv[++i], nullptr, 10) << 20;
      } else if (a == "--inflight-kib" && i + 1 < argc) {
        inflight = std::strtoull(argv[++i], nullptr, 10) << 10;
      } else {
        std::fprintf(stderr, "hbm_patterns: unknown argument %s\n", a.c_str());
        return 2;
      }
    }
    const MemoryConfig c = cimsim::memory::load_memory_config(argv[1], sets);
    if (inflight == 0) {
      inflight = static_cast<uint64_t>(c.peak_bandwidth_bytes_per_s() * 512e-9) / 1024 * 1024;
    }
    const std::vector<Pattern> patterns = {
        {"1 stream, 4 KiB requests", 1, 4096}, {"8 streams x 32 B", 8, 32},
        {"8 streams x 128 B", 8, 128},         {"32 streams x 32 B", 32, 32},
        {"32 streams x 128 B", 32, 128},       {"128 streams x 32 B", 128, 32},
        {"128 streams x 128 B", 128, 128},     {"random 32 B", 0, 32},
    };
    const double peak = c.peak_bandwidth_bytes_per_s();
    std::printf("%s (%s, hash %s): peak %.1f GB/s, %" PRIu64 " MiB per pattern, %" PRIu64
                " KiB in flight\n\n",
                argv[1], c.address_mapping.order.c_str(), c.address_mapping.hash.name.c_str(),
                peak / 1e9, total >> 20, inflight >> 10);
    std::printf("| pattern | GB/s | of peak | row hits |\n|---|---|---|---|\n");
    for (const Pattern& p : patterns) {
      const Result r = run(c, p, total, inflight);
      std::printf("| %s | %.0f | %.1f %% | %.1f %% |\n", p.name.c_str(), r.bytes_per_s / 1e9,
                  100 * r.bytes_per_s / peak, 100 * r.hit_rate);
      std::fflush(stdout);
    }
  } catch (const cimsim::InputError& e) {
    std::fprintf(stderr, "hbm_patterns: %s\n", e.what());
    return 2;
  }
  return 0;
}
