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

struct GemmHeuristicAxis : config::Axis<std::unique_ptr<GemmHeuristic>()> {
  static constexpr const char* key = "machine.gemm.heuristic";
  static constexpr const char* doc = "how a tensor-core GEMM's tile and split-K are chosen";
};

}  // namespace cimsim::vn
