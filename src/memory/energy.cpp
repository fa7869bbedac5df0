#include "cimsim/memory/energy.hpp"

#include <algorithm>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/memory/offchip.hpp"

namespace cimsim::memory {

const char* EnergyTable::action_name(Action a) {
  switch (a) {
    case Action::kActPre:
      return "act_pre";
    case Action::kRdBurst:
      return "rd_burst";
    case Action::kWrBurst:
      return "wr_burst";
    case Action::kRefAb:
      return "ref_ab";
    case Action::kRefPb:
      return "ref_pb";
    case Action::kActiveStandbyCycle:
      return "active_standby_cycle";
    case Action::kIoBurst:
      return "io_burst";
  }
  return "?";
}

EnergyTable::EnergyTable(const MemoryConfig& c) {
  const Energy& e = c.energy;
  const Timing& t = c.timing;
  const double tck_ns = 1.0 / c.organisation.clock_ghz;
  const double bits = 8.0 * c.burst_bytes();
  const double burst = c.burst_cycles();
  const double units = c.units();
  auto set = [this](Action a, double v) { pj_[static_cast<int>(a)] = v < 0 ? 0 : v; };
  if (e.model == EnergyModel::kIdd) {
    // mA x V = mW; mW x ns = pJ.
    double v = e.vdd_v;
    set(Action::kActPre,
        v * (e.idd0_ma * t.tRC - (e.idd3n_ma * t.tRAS + e.idd2n_ma * (t.tRC - t.tRAS))) * tck_ns);
    if (e.on_die_pj_per_bit > 0) {
      set(Action::kRdBurst, e.on_die_pj_per_bit * bits);
      set(Action::kWrBurst, e.on_die_pj_per_bit * bits);
    } else {
      set(Action::kRdBurst, v * (e.idd4r_ma - e.idd3n_ma) * burst * tck_ns);
      set(Action::kWrBurst, v * (e.idd4w_ma - e.idd3n_ma) * burst * tck_ns);
    }
    double ref_ab = v * (e.idd5ab_ma - e.idd3n_ma) * t.tRFC * tck_ns;
    set(Action::kRefAb, ref_ab);
    set(Action::kRefPb, e.idd5pb_ma > 0 ? v * (e.idd5pb_ma - e.idd3n_ma) * t.tRFCpb * tck_ns
                                        : ref_ab / c.banks_per_unit());
    set(Action::kActiveStandbyCycle, v * (e.idd3n_ma - e.idd2n_ma) * tck_ns);
    static_w_ = units * v * e.idd2n_ma * 1e-3;
    source_ = "DRAMPower equations from the IDD currents of memory config" +
              (c.name.empty() ? std::string() : " " + c.name);
  } else {
    set(Action::kActPre, e.act_pre_pj);
    set(Action::kRdBurst, e.read_pj_per_bit * bits);
    set(Action::kWrBurst, e.write_pj_per_bit * bits);
    set(Action::kRefAb, e.ref_ab_pj);
    set(Action::kRefPb, e.ref_pb_pj);
    set(Action::kActiveStandbyCycle, e.active_background_mw * tck_ns);
    static_w_ = units * e.background_mw * 1e-3;
    source_ =
        "per-action energies of memory config" + (c.name.empty() ? std::string() : " " + c.name);
  }
  set(Action::kIoBurst, e.io_pj_per_bit * bits);
}

MemoryActions declare_memory(stats::Registry& registry, const std::string& component,
                             const EnergyTable& energy, uint32_t units) {
  MemoryActions out;
  for (int a = 0; a < kActions; ++a) {
    auto action = static_cast<Action>(a);
    out.ids[a] = registry.action(component, EnergyTable::action_name(action),
                                 energy.energy_pj(action), energy.source());
  }
  registry.component(component, energy.static_power_w(), 0, units);
  out.link = registry.link(kOffChipName, "HBM <-> on-chip");
  return out;
}

void add_memory_counts(const MemoryActions& actions, const MemoryStats& s, uint32_t burst_bytes,
                       stats::Counts& counts) {
  std::array<uint64_t, kActions> n{};
  n[static_cast<int>(Action::kActPre)] = s.command(Command::kAct);
  n[static_cast<int>(Action::kRdBurst)] = s.read_bursts;
  n[static_cast<int>(Action::kWrBurst)] = s.write_bursts;
  n[static_cast<int>(Action::kRefAb)] = s.command(Command::kRefAb);
  n[static_cast<int>(Action::kRefPb)] = s.command(Command::kRefPb);
  n[static_cast<int>(Action::kActiveStandbyCycle)] = s.active_cycles;
  n[static_cast<int>(Action::kIoBurst)] = s.read_bursts + s.write_bursts;
  stats::Counts add;
  size_t need = counts.actions.size();
  for (stats::ActionId id : actions.ids) {
    need = std::max<size_t>(need, id + 1);
  }
  add.actions.assign(need, 0);
  for (int a = 0; a < kActions; ++a) {
    add.actions[actions.ids[a]] = n[a];
  }
  size_t links = std::max<size_t>(counts.read_bytes.size(), actions.link + 1);
  add.read_bytes.assign(links, 0);
  add.write_bytes.assign(links, 0);
  add.read_bytes[actions.link] = checked_mul(s.read_bursts, burst_bytes, "bytes read");
  add.write_bytes[actions.link] = checked_mul(s.write_bursts, burst_bytes, "bytes written");
  counts.add(add);
}

}  // namespace cimsim::memory
