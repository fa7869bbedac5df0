// The off-chip memory both machines use: a SystemC/TLM-2.0 target in front of the HBM
// controller model (memory/controller.hpp).
//
// Modelled: every pseudo-channel's banks, the JEDEC timing constraints between ACT, PRE,
// PREA, RD(A), WR(A) and REF (all-bank or per-bank), FR-FCFS scheduling over per-bank queues
// with a write queue drained between watermarks, open/closed page policies, refresh that
// blocks the banks it refreshes, and energy as action counts (memory/energy.hpp).
// Left out: data values (timing only: the payload's data pointer is never touched), the
// shared command bus of a channel's two pseudo-channels, power-down and self-refresh,
// read-after-write forwarding, ECC, and the on-chip interconnect up to the controller.
//
// The module is thin. b_transport splits a request of any size into bursts, hands them to
// the controller (plain C++) and blocks the calling thread until the last data beat has
// moved. The module wakes only when a command could complete a request, never once per burst
// or per cycle; with no traffic it schedules no events at all, and refreshes that fell due
// while idle are issued when traffic resumes. Many initiator threads may be inside
// b_transport at once: their bursts share the queues and the FR-FCFS scheduler.
#pragma once

#include <tlm_utils/simple_target_socket.h>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "cimsim/memory/command.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/energy.hpp"
#include "cimsim/memory/offchip.hpp"
#include "cimsim/memory/stats.hpp"
#include "cimsim/stats/registry.hpp"

namespace cimsim::memory {

class Controller;
class TimingChecker;
struct TimingViolation;
class CommandSink;

class MemorySystem : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(MemorySystem);
  tlm_utils::simple_target_socket<MemorySystem> socket;

  // check_timing: keep the command log and replay it through the independent timing checker
  // (memory/timing_checker.hpp); slow, for tests and --check-timing.
  MemorySystem(sc_core::sc_module_name name, const MemoryConfig& config, bool check_timing = false);
  ~MemorySystem() override;

  uint64_t capacity_bytes() const;
  double peak_bandwidth_bytes_per_s() const;
  double clock_ghz() const;
  const MemoryConfig& config() const { return config_; }

  // Declares the memory's actions (act_pre, rd_burst, wr_burst, ref_ab, ref_pb,
  // active_standby_cycle), its static power (precharged standby) and the link kOffChipName.
  void declare(stats::Registry& registry, const std::string& component = kOffChipName);
  // Adds the cumulative action counts and the bytes read/written on the link up to now.
  // declare() must have been called with the registry `counts` is sized to.
  void add_counts(stats::Counts& counts) const;

  // Counters and latencies up to now.
  MemoryStats stats() const;
  // Commands issued so far (only with check_timing; empty otherwise).
  const std::vector<CommandRecord>& command_log() const;
  // Violations the checker found so far (only with check_timing).
  std::vector<TimingViolation> timing_violations() const;
  // How often the module's process ran (to show it does not run once per burst or cycle).
  uint64_t wakeups() const { return wakeups_; }

 private:
  struct Pending;
  void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  void on_wake();
  // Issues every command due before the current time. Logically const: those decisions are
  // already fixed by the requests so far; this only materialises them.
  void catch_up() const;
  void notify_finished();
  void schedule_wake();
  uint64_t now_cycle() const;
  sc_core::sc_time time_of(Cycle c) const;

  MemoryConfig config_;
  std::unique_ptr<Controller> controller_;
  std::unique_ptr<TimingChecker> checker_;
  std::unique_ptr<std::vector<CommandRecord>> log_;
  std::unique_ptr<CommandSink> sink_;
  std::unique_ptr<EnergyTable> energy_;
  std::vector<std::unique_ptr<Pending>> pending_;  // by transaction id, reused
  sc_core::sc_event wake_event_;
  uint64_t wakeups_ = 0;
  double period_ps_ = 1000.0;
  bool declared_ = false;
  MemoryActions actions_;  // from declare()
};

}  // namespace cimsim::memory
