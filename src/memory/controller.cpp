#include "cimsim/memory/controller.hpp"

#include <algorithm>
#include <stdexcept>

#include "cimsim/memory/channel.hpp"

namespace cimsim::memory {

Controller::Controller(const MemoryConfig& config, CommandSink* sink)
    : config_(config), map_(config) {
  for (uint32_t u = 0; u < config_.units(); ++u) {
    units_.push_back(std::make_unique<Channel>(config_, u, this, sink));
  }
}

Controller::~Controller() = default;

TxId Controller::new_transaction(uint64_t bytes, uint32_t bursts, bool write, Cycle now) {
  now_ = std::max(now_, now);
  TxId id = 0;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<TxId>(txs_.size());
    txs_.emplace_back();
  }
  Transaction& tx = txs_[id];
  tx.submitted = now;
  tx.completion = now;
  tx.bytes = bytes;
  tx.unissued = bursts;
  tx.write = write;
  tx.live = true;
  ++live_;
  return id;
}

void Controller::enqueue_burst(TxId id, const DecodedAddress& d, bool write, Cycle now) {
  BurstRequest r;
  r.seq = seq_++;
  r.tx = id;
  r.bank = d.bank;
  r.row = d.row;
  r.column = d.column;
  r.write = write;
  r.submitted = now;
  units_[d.unit]->enqueue(r);
}

TxId Controller::submit(uint64_t address, uint64_t bytes, bool write, Cycle now) {
  if (bytes == 0 || address > map_.capacity_bytes() || bytes > map_.capacity_bytes() - address) {
    throw std::logic_error("Controller::submit: request outside the memory");
  }
  const uint64_t burst = map_.burst_bytes();
  const uint64_t first = address / burst, last = (address + bytes - 1) / burst;
  TxId id = new_transaction(bytes, static_cast<uint32_t>(last - first + 1), write, now);
  AddressMap::Cursor at(map_, first * burst);
  for (uint64_t b = first; b <= last; ++b, at.next()) {
    enqueue_burst(id, at.get(), write, now);
  }
  return id;
}

// A burst that its pseudo-channel queues at once keeps its submission cycle in the queue
// and needs no transaction entry; one that waits in the backlog enters the queue later, at
// the cycle it is admitted, and gets an entry to remember when it was submitted.
void Controller::submit_burst(const DecodedAddress& where, bool write, Cycle now) {
  if (!auto_release_) {
    throw std::logic_error("Controller::submit_burst needs auto-release");
  }
  now_ = std::max(now_, now);
  const TxId id = units_[where.unit]->has_room(write)
                      ? BurstRequest::kUntracked
                      : new_transaction(map_.burst_bytes(), 1, write, now);
  enqueue_burst(id, where, write, now);
}

void Controller::count_request(bool write, uint64_t bytes, Cycle submitted, Cycle completion) {
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

void Controller::on_burst_issued(const BurstRequest& r, Cycle data_end) {
  if (r.tx == BurstRequest::kUntracked) {
    count_request(r.write, map_.burst_bytes(), r.submitted, data_end);
    return;
  }
  Transaction& tx = txs_[r.tx];
  tx.completion = std::max(tx.completion, data_end);
  if (--tx.unissued == 0) {
    count_request(tx.write, tx.bytes, tx.submitted, tx.completion);
    const TxId id = r.tx;
    if (auto_release_) {
      release(id);
    } else {
      finished_.push_back(id);
    }
  }
}

void Controller::advance_to(Cycle t) {
  now_ = std::max(now_, t);
  for (auto& u : units_) {
    u->advance_to(t);
  }
}

void Controller::advance_unit_to(uint32_t unit, Cycle t) {
  units_[unit]->advance_to(t);
}

std::vector<TxId> Controller::take_finished() {
  std::vector<TxId> out;
  out.swap(finished_);
  return out;
}

void Controller::release(TxId id) {
  txs_[id].live = false;
  free_.push_back(id);
  --live_;
}

Cycle Controller::next_wake() {
  Cycle best = kNever;
  const Timing& t = config_.timing;
  Cycle c = std::min(t.RL, t.WL) + config_.burst_cycles();
  for (const auto& u : units_) {
    Cycle n = u->next_time();
    if (n != kNever) {
      best = std::min(best, n + c);
    }
  }
  return best;
}

bool Controller::idle() const {
  return std::none_of(units_.begin(), units_.end(), [](const auto& u) { return u->busy(); });
}

Cycle Controller::drain() {
  while (!idle()) {
    advance_to(next_wake());
  }
  advance_to(totals_.last_completion);
  return totals_.last_completion;
}

Cycle Controller::accept_time(uint32_t unit, bool write, Cycle t) {
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

MemoryStats Controller::stats() const {
  MemoryStats s = totals_;
  for (const auto& u : units_) {
    u->add_stats(s, now_);
  }
  return s;
}

}  // namespace cimsim::memory
