#include "cimsim/memory/timing_state.hpp"

#include <algorithm>

namespace cimsim::memory {

TimingState::TimingState(const MemoryConfig& config)
    : t_(config.timing),
      burst_(config.burst_cycles()),
      single_bus_(config.controller.command_bus == CommandBus::kSingle),
      banks_(config.banks_per_unit()) {
  for (uint32_t b = 0; b < banks_.size(); ++b) {
    group_of_.push_back(b / config.organisation.banks_per_group);
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
      e = std::max(e, ref_);
      for (const Bank& x : banks_) {
        e = std::max(e, x[kClassAct]);
      }
      return e;
    case Command::kRefPb:
      return std::max({e, b[kClassAct], ref_, refpb_});
  }
  return e;
}

Cycle TimingState::issue(Command c, uint32_t bank, Cycle t) {
  Bank& b = banks_[bank];
  Cycle* g = group_row(bank);
  raise(bus(c), t + 1);
  switch (c) {
    case Command::kAct:
      raise(b[kClassAct], t + t_.tRC);
      raise(b[kClassPre], t + t_.tRAS);
      raise(b[kClassRd], t + t_.tRCDRD);
      raise(b[kClassWr], t + t_.tRCDWR);
      raise(g[kClassAct], t + t_.tRRD_L);
      raise(act_, t + t_.tRRD_S);
      raise(refpb_, t + t_.tRRD_S);
      faw_[faw_next_] = t;
      faw_next_ = (faw_next_ + 1) % 4;
      ++acts_;
      return t;
    case Command::kRd:
    case Command::kRdA: {
      raise(b[kClassPre], t + t_.tRTP);
      raise(g[kClassRd], t + gap_.col_l);
      raise(rd_, t + gap_.col_s);
      raise(wr_, t + t_.tRTW);
      if (c == Command::kRd) {
        return t;
      }
      Cycle pre = b[kClassPre];  // includes ACT + tRAS and earlier write recovery
      raise(b[kClassAct], pre + t_.tRP);
      return pre;
    }
    case Command::kWr:
    case Command::kWrA: {
      raise(b[kClassPre], t + gap_.wr_pre);
      raise(g[kClassWr], t + gap_.col_l);
      raise(wr_, t + gap_.col_s);
      raise(g[kClassRd], t + gap_.wr_rd_l);
      raise(rd_, t + gap_.wr_rd_s);
      if (c == Command::kWr) {
        return t;
      }
      Cycle pre = b[kClassPre];
      raise(b[kClassAct], pre + t_.tRP);
      return pre;
    }
    case Command::kPre:
      raise(b[kClassAct], t + t_.tRP);
      return t;
    case Command::kPreA:
      return t;  // issue_prea() does the work
    case Command::kRefAb:
      for (Bank& x : banks_) {
        raise(x[kClassAct], t + t_.tRFC);
      }
      raise(ref_, t + t_.tRFC);
      return t;
    case Command::kRefPb:
      raise(b[kClassAct], t + t_.tRFCpb);
      raise(act_, t + t_.tRREFD);
      raise(refpb_, t + t_.tRREFD);
      return t;
  }
  return t;
}

void TimingState::issue_prea(const std::vector<uint32_t>& open_banks, Cycle t) {
  raise(bus(Command::kPreA), t + 1);
  for (uint32_t bank : open_banks) {
    raise(banks_[bank][kClassAct], t + t_.tRP);
  }
}

}  // namespace cimsim::memory
