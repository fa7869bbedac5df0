// The GPU GEMM tiling-heuristic axis (`machine.gemm.heuristic`): which thread-block tile and
// split-K factor a tensor-core GEMM runs with, as a library's heuristic picks them. One
// implementation per file (src/vn/gemm_*.cpp), registered by name with its own parameters
// (config/registry.hpp). The candidate tiles, the MMA shape and the largest split-K are
// machine facts in `machine.gemm`; the heuristic only chooses among them. The kernel itself
// (what each thread block loads, computes and stores) is built by the planner (kernels.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "cimsim/config/registry.hpp"
#include "cimsim/trace/op.hpp"

namespace cimsim::vn {

struct MachineConfig;

struct TileShape {
  uint64_t bm = 0, bn = 0, bk = 0;
  uint32_t stages = 2;
  // Tile of one warp (warpgroup) inside it; 0: gemm.warp_tile_m / warp_tile_n (capped by the
  // tile). Each warp reads its A rows and B columns from shared memory, so smaller warp tiles
  // read the operands more often.
  uint64_t warp_m = 0, warp_n = 0;
};

// One (batched) GEMM C[b] = A[b] x B[b] as the heuristic sees it.
struct GemmShape {
  uint64_t batch = 1, m = 0, n = 0, k = 0;
  trace::DType dtype = trace::DType::fp16;  // the MAC type
  uint32_t a_bytes = 2, b_bytes = 2, c_bytes = 2;
};

struct GemmTiling {
  TileShape tile;
  uint64_t split_k = 1;    // K split over this many thread blocks, reduced by a second kernel
  uint32_t occupancy = 1;  // co-resident thread blocks per unit
};

// What the heuristic may consult besides the machine config.
struct GemmMachine {
  const MachineConfig& config;
  double hbm_bytes_per_cycle = 0;     // peak memory bandwidth per core cycle
  double kernel_overhead_cycles = 0;  // what one more kernel adds (launch model)
};

class GemmHeuristic {
 public:
  virtual ~GemmHeuristic() = default;
  // The tiling to run `g` with, or nothing if no configured tile fits shared memory.
  virtual std::optional<GemmTiling> choose(const GemmShape& g, const GemmMachine& m) const = 0;
};

// The warp (warpgroup) tile of `t` on this machine (TileShape::warp_m/n or the gemm defaults,
// capped by the tile).
uint64_t warp_rows(const TileShape& t, const MachineConfig& cfg);
uint64_t warp_cols(const TileShape& t, const MachineConfig& cfg);

// What one thread block issues when rows x cols of its tile lie inside C and its K range is
// `depth` deep. With gemm.full_edge_tiles (GPU libraries) a block at the matrix edge runs its
// whole tile: loads past the edge are predicated off and zero-filled into shared memory, and
// every warp's MMAs and every BK-deep main-loop step run (tile quantisation); otherwise (CPU
// tail kernels) it runs its rows and columns rounded up to the MMA shape. The planner's thread
// blocks and the heuristic's estimate both count with this.
struct IssuedTile {
  uint64_t rows = 0, cols = 0;  // rows of A and columns of B in shared memory and warp tiles
  double macs = 0;              // MMA multiply-accumulates
};
IssuedTile issued_tile(const MachineConfig& cfg, const TileShape& t, uint64_t rows, uint64_t cols,
                       uint64_t depth);

// The fastest configured tiling of `g` by the estimate of gemm_estimate.cpp (waves x per-CTA
// time, the HBM and crossbar bandwidth bounds, split-K's reduction), or nothing if no tile fits
// shared memory. Shared by the heuristics that pick "the fastest" for some shape.
std::optional<GemmTiling> fastest_tiling(const GemmShape& g, const GemmMachine& m);

struct GemmHeuristicAxis : config::Axis<std::unique_ptr<GemmHeuristic>()> {
  static constexpr const char* key = "machine.gemm.heuristic";
  static constexpr const char* doc = "how a tensor-core GEMM's tile and split-K are chosen";
};

}  // namespace cimsim::vn
