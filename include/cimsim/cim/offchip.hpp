// What the fabric needs of an off-chip memory: a TLM target that blocks the calling thread
// for the duration of a read or write of any size, its capacity, and its action counts.
// The machine type wraps memory::MemorySystem (src/cim/machine_type.cpp); tests may supply a
// stand-in (tests/cim/fixed_memory.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tlm>

#include "cimsim/stats/registry.hpp"

namespace cimsim::cim {

class OffChipMemory {
 public:
  virtual ~OffChipMemory() = default;
  virtual tlm::tlm_target_socket<32>& target() = 0;
  virtual uint64_t capacity_bytes() const = 0;
  virtual double peak_bandwidth_bytes_per_s() const = 0;
  // Declares component "hbm" (its actions and static power) and link "hbm".
  virtual void declare(stats::Registry& registry) = 0;
  // Adds the cumulative counts so far.
  virtual void add_counts(stats::Counts& counts) const = 0;
};

// Called once the fabric knows its size: a memory of `stacks` stacks (each chip group's data
// in its own stack: addresses [i x capacity / stacks, (i + 1) x capacity / stacks) are stack
// i's), as a module named `name`.
using OffChipFactory =
    std::function<std::unique_ptr<OffChipMemory>(uint32_t stacks, const std::string& name)>;

}  // namespace cimsim::cim
