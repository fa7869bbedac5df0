// FCFS: every bank serves its oldest request, and the oldest ready command issues first. The
// class (FcfsScheduler) is in scheduler.hpp so that the channel's calls need no virtual
// dispatch.
#include "cimsim/memory/scheduler.hpp"

namespace cimsim::memory {

std::unique_ptr<Scheduler> make_fcfs_scheduler() {
  return std::make_unique<FcfsScheduler>();
}

}  // namespace cimsim::memory
