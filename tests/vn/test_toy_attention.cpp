// A GPU attention kernel added from one file (docs/extending.md): "test_read_once", an ideal
// fused kernel that streams Q, K and V from HBM once and writes O once, with the softmax's
// element work on the vector units. It is registered here, in the test file only; the machine
// selects it by name and runs it like the built-in kernels.
#include <gtest/gtest.h>

#include "cimsim/config/registry.hpp"
#include "cimsim/vn/attention_kernel.hpp"
#include "cimsim/vn/kernels.hpp"
#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

class ReadOnce final : public AttentionKernel {
 public:
  void plan(const trace::Op& op, const AttentionFusion& /*fused*/, KernelPlanner& planner,
            std::vector<KernelPlan>& out) const override {
    AddressMap& map = planner.map();
    auto load = [&map](const trace::Tensor& t) {
      const TensorLoc& loc = map.tensor(t);
      return Load{loc.base, t.bytes, loc.index};
    };
    std::vector<Load> reads{load(op.inputs[0]), load(op.inputs[1]), load(op.inputs[2])};
    std::vector<Load> writes{load(op.outputs[0])};
    const double pairs = static_cast<double>(op.attn.pairs() * op.attn.heads * op.attn.batch);
    out.push_back(planner.stream_kernel("attn_read_once", reads, {}, writes, pairs,
                                        element_cost(trace::OpKind::softmax)));
  }
};

}  // namespace

CIMSIM_REGISTER(AttentionAxis, config::NoParams, "test_read_once",
                "test only: Q, K, V read once, O written once",
                [](const config::NoParams&) -> std::unique_ptr<AttentionKernel> {
                  return std::make_unique<ReadOnce>();
                });

namespace {

TEST(ToyAttention, RunsFromOneFileAndMovesExactlyItsOperands) {
  const uint64_t heads = 4, d = 64, n = 2048;
  trace::TraceHeader h;
  std::vector<trace::Op> ops{test::attention("att", heads, d, n, n, true, h)};
  // A small L2, eager launches: what the kernel streams reaches HBM.
  test::Run run = test::build(
      test::machine_doc("a100-sxm4-80gb", {"l2.capacity_bytes=262144", "execution=\"eager\"",
                                           "attention=\"test_read_once\"", "fusion=[]"}),
      "toy");
  Json rep = test::simulate({&run}, h, ops)[0];
  const Json& o = test::op_entry(rep, "att");
  // Q, K, V: n rows x heads x d x 2 bytes each; O the same, written.
  const double tensor_bytes = static_cast<double>(n * heads * d * 2);
  EXPECT_DOUBLE_EQ(o["bytes"]["hbm"]["read"].get<double>(), 3 * tensor_bytes);
  EXPECT_GE(o["bytes"]["hbm"]["write"].get<double>(), 0.0);
  EXPECT_LE(o["bytes"]["hbm"]["write"].get<double>(), tensor_bytes);
  EXPECT_DOUBLE_EQ(o["bytes"]["l2"]["write"].get<double>(), tensor_bytes);
  EXPECT_EQ(rep["metrics"]["kernels"].get<uint64_t>(), 1u);
  // The config echoes the chosen implementation by name.
  const Json& chosen = rep["config"]["attention"];
  EXPECT_EQ(chosen.is_string() ? chosen : chosen["name"], "test_read_once");
}

}  // namespace
}  // namespace cimsim::vn
