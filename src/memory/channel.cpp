#include "cimsim/memory/channel.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "cimsim/memory/controller.hpp"

namespace cimsim::memory {

// RequestQueue::push_back() copies a request member by member: a new member must be added there.
static_assert(sizeof(BurstRequest) == 40, "RequestQueue::push_back copies every member");

// How far ahead (in requests, 40 bytes each) the backlog's slots are prefetched.
constexpr size_t kBacklogAhead = 8;

void RequestQueue::make_room() {
  if (head_ != 0 && size_t{head_} * 2 >= capacity_) {
    std::move(buf_.get() + head_, buf_.get() + tail_, buf_.get());
    tail_ -= head_;
    head_ = 0;
    return;
  }
  const size_t grown = std::max<size_t>(16, size_t{capacity_} * 2);
  if (grown > std::numeric_limits<uint32_t>::max()) {
    throw std::length_error("RequestQueue: more than 2^32 - 1 queued bursts");
  }
  // Uninitialised: value-initialising the new buffer (a memset of all of it, about 3 % of a
  // Llama-2-7B run) is wasted, every slot is written before it is read.
  static_assert(std::is_trivially_copyable_v<BurstRequest> &&
                std::is_trivially_destructible_v<BurstRequest>);
  std::unique_ptr<BurstRequest[], Release> bigger(
      static_cast<BurstRequest*>(::operator new(grown * sizeof(BurstRequest))));
  std::uninitialized_copy(buf_.get() + head_, buf_.get() + tail_, bigger.get());
  tail_ -= head_;
  head_ = 0;
  buf_ = std::move(bigger);
  capacity_ = static_cast<uint32_t>(grown);
}

Channel::Channel(const MemoryConfig& config, uint32_t unit, Controller* owner, CommandSink* sink)
    : owner_(owner),
      sink_(sink),
      banks_(config.banks_per_unit()),
      timing_(config),
      unit_(unit),
      refresh_(config.controller.refresh.make(config, unit)),
      page_(config.controller.page_policy.make()) {
  capacity_ = {config.controller.read_queue_depth, config.controller.write_queue_depth};
  data_delay_ = {Cycle{config.timing.RL} + config.burst_cycles(),
                 Cycle{config.timing.WL} + config.burst_cycles()};
  due_ = refresh_->due();
  scheduler_ = config.controller.scheduler.make(SchedulerSetup{&config, unit, &view_});
  fr_fcfs_ = dynamic_cast<const FrFcfsScheduler*>(scheduler_.get());
  fcfs_ = dynamic_cast<const FcfsScheduler*>(scheduler_.get());
  observes_ = scheduler_->observes_service();
  sched_change_ = observes_ ? scheduler_->next_change() : kNever;
  for (uint32_t b = 0; b < banks_.size(); ++b) {
    banks_[b].group_key = static_cast<uint8_t>(timing_.group_of(b) * kClasses);
  }
  const std::optional<bool> fixed = page_->fixed();
  page_fixed_ = fixed.has_value();
  page_always_ = fixed.value_or(false);
  write_high_ = config.controller.write_high_watermark;
  write_low_ = config.controller.write_low_watermark;
}

Channel::~Channel() = default;

bool Channel::insert(const BurstRequest& r, Cycle submitted) {
  const int dir = r.write ? 1 : 0;
  RequestQueue& queue = banks_[r.bank].queue[dir];
  const uint64_t b = bit(r.bank);
  // Without an adaptive page policy a bank's choice depends on its own queue only, and
  // often a new request at the back cannot change it.
  bool kept = false;
  if (!page_fixed_) {
    touch(b);
  } else {
    kept =
        (stale_[dir] & b) == 0 && keeps_choice(queue, view(r.bank), choices_[dir][r.bank].index, r);
    if (!kept) {
      stale_[dir] |= b;
    }
  }
  queue.push_back(r, submitted);
  active_[dir] |= b;
  ++queued_[dir];
  if (r.write && queued_[1] >= write_high_) {
    draining_ = true;
  }
  return kept;
}

void Channel::enqueue(const BurstRequest& r) {
  if (!has_room(r.write)) {
    // A backlog can grow to megabytes (a large DMA split into bursts at once), written here
    // and read back by admit_backlog() long after: out of the cache both times, and visited
    // too rarely for the hardware prefetcher, so both ends load a few slots ahead.
    backlog_.prefetch_back(kBacklogAhead);
    backlog_.push_back(r);
    return;  // not schedulable yet: the decision stands
  }
  const int before = direction();
  const bool kept = insert(r, r.submitted);
  const int dir = direction();
  // A new request adds one candidate: unless it changes the direction or the bank of the
  // pending decision, the better of the two is the new decision; if it leaves its bank's
  // choice as it was, the decision stands.
  const bool stands = decision_valid_ && dir == before && !(decision_exists_ && decision_.refresh);
  if (stands && kept) {
    return;
  }
  if ((r.write ? 1 : 0) == dir && active_[dir] == bit(r.bank)) {
    // Its bank is the only one with requests of this direction (often so on a lightly
    // loaded pseudo-channel): its choice is what decide() would find, unless a refresh may
    // come first.
    const UnitBounds unit = unit_bounds();
    refresh_choices(dir, bit(r.bank));
    const Cycle t = candidate_time(dir, r.bank, unit);
    decision_valid_ = t < due_;
    if (decision_valid_) {
      set_decision(r.bank, dir, t);
      decision_exists_ = true;
    }
    return;
  }
  if (!stands || (decision_exists_ && decision_.bank == r.bank)) {
    decision_valid_ = false;
    return;
  }
  if ((r.write ? 1 : 0) != dir) {
    return;
  }
  refresh_choices(dir, bit(r.bank));
  Cycle t = candidate_time(dir, r.bank, unit_bounds());
  if (t >= due_) {  // near a refresh: let decide() sort it out
    decision_valid_ = false;
    return;
  }
  Decision d = make_decision(r.bank, dir, t);
  if (!decision_exists_ || better(d, decision_)) {
    decision_ = d;
    decision_exists_ = true;
  }
}

// Column commands free queue slots: the backlog moves up, in order, at the same cycle.
void Channel::admit_backlog(Cycle t) {
  while (!backlog_.empty()) {
    const BurstRequest& r = backlog_.front();
    int dir = r.write ? 1 : 0;
    if (queued_[dir] >= capacity_[dir]) {
      break;
    }
    // Straight from the backlog's slot (a copy with a new arrival cycle, read back at once
    // with wide loads, stalled on the narrow store of that cycle).
    backlog_.prefetch(kBacklogAhead);
    insert(r, std::max(r.submitted, t));
    backlog_.pop_front();
  }
}

bool Channel::refresh_candidate(Decision& d) const {
  Cycle due = due_;
  if (due == kNever) {
    return false;
  }
  d = Decision{};
  d.refresh = true;
  if (refresh_->command() == Command::kRefAb) {
    Cycle t = std::max(due, now_);
    for (uint64_t bits = open_; bits != 0; bits &= bits - 1) {
      t = std::max(t,
                   timing_.earliest(Command::kPre, static_cast<uint32_t>(__builtin_ctzll(bits))));
    }
    d.command = open_ != 0 ? Command::kPreA : Command::kRefAb;
    d.time = std::max(t, timing_.earliest(d.command, 0));
    return true;
  }
  d.bank = refresh_->bank();
  d.command = is_open(d.bank) ? Command::kPre : Command::kRefPb;
  d.time = std::max({due, now_, timing_.earliest(d.command, d.bank)});
  return true;
}

bool Channel::auto_precharge(uint32_t bank, size_t index, int dir) const {
  const auto& q = banks_[bank].queue;
  const QueueView queues[2] = {{q[0].data(), q[0].size()}, {q[1].data(), q[1].size()}};
  return page_->auto_precharge(queues, dir, index);
}

template <class S>
inline void Channel::refresh_choices_with(const S& scheduler, int dir, uint64_t banks) {
  Choices& c = choices_[dir];
  for (uint64_t bits = banks & stale_[dir]; bits != 0; bits &= bits - 1) {
    auto b = static_cast<uint32_t>(__builtin_ctzll(bits));
    const Bank& bank = banks_[b];
    const RequestQueue& queue = bank.queue[dir];
    // With one request there is nothing to choose.
    size_t index = 0;
    if (queue.size() > 1) {
      index = scheduler.choose(queue.data(), queue.size(), view(b));
    }
    const BurstRequest& r = queue[index];
    Command cmd = Command::kAct;
    CommandClass cls = kClassAct;
    if (!is_open(b)) {
      cmd = Command::kAct;
    } else if (bank.row != r.row) {
      cmd = Command::kPre;
      cls = kClassPre;
    } else {
      const bool ap = page_fixed_ ? page_always_ : auto_precharge(b, index, dir);
      cmd = dir == 1 ? (ap ? Command::kWrA : Command::kWr) : (ap ? Command::kRdA : Command::kRd);
      cls = dir == 1 ? kClassWr : kClassRd;
    }
    Choice& x = c[b];
    x.command = cmd;
    x.index = static_cast<uint32_t>(index);
    x.priority = scheduler.priority(cmd, r);
    x.bound = std::max(r.submitted, timing_.bank_bound(cls, b));
    x.key = static_cast<uint8_t>(bank.group_key + cls);
  }
  stale_[dir] &= ~banks;
}

// The built-in schedulers are final classes: called through their own type, their methods
// are inlined instead of dispatched.
void Channel::refresh_choices(int dir, uint64_t banks) {
  if (fr_fcfs_ != nullptr) {
    refresh_choices_with(*fr_fcfs_, dir, banks);
  } else if (fcfs_ != nullptr) {
    refresh_choices_with(*fcfs_, dir, banks);
  } else {
    refresh_choices_with(*scheduler_, dir, banks);
  }
}

bool Channel::keeps_choice(const RequestQueue& queue, const BankView& view, size_t chosen,
                           const BurstRequest& next) const {
  if (fr_fcfs_ != nullptr) {
    return fr_fcfs_->keeps_choice(queue.data(), queue.size(), view, chosen, next);
  }
  if (fcfs_ != nullptr) {
    return true;
  }
  return scheduler_->keeps_choice(queue.data(), queue.size(), view, chosen, next);
}

// Earlier first; in the same cycle refresh first, then the scheduler's order.
bool Channel::better(const Decision& a, const Decision& b) const {
  if (a.time != b.time) {
    return a.time < b.time;
  }
  if (a.refresh != b.refresh) {
    return a.refresh;
  }
  return a.priority < b.priority;
}

void Channel::decide() {
  if (fr_fcfs_ != nullptr) {
    decide_with(*fr_fcfs_);
  } else if (fcfs_ != nullptr) {
    decide_with(*fcfs_);
  } else {
    decide_with(*scheduler_);
  }
}

namespace {
// (best_hi, best_lo, best_b) = (hi, lo, b) if (hi, lo) < (best_hi, best_lo) as one 128-bit
// number: one compare, a subtract with borrow and three conditional moves on its flag, no
// branch (the outcome is close to random: mispredictions cost more than the arithmetic).
// Written out for x86-64, where compilers evaluate the comparison twice for the two kinds of
// move; elsewhere the same in C++. The outputs are early-clobbered: written before the last
// input is read, they must not share a register with one (scratch starts equal to hi).
[[gnu::always_inline]] inline void take_if_smaller(uint64_t hi, uint64_t lo, uint64_t b,
                                                   uint64_t& best_hi, uint64_t& best_lo,
                                                   uint64_t& best_b) {
#if defined(__x86_64__)
  uint64_t scratch = hi;
  __asm__(
      "cmp %[best_lo], %[lo]\n\t"
      "sbb %[best_hi], %[scratch]\n\t"
      "cmovb %[lo], %[best_lo]\n\t"
      "cmovb %[hi], %[best_hi]\n\t"
      "cmovb %[b], %[best_b]"
      : [best_lo] "+&r"(best_lo), [best_hi] "+&r"(best_hi), [best_b] "+&r"(best_b),
        [scratch] "+&r"(scratch)
      : [lo] "r"(lo), [hi] "r"(hi), [b] "r"(b)
      : "cc");
#else
  const bool take = hi < best_hi || (hi == best_hi && lo < best_lo);
  best_hi = take ? hi : best_hi;
  best_lo = take ? lo : best_lo;
  best_b = take ? b : best_b;
#endif
}
}  // namespace

template <class S>
void Channel::decide_with(const S& scheduler) {
  decision_valid_ = true;
  const Cycle due = due_;
  const int dir = direction();
  const Choices& c = choices_[dir];
  const uint64_t active = active_[dir];
  Cycle best_time = kNever;
  uint64_t best_priority = 0;
  uint32_t best_bank = 0;
  if (queued_[dir] != 0) {
    if ((active & stale_[dir]) != 0) {
      refresh_choices_with(scheduler, dir, active);
    }
    const UnitBounds unit = unit_bounds();
    // The hot loop: no calls, and no branch on the comparison (take_if_smaller). (time,
    // priority) is compared as one 128-bit number (3 cycles a bank on the loop-carried
    // chain, against 6 for two 64-bit compares combined into a mask). Strictly smaller: on a
    // full tie the lowest bank stays, and a bank at kNever never makes best_time finite.
    const Choice* choice = c.data();
    const Cycle* group = timing_.group_table();
    uint64_t best_hi = kNever, best_lo = ~uint64_t{0}, bank = 0;
    for (uint64_t bits = active; bits != 0; bits &= bits - 1) {
      const uint64_t b = static_cast<uint64_t>(__builtin_ctzll(bits));
      const Choice& x = choice[b];
      const Cycle t = std::max(std::max(unit[x.key % kClasses], group[x.key]), x.bound);
      take_if_smaller(t, x.priority, b, best_hi, best_lo, bank);
    }
    best_time = best_hi;
    best_priority = best_lo;
    best_bank = static_cast<uint32_t>(bank);
    if (best_time >= due && best_time != kNever) {
      // Near a refresh: banks it covers take nothing new from the due cycle on.
      best_time = kNever;
      for (uint64_t bits = active; bits != 0; bits &= bits - 1) {
        auto b = static_cast<uint32_t>(__builtin_ctzll(bits));
        Cycle t = candidate_time(dir, b, unit);
        if (t >= due && refresh_->covers(b)) {
          continue;
        }
        if (t < best_time || (t == best_time && c[b].priority < best_priority)) {
          best_time = t;
          best_priority = c[b].priority;
          best_bank = b;
        }
      }
    }
  }
  decision_exists_ = best_time != kNever;
  if (decision_exists_) {
    set_decision(best_bank, dir, best_time);
  }
  if (due == kNever || (decision_exists_ && best_time < due)) {
    return;
  }
  if (!decision_exists_) {
    // Only the refresh is left; its exact cycle is worked out when it is about to issue.
    decision_ = Decision{};
    decision_.time = due;
    decision_.refresh = true;
    decision_.unresolved = true;
    decision_exists_ = true;
    return;
  }
  Decision d;
  if (refresh_candidate(d) && better(d, decision_)) {
    decision_ = d;
  }
}

void Channel::resolve() {
  if (decision_.unresolved) {
    refresh_candidate(decision_);
  }
}

void Channel::emit(Cycle t, Command c, uint32_t bank, uint32_t row, uint32_t column) {
  ++counters_.commands[static_cast<int>(c)];
  if (sink_ != nullptr) {
    sink_->on_command(CommandRecord{t, c, unit_, bank, row, column});
  }
}

void Channel::open_bank(uint32_t bank, Cycle t) {
  if (open_ == 0 && t > active_end_) {
    active_cycles_ += active_end_ - active_start_;
    active_start_ = t;
    active_end_ = t;
  }
  open_ |= bit(bank);
}

// Rows of `banks` (all open) close at cycle t.
void Channel::close_banks(uint64_t banks, Cycle t) {
  open_ &= ~banks;
  active_end_ = std::max(active_end_, t);
}

void Channel::issue(const Decision& decision) {
  const Decision d = decision;  // decision_ itself is rebuilt from here on
  const Cycle t = d.time;
  const uint32_t b = d.bank;
  now_ = t;
  decision_valid_ = false;
  Bank& bank = banks_[b];
  const uint64_t mask = bit(b);
  switch (d.command) {
    case Command::kAct: {
      const uint32_t row = bank.queue[d.dir][d.index].row;
      touch(mask);
      timing_.issue_act(b, t);
      open_bank(b, t);
      bank.row = row;
      bank.hits_since_act = 0;
      fresh_ |= mask;
      reopened_ = (reopened_ & ~mask) | (conflict_closed_ & mask);
      emit(t, Command::kAct, b, row, 0);
      return;
    }
    case Command::kPre:
      touch(mask);
      timing_.issue_pre(b, t);
      close_banks(mask, t);
      conflict_closed_ = d.refresh ? conflict_closed_ & ~mask : conflict_closed_ | mask;
      emit(t, Command::kPre, b, bank.row, 0);
      return;
    case Command::kPreA: {
      const uint64_t closing = open_;
      touch(closing);
      close_banks(closing, t);
      conflict_closed_ &= ~closing;
      timing_.issue_prea(closing, t);
      emit(t, Command::kPreA, 0, 0, 0);
      return;
    }
    case Command::kRefAb:
    case Command::kRefPb:
      touch(d.command == Command::kRefAb ? ~uint64_t{0} : mask);
      timing_.issue(d.command, b, t);
      refresh_->refreshed();
      due_ = refresh_->due();
      emit(t, d.command, b, 0, 0);
      return;
    default:
      break;
  }
  // A column command: the request leaves its queue.
  const int dir = d.dir;
  RequestQueue& queue = bank.queue[dir];
  const BurstRequest r = queue[d.index];
  queue.erase(d.index);
  if (queue.empty()) {
    active_[dir] &= ~mask;
  }
  touch(mask);
  --queued_[dir];
  if (dir == 1 && queued_[1] <= write_low_) {
    draining_ = false;
  }
  const bool auto_pre = is_auto_precharge(d.command);
  const Cycle precharge =
      dir == 1 ? timing_.issue_write(b, t, auto_pre) : timing_.issue_read(b, t, auto_pre);
  if ((fresh_ & mask) != 0) {
    ++((reopened_ & mask) != 0 ? counters_.row_conflicts : counters_.row_misses);
  } else {
    ++counters_.row_hits;
  }
  fresh_ &= ~mask;
  ++bank.hits_since_act;
  ++(dir == 1 ? counters_.write_bursts : counters_.read_bursts);
  if (auto_pre) {
    close_banks(mask, precharge);
    conflict_closed_ &= ~mask;
  }
  emit(t, d.command, b, r.row, r.column);
  owner_->on_burst_issued(r, t + data_delay_[dir]);
  if (observes_ && scheduler_->served(r, t)) {
    touch(~uint64_t{0});  // the scheduler's order of the other requests changed
    sched_change_ = scheduler_->next_change();
  }
  if (!backlog_.empty()) {
    admit_backlog(t);
  }
}

// Idle time costs nothing: with no request queued, no row open and no command sink
// listening, the refreshes due long before `t` are counted in closed form instead of issued
// one by one (a trace idle for 10^12 cycles would otherwise issue ~10^8 REFs per channel).
// The last banks + 1 of them still issue normally, so every bank's timing state is what
// issuing all of them would have left: a REF's constraints expire within one interval.
void Channel::skip_idle_refreshes(Cycle t) {
  if (sink_ != nullptr || busy() || open_ != 0) {
    return;
  }
  const Cycle due = due_;
  const Cycle interval = refresh_->interval();
  if (interval == 0 || due == kNever || t <= due) {
    return;
  }
  const uint64_t pending = (t - 1 - due) / interval + 1;  // REFs due in [due, t)
  const uint64_t keep = banks_.size() + 1;
  if (pending <= keep) {
    return;
  }
  const uint64_t n = pending - keep;
  counters_.commands[static_cast<int>(refresh_->command())] += n;
  refresh_->skip(n);
  due_ = refresh_->due();  // the channel's copy, read by decide() and refresh_candidate()
  decision_valid_ = false;
}

void Channel::apply_scheduler_change(Cycle t) {
  const Cycle at = scheduler_->advance(t);
  sched_change_ = scheduler_->next_change();
  // Nothing issued before the change, and nothing can arrive before t: the next command is
  // decided with the new order and issues no earlier than the change.
  now_ = std::max(now_, at);
  touch(~uint64_t{0});
  decision_valid_ = false;
}

void Channel::advance_to(Cycle t) {
  // A stateless scheduler costs this one test per call.
  if (!observes_) {
    advance_with<false>(t);
  } else {
    advance_with<true>(t);
  }
}

template <bool kChanges>
void Channel::advance_with(Cycle t) {
  skip_idle_refreshes(t);
  for (;;) {
    if (!decision_valid_) {
      decide();
    }
    const Cycle next = decision_exists_ ? decision_.time : kNever;
    if constexpr (kChanges) {
      if (sched_change_ < t && sched_change_ <= next) {
        apply_scheduler_change(std::min(next, t - 1));
        continue;
      }
    }
    if (next >= t) {
      return;
    }
    if (decision_.unresolved) {
      resolve();
      if (decision_.time >= t) {
        return;
      }
    }
    issue(decision_);
    if (decision_.refresh) {
      skip_idle_refreshes(t);  // the refresh may have closed the last open rows
    }
  }
}

Cycle Channel::next_time() {
  if (!busy()) {
    return kNever;
  }
  if (!decision_valid_) {
    decide();
    // issue() reads the request; a decision asked for here is often issued only after the
    // caller has done other work (the von Neumann machine), by which time it is cold.
    if (decision_exists_ && !decision_.refresh) {
      banks_[decision_.bank].queue[decision_.dir].prefetch(decision_.index);
    }
  }
  if (!decision_exists_) {
    return kNever;
  }
  resolve();
  // A stateful scheduler may change its order first (and then choose an earlier command).
  return std::min(decision_.time, sched_change_);
}

void Channel::add_stats(MemoryStats& s, Cycle now) const {
  for (int i = 0; i < kCommandKinds; ++i) {
    s.commands[i] += counters_.commands[i];
  }
  s.read_bursts += counters_.read_bursts;
  s.write_bursts += counters_.write_bursts;
  s.row_hits += counters_.row_hits;
  s.row_misses += counters_.row_misses;
  s.row_conflicts += counters_.row_conflicts;
  Cycle end = open_ != 0 ? std::max(now, active_start_) : std::min(active_end_, now);
  s.active_cycles += active_cycles_ + (end > active_start_ ? end - active_start_ : 0);
}

}  // namespace cimsim::memory
