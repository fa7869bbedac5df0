// The fabric's machine-specific report section ("metrics"): system size, crossbar
// utilisation, per-weight placement and copies, programming, KV placement, dynamic writes,
// endurance, the area/power budget and the fast-forward summary (docs/cim.md, "Report").
#pragma once

#include <cstdint>
#include <vector>

#include "cimsim/cim/fabric_ops.hpp"
#include "cimsim/cim/fabric_plan.hpp"
#include "cimsim/common/json.hpp"

namespace cimsim::cim {

struct FabricReportInput {
  const CimConfig& config;
  const FabricPlan& plan;
  const std::vector<KvStore>& stores;
  const DynamicPolicy& policy;
  const Topology& topology;
  FabricOpStats ops;
  Json buffers;  // BufferCapacity::metrics()
  bool fast_forward = true;
  uint64_t fast_forwarded_bytes = 0;
  uint64_t end_ps = 0;
};

Json fabric_metrics(const FabricReportInput& in);

}  // namespace cimsim::cim
