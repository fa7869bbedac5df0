// Credit-based flow control into a bounded tile input buffer (flow_control.hpp), against
// hand-computed row timings. Notation: q the consumer's row period, L the credit loop; row
// j's slot is free for a waiting sender at c(j) + q + L, c(j) when the consumer starts it.
#include <gtest/gtest.h>

#include "cimsim/cim/flow_control.hpp"

namespace cimsim::cim {
namespace {

FlowStream rows_at(uint64_t first, uint64_t last, uint64_t rows, uint64_t packets = 1,
                   uint64_t loop = 2) {
  FlowStream s;
  s.arrive = Window{first, last};
  s.rows = rows;
  s.packets_per_row = packets;
  s.credit_loop_ps = loop;
  return s;
}

FlowConsumer consumer(uint64_t free, uint64_t fill, uint64_t q) {
  return FlowConsumer{free, fill, q};
}

TEST(FlowControl, UncontendedEqualsTheClosedFormEitherWay) {
  // Big buffer, or a consumer that keeps up: the event model (events_only) gives the closed
  // form exactly, and the fast path takes the closed form.
  for (uint64_t cap : {1u, 3u, 64u, 4096u}) {
    for (uint64_t q : {1u, 7u, 100u}) {
      for (uint64_t span : {0u, 50u, 1000u, 100000u}) {
        for (uint64_t free : {0u, 500u}) {
          FlowStream s = rows_at(100, 100 + span, 37, 1, 3);
          FlowConsumer c = consumer(free, 11, q);
          StreamTiming closed = stream_closed_form(free, s.arrive, 11, q, 37);
          CreditBuffer events(cap, true), fast(cap);
          FlowResult e = events.stream(s, c), f = fast.stream(s, c);
          if (e.stalled_rows == 0) {
            EXPECT_EQ(e.timing.out.first, closed.out.first) << cap << " " << q << " " << span;
            EXPECT_EQ(e.timing.out.last, closed.out.last) << cap << " " << q << " " << span;
            EXPECT_EQ(e.timing.busy_until_ps, closed.busy_until_ps);
          }
          // The fast path is only taken where no row would wait, and then agrees.
          if (f.closed_form) {
            EXPECT_EQ(e.stalled_rows, 0u) << cap << " " << q << " " << span;
          }
          EXPECT_EQ(f.timing.out.first, e.timing.out.first);
          EXPECT_EQ(f.timing.out.last, e.timing.out.last);
        }
      }
    }
  }
}

TEST(FlowControl, RowsFittingTheBufferTakeTheClosedForm) {
  CreditBuffer b(64);
  FlowResult r = b.stream(rows_at(0, 0, 8, 8), consumer(0, 5, 10));  // 8 rows x 8 packets
  EXPECT_TRUE(r.closed_form);
  EXPECT_EQ(r.timing.out.first, 15u);
  EXPECT_EQ(r.timing.out.last, 85u);  // 0 + 5 + 8 x 10
  EXPECT_EQ(r.stall_ps, 0u);
}

TEST(FlowControl, AFullBufferStallsTheSenderNotTheConsumer) {
  // 4 slots, 8 rows all ready at 0, q = 10, L = 2: rows 0-3 arrive at 0 and start at 0, 10,
  // 20, 30; row 4 waits for row 0's credit (0 + 10 + 2 = 12), row 5 for 22, 6 for 32, 7 for
  // 42: the sender waits 12 + 22 + 32 + 42 = 108 ps, but the consumer is the bottleneck and
  // still ends at 8 x 10 = 80, as the closed form says.
  CreditBuffer b(4);
  FlowResult r = b.stream(rows_at(0, 0, 8), consumer(0, 0, 10));
  EXPECT_FALSE(r.closed_form);
  EXPECT_EQ(r.timing.out.first, 10u);
  EXPECT_EQ(r.timing.out.last, 80u);
  EXPECT_EQ(r.stalled_rows, 4u);
  EXPECT_EQ(r.stall_ps, 108u);
}

TEST(FlowControl, ACreditLoopLongerThanTheBufferLimitsThroughput) {
  // One slot, q = 10, L = 5, 3 rows ready at 0: one row per q + L = 15 ps, rows start at 0,
  // 15, 30, the last result at 40; the unbounded closed form says 30. Difference 2 x L.
  CreditBuffer b(1);
  FlowResult r = b.stream(rows_at(0, 0, 3, 1, 5), consumer(0, 0, 10));
  EXPECT_EQ(r.timing.out.first, 10u);
  EXPECT_EQ(r.timing.out.last, 40u);
  EXPECT_EQ(stream_closed_form(0, Window{0, 0}, 0, 10, 3).out.last, 30u);
  EXPECT_EQ(r.stall_ps, 15u + 30u);
}

TEST(FlowControl, TwoProducersIntoOneBuffer) {
  // 4 slots. Producer A: 4 rows at 0 for a consumer with q = 10 (its PEs), L = 2: they fill
  // the buffer and start at 0, 10, 20, 30 (credits back at 12, 22, 32, 42). Producer B: 2
  // rows at 0 for other PEs of the same tile with q = 5: row 0 waits for A's first credit
  // (12) and starts at 12 (credit back at 12 + 5 + 2 = 19); row 1 waits for the earliest
  // credit then, its own row 0's at 19, and starts at 19. B's results: 17 and 24 instead of
  // 5 and 10 alone; B's sender waited 12 + 19 = 31 ps.
  CreditBuffer b(4);
  FlowResult a = b.stream(rows_at(0, 0, 4), consumer(0, 0, 10));
  EXPECT_EQ(a.timing.out.last, 40u);
  FlowResult r = b.stream(rows_at(0, 0, 2), consumer(0, 0, 5));
  EXPECT_EQ(r.timing.out.first, 17u);
  EXPECT_EQ(r.timing.out.last, 24u);
  EXPECT_EQ(r.timing.busy_until_ps, 22u);  // starts at 12, two rows of 5
  EXPECT_EQ(r.stall_ps, 31u);
  CreditBuffer alone(4);
  FlowResult solo = alone.stream(rows_at(0, 0, 2), consumer(0, 0, 5));
  EXPECT_EQ(solo.timing.out.first, 5u);
  EXPECT_EQ(solo.timing.out.last, 10u);
  EXPECT_EQ(b.stats().streams, 2u);
  EXPECT_EQ(b.stats().stall_ps, 31u);
}

TEST(FlowControl, RowsOfSeveralPacketsTakeThatManyCredits) {
  // 8 packets, rows of 3: two rows fit (6), the third waits for row 0's credit (0+10+2).
  CreditBuffer b(8);
  FlowResult r = b.stream(rows_at(0, 0, 3, 3), consumer(0, 0, 10));
  EXPECT_EQ(r.stalled_rows, 1u);
  EXPECT_EQ(r.stall_ps, 12u);
  EXPECT_EQ(r.timing.out.last, 30u);
}

TEST(FlowControl, CreditsComeBackBeforeALaterStream) {
  // A stream whose rows are all consumed before the next one starts leaves the buffer empty:
  // the second stream takes the closed form.
  CreditBuffer b(2);
  b.stream(rows_at(0, 0, 4), consumer(0, 0, 10));  // last credit back at 30 + 12 = 42
  FlowResult r = b.stream(rows_at(42, 42, 2), consumer(0, 0, 10));
  EXPECT_TRUE(r.closed_form);
  EXPECT_EQ(r.timing.out.last, 62u);
}

}  // namespace
}  // namespace cimsim::cim
