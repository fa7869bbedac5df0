// Refresh policy of a pseudo-channel: the axis "memory.refresh" of the registry. One
// implementation per file: refresh_all_bank.cpp, refresh_per_bank.cpp, refresh_none.cpp.
//
// A policy only says what is due and when; the channel closes the banks (PREA or PRE) and
// issues the REF at the first legal cycle, and from the due cycle on gives the refreshed
// banks no new ACT or column command. Refresh is never postponed or pulled in. Pseudo-channels
// are staggered: unit u of n has its first refresh due at interval * (1 + u / n), so the
// memory never stalls everywhere at once (like DRAMsim3's staggered rank refresh).
#pragma once

#include <cstdint>
#include <memory>

#include "cimsim/config/registry.hpp"
#include "cimsim/memory/command.hpp"

namespace cimsim::memory {

struct MemoryConfig;

class RefreshPolicy {
 public:
  virtual ~RefreshPolicy() = default;
  // Cycle at which the next refresh falls due (kNever if refresh is off).
  virtual Cycle due() const = 0;
  // REFab (every bank) or REFpb (bank()).
  virtual Command command() const = 0;
  virtual uint32_t bank() const = 0;
  // True if `bank` takes part in the next refresh (so is blocked from due() on).
  virtual bool covers(uint32_t bank) const = 0;
  // The REF was issued; move on to the next one.
  virtual void refreshed() = 0;
  // Cycles between consecutive REFs (0 if refresh is off).
  virtual Cycle interval() const = 0;
  // Moves on by `n` REFs at once, as n calls of refreshed() would.
  virtual void skip(uint64_t n) = 0;
};

// A factory may throw PolicyConfigError (memory/config.hpp) for a config it cannot work with.
struct RefreshAxis
    : config::Axis<std::unique_ptr<RefreshPolicy>(const MemoryConfig& config, uint32_t unit)> {
  static constexpr const char* key = "memory.refresh";
  static constexpr const char* doc = "refresh policy of a pseudo-channel";
};

}  // namespace cimsim::memory
