// Sizing the system (sizing.hpp).
#include "cimsim/cim/sizing.hpp"

#include <algorithm>
#include <cmath>

#include "cimsim/cim/energy.hpp"
#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::cim {

namespace {

uint32_t checked_chips(const CimConfig& c, uint64_t chips, const std::string& what,
                       const ConfigWhere& where) {
  if (chips > c.max_chips) {
    throw InputError(where("machine.max_chips"),
                     "the model needs " + std::to_string(chips) + " chips of " +
                         std::to_string(c.chip.tiles) + " tiles " + what + ", more than " +
                         "max_chips = " + std::to_string(c.max_chips) +
                         " (raise max_chips or fix machine.chips to reprogram weights)");
  }
  return static_cast<uint32_t>(chips);
}

}  // namespace

Sizing size_system(const CimConfig& c, const SizingInput& in, const ConfigWhere& where) {
  Sizing s;
  BudgetTotals chip = budget_totals(c, true);
  s.chip_area_mm2 = chip.chip_area_mm2;
  s.chip_peak_power_w = chip.chip_power_w;
  const uint64_t P = c.tile.pes;
  uint64_t tiles =
      ceil_div(in.pes_for_one_copy, P) + (in.reserve_required ? ceil_div(in.reserved_pes, P) : 0);
  s.chips_for_weights =
      static_cast<uint32_t>(std::min<uint64_t>(UINT32_MAX, ceil_div(tiles, c.chip.tiles)));
  s.chips_for_kv = in.chips_for_kv;
  if (!c.chips.automatic) {
    s.mode = "fixed";
    s.chips = c.chips.count;
    return s;
  }
  if (c.iso_area_mm2 || c.iso_power_w) {
    const bool area = c.iso_area_mm2.has_value();
    s.mode = area ? "iso_area" : "iso_power";
    s.budget = area ? *c.iso_area_mm2 : *c.iso_power_w;
    const double per_chip = area ? s.chip_area_mm2 : s.chip_peak_power_w;
    const char* key = area ? "machine.iso_area_mm2" : "machine.iso_power_w";
    double n = per_chip > 0 ? std::floor(s.budget / per_chip) : 0;
    if (n < 1) {
      throw InputError(where(key), std::string("expected at least one chip's ") +
                                       (area ? "area (" : "peak power (") +
                                       config::format_number(per_chip) + (area ? " mm2)" : " W)") +
                                       ", got " + config::format_number(s.budget));
    }
    if (n > c.max_chips) {
      throw InputError(where("machine.max_chips"),
                       "the budget " + config::format_number(s.budget) + " holds " +
                           config::format_number(n) + " chips, more than max_chips = " +
                           std::to_string(c.max_chips) + " (raise max_chips)");
    }
    s.chips = static_cast<uint32_t>(n);
    return s;
  }
  s.mode = "auto";
  uint64_t weights = std::max<uint64_t>(1, s.chips_for_weights);
  checked_chips(c, weights, "to hold its weights once", where);
  uint64_t chips = std::max<uint64_t>({weights, s.chips_for_kv, in.at_least});
  s.chips =
      checked_chips(c, chips, "to hold its weights and its KV cache at the longest context", where);
  return s;
}

Json sizing_json(const Sizing& s) {
  Json j{{"mode", s.mode}};
  if (s.mode == "iso_area" || s.mode == "iso_power") {
    j[s.mode == "iso_area" ? "budget_mm2" : "budget_w"] = s.budget;
  }
  j["chips"] = s.chips;
  j["chips_for_weights"] = s.chips_for_weights;
  j["chips_for_kv_cache"] = s.chips_for_kv;
  j["chip_area_mm2"] = s.chip_area_mm2;
  j["chip_peak_power_w"] = s.chip_peak_power_w;
  return j;
}

}  // namespace cimsim::cim
