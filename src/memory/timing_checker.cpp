#include "cimsim/memory/timing_checker.hpp"

namespace cimsim::memory {

struct TimingChecker::Unit {};

std::string TimingViolation::message() const {
  return "cycle " + std::to_string(record.cycle) + ": " + command_name(record.command) +
         " unit " + std::to_string(record.unit) + " bank " + std::to_string(record.bank) +
         " violates " + constraint + (earliest != 0 ? " (earliest legal cycle " +
                                                          std::to_string(earliest) + ")" : "") +
         (detail.empty() ? "" : ": " + detail);
}

TimingChecker::TimingChecker(const MemoryConfig& config, size_t max_violations)
    : config_(config), max_violations_(max_violations) {}
TimingChecker::~TimingChecker() = default;

void TimingChecker::on_command(const CommandRecord&) { ++checked_; }

void TimingChecker::report(const CommandRecord& r, const std::string& constraint, Cycle earliest,
                           const std::string& detail) {
  ++count_;
  if (violations_.size() < max_violations_) {
    violations_.push_back(TimingViolation{r, constraint, earliest, detail});
  }
}

std::vector<TimingViolation> TimingChecker::check(const MemoryConfig& config,
                                                  const std::vector<CommandRecord>& log) {
  TimingChecker c(config);
  for (const auto& r : log) c.on_command(r);
  return c.violations();
}

}  // namespace cimsim::memory
