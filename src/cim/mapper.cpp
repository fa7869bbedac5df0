#include "cimsim/cim/mapper.hpp"

#include <algorithm>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::cim {

uint32_t cells_per_weight(const CimConfig& c, uint32_t bits) {
  auto cells = static_cast<uint32_t>(ceil_div(bits, c.crossbar.bits_per_cell));
  return c.signed_weights == SignedWeights::differential ? 2 * cells : cells;
}

const WeightPlacement* Mapping::find(const std::string& id) const {
  auto it = index.find(id);
  return it == index.end() ? nullptr : &weights[it->second];
}

uint64_t Mapping::tiles_used(uint32_t pes_per_tile) const {
  return ceil_div(std::min(pes_used, total_pes), pes_per_tile);
}

uint64_t Mapping::crossbars_used() const {
  uint64_t n = 0;
  for (const auto& w : weights) {
    n += w.crossbars_per_copy * w.replicas.size();
  }
  return n;
}

uint64_t Mapping::cells_used() const {
  uint64_t n = 0;
  for (const auto& w : weights) {
    n += w.cells_per_copy * w.replicas.size();
  }
  return n;
}

uint32_t chips_for(const CimConfig& c, uint64_t pes_for_one_copy, const MapRequest& req) {
  const ConfigWhere where = req.where ? req.where : [](const std::string& path) { return path; };
  if (!c.chips.automatic) {
    return c.chips.count;
  }
  const uint64_t P = c.tile.pes;
  uint64_t tiles =
      ceil_div(pes_for_one_copy, P) + (req.dynamic_required ? ceil_div(req.dynamic_pes, P) : 0);
  uint64_t chips = std::max<uint64_t>(1, ceil_div(tiles, c.chip.tiles));
  if (chips > c.max_chips) {
    throw InputError(where("machine.max_chips"),
                     "the model needs " + std::to_string(chips) + " chips of " +
                         std::to_string(c.chip.tiles) + " tiles to hold its weights once, " +
                         "more than max_chips = " + std::to_string(c.max_chips) +
                         " (raise max_chips or fix machine.chips to reprogram weights)");
  }
  return static_cast<uint32_t>(chips);
}

Mapping map_weights(const CimConfig& c, const MapRequest& req) {
  auto mapper = c.mapper.make();
  uint32_t chips = chips_for(c, mapper->pes_for_one_copy(c, req), req);
  return mapper->place(c, req, chips);
}

}  // namespace cimsim::cim
