// Determinism: the same inputs give byte-identical outputs. Two runs of `cimsim run` (every
// machine type side by side) give the same report JSON and CSV files; a sweep run with -j1
// and with -j2 gives the same results.csv and the same report of every point.
//
// Each run is a fresh process (fresh address-space layout), so anything that depends on
// pointer values, hash-table order or thread timing shows up here as a difference.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/config/json_file.hpp"
#include "cimsim/exec/executor.hpp"
#include "process.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

namespace fs = std::filesystem;
constexpr double kTimeoutSeconds = 600;

// One single-device preset per machine type on this branch, so a new machine type joins the
// check (a node preset's tensor parallelism must divide the model's heads; the node is checked
// with a degree that does).
std::vector<std::string> one_machine_per_type() {
  std::vector<std::string> machines;
  for (const auto& type : exec::machine_types()) {
    for (const auto& name : config::list_presets(config::machine_kind())) {
      config::ConfigDoc doc = config::load_config(config::machine_kind(), name);
      if (doc.root.value("type", std::string()) == type.name && !doc.root.contains("node")) {
        machines.push_back(name);
        break;
      }
    }
  }
  return machines;
}

// Every regular file under `dir`: relative path -> content.
std::vector<std::pair<std::string, std::string>> tree(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      files.emplace_back(fs::relative(e.path(), dir).string(), read_file(e.path().string()));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void expect_same_files(const std::string& a, const std::string& b) {
  auto ta = tree(a), tb = tree(b);
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) {
    EXPECT_EQ(ta[i].first, tb[i].first);
    EXPECT_TRUE(ta[i].second == tb[i].second) << ta[i].first << " differs between the runs";
  }
}

TEST(Determinism, RunGivesIdenticalReportAndCsvTwice) {
  std::vector<std::string> machines = one_machine_per_type();
  // The VN machine twice over (GPU and CPU presets) even when it is the only type.
  if (machines.size() < 2) {
    for (const auto& n : config::list_presets(config::machine_kind())) {
      if (std::find(machines.begin(), machines.end(), n) == machines.end()) {
        machines.push_back(n);
        break;
      }
    }
  }
  ASSERT_GE(machines.size(), 2u);
  // And a node of two tensor-parallel GPUs (docs/parallelism.md).
  const std::string node_dir = make_temp_dir();
  write_file(
      node_dir + "/node.json",
      R"({"extends": "8x-a100-sxm4-80gb", "name": "node-tp2", "node": {"tensor_parallel": 2}})");
  machines.push_back(node_dir + "/node.json");
  std::vector<std::string> outs;
  for (int run = 0; run < 2; ++run) {
    std::string dir = make_temp_dir();
    std::vector<std::string> args = {"run",        "--workload", "gpt2-small", "--prompt", "8",
                                     "--generate", "3",          "--batch",    "2",        "-q"};
    args.insert(args.end(), {"--out", dir + "/report.json", "--csv-dir", dir + "/csv"});
    for (const auto& m : machines) {
      args.insert(args.end(), {"--machine", m});
    }
    ProcessResult r = run_with_timeout(cimsim_command(args), kTimeoutSeconds);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(file_exists(dir + "/report.json"));
    ASSERT_EQ(list_dir(dir + "/csv").size(), 4u);
    outs.push_back(dir);
  }
  expect_same_files(outs[0], outs[1]);
  for (const auto& d : outs) {
    fs::remove_all(d);
  }
  fs::remove_all(node_dir);
}

// A mixture of experts: the expert choice is drawn (seeded), so two runs must still agree
// byte for byte, and a run from the written trace must match the in-process lowering.
TEST(Determinism, MixtureOfExpertsRunsAgree) {
  std::string dir = make_temp_dir();
  write_file(dir + "/moe.json", R"({"extends": "mixtral-8x7b", "name": "tiny-moe",
    "model": {"layers": 2, "d_model": 64, "heads": 4, "kv_heads": 2, "head_dim": 16,
              "d_ff": 96, "vocab": 128, "sliding_window": 6},
    "run": {"prompt": 9, "generate": 4, "batch": 3, "expert_distribution": [4, 1, 1, 1, 1, 1, 1, 2]}})");
  const std::vector<std::string> workload = {"--workload", dir + "/moe.json"};
  std::vector<std::string> lower = {"lower", "--out", dir + "/t.jsonl"};
  lower.insert(lower.end(), workload.begin(), workload.end());
  ASSERT_EQ(run_with_timeout(cimsim_command(lower), kTimeoutSeconds).exit_code, 0);
  std::vector<Json> reports;
  for (const std::string source : {"workload", "workload", "trace"}) {
    std::string out = dir + "/r" + std::to_string(reports.size()) + ".json";
    std::vector<std::string> args = {"run", "-q", "--out", out};
    if (source == "trace") {
      args.insert(args.end(), {"--trace", dir + "/t.jsonl"});
    } else {
      args.insert(args.end(), workload.begin(), workload.end());
    }
    for (const auto& m : one_machine_per_type()) {
      args.insert(args.end(), {"--machine", m});
    }
    ProcessResult r = run_with_timeout(cimsim_command(args), kTimeoutSeconds);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    reports.push_back(Json::parse(read_file(out)));
  }
  EXPECT_EQ(reports[0].dump(), reports[1].dump());
  EXPECT_EQ(reports[0]["machines"].dump(), reports[2]["machines"].dump());
  fs::remove_all(dir);
}

TEST(Determinism, TraceFileRunMatchesInProcessLowering) {
  // The same workload from a trace file gives the same machine sections as lowering it in
  // process (the report's header names the source, so compare the machines only).
  std::string dir = make_temp_dir();
  const std::vector<std::string> workload = {"--workload", "entp-3l",    "--prompt",
                                             "8",          "--generate", "3"};
  std::vector<std::string> lower = {"lower", "--out", dir + "/t.jsonl"};
  lower.insert(lower.end(), workload.begin(), workload.end());
  ASSERT_EQ(run_with_timeout(cimsim_command(lower), kTimeoutSeconds).exit_code, 0);
  std::vector<std::string> a = {"run", "--machine", "h100-sxm5", "-q", "--out", dir + "/a.json"};
  a.insert(a.end(), workload.begin(), workload.end());
  std::vector<std::string> b = {"run",     "--machine",      "h100-sxm5", "-q",
                                "--trace", dir + "/t.jsonl", "--out",     dir + "/b.json"};
  ProcessResult ra = run_with_timeout(cimsim_command(a), kTimeoutSeconds);
  ProcessResult rb = run_with_timeout(cimsim_command(b), kTimeoutSeconds);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  Json ja = Json::parse(read_file(dir + "/a.json"));
  Json jb = Json::parse(read_file(dir + "/b.json"));
  EXPECT_EQ(ja["machines"].dump(), jb["machines"].dump());
  fs::remove_all(dir);
}

TEST(Determinism, SweepGivesIdenticalResultsWithOneAndTwoJobs) {
  std::string dir = make_temp_dir();
  write_file(dir + "/spec.json", R"({"name": "determinism", "machines": ["a100-sxm4-80gb"],
    "workload": "entp-3l", "args": {"generate": 2},
    "grid": {"prompt": [4, 8], "batch": [1, 2]}})");
  for (const char* jobs : {"1", "2"}) {
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     source_path("scripts/sweep.py"),
                                     dir + "/spec.json",
                                     "-j",
                                     jobs,
                                     "-o",
                                     dir + "/j" + jobs,
                                     "--cimsim",
                                     cimsim_binary()};
    ProcessResult r = run_with_timeout(argv, kTimeoutSeconds);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  EXPECT_TRUE(read_file(dir + "/j1/results.csv") == read_file(dir + "/j2/results.csv"))
      << read_file(dir + "/j1/results.csv") << "\nvs\n"
      << read_file(dir + "/j2/results.csv");
  std::vector<std::string> points = list_dir(dir + "/j1/points");
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(list_dir(dir + "/j2/points"), points);
  for (const auto& p : points) {
    std::string a = read_file((fs::path(dir) / "j1/points" / p / "report.json").string());
    std::string b = read_file((fs::path(dir) / "j2/points" / p / "report.json").string());
    EXPECT_FALSE(a.empty()) << p;
    EXPECT_TRUE(a == b) << "point " << p << ": report.json differs between -j1 and -j2";
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cimsim::test
