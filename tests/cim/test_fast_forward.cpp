// The off-chip fast path against the full simulation: a run with KV caches in off-chip memory
// (so decode steps stream them) and the initial weight load, with fast_forward on and off,
// agree within 1% in cycles, bytes and energy; only the fast run reports fast-forwarded ops.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <systemc>

#include "cimsim/exec/executor.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::test {
namespace {

double rel(double a, double b) {
  return std::fabs(a - b) / std::max(std::fabs(b), 1e-30);
}

TEST(CimFastForward, OffChipStreamsWithinOnePercentOfFullSimulation) {
  std::vector<config::Assignment> sets = {
      config::parse_assignment("machine.activation_reserve_fraction=1"),  // KV off chip
      config::parse_assignment("workload.run.prompt=512"),
      config::parse_assignment("workload.run.generate=4")};
  config::ConfigDoc doc = exec::load_machine("isaac", sets);
  auto w = workload::load_workload("gpt2-small", sets);
  const exec::MachineType& type = exec::machine_type_of(doc);
  exec::RunOptions fast, full;
  fast.fast_forward = true;
  full.fast_forward = false;
  auto a = type.build(doc, "fast", fast);
  auto b = type.build(doc, "full", full);
  a->start(workload::lower(w));
  b->start(workload::lower(w));
  sc_core::sc_start();
  ASSERT_TRUE(a->done() && b->done());
  Json ra = a->report(), rb = b->report();
  std::cout << "relative difference: seconds "
            << rel(ra["totals"]["seconds"], rb["totals"]["seconds"]) << ", energy "
            << rel(ra["totals"]["energy_j"], rb["totals"]["energy_j"]) << ", setup seconds "
            << rel(ra["setup"][0]["seconds"], rb["setup"][0]["seconds"]) << ", setup energy "
            << rel(ra["setup"][0]["energy_j"], rb["setup"][0]["energy_j"]) << "\n";
  EXPECT_GT(ra["totals"]["fast_forwarded_ops"].get<uint64_t>(), 0u);
  EXPECT_EQ(rb["totals"]["fast_forwarded_ops"].get<uint64_t>(), 0u);
  EXPECT_GT(ra["metrics"]["fast_forward"]["offchip_bytes_extrapolated"].get<uint64_t>(), 0u);
  EXPECT_LT(rel(ra["totals"]["seconds"], rb["totals"]["seconds"]), 0.01);
  EXPECT_LT(rel(ra["totals"]["cycles"], rb["totals"]["cycles"]), 0.01);
  EXPECT_LT(rel(ra["totals"]["energy_j"], rb["totals"]["energy_j"]), 0.01);
  EXPECT_EQ(ra["totals"]["bytes"]["hbm"], rb["totals"]["bytes"]["hbm"]);
  EXPECT_EQ(ra["totals"]["bytes"]["noc"], rb["totals"]["bytes"]["noc"]);
  EXPECT_LT(rel(ra["latency"]["time_per_output_token_s"], rb["latency"]["time_per_output_token_s"]),
            0.01);
  // The initial weight load (setup) streams 250 MB.
  EXPECT_LT(rel(ra["setup"][0]["seconds"], rb["setup"][0]["seconds"]), 0.01);
  EXPECT_LT(rel(ra["setup"][0]["energy_j"], rb["setup"][0]["energy_j"]), 0.01);
  EXPECT_EQ(ra["setup"][0]["bytes"]["hbm"], rb["setup"][0]["bytes"]["hbm"]);
}

}  // namespace
}  // namespace cimsim::test
