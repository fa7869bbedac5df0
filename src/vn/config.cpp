#include "cimsim/vn/config.hpp"

namespace cimsim::vn {

double rate_for(const std::map<std::string, double>& table, trace::DType t) {
  auto it = table.find(config::enum_name(t));
  return it == table.end() ? 0.0 : it->second;
}

namespace {
void check_dtype_keys(const std::map<std::string, double>& table, const std::string& key,
                      const config::Check& c) {
  for (const auto& [name, v] : table) {
    if (!config::enum_from_name<trace::DType>(name)) {
      c.fail(key + "." + name,
             "unknown data type (expected one of: " + config::enum_choices<trace::DType>() + ")");
    }
    if (!(v >= 0)) {
      c.fail(key + "." + name, "expected a number >= 0, got " + config::format_number(v));
    }
  }
}
}  // namespace

Json machine_schema() {
  return config::file_schema<MachineConfig>("cimsim/machine-von_neumann.schema.json",
                                            "von Neumann machine (GPU/CPU + HBM)");
}

MachineConfig parse_machine(const config::ConfigDoc& doc) {
  return config::parse<MachineConfig>(doc);
}

}  // namespace cimsim::vn

namespace cimsim::config {
using namespace cimsim::vn;

void Describe<ComputeConfig>::fields(Fields<ComputeConfig>& f) {
  f.required("units", &ComputeConfig::units, "number of SMs (GPU) or cores (CPU)", at_least(1));
  f.optional("unit_name", &ComputeConfig::unit_name, "component name of one unit: sm, core");
  f.required("tensor_macs_per_cycle", &ComputeConfig::tensor_macs_per_cycle,
             "matrix-unit MACs per unit per cycle by data type (dense, no sparsity)");
  f.optional("vector_macs_per_cycle", &ComputeConfig::vector_macs_per_cycle,
             "SIMD / CUDA-core MACs per unit per cycle by data type");
  f.optional("tensor_efficiency", &ComputeConfig::tensor_efficiency,
             "share of the matrix units' peak MAC rate a kernel's main loop sustains (sustained "
             "clock under the power limit, MMA issue); 1: the data-sheet peak",
             in_range(0.05, 1));
  f.required("vector_flops_per_cycle", &ComputeConfig::vector_flops_per_cycle,
             "fp32 elementwise FLOPs per unit per cycle", positive());
  f.required("sfu_ops_per_cycle", &ComputeConfig::sfu_ops_per_cycle,
             "special-function (exp, tanh, rsqrt) ops per unit per cycle", positive());
  f.optional("max_ctas_per_unit", &ComputeConfig::max_ctas_per_unit,
             "co-resident thread blocks per unit (deepens the load pipeline)", at_least(1));
  f.optional("cta_launch_cycles", &ComputeConfig::cta_launch_cycles,
             "cycles to dispatch one thread block to a unit");
  f.optional("gemv_max_rows", &ComputeConfig::gemv_max_rows,
             "matmuls with M at or below this run as SIMD GEMV kernels");
  f.check([](const ComputeConfig& c, const Check& k) {
    check_dtype_keys(c.tensor_macs_per_cycle, "tensor_macs_per_cycle", k);
    check_dtype_keys(c.vector_macs_per_cycle, "vector_macs_per_cycle", k);
  });
}

void Describe<SramConfig>::fields(Fields<SramConfig>& f) {
  f.required("capacity_bytes", &SramConfig::capacity_bytes,
             "shared memory one thread block may use, in bytes", at_least(1024));
  f.required("bandwidth_bytes_per_cycle", &SramConfig::bandwidth_bytes_per_cycle,
             "bytes per cycle per unit", positive());
}

void Describe<L2Config>::fields(Fields<L2Config>& f) {
  f.required("capacity_bytes", &L2Config::capacity_bytes, "L2 capacity in bytes", at_least(65536));
  f.required("banks", &L2Config::banks, "independent banks / slices", at_least(1));
  f.required("bank_bytes_per_cycle", &L2Config::bank_bytes_per_cycle, "bytes per cycle per bank",
             positive());
  f.required("hit_latency_cycles", &L2Config::hit_latency_cycles, "load-to-use latency of a hit");
  f.optional("block_bytes", &L2Config::block_bytes,
             "tag-tracking block (64 sectors); a power of two", in_range(4096, 1 << 22));
  f.optional("writebacks_in_flight", &L2Config::writebacks_in_flight,
             "write-backs of dirty evictions the L2 has in flight to memory at once (its "
             "write-back buffer); default 32, the HBM controller's write queue depth",
             in_range(1, 1024));
  f.check([](const L2Config& c, const Check& k) {
    if ((c.block_bytes & (c.block_bytes - 1)) != 0) {
      k.fail("block_bytes", "expected a power of two, got " + std::to_string(c.block_bytes));
    }
    if (c.capacity_bytes < 4 * c.block_bytes) {
      k.fail("capacity_bytes", "expected at least 4 x block_bytes (" +
                                   std::to_string(4 * c.block_bytes) + "), got " +
                                   std::to_string(c.capacity_bytes));
    }
  });
}

void Describe<NocConfig>::fields(Fields<NocConfig>& f) {
  f.required("port_bytes_per_cycle", &NocConfig::port_bytes_per_cycle,
             "bytes per cycle between one unit and the crossbar", positive());
  f.required("bisection_bytes_per_cycle", &NocConfig::bisection_bytes_per_cycle,
             "aggregate crossbar bytes per cycle", positive());
  f.required("latency_cycles", &NocConfig::latency_cycles, "unit <-> L2 slice latency");
  f.optional("memory_latency_cycles", &NocConfig::memory_latency_cycles,
             "L2 slice <-> HBM controller latency");
}

void Describe<TileShape>::fields(Fields<TileShape>& f) {
  f.required("bm", &TileShape::bm, "tile rows (M)", at_least(1));
  f.required("bn", &TileShape::bn, "tile columns (N)", at_least(1));
  f.required("bk", &TileShape::bk, "K slice per main-loop step", at_least(1));
  f.optional("stages", &TileShape::stages, "shared-memory pipeline stages", in_range(1, 16));
  f.optional("warp_m", &TileShape::warp_m,
             "rows of one warp's (warpgroup's) tile inside it; 0: gemm.warp_tile_m",
             in_range(0, 1u << 20));
  f.optional("warp_n", &TileShape::warp_n,
             "columns of one warp's (warpgroup's) tile inside it; 0: gemm.warp_tile_n",
             in_range(0, 1u << 20));
}

void Describe<GemmConfig>::fields(Fields<GemmConfig>& f) {
  f.required("tiles", &GemmConfig::tiles, "candidate thread-block tiles; the mapper picks one");
  f.optional("swizzle", &GemmConfig::swizzle, "raster swizzle width in tiles", at_least(1));
  f.optional("max_split_k", &GemmConfig::max_split_k, "largest split-K factor", at_least(1));
  f.optional("mma_m", &GemmConfig::mma_m, "MMA instruction M", at_least(1));
  f.optional("mma_n", &GemmConfig::mma_n, "MMA instruction N", at_least(1));
  f.optional("mma_k", &GemmConfig::mma_k, "MMA instruction K", at_least(1));
  f.optional("full_edge_tiles", &GemmConfig::full_edge_tiles,
             "a thread block at the matrix edge issues its whole tile's MMAs and BK-deep steps "
             "(true: GPU libraries, tile quantisation) or only its rows and columns rounded up to "
             "the MMA shape (false: CPU tail kernels)");
  f.optional("warp_tile_m", &GemmConfig::warp_tile_m,
             "rows of the tile one warp (or warpgroup) computes; A is read once per such tile",
             at_least(1));
  f.optional("warp_tile_n", &GemmConfig::warp_tile_n,
             "columns of the tile one warp (or warpgroup) computes; B is read once per such tile",
             at_least(1));
  f.optional("heuristic", &GemmConfig::heuristic,
             "how the tile and split-K factor of a tensor-core GEMM are chosen");
  f.check([](const GemmConfig& g, const Check& k) {
    if (g.tiles.empty()) {
      k.fail("tiles", "expected at least one tile, got an empty array");
    }
  });
}

void Describe<EnergyConfig>::fields(Fields<EnergyConfig>& f) {
  f.required("tensor_mac_pj", &EnergyConfig::tensor_mac_pj, "pJ per matrix-unit MAC by data type");
  f.optional("vector_mac_pj", &EnergyConfig::vector_mac_pj, "pJ per SIMD MAC by data type");
  f.required("vector_flop_pj", &EnergyConfig::vector_flop_pj, "pJ per fp32 vector FLOP",
             at_least(0));
  f.required("sfu_op_pj", &EnergyConfig::sfu_op_pj, "pJ per special-function op", at_least(0));
  f.required("smem_read_pj_per_byte", &EnergyConfig::smem_read_pj_per_byte, "pJ/byte", at_least(0));
  f.required("smem_write_pj_per_byte", &EnergyConfig::smem_write_pj_per_byte, "pJ/byte",
             at_least(0));
  f.required("l2_read_pj_per_byte", &EnergyConfig::l2_read_pj_per_byte, "pJ/byte", at_least(0));
  f.required("l2_write_pj_per_byte", &EnergyConfig::l2_write_pj_per_byte, "pJ/byte", at_least(0));
  f.required("noc_pj_per_byte", &EnergyConfig::noc_pj_per_byte, "pJ/byte crossing the NoC",
             at_least(0));
  f.check([](const EnergyConfig& e, const Check& k) {
    check_dtype_keys(e.tensor_mac_pj, "tensor_mac_pj", k);
    check_dtype_keys(e.vector_mac_pj, "vector_mac_pj", k);
  });
}

void Describe<StaticPowerConfig>::fields(Fields<StaticPowerConfig>& f) {
  f.required("unit_w", &StaticPowerConfig::unit_w, "W per SM/core", at_least(0));
  f.required("l2_w", &StaticPowerConfig::l2_w, "W for the L2", at_least(0));
  f.required("noc_w", &StaticPowerConfig::noc_w, "W for the interconnect", at_least(0));
  f.optional("other_w", &StaticPowerConfig::other_w, "W for everything else on the package",
             at_least(0));
}

void Describe<MachineConfig>::fields(Fields<MachineConfig>& f) {
  f.required("type", &MachineConfig::type, "machine type: von_neumann");
  f.required("name", &MachineConfig::name, "machine name in reports");
  f.optional("description", &MachineConfig::description, "one line for cimsim info");
  // Bounded like the memory clock: a clock near 0 makes simulated time overflow.
  f.required("clock_ghz", &MachineConfig::clock_ghz, "core clock in GHz", in_range(0.01, 100));
  f.optional("area_mm2", &MachineConfig::area_mm2,
             "die area in mm2 (the compute die; 0: not stated), reported under budget",
             at_least(0));
  f.optional("process_nm", &MachineConfig::process_nm,
             "process node in nm as the vendor names it (0: not stated)", at_least(0));
  f.optional("tdp_w", &MachineConfig::tdp_w,
             "board / package power limit (TDP) in W (0: not stated), reported as peak_power_w",
             at_least(0));
  f.optional("attention", &MachineConfig::attention,
             "kernels of a fused attention op (by name, or an object with the kernel's "
             "parameters)");
  f.optional("execution", &MachineConfig::execution,
             "how the host launches kernels: eager (one by one) or graph (a CUDA Graph per "
             "phase), with their launch costs");
  f.optional("fusion", &MachineConfig::fusion,
             "fusions of consecutive ops into one kernel, tried in this order (empty: every op "
             "runs as its own kernels)");
  f.required("compute", &MachineConfig::compute, "compute units");
  f.required("smem", &MachineConfig::smem, "per-unit shared memory");
  f.required("l2", &MachineConfig::l2, "L2 cache");
  f.required("noc", &MachineConfig::noc, "interconnect");
  f.required("gemm", &MachineConfig::gemm, "GEMM kernel mapping");
  f.required("energy", &MachineConfig::energy, "energy per action");
  f.required("static_power", &MachineConfig::static_power, "static power");
#ifdef CIMSIM_VN_HAVE_MEMORY
  f.required("memory", &MachineConfig::memory, "HBM memory system (preset name or object)");
#endif
  f.optional("node", &MachineConfig::node,
             "several of these devices joined by a link, running one model with tensor and "
             "pipeline parallelism (docs/parallelism.md); absent: one device");
  f.check([](const MachineConfig& m, const Check& k) {
    if (m.type != "von_neumann") {
      k.fail("type", "expected \"von_neumann\", got " + quote_for_message(m.type));
    }
    for (size_t i = 0; i < m.gemm.tiles.size(); ++i) {
      const TileShape& t = m.gemm.tiles[i];
      // Checked for 16-bit operands, the narrowest data type every preset must run.
      uint64_t need = uint64_t{t.stages} * (t.bm * t.bk + t.bk * t.bn) * 2;
      if (need > m.smem.capacity_bytes) {
        k.fail("gemm.tiles[" + std::to_string(i) + "]",
               "tile " + std::to_string(t.bm) + "x" + std::to_string(t.bn) + "x" +
                   std::to_string(t.bk) + " with " + std::to_string(t.stages) + " stages needs " +
                   std::to_string(need) +
                   " bytes of shared memory for 16-bit operands, expected at most "
                   "smem.capacity_bytes = " +
                   std::to_string(m.smem.capacity_bytes));
      }
    }
    m.attention.make()->check(m, k);
    for (size_t i = 0; i < m.fusion.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (m.fusion[j].name == m.fusion[i].name) {
          k.fail("fusion[" + std::to_string(i) + "]",
                 "expected each fusion once, got " + quote_for_message(m.fusion[i].name) +
                     " again (also fusion[" + std::to_string(j) + "])");
        }
      }
    }
  });
}

}  // namespace cimsim::config
