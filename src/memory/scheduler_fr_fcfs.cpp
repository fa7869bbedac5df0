// FR-FCFS (Rixner et al., ISCA 2000): row hits first, then the oldest request. A cap on the
// hits served since the row was opened stops a stream of hits from starving an older request
// to another row of the same bank. The class (FrFcfsScheduler) is in scheduler.hpp so that
// the channel's calls need no virtual dispatch.
#include "cimsim/memory/scheduler.hpp"

namespace cimsim::memory {

std::unique_ptr<Scheduler> make_fr_fcfs_scheduler(uint32_t row_hit_cap) {
  return std::make_unique<FrFcfsScheduler>(row_hit_cap);
}

std::unique_ptr<Scheduler> make_scheduler(const ControllerPolicy& policy) {
  if (policy.scheduler == SchedulerKind::kFcfs) {
    return make_fcfs_scheduler();
  }
  return make_fr_fcfs_scheduler(policy.row_hit_cap);
}

}  // namespace cimsim::memory
