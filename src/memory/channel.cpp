#include "cimsim/memory/channel.hpp"

#include <algorithm>

#include "cimsim/memory/controller.hpp"

namespace cimsim::memory {

Channel::Channel(const MemoryConfig& config, uint32_t unit, Controller* owner, CommandSink* sink)
    : config_(config), unit_(unit), owner_(owner), sink_(sink) {}

void Channel::enqueue(const BurstRequest& r) {
  Cycle start = std::max(r.submitted, busy_until_);
  busy_until_ = start + config_.burst_cycles();
  const Timing& t = config_.timing;
  Cycle end = start + (r.write ? t.tRCDWR + t.WL : t.tRCDRD + t.RL) + config_.burst_cycles();
  if (r.write) {
    ++stats_.write_bursts;
    ++stats_.commands[static_cast<int>(Command::kWr)];
  } else {
    ++stats_.read_bursts;
    ++stats_.commands[static_cast<int>(Command::kRd)];
  }
  ++stats_.row_hits;
  owner_->on_burst_issued(r.tx, end);
}
void Channel::advance_to(Cycle) {}
bool Channel::has_room(bool) const { return true; }
Cycle Channel::next_command_time() const { return kNever; }
bool Channel::busy() const { return false; }
void Channel::add_stats(MemoryStats& s) const {
  for (int i = 0; i < kCommandKinds; ++i) s.commands[i] += stats_.commands[i];
  s.read_bursts += stats_.read_bursts;
  s.write_bursts += stats_.write_bursts;
  s.row_hits += stats_.row_hits;
}
Cycle Channel::step() { return kNever; }

}  // namespace cimsim::memory
