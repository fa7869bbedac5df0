// The controller's view of the DRAM timing constraints of one pseudo-channel (DRAMSys calls
// this the checker; cimsim keeps that name for the independent replay checker).
//
// Ramulator style: for every level (bank, bank group, pseudo-channel) and every command class
// it keeps the first cycle the next such command may issue; issuing a command raises those
// bounds by the JEDEC gaps that follow it. A query is then a max of a few numbers, and the
// whole class is plain arithmetic with no knowledge of queues or policies.
//
// Gaps (t = issue cycle of the earlier command, tBurst = BL / data_rate, WR end = t + WL + tBurst):
//   ACT  -> ACT same bank tRC, same group tRRD_L, other group tRRD_S, 5th ACT tFAW after 1st;
//           RD tRCDRD, WR tRCDWR, PRE tRAS (same bank); REFpb (any bank) tRRD_S
//   RD   -> RD same group max(tCCD_L, tBurst), other max(tCCD_S, tBurst); WR tRTW; PRE tRTP
//   WR   -> WR like RD->RD; RD same group WR end + tWTR_L, other WR end + tWTR_S;
//           PRE same bank WR end + tWR
//   RDA/WRA: as RD/WR, then the bank precharges itself at max(PRE bound, above) and may be
//           activated tRP later
//   PRE  -> ACT, REF tRP (same bank); PREA: every bank it closes
//   REFab-> ACT, REF tRFC;   REFpb -> ACT same bank tRFCpb, other banks and REFpb tRREFD
//   command bus: one row command (ACT PRE PREA REF) and one column command per cycle, or one
//   command per cycle with a single bus.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "cimsim/memory/command.hpp"
#include "cimsim/memory/config.hpp"

namespace cimsim::memory {

// Commands the scheduler chooses between fall into four classes with the same constraints.
enum CommandClass : uint8_t { kClassAct, kClassPre, kClassRd, kClassWr };
constexpr int kClasses = 4;
inline CommandClass class_of(Command c) {
  switch (c) {
    case Command::kAct:
      return kClassAct;
    case Command::kRd:
    case Command::kRdA:
      return kClassRd;
    case Command::kWr:
    case Command::kWrA:
      return kClassWr;
    default:
      return kClassPre;
  }
}

class TimingState {
 public:
  explicit TimingState(const MemoryConfig& config);

  // First cycle `c` may issue to `bank` under the constraints seen so far. For PREA and
  // REFab the bank is ignored; the caller adds the per-bank PRE bounds of open banks to PREA.
  Cycle earliest(Command c, uint32_t bank) const;

  // The same bound split for a fast scan over many banks: for ACT, PRE, RD(A), WR(A),
  //   earliest(c, bank) = max(unit_bounds[class], group_table()[group * kClasses + class],
  //                           bank_bound(c, bank)).
  // unit_bounds (the pseudo-channel part) changes with every command, the group table with
  // commands to the group, bank_bound only with commands to that bank, REFab and PREA.
  // Each bound is raised to at least `floor` (the caller's present cycle).
  [[gnu::always_inline]] void unit_bounds(Cycle* out, Cycle floor) const {
    auto mx = [](Cycle a, Cycle b) { return a > b ? a : b; };
    const Cycle row = mx(bus_[0], floor);
    Cycle act = mx(row, act_);
    if (acts_ >= 4) {
      act = mx(act, faw_[faw_next_] + g_.tFAW);
    }
    const Cycle col = mx(bus_[single_bus_ ? 0 : 1], floor);
    out[kClassAct] = act;
    out[kClassPre] = row;
    out[kClassRd] = mx(col, rd_);
    out[kClassWr] = mx(col, wr_);
  }
  const Cycle* group_table() const { return group_table_.data(); }
  Cycle bank_bound(Command c, uint32_t bank) const { return banks_[bank][class_of(c)]; }
  Cycle bank_bound(CommandClass c, uint32_t bank) const { return banks_[bank][c]; }
  // Bank group of a bank: bank / banks_per_group by a multiplication, exact for the at most
  // 64 banks of a pseudo-channel (no table, no division: one cache line fewer per command).
  uint32_t group_of(uint32_t bank) const { return (bank * group_magic_) >> 16; }
  // Starts loading a bank's bounds and its group's (a hint: changes nothing).
  void prefetch(uint32_t bank) const {
    __builtin_prefetch(&banks_[bank]);
    __builtin_prefetch(group_row(bank));
  }

  // Records `c` issued at `t`. For RDA/WRA returns the cycle the bank precharges itself;
  // for other commands returns t.
  Cycle issue(Command c, uint32_t bank, Cycle t);
  // The same, one call per command class: the channel, which already knows the command,
  // calls these so that no second dispatch on it (an indirect jump the CPU often mispredicts)
  // follows its own. A column command with auto-precharge returns the precharge cycle.
  void issue_act(uint32_t bank, Cycle t);
  void issue_pre(uint32_t bank, Cycle t);
  Cycle issue_read(uint32_t bank, Cycle t, bool auto_precharge);
  Cycle issue_write(uint32_t bank, Cycle t, bool auto_precharge);
  // PREA: the banks it closes, as bits (the others have nothing to precharge).
  void issue_prea(uint64_t open_banks, Cycle t);

 private:
  using Bank = std::array<Cycle, kClasses>;  // per command class
  // The timings the bounds use, and the gaps worked out from them once (max(tCCD, burst),
  // write data end + tWTR, ...): 32 bits each, so that they share cache lines with the bounds.
  struct Gaps {
    uint32_t tRC = 0, tRAS = 0, tRCDRD = 0, tRCDWR = 0, tRP = 0, tRTP = 0, tRTW = 0;
    uint32_t tRRD_L = 0, tRRD_S = 0, tFAW = 0, tRFC = 0, tRFCpb = 0, tRREFD = 0;
    uint32_t col_l = 0, col_s = 0;      // column to column, same / other bank group
    uint32_t wr_rd_l = 0, wr_rd_s = 0;  // WR to RD: WL + burst + tWTR_L / _S
    uint32_t wr_pre = 0;                // WR to PRE: WL + burst + tWR
  };
  static void raise(Cycle& bound, Cycle v) {
    if (v > bound) {
      bound = v;
    }
  }
  // A bank's ACT bound, and the largest of them all (what REFab waits for): every bound only
  // rises, so the largest is the largest value ever raised to.
  void raise_act(Bank& b, Cycle v) {
    raise(b[kClassAct], v);
    raise(act_max_, v);
  }
  // RDA/WRA: the bank precharges itself at its PRE bound (which already holds ACT + tRAS and
  // the column command's own recovery) and may be activated tRP later; returns that cycle.
  Cycle self_precharge(Bank& b) {
    const Cycle pre = b[kClassPre];
    raise_act(b, pre + g_.tRP);
    return pre;
  }
  Cycle* group_row(uint32_t bank) { return &group_table_[size_t{group_of(bank)} * kClasses]; }
  const Cycle* group_row(uint32_t bank) const {
    return &group_table_[size_t{group_of(bank)} * kClasses];
  }
  Cycle& bus(Command c) { return bus_[!single_bus_ && is_column(c) ? 1 : 0]; }
  Cycle bus(Command c) const { return bus_[!single_bus_ && is_column(c) ? 1 : 0]; }

  // The pseudo-channel's bounds first: every command reads or raises some of them.
  std::array<Cycle, 2> bus_{};       // row, column
  Cycle act_ = 0, rd_ = 0, wr_ = 0;  // any bank of the pseudo-channel
  Cycle ref_ = 0;                    // REFab / REFpb
  Cycle refpb_ = 0;                  // REFpb
  Cycle act_max_ = 0;                // the largest bank ACT bound
  std::array<Cycle, 4> faw_{};       // the last four ACTs (ring)
  uint32_t faw_next_ = 0;
  uint32_t acts_ = 0;
  Gaps g_;
  uint32_t group_magic_ = 0;  // 2^16 / banks_per_group, rounded up
  bool single_bus_ = false;
  std::vector<Bank> banks_;
  // Bank-group bounds, [group * kClasses + class]; the kClassPre entry stays 0 (PRE has no
  // group constraint) so that a scan can index it like the others.
  std::vector<Cycle> group_table_;
};

// Inline: the channel calls these once per command.
inline void TimingState::issue_act(uint32_t bank, Cycle t) {
  Bank& b = banks_[bank];
  Cycle* g = group_row(bank);
  raise(bus(Command::kAct), t + 1);
  raise_act(b, t + g_.tRC);
  raise(b[kClassPre], t + g_.tRAS);
  raise(b[kClassRd], t + g_.tRCDRD);
  raise(b[kClassWr], t + g_.tRCDWR);
  raise(g[kClassAct], t + g_.tRRD_L);
  raise(act_, t + g_.tRRD_S);
  raise(refpb_, t + g_.tRRD_S);
  faw_[faw_next_] = t;
  faw_next_ = (faw_next_ + 1) % 4;
  ++acts_;
}

inline void TimingState::issue_pre(uint32_t bank, Cycle t) {
  raise(bus(Command::kPre), t + 1);
  raise_act(banks_[bank], t + g_.tRP);
}

inline Cycle TimingState::issue_read(uint32_t bank, Cycle t, bool auto_precharge) {
  Bank& b = banks_[bank];
  Cycle* g = group_row(bank);
  raise(bus(Command::kRd), t + 1);
  raise(b[kClassPre], t + g_.tRTP);
  raise(g[kClassRd], t + g_.col_l);
  raise(rd_, t + g_.col_s);
  raise(wr_, t + g_.tRTW);
  return auto_precharge ? self_precharge(b) : t;
}

inline Cycle TimingState::issue_write(uint32_t bank, Cycle t, bool auto_precharge) {
  Bank& b = banks_[bank];
  Cycle* g = group_row(bank);
  raise(bus(Command::kWr), t + 1);
  raise(b[kClassPre], t + g_.wr_pre);
  raise(g[kClassWr], t + g_.col_l);
  raise(wr_, t + g_.col_s);
  raise(g[kClassRd], t + g_.wr_rd_l);
  raise(rd_, t + g_.wr_rd_s);
  return auto_precharge ? self_precharge(b) : t;
}

inline Cycle TimingState::issue(Command c, uint32_t bank, Cycle t) {
  switch (c) {
    case Command::kAct:
      issue_act(bank, t);
      return t;
    case Command::kRd:
    case Command::kRdA:
      return issue_read(bank, t, c == Command::kRdA);
    case Command::kWr:
    case Command::kWrA:
      return issue_write(bank, t, c == Command::kWrA);
    case Command::kPre:
      issue_pre(bank, t);
      return t;
    default:
      break;
  }
  // PREA (issue_prea() does the rest) and the refreshes: row commands.
  raise(bus(c), t + 1);
  if (c == Command::kRefAb) {
    for (Bank& x : banks_) {
      raise_act(x, t + g_.tRFC);
    }
    raise(ref_, t + g_.tRFC);
  } else if (c == Command::kRefPb) {
    raise_act(banks_[bank], t + g_.tRFCpb);
    raise(act_, t + g_.tRREFD);
    raise(refpb_, t + g_.tRREFD);
  }
  return t;
}

}  // namespace cimsim::memory
