// How many chips the system has (plain C++), by the config's sizing mode:
//   fixed      machine.chips = N
//   auto       the fewest chips that hold one copy of every weight (plus the crossbars the
//              dynamic-matmul policy must reserve) and, in decoder mode, every layer's KV cache
//              at the run's longest context where the policy keeps it (tile buffers outside
//              the activation reserve and global buffers, or SRAM CIM arrays); the activation
//              reserve of every tile buffer stays free for activations
//   iso_area   the most chips whose area (with the parts cimsim adds) fits iso_area_mm2
//   iso_power  the most chips whose peak power fits iso_power_w
// With a budget the weights may not fit (they are then reprogrammed during inference) or may
// leave PEs spare (replication "auto" fills them with copies); the report says which
// (metrics.sizing). HBM stacks count in neither budget (the A100's die area and its 400 W
// board power are the usual comparison; its HBM is off the die).
#pragma once

#include <cstdint>
#include <string>

#include "cimsim/cim/config.hpp"
#include "cimsim/cim/mapper.hpp"
#include "cimsim/common/json.hpp"

namespace cimsim::cim {

struct SizingInput {
  uint64_t pes_for_one_copy = 0;
  uint64_t reserved_pes = 0;  // the dynamic-matmul policy's crossbars
  bool reserve_required = false;
  uint32_t chips_for_kv = 0;  // the fewest chips that hold the KV caches (0: none)
  uint32_t at_least = 1;      // a lower bound found by placing (auto)
};

struct Sizing {
  std::string mode;   // "fixed", "auto", "iso_area", "iso_power"
  double budget = 0;  // mm2 or W for the iso modes
  uint32_t chips = 0;
  uint32_t chips_for_weights = 0;  // one copy of every weight (and the required reservation)
  uint32_t chips_for_kv = 0;
  double chip_area_mm2 = 0, chip_peak_power_w = 0;  // one chip, with the added parts
};

// Throws InputError naming machine.max_chips, machine.iso_area_mm2 or machine.iso_power_w.
Sizing size_system(const CimConfig& config, const SizingInput& in, const ConfigWhere& where);
Json sizing_json(const Sizing& s);

}  // namespace cimsim::cim
