// DRAM commands as the controller issues them and the timing checker replays them.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace cimsim::memory {

using Cycle = uint64_t;  // memory-clock cycles since the start of the simulation
constexpr Cycle kNever = ~Cycle{0};

// Who issued a request: an SM, a core, a DMA stream (memory/requestor.hpp); 0 when nobody
// said. Schedulers may treat requestors differently (scheduler.hpp).
using RequestorId = uint16_t;

enum class Command : uint8_t {
  kAct,    // activate a row
  kPre,    // precharge one bank
  kPreA,   // precharge all banks of a pseudo-channel
  kRd,     // read burst
  kRdA,    // read burst, then auto-precharge
  kWr,     // write burst
  kWrA,    // write burst, then auto-precharge
  kRefAb,  // all-bank refresh
  kRefPb,  // per-bank refresh
};
constexpr int kCommandKinds = 9;

const char* command_name(Command c);  // "ACT", "RDA", "REFab", ...

// Membership tests as one bit test each (the schedulers ask for every candidate).
constexpr bool in_set(Command c, std::initializer_list<Command> set) {
  uint32_t mask = 0;
  for (Command s : set) {
    mask |= 1u << static_cast<unsigned>(s);
  }
  return ((mask >> static_cast<unsigned>(c)) & 1u) != 0;
}
constexpr bool is_column(Command c) {
  return in_set(c, {Command::kRd, Command::kRdA, Command::kWr, Command::kWrA});
}
constexpr bool is_read(Command c) {
  return in_set(c, {Command::kRd, Command::kRdA});
}
constexpr bool is_write(Command c) {
  return in_set(c, {Command::kWr, Command::kWrA});
}
constexpr bool is_auto_precharge(Command c) {
  return in_set(c, {Command::kRdA, Command::kWrA});
}

// One issued command. `unit` is the flat pseudo-channel index (stack, channel, pseudo-channel);
// `bank` is the flat bank index in the unit (bank_group * banks_per_group + bank). Fields a
// command does not use (row of a RD, bank of a PREA) are 0.
struct CommandRecord {
  Cycle cycle = 0;
  Command command = Command::kAct;
  uint32_t unit = 0;
  uint32_t bank = 0;
  uint32_t row = 0;
  uint32_t column = 0;  // burst index within the row
};

// Receives every command as it is issued (per unit, in time order).
class CommandSink {
 public:
  virtual ~CommandSink() = default;
  virtual void on_command(const CommandRecord& record) = 0;
};

}  // namespace cimsim::memory
