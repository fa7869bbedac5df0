#include "cimsim/cim/energy.hpp"

#include <algorithm>

#include "cimsim/cim/adc.hpp"
#include "cimsim/cim/dynamic_policy.hpp"
#include "cimsim/cim/mvm.hpp"
#include "cimsim/config/describe.hpp"

namespace cimsim::cim {
namespace {

std::string num(double v) {
  return config::format_number(v);
}

// The part of a unit's power at full activity that its actions account for: the power the
// source tabulates includes its leakage, which is charged as static power by time instead.
double dyn(double power_mw, double static_mw) {
  return std::max(0.0, power_mw - static_mw);
}

}  // namespace

double full_activity_step_ns(const CimConfig& c) {
  PeLoad pe;
  for (uint32_t i = 0; i < c.pe.crossbars; ++i) {
    pe.add(XbarUse{c.crossbar.rows, c.crossbar.cols}, c.rows_at_once());
  }
  MvmModel model(c, c.dac.bits);
  return static_cast<double>(std::max(model.read_ps(), model.convert_ps(pe))) / 1000.0;
}

void add_mvm_actions(const Actions& ids, std::vector<uint64_t>& n, const MvmCounts& m) {
  n[ids.dac] += m.dac_conversions;
  n[ids.xbar_read_row] += m.row_reads;
  n[ids.sample_hold] += m.samples;
  n[ids.adc] += m.adc_conversions;
  n[ids.pe_shift_add] += m.shift_adds;
  n[ids.adder_tree] += m.adder_tree;
}

double EnergyTable::get(const std::string& component, const std::string& action) const {
  for (const auto& e : entries) {
    if (e.component == component && e.action == action) {
      return e.pj;
    }
  }
  return 0;
}

EnergyTable energy_table(const CimConfig& c) {
  EnergyTable t;
  auto add = [&](const std::string& comp, const std::string& action, double pj,
                 const std::string& source) {
    t.entries.push_back({comp, action, pj, source});
  };
  auto given_or = [](const std::optional<double>& given, double derived, const std::string& how) {
    return given ? std::make_pair(*given, std::string("config")) : std::make_pair(derived, how);
  };
  const double clock = c.clock_ghz;
  const double step = full_activity_step_ns(c);
  const auto& x = c.crossbar;

  auto row = given_or(
      x.read_energy_pj_per_row, dyn(x.power_mw, x.static_mw) * x.read_latency_ns / x.rows,
      "crossbar dynamic power " + num(dyn(x.power_mw, x.static_mw)) + " mW x read_latency_ns " +
          num(x.read_latency_ns) + " / rows " + std::to_string(x.rows));
  add("xbar", "read_row", row.first, row.second);
  add("xbar", "program_cell", x.program.energy_pj_per_cell, "crossbar.program.energy_pj_per_cell");
  add("xbar", "verify_row", row.first * x.rows,
      "a verify reads a row like a crossbar read (read energy per row x rows)");

  auto dac = given_or(c.dac.energy_pj, dyn(c.dac.power_mw, c.dac.static_mw) * step,
                      "dac dynamic power x full-activity step " + num(step) + " ns");
  add("dac", "convert", dac.first, dac.second);
  auto sh =
      given_or(c.sample_hold.energy_pj, dyn(c.sample_hold.power_mw, c.sample_hold.static_mw) * step,
               "sample_hold dynamic power x full-activity step " + num(step) + " ns");
  add("sample_hold", "sample", sh.first, sh.second);
  auto adc_model = c.adc.model.make(c.adc);
  add("adc", "convert", adc_model->energy_pj(), adc_model->energy_source());
  // Conversions per second a PE makes at full activity, shared by its shift-and-add units.
  double conv_rate = static_cast<double>(c.pe.crossbars) * x.cols / step;  // per ns
  double per_unit = c.pe.shift_adds > 0 ? conv_rate / c.pe.shift_adds : conv_rate;
  auto sa =
      given_or(c.shift_add.energy_pj, dyn(c.shift_add.power_mw, c.shift_add.static_mw) / per_unit,
               "shift_add dynamic power / " + num(per_unit) + " G shift-adds/s per unit");
  add("shift_add", "op", sa.first, sa.second);
  add("shift_add", "adder_tree", sa.first, "digital readout: one accumulate per column result");

  auto storage = [&](const std::string& comp, const StorageConfig& s) {
    auto e = given_or(s.energy_pj_per_access, dyn(s.power_mw, s.static_mw) / clock,
                      comp + " dynamic power " + num(dyn(s.power_mw, s.static_mw)) +
                          " mW / clock " + num(clock) + " GHz");
    return e;
  };
  // The PE registers at full activity: every step the DACs take dac.bits of every row's input
  // from the input register, and every column result is accumulated (16-bit partial sum) in
  // the output register.
  const auto& ir = c.pe.input_register;
  double ir_per_step = static_cast<double>(c.pe.crossbars) * x.rows * c.dac.bits / ir.width_bits;
  auto in = given_or(ir.energy_pj_per_access, dyn(ir.power_mw, ir.static_mw) * step / ir_per_step,
                     "pe.input_register dynamic power x step / " + num(ir_per_step) +
                         " accesses per full-activity step");
  add("pe.input_register", "access", in.first, in.second);
  const auto& orr = c.pe.output_register;
  double or_per_step = static_cast<double>(c.pe.crossbars) * x.cols * 16 / orr.width_bits;
  auto out =
      given_or(orr.energy_pj_per_access, dyn(orr.power_mw, orr.static_mw) * step / or_per_step,
               "pe.output_register dynamic power x step / " + num(or_per_step) +
                   " accesses per full-activity step (16-bit partial sum per column)");
  add("pe.output_register", "access", out.first, out.second);
  auto buf = storage("tile.buffer", c.tile.buffer);
  add("tile.buffer", "read", buf.first, buf.second);
  add("tile.buffer", "write", buf.first, buf.second);
  const auto& tb = c.tile.buffer;
  if (tb.retention_us > 0) {  // eDRAM: every row rewritten once per retention time
    auto ref = given_or(tb.refresh_energy_pj_per_row, buf.first,
                        "one buffer access per row of width_bits (read and restore)");
    add("tile.buffer", "refresh_row", ref.first, ref.second);
  }
  auto bus = given_or(c.tile.bus.energy_pj_per_transfer,
                      dyn(c.tile.bus.power_mw, c.tile.bus.static_mw) / clock,
                      "tile.bus dynamic power / clock");
  add("tile.bus", "transfer", bus.first, bus.second);
  const auto& v = c.tile.vector_unit;
  add("tile.vector_unit", "add", v.add_pj, "tile.vector_unit.add_pj");
  add("tile.vector_unit", "mul", v.mul_pj, "tile.vector_unit.mul_pj");
  add("tile.vector_unit", "mac", v.mac_pj, "tile.vector_unit.mac_pj");
  add("tile.vector_unit", "exp", v.exp_pj, "tile.vector_unit.exp_pj");
  add("tile.vector_unit", "div", v.div_pj, "tile.vector_unit.div_pj");
  const auto& au = c.tile.activation_units;
  auto act = given_or(au.energy_pj, dyn(au.power_mw, au.static_mw) / clock,
                      "tile.activation_units dynamic power / clock");
  add("tile.activation_unit", "op", act.first, act.second);
  auto tsa = given_or(c.tile.shift_add.energy_pj,
                      dyn(c.tile.shift_add.power_mw, c.tile.shift_add.static_mw) / clock,
                      "tile.shift_add dynamic power / clock");
  add("tile.shift_add", "op", tsa.first, tsa.second);
  auto tor = storage("tile.output_register", c.tile.output_register);
  add("tile.output_register", "access", tor.first, tor.second);
  auto flit =
      given_or(c.router.energy_pj_per_flit_hop,
               dyn(c.router.power_mw, c.router.static_mw) / (c.router.ports * clock),
               "router dynamic power / (ports " + std::to_string(c.router.ports) + " x clock)");
  add("router", "flit_hop", flit.first, flit.second);
  const auto& l = c.chip.links;
  auto link = l.energy_pj_per_bit
                  ? std::make_pair(*l.energy_pj_per_bit * 8, std::string("config (x 8 bits)"))
                  : std::make_pair(dyn(l.power_mw, l.static_mw) / l.bandwidth_gbytes_s,
                                   "chip.links dynamic power / bandwidth_gbytes_s");
  add("chip_link", "byte", link.first, link.second);
  add("global_buffer", "byte", c.chip.global_buffer.energy_pj_per_byte,
      "chip.global_buffer.energy_pj_per_byte");
  add("sram_cim", "row_step", c.sram_cim.energy_pj_per_row_step, "sram_cim.energy_pj_per_row_step");
  add("sram_cim", "write_bit", c.sram_cim.write_energy_pj_per_bit,
      "sram_cim.write_energy_pj_per_bit");
  add("offchip_link", "byte", c.offchip.link.energy_pj_per_bit * 8,
      "offchip.link.energy_pj_per_bit x 8");
  return t;
}

std::vector<BudgetItem> budget(const CimConfig& c) {
  std::vector<BudgetItem> b;
  const auto& x = c.crossbar;
  auto item = [&](const std::string& name, const std::string& level, double count, double p,
                  double s, double a, bool ext = false) {
    b.push_back(BudgetItem{name, level, count, p, s, a, ext});
  };
  item("xbar", "pe", c.pe.crossbars, x.power_mw, x.static_mw, x.area_mm2);
  double dacs = static_cast<double>(c.pe.crossbars) * x.rows;
  item("dac", "pe", dacs, c.dac.power_mw, c.dac.static_mw, c.dac.area_mm2);
  double shs = x.readout == Readout::adc ? static_cast<double>(c.pe.crossbars) * x.cols : 0;
  item("sample_hold", "pe", shs, c.sample_hold.power_mw, c.sample_hold.static_mw,
       c.sample_hold.area_mm2);
  auto adc = c.adc.model.make(c.adc);
  item("adc", "pe", c.pe.adcs, adc->peak_power_mw(), adc->static_mw(), adc->area_mm2());
  item("shift_add", "pe", c.pe.shift_adds, c.shift_add.power_mw, c.shift_add.static_mw,
       c.shift_add.area_mm2);
  const auto& ir = c.pe.input_register;
  item("pe.input_register", "pe", 1, ir.power_mw, ir.static_mw, ir.area_mm2);
  const auto& orr = c.pe.output_register;
  item("pe.output_register", "pe", 1, orr.power_mw, orr.static_mw, orr.area_mm2);
  for (const auto& o : c.pe.other) {
    item("pe." + o.name, "pe", o.count, o.power_mw, o.static_mw, o.area_mm2, o.extension);
  }
  const auto& t = c.tile;
  item("tile.buffer", "tile", 1, t.buffer.power_mw, t.buffer.static_mw, t.buffer.area_mm2);
  item("tile.bus", "tile", 1, t.bus.power_mw, t.bus.static_mw, t.bus.area_mm2);
  const auto& v = t.vector_unit;
  item("tile.vector_unit", "tile", v.lanes, v.power_mw_per_lane, v.static_mw_per_lane,
       v.area_mm2_per_lane, v.extension);
  item("tile.activation_unit", "tile", t.activation_units.count, t.activation_units.power_mw,
       t.activation_units.static_mw, t.activation_units.area_mm2);
  item("tile.shift_add", "tile", t.shift_adds, t.shift_add.power_mw, t.shift_add.static_mw,
       t.shift_add.area_mm2);
  item("tile.output_register", "tile", 1, t.output_register.power_mw, t.output_register.static_mw,
       t.output_register.area_mm2);
  c.dynamic_matmul.make(PolicySetup{&c, 16})->add_budget(c, b);
  for (const auto& o : t.other) {
    item("tile." + o.name, "tile", o.count, o.power_mw, o.static_mw, o.area_mm2, o.extension);
  }
  item("router", "router", c.routers_per_chip(), c.router.power_mw, c.router.static_mw,
       c.router.area_mm2);
  const auto& l = c.chip.links;
  item("chip_link", "chip", l.count, l.power_mw, l.static_mw, l.area_mm2);
  const auto& g = c.chip.global_buffer;
  item("global_buffer", "chip", g.capacity_bytes > 0 ? 1 : 0, g.power_mw, g.static_mw, g.area_mm2);
  for (const auto& o : c.chip.other) {
    item("chip." + o.name, "chip", o.count, o.power_mw, o.static_mw, o.area_mm2, o.extension);
  }
  return b;
}

BudgetTotals budget_totals(const CimConfig& c, bool ext) {
  BudgetTotals t;
  double tile_p = 0, tile_a = 0, router_p = 0, router_a = 0, chip_p = 0, chip_a = 0;
  double tile_s = 0, router_s = 0, chip_s = 0;
  for (const auto& i : budget(c)) {
    if (i.extension && !ext) {
      continue;
    }
    double p = i.count * i.power_mw, a = i.count * i.area_mm2, st = i.count * i.static_mw;
    if (i.level == "pe") {
      t.pe_power_mw += p;
      t.pe_static_mw += st;
      t.pe_area_mm2 += a;
    } else if (i.level == "tile") {
      tile_p += p;
      tile_s += st;
      tile_a += a;
    } else if (i.level == "router") {
      router_p += p;
      router_s += st;
      router_a += a;
    } else {
      chip_p += p;
      chip_s += st;
      chip_a += a;
    }
  }
  t.chip_static_w =
      ((t.pe_static_mw * c.tile.pes + tile_s) * c.chip.tiles + router_s + chip_s) / 1000.0;
  double share = 1.0 / c.router.tiles_per_router;  // a tile's share of its router
  t.tile_power_mw = t.pe_power_mw * c.tile.pes + tile_p + share * c.router.power_mw;
  t.tile_area_mm2 = t.pe_area_mm2 * c.tile.pes + tile_a + share * c.router.area_mm2;
  double tiles_p = (t.pe_power_mw * c.tile.pes + tile_p) * c.chip.tiles;
  double tiles_a = (t.pe_area_mm2 * c.tile.pes + tile_a) * c.chip.tiles;
  t.chip_power_w = (tiles_p + router_p + chip_p) / 1000.0;
  t.chip_area_mm2 = tiles_a + router_a + chip_a;
  return t;
}

Json budget_json(const CimConfig& c) {
  Json items = Json::array();
  for (const auto& i : budget(c)) {
    if (i.count == 0) {
      continue;
    }
    Json j{{"name", i.name},         {"level", i.level},         {"count_per_parent", i.count},
           {"power_mw", i.power_mw}, {"static_mw", i.static_mw}, {"area_mm2", i.area_mm2}};
    if (i.extension) {
      j["extension"] = true;
    }
    items.push_back(j);
  }
  auto totals = [&](bool ext) {
    BudgetTotals t = budget_totals(c, ext);
    return Json{{"pe_power_mw", t.pe_power_mw},     {"pe_area_mm2", t.pe_area_mm2},
                {"tile_power_mw", t.tile_power_mw}, {"tile_area_mm2", t.tile_area_mm2},
                {"chip_power_w", t.chip_power_w},   {"chip_static_w", t.chip_static_w},
                {"chip_area_mm2", t.chip_area_mm2}};
  };
  return Json{{"items", items},
              {"peak_without_extensions", totals(false)},
              {"peak_with_extensions", totals(true)}};
}

Actions declare_fabric(const CimConfig& c, uint32_t chips, stats::Registry& r) {
  EnergyTable t = energy_table(c);
  auto a = [&](const std::string& comp, const std::string& action) {
    for (const auto& e : t.entries) {
      if (e.component == comp && e.action == action) {
        return r.action(comp, action, e.pj, e.source);
      }
    }
    return r.action(comp, action, 0.0, "");
  };
  Actions ids;
  ids.xbar_read_row = a("xbar", "read_row");
  ids.xbar_program_cell = a("xbar", "program_cell");
  ids.xbar_verify_row = a("xbar", "verify_row");
  ids.dac = a("dac", "convert");
  ids.sample_hold = a("sample_hold", "sample");
  ids.adc = a("adc", "convert");
  ids.pe_shift_add = a("shift_add", "op");
  ids.adder_tree = a("shift_add", "adder_tree");
  ids.in_reg = a("pe.input_register", "access");
  ids.out_reg = a("pe.output_register", "access");
  ids.buf_read = a("tile.buffer", "read");
  ids.buf_write = a("tile.buffer", "write");
  ids.buf_refresh = a("tile.buffer", "refresh_row");
  ids.bus = a("tile.bus", "transfer");
  ids.vu_add = a("tile.vector_unit", "add");
  ids.vu_mul = a("tile.vector_unit", "mul");
  ids.vu_mac = a("tile.vector_unit", "mac");
  ids.vu_exp = a("tile.vector_unit", "exp");
  ids.vu_div = a("tile.vector_unit", "div");
  ids.act_unit = a("tile.activation_unit", "op");
  ids.tile_shift_add = a("tile.shift_add", "op");
  ids.tile_out_reg = a("tile.output_register", "access");
  ids.flit_hop = a("router", "flit_hop");
  ids.chip_link_byte = a("chip_link", "byte");
  ids.gb_byte = a("global_buffer", "byte");
  ids.sram_row_step = a("sram_cim", "row_step");
  ids.sram_write_bit = a("sram_cim", "write_bit");
  ids.offchip_link_byte = a("offchip_link", "byte");
  // Static power and area for the whole system; every component the budget lists.
  double tiles = static_cast<double>(chips) * c.chip.tiles;
  for (const auto& i : budget(c)) {
    double parents = i.level == "pe"     ? tiles * c.tile.pes
                     : i.level == "tile" ? tiles
                                         : static_cast<double>(chips);
    double n = i.count * parents;
    if (n <= 0) {
      continue;
    }
    r.component(i.name, n * i.static_mw / 1000.0, n * i.area_mm2, static_cast<uint64_t>(n));
  }
  const double stacks = c.stacks_for(chips);
  r.component("offchip_link", stacks * c.offchip.link.static_mw / 1000.0,
              stacks * c.offchip.link.area_mm2, static_cast<uint64_t>(stacks));
  ids.buffer = r.link("buffer", "tile buffers (eDRAM/SRAM) <-> PEs and vector units");
  ids.global_buffer = r.link("global_buffer", "chip global buffer <-> tiles");
  ids.noc = r.link("noc", "on-chip mesh, payload bytes per transfer");
  ids.chip_link = r.link("chip_link", "chip-to-chip links, payload bytes per crossing");
  ids.sram_cim = r.link("sram_cim", "K/V written into SRAM CIM arrays");
  return ids;
}

}  // namespace cimsim::cim
