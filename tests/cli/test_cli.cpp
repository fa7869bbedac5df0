// The command-line contract: subcommands, --help, exit codes and one-line errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/harness.hpp"

namespace cimsim::test {
namespace {

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(Cli, NoCommandPrintsUsageAndExits2) {
  CommandResult r = run_cimsim({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("usage: cimsim <command>"), std::string::npos);
}

// The banner says what each machine's timing is (issue 16 item 5): event-driven parts and
// closed forms per machine, as docs/architecture.md lists them.
TEST(Cli, BannerSaysWhatIsSimulated) {
  CommandResult r = run_cimsim({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* part :
       {"HBM: cycle-level", "GPU: event-driven", "CIM: events", "closed forms"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part;
  }
}

TEST(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"run", "info", "config", "schema"}) {
    CommandResult r = run_cimsim({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find(std::string("usage: cimsim ") + cmd), std::string::npos) << cmd;
  }
}

TEST(Cli, UnknownCommandIsBadInput) {
  CommandResult r = run_cimsim({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("cimsim: error: unknown command \"frobnicate\"", 0), 0u) << r.err;
  EXPECT_EQ(lines(r.err), 1);
}

TEST(Cli, UnknownOptionAndStrayArgumentAreBadInput) {
  CommandResult r = run_cimsim({"run", "--frob"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1);
  r = run_cimsim({"run", "stray"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1);
}

TEST(Cli, CountsRejectNegativeAndGarbage) {
  for (const char* bad : {"-5", "12x", "", "99999999999999999999999"}) {
    CommandResult r = run_cimsim({"run", "--prompt", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--prompt: expected an integer >= 1"), std::string::npos) << r.err;
  }
}

TEST(Cli, SetNeedsARootAndAnEqualsSign) {
  CommandResult r = run_cimsim({"run", "--set", "machine.x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("expected dotted.path=value"), std::string::npos) << r.err;
  r = run_cimsim({"run", "--set", "hbm.x=1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("path must start with machine., workload. or memory."), std::string::npos)
      << r.err;
}

TEST(Cli, OutputIntoAMissingDirectoryFailsBeforeRunning) {
  std::string dir = make_temp_dir();
  CommandResult r = run_cimsim({"run", "--out", dir + "/no/such/dir/report.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("output directory does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(count_entries(dir), 0);
}

// A device is written in place: renaming a temporary file over /dev/null (as root) would
// replace the device node with a regular file.
TEST(Cli, OutputToADeviceKeepsTheDevice) {
  namespace fs = std::filesystem;
  ASSERT_TRUE(fs::is_character_file("/dev/null"));
  CommandResult r = run_cimsim({"lower", "--workload", "gpt2-small", "--prompt", "4", "--generate",
                                "1", "--out", "/dev/null"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
}

TEST(Cli, SchemaKindMustExist) {
  CommandResult r = run_cimsim({"schema", "--kind", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("expected one of: workload"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cimsim::test
