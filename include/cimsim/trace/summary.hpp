// Totals of a trace: FLOPs, bytes by tensor kind and direction, op counts by kind, per phase.
// Decode (or ENTP) steps are aggregated into one row with the per-step FLOP range. Computed
// in one streaming pass; used by `cimsim lower --summary`, tests and reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/trace/source.hpp"

namespace cimsim::trace {

struct Totals {
  uint64_t ops = 0;
  uint64_t flops = 0;
  uint64_t weight_read_bytes = 0;
  uint64_t kv_read_bytes = 0;
  uint64_t kv_write_bytes = 0;
  uint64_t activation_read_bytes = 0;
  uint64_t activation_write_bytes = 0;
  void add(const Op& op);  // overflow is an InputError
};

// One row per phase kind, in trace order ("prefill", "decode", "encode", "entp").
struct PhaseTotals {
  PhaseKind kind = PhaseKind::prefill;
  uint64_t steps = 0;
  Totals totals;
  uint64_t min_step_flops = 0, max_step_flops = 0;  // over the steps of this kind
};

struct KindTotals {
  OpKind kind = OpKind::matmul;
  uint64_t ops = 0;
  uint64_t flops = 0;
};

struct TraceSummary {
  // From the header.
  std::string model, mode;
  uint64_t batch = 0, prompt = 0, generate = 0;
  uint32_t layers = 0;
  uint64_t kv_positions = 0;    // positions each KV cache holds (decoder mode; else 0)
  uint64_t parameters = 0;      // elements of the weights the trace declares
  uint64_t weight_bytes = 0;    // declared weights, each counted once
  uint64_t kv_cache_bytes = 0;  // declared KV caches at full length
  Totals total;
  std::vector<PhaseTotals> phases;
  std::vector<KindTotals> kinds;  // kinds that occur, in OpKind order
};

// Pulls every op of `source`.
TraceSummary summarize(OpSource& source);

// A short table for people (`cimsim lower --summary`).
std::string summary_text(const TraceSummary& s);
Json summary_json(const TraceSummary& s);

}  // namespace cimsim::trace
