// The cim machine type through the CLI: bad machine configs exit with 2 and one line naming
// the file, the JSON path, the value and the expectation; --set reaches every fabric key.
#include <gtest/gtest.h>

#include "support/harness.hpp"

namespace cimsim::test {
namespace {

struct Bad {
  std::string json;
  std::vector<std::string> expect;
};

void expect_bad(const Bad& b) {
  std::string dir = make_temp_dir();
  std::string file = dir + "/bad.json";
  write_file(file, b.json);
  CommandResult r = run_cimsim({"config", "--machine", file});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // One line: "cimsim: error: <file>: <path>: <what>\n".
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
  for (const auto& e : b.expect)
    EXPECT_NE(r.err.find(e), std::string::npos) << e << " in " << r.err;
}

TEST(CimCli, AdcTooCoarseForRowsAtOnce) {
  expect_bad({R"({"extends": "isaac", "crossbar": {"rows_at_once": 128},
                  "adc": {"bits_saved_by_encoding": 0}})",
              {"machine.crossbar.rows_at_once", "got 128", "expected at most 85"}});
}

TEST(CimCli, CrossbarLargerThanTheAdcCanRead) {
  expect_bad({R"({"extends": "isaac", "crossbar": {"rows": 512}})",
              {"machine.crossbar.rows", "512-row crossbar", "rows_at_once <= 170"}});
}

TEST(CimCli, ZeroTiles) {
  expect_bad({R"({"extends": "isaac", "chip": {"tiles": 0}})",
              {"machine.chip.tiles", "got 0", "expected an integer in [1, 1048576]"}});
}

TEST(CimCli, MemoryPresetMustExist) {
  expect_bad({R"({"extends": "isaac", "memory": "hbm9"})", {"machine.memory", "hbm9"}});
}

TEST(CimCli, ModelTooLargeForMaxChipsNamesTheFile) {
  // Found only once the workload is known, still an input error naming the machine file.
  std::string dir = make_temp_dir();
  std::string file = dir + "/small.json";
  write_file(file, R"({"extends": "isaac", "max_chips": 1})");
  CommandResult r = run_cimsim({"run", "--machine", file, "--workload", "gpt2-small", "--mode",
                                "encoder", "--prompt", "8", "--quiet", "--out", dir + "/r.json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(file + ": machine.max_chips"), std::string::npos) << r.err;
}

TEST(CimCli, SetSelectsTheDynamicMatmulPolicyAndTheChipCount) {
  std::string dir = make_temp_dir();
  CommandResult r =
      run_cimsim({"run", "--machine", "isaac", "--workload", "entp-3l", "--mode", "entp",
                  "--prompt", "16", "--generate", "3", "--set", "machine.dynamic_matmul=write_xbar",
                  "--set", "machine.chips=2", "--quiet", "--out", dir + "/r.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string report = read_file(dir + "/r.json");
  EXPECT_NE(report.find("\"dynamic_matmul\": \"write_xbar\""), std::string::npos);
  EXPECT_NE(report.find("\"chips\": 2"), std::string::npos);
}

TEST(CimCli, UnknownSettingIsRejected) {
  CommandResult r =
      run_cimsim({"config", "--machine", "isaac", "--set", "machine.crosbar.rows=64"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("crosbar"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cimsim::test
