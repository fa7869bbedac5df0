// Where each layer's KV cache lives (decoder mode only; encoder and ENTP keep none), decided
// once before the run (plain C++).
//
// The dynamic-matmul policy first offers its arrays (sram_cim, write_xbar: resident when every
// layer's cache fits; kv_write then writes only the new positions). Otherwise each layer's K
// and V go to the buffers of the layer's own tiles, then the other tiles of its chip (nearest
// first), using the 1 - activation_reserve_fraction of each buffer not kept for activations;
// then the chip's global buffer; then off-chip memory.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cimsim/cim/dynamic.hpp"
#include "cimsim/cim/fabric_plan.hpp"
#include "cimsim/cim/noc.hpp"

namespace cimsim::cim {

struct KvPlacement {
  std::vector<KvStore> stores;                    // one per layer, K and V together
  std::unordered_map<std::string, size_t> index;  // K or V tensor id -> store
  std::vector<uint64_t> global_buffer_free;       // per chip, beside the caches
  // The store of an op's KV tensors (nullptr: none).
  KvStore* find(const trace::Op& op);
};

// Places the header's KV caches; off-chip stores get addresses from plan.next_address.
KvPlacement place_kv(const CimConfig& config, const trace::TraceHeader& header, FabricPlan& plan,
                     const Topology& topology, const DynamicPolicy& policy);

}  // namespace cimsim::cim
