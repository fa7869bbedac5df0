// `cimsim memtrace`: a trace (trace_reader.hpp) replayed on the controller (replay.hpp) and
// reported as versioned JSON with a short text summary (memtrace_report.cpp).
#pragma once

#include <string>

#include "cimsim/common/json.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/replay.hpp"
#include "cimsim/memory/trace_reader.hpp"

namespace cimsim::memory {

constexpr int kMemtraceSchemaVersion = 1;
Json memtrace_report(const MemoryConfig& config, const std::string& trace_path,
                     const ReplayResult& result, bool timing_checked);
std::string memtrace_summary(const Json& report);

}  // namespace cimsim::memory
