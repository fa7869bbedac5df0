// One attention op, computed by hand, under each dynamic-matmul policy (digital, sram_cim,
// write_xbar): the action counts and the op's time follow from the documented model
// (docs/cim.md, "Dynamic matmuls") without running anything else. The op is a decode step
// of two heads of 64 dimensions over 8 keys, with Q, K and V already in tile 0 when the phase
// starts (no weights, no KV cache: nothing to move), on ISAAC's 1.2 GHz clock (a cycle is
// llround(1000 / 1.2) = 833 ps).
#include <gtest/gtest.h>

#include "cim/cim_test_util.hpp"

namespace cimsim::test {
namespace {

constexpr uint64_t kCyclePs = 833;

Json run(const std::string& policy) {
  auto c = preset("isaac", Json{{"dynamic_matmul", policy}});
  auto f = make_fabric(c);
  f->start(one_attention());
  sc_core::sc_start();
  EXPECT_TRUE(f->done());
  return f->report();
}

double op_seconds(const Json& r) {
  return r["ops"][0]["busy_seconds"].get<double>();
}

TEST(DynamicPolicy, DigitalAttentionOnTheVectorUnitByHand) {
  Json r = run("digital");
  // Causal, one query at position 8: 8 pairs per head, 16 in all.
  // MACs 2 x 16 x 64 (QK^T and PV) = 2048; 16 scale multiplies; 2 x 16 adds (max, sum);
  // 16 exps; one reciprocal per row and head = 2 divisions.
  EXPECT_EQ(action_count(r, "tile.vector_unit", "mac"), 2048u);
  EXPECT_EQ(action_count(r, "tile.vector_unit", "mul"), 16u);
  EXPECT_EQ(action_count(r, "tile.vector_unit", "add"), 32u);
  EXPECT_EQ(action_count(r, "tile.vector_unit", "exp"), 16u);
  EXPECT_EQ(action_count(r, "tile.vector_unit", "div"), 2u);
  // Buffer: K and V (2 x 8 x 2 x 64 x 2 B = 4096 B) and Q (256 B) read, 256 B written, in
  // 256-bit accesses: 136 reads, 8 writes.
  EXPECT_EQ(action_count(r, "tile.buffer", "read"), 136u);
  EXPECT_EQ(action_count(r, "tile.buffer", "write"), 8u);
  // Time: 16 lanes, 3 cycles per exp or division: ceil((2048 + 16 + 32 + 3 x 18) / 16) = 135
  // cycles, below the 144 buffer accesses, so 144 cycles; plus the 2-cycle buffer latency.
  EXPECT_NEAR(op_seconds(r), (144 + 2) * kCyclePs * 1e-12, 1e-15);
}

TEST(DynamicPolicy, SramCimAttentionInTheArraysByHand) {
  Json r = run("sram_cim");
  // SRAM CIM arrays: 256 x 256 one-bit cells, 16-bit values take 16 cells. K^T per head is
  // 64 x 8 values = one array; V per head is 8 x 64 values = 1024 columns = 4 arrays.
  // Writes: K^T 64 x 8 x 16 and V 8 x 64 x 16 bits per head, 2 heads: 32768 bits.
  EXPECT_EQ(action_count(r, "sram_cim", "write_bit"), 32768u);
  EXPECT_EQ(r["totals"]["bytes"]["sram_cim"]["write"].get<uint64_t>(), 32768u / 8);
  // MVMs: 16 input bits, one step per bit over the used rows: K^T 64 rows, V 4 x 8 rows, per
  // head: (64 + 32) x 16 x 2 heads = 3072 row steps.
  EXPECT_EQ(action_count(r, "sram_cim", "row_step"), 3072u);
  // Softmax on the vector unit: 16 scores: 32 adds, 16 exps, 32 multiplies, 2 divisions.
  EXPECT_EQ(action_count(r, "tile.vector_unit", "exp"), 16u);
  EXPECT_EQ(action_count(r, "tile.vector_unit", "add"), 32u);
  EXPECT_EQ(action_count(r, "tile.vector_unit", "mul"), 32u);
  EXPECT_EQ(action_count(r, "tile.vector_unit", "div"), 2u);
  EXPECT_EQ(r["metrics"]["dynamic_writes"]["cells"].get<uint64_t>(), 32768u);
  // 10 arrays, 4 per tile: 3 rounds. A round: the longer write (K^T: 64 rows x 2 ns = 128 ns)
  // + QK^T (16 steps x 2 ns) + the softmax (ceil((4 x 16 + 2 x 16 x 3) / 16) = 10 cycles,
  // shared over the rounds: 8330 / 3 ps) + PV (16 x 2 ns).
  const uint64_t round_ps = 128000 + 32000 + 10 * kCyclePs / 3 + 32000;
  EXPECT_EQ(r["metrics"]["dynamic_writes"]["array_rounds"].get<uint64_t>(), 3u);
  EXPECT_NEAR(op_seconds(r), 3 * round_ps * 1e-12, 1e-15);
}

TEST(DynamicPolicy, WriteXbarAttentionInProgrammedCrossbarsByHand) {
  Json r = run("write_xbar");
  // ReRAM crossbars: 128 x 128 2-bit cells, a 16-bit value takes 8 cells. K^T per head is
  // 64 rows x 64 columns = 1 crossbar, V 8 rows x 512 columns = 4 crossbars: 10 in all,
  // which fit one pool tile (12 PEs x 8 crossbars), so one round.
  // Cells programmed: (64 x 8 + 8 x 64) x 8 cells x 2 heads = 16384; program-and-verify of 4
  // levels at 2 pulses per level step: the mean cell takes 1 + 2 x 1.5 = 4 pulses.
  EXPECT_EQ(action_count(r, "xbar", "program_cell"), 4 * 16384u);
  EXPECT_EQ(r["metrics"]["dynamic_writes"]["cells"].get<uint64_t>(), 16384u);
  EXPECT_EQ(r["metrics"]["dynamic_writes"]["bits"].get<uint64_t>(), 2 * 16384u);
  // MVMs, 16 one-bit slices: K^T drives 64 rows and converts 64 columns per slice; V drives
  // 4 x 8 rows and converts 4 x 128 columns; per head (64 + 32) x 16 = 1536 row reads and
  // DAC conversions, (64 + 512) x 16 = 9216 conversions; 2 heads.
  EXPECT_EQ(action_count(r, "xbar", "read_row"), 3072u);
  EXPECT_EQ(action_count(r, "dac", "convert"), 3072u);
  EXPECT_EQ(action_count(r, "adc", "convert"), 18432u);
  EXPECT_EQ(action_count(r, "sample_hold", "sample"), 18432u);
  // A round: the longer write (K^T's 64 rows, each until its top-level cells verify:
  // 1 + 2 x 3 = 7 iterations of 85.7 ns) + QK^T (16 x 100 ns reads, the 64-column conversion
  // (50 ns) hidden behind them, 50 ns fill) + softmax (10 cycles) + PV (16 x 100 ns, the
  // 128-column conversion 100 ns as fill).
  const uint64_t round_ps = 64 * 7 * 85700 + (50000 + 1600000) + 10 * kCyclePs + (100000 + 1600000);
  EXPECT_EQ(r["metrics"]["dynamic_writes"]["array_rounds"].get<uint64_t>(), 1u);
  EXPECT_NEAR(op_seconds(r), round_ps * 1e-12, 1e-15);
  // Wear: the pool's cells are written once on average (writes spread round-robin), a
  // top-level cell with 7 pulses; 1e6 pulses last 1e6 / 7 runs.
  const Json& e = r["metrics"]["endurance"];
  EXPECT_EQ(e["max_writes_per_cell_per_run"].get<uint64_t>(), 1u);
  EXPECT_DOUBLE_EQ(e["max_pulses_per_cell_per_run"].get<double>(), 7.0);
  EXPECT_NEAR(e["runs_until_worn_out"].get<double>(), 1e6 / 7, 1e-6);
}

}  // namespace
}  // namespace cimsim::test

namespace cimsim::test {
namespace {

TEST(DynamicPolicy, ProgramAndVerifyOfMultiLevelCellsByHand) {
  // ISAAC's 2-bit cells, 2 pulses per level step, 85.7 ns per pulse with its verify: a row
  // holding all 4 levels verifies after 1 + 2 x 3 = 7 iterations; the mean cell takes
  // 1 + 2 x 3 / 2 = 4 pulses; the top level 7.
  cim::ProgramCost k = cim::program_cost(preset("isaac"));
  EXPECT_DOUBLE_EQ(k.row_iterations, 7);
  EXPECT_DOUBLE_EQ(k.cell_pulses, 4);
  EXPECT_DOUBLE_EQ(k.worst_cell_pulses, 7);
  EXPECT_NEAR(k.row_ns, 7 * 85.7, 1e-9);
  // One-bit cells: two levels, 1 + 2 = 3 iterations, 2 pulses on average.
  cim::ProgramCost one = cim::program_cost(
      preset("isaac", Json::parse(R"({"crossbar": {"bits_per_cell": 1, "rows_at_once": 128}})")));
  EXPECT_DOUBLE_EQ(one.row_iterations, 3);
  EXPECT_DOUBLE_EQ(one.cell_pulses, 2);
  // Without iterations_per_level, every row takes `iterations` (SRAM writes: one).
  cim::ProgramCost sram = cim::program_cost(preset("sram-dcim"));
  EXPECT_DOUBLE_EQ(sram.row_iterations, 1);
  EXPECT_NEAR(sram.row_ns, 2.0, 1e-12);
}

}  // namespace
}  // namespace cimsim::test
