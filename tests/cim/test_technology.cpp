// Technology scaling with Stillmaker and Baas (Integration 58, 2017): the fits against the
// paper's worked example, a 32 nm -> 7 nm factor by hand, and the isaac preset scaled.
#include <gtest/gtest.h>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/cim/technology.hpp"

namespace cimsim::test {
namespace {

TEST(Technology, FitsReproduceThePapersWorkedExample) {
  // Erratum to Sec. 4.2.1: EnergyFactor = 0.8367 (0.9)^2 - 0.4341 (0.9) + 0.1701 = 0.4571 for
  // 32 nm HP at 0.9 V, 3.755 (1.3)^2 - 4.398 (1.3) + 1.975 = 2.604 for 65 nm at 1.3 V, so
  // 1 pJ/op at 65 nm is 0.4571 / 2.604 = 0.1755 pJ/op at 32 nm.
  EXPECT_NEAR(cim::stillmaker_energy(32, 0.9, true), 0.4571, 5e-5);
  EXPECT_NEAR(cim::stillmaker_energy(65, 1.3, true), 2.604, 5e-4);
  EXPECT_NEAR(cim::stillmaker_factors(65, 1.3, 32, 0.9, true).energy, 0.1755, 1e-4);
}

TEST(Technology, From32nmTo7nmByHand) {
  // Delay: 32 nm HP at 0.9 V: -1047 (0.729) + 2982 (0.81) - 2797 (0.9) + 873.5 = 8.357;
  // 7 nm HP at 0.7 V: -28.58 (0.343) + 76.6 (0.49) - 70.26 (0.7) + 24.69 = 3.2391.
  // Energy: 0.4571 and 0.1776 (0.49) - 0.09097 (0.7) + 0.02447 = 0.047814. Area: 0.13.
  cim::NodeFactors k = cim::stillmaker_factors(32, 0.9, 7, 0.7, true);
  EXPECT_NEAR(k.delay, 3.23906 / 8.357, 1e-6);
  EXPECT_NEAR(k.energy, 0.047814 / 0.45712, 1e-5);
  EXPECT_DOUBLE_EQ(k.area, 0.13);
  EXPECT_NEAR(k.power(), k.energy / k.delay, 1e-15);
}

TEST(Technology, IsaacScaledTo7nmKeepsDevicesAndLinks) {
  cim::CimConfig c = preset(
      "isaac", Json::parse(R"({"technology": {"scale_to": {"process_nm": 7, "vdd": 0.7}}})"));
  cim::CimConfig s = cim::scale_to_node(c);
  cim::NodeFactors k = cim::stillmaker_factors(32, 0.9, 7, 0.7, true);
  EXPECT_NEAR(s.clock_ghz, 1.2 / k.delay, 1e-12);
  EXPECT_NEAR(s.adc.sample_rate_gsps, 1.28 / k.delay, 1e-12);
  EXPECT_DOUBLE_EQ(s.crossbar.read_latency_ns, 100);  // ReRAM device timing
  EXPECT_DOUBLE_EQ(s.crossbar.program.pulse_ns, 85.7);
  EXPECT_DOUBLE_EQ(s.chip.links.power_mw, 2600);  // I/O
  EXPECT_DOUBLE_EQ(s.chip.links.area_mm2, 5.72);
  EXPECT_NEAR(s.tile.vector_unit.mac_pj, 0.8305 * k.energy, 1e-12);
  EXPECT_NEAR(s.tile.buffer.power_mw, 20.7 * k.energy / k.delay, 1e-9);
  // The chip: everything but the 4 links (22.88 mm2) shrinks by 0.13.
  double at32 = cim::budget_totals(c, true).chip_area_mm2;
  EXPECT_NEAR(cim::budget_totals(s, true).chip_area_mm2, (at32 - 22.88) * 0.13 + 22.88, 1e-9);
  // A derived energy scales by the energy factor: an ADC conversion is its dynamic power over
  // its rate, both scaled.
  EXPECT_NEAR(cim::energy_table(s).get("adc", "convert"),
              cim::energy_table(c).get("adc", "convert") * k.energy, 1e-12);
  EXPECT_DOUBLE_EQ(cim::process_nm(s), 7);
}

TEST(Technology, TheReportSaysWhatWasScaled) {
  auto f = make_fabric(preset(
      "isaac",
      Json::parse(
          R"({"chip": {"tiles": 8}, "technology": {"scale_to": {"process_nm": 7, "vdd": 0.7}}})")));
  f->start(TinyTrace(TinyModel{1, 128, 2, 2, 64, 256, 100}, TinyRun{TinyMode::decoder, 4, 2, 1})
               .source());
  sc_core::sc_start();
  Json r = f->report();
  const Json& t = r["metrics"]["technology"];
  EXPECT_TRUE(t["scaled"].get<bool>());
  EXPECT_EQ(t["from"]["process_nm"].get<double>(), 32);
  EXPECT_EQ(t["to"]["process_nm"].get<double>(), 7);
  EXPECT_DOUBLE_EQ(t["factors"]["area"].get<double>(), 0.13);
  EXPECT_EQ(r["budget"]["process_nm"].get<double>(), 7);
  // The reported clock is the scaled one.
  EXPECT_NEAR(r["clock_ghz"].get<double>(), 1.2 / t["factors"]["delay"].get<double>(), 1e-9);
}

}  // namespace
}  // namespace cimsim::test
