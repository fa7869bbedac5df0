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
  for (auto& words : active_) words.assign((banks_.size() + 63) / 64, 0);
}

Channel::~Channel() = default;

bool Channel::has_room(bool write) const {
  return backlog_.empty() && queued_[write ? 1 : 0] < capacity_[write ? 1 : 0];
}

void Channel::insert(const BurstRequest& r) {
  int dir = r.write ? 1 : 0;
  banks_[r.bank].queue[dir].push_back(r);
  active_[dir][r.bank / 64] |= uint64_t{1} << (r.bank % 64);
  touch(r.bank);
  ++queued_[dir];
  if (r.write && queued_[1] >= config_.controller.write_high_watermark) draining_ = true;
}

void Channel::enqueue(const BurstRequest& r) {
  if (!has_room(r.write)) {
    backlog_.push_back(r);
    return;  // not schedulable yet: the decision stands
  }
  int before = direction();
  insert(r);
  int dir = direction();
  // A new request adds one candidate: unless it changes the direction or the bank of the
  // pending decision, the better of the two is the new decision.
  if (!decision_valid_ || dir != before ||
      (decision_exists_ && (decision_.refresh || decision_.c.bank == r.bank))) {
    decision_valid_ = false;
    return;
  }
  if ((r.write ? 1 : 0) != dir) return;
  Decision d;
  if (bank_candidate(r.bank, dir, refresh_->due(), d) &&
      (!decision_exists_ || better(d, decision_))) {
    decision_ = d;
    decision_exists_ = true;
  }
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

bool Channel::bank_candidate(uint32_t b, int dir, Cycle due, Decision& d) {
  Bank& bank = banks_[b];
  Choice& ch = bank.choice[dir];
  if (!ch.valid) {
    const auto& queue = bank.queue[dir];
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
    ch = Choice{true, c, index, r.row, r.seq, r.submitted};
  }
  Cycle t = std::max({timing_.earliest(ch.command, b), now_, ch.arrival});
  if (t >= due && refresh_->covers(b)) return false;  // the bank is being refreshed
  d.c = Candidate{t, ch.command, b, ch.seq};
  d.row = ch.row;
  d.index = ch.index;
  d.refresh = false;
  return true;
}

// Earlier first; in the same cycle refresh first, then the scheduler's order.
bool Channel::better(const Decision& a, const Decision& b) const {
  if (a.c.time != b.c.time) return a.c.time < b.c.time;
  if (a.refresh != b.refresh) return a.refresh;
  return scheduler_->before(a.c, b.c);
}

bool Channel::decide() {
  decision_valid_ = true;
  const Cycle due = refresh_->due();
  const int dir = direction();
  Decision best, d;
  bool have = false;
  if (queued_[dir] != 0) {
    const auto& words = active_[dir];
    for (size_t w = 0; w < words.size(); ++w) {
      for (uint64_t bits = words[w]; bits != 0; bits &= bits - 1) {
        auto b = static_cast<uint32_t>(w * 64 + __builtin_ctzll(bits));
        if (bank_candidate(b, dir, due, d) && (!have || better(d, best))) {
          best = d;
          have = true;
        }
      }
    }
  }
  // The refresh only matters once nothing else can issue before it falls due.
  if (due != kNever && (!have || best.c.time >= due) && refresh_candidate(d) &&
      (!have || better(d, best))) {
    best = d;
    have = true;
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
      touch(c.bank);
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
      touch(c.bank);
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
        touch(b);
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
  if (queue.empty()) active_[dir][c.bank / 64] &= ~(uint64_t{1} << (c.bank % 64));
  touch(c.bank);
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
