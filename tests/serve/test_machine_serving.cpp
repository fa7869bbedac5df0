// Serving on a machine, end to end through the SystemC driver, against a machine whose every
// op takes exactly 1 us and one 1 pJ action, with 2 W of static power: every iteration's time
// is its op count (tiny Llama, 1 layer: 17 + 2 x attention groups ops), so the latencies and
// the energy below are worked out by hand.
#include <gtest/gtest.h>

#include <systemc>

#include "cimsim/exec/executor_base.hpp"
#include "cimsim/serve/machine_serving.hpp"
#include "workload/tiny_models.hpp"

namespace cimsim::serve {
namespace {

constexpr double kUs = 1e-6;

class MicrosecondMachine : public sc_core::sc_module, public exec::ExecutorBase {
 public:
  SC_HAS_PROCESS(MicrosecondMachine);
  MicrosecondMachine(const sc_core::sc_module_name& n, const exec::RunOptions& options)
      : sc_core::sc_module(n),
        exec::ExecutorBase("us-machine", "test_us", Json::object(), options) {
    op_action_ = registry().action("core", "op", 1.0);
    registry().component("core", 2.0, 0.0);
    SC_THREAD(run);
  }
  void start(std::unique_ptr<trace::OpSource> source) override {
    source_ = std::move(source);
    start_recording(1.0);
  }
  std::optional<uint64_t> kv_budget_bytes(uint64_t, double) const override { return 0; }

 private:
  void run() {
    trace::Op op;
    while (source_->next(op)) {
      report::OpCost cost;
      cost.start_ps = sc_core::sc_time_stamp().value();
      sc_core::wait(1, sc_core::SC_US);
      cost.end_ps = sc_core::sc_time_stamp().value();
      cost.counts.reset(registry());
      cost.counts.actions[op_action_] = 1;
      record(op, cost);
    }
    finish(sc_core::sc_time_stamp().value());
  }
  std::unique_ptr<trace::OpSource> source_;
  stats::ActionId op_action_{};
};

exec::MachineType us_type() {
  exec::MachineType t;
  t.build = [](const config::ConfigDoc&, const std::string& name,
               const exec::RunOptions& options) -> std::unique_ptr<exec::Executor> {
    return std::make_unique<MicrosecondMachine>(name.c_str(), options);
  };
  return t;
}
CIMSIM_REGISTER(exec::MachineTypeAxis, config::NoParams, "test_us", "1 us per op (tests)",
                [](const config::NoParams&) { return us_type(); });

TEST(MachineServing, TwoRequestsThenAnIdleGapOnAMicrosecondMachine) {
  config::ConfigDoc doc;
  doc.root = Json{{"type", "test_us"}};
  doc.root_name = "machine";
  doc.file = "test";
  ServeConfig cfg;
  cfg.kv_capacity_blocks = 4;
  cfg.block_tokens = 16;
  std::vector<Request> requests = {{0, 0.0, 4, 3}, {1, 0.0, 2, 2}, {2, 1000 * kUs, 3, 1}};
  auto out = serve_on_machines({doc}, test::tiny_llama(), requests, cfg, exec::RunOptions{});
  ASSERT_EQ(out.size(), 1u);
  const ServeResult& r = out[0].result;
  // 1: prefill of both (2 groups, 21 ops) ends at 21 us; 2: decode of both (1 group, 19)
  // ends at 40 us, request 1 done; 3: decode of request 0 ends at 59 us. Idle until
  // 1000 us; 4: prefill of request 2 (19 ops), its only token, at 1019 us.
  EXPECT_EQ(r.iterations, 4u);
  EXPECT_NEAR(r.requests[0].ttft_s(), 21 * kUs, 1e-12);
  EXPECT_NEAR(r.requests[1].ttft_s(), 21 * kUs, 1e-12);
  EXPECT_NEAR(r.requests[0].e2e_s(), 59 * kUs, 1e-12);
  EXPECT_NEAR(r.requests[1].e2e_s(), 40 * kUs, 1e-12);
  EXPECT_NEAR(r.requests[2].ttft_s(), 19 * kUs, 1e-12);
  EXPECT_NEAR(r.requests[2].e2e_s(), 19 * kUs, 1e-12);
  // 2 W over the whole 1019 us (busy and idle) plus 1 pJ for each of 21+19+19+19 ops.
  EXPECT_NEAR(r.energy_j, 2.0 * 1019 * kUs + 78e-12, 1e-15);
  EXPECT_DOUBLE_EQ(out[0].static_power_w, 2.0);
  EXPECT_EQ(r.kv_capacity_blocks, 4u);
  // Reuse (the default) by parts, every length under its grid base, so nothing interpolated:
  // token parts T = 6, 2, 1, 3; logit parts L = 2, 1; attention parts {1,4,4}, {1,2,2},
  // {2,1,4}, {1,1,6}, {1,3,3}; and the cut measurement's decode step whole and in 3 parts.
  // With 1 us per op the parts add up to the whole exactly (no cut cost), as the times show.
  EXPECT_EQ(out[0].reuse.iterations, 4u);
  EXPECT_EQ(out[0].reuse.simulated, 4u + 2 + 5 + 4);
  EXPECT_EQ(out[0].reuse.interpolated, 0u);
}

}  // namespace
}  // namespace cimsim::serve
