// Hugging Face config.json files as workloads: the field mapping of every supported model
// type against the hand-written presets of the same models and against published figures,
// and one-line errors naming the file and the Hugging Face field for what is not supported.
//
// The example configs in tests/workload/hf/ carry the published field values (README.md there
// names each one's Hugging Face repository).
#include <gtest/gtest.h>

#include <filesystem>

#include "cimsim/common/error.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/workload/workload.hpp"
#include "support/harness.hpp"
#include "tiny_models.hpp"

namespace cimsim::test {
namespace {

std::string hf(const std::string& name) {
  return source_path("tests/workload/hf/" + name + ".json");
}

Json model_json(const workload::Workload& w) {
  return workload::workload_json(w)["model"];
}

class HfErrors : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // The published config `name` edited by `edit`, written to a file; returns its path.
  std::string edited(const std::string& name, const std::function<void(Json&)>& edit) {
    Json j = Json::parse(read_file(hf(name)));
    edit(j);
    std::string path = dir_ + "/config.json";
    write_file(path, j.dump(2));
    return path;
  }
  std::string error(const std::string& path) {
    try {
      load(path);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  std::string dir_;
};

// Each model type maps to exactly the model the preset of the same checkpoint states by hand.
TEST(HfImport, EveryTypeMapsToThePresetOfTheSameCheckpoint) {
  const std::vector<std::pair<std::string, std::string>> same = {
      {"gpt2", "gpt2-small"},
      {"bert-base-uncased", "bert-base"},
      {"opt-1.3b", "opt-1.3b"},
      {"llama-2-7b", "llama-2-7b"},
      {"llama-2-70b", "llama-2-70b"},
      {"mistral-7b-v0.1", "mistral-7b"},
      {"mixtral-8x7b-v0.1", "mixtral-8x7b"}};
  for (const auto& [file, preset] : same) {
    EXPECT_EQ(model_json(load(hf(file))), model_json(load(preset))) << file;
  }
}

TEST(HfImport, RunSettingsAreTheUsualDefaultsWithTheModeOfTheType) {
  auto bert = load(hf("bert-base-uncased"));
  EXPECT_EQ(bert.run.mode, workload::Mode::encoder);
  auto llama = load(hf("llama-2-7b"));
  EXPECT_EQ(llama.run.mode, workload::Mode::decoder);
  EXPECT_EQ(llama.run.prompt, 128u);
  EXPECT_EQ(llama.run.generate, 32u);
  EXPECT_EQ(llama.name, "Llama-2-7b-hf");    // from _name_or_path
  EXPECT_EQ(load(hf("gpt2")).name, "gpt2");  // no _name_or_path: the file's stem
}

// torch_dtype sets every tensor's type; without it the workload default (fp16) stays.
TEST(HfImport, TorchDtype) {
  EXPECT_EQ(load(hf("mistral-7b-v0.1")).dtypes.weights, trace::DType::bf16);
  EXPECT_EQ(load(hf("mistral-7b-v0.1")).dtypes.kv_cache, trace::DType::bf16);
  EXPECT_EQ(load(hf("llama-2-7b")).dtypes.activations, trace::DType::fp16);
  EXPECT_EQ(load(hf("gpt2")).dtypes.weights, trace::DType::fp16);
}

// Qwen2 (no preset): every field by hand from Qwen/Qwen2-0.5B's config.json.
TEST(HfImport, Qwen2FieldByField) {
  auto w = load(hf("qwen2-0.5b"));
  const auto& m = w.model;
  EXPECT_EQ(m.layers, 24u);
  EXPECT_EQ(m.d_model, 896u);
  EXPECT_EQ(m.heads, 14u);
  EXPECT_EQ(m.kv_heads, 2u);
  EXPECT_EQ(m.head_dim, 64u);  // 896 / 14
  EXPECT_EQ(m.d_ff, 4864u);
  EXPECT_EQ(m.vocab, 151936u);
  EXPECT_EQ(m.max_context, 131072u);
  EXPECT_EQ(m.rope_theta, 1e6);
  EXPECT_TRUE(m.tie_embeddings);
  EXPECT_FALSE(m.bias);
  EXPECT_TRUE(m.qkv_bias);          // Qwen2Attention: q, k, v with bias, o without
  EXPECT_EQ(m.sliding_window, 0u);  // use_sliding_window false
  EXPECT_EQ(m.ffn, workload::Ffn::gated);
  EXPECT_EQ(m.norm, workload::Norm::rmsnorm);
  EXPECT_EQ(m.position, workload::Position::rope);
  EXPECT_EQ(w.dtypes.weights, trace::DType::bf16);
}

// Parameter totals as Hugging Face's num_parameters() reports them, computed by hand:
// Qwen2-0.5B per layer q 896x896+896, k and v 896x128+128 each, o 896x896, MLP 3x896x4864,
// two norms of 896; 24 layers, the tied 151936 x 896 embedding and the final norm.
TEST(HfImport, Qwen2ParameterTotal) {
  const uint64_t layer =
      (896 * 896 + 896) + 2 * (896 * 128 + 128) + 896 * 896 + 3 * 896 * 4864 + 2 * 896;
  const uint64_t total = 24 * layer + 151936ull * 896 + 896;
  EXPECT_EQ(total, 494'032'768u);  // "0.49B"; 0.36B without the embedding
  auto p = workload::count_parameters(load(hf("qwen2-0.5b")).model);
  EXPECT_EQ(p.total, total);
  EXPECT_EQ(p.non_embedding, total - 151936ull * 896);
}

// Mistral's window (and Mixtral's absent one) reach the model; the MistralConfig default of
// 4096 applies when the key is absent, null means none.
TEST_F(HfErrors, SlidingWindowMapping) {
  EXPECT_EQ(load(hf("mistral-7b-v0.1")).model.sliding_window, 4096u);
  EXPECT_EQ(load(hf("mixtral-8x7b-v0.1")).model.sliding_window, 0u);
  EXPECT_EQ(load(edited("mistral-7b-v0.1", [](Json& j) { j.erase("sliding_window"); }))
                .model.sliding_window,
            4096u);
  EXPECT_EQ(load(edited("mistral-7b-v0.1", [](Json& j) { j["sliding_window"] = nullptr; }))
                .model.sliding_window,
            0u);
  // Qwen2 with the window on every layer (max_window_layers 0).
  auto qwen = load(edited("qwen2-0.5b", [](Json& j) {
    j["use_sliding_window"] = true;
    j["max_window_layers"] = 0;
    j["sliding_window"] = 4096;
  }));
  EXPECT_EQ(qwen.model.sliding_window, 4096u);
}

// RoPE scaling changes the precomputed sin/cos tables only: the trace is the same.
TEST_F(HfErrors, RopeScalingIsCostNeutral) {
  auto plain = load(hf("llama-2-7b"), {"workload.run.prompt=8", "workload.run.generate=2",
                                       "workload.model.layers=1"});
  std::string scaled = edited("llama-2-7b", [](Json& j) {
    j["rope_scaling"] = Json{{"type", "linear"}, {"factor", 4.0}};
  });
  auto s =
      load(scaled, {"workload.run.prompt=8", "workload.run.generate=2", "workload.model.layers=1"});
  EXPECT_EQ(model_json(s), model_json(plain));
  std::string llama3 = edited("llama-2-7b", [](Json& j) {
    j["rope_scaling"] = Json{{"rope_type", "llama3"},
                             {"factor", 8.0},
                             {"low_freq_factor", 1.0},
                             {"high_freq_factor", 4.0},
                             {"original_max_position_embeddings", 8192}};
  });
  EXPECT_EQ(model_json(load(llama3)), model_json(load(hf("llama-2-7b"))));
}

// --set applies to an imported config like to any workload file.
TEST(HfImport, SetOverridesTheImportedValues) {
  auto w = load(hf("mixtral-8x7b-v0.1"), {"workload.model.layers=2", "workload.run.batch=3"});
  EXPECT_EQ(w.model.layers, 2u);
  EXPECT_EQ(w.run.batch, 3u);
  EXPECT_EQ(w.model.experts, 8u);
}

TEST_F(HfErrors, UnknownModelType) {
  std::string p = edited("llama-2-7b", [](Json& j) { j["model_type"] = "t5"; });
  EXPECT_EQ(error(p), p + ": model_type: expected one of bert, gpt2, llama, mistral, mixtral, "
                          "opt, qwen2, got \"t5\"");
}

TEST_F(HfErrors, MissingRequiredField) {
  std::string p = edited("llama-2-7b", [](Json& j) { j.erase("hidden_size"); });
  EXPECT_EQ(error(p), p + ": hidden_size: missing required key");
  p = edited("gpt2", [](Json& j) { j.erase("n_layer"); });
  EXPECT_EQ(error(p), p + ": n_layer: missing required key");
}

TEST_F(HfErrors, HeadsMustDivideTheHiddenSize) {
  std::string p = edited("llama-2-7b", [](Json& j) {
    j["num_attention_heads"] = 3;
    j["num_key_value_heads"] = 3;
  });
  EXPECT_EQ(error(p), p + ": num_attention_heads: expected a divisor of hidden_size = 4096 "
                          "(head_dim = hidden_size / num_attention_heads), got 3");
  p = edited("gpt2", [](Json& j) { j["n_head"] = 5; });
  EXPECT_EQ(error(p), p + ": n_head: expected a divisor of n_embd = 768 (head_dim = n_embd / "
                          "n_head), got 5");
  p = edited("mistral-7b-v0.1", [](Json& j) { j["num_key_value_heads"] = 5; });
  EXPECT_EQ(error(p), p + ": num_key_value_heads: expected a divisor of num_attention_heads = "
                          "32 (each key/value head serves a whole group of query heads), got 5");
}

// An explicit head_dim may make the attention narrower than the residual stream
// (Mistral-NeMo: 32 heads of 128 on hidden_size 5120).
TEST_F(HfErrors, ExplicitHeadDim) {
  auto w = load(edited("mistral-7b-v0.1", [](Json& j) {
    j["hidden_size"] = 5120;
    j["head_dim"] = 128;
  }));
  EXPECT_EQ(w.model.head_dim, 128u);
  EXPECT_TRUE(w.model.explicit_head_dim);
  // q: 5120 x 4096, k and v: 5120 x 1024, o: 4096 x 5120 per layer.
  auto decls = workload::model_weights(w.model, trace::DType::fp16);
  for (const auto& d : decls) {
    if (d.id == "L0.attn.q") {
      EXPECT_EQ(d.shape, (std::vector<uint64_t>{5120, 4096}));
    }
    if (d.id == "L0.attn.o") {
      EXPECT_EQ(d.shape, (std::vector<uint64_t>{4096, 5120}));
    }
  }
}

TEST_F(HfErrors, UnsupportedRopeScaling) {
  std::string p = edited("llama-2-7b", [](Json& j) {
    j["rope_scaling"] = Json{{"type", "mrope"}, {"factor", 2.0}};
  });
  EXPECT_EQ(error(p), p + ": rope_scaling.type: expected one of default, linear, dynamic, yarn, "
                          "longrope, llama3, got \"mrope\"");
  p = edited("llama-2-7b", [](Json& j) {
    j["rope_scaling"] = Json{{"type", "linear"}, {"factor", -1}};
  });
  EXPECT_EQ(error(p), p + ": rope_scaling.factor: expected a number > 0, got -1");
}

TEST_F(HfErrors, FieldsNotModelled) {
  std::string p = edited("llama-2-7b", [](Json& j) { j["cross_attention_layers"] = {3, 8}; });
  EXPECT_EQ(error(p), p + ": cross_attention_layers: not a field cimsim maps or ignores for "
                          "model_type \"llama\" (docs/workloads.md lists them; remove it if it "
                          "does not change the network)");
  p = edited("llama-2-7b", [](Json& j) { j["quantization_config"] = Json{{"bits", 4}}; });
  EXPECT_EQ(error(p), p + ": quantization_config: quantized checkpoints are not imported (set "
                          "workload.dtypes.weights=int8 or int4 to model one)");
  p = edited("llama-2-7b", [](Json& j) { j["attention_bias"] = true; });
  EXPECT_EQ(error(p), p + ": mlp_bias: biases on the attention only are not modelled: expected "
                          "mlp_bias = attention_bias = true, got false");
  p = edited("opt-1.3b", [](Json& j) { j["word_embed_proj_dim"] = 512; });
  EXPECT_EQ(error(p), p + ": word_embed_proj_dim: embedding projections (project_in/"
                          "project_out, OPT-350m) are not modelled: expected hidden_size = "
                          "2048, got 512");
  p = edited("bert-base-uncased", [](Json& j) { j["position_embedding_type"] = "relative_key"; });
  EXPECT_EQ(error(p), p + ": position_embedding_type: expected \"absolute\" or no value "
                          "(relative position embeddings are not modelled), got "
                          "\"relative_key\"");
  p = edited("qwen2-0.5b", [](Json& j) {
    j["use_sliding_window"] = true;
    j["max_window_layers"] = 21;
  });
  EXPECT_EQ(error(p), p + ": max_window_layers: a window on layers 21..23 only is not modelled "
                          "(every layer or none): expected 0 or >= num_hidden_layers = 24, "
                          "got 21");
  p = edited("mistral-7b-v0.1", [](Json& j) { j["torch_dtype"] = "float64"; });
  EXPECT_EQ(error(p), p + ": torch_dtype: expected one of float16, bfloat16, float32, got "
                          "\"float64\"");
  p = edited("mixtral-8x7b-v0.1", [](Json& j) { j["num_experts_per_tok"] = 9; });
  EXPECT_EQ(error(p), p + ": num_experts_per_tok: expected at most num_local_experts = 8, got 9");
  p = edited("mistral-7b-v0.1", [](Json& j) { j["hidden_size"] = "4096"; });
  EXPECT_EQ(error(p), p + ": hidden_size: expected an integer >= 1, got \"4096\"");
}

// Training, tokenisation and generation keys are ignored whatever their value.
TEST_F(HfErrors, CostNeutralKeysAreIgnored) {
  auto w = load(edited("gpt2", [](Json& j) {
    j["resid_pdrop"] = 0.5;
    j["pad_token_id"] = 7;
    j["num_beams"] = 4;
    j["_attn_implementation_autoset"] = true;
    j["output_hidden_states"] = true;
  }));
  EXPECT_EQ(model_json(w), model_json(load(hf("gpt2"))));
}

// Through the CLI: every command that takes --workload accepts the file; a bad one exits 2.
TEST(HfImportCli, RunLowerAndConfigAcceptIt) {
  const std::string mixtral = hf("mixtral-8x7b-v0.1");
  CommandResult c = run_cimsim({"config", "--workload", mixtral});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  Json resolved = Json::parse(c.out);
  EXPECT_EQ(resolved["model"]["experts"], 8);
  EXPECT_EQ(resolved["model"]["experts_per_token"], 2);
  CommandResult l =
      run_cimsim({"lower", "--workload", hf("mistral-7b-v0.1"), "--prompt", "4", "--generate", "2",
                  "--set", "workload.model.layers=1", "--summary"});
  EXPECT_EQ(l.exit_code, 0) << l.err;
  CommandResult r =
      run_cimsim({"run", "--machine", "a100-sxm4-80gb", "--workload", hf("qwen2-0.5b"), "--prompt",
                  "4", "--generate", "2", "--set", "workload.model.layers=1", "--set",
                  "workload.model.vocab=512", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace cimsim::test
