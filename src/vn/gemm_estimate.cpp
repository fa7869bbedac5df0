// The time estimate GEMM tiling heuristics rank candidates by (gemm_heuristic.hpp). For a tile
// BM x BN x BK with its stages and a split-K factor s:
//   max(waves x per-CTA time, (unique operand bytes + split-K partials) / HBM bandwidth,
//       bytes every CTA loads / crossbar bandwidth)
//   + with split-K, the reduction kernel: the partials read back at HBM bandwidth and one
//     kernel's launch overhead,
// with waves of CTAs over the units (wave quantisation) and the per-CTA time the longest of
// the MACs it issues at the matrix-unit rate (issued_tile: the whole tile at a GPU's matrix
// edge), its operand bytes at the port bandwidth, and its shared-memory traffic (fills plus
// each warp tile's operand reads) at the shared-memory bandwidth. The crossbar bound is what makes
// small tiles lose on large GEMMs: they reload A and B panels from L2 more often than the crossbar
// can deliver them.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/vn/config.hpp"
#include "cimsim/vn/gemm_heuristic.hpp"
#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {

uint64_t warp_rows(const TileShape& t, const MachineConfig& cfg) {
  return std::min(t.bm, t.warp_m > 0 ? t.warp_m : cfg.gemm.warp_tile_m);
}

uint64_t warp_cols(const TileShape& t, const MachineConfig& cfg) {
  return std::min(t.bn, t.warp_n > 0 ? t.warp_n : cfg.gemm.warp_tile_n);
}

IssuedTile issued_tile(const MachineConfig& cfg, const TileShape& t, uint64_t rows, uint64_t cols,
                       uint64_t depth) {
  const GemmConfig& gc = cfg.gemm;
  if (gc.full_edge_tiles) {
    return IssuedTile{t.bm, t.bn,
                      static_cast<double>(t.bm) * static_cast<double>(t.bn) *
                          static_cast<double>(round_up_to(depth, t.bk))};
  }
  return IssuedTile{rows, cols,
                    static_cast<double>(round_up_to(rows, gc.mma_m)) *
                        static_cast<double>(round_up_to(cols, gc.mma_n)) *
                        static_cast<double>(round_up_to(depth, gc.mma_k))};
}

std::optional<GemmTiling> fastest_tiling(const GemmShape& g, const GemmMachine& m) {
  const MachineConfig& cfg = m.config;
  const auto& cc = cfg.compute;
  const double rate = rate_for(cc.tensor_macs_per_cycle, g.dtype) * cc.tensor_efficiency;
  const double units = cc.units;
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
    const double rep_a = static_cast<double>(t.bn) / static_cast<double>(warp_cols(t, cfg));
    const double rep_b = static_cast<double>(t.bm) / static_cast<double>(warp_rows(t, cfg));
    for (uint64_t split = 1; split <= gc.max_split_k; split *= 2) {
      if (split > 1 && g.k < split * 2 * t.bk) {
        break;
      }
      uint64_t kper = round_up_to(ceil_div(g.k, split), t.bk);
      if (split > 1 && (split - 1) * kper >= g.k) {
        break;
      }
      uint64_t grid = g.batch * tm * tn * split;
      double waves = std::ceil(static_cast<double>(grid) / units);
      uint64_t r = std::min(t.bm, g.m), c = std::min(t.bn, g.n);
      const IssuedTile issued = issued_tile(cfg, t, r, c, kper);
      double a_bytes = static_cast<double>(r * g.a_bytes * kper);
      double b_bytes = static_cast<double>(c * g.b_bytes * kper);
      double smem_bytes = static_cast<double>(issued.rows * g.a_bytes * kper) * (1 + rep_a) +
                          static_cast<double>(issued.cols * g.b_bytes * kper) * (1 + rep_b);
      double t_cta =
          std::max({issued.macs / rate, (a_bytes + b_bytes) / cfg.noc.port_bytes_per_cycle,
                    smem_bytes / cfg.smem.bandwidth_bytes_per_cycle});
      double unique = static_cast<double>(g.batch) *
                      static_cast<double>(g.m * g.k * g.a_bytes + g.n * g.k * g.b_bytes +
                                          g.m * g.n * g.c_bytes);
      // Split-K: the GEMM writes fp32 partials, and a second kernel reads them back after it.
      double partials = split > 1 ? static_cast<double>(g.batch * g.m * g.n * 4 * split) : 0;
      double crossbar =
          static_cast<double>(grid) * (a_bytes + b_bytes) / cfg.noc.bisection_bytes_per_cycle;
      double est = std::max({waves * t_cta, (unique + partials) / m.hbm_bytes_per_cycle, crossbar});
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

}  // namespace cimsim::vn
