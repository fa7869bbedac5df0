// Helpers shared by the memory tests: configs with overrides, a command recorder, and
// running the independent timing checker over what the controller issued.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cimsim/config/overrides.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/controller.hpp"
#include "cimsim/memory/timing_checker.hpp"

namespace cimsim::memory::test {

// A preset with "PATH=VALUE" overrides below memory.
inline MemoryConfig preset(const std::string& name, const std::vector<std::string>& sets = {}) {
  std::vector<config::Assignment> a;
  for (const auto& s : sets) {
    a.push_back(config::parse_assignment("memory." + s));
  }
  return load_memory_config(name, a);
}

// hbm2 with a single pseudo-channel: the hand-computed tests use its timings
// (RL 14, WL 4, tRCD 14, tRP 14, tRAS 34, tRC 48, tRRD_S/L 4/6, tFAW 30, tCCD_S/L 1/2,
// tWTR_S/L 6/8, tRTP 6, tWR 16, tRTW 15, tRFC 260, tREFI 3900, burst 2 cycles).
inline MemoryConfig one_channel(const std::vector<std::string>& more = {}) {
  std::vector<std::string> sets = {"organisation.channels_per_stack=1"};
  sets.insert(sets.end(), more.begin(), more.end());
  return preset("hbm2", sets);
}

// Records commands and checks them as they come.
class Recorder : public CommandSink {
 public:
  explicit Recorder(const MemoryConfig& c) : checker(c) {}
  void on_command(const CommandRecord& r) override {
    log.push_back(r);
    checker.on_command(r);
  }
  std::vector<CommandRecord> log;
  TimingChecker checker;
  // "ACT@10 b0 r0" lines, for readable failures.
  std::string text() const {
    std::string s;
    for (const auto& r : log) {
      s += std::string(command_name(r.command)) + "@" + std::to_string(r.cycle) + " u" +
           std::to_string(r.unit) + " b" + std::to_string(r.bank) + " r" + std::to_string(r.row) +
           " c" + std::to_string(r.column) + "\n";
    }
    return s;
  }
  void expect_clean() const {
    for (const auto& v : checker.violations()) {
      ADD_FAILURE() << v.message();
    }
    EXPECT_EQ(checker.violation_count(), 0u);
  }
};

// The address of (unit, bank, row, column) under the config's mapping.
inline uint64_t addr(const Controller& c, uint32_t unit, uint32_t bank, uint32_t row,
                     uint32_t column) {
  return c.address_map().encode(DecodedAddress{unit, bank, row, column});
}

}  // namespace cimsim::memory::test
