#include "cimsim/cim/mapper.hpp"

#include "cimsim/cim/sizing.hpp"

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

Mapping map_weights(const CimConfig& c, const MapRequest& req) {
  const ConfigWhere where = req.where ? req.where : [](const std::string& path) { return path; };
  auto mapper = c.mapper.make();
  SizingInput in;
  in.pes_for_one_copy = mapper->pes_for_one_copy(c, req);
  in.reserved_pes = req.dynamic_pes;
  in.reserve_required = req.dynamic_required;
  return mapper->place(c, req, size_system(c, in, where).chips);
}

}  // namespace cimsim::cim
