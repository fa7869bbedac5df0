// Trace-reader errors through the real CLI (`cimsim lower --trace FILE`): exit code 2 and
// one line on stderr naming the file and line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "cimsim/common/json.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

class CliTraceReader : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    CommandResult r = run_cimsim(
        {"lower", "--workload", "gpt2-small", "--prompt", "4", "--generate", "2", "--out", path()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    text_ = read_file(path());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_ + "/t.jsonl"; }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    size_t begin = 0;
    size_t end = text_.find('\n');
    while (end != std::string::npos) {
      out.push_back(text_.substr(begin, end - begin));
      begin = end + 1;
      end = text_.find('\n', begin);
    }
    return out;
  }
  void write_lines(const std::vector<std::string>& ls) {
    std::string t;
    for (const auto& l : ls) {
      t += l + "\n";
    }
    write_file(path(), t);
  }
  // Runs `cimsim lower --trace`, expects the bad-input contract, returns the message.
  std::string bad_trace() {
    CommandResult r = run_cimsim({"lower", "--trace", path()});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    return r.err;
  }

  std::string dir_, text_;
};

TEST_F(CliTraceReader, ValidTraceSummarises) {
  CommandResult r = run_cimsim({"lower", "--trace", path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("gpt2-small: mode decoder, batch 1, prompt 4, generate 2, 12 layers\n", 0),
            0u)
      << r.out;
}

TEST_F(CliTraceReader, UnknownTensorReference) {
  auto ls = lines();
  Json j = Json::parse(ls[5]);
  j["in"][0]["id"] = "L0.ghost";
  ls[5] = j.dump();
  write_lines(ls);
  EXPECT_EQ(bad_trace(), "cimsim: error: " + path() +
                             ":6: op[4].in[0].id: references unknown tensor \"L0.ghost\" (no "
                             "earlier op of phase prefill wrote it)\n");
}

TEST_F(CliTraceReader, TruncatedLine) {
  write_file(path(), text_.substr(0, text_.size() - 100));
  std::string err = bad_trace();
  EXPECT_NE(err.find(path() + ":" + std::to_string(lines().size()) + ": truncated line"),
            std::string::npos)
      << err;
}

TEST_F(CliTraceReader, Garbage) {
  std::string garbage;
  for (int i = 0; i < 256; ++i) {
    garbage += static_cast<char>((i * 37) % 256 == 10 ? 0 : (i * 37) % 256);
  }
  write_file(path(), garbage);
  std::string err = bad_trace();
  EXPECT_EQ(err.rfind("cimsim: error: " + path() + ":", 0), 0u) << err;
}

TEST_F(CliTraceReader, TraceCannotBeCombinedWithAWorkload) {
  CommandResult r = run_cimsim({"lower", "--trace", path(), "--workload", "gpt2-small"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "cimsim: error: --workload: cannot be combined with --trace (which "
            "summarises an existing trace)\n");
}

}  // namespace
}  // namespace cimsim::test
