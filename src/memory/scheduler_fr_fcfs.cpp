// FR-FCFS (Rixner et al., ISCA 2000): row hits first, then the oldest request. A cap on the
// hits served since the row was opened stops a stream of hits from starving an older request
// to another row of the same bank.
#include "cimsim/memory/scheduler.hpp"

namespace cimsim::memory {
namespace {

class FrFcfs final : public Scheduler {
 public:
  explicit FrFcfs(uint32_t cap) : cap_(cap) {}

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
  uint64_t priority(Command command, uint64_t seq) const override {
    return (is_column(command) ? 0 : uint64_t{1} << 63) | seq;
  }

 private:
  uint32_t cap_;
};

}  // namespace

std::unique_ptr<Scheduler> make_fr_fcfs_scheduler(uint32_t row_hit_cap) {
  return std::make_unique<FrFcfs>(row_hit_cap);
}

std::unique_ptr<Scheduler> make_scheduler(const ControllerPolicy& policy) {
  if (policy.scheduler == SchedulerKind::kFcfs) {
    return make_fcfs_scheduler();
  }
  return make_fr_fcfs_scheduler(policy.row_hit_cap);
}

}  // namespace cimsim::memory
