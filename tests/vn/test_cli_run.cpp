// The machine through `cimsim run` on real workloads: report sections, attention selection,
// fast-forward switch.
#include <gtest/gtest.h>

#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

Json run_report(std::vector<std::string> args) {
  std::string dir = cimsim::test::make_temp_dir();
  std::string out = dir + "/r.json";
  args.insert(args.begin(), "run");
  args.push_back("--quiet");
  args.push_back("--out");
  args.push_back(out);
  auto r = cimsim::test::run_cimsim(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return Json::object();
  return config::read_json_file(out)["machines"][0];
}

TEST(CliRun, Gpt2DecoderReportsLinksEnergyLatencyAndRoofline) {
  Json m = run_report({"--machine", "a100-sxm4-80gb", "--workload", "gpt2-small", "--prompt", "128",
                       "--generate", "4"});
  ASSERT_TRUE(m.contains("totals"));
  for (const char* link : {"hbm", "l2", "smem"}) {
    EXPECT_GT(m["totals"]["bytes"][link]["read"].get<double>(), 0) << link;
  }
  EXPECT_GT(m["latency"]["time_to_first_token_s"].get<double>(), 0);
  EXPECT_GT(m["latency"]["time_per_output_token_s"].get<double>(), 0);
  const Json& met = m["metrics"];
  EXPECT_GT(met["achieved_flops_per_s"].get<double>(), 0);
  EXPECT_GT(met["bandwidth_utilization"].get<double>(), 0);
  EXPECT_LE(met["bandwidth_utilization"].get<double>(), 1);
  EXPECT_LE(met["compute_utilization"].get<double>(), 1);
  ASSERT_FALSE(met["roofline"].empty());
  bool memory_bound_decode = false;
  for (const auto& r : met["roofline"]) {
    if (r["phase_kind"] == "decode" && r["kind"] == "matmul")
      memory_bound_decode = memory_bound_decode || r["bound"] == "memory";
  }
  EXPECT_TRUE(memory_bound_decode);
  // Ops without HBM traffic sit on the compute roof (unbounded intensity); ops without FLOPs
  // have no roofline position.
  bool saw_no_hbm = false;
  for (const auto& r : met["roofline"]) {
    const std::string name = r["name"];
    if (r["flops"].get<uint64_t>() == 0) {
      EXPECT_EQ(r["bound"], "none") << name;
      EXPECT_EQ(r["attainable_flops_per_s"].get<double>(), 0.0) << name;
    } else if (r["hbm_bytes"].get<uint64_t>() == 0) {
      saw_no_hbm = true;
      EXPECT_EQ(r["bound"], "compute") << name;
      EXPECT_TRUE(r["arithmetic_intensity"].is_null()) << name;
      EXPECT_GT(r["attainable_flops_per_s"].get<double>(), 0.0) << name;
    } else {
      EXPECT_NE(r["bound"], "none") << name;
      EXPECT_GT(r["attainable_flops_per_s"].get<double>(), 0.0) << name;
    }
  }
  EXPECT_TRUE(saw_no_hbm);
  std::vector<std::string> components;
  for (const auto& c : m["components"]) components.push_back(c["name"]);
  for (const char* c : {"sm.tensor", "sm.vector", "sm.smem", "l2", "noc", "hbm", "sm", "other"}) {
    EXPECT_NE(std::find(components.begin(), components.end(), c), components.end()) << c;
  }
  EXPECT_GT(met["fast_forward"]["ops_fast_forwarded"].get<uint64_t>(), 0u);
}

TEST(CliRun, StandardAttentionMovesMoreThanFlash) {
  std::vector<std::string> base = {"--machine", "a100-sxm4-80gb", "--workload", "gpt2-small",
                                   "--mode",    "encoder",        "--prompt",   "1024"};
  Json flash = run_report(base);
  auto std_args = base;
  std_args.insert(std_args.end(), {"--set", "machine.attention=standard"});
  Json standard = run_report(std_args);
  auto attention_bytes = [](const Json& m) {
    double b = 0;
    for (const auto& k : m["op_kinds"]) {
      if (k["kind"] == "attention")
        b += k["bytes"]["l2"]["read"].get<double>() + k["bytes"]["l2"]["write"].get<double>();
    }
    return b;
  };
  EXPECT_GT(attention_bytes(standard), 2 * attention_bytes(flash));
  EXPECT_EQ(standard["metrics"]["attention"], "standard");
}

TEST(CliRun, NoFastForwardSimulatesEverything) {
  Json m = run_report({"--machine", "a100-sxm4-80gb", "--workload", "entp-3l", "--prompt", "32",
                       "--generate", "3", "--no-fast-forward"});
  EXPECT_EQ(m["metrics"]["fast_forward"]["ops_fast_forwarded"].get<uint64_t>(), 0u);
  EXPECT_EQ(m["totals"]["fast_forwarded_ops"].get<uint64_t>(), 0u);
  EXPECT_FALSE(m["metrics"]["fast_forward"]["enabled"].get<bool>());
}

}  // namespace
}  // namespace cimsim::vn

namespace cimsim::vn {
namespace {

// The fast path against full simulation (--no-fast-forward, an independent reference): time,
// time to first token and per token, bytes on every link (reads and writes separately) and
// energy per component within `tol`.
void expect_fast_matches_full(const std::vector<std::string>& args, double tol) {
  Json fast = run_report(args);
  auto full_args = args;
  full_args.push_back("--no-fast-forward");
  Json full = run_report(full_args);
  ASSERT_TRUE(fast.contains("totals") && full.contains("totals"));
  EXPECT_GT(fast["metrics"]["fast_forward"]["ops_fast_forwarded"].get<uint64_t>(),
            full["metrics"]["fast_forward"]["ops_simulated"].get<uint64_t>() / 2);
  auto near = [tol](double a, double b, const std::string& what) {
    EXPECT_NEAR(a, b, tol * std::abs(b) + 1e-15) << what << ": fast " << a << ", full " << b;
  };
  near(fast["totals"]["seconds"].get<double>(), full["totals"]["seconds"].get<double>(), "seconds");
  near(fast["totals"]["cycles"].get<double>(), full["totals"]["cycles"].get<double>(), "cycles");
  near(fast["totals"]["energy_j"].get<double>(), full["totals"]["energy_j"].get<double>(),
       "energy_j");
  for (const char* k : {"time_to_first_token_s", "time_per_output_token_s"}) {
    near(fast["latency"][k].get<double>(), full["latency"][k].get<double>(), k);
  }
  for (const auto& [link, dirs] : full["totals"]["bytes"].items()) {
    for (const char* dir : {"read", "write"}) {
      near(fast["totals"]["bytes"][link][dir].get<double>(), dirs[dir].get<double>(),
           "bytes " + link + " " + dir);
    }
  }
  ASSERT_EQ(fast["components"].size(), full["components"].size());
  for (size_t i = 0; i < full["components"].size(); ++i) {
    const Json &f = fast["components"][i], &s = full["components"][i];
    EXPECT_EQ(f["name"], s["name"]);
    near(f["energy_j"].get<double>(), s["energy_j"].get<double>(),
         "energy of " + s["name"].get<std::string>());
  }
}

TEST(CliRun, FastForwardMatchesFullSimulationOnGpt2) {
  expect_fast_matches_full({"--machine", "a100-sxm4-80gb", "--workload", "gpt2-small", "--prompt",
                            "128", "--generate", "6"},
                           0.01);
}

// Llama-2-7B's layer shapes (4096-wide projections, 11008 FFN, 32 heads of 128) with two of
// its 32 layers, so that full simulation stays short.
TEST(CliRun, FastForwardMatchesFullSimulationOnLlama2Layers) {
  expect_fast_matches_full({"--machine", "a100-sxm4-80gb", "--workload", "llama-2-7b", "--prompt",
                            "64", "--generate", "3", "--set", "workload.model.layers=2"},
                           0.01);
}

// ENTP on the GPU: every pass is one token longer, so replays across layers carry recordings
// whose traffic differs slightly (the tied embedding the LM head streams has the pass's token
// rows already on chip): the memo's near-traffic rule must stay within 1%.
TEST(CliRun, FastForwardMatchesFullSimulationOnGpt2Entp) {
  expect_fast_matches_full({"--machine", "a100-sxm4-80gb", "--workload", "gpt2-small", "--mode",
                            "entp", "--prompt", "1", "--generate", "12"},
                           0.01);
}

// A machine run side by side with a longer one (ISAAC programs its crossbars for ~13 ms first)
// is charged the memory's refresh only until its own end. HBM2e (configs/memory/hbm2e.json):
// 5 stacks x 8 channels x 2 pseudo-channels = 80, each refreshed every tREFI = 6212 cycles at
// 1.593 GHz = 3.8996 us, so a run of T seconds issues 80 x T / 3.8996 us all-bank refreshes,
// one more at most per pseudo-channel, and a few fewer where refreshes were postponed behind
// traffic (JEDEC lets a controller postpone up to 8). (Before, the A100 of a 1.3 ms run with ISAAC
// beside it was charged ~4,000 refreshes.)
TEST(CliRun, SideBySideMachineIsChargedOnlyItsOwnRefreshes) {
  Json m = run_report({"--machine", "a100-sxm4-80gb", "--machine", "isaac", "--workload",
                       "gpt2-small", "--prompt", "16", "--generate", "2"});
  ASSERT_EQ(m["name"], "a100-sxm4-80gb");
  const double seconds = m["totals"]["seconds"].get<double>();
  double refreshes = -1;
  for (const auto& c : m["components"]) {
    if (c["name"] == "hbm") refreshes = c["actions"]["ref_ab"]["count"].get<double>();
  }
  const double per_channel = seconds / (6212 / 1.593e9);
  EXPECT_LE(refreshes, 80 * (per_channel + 1)) << seconds << " s";
  EXPECT_GE(refreshes, 80 * (per_channel - 9)) << seconds << " s";
}

}  // namespace
}  // namespace cimsim::vn
