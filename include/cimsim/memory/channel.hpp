// One pseudo-channel: its banks, request queues, scheduler and refresh (placeholder engine).
#pragma once

#include <cstdint>

#include "cimsim/memory/command.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/stats.hpp"

namespace cimsim::memory {

class Controller;

struct BurstRequest {
  uint32_t tx = 0;
  uint32_t bank = 0;
  uint32_t row = 0;
  uint32_t column = 0;
  bool write = false;
  Cycle submitted = 0;
};

class Channel {
 public:
  Channel(const MemoryConfig& config, uint32_t unit, Controller* owner, CommandSink* sink);
  void enqueue(const BurstRequest& r);
  void advance_to(Cycle t);
  bool has_room(bool write) const;
  Cycle next_command_time() const;
  bool busy() const;
  void add_stats(MemoryStats& s) const;
  Cycle step();

 private:
  const MemoryConfig& config_;
  uint32_t unit_;
  Controller* owner_;
  CommandSink* sink_;
  Cycle busy_until_ = 0;
  MemoryStats stats_;
};

}  // namespace cimsim::memory
