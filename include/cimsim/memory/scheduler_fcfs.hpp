// FCFS: every bank serves its oldest request, and the oldest ready command issues first.
//
// Declared here, final and inline, so that the channel can call it without a virtual dispatch
// (Channel recognises it by type); registered as "fcfs" in scheduler_fcfs.cpp.
#pragma once

#include "cimsim/memory/scheduler.hpp"

namespace cimsim::memory {

class FcfsScheduler final : public Scheduler {
 public:
  size_t choose(const BurstRequest*, size_t, const BankView&) const override { return 0; }
  bool keeps_choice(const BurstRequest*, size_t, const BankView&, size_t,
                    const BurstRequest&) const override {
    return true;  // always the oldest
  }
  uint64_t priority(Command, const BurstRequest& r) const override { return r.seq; }
};

}  // namespace cimsim::memory
