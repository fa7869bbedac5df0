// Replaying memory requests (a trace file or a list) against the controller, in plain C++.
//
// Requests enter the controller in order, none before its cycle, at most one per memory
// cycle; a request whose pseudo-channel queue is full waits, and so do all after it
// (back-pressure, as DRAMsim3's trace frontend).
//
// Why a direct path next to the SystemC module: a random trace's request costs ~200 ns here
// (reading, decoding and its three DRAM commands) and a SystemC activation 35-110 ns, and a
// TLM replay would need several per request. Both paths drive the same Controller with the
// same calls (submit, advance), so they agree exactly (tests/memory/test_paths.cpp checks it).
#pragma once

#include <cstdint>
#include <vector>

#include "cimsim/memory/config.hpp"
#include "cimsim/memory/stats.hpp"
#include "cimsim/memory/timing_checker.hpp"
#include "cimsim/memory/trace_reader.hpp"

namespace cimsim::memory {

struct ReplayOptions {
  bool check_timing = false;    // run the timing checker on every command
  bool stall_on_full = true;    // false: every request enters at its cycle and waits in the
                                // pseudo-channel's backlog (the SystemC module's behaviour)
  CommandSink* sink = nullptr;  // if given, sees every command as it is issued
};

struct ReplayResult {
  uint64_t requests = 0;
  Cycle last_completion = 0;
  MemoryStats stats;
  uint64_t commands_checked = 0;
  uint64_t violation_count = 0;
  std::vector<TimingViolation> violations;  // the first ones
};

// Replays `trace` on a fresh controller.
ReplayResult replay_trace(const MemoryConfig& config, TraceReader& trace,
                          const ReplayOptions& options = {});
// Same, from requests in memory (tests).
ReplayResult replay_requests(const MemoryConfig& config, const std::vector<TraceRequest>& trace,
                             const ReplayOptions& options = {});

}  // namespace cimsim::memory
