// Kernel launch (machine.execution): eager launches are paid by the host per kernel and
// overlap the GPU's work; a CUDA Graph pays the host once per phase; the GPU idles gap_ns
// between consecutive kernels either way. Hand-computed against a run with no launch cost.
#include <gtest/gtest.h>

#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

// n identical small adds in one phase (the same kernel n times: replays keep it identical).
std::vector<trace::Op> adds(size_t n, trace::PhaseKind phase = trace::PhaseKind::prefill) {
  std::vector<trace::Op> ops;
  for (size_t i = 0; i < n; ++i) {
    trace::Op op;
    op.kind = trace::OpKind::add;
    op.name = "add" + std::to_string(i);
    op.layer = 0;
    op.phase = trace::Phase{phase, 0};
    op.rows = trace::RowShape{1, 256};
    op.flops = 256;
    op.inputs = {test::tensor("x", trace::TensorKind::activation, {1, 256}),
                 test::tensor("y", trace::TensorKind::activation, {1, 256})};
    op.outputs = {test::tensor("z" + std::to_string(i), trace::TensorKind::activation, {1, 256})};
    ops.push_back(op);
  }
  return ops;
}

// A memory of fixed bandwidth and latency: a kernel takes as long whenever it starts.
test::Run fixed(const std::vector<std::string>& sets, const std::string& name) {
  return test::build(test::machine_doc("a100-sxm4-80gb", sets), name, true, 1e12, 300);
}

double total_ps(const Json& rep) {
  return rep["totals"]["seconds"].get<double>() * 1e12;
}

TEST(Execution, EagerHostBoundAndGraphGapBound) {
  const size_t n = 10;
  trace::TraceHeader h;
  // x and y are read by the first op: give them a writer (an embedding-free trace: declare
  // them as weights so that every op reads placed tensors).
  h.weights.push_back(test::decl(test::tensor("x", trace::TensorKind::weight, {1, 256})));
  h.weights.push_back(test::decl(test::tensor("y", trace::TensorKind::weight, {1, 256})));
  std::vector<trace::Op> ops = adds(n);
  for (auto& op : ops) {
    for (auto& t : op.inputs) t.kind = trace::TensorKind::weight;
  }
  test::Run none = fixed({"execution=\"eager\""}, "a");
  test::Run eager = fixed({R"(execution={"name":"eager","launch_ns":10000,"gap_ns":0})"}, "b");
  test::Run graph = fixed({R"(execution={"name":"graph","launch_ns":5000,"gap_ns":1000})"}, "c");
  auto reps = test::simulate({&none, &eager, &graph}, h, ops);
  // With no launch cost the kernels run back to back: their durations add up.
  const double sum = total_ps(reps[0]);
  const double last = test::op_seconds(reps[0], "add9") * 1e12;
  ASSERT_LT(sum / n, 10000e3);  // each kernel is shorter than one host launch
  // Eager: the host issues kernel k at k x 10 us; each starts then, the last ends d later.
  EXPECT_NEAR(total_ps(reps[1]), n * 10000e3 + last, 1e3);
  // Graph: one 5 us launch, then the kernels with 1 us between them.
  EXPECT_NEAR(total_ps(reps[2]), 5000e3 + sum + (n - 1) * 1000e3, 1e3);
  EXPECT_EQ(reps[1]["metrics"]["kernels"].get<uint64_t>(), n);
  EXPECT_EQ(reps[2]["metrics"]["execution"]["phases"].get<uint64_t>(), 1u);
  EXPECT_NEAR(reps[2]["metrics"]["execution"]["gpu_idle_between_kernels_s"].get<double>() * 1e12,
              5000e3 + (n - 1) * 1000e3, 1e3);
}

// A new phase waits for the previous one (its token): the host cannot run ahead into it.
TEST(Execution, EachPhaseStartsAfterThePreviousEnds) {
  trace::TraceHeader h;
  h.weights.push_back(test::decl(test::tensor("x", trace::TensorKind::weight, {1, 256})));
  h.weights.push_back(test::decl(test::tensor("y", trace::TensorKind::weight, {1, 256})));
  std::vector<trace::Op> ops = adds(4);
  for (size_t i = 0; i < ops.size(); ++i) {
    ops[i].phase = trace::Phase{i < 2 ? trace::PhaseKind::prefill : trace::PhaseKind::decode,
                                static_cast<uint32_t>(i < 2 ? 0 : 1)};
    for (auto& t : ops[i].inputs) t.kind = trace::TensorKind::weight;
  }
  test::Run none = fixed({"execution=\"eager\""}, "a");
  test::Run graph = fixed({R"(execution={"name":"graph","launch_ns":5000,"gap_ns":0})"}, "b");
  auto reps = test::simulate({&none, &graph}, h, ops);
  // Two graphs, each launched after the previous phase ended.
  EXPECT_NEAR(total_ps(reps[1]), 2 * 5000e3 + total_ps(reps[0]), 1e3);
  EXPECT_EQ(reps[1]["metrics"]["execution"]["phases"].get<uint64_t>(), 2u);
}

}  // namespace
}  // namespace cimsim::vn
