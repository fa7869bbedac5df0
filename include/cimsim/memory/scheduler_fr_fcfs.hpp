// FR-FCFS (Rixner et al., "Memory access scheduling", ISCA 2000): row hits first, then the
// oldest request. A cap on the hits served since the row was opened stops a stream of hits
// from starving an older request to another row of the same bank.
//
// Declared here, final and with its bodies inline, so that the channel can call it without a
// virtual dispatch on its hot path (Channel recognises it by type); registered as "fr_fcfs" in
// scheduler_fr_fcfs.cpp. A new scheduler needs neither: it is called through Scheduler.
#pragma once

#include "cimsim/memory/scheduler.hpp"

namespace cimsim::memory {

struct FrFcfsParams {
  // At most this many row hits may bypass an older request to the same bank (0 = no cap).
  uint32_t row_hit_cap = 16;
};

class FrFcfsScheduler final : public Scheduler {
 public:
  explicit FrFcfsScheduler(uint32_t cap) : cap_(cap) {}
  size_t choose(const BurstRequest* queue, size_t size, const BankView& bank) const override {
    if (!bank.open) {
      return 0;
    }
    for (size_t i = 0; i < size; ++i) {
      if (queue[i].row != bank.row) {
        continue;
      }
      // The oldest request is a hit, or the cap still lets a hit bypass it.
      if (i == 0 || cap_ == 0 || bank.hits_since_act < cap_) {
        return i;
      }
      return 0;
    }
    return 0;
  }
  // A closed bank serves its oldest request; an open one its first hit, which a later request
  // cannot precede, or, if none is chosen, its oldest, which only a new hit could displace.
  bool keeps_choice(const BurstRequest* queue, size_t, const BankView& bank, size_t chosen,
                    const BurstRequest& next) const override {
    return !bank.open || queue[chosen].row == bank.row || next.row != bank.row;
  }
  // Column commands (row hits) before row commands, each oldest first.
  uint64_t priority(Command command, const BurstRequest& r) const override {
    return (is_column(command) ? 0 : uint64_t{1} << 63) | r.seq;
  }

 private:
  uint32_t cap_;
};

}  // namespace cimsim::memory

namespace cimsim::config {
template <>
struct Describe<memory::FrFcfsParams> {
  static constexpr const char* doc = "FR-FCFS parameters";
  static void fields(Fields<memory::FrFcfsParams>& f) {
    f.optional("row_hit_cap", &memory::FrFcfsParams::row_hit_cap,
               "row hits that may bypass an older request to the same bank (0 = unlimited)",
               in_range(0, 1 << 20));
  }
};
}  // namespace cimsim::config
