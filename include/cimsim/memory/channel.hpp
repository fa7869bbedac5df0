// One pseudo-channel: its banks, per-bank request queues, backlog, scheduler, refresh and
// timing state, advanced in time by plain function calls.
//
// Event-driven without a clock: the channel computes the next command it would issue (the
// earliest legal cycle over all candidates, ties broken by the scheduler, refresh first) and
// issues it only when asked to advance past that cycle. Issuing many commands in one
// advance_to() call gives exactly the commands that issuing them one step() at a time would:
// both run the same decide/issue loop, and a decision depends only on the state at its cycle.
//
// Requests enter the read or write queue of their bank when it has room (read_queue_depth /
// write_queue_depth per pseudo-channel); otherwise they wait in the backlog, in order, and
// enter as column commands free slots. Reads are served unless writes fill the write queue to
// the high watermark (then writes drain down to the low watermark) or no read is queued.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "cimsim/memory/command.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/refresh.hpp"
#include "cimsim/memory/scheduler.hpp"
#include "cimsim/memory/stats.hpp"
#include "cimsim/memory/timing_state.hpp"

namespace cimsim::memory {

class Controller;

// Requests in arrival order: a bank's queue of one direction, or a channel's backlog. Taking
// the oldest, by far the most common case, only moves a start index; taking a later one
// (an FR-FCFS row hit) shifts the fewer of the elements before or after it. Storage is
// reused: nothing is allocated once the queue has reached its largest size.
class RequestQueue {
 public:
  size_t size() const { return tail_ - head_; }
  bool empty() const { return head_ == tail_; }
  const BurstRequest* data() const { return buf_.data() + head_; }
  const BurstRequest& operator[](size_t i) const { return buf_[head_ + i]; }
  const BurstRequest& front() const { return buf_[head_]; }
  void push_back(const BurstRequest& r) {
    if (tail_ == buf_.size()) {
      make_room();
    }
    buf_[tail_++] = r;
  }
  void pop_front() {
    if (++head_ == tail_) {
      head_ = tail_ = 0;
    }
  }
  // Removes the i-th oldest, keeping the order of the others.
  void erase(size_t i) {
    BurstRequest* first = buf_.data() + head_;
    if (i < size() / 2) {
      std::move_backward(first, first + i, first + i + 1);
      ++head_;
    } else {
      std::move(first + i + 1, buf_.data() + tail_, first + i);
      --tail_;
    }
    if (head_ == tail_) {
      head_ = tail_ = 0;
    }
  }

 private:
  // The buffer is full at the back: slide down if at least half of it is free at the front
  // (so each element moves O(1) times on average), else grow.
  void make_room() {
    if (head_ != 0 && head_ * 2 >= buf_.size()) {
      std::move(buf_.begin() + static_cast<std::ptrdiff_t>(head_), buf_.end(), buf_.begin());
      tail_ -= head_;
      head_ = 0;
    } else {
      buf_.resize(std::max<size_t>(16, buf_.size() * 2));
    }
  }
  std::vector<BurstRequest> buf_;  // buf_[head_, tail_) are queued
  size_t head_ = 0, tail_ = 0;
};

class Channel {
 public:
  Channel(const MemoryConfig& config, uint32_t unit, Controller* owner, CommandSink* sink);
  ~Channel();

  // Queues a burst at cycle r.submitted, which must not precede a cycle already advanced to.
  void enqueue(const BurstRequest& r);
  // Issues every command whose cycle is < t.
  void advance_to(Cycle t);
  // Issues the next command, whatever its cycle; returns that cycle (kNever if there is none).
  Cycle step();
  // Cycle of the next command while bursts are pending; kNever when idle.
  Cycle next_time();
  bool has_room(bool write) const;
  bool busy() const { return queued_[0] + queued_[1] != 0 || !backlog_.empty(); }
  // Adds this channel's counters; active cycles up to `now`.
  void add_stats(MemoryStats& s, Cycle now) const;

 private:
  struct Bank {
    bool open = false;
    uint32_t row = 0;
    uint32_t hits_since_act = 0;
    bool first_access = false;  // no column command since the ACT yet
    bool opened_after_conflict = false;
    bool closed_by_conflict = false;
    std::array<RequestQueue, 2> queue;  // [0] reads, [1] writes, oldest first
  };
  static constexpr uint32_t kMaxBanks = 64;  // config validation; banks are bits of a uint64_t
  // What a bank would issue next for one direction and for which queued request, kept until
  // the bank or its queues change. One record per bank, so that a request touches one cache
  // line of it (a pseudo-channel is often visited only every hundred requests or so).
  struct Choice {
    Cycle bound = 0;                  // max(arrival, TimingState::bank_bound)
    uint64_t priority = 0;            // scheduler's key for same-cycle ties
    uint32_t index = 0;               // position in the bank's queue
    Command command = Command::kAct;  //
    uint8_t key = 0;                  // bank group * kClasses + command class (key % 4)
  };
  struct Choices {
    uint64_t active = 0;            // banks with queued requests of this direction
    uint64_t stale = ~uint64_t{0};  // must be recomputed
    std::array<Choice, kMaxBanks> choice{};
  };
  using UnitBounds = std::array<Cycle, kClasses>;
  // The next command. Small and flat: it is rebuilt after every command.
  struct Decision {
    Cycle time = 0;
    uint64_t priority = 0;  // scheduler's order within a cycle
    Command command = Command::kAct;
    uint8_t dir = 0;          // queue the request is in (reads 0, writes 1)
    bool refresh = false;     // issued for the refresh policy
    bool unresolved = false;  // refresh placeholder: nothing else pending, exact cycle >= due
    uint32_t bank = 0;
    uint32_t index = 0;  // position of the request in the bank's queue
  };

  int direction() const { return (draining_ || queued_[0] == 0) ? 1 : 0; }
  void decide();  // fills decision_ (decision_exists_ false if nothing can ever issue)
  template <class S>
  void decide_with(const S& scheduler);
  void resolve();  // turns an unresolved refresh placeholder into its command
  void refresh_choices(int dir, uint64_t banks);
  template <class S>
  [[gnu::always_inline]] inline void refresh_choices_with(const S& scheduler, int dir,
                                                          uint64_t banks);
  bool keeps_choice(const RequestQueue& queue, const BankView& view, size_t chosen,
                    const BurstRequest& next) const;
  bool better(const Decision& a, const Decision& b) const;
  bool refresh_candidate(Decision& d) const;
  Decision make_decision(uint32_t bank, int dir, Cycle t) const {
    const Choices& c = choices_[dir];
    Decision d;
    d.time = t;
    d.priority = c.choice[bank].priority;
    d.command = c.choice[bank].command;
    d.dir = static_cast<uint8_t>(dir);
    d.bank = bank;
    d.index = c.choice[bank].index;
    return d;
  }
  UnitBounds unit_bounds() const {
    UnitBounds u;
    timing_.unit_bounds(u.data());
    for (Cycle& x : u) {
      x = std::max(x, now_);
    }
    return u;
  }
  // A change to a bank or its queues invalidates its choices.
  void touch(uint32_t bank) {
    for (auto& c : choices_) {
      c.stale |= uint64_t{1} << bank;
    }
  }
  // First legal cycle of bank b's choice (its bank part is current: the bank was not
  // touched since refresh_choices).
  Cycle candidate_time(const Choices& c, uint32_t b, const UnitBounds& unit) const {
    const Choice& x = c.choice[b];
    return std::max(std::max(unit[x.key % kClasses], timing_.group_table()[x.key]), x.bound);
  }
  void issue(const Decision& d);
  // Queues r; true if its bank's choice (for r's direction) is known to be unchanged.
  bool insert(const BurstRequest& r);
  void admit_backlog(Cycle t);
  bool auto_precharge(const Bank& b, const BurstRequest& r, size_t index, int dir) const;
  void open_bank(Cycle t);
  void close_bank(Cycle t);
  void emit(Cycle t, Command c, uint32_t bank, uint32_t row, uint32_t column);

  const MemoryConfig& config_;
  const uint32_t unit_;
  Controller* owner_;
  CommandSink* sink_;
  TimingState timing_;
  std::unique_ptr<Scheduler> scheduler_;
  const FrFcfsScheduler* fr_fcfs_ = nullptr;  // scheduler_ if it is a built-in one
  const FcfsScheduler* fcfs_ = nullptr;
  std::unique_ptr<RefreshPolicy> refresh_;
  std::vector<Bank> banks_;
  std::array<Choices, 2> choices_;
  RequestQueue backlog_;
  std::array<uint32_t, 2> queued_{};    // reads, writes in the queues
  std::array<uint32_t, 2> capacity_{};  // queue depths
  std::array<Cycle, 2> data_delay_{};   // column command to the end of its data: read, write
  Cycle due_ = kNever;                  // refresh_->due(), which changes only when a REF issues
  PagePolicy page_policy_ = PagePolicy::kOpen;
  bool adaptive_page_ = false;                  // auto-precharge depends on both queues of a bank
  std::array<uint8_t, kMaxBanks> group_key_{};  // bank group * kClasses
  uint32_t write_high_ = 0, write_low_ = 0;     // write queue watermarks
  bool draining_ = false;
  Cycle now_ = 0;  // cycle of the last command
  Decision decision_;
  bool decision_valid_ = false;
  bool decision_exists_ = false;
  std::vector<uint32_t> scratch_;  // open banks for PREA
  // Background: cycles with at least one row open.
  uint32_t open_banks_ = 0;
  Cycle active_start_ = 0, active_end_ = 0;
  uint64_t active_cycles_ = 0;
  MemoryStats stats_;
};

}  // namespace cimsim::memory
