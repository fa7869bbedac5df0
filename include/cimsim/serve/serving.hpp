// A serving run: requests arrive, a batching policy forms iterations, an engine executes them,
// and every request's time to first token (TTFT), time per output token (TPOT) and end-to-end
// latency are recorded, with the KV-cache occupancy over time and the energy.
//
// The loop is event-driven on iteration boundaries: an iteration starts when the previous one
// ends (one engine, one batch at a time, as an inference engine's step loop runs); when nothing
// can run, time jumps to the next arrival and the engine's idle power is charged for the gap.
// The engine is anything that can cost an iteration (IterationEngine): a simulated machine
// (src/serve/machine_engine.cpp) or, in tests, a closed form.
//
// Definitions (as vLLM's and Sarathi-Serve's benchmarks use them):
//   TTFT = time the first output token is produced - arrival;
//   E2E  = time the last output token is produced - arrival;
//   TPOT = (E2E - TTFT) / (output tokens - 1), for requests with more than one output token;
//   throughput = output tokens / (last completion - first arrival).
// Percentiles interpolate linearly between the closest ranks (numpy's default).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/serve/batching.hpp"

namespace cimsim::serve {

struct IterationCost {
  double seconds = 0;
  double energy_j = 0;  // dynamic and static energy of the iteration
};

class IterationEngine {
 public:
  virtual ~IterationEngine() = default;
  virtual IterationCost run(const Iteration& iteration, const ServeState& state) = 0;
  // Power drawn while no iteration runs (static power), charged for idle gaps.
  virtual double idle_power_w() const = 0;
};

struct ServeSettings {
  config::Choice<BatchSchedulerAxis> scheduler{"continuous"};
  uint64_t block_tokens = 16;  // KV block size (vLLM's default block_size)
  uint64_t kv_capacity_blocks = 0;
};

struct RequestRecord {
  Request request;
  double first_token_s = 0;
  double finish_s = 0;
  uint64_t preemptions = 0;
  double ttft_s() const { return first_token_s - request.arrival_s; }
  double e2e_s() const { return finish_s - request.arrival_s; }
};

struct OccupancySample {
  double time_s = 0;
  uint64_t used_blocks = 0;
  uint64_t running = 0;
  uint64_t waiting = 0;
};

struct ServeResult {
  std::vector<RequestRecord> requests;  // in arrival order
  std::vector<OccupancySample> timeline;  // after each iteration
  uint64_t iterations = 0;
  uint64_t prefill_tokens = 0;
  uint64_t decode_tokens = 0;  // padding rows of static batches included
  uint64_t padding_tokens = 0;
  uint64_t preemptions = 0;
  double busy_s = 0;
  double energy_j = 0;
  uint64_t kv_capacity_blocks = 0;
  uint64_t block_tokens = 0;
};

// Runs every request to completion. An InputError if a request can never fit the KV pool
// (its prompt + output needs more blocks than it has), naming the request.
ServeResult run_serving(const std::vector<Request>& requests, const ServeSettings& settings,
                        IterationEngine& engine);

// Percentile p in [0, 100] of `values` (linear between closest ranks); 0 if empty.
double percentile(std::vector<double> values, double p);

// The "serving" section of a report (docs/report-format.md).
Json serving_report(const ServeResult& result);

}  // namespace cimsim::serve
