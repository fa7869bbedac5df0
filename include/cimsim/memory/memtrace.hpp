// Replaying a memory trace in the DRAMsim3 text format against the controller, in plain C++.
//
// Format: one request per line, "0xADDR READ|WRITE CYCLE" (fields separated by blanks; blank
// lines and lines starting with '#' are skipped). Each line is one burst (the memory's burst
// size; the address is rounded down to its burst). Requests enter the controller in file
// order, none before its cycle, at most one per memory cycle; a request whose pseudo-channel
// queue is full waits, and so do all after it (back-pressure, as DRAMsim3's trace frontend).
//
// Why a direct path next to the SystemC module: a random trace's request costs ~200 ns here
// (reading, decoding and its three DRAM commands) and a SystemC activation 35-110 ns, and a
// TLM replay would need several per request. Both paths
// drive the same Controller with the same calls (submit, advance), so they agree exactly
// (tests/memory/test_paths.cpp checks it).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/stats.hpp"
#include "cimsim/memory/timing_checker.hpp"

namespace cimsim::memory {

struct TraceRequest {
  uint64_t address = 0;
  bool write = false;
  Cycle cycle = 0;
};

// Streams a trace file; malformed lines are InputErrors naming file and line.
class TraceReader {
 public:
  explicit TraceReader(const std::string& path);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;
  // Next request; false at the end of the file.
  bool next(TraceRequest& out);
  uint64_t line() const { return line_; }
  const std::string& path() const { return path_; }

 private:
  bool next_general(TraceRequest& out);  // any line: other shapes, and after a refill
  bool fill();
  const char* line_end(const char* begin) const;
  [[noreturn]] void fail(const char* begin, const std::string& why) const;
  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<char> buffer_;
  // buffer_[pos_, size_) is unread; lines before complete_ end in '\n' (or are the last line
  // of the file), so parsing one needs no end check: '\n' and the '\0' at size_ end it.
  size_t pos_ = 0, size_ = 0, complete_ = 0;
  bool eof_ = false;
  uint64_t line_ = 0;
};

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

// The memtrace report (versioned JSON) and its short text summary.
constexpr int kMemtraceSchemaVersion = 1;
Json memtrace_report(const MemoryConfig& config, const std::string& trace_path,
                     const ReplayResult& result, bool timing_checked);
std::string memtrace_summary(const Json& report);

}  // namespace cimsim::memory
