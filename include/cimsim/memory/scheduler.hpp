// Request scheduling policy of a pseudo-channel (one implementation per file:
// scheduler_fr_fcfs.cpp, scheduler_fcfs.cpp).
//
// The channel asks two questions: which queued request a bank serves next, and in which order
// commands that could issue in the same cycle go (a priority key, so that choosing among
// banks needs no virtual call). Everything about time
// (when a command may issue) stays in the channel and its TimingState.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "cimsim/memory/command.hpp"
#include "cimsim/memory/config.hpp"

namespace cimsim::memory {

// A burst as the controller hands it to a pseudo-channel.
struct BurstRequest {
  // `tx` of a burst that is a whole request and has no transaction entry: it was queued at
  // once, so `submitted` is its submission cycle (Controller::submit_burst).
  static constexpr uint32_t kUntracked = 0xFFFFFFFFu;
  uint64_t seq = 0;  // submission order over the whole memory: smaller is older
  uint32_t tx = 0;   // transaction it belongs to, or kUntracked
  uint32_t bank = 0;
  uint32_t row = 0;
  uint32_t column = 0;
  bool write = false;
  Cycle submitted = 0;
};

// The state of a bank the policy may look at.
struct BankView {
  bool open = false;
  uint32_t row = 0;             // the open row (if open)
  uint32_t hits_since_act = 0;  // column commands since the row was opened
};

// A command the channel could issue next.
struct Candidate {
  Cycle time = 0;
  Command command = Command::kAct;
  uint32_t bank = 0;
  uint64_t seq = 0;  // age of the request it serves
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Index in queue[0, size) (one bank's requests of the current direction, oldest first, not
  // empty) of the request the bank serves next.
  virtual size_t choose(const BurstRequest* queue, size_t size, const BankView& bank) const = 0;
  // True if appending `next` to queue[0, size), whose choice is `chosen`, leaves choose()'s
  // answer unchanged, so the channel need not ask again (an answer of false is always safe).
  virtual bool keeps_choice(const BurstRequest* queue, size_t size, const BankView& bank,
                            size_t chosen, const BurstRequest& next) const {
    return false;
  }
  // Order between commands that could issue in the same cycle: the smaller key goes first.
  // `seq` is the age of the request the command serves (smaller is older).
  virtual uint64_t priority(Command command, uint64_t seq) const = 0;
};

// The two built-in policies are declared here, final, so that the channel can call them
// without a virtual dispatch on its hot path (their logic stays in their own files' comments
// and factories; the bodies are short enough to read here).

// FR-FCFS (Rixner et al., ISCA 2000): row hits first, then the oldest request. A cap on the
// hits served since the row was opened stops a stream of hits from starving an older request
// to another row of the same bank (scheduler_fr_fcfs.cpp).
class FrFcfsScheduler final : public Scheduler {
 public:
  explicit FrFcfsScheduler(uint32_t cap) : cap_(cap) {}
  size_t choose(const BurstRequest* queue, size_t size, const BankView& bank) const override {
    if (!bank.open) {
      return 0;
    }
    for (size_t i = 0; i < size; ++i) {
      if (queue[i].row != bank.row) {
        continue;
      }
      // The oldest request is a hit, or the cap still lets a hit bypass it.
      if (i == 0 || cap_ == 0 || bank.hits_since_act < cap_) {
        return i;
      }
      return 0;
    }
    return 0;
  }
  // A closed bank serves its oldest request; an open one its first hit, which a later request
  // cannot precede, or, if none is chosen, its oldest, which only a new hit could displace.
  bool keeps_choice(const BurstRequest* queue, size_t, const BankView& bank, size_t chosen,
                    const BurstRequest& next) const override {
    return !bank.open || queue[chosen].row == bank.row || next.row != bank.row;
  }
  // Column commands (row hits) before row commands, each oldest first.
  uint64_t priority(Command command, uint64_t seq) const override {
    return (is_column(command) ? 0 : uint64_t{1} << 63) | seq;
  }

 private:
  uint32_t cap_;
};

// FCFS: every bank serves its oldest request, and the oldest ready command issues first
// (scheduler_fcfs.cpp).
class FcfsScheduler final : public Scheduler {
 public:
  size_t choose(const BurstRequest*, size_t, const BankView&) const override { return 0; }
  bool keeps_choice(const BurstRequest*, size_t, const BankView&, size_t,
                    const BurstRequest&) const override {
    return true;  // always the oldest
  }
  uint64_t priority(Command, uint64_t seq) const override { return seq; }
};

std::unique_ptr<Scheduler> make_fr_fcfs_scheduler(uint32_t row_hit_cap);
std::unique_ptr<Scheduler> make_fcfs_scheduler();
std::unique_ptr<Scheduler> make_scheduler(const ControllerPolicy& policy);

}  // namespace cimsim::memory
