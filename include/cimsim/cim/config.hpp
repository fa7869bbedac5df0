// Configuration of a compute-in-memory fabric (machine type "cim"), declared once with
// config/describe.hpp so parsing, defaults, --set overrides, the JSON Schema and the report's
// echo of the config come from one table (src/cim/config.cpp).
//
// The hierarchy is ISAAC's (Shafiee et al., ISCA 2016) generalised: a system of chips; a chip
// holds tiles, routers on a mesh, optional global buffer and chip-to-chip links; a tile holds
// processing elements (PEs, ISAAC's IMAs / PUMA's MVMUs), a buffer (eDRAM or SRAM), a bus and
// digital units; a PE holds crossbars, DACs, sample-and-holds, ADCs, shift-and-adds and its
// input/output registers. Power and area are given per unit as the source papers tabulate
// them; per-action energies are either given (energy_pj) or derived from a unit's peak power
// and its peak action rate (src/cim/energy.cpp says how, per component).
//
// Left out of the config (and of the model): device non-idealities (IR drop, noise, drift,
// stuck-at faults, ADC non-linearity) and therefore accuracy; see docs/cim.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cimsim/cim/axes.hpp"
#include "cimsim/config/describe.hpp"
#include "cimsim/config/registry.hpp"

namespace cimsim::cim {

// How a crossbar's column outputs become digital: an ADC per column group (analog ReRAM or
// SRAM CIM), or a digital adder tree (all-digital SRAM CIM, no ADC).
enum class Readout : uint8_t { adc, digital };
// Signed weights: an offset (weights stored with a bias of 2^(w-1), the bias times the sum of
// the inputs subtracted digitally; no extra columns) or differential column pairs (twice the
// columns and conversions, subtraction after the ADC).
enum class SignedWeights : uint8_t { offset, differential };

// What happens when an op needs more of a tile buffer's activation reserve than it has
// (buffer_capacity.hpp): the excess spills to the global buffer or HBM, or the run stops.
enum class ActivationOverflow : uint8_t { spill, error };

// "auto" (size the system to hold the model) or a fixed number of chips.
struct ChipCount {
  bool automatic = true;
  uint32_t count = 0;
};
// "auto" (fill spare capacity), "none", or a fixed number of copies of every weight.
struct Replication {
  enum class Mode : uint8_t { automatic, none, fixed };
  Mode mode = Mode::automatic;
  uint32_t factor = 1;
};

// Writing cells: row by row, each row with program-and-verify iterations (a pulse on the row's
// selected cells, then a verify read of the row).
struct ProgramConfig {
  double pulse_ns = 0;    // one program pulse on a row (its selected cells at once)
  double verify_ns = 0;   // one verify read of the row
  double iterations = 1;  // pulse+verify iterations per row when iterations_per_level is 0
  // Multi-level cells (incremental-step program-and-verify from the reset state): pulses per
  // level step. A cell written to level k of the 2^bits_per_cell takes 1 + this x k pulses;
  // 0: every row takes `iterations`, whatever the levels.
  double iterations_per_level = 0;
  double energy_pj_per_cell = 0;           // per cell per pulse (its share of the verify included)
  double endurance_writes = 0;             // switching pulses a cell survives; 0: unlimited (SRAM)
  uint32_t parallel_crossbars_per_pe = 1;  // crossbars of a PE programmed at the same time
};

// What programming a row costs once the levels are known (program_cost()).
struct ProgramCost {
  double row_iterations = 1;     // pulse+verify iterations until the row's slowest cell verifies
  double cell_pulses = 1;        // mean pulses per cell (energy): data spread over the levels
  double worst_cell_pulses = 1;  // pulses of a cell written to the top level (wear)
  double row_ns = 0;             // row_iterations x (pulse + verify)
};

struct CrossbarConfig {
  uint32_t rows = 128;
  uint32_t cols = 128;
  uint32_t bits_per_cell = 2;
  std::optional<uint32_t> rows_at_once;  // rows activated together; default all rows
  double read_latency_ns = 100;  // one activation: drive rows, settle, sample column outputs
  Readout readout = Readout::adc;
  double power_mw = 0;                           // per crossbar, reading at its peak rate
  double static_mw = 0;                          // per crossbar
  double area_mm2 = 0;                           // per crossbar
  std::optional<double> read_energy_pj_per_row;  // default: power x read latency / rows
  // Fixed latency of the MVM pipeline beyond the read and convert stages (output stage).
  double extra_latency_ns = 0;
  ProgramConfig program;
};

struct DacConfig {
  uint32_t bits = 1;  // input bits applied per step (bit-serial when < input bits)
  double power_mw = 0, static_mw = 0, area_mm2 = 0;  // per DAC (one per crossbar row)
  std::optional<double> energy_pj;                   // per conversion
};

struct SampleHoldConfig {
  double power_mw = 0, static_mw = 0, area_mm2 = 0;  // per unit (one per crossbar column)
  std::optional<double> energy_pj;                   // per sample
};

// Technology scaling applied to a component model's own parameters (technology.hpp sets it;
// not part of the config file).
struct NodeScale {
  double area = 1, energy = 1, delay = 1;
};

struct AdcConfig {
  config::Choice<AdcModelAxis> model{"table"};  // adc.hpp
  NodeScale node_scale;                         // for models with their own figures (sar)
  uint32_t bits = 8;
  double sample_rate_gsps = 1.28;
  // Bits an encoding saves (ISAAC's weight flipping keeps the MSB of the sum below 2^(n-1)).
  uint32_t bits_saved_by_encoding = 0;
  double power_mw = 0, static_mw = 0, area_mm2 = 0;  // per ADC
  std::optional<double> energy_pj;                   // per conversion
};

struct ShiftAddConfig {
  double power_mw = 0, static_mw = 0, area_mm2 = 0;  // per unit
  std::optional<double> energy_pj;                   // per shift-and-add
};

// A register or buffer: capacity, access width and power at one access per cycle.
struct StorageConfig {
  uint64_t capacity_bytes = 0;
  uint32_t width_bits = 256;
  // Accesses of width_bits served per cycle: min(ports, banks), a stream's accesses
  // interleaved over the banks (a tile buffer has no addresses in cimsim, so conflicts
  // beyond that are not modelled). Only the tile buffer uses them, shared by its users.
  uint32_t ports = 1;
  uint32_t banks = 1;
  double power_mw = 0, static_mw = 0, area_mm2 = 0;
  std::optional<double> energy_pj_per_access;  // default: dynamic power / clock
  // eDRAM: every row of width_bits is refreshed once per retention time (0: SRAM, none).
  double retention_us = 0;
  std::optional<double> refresh_energy_pj_per_row;  // default: one access
};

// A component counted for area and power only (no actions): control units, instruction
// memories, units a Transformer does not use.
struct OtherComponent {
  std::string name;
  uint32_t count = 1;                                // per parent
  double power_mw = 0, static_mw = 0, area_mm2 = 0;  // per unit
  bool extension = false;  // not in the source design (see CimConfig docs)
};

struct PeConfig {
  uint32_t crossbars = 8;
  uint32_t adcs = 8;
  uint32_t shift_adds = 4;
  StorageConfig input_register;
  StorageConfig output_register;
  std::vector<OtherComponent> other;
};

// The digital vector unit that runs softmax, norms, activations, elementwise ops and, with
// dynamic_matmul "digital", attention's matmuls. Energies per operation.
struct VectorUnitConfig {
  uint32_t lanes = 16;
  uint32_t transcendental_cycles = 3;  // exp, division, reciprocal square root
  double add_pj = 0, mul_pj = 0, mac_pj = 0, exp_pj = 0, div_pj = 0;
  double power_mw_per_lane = 0, static_mw_per_lane = 0, area_mm2_per_lane = 0;
  bool extension = false;
};

// Units that evaluate sigmoid-like activations (ISAAC's sigmoid units): one op per cycle.
struct ActivationUnitConfig {
  uint32_t count = 0;
  double power_mw = 0, static_mw = 0, area_mm2 = 0;  // per unit
  std::optional<double> energy_pj;
};

struct BusConfig {
  uint32_t width_bits = 384;
  double power_mw = 0, static_mw = 0, area_mm2 = 0;
  std::optional<double> energy_pj_per_transfer;  // per width_bits beat; default power / clock
};

struct TileConfig {
  uint32_t pes = 12;
  StorageConfig buffer;
  uint32_t buffer_latency_cycles = 2;
  BusConfig bus;
  VectorUnitConfig vector_unit;
  ActivationUnitConfig activation_units;
  ShiftAddConfig shift_add;  // partial sums across PEs (crossbar row blocks)
  uint32_t shift_adds = 1;
  StorageConfig output_register;
  std::vector<OtherComponent> other;
};

struct RouterConfig {
  uint32_t tiles_per_router = 4;
  uint32_t ports = 8;
  uint32_t flit_bits = 32;
  uint32_t latency_cycles = 3;                       // per hop, head flit
  uint32_t buffer_flits = 8;                         // per input port (wormhole, credits)
  double power_mw = 0, static_mw = 0, area_mm2 = 0;  // per router
  std::optional<double> energy_pj_per_flit_hop;      // default: power / (ports x clock)
};

struct ChipLinkConfig {
  uint32_t count = 4;               // links per chip (a 2-D mesh of chips uses up to 4)
  double bandwidth_gbytes_s = 6.4;  // per link and direction
  double latency_ns = 20;
  double power_mw = 0, static_mw = 0, area_mm2 = 0;  // per link
  std::optional<double> energy_pj_per_bit;           // default: power / bandwidth
};

struct GlobalBufferConfig {
  uint64_t capacity_bytes = 0;  // 0: no global buffer
  double bandwidth_gbytes_s = 0;
  double latency_ns = 0;
  double energy_pj_per_byte = 0;
  double power_mw = 0, static_mw = 0, area_mm2 = 0;
};

struct ChipConfig {
  uint32_t tiles = 168;
  ChipLinkConfig links;
  GlobalBufferConfig global_buffer;
  std::vector<OtherComponent> other;
};

// SRAM compute-in-memory arrays per tile that K and V are written into when dynamic_matmul is
// "sram_cim" (bit-serial inputs, digital adder-tree readout).
struct SramCimConfig {
  uint32_t arrays_per_tile = 0;
  uint32_t rows = 256;
  uint32_t cols = 256;
  double cycle_ns = 2;                // one bit-serial step (all rows, all columns)
  double energy_pj_per_row_step = 0;  // one step of one row across all columns (compute)
  double write_ns_per_row = 2;
  double write_energy_pj_per_bit = 0;
  double power_mw = 0, static_mw = 0, area_mm2 = 0;  // per array
  bool extension = false;
};

// The node the figures are at, and optionally one to scale them to (technology.hpp).
struct NodeTarget {
  double process_nm = 7;
  double vdd = 0.7;
  std::string flavor = "hp";  // "hp" or "lp" (below 65 nm)
};
struct TechnologyConfig {
  double process_nm = 0;  // 0: not stated
  double vdd = 0;
  std::string flavor = "hp";
  std::optional<NodeTarget> scale_to;
};

// Off-chip memory attachment: the HBM stacks of the system (machine.memory describes one
// stack) and the link from each stack to the chips it serves.
struct OffchipLinkConfig {
  double bandwidth_gbytes_s = 256;  // per stack link
  double latency_ns = 0;
  double energy_pj_per_bit = 0;
  double static_mw = 0;  // per link
  double area_mm2 = 0;   // per link (on the chip side)
};
struct OffchipConfig {
  // Chips sharing one stack (each group's weights, KV and tables live in its own stack);
  // 0: one stack for the whole system.
  uint32_t chips_per_stack = 1;
  OffchipLinkConfig link;
};

struct CimConfig {
  std::string name;
  std::string description;
  double clock_ghz = 1.0;  // digital clock of tiles, buses, routers; the report's cycles
  ChipCount chips;
  uint32_t max_chips = 4096;
  // Size the system to a budget (with chips "auto"): the most chips whose area (peak power)
  // fits; weights that do not fit are reprogrammed, spare PEs hold copies (sizing.hpp).
  std::optional<double> iso_area_mm2;
  std::optional<double> iso_power_w;
  SignedWeights signed_weights = SignedWeights::offset;
  Replication replication;
  config::Choice<DynamicMatmulAxis> dynamic_matmul{"digital"};  // dynamic_policy.hpp
  config::Choice<MapperAxis> mapper{"spatial"};                 // mapper.hpp
  std::optional<uint32_t> weight_bits;      // fixed-point width; default the trace's dtype
  std::optional<uint32_t> activation_bits;  // fixed-point width; default the trace's dtype
  uint32_t partial_sum_bytes = 4;
  double activation_reserve_fraction = 0.5;  // of each tile buffer kept for activations
  ActivationOverflow activation_overflow = ActivationOverflow::spill;
  CrossbarConfig crossbar;
  DacConfig dac;
  SampleHoldConfig sample_hold;
  AdcConfig adc;
  ShiftAddConfig shift_add;
  PeConfig pe;
  TileConfig tile;
  RouterConfig router;
  ChipConfig chip;
  SramCimConfig sram_cim;
  OffchipConfig offchip;
  TechnologyConfig technology;

  // Derived geometry.
  uint32_t rows_at_once() const { return crossbar.rows_at_once.value_or(crossbar.rows); }
  uint64_t crossbars_per_tile() const { return uint64_t{pe.crossbars} * tile.pes; }
  uint64_t crossbars_per_chip() const { return crossbars_per_tile() * chip.tiles; }
  uint32_t routers_per_chip() const;
  uint32_t stacks_for(uint32_t chips) const;  // HBM stacks of a system of `chips` chips
  uint32_t stack_of(uint32_t chip) const;
};

// Program-and-verify of the crossbar cells: a row holds cells of every level (128 columns of
// weights or K/V values), so its time is set by the top level, 1 + per_level x (L - 1)
// iterations, while the mean cell needs 1 + per_level x (L - 1) / 2 pulses (levels equally
// likely) and the most-stressed cell the top level's pulses.
ProgramCost program_cost(const CimConfig& c);

// ADC bits needed to read `rows` rows of `cell_bits` cells with `dac_bits` inputs at once.
uint32_t adc_bits_needed(uint64_t rows, uint32_t cell_bits, uint32_t dac_bits);
// The most rows an ADC of `adc_bits` (plus encoding savings) can read at once.
uint64_t max_rows_for_adc(uint32_t adc_bits, uint32_t cell_bits, uint32_t dac_bits);

}  // namespace cimsim::cim

namespace cimsim::config {

template <>
struct EnumNames<cim::Readout> {
  static const std::vector<std::pair<cim::Readout, const char*>>& names();
};
template <>
struct EnumNames<cim::ActivationOverflow> {
  static const std::vector<std::pair<cim::ActivationOverflow, const char*>>& names();
};
template <>
struct EnumNames<cim::SignedWeights> {
  static const std::vector<std::pair<cim::SignedWeights, const char*>>& names();
};

template <>
struct ValueTraits<cim::ChipCount> {
  static cim::ChipCount parse(const Json& j, const std::string& path, const Context& c,
                              const Limits& l);
  static Json schema(const Limits& l);
  static Json to_json(const cim::ChipCount& v);
  static void resolve(Json&, const std::string&, ConfigDoc&) {}
};
template <>
struct ValueTraits<cim::Replication> {
  static cim::Replication parse(const Json& j, const std::string& path, const Context& c,
                                const Limits& l);
  static Json schema(const Limits& l);
  static Json to_json(const cim::Replication& v);
  static void resolve(Json&, const std::string&, ConfigDoc&) {}
};

#define CIMSIM_CIM_DESCRIBE(T, DOC)         \
  template <>                               \
  struct Describe<cim::T> {                 \
    static constexpr const char* doc = DOC; \
    static void fields(Fields<cim::T>& f);  \
  };
CIMSIM_CIM_DESCRIBE(ProgramConfig, "writing cells: row by row with write-verify")
CIMSIM_CIM_DESCRIBE(CrossbarConfig, "a crossbar array (ReRAM or SRAM CIM)")
CIMSIM_CIM_DESCRIBE(DacConfig, "the input DACs (one per crossbar row)")
CIMSIM_CIM_DESCRIBE(SampleHoldConfig, "sample-and-hold (one per crossbar column)")
CIMSIM_CIM_DESCRIBE(AdcConfig, "the ADCs of a PE")
CIMSIM_CIM_DESCRIBE(ShiftAddConfig, "shift-and-add units")
CIMSIM_CIM_DESCRIBE(StorageConfig, "a register file or buffer")
CIMSIM_CIM_DESCRIBE(OtherComponent, "a component counted for area and power only")
CIMSIM_CIM_DESCRIBE(PeConfig, "a processing element (ISAAC IMA / PUMA MVMU)")
CIMSIM_CIM_DESCRIBE(VectorUnitConfig, "the digital vector unit of a tile")
CIMSIM_CIM_DESCRIBE(ActivationUnitConfig, "sigmoid-style activation units of a tile")
CIMSIM_CIM_DESCRIBE(BusConfig, "the bus between a tile's buffer and its PEs")
CIMSIM_CIM_DESCRIBE(TileConfig, "a tile")
CIMSIM_CIM_DESCRIBE(RouterConfig, "the on-chip mesh routers")
CIMSIM_CIM_DESCRIBE(ChipLinkConfig, "chip-to-chip links")
CIMSIM_CIM_DESCRIBE(GlobalBufferConfig, "a chip's global buffer")
CIMSIM_CIM_DESCRIBE(ChipConfig, "a chip")
CIMSIM_CIM_DESCRIBE(SramCimConfig, "SRAM CIM arrays for dynamic matmuls")
CIMSIM_CIM_DESCRIBE(OffchipLinkConfig, "the link between an HBM stack and its chips")
CIMSIM_CIM_DESCRIBE(OffchipConfig, "HBM stacks and how the chips reach them")
CIMSIM_CIM_DESCRIBE(NodeTarget, "a technology node to scale the figures to")
CIMSIM_CIM_DESCRIBE(TechnologyConfig, "the technology node of the figures")
#undef CIMSIM_CIM_DESCRIBE

// The fabric without its off-chip memory (tests use it with a stand-in memory).
template <>
struct Describe<cim::CimConfig> {
  static constexpr const char* doc = "a compute-in-memory fabric";
  static void fields(Fields<cim::CimConfig>& f);
};

}  // namespace cimsim::config

namespace cimsim::cim {
// Cross-field checks (ADC resolution, ADC sharing, ...) shared by every config that embeds it.
void check_cim_config(const CimConfig& c, const config::Check& check);
}  // namespace cimsim::cim
