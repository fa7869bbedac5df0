// `cimsim lower` through the real binary: bad inputs exit with code 2, one line on stderr
// naming the file and JSON path (or line and column), and leave no output file behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "cimsim/common/json.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

const char* kTiny = R"({
  "name": "tiny",
  "model": {
    "layers": 2, "d_model": 8, "heads": 2, "kv_heads": 2, "head_dim": 4, "d_ff": 32,
    "vocab": 11, "max_context": 16, "activation": "gelu_tanh", "ffn": "mlp",
    "norm": "layernorm", "norm_placement": "pre", "position": "learned", "bias": true,
    "tie_embeddings": true
  },
  "run": { "prompt": 4, "generate": 2 }
})";

class CliLower : public ::testing::Test {
 protected:
  void SetUp() override {
    in_ = make_temp_dir();
    out_ = make_temp_dir();
  }
  void TearDown() override {
    std::filesystem::remove_all(in_);
    std::filesystem::remove_all(out_);
  }

  std::string workload_file(const Json& j) { return workload_text(j.dump(2)); }
  std::string workload_text(const std::string& text) {
    std::string path = in_ + "/w.json";
    write_file(path, text);
    return path;
  }
  Json tiny() const { return Json::parse(kTiny); }
  std::string out_file() const { return out_ + "/trace.jsonl"; }

  // Runs `cimsim lower ARGS --out <empty dir>/trace.jsonl`, expects the bad-input contract
  // and returns the message (without "cimsim: error: " and the newline).
  std::string bad_input(std::vector<std::string> args) {
    args.insert(args.begin(), "lower");
    args.push_back("--out");
    args.push_back(out_file());
    CommandResult r = run_cimsim(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("cimsim: error: ", 0), 0u) << r.err;
    EXPECT_EQ(count_entries(out_), 0) << "an output file was left behind";
    const std::string prefix = "cimsim: error: ";
    return r.err.size() > prefix.size()
               ? r.err.substr(prefix.size(), r.err.size() - prefix.size() - 1)
               : r.err;
  }

  std::string in_, out_;
};

TEST_F(CliLower, WritesTheTraceAndSaysHowManyOps) {
  CommandResult r = run_cimsim({"lower", "--workload", workload_file(tiny()), "--out", out_file()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // 2 phases (prefill, 1 decode step) x (embedding + 2 layers x 13 + final norm + LM head).
  EXPECT_EQ(r.out, "wrote 58 ops to " + out_file() + "\n");
  std::string text = read_file(out_file());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 59);  // header + 58 ops
  EXPECT_EQ(count_entries(out_), 1);                          // no temporary file left
}

TEST_F(CliLower, SummaryOfAPresetAndOfTheWrittenTraceAgree) {
  CommandResult a = run_cimsim({"lower", "--workload", "gpt2-small", "--prompt", "16", "--generate",
                                "4", "--out", out_file(), "--summary"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find("124,439,808 parameters"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("36,864 B per token"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("85,056,000 non-embedding"), std::string::npos) << a.out;
  CommandResult b = run_cimsim({"lower", "--trace", out_file()});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  // The table of the file equals the table of the lowering (the first output line differs).
  std::string table = a.out.substr(a.out.find("gpt2-small:"));
  table = table.substr(0, table.find("\nmodel parameters"));
  EXPECT_EQ(b.out, table);
}

TEST_F(CliLower, MalformedJsonNamesLineAndColumn) {
  std::string path = workload_text("{\n  \"name\": \"x\",\n  \"model\": {\n    \"layers\": 2,,\n");
  std::string msg = bad_input({"--workload", path});
  EXPECT_EQ(msg.rfind(path + ":4:17: invalid JSON", 0), 0u) << msg;
}

TEST_F(CliLower, UnknownKey) {
  Json j = tiny();
  j["model"]["n_head"] = 2;
  std::string path = workload_file(j);
  EXPECT_EQ(bad_input({"--workload", path}).rfind(path + ": workload.model.n_head: unknown key", 0),
            0u);
}

TEST_F(CliLower, WrongType) {
  Json j = tiny();
  j["model"]["layers"] = "two";
  std::string path = workload_file(j);
  EXPECT_EQ(bad_input({"--workload", path}),
            path + ": workload.model.layers: expected an integer in [1, 16384], got \"two\"");
}

TEST_F(CliLower, ZeroSize) {
  Json j = tiny();
  j["model"]["heads"] = 0;
  std::string path = workload_file(j);
  EXPECT_EQ(bad_input({"--workload", path}),
            path + ": workload.model.heads: expected an integer >= 1, got 0");
}

TEST_F(CliLower, NegativeSize) {
  Json j = tiny();
  j["model"]["vocab"] = -1;
  std::string path = workload_file(j);
  EXPECT_EQ(bad_input({"--workload", path}),
            path + ": workload.model.vocab: expected an integer >= 1, got -1");
}

TEST_F(CliLower, NegativeCountOnTheCommandLine) {
  EXPECT_EQ(bad_input({"--workload", "gpt2-small", "--prompt", "-5"}),
            "--prompt: expected an integer >= 1, got \"-5\"");
}

TEST_F(CliLower, HeadDimTimesHeadsMustBeDModel) {
  Json j = tiny();
  j["model"]["d_model"] = 12;
  std::string path = workload_file(j);
  EXPECT_EQ(bad_input({"--workload", path}),
            path +
                ": workload.model.head_dim: heads x head_dim = 2 x 4, expected it to equal "
                "d_model = 12");
}

TEST_F(CliLower, HeadsNotDivisibleByKvHeads) {
  std::string msg = bad_input({"--workload", "llama-3-8b", "--set", "workload.model.kv_heads=5"});
  EXPECT_EQ(msg.rfind("--set workload.model.kv_heads=5: workload.model.kv_heads: expected a "
                      "divisor of heads = 32",
                      0),
            0u)
      << msg;
}

TEST_F(CliLower, ContextOverflowAndItsOverride) {
  std::string msg = bad_input({"--workload", "gpt2-small", "--prompt", "1000", "--generate", "25"});
  EXPECT_EQ(msg,
            "--prompt 1000: workload.run.prompt: prompt + generate = 1000 + 25 = 1025 tokens "
            "exceeds model.max_context = 1024 (set workload.run.allow_context_overflow=true "
            "to lower it anyway)");
  CommandResult ok =
      run_cimsim({"lower", "--workload", "gpt2-small", "--prompt", "1000", "--generate", "25",
                  "--set", "workload.run.allow_context_overflow=true", "--out", out_file()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(file_exists(out_file()));
}

TEST_F(CliLower, UnknownPreset) {
  std::string msg = bad_input({"--workload", "gpt-7"});
  EXPECT_EQ(msg.rfind("unknown workload preset \"gpt-7\" (expected a file path or one of: ", 0), 0u)
      << msg;
}

TEST_F(CliLower, MissingWorkloadFile) {
  EXPECT_EQ(bad_input({"--workload", in_ + "/nope.json"}),
            in_ + "/nope.json: no such workload config file");
}

TEST_F(CliLower, UnknownMode) {
  EXPECT_EQ(bad_input({"--workload", "gpt2-small", "--mode", "causal"}),
            "--mode causal: workload.run.mode: expected one of \"decoder\", \"encoder\", "
            "\"entp\", got \"causal\"");
}

TEST_F(CliLower, SetOnAPathThatDoesNotExist) {
  std::string msg = bad_input({"--workload", "gpt2-small", "--set", "workload.model.n_layer=3"});
  EXPECT_EQ(msg.rfind("--set workload.model.n_layer=3: no setting workload.model.n_layer in ", 0),
            0u)
      << msg;
}

TEST_F(CliLower, SetOfTheWrongType) {
  EXPECT_EQ(bad_input({"--workload", "gpt2-small", "--set", "workload.run.batch=two"}),
            "--set workload.run.batch=two: workload.run.batch: expected an integer >= 1, got "
            "\"two\"");
}

TEST_F(CliLower, MachineSettingsDoNotBelongHere) {
  EXPECT_EQ(bad_input({"--workload", "gpt2-small", "--set", "machine.hbm.channels=8"}),
            "--set machine.hbm.channels=8: cimsim lower takes workload.* settings only");
}

TEST_F(CliLower, UnwritableOutput) {
  CommandResult r = run_cimsim({"lower", "--workload", "gpt2-small", "--prompt", "4", "--generate",
                                "1", "--out", in_ + "/no/such/dir/t.jsonl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(
      r.err.rfind("cimsim: error: " + in_ + "/no/such/dir/t.jsonl: output directory does not exist",
                  0),
      0u)
      << r.err;
}

}  // namespace
}  // namespace cimsim::test
