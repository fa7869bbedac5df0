#include "cimsim/memory/channel.hpp"

#include <algorithm>

#include "cimsim/memory/controller.hpp"

namespace cimsim::memory {

Channel::Channel(const MemoryConfig& config, uint32_t unit, Controller* owner, CommandSink* sink)
    : config_(config),
      unit_(unit),
      owner_(owner),
      sink_(sink),
      timing_(config),
      scheduler_(make_scheduler(config.controller)),
      refresh_(make_refresh(config, unit)),
      banks_(config.banks_per_unit()) {
  capacity_ = {config.controller.read_queue_depth, config.controller.write_queue_depth};
}

Channel::~Channel() = default;

bool Channel::has_room(bool write) const {
  return backlog_.empty() && queued_[write ? 1 : 0] < capacity_[write ? 1 : 0];
}

void Channel::insert(const BurstRequest& r) {
  int dir = r.write ? 1 : 0;
  banks_[r.bank].queue[dir].push_back(r);
  ++queued_[dir];
  if (r.write && queued_[1] >= config_.controller.write_high_watermark) draining_ = true;
}

void Channel::enqueue(const BurstRequest& r) {
  if (has_room(r.write)) {
    insert(r);
  } else {
    backlog_.push_back(r);
  }
  decision_valid_ = false;
}

// Column commands free queue slots: the backlog moves up, in order, at the same cycle.
void Channel::admit_backlog(Cycle t) {
  while (!backlog_.empty()) {
    const BurstRequest& r = backlog_.front();
    int dir = r.write ? 1 : 0;
    if (queued_[dir] >= capacity_[dir]) break;
    BurstRequest admitted = r;
    admitted.submitted = std::max(admitted.submitted, t);
    backlog_.pop_front();
    insert(admitted);
  }
}

bool Channel::refresh_candidate(Decision& d) const {
  Cycle due = refresh_->due();
  if (due == kNever) return false;
  d = Decision{};
  d.refresh = true;
  if (refresh_->command() == Command::kRefAb) {
    Cycle t = std::max(due, now_);
    bool any_open = false;
    for (uint32_t b = 0; b < banks_.size(); ++b) {
      if (!banks_[b].open) continue;
      any_open = true;
      t = std::max(t, timing_.earliest(Command::kPre, b));
    }
    if (any_open) {
      d.c = Candidate{std::max(t, timing_.earliest(Command::kPreA, 0)), Command::kPreA, 0, 0};
    } else {
      d.c = Candidate{std::max(t, timing_.earliest(Command::kRefAb, 0)), Command::kRefAb, 0, 0};
    }
    return true;
  }
  uint32_t b = refresh_->bank();
  Command c = banks_[b].open ? Command::kPre : Command::kRefPb;
  d.c = Candidate{std::max({due, now_, timing_.earliest(c, b)}), c, b, 0};
  return true;
}

bool Channel::auto_precharge(const Bank& b, const BurstRequest& r, size_t index, int dir) const {
  PagePolicy p = config_.controller.page_policy;
  if (p == PagePolicy::kOpen) return false;
  if (p == PagePolicy::kClosed) return true;
  bool other_hit = false, miss = false;
  for (int q = 0; q < 2; ++q) {
    const auto& queue = b.queue[q];
    for (size_t i = 0; i < queue.size(); ++i) {
      if (q == dir && i == index) continue;
      (queue[i].row == r.row ? other_hit : miss) = true;
    }
  }
  if (p == PagePolicy::kClosedAdaptive) return !other_hit;
  return !other_hit && miss;  // open_adaptive
}

bool Channel::decide() {
  decision_valid_ = true;
  Decision best;
  bool have = refresh_candidate(best);
  const Cycle due = have ? refresh_->due() : kNever;
  const int dir = (draining_ || queued_[0] == 0) ? 1 : 0;
  if (queued_[dir] != 0) {
    for (uint32_t b = 0; b < banks_.size(); ++b) {
      const Bank& bank = banks_[b];
      const auto& queue = bank.queue[dir];
      if (queue.empty()) continue;
      BankView view{bank.open, bank.row, bank.hits_since_act};
      size_t index = scheduler_->choose(queue, view);
      const BurstRequest& r = queue[index];
      Command c;
      if (!bank.open) {
        c = Command::kAct;
      } else if (bank.row != r.row) {
        c = Command::kPre;
      } else if (auto_precharge(bank, r, index, dir)) {
        c = r.write ? Command::kWrA : Command::kRdA;
      } else {
        c = r.write ? Command::kWr : Command::kRd;
      }
      Cycle t = std::max({timing_.earliest(c, b), now_, r.submitted});
      if (t >= due && refresh_->covers(b)) continue;  // the bank is being refreshed
      Candidate cand{t, c, b, r.seq};
      if (!have || t < best.c.time ||
          (t == best.c.time && !best.refresh && scheduler_->before(cand, best.c))) {
        best = Decision{cand, r.row, index, false};
        have = true;
      }
    }
  }
  decision_ = best;
  decision_exists_ = have;
  return have;
}

void Channel::emit(Cycle t, Command c, uint32_t bank, uint32_t row, uint32_t column) {
  ++stats_.commands[static_cast<int>(c)];
  if (sink_ != nullptr) sink_->on_command(CommandRecord{t, c, unit_, bank, row, column});
}

void Channel::open_bank(Cycle t) {
  if (open_banks_++ == 0 && t > active_end_) {
    active_cycles_ += active_end_ - active_start_;
    active_start_ = t;
    active_end_ = t;
  }
}

void Channel::close_bank(Cycle t) {
  --open_banks_;
  active_end_ = std::max(active_end_, t);
}

void Channel::issue(const Decision& d) {
  const Candidate& c = d.c;
  const Cycle t = c.time;
  now_ = t;
  decision_valid_ = false;
  Bank& bank = banks_[c.bank];
  switch (c.command) {
    case Command::kAct:
      timing_.issue(Command::kAct, c.bank, t);
      bank.open = true;
      bank.row = d.row;
      bank.hits_since_act = 0;
      bank.first_access = true;
      bank.opened_after_conflict = bank.closed_by_conflict;
      open_bank(t);
      emit(t, Command::kAct, c.bank, d.row, 0);
      return;
    case Command::kPre:
      timing_.issue(Command::kPre, c.bank, t);
      bank.open = false;
      bank.closed_by_conflict = !d.refresh;
      close_bank(t);
      emit(t, Command::kPre, c.bank, bank.row, 0);
      return;
    case Command::kPreA: {
      scratch_.clear();
      for (uint32_t b = 0; b < banks_.size(); ++b) {
        if (!banks_[b].open) continue;
        scratch_.push_back(b);
        banks_[b].open = false;
        banks_[b].closed_by_conflict = false;
        close_bank(t);
      }
      timing_.issue_prea(scratch_, t);
      emit(t, Command::kPreA, 0, 0, 0);
      return;
    }
    case Command::kRefAb:
    case Command::kRefPb:
      timing_.issue(c.command, c.bank, t);
      refresh_->refreshed();
      emit(t, c.command, c.bank, 0, 0);
      return;
    default:
      break;
  }
  // A column command: the request leaves its queue.
  const int dir = is_write(c.command) ? 1 : 0;
  auto& queue = bank.queue[dir];
  const BurstRequest r = queue[d.index];
  queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(d.index));
  --queued_[dir];
  if (dir == 1 && queued_[1] <= config_.controller.write_low_watermark) draining_ = false;
  Cycle precharge = timing_.issue(c.command, c.bank, t);
  if (bank.first_access) {
    ++(bank.opened_after_conflict ? stats_.row_conflicts : stats_.row_misses);
  } else {
    ++stats_.row_hits;
  }
  bank.first_access = false;
  ++bank.hits_since_act;
  ++(dir == 1 ? stats_.write_bursts : stats_.read_bursts);
  if (is_auto_precharge(c.command)) {
    bank.open = false;
    bank.closed_by_conflict = false;
    close_bank(precharge);
  }
  emit(t, c.command, c.bank, r.row, r.column);
  const Timing& tm = config_.timing;
  owner_->on_burst_issued(r.tx, t + (dir == 1 ? tm.WL : tm.RL) + config_.burst_cycles());
  admit_backlog(t);
}

void Channel::advance_to(Cycle t) {
  for (;;) {
    if (!decision_valid_) decide();
    if (!decision_exists_ || decision_.c.time >= t) return;
    issue(decision_);
  }
}

Cycle Channel::step() {
  if (!decision_valid_) decide();
  if (!decision_exists_) return kNever;
  Cycle t = decision_.c.time;
  issue(decision_);
  return t;
}

Cycle Channel::next_time() {
  if (!busy()) return kNever;
  if (!decision_valid_) decide();
  return decision_exists_ ? decision_.c.time : kNever;
}

void Channel::add_stats(MemoryStats& s, Cycle now) const {
  for (int i = 0; i < kCommandKinds; ++i) s.commands[i] += stats_.commands[i];
  s.read_bursts += stats_.read_bursts;
  s.write_bursts += stats_.write_bursts;
  s.row_hits += stats_.row_hits;
  s.row_misses += stats_.row_misses;
  s.row_conflicts += stats_.row_conflicts;
  Cycle end = open_banks_ > 0 ? std::max(now, active_start_) : std::min(active_end_, now);
  s.active_cycles += active_cycles_ + (end > active_start_ ? end - active_start_ : 0);
}

}  // namespace cimsim::memory
