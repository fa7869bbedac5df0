// The ADC as a component model (adc.hpp): the table model reproduces the preset's figures,
// the SAR model follows its Walden figure of merit, and a toy model registered from this file
// alone (the way a new ADC model is added) changes what the MVM timing and the energy table
// see.
#include <gtest/gtest.h>

#include <cmath>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/adc.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/cim/mvm.hpp"
#include "cimsim/cim/mvm_pipeline.hpp"

namespace {

// A flash ADC that converts two columns per sample clock (a toy: twice the rate).
class DoubleRateAdc final : public cimsim::cim::AdcModel {
 public:
  explicit DoubleRateAdc(const cimsim::cim::AdcConfig& c) : c_(c) {}
  double rate_gsps() const override { return 2 * c_.sample_rate_gsps; }
  double energy_pj() const override { return 5.0; }
  std::string energy_source() const override { return "toy"; }
  double peak_power_mw() const override { return 5.0 * rate_gsps(); }
  double static_mw() const override { return 0.5; }
  double area_mm2() const override { return 0.01; }

 private:
  cimsim::cim::AdcConfig c_;
};

}  // namespace

namespace cimsim::cim {
CIMSIM_REGISTER(AdcModelAxis, config::NoParams, "test_double_rate", "a toy ADC for this test",
                [](const config::NoParams&, const AdcConfig& c) -> std::unique_ptr<AdcModel> {
                  return std::make_unique<DoubleRateAdc>(c);
                });
}  // namespace cimsim::cim

namespace cimsim::test {
namespace {

TEST(AdcModel, TableReproducesThePresetsFigures) {
  cim::CimConfig c = preset("isaac");
  auto adc = c.adc.model.make(c.adc);
  // ISAAC Table II: 2 mW and 0.0012 mm2 per 8-bit 1.28 GS/s ADC.
  EXPECT_DOUBLE_EQ(adc->rate_gsps(), 1.28);
  EXPECT_DOUBLE_EQ(adc->area_mm2(), 0.0012);
  EXPECT_DOUBLE_EQ(adc->peak_power_mw(), 2.0);
  EXPECT_NEAR(adc->energy_pj(), (2.0 - adc->static_mw()) / 1.28, 1e-12);
}

TEST(AdcModel, SarFollowsTheWaldenFigureOfMerit) {
  cim::CimConfig c = preset("isaac", Json::parse(R"({"adc": {"model": "sar"}})"));
  auto adc = c.adc.model.make(c.adc);
  // Kull et al. 2013: 34.4 fJ per step, ENOB = 8 - 1.76 = 6.24: 34.4 fJ x 2^6.24 = 2.600 pJ.
  EXPECT_NEAR(adc->energy_pj(), 34.4e-3 * std::pow(2.0, 6.24), 1e-12);
  EXPECT_NEAR(adc->energy_pj(), 2.600, 0.001);
  EXPECT_DOUBLE_EQ(adc->area_mm2(), 0.0015);
  EXPECT_NEAR(adc->peak_power_mw(), 2.600 * 1.28, 0.002);
  // Two bits fewer: a quarter of the energy and of the capacitive DAC's area.
  cim::CimConfig six = preset(
      "isaac", Json::parse(R"({"adc": {"model": "sar", "bits": 6, "bits_saved_by_encoding": 1},
                                       "crossbar": {"rows_at_once": 21}})"));
  auto small = six.adc.model.make(six.adc);
  EXPECT_NEAR(small->energy_pj(), adc->energy_pj() / 4, 1e-12);
  EXPECT_NEAR(small->area_mm2(), 0.0015 / 4, 1e-15);
  // The energy table charges a conversion what the model says.
  EXPECT_NEAR(cim::energy_table(c).get("adc", "convert"), adc->energy_pj(), 1e-12);
}

TEST(AdcModel, AToyModelFromOneFileReachesTheMvmTimingAndTheEnergyTable) {
  cim::CimConfig table = preset("isaac");
  cim::CimConfig toy = preset("isaac", Json::parse(R"({"adc": {"model": "test_double_rate"}})"));
  // A full PE: 128 columns per crossbar on its own ADC. At 1.28 GS/s a step converts in
  // 100 ns (the fill after the last read); at twice the rate in 50 ns.
  cim::PeLoad pe;
  for (int i = 0; i < 8; ++i) {
    pe.add(cim::XbarUse{128, 128}, 128);
  }
  EXPECT_EQ(cim::MvmModel(table, 16).timing(pe).fill_ps, 100000u);
  EXPECT_EQ(cim::MvmModel(toy, 16).timing(pe).fill_ps, 50000u);
  // The stage walk (mvm_pipeline.hpp) converts at the model's rate too: 16 reads of 100 ns,
  // the last step's conversions 50 ns after the last read.
  cim::MvmStages st = cim::MvmModel(toy, 16).stages(pe, 256, 256);
  EXPECT_EQ(st.convert_ps, 50000u);
  EXPECT_EQ(cim::walk_pipeline(st, {0}).done_ps, 16 * 100000u + 50000u);
  EXPECT_DOUBLE_EQ(cim::energy_table(toy).get("adc", "convert"), 5.0);
  // The budget lists its area and leakage.
  for (const auto& item : cim::budget(toy)) {
    if (item.name == "adc") {
      EXPECT_DOUBLE_EQ(item.area_mm2, 0.01);
      EXPECT_DOUBLE_EQ(item.static_mw, 0.5);
    }
  }
}

}  // namespace
}  // namespace cimsim::test
