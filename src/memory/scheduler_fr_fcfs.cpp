// Registration of FR-FCFS (the class is in scheduler_fr_fcfs.hpp, inline for the channel).
#include "cimsim/memory/scheduler_fr_fcfs.hpp"

namespace cimsim::memory {

CIMSIM_REGISTER(SchedulerAxis, FrFcfsParams, "fr_fcfs",
                "row hits first, then the oldest request, hits capped per row opening "
                "(Rixner et al., ISCA 2000)",
                [](const FrFcfsParams& p, const SchedulerSetup&) -> std::unique_ptr<Scheduler> {
                  return std::make_unique<FrFcfsScheduler>(p.row_hit_cap);
                });

}  // namespace cimsim::memory
