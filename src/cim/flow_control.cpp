// A tile's bounded input buffer with credit-based flow control (flow_control.hpp).
#include "cimsim/cim/flow_control.hpp"

#include <algorithm>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

namespace {

// Row i of n arriving evenly over w: floor(span i / (n - 1)), split so that it cannot
// overflow (span i can exceed 64 bits).
uint64_t arrival(const Window& w, uint64_t i, uint64_t n) {
  if (n <= 1 || w.last <= w.first) {
    return w.first;
  }
  const uint64_t span = w.last - w.first, d = n - 1;
  return w.first + (span / d) * i + (span % d) * i / d;
}

}  // namespace

StreamTiming stream_closed_form(uint64_t free_ps, const Window& in, uint64_t fill_ps,
                                uint64_t per_item_ps, uint64_t items) {
  // Starts on the first input, cannot end before the last input plus one item's latency.
  // The resource is busy for the job's work, not while it waits for a slow input: jobs of
  // other streams fill those gaps, as a dataflow tile works on whatever rows have arrived.
  StreamTiming t;
  t.start_ps = std::max(in.first, free_ps);
  uint64_t work = checked_mul(items, per_item_ps, "busy time");
  t.busy_until_ps = t.start_ps + fill_ps + work;
  t.out = Window{t.start_ps + fill_ps + per_item_ps,
                 std::max(t.busy_until_ps, in.last + fill_ps + per_item_ps)};
  return t;
}

Window stream_shared(uint64_t& free_ps, const Window& in, uint64_t fill_ps, uint64_t per_item_ps,
                     uint64_t items) {
  StreamTiming t = stream_closed_form(free_ps, in, fill_ps, per_item_ps, items);
  free_ps = t.busy_until_ps;
  t.out.first = std::min(t.out.first, in.first + fill_ps + per_item_ps);
  return t.out;
}

Window stream_port(uint64_t& free_ps, const Window& in, uint64_t latency_ps, uint64_t per_item_ps,
                   uint64_t items) {
  const Window w = stream_shared(free_ps, in, 0, per_item_ps, items);
  return Window{w.first + latency_ps, w.last + latency_ps};
}

FlowStats& FlowStats::operator+=(const FlowStats& o) {
  streams += o.streams;
  event_streams += o.event_streams;
  stalled_rows += o.stalled_rows;
  stall_ps += o.stall_ps;
  return *this;
}

CreditBuffer::CreditBuffer(uint64_t capacity_packets, bool events_only)
    : cap_(std::max<uint64_t>(1, capacity_packets)), events_only_(events_only) {}

void CreditBuffer::release_until(uint64_t t) {
  while (!slots_.empty() && slots_.top().first <= t) {
    held_ -= slots_.top().second;
    slots_.pop();
  }
}

bool CreditBuffer::uncontended(const FlowStream& s, const StreamTiming& closed, uint64_t need,
                               uint64_t per_row) const {
  if (events_only_ || held_ > 0) {
    return false;
  }
  const uint64_t fit = cap_ / need;  // rows the empty buffer holds
  if (s.rows <= fit) {
    return true;
  }
  // Row i needs row i - fit's credit back: c(i - fit) + per_row + loop <= a(i), where the
  // consumer starts row j at c(j) = max(start + j per_row, a(j)). The slack is convex in i
  // (a max of linear terms minus a linear one), so its ends bound it; integer rounding of
  // the arrivals is worth at most 2 ps, kept as margin.
  auto late = [&](uint64_t i) {
    uint64_t j = i - fit;
    uint64_t c = std::max(closed.start_ps + j * per_row, arrival(s.arrive, j, s.rows));
    return c + per_row + s.credit_loop_ps + 2 > arrival(s.arrive, i, s.rows);
  };
  return !late(fit) && !late(s.rows - 1);
}

FlowResult CreditBuffer::stream(const FlowStream& s, const FlowConsumer& c) {
  FlowResult r;
  const uint64_t rows = std::max<uint64_t>(1, s.rows);
  // A row larger than the buffer streams through it whole (the spill of what exceeds the
  // activation reserve is charged apart, buffer_capacity.hpp).
  const uint64_t need = std::min(std::max<uint64_t>(1, s.packets_per_row), cap_);
  const uint64_t q = c.per_row_ps;
  ++stats_.streams;
  release_until(s.arrive.first);
  StreamTiming closed = stream_closed_form(c.free_ps, s.arrive, c.fill_ps, q, rows);
  if (uncontended(s, closed, need, q)) {
    // Only the rows still in the buffer at the end hold credits afterwards.
    const uint64_t keep = std::min(rows, cap_ / need);
    for (uint64_t i = rows - keep; i < rows; ++i) {
      uint64_t ci = std::max(closed.start_ps + i * q, arrival(s.arrive, i, rows));
      slots_.emplace(ci + q + s.credit_loop_ps, need);
      held_ += need;
    }
    r.timing = closed;
    r.closed_form = true;
    return r;
  }
  ++stats_.event_streams;
  uint64_t prev = 0;
  for (uint64_t i = 0; i < rows; ++i) {
    const uint64_t want = arrival(s.arrive, i, rows);
    uint64_t a = want;
    release_until(a);
    while (held_ + need > cap_) {  // wait for the earliest credit
      a = std::max(a, slots_.top().first);
      held_ -= slots_.top().second;
      slots_.pop();
    }
    uint64_t ci = i == 0 ? std::max(a, c.free_ps) : std::max(a, prev + q);
    if (i == 0) {
      r.timing.start_ps = ci;
    }
    slots_.emplace(ci + q + s.credit_loop_ps, need);
    held_ += need;
    if (a > want) {
      r.stall_ps += a - want;
      ++r.stalled_rows;
    }
    prev = ci;
  }
  r.timing.busy_until_ps = r.timing.start_ps + c.fill_ps + checked_mul(rows, q, "busy time");
  r.timing.out = Window{r.timing.start_ps + c.fill_ps + q, prev + c.fill_ps + q};
  stats_.stalled_rows += r.stalled_rows;
  stats_.stall_ps += r.stall_ps;
  return r;
}

}  // namespace cimsim::cim
