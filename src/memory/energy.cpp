#include "cimsim/memory/energy.hpp"

namespace cimsim::memory {

const char* EnergyTable::action_name(Action a) {
  switch (a) {
    case Action::kActPre: return "act_pre";
    case Action::kRdBurst: return "rd_burst";
    case Action::kWrBurst: return "wr_burst";
    case Action::kRefAb: return "ref_ab";
    case Action::kRefPb: return "ref_pb";
    case Action::kActiveStandbyCycle: return "active_standby_cycle";
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
    set(Action::kActPre, v * (e.idd0_ma * t.tRC -
                              (e.idd3n_ma * t.tRAS + e.idd2n_ma * (t.tRC - t.tRAS))) * tck_ns);
    set(Action::kRdBurst, v * (e.idd4r_ma - e.idd3n_ma) * burst * tck_ns + e.io_pj_per_bit * bits);
    set(Action::kWrBurst, v * (e.idd4w_ma - e.idd3n_ma) * burst * tck_ns + e.io_pj_per_bit * bits);
    double ref_ab = v * (e.idd5ab_ma - e.idd3n_ma) * t.tRFC * tck_ns;
    set(Action::kRefAb, ref_ab);
    set(Action::kRefPb, e.idd5pb_ma > 0 ? v * (e.idd5pb_ma - e.idd3n_ma) * t.tRFCpb * tck_ns
                                        : ref_ab / c.banks_per_unit());
    set(Action::kActiveStandbyCycle, v * (e.idd3n_ma - e.idd2n_ma) * tck_ns);
    static_w_ = units * v * e.idd2n_ma * 1e-3;
    source_ = "DRAMPower equations from the IDD currents of memory config " + c.name;
  } else {
    set(Action::kActPre, e.act_pre_pj);
    set(Action::kRdBurst, e.read_pj_per_bit * bits);
    set(Action::kWrBurst, e.write_pj_per_bit * bits);
    set(Action::kRefAb, e.ref_ab_pj);
    set(Action::kRefPb, e.ref_pb_pj);
    set(Action::kActiveStandbyCycle, e.active_background_mw * tck_ns);
    static_w_ = units * e.background_mw * 1e-3;
    source_ = "per-action energies of memory config " + c.name;
  }
}

}  // namespace cimsim::memory
