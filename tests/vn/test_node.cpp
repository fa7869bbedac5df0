// A von Neumann node through `cimsim run` (node.hpp, docs/parallelism.md): one device of a node
// is the device alone; Llama-2-70B in fp16 does not fit one 80 GB GPU and fits two with
// tensor parallelism (per-device bytes worked out by hand); the link's bytes and energy of a
// tiny tensor-parallel layer by hand; a two-stage pipeline's time is its stages' plus the send
// between them, the send its closed form.
#include <gtest/gtest.h>

#include "vn_test_util.hpp"

namespace cimsim::vn {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string err;
  Json machine;
};

RunResult run(std::vector<std::string> args) {
  std::string dir = cimsim::test::make_temp_dir();
  std::string out = dir + "/r.json";
  args.insert(args.begin(), "run");
  args.insert(args.end(), {"--quiet", "--out", out});
  auto r = cimsim::test::run_cimsim(args);
  RunResult result{r.exit_code, cimsim::test::strip_sanitizer_notes(r.err), Json()};
  if (r.exit_code == 0) {
    result.machine = config::read_json_file(out)["machines"][0];
  }
  return result;
}

double seconds(const Json& m) {
  return m["totals"]["seconds"].get<double>();
}

TEST(Node, OneDeviceOfANodeIsTheDeviceAlone) {
  const std::vector<std::string> w = {"--workload", "gpt2-small", "--prompt",
                                      "32",         "--generate", "3"};
  std::vector<std::string> one = {"--machine", "a100-sxm4-80gb"},
                           node = {"--machine", "8x-a100-sxm4-80gb", "--set",
                                   "machine.node.tensor_parallel=1"};
  one.insert(one.end(), w.begin(), w.end());
  node.insert(node.end(), w.begin(), w.end());
  RunResult a = run(one), b = run(node);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(seconds(a.machine), seconds(b.machine));
  EXPECT_EQ(a.machine["totals"]["energy_j"], b.machine["totals"]["energy_j"]);
  EXPECT_EQ(a.machine["totals"]["bytes"]["hbm"], b.machine["totals"]["bytes"]["hbm"]);
  EXPECT_EQ(b.machine["totals"]["bytes"]["nvlink"]["write"].get<uint64_t>(), 0u);
  EXPECT_EQ(b.machine["metrics"]["node"]["devices_used"].get<uint64_t>(), 1u);
}

// The bytes one device holds of Llama-2-70B (fp16) at tensor parallelism 2, by hand: every
// tensor starts on a 32 KiB block (the L2's tag block) of its own.
uint64_t llama70b_bytes_per_device_at_tp2(uint64_t positions) {
  auto block = [](uint64_t b) { return (b + 32767) / 32768 * 32768; };
  const uint64_t d = 8192, f = 28672, vocab = 32000, layers = 80;
  uint64_t per_layer = 0;
  per_layer += block(d * (64 * 128 / 2) * 2);       // q: half of the 64 heads
  per_layer += 2 * block(d * (8 * 128 / 2) * 2);    // k, v: 4 of the 8 key/value heads
  per_layer += block((64 * 128 / 2) * d * 2);       // o: half the rows
  per_layer += 2 * block(d * (f / 2) * 2);          // gate, up: half the columns
  per_layer += block((f / 2) * d * 2);              // down: half the rows
  per_layer += 2 * block(d * 2);                    // norm1, norm2: whole
  per_layer += 2 * block(positions * 4 * 128 * 2);  // K and V caches: 4 heads each
  return block(vocab * d * 2)                       // the embedding, whole
         + layers * per_layer + block(d * 2)        // final norm
         + block(d * (vocab / 2) * 2);              // LM head: half the vocabulary
}

TEST(Node, Llama70bNeedsTwoGpusOfEightyGigabytes) {
  const std::vector<std::string> w = {"--workload", "llama-2-70b", "--prompt",
                                      "4",          "--generate",  "1"};
  std::vector<std::string> args = {"--machine", "a100-sxm4-80gb"};
  args.insert(args.end(), w.begin(), w.end());
  RunResult one = run(args);
  EXPECT_EQ(one.exit_code, 2);
  // 138 GB of weights (Touvron et al. 2023: 70 billion parameters x 2 bytes) against 80 GiB.
  EXPECT_NE(one.err.find("machine.memory"), std::string::npos) << one.err;
  EXPECT_NE(one.err.find("85899345920"), std::string::npos) << one.err;

  args = {"--machine", "8x-a100-sxm4-80gb", "--set", "machine.node.tensor_parallel=1"};
  args.insert(args.end(), w.begin(), w.end());
  RunResult node_one = run(args);
  EXPECT_EQ(node_one.exit_code, 2);
  EXPECT_NE(node_one.err.find("8x-a100-sxm4-80gb.json: machine.node"), std::string::npos)
      << node_one.err;
  EXPECT_NE(node_one.err.find("tensor_parallel = 1"), std::string::npos) << node_one.err;

  args = {"--machine", "8x-a100-sxm4-80gb", "--set", "machine.node.tensor_parallel=2"};
  args.insert(args.end(), w.begin(), w.end());
  RunResult two = run(args);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const Json& node = two.machine["metrics"]["node"];
  const uint64_t per_device = node["stages"][0]["bytes_per_device"].get<uint64_t>();
  EXPECT_EQ(per_device, llama70b_bytes_per_device_at_tp2(4));  // 69.9 GB
  EXPECT_LT(per_device, node["device_memory_bytes"].get<uint64_t>());
  EXPECT_EQ(node["heads_per_rank"].get<uint64_t>(), 32u);
  EXPECT_EQ(node["kv_heads_per_rank"].get<uint64_t>(), 4u);
}

// The Llama-like layer of test_tensor_parallel.cpp (1 layer, d_model 8, 2 heads, 1 key/value
// head, FFN 16, vocabulary 10), prompt 3, 2 tokens generated.
const char* const kTiny = R"({"name": "tiny", "model": {"layers": 1, "d_model": 8, "heads": 2,
  "kv_heads": 1, "head_dim": 4, "d_ff": 16, "vocab": 10, "max_context": 16,
  "activation": "silu", "ffn": "gated", "norm": "rmsnorm", "norm_placement": "pre",
  "position": "rope", "bias": false, "tie_embeddings": false},
  "run": {"mode": "decoder", "prompt": 3, "generate": 2}})";

TEST(Node, TensorParallelLinkBytesAndEnergyByHand) {
  std::string dir = cimsim::test::make_temp_dir();
  cimsim::test::write_file(dir + "/tiny.json", kTiny);
  RunResult one = run({"--machine", "a100-sxm4-80gb", "--workload", dir + "/tiny.json"});
  RunResult two = run({"--machine", "8x-a100-sxm4-80gb", "--set", "machine.node.tensor_parallel=2",
                       "--workload", dir + "/tiny.json"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const Json& m = two.machine;
  // Prefill: two all-reduces of 3 x 8 fp16 (48 bytes; each of the 2 ranks sends one 24-byte
  // chunk twice) and the all-gather of 10 fp16 logits (each sends its 10 bytes): 2 x 2 x 48 +
  // 2 x 10 = 212 bytes over the node. The decode step: 16-byte all-reduces, 2 x 2 x 16 + 20 =
  // 84. Every byte sent is received.
  EXPECT_EQ(m["totals"]["bytes"]["nvlink"]["write"].get<uint64_t>(), 296u);
  EXPECT_EQ(m["totals"]["bytes"]["nvlink"]["read"].get<uint64_t>(), 296u);
  for (const auto& c : m["components"]) {
    if (c["name"] == "nvlink") {
      // 296 bytes x 8 bits x 11 pJ.
      EXPECT_NEAR(c["dynamic_energy_j"].get<double>(), 296 * 8 * 11e-12, 1e-18);
    }
  }
  const Json& comms = m["metrics"]["node"]["communication"];
  EXPECT_EQ(comms["all_reduce"]["count"].get<uint64_t>(), 4u);
  EXPECT_EQ(comms["all_gather"]["count"].get<uint64_t>(), 2u);
  // The report's FLOPs are the model's, not a rank's; the static power is both devices'.
  EXPECT_EQ(m["totals"]["flops"], one.machine["totals"]["flops"]);
  double static_one = 0, static_two = 0;
  for (const auto& c : one.machine["components"]) static_one += c["static_power_w"].get<double>();
  for (const auto& c : m["components"]) static_two += c["static_power_w"].get<double>();
  EXPECT_NEAR(static_two, 2 * static_one, 1e-9);
  EXPECT_NEAR(m["budget"]["peak_power_w"].get<double>(), 800, 1e-9);
}

TEST(Node, TwoStagePipelineIsItsStagesPlusTheSend) {
  // GPT-2 small (12 layers) on 2 stages: layers 0-5 and the embedding on the first, 6-11 and
  // the LM head on the second. One prefill of 16 tokens.
  RunResult r = run({"--machine", "8x-a100-sxm4-80gb", "--set", "machine.node.tensor_parallel=1",
                     "--set", "machine.node.pipeline_parallel=2", "--workload", "gpt2-small",
                     "--prompt", "16", "--generate", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json& m = r.machine;
  double stage0 = 0, stage1 = 0, sends = 0;
  int send_count = 0;
  for (const auto& op : m["ops"]) {
    const double s = op["busy_seconds"].get<double>();
    if (op["kind"] == "send") {
      sends += s;
      ++send_count;
    } else if (op["layer"].get<int>() <= 5) {
      stage0 += s;
    } else {
      stage1 += s;
    }
  }
  EXPECT_GT(stage0, 0);
  EXPECT_GT(stage1, 0);
  ASSERT_EQ(send_count, 1);
  EXPECT_NEAR(seconds(m), stage0 + stage1 + sends, 1e-11);
  // The residual stream, 16 x 768 fp16 = 24576 bytes, crosses one NVSwitch hop: 6.6 us +
  // 0.6 us + 24576 B / 300 GB/s, after the graph's 0.5 us gap between kernels.
  EXPECT_NEAR(sends, (500 + 6600 + 600 + 24576 / 300.0) * 1e-9, 2e-12);
  EXPECT_EQ(m["totals"]["bytes"]["nvlink"]["write"].get<uint64_t>(), 24576u);
  const Json& stages = m["metrics"]["node"]["stages"];
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0]["first_layer"].get<int>(), -1);
  EXPECT_EQ(stages[0]["last_layer"].get<int>(), 5);
  EXPECT_EQ(stages[1]["first_layer"].get<int>(), 6);
  EXPECT_EQ(stages[1]["last_layer"].get<int>(), 12);
  // Both devices draw their static power for the whole run: 2 x 108 SMs at 0.2 W each.
  for (const auto& c : m["components"]) {
    if (c["name"] == "sm") {
      EXPECT_EQ(c["instances"].get<uint64_t>(), 216u);
      EXPECT_NEAR(c["static_energy_j"].get<double>(), 216 * 0.2 * seconds(m), 1e-12);
    }
  }
}

TEST(Node, TokensGoBackToTheFirstStageEachDecodeStep) {
  RunResult r = run({"--machine", "8x-a100-sxm4-80gb", "--set", "machine.node.tensor_parallel=2",
                     "--set", "machine.node.pipeline_parallel=2", "--workload", "gpt2-small",
                     "--set", "workload.model.heads=12", "--prompt", "8", "--generate", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  uint64_t token_sends = 0, x_sends = 0;
  for (const auto& op : r.machine["ops"]) {
    if (op["name"] == "tokens.send") token_sends += op["count"].get<uint64_t>();
    if (op["name"] == "L5.add2.out.send") x_sends += op["count"].get<uint64_t>();
  }
  EXPECT_EQ(token_sends, 2u);  // decode steps 1 and 2; the prompt comes from the host
  EXPECT_EQ(x_sends, 3u);      // every phase
  EXPECT_EQ(r.machine["metrics"]["node"]["devices_used"].get<uint64_t>(), 4u);
}

}  // namespace
}  // namespace cimsim::vn
