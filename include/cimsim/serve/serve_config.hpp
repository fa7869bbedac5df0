// The settings of a serving run: the "serve" root of `cimsim serve --set serve.PATH=VALUE`
// (docs/serving.md, docs/configs.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cimsim/config/describe.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/config/registry.hpp"
#include "cimsim/serve/batching.hpp"
#include "cimsim/serve/requests.hpp"
#include "cimsim/serve/serving.hpp"

namespace cimsim::serve {

struct ServeConfig {
  config::Choice<BatchSchedulerAxis> scheduler{"continuous"};
  uint64_t block_tokens = 16;       // KV block size (vLLM's default block_size)
  uint64_t kv_capacity_blocks = 0;  // 0: from the machine's memory or kv_pool_sequences
  // A pool stated in sequences (machines without a memory budget, e.g. a CIM fabric that sizes
  // itself for its KV): sequences x the longest request's blocks; 0: the scheduler's maximum.
  uint64_t kv_pool_sequences = 0;
  double memory_utilization = 0.9;           // vLLM's gpu_memory_utilization default
  bool reuse = true;                         // cost identical iterations once (reuse.hpp)
  uint64_t bucket_tokens = 16;               // reuse grid (reuse.hpp): base step of token counts
  uint64_t bucket_seqs = 4;                  // base step of sequence counts
  uint64_t steps_per_octave = 2;             // grid points per doubling above the base steps
  std::optional<GeneratorConfig> generator;  // requests drawn instead of read from a file
};

// The config document of the "serve" root from its --set assignments (and, if given, the
// generator JSON of --generate), parsed strictly.
ServeConfig load_serve_config(const std::vector<config::Assignment>& sets,
                              const std::string& generator_json);

}  // namespace cimsim::serve

namespace cimsim::config {
template <>
struct Describe<serve::ServeConfig> {
  static constexpr const char* doc = "a serving run";
  static void fields(Fields<serve::ServeConfig>& f);
};
}  // namespace cimsim::config
