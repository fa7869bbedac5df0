// GEMM tiling heuristic "fastest": every configured tile that fits shared memory, with every
// split-K factor up to gemm.max_split_k, is estimated (gemm_estimate.cpp) and the fastest kept
// for the GEMM's own shape, as cuBLAS's and CUTLASS's profilers pick a kernel.
#include "cimsim/vn/gemm_heuristic.hpp"

namespace cimsim::vn {
namespace {

class Fastest final : public GemmHeuristic {
 public:
  std::optional<GemmTiling> choose(const GemmShape& g, const GemmMachine& m) const override {
    return fastest_tiling(g, m);
  }
};

}  // namespace

CIMSIM_REGISTER(GemmHeuristicAxis, config::NoParams, "fastest",
                "every configured tile and split-K estimated for the GEMM's own shape (waves, "
                "MMA padding, port, shared-memory, crossbar and HBM bandwidth); the fastest "
                "kept, as cuBLAS/CUTLASS profiling picks a kernel",
                [](const config::NoParams&) { return std::make_unique<Fastest>(); });

}  // namespace cimsim::vn
