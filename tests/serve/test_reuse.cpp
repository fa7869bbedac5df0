// Iteration shapes and the reuse of their costs, against closed forms: shape_of() on a
// hand-built iteration, the geometric grid, and the first-order interpolation, which must be
// exact for a cost linear in each dimension and simulate each grid shape once.
#include <gtest/gtest.h>

#include "cimsim/serve/reuse.hpp"

namespace cimsim::serve {
namespace {

IterationItem item(uint64_t q, uint64_t kv, bool prefill, bool emits, bool padding = false) {
  IterationItem i;
  i.q_tokens = q;
  i.kv_len = kv;
  i.prefill = prefill;
  i.emits_token = emits;
  i.padding = padding;
  return i;
}

TEST(Reuse, ShapeOfGroupsPrefillsLongestFirstAndDecodesAtTheirMeanLength) {
  Iteration it;
  it.items = {item(4, 12, true, false), item(5, 5, true, true), item(1, 7, false, true),
              item(1, 10, false, true), item(1, 4, false, false, true)};
  workload::IterationShape s = shape_of(it);
  ASSERT_EQ(s.groups.size(), 3u);
  EXPECT_EQ(s.groups[0], (workload::AttentionGroup{1, 5, 5}));
  EXPECT_EQ(s.groups[1], (workload::AttentionGroup{1, 4, 12}));
  // (7 + 10 + 4) / 3 = 7 keys each.
  EXPECT_EQ(s.groups[2], (workload::AttentionGroup{3, 1, 7}));
  EXPECT_EQ(s.logits_rows, 4u);  // the last prompt chunk, two decodes and the padding row
  EXPECT_EQ(s.tokens(), 12u);
}

TEST(Reuse, GridIsExactBelowTheBaseThenGeometric) {
  ReuseGrid g{16, 4, 2};
  EXPECT_EQ(g.around(7, 16), std::make_pair(uint64_t{0}, uint64_t{16}));
  EXPECT_EQ(g.around(40, 16), std::make_pair(uint64_t{32}, uint64_t{48}));
  // 600: octave 512, step 256.
  EXPECT_EQ(g.around(600, 16), std::make_pair(uint64_t{512}, uint64_t{768}));
  EXPECT_EQ(g.around(2048, 16), std::make_pair(uint64_t{2048}, uint64_t{3072}));
  EXPECT_EQ(g.around(5, 4), std::make_pair(uint64_t{4}, uint64_t{8}));
}

// Seconds linear in every dimension of every part: 1 ms per token-parallel token, 10 ms per
// logit row, 0.1 ms per attention key pair row (batch x q) and 0.01 ms per key x batch.
IterationCost linear(const workload::IterationShape& s, IterationPart part) {
  double t = 0;
  if (part == IterationPart::tokens || part == IterationPart::whole) {
    t += 1e-3 * static_cast<double>(s.tokens());
  }
  if (part == IterationPart::logits || part == IterationPart::whole) {
    t += 1e-2 * static_cast<double>(s.logits_rows);
  }
  if (part == IterationPart::attention || part == IterationPart::whole) {
    for (const auto& g : s.groups) {
      t += 1e-4 * static_cast<double>(g.batch * g.q) + 1e-5 * static_cast<double>(g.batch * g.kv);
    }
  }
  return IterationCost{t, 3 * t};
}

TEST(Reuse, FirstOrderInterpolationIsExactForLinearCostsAndSimulatesEachGridShapeOnce) {
  // The parts of a shape in `linear` do not depend on the rest of the iteration: a part's
  // probe shape carries one token or one row where the part does not look.
  uint64_t calls = 0;
  IterationCostCache cache(ReuseGrid{16, 4, 2},
                           [&](const workload::IterationShape& s, IterationPart p) {
                             ++calls;
                             workload::IterationShape only = s;
                             if (p == IterationPart::tokens) only.logits_rows = 0;
                             if (p == IterationPart::logits) only.groups.clear();
                             IterationCost c = linear(only, p);
                             if (p == IterationPart::attention) c = linear(only, p);
                             return c;
                           });
  workload::IterationShape s;
  s.groups = {{1, 600, 600}, {6, 1, 300}};
  s.logits_rows = 7;
  // Expected whole cost: tokens 606 ms, logits 70 ms, attention: prompt 60 + 6 ms,
  // decode 0.6 + 18 ms.
  const double exact = 0.606 + 0.070 + (0.060 + 0.006) + (0.0006 + 0.018);
  // The decode group's key term is batch x kv, not linear in each: first order leaves out the
  // cross term f_n dn x f_kv dkv x 0.01 ms, with 6 between grid points 4 and 8 (dn = 2 from 4)
  // and 300 between 256 and 384 (44 keys from 256).
  const double expected = exact - 1e-5 * 2 * 44;
  IterationCost c = cache.cost(s);
  EXPECT_NEAR(c.seconds, expected, 1e-12);
  EXPECT_NEAR(c.energy_j, 3 * expected, 1e-12);
  const uint64_t first = calls;
  EXPECT_EQ(cache.cost(s).seconds, c.seconds);
  EXPECT_EQ(calls, first) << "a second identical iteration is not simulated again";
  EXPECT_EQ(cache.stats().iterations, 2u);
  EXPECT_EQ(cache.stats().simulated, first);
}

TEST(Reuse, WithoutAGridEveryIterationIsSimulatedWhole) {
  uint64_t calls = 0;
  IterationCostCache cache(std::nullopt, [&](const workload::IterationShape& s, IterationPart p) {
    ++calls;
    EXPECT_EQ(p, IterationPart::whole);
    return linear(s, p);
  });
  workload::IterationShape s;
  s.groups = {{2, 1, 9}};
  s.logits_rows = 2;
  cache.cost(s);
  cache.cost(s);
  EXPECT_EQ(calls, 2u);
}

}  // namespace
}  // namespace cimsim::serve
