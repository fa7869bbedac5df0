// FCFS: every bank serves its oldest request, and the oldest ready command issues first.
#include "cimsim/memory/scheduler.hpp"

namespace cimsim::memory {
namespace {

class Fcfs final : public Scheduler {
 public:
  size_t choose(const BurstRequest*, size_t, const BankView&) const override { return 0; }
  bool keeps_choice(const BurstRequest*, size_t, const BankView&, size_t,
                    const BurstRequest&) const override {
    return true;  // always the oldest
  }
  uint64_t priority(Command, uint64_t seq) const override { return seq; }
};

}  // namespace

std::unique_ptr<Scheduler> make_fcfs_scheduler() {
  return std::make_unique<Fcfs>();
}

}  // namespace cimsim::memory
