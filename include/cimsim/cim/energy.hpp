// The CIM fabric's energy table and area/power budget (Accelergy style: the run only counts
// actions; energy = counts x energy per action afterwards).
//
// Per-action energies come from the config: given directly (energy_pj...) or derived from a
// unit's dynamic power (power_mw, the tabulated power at full activity, minus static_mw, its
// leakage, which is charged by time instead) and its peak action rate, which is how CiMLoop
// and PUMA's simulator turn ISAAC's power table into energies. The derivation per component
// (power meaning dynamic power):
//   crossbar row read   power x read latency / rows           (every row of every read)
//   DAC conversion      power x full-activity step             (one conversion per step)
//   sample-and-hold     power x full-activity step
//   ADC conversion      power / sample rate
//   PE shift-and-add    power / (conversions per second per shift-add unit at full activity)
//   input register      power x step / (rows x crossbars x dac bits / width) per access
//   output register     power x step / (columns x crossbars x 16 bits / width) per access
//   buffers             power / clock, per access of width_bits
//   bus                 power / clock, per width_bits beat
//   activation unit     power / clock, tile shift-add likewise
//   router              power / (ports x clock), per flit per hop
//   chip-to-chip link   power / bandwidth, per byte
//   eDRAM refresh       one buffer access per row of width_bits, every retention_us
// where the full-activity step is max(read latency, time to convert a full crossbar).
//
// The budget lists every component with its count, peak power and area as the source papers
// tabulate them, so the preset can be checked against the paper's tile and chip totals.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimsim/cim/config.hpp"
#include "cimsim/cim/mvm.hpp"
#include "cimsim/common/json.hpp"
#include "cimsim/stats/registry.hpp"

namespace cimsim::cim {

// Action and link ids of a declared fabric.
struct Actions {
  stats::ActionId xbar_read_row = 0, xbar_program_cell = 0, xbar_verify_row = 0;
  stats::ActionId dac = 0, sample_hold = 0, adc = 0, pe_shift_add = 0, adder_tree = 0;
  stats::ActionId in_reg = 0, out_reg = 0;
  stats::ActionId buf_read = 0, buf_write = 0, buf_refresh = 0, bus = 0;
  stats::ActionId vu_add = 0, vu_mul = 0, vu_mac = 0, vu_exp = 0, vu_div = 0;
  stats::ActionId act_unit = 0, tile_shift_add = 0, tile_out_reg = 0;
  stats::ActionId flit_hop = 0, chip_link_byte = 0, gb_byte = 0;
  stats::ActionId sram_row_step = 0, sram_write_bit = 0;
  stats::ActionId offchip_link_byte = 0;
  stats::LinkId buffer = 0, global_buffer = 0, noc = 0, chip_link = 0, sram_cim = 0;
};

// Adds the actions of MVMs (DACs, row reads, samples, conversions, shift-adds, adder tree).
void add_mvm_actions(const Actions& ids, std::vector<uint64_t>& actions, const MvmCounts& m);

// Per-action energies (pJ) after derivation, with the text saying where each came from.
struct EnergyTable {
  struct Entry {
    std::string component, action;
    double pj = 0;
    std::string source;
  };
  std::vector<Entry> entries;
  double get(const std::string& component, const std::string& action) const;
};
EnergyTable energy_table(const CimConfig& config);

// Declares every component (static power and area for `chips` chips and their HBM stacks'
// links), action and link.
Actions declare_fabric(const CimConfig& config, uint32_t chips, stats::Registry& registry);

// One line of the area/power budget: a component, how many its parent has, per-unit values.
struct BudgetItem {
  std::string name;
  std::string level;                                 // "pe", "tile", "router", "chip"
  double count = 0;                                  // per parent (routers: per chip)
  double power_mw = 0, static_mw = 0, area_mm2 = 0;  // per unit
  bool extension = false;
};
std::vector<BudgetItem> budget(const CimConfig& config);

struct BudgetTotals {
  double pe_power_mw = 0, pe_static_mw = 0, pe_area_mm2 = 0;
  double tile_power_mw = 0, tile_area_mm2 = 0;  // PEs + tile parts + its share of a router
  double chip_power_w = 0, chip_static_w = 0, chip_area_mm2 = 0;
};
// Peak power and area per PE, tile and chip; extensions (parts the source design lacks and
// cimsim adds to run Transformers) included or not.
BudgetTotals budget_totals(const CimConfig& config, bool include_extensions);
Json budget_json(const CimConfig& config);

// The full-activity step of a PE: every row of every crossbar read and every column converted.
double full_activity_step_ns(const CimConfig& config);

}  // namespace cimsim::cim
