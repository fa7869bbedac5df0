// Serving without a machine: the batching policies and the latency bookkeeping against
// iteration costs given in closed form (seconds = 1 + 0.1 x tokens), so every time below is
// worked out by hand from the policy's rules.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cimsim/serve/serving.hpp"
#include "support/harness.hpp"

namespace cimsim::serve {
namespace {

class LinearEngine : public IterationEngine {
 public:
  IterationCost run(const Iteration& it, const ServeState&) override {
    log.push_back(it);
    double s = 1.0 + 0.1 * static_cast<double>(it.tokens());
    return IterationCost{s, 2.0 * s};  // 2 W while busy
  }
  double idle_power_w() const override { return 0.5; }
  std::vector<Iteration> log;
};

Request req(uint64_t id, double at, uint64_t prompt, uint64_t output) {
  return Request{id, at, prompt, output};
}

ServeSettings settings(const char* scheduler, uint64_t blocks, uint64_t block_tokens = 16) {
  ServeSettings s;
  s.scheduler = scheduler;
  s.kv_capacity_blocks = blocks;
  s.block_tokens = block_tokens;
  return s;
}

// A scheduler choice with parameters, as a config file would give it.
config::Choice<BatchSchedulerAxis> choice(const Json& j) {
  config::ConfigDoc doc;
  doc.root_name = "serve";
  config::Context ctx(doc);
  return config::ValueTraits<config::Choice<BatchSchedulerAxis>>::parse(j, "serve.scheduler",
                                                                        ctx, {});
}

TEST(Continuous, PrefillIterationThenDecodeSteps) {
  LinearEngine e;
  auto r = run_serving({req(0, 0, 4, 3), req(1, 0, 2, 2)}, settings("continuous", 100), e);
  // 1: prefill 4 + 2 tokens: 1.6 s. 2: decode both: 1.2 s (t 2.8, request 1 done).
  // 3: decode request 0: 1.1 s (t 3.9).
  ASSERT_EQ(e.log.size(), 3u);
  EXPECT_EQ(e.log[0].prefill_tokens(), 6u);
  EXPECT_EQ(e.log[1].decode_tokens(), 2u);
  EXPECT_DOUBLE_EQ(r.requests[0].ttft_s(), 1.6);
  EXPECT_DOUBLE_EQ(r.requests[1].ttft_s(), 1.6);
  EXPECT_NEAR(r.requests[0].e2e_s(), 3.9, 1e-12);
  EXPECT_NEAR(r.requests[1].e2e_s(), 2.8, 1e-12);
  EXPECT_NEAR(r.energy_j, 2 * 3.9, 1e-12);
  Json rep = serving_report(r);
  // TPOT: request 0 (3.9 - 1.6) / 2 = 1.15, request 1 (2.8 - 1.6) / 1 = 1.2.
  EXPECT_NEAR(rep["latency_s"]["tpot"]["mean"].get<double>(), (1.15 + 1.2) / 2, 1e-12);
  EXPECT_NEAR(rep["throughput"]["output_tokens_per_s"].get<double>(), 5 / 3.9, 1e-12);
}

TEST(Chunked, DecodesFirstThenPromptChunksWithinTheBudget) {
  LinearEngine e;
  ServeSettings s = settings("chunked", 100);
  s.scheduler = choice(Json{{"name", "chunked"}, {"token_budget", 4}});
  auto r = run_serving({req(0, 0, 6, 2), req(1, 0, 1, 3)}, s, e);
  // 1: request 0's first 4 prompt tokens (t 1.4). 2: its last 2, then request 1's prompt
  // (3 tokens, t 2.7, both emit). 3: both decode (t 3.9, request 0 done). 4: request 1 (t 5.0).
  ASSERT_EQ(e.log.size(), 4u);
  EXPECT_EQ(e.log[0].tokens(), 4u);
  EXPECT_EQ(e.log[1].tokens(), 3u);
  EXPECT_FALSE(e.log[0].items[0].emits_token);
  EXPECT_EQ(e.log[1].items[0].kv_len, 6u);
  EXPECT_NEAR(r.requests[0].ttft_s(), 2.7, 1e-12);
  EXPECT_NEAR(r.requests[1].ttft_s(), 2.7, 1e-12);
  EXPECT_NEAR(r.requests[0].e2e_s(), 3.9, 1e-12);
  EXPECT_NEAR(r.requests[1].e2e_s(), 5.0, 1e-12);
}

TEST(Continuous, FullKvPoolPreemptsTheLastAdmittedAndRecomputes) {
  LinearEngine e;
  // 3 blocks of 2 tokens. Both prompts (2 tokens, 1 block each) fit; growing to 3 tokens needs
  // a second block each: request 0 takes the last free one, request 1 is preempted (t 1.4).
  auto r = run_serving({req(0, 0, 2, 3), req(1, 0, 2, 3)}, settings("continuous", 3, 2), e);
  // 2: decode 0 alone (t 2.5). 3: 1 cannot be re-admitted (3 tokens = 2 blocks, 1 free):
  // decode 0 (t 3.6, done). 4: recompute 1's prompt + first output = 3 tokens (t 4.9, emits
  // its 2nd token). 5: decode 1 (t 6.0).
  ASSERT_EQ(e.log.size(), 5u);
  EXPECT_EQ(e.log[1].items.size(), 1u);
  EXPECT_EQ(e.log[3].prefill_tokens(), 3u);
  EXPECT_EQ(r.requests[1].preemptions, 1u);
  EXPECT_NEAR(r.requests[1].ttft_s(), 1.4, 1e-12);  // the first token was already out
  EXPECT_NEAR(r.requests[1].e2e_s(), 6.0, 1e-12);
  EXPECT_NEAR(r.requests[0].e2e_s(), 3.6, 1e-12);
  EXPECT_EQ(r.preemptions, 1u);
}

TEST(Static, BatchesRunToCompletionWithPadding) {
  LinearEngine e;
  ServeSettings s = settings("static", 100);
  s.scheduler = choice(Json{{"name", "static"}, {"max_batch", 2}});
  auto r = run_serving({req(0, 0, 2, 1), req(1, 0, 2, 3), req(2, 0, 1, 1)}, s, e);
  // Batch {0, 1}: prefill 4 tokens (t 1.4, request 0 done); two decode rows, one of them
  // padding (t 2.6, t 3.8: request 1 done). Batch {2}: prefill 1 (t 4.9).
  ASSERT_EQ(e.log.size(), 4u);
  EXPECT_NEAR(r.requests[0].e2e_s(), 1.4, 1e-12);
  EXPECT_NEAR(r.requests[1].e2e_s(), 3.8, 1e-12);
  EXPECT_NEAR(r.requests[2].ttft_s(), 4.9, 1e-12);
  EXPECT_EQ(r.padding_tokens, 2u);
}

TEST(Serving, IdleGapsJumpToTheNextArrivalAndChargeIdlePower) {
  LinearEngine e;
  auto r = run_serving({req(0, 10, 1, 1)}, settings("continuous", 10), e);
  EXPECT_NEAR(r.requests[0].first_token_s, 11.1, 1e-12);
  EXPECT_NEAR(r.energy_j, 10 * 0.5 + 2 * 1.1, 1e-12);
}

TEST(Serving, ARequestLargerThanThePoolIsAnInputError) {
  LinearEngine e;
  try {
    run_serving({req(7, 0, 30, 3)}, settings("continuous", 2, 16), e);
    FAIL();
  } catch (const InputError& err) {
    EXPECT_EQ(std::string(err.what()),
              "request 7: needs 3 KV blocks of 16 tokens, expected at most the pool's 2");
  }
}

TEST(Serving, PercentilesInterpolateLinearlyAsNumpy) {
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 50), 2.5);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 90), 3.7);
  EXPECT_DOUBLE_EQ(percentile({5}, 99), 5);
}

TEST(Requests, GeneratorIsDeterministicAndPoisson) {
  GeneratorConfig g;
  g.count = 20000;
  g.rate_per_s = 4;
  g.prompt.distribution = Distribution::lognormal;
  g.prompt.median = 200;
  g.prompt.sigma = 0.5;
  g.prompt.max = 100000;
  auto a = generate_requests(g, 0, "gen");
  auto b = generate_requests(g, 0, "gen");
  ASSERT_EQ(a.size(), 20000u);
  EXPECT_EQ(a.back().arrival_s, b.back().arrival_s);
  EXPECT_EQ(a[123].prompt_tokens, b[123].prompt_tokens);
  // Mean gap 1 / rate; the sample mean of 20,000 exponential gaps has a standard error of
  // 0.7 %: within 3 %.
  EXPECT_NEAR(a.back().arrival_s / 20000.0, 0.25, 0.25 * 0.03);
  // The median of the lognormal is its `median` parameter.
  std::vector<double> prompts;
  for (const auto& r : a) prompts.push_back(static_cast<double>(r.prompt_tokens));
  EXPECT_NEAR(percentile(prompts, 50), 200, 200 * 0.03);
}

class RequestFiles : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    path_ = (std::filesystem::temp_directory_path() /
             ("cimsim_req_" + std::to_string(::getpid()) + ".jsonl"))
                .string();
    std::ofstream(path_) << text;
    return path_;
  }
  std::string error(const std::string& text, uint64_t max_context = 100) {
    try {
      read_requests(write(text), max_context);
    } catch (const InputError& e) {
      std::string m = e.what();
      return m.substr(m.find(':') + 1);
    }
    return "(no error)";
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
};

TEST_F(RequestFiles, ReadsSortsAndNamesTheLineOfEveryError) {
  auto r = read_requests(write("# a comment\n"
                               "{\"arrival_s\": 2, \"prompt_tokens\": 5, \"output_tokens\": 1}\n"
                               "\n"
                               "{\"id\": 9, \"arrival_s\": 1.5, \"prompt_tokens\": 3, "
                               "\"output_tokens\": 2}\n"),
                         100);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].id, 9u);
  EXPECT_EQ(r[1].id, 0u);
  EXPECT_EQ(error("{\"arrival_s\": -1, \"prompt_tokens\": 5, \"output_tokens\": 1}\n"),
            "1: arrival_s: expected a number of seconds >= 0, got -1");
  EXPECT_EQ(error("{\"arrival_s\": 0, \"prompt_tokens\": 0, \"output_tokens\": 1}\n"),
            "1: prompt_tokens: expected an integer >= 1, got 0");
  EXPECT_EQ(error("{\"arrival_s\": 0, \"prompt_tokens\": 90, \"output_tokens\": 20}\n"),
            "1: prompt_tokens + output_tokens = 110, expected at most the model's context of "
            "100 tokens");
  EXPECT_EQ(error("{\"arrival\": 0}\n"),
            "1: arrival: unknown key (expected one of: id, arrival_s, prompt_tokens, "
            "output_tokens)");
  EXPECT_EQ(error("{\"id\": 1, \"arrival_s\": 0, \"prompt_tokens\": 1, \"output_tokens\": 1}\n"
                  "{\"id\": 1, \"arrival_s\": 0, \"prompt_tokens\": 1, \"output_tokens\": 1}\n"),
            "2: id: 1 is used by an earlier request");
}

}  // namespace
}  // namespace cimsim::serve
