// Planning a fabric run before anything is built (plain C++): what the first phase of the
// trace says about the weights, the size of the system and where every weight goes (the
// mapper), the dynamic-matmul policy's reservation, and the off-chip address of the tables
// that stay in memory.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cimsim/cim/config.hpp"
#include "cimsim/cim/dynamic_policy.hpp"
#include "cimsim/cim/mapper.hpp"
#include "cimsim/cim/sizing.hpp"
#include "cimsim/trace/op.hpp"
#include "cimsim/trace/source.hpp"

namespace cimsim::cim {

// What the trace's first phase (which uses every weight) says.
struct TraceUse {
  std::vector<WeightUse> weights;     // matmul operands, in first use
  std::vector<std::string> gathered;  // tables read by `embedding` (stay off-chip)
  uint32_t activation_bits = 16, weight_bits = 16;
  std::optional<trace::AttentionShape> first_attention;
};
TraceUse read_trace_use(const CimConfig& config, const trace::TraceHeader& header,
                        const std::deque<trace::Op>& first_phase);

struct StripRef {
  uint32_t weight = 0, replica = 0, strip = 0;
};

struct FabricPlan {
  Sizing sizing;
  Mapping mapping;
  std::vector<StripRef> strip_refs;              // global strip id -> strip
  std::vector<std::vector<uint64_t>> strip_ids;  // [weight][replica] -> first global id
  uint32_t activation_bits = 16, weight_bits = 16;
  std::optional<trace::AttentionShape> first_attention;
  uint32_t stacks = 1;                      // HBM stacks, one per chip group
  std::vector<uint64_t> stack_used;         // bytes allocated in each stack
  std::vector<uint64_t> embedding_address;  // offset in stack 0 of each gathered table
  std::unordered_map<int32_t, std::vector<uint32_t>> layer_tiles;  // tiles of a layer's weights
  std::vector<uint32_t> pool_tiles;  // tiles reserved for the dynamic-matmul policy
  uint64_t pool_cells = 0;           // their crossbar cells
  uint32_t pes_per_tile = 1;

  // The physical (tile, PE in tile) of a virtual PE (weights wrap when they do not fit).
  std::pair<uint32_t, uint32_t> physical(uint64_t vpe) const;
  const Strip& strip(uint64_t global) const;
  uint64_t tiles() const { return mapping.total_pes / pes_per_tile; }
  // Allocates `bytes` in a stack; returns the offset in it.
  uint64_t allocate(uint32_t stack, uint64_t bytes);
};

// Sizes the system (sizing.hpp: with chips "auto" for the weights and the KV caches, at least
// `at_least` chips), maps the weights and reserves the policy's crossbars (it is told its
// pool). Throws InputError naming machine.* settings the trace cannot run with.
FabricPlan plan_fabric(const CimConfig& config, const trace::TraceHeader& header,
                       const TraceUse& use, DynamicPolicy& policy, const ConfigWhere& where,
                       uint32_t at_least = 1);

}  // namespace cimsim::cim
