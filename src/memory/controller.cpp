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

TxId Controller::submit(uint64_t address, uint64_t bytes, bool write, Cycle now,
                        RequestorId requestor) {
  if (bytes == 0 || address > map_.capacity_bytes() || bytes > map_.capacity_bytes() - address) {
    throw std::logic_error("Controller::submit: request outside the memory");
  }
  const uint64_t burst = map_.burst_bytes();
  const uint64_t first = address / burst, last = (address + bytes - 1) / burst;
  TxId id = new_transaction(bytes, static_cast<uint32_t>(last - first + 1), write, now);
  AddressMap::Cursor at(map_, first * burst);
  for (uint64_t b = first; b <= last; ++b, at.next()) {
    enqueue_burst(id, at.get(), write, now, requestor);
  }
  return id;
}

void Controller::on_transaction_burst_issued(TxId id, Cycle data_end) {
  Transaction& tx = txs_[id];
  tx.completion = std::max(tx.completion, data_end);
  if (--tx.unissued == 0) {
    count_request(tx.write, tx.bytes, tx.submitted, tx.completion);
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

MemoryStats Controller::stats() const {
  MemoryStats s = totals_;
  for (const auto& u : units_) {
    u->add_stats(s, now_);
  }
  return s;
}

}  // namespace cimsim::memory
