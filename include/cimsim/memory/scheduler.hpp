// Request scheduling policy of a pseudo-channel: the axis "memory.scheduler" of the registry
// (config/registry.hpp). One implementation per file: scheduler_fr_fcfs.cpp,
// scheduler_fcfs.cpp, scheduler_bliss.cpp; a new one is one more file with a Registrar.
//
// The channel asks two questions on its hot path: which queued request a bank serves next
// (choose), and in which order commands that could issue in the same cycle go (a priority
// key, so that choosing among banks needs no call). Everything about time (when a command may
// issue) stays in the channel and its TimingState.
//
// What a scheduler may look at: the bank's queue it chooses from, every other bank's queues and
// state through the ChannelView it is built with (SchedulerSetup::channel), the requestor id
// of every request (BurstRequest::requestor: the SM, core or stream that issued it, carried
// from the initiator by a TLM extension, memory/requestor.hpp, or a trace column). A stateful
// scheduler (one whose order depends on what it has served, like BLISS) also hears of every
// column command (served) and may change its order by itself at given cycles (next_change /
// advance); a stateless one pays nothing for either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "cimsim/config/registry.hpp"
#include "cimsim/memory/command.hpp"

namespace cimsim::memory {

struct MemoryConfig;

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
  RequestorId requestor = 0;  // in the padding after `write`: the struct stays 40 bytes
  Cycle submitted = 0;
};

// The state of a bank the policy may look at.
struct BankView {
  bool open = false;
  uint32_t row = 0;             // the open row (if open)
  uint32_t hits_since_act = 0;  // column commands since the row was opened
};

// A bank's queue of one direction, oldest first.
struct QueueView {
  const BurstRequest* data = nullptr;
  size_t size = 0;
  const BurstRequest& operator[](size_t i) const { return data[i]; }
};

// The whole pseudo-channel as a scheduler sees it: every bank's queues and state.
class ChannelView {
 public:
  virtual uint32_t banks() const = 0;
  virtual QueueView queue(uint32_t bank, bool write) const = 0;
  virtual BankView bank(uint32_t bank) const = 0;
  // Requests queued per direction (the backlog behind the queues is not visible: it enters
  // in order as slots free up, whatever the scheduler prefers).
  virtual uint32_t queued(bool write) const = 0;
  // Cycle of the last command issued.
  virtual Cycle now() const = 0;

 protected:
  ~ChannelView() = default;
};

// What a scheduler's factory is given.
struct SchedulerSetup {
  const MemoryConfig* config = nullptr;
  uint32_t unit = 0;                     // flat pseudo-channel index
  const ChannelView* channel = nullptr;  // valid for the scheduler's lifetime
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Index in queue[0, size) (one bank's requests of the current direction, oldest first,
  // size >= 2) of the request the bank serves next.
  virtual size_t choose(const BurstRequest* queue, size_t size, const BankView& bank) const = 0;
  // True if appending `next` to queue[0, size), whose choice is `chosen`, leaves choose()'s
  // answer unchanged, so the channel need not ask again (an answer of false is always safe).
  virtual bool keeps_choice(const BurstRequest* queue, size_t size, const BankView& bank,
                            size_t chosen, const BurstRequest& next) const {
    return false;
  }
  // Order between commands that could issue in the same cycle: the smaller key goes first.
  // `r` is the request the command serves (r.seq: smaller is older).
  virtual uint64_t priority(Command command, const BurstRequest& r) const = 0;

  // ---- stateful schedulers only: the channel calls none of these unless observes_service()
  // (asked once, when the channel is built) is true ----
  virtual bool observes_service() const { return false; }
  // The column command serving `r` issued at cycle t. True if the scheduler's order of other
  // requests may have changed (the channel then asks every bank again, and next_change()).
  virtual bool served(const BurstRequest& r, Cycle t) { return false; }
  // The first cycle at which the scheduler's order changes by itself (kNever if never).
  virtual Cycle next_change() const { return kNever; }
  // Applies every change due at or before cycle t; returns the cycle of the last one applied.
  // The channel calls it only once nothing can issue before next_change() and time has moved
  // past it, so the new order holds from exactly that cycle on.
  virtual Cycle advance(Cycle t) { return t; }
};

struct SchedulerAxis : config::Axis<std::unique_ptr<Scheduler>(const SchedulerSetup&)> {
  static constexpr const char* key = "memory.scheduler";
  static constexpr const char* doc = "request scheduler of a pseudo-channel";
};

}  // namespace cimsim::memory
