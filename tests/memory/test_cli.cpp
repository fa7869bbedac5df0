// cimsim memtrace from the command line: reports, determinism, and bad input.
#include <gtest/gtest.h>

#include <fstream>

#include "cimsim/common/json.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

std::string trace_text(int n, bool writes) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    uint64_t addr = (static_cast<uint64_t>(i) * 2654435761u) % (1u << 30) / 64 * 64;
    char line[64];
    std::snprintf(line, sizeof line, "0x%llx %s %d\n", static_cast<unsigned long long>(addr),
                  writes && i % 3 == 0 ? "WRITE" : "READ", i);
    s += line;
  }
  return s;
}

struct Dir {
  std::string path = make_temp_dir();
  std::string file(const std::string& name) const { return path + "/" + name; }
};

void expect_bad_input(const CommandResult& r, const std::string& must_contain) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(must_contain), std::string::npos) << r.err;
  // One line: "cimsim: error: <where>: <what>\n".
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(MemtraceCli, ReportHasTheResultsAndIsDeterministic) {
  Dir d;
  write_file(d.file("t.trc"), "# a comment\n\n" + trace_text(5000, true));
  auto a = run_cimsim({"memtrace", "--memory", "hbm2", "--trace", d.file("t.trc"), "--out",
                       d.file("a.json"), "--check-timing"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find("read latency"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("0 violations"), std::string::npos) << a.out;
  auto b = run_cimsim({"memtrace", "--memory", "hbm2", "--trace", d.file("t.trc"), "--out",
                       d.file("b.json"), "--check-timing", "--quiet"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(b.out, "");
  std::string ja = read_file(d.file("a.json")), jb = read_file(d.file("b.json"));
  EXPECT_EQ(ja, jb);  // byte-identical
  Json j = Json::parse(ja);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["trace"]["requests"], 5000);
  EXPECT_EQ(j["trace"]["reads"].get<int>() + j["trace"]["writes"].get<int>(), 5000);
  EXPECT_GT(j["results"]["last_completion_cycle"].get<uint64_t>(), 4999u);
  EXPECT_GT(j["results"]["bandwidth_bytes_per_s"].get<double>(), 0.0);
  for (const char* k : {"mean", "p50", "p99", "max"}) {
    EXPECT_TRUE(j["results"]["read_latency_cycles"].contains(k)) << k;
  }
  EXPECT_EQ(j["results"]["commands"]["RD"].get<uint64_t>() +
                j["results"]["commands"]["WR"].get<uint64_t>(),
            5000u);
  EXPECT_GT(j["energy"]["energy_j"].get<double>(), 0.0);
  // hbm2's bursts: 2.24 pJ/bit on the die and 0.30 at the interface, 512 bits each.
  EXPECT_NEAR(j["energy"]["actions"]["rd_burst"]["energy_pj_each"].get<double>(), 2.24 * 512, 1e-9);
  EXPECT_NEAR(j["energy"]["actions"]["io_burst"]["energy_pj_each"].get<double>(), 0.30 * 512, 1e-9);
  EXPECT_EQ(j["energy"]["actions"]["io_burst"]["count"], 5000);
  EXPECT_EQ(j["timing_check"]["violations"], 0);
  EXPECT_EQ(j["memory"]["config"]["timing"]["tRCDRD"], 14);
}

TEST(MemtraceCli, SetOverridesAValue) {
  Dir d;
  write_file(d.file("t.trc"), "0x0 READ 0\n");
  auto r = run_cimsim({"memtrace", "--memory", "hbm2", "--trace", d.file("t.trc"), "--set",
                       "memory.timing.tRCDRD=20", "--out", d.file("r.json"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // ACT at 0, RD at 20, data ends 20 + 14 + 2 = 36.
  Json j = Json::parse(read_file(d.file("r.json")));
  EXPECT_EQ(j["results"]["last_completion_cycle"], 36);
  EXPECT_EQ(j["results"]["read_latency_cycles"]["max"], 36);
}

TEST(MemtraceCli, MalformedTraceLines) {
  struct Bad {
    const char* line;
    const char* says;
  };
  for (const Bad& b :
       {Bad{"0x40 FETCH 3", "unknown operation \"FETCH\": expected READ or WRITE"},
        Bad{"64 READ 3", "0x prefix"}, Bad{"0x4g READ 3", "bad hexadecimal digit 'g'"},
        Bad{"0x40 READ", "missing cycle"}, Bad{"0x40 READ -3", "decimal integer"},
        Bad{"0x40 READ 3 extra", "unexpected text after the cycle"},
        Bad{"0x40", "missing operation"},
        Bad{"0x40000000000 READ 3", "beyond the memory's capacity"}}) {
    Dir d;
    write_file(d.file("t.trc"), "0x0 READ 0\n0x40 WRITE 1\n" + std::string(b.line) + "\n");
    auto r = run_cimsim(
        {"memtrace", "--memory", "hbm2", "--trace", d.file("t.trc"), "--out", d.file("r.json")});
    expect_bad_input(r, d.file("t.trc") + ":3: ");
    EXPECT_NE(r.err.find(b.says), std::string::npos) << r.err;
    EXPECT_FALSE(file_exists(d.file("r.json")));
    EXPECT_EQ(count_entries(d.path), 1);  // only the trace: no report, no temporary file
  }
}

TEST(MemtraceCli, BadMemoryConfigs) {
  Dir d;
  write_file(d.file("t.trc"), "0x0 READ 0\n");
  auto run = [&d](std::vector<std::string> extra) {
    std::vector<std::string> args = {"memtrace", "--trace", d.file("t.trc"), "--out",
                                     d.file("r.json")};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cimsim(args);
  };
  // Inconsistent timings given with --set.
  expect_bad_input(run({"--memory", "hbm2", "--set", "memory.timing.tRC=40"}),
                   "memory.timing.tRC: expected tRC >= tRAS + tRP (34 + 14), got 40");
  expect_bad_input(run({"--memory", "hbm2", "--set", "memory.timing.tRP=0"}),
                   "memory.timing.tRP: expected an integer in [1, 1048576], got 0");
  // A config file with zero channels: the message names the file and the JSON path.
  write_file(d.file("m.json"),
             "{\"extends\": \"hbm2\", \"organisation\": {\"channels_per_stack\": 0}}\n");
  expect_bad_input(run({"--memory", d.file("m.json")}),
                   d.file("m.json") +
                       ": memory.organisation.channels_per_stack: expected an "
                       "integer in [1, 64], got 0");
  write_file(d.file("n.json"), "{\"extends\": \"hbm2\", \"timing\": {\"tFAW\": \"30\"}}\n");
  expect_bad_input(run({"--memory", d.file("n.json")}), "memory.timing.tFAW");
  expect_bad_input(run({"--memory", "hbm9"}), "unknown memory preset \"hbm9\"");
  expect_bad_input(run({"--memory", "hbm2", "--set", "machine.x=1"}), "must start with memory.");
  expect_bad_input(run({"--memory", "hbm2", "--set", "memory.timing.tXYZ=1"}),
                   "no setting memory.timing.tXYZ");
  EXPECT_FALSE(file_exists(d.file("r.json")));
  auto missing = run_cimsim({"memtrace", "--memory", "hbm2", "--trace", d.file("nope.trc")});
  expect_bad_input(missing, "nope.trc: cannot open trace");
}

TEST(MemtraceCli, SchemaAndInfoKnowTheMemory) {
  auto s = run_cimsim({"schema", "--kind", "memory"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  Json j = Json::parse(s.out);
  EXPECT_TRUE(j["properties"]["timing"]["properties"].contains("tRFCpb"));
  auto i = run_cimsim({"info"});
  ASSERT_EQ(i.exit_code, 0) << i.err;
  for (const char* p : {"hbm2 ", "hbm2e", "hbm3"}) {
    EXPECT_NE(i.out.find(p), std::string::npos);
  }
  EXPECT_EQ(i.out.find("(invalid"), std::string::npos) << i.out;
}

}  // namespace
}  // namespace cimsim::test
