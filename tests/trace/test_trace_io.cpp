// Trace files: exact round trips, atomic writing, and the strict reader's errors, each
// naming file, line and JSON path.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "../workload/tiny_models.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/trace/trace_io.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

std::string trace_text(const workload::Workload& w) {
  auto source = workload::lower(w);
  std::ostringstream out;
  trace::write_trace(*source, out);
  return out.str();
}

class TraceFiles : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_ + "/t.jsonl"; }

  // Reads the whole file; returns the InputError's message or "" if the file is valid.
  std::string read_error(const std::string& text) {
    write_file(path(), text);
    try {
      trace::TraceReader reader(path());
      trace::Op op;
      while (reader.next(op)) {
      }
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  // The tiny GPT trace with line `index` (0: header) edited as JSON.
  std::string edited(size_t index, const std::function<void(Json&)>& edit) {
    auto lines = lines_of(trace_text(tiny_gpt()));
    Json j = Json::parse(lines.at(index));
    edit(j);
    lines[index] = j.dump();
    return join_lines(lines);
  }

  std::string dir_;
};

void expect_round_trip(const workload::Workload& w, const std::string& path) {
  auto written = workload::lower(w);
  uint64_t n = trace::write_trace_file(*written, path);
  EXPECT_EQ(n, written->header().op_count);
  trace::TraceReader reader(path);
  auto fresh = workload::lower(w);
  EXPECT_EQ(reader.header(), fresh->header());
  trace::Op a, b;
  uint64_t ops = 0;
  while (fresh->next(a)) {
    ASSERT_TRUE(reader.next(b)) << "the file ends early at op " << ops;
    ASSERT_EQ(a, b) << "op " << ops;
    ++ops;
  }
  EXPECT_FALSE(reader.next(b));
  EXPECT_EQ(ops, n);
}

TEST_F(TraceFiles, RoundTripIsExact) {
  workload::Workload split = tiny_llama(), entp = tiny_gpt();
  split.run.attention = workload::AttentionForm::split;
  entp.run.mode = workload::Mode::entp;
  entp.run.prompt = 2;
  workload::Workload moe_split = tiny_mixtral(), moe_entp = tiny_mixtral();
  moe_split.run.attention = workload::AttentionForm::split;
  moe_entp.run.mode = workload::Mode::entp;
  for (const auto& w :
       {tiny_gpt(), tiny_llama(), tiny_bert(), split, entp, tiny_mixtral(), moe_split, moe_entp}) {
    expect_round_trip(w, path());
  }
}

// A sliding window limits causal attention; on a bidirectional op it means nothing.
TEST_F(TraceFiles, WindowNeedsCausalAttention) {
  auto lines = lines_of(trace_text(tiny_gpt()));
  size_t at = 0;
  while (Json::parse(lines.at(at)).value("kind", "") != "attention") {
    ++at;
  }
  Json j = Json::parse(lines[at]);
  j["attn"]["causal"] = false;
  j["attn"]["window"] = 2;
  lines[at] = j.dump();
  EXPECT_EQ(read_error(join_lines(lines)),
            path() + ":" + std::to_string(at + 1) + ": op[" + std::to_string(at - 1) +
                "].attn.window: a sliding window applies to causal attention only: expected 0 "
                "with \"causal\": false, got 2");
}

TEST_F(TraceFiles, PresetRoundTrip) {
  for (const char* name : {"llama-3-8b", "bert-base", "opt-1.3b", "mistral-7b", "mixtral-8x7b"}) {
    auto w = workload::load_workload(name, {config::parse_assignment("workload.run.prompt=7"),
                                            config::parse_assignment("workload.run.batch=2")});
    w.run.generate = w.run.mode == workload::Mode::encoder ? 0 : 3;
    expect_round_trip(w, path());
  }
}

TEST_F(TraceFiles, FirstLineIsTheHeaderThenOneOpPerLine) {
  auto lines = lines_of(trace_text(tiny_gpt()));
  Json header = Json::parse(lines[0]);
  EXPECT_EQ(header["format"], "cimsim-trace");
  EXPECT_EQ(header["format_version"], 3);
  EXPECT_EQ(header["op_count"], lines.size() - 1);
  EXPECT_EQ(header["workload"]["model"]["d_model"], 8);
  Json op = Json::parse(lines[1]);
  EXPECT_EQ(op["id"], 0);
  EXPECT_EQ(op["kind"], "embedding");
  EXPECT_EQ(op["phase"], "prefill");
  EXPECT_TRUE(op.contains("rows"));
  EXPECT_FALSE(op.contains("mm"));
}

// The writer's text is the documented JSON of each op (trace::op_to_json) and of the header.
TEST_F(TraceFiles, LinesAreTheJsonOfTheirOps) {
  workload::Workload split = tiny_llama();
  split.run.attention = workload::AttentionForm::split;
  for (const auto& w : {tiny_gpt(), split}) {
    auto lines = lines_of(trace_text(w));
    auto source = workload::lower(w);
    EXPECT_EQ(lines.at(0), trace::header_to_json(source->header()).dump());
    trace::Op op;
    for (size_t i = 1; source->next(op); ++i) {
      ASSERT_EQ(lines.at(i), trace::op_to_json(op).dump());
    }
  }
}

// A source whose third op throws: the write fails and leaves no file (and no temporary).
class FailingSource : public trace::OpSource {
 public:
  explicit FailingSource(std::unique_ptr<trace::OpSource> inner) : inner_(std::move(inner)) {}
  const trace::TraceHeader& header() const override { return inner_->header(); }
  bool next(trace::Op& op) override {
    if (++calls_ == 3) {
      throw InputError("source", "failed on purpose");
    }
    return inner_->next(op);
  }

 private:
  std::unique_ptr<trace::OpSource> inner_;
  int calls_ = 0;
};

TEST_F(TraceFiles, FailedWriteLeavesNoFileAndKeepsAnOldOne) {
  FailingSource failing(workload::lower(tiny_gpt()));
  EXPECT_THROW(trace::write_trace_file(failing, path()), InputError);
  EXPECT_EQ(count_entries(dir_), 0);
  write_file(path(), "old");
  FailingSource again(workload::lower(tiny_gpt()));
  EXPECT_THROW(trace::write_trace_file(again, path()), InputError);
  EXPECT_EQ(read_file(path()), "old");
  EXPECT_EQ(count_entries(dir_), 1);
}

// A source that breaks the dependency rule is a bug: the writer refuses it.
class BrokenSource : public trace::OpSource {
 public:
  BrokenSource() : inner_(workload::lower(tiny_gpt())) {}
  const trace::TraceHeader& header() const override { return inner_->header(); }
  bool next(trace::Op& op) override {
    if (!inner_->next(op)) {
      return false;
    }
    if (op.id == 1) {
      op.inputs[0].id = "nowhere";
    }
    return true;
  }

 private:
  std::unique_ptr<trace::OpSource> inner_;
};

TEST_F(TraceFiles, WriterRefusesAnInvalidSource) {
  BrokenSource broken;
  std::ostringstream out;
  EXPECT_THROW(trace::write_trace(broken, out), std::logic_error);
}

TEST_F(TraceFiles, EmptyFile) {
  EXPECT_EQ(read_error(""), path() + ": empty file (expected a trace header line)");
}

TEST_F(TraceFiles, NotATrace) {
  EXPECT_EQ(read_error("{\"name\": \"gpt2\"}\n"),
            path() +
                ":1: header: not a cimsim trace (the first line must be a JSON object with "
                "\"format\": \"cimsim-trace\")");
}

// Version 2 had no tensor-parallel roles ("tp"): such a trace is not read.
TEST_F(TraceFiles, UnsupportedVersion) {
  std::string text = edited(0, [](Json& j) { j["format_version"] = 2; });
  EXPECT_EQ(read_error(text), path() +
                                  ":1: header.format_version: unsupported version 2 (this "
                                  "cimsim reads version 3)");
}

// Version 3: a matmul and the weights it reads carry their tensor-parallel role; "none" is
// left out.
TEST_F(TraceFiles, TensorParallelRoles) {
  auto lines = lines_of(trace_text(tiny_gpt()));
  Json header = Json::parse(lines[0]);
  std::map<std::string, std::string> decl_tp;
  for (const auto& d : header["weights"]) {
    decl_tp[d["id"]] = d.value("tp", "none");
  }
  EXPECT_EQ(decl_tp["L0.attn.q"], "column");
  EXPECT_EQ(decl_tp["L0.attn.q.bias"], "column");
  EXPECT_EQ(decl_tp["L0.attn.o"], "row");
  EXPECT_EQ(decl_tp["L0.attn.o.bias"], "none");  // added once, after the all-reduce
  EXPECT_EQ(decl_tp["L0.ffn.up"], "column");
  EXPECT_EQ(decl_tp["L0.ffn.down"], "row");
  EXPECT_EQ(decl_tp["embed.tok"], "none");  // the embedding reads it whole
  std::map<std::string, std::string> op_tp;
  for (size_t i = 1; i < lines.size(); ++i) {
    Json op = Json::parse(lines[i]);
    if (op["phase"] == "prefill") {
      op_tp[op["name"]] = op.value("tp", "none");
    }
  }
  EXPECT_EQ(op_tp["L0.attn.k"], "column");
  EXPECT_EQ(op_tp["L0.attn.o"], "row");
  EXPECT_EQ(op_tp["L0.ffn.down"], "row");
  EXPECT_EQ(op_tp["lm_head"], "column");  // column-parallel over the vocabulary
  EXPECT_EQ(op_tp["L0.norm1"], "none");
  EXPECT_EQ(lines[1].find("\"tp\""), std::string::npos);  // the embedding has none
}

TEST_F(TraceFiles, TensorParallelRoleOnlyOnAMatmul) {
  std::string text = edited(2, [](Json& j) { j["tp"] = "row"; });  // op 1 is L0.norm1
  EXPECT_EQ(read_error(text), path() +
                                  ":3: op[1].tp: only a matmul has a tensor-parallel role; a "
                                  "layernorm op has none");
  text = edited(3, [](Json& j) { j["tp"] = "diagonal"; });
  EXPECT_NE(read_error(text).find(":4: op[2].tp: expected one of"), std::string::npos);
  text = edited(0, [](Json& j) { j["weights"][2]["tp"] = "row"; });  // L0.norm1.gamma [8]
  EXPECT_EQ(read_error(text), path() +
                                  ":1: header.weights[2].tp: a \"row\" split needs a weight of "
                                  "shape [k, n], got a weight of shape [8]");
}

TEST_F(TraceFiles, HeaderBytesMustMatchShape) {
  std::string text = edited(0, [](Json& j) { j["weights"][0]["bytes"] = 7; });
  EXPECT_EQ(read_error(text), path() +
                                  ":1: header.weights[0].bytes: expected 176 (shape [11, 8] "
                                  "of fp16), got 7");
}

TEST_F(TraceFiles, UnknownOpKind) {
  std::string text = edited(2, [](Json& j) { j["kind"] = "conv2d"; });
  std::string err = read_error(text);
  EXPECT_EQ(err.rfind(path() + ":3: op[1].kind: expected one of embedding, matmul,", 0), 0u) << err;
  EXPECT_NE(err.find("got \"conv2d\""), std::string::npos);
}

TEST_F(TraceFiles, UnknownKey) {
  std::string text = edited(1, [](Json& j) { j["latency"] = 3; });
  EXPECT_EQ(read_error(text).rfind(path() + ":2: op[0].latency: unknown key (expected one of: ", 0),
            0u);
}

TEST_F(TraceFiles, WrongType) {
  std::string text = edited(3, [](Json& j) { j["flops"] = "many"; });
  EXPECT_EQ(read_error(text), path() +
                                  ":4: op[2].flops: expected an integer in [0, "
                                  "18446744073709551615], got \"many\"");
}

TEST_F(TraceFiles, ShapeKeyMustMatchTheKind) {
  std::string text = edited(3, [](Json& j) {  // op 2 is L0.attn.q, a matmul
    j["rows"] = Json{{"rows", 1}, {"cols", 1}};
  });
  EXPECT_EQ(read_error(text),
            path() + ":4: op[2].rows: does not belong to a matmul op (it carries \"mm\")");
}

TEST_F(TraceFiles, OpIdsOutOfOrder) {
  std::string text = edited(3, [](Json& j) { j["id"] = 7; });
  EXPECT_EQ(read_error(text), path() + ":4: op[2].id: op ids count up from 0: expected 2, got 7");
}

TEST_F(TraceFiles, ActivationNoEarlierOpWrote) {
  std::string text = edited(2, [](Json& j) { j["in"][0]["id"] = "embed.later"; });
  EXPECT_EQ(read_error(text), path() +
                                  ":3: op[1].in[0].id: references unknown tensor "
                                  "\"embed.later\" (no earlier op of phase prefill wrote it)");
}

TEST_F(TraceFiles, ActivationOfAnEarlierPhaseIsNotVisible) {
  auto lines = lines_of(trace_text(tiny_gpt()));
  // The first decode-step op after the embedding reads the prefill's L1.add2 output instead.
  size_t first_decode = 0;
  for (size_t i = 1; i < lines.size() && first_decode == 0; ++i) {
    if (Json::parse(lines[i])["phase"] == "decode") {
      first_decode = i;
    }
  }
  Json j = Json::parse(lines[first_decode + 1]);
  j["in"][0]["id"] = "L1.add2.out";
  lines[first_decode + 1] = j.dump();
  std::string err = read_error(join_lines(lines));
  EXPECT_NE(err.find("references unknown tensor \"L1.add2.out\" (no earlier op of phase "
                     "decode.1 wrote it)"),
            std::string::npos)
      << err;
}

TEST_F(TraceFiles, WeightNotDeclared) {
  std::string text = edited(2, [](Json& j) { j["in"][1]["id"] = "L0.norm1.scale"; });
  EXPECT_EQ(read_error(text), path() +
                                  ":3: op[1].in[1].id: references unknown tensor "
                                  "\"L0.norm1.scale\" (no weight of that id in the header)");
}

TEST_F(TraceFiles, KvCacheNotDeclared) {
  std::string text = edited(0, [](Json& j) { j["kv_caches"].erase(0); });
  std::string err = read_error(text);
  EXPECT_NE(err.find("references unknown tensor \"L0.kv.k\" (no kv_cache of that id in the "
                     "header)"),
            std::string::npos)
      << err;
}

TEST_F(TraceFiles, DeclaredTensorUsedWithAnotherShape) {
  std::string text = edited(3, [](Json& j) { j["in"][1]["shape"] = Json::array({8, 9}); });
  EXPECT_EQ(read_error(text), path() +
                                  ":4: op[2].in[1]: \"L0.attn.q\" is declared as [8, 8] "
                                  "fp16, used as [8, 9] fp16");
}

TEST_F(TraceFiles, PhasesMustNotGoBack) {
  auto lines = lines_of(trace_text(tiny_gpt()));
  Json last = Json::parse(lines.back());
  last["phase"] = "prefill";
  last["step"] = 0;
  lines.back() = last.dump();
  std::string err = read_error(join_lines(lines));
  EXPECT_NE(err.find("phase prefill follows phase decode.2"), std::string::npos) << err;
}

TEST_F(TraceFiles, TruncatedLastLine) {
  std::string text = trace_text(tiny_gpt());
  auto lines = lines_of(text);
  text.resize(text.size() - 40);  // cut into the last line
  EXPECT_EQ(read_error(text), path() + ":" + std::to_string(lines.size()) +
                                  ": truncated line: the file ends without a newline (an "
                                  "interrupted write?)");
}

TEST_F(TraceFiles, MissingOpsAtTheEnd) {
  auto lines = lines_of(trace_text(tiny_gpt()));
  lines.resize(10);
  EXPECT_EQ(read_error(join_lines(lines)),
            path() +
                ": the trace ends after 9 ops but its header promises op_count = 87 "
                "(truncated?)");
}

TEST_F(TraceFiles, MoreOpsThanTheHeaderSays) {
  std::string text = edited(0, [](Json& j) { j["op_count"] = 5; });
  EXPECT_EQ(read_error(text), path() + ":7: op[5]: more ops than the header's op_count = 5");
}

TEST_F(TraceFiles, BinaryGarbage) {
  auto lines = lines_of(trace_text(tiny_gpt()));
  lines[2] = std::string(
      "\x7f"
      "ELF\x02\x01\x01\0\0\0",
      10);
  std::string err = read_error(join_lines(lines));
  EXPECT_EQ(err.rfind(path() + ":3:1: invalid JSON: ", 0), 0u) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos);  // one line, whatever the bytes
}

TEST_F(TraceFiles, EmptyLine) {
  auto lines = lines_of(trace_text(tiny_gpt()));
  lines.insert(lines.begin() + 2, "");
  EXPECT_EQ(read_error(join_lines(lines)), path() + ":3: empty line (expected one JSON object)");
}

TEST_F(TraceFiles, NoNewlineAnywhere) {
  // A long run of bytes without a newline is not buffered without bound.
  std::string text(trace::TraceReader::kMaxLineBytes + 10, 'x');
  EXPECT_EQ(read_error(text), path() + ":1: line longer than 16 MiB (not a cimsim trace?)");
}

TEST_F(TraceFiles, MissingFile) {
  EXPECT_THROW(trace::TraceReader(dir_ + "/none.jsonl"), InputError);
}

}  // namespace
}  // namespace cimsim::test
