// What a machine needs of its off-chip memory, and the one adapter that gives it from the HBM
// model (memory_system.hpp). Both machines and their tests use this interface: a TLM target
// that blocks the calling thread for the duration of a read or write of any size, a few
// figures describing the memory, and its action counts in the machine's stats registry
// (declared once, read cumulatively; the caller takes differences, stats::Counts::operator-).
//
// Every memory declares its component and its link under one name, kOffChipName, so that a
// machine and the report find them the same way (find_offchip_link, is_offchip_action).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tlm>
#include <vector>

#include "cimsim/stats/registry.hpp"

namespace cimsim::memory {

struct MemoryConfig;

// Component and link name of the off-chip memory in every registry and report.
constexpr const char* kOffChipName = "hbm";

class OffChipMemory {
 public:
  virtual ~OffChipMemory() = default;
  virtual tlm::tlm_target_socket<32>& target() = 0;
  virtual uint64_t capacity_bytes() const = 0;
  virtual double peak_bandwidth_bytes_per_s() const = 0;
  // Time from a read command to its first data with no queueing (open bank, no conflicts).
  virtual double unloaded_latency_ps() const = 0;
  // Smallest transfer the memory moves (one burst); requests are aligned to it.
  virtual uint64_t access_bytes() const = 0;
  // Declares component kOffChipName (its actions and static power) and link kOffChipName.
  virtual void declare(stats::Registry& registry) = 0;
  // Adds the cumulative counts so far (sized to the registry declare() was given).
  virtual void add_counts(stats::Counts& counts) const = 0;
  // Actions the memory counts with or without traffic (refresh, standby), declared by
  // declare(); a machine that replays recorded counts must not charge them twice.
  virtual std::vector<stats::ActionId> background_actions() const { return {}; }
};

// Makes the memory when called (a machine calls it where the module's SystemC parent is, once
// it knows its size): `stacks` stacks (a CIM system has one per chip group, each group's data
// in its own stack: addresses [i x capacity / stacks, (i + 1) x capacity / stacks) are stack
// i's), as a module named `name`.
using OffChipFactory =
    std::function<std::unique_ptr<OffChipMemory>(uint32_t stacks, const std::string& name)>;

// The HBM model behind the interface: a MemorySystem module named `module_name`.
std::unique_ptr<OffChipMemory> make_offchip_memory(const std::string& module_name,
                                                   const MemoryConfig& config, bool check_timing);

// The off-chip link of a registry, if declared.
std::optional<stats::LinkId> find_offchip_link(const stats::Registry& registry);
// An action of the off-chip memory's component.
inline bool is_offchip_action(const stats::ActionInfo& a) {
  return a.component == kOffChipName;
}
// A refresh action of the off-chip memory (memory/energy.hpp: ref_ab, ref_pb).
bool is_offchip_refresh(const stats::ActionInfo& a);

}  // namespace cimsim::memory
