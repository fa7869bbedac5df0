// Page policy of a pseudo-channel: whether a column command closes its row (RDA/WRA) or leaves
// it open. The axis "memory.page_policy" of the registry; one implementation per file
// (page_open.cpp, page_closed.cpp, page_open_adaptive.cpp, page_closed_adaptive.cpp).
//
// A policy whose answer does not depend on the queues says so once (fixed()): the channel
// then never calls it and never re-asks a bank when a request arrives. Otherwise it sees the
// bank's two queues when the bank's next command is chosen.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "cimsim/config/registry.hpp"
#include "cimsim/memory/scheduler.hpp"

namespace cimsim::memory {

class PagePolicy {
 public:
  virtual ~PagePolicy() = default;
  // The answer for every access if it never depends on the queues; nullopt otherwise.
  virtual std::optional<bool> fixed() const { return std::nullopt; }
  // Whether the column command for request `index` of queues[dir] (0 reads, 1 writes) of one
  // bank auto-precharges; that request hits the bank's open row.
  virtual bool auto_precharge(const QueueView (&queues)[2], int dir, size_t index) const = 0;
};

struct PagePolicyAxis : config::Axis<std::unique_ptr<PagePolicy>()> {
  static constexpr const char* key = "memory.page_policy";
  static constexpr const char* doc = "page policy: when a column command closes its row";
};

// How many other queued requests of the bank hit / miss the row of queues[dir][index].
struct RowOutlook {
  bool other_hit = false;
  bool miss = false;
};
inline RowOutlook row_outlook(const QueueView (&queues)[2], int dir, size_t index) {
  RowOutlook out;
  const uint32_t row = queues[dir][index].row;
  for (int q = 0; q < 2; ++q) {
    for (size_t i = 0; i < queues[q].size; ++i) {
      if (q == dir && i == index) {
        continue;
      }
      (queues[q][i].row == row ? out.other_hit : out.miss) = true;
    }
  }
  return out;
}

}  // namespace cimsim::memory
