// An independent DRAM timing checker: replays a command log and reports every command that
// breaks a JEDEC constraint or the bank state machine.
//
// It shares no timing code with the controller: it keeps the history of commands per bank,
// bank group and pseudo-channel and checks each new command against the rules written out
// pairwise (previous command -> this command >= gap), the way a datasheet table lists them.
// Commands must arrive in time order within a pseudo-channel (units may interleave).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cimsim/memory/command.hpp"
#include "cimsim/memory/config.hpp"

namespace cimsim::memory {

struct TimingViolation {
  CommandRecord record;         // the offending command
  std::string constraint;       // "tRCDRD", "tFAW", "bank state", "command bus", ...
  Cycle earliest = 0;           // first legal cycle under this constraint (0 for state errors)
  std::string detail;           // "ACT at 100 + tRCDRD 14"
  std::string message() const;  // one line
};

class TimingChecker : public CommandSink {
 public:
  explicit TimingChecker(const MemoryConfig& config, size_t max_violations = 1000);
  ~TimingChecker() override;
  void on_command(const CommandRecord& r) override;
  const std::vector<TimingViolation>& violations() const { return violations_; }
  uint64_t violation_count() const { return count_; }
  uint64_t commands_checked() const { return checked_; }

  // Convenience: checks a whole log.
  static std::vector<TimingViolation> check(const MemoryConfig& config,
                                            const std::vector<CommandRecord>& log);

 private:
  struct Unit;
  void report(const CommandRecord& r, const std::string& constraint, Cycle earliest,
              const std::string& detail);
  MemoryConfig config_;
  std::vector<Unit> units_;
  std::vector<TimingViolation> violations_;
  size_t max_violations_;
  uint64_t count_ = 0;
  uint64_t checked_ = 0;
};

}  // namespace cimsim::memory
