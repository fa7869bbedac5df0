// GEMM tiling heuristic "fastest": every configured tile that fits shared memory, with every
// split-K factor up to gemm.max_split_k, is estimated and the fastest kept, as cuBLAS's and
// CUTLASS's profilers pick a kernel. The estimate of one candidate is
//   max(waves x per-CTA time, (unique operand bytes + split-K partials) / HBM bandwidth)
//   + with split-K, the reduction kernel: the partials read back at HBM bandwidth and one
//     kernel's launch overhead,
// with waves of CTAs over the units (wave quantisation) and the per-CTA time the larger of
// its MACs padded to the MMA shape at the matrix-unit rate and its operand bytes at the port
// bandwidth.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/vn/config.hpp"
#include "cimsim/vn/gemm_heuristic.hpp"
#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {
namespace {

class Fastest final : public GemmHeuristic {
 public:
  std::optional<GemmTiling> choose(const GemmShape& g, const GemmMachine& m) const override {
    const MachineConfig& cfg = m.config;
    const auto& cc = cfg.compute;
    const double rate = rate_for(cc.tensor_macs_per_cycle, g.dtype) * cc.tensor_efficiency;
    const uint64_t units = cc.units;
    const GemmConfig& gc = cfg.gemm;
    std::optional<GemmTiling> best;
    double best_est = std::numeric_limits<double>::infinity();
    for (const TileShape& t : gc.tiles) {
      uint64_t smem = uint64_t{t.stages} * (t.bm * t.bk * g.a_bytes + t.bk * t.bn * g.b_bytes);
      if (smem > cfg.smem.capacity_bytes) {
        continue;
      }
      uint32_t occ = static_cast<uint32_t>(
          std::min<uint64_t>(cc.max_ctas_per_unit, cfg.smem.capacity_bytes / smem));
      uint64_t tm = ceil_div(g.m, t.bm), tn = ceil_div(g.n, t.bn);
      for (uint64_t split = 1; split <= gc.max_split_k; split *= 2) {
        if (split > 1 && g.k < split * 2 * t.bk) {
          break;
        }
        uint64_t kper = round_up_to(ceil_div(g.k, split), t.bk);
        if (split > 1 && (split - 1) * kper >= g.k) {
          break;
        }
        uint64_t grid = g.batch * tm * tn * split;
        double waves = std::ceil(static_cast<double>(grid) / static_cast<double>(units));
        double macs = static_cast<double>(round_up_to(std::min(t.bm, g.m), gc.mma_m) *
                                          round_up_to(std::min(t.bn, g.n), gc.mma_n) *
                                          round_up_to(kper, gc.mma_k));
        double bytes = static_cast<double>(
            (std::min(t.bm, g.m) * g.a_bytes + std::min(t.bn, g.n) * g.b_bytes) * kper);
        double t_cta = std::max(macs / rate, bytes / cfg.noc.port_bytes_per_cycle);
        double unique = static_cast<double>(g.batch) *
                        static_cast<double>(g.m * g.k * g.a_bytes + g.n * g.k * g.b_bytes +
                                            g.m * g.n * g.c_bytes);
        // Split-K: the GEMM writes fp32 partials, and a second kernel reads them back after it.
        double partials = split > 1 ? static_cast<double>(g.batch * g.m * g.n * 4 * split) : 0;
        double est = std::max(waves * t_cta, (unique + partials) / m.hbm_bytes_per_cycle);
        if (split > 1) {
          est += partials / m.hbm_bytes_per_cycle + m.kernel_overhead_cycles;
        }
        if (est < best_est * 0.999) {
          best_est = est;
          best = GemmTiling{t, split, occ};
        }
      }
    }
    return best;
  }
};

}  // namespace

CIMSIM_REGISTER(GemmHeuristicAxis, config::NoParams, "fastest",
                "every configured tile and split-K estimated (waves, MMA padding, port and HBM "
                "bandwidth); the fastest kept, as cuBLAS/CUTLASS profiling picks a kernel",
                [](const config::NoParams&) { return std::make_unique<Fastest>(); });

}  // namespace cimsim::vn
