// Workload files through the config core: strict parsing, cross-field checks, `extends`,
// --set, and the schema and JSON forms.
#include <gtest/gtest.h>

#include <filesystem>

#include "cimsim/common/error.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/workload/workload.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

// A complete, valid workload file (GPT-2-like, tiny).
Json tiny_file() {
  return Json::parse(R"({
    "name": "tiny",
    "model": {
      "layers": 2, "d_model": 8, "heads": 2, "kv_heads": 2, "head_dim": 4, "d_ff": 32,
      "vocab": 11, "max_context": 16, "activation": "gelu_tanh", "ffn": "mlp",
      "norm": "layernorm", "norm_placement": "pre", "position": "learned", "bias": true,
      "tie_embeddings": true
    },
    "run": { "prompt": 4, "generate": 2 }
  })");
}

class WorkloadConfig : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const Json& j) {
    std::string path = dir_ + "/" + name;
    write_file(path, j.dump(2));
    return path;
  }
  // The message of the InputError that loading `j` (with `sets`) throws; "" if none.
  std::string error_of(const Json& j, const std::vector<std::string>& sets = {}) {
    std::string path = write("w.json", j);
    std::vector<config::Assignment> a;
    a.reserve(sets.size());
    for (const auto& s : sets) {
      a.push_back(config::parse_assignment(s));
    }
    try {
      workload::load_workload(path, a);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  std::string file() const { return dir_ + "/w.json"; }

  std::string dir_;
};

TEST_F(WorkloadConfig, ValidFileLoadsWithDefaults) {
  auto w = workload::load_workload(write("w.json", tiny_file()), {});
  EXPECT_EQ(w.name, "tiny");
  EXPECT_EQ(w.model.heads, 2u);
  EXPECT_EQ(w.model.activation, workload::Activation::gelu_tanh);
  EXPECT_EQ(w.run.mode, workload::Mode::decoder);  // default
  EXPECT_EQ(w.run.batch, 1u);                      // default
  EXPECT_EQ(w.dtypes.kv_cache, trace::DType::fp16);
  EXPECT_EQ(w.model.rope_theta, 10000.0);
}

TEST_F(WorkloadConfig, ZeroSizeNamesFileAndPath) {
  Json j = tiny_file();
  j["model"]["heads"] = 0;
  EXPECT_EQ(error_of(j), file() + ": workload.model.heads: expected an integer >= 1, got 0");
}

TEST_F(WorkloadConfig, NegativeSize) {
  Json j = tiny_file();
  j["model"]["d_ff"] = -4;
  EXPECT_EQ(error_of(j), file() + ": workload.model.d_ff: expected an integer >= 1, got -4");
}

TEST_F(WorkloadConfig, UnknownKey) {
  Json j = tiny_file();
  j["model"]["n_heads"] = 2;
  EXPECT_NE(error_of(j).find(file() + ": workload.model.n_heads: unknown key"), std::string::npos);
}

TEST_F(WorkloadConfig, WrongType) {
  Json j = tiny_file();
  j["model"]["bias"] = "yes";
  EXPECT_EQ(error_of(j), file() + ": workload.model.bias: expected true or false, got \"yes\"");
}

TEST_F(WorkloadConfig, MissingRequiredKey) {
  Json j = tiny_file();
  j["model"].erase("vocab");
  EXPECT_NE(error_of(j).find("workload.model.vocab: missing required key"), std::string::npos);
}

TEST_F(WorkloadConfig, HeadsTimesHeadDimMustEqualDModel) {
  Json j = tiny_file();
  j["model"]["head_dim"] = 3;
  EXPECT_EQ(error_of(j), file() +
                             ": workload.model.head_dim: heads x head_dim = 2 x 3, "
                             "expected it to equal d_model = 8");
}

TEST_F(WorkloadConfig, KvHeadsMustDivideHeads) {
  Json j = tiny_file();
  j["model"]["heads"] = 4;
  j["model"]["head_dim"] = 2;
  j["model"]["kv_heads"] = 3;
  EXPECT_NE(error_of(j).find(file() + ": workload.model.kv_heads: expected a divisor of heads = 4"),
            std::string::npos);
  j["model"]["kv_heads"] = 8;  // more KV heads than heads
  EXPECT_NE(error_of(j).find("workload.model.kv_heads"), std::string::npos);
  j["model"]["kv_heads"] = 2;
  EXPECT_EQ(error_of(j), "");
}

TEST_F(WorkloadConfig, RopeNeedsAnEvenHeadDimAndNoPositionOffset) {
  Json j = tiny_file();
  j["model"]["position"] = "rope";
  j["model"]["heads"] = 8;
  j["model"]["kv_heads"] = 8;
  j["model"]["head_dim"] = 1;
  EXPECT_NE(error_of(j).find("workload.model.head_dim: rope rotates pairs"), std::string::npos);
  j = tiny_file();
  j["model"]["position"] = "rope";
  j["model"]["position_offset"] = 2;
  EXPECT_NE(error_of(j).find("workload.model.position_offset"), std::string::npos);
}

TEST_F(WorkloadConfig, UnknownEnumValueListsTheChoices) {
  Json j = tiny_file();
  j["run"]["mode"] = "diffusion";
  EXPECT_EQ(error_of(j), file() +
                             ": workload.run.mode: expected one of \"decoder\", "
                             "\"encoder\", \"entp\", got \"diffusion\"");
}

TEST_F(WorkloadConfig, TokenIdTypeIsNotAModelDtype) {
  Json j = tiny_file();
  j["dtypes"] = Json{{"kv_cache", "int32"}};
  EXPECT_NE(error_of(j).find("workload.dtypes.kv_cache: int32 is the type of token ids"),
            std::string::npos);
}

TEST_F(WorkloadConfig, ContextOverflowIsAnErrorUnlessAllowed) {
  Json j = tiny_file();
  j["run"]["prompt"] = 10;
  j["run"]["generate"] = 7;  // 17 > 16
  EXPECT_EQ(error_of(j), file() +
                             ": workload.run.prompt: prompt + generate = 10 + 7 = 17 "
                             "tokens exceeds model.max_context = 16 (set "
                             "workload.run.allow_context_overflow=true to lower it anyway)");
  j["run"]["generate"] = 6;  // exactly 16 fits
  EXPECT_EQ(error_of(j), "");
  j["run"]["generate"] = 7;
  EXPECT_EQ(error_of(j, {"workload.run.allow_context_overflow=true"}), "");
  // A command-line override is named as the culprit.
  j["run"]["generate"] = 2;
  EXPECT_EQ(error_of(j, {"workload.run.generate=100"})
                .rfind("--set workload.run.generate=100: "
                       "workload.run.generate: ",
                       0),
            0u);
}

TEST_F(WorkloadConfig, EncoderCountsThePromptOnlyAndRecordsNoGeneration) {
  Json j = tiny_file();
  j["run"] = Json{{"mode", "encoder"}, {"prompt", 16}, {"generate", 50}};
  auto w = workload::load_workload(write("w.json", j), {});
  EXPECT_EQ(w.run.generate, 0u);
  j["run"]["prompt"] = 17;
  EXPECT_NE(error_of(j).find("workload.run.prompt: prompt = 17 tokens exceeds"), std::string::npos);
}

TEST_F(WorkloadConfig, DecoderAndEntpNeedATokenToGenerate) {
  Json j = tiny_file();
  j["run"]["generate"] = 0;
  EXPECT_EQ(error_of(j), file() +
                             ": workload.run.generate: expected an integer >= 1 in decoder "
                             "mode (tokens to generate), got 0");
  j["run"]["mode"] = "entp";
  EXPECT_NE(error_of(j).find("in entp mode"), std::string::npos);
}

TEST_F(WorkloadConfig, ExtendsChainMergesAndNamesTheFileOfABadValue) {
  Json base = tiny_file();
  base["model"]["d_ff"] = 0;  // bad, and overridden below
  write("base.json", base);
  write("mid.json", Json{{"extends", "base.json"}, {"model", {{"layers", 5}, {"d_ff", 64}}}});
  write("top.json", Json{{"extends", "mid.json"}, {"name", "top"}});
  auto w = workload::load_workload(dir_ + "/top.json", {});
  EXPECT_EQ(w.name, "top");
  EXPECT_EQ(w.model.layers, 5u);  // from mid
  EXPECT_EQ(w.model.d_ff, 64u);   // mid overrides base
  EXPECT_EQ(w.model.vocab, 11u);  // from base
  EXPECT_EQ(w.run.prompt, 4u);    // from base

  // A bad value inherited from the base is reported against the base file.
  base["model"]["d_ff"] = 32;
  base["model"]["vocab"] = 0;
  write("base.json", base);
  try {
    workload::load_workload(dir_ + "/top.json", {});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir_ + "/base.json: workload.model.vocab: expected an integer >= 1, got 0");
  }
}

TEST_F(WorkloadConfig, CyclicExtendsIsAnError) {
  write("a.json", Json{{"extends", "b.json"}, {"name", "a"}});
  write("b.json", Json{{"extends", "a.json"}, {"name", "b"}});
  try {
    workload::load_workload(dir_ + "/a.json", {});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cyclic \"extends\": a.json -> b.json -> a.json"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(WorkloadConfig, SetIsTypeChecked) {
  Json j = tiny_file();
  EXPECT_EQ(error_of(j, {"workload.model.layers=abc"}),
            "--set workload.model.layers=abc: workload.model.layers: expected an integer in "
            "[1, 16384], got \"abc\"");
  EXPECT_EQ(error_of(j, {"workload.run.batch=1.5"}),
            "--set workload.run.batch=1.5: workload.run.batch: expected an integer >= 1, got 1.5");
  EXPECT_EQ(error_of(j, {"workload.model.bias=1"}),
            "--set workload.model.bias=1: workload.model.bias: expected true or false, got 1");
}

TEST_F(WorkloadConfig, SetReachesSettingsTheFileDoesNotMention) {
  auto w = workload::load_workload(write("w.json", tiny_file()),
                                   {config::parse_assignment("workload.run.attention=split"),
                                    config::parse_assignment("workload.dtypes.weights=int4")});
  EXPECT_EQ(w.run.attention, workload::AttentionForm::split);
  EXPECT_EQ(w.dtypes.weights, trace::DType::int4);
}

TEST_F(WorkloadConfig, SetOnAPathThatDoesNotExist) {
  std::string err = error_of(tiny_file(), {"workload.model.n_layer=3"});
  EXPECT_EQ(err.rfind("--set workload.model.n_layer=3: no setting workload.model.n_layer in ", 0),
            0u)
      << err;
  EXPECT_NE(err.find("layers"), std::string::npos);  // lists what exists there
}

TEST_F(WorkloadConfig, JsonFormRoundTripsThroughAFile) {
  Json j = tiny_file();
  j["run"]["attention"] = "split";
  auto w = workload::load_workload(write("w.json", j), {});
  Json full = workload::workload_json(w);
  EXPECT_EQ(full["model"]["rope_theta"], 10000.0);  // defaults are filled in
  EXPECT_EQ(full["run"]["attention"], "split");
  auto again = workload::load_workload(write("again.json", full), {});
  EXPECT_EQ(workload::workload_json(again), full);
}

TEST(WorkloadSchema, DescribesEveryKey) {
  Json s = workload::workload_schema();
  const Json& model = s["properties"]["model"]["properties"];
  for (const char* key :
       {"layers", "d_model", "heads", "kv_heads", "head_dim", "d_ff", "vocab", "max_context",
        "activation", "ffn", "norm", "norm_placement", "position", "bias", "tie_embeddings",
        "type_vocab", "rope_theta", "position_offset", "embedding_norm"}) {
    EXPECT_TRUE(model.contains(key)) << key;
  }
  const Json& run = s["properties"]["run"]["properties"];
  EXPECT_EQ(run["mode"]["enum"], Json::array({"decoder", "encoder", "entp"}));
  EXPECT_EQ(run["allow_context_overflow"]["default"], false);
  EXPECT_TRUE(s["properties"].contains("extends"));
}

TEST(WorkloadPresets, UnknownPresetListsTheKnownOnes) {
  try {
    workload::load_workload("gpt5", {});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind("unknown workload preset \"gpt5\"", 0), 0u) << what;
    EXPECT_NE(what.find("llama-3-8b"), std::string::npos);
  }
}

}  // namespace
}  // namespace cimsim::test
