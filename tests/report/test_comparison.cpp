// The side-by-side comparison (report.cpp), checked by hand on two machine sections: the
// plain ratios, the figures normalised by each machine's budget, the iso-area point, and a
// baseline without a budget (a machine type that does not report one).
#include <gtest/gtest.h>

#include "cimsim/report/report.hpp"

namespace cimsim::report {
namespace {

// A machine section with what the comparison reads: 5 tokens in `seconds`.
Json machine(const std::string& name, double seconds, double energy_j, Json budget) {
  Json m{{"name", name},
         {"type", "x"},
         {"clock_ghz", 1.0},
         {"totals",
          {{"seconds", seconds},
           {"cycles", 1},
           {"energy_j", energy_j},
           {"bytes", {{"hbm", {{"read", 100}, {"write", 0}}}}}}},
         {"latency", {{"tokens_per_s", 5 / seconds}}},
         {"components", Json::array()},
         {"op_kinds", Json::array()}};
  if (!budget.is_null()) m["budget"] = budget;
  return m;
}

TEST(Comparison, NormalisedByEachMachinesBudgetAndAtIsoArea) {
  Json gpu = machine("gpu", 0.010, 4.0,
                     {{"area_mm2", 800.0},
                      {"process_nm", 7},
                      {"peak_power_w", 400.0},
                      {"average_power_w", 400.0},
                      {"static_power_w", 50.0}});
  Json cim = machine("cim", 0.004, 1.0,
                     {{"area_mm2", 770.0},
                      {"process_nm", 32},
                      {"peak_power_w", 560.0},
                      {"average_power_w", 250.0},
                      {"static_power_w", 100.0},
                      {"sized", {{"mode", "iso_area"}, {"budget", 826.0}}}});
  Json r = make_report(trace::TraceHeader{}, {gpu, cim});
  const Json& c = r["comparison"][0];
  EXPECT_DOUBLE_EQ(c["speedup"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(c["energy_ratio"].get<double>(), 0.25);
  // 5 tokens: 500 tokens/s over 800 mm2 = 0.625; 1250 tokens/s over 770 mm2 = 1.6234.
  EXPECT_DOUBLE_EQ(c["tokens_per_s_per_mm2"]["baseline"].get<double>(), 0.625);
  EXPECT_NEAR(c["tokens_per_s_per_mm2"]["machine"].get<double>(), 1250.0 / 770, 1e-12);
  EXPECT_NEAR(c["throughput_per_area_ratio"].get<double>(), (1250.0 / 770) / 0.625, 1e-12);
  // Tokens per joule: 5 / 4 = 1.25 and 5 / 1 = 5.
  EXPECT_DOUBLE_EQ(c["tokens_per_j"]["baseline"].get<double>(), 1.25);
  EXPECT_DOUBLE_EQ(c["tokens_per_j"]["machine"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(c["tokens_per_j_ratio"].get<double>(), 4.0);
  // Sized to 826 mm2 of silicon: the speed-up and energy ratio at that point, with the areas.
  ASSERT_TRUE(c.contains("iso_area"));
  EXPECT_DOUBLE_EQ(c["iso_area"]["budget_mm2"].get<double>(), 826.0);
  EXPECT_DOUBLE_EQ(c["iso_area"]["baseline_area_mm2"].get<double>(), 800.0);
  EXPECT_DOUBLE_EQ(c["iso_area"]["machine_area_mm2"].get<double>(), 770.0);
  EXPECT_DOUBLE_EQ(c["iso_area"]["speedup"].get<double>(), 2.5);
  EXPECT_FALSE(c.contains("iso_power"));
  std::string text = summary_text(r);
  EXPECT_NE(text.find("at iso-area: speed-up 2.5x, energy 0.25x"), std::string::npos) << text;
  EXPECT_NE(text.find("throughput per mm2 2.6x, tokens per joule 4x"), std::string::npos) << text;
}

TEST(Comparison, ABaselineWithoutBudgetLeavesTheAreaFiguresNull) {
  Json gpu = machine("gpu", 0.010, 4.0, nullptr);
  Json cim = machine("cim", 0.004, 1.0,
                     {{"area_mm2", 770.0},
                      {"process_nm", nullptr},
                      {"peak_power_w", 560.0},
                      {"average_power_w", 250.0},
                      {"static_power_w", 100.0},
                      {"sized", {{"mode", "iso_power"}, {"budget", 400.0}}}});
  Json r = make_report(trace::TraceHeader{}, {gpu, cim});
  const Json& c = r["comparison"][0];
  EXPECT_TRUE(c["tokens_per_s_per_mm2"]["baseline"].is_null());
  EXPECT_TRUE(c["throughput_per_area_ratio"].is_null());
  EXPECT_DOUBLE_EQ(c["tokens_per_j_ratio"].get<double>(), 4.0);
  EXPECT_TRUE(c["iso_power"]["baseline_peak_power_w"].is_null());
  EXPECT_DOUBLE_EQ(c["iso_power"]["machine_peak_power_w"].get<double>(), 560.0);
  EXPECT_NO_THROW(summary_text(r));
}

}  // namespace
}  // namespace cimsim::report
