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
  uint64_t seq = 0;  // submission order over the whole memory: smaller is older
  uint32_t tx = 0;   // transaction it belongs to
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

std::unique_ptr<Scheduler> make_fr_fcfs_scheduler(uint32_t row_hit_cap);
std::unique_ptr<Scheduler> make_fcfs_scheduler();
std::unique_ptr<Scheduler> make_scheduler(const ControllerPolicy& policy);

}  // namespace cimsim::memory
