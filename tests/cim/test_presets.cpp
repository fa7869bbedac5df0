// The puma and sram-dcim presets against the figures they were built from.
#include <gtest/gtest.h>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/cim/mapper.hpp"

namespace cimsim::test {
namespace {

TEST(Puma, MvmOf128x128SixteenBitWeightsTakes2304ns) {
  cim::CimConfig c = preset("puma");
  cim::MvmModel model(c, 16);
  cim::PeLoad pe;
  for (int i = 0; i < 8; ++i) {
    pe.add(cim::XbarUse{128, 128}, c.rows_at_once());
  }
  // Paper: a 128x128 MVMU performs 16,384 MACs in 2,304 ns; simulator: (16 + 2) x 128 cycles.
  EXPECT_EQ(model.timing(pe).run_ps(1), 2304000u);
}

TEST(Puma, NodeHoldsAbout69MBOfWeights) {
  cim::CimConfig c = preset("puma");
  // 138 tiles x 16 MVMUs x 128 x 128 16-bit weights = 72.35e6 bytes = 69.0 MiB.
  double bytes = static_cast<double>(c.chip.tiles) * c.tile.pes * 128 * 128 * 2;
  EXPECT_NEAR(bytes / (1 << 20), 69.0, 0.05);
  cim::MapRequest req;
  req.weights.push_back({"W", 0, 128, uint64_t{16} * 128 * 138, 16});  // 128 crossbars per tile
  cim::Mapping m = cim::map_weights(preset("puma", Json::parse(R"({"replication": "none"})")), req);
  EXPECT_EQ(m.chips, 1u);
  EXPECT_EQ(m.crossbars_used(), 138u * 16 * 8);
}

TEST(Puma, NodeAreaWithinThreePercentOfThePaper) {
  cim::BudgetTotals t = cim::budget_totals(preset("puma"), false);
  EXPECT_NEAR(t.chip_area_mm2, 90.6, 90.6 * 0.03);  // paper: 90.6 mm2
}

TEST(SramDcim, MacroEnergyAndDensityAreTheMacrosPublishedFigures) {
  cim::CimConfig c = preset("sram-dcim");
  // A full macro at 4-bit inputs and 4-bit weights: 256 rows x 64 weights, 4 bit-serial steps.
  Json patch = Json::parse(R"({"weight_bits": 4})");
  cim::CimConfig c4 = preset("sram-dcim", patch);
  cim::MvmModel model(c4, 4);
  cim::PeLoad pe;
  pe.add(cim::XbarUse{256, 256}, c4.rows_at_once());
  cim::MvmCounts n = model.counts(pe);
  double pj = n.row_reads * cim::energy_table(c).get("xbar", "read_row");
  double macs = 256.0 * 64;
  EXPECT_NEAR(2 * macs / (pj * 1e-12) / 1e12, 89.0, 0.1);  // TOPS/W
  double seconds = model.timing(pe).per_vector_ps() * 1e-12;
  EXPECT_NEAR(2 * macs / seconds / 1e12 / c.crossbar.area_mm2, 16.3, 0.05);  // TOPS/mm2
}

TEST(SramDcim, NeedsNoAdcAndWearsNothing) {
  cim::CimConfig c = preset("sram-dcim");
  EXPECT_EQ(c.crossbar.readout, cim::Readout::digital);
  EXPECT_EQ(c.pe.adcs, 0u);
  EXPECT_EQ(c.crossbar.program.endurance_writes, 0.0);
}

}  // namespace
}  // namespace cimsim::test
