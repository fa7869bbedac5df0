// Bad machine configs and traces the machine cannot run: exit code 2 and a one-line message
// naming the file (or --set), the JSON path, the value and what was expected.
#include <gtest/gtest.h>

#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

using cimsim::test::run_cimsim;

bool one_line(const std::string& s) {
  return s.find('\n') == s.size() - 1;
}

TEST(BadInput, ZeroUnitsIsRejected) {
  auto r =
      run_cimsim({"config", "--machine", "a100-sxm4-80gb", "--set", "machine.compute.units=0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("machine.compute.units"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expected an integer >= 1, got 0"), std::string::npos) << r.err;
}

TEST(BadInput, TileThatCannotFitSharedMemory) {
  auto r = run_cimsim({"config", "--machine", "a100-sxm4-80gb", "--set",
                       "machine.gemm.tiles=[{\"bm\":512,\"bn\":512,\"bk\":64,\"stages\":4}]"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("machine.gemm.tiles[0]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("524288"), std::string::npos) << r.err;  // 4 x (512x64 + 64x512) x 2
  EXPECT_NE(r.err.find("smem.capacity_bytes = 167936"), std::string::npos) << r.err;
}

TEST(BadInput, TileFileNamesTheFile) {
  std::string dir = cimsim::test::make_temp_dir();
  std::string file = dir + "/tiny-smem.json";
  cimsim::test::write_file(
      file, "{\"extends\": \"" + cimsim::test::source_path("configs/machines/a100-sxm4-80gb.json") +
                "\", \"smem\": {\"capacity_bytes\": 16384, \"bandwidth_bytes_per_cycle\": 128}}");
  auto r = run_cimsim({"config", "--machine", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("gemm.tiles[0]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("a100-sxm4-80gb.json"), std::string::npos) << r.err;
}

TEST(BadInput, UnknownAttentionImplementation) {
  auto r = run_cimsim(
      {"config", "--machine", "a100-sxm4-80gb", "--set", "machine.attention=\"sparse\""});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("machine.attention"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"flash\", \"flash2\", \"standard\""), std::string::npos) << r.err;
}

TEST(BadInput, DataTypeWithoutAUnitIsAClearError) {
  // H100 has no INT4 tensor cores (H100 whitepaper) and no INT4 SIMD path.
  auto doc = test::machine_doc("h100-sxm5");
  test::Run run = test::build(doc, "m0", true, 1e12, 100);
  trace::TraceHeader h;
  std::vector<trace::Op> ops{
      test::matmul("L0.attn.q", 16, 256, 256, h, "x", "y", trace::DType::int4)};
  run.exec->start(std::make_unique<cimsim::test::VectorSource>(h, ops));
  sc_core::sc_start();
  try {
    (void)run.exec->done();
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("h100-sxm5.json"), std::string::npos) << m;
    EXPECT_NE(m.find("machine.compute.tensor_macs_per_cycle"), std::string::npos) << m;
    EXPECT_NE(m.find("int4"), std::string::npos) << m;
    EXPECT_NE(m.find("L0.attn.q"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(BadInput, WeightOnlyQuantisationFallsBackToTheActivationType) {
  // int4 weights with fp16 activations run on the fp16 tensor cores (dequantised on the fly).
  auto doc = test::machine_doc("h100-sxm5");
  test::Run run = test::build(doc, "m0", true, 1e12, 100);
  trace::TraceHeader h;
  auto op = test::matmul("q", 16, 256, 256, h);
  op.inputs[1].dtype = trace::DType::int4;
  op.inputs[1].bytes = 256 * 256 / 2;
  h.weights[0].dtype = trace::DType::int4;
  h.weights[0].bytes = 256 * 256 / 2;
  Json rep = test::simulate({&run}, h, {op})[0];
  bool found = false;
  for (const auto& c : rep["components"]) {
    if (c["name"] == "sm.tensor") found = c["actions"]["mac_fp16"]["count"].get<uint64_t>() > 0;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace cimsim::vn

namespace cimsim::vn {
namespace {

TEST(BadInput, Int4TraceOnH100ThroughTheCli) {
  auto r = cimsim::test::run_cimsim({"run", "--machine", "h100-sxm5", "--workload", "gpt2-small",
                                     "--prompt", "16", "--generate", "2", "--set",
                                     "workload.dtypes.weights=int4", "--set",
                                     "workload.dtypes.activations=int4", "--quiet"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(r.err.find('\n') == r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find("h100-sxm5.json: machine.compute.tensor_macs_per_cycle"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("int4"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cimsim::vn
