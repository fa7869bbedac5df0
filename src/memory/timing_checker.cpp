// The rules below are written from the JEDEC tables (JESD235 HBM2 / JESD238 HBM3 list the
// same pairs), one check per (earlier command, later command, scope); nothing here is shared
// with the controller's TimingState, which folds the same rules into per-level bounds.
#include "cimsim/memory/timing_checker.hpp"

#include <algorithm>
#include <deque>
#include <optional>

namespace cimsim::memory {

namespace {
using Opt = std::optional<Cycle>;
}  // namespace

struct TimingChecker::Unit {
  struct Bank {
    bool open = false;
    uint32_t row = 0;
    Opt act, precharge, rd, wr, refpb;  // last ACT, precharge start, RD, WR, REFpb
  };
  std::vector<Bank> banks;
  std::vector<Opt> group_act, group_rd, group_wr;
  Opt any_act, any_rd, any_wr, refab, any_refpb;
  uint32_t last_refpb_bank = 0;
  std::deque<Cycle> acts;  // the last four ACTs
  Opt last_cycle;
  Opt row_bus, col_bus;
  std::deque<std::pair<Cycle, Cycle>> data;  // recent data-bus windows [begin, end)
};

std::string TimingViolation::message() const {
  std::string where = std::string(command_name(record.command)) + " unit " +
                      std::to_string(record.unit) + " bank " + std::to_string(record.bank);
  return "cycle " + std::to_string(record.cycle) + ": " + where + " violates " + constraint +
         (earliest != 0 ? " (earliest legal cycle " + std::to_string(earliest) + ")" : "") +
         (detail.empty() ? "" : ": " + detail);
}

TimingChecker::TimingChecker(const MemoryConfig& config, size_t max_violations)
    : config_(config), max_violations_(max_violations) {
  units_.resize(config.units());
  for (Unit& u : units_) {
    u.banks.resize(config.banks_per_unit());
    u.group_act.resize(config.organisation.bank_groups);
    u.group_rd.resize(config.organisation.bank_groups);
    u.group_wr.resize(config.organisation.bank_groups);
  }
}

TimingChecker::~TimingChecker() = default;

void TimingChecker::report(const CommandRecord& r, const std::string& constraint, Cycle earliest,
                           const std::string& detail) {
  ++count_;
  if (violations_.size() < max_violations_) {
    violations_.push_back(TimingViolation{r, constraint, earliest, detail});
  }
}

void TimingChecker::on_command(const CommandRecord& r) {
  ++checked_;
  if (r.unit >= units_.size() || r.bank >= config_.banks_per_unit()) {
    report(r, "address", 0, "unit or bank out of range");
    return;
  }
  const Timing& T = config_.timing;
  const Cycle burst = config_.burst_cycles();
  const uint32_t bpg = config_.organisation.banks_per_group;
  Unit& u = units_[r.unit];
  const Cycle t = r.cycle;
  const uint32_t g = r.bank / bpg;
  Unit::Bank& bank = u.banks[r.bank];

  // prev + gap <= t, else a violation named `what`.
  auto need = [&](const Opt& prev, Cycle gap, const char* what, const char* prev_name) {
    if (prev && t < *prev + gap) {
      report(r, what, *prev + gap,
             std::string(prev_name) + " at " + std::to_string(*prev) + " + " + std::to_string(gap));
    }
  };
  auto state = [&](const std::string& what) { report(r, "bank state", 0, what); };

  if (u.last_cycle && t < *u.last_cycle) {
    report(r, "command order", *u.last_cycle, "issued before the previous command");
  }
  u.last_cycle = std::max(t, u.last_cycle.value_or(0));

  // Command bus: one row and one column command per cycle, or one command per cycle.
  bool single = config_.controller.command_bus == CommandBus::kSingle;
  bool column = is_column(r.command);
  Opt& bus = (single || !column) ? u.row_bus : u.col_bus;
  if ((single && ((u.row_bus && *u.row_bus == t) || (u.col_bus && *u.col_bus == t))) ||
      (!single && bus && *bus == t)) {
    report(r, "command bus", t + 1, "another command uses the bus in this cycle");
  }
  bus = t;

  // The precharge a bank performs after RDA/WRA starts no earlier than these.
  auto precharge_start_after = [&](const Unit::Bank& b, Cycle from) {
    Cycle p = from;
    if (b.act) {
      p = std::max(p, *b.act + T.tRAS);
    }
    if (b.rd) {
      p = std::max(p, *b.rd + T.tRTP);
    }
    if (b.wr) {
      p = std::max(p, *b.wr + T.WL + burst + T.tWR);
    }
    return p;
  };
  auto check_precharge = [&](const Unit::Bank& b) {
    need(b.act, T.tRAS, "tRAS", "ACT");
    need(b.rd, T.tRTP, "tRTP", "RD");
    need(b.wr, T.WL + burst + T.tWR, "tWR", "WR (WL + burst + tWR)");
  };
  auto check_data_bus = [&](Cycle latency) {
    Cycle begin = t + latency, end = begin + burst;
    for (const auto& [b, e] : u.data) {
      if (begin < e && b < end) {
        report(r, "data bus", t + (e - begin),
               "data overlaps a burst on [" + std::to_string(b) + ", " + std::to_string(e) + ")");
        break;
      }
    }
    u.data.emplace_back(begin, end);
    if (u.data.size() > 16) {
      u.data.pop_front();
    }
  };

  switch (r.command) {
    case Command::kAct: {
      if (bank.open) {
        state("ACT to a bank with row " + std::to_string(bank.row) + " open");
      }
      need(bank.precharge, T.tRP, "tRP", "precharge");
      need(bank.act, T.tRC, "tRC", "ACT same bank");
      need(u.group_act[g], T.tRRD_L, "tRRD_L", "ACT same bank group");
      need(u.any_act, T.tRRD_S, "tRRD_S", "ACT");
      if (u.acts.size() == 4) {
        need(u.acts.front(), T.tFAW, "tFAW", "fourth-last ACT");
      }
      need(u.refab, T.tRFC, "tRFC", "REFab");
      need(bank.refpb, T.tRFCpb, "tRFCpb", "REFpb same bank");
      if (u.any_refpb && u.last_refpb_bank != r.bank) {
        need(u.any_refpb, T.tRREFD, "tRREFD", "REFpb other bank");
      }
      bank.open = true;
      bank.row = r.row;
      bank.act = t;
      bank.rd.reset();
      bank.wr.reset();
      u.group_act[g] = t;
      u.any_act = t;
      u.acts.push_back(t);
      if (u.acts.size() > 4) {
        u.acts.pop_front();
      }
      break;
    }
    case Command::kRd:
    case Command::kRdA:
    case Command::kWr:
    case Command::kWrA: {
      bool write = is_write(r.command);
      if (!bank.open) {
        state("column command to a closed bank");
      } else if (bank.row != r.row) {
        state("column command to row " + std::to_string(r.row) + " while row " +
              std::to_string(bank.row) + " is open");
      }
      if (write) {
        need(bank.act, T.tRCDWR, "tRCDWR", "ACT");
        need(u.group_wr[g], T.tCCD_L, "tCCD_L", "WR same bank group");
        need(u.any_wr, T.tCCD_S, "tCCD_S", "WR");
        need(u.any_rd, T.tRTW, "tRTW", "RD");
        check_data_bus(T.WL);
      } else {
        need(bank.act, T.tRCDRD, "tRCDRD", "ACT");
        need(u.group_rd[g], T.tCCD_L, "tCCD_L", "RD same bank group");
        need(u.any_rd, T.tCCD_S, "tCCD_S", "RD");
        need(u.group_wr[g], T.WL + burst + T.tWTR_L, "tWTR_L",
             "WR same group (WL + burst + tWTR_L)");
        need(u.any_wr, T.WL + burst + T.tWTR_S, "tWTR_S", "WR (WL + burst + tWTR_S)");
        check_data_bus(T.RL);
      }
      (write ? bank.wr : bank.rd) = t;
      (write ? u.group_wr[g] : u.group_rd[g]) = t;
      (write ? u.any_wr : u.any_rd) = t;
      if (is_auto_precharge(r.command)) {
        bank.precharge = precharge_start_after(bank, t);
        bank.open = false;
      }
      break;
    }
    case Command::kPre:
      if (bank.open) {
        check_precharge(bank);
        bank.precharge = t;
        bank.open = false;
      }
      break;
    case Command::kPreA:
      for (Unit::Bank& b : u.banks) {
        if (!b.open) {
          continue;
        }
        check_precharge(b);
        b.precharge = t;
        b.open = false;
      }
      break;
    case Command::kRefAb:
      // (Without refresh there is no REFab to check.)
      if (u.refab && t > *u.refab + 9ull * T.tREFI) {
        report(r, "tREFI", *u.refab + 9ull * T.tREFI, "more than 8 refreshes postponed");
      }
      for (const Unit::Bank& b : u.banks) {
        if (b.open) {
          state("REFab while a bank is open");
        }
        need(b.precharge, T.tRP, "tRP", "precharge");
        need(b.act, T.tRC, "tRC", "ACT");
        need(b.refpb, T.tRFCpb, "tRFCpb", "REFpb");
      }
      need(u.refab, T.tRFC, "tRFC", "REFab");
      u.refab = t;
      break;
    case Command::kRefPb:
      if (bank.open) {
        state("REFpb to an open bank");
      }
      need(bank.precharge, T.tRP, "tRP", "precharge");
      need(bank.act, T.tRC, "tRC", "ACT same bank");
      need(bank.refpb, T.tRFCpb, "tRFCpb", "REFpb same bank");
      need(u.refab, T.tRFC, "tRFC", "REFab");
      need(u.any_refpb, T.tRREFD, "tRREFD", "REFpb");
      need(u.any_act, T.tRRD_S, "tRRD_S", "ACT");
      bank.refpb = t;
      u.any_refpb = t;
      u.last_refpb_bank = r.bank;
      break;
  }
}

std::vector<TimingViolation> TimingChecker::check(const MemoryConfig& config,
                                                  const std::vector<CommandRecord>& log) {
  TimingChecker c(config);
  for (const auto& r : log) {
    c.on_command(r);
  }
  return c.violations();
}

}  // namespace cimsim::memory
