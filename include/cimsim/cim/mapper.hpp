// Places every weight of a trace onto crossbars, PEs, tiles and chips (plain C++).
//
// Bit slicing: a w-bit weight occupies ceil(w / bits_per_cell) adjacent cells of one
// crossbar row (twice that with differential columns); a crossbar holds
// floor(cols / cells_per_weight) output features and `rows` input features, so a k x n
// weight needs ceil(k / rows) row blocks x ceil(n / features_per_crossbar) column blocks.
//
// Layout (ISAAC's spatial pipeline): weights are laid out in trace order, each layer's
// weights on consecutive tiles. A "strip" is what one tile holds of a weight: every row block
// of a range of column blocks, so the tile turns a whole input vector into a range of outputs
// and partial sums of the row blocks add up inside the tile. A weight with more row blocks
// than a tile has crossbars is split by rows as well (partial sums then travel between
// tiles). Strips start on a PE boundary and never straddle tiles; a tile may hold strips of
// several weights. Replicas are full copies; the rows of a matmul are dealt round-robin.
//
// Capacity: with chips "auto" the system is the smallest number of chips that holds one copy
// of every weight (plus the crossbars dynamic_matmul "write_xbar" needs); replication "auto"
// then copies weights into the spare PEs, uniformly first and then layer by layer. With a
// fixed chip count too small for the model, strips are placed on a virtual fabric and wrap
// around the physical PEs; the fabric reprograms a strip's PEs whenever the strip they hold
// is not the one an op needs, so weights are reloaded layer by layer with the full write
// cost (see fabric).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cimsim/cim/config.hpp"
#include "cimsim/cim/mvm.hpp"

namespace cimsim::cim {

// A weight used as a matmul operand: out[m, n] = in[m, k] x W[k, n].
struct WeightUse {
  std::string id;
  int32_t layer = -1;
  uint64_t k = 0, n = 0;
  uint32_t bits = 16;
};

struct Strip {
  uint64_t first_vpe = 0;  // virtual PE index (physical = vpe mod total PEs)
  uint32_t pes = 0;
  uint64_t k0 = 0, k1 = 0;  // input features [k0, k1)
  uint64_t n0 = 0, n1 = 0;  // output features [n0, n1)
  uint64_t crossbars = 0;
  uint64_t cells = 0;
  uint32_t max_rows = 0;  // rows of its fullest crossbar (programming is row by row)
  uint32_t max_xbars_per_pe = 0;
  MvmTiming timing;        // of its slowest PE
  MvmCounts per_vector;    // all its PEs, one input vector
  bool row_split = false;  // holds only some row blocks (partial sums leave the tile)
};

struct WeightPlacement {
  WeightUse use;
  uint32_t cells_per_weight = 0;  // cells (columns) one weight value occupies
  uint32_t features_per_crossbar = 0;
  uint64_t row_blocks = 0, col_blocks = 0;
  uint64_t crossbars_per_copy = 0;
  uint64_t cells_per_copy = 0;  // k x n x cells_per_weight
  uint64_t pes_per_copy = 0;
  std::vector<std::vector<Strip>> replicas;  // [replica][strip]
};

struct Mapping {
  uint32_t chips = 0;
  uint64_t total_pes = 0;
  uint64_t pes_for_one_copy = 0;  // every weight once, with strip packing
  uint64_t pes_used = 0;          // including replicas (virtual when not fitting)
  uint64_t dynamic_pes = 0;       // reserved for write_xbar (after the weights)
  uint64_t dynamic_first_vpe = 0;
  uint64_t weight_region = 0;  // PEs weights may use; virtual PEs wrap around it
  bool fits = true;            // every weight resident at once
  std::vector<WeightPlacement> weights;
  std::unordered_map<std::string, size_t> index;

  const WeightPlacement* find(const std::string& id) const;
  uint64_t tiles_used(uint32_t pes_per_tile) const;
  uint64_t crossbars_used() const;  // all replicas
  uint64_t cells_used() const;      // all replicas
};

// Where a machine.* setting came from, for error messages ("file: machine.x"); empty: the
// path alone.
using ConfigWhere = std::function<std::string(const std::string& path)>;

struct MapRequest {
  std::vector<WeightUse> weights;
  uint32_t activation_bits = 16;
  uint64_t dynamic_pes = 0;       // PEs write_xbar wants for K/V (0 otherwise)
  bool dynamic_required = false;  // must the dynamic PEs fit for chips "auto"
  ConfigWhere where;              // names the config file in errors
};

// The mapper axis (machine.mapper, axes.hpp): one implementation per file, "spatial"
// (mapper_spatial.cpp) the layout described above.
class Mapper {
 public:
  virtual ~Mapper() = default;
  // PEs one copy of every weight takes (what sizing starts from).
  virtual uint64_t pes_for_one_copy(const CimConfig& config, const MapRequest& request) const = 0;
  // Places every weight on a system of `chips` chips: copies per machine.replication, the
  // dynamic-matmul reservation after the weights. Throws InputError (naming machine.*
  // settings) when a weight cannot be mapped at all or a fixed replication factor cannot be
  // honoured.
  virtual Mapping place(const CimConfig& config, const MapRequest& request,
                        uint32_t chips) const = 0;
};

// Sizes the system for the weights alone (sizing.hpp) and places them with the configured
// mapper (the fabric sizes with the KV caches too, fabric_plan.hpp).
Mapping map_weights(const CimConfig& config, const MapRequest& request);

// Cells of one weight value: ceil(bits / bits_per_cell), doubled for differential columns.
uint32_t cells_per_weight(const CimConfig& config, uint32_t bits);

}  // namespace cimsim::cim
