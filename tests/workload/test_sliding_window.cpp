// Sliding-window attention (Mistral): the pairs a window leaves, the keys the trace says are
// read, and both machines spending less on a windowed decode.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/harness.hpp"
#include "tiny_models.hpp"

namespace cimsim::test {
namespace {

// Query i of the last q of kv positions sits at position kv - q + i and sees the keys
// max(0, pos - window + 1) .. pos: counted one by one.
uint64_t brute_pairs(uint64_t q, uint64_t kv, uint64_t window) {
  uint64_t n = 0;
  for (uint64_t i = 0; i < q; ++i) {
    uint64_t pos = kv - q + i;
    for (uint64_t key = 0; key <= pos; ++key) {
      n += window == 0 || pos - key < window ? 1 : 0;
    }
  }
  return n;
}

uint64_t brute_first_key(uint64_t q, uint64_t kv, uint64_t window) {
  uint64_t pos = kv - q;  // the first query reaches back furthest
  return window == 0 || pos + 1 <= window ? 0 : pos + 1 - window;
}

TEST(SlidingWindow, PairsAndKeysMatchCountingOneByOne) {
  for (uint64_t q = 1; q <= 6; ++q) {
    for (uint64_t kv = q; kv <= 13; ++kv) {
      for (uint64_t w = 0; w <= 15; ++w) {
        trace::AttentionShape a;
        a.q_len = q;
        a.kv_len = kv;
        a.causal = true;
        a.window = w;
        EXPECT_EQ(a.pairs(), brute_pairs(q, kv, w)) << q << " " << kv << " " << w;
        EXPECT_EQ(a.first_key(), brute_first_key(q, kv, w)) << q << " " << kv << " " << w;
        EXPECT_EQ(a.keys(), kv - brute_first_key(q, kv, w));
      }
    }
  }
  // Bidirectional attention has no window.
  trace::AttentionShape b;
  b.q_len = 4;
  b.kv_len = 4;
  EXPECT_EQ(b.pairs(), 16u);
  EXPECT_EQ(b.first_key(), 0u);
}

// tiny_llama (4 heads of 2, 2 KV heads, batch 1) with a window of 3, prompt 4, 4 generated.
workload::Workload windowed() {
  workload::Workload w = tiny_llama();
  w.model.sliding_window = 3;
  w.run.prompt = 4;
  w.run.generate = 4;
  return w;
}

// Prefill: queries at positions 0..3 see 1, 2, 3, 3 keys = 9 pairs; every key is read by
// some query (4 rows of K and V: 4 x 2 heads x 2 x 2 B = 32 B each). FLOPs per pair 4 x 2 + 5.
// Decode step j (kv_len 4 + j): the new query sees 3 keys: 3 rows = 24 B of K and of V.
TEST(SlidingWindow, AttentionReadsAndComputesOnlyTheWindowByHand) {
  auto ops = lower_all(windowed());
  auto prefill = phase_ops(ops, {trace::PhaseKind::prefill, 0});
  const trace::Op& p = prefill.at("L0.attn");
  EXPECT_EQ(p.attn.window, 3u);
  EXPECT_EQ(p.flops, 4u * 9 * 13);
  EXPECT_EQ(p.inputs[1].bytes, 32u);
  for (uint32_t j = 1; j <= 3; ++j) {
    const trace::Op d = phase_ops(ops, {trace::PhaseKind::decode, j}).at("L0.attn");
    EXPECT_EQ(d.attn.kv_len, 4u + j);
    EXPECT_EQ(d.flops, 4u * 3 * 13) << j;
    EXPECT_EQ(d.inputs[1].bytes, 24u) << j;  // K
    EXPECT_EQ(d.inputs[2].bytes, 24u) << j;  // V
  }
}

TEST(SlidingWindow, SplitAttentionGathersOnlyTheWindow) {
  workload::Workload w = windowed();
  w.run.attention = workload::AttentionForm::split;
  auto d = phase_ops(lower_all(w), {trace::PhaseKind::decode, 3});
  EXPECT_EQ(d.at("L0.kv_read").outputs[0].shape, (std::vector<uint64_t>{1, 3, 2, 2}));
  EXPECT_EQ(d.at("L0.attn.qk").mm.n, 3u);
  EXPECT_EQ(d.at("L0.attn.qk").flops, 2u * 4 * 3 * 2);  // 2 x heads x pairs x head_dim
  EXPECT_EQ(d.at("L0.attn.softmax").rows.cols, 3u);
  EXPECT_EQ(d.at("L0.attn.pv").mm.k, 3u);
}

// Bidirectional passes (encoder, ENTP) attend to every position.
TEST(SlidingWindow, BidirectionalPassesIgnoreIt) {
  workload::Workload w = windowed();
  w.run.mode = workload::Mode::entp;
  for (const auto& op : lower_all(w)) {
    if (op.kind == trace::OpKind::attention) {
      EXPECT_EQ(op.attn.window, 0u);
      EXPECT_EQ(op.flops, 4u * op.attn.q_len * op.attn.kv_len * 13);
    }
  }
}

// Both machines: a decode step over 1024 cached positions with a window of 128 costs the
// attention less than without one (fewer keys read and computed).
TEST(SlidingWindow, BothMachinesSpendLessWithAWindow) {
  const std::string dir = make_temp_dir();
  write_file(dir + "/w.json", R"({"extends": "llama-2-7b", "name": "win",
    "model": {"layers": 1, "d_model": 1024, "heads": 8, "kv_heads": 8, "head_dim": 128,
              "d_ff": 256, "vocab": 64, "max_context": 4096},
    "run": {"prompt": 1024, "generate": 2}})");
  auto decode_attention = [&](const std::string& machine, uint64_t window) {
    const std::string out = dir + "/r.json";
    CommandResult r =
        run_cimsim({"run", "--machine", machine, "--workload", dir + "/w.json", "--set",
                    "workload.model.sliding_window=" + std::to_string(window), "--out", out, "-q"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Json rep = Json::parse(read_file(out));
    for (const auto& op : rep["machines"][0]["ops"]) {
      if (op["name"] == "L0.attn" && op["phase_kind"] == "decode") {
        return op["busy_cycles"].get<uint64_t>();
      }
    }
    ADD_FAILURE() << "no decode attention in the report";
    return uint64_t{0};
  };
  for (const char* machine : {"a100-sxm4-80gb", "isaac"}) {
    EXPECT_LT(decode_attention(machine, 128), decode_attention(machine, 0)) << machine;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cimsim::test
