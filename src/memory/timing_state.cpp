#include "cimsim/memory/timing_state.hpp"

#include <algorithm>

namespace cimsim::memory {

TimingState::TimingState(const MemoryConfig& config)
    : single_bus_(config.controller.command_bus == CommandBus::kSingle),
      banks_(config.banks_per_unit()) {
  const Timing& t = config.timing;
  const uint32_t burst = config.burst_cycles();
  g_.tRC = t.tRC;
  g_.tRAS = t.tRAS;
  g_.tRCDRD = t.tRCDRD;
  g_.tRCDWR = t.tRCDWR;
  g_.tRP = t.tRP;
  g_.tRTP = t.tRTP;
  g_.tRTW = t.tRTW;
  g_.tRRD_L = t.tRRD_L;
  g_.tRRD_S = t.tRRD_S;
  g_.tFAW = t.tFAW;
  g_.tRFC = t.tRFC;
  g_.tRFCpb = t.tRFCpb;
  g_.tRREFD = t.tRREFD;
  g_.col_l = std::max(t.tCCD_L, burst);
  g_.col_s = std::max(t.tCCD_S, burst);
  g_.wr_rd_l = t.WL + burst + t.tWTR_L;
  g_.wr_rd_s = t.WL + burst + t.tWTR_S;
  g_.wr_pre = t.WL + burst + t.tWR;
  const uint32_t per_group = config.organisation.banks_per_group;
  group_magic_ = (65536 + per_group - 1) / per_group;
  group_table_.assign(size_t{config.organisation.bank_groups} * kClasses, 0);
}

Cycle TimingState::earliest(Command c, uint32_t bank) const {
  const Bank& b = banks_[bank];
  const Cycle* g = group_row(bank);
  Cycle e = bus(c);
  switch (c) {
    case Command::kAct:
      e = std::max({e, b[kClassAct], g[kClassAct], act_});
      return acts_ >= 4 ? std::max(e, faw_[faw_next_] + g_.tFAW) : e;
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
    raise_act(banks_[static_cast<size_t>(__builtin_ctzll(bits))], t + g_.tRP);
  }
}

}  // namespace cimsim::memory
