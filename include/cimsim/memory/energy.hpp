// Energy per memory action, from the config's energy table.
//
// "idd" follows DRAMPower (Chandrasekar et al., DATE 2011; the DRAMPower manual), per
// pseudo-channel, with tCK = 1 / clock:
//   act_pre  = VDD * (IDD0*tRC - (IDD3N*tRAS + IDD2N*(tRC - tRAS))) * tCK   one ACT and its PRE
//   rd_burst = VDD * (IDD4R - IDD3N) * tBurst * tCK                          one RD/RDA
//   wr_burst = VDD * (IDD4W - IDD3N) * tBurst * tCK                          one WR/WRA
//            (or on_die_pj_per_bit * bits for both: the same energy, moving the data between
//            the sense amplifiers and the interface, taken from a published figure)
//   io_burst = io_pj_per_bit * bits                                           any RD/WR burst
//   ref_ab   = VDD * (IDD5AB - IDD3N) * tRFC * tCK                            one REFab
//   ref_pb   = VDD * (IDD5PB - IDD3N) * tRFCpb * tCK  (IDD5PB unset: ref_ab / banks)
//   background: VDD * IDD2N per pseudo-channel as static power for the whole run, plus
//   active_standby_cycle = VDD * (IDD3N - IDD2N) * tCK per pseudo-channel cycle with a row open.
// "pj_per_bit" takes the same actions' energies from the config directly (io_burst too).
// Left out: power-down and self-refresh states (the controller never enters them), VPP/IPP
// currents, and the background current during refresh beyond IDD3N.
#pragma once

#include <array>
#include <string>

#include "cimsim/memory/config.hpp"
#include "cimsim/memory/stats.hpp"
#include "cimsim/stats/registry.hpp"

namespace cimsim::memory {

enum class Action { kActPre, kRdBurst, kWrBurst, kRefAb, kRefPb, kActiveStandbyCycle, kIoBurst };
constexpr int kActions = 7;

class EnergyTable {
 public:
  explicit EnergyTable(const MemoryConfig& config);
  static const char* action_name(Action a);  // "act_pre", "rd_burst", ...
  double energy_pj(Action a) const { return pj_[static_cast<int>(a)]; }
  // Precharged-standby power of the whole memory (all pseudo-channels).
  double static_power_w() const { return static_w_; }
  // Where the numbers come from, for the registry ("DRAMPower from IDD currents of <preset>").
  const std::string& source() const { return source_; }

 private:
  std::array<double, kActions> pj_{};
  double static_w_ = 0;
  std::string source_;
};

// The memory's actions and link in a stats registry.
struct MemoryActions {
  std::array<stats::ActionId, kActions> ids{};
  stats::LinkId link = 0;
};

// Declares the actions of `component` with their energies, its static power and the link
// kOffChipName ("HBM <-> on-chip", offchip.hpp).
MemoryActions declare_memory(stats::Registry& registry, const std::string& component,
                             const EnergyTable& energy, uint32_t units);

// Adds what `stats` counted to `counts` (sized to the registry the actions were declared in):
// one act_pre per ACT, one rd_burst / wr_burst per column command and one io_burst for either,
// REFs, active-standby cycles, and bytes read/written on the link.
void add_memory_counts(const MemoryActions& actions, const MemoryStats& stats, uint32_t burst_bytes,
                       stats::Counts& counts);

}  // namespace cimsim::memory
