// Serving on simulated machines: every iteration a batch scheduler forms is lowered to ops
// (workload/iteration.hpp) and executed by an elaborated machine (any machine type), side by
// side on several machines in one SystemC elaboration and one sc_start().
//
// Per machine: the executor is built once and handed a live op source; a driver thread
// (SC_THREAD) runs the serving loop (serving.hpp) and, for each iteration shape that must be
// simulated (reuse.hpp), pushes its ops into the source as one phase and waits until the
// machine has recorded every one of them. The iteration's time is the span from the end of
// the machine's previous simulated phase to the end of this one (so launch gaps and phase
// ordering are the machine's own); its energy is the dynamic energy of its ops' actions plus
// the machine's static power over that span. Idle gaps between arrivals cost static power.
// Before the first iteration a warm-up phase (one sequence, one KV block of prompt) lets a
// machine plan its weights (the CIM fabric maps them from the first phase); its cost is not
// part of the run.
//
// The KV pool: serve.kv_capacity_blocks if given, else the machine's budget
// (Executor::kv_budget_bytes at serve.memory_utilization) / (block_tokens x KV bytes per
// token), else, on a machine that offers none because it sizes itself for the KV caches it is
// given (a CIM fabric: chips "auto" holds them on chip, kv_placement.hpp), serve.kv_pool_sequences
// (default: the scheduler's max sequences) x the longest request's blocks. The trace header
// declares the pool as one cache of that many positions per layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/config/json_file.hpp"
#include "cimsim/exec/executor.hpp"
#include "cimsim/serve/reuse.hpp"
#include "cimsim/serve/serve_config.hpp"
#include "cimsim/serve/serving.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::serve {

struct MachineServing {
  Json machine;  // "name", "type", "budget" (if any) and "config" of the machine's report
  ServeResult result;
  ReuseStats reuse;
  uint64_t kv_bytes_per_token = 0;
  std::optional<uint64_t> kv_budget_bytes;  // what the machine offered (none if given)
  std::string kv_pool_source;               // the key or "memory" the capacity comes from
  uint64_t kv_pool_sequences = 0;           // with source serve.kv_pool_sequences
  Json kv_placement;                        // layers per level ("tile_buffer", "offchip", ...)
  double static_power_w = 0;
};

// KV bytes one token adds: K and V of every layer.
uint64_t kv_bytes_per_token(const workload::Workload& w);

// Serves `requests` on every machine; results in machine order. InputError for a machine
// that cannot hold the model or one request's KV blocks.
std::vector<MachineServing> serve_on_machines(const std::vector<config::ConfigDoc>& machines,
                                              const workload::Workload& w,
                                              const std::vector<Request>& requests,
                                              const ServeConfig& cfg,
                                              const exec::RunOptions& options);

// The whole report of `cimsim serve` (docs/report-format.md, "Serving report").
Json serving_run_report(const workload::Workload& w, const Json& requests_info,
                        const ServeConfig& cfg, const std::vector<MachineServing>& machines);

}  // namespace cimsim::serve
