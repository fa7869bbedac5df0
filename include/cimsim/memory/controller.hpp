// The HBM controller in plain C++: address mapping, one Channel engine per pseudo-channel
// (memory/channel.hpp) and the bookkeeping of multi-burst transactions.
//
// Both ways into the memory use this class: the SystemC module (memory_system.hpp) and the
// trace replayer (memtrace.hpp) feed it requests and advance it in time; neither contains
// timing logic of its own, so both give the same commands for the same requests.
//
// Time only moves forward: submit(now) and advance_to(t) take non-decreasing cycles. Between
// calls the controller holds no timer: the caller decides when to look again (next_wake()).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "cimsim/memory/address_map.hpp"
#include "cimsim/memory/channel.hpp"
#include "cimsim/memory/command.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/stats.hpp"

namespace cimsim::memory {

using TxId = uint32_t;

// A transaction: one request of any size, split into bursts.
struct Transaction {
  Cycle submitted = 0;
  Cycle completion = 0;  // last data beat of any burst issued so far
  uint64_t bytes = 0;
  uint32_t unissued = 0;  // bursts whose column command has not been issued
  bool write = false;
  bool live = false;
};

class Controller {
 public:
  // `sink`, if given, sees every command as it is issued.
  explicit Controller(const MemoryConfig& config, CommandSink* sink = nullptr);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  const MemoryConfig& config() const { return config_; }
  const AddressMap& address_map() const { return map_; }
  uint32_t units() const { return static_cast<uint32_t>(units_.size()); }

  // Splits [address, address + bytes) into bursts and queues them at cycle `now`; bursts that
  // find their pseudo-channel's queue full wait in its backlog, in order. Requires bytes > 0
  // and address + bytes <= capacity. `requestor` is who issued it (scheduler.hpp).
  TxId submit(uint64_t address, uint64_t bytes, bool write, Cycle now, RequestorId requestor = 0);
  // One burst whose address the caller has already decoded (the trace replayer). Only with
  // auto-release on: it is counted in stats() when it completes and has no TxId.
  void submit_burst(const DecodedAddress& where, bool write, Cycle now, RequestorId requestor = 0);

  // Issues every command whose cycle is < t in every pseudo-channel.
  void advance_to(Cycle t);
  // Issues every command of one pseudo-channel whose cycle is < t.
  void advance_unit_to(uint32_t unit, Cycle t);

  // Transactions whose last burst has been issued (their completion cycle is known) since
  // the last take_finished(); the caller must release() each once it no longer needs it.
  std::vector<TxId> take_finished();
  const Transaction& transaction(TxId id) const { return txs_[id]; }
  void release(TxId id);
  // With auto-release on, finished transactions are released at once and never reported by
  // take_finished() (the trace replayer only needs the statistics).
  void set_auto_release(bool on) { auto_release_ = on; }

  // A cycle no later than the next completion of an unfinished transaction (kNever if all
  // transactions have finished). Calling advance_to(next_wake()) makes progress.
  Cycle next_wake();
  bool idle() const;  // nothing queued or waiting in any backlog

  // Runs until every transaction has finished, then issues the refreshes due up to the last
  // completion. Returns the last completion cycle.
  Cycle drain();

  // Back-pressure for the trace replayer: the earliest cycle >= t at which `unit` accepts one
  // more burst of this direction (advances that pseudo-channel as far as needed).
  Cycle accept_time(uint32_t unit, bool write, Cycle t);

  // Counters; active cycles and refreshes are counted up to the last advance.
  MemoryStats stats() const;
  Cycle now() const { return now_; }

  // Starts loading the state a request to `where` will use (a hint: changes nothing), in
  // kPrefetchSteps steps that depend on one another: step s (counting down to 0) is meant for
  // a request s + 1 requests before it is submitted (Channel::prefetch_hot and the others
  // say why). Only with many pseudo-channels: a few (hbm2 has 8) stay in the first-level
  // cache anyway, and there the prefetches cost more than they save (about 6 % on a random
  // trace).
  static constexpr int kPrefetchSteps = 3;
  bool prefetches() const { return units_.size() > kCachedUnits; }
  void prefetch(const DecodedAddress& where, bool write, int step) const {
    if (!prefetches()) {
      return;
    }
    const Channel& unit = *units_[where.unit];
    if (step == 2) {
      unit.prefetch_hot();
    } else if (step == 1) {
      unit.prefetch_bank(where.bank, write);
    } else {
      unit.prefetch_queue(where.bank, write);
    }
  }

  // Called by a Channel when a burst's column command issues (data ends at `data_end`).
  void on_burst_issued(const BurstRequest& r, Cycle data_end);

 private:
  static constexpr size_t kCachedUnits = 16;
  MemoryConfig config_;
  AddressMap map_;
  std::vector<std::unique_ptr<Channel>> units_;
  std::vector<Transaction> txs_;
  std::vector<TxId> free_;
  std::vector<TxId> finished_;
  uint64_t live_ = 0;
  uint64_t seq_ = 0;
  bool auto_release_ = false;
  Cycle now_ = 0;
  MemoryStats totals_;  // requests, bytes, latencies (commands are counted per channel)
  TxId new_transaction(uint64_t bytes, uint32_t bursts, bool write, Cycle now);
  void count_request(bool write, uint64_t bytes, Cycle submitted, Cycle completion);
  void enqueue_burst(TxId id, const DecodedAddress& d, bool write, Cycle now,
                     RequestorId requestor);
  void on_transaction_burst_issued(TxId id, Cycle data_end);
};

// ---- once or more per trace request: inline ------------------------------------------------

inline void Controller::enqueue_burst(TxId id, const DecodedAddress& d, bool write, Cycle now,
                                      RequestorId requestor) {
  BurstRequest r;
  r.seq = seq_++;
  r.tx = id;
  r.bank = d.bank;
  r.row = d.row;
  r.column = d.column;
  r.write = write;
  r.requestor = requestor;
  r.submitted = now;
  units_[d.unit]->enqueue(r);
}

// A burst that its pseudo-channel queues at once keeps its submission cycle in the queue
// and needs no transaction entry; one that waits in the backlog enters the queue later, at
// the cycle it is admitted, and gets an entry to remember when it was submitted.
inline void Controller::submit_burst(const DecodedAddress& where, bool write, Cycle now,
                                     RequestorId requestor) {
  if (!auto_release_) {
    throw std::logic_error("Controller::submit_burst needs auto-release");
  }
  now_ = std::max(now_, now);
  const TxId id = units_[where.unit]->has_room(write)
                      ? BurstRequest::kUntracked
                      : new_transaction(map_.burst_bytes(), 1, write, now);
  enqueue_burst(id, where, write, now, requestor);
}

inline void Controller::advance_unit_to(uint32_t unit, Cycle t) {
  units_[unit]->advance_to(t);
}

inline Cycle Controller::accept_time(uint32_t unit, bool write, Cycle t) {
  now_ = std::max(now_, t);
  advance_unit_to(unit, t);
  while (!units_[unit]->has_room(write)) {
    // The next command frees a slot if it is a column command; the backlog-free queue then
    // takes a request at that same cycle.
    Cycle c = units_[unit]->step();
    t = std::max(t, c);
    now_ = std::max(now_, t);
  }
  return t;
}

inline void Controller::count_request(bool write, uint64_t bytes, Cycle submitted,
                                      Cycle completion) {
  if (write) {
    ++totals_.write_requests;
    totals_.write_bytes += bytes;
    totals_.write_latency.add(completion - submitted);
  } else {
    ++totals_.read_requests;
    totals_.read_bytes += bytes;
    totals_.read_latency.add(completion - submitted);
  }
  totals_.last_completion = std::max(totals_.last_completion, completion);
}

inline void Controller::on_burst_issued(const BurstRequest& r, Cycle data_end) {
  if (r.tx == BurstRequest::kUntracked) {
    count_request(r.write, map_.burst_bytes(), r.submitted, data_end);
  } else {
    on_transaction_burst_issued(r.tx, data_end);
  }
}

}  // namespace cimsim::memory
