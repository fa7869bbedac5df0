#include "cimsim/memory/timing_state.hpp"

#include <algorithm>

namespace cimsim::memory {

TimingState::TimingState(const MemoryConfig& config)
    : t_(config.timing),
      burst_(config.burst_cycles()),
      single_bus_(config.controller.command_bus == CommandBus::kSingle),
      banks_(config.banks_per_unit()),
      groups_(config.organisation.bank_groups) {
  for (uint32_t b = 0; b < banks_.size(); ++b) {
    group_of_.push_back(b / config.organisation.banks_per_group);
  }
  group_table_.assign(groups_.size() * kClasses, 0);
}

Cycle TimingState::earliest(Command c, uint32_t bank) const {
  const Bank& b = banks_[bank];
  const Group& g = groups_[group_of_[bank]];
  Cycle e = bus(c);
  switch (c) {
    case Command::kAct:
      e = std::max({e, b.act, g.act, act_});
      return acts_ >= 4 ? std::max(e, faw_[faw_next_] + t_.tFAW) : e;
    case Command::kRd:
    case Command::kRdA:
      return std::max({e, b.rd, g.rd, rd_});
    case Command::kWr:
    case Command::kWrA:
      return std::max({e, b.wr, g.wr, wr_});
    case Command::kPre:
      return std::max(e, b.pre);
    case Command::kPreA:
      return e;
    case Command::kRefAb:
      e = std::max(e, ref_);
      for (const Bank& x : banks_) {
        e = std::max(e, x.act);
      }
      return e;
    case Command::kRefPb:
      return std::max({e, b.act, ref_, refpb_});
  }
  return e;
}

void TimingState::unit_bounds(Cycle* out) const {
  auto mx = [](Cycle a, Cycle b) { return a > b ? a : b; };
  Cycle act = mx(bus_[0], act_);
  if (acts_ >= 4) {
    act = mx(act, faw_[faw_next_] + t_.tFAW);
  }
  const Cycle col = bus_[single_bus_ ? 0 : 1];
  out[kClassAct] = act;
  out[kClassPre] = bus_[0];
  out[kClassRd] = mx(col, rd_);
  out[kClassWr] = mx(col, wr_);
}

Cycle TimingState::issue(Command c, uint32_t bank, Cycle t) {
  Cycle out = record(c, bank, t);
  uint32_t gi = group_of_[bank];
  const Group& g = groups_[gi];
  Cycle* row = &group_table_[size_t{gi} * kClasses];
  row[kClassAct] = g.act;
  row[kClassRd] = g.rd;
  row[kClassWr] = g.wr;
  return out;
}

Cycle TimingState::record(Command c, uint32_t bank, Cycle t) {
  Bank& b = banks_[bank];
  Group& g = groups_[group_of_[bank]];
  raise(bus(c), t + 1);
  const Cycle rr_l = std::max<Cycle>(t_.tCCD_L, burst_), rr_s = std::max<Cycle>(t_.tCCD_S, burst_);
  switch (c) {
    case Command::kAct:
      raise(b.act, t + t_.tRC);
      raise(b.pre, t + t_.tRAS);
      raise(b.rd, t + t_.tRCDRD);
      raise(b.wr, t + t_.tRCDWR);
      raise(g.act, t + t_.tRRD_L);
      raise(act_, t + t_.tRRD_S);
      raise(refpb_, t + t_.tRRD_S);
      faw_[faw_next_] = t;
      faw_next_ = (faw_next_ + 1) % 4;
      ++acts_;
      return t;
    case Command::kRd:
    case Command::kRdA: {
      raise(b.pre, t + t_.tRTP);
      raise(g.rd, t + rr_l);
      raise(rd_, t + rr_s);
      raise(wr_, t + t_.tRTW);
      if (c == Command::kRd) {
        return t;
      }
      Cycle pre = b.pre;  // includes ACT + tRAS and earlier write recovery
      raise(b.act, pre + t_.tRP);
      return pre;
    }
    case Command::kWr:
    case Command::kWrA: {
      Cycle end = t + t_.WL + burst_;
      raise(b.pre, end + t_.tWR);
      raise(g.wr, t + rr_l);
      raise(wr_, t + rr_s);
      raise(g.rd, end + t_.tWTR_L);
      raise(rd_, end + t_.tWTR_S);
      if (c == Command::kWr) {
        return t;
      }
      Cycle pre = b.pre;
      raise(b.act, pre + t_.tRP);
      return pre;
    }
    case Command::kPre:
      raise(b.act, t + t_.tRP);
      return t;
    case Command::kPreA:
      return t;  // issue_prea() does the work
    case Command::kRefAb:
      for (Bank& x : banks_) {
        raise(x.act, t + t_.tRFC);
      }
      raise(ref_, t + t_.tRFC);
      return t;
    case Command::kRefPb:
      raise(b.act, t + t_.tRFCpb);
      raise(act_, t + t_.tRREFD);
      raise(refpb_, t + t_.tRREFD);
      return t;
  }
  return t;
}

void TimingState::issue_prea(const std::vector<uint32_t>& open_banks, Cycle t) {
  raise(bus(Command::kPreA), t + 1);
  for (uint32_t bank : open_banks) {
    raise(banks_[bank].act, t + t_.tRP);
  }
}

}  // namespace cimsim::memory
