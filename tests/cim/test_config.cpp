// Bad CIM machine configs: each is an InputError of one line naming the file, the JSON path,
// the value and what was expected. Decision on ADC resolution: an ADC too coarse for
// rows_at_once x cell bits x DAC bits is an error (never a silent clamp); the message says
// which rows_at_once would fit.
#include <gtest/gtest.h>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/config.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

// Writes the isaac preset with `patch` merged into a temporary file and parses it.
std::string error_for(const Json& patch) {
  config::ConfigDoc base = config::load_config(config::machine_kind(), "isaac");
  Json j = base.root;
  j.erase("type");
  j.erase("memory");
  j.merge_patch(patch);
  std::string dir = make_temp_dir();
  std::string file = dir + "/bad.json";
  write_file(file, j.dump(2));
  try {
    config::ConfigDoc doc = config::load_config(config::machine_kind(), file);
    config::parse<cim::CimConfig>(doc);
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    return msg;
  }
  ADD_FAILURE() << "no error for " << patch.dump();
  return "";
}

void expect_has(const std::string& msg, const std::vector<std::string>& parts) {
  for (const auto& p : parts) {
    EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' in: " << msg;
  }
}

TEST(CimConfig, AdcTooCoarseForRowsAtOnceIsAnError) {
  // Without ISAAC's encoding an 8-bit ADC resolves 255 / 3 = 85 rows of 2-bit cells.
  std::string m = error_for(
      Json::parse(R"({"adc": {"bits_saved_by_encoding": 0}, "crossbar": {"rows_at_once": 128}})"));
  expect_has(
      m, {"machine.crossbar.rows_at_once", "expected at most 85", "got 128", "needs 9 ADC bits"});
}

TEST(CimConfig, CrossbarLargerThanTheAdcCanReadIsAnError) {
  std::string m = error_for(Json::parse(R"({"crossbar": {"rows": 512}})"));
  expect_has(m, {"machine.crossbar.rows", "512-row crossbar", "8-bit ADC", "rows_at_once <= 170"});
}

TEST(CimConfig, AdcThatCannotReadOneRowIsAnError) {
  std::string m = error_for(Json::parse(R"({"adc": {"bits": 1, "bits_saved_by_encoding": 0}})"));
  expect_has(m, {"machine.adc.bits", "got 1", "expected at least"});
}

TEST(CimConfig, ZeroTilesIsAnError) {
  std::string m = error_for(Json::parse(R"({"chip": {"tiles": 0}})"));
  expect_has(m, {"machine.chip.tiles", "expected an integer in [1, 1048576]", "got 0"});
}

TEST(CimConfig, ZeroPesIsAnError) {
  std::string m = error_for(Json::parse(R"({"tile": {"pes": 0}})"));
  expect_has(m, {"machine.tile.pes", "got 0"});
}

TEST(CimConfig, AdcsMustDivideOrMultiplyCrossbars) {
  std::string m = error_for(Json::parse(R"({"pe": {"adcs": 3}})"));
  expect_has(m, {"machine.pe.adcs", "got 3", "multiple or a divisor"});
}

TEST(CimConfig, SramCimPolicyNeedsArrays) {
  std::string m = error_for(
      Json::parse(R"({"dynamic_matmul": "sram_cim", "sram_cim": {"arrays_per_tile": 0}})"));
  expect_has(m, {"machine.sram_cim.arrays_per_tile", "got 0"});
}

TEST(CimConfig, UnknownPolicyListsTheChoices) {
  std::string m = error_for(Json::parse(R"({"dynamic_matmul": "analog"})"));
  expect_has(m,
             {"machine.dynamic_matmul", "\"digital\", \"sram_cim\", \"write_xbar\"", "\"analog\""});
}

TEST(CimConfig, FixedChipsAboveMaxChipsIsAnError) {
  std::string m = error_for(Json::parse(R"({"chips": 100000})"));
  expect_has(m, {"machine.chips", "got 100000", "expected at most max_chips (4096)"});
}

TEST(CimConfig, ChipsIsAutoOrACount) {
  std::string m = error_for(Json::parse(R"({"chips": "many"})"));
  expect_has(m, {"machine.chips", "expected \"auto\" or an integer", "\"many\""});
  EXPECT_FALSE(preset("isaac", Json::parse(R"({"chips": 3})")).chips.automatic);
  EXPECT_EQ(preset("isaac", Json::parse(R"({"chips": 3})")).chips.count, 3u);
}

TEST(CimConfig, AdcBitsNeededIsTheLog2OfTheLargestColumnSum) {
  EXPECT_EQ(cim::adc_bits_needed(128, 2, 1), 9u);  // 128 x 3 = 384 levels + 0
  EXPECT_EQ(cim::adc_bits_needed(1, 1, 1), 1u);
  EXPECT_EQ(cim::adc_bits_needed(85, 2, 1), 8u);  // 255
  EXPECT_EQ(cim::adc_bits_needed(86, 2, 1), 9u);  // 258
  EXPECT_EQ(cim::max_rows_for_adc(8, 2, 1), 85u);
}

}  // namespace
}  // namespace cimsim::test
