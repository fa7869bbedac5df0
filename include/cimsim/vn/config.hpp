// The von Neumann machine's configuration: one parameterised model of a GPU (SMs with tensor
// cores) or a server CPU (cores with SIMD and matrix units), its on-chip SRAM levels, the
// interconnect to a banked L2, and the HBM memory system (configured by the memory model).
//
// Every rate is per compute unit (SM or core) per cycle of `clock_ghz` unless it says
// otherwise; every energy is per action at the modelled node. configs/machines/*.json carry
// the sources of every constant.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cimsim/config/describe.hpp"
#include "cimsim/config/registry.hpp"
#include "cimsim/trace/op.hpp"
#include "cimsim/vn/attention_kernel.hpp"
#include "cimsim/vn/execution.hpp"
#include "cimsim/vn/fusion.hpp"
#include "cimsim/vn/gemm_heuristic.hpp"
#include "cimsim/vn/node_config.hpp"

#if __has_include("cimsim/memory/memory_system.hpp")
#include "cimsim/memory/config.hpp"
#define CIMSIM_VN_HAVE_MEMORY 1
#endif

namespace cimsim::vn {

struct ComputeConfig {
  uint32_t units = 0;            // SMs (GPU) or cores (CPU)
  std::string unit_name = "sm";  // component name prefix in reports
  // Matrix-unit (tensor core, AMX) multiply-accumulates per unit per cycle, by data type.
  std::map<std::string, double> tensor_macs_per_cycle;
  // SIMD/CUDA-core multiply-accumulates per unit per cycle, by data type (GEMV, fallback).
  std::map<std::string, double> vector_macs_per_cycle;
  // Share of the matrix units' peak rate a kernel's main loop sustains (clock under the power
  // limit, MMA issue); 1: the data-sheet peak.
  double tensor_efficiency = 1.0;
  double vector_flops_per_cycle = 0;  // fp32 elementwise FLOPs per unit per cycle
  double sfu_ops_per_cycle = 0;       // exp/tanh/rsqrt per unit per cycle
  uint32_t max_ctas_per_unit = 2;     // co-resident thread blocks (latency hiding)
  uint64_t cta_launch_cycles = 0;     // per thread block dispatch
  uint64_t gemv_max_rows = 4;         // M at or below which a matmul runs as a SIMD GEMV
};

struct SramConfig {
  uint64_t capacity_bytes = 0;           // per unit, usable by one thread block
  double bandwidth_bytes_per_cycle = 0;  // per unit
};

struct L2Config {
  uint64_t capacity_bytes = 0;
  uint32_t banks = 1;
  double bank_bytes_per_cycle = 0;  // per bank; aggregate = banks x this
  uint64_t hit_latency_cycles = 0;
  uint64_t block_bytes = 32768;        // tag-tracking granularity (64 sectors per block)
  uint32_t writebacks_in_flight = 32;  // write-backs of dirty evictions posted at once
};

struct NocConfig {
  double port_bytes_per_cycle = 0;       // per unit, SM <-> crossbar
  double bisection_bytes_per_cycle = 0;  // aggregate crossbar bandwidth
  uint64_t latency_cycles = 0;           // one way, SM <-> L2 slice
  uint64_t memory_latency_cycles = 0;    // L2 slice <-> HBM controller
};

struct GemmConfig {
  std::vector<TileShape> tiles;  // candidate thread-block tiles (CUTLASS-style)
  uint32_t swizzle = 8;          // thread-block raster swizzle width (CUTLASS log-tile)
  uint32_t max_split_k = 16;
  uint64_t mma_m = 16, mma_n = 8, mma_k = 16;  // MMA instruction shape (padding granularity)
  // An edge thread block issues its whole tile (GPU libraries; issued_tile in gemm_heuristic.hpp)
  // rather than its rows and columns rounded up to the MMA shape (CPU tail kernels).
  bool full_edge_tiles = true;
  // Tile of one warp (mma.sync) or warpgroup (wgmma): each reads its A rows and B columns
  // from shared memory, so operands are read bn / warp_tile_n and bm / warp_tile_m times.
  uint64_t warp_tile_m = 64, warp_tile_n = 64;
  config::Choice<GemmHeuristicAxis> heuristic{"fastest"};  // picks the tile and split-K
};

struct EnergyConfig {
  std::map<std::string, double> tensor_mac_pj;  // per MAC, by data type (operand delivery incl.)
  std::map<std::string, double> vector_mac_pj;  // per SIMD MAC, by data type
  double vector_flop_pj = 0;
  double sfu_op_pj = 0;
  double smem_read_pj_per_byte = 0;
  double smem_write_pj_per_byte = 0;
  double l2_read_pj_per_byte = 0;
  double l2_write_pj_per_byte = 0;
  double noc_pj_per_byte = 0;
};

struct StaticPowerConfig {
  double unit_w = 0;  // per SM/core
  double l2_w = 0;
  double noc_w = 0;
  double other_w = 0;  // I/O, PLLs, board
};

struct MachineConfig {
  std::string type = "von_neumann";
  std::string name;
  std::string description;
  double clock_ghz = 0;
  // The package's physical budget (report "budget"): die area, process node, board power
  // limit; 0: not stated.
  double area_mm2 = 0, process_nm = 0, tdp_w = 0;
  config::Choice<AttentionAxis> attention{"flash"};  // kernels of a fused attention op
  config::Choice<ExecutionAxis> execution{"eager"};  // how the host launches kernels
  std::vector<config::Choice<FusionAxis>> fusion;    // ops run as one kernel, tried in order
  ComputeConfig compute;
  SramConfig smem;
  L2Config l2;
  NocConfig noc;
  GemmConfig gemm;
  EnergyConfig energy;
  StaticPowerConfig static_power;
#ifdef CIMSIM_VN_HAVE_MEMORY
  memory::MemoryConfig memory;
#endif
  std::optional<NodeConfig> node;  // several devices (node.hpp); none: one device
};

// Rates looked up by data type (0 when the machine has no such unit).
double rate_for(const std::map<std::string, double>& table, trace::DType t);

Json machine_schema();
MachineConfig parse_machine(const config::ConfigDoc& doc);

}  // namespace cimsim::vn

namespace cimsim::config {
template <>
struct Describe<vn::ComputeConfig> {
  static constexpr const char* doc = "compute units (SMs or cores) and their execution units";
  static void fields(Fields<vn::ComputeConfig>& f);
};
template <>
struct Describe<vn::SramConfig> {
  static constexpr const char* doc = "per-unit shared memory / L1 (tile buffers)";
  static void fields(Fields<vn::SramConfig>& f);
};
template <>
struct Describe<vn::L2Config> {
  static constexpr const char* doc = "shared banked L2 cache";
  static void fields(Fields<vn::L2Config>& f);
};
template <>
struct Describe<vn::NocConfig> {
  static constexpr const char* doc = "interconnect between units, L2 slices and HBM controllers";
  static void fields(Fields<vn::NocConfig>& f);
};
template <>
struct Describe<vn::TileShape> {
  static constexpr const char* doc = "a thread-block tile BM x BN x BK with its pipeline stages";
  static void fields(Fields<vn::TileShape>& f);
};
template <>
struct Describe<vn::GemmConfig> {
  static constexpr const char* doc = "GEMM kernel mapping (CUTLASS-style tiling)";
  static void fields(Fields<vn::GemmConfig>& f);
};
template <>
struct Describe<vn::EnergyConfig> {
  static constexpr const char* doc = "dynamic energy per action at the modelled node";
  static void fields(Fields<vn::EnergyConfig>& f);
};
template <>
struct Describe<vn::StaticPowerConfig> {
  static constexpr const char* doc = "static (leakage and idle) power, charged for the whole run";
  static void fields(Fields<vn::StaticPowerConfig>& f);
};
template <>
struct Describe<vn::MachineConfig> {
  static constexpr const char* doc = "a von Neumann machine (GPU or CPU) with HBM";
  static void fields(Fields<vn::MachineConfig>& f);
};
}  // namespace cimsim::config
