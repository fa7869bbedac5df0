#include "cimsim/cim/config.hpp"

#include <cmath>

#include "cimsim/cim/config_fields.hpp"
#include "cimsim/cim/dynamic_policy.hpp"
#include "cimsim/cim/technology.hpp"
#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::cim {

uint32_t CimConfig::routers_per_chip() const {
  return static_cast<uint32_t>(ceil_div(chip.tiles, router.tiles_per_router));
}

uint32_t CimConfig::stacks_for(uint32_t chips) const {
  return offchip.chips_per_stack == 0 ? 1
                                      : static_cast<uint32_t>(std::max<uint64_t>(
                                            1, ceil_div(chips, offchip.chips_per_stack)));
}

uint32_t CimConfig::stack_of(uint32_t chip) const {
  return offchip.chips_per_stack == 0 ? 0 : chip / offchip.chips_per_stack;
}

ProgramCost program_cost(const CimConfig& c) {
  const auto& p = c.crossbar.program;
  ProgramCost k;
  if (p.iterations_per_level > 0) {
    double top = std::ldexp(1.0, static_cast<int>(c.crossbar.bits_per_cell)) - 1;
    k.row_iterations = 1 + p.iterations_per_level * top;
    k.cell_pulses = 1 + p.iterations_per_level * top / 2;
    k.worst_cell_pulses = k.row_iterations;
  } else {
    k.row_iterations = k.cell_pulses = k.worst_cell_pulses = p.iterations;
  }
  k.row_ns = k.row_iterations * (p.pulse_ns + p.verify_ns);
  return k;
}

uint32_t adc_bits_needed(uint64_t rows, uint32_t cell_bits, uint32_t dac_bits) {
  // The largest column sum is rows x (2^cell_bits - 1) x (2^dac_bits - 1); an ADC of n bits
  // resolves 2^n levels (0 .. 2^n - 1).
  double max_sum = static_cast<double>(rows) * (std::ldexp(1.0, static_cast<int>(cell_bits)) - 1) *
                   (std::ldexp(1.0, static_cast<int>(dac_bits)) - 1);
  uint32_t bits = 0;
  while (std::ldexp(1.0, static_cast<int>(bits)) < max_sum + 1) {
    ++bits;
  }
  return bits;
}

uint64_t max_rows_for_adc(uint32_t adc_bits, uint32_t cell_bits, uint32_t dac_bits) {
  double levels = std::ldexp(1.0, static_cast<int>(adc_bits)) - 1;
  double per_row = (std::ldexp(1.0, static_cast<int>(cell_bits)) - 1) *
                   (std::ldexp(1.0, static_cast<int>(dac_bits)) - 1);
  return static_cast<uint64_t>(std::floor(levels / per_row));
}

void check_cim_config(const CimConfig& c, const config::Check& check) {
  using config::format_number;
  const auto& x = c.crossbar;
  if (!c.chips.automatic && c.chips.count > c.max_chips) {
    // Every tile of every chip is a SystemC module: a mistyped count would exhaust memory.
    check.fail("chips", "expected at most max_chips (" + std::to_string(c.max_chips) + "), got " +
                            std::to_string(c.chips.count) +
                            " (raise max_chips for a larger system)");
  }
  if (c.iso_area_mm2 && c.iso_power_w) {
    check.fail("iso_power_w", "expected either iso_area_mm2 or iso_power_w, not both");
  }
  for (const char* key : {"iso_area_mm2", "iso_power_w"}) {
    bool set = key[4] == 'a' ? c.iso_area_mm2.has_value() : c.iso_power_w.has_value();
    if (set && !c.chips.automatic) {
      check.fail(key,
                 "expected chips \"auto\" with a budget (the budget sizes the system), got "
                 "chips = " +
                     std::to_string(c.chips.count));
    }
  }
  if (x.rows_at_once && *x.rows_at_once > x.rows) {
    check.fail("crossbar.rows_at_once", "expected at most crossbar.rows (" +
                                            std::to_string(x.rows) + "), got " +
                                            std::to_string(*x.rows_at_once));
  }
  if (x.readout == Readout::adc) {
    // Decision (docs/cim.md): too low an ADC resolution is an error, never a silent clamp;
    // the message says which rows_at_once would fit.
    uint32_t rows = c.rows_at_once();
    uint32_t need = adc_bits_needed(rows, x.bits_per_cell, c.dac.bits);
    uint32_t saved = c.adc.bits_saved_by_encoding;
    uint32_t have = c.adc.bits + saved;
    if (have < need) {
      uint64_t fit = max_rows_for_adc(have, x.bits_per_cell, c.dac.bits);
      std::string why = "reading " + std::to_string(rows) + " rows at once of " +
                        std::to_string(x.bits_per_cell) + "-bit cells with " +
                        std::to_string(c.dac.bits) + "-bit inputs needs " + std::to_string(need) +
                        " ADC bits" +
                        (saved > 0 ? " (" + std::to_string(need - saved) + " with the " +
                                         std::to_string(saved) + "-bit encoding saving)"
                                   : "") +
                        "; ";
      if (fit == 0) {
        check.fail("adc.bits", "expected at least " + std::to_string(need - saved) + ", got " +
                                   std::to_string(c.adc.bits) + ": " + why +
                                   "not even one row fits");
      }
      if (x.rows_at_once) {
        check.fail("crossbar.rows_at_once", "expected at most " + std::to_string(fit) +
                                                " for the " + std::to_string(c.adc.bits) +
                                                "-bit ADC, got " + std::to_string(rows) + ": " +
                                                why + "lower rows_at_once or raise adc.bits");
      }
      check.fail("crossbar.rows", "the " + std::to_string(c.adc.bits) + "-bit ADC cannot read a " +
                                      std::to_string(rows) + "-row crossbar at once: " + why +
                                      "set crossbar.rows_at_once <= " + std::to_string(fit) +
                                      " or raise adc.bits");
    }
    if (c.pe.adcs == 0) {
      check.fail("pe.adcs", "expected at least 1 for an ADC readout, got 0");
    }
    if (c.pe.adcs % c.pe.crossbars != 0 && c.pe.crossbars % c.pe.adcs != 0) {
      check.fail("pe.adcs", "expected a multiple or a divisor of pe.crossbars (" +
                                std::to_string(c.pe.crossbars) + "), got " +
                                std::to_string(c.pe.adcs));
    }
    if (c.adc.sample_rate_gsps <= 0) {
      check.fail("adc.sample_rate_gsps", "expected a number > 0 for an ADC readout, got " +
                                             format_number(c.adc.sample_rate_gsps));
    }
  }
  c.dynamic_matmul.make(PolicySetup{&c, 16})->check(c, check);
  if (c.pe.input_register.width_bits == 0 || c.tile.buffer.width_bits == 0) {
    check.fail("tile.buffer.width_bits", "expected a width >= 1");
  }
}

}  // namespace cimsim::cim

namespace cimsim::config {
using namespace cimsim::cim;

const std::vector<std::pair<Readout, const char*>>& EnumNames<Readout>::names() {
  static const std::vector<std::pair<Readout, const char*>> n = {{Readout::adc, "adc"},
                                                                 {Readout::digital, "digital"}};
  return n;
}
const std::vector<std::pair<ActivationOverflow, const char*>>&
EnumNames<ActivationOverflow>::names() {
  static const std::vector<std::pair<ActivationOverflow, const char*>> n = {
      {ActivationOverflow::spill, "spill"}, {ActivationOverflow::error, "error"}};
  return n;
}
const std::vector<std::pair<SignedWeights, const char*>>& EnumNames<SignedWeights>::names() {
  static const std::vector<std::pair<SignedWeights, const char*>> n = {
      {SignedWeights::offset, "offset"}, {SignedWeights::differential, "differential"}};
  return n;
}

ChipCount ValueTraits<ChipCount>::parse(const Json& j, const std::string& path, const Context& c,
                                        const Limits&) {
  if (j.is_string() && j.get<std::string>() == "auto") {
    return ChipCount{};
  }
  if (j.is_number_unsigned() && j.get<uint64_t>() >= 1 && j.get<uint64_t>() <= 1u << 20) {
    return ChipCount{false, static_cast<uint32_t>(j.get<uint64_t>())};
  }
  c.fail(path, "expected \"auto\" or an integer in [1, 1048576], got " + describe_json_value(j));
}
Json ValueTraits<ChipCount>::schema(const Limits&) {
  return Json{
      {"anyOf", Json::array({Json{{"type", "string"}, {"enum", Json::array({"auto"})}},
                             Json{{"type", "integer"}, {"minimum", 1}, {"maximum", 1 << 20}}})}};
}
Json ValueTraits<ChipCount>::to_json(const ChipCount& v) {
  return v.automatic ? Json("auto") : Json(v.count);
}

Replication ValueTraits<Replication>::parse(const Json& j, const std::string& path,
                                            const Context& c, const Limits&) {
  if (j.is_string() && j.get<std::string>() == "auto") {
    return Replication{};
  }
  if (j.is_string() && j.get<std::string>() == "none") {
    return Replication{Replication::Mode::none, 1};
  }
  if (j.is_number_unsigned() && j.get<uint64_t>() >= 1 && j.get<uint64_t>() <= 4096) {
    return Replication{Replication::Mode::fixed, static_cast<uint32_t>(j.get<uint64_t>())};
  }
  c.fail(path,
         "expected \"auto\", \"none\" or an integer in [1, 4096], got " + describe_json_value(j));
}
Json ValueTraits<Replication>::schema(const Limits&) {
  return Json{
      {"anyOf", Json::array({Json{{"type", "string"}, {"enum", Json::array({"auto", "none"})}},
                             Json{{"type", "integer"}, {"minimum", 1}, {"maximum", 4096}}})}};
}
Json ValueTraits<Replication>::to_json(const Replication& v) {
  switch (v.mode) {
    case Replication::Mode::automatic:
      return Json("auto");
    case Replication::Mode::none:
      return Json("none");
    case Replication::Mode::fixed:
      break;
  }
  return Json(v.factor);
}

namespace {
// Docs must be string literals: the schema generator keeps the pointer.
template <class T>
void power_area(Fields<T>& f, double T::*power, double T::*stat, double T::*area) {
  f.optional("power_mw", power,
             "power of one unit at full activity, leakage included (see the object's doc)",
             at_least(0));
  f.optional("static_mw", stat,
             "leakage (idle) power of one unit, part of power_mw; charged by time", at_least(0));
  f.optional("area_mm2", area, "area of one unit", at_least(0));
}
}  // namespace

void Describe<ProgramConfig>::fields(Fields<ProgramConfig>& f) {
  using P = ProgramConfig;
  f.required("pulse_ns", &P::pulse_ns, "one program pulse on a row", positive());
  f.optional("verify_ns", &P::verify_ns, "one verify read of a row", at_least(0));
  f.optional("iterations", &P::iterations,
             "pulse+verify iterations per row (when iterations_per_level is 0)", at_least(1));
  f.optional("iterations_per_level", &P::iterations_per_level,
             "multi-level cells: program-and-verify pulses per level step (0: use iterations)",
             at_least(0));
  f.required("energy_pj_per_cell", &P::energy_pj_per_cell,
             "energy per cell per pulse (its share of the verify included)", at_least(0));
  f.optional("endurance_writes", &P::endurance_writes,
             "switching pulses a cell survives (0: unlimited)", at_least(0));
  f.optional("parallel_crossbars_per_pe", &P::parallel_crossbars_per_pe,
             "crossbars of a PE programmed at the same time", at_least(1));
}

void Describe<CrossbarConfig>::fields(Fields<CrossbarConfig>& f) {
  using X = CrossbarConfig;
  f.required("rows", &X::rows, "rows (inputs) per crossbar", in_range(1, 1 << 16));
  f.required("cols", &X::cols, "columns (bit lines) per crossbar", in_range(1, 1 << 16));
  f.required("bits_per_cell", &X::bits_per_cell, "bits stored per cell", in_range(1, 8));
  f.optional("rows_at_once", &X::rows_at_once,
             "rows activated together (default all; limited by the ADC)", at_least(1));
  f.required("read_latency_ns", &X::read_latency_ns,
             "one activation: drive rows, settle, sample the columns", positive());
  f.optional("readout", &X::readout, "adc (analog) or digital (adder tree)");
  power_area(f, &X::power_mw, &X::static_mw, &X::area_mm2);
  f.optional("read_energy_pj_per_row", &X::read_energy_pj_per_row,
             "energy of one row in one activation (default: power x latency / rows)", at_least(0));
  f.optional("extra_latency_ns", &X::extra_latency_ns,
             "fixed MVM pipeline latency beyond read and convert", at_least(0));
  f.required("program", &X::program, "writing cells");
}

void Describe<DacConfig>::fields(Fields<DacConfig>& f) {
  f.optional("bits", &DacConfig::bits, "input bits per step", in_range(1, 16));
  power_area(f, &DacConfig::power_mw, &DacConfig::static_mw, &DacConfig::area_mm2);
  f.optional("energy_pj", &DacConfig::energy_pj, "per conversion (default: power x step time)",
             at_least(0));
}

void Describe<SampleHoldConfig>::fields(Fields<SampleHoldConfig>& f) {
  using S = SampleHoldConfig;
  power_area(f, &S::power_mw, &S::static_mw, &S::area_mm2);
  f.optional("energy_pj", &S::energy_pj, "per sample (default: power x step time)", at_least(0));
}

void Describe<AdcConfig>::fields(Fields<AdcConfig>& f) {
  using A = AdcConfig;
  f.optional("model", &A::model, "how time, energy and area follow from bits and rate");
  f.optional("bits", &A::bits, "resolution", in_range(1, 24));
  f.optional("sample_rate_gsps", &A::sample_rate_gsps, "conversions per ns", at_least(0));
  f.optional("bits_saved_by_encoding", &A::bits_saved_by_encoding,
             "ADC bits a data encoding saves (ISAAC: 1)", in_range(0, 8));
  power_area(f, &A::power_mw, &A::static_mw, &A::area_mm2);
  f.optional("energy_pj", &A::energy_pj, "per conversion (default: power / sample rate)",
             at_least(0));
}

void Describe<ShiftAddConfig>::fields(Fields<ShiftAddConfig>& f) {
  using S = ShiftAddConfig;
  power_area(f, &S::power_mw, &S::static_mw, &S::area_mm2);
  f.optional("energy_pj", &S::energy_pj, "per shift-and-add", at_least(0));
}

void Describe<StorageConfig>::fields(Fields<StorageConfig>& f) {
  using S = StorageConfig;
  f.optional("capacity_bytes", &S::capacity_bytes, "capacity");
  f.optional("width_bits", &S::width_bits, "access width", at_least(1));
  f.optional("ports", &S::ports,
             "access ports, each one width_bits access per cycle (tile buffer: shared by the "
             "MVM inputs and outputs, vector units and buffer transfers of its tile)",
             at_least(1));
  f.optional("banks", &S::banks, "banks; accesses per cycle = min(ports, banks)", at_least(1));
  power_area(f, &S::power_mw, &S::static_mw, &S::area_mm2);
  f.optional("energy_pj_per_access", &S::energy_pj_per_access,
             "per access of width_bits (default: dynamic power / clock)", at_least(0));
  f.optional("retention_us", &S::retention_us,
             "eDRAM retention: each row is refreshed once per this time (0: SRAM, no refresh)",
             at_least(0));
  f.optional("refresh_energy_pj_per_row", &S::refresh_energy_pj_per_row,
             "refreshing one row of width_bits (default: one access)", at_least(0));
}

void Describe<OtherComponent>::fields(Fields<OtherComponent>& f) {
  using O = OtherComponent;
  f.required("name", &O::name, "component name in reports");
  f.optional("count", &O::count, "units per parent", at_least(0));
  power_area(f, &O::power_mw, &O::static_mw, &O::area_mm2);
  f.optional("extension", &O::extension, "not part of the source design");
}

void Describe<PeConfig>::fields(Fields<PeConfig>& f) {
  f.required("crossbars", &PeConfig::crossbars, "crossbars per PE", in_range(1, 4096));
  f.optional("adcs", &PeConfig::adcs, "ADCs per PE (column multiplexing)", at_least(0));
  f.optional("shift_adds", &PeConfig::shift_adds, "shift-and-add units per PE", at_least(0));
  f.optional("input_register", &PeConfig::input_register, "input register");
  f.optional("output_register", &PeConfig::output_register, "output register");
  f.optional("other", &PeConfig::other, "other components per PE");
}

void Describe<VectorUnitConfig>::fields(Fields<VectorUnitConfig>& f) {
  using V = VectorUnitConfig;
  f.required("lanes", &V::lanes, "operations per cycle", at_least(1));
  f.optional("transcendental_cycles", &V::transcendental_cycles,
             "cycles per exp, division, reciprocal square root", at_least(1));
  f.required("add_pj", &V::add_pj, "energy per add or compare", at_least(0));
  f.required("mul_pj", &V::mul_pj, "energy per multiply", at_least(0));
  f.required("mac_pj", &V::mac_pj, "energy per multiply-accumulate", at_least(0));
  f.required("exp_pj", &V::exp_pj, "energy per exponential", at_least(0));
  f.required("div_pj", &V::div_pj, "energy per division or reciprocal square root", at_least(0));
  f.optional("power_mw_per_lane", &V::power_mw_per_lane, "peak power per lane", at_least(0));
  f.optional("static_mw_per_lane", &V::static_mw_per_lane, "leakage per lane", at_least(0));
  f.optional("area_mm2_per_lane", &V::area_mm2_per_lane, "area per lane", at_least(0));
  f.optional("extension", &V::extension, "not part of the source design");
}

void Describe<ActivationUnitConfig>::fields(Fields<ActivationUnitConfig>& f) {
  using A = ActivationUnitConfig;
  f.optional("count", &A::count, "units per tile", at_least(0));
  power_area(f, &A::power_mw, &A::static_mw, &A::area_mm2);
  f.optional("energy_pj", &A::energy_pj, "per evaluation (default: power / clock)", at_least(0));
}

void Describe<BusConfig>::fields(Fields<BusConfig>& f) {
  f.optional("width_bits", &BusConfig::width_bits, "bits per cycle", at_least(1));
  power_area(f, &BusConfig::power_mw, &BusConfig::static_mw, &BusConfig::area_mm2);
  f.optional("energy_pj_per_transfer", &BusConfig::energy_pj_per_transfer,
             "per width_bits beat (default: power / clock)", at_least(0));
}

void Describe<TileConfig>::fields(Fields<TileConfig>& f) {
  using T = TileConfig;
  f.required("pes", &T::pes, "PEs per tile", in_range(1, 1 << 16));
  f.required("buffer", &T::buffer, "the tile buffer (eDRAM or SRAM)");
  f.optional("buffer_latency_cycles", &T::buffer_latency_cycles, "buffer access latency");
  f.optional("bus", &T::bus, "buffer <-> PE bus");
  f.required("vector_unit", &T::vector_unit, "digital vector unit");
  f.optional("activation_units", &T::activation_units, "sigmoid-style units");
  f.optional("shift_add", &T::shift_add, "tile shift-and-add (partial sums across PEs)");
  f.optional("shift_adds", &T::shift_adds, "tile shift-and-add units", at_least(0));
  f.optional("output_register", &T::output_register, "tile output register");
  f.optional("other", &T::other, "other components per tile");
}

void Describe<RouterConfig>::fields(Fields<RouterConfig>& f) {
  using R = RouterConfig;
  f.optional("tiles_per_router", &R::tiles_per_router, "tiles sharing a router", at_least(1));
  f.optional("ports", &R::ports, "router ports", at_least(1));
  f.optional("flit_bits", &R::flit_bits, "flit (link) width", at_least(1));
  f.optional("latency_cycles", &R::latency_cycles, "head latency per hop", at_least(1));
  f.optional("buffer_flits", &R::buffer_flits,
             "flit slots of each input port's buffer (wormhole flow control with credits; below "
             "latency_cycles + 2 the credit round trip limits a link's rate)",
             at_least(1));
  power_area(f, &R::power_mw, &R::static_mw, &R::area_mm2);
  f.optional("energy_pj_per_flit_hop", &R::energy_pj_per_flit_hop,
             "per flit per hop (default: power / (ports x clock))", at_least(0));
}

void Describe<ChipLinkConfig>::fields(Fields<ChipLinkConfig>& f) {
  using L = ChipLinkConfig;
  f.optional("count", &L::count, "links per chip", at_least(0));
  f.optional("bandwidth_gbytes_s", &L::bandwidth_gbytes_s, "per link and direction", positive());
  f.optional("latency_ns", &L::latency_ns, "per crossing", at_least(0));
  power_area(f, &L::power_mw, &L::static_mw, &L::area_mm2);
  f.optional("energy_pj_per_bit", &L::energy_pj_per_bit, "per bit (default: power / bandwidth)",
             at_least(0));
}

void Describe<GlobalBufferConfig>::fields(Fields<GlobalBufferConfig>& f) {
  using G = GlobalBufferConfig;
  f.optional("capacity_bytes", &G::capacity_bytes, "0: none");
  f.optional("bandwidth_gbytes_s", &G::bandwidth_gbytes_s, "access bandwidth", at_least(0));
  f.optional("latency_ns", &G::latency_ns, "access latency", at_least(0));
  f.optional("energy_pj_per_byte", &G::energy_pj_per_byte, "per byte read or written", at_least(0));
  power_area(f, &G::power_mw, &G::static_mw, &G::area_mm2);
}

void Describe<ChipConfig>::fields(Fields<ChipConfig>& f) {
  f.required("tiles", &ChipConfig::tiles, "tiles per chip", in_range(1, 1 << 20));
  f.optional("links", &ChipConfig::links, "chip-to-chip links");
  f.optional("global_buffer", &ChipConfig::global_buffer, "global buffer");
  f.optional("other", &ChipConfig::other, "other components per chip");
}

void Describe<OffchipLinkConfig>::fields(Fields<OffchipLinkConfig>& f) {
  using L = OffchipLinkConfig;
  f.optional("bandwidth_gbytes_s", &L::bandwidth_gbytes_s, "per stack link", positive());
  f.optional("latency_ns", &L::latency_ns, "added to every access", at_least(0));
  f.optional("energy_pj_per_bit", &L::energy_pj_per_bit, "interface energy per bit moved",
             at_least(0));
  f.optional("static_mw", &L::static_mw, "idle power of one link", at_least(0));
  f.optional("area_mm2", &L::area_mm2, "area of one link's PHY on the chip side", at_least(0));
}

void Describe<OffchipConfig>::fields(Fields<OffchipConfig>& f) {
  f.optional("chips_per_stack", &OffchipConfig::chips_per_stack,
             "chips sharing one HBM stack, their data in it (0: one stack for all chips)",
             in_range(0, 1 << 20));
  f.optional("link", &OffchipConfig::link, "the stack-to-chip link");
}

namespace {
void flavor_check(const std::string& flavor, const std::string& key, const Check& check) {
  if (flavor != "hp" && flavor != "lp") {
    check.fail(key, "expected \"hp\" or \"lp\", got " + quote_for_message(flavor));
  }
}

void node_check(double nm, const char* what, const Check& check) {
  if (!stillmaker_node(nm)) {
    check.fail("process_nm", std::string("expected one of 180, 130, 90, 65, 45, 32, 20, 16, 14, "
                                         "10, 7") +
                                 what + " (the nodes Stillmaker and Baas 2017 tabulate), got " +
                                 format_number(nm));
  }
}
}  // namespace

void Describe<NodeTarget>::fields(Fields<NodeTarget>& f) {
  f.required("process_nm", &NodeTarget::process_nm,
             "target node (Stillmaker and Baas 2017: 180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7)",
             positive());
  f.required("vdd", &NodeTarget::vdd, "supply voltage at the target node", in_range(0.3, 2));
  f.optional("flavor", &NodeTarget::flavor, "hp (high performance) or lp (low power)");
  f.check([](const NodeTarget& t, const Check& check) {
    flavor_check(t.flavor, "flavor", check);
    node_check(t.process_nm, "", check);
  });
}

void Describe<TechnologyConfig>::fields(Fields<TechnologyConfig>& f) {
  using T = TechnologyConfig;
  f.optional("process_nm", &T::process_nm, "node the figures were published at (0: not stated)",
             at_least(0));
  f.optional("vdd", &T::vdd, "supply voltage of the figures", at_least(0));
  f.optional("flavor", &T::flavor, "hp (high performance) or lp (low power)");
  f.optional("scale_to", &T::scale_to,
             "scale area, energy and delay to this node (Stillmaker and Baas 2017)");
  f.check([](const T& t, const Check& check) {
    flavor_check(t.flavor, "flavor", check);
    if (t.scale_to) {
      node_check(t.process_nm, " to scale from", check);
    }
    if (t.scale_to && (t.vdd < 0.3 || t.vdd > 2)) {
      check.fail("vdd",
                 "expected the supply voltage of the figures in [0.3, 2] to scale from, "
                 "got " +
                     format_number(t.vdd));
    }
  });
}

void Describe<SramCimConfig>::fields(Fields<SramCimConfig>& f) {
  using S = SramCimConfig;
  f.optional("arrays_per_tile", &S::arrays_per_tile, "arrays per tile");
  f.optional("rows", &S::rows, "rows per array", at_least(1));
  f.optional("cols", &S::cols, "columns (bit cells) per row", at_least(1));
  f.optional("cycle_ns", &S::cycle_ns, "one bit-serial step", positive());
  f.optional("energy_pj_per_row_step", &S::energy_pj_per_row_step,
             "one row in one step, all columns (bit products and adder tree)", at_least(0));
  f.optional("write_ns_per_row", &S::write_ns_per_row, "writing one row", positive());
  f.optional("write_energy_pj_per_bit", &S::write_energy_pj_per_bit, "per bit written",
             at_least(0));
  power_area(f, &S::power_mw, &S::static_mw, &S::area_mm2);
  f.optional("extension", &S::extension, "not part of the source design");
}

void Describe<CimConfig>::fields(Fields<CimConfig>& f) {
  describe_cim_fields(f);
}

}  // namespace cimsim::config
