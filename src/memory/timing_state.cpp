#include "cimsim/memory/timing_state.hpp"

#include <algorithm>

namespace cimsim::memory {

TimingState::TimingState(const MemoryConfig& config)
    : single_bus_(config.controller.command_bus == CommandBus::kSingle),
      t_(config.timing),
      burst_(config.burst_cycles()),
      banks_(config.banks_per_unit()) {
  for (uint32_t b = 0; b < banks_.size(); ++b) {
    group_of_[b] = static_cast<uint8_t>(b / config.organisation.banks_per_group);
  }
  group_table_.assign(size_t{config.organisation.bank_groups} * kClasses, 0);
  gap_.col_l = std::max<Cycle>(t_.tCCD_L, burst_);
  gap_.col_s = std::max<Cycle>(t_.tCCD_S, burst_);
  gap_.wr_rd_l = Cycle{t_.WL} + burst_ + t_.tWTR_L;
  gap_.wr_rd_s = Cycle{t_.WL} + burst_ + t_.tWTR_S;
  gap_.wr_pre = Cycle{t_.WL} + burst_ + t_.tWR;
}

Cycle TimingState::earliest(Command c, uint32_t bank) const {
  const Bank& b = banks_[bank];
  const Cycle* g = group_row(bank);
  Cycle e = bus(c);
  switch (c) {
    case Command::kAct:
      e = std::max({e, b[kClassAct], g[kClassAct], act_});
      return acts_ >= 4 ? std::max(e, faw_[faw_next_] + t_.tFAW) : e;
    case Command::kRd:
    case Command::kRdA:
      return std::max({e, b[kClassRd], g[kClassRd], rd_});
    case Command::kWr:
    case Command::kWrA:
      return std::max({e, b[kClassWr], g[kClassWr], wr_});
    case Command::kPre:
      return std::max(e, b[kClassPre]);
    case Command::kPreA:
      return e;
    case Command::kRefAb:
      return std::max({e, ref_, act_max_});
    case Command::kRefPb:
      return std::max({e, b[kClassAct], ref_, refpb_});
  }
  return e;
}

void TimingState::issue_prea(uint64_t open_banks, Cycle t) {
  raise(bus(Command::kPreA), t + 1);
  for (uint64_t bits = open_banks; bits != 0; bits &= bits - 1) {
    raise_act(banks_[static_cast<size_t>(__builtin_ctzll(bits))], t + t_.tRP);
  }
}

}  // namespace cimsim::memory
