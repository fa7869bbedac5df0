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
#include <new>
#include <type_traits>
#include <vector>

#include "cimsim/memory/command.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/page_policy.hpp"
#include "cimsim/memory/refresh.hpp"
#include "cimsim/memory/scheduler.hpp"
#include "cimsim/memory/scheduler_fcfs.hpp"
#include "cimsim/memory/scheduler_fr_fcfs.hpp"
#include "cimsim/memory/stats.hpp"
#include "cimsim/memory/timing_state.hpp"

namespace cimsim::memory {

class Controller;

// Requests in arrival order: a bank's queue of one direction, or a channel's backlog. Taking
// the oldest, by far the most common case, only moves a start index; taking a later one
// (an FR-FCFS row hit) shifts the fewer of the elements before or after it. Storage is
// reused: nothing is allocated once the queue has reached its largest size. Small (24 bytes)
// so that a bank's two queues share a cache line with the rest of the bank.
class RequestQueue {
 public:
  size_t size() const { return tail_ - head_; }
  bool empty() const { return head_ == tail_; }
  const BurstRequest* data() const { return buf_.get() + head_; }
  const BurstRequest& operator[](size_t i) const { return buf_[head_ + i]; }
  const BurstRequest& front() const { return buf_[head_]; }
  void push_back(const BurstRequest& r) { push_back(r, r.submitted); }
  // r, arriving at `submitted` instead.
  void push_back(const BurstRequest& r, Cycle submitted) {
    if (tail_ == capacity_) {
      make_room();
    }
    // Member by member, not as a whole: a whole copy also moves the padding, with wide
    // loads that span several of the narrow stores the caller has just made to build `r`;
    // the CPU cannot forward those and waits for the stores (about 10 % of a Llama-2-7B run).
    BurstRequest& slot = buf_[tail_++];
    slot.seq = r.seq;
    slot.tx = r.tx;
    slot.bank = r.bank;
    slot.row = r.row;
    slot.column = r.column;
    slot.write = r.write;
    slot.requestor = r.requestor;
    slot.submitted = submitted;
  }
  // Hints (change nothing): start loading the i-th oldest request, or the slot the i-th
  // next push_back() will write, if it is in the buffer.
  void prefetch(size_t i) const {
    if (i < size()) {
      __builtin_prefetch(&buf_[head_ + i]);
    }
  }
  void prefetch_back(size_t i) const {
    if (tail_ + i < capacity_) {
      __builtin_prefetch(&buf_[tail_ + i], 1);
    }
  }
  void pop_front() {
    if (++head_ == tail_) {
      head_ = tail_ = 0;
    }
  }
  // Removes the i-th oldest, keeping the order of the others.
  void erase(size_t i) {
    BurstRequest* first = buf_.get() + head_;
    if (i < size() / 2) {
      std::move_backward(first, first + i, first + i + 1);
      ++head_;
    } else {
      std::move(first + i + 1, buf_.get() + tail_, first + i);
      --tail_;
    }
    if (head_ == tail_) {
      head_ = tail_ = 0;
    }
  }

 private:
  // The buffer is full at the back: slide down if at least half of it is free at the front
  // (so each element moves O(1) times on average), else grow.
  void make_room();
  // Raw storage, not value-initialised (a BurstRequest is trivially copyable and
  // destructible): zero-filling a buffer whose slots are all written before being read cost
  // a memset of the whole buffer on every growth.
  struct Release {
    void operator()(BurstRequest* p) const { ::operator delete(p); }
  };
  std::unique_ptr<BurstRequest[], Release> buf_;  // buf_[head_, tail_) are queued
  uint32_t head_ = 0, tail_ = 0, capacity_ = 0;
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
  bool has_room(bool write) const {
    return backlog_.empty() && queued_[write ? 1 : 0] < capacity_[write ? 1 : 0];
  }
  // Hints (they change nothing) for a request to `bank` a few requests ahead, in the order
  // the loads depend on one another: the hot members (prefetch_hot), which hold the pointers
  // to that bank and its choice and timing (prefetch_bank, which also loads the bank of the
  // pending decision), which hold the pointer to the queue slots the request will use
  // (prefetch_queue). Issued a request apart, each step finds what it reads in the cache.
  void prefetch_hot() const;
  void prefetch_bank(uint32_t bank, bool write) const;
  void prefetch_queue(uint32_t bank, bool write) const;
  bool busy() const { return queued_[0] + queued_[1] != 0 || !backlog_.empty(); }
  // What the scheduler sees of this channel.
  const ChannelView& view() const { return view_; }
  // Adds this channel's counters; active cycles up to `now`.
  void add_stats(MemoryStats& s, Cycle now) const;

 private:
  static constexpr uint32_t kMaxBanks = 64;  // config validation; banks are bits of a uint64_t
  // A bank's queues and open row: one cache line (its flags are bits of the masks below).
  struct alignas(64) Bank {
    std::array<RequestQueue, 2> queue;  // [0] reads, [1] writes, oldest first
    uint32_t row = 0;                   // the open row, if open
    uint32_t hits_since_act = 0;
    uint8_t group_key = 0;  // bank group * kClasses
  };
  // What a bank would issue next for one direction and for which queued request, kept until
  // the bank or its queues change: one record per bank, so that a request touches one cache
  // line of it (a pseudo-channel is often visited only every hundred requests or so).
  struct Choice {
    Cycle bound = 0;                  // max(arrival, TimingState::bank_bound)
    uint64_t priority = 0;            // scheduler's key for same-cycle ties
    uint32_t index = 0;               // position in the bank's queue
    Command command = Command::kAct;  //
    uint8_t key = 0;                  // bank group * kClasses + command class (key % 4)
  };
  using Choices = std::array<Choice, kMaxBanks>;
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
  // What add_stats() reports; the rest of MemoryStats belongs to the controller.
  struct Counters {
    std::array<uint64_t, kCommandKinds> commands{};
    uint64_t read_bursts = 0, write_bursts = 0;
    uint64_t row_hits = 0, row_misses = 0, row_conflicts = 0;
  };

  // The scheduler's view: every bank's queues and state.
  class View final : public ChannelView {
   public:
    explicit View(const Channel& c) : c_(c) {}
    uint32_t banks() const override { return static_cast<uint32_t>(c_.banks_.size()); }
    QueueView queue(uint32_t bank, bool write) const override {
      const RequestQueue& q = c_.banks_[bank].queue[write ? 1 : 0];
      return QueueView{q.data(), q.size()};
    }
    BankView bank(uint32_t bank) const override { return c_.view(bank); }
    uint32_t queued(bool write) const override { return c_.queued_[write ? 1 : 0]; }
    Cycle now() const override { return c_.now_; }

   private:
    const Channel& c_;
  };

  static uint64_t bit(uint32_t bank) { return uint64_t{1} << bank; }
  bool is_open(uint32_t bank) const { return (open_ & bit(bank)) != 0; }
  BankView view(uint32_t bank) const {
    return BankView{is_open(bank), banks_[bank].row, banks_[bank].hits_since_act};
  }
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
    const Choice& x = choices_[dir][bank];
    Decision d;
    d.time = t;
    d.priority = x.priority;
    d.command = x.command;
    d.dir = static_cast<uint8_t>(dir);
    d.bank = bank;
    d.index = x.index;
    return d;
  }
  // decision_ = make_decision(bank, dir, t), written member by member: a Decision built on
  // the stack and copied is read back with wide loads over narrow stores just made, which
  // the CPU cannot forward (a store-forwarding stall of a dozen cycles per decision).
  void set_decision(uint32_t bank, int dir, Cycle t) {
    const Choice& x = choices_[dir][bank];
    decision_.time = t;
    decision_.priority = x.priority;
    decision_.command = x.command;
    decision_.dir = static_cast<uint8_t>(dir);
    decision_.refresh = false;
    decision_.unresolved = false;
    decision_.bank = bank;
    decision_.index = x.index;
  }
  [[gnu::always_inline]] UnitBounds unit_bounds() const {
    UnitBounds u;
    timing_.unit_bounds(u.data(), now_);
    return u;
  }
  // A change to a bank or its queues invalidates its choices.
  void touch(uint64_t banks) {
    stale_[0] |= banks;
    // Kept two 8-byte updates (the empty asm stops the compiler from merging them into one
    // 16-byte load and store): refresh_choices() has often just stored one of them, and a
    // 16-byte load over that 8-byte store waits for it to reach the cache.
    __asm__("" : "+m"(stale_[0]));
    stale_[1] |= banks;
  }
  // First legal cycle of bank b's choice (its bank part is current: the bank was not
  // touched since refresh_choices).
  Cycle candidate_time(int dir, uint32_t b, const UnitBounds& unit) const {
    const Choice& x = choices_[dir][b];
    return std::max(std::max(unit[x.key % kClasses], timing_.group_table()[x.key]), x.bound);
  }
  void issue(const Decision& d);
  void skip_idle_refreshes(Cycle t);
  // Queues r, arriving at `submitted`; true if its bank's choice (for r's direction) is
  // known to be unchanged.
  bool insert(const BurstRequest& r, Cycle submitted);
  void admit_backlog(Cycle t);
  bool auto_precharge(uint32_t bank, size_t index, int dir) const;
  // A stateful scheduler's order changes at sched_change_, no command issues before it and
  // time moves past it: the change takes effect (at most at `t`).
  void apply_scheduler_change(Cycle t);
  template <bool kChanges>
  void advance_with(Cycle t);
  void open_bank(uint32_t bank, Cycle t);
  void close_banks(uint64_t banks, Cycle t);
  void emit(Cycle t, Command c, uint32_t bank, uint32_t row, uint32_t column);

  // Hot: what nearly every request reads or writes, in a few cache lines (with hundreds of
  // pseudo-channels, most requests find their pseudo-channel out of the cache).
  Decision decision_;
  bool decision_valid_ = false;
  bool decision_exists_ = false;
  bool draining_ = false;
  bool page_fixed_ = true;              // auto-precharge never depends on the queues: page_always_
  bool page_always_ = false;            // (otherwise it depends on both queues of a bank)
  bool observes_ = false;               // the scheduler hears of every column command
  std::array<uint32_t, 2> queued_{};    // reads, writes in the queues
  std::array<uint32_t, 2> capacity_{};  // queue depths
  uint32_t write_high_ = 0, write_low_ = 0;  // write queue watermarks
  Cycle now_ = 0;                            // cycle of the last command
  Cycle due_ = kNever;                // refresh_->due(), which changes only when a REF issues
  Cycle sched_change_ = kNever;       // scheduler_->next_change()
  std::array<uint64_t, 2> active_{};  // per direction: banks with queued requests
  std::array<uint64_t, 2> stale_{~uint64_t{0}, ~uint64_t{0}};  // choices to recompute
  uint64_t open_ = 0;                                          // banks with a row open
  uint64_t fresh_ = 0;                 // open banks with no column command since the ACT
  uint64_t reopened_ = 0;              // open banks opened after a conflict closed them
  uint64_t conflict_closed_ = 0;       // closed banks closed for a conflicting request
  std::array<Cycle, 2> data_delay_{};  // column command to the end of its data: read, write
  Controller* owner_;
  CommandSink* sink_;
  const FrFcfsScheduler* fr_fcfs_ = nullptr;  // scheduler_ if it is a built-in one
  const FcfsScheduler* fcfs_ = nullptr;
  std::vector<Bank> banks_;
  RequestQueue backlog_;
  // Background: cycles with at least one row open.
  Cycle active_start_ = 0, active_end_ = 0;
  uint64_t active_cycles_ = 0;
  Counters counters_;
  TimingState timing_;  // its hot part first
  // Cold, or large and touched a line at a time (prefetch() loads everything above).
  const uint32_t unit_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<RefreshPolicy> refresh_;
  std::unique_ptr<PagePolicy> page_;
  View view_{*this};
  std::array<Choices, 2> choices_;  // per direction and bank
};

// ---- once per trace request, from the replay loop: inline (Controller::prefetch and
// accept_time), whichever translation unit the loop is in ----------------------------------

inline Cycle Channel::step() {
  for (;;) {
    if (!decision_valid_) {
      decide();
    }
    if (!decision_exists_) {
      return kNever;
    }
    if (sched_change_ > decision_.time) {
      break;
    }
    apply_scheduler_change(decision_.time);
  }
  resolve();
  Cycle t = decision_.time;
  issue(decision_);
  return t;
}

inline void Channel::prefetch_hot() const {
  // Everything above scheduler_ is hot.
  const char* hot_end = reinterpret_cast<const char*>(&scheduler_);
  for (const char* p = reinterpret_cast<const char*>(this); p < hot_end; p += 64) {
    __builtin_prefetch(p);
  }
}

inline void Channel::prefetch_bank(uint32_t bank, bool write) const {
  __builtin_prefetch(&banks_[bank]);
  __builtin_prefetch(&choices_[write ? 1 : 0][bank]);
  timing_.prefetch(bank);
  if (decision_valid_ && decision_exists_ && !decision_.refresh) {
    __builtin_prefetch(&banks_[decision_.bank]);
    __builtin_prefetch(&choices_[decision_.dir][decision_.bank]);
    timing_.prefetch(decision_.bank);
  }
}

// insert() writes the slot at the back and keeps_choice() reads the request chosen so far.
inline void Channel::prefetch_queue(uint32_t bank, bool write) const {
  const int dir = write ? 1 : 0;
  const RequestQueue& queue = banks_[bank].queue[dir];
  queue.prefetch_back(0);
  queue.prefetch(choices_[dir][bank].index);
}

}  // namespace cimsim::memory
