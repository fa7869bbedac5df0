// Registration of FCFS (the class is in scheduler_fcfs.hpp, inline for the channel).
#include "cimsim/memory/scheduler_fcfs.hpp"

namespace cimsim::memory {

CIMSIM_REGISTER(SchedulerAxis, config::NoParams, "fcfs",
                "every bank serves its oldest request; the oldest ready command first",
                [](const config::NoParams&, const SchedulerSetup&) -> std::unique_ptr<Scheduler> {
                  return std::make_unique<FcfsScheduler>();
                });

}  // namespace cimsim::memory
