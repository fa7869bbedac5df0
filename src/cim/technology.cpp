// Technology scaling (technology.hpp) with the fits of Stillmaker and Baas, Integration 58
// (2017): Table values transcribed below; the authors' erratum for Sec. 4.2.1 works the energy
// example with them (EnergyFactor of 32 nm HP at 0.9 V = 0.4571, of 65 nm at 1.3 V = 2.604).
#include "cimsim/cim/technology.hpp"

#include <array>
#include <cmath>
#include <stdexcept>

namespace cimsim::cim {

namespace {

// Nodes of the area table, in its order.
constexpr std::array<double, 11> kNodes = {180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7};
// Area of a design at the column node relative to the row node (paper's area table).
constexpr double kArea[11][11] = {
    {1, 0.34, 0.15, 0.08, 0.053, 0.025, 0.011, 0.01, 0.0093, 0.0055, 0.0032},
    {2.9, 1, 0.44, 0.23, 0.16, 0.072, 0.033, 0.03, 0.027, 0.016, 0.0092},
    {6.6, 2.3, 1, 0.53, 0.35, 0.16, 0.075, 0.067, 0.061, 0.036, 0.021},
    {12, 4.3, 1.9, 1, 0.66, 0.31, 0.14, 0.13, 0.12, 0.068, 0.039},
    {19, 6.4, 2.8, 1.5, 1, 0.46, 0.21, 0.19, 0.17, 0.1, 0.059},
    {40, 14, 6.1, 3.3, 2.2, 1, 0.46, 0.41, 0.38, 0.22, 0.13},
    {88, 30, 13, 7.1, 4.7, 2.2, 1, 0.89, 0.82, 0.48, 0.28},
    {99, 34, 15, 7.9, 5.3, 2.4, 1.1, 1, 0.91, 0.54, 0.31},
    {110, 37, 16, 8.7, 5.8, 2.7, 1.2, 1.1, 1, 0.59, 0.34},
    {180, 63, 28, 15, 9.8, 4.5, 2.1, 1.9, 1.7, 1, 0.58},
    {320, 110, 48, 25, 17, 7.8, 3.6, 3.2, 2.9, 1.7, 1},
};

// Delay: d3 V^3 + d2 V^2 + d1 V + d0; energy: e2 V^2 + e1 V + e0 (paper's coefficient tables).
struct Fit {
  double d3, d2, d1, d0, e2, e1, e0;
};
// Index as kNodes; nodes above 45 nm have one flavour.
constexpr Fit kHp[11] = {
    {0, 97.09, -356.7, 406.5, 0, 24.64, -17.98},                // 180
    {-76.65, 334.9, -493.4, 275.8, 7.171, -6.709, 2.904},       // 130
    {-60.34, 262.5, -384.2, 210.9, 4.762, -4.781, 2.092},       // 90
    {-53.3, 230.4, -333.9, 178.6, 3.755, -4.398, 1.975},        // 65
    {-501.6, 1567, -1619, 566.1, 1.018, -0.3107, 0.1539},       // 45 HP
    {-1047, 2982, -2797, 873.5, 0.8367, -0.4341, 0.1701},       // 32 HP
    {0, 34.63, -66.37, 41.15, 0.373, -0.1582, 0.04104},         // 20 HP
    {0, 24.8, -47.52, 28.87, 0.2958, -0.1241, 0.03024},         // 16 HP
    {-40.66, 109.2, -100.6, 35.92, 0.2363, -0.09675, 0.02239},  // 14 HP
    {-34.95, 93.65, -85.99, 30.4, 0.2068, -0.09311, 0.02375},   // 10 HP
    {-28.58, 76.6, -70.26, 24.69, 0.1776, -0.09097, 0.02447},   // 7 HP
};
constexpr Fit kLp[11] = {
    kHp[0],
    kHp[1],
    kHp[2],
    kHp[3],
    {-285.7, 1239, -1795, 898.8, 1.103, -0.362, 0.2767},         // 45 LP
    {-325.9, 1374, -1922, 913.2, 0.9559, -0.7823, 0.471},        // 32 LP
    {-160.5, 514.1, -558.6, 217.5, 0.2632, -0.14, 0.06841},      // 20 LP
    {-114.6, 366.7, -397.4, 153.6, 0.2139, -0.1187, 0.05639},    // 16 LP
    {-85.37, 271.6, -292.2, 111.4, 0.1556, -0.06472, 0.03066},   // 14 LP
    {-71.76, 228.6, -246.3, 93.91, 0.1261, -0.0518, 0.02769},    // 10 LP
    {-61.79, 196.1, -210.3, 79.55, 0.09365, -0.03409, 0.02043},  // 7 LP
};

size_t node_index(double nm) {
  for (size_t i = 0; i < kNodes.size(); ++i) {
    if (kNodes[i] == nm) return i;
  }
  throw std::invalid_argument("technology: no Stillmaker and Baas fit for " +
                              config::format_number(nm) + " nm");
}

const Fit& fit(double nm, bool hp) {
  size_t i = node_index(nm);
  return hp ? kHp[i] : kLp[i];
}

}  // namespace

bool stillmaker_node(double nm) {
  for (double n : kNodes) {
    if (n == nm) return true;
  }
  return false;
}

double stillmaker_energy(double nm, double v, bool hp) {
  const Fit& f = fit(nm, hp);
  return f.e2 * v * v + f.e1 * v + f.e0;
}

double stillmaker_delay(double nm, double v, bool hp) {
  const Fit& f = fit(nm, hp);
  return ((f.d3 * v + f.d2) * v + f.d1) * v + f.d0;
}

NodeFactors stillmaker_factors(double from_nm, double from_vdd, double to_nm, double to_vdd,
                               bool hp) {
  NodeFactors k;
  k.area = kArea[node_index(from_nm)][node_index(to_nm)];
  k.energy = stillmaker_energy(to_nm, to_vdd, hp) / stillmaker_energy(from_nm, from_vdd, hp);
  k.delay = stillmaker_delay(to_nm, to_vdd, hp) / stillmaker_delay(from_nm, from_vdd, hp);
  return k;
}

namespace {

NodeFactors factors_of(const CimConfig& c) {
  const NodeTarget& t = *c.technology.scale_to;
  return stillmaker_factors(c.technology.process_nm, c.technology.vdd, t.process_nm, t.vdd,
                            t.flavor == "hp");
}

template <class T>
void scale_unit(T& u, const NodeFactors& k) {
  u.power_mw *= k.power();
  u.static_mw *= k.power();
  u.area_mm2 *= k.area;
}

void scale_storage(StorageConfig& s, const NodeFactors& k) {
  scale_unit(s, k);
  if (s.energy_pj_per_access) *s.energy_pj_per_access *= k.energy;
  if (s.refresh_energy_pj_per_row) *s.refresh_energy_pj_per_row *= k.energy;
}

void scale_others(std::vector<OtherComponent>& others, const NodeFactors& k) {
  for (auto& o : others) scale_unit(o, k);
}

}  // namespace

CimConfig scale_to_node(const CimConfig& in) {
  if (!in.technology.scale_to) {
    return in;
  }
  const NodeFactors k = factors_of(in);
  CimConfig c = in;
  c.clock_ghz /= k.delay;
  // The crossbar: a ReRAM array keeps its device timing and energy, its area follows the cell
  // pitch; a digital SRAM CIM macro (readout digital) is CMOS throughout.
  auto& x = c.crossbar;
  x.area_mm2 *= k.area;
  if (x.readout == Readout::digital) {
    x.power_mw *= k.power();
    x.static_mw *= k.power();
    x.read_latency_ns *= k.delay;
    x.extra_latency_ns *= k.delay;
    if (x.read_energy_pj_per_row) *x.read_energy_pj_per_row *= k.energy;
    x.program.pulse_ns *= k.delay;
    x.program.verify_ns *= k.delay;
    x.program.energy_pj_per_cell *= k.energy;
  }
  scale_unit(c.dac, k);
  if (c.dac.energy_pj) *c.dac.energy_pj *= k.energy;
  scale_unit(c.sample_hold, k);
  if (c.sample_hold.energy_pj) *c.sample_hold.energy_pj *= k.energy;
  scale_unit(c.adc, k);
  if (c.adc.energy_pj) *c.adc.energy_pj *= k.energy;
  c.adc.sample_rate_gsps /= k.delay;
  c.adc.node_scale = NodeScale{k.area, k.energy, k.delay};
  scale_unit(c.shift_add, k);
  if (c.shift_add.energy_pj) *c.shift_add.energy_pj *= k.energy;
  scale_storage(c.pe.input_register, k);
  scale_storage(c.pe.output_register, k);
  scale_others(c.pe.other, k);
  auto& t = c.tile;
  scale_storage(t.buffer, k);
  scale_unit(t.bus, k);
  if (t.bus.energy_pj_per_transfer) *t.bus.energy_pj_per_transfer *= k.energy;
  auto& v = t.vector_unit;
  for (double* e : {&v.add_pj, &v.mul_pj, &v.mac_pj, &v.exp_pj, &v.div_pj}) *e *= k.energy;
  v.power_mw_per_lane *= k.power();
  v.static_mw_per_lane *= k.power();
  v.area_mm2_per_lane *= k.area;
  scale_unit(t.activation_units, k);
  if (t.activation_units.energy_pj) *t.activation_units.energy_pj *= k.energy;
  scale_unit(t.shift_add, k);
  if (t.shift_add.energy_pj) *t.shift_add.energy_pj *= k.energy;
  scale_storage(t.output_register, k);
  scale_others(t.other, k);
  scale_unit(c.router, k);
  if (c.router.energy_pj_per_flit_hop) *c.router.energy_pj_per_flit_hop *= k.energy;
  auto& g = c.chip.global_buffer;
  scale_unit(g, k);
  g.energy_pj_per_byte *= k.energy;
  g.latency_ns *= k.delay;
  g.bandwidth_gbytes_s /= k.delay;
  scale_others(c.chip.other, k);
  auto& s = c.sram_cim;
  scale_unit(s, k);
  s.cycle_ns *= k.delay;
  s.write_ns_per_row *= k.delay;
  s.energy_pj_per_row_step *= k.energy;
  s.write_energy_pj_per_bit *= k.energy;
  return c;
}

double process_nm(const CimConfig& c) {
  return c.technology.scale_to ? c.technology.scale_to->process_nm : c.technology.process_nm;
}

Json technology_json(const CimConfig& c) {
  Json j{{"process_nm", process_nm(c)}};
  if (!c.technology.scale_to) {
    j["scaled"] = false;
    return j;
  }
  const NodeTarget& t = *c.technology.scale_to;
  const NodeFactors k = factors_of(c);
  j["scaled"] = true;
  j["from"] = Json{{"process_nm", c.technology.process_nm}, {"vdd", c.technology.vdd}};
  j["to"] = Json{{"process_nm", t.process_nm}, {"vdd", t.vdd}, {"flavor", t.flavor}};
  j["factors"] =
      Json{{"area", k.area}, {"energy", k.energy}, {"delay", k.delay}, {"power", k.power()}};
  j["model"] =
      "Stillmaker and Baas, Integration 58 (2017): fitted delay and energy in Vdd per node, "
      "area factors between nodes; power = energy / delay";
  j["not_scaled"] =
      "ReRAM read and program timing and energy (device), eDRAM retention, chip-to-chip and "
      "HBM links (I/O), the HBM stacks";
  return j;
}

}  // namespace cimsim::cim
