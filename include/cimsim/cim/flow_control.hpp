// A tile's bounded input buffer with credit-based flow control (plain C++, no SystemC).
//
// Modelled: rows of a stream (an MVM's input vectors) arrive in the consumer tile's input
// buffer, which holds capacity_packets packets of one link flit each (router.flit_bits: 4
// bytes on ISAAC); a row takes ceil(row bytes / packet bytes) packets. A sender may send a
// row only when it holds credits for all its packets; the consumer returns them when it has
// read the row (its row period after it started on it) and they reach the sender and the
// next row arrives one credit loop later (credit flit back plus the row's head forward over
// the same routers). So a producer waits, in simulated time, while the buffer is full, and
// streams into one buffer compete for its slots (two producers into one buffer). The
// consumer works row by row: it starts a row when the row is there and the previous row's
// period is over, as Tile::stream's closed form assumes.
//
// Closed form kept where nothing can interfere: when the buffer holds nothing when the
// stream starts and every row's credit comes back before that row would arrive anyway
// (checked at both ends of the stream, where the slack is smallest: it is convex in the row
// index), the stream is the closed form (stream_closed_form) and only the last rows' credit
// releases are recorded; otherwise every row is an event.
//
// Left out: streams are booked in issue order, so a later stream does not use slots that
// an earlier-booked stream takes only later (the list scheduler's rule, as on the links);
// the producer's own PEs are not held while it waits (its rows wait in its output buffer).
#pragma once

#include <cstdint>
#include <queue>
#include <utility>
#include <vector>

#include "cimsim/cim/noc.hpp"

namespace cimsim::cim {

// A resource that processes `items` rows arriving evenly over `in`: where it starts and
// the results' window, and how long the resource is busy (its work, not its waits).
struct StreamTiming {
  Window out;
  uint64_t start_ps = 0;
  uint64_t busy_until_ps = 0;
};
StreamTiming stream_closed_form(uint64_t free_ps, const Window& in, uint64_t fill_ps,
                                uint64_t per_item_ps, uint64_t items);

// A resource whose work interleaves item by item with other streams (a tile's vector unit,
// its buffer port): booked as stream_closed_form from free_ps (which it advances), except
// that the first item is not held up by work booked earlier; the last one is (the resource's
// throughput is conserved, as on a mesh link).
Window stream_shared(uint64_t& free_ps, const Window& in, uint64_t fill_ps, uint64_t per_item_ps,
                     uint64_t items);

// A shared port (a tile buffer's): stream_shared over its accesses alone, with the access
// latency added to the data's window; the latency delays the data, it does not occupy the
// port, so the next job's accesses may start behind it.
Window stream_port(uint64_t& free_ps, const Window& in, uint64_t latency_ps, uint64_t per_item_ps,
                   uint64_t items);

struct FlowStream {
  Window arrive;  // rows arrive evenly over this window when the buffer never fills
  uint64_t rows = 1;
  uint64_t packets_per_row = 1;
  uint64_t credit_loop_ps = 0;  // a slot freed at the consumer -> a waiting row is in it
};

struct FlowConsumer {
  uint64_t free_ps = 0;  // the consumer's resource is free from then
  uint64_t fill_ps = 0;
  uint64_t per_row_ps = 0;
};

struct FlowResult {
  StreamTiming timing;
  uint64_t stall_ps = 0;      // sum over rows of how long senders waited for credits
  uint64_t stalled_rows = 0;  // rows that waited
  bool closed_form = false;   // the uncontended fast path was taken
};

struct FlowStats {
  uint64_t streams = 0, event_streams = 0, stalled_rows = 0, stall_ps = 0;
  FlowStats& operator+=(const FlowStats& o);
};

class CreditBuffer {
 public:
  // events_only: never take the closed form (tests compare both).
  explicit CreditBuffer(uint64_t capacity_packets, bool events_only = false);
  FlowResult stream(const FlowStream& s, const FlowConsumer& c);
  uint64_t capacity_packets() const { return cap_; }
  const FlowStats& stats() const { return stats_; }

 private:
  using Held = std::pair<uint64_t, uint64_t>;  // (credit back at the sender's row, packets)
  void release_until(uint64_t t);
  bool uncontended(const FlowStream& s, const StreamTiming& closed, uint64_t need,
                   uint64_t per_row) const;

  uint64_t cap_;
  bool events_only_;
  uint64_t held_ = 0;
  std::priority_queue<Held, std::vector<Held>, std::greater<>> slots_;
  FlowStats stats_;
};

}  // namespace cimsim::cim
